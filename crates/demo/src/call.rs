//! Call centres: IVR, the agent queue, agent rosters and per-interval agent time.
//!
//! Each centre-day draws Poisson calls per 30-minute interval (Monday mornings and the day
//! after a holiday are busiest), lets about a fifth finish in the IVR, rosters agents by
//! Erlang C for 80 % answered within 20 s, and serves the rest first-come-first-served.
//! Callers hang up when their exponential patience runs out; some retry the same day, and
//! callers whose issue stayed unresolved call again within a week with the same customer
//! key and issue class, which is what first-contact resolution is computed from. Agent
//! busy time per interval comes straight from the simulated calls.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use crate::DemoError;
use crate::calendar::{DayInfo, DayKind};
use crate::csv_out::CsvFile;
use crate::followup::{ComplaintClass, ComplaintSeed, Followups, SurveySeed, wait_penalty};
use crate::rng::{Rng, round_i64};
use crate::sites::{Quirk, SiteSpec, Tier};
use crate::staffing::{Pool, Server, Shift, agent_shifts, servers_needed, staff_number};
use crate::time::{HOUR_S, MIN_S, SLOT_S, Ts, day_start, push_compact_date};

/// Columns of `contact.csv`.
pub(crate) const CONTACT_COLUMNS: &[&str] = &[
    "site_id",
    "contact_id",
    "channel",
    "queue",
    "ivr_entry_at",
    "ivr_exit_at",
    "queue_entry_at",
    "answered_at",
    "abandoned_at",
    "first_reply_at",
    "end_at",
    "outcome",
    "agent_id",
    "talk_s",
    "hold_s",
    "acw_s",
    "transferred",
    "customer_key",
    "issue_class",
    "resolved",
    "qa_score",
];

/// Columns of `agent_interval.csv`.
pub(crate) const AGENT_COLUMNS: &[&str] = &[
    "site_id",
    "agent_id",
    "interval_start",
    "scheduled_s",
    "staffed_s",
    "busy_s",
    "adherent_s",
];

/// An issue class: name, share, queue, share contained in the IVR, chance the agent
/// resolves it, mean talk seconds.
struct Issue {
    name: &'static str,
    share: f64,
    queue: &'static str,
    ivr_share: f64,
    resolve_p: f64,
    talk_s: f64,
}

const ISSUES: &[Issue] = &[
    Issue {
        name: "billing",
        share: 0.24,
        queue: "billing",
        ivr_share: 0.35,
        resolve_p: 0.90,
        talk_s: 220.0,
    },
    Issue {
        name: "plan_change",
        share: 0.18,
        queue: "sales",
        ivr_share: 0.10,
        resolve_p: 0.90,
        talk_s: 300.0,
    },
    Issue {
        name: "broadband_fault",
        share: 0.16,
        queue: "tech",
        ivr_share: 0.10,
        resolve_p: 0.70,
        talk_s: 320.0,
    },
    Issue {
        name: "mobile_network",
        share: 0.10,
        queue: "tech",
        ivr_share: 0.05,
        resolve_p: 0.75,
        talk_s: 260.0,
    },
    Issue {
        name: "account",
        share: 0.14,
        queue: "general",
        ivr_share: 0.20,
        resolve_p: 0.88,
        talk_s: 200.0,
    },
    Issue {
        name: "enquiry",
        share: 0.18,
        queue: "general",
        ivr_share: 0.30,
        resolve_p: 0.95,
        talk_s: 160.0,
    },
];

/// Mean agent time per queued contact used for rostering (talk, hold and after-call work,
/// with the longer chats).
const PLANNED_HANDLE_S: f64 = 285.0;
/// The centres answer from 08:00 to 22:00 (28 intervals).
const OPEN_S: i64 = 8 * HOUR_S;
const SLOTS: usize = 28;
/// Extra intervals after closing in which agents may still finish calls.
const OVERRUN_SLOTS: usize = 8;

const WEEKDAY_PROFILE: [f64; SLOTS] = [
    0.5, 0.8, 1.3, 1.6, 1.7, 1.7, 1.6, 1.4, 1.0, 0.9, 1.1, 1.3, 1.5, 1.5, 1.4, 1.4, 1.3, 1.2, 1.0,
    0.9, 0.8, 0.8, 0.8, 0.8, 0.7, 0.6, 0.5, 0.4,
];
const WEEKEND_PROFILE: [f64; SLOTS] = [
    0.4, 0.6, 0.9, 1.1, 1.3, 1.4, 1.4, 1.3, 1.1, 1.0, 1.1, 1.2, 1.3, 1.3, 1.3, 1.2, 1.2, 1.1, 1.0,
    1.0, 0.9, 0.9, 0.9, 0.8, 0.8, 0.7, 0.6, 0.5,
];

