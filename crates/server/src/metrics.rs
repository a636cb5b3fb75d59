//! Metrics in the Prometheus text format (`GET /metrics`): requests by route and
//! status, request latency histograms by route, imports and rows by record kind and
//! outcome, and evaluation durations. Kept in memory with plain counters: a handful of
//! series, no exporter crate.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS_S: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// A latency histogram.
#[derive(Debug, Clone, Default)]
struct Histogram {
    counts: [u64; BUCKETS_S.len()],
    count: u64,
    sum_s: f64,
}

impl Histogram {
    fn observe(&mut self, d: Duration) {
        let s = d.as_secs_f64();
        for (i, b) in BUCKETS_S.iter().enumerate() {
            if s <= *b {
                self.counts[i] += 1;
            }
        }
        self.count += 1;
        self.sum_s += s;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, b) in BUCKETS_S.iter().enumerate() {
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{b}\"}} {}",
                self.counts[i]
            );
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum_s);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

#[derive(Debug, Default)]
struct Inner {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<(String, String), Histogram>,
    imports: BTreeMap<(String, String), u64>,
    rows: BTreeMap<(String, String), u64>,
    evaluations: Histogram,
}

/// The server's metrics.
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A request answered: its route template (never the raw path, so the series stay
    /// few), method, status and latency.
    pub fn request(&self, route: &str, method: &str, status: u16, took: Duration) {
        let mut m = self.lock();
        *m.requests
            .entry((route.to_string(), method.to_string(), status))
            .or_default() += 1;
        m.latency
            .entry((route.to_string(), method.to_string()))
            .or_default()
            .observe(took);
    }

    /// An import: its kind, its outcome, and its rows by what became of them.
    pub fn import(&self, kind: &str, outcome: &str, rows: &[(&str, u64)]) {
        let mut m = self.lock();
        *m.imports
            .entry((kind.to_string(), outcome.to_string()))
            .or_default() += 1;
        for (what, n) in rows {
            *m.rows
                .entry((kind.to_string(), (*what).to_string()))
                .or_default() += n;
        }
    }

    /// An evaluation computed or frozen.
    pub fn evaluation(&self, took: Duration) {
        self.lock().evaluations.observe(took);
    }

    /// Everything, in the Prometheus text format.
    #[must_use]
    pub fn render(&self) -> String {
        let m = self.lock();
        let mut out = String::new();
        out.push_str("# HELP yardstick_http_requests_total HTTP requests answered.\n# TYPE yardstick_http_requests_total counter\n");
        for ((route, method, status), n) in &m.requests {
            let _ = writeln!(
                out,
                "yardstick_http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        out.push_str("# HELP yardstick_http_request_duration_seconds Time to answer a request.\n# TYPE yardstick_http_request_duration_seconds histogram\n");
        for ((route, method), h) in &m.latency {
            let labels = format!("route=\"{}\",method=\"{method}\"", escape(route));
            h.render(&mut out, "yardstick_http_request_duration_seconds", &labels);
        }
        out.push_str("# HELP yardstick_imports_total Imports by record kind and outcome.\n# TYPE yardstick_imports_total counter\n");
        for ((kind, outcome), n) in &m.imports {
            let _ = writeln!(
                out,
                "yardstick_imports_total{{kind=\"{kind}\",outcome=\"{outcome}\"}} {n}"
            );
        }
        out.push_str("# HELP yardstick_import_rows_total Imported rows by record kind and what became of them.\n# TYPE yardstick_import_rows_total counter\n");
        for ((kind, outcome), n) in &m.rows {
            let _ = writeln!(
                out,
                "yardstick_import_rows_total{{kind=\"{kind}\",outcome=\"{outcome}\"}} {n}"
            );
        }
        out.push_str("# HELP yardstick_evaluation_duration_seconds Time to compute an evaluation.\n# TYPE yardstick_evaluation_duration_seconds histogram\n");
        m.evaluations
            .render(&mut out, "yardstick_evaluation_duration_seconds", "");
        out
    }
}

/// A label value with `\`, `"` and newlines escaped.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_and_histograms_render_as_prometheus_text() {
        let m = Metrics::default();
        m.request("/api/v1/sites/{id}", "GET", 200, Duration::from_millis(7));
        m.request("/api/v1/sites/{id}", "GET", 200, Duration::from_millis(70));
        m.import("contact", "stored", &[("stored", 10), ("quarantined", 2)]);
        let text = m.render();
        assert!(text.contains(
            "yardstick_http_requests_total{route=\"/api/v1/sites/{id}\",method=\"GET\",status=\"200\"} 2"
        ));
        // 7 ms falls in the 0.01 bucket and above; 70 ms from 0.1 up.
        assert!(text.contains("yardstick_http_request_duration_seconds_bucket{route=\"/api/v1/sites/{id}\",method=\"GET\",le=\"0.005\"} 0"));
        assert!(text.contains("yardstick_http_request_duration_seconds_bucket{route=\"/api/v1/sites/{id}\",method=\"GET\",le=\"0.01\"} 1"));
        assert!(text.contains("yardstick_http_request_duration_seconds_bucket{route=\"/api/v1/sites/{id}\",method=\"GET\",le=\"0.1\"} 2"));
        assert!(
            text.contains(
                "yardstick_import_rows_total{kind=\"contact\",outcome=\"quarantined\"} 2"
            )
        );
        assert!(text.contains("yardstick_evaluation_duration_seconds_count 0"));
    }
}
