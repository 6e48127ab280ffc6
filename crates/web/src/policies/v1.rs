//! The v1.0 `accessPackageAssignmentPolicy` on the wire (CSDL v1.0): reading a create/replace
//! body into the canonical policy and rendering it back. A v1.0 write replaces everything v1.0
//! can express and keeps the beta-only members (`verifiableCredentialSettings`, the beta
//! `approvalMode`); beta's `acceptRequests` is reset to true where a target scope is set,
//! since v1.0's `enable*` flags are then the whole say on who may request.
use super::common::{duration, read_expiration, read_schedule, render_expiration, render_schedule};
use super::reader::{bad, At, Obj};
use super::{questions, read_extensions, render_extensions, subjects};
use crate::error::GraphResult;
use crate::json::ApiVersion;
use crate::wire::format_datetime;
use grantd_domain::policy::{
    ApprovalSettings, ApprovalStage, ApproverVisibility, AutomaticRequestSettings, NotificationSettings, Policy,
    RequestorSettings, ReviewExpirationBehavior, ReviewSettings, StageKind, TargetScope,
};
use serde_json::{json, Value};

const V: ApiVersion = ApiVersion::V1;

fn read_requestor(o: &Obj<'_>) -> GraphResult<RequestorSettings> {
    Ok(RequestorSettings {
        enable_targets_to_self_add_access: o.bool_or("enableTargetsToSelfAddAccess", false)?,
        enable_targets_to_self_update_access: o.bool_or("enableTargetsToSelfUpdateAccess", false)?,
        enable_targets_to_self_remove_access: o.bool_or("enableTargetsToSelfRemoveAccess", false)?,
        allow_custom_assignment_schedule: o.bool_or("allowCustomAssignmentSchedule", false)?,
        enable_on_behalf_requestors_to_add_access: o.bool_or("enableOnBehalfRequestorsToAddAccess", false)?,
        enable_on_behalf_requestors_to_update_access: o.bool_or("enableOnBehalfRequestorsToUpdateAccess", false)?,
        enable_on_behalf_requestors_to_remove_access: o.bool_or("enableOnBehalfRequestorsToRemoveAccess", false)?,
        on_behalf_requestors: subjects::read_list(o, "onBehalfRequestors", V)?,
        accept_requests: true,
    })
}

/// Reads a stage; `@odata.type` may name the base or the dynamic stage type.
pub fn read_stage(at: &At<'_>) -> GraphResult<ApprovalStage> {
    let o = at.obj()?;
    let kind = match o.odata_type()?.as_deref() {
        None | Some("accesspackageapprovalstage") => StageKind::Fixed,
        Some("accesspackagedynamicapprovalstage") => {
            StageKind::Dynamic { custom_extension_id: o.nav_id("customExtension")? }
        }
        Some(_) => {
            let raw = o.string("@odata.type")?.unwrap_or_default();
            return Err(bad(&o.at("@odata.type"), format!("'{raw}' is not a known approval stage type")));
        }
    };
    Ok(ApprovalStage {
        kind,
        duration_before_automatic_denial: o.duration("durationBeforeAutomaticDenial")?,
        is_approver_justification_required: o.bool_or("isApproverJustificationRequired", false)?,
        is_escalation_enabled: o.bool_or("isEscalationEnabled", false)?,
        duration_before_escalation: o.duration("durationBeforeEscalation")?,
        primary_approvers: subjects::read_list(&o, "primaryApprovers", V)?,
        fallback_primary_approvers: subjects::read_list(&o, "fallbackPrimaryApprovers", V)?,
        escalation_approvers: subjects::read_list(&o, "escalationApprovers", V)?,
        fallback_escalation_approvers: subjects::read_list(&o, "fallbackEscalationApprovers", V)?,
        approver_information_visibility: o
            .enumeration("approverInformationVisibility", ApproverVisibility::parse)?
            .unwrap_or(ApproverVisibility::Default),
        quorum: super::read_quorum(&o)?,
        require_all_groups: o.bool_or(super::REQUIRE_ALL_GROUPS, false)?,
    })
}

