//! A quick hash for short text keys (field names, site ids, customer keys).
//!
//! FNV-1a (64 bits) is several times quicker than the standard library's SipHash on
//! keys of a few bytes. It is not keyed, so it is used only where a collision costs
//! time (hash maps over keys from the organisation and the schema) or, for repeat-flag
//! groups (see `derived`), where keys come from the operator's own records: there two
//! customers merge only on a 64-bit collision, about three chances in a million over 10 M keys (n² / 2^65)
//! if nobody crafts keys to collide (FNV collisions can be constructed; the previous
//! unkeyed SipHash had the same exposure).
//!
//! The record key of the duplicate-id check ([`key128`]) is FNV-1a with 128 bits: the
//! keys are kept on disk in the `.keys` index of every stored file, so the function must
//! be one that is specified and never changes (the standard library's default hasher,
//! used before, is documented as free to change between releases). Two different
//! (site, id) pairs share a key with a chance of about n² / 2^129, nil at any store size,
//! unless ids are crafted to collide.

use std::hash::Hasher;

/// The FNV-1a hasher.
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// FNV-1a, 128 bits: the offset basis and prime of the FNV specification.
const BASIS_128: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
const PRIME_128: u128 = (1 << 88) + (1 << 8) + 0x3b;

/// The 128-bit key of a record id within its site: FNV-1a over the site, a 0xff byte,
/// the id and a 0xff byte (0xff never occurs in UTF-8, so the pair is unambiguous).
pub(crate) fn key128(site: &str, id: &str) -> u128 {
    let mut h = BASIS_128;
    for b in site
        .as_bytes()
        .iter()
        .chain(&[0xff])
        .chain(id.as_bytes())
        .chain(&[0xff])
    {
        h = (h ^ u128::from(*b)).wrapping_mul(PRIME_128);
    }
    h
}

/// The group hash of a row's key strings, `None` when one is missing.
///
/// FNV-1a over the strings (each followed by a 0xff byte, so that `("ab", "c")` and
/// `("a", "bc")` differ), then a 64-bit finaliser (xor-shift and multiply rounds) so
/// that every output bit depends on every input bit: `partition_of` uses the high bits.
pub(crate) fn group_hash<'s>(parts: impl IntoIterator<Item = Option<&'s str>>) -> Option<u64> {
    let mut h = Fnv::default();
    for p in parts {
        h.write(p?.as_bytes());
        h.write(&[0xff]);
    }
    let mut x = h.finish();
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^= x >> 33;
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_1a_matches_the_published_test_vectors() {
        // FNV-1a 64 of "" is the offset basis; of "a" is 0xaf63dc4c8601ec8c (the
        // reference test suite of the FNV authors).
        let of = |s: &str| {
            let mut h = Fnv::default();
            h.write(s.as_bytes());
            h.finish()
        };
        assert_eq!(of(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(of("a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn record_keys_are_fnv_1a_128() {
        // FNV-1a 128 of "a" is d228cb69 6f1a8caf 78912b70 4e4a8964 (the FNV authors'
        // test vectors); the pair (gz-cc, c1) hashes the bytes "gz-cc\xffc1\xff", worked
        // out with arbitrary-precision integers: 0x95714f62…9a3489cb.
        let one = |bytes: &[u8]| {
            bytes.iter().fold(BASIS_128, |h, b| {
                (h ^ u128::from(*b)).wrapping_mul(PRIME_128)
            })
        };
        assert_eq!(one(b"a"), 0xd228_cb69_6f1a_8caf_7891_2b70_4e4a_8964);
        assert_eq!(
            key128("gz-cc", "c1"),
            0x9571_4f62_6d06_0b8f_f19c_ced8_9a34_89cb
        );
        assert_ne!(key128("ab", "c"), key128("a", "bc"));
    }

    #[test]
    fn group_hash_separates_parts_and_needs_every_part() {
        let g = |a: &str, b: &str| group_hash([Some(a), Some(b)]);
        assert_ne!(g("ab", "c"), g("a", "bc"));
        assert_ne!(g("c1", "billing"), g("c2", "billing"));
        assert_ne!(g("c1", "billing"), g("c1", "billinh"));
        assert_eq!(group_hash([Some("c1"), None]), None);
    }

    #[test]
    fn group_hash_spreads_over_the_high_bits() {
        // 4 096 sequential customer keys into 8 parts by the top three bits: each part
        // should get close to 512; a hash without the finaliser puts nearly all of
        // them in a few parts. Allow ±25 %.
        let mut parts = [0usize; 8];
        for i in 0..4096 {
            let k = format!("cust{i:06}");
            let h = group_hash([Some(k.as_str())]).unwrap_or(0);
            parts[usize::try_from(h >> 61).unwrap_or(0)] += 1;
        }
        assert!(parts.iter().all(|n| (384..=640).contains(n)), "{parts:?}");
    }
}
