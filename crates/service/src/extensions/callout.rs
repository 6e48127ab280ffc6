//! The `extension.callout` and `extension.timeout` jobs.
//!
//! A callout first records its instance on the request (status `calloutSent`, and for launch
//! and wait the timeout job, in the same write), then POSTs the payload with a signed token.
//! Success makes a waiting instance `waitingForCallback`; failure is retried with the runner's
//! backoff until the extension's retry budget is spent, then the instance is `calloutFailed`
//! and a request held by it ends as a timeout would. Every step re-reads the request and is
//! safe to run twice (at-least-once delivery: a crash after the POST sends it again).
use super::{Callouts, CALLOUT_JOB, TIMEOUT_JOB};
use crate::requests::{followups, refused, Ctx, ServiceError};
use crate::runner::{JobError, JobHandler};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use grantd_domain::extension::{stage_may_wait, CalloutInstance, CalloutStatus, CustomExtension};
use grantd_domain::policy::CustomExtensionStage;
use grantd_domain::request::{Actor, AssignmentRequest, Effect, Event, RequestState, RequestStatus};
use grantd_domain::{parse_guid, AssignmentRequestId, CustomExtensionId, TenantId};
use grantd_store::{Followups, Job, NewJob, StoreError};
use serde_json::{json, Value};
use uuid::Uuid;

/// What one edit of a request stores besides the request itself.
#[derive(Default)]
pub(crate) struct Change {
    /// The state it left and the effects, when the edit applied a transition.
    pub transition: Option<(RequestState, Vec<Effect>)>,
    pub jobs: Vec<NewJob>,
}

const ATTEMPTS: usize = 5;

