//! Data-directory commands: `init`, `migrate`, `org import`, `ingest`, `records stats`,
//! `verify`, `repair`. Each calls the application layer and renders its answer.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, Subcommand};
use yardstick_app::ingest::{
    ImportOptions, ImportReport, ImportStatus, IngestOutcome, IngestRequest, ReadAs,
};
use yardstick_app::mapping::{MappingFile, queue_log_spec};
use yardstick_app::{Actor, Config, Error, Notice, Observer, Workspace};
use yardstick_core::records::RecordKind;
use yardstick_core::t;
use yardstick_core::vocab::Lang;

use crate::table::render;
use crate::{Ctx, outln};

/// `org` subcommands.
#[derive(Subcommand)]
pub enum OrgCommand {
    /// Load the organisation (operator → province → city → site) from a TOML file.
    ///
    /// Every problem of the file is reported at once, with its line and column.
    /// Example: yardstick org import org.toml
    Import {
        /// Organisation TOML file (format in docs/organisation-format.md).
        file: PathBuf,
    },
}

/// `records` subcommands.
#[derive(Subcommand)]
pub enum RecordsCommand {
    /// Show committed import batches, and live and superseded rows per kind.
    Stats,
}

/// `ingest` arguments.
#[derive(Args)]
pub struct IngestArgs {
    /// Record kind: hall_ticket, contact, work_order, complaint, survey, subscriber_base, agent_interval;
    /// with --mapping also `all` (every kind the mapping makes, one batch each).
    pub kind: String,
    /// Files to import (.csv, .jsonl, .ndjson; .xlsx, .xls, .ods).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// A field mapping (TOML, docs/mapping-format.md) turning the files' own columns into the kind's fields.
    #[arg(long, value_name = "MAP.toml")]
    pub mapping: Option<PathBuf>,
    /// The text encoding of CSV files (utf-8, gb18030, gbk, utf-16le, utf-16be); detected when omitted.
    #[arg(long)]
    pub encoding: Option<String>,
    /// The sheet of a workbook, by name or number from 1 (the first when omitted).
    #[arg(long)]
    pub sheet: Option<String>,
    /// The files' format when it is not told by their extension: `queue_log` (Asterisk; contact records).
    #[arg(long, value_name = "queue_log")]
    pub format: Option<String>,
    /// queue_log: the site of every queue (or of those the queue map does not name).
    #[arg(long)]
    pub site: Option<String>,
    /// queue_log: a TOML file of each queue's site (`[queues]` name = "site id").
    #[arg(long, value_name = "MAP.toml")]
    pub queue_map: Option<PathBuf>,
    /// Replace what earlier imports hold for the same kind, site and day (corrected re-sends).
    #[arg(long)]
    pub replace: bool,
    /// Store nothing if any row is invalid.
    #[arg(long)]
    pub strict: bool,
    /// Print no report (quickstart and scripts).
    #[arg(long, hide = true)]
    pub quiet: bool,
}

pub(crate) async fn open(ctx: &Ctx) -> Result<Workspace, Error> {
    Workspace::open(&ctx.config).await
}

/// `yardstick init [DIR]`.
pub async fn init(ctx: &Ctx, dir: Option<PathBuf>) -> Result<u8, Error> {
    let config = match dir {
        Some(d) => Config {
            data_dir: d,
            ..ctx.config.clone()
        },
        None => ctx.config.clone(),
    };
    let (_, report) = Workspace::init(&config).await?;
    let lang = ctx.lang;
    let key = if report.created {
        t!(
            lang,
            "init.created",
            dir = report.data_dir.display(),
            db = &report.database
        )
    } else {
        t!(
            lang,
            "init.existing",
            dir = report.data_dir.display(),
            db = &report.database
        )
    };
    outln!("{key}")?;
    for m in &report.migrations {
        outln!("  {}", t!(lang, "migrate.applied", migration = m))?;
    }
    Ok(0)
}

/// `yardstick migrate`.
pub async fn migrate(ctx: &Ctx) -> Result<u8, Error> {
    let applied = Workspace::migrate(&ctx.config).await?;
    if applied.is_empty() {
        outln!("{}", t!(ctx.lang, "migrate.none"))?;
    }
    for m in &applied {
        outln!("{}", t!(ctx.lang, "migrate.applied", migration = m))?;
    }
    Ok(0)
}

