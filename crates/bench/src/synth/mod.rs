//! A fast, deterministic generator of synthetic canonical CSV files and the organisation
//! they belong to.
//!
//! The organisation has three provinces of five cities; every city has one business
//! hall, one call centre and one field centre (45 sites). Rows are spread over the
//! period's days and sites by weights (site size, weekday, the National Day holiday) with
//! exact totals, and within a day by an hourly arrival profile. Each site has its own
//! quality (waits, abandons, late repairs, repeat contacts), so that sites score
//! differently. Every generated row is valid: it must import with nothing quarantined
//! (a test checks this at a small scale).
//!
//! Speed matters more than elegance here: rows are formatted by hand into a byte buffer
//! (timestamps from a table of date prefixes), because the generator writes tens of
//! millions of rows before every benchmark run.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use chrono::{Datelike, NaiveDate, Weekday};
use yardstick_core::records::RecordKind;

mod rows;
use rows::{contact_row, hall_row, work_order_row};

/// Local UTC offset of every generated site (Asia/Shanghai has no daylight saving).
const OFFSET_S: i64 = 8 * 3600;
/// Days before the period covered by the date-prefix table (for early timestamps).
const DAYS_BEFORE: i64 = 7;
/// Days after the period covered by the date-prefix table (for late completions).
const DAYS_AFTER: i64 = 60;

/// A small, fast pseudo-random generator (SplitMix64); deterministic for a seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for a seed.
    #[must_use]
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform number in [0, 1).
    pub fn f64(&mut self) -> f64 {
        // The top 53 bits make an exactly representable fraction.
        #[allow(clippy::cast_precision_loss, reason = "53 bits fit an f64 exactly")]
        let x = (self.next_u64() >> 11) as f64;
        x / (1u64 << 53) as f64
    }

    /// A uniform integer in [0, n) (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        // Multiply-shift keeps the bias below 2^-64 × n, far under anything measured here.
        let wide = u128::from(self.next_u64()) * u128::from(n.max(1));
        u64::try_from(wide >> 64).unwrap_or(0)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// An exponentially distributed number with this mean.
    pub fn exp(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.f64()).ln()
    }

    /// Whole seconds from an exponential distribution with this mean.
    pub fn exp_s(&mut self, mean_s: f64) -> i64 {
        secs(self.exp(mean_s))
    }

    /// An index drawn from (not necessarily normalised) weights.
    pub fn pick(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut u = self.f64() * total;
        for (i, w) in weights.iter().enumerate() {
            if u < *w {
                return i;
            }
            u -= w;
        }
        weights.len().saturating_sub(1)
    }
}

/// Rounds seconds to whole seconds (durations here are far below 2^53).
#[allow(
    clippy::cast_possible_truncation,
    reason = "generated durations are small and finite"
)]
fn secs(x: f64) -> i64 {
    x.round() as i64
}

/// A site of the synthetic organisation.
#[derive(Debug, Clone)]
pub struct SiteSpec {
    /// Site id.
    pub id: String,
    /// City node id.
    pub city: String,
    /// Name (Chinese).
    pub name_zh: String,
    /// Scene: `hall`, `call_centre` or `field_centre`.
    pub scene: &'static str,
    /// Area class.
    pub area: &'static str,
    /// Tier.
    pub tier: &'static str,
    /// Relative volume of the site.
    pub size: f64,
    /// Quality in [0, 1]: 1 is the best run site (short waits, few abandons and repeats).
    pub quality: f64,
}

/// What to generate: the organisation, the period and the row counts.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Sites.
    pub sites: Vec<SiteSpec>,
    /// City nodes: (province id, city id, Chinese name).
    pub cities: Vec<(String, String, String)>,
    /// Province nodes: (id, Chinese name).
    pub provinces: Vec<(String, String)>,
    /// First local day of the data.
    pub first_day: NaiveDate,
    /// Number of days.
    pub days: u32,
    /// Seed of everything random.
    pub seed: u64,
}

/// A province: id, Chinese name, and its five cities (id, Chinese name).
type Province = (
    &'static str,
    &'static str,
    [(&'static str, &'static str); 5],
);

