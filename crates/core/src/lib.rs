//! Yardstick core: the domain of on-site telecom service management, pure.
//!
//! It holds the guideline model and its parser and validator, the organisation tree,
//! business calendars and SLA clocks, the indicator expression language, mergeable
//! measure states, evaluation (scores, levels, ranks) and queueing maths for staffing.
//! It takes time and data as arguments: it never reads the clock, the environment or
//! files, and depends on no async runtime, database, HTTP or query-engine crate. The
//! `xtask tidy` check enforces this.

pub mod audit;
pub mod calendar;
pub mod diag;
pub mod evaluate;
pub mod expr;
pub mod fingerprint;
pub mod guideline;
pub mod i18n;
pub mod mapping;
pub mod measure;
pub mod org;
pub mod pdca;
pub mod period;
pub mod planning;
pub mod queueing;
pub mod records;
pub mod vocab;