fn read_approval(o: &Obj<'_>, keep_mode: &ApprovalSettings) -> GraphResult<ApprovalSettings> {
    Ok(ApprovalSettings {
        is_approval_required_for_add: o.bool_or("isApprovalRequiredForAdd", false)?,
        is_approval_required_for_update: o.bool_or("isApprovalRequiredForUpdate", false)?,
        is_requestor_justification_required: o.bool_or("isRequestorJustificationRequired", false)?,
        stages: o.array("stages")?.iter().map(read_stage).collect::<GraphResult<Vec<_>>>()?,
        approval_mode: keep_mode.approval_mode,
    })
}

fn read_review(o: &Obj<'_>) -> GraphResult<ReviewSettings> {
    Ok(ReviewSettings {
        is_enabled: o.bool_or("isEnabled", false)?,
        expiration_behavior: o.enumeration("expirationBehavior", ReviewExpirationBehavior::parse)?,
        is_recommendation_enabled: o.bool_or("isRecommendationEnabled", false)?,
        is_reviewer_justification_required: o.bool_or("isReviewerJustificationRequired", false)?,
        is_self_review: o.bool_or("isSelfReview", false)?,
        schedule: match o.child("schedule") {
            Some(at) => Some(read_schedule(&at.obj()?)?),
            None => None,
        },
        primary_reviewers: subjects::read_list(o, "primaryReviewers", V)?,
        fallback_reviewers: subjects::read_list(o, "fallbackReviewers", V)?,
    })
}

fn read_automatic(o: &Obj<'_>) -> GraphResult<AutomaticRequestSettings> {
    Ok(AutomaticRequestSettings {
        request_access_for_allowed_targets: o.bool_or("requestAccessForAllowedTargets", false)?,
        remove_access_when_target_leaves_allowed_targets: o
            .bool_or("removeAccessWhenTargetLeavesAllowedTargets", false)?,
        grace_period_before_access_removal: o.duration("gracePeriodBeforeAccessRemoval")?,
    })
}

/// Overwrites every v1.0-expressible member of `p` from the body (absent = Graph's default).
pub fn apply(o: &Obj<'_>, p: &mut Policy) -> GraphResult<()> {
    p.display_name = o.string("displayName")?.unwrap_or_default();
    p.description = o.string("description")?;
    p.allowed_target_scope =
        o.enumeration("allowedTargetScope", TargetScope::parse)?.unwrap_or(TargetScope::NotSpecified);
    p.specific_allowed_targets = subjects::read_list(o, "specificAllowedTargets", V)?;
    p.automatic_request_settings = match o.child("automaticRequestSettings") {
        Some(at) => Some(read_automatic(&at.obj()?)?),
        None => None,
    };
    p.expiration = match o.child("expiration") {
        Some(at) => read_expiration(&at.obj()?)?,
        None => Default::default(),
    };
    let accept_before = p.requestor_settings.accept_requests;
    p.requestor_settings = match o.child("requestorSettings") {
        Some(at) => read_requestor(&at.obj()?)?,
        None => RequestorSettings::default(),
    };
    // v1.0's flags are the whole say on who may request, so beta's `acceptRequests` switch is
    // reset; without a target scope it has no v1.0 meaning and is kept for beta readers.
    if p.allowed_target_scope == TargetScope::NotSpecified {
        p.requestor_settings.accept_requests = accept_before;
    }
    p.approval = match o.child("requestApprovalSettings") {
        Some(at) => read_approval(&at.obj()?, &p.approval)?,
        None => ApprovalSettings { approval_mode: p.approval.approval_mode, ..ApprovalSettings::default() },
    };
    p.review = match o.child("reviewSettings") {
        Some(at) => Some(read_review(&at.obj()?)?),
        None => None,
    };
    p.questions = questions::read(o)?;
    p.custom_extensions = read_extensions(o, "customExtensionStageSettings")?;
    // CSDL says `notificationSettings`; the docs page says `accessPackageNotificationSettings`
    // (open question 16): read either, write the CSDL name.
    let notifications = o.child("notificationSettings").or_else(|| o.child("accessPackageNotificationSettings"));
    p.notification_settings = match notifications {
        Some(at) => Some(NotificationSettings {
            is_assignment_notification_disabled: at.obj()?.bool_or("isAssignmentNotificationDisabled", false)?,
        }),
        None => None,
    };
    Ok(())
}

