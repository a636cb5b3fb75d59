//! Yardstick demo organisation generator: a fictional operator's organisation and its
//! service records, for `yardstick demo generate` and `yardstick quickstart`.
//!
//! [`generate`] writes `org.toml` (the organisation in the format `yardstick-core` loads)
//! and one canonical CSV file per record kind. The records come from simulations rather
//! than noise: arrivals are Poisson with time-of-day, weekday and holiday profiles, staff
//! are rostered by Erlang C, and waits, walk-aways and abandons are what the multi-server
//! queues produce; follow-up records (revisits, repeat calls, repeat faults, surveys,
//! complaints) depend on what happened to the customer. A few sites are deliberately weak
//! in specific ways ([`POOR_SITES`], [`STORY`]) so that evaluations have findings to show.
//!
//! Output depends only on the [`DemoConfig`]: the same seed gives byte-identical files.
//! The library never reads the clock; the caller passes the last day of the period.

mod base;
mod calendar;
mod call;
mod csv_out;
mod field;
mod followup;
mod hall;
mod rng;
mod sites;
mod staffing;
mod time;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::call::{AGENT_COLUMNS, CONTACT_COLUMNS, CallCentre, CallOut};
use crate::csv_out::CsvFile;
use crate::field::{FieldCentre, FieldOut, FieldPeriod, ORDER_COLUMNS, WARM_UP_DAYS};
use crate::followup::{
    COMPLAINT_COLUMNS, ComplaintClass, ComplaintSeed, Followups, SURVEY_COLUMNS,
};
use crate::hall::{HALL_COLUMNS, Hall, HallOut};
use crate::rng::Rng;
use crate::sites::{MASS_OUTAGE_CITY, Quirk, SITES, Scene, SiteSpec};
use crate::time::{DAY_S, day_number, day_start};

/// Default length of the generated period in days.
pub const DEFAULT_DAYS: u32 = 90;
/// Longest period accepted (two years), which keeps a run to well under a minute.
pub const MAX_DAYS: u32 = 731;
/// File name of the organisation.
pub const ORG_FILE: &str = "org.toml";
/// Record kinds written, in canonical order; each goes to `<kind>.csv`.
pub const RECORD_KINDS: [&str; 7] = [
    "hall_ticket",
    "contact",
    "work_order",
    "complaint",
    "survey",
    "subscriber_base",
    "agent_interval",
];

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoConfig {
    /// Seed of the pseudo-random generator; the same seed gives the same files.
    pub seed: u64,
    /// Length of the period in days (1 to [`MAX_DAYS`]).
    pub days: u32,
    /// Last day of the period (the CLI passes yesterday); nothing after it is generated.
    pub end: NaiveDate,
}

impl DemoConfig {
    /// A configuration for the default period length.
    #[must_use]
    pub fn new(seed: u64, end: NaiveDate) -> DemoConfig {
        DemoConfig {
            seed,
            days: DEFAULT_DAYS,
            end,
        }
    }

    /// First day of the period.
    #[must_use]
    pub fn first_day(&self) -> NaiveDate {
        self.end - chrono::Days::new(u64::from(self.days.saturating_sub(1)))
    }
}

/// Rows written to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRows {
    /// File name inside the output directory.
    pub file: String,
    /// Data rows (the header line is not counted).
    pub rows: u64,
}

/// A site that is deliberately weak, and why (Chinese and English).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoorSite {
    /// Site id in `org.toml`.
    pub site_id: &'static str,
    /// One-line reason in Chinese.
    pub reason_zh: &'static str,
    /// One-line reason in English.
    pub reason_en: &'static str,
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    /// First day of the period.
    pub first_day: NaiveDate,
    /// Last day of the period.
    pub last_day: NaiveDate,
    /// Sites in the organisation.
    pub sites: usize,
    /// Row counts per record file, in [`RECORD_KINDS`] order.
    pub files: Vec<FileRows>,
    /// The deliberately weak sites.
    pub poor_sites: Vec<PoorSite>,
}

impl DemoSummary {
    /// Rows written for a record kind (e.g. `"contact"`).
    #[must_use]
    pub fn rows(&self, kind: &str) -> Option<u64> {
        let file = format!("{kind}.csv");
        self.files.iter().find(|f| f.file == file).map(|f| f.rows)
    }

    /// Rows written over all record files.
    #[must_use]
    pub fn total_rows(&self) -> u64 {
        self.files.iter().map(|f| f.rows).sum()
    }
}

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// A file or directory could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The configuration is out of range.
    #[error("invalid demo configuration: {0}")]
    Config(String),
}

