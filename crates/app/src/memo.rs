//! What is read on nearly every request and never changes once stored, kept parsed and
//! shared by the clones of a workspace: organisation versions by fingerprint (each was
//! checked against its fingerprint once, when read), frozen evaluations by id (the
//! database refuses to change one), and an indicator's daily figures and drill-downs of
//! every site computed from the records up to a batch watermark (committed batches never change).
//! A few of each are kept, the most recently used first, so that a server answering many
//! readers does not parse or scan the same data for each of them.

use std::sync::{Arc, Mutex, PoisonError};

use yardstick_core::evaluate::Evaluation;
use yardstick_core::org::Organisation;
use yardstick_engine::compute::{Computed, Drill};

/// One indicator's drill-downs by site.
pub(crate) type Drills = std::collections::BTreeMap<String, Drill>;

use crate::evaluate::FrozenEvaluation;

/// How many organisation versions and frozen evaluations are kept.
const KEEP: usize = 4;
/// How many daily computations (one indicator over every site for a period) are kept.
const KEEP_DAILY: usize = 8;
/// How many cut evaluations are kept (a city's is a few megabytes).
const KEEP_CUTS: usize = 16;
/// How many drill-downs (one indicator at every site for a period) are kept.
const KEEP_DRILLS: usize = 8;

/// Bytes of serialised views kept at most; a view larger than a quarter of it is not
/// kept (a whole organisation of thousands of sites is served, not hoarded).
const VIEW_BYTES: usize = 32 << 20;

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
    /// Evaluations cut to a reader's view and serialised, keyed by what the bytes depend
    /// on (the whole evaluation, the scope asked, what the reader sees), within a byte
    /// budget: a frozen evaluation never changes, so the same key gives the same bytes.
    views: Mutex<Vec<(String, Arc<String>)>>,
    /// Evaluations cut to a reader's view, keyed like `views`.
    cuts: Mutex<Vec<(String, Arc<Evaluation>)>>,
    /// Held while an organisation version or a frozen evaluation is read and parsed
    /// (see `computing`).
    pub(crate) loading: tokio::sync::Mutex<()>,
    /// Held while the records behind a figure are scanned for a page of them.
    pub(crate) scanning: tokio::sync::Mutex<()>,
    /// Held while a view is cut and serialised (see `computing`).
    pub(crate) viewing: tokio::sync::Mutex<()>,
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

impl Memo {
    /// A cut evaluation made before under the same key.
    pub(crate) fn cut(&self, key: &str) -> Option<Arc<Evaluation>> {
        get(&self.cuts, &key.to_string())
    }

    /// Keeps a cut evaluation.
    pub(crate) fn keep_cut(&self, key: String, cut: Arc<Evaluation>) {
        keep(&self.cuts, key, cut, KEEP_CUTS);
    }

    /// A serialised view made before under the same key.
    pub(crate) fn view(&self, key: &str) -> Option<Arc<String>> {
        get(&self.views, &key.to_string())
    }

    /// Keeps a serialised view, dropping the least recently used ones past the budget.
    pub(crate) fn keep_view(&self, key: String, json: Arc<String>) {
        if json.len() > VIEW_BYTES / 4 {
            return;
        }
        let mut l = self.views.lock().unwrap_or_else(PoisonError::into_inner);
        l.retain(|(k, _)| *k != key);
        l.insert(0, (key, json));
        let mut total = 0usize;
        let mut kept = 0usize;
        for (_, v) in l.iter() {
            if total + v.len() > VIEW_BYTES {
                break;
            }
            total += v.len();
            kept += 1;
        }
        l.truncate(kept);
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

    #[test]
    fn views_are_kept_within_their_byte_budget() {
        let memo = Memo::default();
        // Six views of 5 MiB fit in 32 MiB; the seventh pushes out the least recently
        // used (7 × 5 MiB > 32 MiB); one of 9 MiB (over a quarter) is never kept.
        let view = |n: usize| Arc::new("x".repeat(n << 20));
        for i in 0..6 {
            memo.keep_view(format!("v{i}"), view(5));
        }
        assert!(memo.view("v0").is_some());
        memo.keep_view("v6".into(), view(5));
        // v0 was used last before v6, so v1 is the least recently used and goes.
        assert!(memo.view("v1").is_none());
        assert!(memo.view("v0").is_some() && memo.view("v6").is_some());
        memo.keep_view("big".into(), view(9));
        assert!(memo.view("big").is_none());
    }
}
