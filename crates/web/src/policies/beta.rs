//! The beta `accessPackageAssignmentPolicy` on the wire (CSDL beta + Prod-only members named in
//! model.md): reading a create/replace body into the canonical policy and rendering it back,
//! through the mappings in `grantd_domain::policy::compat`. A beta write replaces what beta can
//! express and keeps the v1.0-only members (on-behalf-of requestors, automatic request
//! settings, stage visibility and kind, notification settings unless sent).
use super::common::{datetime, read_expiration};
use super::reader::{bad, At, Obj};
use super::{questions, read_extensions, render_extensions, subjects};
use crate::error::GraphResult;
use crate::json::ApiVersion;
use crate::wire::format_datetime;
use grantd_domain::policy::compat::{
    days, expiration_from_beta, expiration_to_beta, minutes, recurrence_from_beta, recurrence_to_beta, scope_from_beta,
    scope_to_beta, whole_days, whole_minutes,
};
use grantd_domain::policy::enums::RecurrenceRangeType;
use grantd_domain::policy::subject::{join_backups, split_backups};
use grantd_domain::policy::{
    ApprovalMode, ApprovalSettings, ApprovalStage, ApproverVisibility, CredentialType, Expiration, ExpirationType,
    NotificationSettings, Policy, Recurrence, RecurrenceRange, ReviewExpirationBehavior, ReviewSettings, Schedule,
    StageKind, Subject, SubjectSet, TargetScope, VerifiableCredentialSettings,
};
use serde_json::{json, Value};

const V: ApiVersion = ApiVersion::Beta;

fn read_stage(at: &At<'_>, keep: Option<&ApprovalStage>) -> GraphResult<ApprovalStage> {
    let o = at.obj()?;
    let kind = match o.odata_type()?.as_deref() {
        None | Some("approvalstage") | Some("accesspackageapprovalstage") => {
            keep.map(|k| k.kind.clone()).unwrap_or_default()
        }
        Some("accesspackagedynamicapprovalstage") => {
            StageKind::Dynamic { custom_extension_id: o.nav_id("customExtension")? }
        }
        Some(_) => {
            let raw = o.string("@odata.type")?.unwrap_or_default();
            return Err(bad(&o.at("@odata.type"), format!("'{raw}' is not a known approval stage type")));
        }
    };
    let non_negative = |name: &str, n: Option<i32>| match n {
        Some(n) if n < 0 => Err(bad(&o.at(name), "the value must not be negative")),
        other => Ok(other),
    };
    let timeout = non_negative("approvalStageTimeOutInDays", o.i32("approvalStageTimeOutInDays")?)?;
    let escalation = non_negative("escalationTimeInMinutes", o.i32("escalationTimeInMinutes")?)?;
    let (primary, fallback_primary) = split_backups(subjects::read_list(&o, "primaryApprovers", V)?);
    let (escalation_approvers, fallback_escalation) = split_backups(subjects::read_list(&o, "escalationApprovers", V)?);
    Ok(ApprovalStage {
        kind,
        duration_before_automatic_denial: timeout.map(days),
        is_approver_justification_required: o.bool_or("isApproverJustificationRequired", false)?,
        is_escalation_enabled: o.bool_or("isEscalationEnabled", false)?,
        duration_before_escalation: escalation.map(minutes),
        primary_approvers: primary,
        fallback_primary_approvers: fallback_primary,
        escalation_approvers,
        fallback_escalation_approvers: fallback_escalation,
        approver_information_visibility: keep
            .map(|k| k.approver_information_visibility)
            .unwrap_or(ApproverVisibility::Default),
        quorum: super::read_quorum(&o)?,
        require_all_groups: o.bool_or(super::REQUIRE_ALL_GROUPS, false)?,
    })
}