/// Re-reads the request and applies `edit` until the versioned write wins. `edit` answers
/// None when there is nothing to change. Returns the stored request, if it was changed.
pub(crate) async fn edit_request<F>(
    ctx: &Ctx,
    tenant: TenantId,
    id: AssignmentRequestId,
    mut edit: F,
) -> Result<Option<AssignmentRequest>, ServiceError>
where
    F: FnMut(&mut AssignmentRequest, DateTime<Utc>) -> Result<Option<Change>, ServiceError>,
{
    for _ in 0..ATTEMPTS {
        let Some(mut r) = ctx.store.get_request(tenant, id).await? else { return Ok(None) };
        let now = ctx.clock.now();
        let Some(change) = edit(&mut r, now)? else { return Ok(None) };
        r.version += 1;
        let mut f = match &change.transition {
            Some((before, effects)) => {
                let policy = ctx.store.get_policy(tenant, r.assignment_policy_id).await?;
                followups(ctx, tenant, &mut r, *before, effects, policy.as_ref()).await?
            }
            None => Followups::default(),
        };
        f.jobs.extend(change.jobs);
        match ctx.store.update_request(tenant, &r, &f, now).await {
            Ok(()) => {
                if !f.jobs.is_empty() {
                    ctx.wake.notify_one();
                }
                return Ok(Some(r));
            }
            Err(StoreError::Concurrent) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ServiceError::Store(StoreError::Concurrent))
}

/// Ends a wait that will not be answered (timeout, or a callout that could not be made):
/// the instance gets `status`, and a request still held by it moves on as the state machine
/// says for a timeout.
pub(crate) fn end_wait(
    r: &mut AssignmentRequest,
    instance: Uuid,
    status: CalloutStatus,
    detail: Option<String>,
    now: DateTime<Utc>,
) -> Result<Option<Change>, ServiceError> {
    let Some(i) = r.callout_instances.iter_mut().find(|i| i.id == instance) else { return Ok(None) };
    if !i.status.is_open() {
        return Ok(None);
    }
    i.status = status;
    if detail.is_some() {
        i.detail = detail;
    }
    let held = i.waits && r.status == RequestStatus::WaitingForCallback;
    let determining = i.stage == CustomExtensionStage::AssignmentRequestDeterminingApprovalRequirements;
    let others_waiting = r.callout_instances.iter().any(|o| o.id != instance && o.waits && o.status.is_open());
    let mut change = Change::default();
    if held && !others_waiting {
        let before = r.state;
        let event = if determining {
            // The dynamic stage waiting for these approvers ends denied: nobody can be asked.
            if let Some(a) = r.approval.as_mut() {
                if let Some(index) = a.awaiting_approvers() {
                    let why = "The custom extension did not supply the approvers of this stage.";
                    a.abandon_because(index, now, why);
                }
            }
            Event::ApproversNotSupplied
        } else {
            Event::CalloutTimedOut(r.route())
        };
        let effects = r.apply(event, now, &Actor::system()).map_err(refused)?;
        change.transition = Some((before, effects));
    }
    Ok(Some(change))
}

/// How long a call at `stage` holds the request, when it does: the extension's callback
/// timeout; a dynamic approval stage always waits for its approvers (at most 14 days when the
/// extension sets no callback configuration).
pub(crate) fn wait_for(e: Option<&CustomExtension>, stage: CustomExtensionStage) -> Option<Duration> {
    if stage == CustomExtensionStage::AssignmentRequestDeterminingApprovalRequirements {
        let most = Duration::days(grantd_domain::extension::MAX_CALLBACK_TIMEOUT_DAYS);
        return Some(e.and_then(|e| e.callback_timeout).unwrap_or(most));
    }
    e.filter(|e| e.waits() && stage_may_wait(stage)).and_then(|e| e.callback_timeout)
}

/// The job's payload, read back.
struct Order {
    request: AssignmentRequestId,
    stage: CustomExtensionStage,
    extension: CustomExtensionId,
    instance: Uuid,
    expected_end: Option<DateTime<Utc>>,
}

fn order(job: &Job) -> Result<Order, JobError> {
    let p = &job.payload;
    let text = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("");
    let bad = |k: &str| JobError::Fatal(format!("callout job without a valid '{k}'"));
    Ok(Order {
        request: AssignmentRequestId(parse_guid(text("requestId")).ok_or_else(|| bad("requestId"))?),
        stage: CustomExtensionStage::parse(text("stage")).ok_or_else(|| bad("stage"))?,
        extension: CustomExtensionId(parse_guid(text("customExtensionId")).ok_or_else(|| bad("customExtensionId"))?),
        instance: parse_guid(text("instanceId")).ok_or_else(|| bad("instanceId"))?,
        expected_end: p
            .get("expectedEnd")
            .and_then(Value::as_str)
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|d| d.with_timezone(&Utc)),
    })
}

fn job_error(e: ServiceError) -> JobError {
    match e {
        ServiceError::Store(StoreError::Decode(e)) => JobError::Fatal(e.to_string()),
        ServiceError::Store(e) => JobError::Retry(e.to_string()),
        ServiceError::Domain(e) => JobError::Fatal(e.to_string()),
        ServiceError::Retry(m) => JobError::Retry(m),
    }
}

/// The stage literal of the resume action's `type` (and of the payload's).
pub fn stage_type(stage: CustomExtensionStage) -> String {
    format!("microsoft.graph.accessPackageCustomExtensionStage.{}", stage.as_str())
}

