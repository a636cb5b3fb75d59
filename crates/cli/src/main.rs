//! The `yardstick` binary: parses arguments and calls the crates. Nothing else.
//!
//! Exit codes: 0 success, 2 invalid input (a file, flag or value the user can fix),
//! 1 internal error.

mod data_cmd;
mod guideline_cmd;
mod plan;
mod quickstart;
mod store_link;
mod table;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use yardstick_engine::import::ImportOptions;
use yardstick_engine::layout::DataDir;

/// Yardstick (度量尺): one measuring rod for telecom front-line service sites.
#[derive(Parser)]
#[command(name = "yardstick", version, about, long_about = None)]
struct Cli {
    /// Data directory (metadata database and record files).
    #[arg(
        long,
        global = true,
        env = "YARDSTICK_DATA_DIR",
        default_value = "./yardstick-data"
    )]
    data_dir: PathBuf,
    /// Language of tables and messages: zh (default) or en.
    #[arg(long, global = true, value_enum, default_value_t)]
    lang: guideline_cmd::LangArg,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a data directory (default ./yardstick-data) with its metadata database.
    ///
    /// Example: yardstick init ./my-data
    Init {
        /// Directory; `--data-dir` or ./yardstick-data when omitted.
        dir: Option<PathBuf>,
    },
    /// Organisation: operator → province → city → site.
    #[command(subcommand)]
    Org(data_cmd::OrgCommand),
    /// Import record files (CSV or JSON Lines) of one kind; invalid rows are quarantined.
    ///
    /// Example: yardstick ingest hall_ticket tickets-2026-10.csv
    Ingest {
        /// Record kind: hall_ticket, contact, work_order, complaint, survey, subscriber_base, agent_interval.
        kind: String,
        /// Files to import.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Replace what earlier imports hold for the same kind, site and day (corrected re-sends).
        #[arg(long)]
        replace: bool,
        /// Store nothing if any row is invalid.
        #[arg(long)]
        strict: bool,
    },
    /// Compute indicators and evaluate sites for a period; the result is frozen in the data directory.
    ///
    /// Examples: yardstick evaluate --period 2026-10;
    /// yardstick evaluate --period 2026-Q3 --scope gd --format json
    Evaluate {
        /// 2026-10, 2026-Q3, 2026-H1, 2026 or 2026-10-01..2026-10-15.
        #[arg(long)]
        period: String,
        /// Organisation node or site (default: the whole organisation).
        #[arg(long)]
        scope: Option<String>,
        /// Guideline file (default: the built-in guideline).
        #[arg(long)]
        guideline: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t)]
        format: data_cmd::EvalFormat,
        /// Engine computing the measure states (`datafusion` needs a binary built with
        /// `--features datafusion`).
        #[arg(long, value_enum, default_value_t)]
        engine: data_cmd::EngineChoice,
    },
    /// The exact distribution of one indicator's values at one site (drill-down).
    ///
    /// Example: yardstick drill --period 2026-10 --site gz-f03 --indicator IM-05
    Drill {
        /// Period.
        #[arg(long)]
        period: String,
        /// Site id.
        #[arg(long)]
        site: String,
        /// Indicator id.
        #[arg(long)]
        indicator: String,
    },
    /// Stored records.
    #[command(subcommand)]
    Records(data_cmd::RecordsCommand),
    /// Demo data: a realistic organisation with 90 days of records and a few weak sites.
    #[command(subcommand)]
    Demo(DemoCommand),
    /// Generate the demo, import it, evaluate the last full month and print a summary.
    ///
    /// Example: cargo run --release -- quickstart
    Quickstart(quickstart::QuickstartArgs),
    /// Validate, show and compare guideline versions.
    #[command(subcommand)]
    Guideline(guideline_cmd::GuidelineCommand),
    /// Plans: staffing from queueing maths (Erlang C / A), and per-site forecasts with required staff.
    Plan {
        #[command(subcommand)]
        cmd: plan::PlanCommand,
    },
}

/// `demo` subcommands.
#[derive(Subcommand)]
enum DemoCommand {
    /// Write org.toml and one canonical CSV per record kind.
    ///
    /// Example: yardstick demo generate --seed 7 --days 30 --out ./demo
    Generate(quickstart::GenerateArgs),
}

/// An error in what the user gave (exit code 2), as opposed to an internal failure.
#[derive(Debug)]
pub struct InputError(pub String);

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

impl InputError {
    /// An input error with a message saying where and what.
    pub fn new(message: impl Into<String>) -> InputError {
        InputError(message.into())
    }
}

/// Exit code of an error: 2 when an [`InputError`] is anywhere in its chain, else 1.
fn exit_code(err: &anyhow::Error) -> u8 {
    if err.chain().any(|cause| cause.is::<InputError>()) {
        2
    } else {
        1
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let dir = DataDir::new(cli.data_dir.clone());
    let lang = cli.lang.into();
    match cli.command {
        Command::Init { dir: d } => data_cmd::init(&d.map_or(dir, DataDir::new)),
        Command::Org(cmd) => data_cmd::org_command(&dir, cmd),
        Command::Ingest {
            kind,
            files,
            replace,
            strict,
        } => data_cmd::ingest(
            &dir,
            &kind,
            &files,
            ImportOptions { strict, replace },
            false,
        )
        .map(|_| ()),
        Command::Evaluate {
            period,
            scope,
            guideline,
            format,
            engine,
        } => data_cmd::evaluate(
            &dir,
            &period,
            scope.as_deref(),
            guideline.as_ref(),
            format,
            engine,
            lang,
        )
        .map(|_| ()),
        Command::Drill {
            period,
            site,
            indicator,
        } => data_cmd::drill(&dir, &period, &site, &indicator, lang),
        Command::Records(data_cmd::RecordsCommand::Stats) => data_cmd::stats(&dir),
        Command::Demo(DemoCommand::Generate(args)) => quickstart::generate(&args).map(|_| ()),
        Command::Quickstart(args) => quickstart::run(&dir, &args, lang),
        Command::Guideline(cmd) => guideline_cmd::run(cmd),
        Command::Plan { cmd } => plan::run(cmd, lang, &dir),
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if exit_code(&e) == 2 => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("internal error: {e:#}");
            ExitCode::from(1)
        }
    }
}
