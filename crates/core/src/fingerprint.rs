//! Content fingerprints (SHA-256) of canonical byte forms, for reproducible evaluations.
