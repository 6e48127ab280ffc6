//! The v1.0 `accessPackageAssignmentRequest` on the wire: `state`, `status`,
//! `completedDateTime`, `schedule` (entitlementManagementSchedule), `answers`,
//! `customExtensionCalloutInstances`; enums in their camelCase metadata value.
use super::{answers, schedule};
use crate::wire::format_datetime;
use grantd_domain::request::{AssignmentRequest, RequestType};
use serde_json::{json, Value};

/// `requestType` on v1.0: `approverRemove` follows `unknownFutureValue` in the evolvable enum
/// and goes only to callers that sent `Prefer: include-unknown-enum-members` (WIRE v1 6); beta's
/// `UserExtend` is not a v1.0 member and reads as the update it is.
pub fn request_type(t: RequestType, include_unknown: bool) -> &'static str {
    match t {
        RequestType::ApproverRemove if !include_unknown => "unknownFutureValue",
        RequestType::UserExtend => RequestType::UserUpdate.v1(),
        t => t.v1(),
    }
}

pub fn render(r: &AssignmentRequest, include_unknown: bool) -> Value {
    json!({
        "id": r.id.to_string(),
        "requestType": request_type(r.request_type, include_unknown),
        "state": r.state.v1(),
        "status": r.status.v1(),
        "createdDateTime": format_datetime(&r.created_date_time),
        "completedDateTime": r.completed_date_time.map(|d| format_datetime(&d)),
        "justification": r.justification,
        "schedule": schedule(&r.schedule),
        "answers": answers(r, crate::json::ApiVersion::V1),
        "customExtensionCalloutInstances": super::callout_instances(r),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evolvable_and_beta_only_request_types_on_v1() {
        assert_eq!(request_type(RequestType::ApproverRemove, false), "unknownFutureValue");
        assert_eq!(request_type(RequestType::ApproverRemove, true), "approverRemove");
        assert_eq!(request_type(RequestType::UserExtend, false), "userUpdate");
        assert_eq!(request_type(RequestType::AdminAdd, false), "adminAdd");
    }
}
