//! Access package assignment policies: one canonical model that holds every property of the
//! v1.0 and the beta `accessPackageAssignmentPolicy` (beta-only members are marked where they
//! live), the business rules a policy must satisfy, and the small accessors that assignment
//! requests use (who may request, approval stages, questions, expiration). The wire modules in
//! grantd-web map each version's names onto this; `compat` holds the beta ↔ v1.0 conversions
//! that are more than a rename. No wire names or HTTP here.
pub mod compat;
pub mod enums;
pub mod schedule;
pub mod settings;
pub mod subject;

pub use enums::{
    ApprovalMode, ApproverVisibility, CustomExtensionStage, ExpirationType, ReviewExpirationBehavior, TargetScope,
};
pub use schedule::{Expiration, Recurrence, RecurrencePattern, RecurrenceRange, Schedule, Span};
pub use settings::{
    AnswerChoice, ApprovalSettings, ApprovalStage, AutomaticRequestSettings, CredentialType, CustomExtensionBinding,
    LocalizedText, NotificationSettings, Question, QuestionKind, RequestorSettings, ReviewSettings, StageKind,
    VerifiableCredentialSettings,
};
pub use subject::{Subject, SubjectSet};

use crate::catalog::check_name;
use crate::error::DomainError;
use crate::fields::{field, nav_one, nullable, opaque, Field, FieldCatalog, FieldKind};
use crate::ids::{AccessPackageId, CatalogId, PolicyId};
use crate::roles::{Caller, DirectoryRole};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// v1.0 allows one to three approval stages (accesspackageassignmentapprovalsettings.md).
pub const MAX_STAGES_V1: usize = 3;
/// beta documents "one or two" stages (approvalsettings.md).
pub const MAX_STAGES_BETA: usize = 2;

/// An access package assignment policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Policy {
    pub id: PolicyId,
    /// The owning package (v1.0 `accessPackage` navigation, beta `accessPackageId`).
    pub access_package_id: AccessPackageId,
    /// The package's catalog (v1.0 `catalog`, beta `accessPackageCatalog`), kept for scoping.
    pub catalog_id: CatalogId,
    pub display_name: String,
    pub description: Option<String>,
    /// beta `requestorSettings.scopeType` (see `compat`).
    pub allowed_target_scope: TargetScope,
    /// beta `requestorSettings.allowedRequestors`.
    #[serde(default)]
    pub specific_allowed_targets: Vec<SubjectSet>,
    /// v1.0 only: present on auto-assignment policies.
    pub automatic_request_settings: Option<AutomaticRequestSettings>,
    /// beta `durationInDays` / `expirationDateTime`.
    pub expiration: Expiration,
    pub requestor_settings: RequestorSettings,
    /// v1.0 `requestApprovalSettings` (accessPackageAssignmentApprovalSettings), beta
    /// `requestApprovalSettings` (approvalSettings).
    pub approval: ApprovalSettings,
    /// v1.0 `reviewSettings`, beta `accessReviewSettings`.
    pub review: Option<ReviewSettings>,
    #[serde(default)]
    pub questions: Vec<Question>,
    /// `customExtensionStageSettings` (beta also `customExtensionHandlers`).
    #[serde(default)]
    pub custom_extensions: Vec<CustomExtensionBinding>,
    /// v1.0 `notificationSettings`, beta `accessPackageNotificationSettings`.
    pub notification_settings: Option<NotificationSettings>,
    /// beta only.
    pub verifiable_credential_settings: Option<VerifiableCredentialSettings>,
    pub created_by: Option<String>,
    pub modified_by: Option<String>,
    pub created_date_time: DateTime<Utc>,
    pub modified_date_time: DateTime<Utc>,
}

fn invalid(message: impl Into<String>) -> DomainError {
    DomainError::invalid("InvalidModel", message)
}

