//! `POST accessPackages/{id}/getApplicablePolicyRequirements` (v1.0 and beta; beta also takes
//! `{"subject":{"objectId"}}` to evaluate for another user, assignment managers only) and
//! `GET accessPackages/filterByCurrentUser(on='allowedRequestor')`. Questions are shown in the
//! caller's `Accept-Language` (docs/policies.md). The use cases are in grantd-service.
use super::access_packages::render_all;
use super::{parse_id, set, EM};
use crate::error::{GraphError, GraphResult};
use crate::json::{self, ApiVersion};
use crate::policies::questions;
use crate::wire::format_datetime;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::post;
use axum::{Extension, Router};
use grantd_domain::policy::{Policy, Schedule};
use grantd_domain::roles::Caller;
use grantd_domain::{parse_guid, AccessPackageId, ObjectId};
use grantd_service::requirements::{self, Requirement};
use serde_json::{json, Value};

pub fn shared_routes() -> Router<AppState> {
    Router::new().route(&format!("{EM}/accessPackages/{{id}}/getApplicablePolicyRequirements"), post(get_requirements))
}

/// The beta body's `subject.objectId` (an empty body or `{}` means the caller).
fn subject_of(body: &Bytes) -> GraphResult<Option<ObjectId>> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let v: Value = json::parse_body(body)?;
    let Some(raw) = v.get("subject").and_then(|s| s.get("objectId")) else { return Ok(None) };
    let id = raw
        .as_str()
        .and_then(parse_guid)
        .ok_or_else(|| GraphError::invalid_model("The property 'subject.objectId' must be the id of a user."))?;
    Ok(Some(ObjectId(id)))
}

fn render(r: &Requirement, v: ApiVersion, now: chrono::DateTime<chrono::Utc>) -> Value {
    let langs = crate::ctx::current().languages;
    let p: &Policy = &r.policy;
    let qs: Vec<Value> = p.questions_in_order().iter().map(|q| questions::render(&q.localized(&langs), v)).collect();
    let schedule =
        crate::assignments::schedule(&Schedule { expiration: Some(p.expiration.clone()), ..Schedule::default() });
    match v {
        ApiVersion::V1 => json!({
            "policyId": p.id.to_string(),
            "policyDisplayName": p.display_name,
            "policyDescription": p.description,
            "isApprovalRequiredForAdd": p.approval.is_approval_required_for_add,
            "isApprovalRequiredForUpdate": p.approval.is_approval_required_for_update,
            "isRequestorJustificationRequired": p.requires_justification(),
            "allowCustomAssignmentSchedule": p.requestor_settings.allow_custom_assignment_schedule,
            "questions": qs,
            "schedule": schedule,
        }),
        ApiVersion::Beta => {
            let vc = p.verifiable_credential_settings.as_ref().filter(|s| !s.credential_types.is_empty()).map(|_| {
                // grantd takes the presentation in the request's `verifiedCredentialsData`;
                // there is no presentation URL to visit (docs/policies.md).
                json!({
                    "@odata.type": "#microsoft.graph.verifiableCredentialRequired",
                    "url": null,
                    "expiryDateTime": format_datetime(&(now + chrono::Duration::minutes(10))),
                })
            });
            json!({
                "policyId": p.id.to_string(),
                "policyDisplayName": p.display_name,
                "policyDescription": p.description,
                "isApprovalRequired": p.approval.is_approval_required_for_add,
                "isApprovalRequiredForExtension": p.approval.is_approval_required_for_update,
                "isRequestorJustificationRequired": p.requires_justification(),
                "isCustomAssignmentScheduleAllowed": p.requestor_settings.allow_custom_assignment_schedule,
                "questions": qs,
                "existingAnswers": crate::requests::render_answers(&r.existing_answers, v),
                "schedule": schedule,
                "verifiableCredentialRequirementStatus": vc,
            })
        }
    }
}

async fn get_requirements(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path(id): Path<String>,
    body: Bytes,
) -> GraphResult<Response> {
    let id: AccessPackageId = parse_id(&id).ok_or_else(super::not_found)?;
    let subject = subject_of(&body)?;
    let reqs = requirements::applicable_requirements(&state.service(), &caller, id, subject).await?;
    let now = state.clock.now();
    let items: Vec<Value> = reqs.iter().map(|r| render(r, v, now)).collect();
    Ok(json::collection(v, "Collection(microsoft.graph.accessPackageAssignmentRequestRequirements)", items, None, None))
}

/// `filterByCurrentUser(on='allowedRequestor')`: the packages the caller may request.
pub(crate) async fn allowed_requestor(
    state: &AppState,
    caller: &Caller,
    v: ApiVersion,
    on: &str,
) -> GraphResult<Response> {
    if !on.eq_ignore_ascii_case("allowedRequestor") {
        return Err(GraphError::bad_request(
            "BadRequest",
            format!("The value '{on}' is not valid for parameter 'on'; use 'allowedRequestor'."),
        ));
    }
    let pkgs = requirements::allowed_requestor_packages(&state.service(), caller).await?;
    let items = render_all(state, caller, v, &pkgs, &[]).await?;
    Ok(json::collection(v, &set("accessPackages"), items, None, None))
}
