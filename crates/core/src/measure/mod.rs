//! Mergeable measure states and the derivation of indicator values from them.
