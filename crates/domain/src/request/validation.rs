//! Create-time validation of an assignment request, pure: the parsed body (`Draft`) is checked
//! against the facts the service gathered (caller, target, the package's policies, the named
//! assignment, what already exists). Every refusal is a `DomainError` with a specific code and
//! a message that names the field (the codes are listed in docs/decisions.md).
use super::entity::Answer;
use super::types::RequestType;
use crate::assignment::Assignment;
use crate::error::DomainError;
use crate::ids::{AccessPackageId, AssignmentId, ObjectId, PolicyId};
use crate::policy::{ExpirationType, Policy, QuestionKind, Schedule, Subject, SubjectSet, TargetScope};
use chrono::{DateTime, Utc};

/// Who the access is for, as the body names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetRef {
    None,
    Id(ObjectId),
    /// `target: {email}`: a user that may not be in the directory yet (AdminAdd).
    Email(String),
}

/// One answer as sent (`answers[i]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftAnswer {
    pub question_id: String,
    pub value: String,
    pub display_value: Option<String>,
}

/// The request body, parsed at the edge into domain values.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub request_type: RequestType,
    pub access_package_id: Option<AccessPackageId>,
    pub assignment_policy_id: Option<PolicyId>,
    pub target: TargetRef,
    pub assignment_id: Option<AssignmentId>,
    pub justification: Option<String>,
    pub schedule: Option<Schedule>,
    pub answers: Vec<DraftAnswer>,
    pub is_validation_only: bool,
}

/// The target as the directory knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetFacts {
    pub id: ObjectId,
    /// `userType` Member (not Guest).
    pub is_member: bool,
    pub group_ids: Vec<ObjectId>,
    pub manager_id: Option<ObjectId>,
    /// The connected organization an external target belongs to (by the domain of their
    /// e-mail or principal name), if any.
    pub connected_organization: Option<OrgMembership>,
}

/// A target's connected organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrgMembership {
    pub id: uuid::Uuid,
    /// `state` is `configured` (not `proposed`).
    pub configured: bool,
}

/// What the service looked up for one draft.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    pub now: DateTime<Utc>,
    /// The signed-in caller (None for an app).
    pub caller: Option<ObjectId>,
    pub caller_groups: &'a [ObjectId],
    /// The caller holds `CatalogAction::ManageAssignments` on the package's catalog.
    pub may_manage_assignments: bool,
    pub target: &'a TargetFacts,
    /// The policies of the package.
    pub policies: &'a [Policy],
    /// The assignment named by update/extend/remove types.
    pub assignment: Option<&'a Assignment>,
    /// The target already holds an active assignment of the package.
    pub target_has_active_assignment: bool,
    /// An open request for the same target and package exists.
    pub open_request_exists: bool,
}

/// What a valid draft becomes.
#[derive(Debug, Clone)]
pub struct Validated {
    pub policy: Policy,
    pub answers: Vec<Answer>,
    pub schedule: Schedule,
    pub needs_approval: bool,
}

fn invalid(code: &'static str, message: impl Into<String>) -> DomainError {
    DomainError::invalid(code, message)
}

fn forbidden(message: impl Into<String>) -> DomainError {
    DomainError::Forbidden {
        message: format!("User is not authorized to perform the operation. Reason: {}", message.into()),
    }
}

fn no_valid_policy(why: &str) -> DomainError {
    invalid("NoValidPolicy", format!("No valid policy was found in the request: {why}."))
}

/// Request types a client may send (the system types are grantd's own; `notSpecified`,
/// `onBehalfAdd` ("not supported") and `approverRemove` are not accepted).
pub fn check_client_type(t: RequestType) -> Result<(), DomainError> {
    if t.is_user() || t.is_admin() {
        return Ok(());
    }
    Err(invalid(
        "InvalidRequestType",
        format!("The value '{}' of property 'requestType' cannot be used to create a request.", t.v1()),
    ))
}

fn subject_includes(s: &SubjectSet, user: ObjectId, groups: &[ObjectId], manager_of: Option<ObjectId>) -> bool {
    let same = |raw: &str, id: ObjectId| crate::ids::parse_guid(raw).is_some_and(|u| u == id.0);
    match &s.subject {
        Subject::SingleUser { user_id, .. } => same(user_id, user),
        Subject::GroupMembers { group_id, .. } => groups.iter().any(|g| same(group_id, *g)),
        // On-behalf requestors: the target's manager.
        Subject::TargetManager { .. } | Subject::RequestorManager { .. } => manager_of == Some(user),
        _ => false,
    }
}

