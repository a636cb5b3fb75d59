//! The quick passes over a file's bytes: its SHA-256, which names its content in the
//! manifest, worked out on a thread of its own while the file is imported
//! ([`hash_file`]); and where a large file can be cut into segments read on their own,
//! one per core ([`cut_file`], [`Cuts`]).

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use sha2::{Digest, Sha256};

use super::error::{ImportError, changed, io};
use super::source::Segment;

/// How a file of a format may be cut into segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Cutting {
    /// Every line is a record and there is no header (JSON Lines): a cut after any line
    /// feed.
    Lines,
    /// A header line, then records that end at line breaks only when the file has no
    /// quote character (CSV): cut only such a file.
    QuoteFreeLines,
}

/// Segments a file is cut into at most.
pub(super) const MAX_SEGMENTS: usize = 8;

/// The file's SHA-256 (hex; with a `salt`, the SHA-256 of that and the salt) and the
/// bytes it covers, worked out on a thread of its own
/// while the file is cut and imported, so that the import does not wait for it. A hash
/// among `known` (the kind's committed batches) raises `same`: the file is stored
/// already, and the import stops at its next row. Stops early, as cancelled, when
/// `stop` says so (asked before each block).
pub(super) fn hash_file(
    path: &Path,
    salt: &str,
    known: &HashMap<String, i64>,
    same: &AtomicBool,
    stop: &dyn Fn() -> bool,
) -> Result<(String, u64), ImportError> {
    let mut file = File::open(path).map_err(io(path))?;
    let mut buf = vec![0u8; 1 << 16];
    let mut h = Sha256::new();
    let mut size = 0u64;
    loop {
        if stop() {
            return Err(ImportError::Cancelled);
        }
        let n = file.read(&mut buf).map_err(io(path))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        h.update(&buf[..n]);
    }
    let mut hash = crate::manifest::hex(&h.finalize());
    if !salt.is_empty() {
        // The same bytes read another way (a mapping, a sheet): the hash of the file's
        // hash and how it is read.
        let mut again = Sha256::new();
        again.update(hash.as_bytes());
        again.update(b"\n");
        again.update(salt.as_bytes());
        hash = crate::manifest::hex(&again.finalize());
    }
    if known.contains_key(&hash) {
        same.store(true, Ordering::Relaxed);
    }
    Ok((hash, size))
}

/// The hash the thread of [`hash_file`] worked out, when it covers the `size` bytes
/// the import read: a file that grew or shrank meanwhile is refused, so that a batch's
/// hash always names the content it stored.
pub(super) fn joined_hash(
    path: &Path,
    hashed: Result<(String, u64), ImportError>,
    size: u64,
) -> Result<String, ImportError> {
    let (hash, hashed) = hashed?;
    if hashed != size {
        return Err(changed(
            path,
            &format!("{size} bytes read, {hashed} bytes hashed"),
        ));
    }
    Ok(hash)
}

/// Where the file can be cut into `parts` segments that read independently (see
/// [`Cuts`]): one quick pass over its bytes, which `cancel` stops.
pub(super) fn cut_file(
    path: &Path,
    parts: usize,
    cutting: Cutting,
    cancel: &AtomicBool,
) -> Result<Cuts, ImportError> {
    let size = std::fs::metadata(path).map_err(io(path))?.len();
    let mut cuts = Cuts::new(size, parts, cutting);
    let mut file = File::open(path).map_err(io(path))?;
    let mut buf = vec![0u8; 1 << 18];
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(ImportError::Cancelled);
        }
        let n = file.read(&mut buf).map_err(io(path))?;
        if n == 0 {
            break;
        }
        cuts.feed(&buf[..n]);
    }
    if cuts.pos != size {
        // The file changed size meanwhile: read it whole.
        cuts.whole = true;
    }
    Ok(cuts)
}

/// Where a file can be cut into segments, found in one quick pass over its bytes. In a
/// CSV file with no quote character every line break ends a record, so a cut just after
/// a line feed is a record boundary; the line it starts is one more than the line feeds
/// before it, when every carriage return is part of a CR LF pair. A CSV file with quotes
/// (a cell may span lines) or a lone carriage return is read as one. In JSON Lines every
/// line is a record, whatever its characters.
pub(super) struct Cuts {
    pub(super) size: u64,
    parts: usize,
    /// Every line is a record, and there is no header.
    lines: bool,
    /// Bytes fed so far.
    pos: u64,
    /// Line feeds so far.
    lf: u64,
    /// The file must be read as one: it has a quote character, a lone carriage return,
    /// or a line break before its header.
    whole: bool,
    /// The last byte fed was a carriage return.
    after_cr: bool,
    /// The end of the first line (the header), once found.
    header_end: Option<u64>,
    /// Cuts found: offset just after a line feed, and the line starting there.
    found: Vec<(u64, u64)>,
}

