//! Installation and maintenance centres: work orders, appointments and technician dispatch.
//!
//! Orders arrive as Poisson counts per day (installs, moves and changes on working days,
//! repairs every day), get a promised date (installs by working days, repairs by the legal
//! 48 h urban / 72 h rural limit) and usually an appointment window of at most 5 hours.
//! Each day a crew of technicians (smaller at weekends and on holidays) works through the
//! backlog: well-run centres take the earliest deadline first; the quirky centre takes
//! orders first come, first served with too few technicians, so its backlog — and its
//! repair times — grow until contractors are called in. Travel time depends on the area
//! class, so rural repairs take longer even in good centres. The simulation starts four
//! weeks before the period so that backlogs are already at their usual level on day one.

use std::collections::BTreeMap;

use crate::DemoError;
use crate::calendar::{DayInfo, DayKind, end_of_nth_working_day};
use crate::csv_out::CsvFile;
use crate::followup::{ComplaintClass, ComplaintSeed, Followups, SurveySeed, hours, survey_time};
use crate::rng::{Rng, round_i64};
use crate::sites::{Area, Quirk, SiteSpec, Tier};
use crate::time::{DAY_S, HOUR_S, MIN_S, Ts, day_of, day_start, push_compact_date};

/// Columns of `work_order.csv`.
pub(crate) const ORDER_COLUMNS: &[&str] = &[
    "site_id",
    "order_id",
    "kind",
    "service",
    "area_class",
    "customer_key",
    "line_key",
    "created_at",
    "committed_by",
    "appointment_start",
    "appointment_end",
    "cancelled_at",
    "cancelled_by",
    "dispatched_at",
    "arrived_at",
    "completed_at",
    "status",
    "cause_class",
    "pause_s",
    "exclusion",
    "visit_count",
    "technician_id",
    "compensation_due",
    "compensation_paid",
];

/// Days simulated before the period so that backlogs start in their steady state.
pub(crate) const WARM_UP_DAYS: i64 = 28;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Install,
    Move,
    Change,
    Repair,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Install => "install",
            Kind::Move => "move",
            Kind::Change => "change",
            Kind::Repair => "repair",
        }
    }

    /// Mean minutes of work on site.
    fn work_min(self) -> f64 {
        match self {
            Kind::Install => 80.0,
            Kind::Move => 90.0,
            Kind::Change => 35.0,
            Kind::Repair => 55.0,
        }
    }
}

/// Order kinds and their share of orders.
const KINDS: [(Kind, f64); 4] = [
    (Kind::Install, 0.35),
    (Kind::Move, 0.08),
    (Kind::Change, 0.12),
    (Kind::Repair, 0.45),
];
/// Services, their share and how long their work takes relative to broadband.
const SERVICES: [(&str, f64, f64); 5] = [
    ("broadband", 0.55, 1.0),
    ("fixed", 0.12, 0.8),
    ("tv", 0.15, 0.9),
    ("mobile", 0.10, 0.7),
    ("other", 0.08, 0.8),
];
/// Repair causes and their share.
const CAUSES: [(&str, f64); 5] = [
    ("network", 0.50),
    ("customer", 0.12),
    ("terminal", 0.15),
    ("force_majeure", 0.02),
    ("other", 0.21),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Open,
    Completed,
    Cancelled,
}

/// One work order and its dispatch state.
#[derive(Debug, Clone)]
struct Order {
    seq: u64,
    id: String,
    kind: Kind,
    service: usize,
    area: Area,
    customer_key: String,
    line_key: String,
    created: Ts,
    committed: Ts,
    appt: Option<(Ts, Ts)>,
    /// The appointment is still to be kept.
    appt_live: bool,
    appt_cancel: Option<(Ts, &'static str)>,
    dispatched: Option<Ts>,
    arrived: Option<Ts>,
    completed: Option<Ts>,
    status: Status,
    cause: Option<&'static str>,
    exclusion: Option<&'static str>,
    pause_s: i64,
    /// The part of `pause_s` caused by the customer moving the appointment.
    moved_s: i64,
    visits: i64,
    technician: Option<String>,
    missed_window: bool,
    /// Earliest time a technician can work on it.
    ready_at: Ts,
    /// The customer withdraws the order at this time if it is not done by then.
    withdraw_at: Option<Ts>,
    /// Earlier repairs on the same line (bounds repeat chains).
    repeat: u8,
}

/// Period facts a field centre needs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FieldPeriod {
    /// Orders created before this are warm-up and not written.
    pub start: Ts,
    /// Start of the day after the period: nothing after it has happened yet.
    pub cutoff: Ts,
    /// Day of the mass outage (for centres in the affected city).
    pub outage_day: Option<i64>,
}

