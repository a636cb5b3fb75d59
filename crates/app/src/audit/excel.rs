//! The Excel round trip for evaluators who work in spreadsheets: a site's checklist as
//! an `.xlsx` template (clause, item, text in Chinese and English, method, allowed
//! answers as a dropdown, N/A allowed, veto, empty answer and comment columns; the site,
//! kind and guideline version on a second sheet), and the filled template read back into
//! an audit. Every problem is reported by sheet, row and column (`checklist!I12`), and
//! nothing is stored when any answer is invalid.
//!
//! Written with rust_xlsxwriter, read with calamine (which also reads `.xls` and `.ods`
//! re-saved by another office suite).

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use chrono::NaiveDate;
use rust_xlsxwriter::{DataValidation, Format, Workbook, XlsxError};
use yardstick_core::audit::{AnswerProblem, AuditKind, checklist_item, parse_answer};
use yardstick_core::t;
use yardstick_core::vocab::Lang;

use super::{AnswerInput, AuditHeader, Checklist, NewAuditRequest};
use crate::error::{Error, Message, Result};
use crate::evaluate::GuidelineChoice;
use crate::scope::Actor;
use crate::workspace::Workspace;

/// The sheet holding the checklist.
pub const CHECKLIST_SHEET: &str = "checklist";
/// The sheet saying which site, kind and guideline the template is for.
pub const ABOUT_SHEET: &str = "about";

/// The columns of the checklist sheet, by their catalogue key.
const COLUMNS: [&str; 10] = [
    "clause",
    "item",
    "text_zh",
    "text_en",
    "method",
    "allowed",
    "na_allowed",
    "veto",
    "answer",
    "comment",
];

fn column_key(c: &str) -> &'static str {
    match c {
        "clause" => "audit.template.col.clause",
        "item" => "audit.template.col.item",
        "text_zh" => "audit.template.col.text_zh",
        "text_en" => "audit.template.col.text_en",
        "method" => "audit.template.col.method",
        "allowed" => "audit.template.col.allowed",
        "na_allowed" => "audit.template.col.na_allowed",
        "veto" => "audit.template.col.veto",
        "answer" => "audit.template.col.answer",
        _ => "audit.template.col.comment",
    }
}

/// A column's header: Chinese / English.
fn header_text(c: &str) -> String {
    format!(
        "{} / {}",
        yardstick_core::i18n::text(Lang::Zh, column_key(c)),
        yardstick_core::i18n::text(Lang::En, column_key(c))
    )
}

/// A column letter (0 → A, 25 → Z, 26 → AA).
fn column_letter(mut c: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(char::from(b'A' + u8::try_from(c % 26).unwrap_or(0)));
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    out.iter().rev().collect()
}

fn xlsx_error(e: &XlsxError) -> Error {
    Error::internal("error.audit.template.write").detail(e.to_string())
}

/// The template of a checklist for an audit of `kind`, as `.xlsx` bytes.
///
/// # Errors
/// Internal errors of the writer.
pub fn template_bytes(c: &Checklist, kind: AuditKind) -> Result<Vec<u8>> {
    write_template(c, kind).map_err(|e| xlsx_error(&e))
}

fn write_template(c: &Checklist, kind: AuditKind) -> std::result::Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    {
        let ws = wb.add_worksheet();
        ws.set_name(CHECKLIST_SHEET)?;
        for (col, name) in COLUMNS.iter().enumerate() {
            let col = u16::try_from(col).unwrap_or(0);
            ws.write_string_with_format(0, col, header_text(name), &bold)?;
        }
        for (col, width) in [10.0, 12.0, 48.0, 48.0, 10.0, 16.0, 8.0, 6.0, 10.0, 30.0]
            .iter()
            .enumerate()
        {
            ws.set_column_width(u16::try_from(col).unwrap_or(0), *width)?;
        }
        ws.set_freeze_panes(1, 2)?;
        for (i, line) in c.lines.iter().enumerate() {
            let row = u32::try_from(i + 1).unwrap_or(u32::MAX);
            ws.write_string(row, 0, &line.clause)?;
            ws.write_string(row, 1, &line.item)?;
            ws.write_string_with_format(row, 2, &line.text.zh, &wrap)?;
            ws.write_string_with_format(row, 3, &line.text.en, &wrap)?;
            let method = match line.max_points {
                Some(max) => format!("points (0–{max})"),
                None => line.method.to_string(),
            };
            ws.write_string(row, 4, &method)?;
            ws.write_string(row, 5, line.allowed.join(", "))?;
            ws.write_string(row, 6, yes_no(line.na_allowed))?;
            ws.write_string(row, 7, yes_no(line.veto))?;
            if !line.allowed.is_empty() {
                let dv = DataValidation::new()
                    .allow_list_strings(&line.allowed)?
                    .ignore_blank(true);
                ws.add_data_validation(row, 8, row, 8, &dv)?;
            }
        }
    }
    let ws = wb.add_worksheet();
    ws.set_name(ABOUT_SHEET)?;
    for (row, (k, v)) in [
        ("site", c.site.clone()),
        (
            "site_name",
            format!("{} / {}", c.site_name.zh, c.site_name.en),
        ),
        ("kind", kind.as_str().to_string()),
        ("guideline", c.guideline.clone()),
        ("guideline_fingerprint", c.guideline_fingerprint.clone()),
    ]
    .iter()
    .enumerate()
    {
        let row = u32::try_from(row).unwrap_or(0);
        ws.write_string_with_format(row, 0, *k, &bold)?;
        ws.write_string(row, 1, v)?;
    }
    ws.set_column_width(0, 22.0)?;
    ws.set_column_width(1, 70.0)?;
    wb.save_to_buffer()
}