const PROVINCES: [Province; 3] = [
    (
        "gd",
        "广东",
        [
            ("gz", "广州"),
            ("sz", "深圳"),
            ("fs", "佛山"),
            ("dg", "东莞"),
            ("sg", "韶关"),
        ],
    ),
    (
        "js",
        "江苏",
        [
            ("nj", "南京"),
            ("su", "苏州"),
            ("wx", "无锡"),
            ("xz", "徐州"),
            ("ha", "淮安"),
        ],
    ),
    (
        "zj",
        "浙江",
        [
            ("hz", "杭州"),
            ("nb", "宁波"),
            ("wz", "温州"),
            ("huz", "湖州"),
            ("ls", "丽水"),
        ],
    ),
];

impl Plan {
    /// The synthetic organisation (45 sites) over `days` days from `first_day`.
    #[must_use]
    pub fn new(first_day: NaiveDate, days: u32, seed: u64) -> Plan {
        let mut rng = Rng::new(seed);
        let mut sites = Vec::new();
        let mut cities = Vec::new();
        let mut provinces = Vec::new();
        for (pid, pname, list) in PROVINCES {
            provinces.push((pid.to_string(), pname.to_string()));
            for (i, (cid, cname)) in list.iter().enumerate() {
                cities.push((pid.to_string(), (*cid).to_string(), (*cname).to_string()));
                // The last two cities of each province are rural; the first has a flagship hall.
                let rural = i >= 3;
                let scenes: [(&str, &str, &str); 3] = [
                    ("h", "hall", "营业厅"),
                    ("cc", "call_centre", "呼叫中心"),
                    ("fc", "field_centre", "装维中心"),
                ];
                for (suffix, scene, label) in scenes {
                    let tier = match (scene, i) {
                        ("hall", 0) => "flagship",
                        ("hall", 4) => "small",
                        _ => "standard",
                    };
                    let area = match (rural, scene) {
                        (false, _) | (true, "call_centre") => "urban",
                        (true, "field_centre") if i == 4 => "major_rural",
                        (true, _) => "rural",
                    };
                    let size = if rural { 0.5 } else { 1.0 } + rng.f64();
                    sites.push(SiteSpec {
                        id: format!("{cid}-{suffix}"),
                        city: (*cid).to_string(),
                        name_zh: format!("{cname}{label}"),
                        scene,
                        area,
                        tier,
                        size,
                        quality: rng.f64(),
                    });
                }
            }
        }
        Plan {
            sites,
            cities,
            provinces,
            first_day,
            days,
            seed,
        }
    }

    /// The organisation file.
    #[must_use]
    pub fn org_toml(&self) -> String {
        let mut s = String::from(
            "# Synthetic organisation of the Yardstick benchmark (generated).\n\n\
             [[node]]\nid = \"op\"\nlevel = \"operator\"\nname_zh = \"基准运营商\"\nname_en = \"Benchmark operator\"\n",
        );
        for (id, name) in &self.provinces {
            s.push_str(&format!(
                "\n[[node]]\nid = \"{id}\"\nparent = \"op\"\nlevel = \"province\"\nname_zh = \"{name}\"\n"
            ));
        }
        for (p, id, name) in &self.cities {
            s.push_str(&format!(
                "\n[[node]]\nid = \"{id}\"\nparent = \"{p}\"\nlevel = \"city\"\nname_zh = \"{name}\"\n"
            ));
        }
        for site in &self.sites {
            s.push_str(&format!(
                "\n[[site]]\nid = \"{}\"\nparent = \"{}\"\nname_zh = \"{}\"\nscene = \"{}\"\narea = \"{}\"\ntier = \"{}\"\ntz = \"Asia/Shanghai\"\n",
                site.id, site.city, site.name_zh, site.scene, site.area, site.tier
            ));
        }
        s
    }

    /// Indices of the sites whose scene owns records of `kind`.
    fn sites_of(&self, kind: RecordKind) -> Vec<usize> {
        let scene = match kind {
            RecordKind::HallTicket => "hall",
            RecordKind::WorkOrder => "field_centre",
            _ => "call_centre",
        };
        (0..self.sites.len())
            .filter(|i| self.sites[*i].scene == scene)
            .collect()
    }

    /// The day's volume factor: weekends and the National Day holiday are quieter.
    fn day_factor(&self, day: u32, kind: RecordKind) -> f64 {
        let date = self.first_day + chrono::Days::new(u64::from(day));
        let holiday = date.month() == 10 && date.day() <= 8;
        let weekend = match date.weekday() {
            Weekday::Sat => 0.8,
            Weekday::Sun => 0.7,
            _ => 1.0,
        };
        let holiday_factor = match (holiday, kind) {
            (false, _) => 1.0,
            (true, RecordKind::Contact) => 0.9,
            (true, _) => 0.6,
        };
        weekend * holiday_factor
    }
}