/// The target falls in the policy's `allowedTargetScope` (beta `requestorSettings.scopeType`).
pub fn target_in_scope(p: &Policy, t: &TargetFacts) -> bool {
    match p.allowed_target_scope {
        TargetScope::NotSpecified | TargetScope::AllDirectoryUsers => true,
        TargetScope::AllMemberUsers => t.is_member,
        TargetScope::AllExternalUsers => !t.is_member,
        TargetScope::AllConfiguredConnectedOrganizationUsers => {
            !t.is_member && t.connected_organization.is_some_and(|o| o.configured)
        }
        TargetScope::SpecificConnectedOrganizationUsers => {
            !t.is_member
                && t.connected_organization.is_some_and(|o| {
                    p.specific_allowed_targets.iter().any(|s| match &s.subject {
                        Subject::ConnectedOrganizationMembers { connected_organization_id, .. } => {
                            crate::ids::parse_guid(connected_organization_id) == Some(o.id)
                        }
                        _ => false,
                    })
                })
        }
        TargetScope::SpecificDirectoryUsers => {
            p.specific_allowed_targets.iter().any(|s| subject_includes(s, t.id, &t.group_ids, None))
        }
        _ => false,
    }
}

/// The caller may ask for the target on behalf of them through this policy.
fn on_behalf_allowed(p: &Policy, caller: ObjectId, caller_groups: &[ObjectId], target: &TargetFacts) -> bool {
    let manager_of = target.manager_id.filter(|m| *m == caller);
    p.allows_on_behalf_add()
        && p.requestor_settings
            .on_behalf_requestors
            .iter()
            .any(|s| subject_includes(s, caller, caller_groups, manager_of))
}

/// Does `p` take a request of type `t` from this caller for this target?
fn policy_accepts(p: &Policy, t: RequestType, f: &Facts<'_>, on_behalf: bool) -> bool {
    if p.is_auto_assignment() || !p.requestor_settings.accept_requests && t.is_user() {
        return false;
    }
    match t {
        RequestType::UserAdd if on_behalf => {
            f.caller.is_some_and(|c| on_behalf_allowed(p, c, f.caller_groups, f.target)) && target_in_scope(p, f.target)
        }
        RequestType::UserAdd => p.allows_self_add() && target_in_scope(p, f.target),
        RequestType::UserUpdate | RequestType::UserExtend => p.allows_self_update(),
        RequestType::UserRemove => p.allows_self_remove(),
        t if t.is_admin() && t.is_add() => target_in_scope(p, f.target),
        t => t.is_admin(),
    }
}

/// Picks the policy: the one named (it must belong to the package), or, when none is named, the
/// only one that accepts the request (open question 6).
fn choose_policy<'p>(d: &Draft, f: &Facts<'p>, on_behalf: bool) -> Result<&'p Policy, DomainError> {
    if let Some(id) = d.assignment_policy_id {
        let Some(p) = f.policies.iter().find(|p| p.id == id) else {
            return Err(invalid(
                "InvalidPolicy",
                format!(
                    "The policy '{id}' named by 'assignment.assignmentPolicyId' does not belong to the access package."
                ),
            ));
        };
        if !policy_accepts(p, d.request_type, f, on_behalf) {
            let why = if d.request_type.is_user() && !on_behalf && !target_in_scope(p, f.target) {
                "the target is not in the policy's allowed targets ('assignment.targetId')".to_string()
            } else {
                format!("the policy '{id}' does not accept '{}' requests from the caller", d.request_type.v1())
            };
            return Err(no_valid_policy(&why));
        }
        return Ok(p);
    }
    let accepting: Vec<&Policy> =
        f.policies.iter().filter(|p| policy_accepts(p, d.request_type, f, on_behalf)).collect();
    match accepting.as_slice() {
        [one] => Ok(*one),
        [] => Err(no_valid_policy("no policy of the access package accepts this request for the target")),
        _ => {
            // Administrators picking among several: a single direct-assignment policy wins.
            let direct: Vec<&&Policy> =
                accepting.iter().filter(|p| p.allowed_target_scope == TargetScope::NotSpecified).collect();
            match (d.request_type.is_admin(), direct.as_slice()) {
                (true, [one]) => Ok(**one),
                _ => Err(invalid(
                    "AmbiguousPolicy",
                    "More than one policy of the access package applies; name one in 'assignment.assignmentPolicyId'.",
                )),
            }
        }
    }
}

