//! The parts of a policy: requestor, approval, review, automatic-assignment, notification and
//! verifiable-credential settings, questions and custom-extension bindings. Each holds the
//! union of what v1.0 and beta can express (beta-only members are marked).
use super::enums::{ApprovalMode, ApproverVisibility, CustomExtensionStage, ReviewExpirationBehavior};
use super::schedule::{opt_secs, Schedule, Span};
use super::subject::SubjectSet;
use serde::{Deserialize, Serialize};

/// v1.0 `accessPackageAssignmentRequestorSettings` (+ beta `acceptRequests`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestorSettings {
    pub enable_targets_to_self_add_access: bool,
    pub enable_targets_to_self_update_access: bool,
    pub enable_targets_to_self_remove_access: bool,
    pub allow_custom_assignment_schedule: bool,
    pub enable_on_behalf_requestors_to_add_access: bool,
    pub enable_on_behalf_requestors_to_update_access: bool,
    pub enable_on_behalf_requestors_to_remove_access: bool,
    #[serde(default)]
    pub on_behalf_requestors: Vec<SubjectSet>,
    /// beta `requestorSettings.acceptRequests`: the policy takes new requests at all. v1.0 has no
    /// such switch (its `enable*` flags say who may ask); v1.0 writes reset it to true.
    pub accept_requests: bool,
}

impl Default for RequestorSettings {
    fn default() -> Self {
        RequestorSettings {
            enable_targets_to_self_add_access: false,
            enable_targets_to_self_update_access: false,
            enable_targets_to_self_remove_access: false,
            allow_custom_assignment_schedule: false,
            enable_on_behalf_requestors_to_add_access: false,
            enable_on_behalf_requestors_to_update_access: false,
            enable_on_behalf_requestors_to_remove_access: false,
            on_behalf_requestors: Vec::new(),
            accept_requests: true,
        }
    }
}

/// What a stage is: fixed approvers, or approvers supplied by a custom extension
/// (`accessPackageDynamicApprovalStage`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum StageKind {
    #[default]
    Fixed,
    Dynamic {
        custom_extension_id: Option<String>,
    },
}

/// v1.0 `accessPackageApprovalStage` = beta `approvalStage`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalStage {
    #[serde(default)]
    pub kind: StageKind,
    /// beta `approvalStageTimeOutInDays` (days).
    #[serde(default, with = "opt_secs")]
    pub duration_before_automatic_denial: Option<Span>,
    pub is_approver_justification_required: bool,
    pub is_escalation_enabled: bool,
    /// beta `escalationTimeInMinutes` (minutes).
    #[serde(default, with = "opt_secs")]
    pub duration_before_escalation: Option<Span>,
    #[serde(default)]
    pub primary_approvers: Vec<SubjectSet>,
    /// beta: `primaryApprovers` with `isBackup: true`.
    #[serde(default)]
    pub fallback_primary_approvers: Vec<SubjectSet>,
    #[serde(default)]
    pub escalation_approvers: Vec<SubjectSet>,
    /// beta: `escalationApprovers` with `isBackup: true`.
    #[serde(default)]
    pub fallback_escalation_approvers: Vec<SubjectSet>,
    pub approver_information_visibility: ApproverVisibility,
    /// grantd extension `grantdQuorum`: the stage is approved when this many distinct primary
    /// approvers approved (None = the first approval decides, as in Graph).
    #[serde(default)]
    pub quorum: Option<u32>,
    /// grantd extension `grantdRequireAllGroups`: every primary approver entry (a group, a user,
    /// a manager ...) must give one approval.
    #[serde(default)]
    pub require_all_groups: bool,
}

impl Default for ApprovalStage {
    fn default() -> Self {
        ApprovalStage {
            kind: StageKind::Fixed,
            duration_before_automatic_denial: None,
            is_approver_justification_required: false,
            is_escalation_enabled: false,
            duration_before_escalation: None,
            primary_approvers: Vec::new(),
            fallback_primary_approvers: Vec::new(),
            escalation_approvers: Vec::new(),
            fallback_escalation_approvers: Vec::new(),
            approver_information_visibility: ApproverVisibility::Default,
            quorum: None,
            require_all_groups: false,
        }
    }
}

/// v1.0 `accessPackageAssignmentApprovalSettings` = beta `approvalSettings`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalSettings {
    /// beta `isApprovalRequired`.
    pub is_approval_required_for_add: bool,
    /// beta `isApprovalRequiredForExtension`.
    pub is_approval_required_for_update: bool,
    pub is_requestor_justification_required: bool,
    /// beta `approvalStages`.
    #[serde(default)]
    pub stages: Vec<ApprovalStage>,
    /// beta `approvalMode` as the client set it; shown again only while it still fits the
    /// stages (otherwise derived: NoApproval, SingleStage, Serial).
    pub approval_mode: Option<ApprovalMode>,
}

impl ApprovalSettings {
    pub fn is_required(&self) -> bool {
        self.is_approval_required_for_add || self.is_approval_required_for_update
    }

    /// The beta `approvalMode` to show.
    pub fn effective_mode(&self) -> ApprovalMode {
        let derived = if !self.is_required() || self.stages.is_empty() {
            ApprovalMode::NoApproval
        } else if self.stages.len() == 1 {
            ApprovalMode::SingleStage
        } else {
            ApprovalMode::Serial
        };
        match (self.approval_mode, derived) {
            (Some(ApprovalMode::Parallel), ApprovalMode::SingleStage | ApprovalMode::Serial) => ApprovalMode::Parallel,
            (Some(ApprovalMode::Serial), ApprovalMode::SingleStage) => ApprovalMode::Serial,
            _ => derived,
        }
    }
}