impl Cuts {
    pub(super) fn new(size: u64, parts: usize, cutting: Cutting) -> Cuts {
        let lines = cutting == Cutting::Lines;
        Cuts {
            size,
            parts: parts.max(1),
            lines,
            pos: 0,
            lf: 0,
            whole: false,
            after_cr: false,
            header_end: lines.then_some(0),
            found: Vec::new(),
        }
    }

    /// Where the next cut should be, at or after: the next `k/parts` of the file.
    fn target(&self) -> Option<u64> {
        let k = self.found.len() + 1;
        (k < self.parts).then(|| self.size / self.parts as u64 * k as u64)
    }

    pub(super) fn feed(&mut self, block: &[u8]) {
        if block.is_empty() || self.whole {
            self.pos += block.len() as u64;
            return;
        }
        let (lf, quote_or_cr) = scan_block(block);
        self.whole = !self.lines
            && ((self.pos == 0 && matches!(block[0], b'\n' | b'\r'))
                || (self.after_cr && block[0] != b'\n')
                || (quote_or_cr
                    && (block.contains(&b'"')
                        || block.windows(2).any(|w| w[0] == b'\r' && w[1] != b'\n'))));
        self.after_cr = block.last() == Some(&b'\r');
        let mut from = 0usize;
        loop {
            // The next line feed that ends the header or makes a cut, if this block has one.
            let want = match (self.header_end, self.target()) {
                (None, _) => 0,
                (Some(_), Some(t)) => {
                    usize::try_from(t.saturating_sub(self.pos)).unwrap_or(usize::MAX)
                }
                (Some(_), None) => break,
            };
            let look = from.max(want);
            let Some(i) = block
                .get(look..)
                .and_then(|b| b.iter().position(|c| *c == b'\n'))
            else {
                break;
            };
            let at = look + i;
            let lf = self.lf + scan_block(&block[..=at]).0;
            let cut = self.pos + at as u64 + 1;
            if self.header_end.is_none() {
                self.header_end = Some(cut);
            } else if cut < self.size {
                self.found.push((cut, lf + 1));
            }
            from = at + 1;
        }
        self.lf += lf;
        self.pos += block.len() as u64;
    }

    /// The segments after the header, when the file can be cut (at least two of them).
    pub(super) fn segments(&self) -> Option<Vec<Segment>> {
        let header_end = self.header_end?;
        // A CSV file ending in a carriage return has a lone one.
        if self.whole || (self.after_cr && !self.lines) || self.found.is_empty() {
            return None;
        }
        let mut starts = vec![(header_end, if self.lines { 1 } else { 2 })];
        starts.extend(self.found.iter().copied());
        let ends = starts.iter().skip(1).map(|(at, _)| *at).chain([self.size]);
        Some(
            starts
                .iter()
                .zip(ends)
                .map(|(&(start, first_line), end)| Segment {
                    start,
                    end,
                    first_line,
                })
                .filter(|s| s.start < s.end)
                .collect(),
        )
    }
}