impl Policy {
    /// A new policy with Graph's defaults for everything a create body may omit.
    pub fn new(
        id: PolicyId,
        access_package_id: AccessPackageId,
        catalog_id: CatalogId,
        now: DateTime<Utc>,
        by: Option<String>,
    ) -> Policy {
        Policy {
            id,
            access_package_id,
            catalog_id,
            display_name: String::new(),
            description: None,
            allowed_target_scope: TargetScope::NotSpecified,
            specific_allowed_targets: Vec::new(),
            automatic_request_settings: None,
            expiration: Expiration::default(),
            requestor_settings: RequestorSettings::default(),
            approval: ApprovalSettings::default(),
            review: None,
            questions: Vec::new(),
            custom_extensions: Vec::new(),
            notification_settings: None,
            verifiable_credential_settings: None,
            created_by: by.clone(),
            modified_by: by,
            created_date_time: now,
            modified_date_time: now,
        }
    }

    /// Checks the rules Graph applies on create and replace. `max_stages` is the version's
    /// limit (MAX_STAGES_V1 or MAX_STAGES_BETA).
    pub fn validate(&self, max_stages: usize) -> Result<(), DomainError> {
        check_name("displayName", &self.display_name)?;
        let a = &self.approval;
        if a.is_required() && a.stages.is_empty() {
            // errors.md V2.
            return Err(DomainError::invalid(
                "InvalidApprovalStages",
                "If approval is required, a valid list of stages must be provided.",
            ));
        }
        if a.stages.len() > max_stages {
            return Err(DomainError::invalid(
                "InvalidApprovalStages",
                format!("A policy can have at most {max_stages} approval stages."),
            ));
        }
        if self.allowed_target_scope == TargetScope::AllExternalUsers && !a.is_approval_required_for_add {
            // errors.md V3.
            return Err(DomainError::invalid(
                "AnyUserPolicyValidationError",
                "An access package policy with Any User option must have an approval configured.",
            ));
        }
        if self.allowed_target_scope == TargetScope::UnknownFutureValue {
            return Err(invalid("The value 'unknownFutureValue' is not valid for property 'allowedTargetScope'."));
        }
        if self.is_auto_assignment() {
            let has_rule =
                self.specific_allowed_targets.iter().any(|s| matches!(s.subject, Subject::AttributeRuleMembers { .. }));
            if self.allowed_target_scope != TargetScope::SpecificDirectoryUsers || !has_rule {
                return Err(invalid(
                    "An automatic assignment policy needs allowedTargetScope 'specificDirectoryUsers' and an attributeRuleMembers target.",
                ));
            }
        }
        match self.expiration.kind {
            ExpirationType::AfterDuration if self.expiration.duration.is_none_or(|d| d <= Span::zero()) => {
                return Err(invalid(
                    "The property 'expiration.duration' must be a positive duration when 'type' is 'afterDuration'.",
                ));
            }
            ExpirationType::AfterDateTime if self.expiration.end_date_time.is_none() => {
                return Err(invalid(
                    "The property 'expiration.endDateTime' is required when 'type' is 'afterDateTime'.",
                ));
            }
            _ => {}
        }
        for (i, s) in a.stages.iter().enumerate() {
            let negative = |d: Option<Span>| d.is_some_and(|d| d < Span::zero());
            if negative(s.duration_before_automatic_denial) || negative(s.duration_before_escalation) {
                return Err(invalid(format!("Approval stage {} has a negative duration.", i + 1)));
            }
            if s.quorum == Some(0) {
                return Err(invalid(format!("Approval stage {}: 'grantdQuorum' must be at least 1.", i + 1)));
            }
        }
        let mut ids: Vec<&str> = Vec::new();
        for q in &self.questions {
            if ids.contains(&q.id.as_str()) {
                return Err(invalid(format!("The question id '{}' is used twice.", q.id)));
            }
            ids.push(&q.id);
            if let QuestionKind::MultipleChoice { choices, .. } = &q.kind {
                if choices.is_empty() {
                    return Err(invalid("A multiple choice question needs at least one choice."));
                }
            }
        }
        Ok(())
    }

