//! Id newtypes. Every id in grantd is a UUID (Graph uses GUIDs for all entitlement objects and
//! directory objects); new ids are v7 so that indexes and keyset cursors stay ordered.
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($($name:ident),* $(,)?) => {$(
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self { Self(Uuid::now_v7()) }
            pub fn as_uuid(&self) -> Uuid { self.0 }
        }
        impl Default for $name { fn default() -> Self { Self::new() } }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { self.0.fmt(f) }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> { Uuid::parse_str(s).map(Self) }
        }
        impl From<Uuid> for $name { fn from(u: Uuid) -> Self { Self(u) } }
    )*};
}

id_type!(
    TenantId,
    ObjectId,
    CatalogId,
    AccessPackageId,
    PolicyId,
    ResourceId,
    ResourceRoleId,
    ResourceScopeId,
    RoleScopeId,
    ResourceRequestId,
    RoleAssignmentId,
    AssignmentId,
    AssignmentRequestId,
    ApprovalStageId,
    CustomExtensionId,
);

/// Parses a Graph path or body id: a GUID in any case, with or without braces.
pub fn parse_guid(s: &str) -> Option<Uuid> {
    let t = s.trim();
    let t = t.strip_prefix('{').and_then(|x| x.strip_suffix('}')).unwrap_or(t);
    if t.len() != 36 {
        return None;
    }
    Uuid::parse_str(t).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_parse_in_any_case_and_braces() {
        let u = "5A1D0F39-2D4D-4A85-9C1B-3C5E0B6D2E11";
        assert!(parse_guid(u).is_some());
        assert!(parse_guid(&format!("{{{u}}}")).is_some());
        assert!(parse_guid("5a1d0f392d4d4a859c1b3c5e0b6d2e11").is_none());
        assert!(parse_guid("not-a-guid").is_none());
    }
}
