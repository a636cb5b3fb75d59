//! Long work off the async runtime: cancellation, progress and notices.
//!
//! Imports and evaluations are long synchronous scans. They run on the blocking pool
//! (`spawn_blocking`), never on a runtime thread, and stop at their next check when
//! cancelled — by the caller ([`Cancel::cancel`], e.g. on Ctrl-C or server shutdown)
//! or because the future awaiting them was dropped (a client went away).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, ErrorKind, Result};

/// A cancellation flag shared with running work.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A flag not raised.
    #[must_use]
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Asks the work to stop at its next check.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether stopping was asked.
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    /// The flag itself, as the engine takes it.
    #[must_use]
    pub fn flag(&self) -> &AtomicBool {
        &self.0
    }
}

/// Something worth telling the user while work goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Another import holds the data directory's lock: this one waits its turn.
    WaitingForLock,
    /// Files left by a killed import were removed before this one started.
    Swept {
        /// Files and directories removed.
        removed: usize,
    },
}

/// Receives progress and notices of long work. Every method has a default that does
/// nothing, so a caller implements only what it shows.
pub trait Observer: Send + Sync {
    /// Bytes of the input read so far.
    fn progress(&self, _bytes: u64) {}
    /// A notice.
    fn notice(&self, _notice: Notice) {}
}

/// An observer that shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl Observer for Quiet {}

/// Raises the flag when dropped unless disarmed: a dropped future cancels its work.
struct CancelOnDrop(Option<Cancel>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(c) = self.0.take() {
            c.cancel();
        }
    }
}

/// Runs `work` on the blocking pool with `cancel`; dropping the returned future raises
/// the flag so the work stops at its next check.
///
/// # Errors
/// An internal error when the work panicked.
pub(crate) async fn blocking<T, F>(cancel: &Cancel, work: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(&Cancel) -> T + Send + 'static,
{
    let mut guard = CancelOnDrop(Some(cancel.clone()));
    let c = cancel.clone();
    let out = tokio::task::spawn_blocking(move || work(&c)).await;
    guard.0 = None;
    out.map_err(|e| {
        if e.is_cancelled() {
            Error::new(ErrorKind::Cancelled, "error.cancelled")
        } else {
            Error::internal("error.internal.worker_panicked").detail(e.to_string())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dropped future raises the flag: the blocking work sees it and stops.
    #[tokio::test]
    async fn dropping_the_future_cancels_the_work() {
        let cancel = Cancel::new();
        let seen = Arc::new(AtomicBool::new(false));
        let s = seen.clone();
        let fut = blocking(&cancel, move |c| {
            for _ in 0..200 {
                if c.is_cancelled() {
                    s.store(true, Ordering::SeqCst);
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        });
        // Poll it briefly, then drop it.
        let _ = tokio::time::timeout(std::time::Duration::from_millis(50), fut).await;
        assert!(cancel.is_cancelled());
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert!(
            seen.load(Ordering::SeqCst),
            "the work saw the flag and stopped"
        );
    }
}
