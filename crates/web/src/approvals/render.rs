//! The approval on the wire (CSDL `approval`, `approvalStage` / beta `approvalStep`, both with
//! `id`, `displayName`, `reviewedDateTime`, `reviewResult`, `status`, `assignedToMe`,
//! `justification`, `reviewedBy`; examples v1-get-approval / v1-list-approval-stages): v1.0
//! inlines `stages`, beta `steps`. grantd adds `grantdAssignedApprovers` (who may decide) and
//! `grantdDecisions` (every approval or denial given, which quorum and all-groups stages
//! collect); Graph clients ignore them.
use crate::json::ApiVersion;
use crate::wire::format_datetime;
use grantd_domain::directory::User;
use grantd_domain::request::approval::{Reviewer, StageInstance};
use grantd_domain::request::AssignmentRequest;
use grantd_domain::ObjectId;
use serde_json::{json, Value};

/// The navigation holding the stages in each version.
pub fn stages_nav(v: ApiVersion) -> &'static str {
    match v {
        ApiVersion::V1 => "stages",
        ApiVersion::Beta => "steps",
    }
}

fn identity(id: ObjectId, name: Option<&str>) -> Value {
    json!({"id": id.to_string(), "displayName": name})
}

fn reviewer(r: &Reviewer) -> Value {
    identity(r.id, r.display_name.as_deref())
}

/// One stage as `me` sees it; `users` names the approvers.
pub fn stage(s: &StageInstance, me: ObjectId, users: &[User]) -> Value {
    let name = |id: ObjectId| users.iter().find(|u| u.id == id).map(|u| u.display_name.as_str());
    json!({
        "id": s.id.to_string(),
        "displayName": Value::Null,
        "reviewedDateTime": s.reviewed_date_time.as_ref().filter(|_| s.reviewed_by.is_some()).map(format_datetime),
        "reviewResult": s.review_result.as_str(),
        "status": s.status.as_str(),
        "assignedToMe": s.is_assigned(me),
        "justification": s.justification.clone().unwrap_or_default(),
        "reviewedBy": s.reviewed_by.as_ref().map(reviewer),
        "grantdAssignedApprovers": s.assigned().into_iter().map(|id| identity(id, name(id))).collect::<Vec<_>>(),
        "grantdDecisions": s.decisions.iter().map(|d| json!({
            "reviewedBy": reviewer(&d.reviewer),
            "reviewResult": match d.verdict {
                grantd_domain::request::approval::Verdict::Approve => "Approved",
                grantd_domain::request::approval::Verdict::Deny => "Denied",
            },
            "justification": d.justification,
            "reviewedDateTime": format_datetime(&d.at),
        })).collect::<Vec<_>>(),
    })
}

/// Everyone a request's stages name (to look their names up once).
pub fn people(r: &AssignmentRequest) -> Vec<ObjectId> {
    let mut ids: Vec<ObjectId> = r.approval.iter().flat_map(|a| a.stages.iter()).flat_map(|s| s.assigned()).collect();
    ids.sort();
    ids.dedup();
    ids
}

/// The approval with its stages inlined (as the get example shows them).
pub fn approval(r: &AssignmentRequest, v: ApiVersion, me: ObjectId, users: &[User]) -> Value {
    let stages: Vec<Value> = r.approval.iter().flat_map(|a| a.stages.iter()).map(|s| stage(s, me, users)).collect();
    let mut out = json!({"id": r.id.to_string()});
    out[stages_nav(v)] = Value::Array(stages);
    out
}
