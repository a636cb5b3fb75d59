//! Located diagnostics for files users write (guidelines, mappings, organisations,
//! calendars).
//!
//! Every problem names the file, line, column and key path, and says what was expected.
//! Loaders collect all problems before failing, so one run shows every mistake. A
//! problem carries its message as a catalogue message, and its path either as one too
//! ([`Collector::err_msg`]: "site h1.tz") or as the key path written in the file
//! ([`Collector::err_at`]: `indicator[3] (BH-01).measure.value`); [`LoadError::render`]
//! shows them in the reader's language.

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
    /// The path and the message from the catalogue, for readers of either language
    /// (the path `None` when it is a key path as written in the file, the same in every
    /// language); `None` for a diagnostic made by hand with English texts only.
    pub localised: Option<Box<(Option<Msg>, Msg)>>,
}

impl Diagnostic {
    /// The path and the message in `lang` (in English when the loader gave no
    /// catalogue message).
    #[must_use]
    pub fn texts(&self, lang: Lang) -> (String, String) {
        match self.localised.as_deref() {
            Some((path, message)) => (
                path.as_ref()
                    .map_or_else(|| self.path.clone(), |p| p.render(lang)),
                message.render(lang),
            ),
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

    /// Records a problem at a byte span of the source, at a key path as written in the
    /// file (`indicator[3] (BH-01).measure.value`, shown as it is in every language),
    /// with a catalogue message (its English text fills [`Diagnostic::message`]).
    pub fn err_at(&mut self, span: Range<usize>, path: impl Into<String>, message: Msg) {
        let (line, col) = line_col(self.src, span.start);
        self.diags.push(Diagnostic {
            line,
            col,
            path: path.into(),
            message: message.render(Lang::En),
            localised: Some(Box::new((None, message))),
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
            localised: Some(Box::new((Some(path), message))),
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
        // serde names two fields as "`a` or `b`".
        if let Some((first, second)) = expected.and_then(|e| e.split_once("` or `")) {
            return Msg::new("file_check.toml.unknown_field_either")
                .arg("field", field)
                .arg("first", format!("{first}`"))
                .arg("second", format!("`{second}"));
        }
        if let Some(expected) = expected {
            return Msg::new(key).arg("field", field).arg("expected", expected);
        }
    }
    if message == "duplicate key" {
        return Msg::new("diag.toml.duplicate_key");
    }
    // serde's "invalid type: string \"x\", expected f64" (and "invalid value: …"), its
    // words for kinds of values in the reader's language where they are known.
    for (prefix, key) in [
        ("invalid type: ", "file_check.toml.invalid_type"),
        ("invalid value: ", "file_check.toml.invalid_value"),
    ] {
        if let Some((found, expected)) = message
            .strip_prefix(prefix)
            .and_then(|rest| rest.rsplit_once(", expected "))
        {
            return Msg::new(key)
                .arg_msg("found", serde_kind(found))
                .arg_msg("expected", serde_kind(expected));
        }
    }
    Msg::new("diag.toml.other").arg("detail", message)
}

/// serde's words for kinds of values (what it found, what a field expects) with their
/// catalogue keys, whose English text is serde's word itself.
const SERDE_KINDS: [(&str, &str); 13] = [
    ("floating point", "file_check.serde.float"),
    ("a sequence", "file_check.serde.a_sequence"),
    ("a boolean", "file_check.serde.a_boolean"),
    ("a string", "file_check.serde.a_string"),
    ("sequence", "file_check.serde.sequence"),
    ("integer", "file_check.serde.integer"),
    ("boolean", "file_check.serde.boolean"),
    ("string", "file_check.serde.string"),
    ("a map", "file_check.serde.a_map"),
    ("map", "file_check.serde.map"),
    ("f64", "file_check.serde.f64"),
    ("i64", "file_check.serde.i64"),
    ("u32", "file_check.serde.u32"),
];

/// A kind of value in serde's words (`string "x"`, `f64`, `a sequence`) as a catalogue
/// message: a known word alone or followed by the value, else the text as it is.
fn serde_kind(text: &str) -> Msg {
    for (word, key) in SERDE_KINDS {
        if text == word {
            return Msg::new("file_check.serde.kind").arg_text("kind", key);
        }
        if let Some(value) = text
            .strip_prefix(word)
            .and_then(|rest| rest.strip_prefix(' '))
        {
            return Msg::new("file_check.serde.kind_value")
                .arg_text("kind", key)
                .arg("value", value);
        }
    }
    Msg::new("file_check.serde.kind").arg("kind", text)
}

/// A text that the TOML reader could not read at all ("not valid TOML: …"), with the
/// reader's problem as a catalogue message where [`toml_problem`] knows its wording.
#[must_use]
pub fn toml_syntax(message: &str) -> Msg {
    let problem = toml_problem(message);
    let m = Msg::new("file_check.not_toml");
    if problem.key == "diag.toml.other" {
        m.arg("detail", message.trim())
    } else {
        m.arg_msg("detail", problem)
    }
}

/// "unknown X `y`; expected one of: a, b, c"; `what` is the catalogue key of X (a noun
/// of `[file_check.what]`).
#[must_use]
pub fn bad_value(what: &'static str, found: &str, valid: &[&str]) -> Msg {
    Msg::new("file_check.unknown_value")
        .arg_text("what", what)
        .arg("found", found)
        .arg("valid", valid.join(", "))
}

#[cfg(test)]
mod tests {
    use super::{line_col, toml_problem};
    use crate::vocab::Lang;

    #[test]
    fn serde_s_words_for_kinds_of_values_are_translated_where_known() {
        let m = toml_problem("invalid type: floating point `1.5`, expected a sequence");
        assert_eq!(
            m.render(Lang::En),
            "invalid type: floating point `1.5`, expected a sequence"
        );
        assert_eq!(
            m.render(Lang::Zh),
            "值的类型不对：实际为小数 `1.5`，应为数组"
        );
        // A word serde may use that the catalogue does not know stays as it is.
        let m = toml_problem("invalid value: integer `-1`, expected usize");
        assert_eq!(
            m.render(Lang::En),
            "invalid value: integer `-1`, expected usize"
        );
        assert_eq!(m.render(Lang::Zh), "值不对：实际为整数 `-1`，应为usize");
        // Two fields are named with "or".
        let m = toml_problem("unknown field `x`, expected `a` or `b`");
        assert_eq!(m.render(Lang::Zh), "未知字段 `x`，应为 `a` 或 `b`");
        assert_eq!(m.render(Lang::En), "unknown field `x`, expected `a` or `b`");
    }

    #[test]
    fn line_col_counts_characters_not_bytes() {
        // "名称" is 6 bytes but 2 characters; offset 7 is the `x` on line 2, column 3.
        let src = "a\n名称x";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 2), (2, 1));
        assert_eq!(line_col(src, 8), (2, 3));
    }
}
