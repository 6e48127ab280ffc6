//! Finishing a delivery whose items are all done or failed: the outcome (Delivered,
//! PartiallyDelivered, DeliveryFailed) with the failed resources named in the request's history
//! and on the assignment; for grants the assignment with its schedule (the requested start or
//! now, the requested end else the policy's; an update renews the end from now) and the job
//! that ends it; for removals the assignment's end once every target has revoked. One
//! transaction, version checked.
use super::{subject_job, Delivery, EXPIRE_JOB};
use crate::requests::{followups, refused, ServiceError};
use chrono::{DateTime, Utc};
use grantd_domain::assignment::{Assignment, AssignmentState};
use grantd_domain::delivery::{outcome, DeliveryItem};
use grantd_domain::policy::{Expiration, ExpirationType, Policy, Schedule};
use grantd_domain::request::{Actor, AssignmentRequest, Event, Outcome, RequestState};
use grantd_domain::TenantId;
use grantd_store::Delivery as Changes;

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

/// When an assignment's access ends, if it does.
pub fn end_of(a: &Assignment) -> Option<DateTime<Utc>> {
    let start = a.schedule.start_date_time.unwrap_or(a.created_date_time);
    a.schedule.expiration.as_ref().and_then(|e| e.end_from(start))
}

fn status_label(s: AssignmentState, failures: &[String]) -> String {
    let label = grantd_domain::catalog::pascal(s.as_str());
    if failures.is_empty() {
        label
    } else {
        format!("{label}; failed: {}", failures.join("; "))
    }
}

pub(super) async fn finish(
    env: &Delivery,
    tenant: TenantId,
    mut r: AssignmentRequest,
    items: &[DeliveryItem],
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let store = &env.ctx.store;
    let policy = store.get_policy(tenant, r.assignment_policy_id).await?;
    let existing = match r.assignment_id {
        Some(a) => store.get_assignment(tenant, a).await?,
        None => None,
    };
    let (result, failures) = outcome(items);
    let mut changes = Changes::default();
    let mut jobs = Vec::new();
    if r.request_type.is_remove() {
        if let Some(mut a) = existing {
            if result == Outcome::Delivered {
                a.state = AssignmentState::Expired;
                a.status = Some("Expired".into());
                a.expired_date_time = Some(now);
                // An external user grantd created may have lost their last assignment: the
                // tenant's lifecycle setting decides (the job checks what is left).
                if store.is_governed_subject(tenant, a.target_id).await? {
                    jobs.push(crate::external_users::lifecycle_job(
                        a.target_id,
                        crate::external_users::Step::Block,
                        now,
                    ));
                }
            } else {
                // Access remains where the revoke failed: the assignment says so until a
                // reprocess of this request succeeds.
                a.status = Some(format!("RemovalFailed; failed: {}", failures.join("; ")));
            }
            a.modified_date_time = now;
            changes.assignment = Some(a);
        }
    } else {
        let state = match result {
            Outcome::Delivered => AssignmentState::Delivered,
            Outcome::PartiallyDelivered => AssignmentState::PartiallyDelivered,
            Outcome::Failed => AssignmentState::DeliveryFailed,
        };
        let schedule = schedule_for(&r, policy.as_ref(), existing.as_ref().filter(|_| !r.request_type.is_add()), now);
        // The request shows the access window it was granted (as Graph's delivered requests do).
        r.schedule = schedule.clone();
        let a = match existing {
            Some(mut a) => {
                a.state = state;
                a.status = Some(status_label(state, &failures));
                a.schedule = schedule;
                a.expired_date_time = None;
                a.modified_date_time = now;
                a
            }
            None => Assignment {
                id: r.assignment_id.unwrap_or_default(),
                access_package_id: r.access_package_id,
                assignment_policy_id: r.assignment_policy_id,
                catalog_id: r.catalog_id,
                target_id: r.target_id,
                state,
                status: Some(status_label(state, &failures)),
                schedule,
                expired_date_time: None,
                created_date_time: now,
                modified_date_time: now,
            },
        };
        if a.state.holds_access() {
            if let Some(end) = end_of(&a) {
                let payload = serde_json::json!({"assignmentId": a.id.to_string(), "end": end});
                jobs.push(subject_job(EXPIRE_JOB, a.id.0, payload, end));
            }
        }
        r.assignment_id = Some(a.id);
        changes.assignment = Some(a);
    }
    let effects = r.apply(Event::DeliveryFinished(result), now, &Actor::system()).map_err(refused)?;
    if !failures.is_empty() {
        r.note_last(format!("failed: {}", failures.join("; ")));
    }
    r.version += 1;
    let mut f = followups(&env.ctx, tenant, &mut r, RequestState::Delivering, &effects, policy.as_ref()).await?;
    f.jobs.extend(jobs);
    store.commit_delivery(tenant, &r, &changes, &f, now).await?;
    Ok(())
}
