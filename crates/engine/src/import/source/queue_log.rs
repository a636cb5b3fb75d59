//! Asterisk `queue_log` as a source of `contact` records: the file layout
//! (`time|callid|queue|agent|event|data1|…`, `time` in epoch seconds) or a CSV export of
//! the `queue_log` database table (the same columns separated by commas, a header line
//! naming `callid`, `time` in epoch seconds or `YYYY-MM-DD HH:MM:SS` UTC).
//!
//! One contact per call and queue (`callid/queue`: a call that overflows to a second
//! queue is a second contact there): ENTERQUEUE opens it (`queue_entry_at`), CONNECT
//! answers it (`answered_at`, `agent_id`), and a terminal event closes it:
//! COMPLETEAGENT and COMPLETECALLER (answered; `end_at`, `talk_s` from the event's call
//! time), TRANSFER, BLINDTRANSFER and ATTENDEDTRANSFER (answered and transferred),
//! ABANDON (abandoned; `abandoned_at`), EXITWITHTIMEOUT, EXITEMPTY and EXITWITHKEY (left
//! the queue for another destination: overflowed; `end_at`).
//!
//! Every line is one row of the import's accounting: the terminal line of a call carries
//! its contact (its origin is the call's first line, its original text every line of
//! the call); the call's other lines are counted as merged into it; lines of events that
//! carry no measure (agent log-ins, pauses, RINGNOANSWER, …) are counted by event; a
//! call with no terminal event by the end of the file is counted as in progress and not
//! stored (never guessed); a terminal event of a call whose ENTERQUEUE is not earlier in
//! the file (a duplicate terminal event, or a call begun in an earlier file) and a
//! malformed line are quarantined with their reason. Lines may be out of order as long
//! as a call's terminal event comes after its ENTERQUEUE.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::Arc;

use yardstick_core::i18n::Msg;
use yardstick_core::records::RecordKind;

use super::mapped::utc_text;
use super::{Format, Origin, RawRow, RowSource, Segment};
use crate::import::QueueLogSpec;
use crate::import::cuts::Cutting;
use crate::import::error::{ImportError, io};
use crate::schema::stored_fields;

/// A queue_log as a format.
pub(in crate::import) struct QueueLog {
    pub(in crate::import) spec: Arc<QueueLogSpec>,
}

impl Format for QueueLog {
    fn cutting(&self) -> Cutting {
        Cutting::Lines
    }

    fn segmentable(&self) -> bool {
        false
    }

    fn open<'a>(
        &self,
        path: &'a Path,
        kind: RecordKind,
        _segment: Option<Segment>,
    ) -> Result<Box<dyn RowSource + 'a>, ImportError> {
        if kind != RecordKind::Contact {
            return Err(ImportError::Mapping {
                path: path.display().to_string(),
                message: Msg::new("mapping_file.fit.queue_log_kind").arg("kind", kind.as_str()),
            });
        }
        let file = File::open(path).map_err(io(path))?;
        Ok(Box::new(QueueLogSource::new(
            path,
            BufReader::with_capacity(1 << 20, file),
            Arc::clone(&self.spec),
        )))
    }
}

/// The contact fields a call sets, by their place among the kind's stored fields.
struct Places {
    site: usize,
    id: usize,
    channel: usize,
    queue: usize,
    entry: usize,
    answered: usize,
    abandoned: usize,
    end: usize,
    outcome: usize,
    agent: usize,
    talk: usize,
    transferred: usize,
    count: usize,
}

impl Places {
    fn new() -> Places {
        let fields = stored_fields(RecordKind::Contact);
        let at = |name: &str| {
            fields
                .iter()
                .position(|f| f.name == name)
                .unwrap_or(usize::MAX)
        };
        Places {
            site: at("site_id"),
            id: at("contact_id"),
            channel: at("channel"),
            queue: at("queue"),
            entry: at("queue_entry_at"),
            answered: at("answered_at"),
            abandoned: at("abandoned_at"),
            end: at("end_at"),
            outcome: at("outcome"),
            agent: at("agent_id"),
            talk: at("talk_s"),
            transferred: at("transferred"),
            count: fields.len(),
        }
    }
}

/// A call in one queue, while its lines are read.
#[derive(Default)]
struct Call {
    /// The line numbers of its lines other than the terminal one, in file order.
    lines: Vec<u64>,
    /// Its lines' text, joined by line feeds.
    text: String,
    entered: Option<(u64, i64)>,
    answered: Option<i64>,
    agent: String,
}

/// What a terminal event says.
struct End {
    outcome: &'static str,
    at: i64,
    talk: Option<String>,
    transferred: bool,
}

/// A row waiting to be handed out.
enum Pending {
    /// Counted under a rule (merged into a call, no measure, in progress).
    Skip(u64, Arc<str>),
    /// A contact: origin line, original text, cells.
    Contact {
        line: u64,
        original: String,
        cells: Vec<(usize, String)>,
        error: Option<(usize, String)>,
    },
    /// A quarantined line: origin, text, reason.
    Bad(u64, String, String),
}

