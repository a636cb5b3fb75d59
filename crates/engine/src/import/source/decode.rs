//! Text encodings of CSV input: named by the user, or detected from the file's first
//! bytes (a byte-order mark; UTF-8; else GB18030, the encoding of Chinese Windows
//! exports, when the bytes read as it), and decoded to UTF-8 as the file streams by.
//!
//! UTF-8 input is read as it is (no copy); other encodings go through `encoding_rs`,
//! refusing bytes that are not valid in the encoding rather than replacing them. GB18030
//! (and GBK, its subset) never uses an ASCII byte inside a multi-byte character, so a
//! file in it can be cut at line feeds like UTF-8; UTF-16 cannot.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use encoding_rs::{Decoder, DecoderResult, Encoding, GB18030, UTF_8, UTF_16BE, UTF_16LE};

use crate::import::error::{ImportError, io};

/// Bytes looked at to detect an encoding.
const SNIFF: usize = 64 << 10;

/// The encoding of a text file and how it was known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::import) struct TextEncoding {
    pub(in crate::import) encoding: &'static Encoding,
    /// Named by the user (or the mapping), not detected.
    pub(in crate::import) named: bool,
}

impl TextEncoding {
    /// UTF-8, the default.
    #[cfg(test)]
    pub(in crate::import) const UTF8: TextEncoding = TextEncoding {
        encoding: UTF_8,
        named: false,
    };

    /// Whether the bytes are UTF-8 already (read without decoding).
    pub(in crate::import) fn is_utf8(self) -> bool {
        self.encoding == UTF_8
    }

    /// Whether every line feed, comma and quote byte of the file is one (no multi-byte
    /// character holds such a byte): then a file can be cut at line feeds.
    pub(in crate::import) fn ascii_safe(self) -> bool {
        self.encoding != UTF_16LE && self.encoding != UTF_16BE
    }

    /// How the report names it: `GB18030 (detected)`, `UTF-16LE`.
    pub(in crate::import) fn describe(self) -> String {
        if self.named {
            self.encoding.name().to_string()
        } else {
            format!("{} (detected)", self.encoding.name())
        }
    }

    /// A decoding reader over `inner` (which starts at the file's start, or at a line's
    /// start for a segment).
    pub(in crate::import) fn reader<R: Read>(self, inner: R) -> Input<R> {
        let decoding = (!self.is_utf8()).then(|| {
            Box::new(Decoding {
                decoder: self.encoding.new_decoder_with_bom_removal(),
                raw: vec![0; 64 << 10],
                start: 0,
                end: 0,
                eof: false,
                out: Vec::with_capacity(128 << 10),
                out_start: 0,
                name: self.encoding.name(),
            })
        });
        Input {
            inner,
            decoding,
            raw_read: 0,
        }
    }
}

/// The encoding a label names (`utf-8`, `gb18030`, `gbk`, `utf-16le`, `utf-16be`, …).
///
/// # Errors
/// [`ImportError::Encoding`] for a label no encoding has.
pub(in crate::import) fn named(label: &str) -> Result<TextEncoding, ImportError> {
    let encoding = Encoding::for_label(label.trim().as_bytes()).ok_or_else(|| {
        ImportError::Encoding(format!(
            "unknown encoding `{label}`; expected utf-8, gb18030, gbk, utf-16le or utf-16be"
        ))
    })?;
    // The GBK decoder is the GB18030 one (a superset): name it so.
    let encoding = if encoding.name() == "GBK" {
        GB18030
    } else {
        encoding
    };
    Ok(TextEncoding {
        encoding,
        named: true,
    })
}

/// The encoding of the file at `path`: `label` when given, else a byte-order mark's, UTF-8
/// when the first bytes are UTF-8, GB18030 when they are not UTF-8 but valid GB18030
/// with at least one multi-byte character, else UTF-8 (whose reading then names the
/// first byte that is not).
///
/// # Errors
/// An unreadable file, an unknown label.
pub(in crate::import) fn detect(
    path: &Path,
    label: Option<&str>,
) -> Result<TextEncoding, ImportError> {
    if let Some(l) = label {
        return named(l);
    }
    let mut head = Vec::with_capacity(SNIFF);
    File::open(path)
        .map_err(io(path))?
        .take(SNIFF as u64)
        .read_to_end(&mut head)
        .map_err(io(path))?;
    Ok(TextEncoding {
        encoding: sniff(&head, head.len() < SNIFF),
        named: false,
    })
}

