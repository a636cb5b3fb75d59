//! The command line's own texts in the reader's language: every command's description
//! and every argument's help come from the message catalogue, and so do clap's fixed
//! words (the headings, the help and version flags, the `help` subcommand, default,
//! environment and possible values).
//!
//! The derive API builds the tree from doc comments, which stay as the code's
//! documentation; [`command`] takes that tree and replaces each text by the catalogue's,
//! keyed by where it stands:
//! - `cli.cmd.<path>.about`, `.long`, `.after`: a command's summary, its long
//!   description and the text after its options; `<path>` is the subcommand names
//!   joined by dots (`plan.staffing`), and the top command's keys are `cli.cmd.about`, …;
//! - `cli.arg.<scope>.<id>` and `cli.arg_long.<scope>.<id>`: an argument's help and long
//!   help, `<scope>` being the command path, or `global` for the top command's (global)
//!   arguments;
//! - `cli.value.<scope>.<id>.<value>`: the help of one possible value.
//!
//! A test checks that every command and argument of the tree has its keys in both
//! languages, so a new flag without a translation fails the tests.

use std::ffi::OsString;

use clap::builder::StyledStr;
use clap::{Arg, ArgAction, Command, CommandFactory};
use yardstick_core::i18n;
use yardstick_core::vocab::Lang;

/// Display order of the global arguments in a subcommand's help: after its own.
const GLOBAL_ORDER: usize = 900;
/// Display order of the help and version flags: last.
const FLAG_ORDER: usize = 990;

/// The language asked for on the command line, found before parsing so that the help
/// and the parser's own errors speak it: the last `--lang zh|en` or `--lang=…` before a
/// `--`. Chinese when there is none (or its value is not a language; the parser then
/// reports the value in Chinese).
#[must_use]
pub fn lang_of(args: &[OsString]) -> Lang {
    let mut lang = Lang::Zh;
    let mut rest = args.iter().skip(1).map(|a| a.to_str());
    while let Some(arg) = rest.next() {
        let value = match arg {
            Some("--") => break,
            Some("--lang") => rest.next().flatten(),
            Some(a) => a.strip_prefix("--lang="),
            None => None,
        };
        match value {
            Some("zh") => lang = Lang::Zh,
            Some("en") => lang = Lang::En,
            _ => {}
        }
    }
    lang
}

/// The command tree with every text in `lang`, built (subcommand names, global
/// arguments and the `help` subcommand in place), ready to parse.
#[must_use]
pub fn command(lang: Lang) -> Command {
    let mut cmd = walk(crate::Cli::command(), &[], lang, false, &mut |key, _| {
        text(lang, &key)
    });
    cmd.build();
    finish(&mut cmd, lang);
    cmd
}

/// A catalogue text, `{{` and `}}` turned into braces.
fn text(lang: Lang, key: &str) -> String {
    i18n::format(lang, key, &[])
}

/// Gives the text of a catalogue key, told the derived (doc comment) text it replaces.
type Lookup<'a> = dyn FnMut(String, &str) -> String + 'a;

/// Replaces the texts of `cmd` (at `path`) and of everything under it through `look`,
/// adds the localised help (and, at the top, version) flags and clap's fixed words.
/// `global_long`: a global argument above has long help (so every command has).
fn walk(
    cmd: Command,
    path: &[String],
    lang: Lang,
    global_long: bool,
    look: &mut Lookup<'_>,
) -> Command {
    let dotted = path.join(".");
    let key = |part: &str| {
        if dotted.is_empty() {
            format!("cli.cmd.{part}")
        } else {
            format!("cli.cmd.{dotted}.{part}")
        }
    };
    let mut cmd = cmd;
    if !cmd.is_hide_set() {
        if let Some(about) = cmd.get_about().map(ToString::to_string) {
            cmd = cmd.about(look(key("about"), &about));
        }
        if let Some(long) = cmd.get_long_about().map(ToString::to_string) {
            cmd = cmd.long_about(look(key("long"), &long));
        }
        if let Some(after) = cmd.get_after_help().map(ToString::to_string) {
            cmd = cmd.after_help(look(key("after"), &after));
        }
        if let Some(after) = cmd.get_after_long_help().map(ToString::to_string) {
            cmd = cmd.after_long_help(look(key("after_long"), &after));
        }
    }
    let top = path.is_empty();
    let scope = if top { "global".to_string() } else { dotted };
    let cmd = cmd.mut_args(|arg| localise_arg(arg, &scope, lang, look));
    let global_long = global_long
        || (top
            && cmd
                .get_arguments()
                .any(|a| a.is_global_set() && a.get_long_help().is_some()));
    let long_exists = global_long
        || cmd.get_long_about().is_some()
        || cmd.get_arguments().any(|a| a.get_long_help().is_some());
    let mut help = Arg::new("help")
        .short('h')
        .long("help")
        .action(ArgAction::Help)
        .display_order(FLAG_ORDER);
    help = if long_exists {
        help.help(text(lang, "cli.help.flag_help_short"))
            .long_help(text(lang, "cli.help.flag_help_long"))
    } else {
        help.help(text(lang, "cli.help.flag_help"))
    };
    let mut cmd = cmd.disable_help_flag(true).arg(help);
    if top {
        cmd = cmd.disable_version_flag(true).arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help(text(lang, "cli.help.flag_version"))
                .display_order(FLAG_ORDER + 1),
        );
    }
    cmd.mut_subcommands(|sub| {
        let mut sub_path = path.to_vec();
        sub_path.push(sub.get_name().to_string());
        walk(sub, &sub_path, lang, global_long, look)
    })
}