    /// An auto-assignment policy: the service itself requests access for matching targets
    /// (`automaticRequestSettings`), or targets are chosen by an attribute rule.
    pub fn is_auto_assignment(&self) -> bool {
        self.automatic_request_settings.as_ref().is_some_and(|a| a.request_access_for_allowed_targets)
            || self.specific_allowed_targets.iter().any(|s| matches!(s.subject, Subject::AttributeRuleMembers { .. }))
    }

    /// Targets may request access for themselves (`userAdd`).
    pub fn allows_self_add(&self) -> bool {
        let r = &self.requestor_settings;
        r.accept_requests
            && r.enable_targets_to_self_add_access
            && self.allowed_target_scope != TargetScope::NotSpecified
            && !self.is_auto_assignment()
    }
    /// Targets may extend or change their own assignment (`userUpdate`, beta `UserExtend`).
    pub fn allows_self_update(&self) -> bool {
        self.requestor_settings.enable_targets_to_self_update_access
    }
    /// Targets may remove their own assignment (`userRemove`).
    pub fn allows_self_remove(&self) -> bool {
        self.requestor_settings.enable_targets_to_self_remove_access
    }
    /// `onBehalfRequestors` may request for others.
    pub fn allows_on_behalf_add(&self) -> bool {
        let r = &self.requestor_settings;
        r.accept_requests && r.enable_on_behalf_requestors_to_add_access && !r.on_behalf_requestors.is_empty()
    }
    /// Approval is needed for an add (`update` false) or an update/extension (`update` true).
    pub fn requires_approval(&self, update: bool) -> bool {
        if update {
            self.approval.is_approval_required_for_update
        } else {
            self.approval.is_approval_required_for_add
        }
    }
    pub fn stages(&self) -> &[ApprovalStage] {
        &self.approval.stages
    }
    pub fn requires_justification(&self) -> bool {
        self.approval.is_requestor_justification_required
    }
    /// Questions in display order (`sequence`, then as given).
    pub fn questions_in_order(&self) -> Vec<&Question> {
        let mut qs: Vec<&Question> = self.questions.iter().collect();
        qs.sort_by_key(|q| q.sequence);
        qs
    }
    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id.eq_ignore_ascii_case(id))
    }

    /// When an assignment starting at `start` ends: the policy's expiration, or the requested
    /// one (only where the policy allows custom schedules) when that ends sooner. A requested
    /// expiry beyond the policy's is clamped to it (open question 7 is decided by the caller:
    /// compare with the policy's own end to reject instead). `None` = never.
    pub fn effective_expiration(&self, start: DateTime<Utc>, requested: Option<&Expiration>) -> Option<DateTime<Utc>> {
        let policy_end = self.expiration.end_from(start);
        let requested_end = match requested {
            Some(r) if self.requestor_settings.allow_custom_assignment_schedule => r.end_from(start),
            _ => None,
        };
        match (policy_end, requested_end) {
            (Some(p), Some(r)) => Some(p.min(r)),
            (p, r) => p.or(r),
        }
    }
}

/// Only Global and Identity Governance Administrators (signed-in users) may create or change an
/// auto-assignment policy (errors.md A7, seen for service principals and catalog owners).
pub fn may_set_auto_assignment(caller: &Caller) -> bool {
    caller.user_id().is_some()
        && caller.may_write_em()
        && caller
            .directory_roles
            .iter()
            .any(|r| matches!(r, DirectoryRole::GlobalAdministrator | DirectoryRole::IdentityGovernanceAdministrator))
}

/// The message Graph answers an unauthorised auto-assignment write with (errors.md A7).
pub const AUTO_ASSIGNMENT_MESSAGE: &str =
    "Only a Global admin or Identity governance admin can set an auto assignment policy.";