/// `yardstick org import FILE`.
pub async fn org(ctx: &Ctx, cmd: OrgCommand) -> Result<u8, Error> {
    let OrgCommand::Import { file } = cmd;
    let text = read_text(&file)?;
    let ws = open(ctx).await?;
    let loaded = ws
        .import_org(&Actor::System, &file.display().to_string(), &text)
        .await?;
    outln!(
        "{}",
        t!(
            ctx.lang,
            "org.loaded",
            nodes = loaded.nodes,
            sites = loaded.sites
        )
    )?;
    Ok(0)
}

/// Reads a text file the user named.
pub(crate) fn read_text(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| {
        Error::input("error.io.read")
            .arg("path", path.display())
            .detail(os_reason(&e))
    })
}

/// The OS reason of an I/O error without the Rust decoration.
pub(crate) fn os_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    text.find(" (os error")
        .map_or(text.clone(), |i| text[..i].to_string())
}

/// Shows an import's progress on standard error and its notices.
struct Bar {
    bar: indicatif::ProgressBar,
    lang: Lang,
}

impl Observer for Bar {
    fn progress(&self, bytes: u64) {
        self.bar.set_position(bytes);
    }

    fn notice(&self, notice: Notice) {
        let text = match notice {
            Notice::WaitingForLock => t!(self.lang, "ingest.notice.waiting").to_string(),
            Notice::Swept { removed } => t!(self.lang, "ingest.notice.swept", files = removed),
        };
        self.bar.suspend(|| eprintln!("{text}"));
    }
}

/// Parses a record kind, listing the kinds when it is unknown.
pub(crate) fn record_kind(kind: &str) -> Result<RecordKind, Error> {
    RecordKind::parse(kind).ok_or_else(|| {
        let kinds: Vec<_> = RecordKind::ALL.iter().map(|k| k.as_str()).collect();
        Error::input("error.kind.unknown")
            .arg("kind", kind)
            .arg("kinds", kinds.join(", "))
    })
}

/// `yardstick ingest KIND FILE...`. The exit code is the worst of the files'.
pub async fn ingest(ctx: &Ctx, args: &IngestArgs) -> Result<u8, Error> {
    let mapping = match &args.mapping {
        Some(p) => Some(MappingFile::read(p)?.parse()?),
        None => None,
    };
    let kinds = match (&mapping, args.kind.as_str()) {
        (Some(m), "all") => m.kinds(),
        (None, "all") => return Err(Error::input("error.mapping.all_needs_mapping")),
        (_, k) => vec![record_kind(k)?],
    };
    let queue_log = match args.format.as_deref() {
        Some("queue_log") => {
            if kinds != [RecordKind::Contact] {
                return Err(Error::input("error.queue_log.kind"));
            }
            Some(Arc::new(queue_log_spec(
                args.site.clone(),
                args.queue_map.as_deref(),
            )?))
        }
        Some(other) => {
            return Err(Error::input("error.ingest.format").arg("format", other));
        }
        None => None,
    };
    let read_as = ReadAs {
        encoding: args.encoding.clone(),
        sheet: args.sheet.clone(),
        mapping,
        queue_log,
    };
    let ws = open(ctx).await?;
    let mut worst = 0u8;
    for kind in kinds {
        worst = worst_code(worst, ingest_kind(ctx, &ws, args, kind, &read_as).await?);
    }
    Ok(worst)
}

