//! Queueing maths for staffing: Erlang B, Erlang C, exact Erlang A (M/M/N+M) and the
//! exact search for the fewest agents meeting service targets (GitHub issue 4).
//!
//! The same maths sizes call-centre agents, business-hall counters and field crews:
//! contacts (calls, tickets, work orders) arrive at `arrivals_per_h`, take `aht_s`
//! seconds to handle, and, with `patience_s`, leave the queue after an exponentially
//! distributed patience.
//!
//! # Formulas
//!
//! * Offered traffic A = arrivals per hour × AHT / 3600 Erlangs.
//! * Erlang B by the recursion B(0) = 1, B(n) = A·B(n−1)/(n + A·B(n−1)), stable for
//!   thousands of servers and any traffic ([`erlang_b`]).
//! * Erlang C = N·B/(N − A(1 − B)) for A < N, and 1 when A ≥ N ([`erlang_c`]).
//! * Without patience (Erlang C): service level P(wait ≤ T) = 1 − C·e^(−(N−A)·T/AHT),
//!   ASA = C·AHT/(N − A), occupancy A/N. With A ≥ N the queue is unstable: every
//!   contact waits, the service level is 0, the ASA infinite and the occupancy 1.
//! * With patience (Erlang A): computed exactly from the birth–death process and the
//!   distribution of the offered wait; see the `erlang_a` module source for the
//!   derivation, the numerical method (log-space integrands, adaptive Gauss–Kronrod)
//!   and its accuracy (about 10⁻¹⁰ absolute on probabilities). The service level is
//!   reported under three definitions: answered within T over offered (the one the
//!   search targets), over answered, and over offered minus abandons before T.
//!   Occupancy is carried traffic A·P(answered) over N.
//! * Scheduled staff = ⌈N / (1 − shrinkage)⌉ in exact rational arithmetic
//!   ([`Shrinkage`]).
//!
//! # Example
//!
//! ```
//! use yardstick_core::queueing::{Queue, Shrinkage, Targets};
//!
//! // 100 calls per 30 minutes, 180 s handling, 80 % answered within 20 s.
//! let queue = Queue::new(200.0, 180.0, None)?;
//! let targets = Targets { service_level: Some(0.8), ..Targets::answer_within(20.0) };
//! let staffing = queue.required_agents(&targets)?;
//! assert_eq!(staffing.agents, 14);
//! let shrinkage: Shrinkage = "0.3".parse()?;
//! assert_eq!(shrinkage.scheduled_agents(staffing.agents), 20);
//! # Ok::<(), yardstick_core::queueing::QueueingError>(())
//! ```

mod erlang;
mod erlang_a;
mod error;
mod quadrature;
mod shrinkage;
mod staffing;

pub use erlang::{erlang_b, erlang_c};
pub use error::{Domain, Input, QueueingError, Unmeetable};
pub use shrinkage::Shrinkage;
pub use staffing::{Abandonment, MAX_AGENTS, Performance, Queue, Targets};