fn read_approval(o: &Obj<'_>, keep: &ApprovalSettings) -> GraphResult<ApprovalSettings> {
    let mut stages = Vec::new();
    for (i, at) in o.array("approvalStages")?.iter().enumerate() {
        stages.push(read_stage(at, keep.stages.get(i))?);
    }
    Ok(ApprovalSettings {
        is_approval_required_for_add: o.bool_or("isApprovalRequired", false)?,
        is_approval_required_for_update: o.bool_or("isApprovalRequiredForExtension", false)?,
        is_requestor_justification_required: o.bool_or("isRequestorJustificationRequired", false)?,
        stages,
        approval_mode: o.enumeration("approvalMode", ApprovalMode::parse)?,
    })
}

fn read_review(o: &Obj<'_>, keep: Option<&ReviewSettings>) -> GraphResult<ReviewSettings> {
    let (mut primary, fallback) = split_backups(subjects::read_list(o, "reviewers", V)?);
    let reviewer_type = o.string("reviewerType")?.unwrap_or_default();
    let is_self_review = reviewer_type.eq_ignore_ascii_case("Self");
    if reviewer_type.eq_ignore_ascii_case("Manager") && primary.is_empty() {
        primary = vec![SubjectSet::new(Subject::RequestorManager { manager_level: Some(1) })];
    }
    let keep_schedule = keep.and_then(|k| k.schedule.as_ref());
    let duration = o.i32("durationInDays")?.filter(|n| *n > 0).map(|n| Expiration::after(days(n)));
    let pattern = match o.string("recurrenceType")? {
        Some(s) => Some(
            recurrence_from_beta(&s)
                .ok_or_else(|| bad(&o.at("recurrenceType"), format!("the value '{s}' is not valid")))?,
        ),
        None => None,
    };
    let range =
        keep_schedule.and_then(|s| s.recurrence.as_ref()).and_then(|r| r.range.clone()).unwrap_or(RecurrenceRange {
            kind: Some(RecurrenceRangeType::NoEnd),
            number_of_occurrences: 0,
            recurrence_time_zone: None,
            start_date: None,
            end_date: None,
        });
    let schedule = Schedule {
        start_date_time: o.datetime("startDateTime")?,
        expiration: duration,
        recurrence: pattern.map(|p| Recurrence { pattern: Some(p), range: Some(range) }),
    };
    let empty = schedule == Schedule::default();
    Ok(ReviewSettings {
        is_enabled: o.bool_or("isEnabled", false)?,
        expiration_behavior: o.enumeration("accessReviewTimeoutBehavior", ReviewExpirationBehavior::parse)?,
        is_recommendation_enabled: o.bool_or("isAccessRecommendationEnabled", false)?,
        is_reviewer_justification_required: o.bool_or("isApprovalJustificationRequired", false)?,
        is_self_review,
        schedule: (!empty).then_some(schedule),
        primary_reviewers: primary,
        fallback_reviewers: fallback,
    })
}

fn read_credentials(o: &Obj<'_>) -> GraphResult<VerifiableCredentialSettings> {
    let mut credential_types = Vec::new();
    for at in o.array("credentialTypes")? {
        let c = at.obj()?;
        let issuers = c.array("issuers")?.iter().map(|i| i.string()).collect::<GraphResult<Vec<_>>>()?;
        credential_types.push(CredentialType { credential_type: c.string("credentialType")?, issuers });
    }
    Ok(VerifiableCredentialSettings { credential_types })
}