/// The files of `args` as records of `kind`.
async fn ingest_kind(
    ctx: &Ctx,
    ws: &Workspace,
    args: &IngestArgs,
    kind: RecordKind,
    read_as: &ReadAs,
) -> Result<u8, Error> {
    let options = ImportOptions {
        strict: args.strict,
        replace: args.replace,
    };
    let mut worst = 0u8;
    let mut failed = 0usize;
    for file in &args.files {
        let size = std::fs::metadata(file).map_or(0, |m| m.len());
        let bar = if args.quiet {
            indicatif::ProgressBar::hidden()
        } else {
            indicatif::ProgressBar::new(size)
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg} [{bar:30}] {bytes}/{total_bytes} {elapsed}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_message(format!("{} {}", kind.as_str(), file.display()));
        let observer = Arc::new(Bar {
            bar: bar.clone(),
            lang: ctx.lang,
        });
        let req = IngestRequest {
            kind,
            path: file.clone(),
            name: None,
            options,
        };
        let result = ws
            .ingest_as(&Actor::System, req, read_as, observer, &ctx.cancel)
            .await;
        bar.finish_and_clear();
        match result {
            Ok(report) => {
                let outcome = IngestOutcome::of(&report);
                if !args.quiet {
                    print_report(&report, ctx.lang, read_as.mapping.is_some())?;
                }
                if outcome == IngestOutcome::NothingStored {
                    eprintln!(
                        "{}",
                        t!(
                            ctx.lang,
                            "ingest.nothing_stored",
                            file = &report.file,
                            rows = report.rows_quarantined
                        )
                    );
                }
                worst = worst_code(worst, outcome.exit_code());
            }
            Err(e) if args.files.len() > 1 && e.exit_code() == 2 => {
                // One bad file of several: say so and go on with the others.
                eprintln!("{}: {}", t!(ctx.lang, "common.error"), e.render(ctx.lang));
                failed += 1;
                worst = worst_code(worst, 2);
            }
            Err(e) => return Err(e),
        }
    }
    if failed > 0 {
        eprintln!("{}", t!(ctx.lang, "ingest.files_failed", files = failed));
    }
    Ok(worst)
}

/// The more serious of two exit codes (2 nothing stored > 3 partly stored > 0).
fn worst_code(a: u8, b: u8) -> u8 {
    let rank = |c: u8| match c {
        0 => 0,
        3 => 1,
        _ => 2,
    };
    if rank(b) > rank(a) { b } else { a }
}

/// The import report: what happened, the accounting, reasons, the quarantine file.
pub(crate) fn print_report(r: &ImportReport, lang: Lang, mapped: bool) -> Result<(), Error> {
    let status = match &r.status {
        ImportStatus::Committed => t!(
            lang,
            "ingest.status.committed",
            batch = r.batch.unwrap_or(0)
        ),
        ImportStatus::AlreadyImported(b) => t!(lang, "ingest.status.already", batch = b),
        ImportStatus::RejectedStrict | ImportStatus::Prepared => {
            t!(lang, "ingest.status.rejected").to_string()
        }
        ImportStatus::AllQuarantined => t!(lang, "ingest.status.all_quarantined").to_string(),
    };
    outln!("{} {} — {status}", r.kind, r.file)?;
    let mut line = t!(
        lang,
        "ingest.report.counts",
        read = r.rows_read,
        stored = r.rows_stored,
        quarantined = r.rows_quarantined,
        duplicates = r.duplicates
    );
    let strict = r.rows_not_stored.saturating_sub(r.rows_ignored);
    if strict > 0 {
        line.push_str(&t!(lang, "ingest.report.not_stored", rows = strict));
    }
    if r.rows_ignored > 0 {
        line.push_str(&t!(lang, "ingest.report.skipped", rows = r.rows_ignored));
    }
    if r.rows_superseded > 0 {
        line.push_str(&t!(
            lang,
            "ingest.report.superseded",
            rows = r.rows_superseded
        ));
    }
    outln!("  {line}")?;
    for (reason, n) in &r.reasons {
        outln!(
            "    {n:>8}  {}",
            yardstick_app::reasons::reason_label(reason, lang)
        )?;
    }
    for (rule, n) in &r.ignored {
        outln!(
            "    {n:>8}  {}",
            t!(lang, "ingest.report.skipped_rule", rule = rule)
        )?;
    }
    if let Some(e) = &r.encoding {
        outln!("  {}", t!(lang, "ingest.report.encoding", encoding = e))?;
    }
    if let Some(sh) = &r.sheet {
        outln!("  {}", t!(lang, "ingest.report.sheet", sheet = sh))?;
    }
    if let Some(q) = &r.quarantine_file {
        outln!("  {}", t!(lang, "ingest.report.quarantine_file", path = q))?;
    }
    if !r.ignored_columns.is_empty() {
        let columns = r.ignored_columns.join(", ");
        let text = if mapped {
            t!(lang, "ingest.report.unused_columns", columns = columns)
        } else {
            t!(
                lang,
                "ingest.report.ignored_columns",
                kind = &r.kind,
                columns = columns
            )
        };
        outln!("  {text}")?;
    }
    Ok(())
}

