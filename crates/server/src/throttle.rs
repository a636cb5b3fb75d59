//! Login throttling, in memory: failed logins are counted per login and per client
//! address over a sliding window; past the allowance, logins from that login or address
//! answer 429 with `Retry-After` until the oldest failure leaves the window. A success
//! clears the login's count (not the address's: one good password must not unlock
//! guessing at other logins from the same place).
//!
//! In memory and per process: a restart forgets, and replicas count apart. The bound is
//! what matters — a guesser gets a handful of tries per window, not millions.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures of one key, oldest first.
type Failures = VecDeque<Instant>;

/// Keys tracked before old ones are dropped, so a flood of distinct logins cannot grow
/// the map without bound.
const MAX_KEYS: usize = 100_000;

/// Counts failed logins.
#[derive(Debug)]
pub struct Throttle {
    window: Duration,
    per_login: usize,
    per_client: usize,
    logins: Mutex<HashMap<String, Failures>>,
    clients: Mutex<HashMap<String, Failures>>,
}

impl Throttle {
    /// A throttle allowing `per_login` and `per_client` failures within `window`.
    #[must_use]
    pub fn new(window: Duration, per_login: usize, per_client: usize) -> Throttle {
        Throttle {
            window,
            per_login,
            per_client,
            logins: Mutex::default(),
            clients: Mutex::default(),
        }
    }

    /// Seconds to wait before trying `login` from `client`, or `None` when allowed.
    pub fn check(&self, login: &str, client: Option<&str>, now: Instant) -> Option<u64> {
        let a = wait(&self.logins, login, self.per_login, self.window, now);
        let b = client.and_then(|c| wait(&self.clients, c, self.per_client, self.window, now));
        a.max(b)
    }

    /// Records a failed login.
    pub fn failed(&self, login: &str, client: Option<&str>, now: Instant) {
        record(&self.logins, login, self.window, now);
        if let Some(c) = client {
            record(&self.clients, c, self.window, now);
        }
    }

    /// Clears a login's failures after a success.
    pub fn succeeded(&self, login: &str) {
        lock(&self.logins).remove(login);
    }
}

fn lock(
    m: &Mutex<HashMap<String, Failures>>,
) -> std::sync::MutexGuard<'_, HashMap<String, Failures>> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn prune(f: &mut Failures, window: Duration, now: Instant) {
    while f.front().is_some_and(|t| now.duration_since(*t) >= window) {
        f.pop_front();
    }
}

fn wait(
    m: &Mutex<HashMap<String, Failures>>,
    key: &str,
    allowed: usize,
    window: Duration,
    now: Instant,
) -> Option<u64> {
    let mut map = lock(m);
    let f = map.get_mut(key)?;
    prune(f, window, now);
    if f.len() < allowed {
        return None;
    }
    // The oldest failure that must leave the window before one more try is allowed.
    let oldest = f.get(f.len() - allowed)?;
    let left = window.saturating_sub(now.duration_since(*oldest));
    Some(left.as_secs().max(1))
}

fn record(m: &Mutex<HashMap<String, Failures>>, key: &str, window: Duration, now: Instant) {
    let mut map = lock(m);
    if map.len() >= MAX_KEYS {
        map.retain(|_, f| {
            prune(f, window, now);
            !f.is_empty()
        });
    }
    let f = map.entry(key.to_string()).or_default();
    prune(f, window, now);
    // Never more than needed to decide: bounded per key.
    if f.len() < 1000 {
        f.push_back(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_is_held_after_its_allowance_until_the_oldest_failure_ages_out() {
        let t = Throttle::new(Duration::from_secs(900), 3, 10);
        let t0 = Instant::now();
        for i in 0..3 {
            assert_eq!(t.check("ann", Some("1.2.3.4"), t0), None, "try {i}");
            t.failed("ann", Some("1.2.3.4"), t0 + Duration::from_secs(i * 10));
        }
        // Three failures at 0, 10, 20 s: held until the first is 900 s old.
        assert_eq!(
            t.check("ann", None, t0 + Duration::from_secs(100)),
            Some(800)
        );
        assert_eq!(
            t.check("bob", Some("1.2.3.4"), t0 + Duration::from_secs(100)),
            None
        );
        assert_eq!(t.check("ann", None, t0 + Duration::from_secs(900)), None);
        t.succeeded("ann");
        assert_eq!(t.check("ann", None, t0 + Duration::from_secs(100)), None);
    }

    #[test]
    fn an_address_is_held_after_its_own_allowance_whatever_the_logins() {
        let t = Throttle::new(Duration::from_secs(60), 100, 2);
        let t0 = Instant::now();
        t.failed("a", Some("9.9.9.9"), t0);
        t.failed("b", Some("9.9.9.9"), t0);
        assert_eq!(t.check("c", Some("9.9.9.9"), t0), Some(60));
        assert_eq!(t.check("c", Some("8.8.8.8"), t0), None);
    }
}