#[derive(Debug, Clone)]
struct Caller {
    arrive: Ts,
    chat: bool,
    issue: usize,
    customer_key: String,
    /// Retries after hanging up in the queue today.
    retry: u8,
    /// Earlier contacts about the same issue on other days.
    repeat: u8,
}

/// How one contact ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Answered,
    Abandoned,
    IvrOnly,
}

struct Contact {
    caller: Caller,
    id: String,
    ivr: Option<(Ts, Ts)>,
    queue_entry: Option<Ts>,
    outcome: Outcome,
    answered: Option<Ts>,
    abandoned: Option<Ts>,
    end: Ts,
    agent: Option<usize>,
    talk_hold_acw: Option<(i64, i64, i64)>,
    transferred: bool,
    resolved: bool,
    first_reply: Option<Ts>,
    qa_score: Option<i64>,
}

/// One agent's day: number, shift and how late they logged in.
struct AgentDay {
    number: usize,
    shift: Shift,
    late_s: i64,
    busy: Vec<i64>,
}

/// One call centre being simulated day after day.
pub(crate) struct CallCentre {
    spec: SiteSpec,
    rng: Rng,
    mean_daily: f64,
    pending: BTreeMap<i64, Vec<Caller>>,
}

/// Where a call centre writes.
pub(crate) struct CallOut<'a> {
    pub contacts: &'a mut CsvFile,
    pub agents: &'a mut CsvFile,
    pub follow: &'a mut Followups,
}

impl CallCentre {
    pub(crate) fn new(spec: SiteSpec, rng: Rng) -> CallCentre {
        let size = match spec.tier {
            Tier::Flagship => 1_500.0,
            Tier::Standard => 750.0,
            Tier::Small => 260.0,
        };
        CallCentre {
            spec,
            rng,
            mean_daily: size * spec.area.demand_factor(),
            pending: BTreeMap::new(),
        }
    }

    /// Simulates one day and writes its contacts, agent intervals and follow-ups.
    pub(crate) fn day(&mut self, day: &DayInfo, out: &mut CallOut<'_>) -> Result<(), DemoError> {
        let expected = self.expected_per_slot(day);
        let actual_factor = self.rng.lognormal_mean(1.0, 0.10);
        let (mut pool, mut agents) = self.roster(day.day, &expected);
        let mut callers: Vec<Caller> = Vec::new();
        for (i, e) in expected.iter().enumerate() {
            for _ in 0..self.rng.poisson(e * actual_factor) {
                let arrive =
                    day_start(day.day) + OPEN_S + slot_s(i) + self.rng.range_i64(0, SLOT_S - 1);
                callers.push(self.new_caller(arrive));
            }
        }
        callers.extend(self.pending.remove(&day.day).unwrap_or_default());
        let mut queue: BinaryHeap<Reverse<(Ts, usize)>> = callers
            .iter()
            .enumerate()
            .map(|(i, c)| Reverse((c.arrive, i)))
            .collect();
        let close = day_start(day.day) + OPEN_S + slot_s(SLOTS);
        let mut seq = 0u32;
        // Every pop removes one caller; retries add at most two per original caller.
        while let Some(Reverse((_, i))) = queue.pop() {
            seq += 1;
            let id = contact_id(self.spec.id, day.day, seq);
            let c = self.handle(&mut pool, &mut agents, callers[i].clone(), id, day.day);
            write_contact(out.contacts, self.spec.id, &c, &agents)?;
            if let Some(retry) = self.follow_up(&c, out.follow, close)? {
                callers.push(retry);
                queue.push(Reverse((
                    callers[callers.len() - 1].arrive,
                    callers.len() - 1,
                )));
            }
        }
        self.write_agents(day.day, &agents, out.agents)
    }

    fn expected_per_slot(&self, day: &DayInfo) -> Vec<f64> {
        let weekend = matches!(day.kind, DayKind::Weekend | DayKind::Holiday);
        let mut profile: Vec<f64> = if weekend {
            WEEKEND_PROFILE.to_vec()
        } else {
            WEEKDAY_PROFILE.to_vec()
        };
        if day.after_break {
            // Questions that waited over the weekend arrive first thing on Monday morning.
            for w in profile.iter_mut().take(8) {
                *w *= 1.3;
            }
        }
        let total: f64 = profile.iter().sum();
        let kind = match day.kind {
            DayKind::Holiday => 0.6,
            DayKind::Weekend => 0.68,
            DayKind::MakeUp => 1.0,
            DayKind::Workday => [1.0, 1.1, 1.0, 1.0, 0.95]
                .get(day.weekday as usize)
                .copied()
                .unwrap_or(1.0),
        };
        let daily = self.mean_daily * kind * if day.after_break { 1.3 } else { 1.0 };
        profile.iter().map(|w| daily * w / total).collect()
    }