fn check_answers(d: &Draft, p: &Policy) -> Result<Vec<Answer>, DomainError> {
    let mut out = Vec::with_capacity(d.answers.len());
    for (i, a) in d.answers.iter().enumerate() {
        let at = format!("answers[{i}]");
        let Some(q) = p.question(&a.question_id) else {
            return Err(invalid(
                "InvalidAnswer",
                format!(
                    "The question '{}' in '{at}.answeredQuestion.id' is not a question of the policy.",
                    a.question_id
                ),
            ));
        };
        if d.request_type.is_update() && !q.is_answer_editable {
            return Err(invalid(
                "InvalidAnswer",
                format!("The answer to question '{}' in '{at}' cannot be changed (isAnswerEditable is false).", q.id),
            ));
        }
        match &q.kind {
            QuestionKind::TextInput { regex_pattern: Some(pattern), .. } if !pattern.trim().is_empty() => {
                let anchored = format!("^(?:{pattern})$");
                let ok = regex_automata::meta::Regex::new(&anchored).map(|r| r.is_match(&a.value)).unwrap_or(true);
                if !ok {
                    return Err(invalid(
                        "InvalidAnswer",
                        format!("The value of '{at}.value' does not match the pattern of question '{}'.", q.id),
                    ));
                }
            }
            QuestionKind::MultipleChoice { choices, is_multiple_selection_allowed } => {
                let picked: Vec<&str> = if *is_multiple_selection_allowed {
                    a.value.split(',').map(str::trim).filter(|s| !s.is_empty()).collect()
                } else {
                    vec![a.value.trim()]
                };
                let known = |v: &str| {
                    choices.iter().any(|c| {
                        c.actual_value.eq_ignore_ascii_case(v)
                            || c.text.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(v))
                            || c.localizations
                                .iter()
                                .any(|l| l.text.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(v)))
                    })
                };
                if picked.is_empty() || !picked.iter().all(|v| known(v)) {
                    return Err(invalid(
                        "InvalidAnswer",
                        format!("The value of '{at}.value' is not a choice of question '{}'.", q.id),
                    ));
                }
            }
            _ => {}
        }
        if out.iter().any(|x: &Answer| x.question.id.eq_ignore_ascii_case(&q.id)) {
            return Err(invalid("InvalidAnswer", format!("The question '{}' is answered twice ('{at}').", q.id)));
        }
        // The text shown to approvers: as sent, else the chosen choices' texts, else the value.
        let display_value = a.display_value.clone().or_else(|| match &q.kind {
            QuestionKind::MultipleChoice { choices, .. } => {
                let texts: Vec<String> = a
                    .value
                    .split(',')
                    .map(str::trim)
                    .filter_map(|v| choices.iter().find(|c| c.actual_value.eq_ignore_ascii_case(v)))
                    .map(|c| c.text.clone().unwrap_or_else(|| c.actual_value.clone()))
                    .collect();
                Some(if texts.is_empty() { a.value.clone() } else { texts.join(", ") })
            }
            QuestionKind::TextInput { .. } => Some(a.value.clone()),
        });
        out.push(Answer { question: q.clone(), value: a.value.clone(), display_value });
    }
    if d.request_type.is_add() {
        for q in p.questions_in_order() {
            let answered = out.iter().any(|a| a.question.id.eq_ignore_ascii_case(&q.id) && !a.value.trim().is_empty());
            if q.is_required && !answered {
                return Err(invalid(
                    "RequiredAnswerMissing",
                    format!("The question '{}' requires an answer in 'answers'.", q.id),
                ));
            }
        }
    }
    Ok(out)
}

/// A schedule the requestor chose (a start or an expiration other than `notSpecified`).
pub fn is_custom(s: &Schedule) -> bool {
    s.start_date_time.is_some() || s.expiration.as_ref().is_some_and(|e| e.kind != ExpirationType::NotSpecified)
}