fn package_v1() -> &'static FieldCatalog {
    &crate::catalog::PACKAGE_V1
}
fn package_beta() -> &'static FieldCatalog {
    &crate::catalog::PACKAGE_BETA
}
fn catalog_v1() -> &'static FieldCatalog {
    &crate::catalog::CATALOG_V1
}
fn catalog_beta() -> &'static FieldCatalog {
    &crate::catalog::CATALOG_BETA
}

/// beta `requestorSettings.scopeType` literals and the stored `allowedTargetScope` they mean
/// (compat::SCOPE_TYPES as the pairs a field catalog needs).
const BETA_SCOPE_TYPES: &[(&str, &str)] = &[
    ("NoSubjects", "notSpecified"),
    ("SpecificDirectorySubjects", "specificDirectoryUsers"),
    ("SpecificConnectedOrganizationSubjects", "specificConnectedOrganizationUsers"),
    ("AllConfiguredConnectedOrganizationSubjects", "allConfiguredConnectedOrganizationUsers"),
    ("AllExistingConnectedOrganizationSubjects", "allConfiguredConnectedOrganizationUsers"),
    ("AllExistingDirectoryMemberUsers", "allMemberUsers"),
    ("AllExistingDirectorySubjects", "allDirectoryUsers"),
    ("AllExternalSubjects", "allExternalUsers"),
    ("SpecificDirectoryServicePrincipals", "specificDirectoryServicePrincipals"),
    ("AllDirectoryServicePrincipals", "allDirectoryServicePrincipals"),
    ("AllDirectoryAgentIdentities", "allDirectoryAgentIdentities"),
];