    /// Agents per interval by Erlang C (80 % in 20 s) on the contacts expected to reach the
    /// queue, laid into 8-hour shifts with a break and part-time peak shifts; the quirky
    /// centre rosters only three quarters of that.
    fn roster(&mut self, day: i64, expected: &[f64]) -> (Pool, Vec<AgentDay>) {
        let understaffed = self.spec.quirk == Quirk::ShortAbandon;
        let required: Vec<u32> = expected
            .iter()
            .map(|e| {
                let n = servers_needed(e * 0.8 * 2.0, PLANNED_HANDLE_S, 20.0, 0.8).max(2);
                if understaffed { (n * 3 / 4).max(1) } else { n }
            })
            .collect();
        let team = match self.spec.tier {
            Tier::Flagship => 160,
            Tier::Standard => 80,
            Tier::Small => 30,
        };
        let open = day_start(day) + OPEN_S;
        let mut pool = Pool::default();
        let mut agents = Vec::new();
        for (k, shift) in agent_shifts(&required, 16).into_iter().enumerate() {
            if self.rng.chance(0.03) {
                continue;
            }
            let late_s = if self.rng.chance(0.2) {
                self.rng.range_i64(30, 300)
            } else {
                0
            };
            let idx = agents.len();
            let number = staff_number(k, day, team);
            for (from, to) in segments(&shift) {
                let end = if to == SLOTS {
                    Ts::MAX
                } else {
                    open + slot_s(to)
                };
                let start = open + slot_s(from) + if from == shift.from { late_s } else { 0 };
                pool.servers.push(Server {
                    staff: idx,
                    position: number,
                    start,
                    end,
                    free_at: start,
                    reserved: false,
                });
            }
            agents.push(AgentDay {
                number,
                shift,
                late_s,
                busy: vec![0; SLOTS + OVERRUN_SLOTS],
            });
        }
        (pool, agents)
    }

    fn new_caller(&mut self, arrive: Ts) -> Caller {
        let issue = self
            .rng
            .weighted(&ISSUES.iter().map(|i| i.share).collect::<Vec<_>>());
        Caller {
            arrive,
            chat: self.rng.chance(0.06),
            issue,
            customer_key: self.rng.key("c"),
            retry: 0,
            repeat: 0,
        }
    }

    /// One contact through the IVR and the queue.
    fn handle(
        &mut self,
        pool: &mut Pool,
        agents: &mut [AgentDay],
        caller: Caller,
        id: String,
        day: i64,
    ) -> Contact {
        let issue = &ISSUES[caller.issue];
        let mut c = Contact {
            caller,
            id,
            ivr: None,
            queue_entry: None,
            outcome: Outcome::Abandoned,
            answered: None,
            abandoned: None,
            end: 0,
            agent: None,
            talk_hold_acw: None,
            transferred: false,
            resolved: false,
            first_reply: None,
            qa_score: None,
        };
        let mut entry = c.caller.arrive;
        if !c.caller.chat {
            let exit = entry + round_i64(self.rng.lognormal_mean(55.0, 0.45)).max(8);
            c.ivr = Some((entry, exit));
            entry = exit;
            // Callers retrying after a hang-up press straight through to an agent.
            if c.caller.retry == 0 && self.rng.chance(issue.ivr_share) {
                (c.outcome, c.end) = (Outcome::IvrOnly, exit);
                return c;
            }
        }
        c.queue_entry = Some(entry);
        let offer = pool.earliest(entry, false);
        let wait = offer.map_or(Ts::MAX, |(_, start)| start - entry);
        let patience = self.patience(c.caller.chat, wait > 0);
        match offer {
            Some((idx, start)) if wait <= patience => {
                self.answer(pool, agents, &mut c, idx, start, day)
            }
            _ => {
                let at = entry + patience;
                (c.abandoned, c.end) = (Some(at), at);
            }
        }
        c
    }

    /// Patience in the queue. In the quirky centre a caller who is not answered at once
    /// hears "all agents are busy, please call later" and a third hang up within seconds.
    fn patience(&mut self, chat: bool, must_wait: bool) -> i64 {
        if must_wait && self.spec.quirk == Quirk::ShortAbandon && self.rng.chance(0.35) {
            return self.rng.range_i64(1, 5);
        }
        round_i64(self.rng.exponential(if chat { 300.0 } else { 110.0 })).max(1)
    }

