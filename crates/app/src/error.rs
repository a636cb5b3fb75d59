//! The one error type of the use cases: what went wrong in the user's language, whether
//! the user can fix it, and how the command line (exit code) and the server (HTTP
//! status) report it.
//!
//! A message is a catalogue key with its arguments, rendered in the caller's language
//! at the edge ([`Error::render`]); the cause chain (database, file system) is kept for
//! logs and appended as detail where it tells the user something (a path and the OS
//! reason), never a stack of repeats.

use std::fmt;

use yardstick_core::i18n;
use yardstick_core::vocab::{Lang, Text};

/// What kind of failure, which decides the exit code and the HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Input the user can fix: a file, flag, value or request body.
    Input,
    /// The named object does not exist (or is outside the caller's scope).
    NotFound,
    /// The request conflicts with the stored state (already exists, wrong state).
    Conflict,
    /// The caller may not do this.
    Forbidden,
    /// Stored data is damaged or inconsistent: a figure cannot be given.
    Damaged,
    /// The work was cancelled (the caller went away, or a signal).
    Cancelled,
    /// A failure of the system (database down, disk full, a bug).
    Internal,
}

impl ErrorKind {
    /// Exit code of the command line (`docs/exit-codes.md`).
    #[must_use]
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::Input | ErrorKind::NotFound | ErrorKind::Conflict | ErrorKind::Forbidden => {
                2
            }
            ErrorKind::Damaged => 4,
            ErrorKind::Cancelled => 130,
            ErrorKind::Internal => 1,
        }
    }

    /// HTTP status of the server.
    #[must_use]
    pub fn http_status(self) -> u16 {
        match self {
            ErrorKind::Input => 400,
            ErrorKind::NotFound => 404,
            ErrorKind::Conflict => 409,
            ErrorKind::Forbidden => 403,
            ErrorKind::Damaged => 500,
            ErrorKind::Cancelled => 499,
            ErrorKind::Internal => 500,
        }
    }
}

/// A message from the catalogue with its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Catalogue key.
    pub key: &'static str,
    /// Placeholder values, already formatted.
    pub args: Vec<(&'static str, String)>,
    /// Placeholder values given in both languages (a lower layer's reason); boxed, as
    /// few messages have one and errors travel in every `Result`.
    pub localised: Option<Box<Vec<(&'static str, Text)>>>,
}

impl Message {
    /// A message without arguments yet.
    #[must_use]
    pub fn new(key: &'static str) -> Message {
        Message {
            key,
            args: Vec::new(),
            localised: None,
        }
    }

    /// Adds a placeholder value.
    #[must_use]
    pub fn arg(mut self, name: &'static str, value: impl fmt::Display) -> Message {
        self.args.push((name, value.to_string()));
        self
    }

    /// Adds a placeholder value given in both languages.
    #[must_use]
    pub fn arg_localised(mut self, name: &'static str, value: Text) -> Message {
        self.localised
            .get_or_insert_with(Default::default)
            .push((name, value));
        self
    }

    /// The message in a language.
    #[must_use]
    pub fn render(&self, lang: Lang) -> String {
        let localised: Vec<(&str, &str)> = self
            .localised
            .iter()
            .flat_map(|l| l.iter())
            .map(|(k, v)| (*k, v.get(lang)))
            .collect();
        let args: Vec<(&str, &dyn fmt::Display)> = self
            .args
            .iter()
            .map(|(k, v)| (*k, v as &dyn fmt::Display))
            .chain(localised.iter().map(|(k, v)| (*k, v as &dyn fmt::Display)))
            .collect();
        i18n::format(lang, self.key, &args)
    }
}

/// What follows an error's message: an underlying error's own words, or a lower
/// layer's reason from the catalogue (rendered in the reader's language).
#[derive(Debug)]
enum Detail {
    Text(String),
    Message(Message),
    Localised(Text),
}

/// An error of a use case.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: Message,
    /// Text appended after the message: an underlying error's own words (a path and the
    /// OS reason, a located parse error) that are not in the catalogue.
    detail: Option<Box<Detail>>,
    /// Lines listed under the message, each in the catalogue (every bad row of a file).
    items: Vec<Message>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    /// An error with a catalogue message.
    #[must_use]
    pub fn new(kind: ErrorKind, key: &'static str) -> Error {
        Error {
            kind,
            message: Message::new(key),
            detail: None,
            items: Vec::new(),
            source: None,
        }
    }

    /// An input error (exit code 2, HTTP 400).
    #[must_use]
    pub fn input(key: &'static str) -> Error {
        Error::new(ErrorKind::Input, key)
    }

    /// A not-found error.
    #[must_use]
    pub fn not_found(key: &'static str) -> Error {
        Error::new(ErrorKind::NotFound, key)
    }

    /// An internal error.
    #[must_use]
    pub fn internal(key: &'static str) -> Error {
        Error::new(ErrorKind::Internal, key)
    }

    /// Adds a placeholder value.
    #[must_use]
    pub fn arg(mut self, name: &'static str, value: impl fmt::Display) -> Error {
        self.message.args.push((name, value.to_string()));
        self
    }

    /// Adds detail text (an underlying error's own words).
    #[must_use]
    pub fn detail(mut self, detail: impl Into<String>) -> Error {
        self.detail = Some(Box::new(Detail::Text(detail.into())));
        self
    }

    /// Adds a placeholder value given in both languages (a lower layer's reason).
    #[must_use]
    pub fn arg_localised(mut self, name: &'static str, value: Text) -> Error {
        self.message = self.message.arg_localised(name, value);
        self
    }

    /// Adds detail given in both languages (a lower layer's reason, rendered there from
    /// the catalogue), shown in the reader's language.
    #[must_use]
    pub fn detail_localised(mut self, detail: Text) -> Error {
        self.detail = Some(Box::new(Detail::Localised(detail)));
        self
    }

    /// Adds detail from the catalogue, shown in the reader's language.
    #[must_use]
    pub fn detail_message(mut self, detail: Message) -> Error {
        self.detail = Some(Box::new(Detail::Message(detail)));
        self
    }

    /// Adds a line to the list under the message (one bad row of a file, …).
    #[must_use]
    pub fn item(mut self, item: Message) -> Error {
        self.items.push(item);
        self
    }

    /// Keeps the cause for logs.
    #[must_use]
    pub fn source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Error {
        self.source = Some(Box::new(source));
        self
    }

    /// The kind.
    #[must_use]
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The catalogue message.
    #[must_use]
    pub fn message(&self) -> &Message {
        &self.message
    }

    /// The detail text, if any.
    #[must_use]
    pub fn detail_text(&self) -> Option<&str> {
        match self.detail.as_deref() {
            Some(Detail::Text(t)) => Some(t),
            _ => None,
        }
    }

    /// The lines listed under the message.
    #[must_use]
    pub fn items(&self) -> &[Message] {
        &self.items
    }

    /// The message in a language, with its detail, then its lines one per line.
    #[must_use]
    pub fn render(&self, lang: Lang) -> String {
        let mut text = self.message.render(lang);
        match self.detail.as_deref() {
            Some(Detail::Text(d)) if !d.is_empty() => {
                text.push_str(": ");
                text.push_str(&i18n::system_text(d, lang));
            }
            Some(Detail::Message(m)) => {
                text.push_str(": ");
                text.push_str(&m.render(lang));
            }
            Some(Detail::Localised(t)) => {
                text.push_str(": ");
                text.push_str(t.get(lang));
            }
            _ => {}
        }
        if !self.items.is_empty() {
            text.push(':');
            for item in &self.items {
                text.push_str("\n  ");
                text.push_str(&item.render(lang));
            }
        }
        text
    }

    /// Exit code of the command line.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        self.kind.exit_code()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|s| s.as_ref() as &(dyn std::error::Error + 'static))
    }
}