struct QueueLogSource<R> {
    reader: R,
    spec: Arc<QueueLogSpec>,
    places: Places,
    calls: HashMap<(String, String), Call>,
    pending: VecDeque<Pending>,
    rules: BTreeMap<String, Arc<str>>,
    line: u64,
    bytes: u64,
    buf: Vec<u8>,
    path: String,
    /// A CSV export of the table (commas), known from its header line.
    csv: bool,
    eof: bool,
}

const MERGED: &str = "queue_log: event merged into its call's contact";
const IN_PROGRESS: &str = "queue_log: call in progress at the end of the file (not stored)";

impl<R: BufRead> QueueLogSource<R> {
    fn new(path: &Path, reader: R, spec: Arc<QueueLogSpec>) -> QueueLogSource<R> {
        QueueLogSource {
            reader,
            spec,
            places: Places::new(),
            calls: HashMap::new(),
            pending: VecDeque::new(),
            rules: BTreeMap::new(),
            line: 0,
            bytes: 0,
            buf: Vec::new(),
            path: path.display().to_string(),
            csv: false,
            eof: false,
        }
    }

    fn rule(&mut self, name: &str) -> Arc<str> {
        if let Some(r) = self.rules.get(name) {
            return Arc::clone(r);
        }
        let r: Arc<str> = Arc::from(name);
        self.rules.insert(name.to_string(), Arc::clone(&r));
        r
    }

    /// Reads lines until a row is pending or the file ends.
    fn fill(&mut self) -> Result<(), ImportError> {
        while self.pending.is_empty() && !self.eof {
            self.buf.clear();
            let n = self
                .reader
                .read_until(b'\n', &mut self.buf)
                .map_err(|e| ImportError::Io {
                    path: self.path.clone(),
                    source: e,
                })?;
            if n == 0 {
                self.eof = true;
                self.finish();
                break;
            }
            self.bytes += n as u64;
            self.line += 1;
            let Ok(text) = std::str::from_utf8(&self.buf) else {
                // A line that is not UTF-8 is quarantined, not the file failed.
                let lossy = String::from_utf8_lossy(&self.buf);
                self.pending.push_back(Pending::Bad(
                    self.line,
                    lossy.trim_end_matches(['\n', '\r']).to_string(),
                    "queue_log line is not UTF-8 text".into(),
                ));
                continue;
            };
            let text = text.trim_end_matches(['\n', '\r']).to_string();
            if text.trim().is_empty() {
                continue;
            }
            if self.line == 1 && !text.contains('|') && text.contains("callid") {
                // The header of a table export.
                self.csv = true;
                continue;
            }
            self.take(self.line, &text);
        }
        Ok(())
    }

    /// One line of the log.
    fn take(&mut self, line: u64, text: &str) {
        let parts: Vec<&str> = if self.csv {
            text.split(',')
                .map(|p| p.trim().trim_matches('"'))
                .collect()
        } else {
            text.split('|').collect()
        };
        if parts.len() < 5 {
            self.pending.push_back(Pending::Bad(
                line,
                text.to_string(),
                format!(
                    "malformed queue_log line: {} fields, expected time|callid|queue|agent|event|data…",
                    parts.len()
                ),
            ));
            return;
        }
        let Some(at) = instant(parts[0]) else {
            self.pending.push_back(Pending::Bad(
                line,
                text.to_string(),
                format!("malformed queue_log line: time `{}` is not epoch seconds or a UTC date and time", parts[0]),
            ));
            return;
        };
        let (callid, queue, agent, event) = (parts[1], parts[2], parts[3], parts[4]);
        let data = |i: usize| parts.get(4 + i).copied().unwrap_or("").trim();
        let end = match event {
            "COMPLETEAGENT" | "COMPLETECALLER" => Some(End {
                outcome: "answered",
                at,
                talk: Some(data(2).to_string()),
                transferred: false,
            }),
            "TRANSFER" | "BLINDTRANSFER" | "ATTENDEDTRANSFER" => Some(End {
                outcome: "answered",
                at,
                talk: Some(data(4).to_string()),
                transferred: true,
            }),
            "ABANDON" => Some(End {
                outcome: "abandoned",
                at,
                talk: None,
                transferred: false,
            }),
            "EXITWITHTIMEOUT" | "EXITEMPTY" | "EXITWITHKEY" => Some(End {
                outcome: "overflowed",
                at,
                talk: None,
                transferred: false,
            }),
            _ => None,
        };
        let key = (callid.to_string(), queue.to_string());
        match (event, end) {
            ("ENTERQUEUE", _) => {
                let call = self.calls.entry(key).or_default();
                call.entered = Some((line, at));
                push_line(call, line, text);
            }
            ("CONNECT", _) => {
                let call = self.calls.entry(key).or_default();
                call.answered = Some(at);
                call.agent = agent.to_string();
                push_line(call, line, text);
            }
            (_, Some(end)) => self.close(key, line, text, &end),
            _ => {
                let rule = self.rule(&format!("queue_log: {event} (no measure)"));
                self.pending.push_back(Pending::Skip(line, rule));
            }
        }
    }

