//! Content fingerprints (SHA-256) of canonical byte forms, for reproducible evaluations.
//!
//! The canonical form is serde_json's output of types whose maps are ordered
//! (`BTreeMap`) and whose lists are in a defined order, so the same value always gives
//! the same bytes and the same fingerprint.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// Hex SHA-256 of some bytes.
#[must_use]
pub fn of_bytes(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hex SHA-256 of the canonical JSON of a value.
///
/// # Errors
/// When the value cannot be serialised as JSON (for example a map with non-string
/// keys): a fingerprint of anything else would silently identify nothing.
pub fn of_json<T: Serialize + ?Sized>(value: &T) -> Result<String, serde_json::Error> {
    Ok(of_bytes(&serde_json::to_vec(value)?))
}

#[cfg(test)]
mod tests {
    #[test]
    fn sha256_of_abc_matches_the_published_test_vector() {
        // FIPS 180-2, Appendix B.1: SHA-256("abc").
        assert_eq!(
            super::of_bytes(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
