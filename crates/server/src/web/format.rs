//! Small text helpers of the pages: numbers as people read them, URL query encoding,
//! HTML escaping for the one page written without a template, and periods (the one
//! before, the choices of the period picker).

use chrono::{Datelike, NaiveDate};

/// A number with at most `digits` decimals, trailing zeros dropped (`12.50` → `12.5`).
#[must_use]
pub fn num(x: f64, digits: usize) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    let s = format!("{x:.digits$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" { "0".into() } else { s }
}

/// An optional number, `—` when absent.
#[must_use]
pub fn opt(x: Option<f64>, digits: usize) -> String {
    x.map_or_else(|| "—".into(), |v| num(v, digits))
}

/// A share 0–1 as a whole percentage (`0.634` → `63%`).
#[must_use]
pub fn pct(x: Option<f64>) -> String {
    x.map_or_else(|| "—".into(), |v| format!("{}%", num(v * 100.0, 0)))
}

/// A signed change, `+12.5` / `−3` / `0`; `—` when either side is missing.
#[must_use]
pub fn change(now: Option<f64>, before: Option<f64>) -> String {
    match (now, before) {
        (Some(a), Some(b)) => {
            let d = a - b;
            let s = num(d.abs(), 1);
            if s == "0" {
                "0".into()
            } else if d > 0.0 {
                format!("+{s}")
            } else {
                format!("−{s}")
            }
        }
        _ => "—".into(),
    }
}

/// Percent-encodes a query value (everything but unreserved ASCII).
#[must_use]
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Escapes text for HTML.
#[must_use]
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A path on this site to come back to after signing in or switching language: only a
/// local absolute path (never `//host` or a scheme), else the overview.
#[must_use]
pub fn local_path(next: Option<&str>) -> String {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.into(),
        _ => "/overview".into(),
    }
}

fn month_label(y: i32, m: u32) -> String {
    format!("{y:04}-{m:02}")
}

/// The period before a month, quarter, half or year (`2026-01` → `2025-12`, `2026-Q1`
/// → `2025-Q4`, `2026-H1` → `2025-H2`, `2026` → `2025`); none for a range of days.
#[must_use]
pub fn previous_period(label: &str) -> Option<String> {
    let (y, rest) = match label.split_once('-') {
        Some((y, r)) => (y.parse::<i32>().ok()?, Some(r)),
        None => (label.parse::<i32>().ok()?, None),
    };
    let Some(rest) = rest else {
        return Some(format!("{:04}", y - 1));
    };
    if let Some(q) = rest.strip_prefix('Q') {
        let q: u32 = q.parse().ok()?;
        return Some(if q <= 1 {
            format!("{:04}-Q4", y - 1)
        } else {
            format!("{y:04}-Q{}", q - 1)
        });
    }
    if let Some(h) = rest.strip_prefix('H') {
        let h: u32 = h.parse().ok()?;
        return Some(if h <= 1 {
            format!("{:04}-H2", y - 1)
        } else {
            format!("{y:04}-H1")
        });
    }
    let m: u32 = rest.parse().ok().filter(|m| (1..=12).contains(m))?;
    Some(if m == 1 {
        month_label(y - 1, 12)
    } else {
        month_label(y, m - 1)
    })
}

/// The period picker's choices up to the month of `last`: twelve months, four
/// quarters, two halves and two years, newest first within each kind; a period still
/// running is offered too (its figures are provisional).
#[must_use]
pub fn period_choices(last: NaiveDate) -> Vec<String> {
    let (y, m) = (last.year(), last.month());
    let mut out = Vec::new();
    let (mut yy, mut mm) = (y, m);
    for _ in 0..12 {
        out.push(month_label(yy, mm));
        if mm == 1 {
            yy -= 1;
            mm = 12;
        } else {
            mm -= 1;
        }
    }
    let mut q = Some(format!("{y:04}-Q{}", (m - 1) / 3 + 1));
    for _ in 0..4 {
        if let Some(label) = q {
            q = previous_period(&label);
            out.push(label);
        }
    }
    let mut h = Some(format!("{y:04}-H{}", if m <= 6 { 1 } else { 2 }));
    for _ in 0..2 {
        if let Some(label) = h {
            h = previous_period(&label);
            out.push(label);
        }
    }
    out.push(format!("{y:04}"));
    out.push(format!("{:04}", y - 1));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_changes_and_paths() {
        assert_eq!(num(12.5, 2), "12.5");
        assert_eq!(num(3.0, 1), "3");
        assert_eq!(num(-0.04, 1), "0");
        assert_eq!(pct(Some(0.634)), "63%");
        assert_eq!(change(Some(812.0), Some(800.5)), "+11.5");
        assert_eq!(change(Some(700.0), Some(712.0)), "−12");
        assert_eq!(change(None, Some(1.0)), "—");
        assert_eq!(url_encode("/sites/a b?x=1"), "/sites/a%20b%3Fx%3D1");
        assert_eq!(
            escape("<a href=\"x\">'"),
            "&lt;a href=&quot;x&quot;&gt;&#39;"
        );
        assert_eq!(local_path(Some("//evil.example")), "/overview");
        assert_eq!(local_path(Some("https://evil.example")), "/overview");
        assert_eq!(local_path(Some("/sites/hz-h02")), "/sites/hz-h02");
    }

    #[test]
    fn the_period_before() {
        assert_eq!(previous_period("2026-01").as_deref(), Some("2025-12"));
        assert_eq!(previous_period("2026-10").as_deref(), Some("2026-09"));
        assert_eq!(previous_period("2026-Q1").as_deref(), Some("2025-Q4"));
        assert_eq!(previous_period("2026-Q3").as_deref(), Some("2026-Q2"));
        assert_eq!(previous_period("2026-H1").as_deref(), Some("2025-H2"));
        assert_eq!(previous_period("2026-H2").as_deref(), Some("2026-H1"));
        assert_eq!(previous_period("2026").as_deref(), Some("2025"));
        assert_eq!(previous_period("2026-10-01..2026-10-15"), None);
    }

    #[test]
    fn picker_choices() {
        let d = NaiveDate::from_ymd_opt(2026, 2, 28).expect("date");
        let c = period_choices(d);
        assert_eq!(c.len(), 12 + 4 + 2 + 2);
        assert_eq!(&c[..3], &["2026-02", "2026-01", "2025-12"]);
        assert_eq!(c[11], "2025-03");
        assert_eq!(&c[12..16], &["2026-Q1", "2025-Q4", "2025-Q3", "2025-Q2"]);
        assert_eq!(&c[16..], &["2026-H1", "2025-H2", "2026", "2025"]);
    }
}