    fn answer(
        &mut self,
        pool: &mut Pool,
        agents: &mut [AgentDay],
        c: &mut Contact,
        idx: usize,
        start: Ts,
        day: i64,
    ) {
        let issue = &ISSUES[c.caller.issue];
        let talk = round_i64(
            self.rng
                .lognormal_mean(issue.talk_s * if c.caller.chat { 1.8 } else { 1.0 }, 0.55),
        )
        .max(15);
        let hold = if self.rng.chance(0.25) {
            round_i64(self.rng.lognormal_mean(45.0, 0.6))
        } else {
            0
        };
        let acw = round_i64(self.rng.lognormal_mean(30.0, 0.5));
        let end = start + talk + hold;
        pool.occupy(idx, end + acw);
        let agent = pool.get(idx).map_or(0, |s| s.staff);
        if let Some(a) = agents.get_mut(agent) {
            add_busy(&mut a.busy, day_start(day) + OPEN_S, start, end + acw);
        }
        c.transferred = self.rng.chance(0.05);
        c.resolved = self
            .rng
            .chance(issue.resolve_p * if c.transferred { 0.8 } else { 1.0 });
        c.first_reply = c.caller.chat.then(|| start + self.rng.range_i64(5, 40));
        // About 3 % of answered contacts are monitored by quality assurance.
        c.qa_score = self
            .rng
            .chance(0.03)
            .then(|| round_i64(89.0 + 5.0 * self.rng.normal()).clamp(40, 100));
        (c.outcome, c.answered, c.end, c.agent, c.talk_hold_acw) = (
            Outcome::Answered,
            Some(start),
            end,
            Some(agent),
            Some((talk, hold, acw)),
        );
    }

    /// Survey, complaint, same-day retry and later repeat contact after a contact; returns
    /// the retry, if any, to be queued.
    fn follow_up(
        &mut self,
        c: &Contact,
        follow: &mut Followups,
        close: Ts,
    ) -> Result<Option<Caller>, DemoError> {
        let site = self.spec.id;
        let issue = &ISSUES[c.caller.issue];
        if let (Some(answered), Some(entry)) = (c.answered, c.queue_entry)
            && self.rng.chance(if c.caller.chat { 0.15 } else { 0.1 })
        {
            let mut latent = 4.6 - wait_penalty(answered - entry - 20, 60.0, 1.5);
            latent -= if c.resolved { 0.0 } else { 1.2 } + if c.transferred { 0.3 } else { 0.0 };
            let at = c.end + self.rng.range_i64(20, 90);
            follow.survey(
                &mut self.rng,
                site,
                &SurveySeed {
                    scene: "call_centre",
                    linked: &c.id,
                    at,
                    latent,
                    ask_nps: c.caller.chat,
                },
            )?;
        }
        let complain_p = match c.outcome {
            Outcome::Answered if !c.resolved => 0.02,
            Outcome::Abandoned
                if c.abandoned
                    .zip(c.queue_entry)
                    .is_some_and(|(a, q)| a - q > 3 * MIN_S) =>
            {
                0.005
            }
            _ => 0.001,
        };
        if self.rng.chance(complain_p) {
            let class = match issue.name {
                "billing" => ComplaintClass::Billing,
                "broadband_fault" | "mobile_network" => ComplaintClass::NetworkQuality,
                _ => ComplaintClass::UserService,
            };
            let seed = ComplaintSeed {
                class,
                at: c.end,
                customer_key: Some(&c.caller.customer_key),
                linked_record: Some(&c.id),
            };
            follow.complaint(&mut self.rng, site, &seed)?;
        }
        if c.outcome == Outcome::Abandoned && c.caller.retry < 2 && self.rng.chance(0.45) {
            let at = c.end + MIN_S + round_i64(self.rng.exponential(12.0 * 60.0));
            if at < close {
                return Ok(Some(Caller {
                    arrive: at,
                    retry: c.caller.retry + 1,
                    ..c.caller.clone()
                }));
            }
        }
        self.maybe_repeat(c);
        Ok(None)
    }

