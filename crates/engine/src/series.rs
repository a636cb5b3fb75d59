//! Per-site demand series from committed records: arrival counts per local day and
//! interval, mean handling times and patience evidence — the inputs of
//! `yardstick_core::planning`.
//!
//! What counts as an arrival, a handling time and a wait, per scene:
//!
//! | scene | kind | arrival | handling (`handle_s`) | time in queue (patience) |
//! |---|---|---|---|---|
//! | `call_centre` | `contact` | voice `queue_entry_at` | talk + hold + after-call work of answered contacts | to `answered_at` (served) or `abandoned_at` (abandon) |
//! | `hall` | `hall_ticket` | `issued_at` | `service_end_at` − `service_start_at` (or − `called_at`) of served tickets | to `called_at` (served, transferred), `left_at` (walk-away: abandon) or `called_at` (no-show: abandon) |
//! | `field_centre` | `work_order` | `created_at` of orders not cancelled | `completed_at` − `arrived_at` when at most [`MAX_ONSITE_H`] hours | — |
//!
//! Chat and video contacts are left out: an agent serves several chats at once, which
//! the single-server-per-contact Erlang models do not describe. Contacts that never
//! entered the agent queue (IVR only) are not arrivals. A no-show is counted as an
//! abandon whose time in queue runs to the call, an upper bound of when the customer
//! left, so the patience estimate leans long (fewer counters), which the plan's
//! abandonment cap then checks.
//!
//! Rows superseded by a `--replace` batch are skipped exactly as in `compute`: by the
//! site and local day of the kind's anchor timestamp.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, TimestampMillisecondType};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use chrono::{DateTime, NaiveDate};
use chrono_tz::Tz;
use yardstick_core::org::Organisation;
use yardstick_core::planning::{History, IntervalLen, MeanSample, PatienceSample};
use yardstick_core::records::RecordKind;
use yardstick_core::vocab::Scene;

use crate::compute::ReadFailure;
use crate::layout::DataDir;
use crate::manifest::KindManifest;
use crate::schema::anchor_fields;

/// Longest arrival-to-completion span taken as time on site, in hours. Longer spans
/// are orders parked between visits (waiting for parts, for the customer), whose span
/// is not technician time.
pub const MAX_ONSITE_H: f64 = 8.0;

/// Errors while building a series.
#[derive(Debug, thiserror::Error)]
pub enum SeriesError {
    /// The site is not in the organisation.
    #[error("unknown site `{0}`")]
    UnknownSite(String),
    /// A committed file could not be read.
    #[error("{path}: {message}")]
    Read {
        /// Path.
        path: String,
        /// What failed.
        message: String,
    },
    /// A committed file is not what the manifest says (missing, another size, another
    /// row count).
    #[error("stored records {path} of batch {batch} are damaged: {problem}")]
    Damaged {
        /// The file, relative to the data directory.
        path: String,
        /// Its batch.
        batch: i64,
        /// What differs from the manifest.
        problem: String,
    },
}

impl From<ReadFailure> for SeriesError {
    fn from(f: ReadFailure) -> SeriesError {
        match f {
            ReadFailure::Damaged(d) => SeriesError::Damaged {
                path: d.path,
                batch: d.batch,
                problem: d.problem,
            },
            ReadFailure::Read(path, message) => SeriesError::Read { path, message },
        }
    }
}

/// The demand series of one site over a window of local days.
#[derive(Debug, Clone)]
pub struct SiteSeries {
    /// Site id.
    pub site: String,
    /// The site's scene.
    pub scene: Scene,
    /// The record kind the series comes from.
    pub kind: RecordKind,
    /// Arrivals per local day and interval, from the first to the last day with an
    /// arrival in the window; days in between without arrivals are zeros.
    pub history: History,
    /// Rows of the site whose arrival falls in the window.
    pub arrivals: u64,
    /// Rows of the site in the window's months that were not arrivals, by reason.
    pub skipped: BTreeMap<&'static str, u64>,
    /// Handling time in seconds (on-site time for work orders).
    pub handle_s: MeanSample,
    /// Evidence on patience (empty for work orders).
    pub patience: PatienceSample,
}