impl DemoError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> DemoError {
        DemoError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// The deliberately weak sites.
pub const POOR_SITES: [PoorSite; 4] = [
    PoorSite {
        site_id: "hz-h02",
        reason_zh: "晚间排班缺口：17:00 起一半窗口下班，正赶上下班高峰，只有 17:00 后等候超 15 分钟和离队的比例猛增。",
        reason_en: "Evening roster gap: half the counters close at 17:00, right before the after-work peak, so waits over 15 min and walk-aways jump after 17:00 only.",
    },
    PoorSite {
        site_id: "cd-h02",
        reason_zh: "新员工多、培训不足：业务差错率是其他营业厅的 10 倍以上，办理偏慢，满意度明显偏低，但等候时间正常。",
        reason_en: "New, under-trained staff: more than ten times the other halls' transaction error rate, slower service and clearly lower survey scores, while waits stay normal.",
    },
    PoorSite {
        site_id: "nb-c01",
        reason_zh: "排队提示音配置错误（“坐席忙，请稍后再拨”），大量来电在 5 秒内挂断；排班只有 Erlang C 需求的四分之三，20 秒服务水平低。",
        reason_en: "Mis-set queue message ('all agents are busy, please call later') makes many callers hang up within 5 s; rostered at three quarters of the Erlang C requirement, so the 20-second service level is low.",
    },
    PoorSite {
        site_id: "my-f02",
        reason_zh: "山区农村装维人手不足且先到先派（不按时限优先）：积压增长到调入外包队伍才回落，大量修障超过 72 小时，装机超期、预约爽约。",
        reason_en: "Too few technicians for a mountainous minor-rural county, dispatching first come first served instead of by deadline: the backlog grows until contractors are called in, many repairs exceed 72 h, installs miss their promised date and appointments are missed.",
    },
];

/// The story of the demo organisation, for the quickstart and the README.
pub const STORY: &str = "\
远达通信（虚构运营商）在浙江和四川经营 41 个一线服务网点：17 个营业厅、6 个呼叫中心、18 个装维中心，\
从杭州、成都的旗舰厅到甘孜高原的偏远装维中心。需求随时间和日历变化：营业厅午间、下班后和周末最忙，\
呼叫中心周一上午和节后最忙，装机集中在工作日；法定节假日客流下降，调休上班日照常。\
人员按 Erlang C 根据预测排班，等候、离队和放弃来自排队仿真；回访、满意度和投诉取决于客户的实际经历。\
宁波在统计期约 60% 处发生一次已申报的大面积光缆中断，相关修障单标记为 mass_outage 并从时限指标中剔除。\
四个网点各有一个值得发现的问题：杭州文三路营业厅（晚间排班缺口）、成都高新营业厅（差错率高、满意度低）、\
宁波客户服务中心（提示音导致大量 5 秒内挂断、服务水平低）、北川装维中心（修障积压、超时）。

Yuanda Telecom (a fictional operator) runs 41 front-line sites in Zhejiang and Sichuan: 17 business halls, \
6 call centres and 18 installation & maintenance centres, from flagship halls in Hangzhou and Chengdu to \
remote field centres on the Garzê plateau. Demand follows the clock and the calendar: halls are busiest at \
lunch, after work and at weekends, call centres on Monday mornings and after holidays, installs happen on \
working days; public holidays are quiet and make-up working days are ordinary working days. Staff are \
rostered by Erlang C against the forecast, and waits, walk-aways and abandons come out of queue \
simulations; revisits, survey scores and complaints follow what each customer went through. About 60 % \
into the period a declared mass outage (a trunk fibre cut) hits Ningbo; its repair orders carry \
exclusion = mass_outage and drop out of the time-limit indicators. Four sites each have one problem worth \
finding: Hangzhou Wensan Road Hall (evening roster gap), Chengdu Hi-Tech Zone Hall (errors and poor \
surveys), Ningbo Customer Service Centre (a queue message that makes callers hang up within 5 s, and a low \
service level) and Beichuan Field Centre (repair backlog and late orders).";

/// All the writers of one run.
struct Outputs {
    tickets: CsvFile,
    contacts: CsvFile,
    orders: CsvFile,
    base: CsvFile,
    agents: CsvFile,
    follow: Followups,
}

/// Generates the demo organisation and its records into `out_dir` (created if missing;
/// existing files of the same names are replaced).
///
/// # Errors
/// [`DemoError::Config`] for a period out of range, [`DemoError::Io`] when a file cannot
/// be written.
pub fn generate(cfg: &DemoConfig, out_dir: &Path) -> Result<DemoSummary, DemoError> {
    if cfg.days == 0 || cfg.days > MAX_DAYS {
        return Err(DemoError::Config(format!(
            "days must be between 1 and {MAX_DAYS}, got {}",
            cfg.days
        )));
    }
    std::fs::create_dir_all(out_dir).map_err(|e| DemoError::io(out_dir, e))?;
    let org_path = out_dir.join(ORG_FILE);
    std::fs::write(&org_path, sites::org_toml()).map_err(|e| DemoError::io(&org_path, e))?;
    let mut out = open_outputs(out_dir, cfg)?;
    let first = day_number(cfg.first_day());
    let last = day_number(cfg.end);
    // Streams depend on the seed, the site and the first day, so that another period is
    // another sample rather than the same days shifted.
    let stream = |i: usize, offset: u64| {
        u64::try_from(i).unwrap_or(0) + offset + first.unsigned_abs().wrapping_mul(1_000_003)
    };
    for (i, spec) in SITES.iter().enumerate() {
        let rng = Rng::stream(cfg.seed, stream(i, 1));
        out.follow.late_answer_p = if spec.quirk == Quirk::None {
            0.008
        } else {
            0.05
        };
        match spec.scene {
            Scene::Hall => run_hall(*spec, rng, first, last, &mut out)?,
            Scene::CallCentre => run_call_centre(*spec, rng, first, last, &mut out)?,
            Scene::FieldCentre => run_field_centre(*spec, rng, first, last, cfg.days, &mut out)?,
        }
        let mut rng = Rng::stream(cfg.seed, stream(i, 10_001));
        background_complaints(spec, &mut rng, first, last, &mut out.follow)?;
    }
    base::write(
        &mut out.base,
        &mut Rng::stream(cfg.seed, 0),
        SITES,
        cfg.first_day(),
        cfg.end,
    )?;
    finish(out, cfg)
}

fn open_outputs(dir: &Path, cfg: &DemoConfig) -> Result<Outputs, DemoError> {
    let open =
        |kind: &str, columns: &[&str]| CsvFile::create(&dir.join(format!("{kind}.csv")), columns);
    let cutoff = day_start(day_number(cfg.end) + 1);
    Ok(Outputs {
        tickets: open("hall_ticket", HALL_COLUMNS)?,
        contacts: open("contact", CONTACT_COLUMNS)?,
        orders: open("work_order", ORDER_COLUMNS)?,
        base: open("subscriber_base", base::BASE_COLUMNS)?,
        agents: open("agent_interval", AGENT_COLUMNS)?,
        follow: Followups::new(
            open("complaint", COMPLAINT_COLUMNS)?,
            open("survey", SURVEY_COLUMNS)?,
            cutoff,
        ),
    })
}

fn run_hall(
    spec: SiteSpec,
    rng: Rng,
    first: i64,
    last: i64,
    out: &mut Outputs,
) -> Result<(), DemoError> {
    let mut hall = Hall::new(spec, rng);
    let mut w = HallOut {
        tickets: &mut out.tickets,
        follow: &mut out.follow,
    };
    for day in first..=last {
        hall.day(&calendar::info(day), &mut w)?;
    }
    Ok(())
}

fn run_call_centre(
    spec: SiteSpec,
    rng: Rng,
    first: i64,
    last: i64,
    out: &mut Outputs,
) -> Result<(), DemoError> {
    let mut centre = CallCentre::new(spec, rng);
    let mut w = CallOut {
        contacts: &mut out.contacts,
        agents: &mut out.agents,
        follow: &mut out.follow,
    };
    for day in first..=last {
        centre.day(&calendar::info(day), &mut w)?;
    }
    Ok(())
}

fn run_field_centre(
    spec: SiteSpec,
    rng: Rng,
    first: i64,
    last: i64,
    days: u32,
    out: &mut Outputs,
) -> Result<(), DemoError> {
    let outage_day = (spec.city == MASS_OUTAGE_CITY).then(|| first + i64::from(days) * 6 / 10);
    let cutoff = day_start(last + 1);
    let period = FieldPeriod {
        start: day_start(first),
        cutoff,
        outage_day,
    };
    let mut centre = FieldCentre::new(spec, rng, period);
    let mut w = FieldOut {
        orders: &mut out.orders,
        follow: &mut out.follow,
    };
    for day in first - WARM_UP_DAYS..=last {
        centre.day(&calendar::info(day), &mut w)?;
    }
    centre.finish(cutoff, &mut w)
}

/// Complaints not tied to a record (coverage at home, a bill nobody can explain), a few
/// per site and week.
fn background_complaints(
    spec: &SiteSpec,
    rng: &mut Rng,
    first: i64,
    last: i64,
    follow: &mut Followups,
) -> Result<(), DemoError> {
    let (rate, class) = match spec.scene {
        Scene::Hall => (0.08, ComplaintClass::UserService),
        Scene::CallCentre => (0.3, ComplaintClass::Billing),
        Scene::FieldCentre => (0.15, ComplaintClass::NetworkQuality),
    };
    for day in first..=last {
        for _ in 0..rng.poisson(rate) {
            let at = day_start(day) + rng.range_i64(0, DAY_S - 1);
            let key = rng.key("c");
            follow.complaint(
                rng,
                spec.id,
                &ComplaintSeed {
                    class,
                    at,
                    customer_key: Some(&key),
                    linked_record: None,
                },
            )?;
        }
    }
    Ok(())
}

fn finish(mut out: Outputs, cfg: &DemoConfig) -> Result<DemoSummary, DemoError> {
    let files: [&mut CsvFile; 7] = [
        &mut out.tickets,
        &mut out.contacts,
        &mut out.orders,
        &mut out.follow.complaints,
        &mut out.follow.surveys,
        &mut out.base,
        &mut out.agents,
    ];
    let mut rows = Vec::new();
    for (kind, f) in RECORD_KINDS.iter().zip(files) {
        f.finish()?;
        rows.push(FileRows {
            file: format!("{kind}.csv"),
            rows: f.rows(),
        });
    }
    Ok(DemoSummary {
        first_day: cfg.first_day(),
        last_day: cfg.end,
        sites: SITES.len(),
        files: rows,
        poor_sites: POOR_SITES.to_vec(),
    })
}
