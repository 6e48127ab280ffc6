//! grantd-service: the asynchronous use cases (submit, cancel, approve, deliver, ...) over the
//! store, and the job runner that executes background work. Ports (traits) for outbound systems
//! live here; the web layer calls use cases, never the store's write paths directly for
//! workflow objects.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod approvals;
pub mod connectors;
pub mod delivery;
pub mod extensions;
pub mod external_users;
pub mod notify;
pub mod requests;
pub mod requirements;
pub mod runner;
pub mod verified_id;

pub use runner::{JobError, JobHandler, Runner, RunnerConfig};
