//! Catalogs and access packages: the containers that policies, resources and assignments hang
//! off. Stored in a version-neutral form; each API version renders its own names
//! (v1.0 `state`, beta `catalogStatus`; v1.0 `catalog`, beta `catalogId`/`accessPackageCatalog`).
use crate::error::DomainError;
use crate::fields::{field, nav_many, nav_one, nullable, opaque, Field, FieldCatalog, FieldKind};
use crate::ids::{AccessPackageId, CatalogId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Stored values are the v1.0 enum members (camelCase); beta renders PascalCase strings.
pub const CATALOG_TYPES: &[(&str, &str)] =
    &[("userManaged", "userManaged"), ("serviceDefault", "serviceDefault"), ("serviceManaged", "serviceManaged")];
pub const CATALOG_STATES: &[(&str, &str)] = &[("published", "published"), ("unpublished", "unpublished")];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Catalog {
    pub id: CatalogId,
    pub display_name: String,
    pub description: Option<String>,
    /// `userManaged`, `serviceDefault`, `serviceManaged`.
    pub catalog_type: String,
    /// `published` or `unpublished`.
    pub state: String,
    pub is_externally_visible: bool,
    /// UPN (or app id) of the creator.
    pub created_by: Option<String>,
    pub modified_by: Option<String>,
    pub created_date_time: DateTime<Utc>,
    pub modified_date_time: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessPackage {
    pub id: AccessPackageId,
    pub catalog_id: CatalogId,
    pub display_name: String,
    pub description: Option<String>,
    pub is_hidden: bool,
    /// beta `isRoleScopesVisible`.
    pub is_role_scopes_visible: bool,
    pub created_by: Option<String>,
    pub modified_by: Option<String>,
    pub created_date_time: DateTime<Utc>,
    pub modified_date_time: DateTime<Utc>,
}

/// Matches a wire enum literal case-insensitively against `(accepted, stored)` pairs.
pub fn enum_value(members: &[(&str, &'static str)], property: &str, v: &str) -> Result<&'static str, DomainError> {
    members.iter().find(|(w, _)| w.eq_ignore_ascii_case(v)).map(|(_, s)| *s).ok_or_else(|| {
        DomainError::invalid("InvalidModel", format!("The value '{v}' is not valid for property '{property}'."))
    })
}

/// PascalCase form of a stored camelCase value, for beta's string-typed properties.
pub fn pascal(v: &str) -> String {
    let mut c = v.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

pub fn check_name(property: &str, v: &str) -> Result<(), DomainError> {
    if v.trim().is_empty() {
        return Err(DomainError::invalid("InvalidModel", format!("The property '{property}' must not be empty.")));
    }
    if v.chars().count() > 256 {
        return Err(DomainError::invalid(
            "InvalidModel",
            format!("The property '{property}' is longer than 256 characters."),
        ));
    }
    Ok(())
}

fn catalog_v1() -> &'static FieldCatalog {
    &CATALOG_V1
}
fn catalog_beta() -> &'static FieldCatalog {
    &CATALOG_BETA
}
fn package_v1() -> &'static FieldCatalog {
    &PACKAGE_V1
}
fn package_beta() -> &'static FieldCatalog {
    &PACKAGE_BETA
}
fn policy_v1() -> &'static FieldCatalog {
    &crate::policy::POLICY_V1
}
fn policy_beta() -> &'static FieldCatalog {
    &crate::policy::POLICY_BETA
}
fn resource_v1() -> &'static FieldCatalog {
    &crate::resource::RESOURCE_V1
}
fn resource_beta() -> &'static FieldCatalog {
    &crate::resource::RESOURCE_BETA
}
fn role_v1() -> &'static FieldCatalog {
    &crate::resource::ROLE_V1
}
fn role_beta() -> &'static FieldCatalog {
    &crate::resource::ROLE_BETA
}
fn scope_v1() -> &'static FieldCatalog {
    &crate::resource::SCOPE_V1
}
fn scope_beta() -> &'static FieldCatalog {
    &crate::resource::SCOPE_BETA
}
fn role_scope_v1() -> &'static FieldCatalog {
    &crate::resource::ROLE_SCOPE_V1
}
fn role_scope_beta() -> &'static FieldCatalog {
    &crate::resource::ROLE_SCOPE_BETA
}