/// The accessPackageAssignmentRequestCalloutData payload for one call.
async fn payload(
    c: &Callouts,
    tenant: TenantId,
    r: &AssignmentRequest,
    e: &CustomExtension,
    o: &Order,
    waits: bool,
) -> Result<Value, ServiceError> {
    let store = &c.ctx.store;
    let package = store.get_access_package(tenant, r.access_package_id).await?;
    let catalog = store.get_catalog(tenant, r.catalog_id).await?;
    let assignment = match r.assignment_id {
        Some(a) => store.get_assignment(tenant, a).await?,
        None => None,
    };
    let requestor = match r.requestor_id {
        Some(u) => store.get_user(tenant, u).await?,
        None => None,
    };
    let target = store.get_user(tenant, r.target_id).await?;
    let d = &c.documents;
    let path = format!("/identityGovernance/entitlementManagement/assignmentRequests/{}/resume", r.id);
    let mut request_doc = d.request(r);
    if let Value::Object(m) = &mut request_doc {
        // The payload shows the request as it was when the call was made, without its calls.
        m.remove("customExtensionCalloutInstances");
    }
    let mut data = json!({
        "@odata.type": "#microsoft.graph.accessPackageAssignmentRequestCalloutData",
        "stage": o.stage.as_str(),
        "customExtensionStageInstanceId": o.instance.to_string(),
        "customExtensionId": e.id.to_string(),
        "accessPackageAssignmentRequestId": r.id.to_string(),
        "requestType": request_doc.get("requestType").cloned().unwrap_or(Value::Null),
        "state": r.state.v1(),
        "status": r.status.v1(),
        "answers": request_doc.get("answers").cloned().unwrap_or_else(|| json!([])),
        "callbackUriPath": path,
        "callbackUri": format!("{}/v1.0{path}", c.public_url),
        "assignmentRequest": request_doc,
        "accessPackage": package.as_ref().map(|p| d.access_package(p)),
        "accessPackageCatalog": catalog.as_ref().map(|x| d.catalog(x)),
        "assignment": assignment.as_ref().map(|a| {
            let mut doc = d.assignment(a);
            if let (Value::Object(m), Some(t)) = (&mut doc, &target) {
                m.insert("target".into(), d.user(t));
            }
            doc
        }),
        "requestor": requestor.as_ref().map(|u| d.user(u)),
        "target": target.as_ref().map(|u| d.user(u)),
    });
    if waits {
        if let (Value::Object(m), Some(t)) = (&mut data, wait_for(Some(e), o.stage)) {
            m.insert(
                "callbackConfiguration".into(),
                json!({
                    "@odata.type": "#microsoft.graph.customExtensionCallbackConfiguration",
                    "timeoutDuration": iso_duration(t),
                }),
            );
        }
    }
    Ok(json!({
        "type": stage_type(o.stage),
        "source": format!("{}/v1.0/identityGovernance/entitlementManagement", c.public_url),
        "data": data,
    }))
}

/// `PT{seconds}S`, normalised to days/hours/minutes where exact.
fn iso_duration(d: Duration) -> String {
    let s = d.num_seconds();
    let (days, rest) = (s / 86_400, s % 86_400);
    let (h, m, sec) = (rest / 3600, (rest % 3600) / 60, rest % 60);
    let mut out = String::from("P");
    if days > 0 {
        out.push_str(&format!("{days}D"));
    }
    if rest > 0 || days == 0 {
        out.push('T');
        if h > 0 {
            out.push_str(&format!("{h}H"));
        }
        if m > 0 {
            out.push_str(&format!("{m}M"));
        }
        if sec > 0 || (h == 0 && m == 0) {
            out.push_str(&format!("{sec}S"));
        }
    }
    out
}

/// Records the instance (once) with, for launch and wait, its timeout job. Returns the
/// instance as stored, or None when there is nothing (left) to send.
async fn record_instance(
    ctx: &Ctx,
    tenant: TenantId,
    o: &Order,
    e: Option<&CustomExtension>,
) -> Result<Option<CalloutInstance>, ServiceError> {
    let mut out = None;
    edit_request(ctx, tenant, o.request, |r, now| {
        if let Some(i) = r.callout_instances.iter().find(|i| i.id == o.instance) {
            out = (i.status == CalloutStatus::CalloutSent).then(|| i.clone());
            return Ok(None);
        }
        // A dynamic stage's call holds the request even when its extension is gone, so that
        // the failed call ends the wait.
        let determining = o.stage == CustomExtensionStage::AssignmentRequestDeterminingApprovalRequirements;
        let timeout = wait_for(e, o.stage);
        let waits = (timeout.is_some() || determining)
            && r.status == RequestStatus::WaitingForCallback
            && !r.callout_instances.iter().any(|i| i.waits && i.status.is_open());
        let i = CalloutInstance {
            id: o.instance,
            custom_extension_id: o.extension,
            stage: o.stage,
            status: CalloutStatus::CalloutSent,
            external_correlation_id: None,
            detail: None,
            waits,
            created_date_time: now,
            answer: None,
        };
        let mut change = Change::default();
        if let (true, Some(t)) = (waits && e.is_some(), timeout) {
            change.jobs.push(NewJob {
                kind: TIMEOUT_JOB.into(),
                subject: r.id.0,
                payload: json!({"requestId": r.id.to_string(), "instanceId": o.instance.to_string()}),
                run_at: now + t,
            });
        }
        r.callout_instances.push(i.clone());
        out = Some(i);
        Ok(Some(change))
    })
    .await?;
    Ok(out)
}