/// One field centre being simulated day after day.
pub(crate) struct FieldCentre {
    spec: SiteSpec,
    rng: Rng,
    period: FieldPeriod,
    mean_daily: f64,
    crew: usize,
    travel_min: f64,
    contractors: bool,
    /// Own technicians at work today (the rest of today's crew are contractors).
    own_today: usize,
    seq: u64,
    backlog: Vec<Order>,
    pending: BTreeMap<i64, Vec<Order>>,
}

/// Where a field centre writes.
pub(crate) struct FieldOut<'a> {
    pub orders: &'a mut CsvFile,
    pub follow: &'a mut Followups,
}

impl FieldCentre {
    pub(crate) fn new(spec: SiteSpec, rng: Rng, period: FieldPeriod) -> FieldCentre {
        let size = match spec.tier {
            Tier::Flagship => 110.0,
            Tier::Standard => 55.0,
            Tier::Small => 22.0,
        };
        let mean_daily = size * spec.area.demand_factor();
        let travel_min = match spec.area {
            Area::Urban => 25.0,
            Area::MajorRural => 40.0,
            Area::Rural => 45.0,
            Area::MinorRural => 55.0,
            Area::Remote => 80.0,
        };
        let crew = crew_size(
            mean_daily,
            travel_min,
            rota(spec.area, spec.quirk).0,
            utilisation(spec.area, spec.quirk),
        );
        FieldCentre {
            spec,
            rng,
            period,
            mean_daily,
            crew,
            travel_min,
            contractors: false,
            own_today: 0,
            seq: 0,
            backlog: Vec::new(),
            pending: BTreeMap::new(),
        }
    }

    fn fifo(&self) -> bool {
        self.spec.quirk == Quirk::RepairBacklog
    }

    /// Simulates one day: new orders, dispatch, end-of-day housekeeping.
    pub(crate) fn day(&mut self, day: &DayInfo, out: &mut FieldOut<'_>) -> Result<(), DemoError> {
        self.create_orders(day, out)?;
        self.dispatch(day, out)?;
        self.end_of_day(day, out)
    }

    /// Writes the orders still open at the end of the period.
    pub(crate) fn finish(&mut self, cutoff: Ts, out: &mut FieldOut<'_>) -> Result<(), DemoError> {
        let mut open = std::mem::take(&mut self.backlog);
        open.sort_by_key(|o| o.seq);
        for mut o in open {
            o.status = Status::Open;
            // A customer's request to move the appointment that lies after the period has
            // not been made yet.
            if o.appt_cancel.is_some_and(|(at, _)| at >= cutoff) {
                (o.appt_cancel, o.appt_live) = (None, true);
                o.pause_s -= o.moved_s;
            }
            let due = o.exclusion.is_none() && cutoff - o.pause_s > o.committed;
            if o.created >= self.period.start {
                write_order(out.orders, self.spec.id, &o, due, false)?;
            }
        }
        Ok(())
    }

