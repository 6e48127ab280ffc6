//! Which of a package's policies a user may request through for themselves, in Graph's
//! priority order: policies naming specific users or groups first, then all member users,
//! then all users, then connected organizations and external users (`getApplicablePolicyRequirements`
//! and `filterByCurrentUser(on='allowedRequestor')`). Pure: the caller's facts come from the service.
use super::validation::{target_in_scope, TargetFacts};
use crate::policy::{Policy, TargetScope};

/// Priority of a policy's allowed-target scope (lower first).
pub fn scope_rank(p: &Policy) -> u8 {
    match p.allowed_target_scope {
        TargetScope::SpecificDirectoryUsers => 0,
        TargetScope::AllMemberUsers => 1,
        TargetScope::AllDirectoryUsers => 2,
        TargetScope::SpecificConnectedOrganizationUsers => 3,
        TargetScope::AllConfiguredConnectedOrganizationUsers => 4,
        TargetScope::AllExternalUsers => 5,
        _ => 6,
    }
}

/// The policies through which `user` may ask for access for themselves (`userAdd`), in
/// priority order; ties keep creation order.
pub fn applicable_policies<'p>(policies: &'p [Policy], user: &TargetFacts) -> Vec<&'p Policy> {
    let mut out: Vec<&Policy> = policies.iter().filter(|p| p.allows_self_add() && target_in_scope(p, user)).collect();
    out.sort_by_key(|p| (scope_rank(p), p.created_date_time, p.id.0));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{AccessPackageId, CatalogId, ObjectId, PolicyId};
    use crate::policy::{Subject, SubjectSet};
    use chrono::{Duration, Utc};

    fn policy(scope: TargetScope, minutes: i64) -> Policy {
        let mut p = Policy::new(
            PolicyId::new(),
            AccessPackageId::new(),
            CatalogId::new(),
            Utc::now() + Duration::minutes(minutes),
            None,
        );
        p.display_name = format!("{scope:?}");
        p.allowed_target_scope = scope;
        p.requestor_settings.enable_targets_to_self_add_access = true;
        p
    }

    #[test]
    fn applicable_policies_come_in_priority_order() {
        let me = ObjectId::new();
        let group = ObjectId::new();
        let mut specific = policy(TargetScope::SpecificDirectoryUsers, 3);
        specific.specific_allowed_targets =
            vec![SubjectSet::new(Subject::GroupMembers { group_id: group.to_string(), description: None })];
        let mut not_accepting = policy(TargetScope::AllMemberUsers, 0);
        not_accepting.requestor_settings.accept_requests = false;
        let all = [
            policy(TargetScope::AllExternalUsers, 0),
            policy(TargetScope::AllDirectoryUsers, 1),
            policy(TargetScope::AllMemberUsers, 2),
            specific,
            not_accepting,
            policy(TargetScope::NotSpecified, 0),
        ];
        let member = TargetFacts {
            id: me,
            is_member: true,
            group_ids: vec![group],
            manager_id: None,
            connected_organization: None,
        };
        let names: Vec<TargetScope> =
            applicable_policies(&all, &member).iter().map(|p| p.allowed_target_scope).collect();
        assert_eq!(
            names,
            vec![TargetScope::SpecificDirectoryUsers, TargetScope::AllMemberUsers, TargetScope::AllDirectoryUsers]
        );
        let guest = TargetFacts { is_member: false, group_ids: vec![], ..member };
        let names: Vec<TargetScope> =
            applicable_policies(&all, &guest).iter().map(|p| p.allowed_target_scope).collect();
        assert_eq!(names, vec![TargetScope::AllDirectoryUsers, TargetScope::AllExternalUsers]);
    }
}
