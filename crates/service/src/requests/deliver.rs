//! The job handlers that move a request along before delivery, both idempotent (a job whose
//! runner died runs again): `request.process` takes a new request on its route (approval, a
//! scheduled start, waiting for a callout, or delivery); `request.wake` moves a scheduled
//! request to delivery when its start arrives. Delivery itself is `crate::delivery`.
use super::{followups, Ctx, ServiceError, PROCESS_JOB, WAKE_JOB};
use crate::runner::{JobError, JobHandler};
use async_trait::async_trait;
use grantd_domain::request::{Actor, Event, RequestState};
use grantd_domain::{AssignmentRequestId, TenantId};
use grantd_store::{Job, StoreError};

pub(crate) fn job_error(e: ServiceError) -> JobError {
    match e {
        ServiceError::Store(StoreError::Decode(e)) => JobError::Fatal(e.to_string()),
        ServiceError::Store(e) => JobError::Retry(e.to_string()),
        ServiceError::Domain(e) => JobError::Fatal(e.to_string()),
        ServiceError::Retry(m) => JobError::Retry(m),
    }
}

/// Takes a submitted request on its route; does nothing once it has moved on.
pub async fn process(ctx: &Ctx, tenant: TenantId, id: AssignmentRequestId) -> Result<(), ServiceError> {
    let Some(mut r) = ctx.store.get_request(tenant, id).await? else { return Ok(()) };
    if r.state != RequestState::Submitted || r.status != grantd_domain::request::RequestStatus::Accepted {
        return Ok(());
    }
    let now = ctx.clock.now();
    let policy = ctx.store.get_policy(tenant, r.assignment_policy_id).await?;
    let effects = r.apply(Event::Submitted(r.route()), now, &Actor::system()).map_err(super::refused)?;
    r.version += 1;
    let f = followups(ctx, tenant, &mut r, RequestState::Submitted, &effects, policy.as_ref()).await?;
    ctx.store.update_request(tenant, &r, &f, now).await?;
    if !f.jobs.is_empty() {
        ctx.wake.notify_one();
    }
    Ok(())
}

/// Moves a scheduled request whose start has arrived to delivery.
pub async fn wake(ctx: &Ctx, tenant: TenantId, id: AssignmentRequestId) -> Result<(), ServiceError> {
    let Some(mut r) = ctx.store.get_request(tenant, id).await? else { return Ok(()) };
    if r.state != RequestState::Scheduled {
        return Ok(());
    }
    let now = ctx.clock.now();
    let effects = r.apply(Event::StartReached, now, &Actor::system()).map_err(super::refused)?;
    r.version += 1;
    let f = followups(ctx, tenant, &mut r, RequestState::Scheduled, &effects, None).await?;
    ctx.store.update_request(tenant, &r, &f, now).await?;
    ctx.wake.notify_one();
    Ok(())
}

macro_rules! handler {
    ($name:ident, $kind:expr, |$ctx:ident, $job:ident| $body:expr) => {
        pub struct $name(pub Ctx);

        #[async_trait]
        impl JobHandler for $name {
            fn kind(&self) -> &'static str {
                $kind
            }
            async fn run(&self, $job: &Job) -> Result<(), JobError> {
                let $ctx = &self.0;
                $body.await.map_err(job_error)
            }
        }
    };
}

handler!(ProcessHandler, PROCESS_JOB, |ctx, job| process(ctx, job.tenant, AssignmentRequestId(job.subject)));
handler!(WakeHandler, WAKE_JOB, |ctx, job| wake(ctx, job.tenant, AssignmentRequestId(job.subject)));
