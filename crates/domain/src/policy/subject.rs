//! Subject sets: who a policy names as allowed targets, requestors, approvers and reviewers.
//! v1.0 calls the abstract type `subjectSet`, beta `userSet` (with `isBackup`); the derived
//! types share their `@odata.type` names, so one enum with a payload per kind holds both.
//! Id properties differ (v1.0 `userId`/`groupId`/`connectedOrganizationId`, beta `id`): the
//! wire modules map them; here they are plain strings as Graph declares them.
use serde::{Deserialize, Serialize};

/// One kind of subject set with its own properties.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Subject {
    /// `singleUser`: one user.
    SingleUser { user_id: String, description: Option<String> },
    /// `groupMembers`: the members of a group.
    GroupMembers { group_id: String, description: Option<String> },
    /// `connectedOrganizationMembers`: users of one connected organization.
    ConnectedOrganizationMembers { connected_organization_id: String, description: Option<String> },
    /// `requestorManager`: the requestor's manager (`managerLevel` 1 = direct manager).
    RequestorManager { manager_level: Option<i32> },
    /// `targetManager`: the target's manager (on-behalf-of requestors).
    TargetManager { manager_level: Option<i32> },
    /// `internalSponsors` of the connected organization.
    InternalSponsors,
    /// `externalSponsors` of the connected organization.
    ExternalSponsors,
    /// `targetUserSponsors`: the target user's sponsors.
    TargetUserSponsors,
    /// `targetApplicationOwners`.
    TargetApplicationOwners,
    /// `targetAgentIdentitySponsorsOrOwners`.
    TargetAgentIdentitySponsorsOrOwners,
    /// `attributeRuleMembers`: users matching a dynamic-group style rule (auto-assignment).
    AttributeRuleMembers { membership_rule: String, description: Option<String> },
    /// `singleServicePrincipal`.
    SingleServicePrincipal { service_principal_id: String, description: Option<String> },
    /// `ruleBasedSubjectSet`.
    RuleBased { rule: String },
}

impl Subject {
    /// The derived type name, as in `#microsoft.graph.{name}`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Subject::SingleUser { .. } => "singleUser",
            Subject::GroupMembers { .. } => "groupMembers",
            Subject::ConnectedOrganizationMembers { .. } => "connectedOrganizationMembers",
            Subject::RequestorManager { .. } => "requestorManager",
            Subject::TargetManager { .. } => "targetManager",
            Subject::InternalSponsors => "internalSponsors",
            Subject::ExternalSponsors => "externalSponsors",
            Subject::TargetUserSponsors => "targetUserSponsors",
            Subject::TargetApplicationOwners => "targetApplicationOwners",
            Subject::TargetAgentIdentitySponsorsOrOwners => "targetAgentIdentitySponsorsOrOwners",
            Subject::AttributeRuleMembers { .. } => "attributeRuleMembers",
            Subject::SingleServicePrincipal { .. } => "singleServicePrincipal",
            Subject::RuleBased { .. } => "ruleBasedSubjectSet",
        }
    }
}

/// A subject set as it sits in a list. `is_backup` is beta's `userSet.isBackup`; v1.0 keeps
/// backups in separate `fallback*` lists instead, so canonical lists carry it only where a
/// beta client put it on a list that has no v1.0 fallback counterpart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubjectSet {
    pub subject: Subject,
    #[serde(default)]
    pub is_backup: bool,
}

impl SubjectSet {
    pub fn new(subject: Subject) -> Self {
        SubjectSet { subject, is_backup: false }
    }
    pub fn backup(subject: Subject) -> Self {
        SubjectSet { subject, is_backup: true }
    }
}

/// Splits a beta list into (primary, backup) by `isBackup`, clearing the flag.
pub fn split_backups(list: Vec<SubjectSet>) -> (Vec<SubjectSet>, Vec<SubjectSet>) {
    let (backup, primary): (Vec<_>, Vec<_>) = list.into_iter().partition(|s| s.is_backup);
    let clear = |v: Vec<SubjectSet>| v.into_iter().map(|s| SubjectSet::new(s.subject)).collect();
    (clear(primary), clear(backup))
}

/// Joins primary and backup lists into one beta list, backups flagged.
pub fn join_backups(primary: &[SubjectSet], backup: &[SubjectSet]) -> Vec<SubjectSet> {
    primary
        .iter()
        .map(|s| SubjectSet::new(s.subject.clone()))
        .chain(backup.iter().map(|s| SubjectSet::backup(s.subject.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backups_split_and_join_round_trip() {
        let a = Subject::SingleUser { user_id: "a".into(), description: None };
        let b = Subject::GroupMembers { group_id: "b".into(), description: Some("G".into()) };
        let beta = vec![SubjectSet::new(a.clone()), SubjectSet::backup(b.clone())];
        let (p, f) = split_backups(beta.clone());
        assert_eq!(p, vec![SubjectSet::new(a)]);
        assert_eq!(f, vec![SubjectSet::new(b)]);
        assert_eq!(join_backups(&p, &f), beta);
    }

    #[test]
    fn every_kind_names_its_odata_type() {
        assert_eq!(Subject::RuleBased { rule: "x".into() }.type_name(), "ruleBasedSubjectSet");
        assert_eq!(Subject::InternalSponsors.type_name(), "internalSponsors");
    }
}