    /// Unresolved (and some resolved) issues bring the customer back within a week.
    fn maybe_repeat(&mut self, c: &Contact) {
        let p = match c.outcome {
            Outcome::Answered if c.resolved => 0.06,
            Outcome::Answered => 0.55,
            Outcome::Abandoned => 0.3,
            Outcome::IvrOnly => 0.03,
        };
        if c.caller.repeat >= 2 || !self.rng.chance(p) {
            return;
        }
        let day = c.end.div_euclid(crate::time::DAY_S) + self.rng.range_i64(1, 7);
        let slot = self.rng.weighted(&WEEKDAY_PROFILE);
        let arrive = day_start(day) + OPEN_S + slot_s(slot) + self.rng.range_i64(0, SLOT_S - 1);
        let next = Caller {
            arrive,
            retry: 0,
            repeat: c.caller.repeat + 1,
            ..c.caller.clone()
        };
        self.pending.entry(day).or_default().push(next);
    }

    /// Writes one row per agent and interval worked (scheduled, or busy past the end of
    /// the shift finishing a call).
    fn write_agents(
        &mut self,
        day: i64,
        agents: &[AgentDay],
        f: &mut CsvFile,
    ) -> Result<(), DemoError> {
        let open = day_start(day) + OPEN_S;
        for a in agents {
            let agent_id = format!("{}-A{:03}", self.spec.id, a.number);
            for (slot, busy) in a.busy.iter().enumerate() {
                let scheduled =
                    slot >= a.shift.from && slot < a.shift.to && a.shift.break_at != Some(slot);
                if !scheduled && *busy == 0 {
                    continue;
                }
                let mut staffed = if scheduled { SLOT_S } else { 0 };
                if slot == a.shift.from {
                    staffed -= a.late_s;
                }
                let staffed = staffed.max(*busy);
                // Now and then an agent spends a few minutes in an unscheduled state.
                let aux = if scheduled && self.rng.chance(0.3) {
                    self.rng.range_i64(0, 240)
                } else {
                    0
                };
                let adherent = if scheduled { (staffed - aux).max(0) } else { 0 };
                f.str(self.spec.id).str(&agent_id).ts(open + slot_s(slot));
                f.int(if scheduled { SLOT_S } else { 0 })
                    .int(staffed)
                    .int(*busy)
                    .int(adherent);
                f.end_row()?;
            }
        }
        Ok(())
    }
}

/// The working segments of a shift around its break.
fn segments(shift: &Shift) -> Vec<(usize, usize)> {
    match shift.break_at {
        Some(b) if b > shift.from && b + 1 < shift.to => vec![(shift.from, b), (b + 1, shift.to)],
        _ => vec![(shift.from, shift.to)],
    }
}

/// Adds the busy seconds of [from, to) to the intervals they overlap.
fn add_busy(busy: &mut [i64], open: Ts, from: Ts, to: Ts) {
    for (slot, b) in busy.iter_mut().enumerate() {
        let s = open + slot_s(slot);
        let overlap = to.min(s + SLOT_S) - from.max(s);
        if overlap > 0 {
            *b += overlap;
        }
    }
}

fn slot_s(i: usize) -> i64 {
    i64::try_from(i).unwrap_or(0) * SLOT_S
}

fn contact_id(site: &str, day: i64, n: u32) -> String {
    let mut s = String::with_capacity(28);
    s.push_str(site);
    s.push('-');
    push_compact_date(&mut s, day);
    s.push('-');
    s.push_str(&format!("{n:05}"));
    s
}

fn write_contact(
    f: &mut CsvFile,
    site: &str,
    c: &Contact,
    agents: &[AgentDay],
) -> Result<(), DemoError> {
    let issue = &ISSUES[c.caller.issue];
    let answered = c.outcome == Outcome::Answered;
    let outcome = match c.outcome {
        Outcome::Answered => "answered",
        Outcome::Abandoned => "abandoned",
        Outcome::IvrOnly => "ivr_only",
    };
    let agent = c
        .agent
        .and_then(|i| agents.get(i))
        .map(|a| format!("{site}-A{:03}", a.number));
    f.str(site)
        .str(&c.id)
        .str(if c.caller.chat { "chat" } else { "voice" })
        .str(if c.caller.chat { "online" } else { issue.queue });
    f.opt_ts(c.ivr.map(|x| x.0))
        .opt_ts(c.ivr.map(|x| x.1))
        .opt_ts(c.queue_entry)
        .opt_ts(c.answered)
        .opt_ts(c.abandoned);
    f.opt_ts(c.first_reply)
        .ts(c.end)
        .str(outcome)
        .opt_str(agent.as_deref());
    let tha = c.talk_hold_acw;
    f.opt_int(tha.map(|x| x.0))
        .opt_int(tha.map(|x| x.1))
        .opt_int(tha.map(|x| x.2));
    f.opt_bool(answered.then_some(c.transferred))
        .str(&c.caller.customer_key)
        .str(issue.name)
        .opt_bool(answered.then_some(c.resolved));
    f.opt_int(c.qa_score);
    f.end_row()
}
