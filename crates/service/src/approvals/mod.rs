//! Approvals of assignment requests: opening stages (approvers resolved from the directory,
//! deadlines scheduled as jobs), decisions by approvers (`decide`), and the timers that
//! escalate or deny a stage nobody decided (`timers`). The approval lives in the request's
//! document, so each change here is one `update_request` (version-checked) carrying the
//! transition it causes, the approver index, the timer jobs and the audit rows. Reading who may
//! see or decide is here too; nothing here speaks HTTP.
mod decide;
pub mod resolve;
mod timers;

pub use decide::{decide, find_approval, ApprovalView};
pub use timers::{escalate, expire, EscalateHandler, TimeoutHandler};

use crate::requests::{audit_row, refused, Ctx, ServiceResult};
use chrono::{DateTime, Utc};
use grantd_domain::policy::StageKind;
use grantd_domain::request::approval::{Approval, StageInstance};
use grantd_domain::request::{Actor, AssignmentRequest, Event};
use grantd_domain::{ApprovalStageId, CustomExtensionId, TenantId};
use grantd_store::{AskReason, Asked, AuditEntry, Followups, NewJob};

/// Denies a request whose stage nobody decided in time.
pub const TIMEOUT_JOB: &str = "approval.timeout";
/// Adds the escalation approvers of a stage nobody decided in time.
pub const ESCALATE_JOB: &str = "approval.escalate";

fn stage_job(kind: &str, r: &AssignmentRequest, stage: ApprovalStageId, at: DateTime<Utc>) -> NewJob {
    NewJob {
        kind: kind.into(),
        subject: r.id.0,
        payload: serde_json::json!({"requestId": r.id.to_string(), "stageId": stage.to_string()}),
        run_at: at,
    }
}

/// An audit row about the request's approval.
pub(crate) fn approval_audit(
    r: &AssignmentRequest,
    actor: &str,
    action: &str,
    detail: String,
    now: DateTime<Utc>,
) -> AuditEntry {
    AuditEntry {
        at: now,
        actor: actor.to_string(),
        action: format!("approval.{action}"),
        object_type: "accessPackageAssignmentRequest",
        object_id: r.id.0,
        detail,
    }
}

/// Opens the approval of a request that reached `pendingApproval`: one stage per policy stage
/// (a snapshot, so a later policy change does not alter a running approval), then starts the
/// first.
pub(crate) async fn open(
    ctx: &Ctx,
    tenant: TenantId,
    r: &mut AssignmentRequest,
    stages: &[grantd_domain::policy::ApprovalStage],
    f: &mut Followups,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    r.approval = Some(Approval::open(stages, ApprovalStageId::new));
    start_next(ctx, tenant, r, f, now).await
}

/// The custom extension a dynamic stage asks for its approvers, while it has not answered.
fn extension_to_ask(s: &StageInstance) -> Option<CustomExtensionId> {
    match &s.definition.kind {
        StageKind::Dynamic { custom_extension_id: Some(id) } if !s.supplied => {
            grantd_domain::parse_guid(id).map(CustomExtensionId)
        }
        _ => None,
    }
}

/// A dynamic stage reached: it waits (`Initializing`, the request `WaitingForCallback`) for
/// its custom extension, called at `assignmentRequestDeterminingApprovalRequirements`, to
/// supply the approvers through `resume`. Nobody is asked meanwhile.
fn request_approvers(
    r: &mut AssignmentRequest,
    index: usize,
    ext: CustomExtensionId,
    f: &mut Followups,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    if let Some(a) = r.approval.as_mut() {
        a.await_approvers(index, now);
    }
    r.apply(Event::ApproversRequested, now, &Actor::system()).map_err(refused)?;
    f.audit.extend(audit_row(r, now));
    f.approvers = Some(Vec::new());
    f.jobs.push(crate::extensions::approvers_job(r, ext, now));
    let detail = format!("stage {}: approvers requested from custom extension {ext}", index + 1);
    f.audit.push(approval_audit(r, "grantd", "approversRequested", detail, now));
    Ok(())
}

/// Starts the next stage: resolves its approvers (fallback when the primary ones resolve to
/// nobody) and schedules its escalation and automatic denial. With nobody to ask, the request
/// is denied (`NoApproversAvailable`) in the same change. A dynamic stage first asks its
/// custom extension for the approvers (a dynamic stage naming no extension resolves the
/// approvers of its own definition, as a fixed stage does).
pub(crate) async fn start_next(
    ctx: &Ctx,
    tenant: TenantId,
    r: &mut AssignmentRequest,
    f: &mut Followups,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let ask = r.approval.as_ref().and_then(|a| {
        let i = a.next_to_start()?;
        extension_to_ask(&a.stages[i]).map(|ext| (i, ext))
    });
    if let Some((index, ext)) = ask {
        return request_approvers(r, index, ext, f, now);
    }
    let next = r.approval.as_ref().and_then(|a| a.next_to_start().map(|i| (i, a.stages[i].definition.clone())));
    let resolved = match &next {
        Some((_, def)) => resolve::stage_approvers(&ctx.store, tenant, r, def).await?,
        None => None,
    };
    let index = next.map(|(i, _)| i);
    let (Some(index), Some(who)) = (index, resolved) else {
        if let (Some(a), Some(i)) = (r.approval.as_mut(), index) {
            a.abandon(i, now);
        }
        r.apply(Event::NoApprovers, now, &Actor::system()).map_err(refused)?;
        f.audit.extend(audit_row(r, now));
        f.approvers = Some(Vec::new());
        return Ok(());
    };
    let reason = if who.fallback { AskReason::Fallback } else { AskReason::StageStarted };
    let Some(a) = r.approval.as_mut() else { return Ok(()) };
    a.start_stage(index, who, now);
    let s: StageInstance = a.stages[index].clone();
    f.approvers = Some(s.assigned());
    f.asked.push(Asked { reason, stage: index, approvers: s.approvers.clone() });
    if let Some(at) = s.escalate_at {
        f.jobs.push(stage_job(ESCALATE_JOB, r, s.id, at));
    }
    if let Some(at) = s.deny_at {
        f.jobs.push(stage_job(TIMEOUT_JOB, r, s.id, at));
    }
    let detail = format!(
        "stage {}: {} approver(s){}",
        index + 1,
        s.approvers.len(),
        if s.used_fallback { " (fallback)" } else { "" }
    );
    f.audit.push(approval_audit(r, "grantd", "stageStarted", detail, now));
    Ok(())
}