/// A text in both languages from a function of the language (a lower layer's
/// `message(lang)`), for [`Error::detail_localised`] and [`Error::arg_localised`].
#[must_use]
pub fn in_both(f: impl Fn(Lang) -> String) -> Text {
    Text::new(f(Lang::Zh), f(Lang::En))
}

/// Result alias of the use cases.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Truncates text quoted from the user's input for a message: long lines are cut with
/// their length said, so a 50 MB line never reaches a terminal.
#[must_use]
pub fn quoted(text: &str, max_chars: usize) -> String {
    let n = text.chars().count();
    if n <= max_chars {
        return text.to_string();
    }
    let head: String = text.chars().take(max_chars).collect();
    format!("{head}… ({n} characters)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_and_statuses_follow_the_table() {
        // docs/exit-codes.md: 2 for what the user can fix, 4 damaged data, 1 internal.
        assert_eq!(ErrorKind::Input.exit_code(), 2);
        assert_eq!(ErrorKind::NotFound.exit_code(), 2);
        assert_eq!(ErrorKind::Damaged.exit_code(), 4);
        assert_eq!(ErrorKind::Internal.exit_code(), 1);
        assert_eq!(ErrorKind::NotFound.http_status(), 404);
        assert_eq!(ErrorKind::Forbidden.http_status(), 403);
    }

    #[test]
    fn listed_lines_follow_the_message_one_per_line() {
        let e = Error::input("error.plan.roster.bad_rows")
            .arg("name", "r.csv")
            .arg("count", 2)
            .item(
                Message::new("error.plan.roster.staff")
                    .arg("line", 3)
                    .arg("value", "x"),
            )
            .item(Message::new("error.plan.roster.more").arg("count", 1));
        assert_eq!(e.items().len(), 2);
        assert_eq!(
            e.render(Lang::En),
            "roster r.csv: 2 bad row(s):\n  line 3: staff `x` is not a whole number ≥ 0\n  … and 1 more"
        );
    }

    #[test]
    fn long_quotes_are_cut_and_say_their_length() {
        assert_eq!(quoted("abc", 5), "abc");
        assert_eq!(quoted("abcdefgh", 3), "abc… (8 characters)");
    }
}