/// Splits `total` over weighted cells so that the parts add up exactly.
#[must_use]
pub fn allocate(total: u64, weights: &[f64]) -> Vec<u64> {
    let sum: f64 = weights.iter().sum();
    let mut out = Vec::with_capacity(weights.len());
    let (mut acc, mut given) = (0.0f64, 0u64);
    #[allow(clippy::cast_precision_loss, reason = "row counts are far below 2^53")]
    let t = total as f64;
    for w in weights {
        acc += w;
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "the running share is in [0, total]"
        )]
        let upto = if sum > 0.0 {
            ((acc / sum * t).round() as u64).min(total)
        } else {
            0
        };
        out.push(upto.saturating_sub(given));
        given = given.max(upto);
    }
    if let Some(last) = out.last_mut() {
        *last += total - given;
    }
    out
}

/// Formats instants as RFC 3339 local times (`2025-10-08T09:15:02+08:00`) from a table
/// of date prefixes.
struct Clock {
    prefixes: Vec<[u8; 11]>,
    /// UTC epoch seconds of local midnight of the first prefix day.
    base: i64,
}

impl Clock {
    fn new(plan: &Plan) -> Clock {
        let first = plan.first_day - chrono::Days::new(u64::try_from(DAYS_BEFORE).unwrap_or(0));
        let n = i64::from(plan.days) + DAYS_BEFORE + DAYS_AFTER;
        let mut prefixes = Vec::new();
        for d in 0..n {
            let date = first + chrono::Days::new(u64::try_from(d).unwrap_or(0));
            let mut p = [0u8; 11];
            let text = format!("{}T", date.format("%Y-%m-%d"));
            p.copy_from_slice(&text.as_bytes()[..11]);
            prefixes.push(p);
        }
        let base = first
            .and_hms_opt(0, 0, 0)
            .map_or(0, |t| t.and_utc().timestamp())
            - OFFSET_S;
        Clock { prefixes, base }
    }

    /// UTC epoch seconds of local midnight of period day `day`.
    fn day_start(&self, day: u32) -> i64 {
        self.base + (i64::from(day) + DAYS_BEFORE) * 86_400
    }

    fn push(&self, buf: &mut Vec<u8>, t: i64) {
        let local = t - self.base;
        let day = usize::try_from(local.div_euclid(86_400)).unwrap_or(0);
        let sod = local.rem_euclid(86_400);
        let last = self.prefixes.len() - 1;
        buf.extend_from_slice(&self.prefixes[day.min(last)]);
        two(buf, sod / 3600);
        buf.push(b':');
        two(buf, (sod / 60) % 60);
        buf.push(b':');
        two(buf, sod % 60);
        buf.extend_from_slice(b"+08:00");
    }
}

fn two(buf: &mut Vec<u8>, v: i64) {
    let v = u8::try_from(v.clamp(0, 99)).unwrap_or(0);
    buf.push(b'0' + v / 10);
    buf.push(b'0' + v % 10);
}

fn num(buf: &mut Vec<u8>, mut v: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + u8::try_from(v % 10).unwrap_or(0);
        v /= 10;
        if v == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

/// Appends `,` and then the field.
struct Row<'a> {
    buf: &'a mut Vec<u8>,
    clock: &'a Clock,
}

impl Row<'_> {
    fn s(&mut self, v: &[u8]) -> &mut Self {
        self.buf.push(b',');
        self.buf.extend_from_slice(v);
        self
    }
    fn key(&mut self, prefix: &[u8], a: u64, b: u64) -> &mut Self {
        self.buf.push(b',');
        self.buf.extend_from_slice(prefix);
        num(self.buf, a);
        self.buf.push(b'-');
        num(self.buf, b);
        self
    }
    fn t(&mut self, v: Option<i64>) -> &mut Self {
        self.buf.push(b',');
        if let Some(t) = v {
            self.clock.push(self.buf, t);
        }
        self
    }
    fn n(&mut self, v: Option<i64>) -> &mut Self {
        self.buf.push(b',');
        if let Some(x) = v {
            num(self.buf, u64::try_from(x.max(0)).unwrap_or(0));
        }
        self
    }
    fn b(&mut self, v: Option<bool>) -> &mut Self {
        self.s(match v {
            Some(true) => b"true",
            Some(false) => b"false",
            None => b"",
        })
    }
    fn empty(&mut self) -> &mut Self {
        self.buf.push(b',');
        self
    }
    fn end(&mut self) {
        self.buf.push(b'\n');
    }
}