fn check_schedule(d: &Draft, p: &Policy, now: DateTime<Utc>) -> Result<Schedule, DomainError> {
    let s = d.schedule.clone().unwrap_or_default();
    if !is_custom(&s) || d.request_type.is_remove() {
        return Ok(s);
    }
    if d.request_type.is_user() && !p.requestor_settings.allow_custom_assignment_schedule {
        return Err(invalid(
            "CustomScheduleNotAllowed",
            "The policy does not allow requestors to choose a 'schedule' (allowCustomAssignmentSchedule is false).",
        ));
    }
    let start = s.start_date_time.unwrap_or(now);
    if let Some(e) = &s.expiration {
        match e.kind {
            ExpirationType::AfterDuration if e.duration.is_none_or(|x| x <= chrono::Duration::zero()) => {
                return Err(invalid(
                    "InvalidSchedule",
                    "The property 'schedule.expiration.duration' must be a positive duration.",
                ))
            }
            ExpirationType::AfterDateTime if e.end_date_time.is_none_or(|end| end <= start) => {
                return Err(invalid(
                    "InvalidSchedule",
                    "The property 'schedule.expiration.endDateTime' must be later than the start.",
                ))
            }
            _ => {}
        }
    }
    // Open question 7: a requested end beyond the policy's is refused, not clamped.
    if let Some(policy_end) = p.expiration.end_from(start) {
        let requested_end = s.expiration.as_ref().and_then(|e| e.end_from(start));
        let never = s.expiration.as_ref().is_some_and(|e| e.kind == ExpirationType::NoExpiration);
        if never || requested_end.is_some_and(|r| r > policy_end) {
            return Err(invalid(
                "ScheduleExceedsPolicy",
                "The requested 'schedule.expiration' ends later than the policy's expiration allows.",
            ));
        }
    }
    Ok(s)
}

/// Validates a draft against the facts. The order of checks decides which error a request with
/// several faults gets: who may ask, the assignment named, the policy, then the content.
pub fn validate(d: &Draft, f: &Facts<'_>) -> Result<Validated, DomainError> {
    let t = d.request_type;
    check_client_type(t)?;
    if t.is_admin() && !f.may_manage_assignments {
        return Err(forbidden("The caller may not manage assignments of this access package."));
    }
    if !t.is_add() {
        let Some(a) = f.assignment else {
            return Err(invalid("InvalidModel", "The property 'assignment.id' is required for this request type."));
        };
        if !a.state.is_active() {
            return Err(DomainError::conflict(
                "AssignmentNotActive",
                format!("The assignment '{}' named by 'assignment.id' is no longer active.", a.id),
            ));
        }
        if t.is_user() && f.caller != Some(a.target_id) {
            return Err(forbidden("The assignment named by 'assignment.id' belongs to another user."));
        }
    }
    let on_behalf = t.is_user() && f.caller != Some(f.target.id);
    if on_behalf && (t != RequestType::UserAdd || f.caller.is_none()) {
        return Err(forbidden("End-user requests can only be made for the signed-in user ('assignment.targetId')."));
    }
    if on_behalf
        && !f.policies.iter().any(|p| f.caller.is_some_and(|c| on_behalf_allowed(p, c, f.caller_groups, f.target)))
    {
        return Err(forbidden(
            "The caller may not request access for the user in 'assignment.targetId' (not an on-behalf requestor).",
        ));
    }
    let policy = match (t.is_add(), f.assignment) {
        (false, Some(a)) => {
            let p = f
                .policies
                .iter()
                .find(|p| p.id == a.assignment_policy_id)
                .ok_or_else(|| no_valid_policy("the policy of the assignment no longer exists"))?;
            if !policy_accepts(p, t, f, false) {
                return Err(no_valid_policy(&format!("the policy does not accept '{}' requests", t.v1())));
            }
            p
        }
        _ => choose_policy(d, f, on_behalf)?,
    };
    if t.is_user()
        && t.is_add()
        && policy.requires_justification()
        && d.justification.as_deref().is_none_or(|j| j.trim().is_empty())
    {
        return Err(invalid("JustificationRequired", "The policy requires a 'justification'."));
    }
    let answers = if t.is_remove() { Vec::new() } else { check_answers(d, policy)? };
    let schedule = check_schedule(d, policy, f.now)?;
    if t.is_add() && f.target_has_active_assignment {
        return Err(DomainError::conflict(
            "AssignmentAlreadyExists",
            "The target in 'assignment.targetId' already has an active assignment of this access package.",
        ));
    }
    if f.open_request_exists {
        return Err(DomainError::conflict(
            "ExistingOpenRequest",
            "There is already an open request for the target in 'assignment.targetId' and this access package.",
        ));
    }
    let needs_approval = t.is_user() && !t.is_remove() && policy.requires_approval(t.is_update());
    Ok(Validated { policy: policy.clone(), answers, schedule, needs_approval })
}

#[cfg(test)]
mod tests;
