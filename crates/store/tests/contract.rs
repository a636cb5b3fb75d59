//! The metadata store's contract, one suite run on every backend at hand: a fresh SQLite
//! file for each test always, and a fresh PostgreSQL database too when
//! `YARDSTICK_TEST_DATABASE_URL` names a server (`.ci/pg-start` starts one). Expected
//! values are worked out by hand in the comments.

#[path = "contract/access.rs"]
mod access;
#[path = "contract/activity.rs"]
mod activity;
#[path = "contract/audits.rs"]
mod audits;
#[path = "contract/batches.rs"]
mod batches;
#[path = "contract/concurrency.rs"]
mod concurrency;
#[path = "contract/evaluations.rs"]
mod evaluations;
#[path = "contract/findings.rs"]
mod findings;
#[path = "contract/migrations.rs"]
mod migrations;
#[path = "contract/org.rs"]
mod org;
#[path = "contract/support.rs"]
mod support;
#[path = "contract/url.rs"]
mod url;