/// The series of `site` for arrivals on local days `from ..= to`, with `interval`, from
/// the files `manifest` (the manifest of the site's record kind, see [`kind_of`]) lists.
///
/// # Errors
///
/// [`SeriesError::UnknownSite`] for a site not in the organisation; damaged or
/// unreadable files otherwise.
pub fn site_series(
    dir: &DataDir,
    manifest: &KindManifest,
    org: &Organisation,
    site: &str,
    window: (NaiveDate, NaiveDate),
    interval: IntervalLen,
) -> Result<SiteSeries, SeriesError> {
    let s = org
        .site(site)
        .ok_or_else(|| SeriesError::UnknownSite(site.to_string()))?;
    let tz: Tz = s.tz;
    let kind = kind_of(s.scene);
    let months = crate::compute::months_touching(window.0, window.1);
    let mut acc = Accumulator {
        site,
        tz,
        kind,
        window,
        interval,
        replaced: &manifest.replaced,
        history: History::new(interval),
        out_days: BTreeSet::new(),
        arrivals: 0,
        skipped: BTreeMap::new(),
        handle_s: MeanSample::default(),
        patience: PatienceSample::default(),
    };
    for f in manifest.files.iter().filter(|f| months.contains(&f.month)) {
        for batch in crate::compute::read_stored(dir, f)? {
            acc.batch(&batch, f.batch);
        }
    }
    Ok(acc.finish(s.scene))
}

/// The record kind whose arrivals a scene plans for.
#[must_use]
pub fn kind_of(scene: Scene) -> RecordKind {
    match scene {
        Scene::Hall => RecordKind::HallTicket,
        Scene::CallCentre => RecordKind::Contact,
        Scene::FieldCentre => RecordKind::WorkOrder,
    }
}

/// Typed column access to one record batch.
struct Cols<'b> {
    names: HashMap<&'b str, usize>,
    batch: &'b RecordBatch,
}

impl<'b> Cols<'b> {
    fn new(batch: &'b RecordBatch) -> Self {
        let names = batch
            .schema_ref()
            .fields()
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name().as_str(), i))
            .collect();
        Self { names, batch }
    }

    /// The non-null column `name` at `row`, when it has type `ty`.
    fn column(&self, name: &str, row: usize, ty: fn(&DataType) -> bool) -> Option<&dyn Array> {
        let col = self.batch.column(*self.names.get(name)?);
        (ty(col.data_type()) && !col.is_null(row)).then_some(col.as_ref())
    }

    fn str(&self, name: &str, row: usize) -> Option<&str> {
        self.column(name, row, |t| *t == DataType::Utf8)
            .map(|c| c.as_string::<i32>().value(row))
    }

    /// Milliseconds since the epoch.
    fn ts(&self, name: &str, row: usize) -> Option<i64> {
        self.column(name, row, |t| matches!(t, DataType::Timestamp(_, _)))
            .map(|c| c.as_primitive::<TimestampMillisecondType>().value(row))
    }

    fn num(&self, name: &str, row: usize) -> Option<f64> {
        self.column(name, row, |t| *t == DataType::Float64)
            .map(|c| c.as_primitive::<Float64Type>().value(row))
    }
}

/// Seconds from `a` to `b` (milliseconds since the epoch).
#[allow(
    clippy::cast_precision_loss,
    reason = "millisecond spans of records are far below 2^53"
)]
fn seconds(a: i64, b: i64) -> f64 {
    (b - a) as f64 / 1000.0
}

/// Accumulates one site's rows.
struct Accumulator<'a> {
    site: &'a str,
    tz: Tz,
    kind: RecordKind,
    window: (NaiveDate, NaiveDate),
    interval: IntervalLen,
    replaced: &'a BTreeMap<(String, String), i64>,
    history: History,
    /// Days that had an arrival (the history is zero-filled between the first and last).
    out_days: BTreeSet<NaiveDate>,
    arrivals: u64,
    skipped: BTreeMap<&'static str, u64>,
    handle_s: MeanSample,
    patience: PatienceSample,
}

