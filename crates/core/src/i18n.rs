//! The message catalogue: every user-facing string of the command line, the server and
//! the reports, in Chinese (the default) and English.
//!
//! One TOML file per language (`crates/core/data/i18n/zh.toml`, `en.toml`), compiled
//! into the binary. Keys are dotted paths (`ingest.report.read`); texts hold named
//! placeholders (`{rows}`) filled by [`format`] or the [`t!`](crate::t) macro, and `{{` /
//! `}}` for literal braces. Both files must hold the same keys with the same
//! placeholders: [`problems`] lists every difference, and a test fails on any, so a
//! string can never be shown untranslated.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{Display, Write as _};
use std::sync::OnceLock;

use crate::vocab::Lang;

const ZH: &str = include_str!("../data/i18n/zh.toml");
const EN: &str = include_str!("../data/i18n/en.toml");

/// Both languages' texts by key.
struct Catalogue {
    zh: BTreeMap<String, String>,
    en: BTreeMap<String, String>,
    /// Problems found while reading the files (shown by [`problems`]).
    problems: Vec<String>,
}

fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        let mut problems = Vec::new();
        let zh = flatten_file("zh.toml", ZH, &mut problems);
        let en = flatten_file("en.toml", EN, &mut problems);
        Catalogue { zh, en, problems }
    })
}

fn flatten_file(name: &str, src: &str, problems: &mut Vec<String>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    match src.parse::<toml::Table>() {
        Ok(table) => flatten("", &table, &mut out, name, problems),
        Err(e) => problems.push(format!("{name}: {e}")),
    }
    out
}

fn flatten(
    prefix: &str,
    table: &toml::Table,
    out: &mut BTreeMap<String, String>,
    file: &str,
    problems: &mut Vec<String>,
) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            toml::Value::Table(t) => flatten(&key, t, out, file, problems),
            _ => problems.push(format!("{file}: `{key}` is not a text")),
        }
    }
}

/// The text of `key` in `lang`, without placeholders filled. An unknown key gives the key
/// itself (a test checks that every key used in the source exists).
#[must_use]
pub fn text(lang: Lang, key: &str) -> &'static str {
    let c = catalogue();
    let map = match lang {
        Lang::Zh => &c.zh,
        Lang::En => &c.en,
    };
    map.get(key).map_or_else(|| leak_key(key), String::as_str)
}

/// An unknown key is returned as itself. Keys come from string literals in the source,
/// so this happens only for a key the catalogue test would reject; the text is kept to
/// return a `'static` string without allocating on every call for known keys.
fn leak_key(key: &str) -> &'static str {
    static UNKNOWN: OnceLock<std::sync::Mutex<BTreeSet<&'static str>>> = OnceLock::new();
    let set = UNKNOWN.get_or_init(Default::default);
    let mut set = set
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(k) = set.get(key) {
        return k;
    }
    let k: &'static str = Box::leak(key.to_string().into_boxed_str());
    set.insert(k);
    k
}

/// The text of `key` in `lang` with its placeholders filled from `args` (name, value).
/// A placeholder without an argument is left as written, so a mistake shows rather than
/// vanishes.
#[must_use]
pub fn format(lang: Lang, key: &str, args: &[(&str, &dyn Display)]) -> String {
    fill(text(lang, key), args)
}

