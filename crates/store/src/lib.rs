//! grantd-store: persistence. One `Store` type over SQLite (embedded, default) or PostgreSQL,
//! chosen from the database URL. SQL is built with sea-query (never concatenated from input)
//! and rendered for the backend at hand, so each query exists once and the same conformance
//! tests run on both. Every table is keyed by tenant first; every query filters by tenant.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod access;
mod assignments;
mod catalogs;
mod connected;
mod db;
mod delivery;
mod directory;
mod error;
mod extensions;
mod filter_sql;
mod jobs;
mod policies;
mod record;
mod requests;
mod resources;
mod roles;
mod separation;
mod settings;
mod transfer;

pub use access::CallerAccess;
pub use catalogs::{DeleteCatalog, DeletePackage, FINISHED_ASSIGNMENT_STATES};
pub use db::{Backend, Store, StoreOptions};
pub use directory::{DirectoryMember, MembershipChange};
pub use error::StoreError;
pub use jobs::{ExportedJob, Job, NewJob};
pub use policies::PolicyDeletion;
pub use record::{page_sql, ListQuery, Page, Record};
pub use requests::{AskReason, Asked, AuditEntry, Delivery, Followups, RequestDeletion};
pub use resources::RemoveResource;
pub use transfer::{ExportedAudit, Line as ExportLine};