/// Overwrites every beta-expressible member of `p` from the body (absent = Graph's default).
pub fn apply(o: &Obj<'_>, p: &mut Policy, creating: bool) -> GraphResult<()> {
    p.display_name = o.string("displayName")?.unwrap_or_default();
    p.description = o.string("description")?;
    let expiration_date_time = o.datetime("expirationDateTime")?;
    let duration_in_days = o.i32("durationInDays")?;
    if duration_in_days.is_some_and(|n| n < 0) {
        return Err(bad(&o.at("durationInDays"), "the value must not be negative"));
    }
    p.expiration = expiration_from_beta(duration_in_days, expiration_date_time);
    // A Prod-beta client may also send the v1.0-style `expiration` pattern.
    if let Some(at) = o.child("expiration") {
        if duration_in_days.is_none() && expiration_date_time.is_none() {
            p.expiration = read_expiration(&at.obj()?)?;
        }
    }

    let r = &mut p.requestor_settings;
    r.enable_targets_to_self_update_access = o.bool_or("canExtend", false)?;
    if let Some(b) = o.bool("isCustomAssignmentScheduleAllowed")? {
        r.allow_custom_assignment_schedule = b;
    }
    let (scope, accept, allowed) = match o.child("requestorSettings") {
        Some(at) => {
            let s = at.obj()?;
            let scope = match s.string("scopeType")? {
                Some(t) => scope_from_beta(&t)
                    .ok_or_else(|| bad(&s.at("scopeType"), format!("the value '{t}' is not valid")))?,
                None => TargetScope::NotSpecified,
            };
            (scope, s.bool_or("acceptRequests", true)?, subjects::read_list(&s, "allowedRequestors", V)?)
        }
        None => (TargetScope::NotSpecified, true, Vec::new()),
    };
    p.allowed_target_scope = scope;
    p.specific_allowed_targets = allowed;
    r.accept_requests = accept;
    r.enable_targets_to_self_add_access = scope != TargetScope::NotSpecified && accept;
    if creating {
        // beta has no switch for self-removal: whoever may request may also give access back.
        r.enable_targets_to_self_remove_access = r.enable_targets_to_self_add_access;
    }

    let keep = p.approval.clone();
    p.approval = match o.child("requestApprovalSettings") {
        Some(at) => read_approval(&at.obj()?, &keep)?,
        None => ApprovalSettings::default(),
    };
    let keep_review = p.review.clone();
    p.review = match o.child("accessReviewSettings") {
        Some(at) => Some(read_review(&at.obj()?, keep_review.as_ref())?),
        None => None,
    };
    p.questions = questions::read(o)?;
    let mut bindings = read_extensions(o, "customExtensionStageSettings")?;
    for h in read_extensions(o, "customExtensionHandlers")? {
        if !bindings
            .iter()
            .any(|b| b.id == h.id || (b.stage == h.stage && b.custom_extension_id == h.custom_extension_id))
        {
            bindings.push(h);
        }
    }
    p.custom_extensions = bindings;
    p.verifiable_credential_settings = match o.child("verifiableCredentialSettings") {
        Some(at) => Some(read_credentials(&at.obj()?)?),
        None => None,
    };
    if let Some(at) = o.child("accessPackageNotificationSettings").or_else(|| o.child("notificationSettings")) {
        p.notification_settings = Some(NotificationSettings {
            is_assignment_notification_disabled: at.obj()?.bool_or("isAssignmentNotificationDisabled", false)?,
        });
    }
    Ok(())
}

fn render_stage(s: &ApprovalStage) -> Value {
    let mut out = json!({
        "approvalStageTimeOutInDays": s.duration_before_automatic_denial.map(whole_days),
        "isApproverJustificationRequired": s.is_approver_justification_required,
        "isEscalationEnabled": s.is_escalation_enabled,
        "escalationTimeInMinutes": s.duration_before_escalation.map(whole_minutes),
        "primaryApprovers": subjects::render_list(&join_backups(&s.primary_approvers, &s.fallback_primary_approvers), V),
        "escalationApprovers": subjects::render_list(&join_backups(&s.escalation_approvers, &s.fallback_escalation_approvers), V),
    });
    super::render_stage_extensions(s, &mut out);
    if let StageKind::Dynamic { custom_extension_id } = &s.kind {
        out["@odata.type"] = json!("#microsoft.graph.accessPackageDynamicApprovalStage");
        if let Some(id) = custom_extension_id {
            out["customExtension"] = json!({"id": id});
        }
    }
    out
}