    fn create_orders(&mut self, day: &DayInfo, out: &mut FieldOut<'_>) -> Result<(), DemoError> {
        for (kind, share) in KINDS {
            let factor = demand_factor(kind, day.kind);
            for _ in 0..self.rng.poisson(self.mean_daily * share * factor) {
                let created = self.creation_time(day.day, kind);
                let o = self.new_order(kind, created, None);
                self.backlog.push(o);
            }
        }
        for mut o in self.pending.remove(&day.day).unwrap_or_default() {
            o.seq = self.next_seq();
            o.id = order_id(self.spec.id, o.created, o.seq);
            self.backlog.push(o);
        }
        if self.period.outage_day == Some(day.day) {
            self.mass_outage(day.day, out)?;
        }
        Ok(())
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Creation time within a day: sales orders in shop and online hours, fault reports
    /// around the clock but mostly by day.
    fn creation_time(&mut self, day: i64, kind: Kind) -> Ts {
        let hour = if kind == Kind::Repair {
            const WEIGHTS: [f64; 24] = [
                0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.4, 0.8, 1.2, 1.4, 1.4, 1.3, 1.1, 1.1, 1.2, 1.2,
                1.1, 1.0, 1.0, 1.0, 0.9, 0.8, 0.5, 0.3,
            ];
            self.rng.weighted(&WEIGHTS)
        } else {
            8 + self.rng.weighted(&[
                0.6, 1.0, 1.2, 1.2, 1.0, 1.0, 1.1, 1.1, 1.0, 1.0, 1.1, 1.0, 0.7,
            ])
        };
        day_start(day)
            + i64::try_from(hour).unwrap_or(12) * HOUR_S
            + self.rng.range_i64(0, HOUR_S - 1)
    }

    /// A new order with its promise, appointment and (for repairs) cause.
    fn new_order(&mut self, kind: Kind, created: Ts, line: Option<(&str, &str, u8)>) -> Order {
        let seq = self.next_seq();
        let area = self.order_area();
        let service = self.rng.weighted(&SERVICES.map(|s| s.1));
        let (customer_key, line_key, repeat) = match line {
            Some((c, l, r)) => (c.to_string(), l.to_string(), r),
            None => (self.rng.key("c"), self.rng.key("L"), 0),
        };
        let committed = match kind {
            Kind::Install | Kind::Move => end_of_nth_working_day(created, install_days(area)),
            Kind::Change => end_of_nth_working_day(created, 2),
            Kind::Repair => {
                created
                    + if area == Area::Urban {
                        48 * HOUR_S
                    } else {
                        72 * HOUR_S
                    }
            }
        };
        let mut o = Order {
            seq,
            id: order_id(self.spec.id, created, seq),
            kind,
            service,
            area,
            customer_key,
            line_key,
            created,
            committed,
            appt: None,
            appt_live: false,
            appt_cancel: None,
            dispatched: None,
            arrived: None,
            completed: None,
            status: Status::Open,
            cause: None,
            exclusion: None,
            pause_s: 0,
            moved_s: 0,
            visits: 0,
            technician: None,
            missed_window: false,
            ready_at: created,
            withdraw_at: None,
            repeat,
        };
        if kind == Kind::Repair {
            self.set_cause(&mut o);
        } else if kind == Kind::Install && self.rng.chance(0.02) {
            o.withdraw_at = Some(created + round_i64(self.rng.uniform(0.5, 4.0) * 86_400.0));
        }
        if kind != Kind::Repair || self.rng.chance(0.5) {
            self.book_appointment(&mut o);
        }
        o
    }

    /// Premises are in the centre's area class, except that rural centres also serve
    /// their county town.
    fn order_area(&mut self) -> Area {
        match self.spec.area {
            Area::MajorRural | Area::Rural | Area::MinorRural if self.rng.chance(0.15) => {
                Area::Urban
            }
            a => a,
        }
    }

    fn set_cause(&mut self, o: &mut Order) {
        let cause = CAUSES[self.rng.weighted(&CAUSES.map(|c| c.1))].0;
        o.cause = Some(cause);
        o.exclusion = match cause {
            "terminal" if self.rng.chance(0.6) => Some("terminal_fault"),
            "customer" if self.rng.chance(0.5) => Some("customer_side"),
            "force_majeure" => Some("force_majeure"),
            _ => None,
        };
        if cause == "force_majeure" {
            // Roads or poles are down: nobody can start before the weather clears.
            o.ready_at += round_i64(self.rng.uniform(1.0, 4.0) * 86_400.0);
        }
    }

    /// An appointment window of 4 hours (morning or afternoon) on a day shortly after the
    /// order; a few customers move it themselves, which pauses the clock.
    fn book_appointment(&mut self, o: &mut Order) {
        let created_day = day_of(o.created);
        let lead = if o.kind == Kind::Repair {
            i64::from(o.created - day_start(created_day) >= 12 * HOUR_S)
        } else {
            1 + self
                .rng
                .range_i64(0, if o.area == Area::Urban { 1 } else { 2 })
        };
        let day = created_day + lead;
        let morning = lead > 0 && self.rng.chance(0.5);
        let start = day_start(day)
            + if morning {
                9 * HOUR_S
            } else {
                13 * HOUR_S + 30 * MIN_S
            };
        o.appt = Some((start, start + 4 * HOUR_S));
        o.appt_live = true;
        o.ready_at = o.ready_at.max(start - HOUR_S);
        if self.rng.chance(0.04) {
            let shift = round_i64(self.rng.uniform(1.0, 3.0)) * DAY_S;
            let at = cancel_time(o.created, start, self.rng.range_i64(HOUR_S, 20 * HOUR_S));
            o.appt_cancel = Some((at, "customer"));
            o.appt_live = false;
            o.ready_at = start + shift;
            o.pause_s += shift;
            o.moved_s = shift;
        }
    }

    /// A declared mass outage: a trunk fibre cut in the afternoon takes out many lines; the
    /// repairs are closed by the network team when service returns, without visits.
    fn mass_outage(&mut self, day: i64, out: &mut FieldOut<'_>) -> Result<(), DemoError> {
        let restored = day_start(day + 1) + 10 * HOUR_S + self.rng.range_i64(0, 6 * HOUR_S);
        for _ in 0..self.rng.poisson(self.mean_daily * 0.6) {
            let created = day_start(day) + 14 * HOUR_S + self.rng.range_i64(0, 6 * HOUR_S);
            let mut o = self.new_order(Kind::Repair, created, None);
            (o.cause, o.exclusion, o.appt, o.appt_live) =
                (Some("network"), Some("mass_outage"), None, false);
            let done = restored + self.rng.range_i64(0, 2 * HOUR_S);
            if done < self.period.cutoff {
                (o.completed, o.status) = (Some(done), Status::Completed);
            }
            if o.created >= self.period.start {
                write_order(out.orders, self.spec.id, &o, false, false)?;
            }
        }
        Ok(())
    }

    /// Technicians at work today: fewer at weekends and on holidays, plus contractors
    /// while a backlog emergency lasts.
    fn crew_today(&self, day: &DayInfo) -> (usize, usize) {
        let (weekend, holiday) = rota(self.spec.area, self.spec.quirk);
        let share = match day.kind {
            DayKind::Workday | DayKind::MakeUp => 1.0,
            DayKind::Weekend => weekend,
            DayKind::Holiday => holiday,
        };
        #[allow(clippy::cast_precision_loss, reason = "crews are a handful of people")]
        let crew = self.crew as f64;
        let own = usize::try_from(round_i64(crew * share).max(1)).unwrap_or(1);
        (
            own,
            if self.contractors {
                self.crew.div_ceil(2) + 1
            } else {
                0
            },
        )
    }

    /// Works through the backlog with today's crew.
    fn dispatch(&mut self, day: &DayInfo, out: &mut FieldOut<'_>) -> Result<(), DemoError> {
        let (own, contractors) = self.crew_today(day);
        self.own_today = own;
        let base = day_start(day.day);
        let mut techs: Vec<Ts> = (0..own + contractors)
            .map(|_| base + 8 * HOUR_S + 30 * MIN_S + self.rng.range_i64(0, 10 * MIN_S))
            .collect();
        // Technicians in the mountains must be back before dark, so the last job starts earlier.
        let last_departure = base
            + match self.spec.area {
                Area::Urban => 17 * HOUR_S + 15 * MIN_S,
                Area::MajorRural | Area::Rural | Area::MinorRural => 16 * HOUR_S + 30 * MIN_S,
                Area::Remote => 15 * HOUR_S + 30 * MIN_S,
            };
        // Each round either gives a technician a job or moves their clock forward, so the
        // number of rounds is bounded by jobs plus waits; the cap is a safety net.
        for _ in 0..20_000 {
            let Some((ti, t)) = techs
                .iter()
                .copied()
                .enumerate()
                .min_by_key(|(i, t)| (*t, *i))
            else {
                break;
            };
            if t > last_departure {
                break;
            }
            match self.pick(t, last_departure) {
                Pick::Job(j) => {
                    let order = self.backlog.remove(j);
                    let tech = self.technician_id(ti, day.day);
                    techs[ti] = self.visit(order, tech, t, out)?;
                }
                Pick::WaitUntil(next) => techs[ti] = next,
                Pick::Nothing => break,
            }
        }
        Ok(())
    }

    /// Technician ids: the centre's own team rotates through the weekend rota;
    /// contractors get their own numbers.
    fn technician_id(&self, i: usize, day: i64) -> String {
        if i < self.own_today {
            format!(
                "{}-T{:02}",
                self.spec.id,
                crate::staffing::staff_number(i, day, self.crew)
            )
        } else {
            format!("{}-X{:02}", self.spec.id, i - self.own_today + 1)
        }
    }

    /// The next job for a technician free at `t`, by the centre's policy.
    fn pick(&self, t: Ts, last_departure: Ts) -> Pick {
        let fifo = self.fifo();
        let mut best: Option<(usize, (u8, Ts, u64))> = None;
        let mut next = Ts::MAX;
        for (i, o) in self.backlog.iter().enumerate() {
            if o.withdraw_at.is_some_and(|w| w <= t) {
                continue;
            }
            if o.ready_at > t {
                next = next.min(o.ready_at);
                continue;
            }
            let key = if fifo {
                (0, o.created, o.seq)
            } else {
                (u8::from(!o.appt_live), o.committed + o.pause_s, o.seq)
            };
            if best.is_none_or(|(_, k)| key < k) {
                best = Some((i, key));
            }
        }
        match best {
            Some((i, _)) => Pick::Job(i),
            None if next <= last_departure => Pick::WaitUntil(next),
            None => Pick::Nothing,
        }
    }

    /// One visit: travel, then the work succeeds, fails (a second visit is needed) or the
    /// customer is not there (a customer-caused pause). Returns when the technician is free.
    fn visit(
        &mut self,
        mut o: Order,
        tech: String,
        t: Ts,
        out: &mut FieldOut<'_>,
    ) -> Result<Ts, DemoError> {
        let travel = round_i64(self.rng.lognormal_mean(self.travel_min, 0.35) * 60.0);
        let window = o.appt.filter(|_| o.appt_live);
        let arrive = window.map_or(t + travel, |(start, _)| (t + travel).max(start));
        if o.visits == 0 {
            (o.dispatched, o.arrived) = (Some(arrive - travel), Some(arrive));
        }
        o.missed_window |= window.is_some_and(|(_, end)| arrive > end);
        o.appt_live = false;
        o.visits += 1;
        o.technician = Some(tech);
        let work = round_i64(
            self.rng
                .lognormal_mean(o.kind.work_min() * SERVICES[o.service].2, 0.5)
                * 60.0,
        )
        .max(10 * MIN_S);
        let next_morning = day_start(day_of(arrive) + 1) + 9 * HOUR_S;
        if self.rng.chance(if window.is_some() { 0.02 } else { 0.05 }) {
            o.pause_s += next_morning - arrive;
            o.ready_at = next_morning;
            self.backlog.push(o);
            return Ok(arrive + 10 * MIN_S);
        }
        let fail_p =
            if self.fifo() { 0.16 } else { 0.08 } * if o.kind == Kind::Repair { 1.0 } else { 0.6 };
        if o.visits < 3 && self.rng.chance(fail_p) {
            o.ready_at = next_morning;
            self.backlog.push(o);
            return Ok(arrive + work / 2);
        }
        o.completed = Some(arrive + work);
        o.status = Status::Completed;
        self.close(&o, out)?;
        Ok(arrive + work)
    }

    /// Writes a finished order with its compensation and follow-ups.
    fn close(&mut self, o: &Order, out: &mut FieldOut<'_>) -> Result<(), DemoError> {
        let end = o.completed.unwrap_or(o.created);
        let late =
            o.status == Status::Completed && o.exclusion.is_none() && end - o.pause_s > o.committed;
        let operator_cancel = o.appt_cancel.is_some_and(|c| c.1 == "operator");
        let due = late || o.missed_window || operator_cancel;
        let paid = due && self.rng.chance(if self.fifo() { 0.5 } else { 0.97 });
        if o.status == Status::Completed {
            self.maybe_repeat_fault(o);
        }
        // Warm-up orders shape the backlog but lie before the period, so they are not written.
        if o.created < self.period.start {
            return Ok(());
        }
        write_order(out.orders, self.spec.id, o, due, paid)?;
        if o.status == Status::Completed {
            self.survey_and_complaint(o, late, due && !paid, out.follow)?;
        }
        Ok(())
    }

    fn survey_and_complaint(
        &mut self,
        o: &Order,
        late: bool,
        unpaid: bool,
        follow: &mut Followups,
    ) -> Result<(), DemoError> {
        let site = self.spec.id;
        let end = o.completed.unwrap_or(o.created);
        if self.rng.chance(0.2) {
            let overdue_h = (end - o.pause_s - o.committed) / HOUR_S;
            #[allow(clippy::cast_precision_loss, reason = "hours are small")]
            let mut latent = 4.6
                - if late {
                    1.0 + (overdue_h.max(0) as f64 / 48.0).min(1.0)
                } else {
                    0.0
                };
            latent -=
                if o.visits > 1 { 0.5 } else { 0.0 } + if o.missed_window { 0.6 } else { 0.0 };
            let at = survey_time(&mut self.rng, end, true);
            follow.survey(
                &mut self.rng,
                site,
                &SurveySeed {
                    scene: "field_centre",
                    linked: &o.id,
                    at,
                    latent,
                    ask_nps: true,
                },
            )?;
        }
        let complaint = if unpaid && self.rng.chance(0.05) {
            Some(ComplaintClass::Billing)
        } else if late
            && self
                .rng
                .chance(if o.kind == Kind::Repair { 0.10 } else { 0.08 })
        {
            Some(if o.kind == Kind::Repair {
                ComplaintClass::NetworkQuality
            } else {
                ComplaintClass::UserService
            })
        } else if self.rng.chance(if o.missed_window { 0.03 } else { 0.004 }) {
            Some(ComplaintClass::UserService)
        } else {
            None
        };
        if let Some(class) = complaint {
            let seed = ComplaintSeed {
                class,
                at: end,
                customer_key: Some(&o.customer_key),
                linked_record: Some(&o.id),
            };
            follow.complaint(&mut self.rng, site, &seed)?;
        }
        Ok(())
    }

    /// Some repaired lines fail again within 30 days (more often after a rushed repair).
    fn maybe_repeat_fault(&mut self, o: &Order) {
        if o.kind != Kind::Repair || o.exclusion.is_some() || o.repeat >= 2 {
            return;
        }
        let p = if self.fifo() { 0.08 } else { 0.02 } + if o.visits > 1 { 0.04 } else { 0.0 };
        if !self.rng.chance(p) {
            return;
        }
        let at = o.completed.unwrap_or(o.created) + hours(self.rng.uniform(12.0, 30.0 * 24.0));
        let next = self.new_order(
            Kind::Repair,
            at,
            Some((&o.customer_key, &o.line_key, o.repeat + 1)),
        );
        self.pending.entry(day_of(at)).or_default().push(next);
    }

    /// Appointments nobody reached are cancelled by the operator at short notice,
    /// withdrawn orders are closed, and the contractor emergency starts or ends.
    fn end_of_day(&mut self, day: &DayInfo, out: &mut FieldOut<'_>) -> Result<(), DemoError> {
        let end = day_start(day.day + 1);
        for o in &mut self.backlog {
            if let Some((start, _)) = o.appt.filter(|(s, _)| o.appt_live && *s < end) {
                let at = cancel_time(
                    o.created,
                    start,
                    start - o.created - hours(1.0 + 2.0 * self.rng.f64()),
                );
                o.appt_cancel = Some((at, "operator"));
                o.appt_live = false;
            }
        }
        let (withdrawn, kept): (Vec<Order>, Vec<Order>) = std::mem::take(&mut self.backlog)
            .into_iter()
            .partition(|o| o.withdraw_at.is_some_and(|w| w < end));
        self.backlog = kept;
        for mut o in withdrawn {
            o.status = Status::Cancelled;
            self.close(&o, out)?;
        }
        #[allow(
            clippy::cast_precision_loss,
            reason = "backlogs are a few hundred orders"
        )]
        let backlog_days = self.backlog.len() as f64 / self.mean_daily;
        // Contractors are called in when the queue reaches six days of demand and sent
        // away once it is down to two; in between the backlog of the short crew grows.
        self.contractors = if self.contractors {
            backlog_days > 2.0
        } else {
            backlog_days > 6.0
        };
        Ok(())
    }
}

