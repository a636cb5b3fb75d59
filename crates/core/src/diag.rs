//! Located diagnostics for files users write (guidelines, organisations, calendars).
//!
//! Every problem names the file, line, column and key path, and says what was expected.
//! Loaders collect all problems before failing, so one run shows every mistake.

use std::fmt;
use std::ops::Range;

/// One located problem in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub col: usize,
    /// Key path, e.g. `indicator[3] (BH-01).measure.value`.
    pub path: String,
    /// What is wrong and what was expected.
    pub message: String,
}

/// Every problem found in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// File name as given by the caller.
    pub file: String,
    /// Problems in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.diagnostics {
            writeln!(
                f,
                "{}:{}:{}: {}: {}",
                self.file, d.line, d.col, d.path, d.message
            )?;
        }
        write!(f, "{} error(s) in {}", self.diagnostics.len(), self.file)
    }
}

impl std::error::Error for LoadError {}

/// Collects diagnostics against one source text.
#[derive(Debug)]
pub struct Collector<'s> {
    src: &'s str,
    /// Problems found so far.
    pub diags: Vec<Diagnostic>,
}

impl<'s> Collector<'s> {
    /// Starts collecting for a source text.
    #[must_use]
    pub fn new(src: &'s str) -> Collector<'s> {
        Collector {
            src,
            diags: Vec::new(),
        }
    }

    /// Records a problem at a byte span of the source.
    pub fn err(&mut self, span: Range<usize>, path: impl Into<String>, message: impl Into<String>) {
        let (line, col) = line_col(self.src, span.start);
        self.diags.push(Diagnostic {
            line,
            col,
            path: path.into(),
            message: message.into(),
        });
    }

    /// Finishes: the value when no problem was found, else every problem in file order.
    ///
    /// # Errors
    /// Returns the collected problems when there are any (or when `value` is `None`).
    pub fn finish<T>(mut self, file: &str, value: Option<T>) -> Result<T, LoadError> {
        match value {
            Some(v) if self.diags.is_empty() => Ok(v),
            _ => {
                if self.diags.is_empty() {
                    self.err(0..0, "(file)", "could not be loaded");
                }
                self.diags.sort_by_key(|d| (d.line, d.col));
                Err(LoadError {
                    file: file.to_string(),
                    diagnostics: self.diags,
                })
            }
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
#[must_use]
pub fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = src.get(..offset).unwrap_or(src);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// "unknown X `y`; expected one of: a, b, c".
#[must_use]
pub fn bad_value(what: &str, found: &str, valid: &[&str]) -> String {
    format!(
        "unknown {what} `{found}`; expected one of: {}",
        valid.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::line_col;

    #[test]
    fn line_col_counts_characters_not_bytes() {
        // "名称" is 6 bytes but 2 characters; offset 7 is the `x` on line 2, column 3.
        let src = "a\n名称x";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 2), (2, 1));
        assert_eq!(line_col(src, 8), (2, 3));
    }
}
