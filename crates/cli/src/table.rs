//! Plain-text tables for the terminal, aligned by display width (CJK characters take
//! two columns).

/// Display width of a string: East Asian wide characters count two columns.
#[must_use]
pub fn width(s: &str) -> usize {
    s.chars().map(|c| if is_wide(c) { 2 } else { 1 }).sum()
}

fn is_wide(c: char) -> bool {
    matches!(u32::from(c),
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
}

/// Renders rows under a header with columns padded to the widest cell.
#[must_use]
pub fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let cols = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(cols) {
            widths[i] = widths[i].max(width(cell));
        }
    }
    let line = |cells: Vec<&str>| {
        let mut out = String::new();
        for (i, c) in cells.iter().enumerate() {
            out.push_str(c);
            if i + 1 < cells.len() {
                out.push_str(&" ".repeat(widths[i] - width(c) + 2));
            }
        }
        out.trim_end().to_string()
    };
    let mut out = line(header.to_vec());
    out.push('\n');
    out.push_str(&line(
        widths
            .iter()
            .map(|w| "─".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str)
            .collect(),
    ));
    out.push('\n');
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
        out.push('\n');
    }
    out
}

/// Formats an optional number with a fixed number of decimals, or `—`.
#[must_use]
pub fn num(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "—".to_string(), |x| format!("{x:.decimals$}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_mixed_chinese_and_latin_cells() {
        let t = render(
            &["id", "名称"],
            &[
                vec!["BH-01".into(), "平均等候时长".into()],
                vec!["X".into(), "ab".into()],
            ],
        );
        let lines: Vec<&str> = t.lines().collect();
        // "BH-01" is the widest id (5 columns), so names start at column 5 + 2 = 7.
        assert_eq!(lines[0], "id     名称");
        assert_eq!(lines[2], "BH-01  平均等候时长");
        assert_eq!(lines[3], "X      ab");
        assert_eq!(width("平均"), 4);
    }
}
