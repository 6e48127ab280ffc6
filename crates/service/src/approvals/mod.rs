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
use grantd_domain::request::approval::{Approval, StageInstance};
use grantd_domain::request::{Actor, AssignmentRequest, Event};
use grantd_domain::{ApprovalStageId, TenantId};
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

/// Starts the next stage: resolves its approvers (fallback when the primary ones resolve to
/// nobody) and schedules its escalation and automatic denial. With nobody to ask, the request
/// is denied (`NoApproversAvailable`) in the same change.
pub(crate) async fn start_next(
    ctx: &Ctx,
    tenant: TenantId,
    r: &mut AssignmentRequest,
    f: &mut Followups,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
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
