//! Delivery of requests to target systems, per resource: `request.deliver` plans one item per
//! resource role scope of the package (`plan`), runs local items (grantd's directory) at once
//! and queues one `delivery.item` job per external one (`item`), and, once every item has
//! finished, records the outcome with the assignment (`finish`). `delivery.watchdog` makes sure
//! no request stays in Delivering without work queued; `assignment.expire` turns an assignment's
//! end into a SystemRemove request; `assignment.reprocess` re-grants a delivered assignment
//! (`lifecycle`). Every handler is idempotent and checks state first.
mod finish;
mod item;
mod lifecycle;
mod plan;

pub use finish::end_of;
pub use item::run_item;
pub use lifecycle::{expire, reprocess_assignment_job, watchdog};
pub use plan::deliver;

use crate::connectors::Connectors;
use crate::requests::{Ctx, ServiceError};
use crate::runner::{JobError, JobHandler};
use async_trait::async_trait;
use grantd_domain::{AssignmentId, AssignmentRequestId};
use grantd_store::{Job, NewJob, StoreError};
use uuid::Uuid;

pub const DELIVER_JOB: &str = crate::requests::DELIVER_JOB;
pub const ITEM_JOB: &str = "delivery.item";
pub const WATCHDOG_JOB: &str = "delivery.watchdog";
pub const EXPIRE_JOB: &str = "assignment.expire";
pub const ASSIGNMENT_REPROCESS_JOB: &str = crate::requests::ASSIGNMENT_REPROCESS_JOB;

/// How delivery retries and watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliverySettings {
    /// Attempts of one item in one round before a transient failure counts as final.
    pub max_attempts: i64,
    /// How long a request may stay in Delivering before the watchdog looks at it (and again
    /// every such period while it stays there).
    pub watchdog_after: chrono::Duration,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        Self { max_attempts: 8, watchdog_after: chrono::Duration::minutes(10) }
    }
}

/// What the delivery handlers run against.
#[derive(Clone)]
pub struct Delivery {
    pub ctx: Ctx,
    pub connectors: Connectors,
    pub settings: DeliverySettings,
}

impl Delivery {
    /// Directory groups only, default settings.
    pub fn builtin(ctx: Ctx) -> Delivery {
        let connectors = Connectors::directory_only(ctx.store.clone());
        Delivery { ctx, connectors, settings: DeliverySettings::default() }
    }
}

fn subject_job(kind: &str, subject: Uuid, payload: serde_json::Value, run_at: chrono::DateTime<chrono::Utc>) -> NewJob {
    NewJob { kind: kind.into(), subject, payload, run_at }
}

/// The job that (re)checks a request's delivery.
fn deliver_job(request: AssignmentRequestId, run_at: chrono::DateTime<chrono::Utc>) -> NewJob {
    subject_job(DELIVER_JOB, request.0, serde_json::json!({"requestId": request.to_string()}), run_at)
}

fn job_error(e: ServiceError) -> JobError {
    match e {
        ServiceError::Store(StoreError::Decode(e)) => JobError::Fatal(e.to_string()),
        ServiceError::Store(e) => JobError::Retry(e.to_string()),
        ServiceError::Domain(e) => JobError::Fatal(e.to_string()),
        ServiceError::Retry(m) => JobError::Retry(m),
    }
}

macro_rules! handler {
    ($name:ident, $kind:expr, |$env:ident, $job:ident| $body:expr) => {
        pub struct $name(pub Delivery);

        #[async_trait]
        impl JobHandler for $name {
            fn kind(&self) -> &'static str {
                $kind
            }
            async fn run(&self, $job: &Job) -> Result<(), JobError> {
                let $env = &self.0;
                $body.await.map_err(job_error)
            }
        }
    };
}

handler!(DeliverHandler, DELIVER_JOB, |env, job| deliver(env, job.tenant, AssignmentRequestId(job.subject)));
handler!(WatchdogHandler, WATCHDOG_JOB, |env, job| watchdog(env, job.tenant, AssignmentRequestId(job.subject)));
handler!(ExpireHandler, EXPIRE_JOB, |env, job| expire(env, job.tenant, AssignmentId(job.subject)));
handler!(AssignmentReprocessHandler, ASSIGNMENT_REPROCESS_JOB, |env, job| reprocess_assignment_job(
    env,
    job.tenant,
    AssignmentId(job.subject)
));

/// `delivery.item`: its transient failures are the runner's retries, so it maps errors itself.
pub struct ItemHandler(pub Delivery);

#[async_trait]
impl JobHandler for ItemHandler {
    fn kind(&self) -> &'static str {
        ITEM_JOB
    }
    async fn run(&self, job: &Job) -> Result<(), JobError> {
        run_item(&self.0, job).await
    }
}
