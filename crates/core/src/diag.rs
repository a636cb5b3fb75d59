//! Located diagnostics for files users write (guidelines, organisations, calendars).
//!
//! Every problem names the file, line, column and key path, and says what was expected.
//! Loaders collect all problems before failing, so one run shows every mistake. A
//! problem recorded with [`Collector::err_msg`] carries its path and message as
//! catalogue messages, shown in the reader's language by [`LoadError::render`].

use std::fmt;
use std::ops::Range;

use crate::i18n::Msg;
use crate::t;
use crate::vocab::Lang;

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
    /// The path and the message from the catalogue, for readers of either language;
    /// `None` when the loader words them in English only.
    pub localised: Option<Box<(Msg, Msg)>>,
}

impl Diagnostic {
    /// The path and the message in `lang` (in English when the loader gave no
    /// catalogue message).
    #[must_use]
    pub fn texts(&self, lang: Lang) -> (String, String) {
        match self.localised.as_deref() {
            Some((path, message)) => (path.render(lang), message.render(lang)),
            None => (self.path.clone(), self.message.clone()),
        }
    }
}

/// Every problem found in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// File name as given by the caller.
    pub file: String,
    /// Problems in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl LoadError {
    /// Every problem, one a line (`file:line:col: path: message`), then their count, in
    /// `lang`.
    #[must_use]
    pub fn render(&self, lang: Lang) -> String {
        let mut out = String::new();
        for d in &self.diagnostics {
            let (path, message) = d.texts(lang);
            out.push_str(&format!(
                "{}:{}:{}: {path}: {message}\n",
                self.file, d.line, d.col
            ));
        }
        out.push_str(&t!(
            lang,
            "diag.summary",
            count = self.diagnostics.len(),
            file = self.file
        ));
        out
    }
}

/// In English; [`LoadError::render`] speaks either language.
impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Lang::En))
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
            localised: None,
        });
    }

    /// Records a problem whose path and message are catalogue messages (their English
    /// texts fill [`Diagnostic::path`] and [`Diagnostic::message`]).
    pub fn err_msg(&mut self, span: Range<usize>, path: Msg, message: Msg) {
        let (line, col) = line_col(self.src, span.start);
        self.diags.push(Diagnostic {
            line,
            col,
            path: path.render(Lang::En),
            message: message.render(Lang::En),
            localised: Some(Box::new((path, message))),
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
                    self.err_msg(
                        0..0,
                        Msg::new("diag.path.file"),
                        Msg::new("diag.not_loaded"),
                    );
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

/// A problem the TOML reader found (a syntax error, a missing or unknown field, a
/// duplicate key) as a catalogue message; a wording it does not know is kept as it is.
#[must_use]
pub fn toml_problem(message: &str) -> Msg {
    let message = message.trim();
    /// The text between the first pair of backquotes and what follows it.
    fn quoted(s: &str) -> Option<(&str, &str)> {
        let start = s.find('`')? + 1;
        let len = s[start..].find('`')?;
        Some((&s[start..start + len], &s[start + len + 1..]))
    }
    if let Some((field, "")) = message.strip_prefix("missing field ").and_then(quoted) {
        return Msg::new("diag.toml.missing_field").arg("field", field);
    }
    if let Some((field, rest)) = message.strip_prefix("unknown field ").and_then(quoted) {
        let rest = rest.trim_start_matches(',').trim();
        let (key, expected) = match rest.strip_prefix("expected one of ") {
            Some(list) => ("diag.toml.unknown_field_one_of", Some(list)),
            None => ("diag.toml.unknown_field", rest.strip_prefix("expected ")),
        };
        if let Some(expected) = expected {
            return Msg::new(key).arg("field", field).arg("expected", expected);
        }
    }
    if message == "duplicate key" {
        return Msg::new("diag.toml.duplicate_key");
    }
    Msg::new("diag.toml.other").arg("detail", message)
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