/// Still true at run time: an expiry-stage call is for an assignment that is delivered and
/// still ends when the job was planned.
async fn expiry_still_due(
    c: &Callouts,
    tenant: TenantId,
    r: &AssignmentRequest,
    o: &Order,
) -> Result<bool, ServiceError> {
    let Some(expected) = o.expected_end else { return Ok(true) };
    let Some(aid) = r.assignment_id else { return Ok(false) };
    let Some(a) = c.ctx.store.get_assignment(tenant, aid).await? else { return Ok(false) };
    let end = a.schedule.expiration.as_ref().and_then(|e| e.end_date_time);
    Ok(a.state.holds_access() && end == Some(expected))
}

/// Runs one callout job.
pub async fn run_callout(c: &Callouts, job: &Job) -> Result<(), JobError> {
    let o = order(job)?;
    let tenant = job.tenant;
    let ctx = &c.ctx;
    let Some(r) = ctx.store.get_request(tenant, o.request).await.map_err(|e| job_error(e.into()))? else {
        return Ok(());
    };
    if !expiry_still_due(c, tenant, &r, &o).await.map_err(job_error)? {
        return Ok(());
    }
    let ext = ctx.store.get_custom_extension(tenant, o.extension).await.map_err(|e| job_error(e.into()))?;
    let Some(instance) = record_instance(ctx, tenant, &o, ext.as_ref()).await.map_err(job_error)? else {
        return Ok(());
    };
    let Some(e) = ext else {
        let detail = Some(format!("The custom extension '{}' no longer exists.", o.extension));
        fail(ctx, tenant, &o, detail).await?;
        return Ok(());
    };
    match send(c, tenant, &r, &e, &o, instance.waits, job.attempts).await {
        Ok(correlation) => {
            edit_request(ctx, tenant, o.request, |r, _| {
                let Some(i) = r.callout_instances.iter_mut().find(|i| i.id == o.instance) else { return Ok(None) };
                if correlation.is_some() {
                    i.external_correlation_id = correlation.clone();
                }
                if i.waits && i.status == CalloutStatus::CalloutSent {
                    i.status = CalloutStatus::WaitingForCallback;
                } else if correlation.is_none() {
                    return Ok(None);
                }
                Ok(Some(Change::default()))
            })
            .await
            .map_err(job_error)?;
            Ok(())
        }
        Err(err) if job.attempts > i64::from(e.retries()) => {
            tracing::warn!(extension = %e.id, request = %o.request, error = %err, "custom extension callout failed for good");
            fail(ctx, tenant, &o, Some(format!("The callout failed after {} attempts: {err}", job.attempts))).await
        }
        Err(err) => Err(JobError::Retry(err)),
    }
}

async fn fail(ctx: &Ctx, tenant: TenantId, o: &Order, detail: Option<String>) -> Result<(), JobError> {
    edit_request(ctx, tenant, o.request, |r, now| {
        end_wait(r, o.instance, CalloutStatus::CalloutFailed, detail.clone(), now)
    })
    .await
    .map_err(job_error)?;
    Ok(())
}

