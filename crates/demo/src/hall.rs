//! Business halls: ticket arrivals, counter rosters and the first-come-first-served queue.
//!
//! Each hall-day draws Poisson arrivals per 30-minute interval from a weekday or weekend
//! profile (busy at lunch, after work and at weekends, quieter on holidays), rosters
//! counters by Erlang C against the expected load, then serves tickets in order. Customers
//! whose patience (exponential) runs out before they are called walk away (`left`) or are
//! called in vain (`no_show`). Served customers sometimes come back within a week with the
//! same request, answer a survey or complain, in proportion to what happened to them.

use std::collections::BTreeMap;

use crate::DemoError;
use crate::calendar::{DayInfo, DayKind};
use crate::csv_out::CsvFile;
use crate::followup::{
    ComplaintClass, ComplaintSeed, Followups, SurveySeed, survey_time, wait_penalty,
};
use crate::rng::{Rng, ceil_u32, round_i64};
use crate::sites::{Quirk, SiteSpec, Tier};
use crate::staffing::{Pool, Server, counter_shifts, servers_needed, staff_number};
use crate::time::{DAY_S, HOUR_S, MIN_S, SLOT_S, Ts, day_start, push_compact_date};

/// Columns of `hall_ticket.csv`.
pub(crate) const HALL_COLUMNS: &[&str] = &[
    "site_id",
    "ticket_id",
    "service_type",
    "customer_class",
    "issued_at",
    "called_at",
    "call_count",
    "service_start_at",
    "service_end_at",
    "left_at",
    "outcome",
    "counter_id",
    "staff_id",
    "appointment",
    "customer_key",
    "request_key",
    "settled_at",
    "done_at",
    "error_found",
];

/// A service offered at the counters: name, share of tickets, mean service seconds and
/// the ticket letter (A = quick payments and enquiries, B = business transactions).
struct Service {
    name: &'static str,
    share: f64,
    mean_s: f64,
    letter: char,
}

const SERVICES: &[Service] = &[
    Service {
        name: "payment",
        share: 0.28,
        mean_s: 180.0,
        letter: 'A',
    },
    Service {
        name: "enquiry",
        share: 0.18,
        mean_s: 240.0,
        letter: 'A',
    },
    Service {
        name: "sim_replacement",
        share: 0.12,
        mean_s: 300.0,
        letter: 'B',
    },
    Service {
        name: "change",
        share: 0.14,
        mean_s: 480.0,
        letter: 'B',
    },
    Service {
        name: "reconnect",
        share: 0.06,
        mean_s: 240.0,
        letter: 'B',
    },
    Service {
        name: "new_line",
        share: 0.12,
        mean_s: 720.0,
        letter: 'B',
    },
    Service {
        name: "broadband",
        share: 0.10,
        mean_s: 900.0,
        letter: 'B',
    },
];

/// Mean counter time per ticket used for rostering: the service mix (~390 s) plus walking
/// to the counter and wrap-up.
const PLANNED_HANDLE_S: f64 = 450.0;

/// Weekday arrival profile from 09:00 in 30-minute steps: a lunch peak and a larger
/// after-work peak (halls that close at 18:00 use the first 18 entries).
const WEEKDAY_PROFILE: [f64; 22] = [
    0.6, 0.8, 1.0, 1.1, 1.2, 1.4, 1.6, 1.5, 1.2, 1.0, 0.9, 0.9, 0.9, 0.9, 1.0, 1.1, 1.3, 1.6, 1.7,
    1.4, 1.0, 0.6,
];
/// Weekend profile: a late start and a long busy afternoon.
const WEEKEND_PROFILE: [f64; 22] = [
    0.5, 0.7, 1.0, 1.2, 1.3, 1.4, 1.4, 1.4, 1.3, 1.3, 1.3, 1.3, 1.3, 1.2, 1.2, 1.2, 1.1, 1.1, 1.0,
    0.9, 0.7, 0.5,
];

/// Customer classes with their share and mean patience in minutes.
const CLASSES: &[(&str, f64, f64)] = &[
    ("ordinary", 0.80, 35.0),
    ("vip", 0.07, 15.0),
    ("elderly", 0.13, 50.0),
];

/// A customer arriving with a ticket.
#[derive(Debug, Clone)]
pub(crate) struct Visitor {
    arrive: Ts,
    class: usize,
    service: usize,
    appointment: bool,
    customer_key: String,
    request_key: String,
    /// How many earlier visits this request has had (bounds the revisit chain).
    visits_before: u8,
}

