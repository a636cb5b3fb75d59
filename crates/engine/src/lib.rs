//! Yardstick records engine: importers with validation and quarantine, the columnar
//! store (Parquet partitions by kind and month, committed through the manifest in the
//! metadata store), and the computation of indicator measure states per site and day.
//!
//! Data directory layout:
//! ```text
//! <data-dir>/meta.sqlite                         metadata (yardstick-store)
//! <data-dir>/records/<kind>/<YYYY-MM>/b<batch>-<run>.parquet   committed when listed in the manifest
//! <data-dir>/records/<kind>/<YYYY-MM>/b<batch>-<run>.keys      its rows' sorted id keys (duplicate check)
//! <data-dir>/quarantine/b<batch>-<kind>-<run>.csv            rejected rows with every reason
//! <data-dir>/tmp/import-b<batch>-<kind>-<run>/               an import run's temporary files
//! ```

pub mod compute;
pub mod derived;
mod fnv;
pub mod import;
pub mod layout;
pub mod parse;
pub mod schema;
pub mod series;
mod vector;
