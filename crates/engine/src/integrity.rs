//! Block checksums of stored record files. A writer hashes every 64 KiB block of a
//! file's data (all bytes before its page index and footer) with CRC-32 as the bytes go
//! out, and keeps the table in the footer (`yardstick.crc32`). A reader reads the
//! blocks under the column chunks it needs into memory, checks them, and decodes from
//! there: a flipped bit in a stored file is damage (no figure), never another figure.
//! Parquet's own page checksums are optional and not written by the Parquet writer we
//! use, hence this.
//!
//! Files written before the table existed carry none and are read unchecked (as they
//! always were); `verify --hash` still compares them with their SHA-256.

use std::fs::File;
use std::io::{self, Write};
use std::os::unix::fs::FileExt;

use bytes::Bytes;
use parquet::file::metadata::FileMetaData;
use parquet::file::reader::{ChunkReader, Length};

/// Footer key of the block checksum table.
pub const FOOTER_CRC: &str = "yardstick.crc32";

/// Block size of the table.
const BLOCK: u64 = 64 * 1024;
/// The same, as a length in memory.
const BLOCK_BYTES: usize = 64 * 1024;

/// A sink that hashes the bytes written through it, block by block.
pub(crate) struct Checksummed<W> {
    inner: W,
    written: u64,
    block: crc32fast::Hasher,
    in_block: u64,
    done: Vec<u32>,
}

impl<W: Write> Checksummed<W> {
    pub(crate) fn new(inner: W) -> Checksummed<W> {
        Checksummed {
            inner,
            written: 0,
            block: crc32fast::Hasher::new(),
            in_block: 0,
            done: Vec::new(),
        }
    }

    /// The table of everything written so far: `v1:<block>:<bytes>:<crc hex>…`.
    pub(crate) fn table(&self) -> String {
        let mut crcs = self.done.clone();
        if self.in_block > 0 {
            crcs.push(self.block.clone().finalize());
        }
        let mut s = format!("v1:{BLOCK}:{}:", self.written);
        for c in crcs {
            s.push_str(&format!("{c:08x}"));
        }
        s
    }

    pub(crate) fn into_inner(self) -> W {
        self.inner
    }

    fn absorb(&mut self, mut bytes: &[u8]) {
        self.written += bytes.len() as u64;
        while !bytes.is_empty() {
            let room = usize::try_from(BLOCK - self.in_block).unwrap_or(usize::MAX);
            let take = room.min(bytes.len());
            self.block.update(&bytes[..take]);
            self.in_block += take as u64;
            bytes = &bytes[take..];
            if self.in_block == BLOCK {
                let full = std::mem::replace(&mut self.block, crc32fast::Hasher::new());
                self.done.push(full.finalize());
                self.in_block = 0;
            }
        }
    }
}

impl<W: Write> Write for Checksummed<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.absorb(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A file's block table, read from its footer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocks {
    /// Bytes covered, from the start of the file.
    covered: u64,
    crcs: Vec<u32>,
}

impl Blocks {
    /// The table in a footer: `None` for a file written without one; an error when the
    /// table is there but unreadable (damage).
    ///
    /// # Errors
    /// A table that does not parse.
    pub fn of(meta: &FileMetaData) -> Result<Option<Blocks>, String> {
        let Some(text) = meta
            .key_value_metadata()
            .and_then(|kv| kv.iter().find(|e| e.key == FOOTER_CRC))
            .and_then(|e| e.value.as_deref())
        else {
            return Ok(None);
        };
        Blocks::parse(text).map(Some)
    }

    fn parse(text: &str) -> Result<Blocks, String> {
        let bad = || "its checksum table is damaged".to_string();
        let mut parts = text.splitn(4, ':');
        let (Some("v1"), Some(block), Some(covered), Some(hex)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        if block.parse::<u64>().ok() != Some(BLOCK) || hex.len() % 8 != 0 {
            return Err(bad());
        }
        let covered: u64 = covered.parse().map_err(|_| bad())?;
        let crcs = (0..hex.len() / 8)
            .map(|i| u32::from_str_radix(&hex[i * 8..i * 8 + 8], 16).map_err(|_| bad()))
            .collect::<Result<Vec<u32>, String>>()?;
        if crcs.len() as u64 != covered.div_ceil(BLOCK) {
            return Err(bad());
        }
        Ok(Blocks { covered, crcs })
    }

    /// Everything the table covers.
    #[must_use]
    pub fn all(&self) -> Vec<(u64, u64)> {
        vec![(0, self.covered)]
    }
}

/// Byte ranges of a file read into memory and checked against its block table; serves
/// the Parquet reader the bytes of those ranges only.
pub struct Verified {
    len: u64,
    ranges: Vec<(u64, Bytes)>,
}

impl Verified {
    /// Reads `wanted` (start, length) ranges of `file` (`len` bytes), widened to whole
    /// blocks, and checks each block.
    ///
    /// # Errors
    /// A range outside the checked data, a block whose checksum differs, a failed read;
    /// said in words, for the caller to report as damage.
    pub fn read(
        file: &File,
        len: u64,
        blocks: &Blocks,
        wanted: &[(u64, u64)],
    ) -> Result<Verified, String> {
        // Widen to blocks, sort, merge.
        let mut spans: Vec<(u64, u64)> = Vec::with_capacity(wanted.len());
        for &(start, n) in wanted {
            let end = start
                .checked_add(n)
                .ok_or("a column chunk's range overflows")?;
            if end > blocks.covered {
                return Err(format!(
                    "a column chunk ends at byte {end}, past the {} bytes its checksums cover",
                    blocks.covered
                ));
            }
            if n == 0 {
                continue;
            }
            let b0 = start / BLOCK;
            let b1 = end.div_ceil(BLOCK);
            spans.push((b0, b1));
        }
        spans.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(spans.len());
        for (b0, b1) in spans {
            match merged.last_mut() {
                Some(last) if b0 <= last.1 => last.1 = last.1.max(b1),
                _ => merged.push((b0, b1)),
            }
        }
        let mut ranges = Vec::with_capacity(merged.len());
        for (b0, b1) in merged {
            let start = b0 * BLOCK;
            let end = (b1 * BLOCK).min(blocks.covered);
            let size = usize::try_from(end - start).map_err(|_| "a range too large to read")?;
            let mut buf = vec![0u8; size];
            file.read_exact_at(&mut buf, start)
                .map_err(|e| format!("bytes {start}..{end} cannot be read: {e}"))?;
            for (i, block) in buf.chunks(BLOCK_BYTES).enumerate() {
                let index = b0 + i as u64;
                let expected = usize::try_from(index)
                    .ok()
                    .and_then(|k| blocks.crcs.get(k))
                    .ok_or("a block past the checksum table")?;
                if crc32fast::hash(block) != *expected {
                    let at = index * BLOCK;
                    return Err(format!(
                        "bytes {at}..{} differ from what was written (checksum mismatch)",
                        at + block.len() as u64
                    ));
                }
            }
            ranges.push((start, Bytes::from(buf)));
        }
        Ok(Verified { len, ranges })
    }