/// A filled template to import.
#[derive(Debug, Clone)]
pub struct ImportAudit {
    /// The file's name (labels messages).
    pub file_name: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Site.
    pub site: String,
    /// Kind.
    pub kind: AuditKind,
    /// Evaluator's login.
    pub evaluator: String,
    /// Day of the audit.
    pub date: NaiveDate,
    /// Sign it once recorded.
    pub sign: bool,
}

/// A cell's text: strings trimmed, whole numbers without a fraction.
fn cell_text(d: &Data) -> String {
    match d {
        Data::String(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

/// The message of an answer's problem, located.
pub(crate) fn answer_problem(at: &str, item: &str, p: &AnswerProblem) -> Message {
    let m = |key: &'static str| Message::new(key).arg("at", at).arg("item", item);
    match p {
        AnswerProblem::Empty => m("error.answer.empty"),
        AnswerProblem::NotApplicableRefused => m("error.answer.na_refused"),
        AnswerProblem::Unknown { given, allowed } => m("error.answer.unknown")
            .arg("given", given)
            .arg("allowed", allowed),
        AnswerProblem::ScaleOutOfRange { given } => m("error.answer.scale").arg("given", given),
        AnswerProblem::PointsOutOfRange { given, max } => {
            m("error.answer.points").arg("given", given).arg("max", max)
        }
    }
}

/// What a sheet says: the answers given, and every problem found.
struct Read {
    answers: Vec<AnswerInput>,
    problems: Vec<Message>,
    /// The guideline fingerprint the template names.
    guideline: Option<String>,
}

fn unreadable(file: &str, detail: impl ToString) -> Error {
    Error::input("error.audit.import.unreadable")
        .arg("file", file)
        .detail(detail.to_string())
}

/// Reads a filled template, checking every answer against the site's checklist.
fn read_template(
    req: &ImportAudit,
    check: &dyn Fn(&str) -> Option<yardstick_core::guideline::Item>,
) -> Result<Read> {
    let file = req.file_name.as_str();
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(req.bytes.as_slice()))
        .map_err(|e| unreadable(file, e))?;
    let mut problems = Vec::new();
    let mut guideline = None;
    if let Ok(about) = wb.worksheet_range(ABOUT_SHEET) {
        for (i, row) in about.rows().enumerate() {
            let key = row.first().map(cell_text).unwrap_or_default();
            let value = row.get(1).map(cell_text).unwrap_or_default();
            let at = format!("{ABOUT_SHEET}!B{}", i + 1);
            match key.as_str() {
                "site" if value != req.site => problems.push(
                    Message::new("error.audit.import.site")
                        .arg("at", &at)
                        .arg("found", &value)
                        .arg("site", &req.site),
                ),
                "kind" if value != req.kind.as_str() => problems.push(
                    Message::new("error.audit.import.kind")
                        .arg("at", &at)
                        .arg("found", &value)
                        .arg("kind", req.kind.as_str()),
                ),
                "guideline_fingerprint" if !value.is_empty() => guideline = Some(value),
                _ => {}
            }
        }
    }
    let range = wb.worksheet_range(CHECKLIST_SHEET).map_err(|_| {
        Error::input("error.audit.import.no_sheet")
            .arg("file", file)
            .arg("sheet", CHECKLIST_SHEET)
    })?;
    let (row0, col0) = range.start().unwrap_or((0, 0));
    let (row0, col0) = (
        usize::try_from(row0).unwrap_or(0),
        usize::try_from(col0).unwrap_or(0),
    );
    let mut rows = range.rows();
    let head: Vec<String> = rows
        .next()
        .map(|r| r.iter().map(cell_text).collect())
        .unwrap_or_default();
    let find = |name: &str| {
        let full = header_text(name);
        let en = yardstick_core::i18n::text(Lang::En, column_key(name));
        let zh = yardstick_core::i18n::text(Lang::Zh, column_key(name));
        head.iter().position(|h| *h == full || h == en || h == zh)
    };
    let mut cols = BTreeMap::new();
    for name in ["item", "answer", "comment"] {
        match find(name) {
            Some(c) => {
                cols.insert(name, c);
            }
            None => {
                return Err(Error::input("error.audit.import.no_column")
                    .arg("file", file)
                    .arg("sheet", CHECKLIST_SHEET)
                    .arg("column", header_text(name)));
            }
        }
    }
    let at = |row: usize, col: usize| {
        format!(
            "{CHECKLIST_SHEET}!{}{}",
            column_letter(col0 + col),
            row0 + row + 1
        )
    };
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut answers = Vec::new();
    for (i, row) in rows.enumerate() {
        let r = i + 1;
        let get = |name: &str| row.get(cols[name]).map(cell_text).unwrap_or_default();
        let (item, answer, comment) = (get("item"), get("answer"), get("comment"));
        if item.is_empty() {
            if !answer.is_empty() {
                problems.push(
                    Message::new("error.audit.import.no_item").arg("at", at(r, cols["item"])),
                );
            }
            continue;
        }
        let Some(def) = check(&item) else {
            problems.push(
                Message::new("error.audit.item_line")
                    .arg("at", at(r, cols["item"]))
                    .arg("item", &item),
            );
            continue;
        };
        if answer.is_empty() {
            continue;
        }
        if let Some(first) = seen.insert(item.clone(), row0 + r + 1) {
            problems.push(
                Message::new("error.audit.import.duplicate")
                    .arg("at", at(r, cols["item"]))
                    .arg("item", &item)
                    .arg("first", first),
            );
            continue;
        }
        match parse_answer(&def, &answer) {
            Ok(a) => answers.push(AnswerInput {
                item,
                answer: a,
                comment,
            }),
            Err(p) => problems.push(answer_problem(&at(r, cols["answer"]), &item, &p)),
        }
    }
    Ok(Read {
        answers,
        problems,
        guideline,
    })
}

impl Workspace {
    /// The Excel template of a site's checklist for an audit of `kind`.
    ///
    /// # Errors
    /// As [`Workspace::checklist`].
    pub async fn audit_template(
        &self,
        actor: &Actor,
        site: &str,
        kind: AuditKind,
        guideline: &GuidelineChoice,
    ) -> Result<Vec<u8>> {
        let c = self.checklist(actor, site, guideline).await?;
        template_bytes(&c, kind)
    }

    /// Imports a filled template as an audit (signed when asked). Every problem is
    /// listed by sheet, row and column, and nothing is stored when there is any.
    ///
    /// # Errors
    /// Input errors (an unreadable file, a missing sheet or column, bad answers, a
    /// template of another site or kind, no answer at all); forbidden; as
    /// [`Workspace::record_audit`].
    pub async fn import_audit(&self, actor: &Actor, req: &ImportAudit) -> Result<AuditHeader> {
        let org = self.require_org().await?;
        let scene = org
            .site(&req.site)
            .map(|s| s.scene)
            .ok_or_else(|| Error::input("error.site.unknown").arg("site", &req.site))?;
        // The guideline the template names, when recorded here; the built-in one else.
        let named = {
            let peek = read_template(req, &|_| None).ok().and_then(|r| r.guideline);
            match peek {
                Some(fp)
                    if self
                        .store
                        .guideline_text(&fp)
                        .await
                        .ok()
                        .flatten()
                        .is_some() =>
                {
                    GuidelineChoice::Stored(fp)
                }
                _ => GuidelineChoice::Builtin,
            }
        };
        let c = self.checklist(actor, &req.site, &named).await?;
        let g = self.stored_guideline(&c.guideline_fingerprint).await?;
        let read = read_template(req, &|id| {
            checklist_item(&g, scene, id).map(|e| e.item.clone())
        })?;
        if !read.problems.is_empty() {
            let mut err = Error::input("error.audit.import.invalid")
                .arg("file", &req.file_name)
                .arg("n", read.problems.len());
            for p in read.problems {
                err = err.item(p);
            }
            return Err(err);
        }
        if read.answers.is_empty() {
            return Err(Error::input("error.audit.import.empty").arg("file", &req.file_name));
        }
        let new = NewAuditRequest {
            site: req.site.clone(),
            kind: req.kind,
            date: req.date,
            evaluator: req.evaluator.clone(),
            guideline: GuidelineChoice::Stored(c.guideline_fingerprint.clone()),
            plan: None,
        };
        self.record_audit(actor, &new, &read.answers, req.sign)
            .await
    }
}

/// The title of the template in a language (for the command line's message).
#[must_use]
pub fn template_written(lang: Lang, site: &str, kind: AuditKind, items: usize) -> String {
    t!(
        lang,
        "audit.template.written",
        site = site,
        kind = kind.label(lang),
        items = items
    )
}

#[cfg(test)]
mod tests {
    use super::column_letter;

    #[test]
    fn columns_are_lettered_as_spreadsheets_do() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(8), "I");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
    }
}