/// What happened to one ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Served,
    NoShow,
    Left,
    Transferred,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Served => "served",
            Outcome::NoShow => "no_show",
            Outcome::Left => "left",
            Outcome::Transferred => "transferred",
        }
    }
}

/// A served or abandoned ticket, before it is written.
struct Ticket {
    visitor: Visitor,
    id: String,
    outcome: Outcome,
    called: Option<Ts>,
    call_count: Option<i64>,
    start: Option<Ts>,
    end: Option<Ts>,
    left: Option<Ts>,
    server: Option<usize>,
    error: bool,
    done: Option<Ts>,
}

/// One hall being simulated day after day.
pub(crate) struct Hall {
    spec: SiteSpec,
    rng: Rng,
    slots: usize,
    mean_daily: f64,
    vip_counter: bool,
    /// How generously the manager rosters relative to the Erlang C requirement (a site
    /// trait, so that good halls still differ).
    generosity: f64,
    /// How fast this hall's staff work relative to the standard service times.
    pace: f64,
    /// Revisits already decided, by day number.
    pending: BTreeMap<i64, Vec<Visitor>>,
}

/// Where a hall writes.
pub(crate) struct HallOut<'a> {
    pub tickets: &'a mut CsvFile,
    pub follow: &'a mut Followups,
}

impl Hall {
    pub(crate) fn new(spec: SiteSpec, mut rng: Rng) -> Hall {
        let long_hours = spec.area == crate::sites::Area::Urban && spec.tier != Tier::Small;
        let size = match spec.tier {
            Tier::Flagship => 650.0,
            Tier::Standard => 320.0,
            Tier::Small => 130.0,
        };
        // The quirky halls are otherwise average, so that their one problem stands out.
        let (generosity, pace) = match spec.quirk {
            Quirk::EveningGap => (1.0, 1.0),
            Quirk::ErrorProne => (1.0, 1.15),
            _ => (rng.uniform(0.92, 1.06), rng.lognormal_mean(1.0, 0.06)),
        };
        let slots = if long_hours { 22 } else { 18 };
        Hall {
            spec,
            rng,
            slots,
            mean_daily: size * spec.area.demand_factor(),
            vip_counter: spec.tier == Tier::Flagship,
            generosity,
            pace,
            pending: BTreeMap::new(),
        }
    }

    /// Simulates one day and writes its tickets and follow-ups.
    pub(crate) fn day(&mut self, day: &DayInfo, out: &mut HallOut<'_>) -> Result<(), DemoError> {
        let expected = self.expected_per_slot(day);
        // Demand on the day differs from the forecast the roster was built on.
        let actual_factor = self.rng.lognormal_mean(1.0, 0.12);
        let pool = self.roster(day.day, &expected);
        let mut visitors = self.arrivals(day, &expected, actual_factor);
        visitors.extend(self.pending.remove(&day.day).unwrap_or_default());
        visitors.sort_by_key(|v| v.arrive);
        self.serve_all(day.day, pool, visitors, out)
    }

    /// Expected arrivals per interval (all classes).
    fn expected_per_slot(&self, day: &DayInfo) -> Vec<f64> {
        let profile = if matches!(day.kind, DayKind::Weekend | DayKind::Holiday) {
            &WEEKEND_PROFILE
        } else {
            &WEEKDAY_PROFILE
        };
        let profile = &profile[..self.slots];
        let total: f64 = profile.iter().sum();
        let daily = self.mean_daily * hall_day_factor(day);
        profile.iter().map(|w| daily * w / total).collect()
    }