/// A ring of recent customers of one site, from which repeat visits are drawn.
struct Recent {
    items: Vec<(u64, u8)>,
    next: usize,
    cap: usize,
}

impl Recent {
    fn new(cap: usize) -> Recent {
        Recent {
            items: Vec::with_capacity(cap.max(1)),
            next: 0,
            cap: cap.max(1),
        }
    }
    fn push(&mut self, v: (u64, u8)) {
        if self.items.len() < self.cap {
            self.items.push(v);
        } else {
            self.items[self.next] = v;
            self.next = (self.next + 1) % self.cap;
        }
    }
    fn pick(&self, rng: &mut Rng) -> Option<(u64, u8)> {
        if self.items.is_empty() {
            return None;
        }
        let i = usize::try_from(rng.below(self.items.len() as u64)).unwrap_or(0);
        Some(self.items[i])
    }
}

/// Hourly arrival weights (local hour 0–23).
const CONTACT_HOURS: [f64; 24] = [
    0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 4.0, 7.0, 8.0, 7.5, 6.0, 6.5, 7.0, 7.0, 6.5, 5.5, 4.5,
    4.5, 4.0, 3.0, 1.5, 0.6,
];
const HALL_HOURS: [f64; 24] = [
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 6.0, 8.0, 7.0, 5.0, 6.0, 7.0, 7.0, 6.0, 4.0, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0,
];
const FIELD_HOURS: [f64; 24] = [
    0.1, 0.05, 0.05, 0.05, 0.05, 0.1, 0.3, 2.0, 5.0, 6.0, 6.0, 5.5, 4.0, 4.5, 5.0, 5.0, 4.5, 4.0,
    3.5, 3.0, 2.5, 1.5, 0.6, 0.3,
];

/// Samples a second of the local day; returns it with the hour's load relative to the
/// peak (0–1), which drives waits.
fn time_of_day(rng: &mut Rng, hours: &[f64; 24]) -> (i64, f64) {
    let h = rng.pick(hours);
    let peak = hours.iter().copied().fold(0.0, f64::max);
    let s = i64::try_from(h).unwrap_or(0) * 3600 + i64::try_from(rng.below(3600)).unwrap_or(0);
    (s, hours[h] / peak)
}

/// Column order of the generated files (a test checks they are the kinds' fields).
pub const CONTACT_HEADER: &str = "site_id,contact_id,channel,queue,ivr_entry_at,ivr_exit_at,queue_entry_at,answered_at,abandoned_at,first_reply_at,end_at,outcome,agent_id,talk_s,hold_s,acw_s,transferred,customer_key,issue_class,resolved,qa_score";
/// Column order of hall-ticket files.
pub const HALL_HEADER: &str = "site_id,ticket_id,service_type,customer_class,issued_at,called_at,call_count,service_start_at,service_end_at,left_at,outcome,counter_id,staff_id,appointment,customer_key,request_key,settled_at,done_at,error_found";
/// Column order of work-order files.
pub const WORK_ORDER_HEADER: &str = "site_id,order_id,kind,service,area_class,customer_key,line_key,created_at,committed_by,appointment_start,appointment_end,cancelled_at,cancelled_by,dispatched_at,arrived_at,completed_at,status,cause_class,pause_s,exclusion,visit_count,technician_id,compensation_due,compensation_paid";

/// The header of a generated kind.
#[must_use]
pub fn header(kind: RecordKind) -> &'static str {
    match kind {
        RecordKind::HallTicket => HALL_HEADER,
        RecordKind::WorkOrder => WORK_ORDER_HEADER,
        _ => CONTACT_HEADER,
    }
}

/// What was written.
#[derive(Debug, Clone, Copy)]
pub struct Written {
    /// Data rows.
    pub rows: u64,
    /// File size.
    pub bytes: u64,
}