    /// A terminal event: the call's contact, and its other lines counted as merged.
    fn close(&mut self, key: (String, String), line: u64, text: &str, end: &End) {
        let entered = self.calls.get(&key).is_some_and(|c| c.entered.is_some());
        let Some(mut call) = entered.then(|| self.calls.remove(&key)).flatten() else {
            // Lines of the call read so far stay open, and are counted as in progress at
            // the end of the file if nothing closes it.
            self.pending.push_back(Pending::Bad(
                line,
                text.to_string(),
                "queue_log: terminal event of a call without an ENTERQUEUE before it in the file (a duplicate terminal event, or a call begun in an earlier file)".into(),
            ));
            return;
        };
        let merged = self.rule(MERGED);
        for l in call.lines.drain(..) {
            self.pending
                .push_back(Pending::Skip(l, Arc::clone(&merged)));
        }
        let (first, entered) = call.entered.unwrap_or((line, end.at));
        if !call.text.is_empty() {
            call.text.push('\n');
        }
        call.text.push_str(text);
        let p = &self.places;
        let mut cells = Vec::with_capacity(12);
        let mut t = String::new();
        let (callid, queue) = key;
        let mut error = None;
        match self.spec.site_of(&queue) {
            Some(site) => cells.push((p.site, site.to_string())),
            None => {
                error = Some((
                    p.site,
                    format!(
                        "queue `{queue}` has no site: name it in the queue map, or give a site for every queue"
                    ),
                ));
            }
        }
        cells.push((p.id, format!("{callid}/{queue}")));
        cells.push((p.channel, "voice".into()));
        cells.push((p.queue, queue));
        utc_text(entered, &mut t);
        cells.push((p.entry, std::mem::take(&mut t)));
        if end.outcome == "answered"
            && let Some(a) = call.answered
        {
            utc_text(a, &mut t);
            cells.push((p.answered, std::mem::take(&mut t)));
        }
        if !call.agent.is_empty() && call.answered.is_some() {
            cells.push((p.agent, std::mem::take(&mut call.agent)));
        }
        if end.outcome == "abandoned" {
            utc_text(end.at, &mut t);
            cells.push((p.abandoned, std::mem::take(&mut t)));
        } else {
            utc_text(end.at, &mut t);
            cells.push((p.end, std::mem::take(&mut t)));
        }
        if let Some(talk) = &end.talk
            && !talk.is_empty()
        {
            cells.push((p.talk, talk.clone()));
        }
        cells.push((p.outcome, end.outcome.into()));
        cells.push((
            p.transferred,
            if end.transferred { "true" } else { "false" }.into(),
        ));
        self.pending.push_back(Pending::Contact {
            line: first,
            original: call.text,
            cells,
            error,
        });
    }

    /// The end of the file: calls without a terminal event are in progress.
    fn finish(&mut self) {
        let rule = self.rule(IN_PROGRESS);
        let mut open: Vec<u64> = self.calls.drain().flat_map(|(_, c)| c.lines).collect();
        open.sort_unstable();
        for l in open {
            self.pending.push_back(Pending::Skip(l, Arc::clone(&rule)));
        }
    }
}

fn push_line(call: &mut Call, line: u64, text: &str) {
    call.lines.push(line);
    if !call.text.is_empty() {
        call.text.push('\n');
    }
    call.text.push_str(text);
}

/// Epoch seconds (a fraction allowed) or `YYYY-MM-DD HH:MM:SS[.fff]` (UTC), as
/// milliseconds.
fn instant(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Ok(secs) = t.parse::<f64>() {
        if !secs.is_finite() || !(0.0..1e11).contains(&secs) {
            return None;
        }
        #[allow(clippy::cast_possible_truncation, reason = "bounded above")]
        return Some((secs * 1000.0).round() as i64);
    }
    chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .map(|d| d.and_utc().timestamp_millis())
}

impl<R: BufRead> RowSource for QueueLogSource<R> {
    fn next_row(&mut self, row: &mut RawRow) -> Result<bool, ImportError> {
        self.fill()?;
        let Some(p) = self.pending.pop_front() else {
            return Ok(false);
        };
        let n = self.places.count;
        match p {
            Pending::Skip(line, rule) => {
                row.reset(Origin::Line(line), n, "", 0);
                row.skip = Some(rule);
            }
            Pending::Bad(line, text, reason) => {
                row.reset(Origin::Line(line), n, &text, 0);
                row.shape = Some(reason);
            }
            Pending::Contact {
                line,
                original,
                cells,
                error,
            } => {
                let more = cells.iter().map(|(_, c)| c.len()).sum();
                row.reset(Origin::Line(line), n, &original, more);
                for (i, c) in &cells {
                    row.cells.set(*i, c);
                }
                if let Some(e) = error {
                    row.cell_errors.push(e);
                }
            }
        }
        Ok(true)
    }

    fn bytes_read(&self) -> u64 {
        self.bytes
    }

    fn ignored_columns(&self) -> Vec<String> {
        Vec::new()
    }
}
