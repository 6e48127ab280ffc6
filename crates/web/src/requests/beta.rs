//! The beta `accessPackageAssignmentRequest` on the wire: `requestState`, `requestStatus`,
//! `completedDate` and the beta-only `expirationDateTime`, `isValidationOnly`,
//! `customExtensionHandlerInstances`, `verifiedCredentialsData`, plus `history`
//! (`requestActivity`, a property the beta SDK parses: WIRE.md 2), one entry per transition.
use super::{answers, schedule};
use crate::json::ApiVersion;
use crate::wire::format_datetime;
use grantd_domain::request::AssignmentRequest;
use serde_json::{json, Value};

/// The requested end of access (`expirationDateTime`), when the schedule names one.
fn expiration(r: &AssignmentRequest) -> Value {
    let start = r.schedule.start_date_time.unwrap_or(r.created_date_time);
    r.schedule
        .expiration
        .as_ref()
        .and_then(|e| e.end_from(start))
        .map(|d| json!(format_datetime(&d)))
        .unwrap_or(Value::Null)
}

fn history(r: &AssignmentRequest) -> Value {
    Value::Array(
        r.history
            .iter()
            .map(|h| {
                json!({
                    "action": h.event,
                    "actionDateTime": format_datetime(&h.at),
                    "detail": h.detail(),
                    "scheduledDateTime": null,
                    "userDisplayName": h.actor.display_name,
                    "userPrincipalName": h.actor.name,
                })
            })
            .collect(),
    )
}

/// `verifiedCredentialsData`: the credentials verified at submission (`verifiedCredentialData`:
/// the issuer DID as `authority`, the credential's `type`s, its subject's claims).
fn verified_credentials(r: &AssignmentRequest) -> Value {
    Value::Array(
        r.verified_credentials
            .iter()
            .map(|c| json!({"authority": c.authority, "type": c.types, "claims": c.claims}))
            .collect(),
    )
}

pub fn render(r: &AssignmentRequest) -> Value {
    json!({
        "id": r.id.to_string(),
        "requestType": r.request_type.beta(),
        "requestState": r.state.beta(),
        "requestStatus": r.status.beta(),
        "createdDateTime": format_datetime(&r.created_date_time),
        "completedDate": r.completed_date_time.map(|d| format_datetime(&d)),
        "expirationDateTime": expiration(r),
        "justification": r.justification,
        "isValidationOnly": r.is_validation_only,
        "schedule": schedule(&r.schedule),
        "answers": answers(r, ApiVersion::Beta),
        "customExtensionHandlerInstances": super::handler_instances(r),
        "customExtensionCalloutInstances": super::callout_instances(r),
        "verifiedCredentialsData": verified_credentials(r),
        "history": history(r),
    })
}
