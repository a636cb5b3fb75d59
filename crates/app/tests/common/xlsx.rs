//! Filling an audit template as an evaluator would in a spreadsheet: the template read
//! back, every cell of every sheet copied into a new workbook, answers typed into the
//! answer column of the items' rows.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

/// Where the template keeps things.
pub struct Layout {
    /// The checklist sheet's name.
    pub sheet: String,
    /// The answer column (0-based) and its letter.
    pub answer_col: u16,
    /// The answer column's letter.
    pub answer_letter: String,
    /// The 0-based row of each item.
    pub rows: BTreeMap<String, u32>,
}

fn text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        other => other.to_string(),
    }
}

fn sheets(bytes: &[u8]) -> Vec<(String, Vec<Vec<String>>)> {
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("xlsx");
    let names = wb.sheet_names().clone();
    names
        .into_iter()
        .map(|n| {
            let range = wb.worksheet_range(&n).expect("sheet");
            assert_eq!(range.start(), Some((0, 0)), "the template starts at A1");
            let rows = range.rows().map(|r| r.iter().map(text).collect()).collect();
            (n, rows)
        })
        .collect()
}

/// The layout of a template: the sheet with an `item` and an `answer` header (in either
/// language, as "中文 / English").
pub fn layout(bytes: &[u8]) -> Layout {
    for (name, rows) in sheets(bytes) {
        let Some(head) = rows.first() else { continue };
        let pos = |en: &str| head.iter().position(|h| h.ends_with(&format!("/ {en}")));
        let (Some(item), Some(answer)) = (pos("item"), pos("answer")) else {
            continue;
        };
        let rows = rows
            .iter()
            .enumerate()
            .skip(1)
            .map(|(i, r)| (r[item].clone(), u32::try_from(i).expect("row")))
            .collect();
        let answer_col = u16::try_from(answer).expect("column");
        let answer_letter = char::from(b'A' + u8::try_from(answer).expect("column")).to_string();
        return Layout {
            sheet: name,
            answer_col,
            answer_letter,
            rows,
        };
    }
    panic!("no checklist sheet in the template")
}

/// The template with `answers` (item, text) typed into the answer column.
pub fn fill(bytes: &[u8], layout: &Layout, answers: &[(&str, &str)]) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    for (name, rows) in sheets(bytes) {
        let ws = wb.add_worksheet();
        ws.set_name(&name).expect("name");
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if !v.is_empty() {
                    let (r, c) = (
                        u32::try_from(r).expect("row"),
                        u16::try_from(c).expect("col"),
                    );
                    ws.write_string(r, c, v).expect("cell");
                }
            }
        }
        if name == layout.sheet {
            for (item, value) in answers {
                let row = layout.rows[*item];
                ws.write_string(row, layout.answer_col, *value)
                    .expect("answer");
            }
        }
    }
    wb.save_to_buffer().expect("saved")
}
