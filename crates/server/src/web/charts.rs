//! Charts drawn on the server as SVG: a line over days (an indicator's daily trend, the
//! goal marked) and horizontal bars (the level distribution). Each has a title and a
//! description for screen readers; the pages put the numbers in a table beside it.
//! Labels are numbers and dates only, so no CJK font is needed to draw them.

use super::format::{escape, num};

const W: f64 = 640.0;
const H: f64 = 200.0;
const PAD_L: f64 = 48.0;
const PAD_R: f64 = 12.0;
const PAD_T: f64 = 12.0;
const PAD_B: f64 = 28.0;

/// A line chart of `(label, value)` points; `mark` draws a dashed horizontal line (the
/// goal). Points without a value break the line.
#[must_use]
pub fn line(
    title: &str,
    desc: &str,
    points: &[(String, Option<f64>)],
    mark: Option<f64>,
) -> String {
    let values: Vec<f64> = points
        .iter()
        .filter_map(|p| p.1)
        .chain(mark)
        .filter(|v| v.is_finite())
        .collect();
    let mut svg = open(title, desc, "chart-line");
    if values.is_empty() || points.is_empty() {
        svg.push_str("</svg>");
        return svg;
    }
    let lo = values
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min)
        .min(0.0);
    let mut hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if hi <= lo {
        hi = lo + 1.0;
    }
    let n = points.len();
    let x = |i: usize| {
        if n == 1 {
            PAD_L + (W - PAD_L - PAD_R) / 2.0
        } else {
            #[allow(clippy::cast_precision_loss, reason = "a few hundred points at most")]
            let f = i as f64 / (n - 1) as f64;
            PAD_L + f * (W - PAD_L - PAD_R)
        }
    };
    let y = |v: f64| PAD_T + (1.0 - (v - lo) / (hi - lo)) * (H - PAD_T - PAD_B);
    axes(&mut svg, lo, hi);
    if let Some(m) = mark {
        svg.push_str(&format!(
            r#"<line class="mark" x1="{PAD_L}" x2="{}" y1="{y:.1}" y2="{y:.1}"/>"#,
            W - PAD_R,
            y = y(m)
        ));
    }
    let mut path = String::new();
    let mut pen_up = true;
    for (i, (_, v)) in points.iter().enumerate() {
        match v {
            Some(v) if v.is_finite() => {
                path.push_str(&format!(
                    "{}{:.1},{:.1} ",
                    if pen_up { "M" } else { "L" },
                    x(i),
                    y(*v)
                ));
                pen_up = false;
            }
            _ => pen_up = true,
        }
    }
    svg.push_str(&format!(
        r#"<path class="series" d="{}"/>"#,
        path.trim_end()
    ));
    for (i, (_, v)) in points.iter().enumerate() {
        if let Some(v) = v.filter(|v| v.is_finite()) {
            svg.push_str(&format!(
                r#"<circle class="dot" cx="{:.1}" cy="{:.1}" r="2.5"/>"#,
                x(i),
                y(v)
            ));
        }
    }
    // First and last labels under the axis.
    let first = &points[0].0;
    let last = &points[n - 1].0;
    svg.push_str(&format!(
        r#"<text class="tick" x="{PAD_L}" y="{}">{}</text><text class="tick end" x="{}" y="{}">{}</text>"#,
        H - 8.0,
        escape(first),
        W - PAD_R,
        H - 8.0,
        escape(last)
    ));
    svg.push_str("</svg>");
    svg
}

/// Horizontal bars of `(label, count)`.
#[must_use]
pub fn bars(title: &str, desc: &str, rows: &[(String, u64)]) -> String {
    let row_h = 26.0;
    #[allow(clippy::cast_precision_loss, reason = "a handful of rows")]
    let height = PAD_T + row_h * rows.len() as f64 + 8.0;
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-bars" viewBox="0 0 {W} {height}" role="img" aria-labelledby="c-t c-d"><title id="c-t">{}</title><desc id="c-d">{}</desc>"#,
        escape(title),
        escape(desc)
    );
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let label_w = 160.0;
    for (i, (label, count)) in rows.iter().enumerate() {
        #[allow(clippy::cast_precision_loss, reason = "counts of sites")]
        let w = (W - label_w - 60.0) * (*count as f64) / (max as f64);
        #[allow(clippy::cast_precision_loss, reason = "a handful of rows")]
        let top = PAD_T + row_h * i as f64;
        svg.push_str(&format!(
            r#"<text class="label" x="{x}" y="{ty:.1}">{l}</text><rect class="bar" x="{label_w}" y="{top:.1}" width="{w:.1}" height="18"/><text class="value" x="{vx:.1}" y="{ty:.1}">{count}</text>"#,
            x = label_w - 8.0,
            ty = top + 13.0,
            l = escape(label),
            vx = label_w + w + 6.0,
        ));
    }
    svg.push_str("</svg>");
    svg
}

fn open(title: &str, desc: &str, class: &str) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart {class}" viewBox="0 0 {W} {H}" role="img" aria-labelledby="c-t c-d"><title id="c-t">{}</title><desc id="c-d">{}</desc>"#,
        escape(title),
        escape(desc)
    )
}

fn axes(svg: &mut String, lo: f64, hi: f64) {
    svg.push_str(&format!(
        r#"<line class="axis" x1="{PAD_L}" x2="{PAD_L}" y1="{PAD_T}" y2="{b}"/><line class="axis" x1="{PAD_L}" x2="{r}" y1="{b}" y2="{b}"/><text class="tick end" x="{tx}" y="{ty1:.1}">{hi}</text><text class="tick end" x="{tx}" y="{b}">{lo}</text>"#,
        b = H - PAD_B,
        r = W - PAD_R,
        tx = PAD_L - 4.0,
        ty1 = PAD_T + 8.0,
        hi = num(hi, 2),
        lo = num(lo, 2),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_with_a_gap_and_a_goal() {
        let pts = vec![
            ("2026-10-01".to_string(), Some(10.0)),
            ("2026-10-02".to_string(), None),
            ("2026-10-03".to_string(), Some(20.0)),
        ];
        let svg = line("Wait <min>", "daily", &pts, Some(15.0));
        // Two separate moves (the gap lifts the pen), a goal line, escaped title.
        assert_eq!(svg.matches('M').count(), 2, "{svg}");
        assert!(svg.contains(r#"class="mark""#));
        assert!(svg.contains("<title id=\"c-t\">Wait &lt;min&gt;</title>"));
        assert_eq!(svg.matches("<circle").count(), 2);
        // y of 20 (the top, hi = 20) is the top padding; of 0 (lo) the bottom.
        assert!(
            svg.contains(&format!("{:.1},{:.1}", W - PAD_R, PAD_T)),
            "{svg}"
        );
    }

    #[test]
    fn bars_scale_to_the_largest() {
        let svg = bars("t", "d", &[("L1".into(), 2), ("L2".into(), 4)]);
        let full = W - 160.0 - 60.0;
        assert!(
            svg.contains(&format!(r#"width="{:.1}""#, full / 2.0)),
            "{svg}"
        );
        assert!(svg.contains(&format!(r#"width="{full:.1}""#)), "{svg}");
    }
}