enum Pick {
    Job(usize),
    WaitUntil(Ts),
    Nothing,
}

/// Demand of an order kind on a kind of day relative to a working day.
fn demand_factor(kind: Kind, day: DayKind) -> f64 {
    match (kind == Kind::Repair, day) {
        (_, DayKind::Workday) => 1.0,
        (true, DayKind::MakeUp) => 1.0,
        (true, DayKind::Weekend) => 0.9,
        (true, DayKind::Holiday) => 0.85,
        (false, DayKind::MakeUp) => 0.9,
        (false, DayKind::Weekend) => 0.45,
        (false, DayKind::Holiday) => 0.2,
    }
}

/// Working days promised for an install or move — the generator's own assumption of a
/// published operator commitment, tighter than the legal minimum.
fn install_days(area: Area) -> u32 {
    match area {
        Area::Urban => 3,
        Area::MajorRural | Area::Rural | Area::MinorRural => 5,
        Area::Remote => 7,
    }
}

/// Share of the crew at work at weekends and on holidays: rural centres keep a thinner
/// rota, the quirky centre the thinnest.
fn rota(area: Area, quirk: Quirk) -> (f64, f64) {
    match (quirk, area) {
        (Quirk::RepairBacklog, _) => (0.4, 0.25),
        (_, Area::Urban) => (0.6, 0.4),
        _ => (0.45, 0.3),
    }
}

