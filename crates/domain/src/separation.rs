//! Separation of duties: an access package's `incompatibleAccessPackages` and
//! `incompatibleGroups`, stored as one row per pair, and the pure check that refuses an add
//! request whose target already holds (or is asking for) conflicting access. Incompatibility
//! is enforced both ways: when package A lists B, holders of B may not get A and holders of A
//! may not get B (docs/policies.md). No I/O here: the service gathers the facts.
use crate::error::DomainError;
use crate::ids::{AccessPackageId, ObjectId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a package is declared incompatible with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum IncompatibleKind {
    AccessPackage,
    Group,
}

impl IncompatibleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IncompatibleKind::AccessPackage => "accessPackage",
            IncompatibleKind::Group => "group",
        }
    }
}

/// One entry of a package's incompatibility lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Incompatibility {
    pub id: Uuid,
    pub access_package_id: AccessPackageId,
    pub kind: IncompatibleKind,
    /// The incompatible access package or group.
    pub incompatible_id: Uuid,
    pub created_date_time: DateTime<Utc>,
}

impl Incompatibility {
    pub fn new(
        access_package_id: AccessPackageId,
        kind: IncompatibleKind,
        incompatible_id: Uuid,
        now: DateTime<Utc>,
    ) -> Self {
        Incompatibility { id: Uuid::now_v7(), access_package_id, kind, incompatible_id, created_date_time: now }
    }
}

/// A package the target already has something to do with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldPackage {
    pub id: AccessPackageId,
    pub display_name: String,
    /// true: an active assignment; false: an open request.
    pub assigned: bool,
}

/// What the check needs about one add request.
#[derive(Debug, Clone)]
pub struct ConflictFacts<'a> {
    pub package: AccessPackageId,
    /// The package's own incompatibility rows.
    pub incompatibilities: &'a [Incompatibility],
    /// Packages that list this package as incompatible (`accessPackagesIncompatibleWith`).
    pub incompatible_with: &'a [AccessPackageId],
    /// The target's packages: active assignments and open requests (other packages).
    pub held: &'a [HeldPackage],
    /// The groups the target is a member of.
    pub groups: &'a [ObjectId],
    /// Display names of the incompatible groups, for the message (id as fallback).
    pub group_names: &'a [(ObjectId, String)],
}

/// Refuses the request when the target holds or has asked for an incompatible package, or is a
/// member of an incompatible group. Applies to administrators too.
pub fn check_conflicts(f: &ConflictFacts<'_>) -> Result<(), DomainError> {
    let conflicting_package = |p: AccessPackageId| {
        p != f.package
            && (f.incompatible_with.contains(&p)
                || f.incompatibilities
                    .iter()
                    .any(|i| i.kind == IncompatibleKind::AccessPackage && i.incompatible_id == p.0))
    };
    // Held assignments first: they are the stronger reason.
    let mut held: Vec<&HeldPackage> = f.held.iter().filter(|h| conflicting_package(h.id)).collect();
    held.sort_by_key(|h| !h.assigned);
    if let Some(h) = held.first() {
        let how = if h.assigned { "holds an assignment of" } else { "has a pending request for" };
        return Err(DomainError::conflict(
            "IncompatibleAccessPackage",
            format!(
                "The target {how} the incompatible access package '{}' ({}); separation of duties forbids this access package.",
                h.display_name, h.id
            ),
        ));
    }
    for i in f.incompatibilities.iter().filter(|i| i.kind == IncompatibleKind::Group) {
        if f.groups.iter().any(|g| g.0 == i.incompatible_id) {
            let name = f
                .group_names
                .iter()
                .find(|(g, _)| g.0 == i.incompatible_id)
                .map(|(_, n)| n.clone())
                .unwrap_or_else(|| i.incompatible_id.to_string());
            return Err(DomainError::conflict(
                "IncompatibleGroup",
                format!(
                    "The target is a member of the incompatible group '{name}' ({}); separation of duties forbids this access package.",
                    i.incompatible_id
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(
        inc: &'a [Incompatibility],
        with: &'a [AccessPackageId],
        held: &'a [HeldPackage],
        groups: &'a [ObjectId],
        me: AccessPackageId,
    ) -> ConflictFacts<'a> {
        ConflictFacts { package: me, incompatibilities: inc, incompatible_with: with, held, groups, group_names: &[] }
    }

    #[test]
    fn conflicts_are_found_both_ways_and_for_groups() {
        let now = Utc::now();
        let (me, other, third) = (AccessPackageId::new(), AccessPackageId::new(), AccessPackageId::new());
        let g = ObjectId::new();
        let inc = vec![
            Incompatibility::new(me, IncompatibleKind::AccessPackage, other.0, now),
            Incompatibility::new(me, IncompatibleKind::Group, g.0, now),
        ];
        let held_other = [HeldPackage { id: other, display_name: "Other".into(), assigned: true }];
        let pending_third = [HeldPackage { id: third, display_name: "Third".into(), assigned: false }];
        let e = check_conflicts(&facts(&inc, &[], &held_other, &[], me)).unwrap_err();
        assert!(e.to_string().contains("holds an assignment of the incompatible access package 'Other'"), "{e}");
        // Third lists me: a pending request for Third conflicts too.
        let e = check_conflicts(&facts(&[], &[third], &pending_third, &[], me)).unwrap_err();
        assert!(e.to_string().contains("has a pending request for"), "{e}");
        let e = check_conflicts(&facts(&inc, &[], &[], &[g], me)).unwrap_err();
        assert!(e.to_string().contains("member of the incompatible group"), "{e}");
        assert!(check_conflicts(&facts(&inc, &[], &pending_third, &[ObjectId::new()], me)).is_ok());
    }
}
