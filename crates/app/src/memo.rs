//! What is read on nearly every request and never changes once stored, kept parsed and
//! shared by the clones of a workspace: organisation versions by fingerprint (each was
//! checked against its fingerprint once, when read), frozen evaluations by id (the
//! database refuses to change one), and an indicator's daily figures and drill-downs of
//! every site computed from the records up to a batch watermark (committed batches never change).
//! A few of each are kept, the most recently used first, so that a server answering many
//! readers does not parse or scan the same data for each of them.

use std::sync::{Arc, Mutex, PoisonError};

use yardstick_core::org::Organisation;
use yardstick_engine::compute::{Computed, Drill};

/// One indicator's drill-downs by site.
pub(crate) type Drills = std::collections::BTreeMap<String, Drill>;

use crate::evaluate::FrozenEvaluation;

/// How many organisation versions and frozen evaluations are kept.
const KEEP: usize = 4;
/// How many daily computations (one indicator over every site for a period) are kept.
const KEEP_DAILY: usize = 8;
/// How many drill-downs (one indicator at every site for a period) are kept.
const KEEP_DRILLS: usize = 8;

/// The kept values.
#[derive(Debug, Default)]
pub(crate) struct Memo {
    orgs: Mutex<Vec<(String, Arc<Organisation>)>>,
    frozen: Mutex<Vec<(i64, Arc<FrozenEvaluation>)>>,
    /// Computations of the records as they stand at a batch watermark, keyed by what
    /// they depend on (guideline, organisation, watermark, period, indicator, site):
    /// the same key always gives the same figures, since committed batches never change.
    daily: Mutex<Vec<(String, Arc<Computed>)>>,
    drills: Mutex<Vec<(String, Arc<Drills>)>>,
    /// Held while one of the computations above runs: readers who miss wait for it and
    /// then find its result, instead of every one of them scanning the records at once
    /// (fifty readers of a new month would otherwise hold fifty scans in memory).
    pub(crate) computing: tokio::sync::Mutex<()>,
}

fn get<K: PartialEq, V>(list: &Mutex<Vec<(K, Arc<V>)>>, key: &K) -> Option<Arc<V>> {
    let mut l = list.lock().unwrap_or_else(PoisonError::into_inner);
    let at = l.iter().position(|(k, _)| k == key)?;
    // The most recently used first.
    let hit = l.remove(at);
    let v = hit.1.clone();
    l.insert(0, hit);
    Some(v)
}

fn keep<K: PartialEq, V>(list: &Mutex<Vec<(K, Arc<V>)>>, key: K, value: Arc<V>, cap: usize) {
    let mut l = list.lock().unwrap_or_else(PoisonError::into_inner);
    l.retain(|(k, _)| *k != key);
    l.insert(0, (key, value));
    l.truncate(cap);
}

impl Memo {
    /// An organisation version read before.
    pub(crate) fn org(&self, fingerprint: &str) -> Option<Arc<Organisation>> {
        get(&self.orgs, &fingerprint.to_string())
    }

    /// Keeps an organisation version (checked against its fingerprint).
    pub(crate) fn keep_org(&self, fingerprint: &str, org: Arc<Organisation>) {
        keep(&self.orgs, fingerprint.to_string(), org, KEEP);
    }

    /// A frozen evaluation read before.
    pub(crate) fn frozen(&self, id: i64) -> Option<Arc<FrozenEvaluation>> {
        get(&self.frozen, &id)
    }

    /// Keeps a frozen evaluation.
    pub(crate) fn keep_frozen(&self, id: i64, f: Arc<FrozenEvaluation>) {
        keep(&self.frozen, id, f, KEEP);
    }

    /// A daily computation made before under the same key.
    pub(crate) fn daily(&self, key: &str) -> Option<Arc<Computed>> {
        get(&self.daily, &key.to_string())
    }

    /// Keeps a daily computation.
    pub(crate) fn keep_daily(&self, key: String, c: Arc<Computed>) {
        keep(&self.daily, key, c, KEEP_DAILY);
    }

    /// The drill-downs of every site made before under the same key.
    pub(crate) fn drills(&self, key: &str) -> Option<Arc<Drills>> {
        get(&self.drills, &key.to_string())
    }

    /// Keeps the drill-downs of every site.
    pub(crate) fn keep_drills(&self, key: String, d: Arc<Drills>) {
        keep(&self.drills, key, d, KEEP_DRILLS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_most_recent_few() {
        let list: Mutex<Vec<(i64, Arc<i64>)>> = Mutex::default();
        for i in 0..6 {
            keep(&list, i, Arc::new(i * 10), KEEP);
        }
        // 0 and 1 went first; asking for 2 makes it the most recent, so 3 goes next.
        assert!(get(&list, &0).is_none() && get(&list, &1).is_none());
        assert_eq!(get(&list, &2).as_deref(), Some(&20));
        keep(&list, 6, Arc::new(60), KEEP);
        assert!(get(&list, &3).is_none());
        assert_eq!(get(&list, &2).as_deref(), Some(&20));
    }
}