/// An argument's help, long help and possible values' help through `look`, with
/// clap's own `[default: …]`, `[env: …]` and possible values replaced by the
/// catalogue's words (laid out as clap lays out its own).
fn localise_arg(arg: Arg, scope: &str, lang: Lang, look: &mut Lookup<'_>) -> Arg {
    if arg.is_hide_set() {
        return arg;
    }
    let id = arg.get_id().as_str().to_string();
    let derived = arg.get_help().map(ToString::to_string).unwrap_or_default();
    let help = look(format!("cli.arg.{scope}.{id}"), &derived);
    let long = arg
        .get_long_help()
        .map(ToString::to_string)
        .map(|derived| look(format!("cli.arg_long.{scope}.{id}"), &derived));
    let takes_values = arg.get_action().takes_values();
    // A flag's "possible values" (true, false) are clap's inner workings, never shown.
    let possible = if takes_values {
        arg.get_possible_values()
    } else {
        Vec::new()
    };
    let values: Vec<(String, Option<String>)> = possible
        .iter()
        .filter(|pv| !pv.is_hide_set())
        .map(|pv| {
            let name = pv.get_name().to_string();
            let help = pv
                .get_help()
                .map(|h| look(format!("cli.value.{scope}.{id}.{name}"), &h.to_string()));
            (name, help)
        })
        .collect();

    let mut specs = Vec::new();
    if let Some(env) = arg.get_env().filter(|_| !arg.is_hide_env_set()) {
        let mut shown = env.to_string_lossy().into_owned();
        if !arg.is_hide_env_values_set() {
            let value = std::env::var_os(env).unwrap_or_default();
            shown = format!("{shown}={}", value.to_string_lossy());
        }
        specs.push(i18n::format(lang, "cli.help.env", &[("name", &shown)]));
    }
    let defaults = arg.get_default_values();
    if takes_values && !arg.is_hide_default_value_set() && !defaults.is_empty() {
        let shown: Vec<_> = defaults.iter().map(|d| d.to_string_lossy()).collect();
        let shown = shown.join(" ");
        specs.push(i18n::format(lang, "cli.help.default", &[("value", &shown)]));
    }
    let inline_values = (!values.is_empty() && !arg.is_hide_possible_values_set()).then(|| {
        let names: Vec<&str> = values.iter().map(|(n, _)| n.as_str()).collect();
        let names = names.join(", ");
        i18n::format(lang, "cli.help.possible_values", &[("values", &names)])
    });
    let listed = !arg.is_hide_possible_values_set() && values.iter().any(|(_, h)| h.is_some());

    // Short help: the specifications on the same line.
    let mut short = help.clone();
    for spec in specs.iter().chain(&inline_values) {
        if !short.is_empty() {
            short.push(' ');
        }
        short.push_str(spec);
    }
    // Long help: the values listed with their help, then one specification a line.
    let mut long_text = long.clone().unwrap_or_else(|| help.clone());
    if listed {
        let width = values
            .iter()
            .map(|(n, _)| n.chars().count())
            .max()
            .unwrap_or(0);
        long_text.push_str("\n\n");
        long_text.push_str(&text(lang, "cli.help.possible_values_heading"));
        for (name, help) in &values {
            long_text.push_str("\n- ");
            long_text.push_str(name);
            if let Some(help) = help {
                let pad = width - name.chars().count();
                long_text.push_str(&format!(": {:pad$}{help}", ""));
            }
        }
    }
    let long_specs: Vec<&String> = specs
        .iter()
        .chain(inline_values.iter().filter(|_| !listed))
        .collect();
    if !long_specs.is_empty() {
        long_text.push_str("\n\n");
        let lines: Vec<&str> = long_specs.iter().map(|s| s.as_str()).collect();
        long_text.push_str(&lines.join("\n"));
    }

    let has_env = arg.get_env().is_some();
    let mut arg = arg.help(short);
    if has_env {
        arg = arg.hide_env(true);
    }
    if takes_values {
        arg = arg.hide_default_value(true).hide_possible_values(true);
    }
    if long.is_some() || listed || !long_specs.is_empty() {
        arg = arg.long_help(long_text);
    }
    if scope == "global" && arg.is_global_set() {
        let order = arg.get_display_order();
        arg = arg.display_order(GLOBAL_ORDER + order.min(FLAG_ORDER - GLOBAL_ORDER - 1));
    }
    arg
}

