//! The stage timers, as jobs scheduled when a stage starts (run by the job runner on the
//! injected clock): `approval.escalate` adds the escalation approvers (status
//! `PendingApprovalEscalated`), `approval.timeout` denies the request (status `TimedOut`, the
//! stage `Expired`). Both are idempotent: a job whose stage was decided, withdrawn, already
//! escalated or no longer current does nothing.
use super::{approval_audit, resolve, ESCALATE_JOB, TIMEOUT_JOB};
use crate::requests::{audit_row, followups, job_error, refused, Ctx, ServiceError, ServiceResult};
use crate::runner::{JobError, JobHandler};
use async_trait::async_trait;
use grantd_domain::request::approval::StageStatus;
use grantd_domain::request::{Actor, AssignmentRequest, Event, RequestState, RequestStatus};
use grantd_domain::{ApprovalStageId, AssignmentRequestId, DomainError, TenantId};
use grantd_store::{AskReason, Asked, Followups, Job, StoreError};

const ATTEMPTS: usize = 5;

/// The stage a timer job is about: its index, if it is the stage in progress of a request
/// still waiting for approval.
fn current_stage(r: &AssignmentRequest, stage: ApprovalStageId) -> Option<usize> {
    if r.state != RequestState::PendingApproval || r.status == RequestStatus::WaitingForCallback {
        return None;
    }
    let a = r.approval.as_ref()?;
    let i = a.stages.iter().position(|s| s.id == stage)?;
    (a.stages[i].status == StageStatus::InProgress).then_some(i)
}

/// Writes a timer's change; retries from a fresh read when someone changed the request.
async fn run_timer<F, Fut>(ctx: &Ctx, tenant: TenantId, id: AssignmentRequestId, change: F) -> ServiceResult<()>
where
    F: Fn(AssignmentRequest) -> Fut,
    Fut: std::future::Future<Output = ServiceResult<Option<(AssignmentRequest, Followups)>>>,
{
    for _ in 0..ATTEMPTS {
        let Some(r) = ctx.store.get_request(tenant, id).await? else { return Ok(()) };
        let Some((mut r, f)) = change(r).await? else { return Ok(()) };
        r.version += 1;
        match ctx.store.update_request(tenant, &r, &f, ctx.clock.now()).await {
            Ok(()) => {
                if !f.jobs.is_empty() {
                    ctx.wake.notify_one();
                }
                return Ok(());
            }
            Err(StoreError::Concurrent) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ServiceError::Store(StoreError::Concurrent))
}

/// Denies the request if `stage` is still undecided.
pub async fn expire(ctx: &Ctx, tenant: TenantId, id: AssignmentRequestId, stage: ApprovalStageId) -> ServiceResult<()> {
    run_timer(ctx, tenant, id, |mut r| async move {
        let Some(index) = current_stage(&r, stage) else { return Ok(None) };
        let now = ctx.clock.now();
        if let Some(a) = r.approval.as_mut() {
            a.expire(index, now);
        }
        let before = r.state;
        let effects = r.apply(Event::ApprovalTimedOut, now, &Actor::system()).map_err(refused)?;
        let mut f = followups(ctx, tenant, &mut r, before, &effects, None).await?;
        f.audit.push(approval_audit(&r, "grantd", "stageExpired", format!("stage {}", index + 1), now));
        Ok(Some((r, f)))
    })
    .await
}

/// Adds the escalation approvers to `stage` if it is still undecided and not yet escalated.
pub async fn escalate(
    ctx: &Ctx,
    tenant: TenantId,
    id: AssignmentRequestId,
    stage: ApprovalStageId,
) -> ServiceResult<()> {
    run_timer(ctx, tenant, id, |mut r| async move {
        let Some(index) = current_stage(&r, stage) else { return Ok(None) };
        let Some(def) = r.approval.as_ref().and_then(|a| a.stages.get(index)).filter(|s| !s.escalated) else {
            return Ok(None);
        };
        let def = def.definition.clone();
        let now = ctx.clock.now();
        let who = resolve::escalation_approvers(&ctx.store, tenant, &r, &def).await?;
        let Some(a) = r.approval.as_mut() else { return Ok(None) };
        let added = a.escalate(index, who);
        let assigned = a.stages[index].assigned();
        let mut f = Followups::default();
        if !added.is_empty() {
            r.apply(Event::Escalated, now, &Actor::system()).map_err(refused)?;
            f.audit.extend(audit_row(&r, now));
            f.approvers = Some(assigned);
            f.asked.push(Asked { reason: AskReason::Escalated, stage: index, approvers: added.clone() });
            f.jobs.extend(crate::notify::request_notices(&r, r.state, &f.asked, now));
        }
        let detail = format!("stage {}: {} escalation approver(s) added", index + 1, added.len());
        f.audit.push(approval_audit(&r, "grantd", "stageEscalated", detail, now));
        Ok(Some((r, f)))
    })
    .await
}

/// The stage id a timer job carries.
fn stage_of(job: &Job) -> Result<ApprovalStageId, JobError> {
    job.payload
        .get("stageId")
        .and_then(|v| v.as_str())
        .and_then(grantd_domain::parse_guid)
        .map(ApprovalStageId)
        .ok_or_else(|| job_error(ServiceError::Domain(DomainError::invalid("InvalidJob", "The job names no stage."))))
}

pub struct TimeoutHandler(pub Ctx);

#[async_trait]
impl JobHandler for TimeoutHandler {
    fn kind(&self) -> &'static str {
        TIMEOUT_JOB
    }
    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let stage = stage_of(job)?;
        expire(&self.0, job.tenant, AssignmentRequestId(job.subject), stage).await.map_err(job_error)
    }
}

pub struct EscalateHandler(pub Ctx);

#[async_trait]
impl JobHandler for EscalateHandler {
    fn kind(&self) -> &'static str {
        ESCALATE_JOB
    }
    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let stage = stage_of(job)?;
        escalate(&self.0, job.tenant, AssignmentRequestId(job.subject), stage).await.map_err(job_error)
    }
}