/// `yardstick records stats`.
pub async fn records(ctx: &Ctx, cmd: RecordsCommand) -> Result<u8, Error> {
    let RecordsCommand::Stats = cmd;
    let ws = open(ctx).await?;
    let stats = ws.record_stats(&Actor::System).await?;
    let lang = ctx.lang;
    let rows: Vec<Vec<String>> = stats
        .batches
        .iter()
        .map(|b| {
            vec![
                b.id.to_string(),
                b.kind.clone(),
                b.file_name.clone(),
                b.rows_read.to_string(),
                b.rows_stored.to_string(),
                b.rows_quarantined.to_string(),
                b.duplicates.to_string(),
                b.rows_superseded.to_string(),
                if b.replace {
                    t!(lang, "records.mode.replace").to_string()
                } else {
                    String::new()
                },
                b.committed_at.clone(),
            ]
        })
        .collect();
    crate::out!(
        "{}",
        render(
            &[
                t!(lang, "records.col.batch"),
                t!(lang, "records.col.kind"),
                t!(lang, "records.col.file"),
                t!(lang, "records.col.read"),
                t!(lang, "records.col.stored"),
                t!(lang, "records.col.quarantined"),
                t!(lang, "records.col.duplicates"),
                t!(lang, "records.col.superseded"),
                t!(lang, "records.col.mode"),
                t!(lang, "records.col.committed"),
            ],
            &rows
        )
    )?;
    for (kind, k) in &stats.kinds {
        outln!(
            "{}",
            t!(
                lang,
                "records.kind_rows",
                kind = kind,
                live = k.live,
                stored = k.stored,
                superseded = k.superseded
            )
        )?;
    }
    Ok(0)
}

/// `yardstick verify [--hash]`.
pub async fn verify(ctx: &Ctx, hash: bool) -> Result<u8, Error> {
    let lang = ctx.lang;
    if let Some((lost, report)) = yardstick_app::housekeeping::verify_lost_metadata(&ctx.config) {
        // The files are listed, the database left as it is (not created).
        eprintln!("{}: {}", t!(lang, "common.error"), lost.render(lang));
        print_leftovers(&report, lang)?;
        return Ok(lost.exit_code());
    }
    let ws = open(ctx).await?;
    let report = ws.verify(&Actor::System, hash).await?;
    outln!(
        "{}",
        t!(lang, "verify.checked", files = report.files_checked)
    )?;
    for p in &report.problems {
        outln!(
            "  {}",
            t!(
                lang,
                "verify.problem",
                path = &p.path,
                batch = p.batch,
                problem = &p.problem
            )
        )?;
    }
    print_leftovers(&report, lang)?;
    if report.is_clean() {
        outln!("{}", t!(lang, "verify.clean"))?;
        Ok(0)
    } else if report.problems.is_empty() {
        outln!("{}", t!(lang, "verify.leftovers_hint"))?;
        Ok(0)
    } else {
        outln!(
            "{}",
            t!(lang, "verify.damaged", files = report.problems.len())
        )?;
        Ok(4)
    }
}

/// The files of no batch and the temporary files of a verify report, one a line.
fn print_leftovers(
    report: &yardstick_app::housekeeping::VerifyReport,
    lang: Lang,
) -> Result<(), Error> {
    for o in &report.orphans {
        outln!("  {}", t!(lang, "verify.orphan", path = o))?;
    }
    for o in &report.temporary {
        outln!("  {}", t!(lang, "verify.temporary", path = o))?;
    }
    Ok(())
}

/// `yardstick repair [--dry-run]`.
pub async fn repair(ctx: &Ctx, dry_run: bool) -> Result<u8, Error> {
    let ws = open(ctx).await?;
    let lang = ctx.lang;
    let listed = ws.repair(&Actor::System, true).await?;
    if listed.is_empty() {
        outln!("{}", t!(lang, "repair.nothing"))?;
        return Ok(0);
    }
    outln!("{}", t!(lang, "repair.will_remove", files = listed.len()))?;
    for p in &listed {
        outln!("  {p}")?;
    }
    if dry_run {
        return Ok(0);
    }
    let removed = ws.repair(&Actor::System, false).await?;
    outln!("{}", t!(lang, "repair.removed", files = removed.len()))?;
    Ok(0)
}
