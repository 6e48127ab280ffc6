//! The job handlers of the request lifecycle, all idempotent (a job whose runner died runs
//! again): `request.process` takes a new request on its route (approval, a scheduled start,
//! waiting for a callout, or delivery); `request.deliver` grants (adds the target to every group of the package's resource
//! role scopes and creates or updates the assignment) or removes (takes those memberships away
//! unless another active assignment of the target grants the same group, and ends the
//! assignment), then records DeliveryFinished, all in one transaction; `request.wake` moves a
//! scheduled request to delivery when its start arrives; `assignment.reprocess` re-applies a
//! delivered assignment's memberships.
use super::{followups, Ctx, ServiceError, ASSIGNMENT_REPROCESS_JOB, DELIVER_JOB, PROCESS_JOB, WAKE_JOB};
use crate::runner::{JobError, JobHandler};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use grantd_domain::assignment::{Assignment, AssignmentState};
use grantd_domain::policy::{Expiration, ExpirationType, Policy, Schedule};
use grantd_domain::request::{Actor, AssignmentRequest, Event, Outcome, RequestState};
use grantd_domain::resource::AAD_GROUP;
use grantd_domain::{AccessPackageId, AssignmentId, AssignmentRequestId, ObjectId, TenantId};
use grantd_store::{Delivery, Job, Store, StoreError};
use std::collections::BTreeSet;

/// What a set of packages grants: group memberships, and how many role scopes grantd cannot
/// deliver (owner roles, non-group resources, resources that are gone).
#[derive(Debug, Default)]
struct Grants {
    groups: BTreeSet<ObjectId>,
    undeliverable: usize,
}

async fn grants_of(store: &Store, tenant: TenantId, packages: &[AccessPackageId]) -> Result<Grants, StoreError> {
    let scopes = store.role_scopes_of_packages(tenant, packages).await?;
    let resources = store.resources_by_ids(tenant, &scopes.iter().map(|s| s.resource_id).collect::<Vec<_>>()).await?;
    let roles = store.roles_by_ids(tenant, &scopes.iter().map(|s| s.role_id).collect::<Vec<_>>()).await?;
    let mut g = Grants::default();
    for s in &scopes {
        let resource = resources.iter().find(|r| r.id == s.resource_id);
        let role = roles.iter().find(|r| r.id == s.role_id);
        let group = match (resource, role) {
            (Some(res), Some(role))
                if res.origin_system.eq_ignore_ascii_case(AAD_GROUP)
                    && role.origin_id.to_ascii_lowercase().starts_with("member_") =>
            {
                grantd_domain::parse_guid(&res.origin_id).map(ObjectId)
            }
            _ => None,
        };
        match group {
            Some(id) => {
                g.groups.insert(id);
            }
            None => g.undeliverable += 1,
        }
    }
    Ok(g)
}

pub(crate) fn job_error(e: ServiceError) -> JobError {
    match e {
        ServiceError::Store(StoreError::Decode(e)) => JobError::Fatal(e.to_string()),
        ServiceError::Store(e) => JobError::Retry(e.to_string()),
        ServiceError::Domain(e) => JobError::Fatal(e.to_string()),
    }
}

fn expiration_at(end: Option<DateTime<Utc>>) -> Expiration {
    match end {
        Some(t) => Expiration::at(t),
        None => Expiration::never(),
    }
}

/// The assignment's schedule: the requested start (or now) and the requested end, else the
/// policy's; an update or extension keeps the start and renews the end from now.
fn schedule_for(
    r: &AssignmentRequest,
    p: Option<&Policy>,
    existing: Option<&Assignment>,
    now: DateTime<Utc>,
) -> Schedule {
    let requested = r.schedule.expiration.as_ref().filter(|e| e.kind != ExpirationType::NotSpecified);
    let start = match (r.schedule.start_date_time, existing) {
        (Some(s), _) => s,
        (None, Some(a)) => a.schedule.start_date_time.unwrap_or(now),
        (None, None) => now,
    };
    let renew_from = if existing.is_some() { now } else { start };
    let end = match requested {
        Some(e) => e.end_from(start),
        None => p.and_then(|p| p.expiration.end_from(renew_from)),
    };
    Schedule { start_date_time: Some(start), expiration: Some(expiration_at(end)), recurrence: None }
}

fn state_label(s: AssignmentState) -> String {
    grantd_domain::catalog::pascal(s.as_str())
}

