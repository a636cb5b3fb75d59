//! The rows of each record kind: a contact, a hall ticket or a work order written into a
//! row buffer from the site's quality and the day's clock, with the constants they draw
//! from. Split from the generator (`synth`) by job; every item it uses is the parent's.

use super::{
    CONTACT_HOURS, Ctx, FIELD_HOURS, HALL_HOURS, Recent, Rng, Row, num, secs, time_of_day,
};

const QUEUES: [&[u8]; 5] = [b"billing", b"tech", b"sales", b"general", b"vip"];
const ISSUES: [&[u8]; 8] = [
    b"billing",
    b"network",
    b"device",
    b"plan",
    b"roaming",
    b"broadband",
    b"complaint",
    b"other",
];

pub(super) fn contact_row(
    rng: &mut Rng,
    ctx: &Ctx<'_>,
    seq: u64,
    recent: &mut Recent,
    row: &mut Row<'_>,
) {
    let q = ctx.site.quality;
    let (sod, load) = time_of_day(rng, &CONTACT_HOURS);
    let t = ctx.start + sod;
    let channel = rng.pick(&[0.85, 0.12, 0.03]);
    let mut out = ContactTimes::default();
    let (qe, ivr_only) = if channel == 0 {
        out.ivr_entry = Some(t);
        let exit = t + 10 + rng.exp_s(35.0);
        out.ivr_exit = Some(exit);
        (exit, rng.chance(0.12 + 0.08 * (1.0 - q)))
    } else {
        (t, false)
    };
    // Waits grow with the hour's load and with a worse-run site.
    let wait = rng.exp_s((6.0 + 40.0 * (1.0 - q)) * (0.4 + load));
    let patience = rng.exp_s(if channel == 1 { 900.0 } else { 90.0 });
    let outcome: &[u8] = if ivr_only {
        out.end = Some(qe);
        b"ivr_only"
    } else {
        out.queue_entry = Some(qe);
        let r = rng.f64();
        if r < 0.02 {
            out.end = Some(qe + wait);
            b"overflowed"
        } else if r < 0.05 && channel == 0 {
            out.answered = Some(qe + 600 + rng.exp_s(900.0));
            b"callback"
        } else if wait <= patience {
            let at = qe + wait;
            out.answered = Some(at);
            if channel != 0 {
                out.first_reply = Some(at);
            }
            b"answered"
        } else {
            out.abandoned = Some(qe + patience);
            out.end = out.abandoned;
            b"abandoned"
        }
    };
    let handled = out.answered.is_some();
    let talk = handled.then(|| 40 + rng.exp_s(220.0));
    let hold = handled.then(|| if rng.chance(0.3) { rng.exp_s(45.0) } else { 0 });
    let acw = handled.then(|| 5 + rng.exp_s(25.0));
    if let (Some(a), Some(tk), Some(h)) = (out.answered, talk, hold) {
        out.end = Some(a + tk + h);
    }
    let cust = if rng.chance(0.92) {
        let repeat = rng.chance(0.08 + 0.2 * (1.0 - q));
        let c = match (repeat, recent.pick(rng)) {
            (true, Some(c)) => c,
            _ => (
                rng.below(ctx.customers()),
                u8::try_from(rng.below(ISSUES.len() as u64)).unwrap_or(0),
            ),
        };
        recent.push(c);
        Some(c)
    } else {
        None
    };
    let buf = &mut *row.buf;
    buf.extend_from_slice(ctx.site.id.as_bytes());
    row.s(b"c");
    num(row.buf, seq);
    row.s([&b"voice"[..], b"chat", b"video"][channel])
        .s(QUEUES[usize::try_from(rng.below(5)).unwrap_or(0)])
        .t(out.ivr_entry)
        .t(out.ivr_exit)
        .t(out.queue_entry)
        .t(out.answered)
        .t(out.abandoned)
        .t(out.first_reply)
        .t(out.end)
        .s(outcome);
    if handled {
        row.key(b"a", ctx.site_no, rng.below(120));
    } else {
        row.empty();
    }
    row.n(talk).n(hold).n(acw);
    row.b(handled.then(|| rng.chance(0.08)));
    match cust {
        Some((c, issue)) => {
            row.key(b"u", ctx.site_no, c).s(ISSUES[usize::from(issue)]);
        }
        None => {
            row.empty().empty();
        }
    }
    row.b(handled.then(|| rng.chance(0.8 + 0.15 * q)));
    let qa =
        (handled && rng.chance(0.03)).then(|| secs(55.0 + 45.0 * rng.f64().powf(0.5 - 0.3 * q)));
    row.n(qa).end();
}

#[derive(Default)]
struct ContactTimes {
    ivr_entry: Option<i64>,
    ivr_exit: Option<i64>,
    queue_entry: Option<i64>,
    answered: Option<i64>,
    abandoned: Option<i64>,
    first_reply: Option<i64>,
    end: Option<i64>,
}

