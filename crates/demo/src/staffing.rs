//! Staffing and the multi-server first-come-first-served queue shared by halls and call
//! centres.
//!
//! Sites roster staff the way a planner would: the expected arrivals of each 30-minute
//! interval and the average handling time give the offered load, Erlang C gives the fewest
//! servers that meet the site's waiting target, and shifts are laid to cover that
//! requirement. The day is then simulated against those servers, so waits are a consequence
//! of demand meeting staffing rather than noise added to a number.

use crate::rng::ceil_u32;
use crate::time::Ts;

/// Probability that an arriving customer waits (Erlang C) with `n` servers and offered
/// load `a` Erlangs; 1 when the queue is unstable.
pub(crate) fn erlang_c(n: u32, a: f64) -> f64 {
    if f64::from(n) <= a {
        return 1.0;
    }
    // Erlang B by the stable recursion B(k) = a B(k-1) / (k + a B(k-1)).
    let mut b = 1.0;
    for k in 1..=n {
        b = a * b / (f64::from(k) + a * b);
    }
    let n = f64::from(n);
    n * b / (n - a * (1.0 - b))
}

/// Share of customers answered within `t_s` seconds under Erlang C.
pub(crate) fn service_level(n: u32, a: f64, handle_s: f64, t_s: f64) -> f64 {
    if f64::from(n) <= a {
        return 0.0;
    }
    1.0 - erlang_c(n, a) * (-(f64::from(n) - a) * t_s / handle_s).exp()
}

/// Fewest servers for which at least `target` of customers wait no more than `t_s`,
/// given `per_hour` arrivals and a mean handling time of `handle_s` seconds.
pub(crate) fn servers_needed(per_hour: f64, handle_s: f64, t_s: f64, target: f64) -> u32 {
    if per_hour <= 0.0 {
        return 0;
    }
    let a = per_hour * handle_s / 3_600.0;
    let mut n = ceil_u32(a).max(1);
    // The service level rises quickly once n exceeds a; the bound only guards the loop.
    while n < 2_000 && service_level(n, a, handle_s, t_s) < target {
        n += 1;
    }
    n
}

/// A contiguous run of intervals during which one position (counter or agent seat) is
/// staffed, with an optional break interval inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shift {
    /// First interval (inclusive).
    pub from: usize,
    /// Last interval (exclusive).
    pub to: usize,
    /// Interval spent on a break, if any.
    pub break_at: Option<usize>,
}

/// Hall counters: counter `k` is open in interval `i` when `k < required[i]`; each
/// maximal run of open intervals becomes one shift, so a counter with a gap in its
/// requirement has two shifts (a different colleague, or the same one after a break).
pub(crate) fn counter_shifts(required: &[u32]) -> Vec<(u32, Shift)> {
    let max = required.iter().copied().max().unwrap_or(0);
    let mut out = Vec::new();
    for k in 0..max {
        let mut from = None;
        for (i, r) in required.iter().enumerate() {
            match (k < *r, from) {
                (true, None) => from = Some(i),
                (false, Some(f)) => {
                    out.push((
                        k,
                        Shift {
                            from: f,
                            to: i,
                            break_at: None,
                        },
                    ));
                    from = None;
                }
                _ => {}
            }
        }
        if let Some(f) = from {
            out.push((
                k,
                Shift {
                    from: f,
                    to: required.len(),
                    break_at: None,
                },
            ));
        }
    }
    out
}

/// Agent shifts laid greedily from the start of the day so that every interval has at
/// least the required agents at work: a full shift of `len` intervals with a staggered
/// 30-minute break where the shortfall lasts, a part-time shift of half that length where
/// it is only a peak (as planners use part-timers to cover peaks).
pub(crate) fn agent_shifts(required: &[u32], len: usize) -> Vec<Shift> {
    let n = required.len();
    let len = len.min(n).max(1);
    let mut working = vec![0u32; n];
    let mut shifts = Vec::new();
    for i in 0..n {
        // Bounded: each pass adds one agent to interval i unless it is that agent's break,
        // and breaks are staggered so that at most one of three consecutive shifts breaks here.
        for _ in 0..4_000 {
            if working[i] >= required[i] {
                break;
            }
            let short = len / 2;
            let lasting = (i..(i + len).min(n)).all(|j| working[j] < required[j]);
            let shift = if lasting || short == 0 || i + short > n {
                let from = i.min(n - len);
                let break_at = (len >= 12).then(|| from + len / 2 - 1 + shifts.len() % 3);
                Shift {
                    from,
                    to: from + len,
                    break_at,
                }
            } else {
                Shift {
                    from: i,
                    to: i + short,
                    break_at: None,
                }
            };
            for (j, w) in working
                .iter_mut()
                .enumerate()
                .take(shift.to)
                .skip(shift.from)
            {
                if Some(j) != shift.break_at {
                    *w += 1;
                }
            }
            shifts.push(shift);
        }
    }
    shifts
}