/// Planned technician utilisation: rural centres are run leaner (fewer, busier
/// technicians over a wide area); the quirky centre is rostered beyond full load.
fn utilisation(area: Area, quirk: Quirk) -> f64 {
    match (quirk, area) {
        (Quirk::RepairBacklog, _) => 1.12,
        (_, Area::Urban) => 0.72,
        (_, Area::MajorRural) => 0.76,
        (_, Area::Rural | Area::MinorRural) => 0.8,
        (_, Area::Remote) => 0.8,
    }
}

/// Technicians rostered for the weekly workload at the planned utilisation.
fn crew_size(mean_daily: f64, travel_min: f64, weekend_share: f64, utilisation: f64) -> usize {
    // Orders per week in units of a working day's demand (weekends lighter), with 10 %
    // extra visits; crew-days per week with the weekend rota; about 530 working minutes.
    let weekly_orders = (0.55 * 5.9 + 0.45 * 6.8) * 1.1;
    let job_min = travel_min + 64.0;
    let crew_days = 5.0 + 2.0 * weekend_share;
    let full = mean_daily * weekly_orders * job_min / (530.0 * crew_days);
    usize::try_from(round_i64((full / utilisation).ceil()).max(1)).unwrap_or(1)
}

/// When an appointment was cancelled: `offset` after the order was created, but after
/// its creation and before the window opens.
fn cancel_time(created: Ts, window_start: Ts, offset: i64) -> Ts {
    (created + offset)
        .min(window_start - 10 * MIN_S)
        .max(created + 5 * MIN_S)
}

