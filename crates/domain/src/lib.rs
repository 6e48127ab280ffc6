//! grantd-domain: the pure, synchronous heart of grantd. Ids, entities, errors, the clock and the
//! per-entity field catalogs that `$filter`/`$orderby` bind against. No I/O, no async, no web or
//! database types here.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod assignment;
pub mod catalog;
pub mod clock;
pub mod connected;
pub mod delivery;
pub mod directory;
pub mod error;
pub mod extension;
pub mod external_users;
pub mod fields;
pub mod filter;
pub mod ids;
pub mod policy;
pub mod request;
pub mod resource;
pub mod roles;
pub mod separation;

pub use clock::{Clock, SystemClock};
pub use error::DomainError;
pub use ids::*;
