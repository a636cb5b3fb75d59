//! What is stored: committed batches, and live and superseded rows per record kind.

use std::collections::BTreeMap;

use serde::Serialize;
use yardstick_store::BatchInfo;

use crate::error::Result;
use crate::scope::Actor;
use crate::workspace::Workspace;

/// Rows of one record kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct KindRows {
    /// Rows stored by every batch.
    pub stored: u64,
    /// Of those, rows a later `--replace` batch took over.
    pub superseded: u64,
    /// Rows evaluations read: stored − superseded.
    pub live: u64,
}

/// Batches and rows.
#[derive(Debug, Clone, Serialize)]
pub struct RecordStats {
    /// Committed batches, oldest first.
    pub batches: Vec<BatchInfo>,
    /// Rows per kind.
    pub kinds: BTreeMap<String, KindRows>,
}

impl Workspace {
    /// Committed batches and rows per kind.
    ///
    /// # Errors
    /// Store failures.
    pub async fn record_stats(&self, _actor: &Actor) -> Result<RecordStats> {
        let batches = self
            .store
            .batches()
            .await
            .map_err(|e| self.store_error(&e))?;
        let live = self
            .store
            .live_rows()
            .await
            .map_err(|e| self.store_error(&e))?;
        let kinds = live
            .into_iter()
            .map(|(kind, (stored, superseded))| {
                let stored = u64::try_from(stored).unwrap_or(0);
                let superseded = u64::try_from(superseded).unwrap_or(0);
                (
                    kind,
                    KindRows {
                        stored,
                        superseded,
                        live: stored.saturating_sub(superseded),
                    },
                )
            })
            .collect();
        Ok(RecordStats { batches, kinds })
    }
}
