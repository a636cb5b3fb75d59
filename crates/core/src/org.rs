//! The organisation tree: operator → province → city → site, with validation.