/// POSTs the payload; the run id the endpoint answered with, or why it failed.
async fn send(
    c: &Callouts,
    tenant: TenantId,
    r: &AssignmentRequest,
    e: &CustomExtension,
    o: &Order,
    waits: bool,
    attempt: i64,
) -> Result<Option<String>, String> {
    grantd_domain::extension::check_endpoint(&e.endpoint.url, c.allow_http).map_err(|x| x.to_string())?;
    let body = payload(c, tenant, r, e, o, waits).await.map_err(|x| x.to_string())?;
    let bytes = serde_json::to_vec(&body).map_err(|x| x.to_string())?;
    let now = c.ctx.clock.now();
    let audience = e.resource_id.clone().unwrap_or_else(|| e.id.to_string());
    let token = c
        .signer
        .token(&c.public_url, &audience, &tenant.to_string(), format!("{}.{attempt}", o.instance), now)
        .map_err(|x| x.to_string())?;
    let mut req = c
        .http
        .post(&e.endpoint.url)
        .timeout(std::time::Duration::from_millis(u64::try_from(e.call_timeout_ms()).unwrap_or(30_000)))
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("x-grantd-stage-instance-id", o.instance.to_string());
    if let Some(key) = &c.hmac_key {
        let ts = now.timestamp();
        req = req
            .header("x-grantd-timestamp", ts.to_string())
            .header("x-grantd-signature", super::signer::hmac_signature(key, ts, &bytes));
    }
    let resp = req.body(bytes).send().await.map_err(|x| format!("the endpoint could not be reached ({x})"))?;
    let status = resp.status();
    if !status.is_success() {
        return Err(format!("the endpoint answered HTTP {}", status.as_u16()));
    }
    let header = resp.headers().get("x-ms-workflow-run-id").and_then(|v| v.to_str().ok()).map(str::to_string);
    if header.is_some() {
        return Ok(header);
    }
    let text = resp.text().await.unwrap_or_default();
    Ok(serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v.get("externalCorrelationId").and_then(Value::as_str).map(str::to_string)))
}

/// Runs one timeout job: the wait ends as `callbackTimedOut` unless answered meanwhile.
pub async fn run_timeout(ctx: &Ctx, job: &Job) -> Result<(), JobError> {
    let p = &job.payload;
    let text = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("");
    let (Some(request), Some(instance)) = (parse_guid(text("requestId")), parse_guid(text("instanceId"))) else {
        return Err(JobError::Fatal("timeout job without a request or instance id".into()));
    };
    let detail = Some("No callback arrived before the timeout.".to_string());
    edit_request(ctx, job.tenant, AssignmentRequestId(request), |r, now| {
        end_wait(r, instance, CalloutStatus::CallbackTimedOut, detail.clone(), now)
    })
    .await
    .map_err(job_error)?;
    Ok(())
}

pub struct CalloutHandler(pub Callouts);

#[async_trait]
impl JobHandler for CalloutHandler {
    fn kind(&self) -> &'static str {
        CALLOUT_JOB
    }
    async fn run(&self, job: &Job) -> Result<(), JobError> {
        run_callout(&self.0, job).await
    }
}

pub struct TimeoutHandler(pub Ctx);

#[async_trait]
impl JobHandler for TimeoutHandler {
    fn kind(&self) -> &'static str {
        TIMEOUT_JOB
    }
    async fn run(&self, job: &Job) -> Result<(), JobError> {
        run_timeout(&self.0, job).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_as_iso_8601() {
        assert_eq!(iso_duration(Duration::hours(1)), "PT1H");
        assert_eq!(iso_duration(Duration::days(14)), "P14D");
        assert_eq!(iso_duration(Duration::seconds(90)), "PT1M30S");
        assert_eq!(iso_duration(Duration::seconds(0)), "PT0S");
        assert_eq!(iso_duration(Duration::seconds(86_400 + 60)), "P1DT1M");
    }
}
