//! Typed column reads shared by both backends' rows, so that a row is turned into a
//! value by one function whatever database it came from.

use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;

use crate::Result;

/// The column types the schema uses: integers (`INTEGER` / `BIGINT`), text, and
/// booleans (`INTEGER` 0/1 in SQLite, `BOOLEAN` in PostgreSQL).
pub(crate) trait Columns {
    /// A non-null integer.
    fn int(&self, col: &str) -> Result<i64>;
    /// A nullable integer.
    fn opt_int(&self, col: &str) -> Result<Option<i64>>;
    /// Non-null text.
    fn text(&self, col: &str) -> Result<String>;
    /// Nullable text.
    fn opt_text(&self, col: &str) -> Result<Option<String>>;
    /// A non-null boolean.
    fn flag(&self, col: &str) -> Result<bool>;
    /// A nullable floating-point number (`REAL` / `DOUBLE PRECISION`).
    fn opt_float(&self, col: &str) -> Result<Option<f64>>;
}

macro_rules! columns_for {
    ($row:ty) => {
        impl Columns for $row {
            fn int(&self, col: &str) -> Result<i64> {
                Ok(self.try_get(col)?)
            }
            fn opt_int(&self, col: &str) -> Result<Option<i64>> {
                Ok(self.try_get(col)?)
            }
            fn text(&self, col: &str) -> Result<String> {
                Ok(self.try_get(col)?)
            }
            fn opt_text(&self, col: &str) -> Result<Option<String>> {
                Ok(self.try_get(col)?)
            }
            fn flag(&self, col: &str) -> Result<bool> {
                Ok(self.try_get(col)?)
            }
            fn opt_float(&self, col: &str) -> Result<Option<f64>> {
                Ok(self.try_get(col)?)
            }
        }
    };
}

columns_for!(SqliteRow);
columns_for!(PgRow);