/// Writes `rows` rows of `kind` (contact, hall ticket or work order) to `path`.
///
/// # Errors
/// When the file cannot be written.
pub fn write_kind(plan: &Plan, kind: RecordKind, rows: u64, path: &Path) -> Result<Written> {
    write_kind_ids(plan, kind, rows, 0, path)
}

/// Like [`write_kind`], with record ids (and the random stream) starting after `ids_from`,
/// so that the file can be imported next to one written with other `ids_from`.
///
/// # Errors
/// When the file cannot be written.
pub fn write_kind_ids(
    plan: &Plan,
    kind: RecordKind,
    rows: u64,
    ids_from: u64,
    path: &Path,
) -> Result<Written> {
    let clock = Clock::new(plan);
    let sites = plan.sites_of(kind);
    let mut weights = Vec::with_capacity(sites.len() * plan.days as usize);
    for day in 0..plan.days {
        for &s in &sites {
            weights.push(plan.sites[s].size * plan.day_factor(day, kind));
        }
    }
    let counts = allocate(rows, &weights);
    let per_site_day = rows / (u64::from(plan.days) * sites.len() as u64).max(1);
    // Repeats are drawn from about the last three days of a site's customers.
    let ring = usize::try_from(per_site_day * 3)
        .unwrap_or(usize::MAX)
        .max(16);
    let mut recent: Vec<Recent> = sites.iter().map(|_| Recent::new(ring)).collect();
    let kind_salt = match kind {
        RecordKind::HallTicket => 1,
        RecordKind::WorkOrder => 2,
        _ => 3,
    };
    let mut rng = Rng::new(
        plan.seed
            .wrapping_mul(31)
            .wrapping_add(kind_salt)
            .wrapping_add(ids_from.wrapping_mul(1_000_003)),
    );
    let mut out =
        File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 21);
    buf.extend_from_slice(header(kind).as_bytes());
    buf.push(b'\n');
    let mut bytes = 0u64;
    let mut seq = 0u64;
    for day in 0..plan.days {
        let start = clock.day_start(day);
        for (j, &s) in sites.iter().enumerate() {
            let n = counts[day as usize * sites.len() + j];
            let ctx = Ctx {
                site: &plan.sites[s],
                site_no: s as u64,
                start,
                per_site_day,
            };
            for _ in 0..n {
                seq += 1;
                let mut row = Row {
                    buf: &mut buf,
                    clock: &clock,
                };
                match kind {
                    RecordKind::HallTicket => {
                        hall_row(&mut rng, &ctx, ids_from + seq, &mut recent[j], &mut row)
                    }
                    RecordKind::WorkOrder => {
                        work_order_row(&mut rng, &ctx, ids_from + seq, &mut recent[j], &mut row);
                    }
                    _ => contact_row(&mut rng, &ctx, ids_from + seq, &mut recent[j], &mut row),
                }
                if buf.len() >= 1 << 20 {
                    out.write_all(&buf)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    bytes += buf.len() as u64;
                    buf.clear();
                }
            }
        }
    }
    out.write_all(&buf)
        .with_context(|| format!("cannot write {}", path.display()))?;
    bytes += buf.len() as u64;
    Ok(Written { rows: seq, bytes })
}

/// What a row generator knows about where and when it is.
struct Ctx<'a> {
    site: &'a SiteSpec,
    site_no: u64,
    /// UTC epoch seconds of the local day's midnight.
    start: i64,
    per_site_day: u64,
}

impl Ctx<'_> {
    /// Customers per site: about a third of a quarter's rows, so most customers come back.
    fn customers(&self) -> u64 {
        (self.per_site_day * 30).max(100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocation_adds_up_exactly() {
        let parts = allocate(1000, &[1.0, 2.0, 3.0, 0.5]);
        assert_eq!(parts.iter().sum::<u64>(), 1000);
        assert_eq!(parts, vec![154, 308, 461, 77]);
    }

    #[test]
    fn timestamps_are_local_rfc3339() {
        let plan = Plan::new(NaiveDate::from_ymd_opt(2025, 10, 1).expect("date"), 3, 1);
        let clock = Clock::new(&plan);
        let mut buf = Vec::new();
        // 09:15:02 local on the first day.
        clock.push(&mut buf, clock.day_start(0) + 9 * 3600 + 15 * 60 + 2);
        assert_eq!(String::from_utf8_lossy(&buf), "2025-10-01T09:15:02+08:00");
    }
}
