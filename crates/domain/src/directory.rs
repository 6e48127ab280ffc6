//! The directory: users and groups, the subjects, approvers and delivery targets that
//! entitlement management points at. Shapes follow Graph's `user` and `group` (subset).
use crate::error::DomainError;
use crate::fields::{field, nav_many, nav_one, nullable, opaque, Field, FieldCatalog, FieldKind, Relation};
use crate::ids::ObjectId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: ObjectId,
    pub display_name: String,
    pub user_principal_name: String,
    pub mail: Option<String>,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub job_title: Option<String>,
    pub department: Option<String>,
    pub account_enabled: bool,
    /// `Member` or `Guest`.
    pub user_type: String,
    pub manager_id: Option<ObjectId>,
    #[serde(default)]
    pub sponsor_ids: Vec<ObjectId>,
    pub created_date_time: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    pub id: ObjectId,
    pub display_name: String,
    pub description: Option<String>,
    pub mail_nickname: String,
    pub mail: Option<String>,
    pub mail_enabled: bool,
    pub security_enabled: bool,
    #[serde(default)]
    pub group_types: Vec<String>,
    pub created_date_time: DateTime<Utc>,
}

/// Checks the rules Graph applies to a user principal name: `alias@domain`, no spaces.
pub fn check_upn(upn: &str) -> Result<(), DomainError> {
    let ok = upn.len() <= 113
        && !upn.chars().any(char::is_whitespace)
        && matches!(upn.split_once('@'), Some((a, d)) if !a.is_empty() && !d.is_empty() && !d.contains('@'));
    if ok {
        Ok(())
    } else {
        Err(DomainError::invalid(
            "Request_BadRequest",
            format!("Property userPrincipalName has an invalid value: '{upn}'."),
        ))
    }
}

pub fn check_display_name(name: &str) -> Result<(), DomainError> {
    if name.trim().is_empty() || name.chars().count() > 256 {
        return Err(DomainError::invalid(
            "Request_BadRequest",
            "Invalid value specified for property 'displayName' of resource 'directoryObject'.",
        ));
    }
    Ok(())
}

fn user_catalog() -> &'static FieldCatalog {
    &USER_CATALOG
}
fn member_catalog() -> &'static FieldCatalog {
    &MEMBER_CATALOG
}

const USER_FIELDS: &[Field] = &[
    field(&["id"], "id", FieldKind::Uuid, true),
    field(&["displayname"], "display_name", FieldKind::Text, true),
    field(&["userprincipalname"], "user_principal_name", FieldKind::Text, true),
    nullable(&["mail"], "mail", FieldKind::Text, true),
    nullable(&["givenname"], "given_name", FieldKind::Text, true),
    nullable(&["surname"], "surname", FieldKind::Text, true),
    nullable(&["jobtitle"], "job_title", FieldKind::Text, true),
    nullable(&["department"], "department", FieldKind::Text, true),
    field(&["usertype"], "user_type", FieldKind::Text, true),
    field(&["accountenabled"], "account_enabled", FieldKind::Bool, true),
    field(&["createddatetime"], "created_date_time", FieldKind::DateTime, true),
    nullable(&["manager/id"], "manager_id", FieldKind::Uuid, true),
    nav_one(&["manager"], "manager_id", "users", user_catalog),
    opaque(&["sponsors"]),
];

pub const USER_CATALOG: FieldCatalog =
    FieldCatalog { entity: "microsoft.graph.user", fields: USER_FIELDS, relations: &[], default_order: &[] };

const GROUP_FIELDS: &[Field] = &[
    field(&["id"], "id", FieldKind::Uuid, true),
    field(&["displayname"], "display_name", FieldKind::Text, true),
    nullable(&["description"], "description", FieldKind::Text, true),
    field(&["mailnickname"], "mail_nickname", FieldKind::Text, true),
    nullable(&["mail"], "mail", FieldKind::Text, true),
    field(&["securityenabled"], "security_enabled", FieldKind::Bool, true),
    field(&["mailenabled"], "mail_enabled", FieldKind::Bool, true),
    field(&["createddatetime"], "created_date_time", FieldKind::DateTime, true),
    nav_many(&["members"], "group_members", "group_id", member_catalog),
    opaque(&["grouptypes"]),
];

pub const GROUP_CATALOG: FieldCatalog = FieldCatalog {
    entity: "microsoft.graph.group",
    fields: GROUP_FIELDS,
    relations: &[Relation { path: "members", relation: "group_members", kind: FieldKind::Uuid }],
    default_order: &[],
};

/// A group member seen from `members/any(m: m/id eq ...)`: only its id (the membership table).
const MEMBER_FIELDS: &[Field] = &[field(&["id"], "member_id", FieldKind::Uuid, true)];
const MEMBER_CATALOG: FieldCatalog = FieldCatalog {
    entity: "microsoft.graph.directoryObject",
    fields: MEMBER_FIELDS,
    relations: &[],
    default_order: &[],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upn_rules() {
        assert!(check_upn("adele@contoso.com").is_ok());
        assert!(check_upn("adele contoso.com").is_err());
        assert!(check_upn("@contoso.com").is_err());
        assert!(check_upn("a@b@c").is_err());
        assert!(check_upn("a @b").is_err());
    }
}
