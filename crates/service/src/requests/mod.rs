//! Assignment-request use cases: submit (create-time validation against the facts looked up
//! here, then one unit of work with the first transition's jobs), cancel, delete, reprocess and
//! resume (`actions`), and the job handlers that deliver requests and wake scheduled ones
//! (`deliver`). Every state change goes through `AssignmentRequest::apply` (the pure state
//! machine) and is stored with its jobs, approvers and one audit row per transition in the
//! same transaction. Nothing here speaks HTTP.
mod actions;
mod deliver;
mod separation;

pub use actions::{cancel, delete, reprocess, reprocess_assignment, ResumeDecision};
pub(crate) use deliver::job_error;
pub use deliver::{process, wake, ProcessHandler, WakeHandler};

use chrono::{DateTime, Utc};
use grantd_domain::assignment::Assignment;
use grantd_domain::catalog::AccessPackage;
use grantd_domain::directory::User;
use grantd_domain::policy::{CustomExtensionStage, Policy};
use grantd_domain::request::validation::{self, Draft, Facts, TargetRef};
use grantd_domain::request::{Actor, AssignmentRequest, Effect, RequestState, RequestStatus, TransitionError};
use grantd_domain::roles::{Caller, CatalogAction, Principal};
use grantd_domain::{AssignmentRequestId, Clock, DomainError, ObjectId, TenantId};
use grantd_store::{AuditEntry, Followups, NewJob, Store, StoreError};
use std::sync::Arc;
use tokio::sync::Notify;

pub const PROCESS_JOB: &str = "request.process";
pub const DELIVER_JOB: &str = "request.deliver";
pub const WAKE_JOB: &str = "request.wake";
pub const ASSIGNMENT_REPROCESS_JOB: &str = "assignment.reprocess";

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Background work that must try again later (a target is down, an open request is in
    /// the way); never produced on a request path.
    #[error("retry later: {0}")]
    Retry(String),
}

pub type ServiceResult<T> = Result<T, ServiceError>;

/// What the use cases run against.
#[derive(Clone)]
pub struct Ctx {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    /// Wakes the job runners after a unit of work enqueued jobs.
    pub wake: Arc<Notify>,
    /// Checks the verifiable credentials a request presents (docs/policies.md).
    pub verified_id: Arc<crate::verified_id::Verifier>,
}