fn order_id(site: &str, created: Ts, seq: u64) -> String {
    let mut s = String::with_capacity(28);
    s.push_str(site);
    s.push_str("-WO");
    push_compact_date(&mut s, day_of(created));
    s.push_str(&format!("{seq:06}"));
    s
}

fn write_order(
    f: &mut CsvFile,
    site: &str,
    o: &Order,
    due: bool,
    paid: bool,
) -> Result<(), DemoError> {
    let status = match o.status {
        Status::Open => "open",
        Status::Completed => "completed",
        Status::Cancelled => "cancelled",
    };
    f.str(site)
        .str(&o.id)
        .str(o.kind.as_str())
        .str(SERVICES[o.service].0)
        .str(o.area.as_str())
        .str(&o.customer_key)
        .str(&o.line_key);
    f.ts(o.created)
        .ts(o.committed)
        .opt_ts(o.appt.map(|a| a.0))
        .opt_ts(o.appt.map(|a| a.1));
    f.opt_ts(o.appt_cancel.map(|c| c.0))
        .opt_str(o.appt_cancel.map(|c| c.1));
    f.opt_ts(o.dispatched)
        .opt_ts(o.arrived)
        .opt_ts(o.completed)
        .str(status)
        .opt_str(o.cause);
    f.opt_int((o.pause_s > 0).then_some(o.pause_s))
        .opt_str(o.exclusion)
        .int(o.visits)
        .opt_str(o.technician.as_deref());
    f.bool(due).opt_bool(due.then_some(paid));
    f.end_row()
}