    /// Counters per interval by Erlang C (85 % called within 10 minutes) on the hall's own
    /// handling time (managers roster from their history), with the evening gap of the
    /// quirky hall, an occasional absent colleague, and a VIP counter in flagship halls.
    fn roster(&mut self, day: i64, expected: &[f64]) -> Pool {
        let general_share = if self.vip_counter {
            1.0 - CLASSES[1].1
        } else {
            1.0
        };
        let required: Vec<u32> = expected
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let n = servers_needed(
                    e * general_share * 2.0,
                    PLANNED_HANDLE_S * self.pace,
                    600.0,
                    0.85,
                );
                let n = ceil_u32(f64::from(n) * self.generosity).max(1);
                let evening =
                    self.spec.quirk == Quirk::EveningGap && slot_start_s(i) >= 17 * HOUR_S;
                if evening { (n / 2).max(1) } else { n }
            })
            .collect();
        let open = day_start(day) + 9 * HOUR_S;
        let mut pool = Pool::default();
        let team = self.team();
        for (k, (counter, shift)) in counter_shifts(&required).into_iter().enumerate() {
            // About one shift in twenty-five is lost to sickness or training.
            if counter > 0 && self.rng.chance(0.04) {
                continue;
            }
            let start = open + slot_s(shift.from);
            let end = if shift.to == self.slots {
                Ts::MAX
            } else {
                open + slot_s(shift.to)
            };
            let staff = staff_number(k, day, team);
            pool.servers.push(Server {
                staff,
                position: counter as usize + 1,
                start,
                end,
                free_at: start,
                reserved: false,
            });
        }
        if self.vip_counter {
            let staff = staff_number(pool.servers.len() + 40, day, team);
            pool.servers.push(Server {
                staff,
                position: 1,
                start: open,
                end: Ts::MAX,
                free_at: open,
                reserved: true,
            });
        }
        pool
    }

    /// Size of the hall's own team (staff numbers rotate through it).
    fn team(&self) -> usize {
        match self.spec.tier {
            Tier::Flagship => 30,
            Tier::Standard => 16,
            Tier::Small => 7,
        }
    }

    /// Poisson arrivals per interval, uniformly spread inside it.
    fn arrivals(&mut self, day: &DayInfo, expected: &[f64], factor: f64) -> Vec<Visitor> {
        let open = day_start(day.day) + 9 * HOUR_S;
        let mut out = Vec::new();
        for (i, e) in expected.iter().enumerate() {
            for _ in 0..self.rng.poisson(e * factor) {
                let arrive = open + slot_s(i) + self.rng.range_i64(0, SLOT_S - 1);
                let v = self.new_visitor(arrive);
                out.push(v);
            }
        }
        out
    }

    fn new_visitor(&mut self, arrive: Ts) -> Visitor {
        let class = self
            .rng
            .weighted(&CLASSES.iter().map(|c| c.1).collect::<Vec<_>>());
        let service = self
            .rng
            .weighted(&SERVICES.iter().map(|s| s.share).collect::<Vec<_>>());
        let appointment = SERVICES[service].letter == 'B' && self.rng.chance(0.06);
        Visitor {
            arrive,
            class,
            service,
            appointment,
            customer_key: self.rng.key("c"),
            request_key: self.rng.key("r"),
            visits_before: 0,
        }
    }

    /// Serves the day's tickets in arrival order and writes them.
    fn serve_all(
        &mut self,
        day: i64,
        mut pool: Pool,
        visitors: Vec<Visitor>,
        out: &mut HallOut<'_>,
    ) -> Result<(), DemoError> {
        let mut seq = [0u32; 3];
        for v in visitors {
            let vip_lane = self.vip_counter && v.class == 1 && pool.has(true);
            let letter = if vip_lane {
                'V'
            } else {
                SERVICES[v.service].letter
            };
            let n = &mut seq[match letter {
                'A' => 0,
                'B' => 1,
                _ => 2,
            }];
            *n += 1;
            let id = ticket_id(self.spec.id, day, letter, *n);
            let ticket = self.serve(&mut pool, v, id, vip_lane);
            write_ticket(out.tickets, self.spec.id, &ticket, &pool)?;
            self.follow_up(&ticket, out.follow)?;
        }
        Ok(())
    }

    /// One ticket through the queue.
    fn serve(&mut self, pool: &mut Pool, v: Visitor, id: String, vip_lane: bool) -> Ticket {
        let mut t = Ticket {
            visitor: v,
            id,
            outcome: Outcome::Served,
            called: None,
            call_count: None,
            start: None,
            end: None,
            left: None,
            server: None,
            error: false,
            done: None,
        };
        let Some((idx, call)) = pool.earliest(t.visitor.arrive, vip_lane) else {
            t.outcome = Outcome::Left;
            t.left = Some(t.visitor.arrive + 20 * MIN_S);
            return t;
        };
        let patience_mean =
            CLASSES[t.visitor.class].2 * 60.0 * if t.visitor.appointment { 2.0 } else { 1.0 };
        let patience = round_i64(self.rng.exponential(patience_mean));
        let gone = call - t.visitor.arrive > patience;
        if gone && self.rng.chance(0.6) {
            t.outcome = Outcome::Left;
            t.left = Some(t.visitor.arrive + patience);
            return t;
        }
        t.server = Some(idx);
        if gone || self.rng.chance(0.015) {
            // Called two or three times in vain; the counter moves on after a short wait.
            let calls = self.rng.range_i64(2, 3);
            t.outcome = Outcome::NoShow;
            t.call_count = Some(calls);
            t.called = Some(call + (calls - 1) * 60);
            pool.occupy(idx, call + calls * 60);
            return t;
        }
        self.transact(pool, idx, call, &mut t);
        t
    }

    /// A customer at the counter: service time by service type, errors, transfers.
    fn transact(&mut self, pool: &mut Pool, idx: usize, call: Ts, t: &mut Ticket) {
        let recalled = self.rng.chance(0.08);
        let called = if recalled {
            call + self.rng.range_i64(60, 120)
        } else {
            call
        };
        let service = &SERVICES[t.visitor.service];
        let slow = self.pace;
        let start = called + self.rng.range_i64(15, 60);
        let end = start + round_i64(self.rng.lognormal_mean(service.mean_s * slow, 0.45)).max(40);
        pool.occupy(idx, end + self.rng.range_i64(10, 40));
        // About 1.2 ‰ of transactions are later found wrong; new staff make far more errors.
        let error_p = if self.spec.quirk == Quirk::ErrorProne {
            0.02
        } else {
            0.0012
        };
        t.error = self
            .rng
            .chance(error_p * if service.letter == 'B' { 1.5 } else { 0.6 });
        t.outcome = if self.rng.chance(0.04) {
            Outcome::Transferred
        } else {
            Outcome::Served
        };
        (t.called, t.call_count, t.start, t.end) = (
            Some(called),
            Some(if recalled { 2 } else { 1 }),
            Some(start),
            Some(end),
        );
        if t.outcome == Outcome::Served && matches!(service.name, "change" | "reconnect") {
            // Most changes take effect within the hour; a few wait for a back-office fix.
            let late = self.rng.chance(0.01);
            let delay = if late {
                self.rng.uniform(20.0, 40.0) * 3_600.0
            } else {
                self.rng.lognormal_mean(25.0 * 60.0, 0.8)
            };
            t.done = Some(end + round_i64(delay));
        }
    }

    /// Surveys, complaints and revisits that follow a ticket.
    fn follow_up(&mut self, t: &Ticket, follow: &mut Followups) -> Result<(), DemoError> {
        let waited = t.called.or(t.left).map_or(0, |c| c - t.visitor.arrive);
        self.survey(t, waited, follow)?;
        if let Some(class) = self.complaint_class(t, waited) {
            let at = t.end.or(t.left).unwrap_or(t.visitor.arrive);
            let customer_key = Some(t.visitor.customer_key.as_str());
            let seed = ComplaintSeed {
                class,
                at,
                customer_key,
                linked_record: Some(&t.id),
            };
            follow.complaint(&mut self.rng, self.spec.id, &seed)?;
        }
        self.maybe_revisit(t);
        Ok(())
    }

    /// A survey answer from some served customers (satisfaction falls with waits beyond
    /// 10 minutes, errors and transfers) and a few walk-aways.
    fn survey(&mut self, t: &Ticket, waited: i64, follow: &mut Followups) -> Result<(), DemoError> {
        let served = matches!(t.outcome, Outcome::Served | Outcome::Transferred);
        let (event, latent) = if served && self.rng.chance(0.08) {
            let mut latent = 4.6 - wait_penalty(waited - 10 * MIN_S, 600.0, 2.0);
            latent -= if t.error { 1.4 } else { 0.0 };
            latent -= if t.outcome == Outcome::Transferred {
                0.4
            } else {
                0.0
            };
            latent -= if self.spec.quirk == Quirk::ErrorProne {
                0.9
            } else {
                0.0
            };
            (t.end, latent)
        } else if t.outcome == Outcome::Left && self.rng.chance(0.05) {
            (t.left, 2.0)
        } else {
            return Ok(());
        };
        let at = survey_time(&mut self.rng, event.unwrap_or(t.visitor.arrive), false);
        let seed = SurveySeed {
            scene: "hall",
            linked: &t.id,
            at,
            latent,
            ask_nps: true,
        };
        follow.survey(&mut self.rng, self.spec.id, &seed)
    }

    /// Whether the ticket draws a complaint: often after an error, sometimes after walking
    /// away from a long wait, rarely otherwise.
    fn complaint_class(&mut self, t: &Ticket, waited: i64) -> Option<ComplaintClass> {
        let payment = SERVICES[t.visitor.service].name == "payment";
        if t.error {
            let class = if payment {
                ComplaintClass::Billing
            } else {
                ComplaintClass::UserService
            };
            self.rng.chance(0.3).then_some(class)
        } else if t.outcome == Outcome::Left && waited > 20 * MIN_S {
            self.rng.chance(0.03).then_some(ComplaintClass::UserService)
        } else if self.rng.chance(0.0015) {
            Some(if self.rng.chance(0.6) {
                ComplaintClass::UserService
            } else {
                ComplaintClass::Billing
            })
        } else {
            None
        }
    }

    /// Customers whose request was not settled come back with the same request key.
    fn maybe_revisit(&mut self, t: &Ticket) {
        let p = match t.outcome {
            _ if t.error => 0.6,
            Outcome::Left | Outcome::NoShow => 0.45,
            Outcome::Transferred => 0.3,
            Outcome::Served => 0.04,
        };
        if t.visitor.visits_before >= 2 || !self.rng.chance(p) {
            return;
        }
        let day = t.visitor.arrive.div_euclid(DAY_S) + self.rng.range_i64(1, 7);
        let profile = &WEEKDAY_PROFILE[..self.slots];
        let slot = self.rng.weighted(profile);
        let arrive = day_start(day) + 9 * HOUR_S + slot_s(slot) + self.rng.range_i64(0, SLOT_S - 1);
        let mut v = t.visitor.clone();
        (v.arrive, v.visits_before, v.appointment) = (arrive, v.visits_before + 1, false);
        self.pending.entry(day).or_default().push(v);
    }
}