    fn slice(&self, start: u64, length: Option<usize>) -> parquet::errors::Result<Bytes> {
        for (at, bytes) in &self.ranges {
            let end = at + bytes.len() as u64;
            if start >= *at && start <= end {
                let from = usize::try_from(start - at).unwrap_or(usize::MAX);
                let to = match length {
                    Some(n) => from.saturating_add(n),
                    None => bytes.len(),
                };
                if to <= bytes.len() {
                    return Ok(bytes.slice(from..to));
                }
            }
        }
        Err(parquet::errors::ParquetError::General(format!(
            "bytes from {start} were not read and checked"
        )))
    }
}

impl Length for Verified {
    fn len(&self) -> u64 {
        self.len
    }
}

impl ChunkReader for Verified {
    type T = bytes::buf::Reader<Bytes>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        use bytes::Buf;
        Ok(self.slice(start, None)?.reader())
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        self.slice(start, Some(length))
    }
}

#[cfg(test)]
#[allow(clippy::cast_possible_truncation)] // test data: small values by construction
mod tests {
    use super::*;

    #[test]
    fn the_table_covers_every_byte_in_64_kib_blocks() {
        // 64 KiB + 10 bytes: two blocks, the second of 10 bytes.
        let data: Vec<u8> = (0..BLOCK_BYTES + 10).map(|i| (i % 251) as u8).collect();
        let mut w = Checksummed::new(Vec::new());
        // Written in uneven pieces, as a buffered writer would.
        for piece in data.chunks(7_000) {
            w.write_all(piece).expect("write");
        }
        let table = Blocks::parse(&w.table()).expect("table");
        assert_eq!(table.covered, BLOCK + 10);
        assert_eq!(
            table.crcs,
            vec![
                crc32fast::hash(&data[..BLOCK_BYTES]),
                crc32fast::hash(&data[BLOCK_BYTES..])
            ]
        );
        assert_eq!(w.into_inner(), data);
    }

    #[test]
    fn a_flipped_bit_under_a_read_range_is_found_and_one_elsewhere_is_not_read() {
        let data: Vec<u8> = (0..3 * BLOCK_BYTES).map(|i| (i * 7 % 256) as u8).collect();
        let mut w = Checksummed::new(Vec::new());
        w.write_all(&data).expect("write");
        let table = Blocks::parse(&w.table()).expect("table");
        let tmp = tempfile::tempfile().expect("temp file");
        let mut damaged = data.clone();
        // A bit of the third block.
        damaged[2 * BLOCK_BYTES + 5] ^= 0x10;
        tmp.write_all_at(&damaged, 0).expect("write");
        let len = damaged.len() as u64;
        // Bytes 100..200 lie in the first block: read, intact.
        let v = Verified::read(&tmp, len, &table, &[(100, 100)]).expect("first block intact");
        assert_eq!(&v.get_bytes(100, 100).expect("bytes")[..], &data[100..200]);
        // The reader is not served bytes it did not check.
        assert!(v.get_bytes(2 * BLOCK, 10).is_err());
        // A range reaching into the third block fails, naming the block.
        let e = Verified::read(&tmp, len, &table, &[(BLOCK + 10, BLOCK)]).err();
        assert_eq!(
            e.as_deref(),
            Some("bytes 131072..196608 differ from what was written (checksum mismatch)")
        );
        // Past the covered bytes: refused.
        assert!(Verified::read(&tmp, len, &table, &[(3 * BLOCK - 1, 2)]).is_err());
    }

    #[test]
    fn a_damaged_table_is_damage() {
        assert!(Blocks::parse("v1:65536:10:zzzzzzzz").is_err());
        // Two checksums for 10 bytes: one block only.
        assert!(Blocks::parse("v1:65536:10:0000000000000000").is_err());
        assert!(Blocks::parse("v2:65536:0:").is_err());
        assert_eq!(
            Blocks::parse("v1:65536:0:"),
            Ok(Blocks {
                covered: 0,
                crcs: vec![]
            })
        );
    }
}