/// Staff number for the `k`-th shift of a day: a site has a team of `team` people who
/// rotate through the shifts from day to day; shifts beyond the team get numbers above it
/// (temporary staff), so numbers stay unique within a day.
pub(crate) fn staff_number(k: usize, day: i64, team: usize) -> usize {
    if k >= team || team == 0 {
        return k + 1;
    }
    let rot = usize::try_from(day.rem_euclid(7)).unwrap_or(0) * 3;
    (k + rot) % team + 1
}

/// One server (a counter or an agent) available from `start` until `end` (a server of the
/// closing shift has `end = Ts::MAX`: everyone already queued at closing time is served).
#[derive(Debug, Clone)]
pub(crate) struct Server {
    /// Number of the person staffing it, unique within the day (two segments around a
    /// break share it).
    pub staff: usize,
    /// Counter or seat number, for the records.
    pub position: usize,
    /// Earliest start of a service.
    pub start: Ts,
    /// Services must start before this instant.
    pub end: Ts,
    /// When the current service (and wrap-up) ends.
    pub free_at: Ts,
    /// Reserved for one customer class (the VIP counter of a flagship hall).
    pub reserved: bool,
}

/// The servers of one site-day.
#[derive(Debug, Clone, Default)]
pub(crate) struct Pool {
    pub servers: Vec<Server>,
}

impl Pool {
    /// The server that can start a customer queued at `t` the earliest, and that start
    /// time. Ties go to the server idle longest so that work spreads over the staff.
    pub(crate) fn earliest(&self, t: Ts, reserved: bool) -> Option<(usize, Ts)> {
        let mut best: Option<(usize, Ts, Ts)> = None;
        for (i, s) in self.servers.iter().enumerate() {
            if s.reserved != reserved {
                continue;
            }
            let start = t.max(s.free_at).max(s.start);
            if start >= s.end {
                continue;
            }
            let better = match best {
                None => true,
                Some((_, b_start, b_free)) => {
                    start < b_start || (start == b_start && s.free_at < b_free)
                }
            };
            if better {
                best = Some((i, start, s.free_at));
            }
        }
        best.map(|(i, start, _)| (i, start))
    }

    /// The server at `idx`.
    pub(crate) fn get(&self, idx: usize) -> Option<&Server> {
        self.servers.get(idx)
    }

    /// Whether any server serves this class at all.
    pub(crate) fn has(&self, reserved: bool) -> bool {
        self.servers.iter().any(|s| s.reserved == reserved)
    }

    /// Marks the person behind server `idx` busy until `until` (on all their segments).
    pub(crate) fn occupy(&mut self, idx: usize, until: Ts) {
        let staff = self.servers.get(idx).map(|s| s.staff);
        for s in &mut self.servers {
            if Some(s.staff) == staff {
                s.free_at = s.free_at.max(until);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erlang_c_matches_a_worked_example() {
        // 2 servers, 1 Erlang: B(2) = 0.2, C = 2 * 0.2 / (2 - 1 * 0.8) = 1/3.
        assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
        assert!((erlang_c(1, 2.0) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn staffing_meets_the_target_with_the_fewest_servers() {
        // 360 calls an hour of 300 s is 30 Erlangs.
        let n = servers_needed(360.0, 300.0, 20.0, 0.8);
        assert!(service_level(n, 30.0, 300.0, 20.0) >= 0.8);
        assert!(service_level(n - 1, 30.0, 300.0, 20.0) < 0.8);
        assert_eq!(servers_needed(0.0, 300.0, 20.0, 0.8), 0);
    }

    #[test]
    fn shifts_cover_the_requirement() {
        let req = [
            1, 2, 4, 4, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 5, 5, 2, 1, 1, 1, 1, 1,
        ];
        let shifts = agent_shifts(&req, 16);
        for (i, r) in req.iter().enumerate() {
            let working = shifts
                .iter()
                .filter(|s| s.from <= i && i < s.to && s.break_at != Some(i))
                .count();
            assert!(u32::try_from(working).expect("small") >= *r, "interval {i}");
        }
        let counters = counter_shifts(&[1, 2, 2, 1, 2]);
        assert_eq!(counters.len(), 3);
        assert!(counters.contains(&(
            1,
            Shift {
                from: 4,
                to: 5,
                break_at: None
            }
        )));
    }

    #[test]
    fn the_pool_serves_first_come_first_served_on_the_earliest_server() {
        let mut pool = Pool::default();
        for (staff, free_at) in [(0, 100), (1, 50)] {
            pool.servers.push(Server {
                staff,
                position: staff,
                start: 0,
                end: Ts::MAX,
                free_at,
                reserved: false,
            });
        }
        assert_eq!(pool.earliest(10, false), Some((1, 50)));
        pool.occupy(1, 500);
        assert_eq!(pool.earliest(10, false), Some((0, 100)));
        assert_eq!(pool.earliest(10, true), None);
    }
}
