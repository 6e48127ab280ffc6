//! Access package assignment requests on both versions: `assignmentRequests` (v1.0 and beta)
//! and the deprecated beta `accessPackageAssignmentRequests` — list, create, get, delete,
//! `cancel`, `reprocess`, `resume`, `filterByCurrentUser(on='target'|'createdBy'|'approver')`
//! and `$count`. Bodies are read into domain values (`body`), each version renders its own
//! names (`v1`, `beta`); the use cases live in grantd-service. Must not write the store itself.
mod beta;
mod body;
mod handlers;
mod v1;

use crate::entitlement::EM;
use crate::json::ApiVersion;
use crate::policies::questions;
use crate::AppState;
use axum::routing::{get, post};
use axum::Router;
use grantd_domain::policy::Schedule;
use grantd_domain::request::{Answer, AssignmentRequest};
use serde_json::{json, Value};

pub(crate) const ENTITY: &str = "microsoft.graph.accessPackageAssignmentRequest";
pub(crate) const V1_SET: &str = "assignmentRequests";
pub(crate) const DEPRECATED_SET: &str = "accessPackageAssignmentRequests";

pub fn router() -> Router<AppState> {
    use handlers::*;
    let mut r = Router::new();
    for set in [V1_SET, DEPRECATED_SET] {
        r = r
            .route(&format!("{EM}/{set}"), get(list_requests).post(create_request))
            .route(&format!("{EM}/{set}/{{id}}"), get(get_request).delete(delete_request))
            .route(&format!("{EM}/{set}/{{id}}/cancel"), post(cancel))
            .route(&format!("{EM}/{set}/{{id}}/reprocess"), post(reprocess))
            .route(&format!("{EM}/{set}/{{id}}/resume"), post(resume));
    }
    r
}

/// The entity-set segment of the current path (`assignmentRequests`, ...).
pub(crate) fn em_set() -> String {
    let p = crate::ctx::current().path;
    p.split("/entitlementManagement/").nth(1).and_then(|r| r.split('/').next()).unwrap_or("").to_string()
}

pub(crate) fn schedule(s: &Schedule) -> Value {
    crate::assignments::schedule(s)
}

/// `answers` as `accessPackageAnswerString` items with the question as it was asked.
pub(crate) fn answers(r: &AssignmentRequest, v: ApiVersion) -> Value {
    render_answers(&r.answers, v)
}

/// Answers with their questions in the caller's `Accept-Language`.
pub(crate) fn render_answers(list: &[Answer], v: ApiVersion) -> Value {
    let langs = crate::ctx::current().languages;
    Value::Array(
        list.iter()
            .map(|a| {
                json!({
                    "@odata.type": "#microsoft.graph.accessPackageAnswerString",
                    "value": a.value,
                    "displayValue": a.display_value,
                    "answeredQuestion": questions::render(&a.question.localized(&langs), v),
                })
            })
            .collect(),
    )
}

/// `customExtensionCalloutInstances`: every call made to a custom extension for the request.
pub(crate) fn callout_instances(r: &AssignmentRequest) -> Value {
    Value::Array(
        r.callout_instances
            .iter()
            .map(|i| {
                json!({
                    "id": i.id.to_string(),
                    "customExtensionId": i.custom_extension_id.to_string(),
                    "externalCorrelationId": i.external_correlation_id,
                    "detail": i.detail,
                    "status": i.status.as_str(),
                })
            })
            .collect(),
    )
}

/// beta `customExtensionHandlerInstances`: the same calls in the older shape.
pub(crate) fn handler_instances(r: &AssignmentRequest) -> Value {
    Value::Array(
        r.callout_instances
            .iter()
            .map(|i| {
                json!({
                    "customExtensionId": i.custom_extension_id.to_string(),
                    "externalCorrelationId": i.external_correlation_id,
                    "stage": i.stage.as_str(),
                    "status": i.handler_status(),
                })
            })
            .collect(),
    )
}

/// A request in the version's shape (no navigations).
pub fn render(r: &AssignmentRequest, v: ApiVersion, include_unknown: bool) -> Value {
    match v {
        ApiVersion::V1 => v1::render(r, include_unknown),
        ApiVersion::Beta => beta::render(r),
    }
}