fn reviewer_type(r: &ReviewSettings) -> &'static str {
    if r.is_self_review {
        "Self"
    } else if matches!(r.primary_reviewers.as_slice(), [s] if matches!(s.subject, Subject::RequestorManager { .. })) {
        "Manager"
    } else {
        "Reviewers"
    }
}

fn render_review(r: &ReviewSettings) -> Value {
    let schedule = r.schedule.as_ref();
    let duration_in_days = schedule
        .and_then(|s| s.expiration.as_ref())
        .filter(|e| e.kind == ExpirationType::AfterDuration)
        .and_then(|e| e.duration)
        .map(whole_days);
    let recurrence_type =
        schedule.and_then(|s| s.recurrence.as_ref()).and_then(|r| r.pattern.as_ref()).and_then(recurrence_to_beta);
    json!({
        "isEnabled": r.is_enabled,
        "recurrenceType": recurrence_type,
        "reviewerType": reviewer_type(r),
        "startDateTime": datetime(&schedule.and_then(|s| s.start_date_time)),
        "durationInDays": duration_in_days,
        "reviewers": subjects::render_list(&join_backups(&r.primary_reviewers, &r.fallback_reviewers), V),
        "isAccessRecommendationEnabled": r.is_recommendation_enabled,
        "isApprovalJustificationRequired": r.is_reviewer_justification_required,
        "accessReviewTimeoutBehavior": r.expiration_behavior.map(|b| b.as_str()),
    })
}

/// The beta representation (navigations `accessPackage`/`accessPackageCatalog` only when expanded).
pub fn render(p: &Policy) -> Value {
    let (duration_in_days, expiration_date_time) = expiration_to_beta(&p.expiration);
    let r = &p.requestor_settings;
    let accept_requests = if p.allowed_target_scope == TargetScope::NotSpecified {
        r.accept_requests
    } else {
        r.accept_requests && r.enable_targets_to_self_add_access
    };
    let a = &p.approval;
    let mut out = json!({
        "id": p.id.to_string(),
        "accessPackageId": p.access_package_id.to_string(),
        "displayName": p.display_name,
        "description": p.description,
        "canExtend": r.enable_targets_to_self_update_access,
        "durationInDays": duration_in_days,
        "expirationDateTime": datetime(&expiration_date_time),
        "createdBy": p.created_by,
        "createdDateTime": format_datetime(&p.created_date_time),
        "modifiedBy": p.modified_by,
        "modifiedDateTime": format_datetime(&p.modified_date_time),
        "requestorSettings": {
            "scopeType": scope_to_beta(p.allowed_target_scope),
            "acceptRequests": accept_requests,
            "allowedRequestors": subjects::render_list(&p.specific_allowed_targets, V),
        },
        "requestApprovalSettings": {
            "isApprovalRequired": a.is_approval_required_for_add,
            "isApprovalRequiredForExtension": a.is_approval_required_for_update,
            "isRequestorJustificationRequired": a.is_requestor_justification_required,
            "approvalMode": a.effective_mode().as_str(),
            "approvalStages": a.stages.iter().map(render_stage).collect::<Vec<_>>(),
        },
        "accessReviewSettings": p.review.as_ref().map(render_review),
        "questions": questions::render_list(&p.questions, V),
        "verifiableCredentialSettings": p.verifiable_credential_settings.as_ref().map(|s| json!({
            "credentialTypes": s.credential_types.iter().map(|c| json!({
                "credentialType": c.credential_type,
                "issuers": c.issuers,
            })).collect::<Vec<_>>(),
        })),
        "customExtensionStageSettings": render_extensions(&p.custom_extensions),
        "customExtensionHandlers": render_extensions(&p.custom_extensions),
    });
    if let Some(n) = &p.notification_settings {
        out["accessPackageNotificationSettings"] =
            json!({"isAssignmentNotificationDisabled": n.is_assignment_notification_disabled});
    }
    out
}
