//! The `yardstick` binary: parses arguments, calls the application layer, renders what
//! it returns. Nothing else: every rule lives in `yardstick-app` or below.
//!
//! Exit codes (`docs/exit-codes.md`): 0 success; 3 stored with some rows quarantined;
//! 2 invalid input, nothing done (a file, flag or value the user can fix); 4 stored
//! data damaged (no figure given); 1 internal error; 130 interrupted.

mod audit_cmd;
mod data_cmd;
mod eval_cmd;
mod guideline_cmd;
mod help;
mod mapping_cmd;
mod out;
mod pdca_cmd;
mod plan;
mod plan_text;
mod quickstart;
mod render;
mod serve_cmd;
mod table;
mod usage_error;
mod user_cmd;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{FromArgMatches, Parser, Subcommand};
use yardstick_app::{Cancel, Config, Error};
use yardstick_core::t;
use yardstick_core::vocab::Lang;

/// Yardstick (度量尺): one measuring rod for telecom front-line service sites.
#[derive(Parser)]
#[command(name = "yardstick", version, about, long_about = None)]
struct Cli {
    /// Data directory (record files; the metadata database too, unless --database).
    #[arg(
        long,
        global = true,
        env = "YARDSTICK_DATA_DIR",
        default_value = "./yardstick-data"
    )]
    data_dir: PathBuf,
    /// Metadata database URL: sqlite://PATH (default: meta.sqlite in the data
    /// directory) or postgres://USER@HOST/DB.
    #[arg(
        long,
        global = true,
        env = "YARDSTICK_DATABASE_URL",
        hide_env_values = true
    )]
    database: Option<String>,
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
    /// Refuses a non-empty folder that is not a data directory.
    /// Example: yardstick init ./my-data
    Init {
        /// Directory; `--data-dir` or ./yardstick-data when omitted.
        dir: Option<PathBuf>,
    },
    /// Apply pending migrations of the metadata database and print what was applied.
    ///
    /// Example: yardstick --database postgres://yardstick@db/yardstick migrate
    Migrate,
    /// Organisation: operator → province → city → site.
    #[command(subcommand)]
    Org(data_cmd::OrgCommand),
    /// Import record files of one kind; invalid rows are quarantined with their reasons.
    ///
    /// Formats: CSV or JSON Lines with the canonical fields of the kind
    /// (docs/records.md lists every field and the rules that quarantine a row); with
    /// --mapping, any CSV or workbook (.xlsx, .xls, .ods) through a field mapping.
    /// Exit codes: 0 all stored; 3 stored, some rows quarantined; 2 nothing stored.
    /// Example: yardstick ingest hall_ticket tickets-2026-10.csv
    Ingest(data_cmd::IngestArgs),
    /// Field mappings (docs/mapping-format.md): try a foreign file through a mapping before importing it.
    #[command(subcommand)]
    Mapping(mapping_cmd::MappingCommand),
    /// Compute indicators and evaluate sites for a period; the result is frozen in the data directory.
    ///
    /// Examples: yardstick evaluate --period 2026-10;
    /// yardstick evaluate --period 2026-Q3 --scope sc-gz --format json
    Evaluate(eval_cmd::EvaluateArgs),
    /// Frozen evaluations: list, show, verify (recompute and compare the bytes).
    #[command(subcommand)]
    Evaluation(eval_cmd::EvaluationCommand),
    /// The exact distribution of one indicator's values at one site (drill-down).
    ///
    /// Example: yardstick drill --period 2026-10 --site my-f02 --indicator IM-05
    Drill(eval_cmd::DrillArgs),
    /// Stored records.
    #[command(subcommand)]
    Records(data_cmd::RecordsCommand),
    /// Check every stored file against the manifest (size, rows; with --hash, content) and list leftovers.
    ///
    /// Exit code 4 when a stored file is missing or differs.
    Verify {
        /// Also read every file and compare its content hash.
        #[arg(long)]
        hash: bool,
    },
    /// Remove leftovers of killed imports (files no committed batch lists), after listing them.
    Repair {
        /// Only list what would be removed.
        #[arg(long)]
        dry_run: bool,
    },
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
    /// Serve the REST API (/api/v1, OpenAPI at /api/v1/openapi.json, explorer at /api/docs) until Ctrl-C or SIGTERM.
    ///
    /// Examples: yardstick serve; yardstick serve --listen 0.0.0.0:8080 --behind-proxy --log-format json;
    /// yardstick --database postgres://yardstick@db/yardstick serve
    Serve(serve_cmd::ServeArgs),
    /// Users, their roles and scopes (organisation nodes or sites).
    #[command(subcommand)]
    User(user_cmd::UserCommand),
    /// API tokens: create (shown once), list, revoke.
    #[command(subcommand)]
    Token(user_cmd::TokenCommand),
    /// Audits: the Excel checklist template and its import, list, show, sign; audit plans.
    #[command(subcommand)]
    Audit(audit_cmd::AuditCommand),
    /// Findings (不符合项) raised from evaluations, audits and by hand.
    #[command(subcommand)]
    Finding(pdca_cmd::FindingCommand),
    /// Corrective actions (整改): add, start, done, verify, check by the data, list.
    #[command(subcommand)]
    Action(pdca_cmd::ActionCommand),
    /// The activity log: who did what, when and from where, newest first.
    ///
    /// Example: yardstick activity --since 2026-10-01T00:00:00Z --actor li.wei
    Activity(user_cmd::ActivityArgs),
}

