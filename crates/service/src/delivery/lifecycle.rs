//! Jobs about the life of a delivery after planning: the watchdog (a request still in
//! Delivering a configured time after planning gets its missing jobs queued again, and is
//! finished if its items are), expiry (at an assignment's end grantd submits a SystemRemove
//! request, which revokes at every target; a moved end makes the old job a no-op), and the
//! re-grant of a delivered assignment (`assignment.reprocess`).
use super::finish::end_of;
use super::plan::{scopes_of, subject_of};
use super::{deliver, subject_job, Delivery, WATCHDOG_JOB};
use crate::connectors::{Access, ConnectorError};
use crate::requests::{audit_row, request_job, ServiceError, PROCESS_JOB};
use grantd_domain::assignment::AssignmentState;
use grantd_domain::request::{Actor, AssignmentRequest, RequestState, RequestStatus, RequestType};
use grantd_domain::{AssignmentId, AssignmentRequestId, TenantId};
use grantd_store::{Followups, StoreError};

fn retry_later(why: String) -> ServiceError {
    ServiceError::Retry(why)
}

/// Re-runs the delivery check of a request still in Delivering and watches it again later.
pub async fn watchdog(env: &Delivery, tenant: TenantId, id: AssignmentRequestId) -> Result<(), ServiceError> {
    let store = &env.ctx.store;
    let Some(r) = store.get_request(tenant, id).await? else { return Ok(()) };
    if r.state != RequestState::Delivering {
        return Ok(());
    }
    tracing::info!(request = %id, "watchdog: request still delivering; checking its work");
    deliver(env, tenant, id).await?;
    let still = store.get_request(tenant, id).await?.is_some_and(|r| r.state == RequestState::Delivering);
    if still {
        let now = env.ctx.clock.now();
        let next = subject_job(
            WATCHDOG_JOB,
            id.0,
            serde_json::json!({"requestId": id.to_string()}),
            now + env.settings.watchdog_after,
        );
        store.enqueue_job(tenant, &next, now).await?;
    }
    Ok(())
}

/// At an assignment's end: submits the SystemRemove request that revokes it everywhere.
pub async fn expire(env: &Delivery, tenant: TenantId, id: AssignmentId) -> Result<(), ServiceError> {
    let store = &env.ctx.store;
    let Some(a) = store.get_assignment(tenant, id).await? else { return Ok(()) };
    if !a.state.holds_access() {
        return Ok(());
    }
    let now = env.ctx.clock.now();
    match end_of(&a) {
        Some(end) if end <= now => {}
        // Extended (a later job ends it) or never ending now.
        _ => return Ok(()),
    }
    if let Some(open) = store.open_request_for(tenant, a.access_package_id, a.target_id).await? {
        return Err(retry_later(format!("assignment {} expired but request {} is still open", a.id, open.id)));
    }
    let mut r = AssignmentRequest {
        id: AssignmentRequestId::new(),
        request_type: RequestType::SystemRemove,
        state: RequestState::Submitted,
        status: RequestStatus::Accepted,
        access_package_id: a.access_package_id,
        assignment_policy_id: a.assignment_policy_id,
        catalog_id: a.catalog_id,
        target_id: a.target_id,
        requestor_id: None,
        requestor_app_id: None,
        assignment_id: Some(a.id),
        justification: Some("The assignment expired.".into()),
        schedule: Default::default(),
        answers: Vec::new(),
        verified_credentials: Vec::new(),
        is_validation_only: false,
        needs_approval: false,
        callout_on_created: false,
        callout_on_approved: false,
        created_date_time: now,
        completed_date_time: None,
        history: Vec::new(),
        approval: None,
        callout_instances: Vec::new(),
        version: 1,
    };
    r.record_creation(now, &Actor::system());
    let f = Followups {
        jobs: vec![request_job(PROCESS_JOB, &r, now)],
        approvers: None,
        audit: audit_row(&r, now),
        asked: Vec::new(),
    };
    match store.submit_request(tenant, &r, None, &f, now).await {
        Ok(()) => {}
        Err(StoreError::Duplicate) => return Err(retry_later("an open request appeared meanwhile".into())),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(assignment = %a.id, request = %r.id, "assignment expired; removal requested");
    env.ctx.wake.notify_one();
    Ok(())
}

/// Grants a delivered assignment's access again at every target (idempotent at each).
pub async fn reprocess_assignment_job(env: &Delivery, tenant: TenantId, id: AssignmentId) -> Result<(), ServiceError> {
    let store = &env.ctx.store;
    let Some(a) = store.get_assignment(tenant, id).await? else { return Ok(()) };
    if a.state != AssignmentState::Delivered {
        return Ok(());
    }
    let Some(user) = store.get_user(tenant, a.target_id).await? else { return Ok(()) };
    for s in scopes_of(store, tenant, &[a.access_package_id]).await? {
        let Some(c) = env.connectors.for_origin(&s.origin_system).filter(|_| !s.missing) else { continue };
        let access = Access {
            tenant,
            subject: subject_of(&user),
            resource_origin_id: s.origin_id.clone(),
            role_origin_id: s.role_origin_id.clone(),
            delivery_id: a.id.0,
            request_id: AssignmentRequestId(a.id.0),
        };
        match c.grant(&access).await {
            Ok(()) => {}
            Err(ConnectorError::Transient(m)) => return Err(retry_later(m)),
            Err(ConnectorError::Permanent(m)) => {
                tracing::warn!(assignment = %a.id, resource = %s.name, error = %m, "reprocess could not re-grant");
            }
        }
    }
    Ok(())
}