pub fn render_stage(s: &ApprovalStage) -> Value {
    let mut out = json!({
        "durationBeforeAutomaticDenial": duration(&s.duration_before_automatic_denial),
        "isApproverJustificationRequired": s.is_approver_justification_required,
        "isEscalationEnabled": s.is_escalation_enabled,
        "durationBeforeEscalation": duration(&s.duration_before_escalation),
        "primaryApprovers": subjects::render_list(&s.primary_approvers, V),
        "fallbackPrimaryApprovers": subjects::render_list(&s.fallback_primary_approvers, V),
        "escalationApprovers": subjects::render_list(&s.escalation_approvers, V),
        "fallbackEscalationApprovers": subjects::render_list(&s.fallback_escalation_approvers, V),
        "approverInformationVisibility": s.approver_information_visibility.as_str(),
    });
    super::render_stage_extensions(s, &mut out);
    if let StageKind::Dynamic { custom_extension_id } = &s.kind {
        let mut typed = json!({"@odata.type": "#microsoft.graph.accessPackageDynamicApprovalStage"});
        if let (Value::Object(t), Value::Object(rest)) = (&mut typed, out.take()) {
            t.extend(rest);
        }
        out = typed;
        if let Some(id) = custom_extension_id {
            out["customExtension"] = json!({"id": id});
        }
    }
    out
}

fn render_review(r: &ReviewSettings) -> Value {
    json!({
        "isEnabled": r.is_enabled,
        "expirationBehavior": r.expiration_behavior.map(|b| b.as_str()),
        "isRecommendationEnabled": r.is_recommendation_enabled,
        "isReviewerJustificationRequired": r.is_reviewer_justification_required,
        "isSelfReview": r.is_self_review,
        "schedule": r.schedule.as_ref().map(render_schedule),
        "primaryReviewers": subjects::render_list(&r.primary_reviewers, V),
        "fallbackReviewers": subjects::render_list(&r.fallback_reviewers, V),
    })
}

/// The v1.0 representation (navigations `accessPackage`/`catalog` only when expanded).
pub fn render(p: &Policy) -> Value {
    let r = &p.requestor_settings;
    let a = &p.approval;
    json!({
        "id": p.id.to_string(),
        "displayName": p.display_name,
        "description": p.description,
        "allowedTargetScope": p.allowed_target_scope.as_str(),
        "specificAllowedTargets": subjects::render_list(&p.specific_allowed_targets, V),
        "expiration": render_expiration(&p.expiration),
        "requestorSettings": {
            "enableTargetsToSelfAddAccess": r.enable_targets_to_self_add_access,
            "enableTargetsToSelfUpdateAccess": r.enable_targets_to_self_update_access,
            "enableTargetsToSelfRemoveAccess": r.enable_targets_to_self_remove_access,
            "allowCustomAssignmentSchedule": r.allow_custom_assignment_schedule,
            "enableOnBehalfRequestorsToAddAccess": r.enable_on_behalf_requestors_to_add_access,
            "enableOnBehalfRequestorsToUpdateAccess": r.enable_on_behalf_requestors_to_update_access,
            "enableOnBehalfRequestorsToRemoveAccess": r.enable_on_behalf_requestors_to_remove_access,
            "onBehalfRequestors": subjects::render_list(&r.on_behalf_requestors, V),
        },
        "requestApprovalSettings": {
            "isApprovalRequiredForAdd": a.is_approval_required_for_add,
            "isApprovalRequiredForUpdate": a.is_approval_required_for_update,
            "isRequestorJustificationRequired": a.is_requestor_justification_required,
            "stages": a.stages.iter().map(render_stage).collect::<Vec<_>>(),
        },
        "automaticRequestSettings": p.automatic_request_settings.as_ref().map(|s| json!({
            "requestAccessForAllowedTargets": s.request_access_for_allowed_targets,
            "removeAccessWhenTargetLeavesAllowedTargets": s.remove_access_when_target_leaves_allowed_targets,
            "gracePeriodBeforeAccessRemoval": duration(&s.grace_period_before_access_removal),
        })),
        "reviewSettings": p.review.as_ref().map(render_review),
        "notificationSettings": p.notification_settings.as_ref().map(|n| json!({
            "isAssignmentNotificationDisabled": n.is_assignment_notification_disabled,
        })),
        "createdDateTime": format_datetime(&p.created_date_time),
        "modifiedDateTime": format_datetime(&p.modified_date_time),
        "questions": questions::render_list(&p.questions, V),
        "customExtensionStageSettings": render_extensions(&p.custom_extensions),
    })
}