/// `demo` subcommands.
#[derive(Subcommand)]
enum DemoCommand {
    /// Write org.toml and one canonical CSV per record kind.
    ///
    /// Example: yardstick demo generate --seed 7 --days 30 --out ./demo
    Generate(quickstart::GenerateArgs),
}

/// What every command gets: the configuration, the language, a cancellation flag.
pub struct Ctx {
    /// Data directory and database.
    pub config: Config,
    /// Output language.
    pub lang: Lang,
    /// Raised on Ctrl-C.
    pub cancel: Cancel,
}

async fn run(cli: Cli, cancel: Cancel) -> Result<u8, Error> {
    let lang: Lang = cli.lang.into();
    let config = Config::new(cli.data_dir.clone()).with_database_url(cli.database.as_deref())?;
    let ctx = Ctx {
        config,
        lang,
        cancel,
    };
    match cli.command {
        Command::Init { dir } => data_cmd::init(&ctx, dir).await,
        Command::Migrate => data_cmd::migrate(&ctx).await,
        Command::Org(cmd) => data_cmd::org(&ctx, cmd).await,
        Command::Ingest(args) => data_cmd::ingest(&ctx, &args).await,
        Command::Mapping(cmd) => mapping_cmd::mapping(&ctx, cmd).await,
        Command::Evaluate(args) => eval_cmd::evaluate(&ctx, &args).await,
        Command::Evaluation(cmd) => eval_cmd::evaluation(&ctx, cmd).await,
        Command::Drill(args) => eval_cmd::drill(&ctx, &args).await,
        Command::Records(cmd) => data_cmd::records(&ctx, cmd).await,
        Command::Verify { hash } => data_cmd::verify(&ctx, hash).await,
        Command::Repair { dry_run } => data_cmd::repair(&ctx, dry_run).await,
        Command::Demo(DemoCommand::Generate(args)) => quickstart::generate(&ctx, &args),
        Command::Quickstart(args) => quickstart::run(&ctx, &args).await,
        Command::Guideline(cmd) => guideline_cmd::run(&ctx, cmd),
        Command::Plan { cmd } => plan::run(&ctx, cmd).await,
        Command::Serve(args) => serve_cmd::serve(&ctx, &args).await,
        Command::User(cmd) => user_cmd::user(&ctx, cmd).await,
        Command::Token(cmd) => user_cmd::token(&ctx, cmd).await,
        Command::Activity(args) => user_cmd::activity(&ctx, &args).await,
        Command::Audit(cmd) => audit_cmd::run(&ctx, cmd).await,
        Command::Finding(cmd) => pdca_cmd::finding(&ctx, cmd).await,
        Command::Action(cmd) => pdca_cmd::action(&ctx, cmd).await,
    }
}

/// The command line parsed with the help and the parser's errors in the language it
/// asks for (`--lang`, Chinese by default); help, version and refusals are printed
/// here, ending the process with clap's exit code (0 for help and version, 2 for a
/// refusal).
fn parse() -> Result<Cli, ExitCode> {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let lang = help::lang_of(&args);
    let mut cmd = help::command(lang);
    let refused = |e: clap::Error| {
        match e.kind() {
            clap::error::ErrorKind::DisplayHelp
            | clap::error::ErrorKind::DisplayVersion
            | clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                // A closed standard output is no failure of the help.
                let _ = e.print();
            }
            _ => eprintln!("{}", usage_error::render(&e, lang)),
        }
        ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
    };
    let matches = cmd.try_get_matches_from_mut(args).map_err(refused)?;
    Cli::from_arg_matches(&matches).map_err(|e| refused(e.with_cmd(&cmd)))
}

fn main() -> ExitCode {
    let cli = match parse() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    let lang: Lang = cli.lang.into();
    // A write past the file size limit (`ulimit -f`) fails with an error instead of
    // killing the process, so it is reported like a full disk.
    let _ = signal_hook::flag::register(
        signal_hook::consts::SIGXFSZ,
        std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)),
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{}: {e}", t!(lang, "common.internal_error"));
            return ExitCode::from(1);
        }
    };
    let cancel = Cancel::new();
    let result = runtime.block_on(async {
        let work = run(cli, cancel.clone());
        tokio::pin!(work);
        tokio::select! {
            r = &mut work => r,
            _ = tokio::signal::ctrl_c() => {
                // Ask the work to stop and give it a moment to remove what it wrote
                // (an import's uncommitted files); a read-only command just ends.
                cancel.cancel();
                match tokio::time::timeout(std::time::Duration::from_secs(10), &mut work).await {
                    Ok(Err(e)) => Err(e),
                    _ => Err(Error::new(yardstick_app::ErrorKind::Cancelled, "error.cancelled")),
                }
            }
        }
    });
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let label = if e.kind() == yardstick_app::ErrorKind::Internal {
                t!(lang, "common.internal_error")
            } else {
                t!(lang, "common.error")
            };
            eprintln!("{label}: {}", e.render(lang));
            ExitCode::from(e.exit_code())
        }
    }
}