/// The encoding of a file starting with `head` (the whole file when `whole`).
pub(in crate::import) fn sniff(head: &[u8], whole: bool) -> &'static Encoding {
    if let Some((enc, _)) = Encoding::for_bom(head) {
        return enc;
    }
    match std::str::from_utf8(head) {
        Ok(_) => return UTF_8,
        // Cut inside a character at the end of what was read: UTF-8 so far.
        Err(e) if e.error_len().is_none() && !whole => return UTF_8,
        Err(_) => {}
    }
    let mut decoder = GB18030.new_decoder_without_bom_handling();
    let mut out = vec![0u8; head.len() * 3 + 16];
    let (result, _, _) = decoder.decode_to_utf8_without_replacement(head, &mut out, whole);
    match result {
        DecoderResult::InputEmpty | DecoderResult::OutputFull if chinese_text(head) => GB18030,
        _ => UTF_8,
    }
}

/// Whether the two-byte characters of bytes valid in GB18030 look like Chinese text
/// rather than another single-byte encoding that happens to decode: at least nine in ten
/// of them in the GB2312 block (lead and trail byte both from 0xA1), where the common
/// characters and the full-width punctuation are. A Latin-1 `ç` before a letter (`0xE7
/// 0x65`) is valid GBK but outside that block.
fn chinese_text(head: &[u8]) -> bool {
    let (mut common, mut all) = (0usize, 0usize);
    let mut i = 0;
    while i < head.len() {
        let b = head[i];
        if b < 0x80 {
            i += 1;
            continue;
        }
        match head.get(i + 1) {
            // A four-byte sequence (second byte a digit): rare characters.
            Some(0x30..=0x39) => {
                all += 1;
                i += 4;
            }
            Some(&t) => {
                all += 1;
                if b >= 0xA1 && t >= 0xA1 {
                    common += 1;
                }
                i += 2;
            }
            None => break,
        }
    }
    all > 0 && common * 10 >= all * 9
}

/// A reader of a file's bytes as UTF-8: the bytes themselves, or decoded.
pub(in crate::import) struct Input<R> {
    inner: R,
    decoding: Option<Box<Decoding>>,
    /// Bytes of the file read so far.
    raw_read: u64,
}

struct Decoding {
    decoder: Decoder,
    /// Bytes of the file read and not decoded yet: `raw[start..end]`.
    raw: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    /// Decoded text not handed out yet: `out[out_start..]`.
    out: Vec<u8>,
    out_start: usize,
    name: &'static str,
}

impl<R> Input<R> {
    /// Bytes of the file read so far (for progress: decoded text is longer or shorter).
    pub(in crate::import) fn raw_read(&self) -> u64 {
        self.raw_read
    }

    /// Whether the bytes are decoded (not UTF-8 as they are).
    pub(in crate::import) fn decoding(&self) -> bool {
        self.decoding.is_some()
    }
}

