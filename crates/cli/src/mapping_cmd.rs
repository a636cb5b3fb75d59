//! `yardstick mapping check MAP FILE`: a file tried through a field mapping without
//! storing anything; the application does the work, this renders it.

use std::path::PathBuf;

use clap::Subcommand;
use yardstick_app::ingest::ReadAs;
use yardstick_app::mapping::{KindCheck, MappingCheckRequest, MappingFile};
use yardstick_app::{Actor, Error};
use yardstick_core::t;
use yardstick_core::vocab::Lang;

use crate::data_cmd::{open, record_kind};
use crate::{Ctx, outln};

/// `mapping` subcommands.
#[derive(Subcommand)]
pub enum MappingCommand {
    /// Try a file through a mapping, storing nothing: the first records mapped, the columns
    /// the mapping does not read, and every row that would be quarantined with its
    /// columns and reasons.
    ///
    /// Exit codes: 0 no row would be quarantined; 3 some would; 2 the mapping or the file
    /// cannot be used (every problem listed).
    /// Example: yardstick mapping check examples/mappings/bank/mapping.toml bank.csv
    Check {
        /// The mapping (TOML, docs/mapping-format.md).
        map: PathBuf,
        /// The file to read through it (.csv; .xlsx, .xls, .ods).
        file: PathBuf,
        /// Only this kind of the mapping's (all by default).
        #[arg(long)]
        kind: Option<String>,
        /// The text encoding of a CSV file (utf-8, gb18030, gbk, utf-16le, utf-16be); detected when omitted.
        #[arg(long)]
        encoding: Option<String>,
        /// The sheet of a workbook, by name or number from 1.
        #[arg(long)]
        sheet: Option<String>,
        /// Records shown per kind.
        #[arg(long, default_value_t = 3)]
        rows: usize,
    },
}

/// Runs a `mapping` subcommand.
pub async fn mapping(ctx: &Ctx, cmd: MappingCommand) -> Result<u8, Error> {
    let MappingCommand::Check {
        map,
        file,
        kind,
        encoding,
        sheet,
        rows,
    } = cmd;
    let mapping = MappingFile::read(&map)?.parse()?;
    let kind = kind.as_deref().map(record_kind).transpose()?;
    let ws = open(ctx).await?;
    let req = MappingCheckRequest {
        path: file,
        mapping,
        kind,
        read_as: ReadAs {
            encoding,
            sheet,
            mapping: None,
            queue_log: None,
        },
        rows,
    };
    let checks = ws.check_mapping(&Actor::System, req, &ctx.cancel).await?;
    let mut quarantined = 0u64;
    for c in &checks {
        print_check(c, ctx.lang)?;
        quarantined += c.rows_quarantined;
    }
    if quarantined == 0 {
        outln!("{}", t!(ctx.lang, "mapping.check.ok"))?;
        Ok(0)
    } else {
        outln!(
            "{}",
            t!(ctx.lang, "mapping.check.not_ok", rows = quarantined)
        )?;
        Ok(3)
    }
}

fn print_check(c: &KindCheck, lang: Lang) -> Result<(), Error> {
    let skipped: u64 = c.ignored.values().sum();
    outln!(
        "{}",
        t!(
            lang,
            "mapping.check.kind",
            kind = &c.kind,
            read = c.rows_read,
            valid = c.rows_valid,
            quarantined = c.rows_quarantined,
            skipped = skipped
        )
    )?;
    for (rule, n) in &c.ignored {
        outln!(
            "    {n:>8}  {}",
            t!(lang, "ingest.report.skipped_rule", rule = rule)
        )?;
    }
    if let Some(e) = &c.encoding {
        outln!("  {}", t!(lang, "ingest.report.encoding", encoding = e))?;
    }
    if let Some(s) = &c.sheet {
        outln!("  {}", t!(lang, "ingest.report.sheet", sheet = s))?;
    }
    if c.sample.is_empty() {
        outln!("  {}", t!(lang, "mapping.check.no_sample"))?;
    } else {
        outln!(
            "  {}",
            t!(lang, "mapping.check.sample", rows = c.sample.len())
        )?;
        for s in &c.sample {
            outln!("    {}", s.origin)?;
            for (field, value) in &s.fields {
                outln!("      {field} = {value}")?;
            }
        }
    }
    if c.unused_columns.is_empty() {
        outln!("  {}", t!(lang, "mapping.check.all_used"))?;
    } else {
        outln!(
            "  {}",
            t!(
                lang,
                "mapping.check.unused",
                columns = c.unused_columns.join(", ")
            )
        )?;
    }
    if !c.problems.is_empty() {
        outln!(
            "  {}",
            t!(lang, "mapping.check.problems", rows = c.rows_quarantined)
        )?;
        for p in &c.problems {
            let cols = if p.columns.is_empty() {
                String::new()
            } else {
                format!(
                    " ({})",
                    t!(
                        lang,
                        "mapping.check.columns",
                        columns = p.columns.join(", ")
                    )
                )
            };
            outln!("    {}{cols}: {}", p.origin, p.reasons.join("; "))?;
        }
        let listed = c.problems.len() as u64;
        if c.rows_quarantined > listed {
            outln!(
                "    {}",
                t!(
                    lang,
                    "mapping.check.more_problems",
                    rows = c.rows_quarantined - listed
                )
            )?;
        }
    }
    Ok(())
}