/// A catalogue message with its arguments, kept to be shown in the reader's language:
/// core has no reader, so what it reports for people (a located problem of a file) is
/// a key with its values, rendered at the edge by [`Msg::render`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Msg {
    /// Catalogue key.
    pub key: &'static str,
    /// Placeholder values, already formatted.
    pub args: Vec<(&'static str, String)>,
    /// Placeholder values that are catalogue texts themselves (a level's name),
    /// rendered in the message's language.
    pub texts: Vec<(&'static str, &'static str)>,
    /// Placeholder values that are catalogue messages themselves (the problem of an
    /// expression inside a file's problem), rendered in the message's language.
    pub msgs: Vec<(&'static str, Msg)>,
}

impl Msg {
    /// A message without arguments yet.
    #[must_use]
    pub fn new(key: &'static str) -> Msg {
        Msg {
            key,
            args: Vec::new(),
            texts: Vec::new(),
            msgs: Vec::new(),
        }
    }

    /// Adds a placeholder whose value is another catalogue message.
    #[must_use]
    pub fn arg_msg(mut self, name: &'static str, msg: Msg) -> Msg {
        self.msgs.push((name, msg));
        self
    }

    /// Adds a placeholder whose value is the catalogue text of `key`.
    #[must_use]
    pub fn arg_text(mut self, name: &'static str, key: &'static str) -> Msg {
        self.texts.push((name, key));
        self
    }

    /// Adds a placeholder value.
    #[must_use]
    pub fn arg(mut self, name: &'static str, value: impl Display) -> Msg {
        self.args.push((name, value.to_string()));
        self
    }

    /// The message in a language.
    #[must_use]
    pub fn render(&self, lang: Lang) -> String {
        let texts: Vec<(&str, &str)> = self
            .texts
            .iter()
            .map(|(name, key)| (*name, text(lang, key)))
            .collect();
        let msgs: Vec<(&str, String)> = self
            .msgs
            .iter()
            .map(|(name, m)| (*name, m.render(lang)))
            .collect();
        let args: Vec<(&str, &dyn Display)> = self
            .args
            .iter()
            .map(|(k, v)| (*k, v as &dyn Display))
            .chain(texts.iter().map(|(k, v)| (*k, v as &dyn Display)))
            .chain(msgs.iter().map(|(k, v)| (*k, v as &dyn Display)))
            .collect();
        format(lang, self.key, &args)
    }
}

/// In English (for logs and the `Display` of errors that hold a message); shown to a
/// reader through [`Msg::render`].
impl std::fmt::Display for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

/// English phrases of the operating system and the database (and the store's own words
/// for them) with their catalogue keys, longest first so that a long phrase is replaced
/// before a phrase it contains.
const SYSTEM_PHRASES: [(&str, &str); 16] = [
    (
        "the database is read-only (the file or its directory cannot be written)",
        "os.db_read_only",
    ),
    (
        "a part of the path is a file, not a directory",
        "os.not_a_directory",
    ),
    ("no space left on the device (disk full)", "os.no_space"),
    ("the file is not a SQLite database", "os.not_sqlite"),
    ("stream did not contain valid UTF-8", "os.not_utf8"),
    ("it is a directory, not a file", "os.is_a_directory"),
    ("the file system is read-only", "os.read_only"),
    ("No such file or directory", "os.not_found"),
    ("the file cannot be created", "os.cannot_create"),
    ("No space left on device", "os.no_space"),
    ("Read-only file system", "os.read_only"),
    ("Permission denied", "os.permission_denied"),
    ("Not a directory", "os.not_a_directory"),
    ("Is a directory", "os.is_a_directory"),
    ("File too large", "os.too_large"),
    ("Broken pipe", "os.broken_pipe"),
];

/// Text from the operating system or a library (an error's own words, appended to a
/// catalogue message) for a reader of `lang`: Rust's `(os error N)` is dropped, and in
/// Chinese the system's usual English phrases (file not found, permission denied, disk
/// full, read-only…) are replaced by the catalogue's words. Other text is kept as it is.
#[must_use]
pub fn system_text(raw: &str, lang: Lang) -> String {
    let mut out = strip_os_error_codes(raw);
    if lang == Lang::En {
        return out;
    }
    for (phrase, key) in SYSTEM_PHRASES {
        let needle = phrase.to_ascii_lowercase();
        // ASCII lower-casing keeps byte offsets, so a match in the folded text is a
        // match at the same place in the original.
        while let Some(at) = out.to_ascii_lowercase().find(&needle) {
            out.replace_range(at..at + needle.len(), text(lang, key));
        }
    }
    out
}

/// Removes every ` (os error N)` Rust appends to a system error.
fn strip_os_error_codes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(" (os error ") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + " (os error ".len()..];
        match tail.find(')') {
            Some(end) if end > 0 && tail[..end].bytes().all(|b| b.is_ascii_digit()) => {
                rest = &tail[end + 1..];
            }
            _ => {
                out.push_str(" (os error ");
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Fills `{name}` placeholders of `template`.
#[must_use]
pub fn fill(template: &str, args: &[(&str, &dyn Display)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("{{") {
            out.push('{');
            rest = after;
        } else if let Some(after) = tail.strip_prefix("}}") {
            out.push('}');
            rest = after;
        } else if let (true, Some(end)) = (tail.starts_with('{'), tail.find('}')) {
            let name = &tail[1..end];
            match args.iter().find(|(n, _)| *n == name) {
                Some((_, v)) => {
                    let _ = write!(out, "{v}");
                }
                None => out.push_str(&tail[..=end]),
            }
            rest = &tail[end + 1..];
        } else {
            out.push_str(&tail[..1]);
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

/// The placeholder names of a template, sorted.
fn placeholders(template: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            rest = &tail[2..];
        } else if let (true, Some(end)) = (tail.starts_with('{'), tail.find('}')) {
            out.insert(tail[1..end].to_string());
            rest = &tail[end + 1..];
        } else {
            rest = &tail[1..];
        }
    }
    out
}

/// Every key of the catalogue (those of either language).
#[must_use]
pub fn keys() -> BTreeSet<&'static str> {
    let c = catalogue();
    c.zh.keys().chain(c.en.keys()).map(String::as_str).collect()
}

/// Whether `key` is in the catalogue (in both languages).
#[must_use]
pub fn has(key: &str) -> bool {
    let c = catalogue();
    c.zh.contains_key(key) && c.en.contains_key(key)
}

/// Every difference between the two languages: a key in one file only, placeholders that
/// differ, an empty text, and errors reading the files. Empty when the catalogue is whole.
#[must_use]
pub fn problems() -> Vec<String> {
    let c = catalogue();
    let mut out = c.problems.clone();
    for (key, zh) in &c.zh {
        match c.en.get(key) {
            None => out.push(format!("`{key}` has no English text")),
            Some(en) => {
                let (pz, pe) = (placeholders(zh), placeholders(en));
                if pz != pe {
                    out.push(format!(
                        "`{key}`: placeholders differ: zh {pz:?}, en {pe:?}"
                    ));
                }
                if zh.trim().is_empty() || en.trim().is_empty() {
                    out.push(format!("`{key}`: empty text"));
                }
            }
        }
    }
    for key in c.en.keys() {
        if !c.zh.contains_key(key) {
            out.push(format!("`{key}` has no Chinese text"));
        }
    }
    out
}

/// A catalogue text with its placeholders filled:
/// `t!(lang, "ingest.report.read", rows = n)`. The key must be a string literal (a test
/// finds every key used in the source and checks it is in the catalogue).
#[macro_export]
macro_rules! t {
    ($lang:expr, $key:literal) => {
        $crate::i18n::text($lang, $key)
    };
    ($lang:expr, $key:literal, $($name:ident = $value:expr),+ $(,)?) => {
        $crate::i18n::format($lang, $key, &[$((stringify!($name), &$value as &dyn ::std::fmt::Display)),+])
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rust's `(os error 2)` goes in both languages; the phrases are the catalogue's in
    /// Chinese, whatever their case, and text around them stays.
    #[test]
    fn system_text_speaks_the_readers_language() {
        let raw = "cannot read x.csv: No such file or directory (os error 2)";
        assert_eq!(
            system_text(raw, Lang::En),
            "cannot read x.csv: No such file or directory"
        );
        assert_eq!(
            system_text(raw, Lang::Zh),
            "cannot read x.csv: 文件或目录不存在"
        );
        assert_eq!(
            system_text("db: permission denied; (os error x)", Lang::Zh),
            "db: 权限不足; (os error x)"
        );
        assert_eq!(
            system_text("no space left on the device (disk full)", Lang::Zh),
            "设备上没有剩余空间（磁盘已满）"
        );
    }

    #[test]
    fn fills_named_placeholders_and_escapes() {
        let n = 3;
        assert_eq!(
            fill("{n} rows in {{file}} {f}", &[("n", &n), ("f", &"a.csv")]),
            "3 rows in {file} a.csv"
        );
        // A placeholder without an argument stays visible.
        assert_eq!(fill("x {missing} y", &[]), "x {missing} y");
        // A lone brace is kept.
        assert_eq!(fill("a } b { c", &[]), "a } b { c");
    }

    #[test]
    fn placeholders_ignore_escaped_braces() {
        let p = placeholders("{a} {{b}} {c}");
        assert_eq!(p.into_iter().collect::<Vec<_>>(), vec!["a", "c"]);
    }

    #[test]
    fn the_catalogue_is_whole_in_both_languages() {
        let problems = problems();
        assert!(
            problems.is_empty(),
            "catalogue problems:\n{}",
            problems.join("\n")
        );
        assert!(!keys().is_empty());
    }

    #[test]
    fn unknown_keys_come_back_as_themselves() {
        assert_eq!(text(Lang::En, "no.such.key"), "no.such.key");
    }
}