impl<R: Read> Read for Input<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let Some(d) = self.decoding.as_mut() else {
            let n = self.inner.read(buf)?;
            self.raw_read += n as u64;
            return Ok(n);
        };
        // Each round either hands out text, reads more of the file, or ends: the file
        // is finite, and a round that decodes nothing has read more of it first.
        loop {
            if d.out_start < d.out.len() {
                let n = (d.out.len() - d.out_start).min(buf.len());
                buf[..n].copy_from_slice(&d.out[d.out_start..d.out_start + n]);
                d.out_start += n;
                return Ok(n);
            }
            if d.eof && d.start == d.end {
                return Ok(0);
            }
            if d.start == d.end {
                let n = self.inner.read(&mut d.raw)?;
                self.raw_read += n as u64;
                d.start = 0;
                d.end = n;
                d.eof = n == 0;
            }
            d.out.clear();
            d.out_start = 0;
            let room = d
                .decoder
                .max_utf8_buffer_length_without_replacement(d.end - d.start)
                .unwrap_or(d.raw.len() * 3)
                .max(16);
            d.out.resize(room, 0);
            let (result, read, written) = d.decoder.decode_to_utf8_without_replacement(
                &d.raw[d.start..d.end],
                &mut d.out,
                d.eof,
            );
            d.out.truncate(written);
            d.start += read;
            if let DecoderResult::Malformed(bad, after) = result {
                let at =
                    self.raw_read - (d.end - d.start) as u64 - u64::from(after) - u64::from(bad);
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "bytes at offset {at} are not valid {}: name the file's encoding with --encoding",
                        d.name
                    ),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(enc: TextEncoding, bytes: &[u8], chunk: usize) -> std::io::Result<String> {
        let mut r = enc.reader(bytes);
        let mut out = Vec::new();
        let mut buf = vec![0u8; chunk];
        loop {
            let n = r.read(&mut buf)?;
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        Ok(String::from_utf8(out).expect("utf-8 out"))
    }

    #[test]
    fn encodings_are_detected_from_a_mark_or_the_bytes() {
        // 营业厅 in GB18030 is C6 AA D2 B5 CC FC (GB2312 rows 0x46/0x52/0x4C + 0xA0):
        // not UTF-8, valid GB18030.
        let gb = b"site,\xc6\xaa\xd2\xb5\xcc\xfc\n";
        assert_eq!(sniff(gb, true), GB18030);
        assert_eq!(sniff("site,营业厅\n".as_bytes(), true), UTF_8);
        assert_eq!(sniff(b"\xef\xbb\xbfa,b\n", true), UTF_8);
        assert_eq!(sniff(b"\xff\xfea\x00", true), UTF_16LE);
        assert_eq!(sniff(b"\xfe\xff\x00a", true), UTF_16BE);
        // A UTF-8 character cut by the end of the sample is still UTF-8; at the end of
        // the file it is not, and bytes GB18030 refuses (0xFF) fall back to UTF-8.
        assert_eq!(sniff(b"a,\xe8\x90", false), UTF_8);
        assert_eq!(sniff(b"a,\xff\n", true), UTF_8);
        // Latin-1 `façe` (E7 65) is valid GBK but not Chinese text: UTF-8, whose reading
        // then names the byte; one such pair among nine GB2312 ones still reads as
        // GB18030 (9 of 10).
        assert_eq!(sniff(b"fa\xe7e\n", true), UTF_8);
        let mut mixed = b"\xc6\xaa".repeat(9);
        mixed.extend_from_slice(b"\xe7e\n");
        assert_eq!(sniff(&mixed, true), GB18030);
        assert_eq!(named("GBK").expect("gbk").encoding, GB18030);
        assert!(named("klingon").is_err());
    }

    #[test]
    fn decoding_hands_out_utf8_in_any_chunk_size_and_refuses_bad_bytes() {
        let text = "site_id,名称\nh1,文三路营业厅\n";
        let (gb, _, _) = GB18030.encode(text);
        let (le, _, _) = UTF_16LE.encode(text);
        let mut le_bom = vec![0xff, 0xfe];
        // encoding_rs encodes UTF-16 as UTF-8 (the Encoding Standard's output rule), so
        // the UTF-16LE bytes are made by hand.
        le_bom.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let gb_enc = TextEncoding {
            encoding: GB18030,
            named: false,
        };
        let le_enc = TextEncoding {
            encoding: UTF_16LE,
            named: true,
        };
        for chunk in [1, 2, 3, 7, 4096] {
            assert_eq!(decoded(gb_enc, &gb, chunk).expect("gb"), text);
            assert_eq!(decoded(le_enc, &le_bom, chunk).expect("utf-16"), text);
        }
        assert_eq!(le.as_ref(), text.as_bytes());
        // 0xFF is never valid GB18030: refused with its offset (4: after "ab,c").
        let err = decoded(gb_enc, b"ab,c\xff\n", 64).expect_err("malformed");
        assert!(err.to_string().contains("offset 4"), "{err}");
        // UTF-8 passes through and counts its bytes.
        let mut r = TextEncoding::UTF8.reader(&b"abc"[..]);
        let mut s = String::new();
        r.read_to_string(&mut s).expect("read");
        assert_eq!((s.as_str(), r.raw_read(), r.decoding()), ("abc", 3, false));
    }
}
