//! Workbooks as sources: an `.xlsx` written here part by part (the Office Open XML
//! package: content types, relationships, workbook, styles, one sheet), read through a
//! mapping: Chinese headers, date cells, Excel serial numbers in plain cells, a bad cell
//! quarantined with its sheet, row and column; a merged header refused.
//!
//! Serial days are worked out by hand: 45943 is 2025-10-13 (the mapping format's own
//! example), so 46303 = 45943 + 360 is 2026-10-08; .25 of a day is 06:00, .375 09:00,
//! .5 noon.

#[path = "import_common.rs"]
mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::{Env, assert_accounting};
use yardstick_core::mapping::Mapping;
use yardstick_core::records::RecordKind;
use yardstick_engine::import::{
    ImportError, ImportOptions, InstantWindow, SourceSpec, check_mapping,
};

const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const PKG: &str = "http://schemas.openxmlformats.org/package/2006/relationships";

/// A cell: text, a number, or a number styled as a date (style 1: format 22).
enum Cell {
    Text(&'static str),
    Num(f64),
    Date(f64),
    Empty,
}

/// Writes a one-sheet workbook named `sheet` with `rows`, and `merge` (an `A1:B1`
/// range) when given.
fn xlsx(dir: &Path, name: &str, sheet: &str, rows: &[Vec<Cell>], merge: Option<&str>) -> PathBuf {
    let mut data = String::new();
    for (r, cells) in rows.iter().enumerate() {
        let r = r + 1;
        data.push_str(&format!("<row r=\"{r}\">"));
        for (c, cell) in cells.iter().enumerate() {
            let at = format!(
                "{}{r}",
                char::from(b'A' + u8::try_from(c).expect("few columns"))
            );
            match cell {
                Cell::Text(t) => data.push_str(&format!(
                    "<c r=\"{at}\" t=\"inlineStr\"><is><t>{t}</t></is></c>"
                )),
                Cell::Num(v) => data.push_str(&format!("<c r=\"{at}\"><v>{v}</v></c>")),
                Cell::Date(v) => data.push_str(&format!("<c r=\"{at}\" s=\"1\"><v>{v}</v></c>")),
                Cell::Empty => {}
            }
        }
        data.push_str("</row>");
    }
    let merges = merge.map_or(String::new(), |m| {
        format!("<mergeCells count=\"1\"><mergeCell ref=\"{m}\"/></mergeCells>")
    });
    let parts = [
        (
            "[Content_Types].xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/><Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/><Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/></Types>".to_string(),
        ),
        (
            "_rels/.rels",
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"{PKG}\"><Relationship Id=\"rId1\" Type=\"{REL}/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>"),
        ),
        (
            "xl/workbook.xml",
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><workbook xmlns=\"{MAIN}\" xmlns:r=\"{REL}\"><sheets><sheet name=\"{sheet}\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"{PKG}\"><Relationship Id=\"rId1\" Type=\"{REL}/worksheet\" Target=\"worksheets/sheet1.xml\"/><Relationship Id=\"rId2\" Type=\"{REL}/styles\" Target=\"styles.xml\"/></Relationships>"),
        ),
        (
            "xl/styles.xml",
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><styleSheet xmlns=\"{MAIN}\"><cellXfs count=\"2\"><xf numFmtId=\"0\"/><xf numFmtId=\"22\" applyNumberFormat=\"1\"/></cellXfs></styleSheet>"),
        ),
        (
            "xl/worksheets/sheet1.xml",
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><worksheet xmlns=\"{MAIN}\"><sheetData>{data}</sheetData>{merges}</worksheet>"),
        ),
    ];
    let path = dir.join(name);
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).expect("creates"));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (part, text) in parts {
        zip.start_file(part, opts).expect("part");
        zip.write_all(text.as_bytes()).expect("writes");
    }
    zip.finish().expect("finishes");
    path
}

const MAP: &str = r#"
[defaults]
zone = "+08:00"

[[record]]
kind = "work_order"

[record.fields]
site_id = { value = "f1" }
order_id = { column = "工单号" }
kind = { value = "repair" }
created_at = { column = "创建时间" }
completed_at = { column = "完成时间", format = "excel" }
status = { column = "状态", map = { "已完成" = "completed", "处理中" = "open" } }
"#;

fn spec() -> SourceSpec {
    SourceSpec {
        mapping: Some(Arc::new(
            Mapping::from_toml("map.toml", MAP).expect("valid"),
        )),
        ..SourceSpec::default()
    }
}