impl Accumulator<'_> {
    fn batch(&mut self, batch: &RecordBatch, batch_id: i64) {
        let cols = Cols::new(batch);
        for row in 0..batch.num_rows() {
            if cols.str("site_id", row) != Some(self.site) || !self.visible(&cols, row, batch_id) {
                continue;
            }
            match self.arrival(&cols, row) {
                Ok(at) => self.count(&cols, row, at),
                Err(reason) => *self.skipped.entry(reason).or_default() += 1,
            }
        }
    }

    /// Whether the row is not superseded by a later `--replace` batch for its site and
    /// local anchor day (the rule of `compute`).
    fn visible(&self, cols: &Cols<'_>, row: usize, batch_id: i64) -> bool {
        let Some(day) = anchor_fields(self.kind)
            .iter()
            .find_map(|f| cols.ts(f, row))
            .and_then(|t| self.local(t))
            .map(|dt| dt.date_naive())
        else {
            return false;
        };
        self.replaced
            .get(&(self.site.to_string(), day.format("%Y-%m-%d").to_string()))
            .is_none_or(|winner| batch_id >= *winner)
    }

    fn local(&self, millis: i64) -> Option<DateTime<Tz>> {
        DateTime::from_timestamp_millis(millis).map(|t| t.with_timezone(&self.tz))
    }

    /// The arrival instant of a row that counts as an arrival, or why it does not.
    fn arrival(&self, cols: &Cols<'_>, row: usize) -> Result<i64, &'static str> {
        match self.kind {
            RecordKind::Contact => {
                if cols.str("channel", row) != Some("voice") {
                    return Err("chat or video contact");
                }
                cols.ts("queue_entry_at", row)
                    .ok_or("never queued for an agent (no queue_entry_at)")
            }
            RecordKind::HallTicket => cols.ts("issued_at", row).ok_or("no issued_at"),
            _ => {
                if cols.str("status", row) == Some("cancelled") {
                    return Err("cancelled order");
                }
                cols.ts("created_at", row).ok_or("no created_at")
            }
        }
    }

    /// Counts an arrival in the window and adds its handling and waiting evidence.
    fn count(&mut self, cols: &Cols<'_>, row: usize, at: i64) {
        let Some(local) = self.local(at) else {
            return;
        };
        let date = local.date_naive();
        if date < self.window.0 || date > self.window.1 {
            *self
                .skipped
                .entry("outside the history window")
                .or_default() += 1;
            return;
        }
        let index = self.interval.index_of(local.time());
        // The index comes from the interval itself, so it is always inside the day.
        if self.history.add(date, index, 1.0).is_err() {
            return;
        }
        self.out_days.insert(date);
        self.arrivals += 1;
        match self.kind {
            RecordKind::Contact => self.contact(cols, row, at),
            RecordKind::HallTicket => self.ticket(cols, row, at),
            _ => self.order(cols, row),
        }
    }

    fn contact(&mut self, cols: &Cols<'_>, row: usize, entry: i64) {
        let outcome = cols.str("outcome", row);
        if outcome == Some("answered")
            && let Some(talk) = cols.num("talk_s", row)
        {
            let hold = cols.num("hold_s", row).unwrap_or(0.0);
            let acw = cols.num("acw_s", row).unwrap_or(0.0);
            self.handle_s.add(talk + hold + acw);
        }
        if let Some(answered) = cols.ts("answered_at", row) {
            self.patience.add(seconds(entry, answered), false);
        } else if let (Some("abandoned"), Some(left)) = (outcome, cols.ts("abandoned_at", row)) {
            self.patience.add(seconds(entry, left), true);
        }
    }

    fn ticket(&mut self, cols: &Cols<'_>, row: usize, issued: i64) {
        let outcome = cols.str("outcome", row);
        let called = cols.ts("called_at", row);
        if outcome == Some("served")
            && let Some(end) = cols.ts("service_end_at", row)
            && let Some(start) = cols.ts("service_start_at", row).or(called)
        {
            self.handle_s.add(seconds(start, end));
        }
        match (outcome, called, cols.ts("left_at", row)) {
            (Some("left"), _, Some(left)) => {
                self.patience.add(seconds(issued, left), true);
            }
            (Some("no_show"), Some(c), _) => {
                self.patience.add(seconds(issued, c), true);
            }
            (Some("served" | "transferred"), Some(c), _) => {
                self.patience.add(seconds(issued, c), false);
            }
            _ => {}
        }
    }

    fn order(&mut self, cols: &Cols<'_>, row: usize) {
        if let (Some(arrived), Some(done)) =
            (cols.ts("arrived_at", row), cols.ts("completed_at", row))
        {
            let span_s = seconds(arrived, done);
            if span_s > 0.0 && span_s <= MAX_ONSITE_H * 3600.0 {
                self.handle_s.add(span_s);
            }
        }
    }

    fn finish(mut self, scene: Scene) -> SiteSeries {
        if let (Some(first), Some(last)) = (
            self.out_days.first().copied(),
            self.out_days.last().copied(),
        ) {
            let mut d = first;
            while d <= last {
                self.history.ensure_day(d);
                d = d + chrono::Days::new(1);
            }
        }
        SiteSeries {
            site: self.site.to_string(),
            scene,
            kind: self.kind,
            history: self.history,
            arrivals: self.arrivals,
            skipped: self.skipped,
            handle_s: self.handle_s,
            patience: self.patience,
        }
    }
}