const POLICY_V1_FIELDS: &[Field] = &[
    field(&["id"], "id", FieldKind::Uuid, true),
    field(&["displayname"], "display_name", FieldKind::Text, true),
    nullable(&["description"], "description", FieldKind::Text, true),
    field(&["allowedtargetscope"], "allowed_target_scope", FieldKind::Enum(TargetScope::MEMBERS), true),
    field(&["accesspackage/id"], "access_package_id", FieldKind::Uuid, true),
    field(&["catalog/id", "accesspackage/catalog/id"], "catalog_id", FieldKind::Uuid, true),
    field(&["createddatetime"], "created_date_time", FieldKind::DateTime, true),
    field(&["modifieddatetime"], "modified_date_time", FieldKind::DateTime, true),
    field(&["expiration/type"], "expiration_type", FieldKind::Enum(ExpirationType::MEMBERS), true),
    nullable(&["expiration/duration"], "expiration_duration", FieldKind::Duration, true),
    nullable(&["expiration/enddatetime"], "expiration_end_date_time", FieldKind::DateTime, true),
    field(&["requestorsettings/enabletargetstoselfaddaccess"], "self_add", FieldKind::Bool, true),
    field(&["requestorsettings/enabletargetstoselfupdateaccess"], "self_update", FieldKind::Bool, true),
    field(&["requestorsettings/enabletargetstoselfremoveaccess"], "self_remove", FieldKind::Bool, true),
    field(&["requestorsettings/allowcustomassignmentschedule"], "custom_schedule", FieldKind::Bool, true),
    field(&["requestorsettings/enableonbehalfrequestorstoaddaccess"], "on_behalf_add", FieldKind::Bool, true),
    field(&["requestorsettings/enableonbehalfrequestorstoupdateaccess"], "on_behalf_update", FieldKind::Bool, true),
    field(&["requestorsettings/enableonbehalfrequestorstoremoveaccess"], "on_behalf_remove", FieldKind::Bool, true),
    field(&["requestapprovalsettings/isapprovalrequiredforadd"], "approval_for_add", FieldKind::Bool, true),
    field(&["requestapprovalsettings/isapprovalrequiredforupdate"], "approval_for_update", FieldKind::Bool, true),
    field(
        &["requestapprovalsettings/isrequestorjustificationrequired"],
        "justification_required",
        FieldKind::Bool,
        true,
    ),
    field(&["reviewsettings/isenabled"], "review_enabled", FieldKind::Bool, true),
    nullable(&["automaticrequestsettings/requestaccessforallowedtargets"], "auto_request", FieldKind::Bool, true),
    nullable(
        &["automaticrequestsettings/removeaccesswhentargetleavesallowedtargets"],
        "auto_remove",
        FieldKind::Bool,
        true,
    ),
    nullable(
        &["automaticrequestsettings/graceperiodbeforeaccessremoval"],
        "auto_grace_period",
        FieldKind::Duration,
        true,
    ),
    nav_one(&["accesspackage"], "access_package_id", "access_packages", package_v1),
    nav_one(&["catalog"], "catalog_id", "catalogs", catalog_v1),
    opaque(&[
        "questions",
        "customextensionstagesettings",
        "specificallowedtargets",
        "notificationsettings",
        "requestorsettings/onbehalfrequestors",
        "requestapprovalsettings/stages",
        "reviewsettings",
        "expiration",
        "requestorsettings",
        "requestapprovalsettings",
        "automaticrequestsettings",
    ]),
];
const POLICY_BETA_FIELDS: &[Field] = &[
    field(&["id"], "id", FieldKind::Uuid, true),
    field(&["displayname"], "display_name", FieldKind::Text, true),
    nullable(&["description"], "description", FieldKind::Text, true),
    field(&["accesspackageid", "accesspackage/id"], "access_package_id", FieldKind::Uuid, true),
    field(&["accesspackagecatalog/id", "accesspackage/accesspackagecatalog/id"], "catalog_id", FieldKind::Uuid, true),
    nullable(&["createdby"], "created_by", FieldKind::Text, true),
    nullable(&["modifiedby"], "modified_by", FieldKind::Text, true),
    field(&["createddatetime"], "created_date_time", FieldKind::DateTime, true),
    field(&["modifieddatetime"], "modified_date_time", FieldKind::DateTime, true),
    field(&["canextend"], "self_update", FieldKind::Bool, true),
    field(&["durationindays"], "duration_in_days", FieldKind::Int, true),
    nullable(&["expirationdatetime"], "expiration_end_date_time", FieldKind::DateTime, true),
    field(&["requestorsettings/acceptrequests"], "accept_requests", FieldKind::Bool, true),
    field(&["requestorsettings/scopetype"], "allowed_target_scope", FieldKind::Enum(BETA_SCOPE_TYPES), true),
    field(&["requestapprovalsettings/isapprovalrequired"], "approval_for_add", FieldKind::Bool, true),
    field(&["requestapprovalsettings/isapprovalrequiredforextension"], "approval_for_update", FieldKind::Bool, true),
    field(
        &["requestapprovalsettings/isrequestorjustificationrequired"],
        "justification_required",
        FieldKind::Bool,
        true,
    ),
    field(&["accessreviewsettings/isenabled"], "review_enabled", FieldKind::Bool, true),
    nav_one(&["accesspackage"], "access_package_id", "access_packages", package_beta),
    nav_one(&["accesspackagecatalog"], "catalog_id", "catalogs", catalog_beta),
    opaque(&[
        "questions",
        "customextensionstagesettings",
        "customextensionhandlers",
        "verifiablecredentialsettings",
        "requestorsettings/allowedrequestors",
        "requestapprovalsettings/approvalstages",
        "requestapprovalsettings/approvalmode",
        "accessreviewsettings",
        "requestorsettings",
        "requestapprovalsettings",
    ]),
];
pub const POLICY_V1: FieldCatalog = FieldCatalog {
    entity: "microsoft.graph.accessPackageAssignmentPolicy",
    fields: POLICY_V1_FIELDS,
    relations: &[],
    default_order: &[],
};
pub const POLICY_BETA: FieldCatalog = FieldCatalog { fields: POLICY_BETA_FIELDS, ..POLICY_V1 };

#[cfg(test)]
mod tests;