fn rows() -> Vec<Vec<Cell>> {
    vec![
        vec![
            Cell::Text("工单号"),
            Cell::Text("创建时间"),
            Cell::Text("完成时间"),
            Cell::Text("状态"),
            Cell::Text("备注"),
        ],
        // W1: created 2026-10-08 09:00 (a date cell), completed at serial 46303.5
        // (noon, a plain number read as an Excel serial).
        vec![
            Cell::Text("W1"),
            Cell::Date(46303.375),
            Cell::Num(46303.5),
            Cell::Text("已完成"),
            Cell::Text("x"),
        ],
        // W2: created 2026-10-08 06:00, open.
        vec![
            Cell::Text("W2"),
            Cell::Date(46303.25),
            Cell::Empty,
            Cell::Text("处理中"),
            Cell::Empty,
        ],
        // W3: the creation time is text that is no time: quarantined.
        vec![
            Cell::Text("W3"),
            Cell::Text("昨天"),
            Cell::Num(46303.5),
            Cell::Text("已完成"),
            Cell::Empty,
        ],
    ]
}

#[test]
fn an_xlsx_sheet_loads_through_a_mapping() {
    let env = Env::new();
    let path = xlsx(env.tmp.path(), "orders.xlsx", "工单", &rows(), None);
    let checks = check_mapping(&env.org, InstantWindow::default(), &path, &spec(), None, 5)
        .expect("checked");
    let c = &checks[0];
    assert_eq!((c.rows_read, c.rows_valid, c.rows_quarantined), (3, 2, 1));
    assert_eq!(c.unused_columns, ["备注"]);
    let field = |i: usize, name: &str| {
        c.sample[i]
            .fields
            .iter()
            .find(|(f, _)| f == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    // 09:00 at +08:00 is 01:00 UTC; noon is 04:00 UTC; 06:00 is 22:00 UTC the day before.
    assert_eq!(field(0, "created_at"), "2026-10-08T01:00:00Z");
    assert_eq!(field(0, "completed_at"), "2026-10-08T04:00:00Z");
    assert_eq!(field(0, "status"), "completed");
    assert_eq!(field(1, "created_at"), "2026-10-07T22:00:00Z");
    assert_eq!(field(1, "status"), "open");
    // The problem names the sheet's row and the column's letter and header.
    let p = &c.problems[0];
    assert!(p.origin.contains("row 4"), "{p:?}");
    assert!(
        p.reasons.iter().any(|r| r.contains("B `创建时间`")),
        "{p:?}"
    );
    // No sheet named: the first, reported by its number.
    assert_eq!(c.sheet.as_deref(), Some("1"));

    let r = env
        .import_spec(
            RecordKind::WorkOrder,
            &path,
            &spec(),
            ImportOptions::default(),
        )
        .expect("imports");
    assert_accounting(&r);
    assert_eq!((r.rows_read, r.rows_stored, r.rows_quarantined), (3, 2, 1));
    // The quarantine names the sheet and row (4: the header is row 1) and keeps the
    // row's cells as CSV.
    let q = std::fs::read_to_string(r.quarantine_file.as_deref().expect("a quarantine file"))
        .expect("reads");
    let mut rdr = csv::Reader::from_reader(q.as_bytes());
    let rows: Vec<csv::StringRecord> = rdr.records().map(|x| x.expect("row")).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][0], "sheet 1 row 4");
    assert!(rows[0][2].starts_with("W3,昨天,"), "{rows:?}");
}

#[test]
fn a_merged_header_or_an_unknown_sheet_is_refused_with_its_cells() {
    let env = Env::new();
    let path = xlsx(
        env.tmp.path(),
        "merged.xlsx",
        "工单",
        &rows(),
        Some("A1:B1"),
    );
    let err = env
        .import_spec(
            RecordKind::WorkOrder,
            &path,
            &spec(),
            ImportOptions::default(),
        )
        .expect_err("refused");
    assert!(matches!(err, ImportError::Sheet { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("merged") && msg.contains("A1:B1"), "{msg}");
    assert_eq!(env.batches(), 0);

    let path = xlsx(env.tmp.path(), "orders.xlsx", "工单", &rows(), None);
    let mut sp = spec();
    sp.sheet = Some("Sheet9".into());
    let err = env
        .import_spec(RecordKind::WorkOrder, &path, &sp, ImportOptions::default())
        .expect_err("refused");
    assert!(err.to_string().contains("Sheet9"), "{err}");
}