/// Demand of a day relative to an ordinary Monday: busier weekends and month starts (bill
/// payment), quieter holidays, a small catch-up on make-up working days.
fn hall_day_factor(day: &DayInfo) -> f64 {
    let kind = match day.kind {
        DayKind::Holiday => 0.55,
        DayKind::MakeUp => 1.1,
        DayKind::Weekend => {
            if day.weekday == 5 {
                1.3
            } else {
                1.2
            }
        }
        DayKind::Workday => [1.05, 0.95, 0.95, 0.95, 1.0]
            .get(day.weekday as usize)
            .copied()
            .unwrap_or(1.0),
    };
    kind * if day.day_of_month <= 5 { 1.15 } else { 1.0 }
}

/// Offset of interval `i` from opening, in seconds.
fn slot_s(i: usize) -> i64 {
    i64::try_from(i).unwrap_or(0) * SLOT_S
}

/// Time of day at which interval `i` starts (halls open at 09:00).
fn slot_start_s(i: usize) -> i64 {
    9 * HOUR_S + slot_s(i)
}

fn ticket_id(site: &str, day: i64, letter: char, n: u32) -> String {
    let mut s = String::with_capacity(24);
    s.push_str(site);
    s.push('-');
    push_compact_date(&mut s, day);
    s.push('-');
    s.push(letter);
    s.push_str(&format!("{n:03}"));
    s
}

fn write_ticket(f: &mut CsvFile, site: &str, t: &Ticket, pool: &Pool) -> Result<(), DemoError> {
    let v = &t.visitor;
    let server = t.server.and_then(|i| pool.get(i));
    let counter =
        server.map(|s| format!("{}{:02}", if s.reserved { 'V' } else { 'W' }, s.position));
    let staff = server.map(|s| format!("{site}-S{:03}", s.staff));
    f.str(site)
        .str(&t.id)
        .str(SERVICES[v.service].name)
        .str(CLASSES[v.class].0)
        .ts(v.arrive);
    f.opt_ts(t.called)
        .opt_int(t.call_count)
        .opt_ts(t.start)
        .opt_ts(t.end)
        .opt_ts(t.left)
        .str(t.outcome.as_str());
    f.opt_str(counter.as_deref())
        .opt_str(staff.as_deref())
        .bool(v.appointment)
        .str(&v.customer_key)
        .str(&v.request_key);
    let settled = t.done.and(t.end);
    f.opt_ts(settled)
        .opt_ts(t.done)
        .opt_bool(t.end.map(|_| t.error));
    f.end_row()
}
