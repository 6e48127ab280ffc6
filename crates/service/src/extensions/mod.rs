//! Custom extensions at run time: which callouts a request transition sets off (`stage_jobs`,
//! called from the request follow-ups so the jobs are written with the transition), the
//! `extension.callout` job that records the callout instance, signs and POSTs the payload and
//! retries with backoff (`callout`), the `extension.timeout` job that ends a wait nobody
//! answered, and the `resume` use case (`resume`). Outbound HTTP happens only in the job.
mod callout;
mod resume;
pub mod signer;

pub use callout::{CalloutHandler, TimeoutHandler};
pub use resume::{resume, Callback};
pub use signer::Signer;

use crate::requests::{Ctx, ServiceResult};
use chrono::{DateTime, Utc};
use grantd_domain::assignment::Assignment;
use grantd_domain::catalog::{AccessPackage, Catalog};
use grantd_domain::directory::User;
use grantd_domain::extension::{expiry_stages, stage_may_wait, stages_reached};
use grantd_domain::policy::{CustomExtensionStage, Policy};
use grantd_domain::request::{AssignmentRequest, RequestState};
use grantd_domain::{parse_guid, CustomExtensionId, TenantId};
use grantd_store::NewJob;
use serde_json::{json, Value};
use std::sync::Arc;
use uuid::Uuid;

pub const CALLOUT_JOB: &str = "extension.callout";
pub const TIMEOUT_JOB: &str = "extension.timeout";

/// Renders entities as Graph documents (v1.0) for callout payloads; the web layer owns the
/// wire shapes and implements this.
pub trait Documents: Send + Sync {
    fn request(&self, r: &AssignmentRequest) -> Value;
    fn access_package(&self, p: &AccessPackage) -> Value;
    fn catalog(&self, c: &Catalog) -> Value;
    fn assignment(&self, a: &Assignment) -> Value;
    fn user(&self, u: &User) -> Value;
}

/// What the callout job needs besides the store: the signing key, an HTTP client, the optional
/// HMAC key, grantd's public base URL (token issuer and callback URI), and the renderer.
#[derive(Clone)]
pub struct Callouts {
    pub ctx: Ctx,
    pub signer: Arc<Signer>,
    pub http: reqwest::Client,
    pub hmac_key: Option<Arc<Vec<u8>>>,
    pub allow_http: bool,
    /// `scheme://host[:port]` the extension reaches grantd at (no trailing slash).
    pub public_url: String,
    pub documents: Arc<dyn Documents>,
}

/// The ids of the extensions a policy binds to `stage`.
pub fn bound(policy: &Policy, stage: CustomExtensionStage) -> Vec<CustomExtensionId> {
    policy
        .custom_extensions
        .iter()
        .filter(|b| b.stage == stage)
        .filter_map(|b| parse_guid(&b.custom_extension_id).map(CustomExtensionId))
        .collect()
}

/// Whether a request must wait at `stage`: an extension bound there has a callback
/// configuration (launch and wait). Unknown extensions do not hold requests.
pub async fn waits_at(
    ctx: &Ctx,
    tenant: TenantId,
    policy: &Policy,
    stage: CustomExtensionStage,
) -> ServiceResult<bool> {
    if !stage_may_wait(stage) {
        return Ok(false);
    }
    let ids = bound(policy, stage);
    Ok(ctx.store.custom_extensions_by_ids(tenant, &ids).await?.iter().any(|e| e.waits()))
}

fn callout_job(
    r: &AssignmentRequest,
    stage: CustomExtensionStage,
    ext: CustomExtensionId,
    run_at: DateTime<Utc>,
) -> NewJob {
    callout_job_with(r, stage, ext, run_at, json!({}))
}

fn callout_job_with(
    r: &AssignmentRequest,
    stage: CustomExtensionStage,
    ext: CustomExtensionId,
    run_at: DateTime<Utc>,
    extra: Value,
) -> NewJob {
    let mut payload = json!({
        "requestId": r.id.to_string(),
        "stage": stage.as_str(),
        "customExtensionId": ext.to_string(),
        // Fixed now, so that every attempt of the job sends the same stage instance id.
        "instanceId": Uuid::new_v4().to_string(),
    });
    if let (Value::Object(p), Value::Object(e)) = (&mut payload, extra) {
        p.extend(e);
    }
    NewJob { kind: CALLOUT_JOB.into(), subject: r.id.0, payload, run_at }
}

/// The callout that asks a dynamic approval stage's extension for the approvers
/// (`assignmentRequestDeterminingApprovalRequirements`); written by the approvals code when
/// the stage is reached.
pub(crate) fn approvers_job(r: &AssignmentRequest, ext: CustomExtensionId, now: DateTime<Utc>) -> NewJob {
    callout_job(r, CustomExtensionStage::AssignmentRequestDeterminingApprovalRequirements, ext, now)
}

/// The callout jobs the request's latest transition sets off: the stage it reached now, and on
/// a grant with an end date, the two expiry stages at their times.
pub fn stage_jobs(r: &AssignmentRequest, policy: Option<&Policy>, now: DateTime<Utc>) -> Vec<NewJob> {
    let Some(p) = policy else { return Vec::new() };
    if p.custom_extensions.is_empty() {
        return Vec::new();
    }
    let Some(event) = r.history.last().map(|h| h.event.as_str()) else { return Vec::new() };
    let mut jobs = Vec::new();
    let reached = stages_reached(event, r.request_type, r.state);
    for stage in &reached {
        for ext in bound(p, *stage) {
            jobs.push(callout_job(r, *stage, ext, now));
        }
    }
    let granted = reached.contains(&CustomExtensionStage::AssignmentRequestGranted);
    let end = r.schedule.expiration.as_ref().and_then(|e| e.end_date_time);
    if let (true, Some(end)) =
        (granted && matches!(r.state, RequestState::Delivered | RequestState::PartiallyDelivered), end)
    {
        for (stage, at) in expiry_stages(end) {
            if at <= now {
                continue;
            }
            for ext in bound(p, stage) {
                let extra = json!({"expectedEnd": end.to_rfc3339()});
                jobs.push(callout_job_with(r, stage, ext, at, extra));
            }
        }
    }
    jobs
}