const CATALOG_V1_FIELDS: &[Field] = &[
    field(&["id"], "id", FieldKind::Uuid, true),
    field(&["displayname"], "display_name", FieldKind::Text, true),
    nullable(&["description"], "description", FieldKind::Text, true),
    field(&["catalogtype"], "catalog_type", FieldKind::Enum(CATALOG_TYPES), true),
    field(&["state"], "state", FieldKind::Enum(CATALOG_STATES), true),
    field(&["isexternallyvisible"], "is_externally_visible", FieldKind::Bool, true),
    field(&["createddatetime"], "created_date_time", FieldKind::DateTime, true),
    field(&["modifieddatetime"], "modified_date_time", FieldKind::DateTime, true),
    nav_many(&["accesspackages"], "access_packages", "catalog_id", package_v1),
    nav_many(&["resources"], "resources", "catalog_id", resource_v1),
    nav_many(&["resourceroles"], "resource_roles", "catalog_id", role_v1),
    nav_many(&["resourcescopes"], "resource_scopes", "catalog_id", scope_v1),
    opaque(&["customworkflowextensions"]),
];
const CATALOG_BETA_FIELDS: &[Field] = &[
    field(&["id"], "id", FieldKind::Uuid, true),
    field(&["displayname"], "display_name", FieldKind::Text, true),
    nullable(&["description"], "description", FieldKind::Text, true),
    field(&["catalogtype"], "catalog_type", FieldKind::Enum(CATALOG_TYPES), true),
    field(&["catalogstatus"], "state", FieldKind::Enum(CATALOG_STATES), true),
    field(&["isexternallyvisible"], "is_externally_visible", FieldKind::Bool, true),
    nullable(&["createdby"], "created_by", FieldKind::Text, true),
    nullable(&["modifiedby"], "modified_by", FieldKind::Text, true),
    field(&["createddatetime"], "created_date_time", FieldKind::DateTime, true),
    field(&["modifieddatetime"], "modified_date_time", FieldKind::DateTime, true),
    nav_many(&["accesspackages"], "access_packages", "catalog_id", package_beta),
    nav_many(&["accesspackageresources"], "resources", "catalog_id", resource_beta),
    nav_many(&["accesspackageresourceroles"], "resource_roles", "catalog_id", role_beta),
    nav_many(&["accesspackageresourcescopes"], "resource_scopes", "catalog_id", scope_beta),
    opaque(&["accesspackagecustomworkflowextensions", "customaccesspackageworkflowextensions"]),
];
pub const CATALOG_V1: FieldCatalog = FieldCatalog {
    entity: "microsoft.graph.accessPackageCatalog",
    fields: CATALOG_V1_FIELDS,
    relations: &[],
    default_order: &[],
};
pub const CATALOG_BETA: FieldCatalog = FieldCatalog { fields: CATALOG_BETA_FIELDS, ..CATALOG_V1 };

const PACKAGE_V1_FIELDS: &[Field] = &[
    field(&["id"], "id", FieldKind::Uuid, true),
    field(&["displayname"], "display_name", FieldKind::Text, true),
    nullable(&["description"], "description", FieldKind::Text, true),
    field(&["ishidden"], "is_hidden", FieldKind::Bool, true),
    field(&["catalog/id"], "catalog_id", FieldKind::Uuid, true),
    field(&["createddatetime"], "created_date_time", FieldKind::DateTime, true),
    field(&["modifieddatetime"], "modified_date_time", FieldKind::DateTime, true),
    nav_one(&["catalog"], "catalog_id", "catalogs", catalog_v1),
    nav_many(&["assignmentpolicies"], "assignment_policies", "access_package_id", policy_v1),
    nav_many(&["resourcerolescopes"], "resource_role_scopes", "access_package_id", role_scope_v1),
    opaque(&["incompatibleaccesspackages", "incompatiblegroups", "accesspackagesincompatiblewith"]),
];
const PACKAGE_BETA_FIELDS: &[Field] = &[
    field(&["id"], "id", FieldKind::Uuid, true),
    field(&["displayname"], "display_name", FieldKind::Text, true),
    nullable(&["description"], "description", FieldKind::Text, true),
    field(&["ishidden"], "is_hidden", FieldKind::Bool, true),
    field(&["isrolescopesvisible"], "is_role_scopes_visible", FieldKind::Bool, true),
    field(&["catalogid", "accesspackagecatalog/id"], "catalog_id", FieldKind::Uuid, true),
    nullable(&["createdby"], "created_by", FieldKind::Text, true),
    nullable(&["modifiedby"], "modified_by", FieldKind::Text, true),
    field(&["createddatetime"], "created_date_time", FieldKind::DateTime, true),
    field(&["modifieddatetime"], "modified_date_time", FieldKind::DateTime, true),
    nav_one(&["accesspackagecatalog"], "catalog_id", "catalogs", catalog_beta),
    nav_many(&["accesspackageassignmentpolicies"], "assignment_policies", "access_package_id", policy_beta),
    nav_many(&["accesspackageresourcerolescopes"], "resource_role_scopes", "access_package_id", role_scope_beta),
    opaque(&["incompatibleaccesspackages", "incompatiblegroups", "accesspackagesincompatiblewith"]),
];
pub const PACKAGE_V1: FieldCatalog = FieldCatalog {
    entity: "microsoft.graph.accessPackage",
    fields: PACKAGE_V1_FIELDS,
    relations: &[],
    default_order: &[],
};
pub const PACKAGE_BETA: FieldCatalog = FieldCatalog { fields: PACKAGE_BETA_FIELDS, ..PACKAGE_V1 };

/// `$search` on packages and catalogs: (wire name, column).
pub const SEARCHABLE: &[(&str, &str)] = &[("displayName", "display_name"), ("description", "description")];