/// v1.0 `accessPackageAssignmentReviewSettings` (beta `assignmentReviewSettings` maps onto it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewSettings {
    pub is_enabled: bool,
    /// beta `accessReviewTimeoutBehavior`.
    pub expiration_behavior: Option<ReviewExpirationBehavior>,
    /// beta `isAccessRecommendationEnabled`.
    pub is_recommendation_enabled: bool,
    /// beta `isApprovalJustificationRequired`.
    pub is_reviewer_justification_required: bool,
    /// beta `reviewerType` `Self`.
    pub is_self_review: bool,
    /// beta `startDateTime`, `durationInDays`, `recurrenceType`.
    pub schedule: Option<Schedule>,
    /// beta `reviewers`.
    #[serde(default)]
    pub primary_reviewers: Vec<SubjectSet>,
    /// beta `reviewers` with `isBackup: true`.
    #[serde(default)]
    pub fallback_reviewers: Vec<SubjectSet>,
}

/// v1.0 `accessPackageAutomaticRequestSettings`: present on auto-assignment policies.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutomaticRequestSettings {
    pub request_access_for_allowed_targets: bool,
    pub remove_access_when_target_leaves_allowed_targets: bool,
    #[serde(default, with = "opt_secs")]
    pub grace_period_before_access_removal: Option<Span>,
}

/// v1.0 `notificationSettings` (`accessPackageNotificationSettings`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationSettings {
    pub is_assignment_notification_disabled: bool,
}

/// beta `verifiableCredentialType`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CredentialType {
    pub credential_type: Option<String>,
    #[serde(default)]
    pub issuers: Vec<String>,
}

/// beta `verifiableCredentialSettings`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiableCredentialSettings {
    #[serde(default)]
    pub credential_types: Vec<CredentialType>,
}

/// `customExtensionStageSetting` (and beta's older `customExtensionHandler`): which custom
/// extension runs at which stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomExtensionBinding {
    pub id: String,
    pub stage: CustomExtensionStage,
    pub custom_extension_id: String,
}

/// `accessPackageLocalizedText`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalizedText {
    pub language_code: String,
    pub text: Option<String>,
}

/// `accessPackageAnswerChoice` (v1.0 `text` + `localizations` = beta `displayValue`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AnswerChoice {
    pub actual_value: String,
    pub text: Option<String>,
    #[serde(default)]
    pub localizations: Vec<LocalizedText>,
}

/// The derived question types.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum QuestionKind {
    /// `accessPackageTextInputQuestion`.
    TextInput { is_single_line_question: bool, regex_pattern: Option<String> },
    /// `accessPackageMultipleChoiceQuestion` (beta `allowsMultipleSelection`).
    MultipleChoice { choices: Vec<AnswerChoice>, is_multiple_selection_allowed: bool },
}

/// `accessPackageQuestion` (v1.0 `text` + `localizations` = beta `text` localized content).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Question {
    pub id: String,
    pub kind: QuestionKind,
    pub text: Option<String>,
    #[serde(default)]
    pub localizations: Vec<LocalizedText>,
    pub is_required: bool,
    pub is_answer_editable: bool,
    pub sequence: i32,
}

impl Question {
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            QuestionKind::TextInput { .. } => "accessPackageTextInputQuestion",
            QuestionKind::MultipleChoice { .. } => "accessPackageMultipleChoiceQuestion",
        }
    }
}

/// The text to show a caller whose preferred languages are `prefs` (most preferred first):
/// the localization whose `languageCode` equals a preference (case-insensitive), else one whose
/// primary subtag matches (`fr` for `fr-CA` and the other way round), else the default text.
pub fn pick_localized(default: &Option<String>, list: &[LocalizedText], prefs: &[String]) -> Option<String> {
    let primary = |s: &str| s.split('-').next().unwrap_or(s).to_ascii_lowercase();
    for p in prefs {
        if let Some(t) = list.iter().find(|l| l.language_code.eq_ignore_ascii_case(p)).and_then(|l| l.text.clone()) {
            return Some(t);
        }
        if let Some(t) = list.iter().find(|l| primary(&l.language_code) == primary(p)).and_then(|l| l.text.clone()) {
            return Some(t);
        }
    }
    default.clone()
}

impl Question {
    /// This question with `text` (and its choices' texts) chosen for `prefs`.
    pub fn localized(&self, prefs: &[String]) -> Question {
        let mut q = self.clone();
        if prefs.is_empty() {
            return q;
        }
        q.text = pick_localized(&self.text, &self.localizations, prefs);
        if let QuestionKind::MultipleChoice { choices, .. } = &mut q.kind {
            for c in choices.iter_mut() {
                c.text = pick_localized(&c.text, &c.localizations, prefs);
            }
        }
        q
    }
}

#[cfg(test)]
mod localization_tests {
    use super::*;

    #[test]
    fn the_preferred_language_wins_then_its_primary_subtag_then_the_default() {
        let list = vec![
            LocalizedText { language_code: "fr-CA".into(), text: Some("Travail?".into()) },
            LocalizedText { language_code: "es".into(), text: Some("¿Trabajo?".into()) },
        ];
        let d = Some("Work?".to_string());
        let p = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(pick_localized(&d, &list, &p(&["fr-ca"])).as_deref(), Some("Travail?"));
        assert_eq!(pick_localized(&d, &list, &p(&["fr-FR"])).as_deref(), Some("Travail?"));
        assert_eq!(pick_localized(&d, &list, &p(&["es-MX", "fr"])).as_deref(), Some("¿Trabajo?"));
        assert_eq!(pick_localized(&d, &list, &p(&["de", "en"])).as_deref(), Some("Work?"));
        assert_eq!(pick_localized(&d, &list, &[]).as_deref(), Some("Work?"));
    }
}