/// After the build: each command's help template (its headings in `lang`), and the
/// `help` subcommands clap added, described in `lang`.
fn finish(cmd: &mut Command, lang: Lang) {
    let template = template(cmd, lang);
    let mut done = std::mem::take(cmd).help_template(template);
    if done.get_name() == "help" {
        done = done.about(text(lang, "cli.help.subcommand"));
        if done.get_arguments().any(|a| a.get_id() == "subcommand") {
            done = done.mut_arg("subcommand", |a| {
                a.help(text(lang, "cli.help.subcommand_arg"))
            });
        }
    }
    *cmd = done;
    for sub in cmd.get_subcommands_mut() {
        finish(sub, lang);
    }
}

/// clap's default help layout with the headings in `lang`: the description, the usage,
/// then the sections the command has (subcommands, positional arguments, options), then
/// the text after the options.
fn template(cmd: &Command, lang: Lang) -> StyledStr {
    let styles = cmd.get_styles();
    let (header, usage) = (styles.get_header(), styles.get_usage());
    let heading = text(lang, "cli.help.usage");
    // "Usage: yardstick …", "用法：yardstick …".
    let gap = if heading.ends_with(':') { " " } else { "" };
    let mut out =
        format!("{{before-help}}{{about-with-newline}}\n{usage}{heading}{usage:#}{gap}{{usage}}");
    let visible = |a: &&Arg| !a.is_hide_set();
    let sections = [
        (
            cmd.get_subcommands().any(|s| !s.is_hide_set()),
            "cli.help.commands",
            "{subcommands}",
        ),
        (
            cmd.get_positionals().filter(visible).count() > 0,
            "cli.help.arguments",
            "{positionals}",
        ),
        (
            cmd.get_arguments()
                .filter(visible)
                .any(|a| !a.is_positional()),
            "cli.help.options",
            "{options}",
        ),
    ];
    for (present, key, part) in sections {
        if present {
            let title = text(lang, key);
            out.push_str(&format!("\n\n{header}{title}{header:#}\n{part}"));
        }
    }
    out.push_str("{after-help}");
    StyledStr::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every text of the tree, with its key, as the walk asks for it.
    fn texts() -> Vec<(String, String)> {
        let mut out = Vec::new();
        let _ = walk(
            crate::Cli::command(),
            &[],
            Lang::En,
            false,
            &mut |key, derived| {
                out.push((key, derived.to_string()));
                derived.to_string()
            },
        );
        out
    }

    #[test]
    fn every_command_and_argument_has_its_texts_in_both_languages() {
        let texts = texts();
        assert!(texts.len() > 100, "{} texts", texts.len());
        let missing: Vec<String> = texts
            .iter()
            .filter(|(key, _)| !i18n::has(key))
            .map(|(key, derived)| format!("{key} = {derived:?}"))
            .collect();
        assert!(
            missing.is_empty(),
            "add these keys to crates/core/data/i18n/en.toml and zh.toml:\n{}",
            missing.join("\n")
        );
    }

    /// A key left behind by a removed or renamed command or argument is an error too.
    #[test]
    fn the_catalogue_holds_no_text_of_a_command_or_argument_that_is_gone() {
        let used: std::collections::BTreeSet<String> =
            texts().into_iter().map(|(key, _)| key).collect();
        let stale: Vec<&str> = i18n::keys()
            .into_iter()
            .filter(|k| {
                ["cli.cmd.", "cli.arg.", "cli.arg_long.", "cli.value."]
                    .iter()
                    .any(|p| k.starts_with(p))
            })
            .filter(|k| !used.contains(*k))
            .collect();
        assert!(stale.is_empty(), "no command or argument has: {stale:?}");
    }

    #[test]
    fn the_language_is_found_before_parsing() {
        let args = |a: &[&str]| -> Vec<OsString> {
            std::iter::once("yardstick")
                .chain(a.iter().copied())
                .map(OsString::from)
                .collect()
        };
        assert_eq!(lang_of(&args(&[])), Lang::Zh);
        assert_eq!(lang_of(&args(&["--lang", "en", "ingest"])), Lang::En);
        assert_eq!(lang_of(&args(&["ingest", "--lang=en"])), Lang::En);
        assert_eq!(lang_of(&args(&["--lang", "en", "--lang", "zh"])), Lang::Zh);
        // Not a language, or after `--`: the default.
        assert_eq!(lang_of(&args(&["--lang", "fr"])), Lang::Zh);
        assert_eq!(lang_of(&args(&["--", "--lang", "en"])), Lang::Zh);
    }

    #[test]
    fn every_help_is_localised_in_both_languages() {
        for lang in [Lang::Zh, Lang::En] {
            let mut cmd = command(lang);
            let help = cmd.render_long_help().to_string();
            let usage = text(lang, "cli.help.usage");
            assert!(help.contains(&usage), "{help}");
            assert!(
                help.contains(&text(lang, "cli.help.flag_version")),
                "{help}"
            );
        }
        let mut zh = command(Lang::Zh);
        let help = zh.render_help().to_string();
        assert!(help.starts_with("度量尺（Yardstick）"), "{help}");
        assert!(
            !help.contains("Usage:") && !help.contains("Options:"),
            "{help}"
        );
    }
}