/// The line feeds in `bytes`, and whether a quote or a carriage return is among them.
/// Bytes go in chunks of 128 whose counts fit a byte, which the compiler keeps in vector
/// lanes: several times quicker than counting byte by byte.
fn scan_block(bytes: &[u8]) -> (u64, bool) {
    let mut lf = 0u64;
    let mut special = 0u8;
    let mut chunks = bytes.chunks_exact(128);
    for c in &mut chunks {
        let n = c
            .iter()
            .fold(0u8, |n, &b| n.wrapping_add(u8::from(b == b'\n')));
        let q = c
            .iter()
            .fold(0u8, |q, &b| q | u8::from(b == b'"') | u8::from(b == b'\r'));
        lf += u64::from(n);
        special |= q;
    }
    for &b in chunks.remainder() {
        lf += u64::from(b == b'\n');
        special |= u8::from(b == b'"') | u8::from(b == b'\r');
    }
    (lf, special != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The segments `text` is cut into in `parts`, fed in blocks of `block` bytes.
    fn cut(text: &str, parts: usize, block: usize) -> Option<Vec<Segment>> {
        cut_as(Cutting::QuoteFreeLines, text, parts, block)
    }

    fn cut_as(cutting: Cutting, text: &str, parts: usize, block: usize) -> Option<Vec<Segment>> {
        let mut cuts = Cuts::new(text.len() as u64, parts, cutting);
        for b in text.as_bytes().chunks(block) {
            cuts.feed(b);
        }
        cuts.segments()
    }

    #[test]
    fn a_hash_of_more_or_fewer_bytes_than_were_read_is_refused() {
        // The file grew (or shrank) between the reading and the hashing: 5 bytes hashed
        // against 6 or 4 read is an error naming both; 5 against 5 gives the hash.
        let path = Path::new("day.csv");
        let hashed = || Ok(("abc".to_string(), 5u64));
        for read in [6, 4] {
            let e = joined_hash(path, hashed(), read).expect_err("changed");
            let message = e.to_string();
            assert!(message.contains("the file changed"), "{message}");
            assert!(message.contains(&format!("{read} bytes read, 5 bytes hashed")));
        }
        assert_eq!(joined_hash(path, hashed(), 5).expect("same size"), "abc");
    }

    #[test]
    fn a_known_hash_raises_same_and_a_cancel_stops_the_hashing() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let p = tmp.path().join("abc.csv");
        std::fs::write(&p, "abc").expect("written");
        // SHA-256("abc"), a FIPS 180-2 test vector.
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        let (same, cancel) = (AtomicBool::new(false), AtomicBool::new(false));
        let known = HashMap::from([(abc.to_string(), 4)]);
        let stop = || cancel.load(Ordering::Relaxed);
        let (hash, size) = hash_file(&p, "", &known, &same, &stop).expect("hashed");
        assert_eq!((hash.as_str(), size), (abc, 3));
        assert!(same.load(Ordering::Relaxed));
        cancel.store(true, Ordering::Relaxed);
        assert!(matches!(
            hash_file(&p, "", &known, &same, &stop),
            Err(ImportError::Cancelled)
        ));
        assert!(matches!(
            cut_file(&p, 2, Cutting::Lines, &cancel),
            Err(ImportError::Cancelled)
        ));
    }

    #[test]
    fn a_file_without_quotes_is_cut_after_line_feeds_with_its_line_numbers() {
        let seg = |start, end, first_line| Segment {
            start,
            end,
            first_line,
        };
        // "h\na\nbb\nc\n": 9 bytes, header ends at 2. In two parts the cut is wanted at
        // 9 / 2 = 4; the first line feed from there is at 6, so the cut is 7, where line
        // 4 (`c`) starts.
        let lf = "h\na\nbb\nc\n";
        // CR LF: 13 bytes, header ends at 3, wanted at 6, line feed at 9: cut at 10.
        let crlf = "h\r\na\r\nbb\r\nc\r\n";
        for block in [1, 2, 3, 5, 64] {
            assert_eq!(
                cut(lf, 2, block),
                Some(vec![seg(2, 7, 2), seg(7, 9, 4)]),
                "{block}"
            );
            assert_eq!(
                cut(crlf, 2, block),
                Some(vec![seg(3, 10, 2), seg(10, 13, 4)]),
                "{block}"
            );
            // Three parts of "h\n" and six one-letter lines (14 bytes): wanted at 4 and
            // 8; line feeds at 5 and 9, so cuts at 6 (line 4) and 10 (line 6).
            assert_eq!(
                cut("h\na\nb\nc\nd\ne\nf\n", 3, block),
                Some(vec![seg(2, 6, 2), seg(6, 10, 4), seg(10, 14, 6)]),
                "{block}"
            );
            // Read whole: a quote anywhere, a lone CR, a CR at the very end, a line
            // break before the header, a single part.
            for whole in [
                "h\na\n\"b\"\nc\n",
                "h\na\rb\nc\n",
                "h\na\nb\nc\r",
                "\nh\na\nb\nc\n",
            ] {
                assert_eq!(cut(whole, 2, block), None, "{whole:?} {block}");
            }
            assert_eq!(cut(lf, 1, block), None);
            // JSON Lines: no header, and quotes and carriage returns are only text.
            // `{"a":1}\r\n` three times: 27 bytes, wanted at 13, line feed at 17: the
            // cut is at 18, where line 3 starts.
            let json = "{\"a\":1}\r\n{\"b\":2}\r\n{\"c\":3}\r\n";
            assert_eq!(
                cut_as(Cutting::Lines, json, 2, block),
                Some(vec![seg(0, 18, 1), seg(18, 27, 3)]),
                "{block}"
            );
        }
    }
}