/// Delivers a request in `delivering`; does nothing for a request in any other state.
pub async fn deliver(ctx: &Ctx, tenant: TenantId, id: AssignmentRequestId) -> Result<(), ServiceError> {
    let store = &ctx.store;
    let Some(mut r) = store.get_request(tenant, id).await? else { return Ok(()) };
    if r.state != RequestState::Delivering {
        return Ok(());
    }
    let now = ctx.clock.now();
    let policy = store.get_policy(tenant, r.assignment_policy_id).await?;
    let existing = match r.assignment_id {
        Some(a) => store.get_assignment(tenant, a).await?,
        None => None,
    };
    let grants = grants_of(store, tenant, &[r.access_package_id]).await?;
    let mut d = Delivery::default();
    let outcome = if r.request_type.is_remove() {
        let others: Vec<Assignment> = store
            .assignments_of_target(tenant, r.target_id)
            .await?
            .into_iter()
            .filter(|a| Some(a.id) != r.assignment_id && a.state.holds_access())
            .collect();
        let packages: Vec<AccessPackageId> = others.iter().map(|a| a.access_package_id).collect();
        let keep = grants_of(store, tenant, &packages).await?.groups;
        d.remove_members = grants.groups.iter().filter(|g| !keep.contains(g)).map(|g| (*g, r.target_id)).collect();
        if let Some(mut a) = existing {
            a.state = AssignmentState::Expired;
            a.status = Some("Expired".into());
            a.expired_date_time = Some(now);
            a.modified_date_time = now;
            d.assignment = Some(a);
        }
        Outcome::Delivered
    } else {
        let mut delivered = Vec::new();
        let mut failed = grants.undeliverable;
        for g in &grants.groups {
            if store.get_group(tenant, *g).await?.is_some() {
                delivered.push(*g);
            } else {
                failed += 1;
            }
        }
        let (outcome, state) = match (failed, delivered.is_empty()) {
            (0, _) => (Outcome::Delivered, AssignmentState::Delivered),
            (_, true) => (Outcome::Failed, AssignmentState::DeliveryFailed),
            (_, false) => (Outcome::PartiallyDelivered, AssignmentState::PartiallyDelivered),
        };
        d.add_members = delivered.iter().map(|g| (*g, r.target_id)).collect();
        let schedule = schedule_for(&r, policy.as_ref(), existing.as_ref().filter(|_| !r.request_type.is_add()), now);
        // The request shows the access window it was granted (as Graph's delivered requests do).
        r.schedule = schedule.clone();
        let a = match existing {
            Some(mut a) => {
                a.state = state;
                a.status = Some(state_label(state));
                a.schedule = schedule;
                a.expired_date_time = None;
                a.modified_date_time = now;
                a
            }
            None => Assignment {
                id: r.assignment_id.unwrap_or_else(AssignmentId::new),
                access_package_id: r.access_package_id,
                assignment_policy_id: r.assignment_policy_id,
                catalog_id: r.catalog_id,
                target_id: r.target_id,
                state,
                status: Some(state_label(state)),
                schedule,
                expired_date_time: None,
                created_date_time: now,
                modified_date_time: now,
            },
        };
        r.assignment_id = Some(a.id);
        d.assignment = Some(a);
        outcome
    };
    let effects = r.apply(Event::DeliveryFinished(outcome), now, &Actor::system()).map_err(super::refused)?;
    r.version += 1;
    let f = followups(ctx, tenant, &mut r, RequestState::Delivering, &effects, policy.as_ref()).await?;
    store.commit_delivery(tenant, &r, &d, &f, now).await?;
    if !f.jobs.is_empty() {
        ctx.wake.notify_one();
    }
    Ok(())
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

/// Re-applies the memberships of a delivered assignment.
pub async fn reprocess_assignment_job(ctx: &Ctx, tenant: TenantId, id: AssignmentId) -> Result<(), ServiceError> {
    let Some(a) = ctx.store.get_assignment(tenant, id).await? else { return Ok(()) };
    if a.state != AssignmentState::Delivered {
        return Ok(());
    }
    for g in grants_of(&ctx.store, tenant, &[a.access_package_id]).await?.groups {
        if ctx.store.get_group(tenant, g).await?.is_some() {
            ctx.store.add_member(tenant, g, a.target_id).await?;
        }
    }
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
handler!(DeliverHandler, DELIVER_JOB, |ctx, job| deliver(ctx, job.tenant, AssignmentRequestId(job.subject)));
handler!(WakeHandler, WAKE_JOB, |ctx, job| wake(ctx, job.tenant, AssignmentRequestId(job.subject)));
handler!(AssignmentReprocessHandler, ASSIGNMENT_REPROCESS_JOB, |ctx, job| reprocess_assignment_job(
    ctx,
    job.tenant,
    AssignmentId(job.subject)
));
