//! The bound actions on a request after creation: cancel (the requestor or target for their
//! own request, or an assignment manager of the catalog), delete (assignment managers; only
//! terminal requests that no longer own an active assignment), reprocess (assignment managers
//! or the requestor; only failed or partial deliveries within 14 days) and reprocess of an
//! assignment. `resume` lives with the custom extensions (crate::extensions).
use super::{
    actor_of, find, followups, not_found, refused, Ctx, ServiceError, ServiceResult, ASSIGNMENT_REPROCESS_JOB,
};
use grantd_domain::assignment::AssignmentState;
use grantd_domain::request::{AssignmentRequest, Event, RequestState};
use grantd_domain::roles::{Caller, CatalogAction};
use grantd_domain::{AssignmentId, AssignmentRequestId, DomainError};
use grantd_store::{AuditEntry, Followups, NewJob, RequestDeletion, StoreError};

/// What a `resume` body says about the waiting request (`data.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum ResumeDecision {
    Continue,
    Deny,
    Cancel,
}

fn forbidden() -> ServiceError {
    ServiceError::Domain(DomainError::forbidden())
}

fn manages(caller: &Caller, r: &AssignmentRequest) -> bool {
    caller.may_on_catalog(r.catalog_id, CatalogAction::ManageAssignments)
}

fn own(caller: &Caller, r: &AssignmentRequest) -> bool {
    caller.user_id().is_some_and(|me| r.requestor_id == Some(me) || r.target_id == me)
}

/// How often a use case re-reads and re-applies after losing a race with a job or another
/// caller (optimistic concurrency).
const ATTEMPTS: usize = 5;

/// Applies the event `make` builds to a request the caller may act on (`allowed` decides) and
/// stores it with its follow-ups; on a concurrent change, reads the request again and retries.
async fn transition(
    ctx: &Ctx,
    caller: &Caller,
    id: AssignmentRequestId,
    allowed: impl Fn(&AssignmentRequest) -> bool,
    make: impl Fn(&AssignmentRequest) -> Event,
) -> ServiceResult<AssignmentRequest> {
    let actor = actor_of(&ctx.store, caller).await?;
    for _ in 0..ATTEMPTS {
        let mut r = find(ctx, caller, id).await?;
        if !allowed(&r) {
            return Err(forbidden());
        }
        let now = ctx.clock.now();
        let before = r.state;
        let effects = r.apply(make(&r), now, &actor).map_err(refused)?;
        r.version += 1;
        let policy = ctx.store.get_policy(caller.tenant, r.assignment_policy_id).await?;
        let f = followups(ctx, caller.tenant, &mut r, before, &effects, policy.as_ref()).await?;
        match ctx.store.update_request(caller.tenant, &r, &f, now).await {
            Ok(()) => {
                if !f.jobs.is_empty() {
                    ctx.wake.notify_one();
                }
                return Ok(r);
            }
            Err(StoreError::Concurrent) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ServiceError::Domain(DomainError::conflict(
        "ConcurrentModification",
        "The request was changed by another operation; read it again and retry.",
    )))
}

pub async fn cancel(ctx: &Ctx, caller: &Caller, id: AssignmentRequestId) -> ServiceResult<AssignmentRequest> {
    transition(ctx, caller, id, |r| own(caller, r) || manages(caller, r), |_| Event::Cancel).await
}

pub async fn reprocess(ctx: &Ctx, caller: &Caller, id: AssignmentRequestId) -> ServiceResult<AssignmentRequest> {
    let allowed =
        |r: &AssignmentRequest| manages(caller, r) || caller.user_id().is_some_and(|me| r.requestor_id == Some(me));
    transition(ctx, caller, id, allowed, |r| Event::Reprocess { completed: r.completed_date_time }).await
}

pub async fn delete(ctx: &Ctx, caller: &Caller, id: AssignmentRequestId) -> ServiceResult<()> {
    let r = find(ctx, caller, id).await?;
    if !manages(caller, &r) {
        return Err(forbidden());
    }
    let actor = actor_of(&ctx.store, caller).await?;
    let entry = AuditEntry {
        at: ctx.clock.now(),
        actor: actor.name,
        action: "assignmentRequest.deleted".into(),
        object_type: "accessPackageAssignmentRequest",
        object_id: r.id.0,
        detail: format!("{}/{}", r.state.beta(), r.status.beta()),
    };
    match ctx.store.delete_request(caller.tenant, r.id, &entry).await? {
        RequestDeletion::Deleted => Ok(()),
        RequestDeletion::NotFound => Err(not_found("access package assignment request")),
        RequestDeletion::NotTerminal => Err(ServiceError::Domain(DomainError::conflict(
            "RequestNotDeletable",
            format!("Only completed, denied or canceled requests can be deleted; this one is '{}'.", r.state.v1()),
        ))),
        RequestDeletion::HasAssignment => Err(ServiceError::Domain(DomainError::conflict(
            "RequestHasActiveAssignment",
            "The request cannot be deleted while the assignment it created is still active.",
        ))),
    }
}

/// `POST assignments/{id}/reprocess`: re-grants a delivered assignment's access at every
/// target (as a job); for an assignment whose delivery failed in part or in full, reprocesses
/// the request that failed, which retries only the failed resources. Only assignment managers
/// of the catalog.
pub async fn reprocess_assignment(ctx: &Ctx, caller: &Caller, id: AssignmentId) -> ServiceResult<()> {
    let nf = || not_found("access package assignment");
    let a = ctx.store.get_assignment(caller.tenant, id).await?.ok_or_else(nf)?;
    let readable = caller.may_on_catalog(a.catalog_id, CatalogAction::Read)
        || caller.user_id().is_some_and(|me| me == a.target_id);
    if !readable {
        return Err(nf());
    }
    if !caller.may_on_catalog(a.catalog_id, CatalogAction::ManageAssignments) {
        return Err(forbidden());
    }
    if matches!(a.state, AssignmentState::PartiallyDelivered | AssignmentState::DeliveryFailed)
        || a.status.as_deref().is_some_and(|s| s.starts_with("RemovalFailed"))
    {
        let failed = ctx
            .store
            .requests_of_assignment(caller.tenant, a.id)
            .await?
            .into_iter()
            .rev()
            .find(|r| matches!(r.state, RequestState::PartiallyDelivered | RequestState::DeliveryFailed));
        if let Some(r) = failed {
            transition(
                ctx,
                caller,
                r.id,
                |r| manages(caller, r),
                |r| Event::Reprocess { completed: r.completed_date_time },
            )
            .await?;
            return Ok(());
        }
    }
    if a.state != AssignmentState::Delivered {
        return Err(ServiceError::Domain(DomainError::conflict(
            "AssignmentNotReprocessable",
            format!("Only delivered assignments can be reprocessed; this one is '{}'.", a.state.as_str()),
        )));
    }
    let now = ctx.clock.now();
    let actor = actor_of(&ctx.store, caller).await?;
    let job = NewJob {
        kind: ASSIGNMENT_REPROCESS_JOB.into(),
        subject: a.id.0,
        payload: serde_json::json!({"assignmentId": a.id.to_string()}),
        run_at: now,
    };
    let f = Followups {
        jobs: vec![job],
        approvers: None,
        audit: vec![AuditEntry {
            at: now,
            actor: actor.name,
            action: "assignment.reprocess".into(),
            object_type: "accessPackageAssignment",
            object_id: a.id.0,
            detail: String::new(),
        }],
        asked: Vec::new(),
    };
    ctx.store.enqueue_with(caller.tenant, &f, now).await?;
    ctx.wake.notify_one();
    Ok(())
}
