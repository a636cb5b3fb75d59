//! Yardstick records engine: importers with validation and quarantine, the columnar
//! store (Parquet partitions by kind and month), and the computation of indicator
//! measure states per site and day.
//!
//! The engine is synchronous and knows no database: what it must know of the committed
//! batches comes in as values ([`manifest`]), an import hands back a batch ready to
//! commit ([`import::PreparedBatch`]), and the application commits it through the
//! metadata database. Files live in a data directory ([`layout`]):
//! ```text
//! <data-dir>/records/<kind>/<YYYY-MM>/r<ms>-<rand>.parquet   committed when listed in the manifest
//! <data-dir>/records/<kind>/<YYYY-MM>/r<ms>-<rand>.keys      its rows' sorted id keys (duplicate check)
//! <data-dir>/quarantine/<kind>-r<ms>-<rand>.csv             rejected rows with every reason
//! <data-dir>/tmp/import-<kind>-r<ms>-<rand>-p<pid>/          an import run's temporary files
//! ```

// The crate's own tests share helpers with its integration tests, which name it.
#[cfg(test)]
extern crate self as yardstick_engine;

pub mod compute;
pub mod derived;
mod fnv;
pub mod import;
pub mod integrity;
pub mod layout;
pub mod manifest;
pub mod parse;
pub mod schema;
pub mod series;
mod vector;
