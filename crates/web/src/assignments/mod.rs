//! Access package assignments on both versions: v1.0 `assignments`, beta
//! `accessPackageAssignments` (each version only its own name): list, get,
//! `filterByCurrentUser(on='target'|'createdBy')` and `reprocess`. Assignments change only
//! through requests; there is no create, update or delete here. Also the `accessPackageSubject`
//! rendering that requests share (`requestor`, `target`).
mod handlers;

pub(crate) use handlers::render_all as render_list;

use crate::entitlement::EM;
use crate::json::ApiVersion;
use crate::policies::common::render_schedule;
use crate::wire::format_datetime;
use crate::AppState;
use axum::routing::{get, post};
use axum::Router;
use grantd_domain::assignment::Assignment;
use grantd_domain::catalog::pascal;
use grantd_domain::directory::User;
use grantd_domain::policy::{Expiration, Schedule};
use serde_json::{json, Value};

pub(crate) const ENTITY: &str = "microsoft.graph.accessPackageAssignment";

pub fn router() -> Router<AppState> {
    use handlers::*;
    let mut r = Router::new();
    for set in ["assignments", "accessPackageAssignments"] {
        r = r
            .route(&format!("{EM}/{set}"), get(list_assignments))
            .route(&format!("{EM}/{set}/{{id}}"), get(get_assignment))
            .route(&format!("{EM}/{set}/{{id}}/reprocess"), post(reprocess));
    }
    r
}

/// The collection name of each version (WIRE.md 1 and v1.0 1).
pub fn set_name(v: ApiVersion) -> &'static str {
    match v {
        ApiVersion::V1 => "assignments",
        ApiVersion::Beta => "accessPackageAssignments",
    }
}

/// A schedule with an expiration object always present (`type: notSpecified` when none), as
/// Graph renders it.
pub fn schedule(s: &Schedule) -> Value {
    let mut s = s.clone();
    if s.expiration.is_none() {
        s.expiration = Some(Expiration::default());
    }
    render_schedule(&s)
}

pub fn render(a: &Assignment, v: ApiVersion) -> Value {
    let expired = a.expired_date_time.map(|d| format_datetime(&d));
    match v {
        ApiVersion::V1 => json!({
            "id": a.id.to_string(),
            "state": a.state.as_str(),
            "status": a.status,
            "expiredDateTime": expired,
            "schedule": schedule(&a.schedule),
            "customExtensionCalloutInstances": [],
        }),
        ApiVersion::Beta => json!({
            "id": a.id.to_string(),
            "catalogId": a.catalog_id.to_string(),
            "accessPackageId": a.access_package_id.to_string(),
            "assignmentPolicyId": a.assignment_policy_id.to_string(),
            "targetId": a.target_id.to_string(),
            "assignmentState": pascal(a.state.as_str()),
            "assignmentStatus": a.status,
            "isExtended": false,
            "expiredDateTime": expired,
            "schedule": schedule(&a.schedule),
            "customExtensionCalloutInstances": [],
        }),
    }
}

/// An `accessPackageSubject` built from a directory user (v1.0 `subjectType`, beta `type`).
pub fn subject(u: &User, v: ApiVersion) -> Value {
    let mut out = json!({
        "id": u.id.to_string(),
        "objectId": u.id.to_string(),
        "displayName": u.display_name,
        "email": u.mail,
        "principalName": u.user_principal_name,
        "onPremisesSecurityIdentifier": null,
    });
    match v {
        ApiVersion::V1 => {
            out["subjectType"] = json!("user");
            out["subjectLifecycle"] = json!("notDefined");
        }
        ApiVersion::Beta => {
            out["type"] = json!("User");
            out["altSecId"] = Value::Null;
            out["connectedOrganizationId"] = Value::Null;
            out["cleanupScheduledDateTime"] = Value::Null;
        }
    }
    out
}

/// `filterByCurrentUser(on='x')` in a path segment: the `on` value, or None for any other id.
pub fn filter_by_current_user(segment: &str) -> Option<String> {
    let s = segment.trim();
    let open = s.find('(')?;
    if !s[..open].eq_ignore_ascii_case("filterByCurrentUser") || !s.ends_with(')') {
        return None;
    }
    let inner = &s[open + 1..s.len() - 1];
    match inner.split_once('=') {
        Some((name, value)) if name.trim().eq_ignore_ascii_case("on") => {
            Some(value.trim().trim_matches('\'').to_string())
        }
        _ => Some(String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_by_current_user_segments() {
        assert_eq!(filter_by_current_user("filterByCurrentUser(on='target')").as_deref(), Some("target"));
        assert_eq!(filter_by_current_user("filterByCurrentUser(on='createdBy')").as_deref(), Some("createdBy"));
        assert_eq!(filter_by_current_user("FILTERBYCURRENTUSER(on = 'approver')").as_deref(), Some("approver"));
        assert_eq!(filter_by_current_user("5a1d0f39-2d4d-4a85-9c1b-3c5e0b6d2e11"), None);
    }
}