const SERVICE_TYPES: [&[u8]; 6] = [
    b"payment",
    b"sim_replacement",
    b"new_line",
    b"change",
    b"reconnect",
    b"enquiry",
];
const SERVICE_MINUTES: [f64; 6] = [2.5, 5.0, 12.0, 7.0, 4.0, 3.0];
const CUSTOMER_CLASSES: [&[u8]; 6] = [
    b"ordinary",
    b"vip",
    b"elderly",
    b"enterprise",
    b"disabled",
    b"",
];

pub(super) fn hall_row(
    rng: &mut Rng,
    ctx: &Ctx<'_>,
    seq: u64,
    recent: &mut Recent,
    row: &mut Row<'_>,
) {
    let q = ctx.site.quality;
    let (sod, load) = time_of_day(rng, &HALL_HOURS);
    let issued = ctx.start + sod;
    let ty = rng.pick(&[0.35, 0.12, 0.1, 0.15, 0.08, 0.2]);
    let class = rng.pick(&[0.76, 0.06, 0.1, 0.03, 0.01, 0.04]);
    let priority = match class {
        1 => 0.5,
        2 => 0.7,
        _ => 1.0,
    };
    let wait_mean_s = 60.0 * (3.0 + 12.0 * (1.0 - q)) * (0.3 + load) * priority;
    let wait = rng.exp_s(wait_mean_s);
    let patience = rng.exp_s(60.0 * 40.0);
    let (outcome, called, left): (&[u8], _, _) = if wait > patience {
        (b"left", None, Some(issued + patience))
    } else {
        let r = rng.f64();
        let o: &[u8] = if r < 0.04 {
            b"no_show"
        } else if r < 0.07 {
            b"transferred"
        } else {
            b"served"
        };
        (o, Some(issued + wait), None)
    };
    let serves = outcome == b"served" || outcome == b"transferred";
    let start = called.filter(|_| serves).map(|c| c + 10 + rng.exp_s(40.0));
    let end = start.map(|s| s + 30 + rng.exp_s(60.0 * SERVICE_MINUTES[ty]));
    let calls = called.map(|_| {
        if outcome == b"no_show" {
            3
        } else if rng.chance(0.1) {
            2
        } else {
            1
        }
    });
    let (settled, done) = if outcome == b"served" && (ty == 3 || ty == 4) {
        let s = end.unwrap_or(issued);
        let late = rng.chance(0.01 + 0.06 * (1.0 - q));
        let d = if late {
            s + 86_400 + rng.exp_s(20_000.0)
        } else {
            s + rng.exp_s(1800.0 + 5400.0 * (1.0 - q)).min(80_000)
        };
        (Some(s), Some(d))
    } else {
        (None, None)
    };
    let cust = if rng.chance(0.9) {
        let repeat = rng.chance(0.04 + 0.12 * (1.0 - q));
        let c = match (repeat, recent.pick(rng)) {
            (true, Some(c)) => c,
            _ => (rng.below(ctx.customers()), u8::try_from(ty).unwrap_or(0)),
        };
        recent.push(c);
        Some(c)
    } else {
        None
    };
    row.buf.extend_from_slice(ctx.site.id.as_bytes());
    row.s(b"t");
    num(row.buf, seq);
    row.s(SERVICE_TYPES[ty])
        .s(CUSTOMER_CLASSES[class])
        .t(Some(issued))
        .t(called)
        .n(calls)
        .t(start)
        .t(end)
        .t(left)
        .s(outcome);
    if serves {
        row.key(b"k", ctx.site_no, rng.below(12))
            .key(b"s", ctx.site_no, rng.below(40));
    } else {
        row.empty().empty();
    }
    row.b(Some(rng.chance(0.08)));
    match cust {
        Some((c, req)) => {
            row.key(b"u", ctx.site_no, c).key(b"r", c, u64::from(req));
        }
        None => {
            row.empty().empty();
        }
    }
    row.t(settled).t(done);
    let error = (outcome == b"served").then(|| rng.chance(0.001 + 0.006 * (1.0 - q)));
    row.b(error).end();
}

const WO_KINDS: [&[u8]; 4] = [b"install", b"move", b"change", b"repair"];
const SERVICES: [&[u8]; 5] = [b"broadband", b"fixed", b"mobile", b"tv", b"other"];
const CAUSES: [&[u8]; 5] = [
    b"network",
    b"customer",
    b"terminal",
    b"force_majeure",
    b"other",
];
const EXCLUSIONS: [&[u8]; 4] = [
    b"terminal_fault",
    b"force_majeure",
    b"mass_outage",
    b"customer_side",
];

