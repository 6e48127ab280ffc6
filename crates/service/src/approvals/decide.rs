//! Reading an approval and deciding a stage. Approvals are delegated only (approval-get.md,
//! approvalstage-update.md: application permissions are not supported): an app gets 403. An
//! approval is readable by anyone asked in any of its stages and by the catalog's readers;
//! anyone else gets 403 (the documented answer), and a request with no approval is 404. A
//! decision is the stage's assigned approver's alone; the requestor and the target are never
//! assigned. Two approvers deciding at once: both read the same version, one write wins, the
//! other re-reads, finds the stage decided and gets 409.
use super::approval_audit;
use crate::requests::{actor_of, followups, refused, Ctx, ServiceError, ServiceResult};
use grantd_domain::request::approval::{ApprovalError, DecisionOutcome, Reviewer, Verdict};
use grantd_domain::request::{AssignmentRequest, Event};
use grantd_domain::roles::{Caller, CatalogAction};
use grantd_domain::{ApprovalStageId, AssignmentRequestId, DomainError, ObjectId};
use grantd_store::{Followups, StoreError};

/// How often a decision re-reads and re-applies after losing a race.
const ATTEMPTS: usize = 5;

fn forbidden() -> ServiceError {
    ServiceError::Domain(DomainError::forbidden())
}

fn not_found() -> ServiceError {
    ServiceError::Domain(DomainError::not_found("approval"))
}

fn approval_error(e: ApprovalError) -> ServiceError {
    ServiceError::Domain(match e {
        ApprovalError::UnknownStage => DomainError::not_found("approval stage"),
        ApprovalError::NotAnApprover => DomainError::forbidden(),
        ApprovalError::NotInProgress(_) | ApprovalError::AlreadyReviewed => {
            DomainError::conflict("ApprovalStageAlreadyReviewed", e.to_string())
        }
        ApprovalError::JustificationRequired => DomainError::invalid("JustificationRequired", e.to_string()),
    })
}

/// An approval as one caller sees it.
#[derive(Debug, Clone)]
pub struct ApprovalView {
    pub request: AssignmentRequest,
    /// The signed-in caller (for `assignedToMe`).
    pub me: ObjectId,
}

/// Loads the approval `id` (a request's id) for a caller allowed to read it.
pub async fn find_approval(ctx: &Ctx, caller: &Caller, id: AssignmentRequestId) -> ServiceResult<ApprovalView> {
    let me = caller.user_id().ok_or_else(forbidden)?;
    if !caller.may_read_em() {
        return Err(forbidden());
    }
    let r = ctx.store.get_request(caller.tenant, id).await?.ok_or_else(not_found)?;
    let Some(a) = &r.approval else { return Err(not_found()) };
    if !a.involves(me) && !caller.may_on_catalog(r.catalog_id, CatalogAction::Read) {
        return Err(forbidden());
    }
    Ok(ApprovalView { request: r, me })
}

/// `PATCH .../stages/{stage}`: records the caller's decision; the stage's outcome moves the
/// request on (next stage, delivery, or denial) in the same write.
pub async fn decide(
    ctx: &Ctx,
    caller: &Caller,
    id: AssignmentRequestId,
    stage: ApprovalStageId,
    verdict: Verdict,
    justification: Option<String>,
) -> ServiceResult<()> {
    let me = caller.user_id().ok_or_else(forbidden)?;
    if !caller.may_write_em() {
        return Err(forbidden());
    }
    let tenant = caller.tenant;
    let actor = actor_of(&ctx.store, caller).await?;
    let reviewer = Reviewer { id: me, display_name: actor.display_name.clone() };
    for _ in 0..ATTEMPTS {
        let mut r = ctx.store.get_request(tenant, id).await?.ok_or_else(not_found)?;
        let now = ctx.clock.now();
        let Some(a) = r.approval.as_mut() else { return Err(not_found()) };
        let outcome = a.decide(stage, reviewer.clone(), verdict, justification.clone(), now).map_err(approval_error)?;
        let index = a.stages.iter().position(|s| s.id == stage).unwrap_or_default();
        let detail = format!("stage {}: {:?}", index + 1, verdict);
        let decision = approval_audit(&r, &actor.name, "decision", detail, now);
        let before = r.state;
        let event = match outcome {
            DecisionOutcome::Recorded => None,
            DecisionOutcome::StageApproved { last: false } => Some(Event::StageApproved),
            DecisionOutcome::StageApproved { last: true } => Some(Event::Approved(r.route())),
            DecisionOutcome::Denied => Some(Event::Denied),
        };
        let mut f = match event {
            None => Followups::default(),
            Some(e) => {
                let effects = r.apply(e, now, &actor).map_err(refused)?;
                let policy = ctx.store.get_policy(tenant, r.assignment_policy_id).await?;
                followups(ctx, tenant, &mut r, before, &effects, policy.as_ref()).await?
            }
        };
        if outcome == (DecisionOutcome::StageApproved { last: true }) && f.approvers.is_none() {
            // Approved (perhaps now waiting for a callout): nobody is asked any more.
            f.approvers = Some(Vec::new());
        }
        f.audit.insert(0, decision);
        r.version += 1;
        match ctx.store.update_request(tenant, &r, &f, now).await {
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
    Err(ServiceError::Domain(DomainError::conflict(
        "ConcurrentModification",
        "The approval was changed by another operation; read it again and retry.",
    )))
}