impl Ctx {
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

/// The actor a caller is recorded as: a user's UPN and display name, or the app id.
pub async fn actor_of(store: &Store, caller: &Caller) -> ServiceResult<Actor> {
    Ok(match &caller.principal {
        Principal::User { id } => match store.get_user(caller.tenant, *id).await? {
            Some(u) => Actor { name: u.user_principal_name, display_name: Some(u.display_name) },
            None => Actor { name: id.to_string(), display_name: None },
        },
        Principal::App { app_id } => Actor { name: app_id.clone(), display_name: None },
    })
}

fn not_found(what: &str) -> ServiceError {
    ServiceError::Domain(DomainError::not_found(what))
}

/// Maps a refused transition to its documented error.
pub(crate) fn refused(e: TransitionError) -> ServiceError {
    let (code, message) = match &e {
        TransitionError::NotCancelable(_) => ("RequestNotCancelable", e.to_string()),
        TransitionError::NotReprocessable(_) => ("RequestNotReprocessable", e.to_string()),
        TransitionError::ReprocessWindowPassed => ("ReprocessWindowExpired", e.to_string()),
        TransitionError::NotWaitingForCallback => ("RequestNotWaitingForCallback", e.to_string()),
        TransitionError::NotApplicable { .. } => ("InvalidRequestState", e.to_string()),
    };
    ServiceError::Domain(DomainError::conflict(code, message))
}

pub(crate) fn audit_row(r: &AssignmentRequest, now: DateTime<Utc>) -> Vec<AuditEntry> {
    r.history
        .last()
        .map(|h| AuditEntry {
            at: now,
            actor: h.actor.name.clone(),
            action: format!("assignmentRequest.{}", h.event),
            object_type: "accessPackageAssignmentRequest",
            object_id: r.id.0,
            detail: h.detail(),
        })
        .into_iter()
        .collect()
}

/// A job about a request.
pub(crate) fn request_job(kind: &str, r: &AssignmentRequest, run_at: DateTime<Utc>) -> NewJob {
    NewJob { kind: kind.into(), subject: r.id.0, payload: serde_json::json!({"requestId": r.id.to_string()}), run_at }
}

/// Turns a transition's effects into the jobs and approver changes stored with it. Opening an
/// approval or its next stage changes the request itself (the approval it carries, and a denial
/// when a stage has nobody to ask), hence `&mut`.
pub(crate) async fn followups(
    ctx: &Ctx,
    tenant: TenantId,
    r: &mut AssignmentRequest,
    before: RequestState,
    effects: &[Effect],
    policy: Option<&Policy>,
) -> ServiceResult<Followups> {
    let now = ctx.now();
    let mut f = Followups { audit: audit_row(r, now), ..Followups::default() };
    // The stage this transition reached, before the effects add transitions of their own (a
    // dynamic approval stage asking for its approvers, a stage with nobody to ask).
    f.jobs.extend(crate::extensions::stage_jobs(r, policy, now));
    for e in effects {
        match e {
            Effect::Deliver => f.jobs.push(request_job(DELIVER_JOB, r, now)),
            Effect::WakeAt(at) => f.jobs.push(request_job(WAKE_JOB, r, *at)),
            Effect::OpenApproval => {
                let stages = policy.map(|p| p.stages().to_vec()).unwrap_or_default();
                crate::approvals::open(ctx, tenant, r, &stages, &mut f, now).await?;
            }
            Effect::OpenNextStage => crate::approvals::start_next(ctx, tenant, r, &mut f, now).await?,
            Effect::CloseApproval => {
                if let Some(a) = r.approval.as_mut() {
                    a.withdraw();
                }
                f.approvers = Some(Vec::new());
            }
            Effect::Complete => f.approvers = Some(Vec::new()),
            // The callout jobs come from the stage the transition reached (below).
            Effect::CalloutOnCreated | Effect::CalloutOnApproved => {}
        }
    }
    if before == RequestState::PendingApproval && r.state != RequestState::PendingApproval {
        f.approvers = Some(Vec::new());
    }
    f.jobs.extend(crate::notify::request_notices(r, before, &f.asked, now));
    Ok(f)
}

/// The caller's view of a request: may read it (catalog readers, the requestor, the target,
/// its current approvers).
pub async fn may_read(store: &Store, caller: &Caller, r: &AssignmentRequest) -> ServiceResult<bool> {
    if caller.may_on_catalog(r.catalog_id, CatalogAction::Read) {
        return Ok(true);
    }
    let Some(me) = caller.user_id() else { return Ok(false) };
    if r.requestor_id == Some(me) || r.target_id == me {
        return Ok(true);
    }
    Ok(store.is_request_approver(caller.tenant, r.id, me).await?)
}

/// Loads a request the caller may read (404 otherwise: unreadable looks missing).
pub async fn find(ctx: &Ctx, caller: &Caller, id: AssignmentRequestId) -> ServiceResult<AssignmentRequest> {
    let r = ctx
        .store
        .get_request(caller.tenant, id)
        .await?
        .ok_or_else(|| not_found("access package assignment request"))?;
    if !may_read(&ctx.store, caller, &r).await? {
        return Err(not_found("access package assignment request"));
    }
    Ok(r)
}

/// A guest user for an AdminAdd to an e-mail address the directory does not know.
fn guest(email: &str, now: DateTime<Utc>) -> User {
    let email = email.trim().to_string();
    User {
        id: ObjectId::new(),
        display_name: email.split('@').next().unwrap_or(&email).to_string(),
        user_principal_name: email.clone(),
        mail: Some(email),
        given_name: None,
        surname: None,
        job_title: None,
        department: None,
        account_enabled: true,
        user_type: "Guest".into(),
        manager_id: None,
        sponsor_ids: Vec::new(),
        created_date_time: now,
    }
}

fn bad_model(message: &str) -> ServiceError {
    ServiceError::Domain(DomainError::invalid("InvalidModel", message))
}

/// The target of an add: the user named, a new guest for an unknown e-mail (AdminAdd), or the
/// caller when the body names nobody (user types).
async fn resolve_target(ctx: &Ctx, caller: &Caller, d: &Draft) -> ServiceResult<(User, Option<User>)> {
    let tenant = caller.tenant;
    let missing = || not_found("target user");
    match &d.target {
        TargetRef::Id(id) => Ok((ctx.store.get_user(tenant, *id).await?.ok_or_else(missing)?, None)),
        TargetRef::Email(email) => match ctx.store.find_user_by_email(tenant, email).await? {
            Some(u) => Ok((u, None)),
            None if d.request_type.is_admin() => {
                grantd_domain::directory::check_upn(email.trim()).map_err(|_| {
                    bad_model(&format!("The property 'assignment.target.email' has an invalid value: '{email}'."))
                })?;
                let g = guest(email, ctx.now());
                Ok((g.clone(), Some(g)))
            }
            None => Err(missing()),
        },
        TargetRef::None => match caller.user_id() {
            Some(me) if d.request_type.is_user() => {
                Ok((ctx.store.get_user(tenant, me).await?.ok_or_else(missing)?, None))
            }
            _ => Err(bad_model("The property 'assignment.targetId' is required for this request type.")),
        },
    }
}

/// Creates a request (or, with `isValidationOnly`, only validates it and returns what would
/// have been created). The request is stored with its first transition and jobs.
pub async fn submit(ctx: &Ctx, caller: &Caller, d: Draft) -> ServiceResult<AssignmentRequest> {
    submit_with_credentials(ctx, caller, d, &[]).await
}

/// `submit` with the verifiable credentials the body presents (`verifiedCredentialsData`, each a
/// compact JWT-VC). A user add through a policy with `verifiableCredentialSettings` must
/// present credentials that satisfy it; they are verified and recorded on the request.
pub async fn submit_with_credentials(
    ctx: &Ctx,
    caller: &Caller,
    d: Draft,
    credentials: &[String],
) -> ServiceResult<AssignmentRequest> {
    validation::check_client_type(d.request_type)?;
    let tenant = caller.tenant;
    let now = ctx.now();
    let assignment: Option<Assignment> = match (d.request_type.is_add(), d.assignment_id) {
        (true, _) => None,
        (false, None) => return Err(bad_model("The property 'assignment.id' is required for this request type.")),
        (false, Some(id)) => {
            Some(ctx.store.get_assignment(tenant, id).await?.ok_or_else(|| not_found("access package assignment"))?)
        }
    };
    let package_id = match (&assignment, d.access_package_id) {
        (Some(a), _) => a.access_package_id,
        (None, Some(p)) => p,
        (None, None) => return Err(bad_model("The property 'assignment.accessPackageId' is required.")),
    };
    let package: AccessPackage =
        ctx.store.get_access_package(tenant, package_id).await?.ok_or_else(|| not_found("access package"))?;
    let (target, new_user) = match &assignment {
        Some(a) => (ctx.store.get_user(tenant, a.target_id).await?.ok_or_else(|| not_found("target user"))?, None),
        None => resolve_target(ctx, caller, &d).await?,
    };
    let caller_groups = match caller.user_id() {
        Some(me) => ctx.store.caller_access(tenant, Some(me), &[]).await?.groups.clone(),
        None => Vec::new(),
    };
    let target_facts = crate::requirements::target_facts(&ctx.store, tenant, &target, new_user.is_none()).await?;
    let policies = ctx.store.policies_of_packages(tenant, &[package.id]).await?;
    // Open request first, then assignments: a delivery closes its request and creates the
    // assignment in one transaction, so one of the two reads sees it.
    let open = ctx.store.open_request_for(tenant, package.id, target.id).await?;
    let active = ctx.store.active_assignments_of(tenant, package.id, target.id).await?;
    let facts = Facts {
        now,
        caller: caller.user_id(),
        caller_groups: &caller_groups,
        may_manage_assignments: caller.may_on_catalog(package.catalog_id, CatalogAction::ManageAssignments),
        target: &target_facts,
        policies: &policies,
        assignment: assignment.as_ref(),
        target_has_active_assignment: !active.is_empty(),
        open_request_exists: open.is_some(),
    };
    let v = validation::validate(&d, &facts)?;
    let verified_credentials = match v.policy.verifiable_credential_settings.as_ref() {
        Some(vc) if !vc.credential_types.is_empty() && d.request_type.is_user() && d.request_type.is_add() => {
            ctx.verified_id.check(vc, credentials, &target, now).await?
        }
        _ => Vec::new(),
    };
    if d.request_type.is_add() && new_user.is_none() {
        separation::check(ctx, tenant, package.id, target.id, &target_facts.group_ids).await?;
    }
    let actor = actor_of(&ctx.store, caller).await?;
    let waits_at = |stage| crate::extensions::waits_at(ctx, tenant, &v.policy, stage);
    let callout_on_created = waits_at(CustomExtensionStage::AssignmentRequestCreated).await?;
    let callout_on_approved = v.needs_approval && waits_at(CustomExtensionStage::AssignmentRequestApproved).await?;
    let mut r = AssignmentRequest {
        id: AssignmentRequestId::new(),
        request_type: d.request_type,
        state: RequestState::Submitted,
        status: RequestStatus::Accepted,
        access_package_id: package.id,
        assignment_policy_id: v.policy.id,
        catalog_id: package.catalog_id,
        target_id: target.id,
        requestor_id: caller.user_id(),
        requestor_app_id: match &caller.principal {
            Principal::App { app_id } => Some(app_id.clone()),
            Principal::User { .. } => None,
        },
        assignment_id: Some(assignment.as_ref().map(|a| a.id).unwrap_or_default()),
        justification: d.justification.clone(),
        schedule: v.schedule.clone(),
        answers: v.answers.clone(),
        verified_credentials,
        is_validation_only: d.is_validation_only,
        needs_approval: v.needs_approval,
        callout_on_created,
        callout_on_approved,
        created_date_time: now,
        completed_date_time: None,
        history: Vec::new(),
        approval: None,
        callout_instances: Vec::new(),
        version: 1,
    };
    r.record_creation(now, &actor);
    if d.is_validation_only {
        return Ok(r);
    }
    // Create answers Submitted/Accepted (every docs example); the first transition runs as a
    // job, in the same transaction as the request, so an acknowledged request is recoverable
    // from the database alone.
    let f = Followups {
        jobs: vec![request_job(PROCESS_JOB, &r, now)],
        approvers: None,
        audit: audit_row(&r, now),
        asked: Vec::new(),
    };
    match ctx.store.submit_request(tenant, &r, new_user.as_ref(), &f, now).await {
        Ok(()) => {}
        Err(StoreError::Duplicate) => {
            return Err(ServiceError::Domain(DomainError::conflict(
                "ExistingOpenRequest",
                "There is already an open request for the target in 'assignment.targetId' and this access package.",
            )))
        }
        Err(e) => return Err(e.into()),
    }
    if !f.jobs.is_empty() {
        ctx.wake.notify_one();
    }
    Ok(r)
}
