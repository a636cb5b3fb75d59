//! The guideline as data: model, TOML parser and validator, the built-in default, diff.
