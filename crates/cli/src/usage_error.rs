//! The parser's refusals (an unknown flag, a missing value, a value not among the
//! possible ones, …) in the reader's language: clap's error kind and context rendered
//! through the catalogue's `cli.error.*` texts, with the usage line and a hint to
//! `--help`, as clap lays out its own. The exit code stays clap's (2).

use std::fmt::Display;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use yardstick_core::i18n;
use yardstick_core::queueing::QueueingError;
use yardstick_core::t;
use yardstick_core::vocab::Lang;

/// Indent of the listed lines (required arguments, conflicting ones, tips), as clap's.
const TAB: &str = "  ";

/// A catalogue text with its placeholders filled.
fn say(lang: Lang, key: &str, args: &[(&str, &dyn Display)]) -> String {
    i18n::format(lang, key, args)
}

/// A context value as one string (a list joined with ", ").
fn string(e: &clap::Error, kind: ContextKind) -> Option<String> {
    match e.get(kind)? {
        ContextValue::String(s) => Some(s.clone()),
        ContextValue::Strings(v) => Some(v.join(", ")),
        ContextValue::Number(n) => Some(n.to_string()),
        ContextValue::StyledStr(s) => Some(s.to_string()),
        _ => None,
    }
}

/// A context value as a list.
fn strings(e: &clap::Error, kind: ContextKind) -> Vec<String> {
    match e.get(kind) {
        Some(ContextValue::Strings(v)) => v.clone(),
        Some(ContextValue::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

/// The whole message for standard error: the error line in `lang` (after the
/// catalogue's "error" label), the lines it lists, tips, the usage and the hint.
#[must_use]
pub fn render(e: &clap::Error, lang: Lang) -> String {
    let mut out = format!("{}: {}", t!(lang, "common.error"), message(e, lang));
    let tips = tips(e, lang);
    if !tips.is_empty() {
        out.push('\n');
        for tip in tips {
            out.push('\n');
            out.push_str(TAB);
            out.push_str(&tip);
        }
    }
    if let Some(usage) = string(e, ContextKind::Usage) {
        // clap's usage starts with its English heading; the catalogue's replaces it.
        let line = usage.trim();
        let line = line.strip_prefix("Usage:").unwrap_or(line).trim_start();
        let heading = t!(lang, "cli.help.usage");
        let gap = if heading.ends_with(':') { " " } else { "" };
        out.push_str(&format!("\n\n{heading}{gap}{line}"));
    }
    out.push_str("\n\n");
    out.push_str(&say(lang, "cli.error.try_help", &[("flag", &"--help")]));
    out
}

/// The error line (and the lines it lists) for the error's kind.
fn message(e: &clap::Error, lang: Lang) -> String {
    let arg = string(e, ContextKind::InvalidArg).unwrap_or_default();
    let value = string(e, ContextKind::InvalidValue).unwrap_or_default();
    let listed = |head: String, items: &[String]| {
        let mut text = head;
        for item in items {
            text.push('\n');
            text.push_str(TAB);
            text.push_str(item);
        }
        text
    };
    match e.kind() {
        ErrorKind::UnknownArgument if !arg.is_empty() => {
            say(lang, "cli.error.unknown_argument", &[("arg", &arg)])
        }
        ErrorKind::InvalidSubcommand => {
            let name = string(e, ContextKind::InvalidSubcommand).unwrap_or_default();
            say(lang, "cli.error.invalid_subcommand", &[("name", &name)])
        }
        ErrorKind::InvalidValue if value.is_empty() && !arg.is_empty() => {
            say(lang, "cli.error.value_required", &[("arg", &arg)])
        }
        ErrorKind::InvalidValue if !arg.is_empty() => {
            let mut text = say(
                lang,
                "cli.error.invalid_value",
                &[("arg", &arg), ("value", &value)],
            );
            let valid = strings(e, ContextKind::ValidValue);
            if !valid.is_empty() {
                let values = valid.join(", ");
                text.push('\n');
                text.push_str(TAB);
                text.push_str(&say(
                    lang,
                    "cli.error.possible_values",
                    &[("values", &values)],
                ));
            }
            text
        }
        ErrorKind::ValueValidation if !arg.is_empty() => {
            let reason = reason(e, lang);
            say(
                lang,
                "cli.error.value_validation",
                &[("arg", &arg), ("value", &value), ("reason", &reason)],
            )
        }
        ErrorKind::MissingRequiredArgument => listed(
            t!(lang, "cli.error.missing_required").to_string(),
            &strings(e, ContextKind::InvalidArg),
        ),
        ErrorKind::MissingSubcommand => {
            let name = string(e, ContextKind::InvalidSubcommand).unwrap_or_default();
            let mut text = say(lang, "cli.error.missing_subcommand", &[("name", &name)]);
            let valid = strings(e, ContextKind::ValidSubcommand);
            if !valid.is_empty() {
                let names = valid.join(", ");
                text.push('\n');
                text.push_str(TAB);
                text.push_str(&say(lang, "cli.error.subcommands", &[("names", &names)]));
            }
            text
        }
        ErrorKind::TooManyValues if !arg.is_empty() => say(
            lang,
            "cli.error.too_many_values",
            &[("arg", &arg), ("value", &value)],
        ),
        ErrorKind::TooFewValues if !arg.is_empty() => {
            let min = string(e, ContextKind::MinValues).unwrap_or_default();
            let actual = string(e, ContextKind::ActualNumValues).unwrap_or_default();
            say(
                lang,
                "cli.error.too_few_values",
                &[("arg", &arg), ("min", &min), ("actual", &actual)],
            )
        }
        ErrorKind::WrongNumberOfValues if !arg.is_empty() => {
            let expected = string(e, ContextKind::ExpectedNumValues).unwrap_or_default();
            let actual = string(e, ContextKind::ActualNumValues).unwrap_or_default();
            say(
                lang,
                "cli.error.wrong_number_of_values",
                &[("arg", &arg), ("expected", &expected), ("actual", &actual)],
            )
        }
        ErrorKind::NoEquals if !arg.is_empty() => {
            say(lang, "cli.error.no_equals", &[("arg", &arg)])
        }
        ErrorKind::ArgumentConflict => conflict(e, lang),
        ErrorKind::InvalidUtf8 => t!(lang, "cli.error.invalid_utf8").to_string(),
        _ => t!(lang, "cli.error.generic").to_string(),
    }
}

/// "cannot be used with": an argument given twice, or with others, or a subcommand
/// with arguments.
fn conflict(e: &clap::Error, lang: Lang) -> String {
    let prior = e.get(ContextKind::PriorArg);
    let (who, one, many) = match (
        string(e, ContextKind::InvalidArg),
        string(e, ContextKind::InvalidSubcommand),
    ) {
        (Some(arg), _) => {
            if prior == Some(&ContextValue::String(arg.clone())) {
                return say(lang, "cli.error.used_twice", &[("arg", &arg)]);
            }
            (
                ("arg", arg),
                "cli.error.conflict",
                "cli.error.conflict_list",
            )
        }
        (None, Some(name)) => (
            ("name", name),
            "cli.error.subcommand_conflict",
            "cli.error.subcommand_conflict_list",
        ),
        (None, None) => return t!(lang, "cli.error.generic").to_string(),
    };
    match prior {
        Some(ContextValue::String(other)) => say(lang, one, &[(who.0, &who.1), ("other", other)]),
        Some(ContextValue::Strings(others)) => {
            let mut text = say(lang, many, &[(who.0, &who.1)]);
            for other in others {
                text.push('\n');
                text.push_str(TAB);
                text.push_str(other);
            }
            text
        }
        _ if who.0 == "arg" => say(lang, "cli.error.conflict_any", &[("arg", &who.1)]),
        _ => say(lang, many, &[(who.0, &who.1)]),
    }
}

/// Why a value could not be read: the value type's own refusal, in `lang` for the
/// types the command line uses (whole and decimal numbers, addresses, dates, the
/// queueing inputs); other refusals in their own words.
fn reason(e: &clap::Error, lang: Lang) -> String {
    use std::error::Error as _;
    use std::num::IntErrorKind;
    let Some(source) = e.source() else {
        return t!(lang, "cli.error.generic").to_string();
    };
    if let Some(q) = source.downcast_ref::<QueueingError>() {
        return q.message(lang);
    }
    let key = if let Some(p) = source.downcast_ref::<std::num::ParseIntError>() {
        match p.kind() {
            IntErrorKind::Empty => "cli.error.reason.empty",
            IntErrorKind::PosOverflow => "cli.error.reason.too_large",
            IntErrorKind::NegOverflow => "cli.error.reason.too_small",
            _ => "cli.error.reason.integer",
        }
    } else if source.is::<std::num::ParseFloatError>() {
        "cli.error.reason.number"
    } else if source.is::<std::net::AddrParseError>() {
        "cli.error.reason.address"
    } else if source.is::<chrono::ParseError>() {
        "cli.error.reason.date"
    } else {
        return i18n::system_text(&source.to_string(), lang);
    };
    i18n::text(lang, key).to_string()
}

/// clap's tips in `lang`: similar names, and its worded suggestions (passing a value
/// that looks like a flag, a flag of a subcommand, a subcommand after `--`). A
/// suggestion of another wording is shown in English only to English readers.
fn tips(e: &clap::Error, lang: Lang) -> Vec<String> {
    let mut out = Vec::new();
    match e.get(ContextKind::SuggestedSubcommand) {
        Some(ContextValue::String(name)) => {
            out.push(say(lang, "cli.error.similar_subcommand", &[("name", name)]));
        }
        Some(ContextValue::Strings(names)) if names.len() == 1 => {
            let name = &names[0];
            out.push(say(lang, "cli.error.similar_subcommand", &[("name", name)]));
        }
        Some(ContextValue::Strings(names)) if !names.is_empty() => {
            let quoted: Vec<String> = names
                .iter()
                .map(|n| say(lang, "cli.error.quoted", &[("value", n)]))
                .collect();
            let names = quoted.join(", ");
            out.push(say(
                lang,
                "cli.error.similar_subcommands",
                &[("names", &names)],
            ));
        }
        _ => {}
    }
    if let Some(name) = string(e, ContextKind::SuggestedArg) {
        out.push(say(lang, "cli.error.similar_argument", &[("name", &name)]));
    }
    if let Some(name) = string(e, ContextKind::SuggestedValue) {
        out.push(say(lang, "cli.error.similar_value", &[("name", &name)]));
    }
    if let Some(ContextValue::StyledStrs(suggestions)) = e.get(ContextKind::Suggested) {
        for s in suggestions {
            let s = s.to_string();
            match suggestion(&s, lang) {
                Some(tip) => out.push(tip),
                None if lang == Lang::En => out.push(format!("tip: {s}")),
                None => {}
            }
        }
    }
    out
}

/// One of clap's worded suggestions in `lang`, when it is one of those it words.
fn suggestion(s: &str, lang: Lang) -> Option<String> {
    /// The text between the first pair of single quotes, and what follows it.
    fn quoted(s: &str) -> Option<(&str, &str)> {
        let start = s.find('\'')? + 1;
        let len = s[start..].find('\'')?;
        Some((&s[start..start + len], &s[start + len + 1..]))
    }
    if let Some(rest) = s.strip_prefix("to pass ") {
        let (arg, rest) = quoted(rest)?;
        let (usage, _) = quoted(rest.strip_prefix(" as a value, use ")?)?;
        return Some(say(
            lang,
            "cli.error.pass_as_value",
            &[("arg", &arg), ("usage", &usage)],
        ));
    }
    if let Some(rest) = s.strip_prefix("subcommand ") {
        let (name, _) = quoted(rest)?;
        return Some(say(lang, "cli.error.remove_dashes", &[("name", &name)]));
    }
    if s.ends_with("' exists") {
        let (usage, _) = quoted(s)?;
        return Some(say(lang, "cli.error.exists", &[("usage", &usage)]));
    }
    None
}