pub(super) fn work_order_row(
    rng: &mut Rng,
    ctx: &Ctx<'_>,
    seq: u64,
    recent: &mut Recent,
    row: &mut Row<'_>,
) {
    let q = ctx.site.quality;
    let (sod, _) = time_of_day(rng, &FIELD_HOURS);
    let created = ctx.start + sod;
    let kind = rng.pick(&[0.25, 0.1, 0.15, 0.5]);
    let repair = kind == 3;
    let install = kind <= 1;
    let committed =
        install.then(|| created + 3600 * (48 + i64::try_from(rng.below(72)).unwrap_or(0)));
    let appointment = if (install && rng.chance(0.9)) || (repair && rng.chance(0.5)) {
        let hours = 4 + i64::try_from(rng.below(if repair { 30 } else { 72 })).unwrap_or(0);
        let s = (created + hours * 3600) / 3600 * 3600;
        Some((s, s + 3600 * (2 + i64::try_from(rng.below(3)).unwrap_or(0))))
    } else {
        None
    };
    let r = rng.f64();
    let status: &[u8] = if r < 0.02 {
        b"open"
    } else if r < 0.04 {
        b"cancelled"
    } else {
        b"completed"
    };
    let completed = status == b"completed";
    let cancel = appointment.and_then(|(s, _)| {
        (status == b"cancelled" || rng.chance(0.03)).then(|| {
            let span = (s - created).max(60);
            let at =
                created + i64::try_from(rng.below(u64::try_from(span).unwrap_or(60))).unwrap_or(0);
            let by: &[u8] = match rng.pick(&[0.4, 0.55, 0.05]) {
                0 => b"operator",
                1 => b"customer",
                _ => b"",
            };
            (at, by)
        })
    });
    let dispatched = (status != b"cancelled").then(|| created + 300 + rng.exp_s(5400.0));
    let arrived = completed.then(|| match appointment {
        Some((s, e)) => {
            let u = rng.f64();
            if u < 0.8 + 0.15 * q {
                s + i64::try_from(rng.below(u64::try_from(e - s).unwrap_or(1))).unwrap_or(0)
            } else if u < 0.97 {
                e + 60 + rng.exp_s(5400.0)
            } else {
                s - i64::try_from(rng.below(1800)).unwrap_or(0)
            }
        }
        None => created + 1800 + rng.exp_s(3600.0 * (3.0 + 12.0 * (1.0 - q))),
    });
    let delay = if repair && rng.chance(0.01 + 0.08 * (1.0 - q)) {
        3600 * (24 + i64::try_from(rng.below(72)).unwrap_or(0))
    } else {
        0
    };
    let done = arrived.map(|a| a + 1200 + rng.exp_s(4000.0) + delay);
    let pause = (completed && rng.chance(0.08))
        .then(|| 600 + i64::try_from(rng.below(28_800)).unwrap_or(0));
    let cause = repair.then(|| rng.pick(&[0.6, 0.1, 0.1, 0.02, 0.18]));
    let exclusion = if rng.chance(0.03) {
        Some(usize::try_from(rng.below(4)).unwrap_or(0))
    } else {
        None
    };
    let visits = completed.then(|| match rng.pick(&[0.8 + 0.1 * q, 0.12, 0.03]) {
        0 => 1,
        1 => 2,
        _ => 3,
    });
    let late = match (done, committed) {
        (Some(d), Some(c)) => d > c,
        (Some(d), None) if repair => d - created - pause.unwrap_or(0) > 48 * 3600,
        _ => false,
    };
    let paid = late.then(|| rng.chance(0.7 + 0.3 * q));
    let cust = if rng.chance(0.95) {
        let repeat = rng.chance(0.03 + 0.08 * (1.0 - q));
        let c = match (repeat, recent.pick(rng)) {
            (true, Some(c)) => c,
            _ => (rng.below(ctx.customers()), 0),
        };
        recent.push(c);
        Some(c.0)
    } else {
        None
    };
    let area: &[u8] = if rng.chance(0.9) {
        ctx.site.area.as_bytes()
    } else if rng.chance(0.5) {
        b""
    } else {
        b"urban"
    };
    row.buf.extend_from_slice(ctx.site.id.as_bytes());
    row.s(b"w");
    num(row.buf, seq);
    row.s(WO_KINDS[kind])
        .s(SERVICES[rng.pick(&[0.5, 0.15, 0.1, 0.2, 0.05])])
        .s(area);
    match cust {
        Some(c) => {
            row.key(b"u", ctx.site_no, c).key(b"l", ctx.site_no, c);
        }
        None => {
            row.empty().empty();
        }
    }
    row.t(Some(created))
        .t(committed)
        .t(appointment.map(|a| a.0))
        .t(appointment.map(|a| a.1))
        .t(cancel.map(|c| c.0))
        .s(cancel.map_or(&b""[..], |c| c.1))
        .t(dispatched)
        .t(arrived)
        .t(done)
        .s(status)
        .s(cause.map_or(&b""[..], |c| CAUSES[c]))
        .n(pause)
        .s(exclusion.map_or(&b""[..], |e| EXCLUSIONS[e]))
        .n(visits);
    if completed {
        row.key(b"e", ctx.site_no, rng.below(60));
    } else {
        row.empty();
    }
    row.b(Some(late)).b(paid).end();
}
