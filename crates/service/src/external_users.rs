//! The lifecycle of the external users grantd governs (the guests it created for add
//! requests): when such a user's last assignment ends, the tenant's
//! `externalUserLifecycleAction` applies — `blockSignIn` sets `accountEnabled` to false,
//! `blockSignInAndDelete` also schedules the deletion of the account after the configured delay
//! (a durable job on the injected clock). Both steps check again that the user holds no access
//! and that the setting still asks for them, so a user who got access back, or a tenant that
//! changed its mind, is left alone. It does not decide when an assignment ends (delivery does).
use crate::requests::{job_error, Ctx, ServiceResult};
use crate::runner::{JobError, JobHandler};
use async_trait::async_trait;
use grantd_domain::external_users::ExternalUserLifecycleAction;
use grantd_domain::{ObjectId, TenantId};
use grantd_store::{Job, NewJob};

pub const LIFECYCLE_JOB: &str = "externalUser.lifecycle";

/// What a lifecycle job does when it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The last assignment ended: block sign-in (and schedule the deletion).
    Block,
    /// The delay after blocking passed: delete the account.
    Delete,
}

impl Step {
    fn name(self) -> &'static str {
        match self {
            Step::Block => "block",
            Step::Delete => "delete",
        }
    }
}

/// The job that applies `step` to `user` at `run_at`.
pub fn lifecycle_job(user: ObjectId, step: Step, run_at: chrono::DateTime<chrono::Utc>) -> NewJob {
    NewJob {
        kind: LIFECYCLE_JOB.into(),
        subject: user.0,
        payload: serde_json::json!({"userId": user.to_string(), "step": step.name()}),
        run_at,
    }
}

/// Applies one step of the tenant's external-user lifecycle to `user`.
pub async fn run(ctx: &Ctx, tenant: TenantId, user: ObjectId, step: Step) -> ServiceResult<()> {
    let store = &ctx.store;
    let settings = store.entitlement_settings(tenant).await?;
    let action = settings.external_user_lifecycle_action;
    let Some(mut u) = store.get_user(tenant, user).await? else { return Ok(()) };
    if !action.blocks() || !store.is_governed_subject(tenant, user).await? {
        return Ok(());
    }
    let holds_access = store.assignments_of_target(tenant, user).await?.iter().any(|a| a.state.holds_access());
    if holds_access {
        return Ok(());
    }
    let now = ctx.now();
    match step {
        Step::Block => {
            if u.account_enabled {
                u.account_enabled = false;
                store.update_user(tenant, &u).await?;
                tracing::info!(%user, "external user's last assignment ended: sign-in blocked");
            }
            if action == ExternalUserLifecycleAction::BlockSignInAndDelete {
                let at = now + settings.delete_after_blocked();
                store.enqueue_job(tenant, &lifecycle_job(user, Step::Delete, at), now).await?;
            }
        }
        Step::Delete => {
            // Only a still-blocked account: an administrator who enabled it again keeps it.
            if action == ExternalUserLifecycleAction::BlockSignInAndDelete && !u.account_enabled {
                store.delete_user(tenant, user).await?;
                tracing::info!(%user, "external user deleted after being blocked");
            }
        }
    }
    Ok(())
}

/// `externalUser.lifecycle`.
pub struct LifecycleHandler(pub Ctx);

#[async_trait]
impl JobHandler for LifecycleHandler {
    fn kind(&self) -> &'static str {
        LIFECYCLE_JOB
    }
    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let step = match job.payload.get("step").and_then(|s| s.as_str()) {
            Some("delete") => Step::Delete,
            Some("block") => Step::Block,
            other => return Err(JobError::Fatal(format!("unknown lifecycle step {other:?}"))),
        };
        run(&self.0, job.tenant, ObjectId(job.subject), step).await.map_err(job_error)
    }
}
