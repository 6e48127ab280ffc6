//! Catalogs and access packages: the containers that policies, resources and assignments hang
//! off. Stored in a version-neutral form; each API version renders its own names
//! (v1.0 `state`, beta `catalogStatus`; v1.0 `catalog`, beta `catalogId`/`accessPackageCatalog`).
use crate::error::DomainError;
use crate::fields::{field, Field, FieldCatalog, FieldKind};
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
    #[serde(default)]
    pub incompatible_access_package_ids: Vec<AccessPackageId>,
    #[serde(default)]
    pub incompatible_group_ids: Vec<crate::ids::ObjectId>,
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

const CATALOG_V1_FIELDS: &[Field] = &[
    field(&["id"], "id", FieldKind::Uuid, false),
    field(&["displayname"], "display_name", FieldKind::Text, true),
    field(&["description"], "description", FieldKind::Text, false),
    field(&["catalogtype"], "catalog_type", FieldKind::Enum(CATALOG_TYPES), true),
    field(&["state"], "state", FieldKind::Enum(CATALOG_STATES), true),
    field(&["isexternallyvisible"], "is_externally_visible", FieldKind::Bool, false),
    field(&["createddatetime"], "created_date_time", FieldKind::DateTime, true),
    field(&["modifieddatetime"], "modified_date_time", FieldKind::DateTime, true),
];
const CATALOG_BETA_FIELDS: &[Field] = &[
    field(&["id"], "id", FieldKind::Uuid, false),
    field(&["displayname"], "display_name", FieldKind::Text, true),
    field(&["description"], "description", FieldKind::Text, false),
    field(&["catalogtype"], "catalog_type", FieldKind::Enum(CATALOG_TYPES), true),
    field(&["catalogstatus"], "state", FieldKind::Enum(CATALOG_STATES), true),
    field(&["isexternallyvisible"], "is_externally_visible", FieldKind::Bool, false),
    field(&["createddatetime"], "created_date_time", FieldKind::DateTime, true),
    field(&["modifieddatetime"], "modified_date_time", FieldKind::DateTime, true),
];
pub const CATALOG_V1: FieldCatalog = FieldCatalog {
    entity: "microsoft.graph.accessPackageCatalog",
    fields: CATALOG_V1_FIELDS,
    relations: &[],
    default_order: &[],
};
pub const CATALOG_BETA: FieldCatalog = FieldCatalog { fields: CATALOG_BETA_FIELDS, ..CATALOG_V1 };

const PACKAGE_V1_FIELDS: &[Field] = &[
    field(&["id"], "id", FieldKind::Uuid, false),
    field(&["displayname"], "display_name", FieldKind::Text, true),
    field(&["description"], "description", FieldKind::Text, false),
    field(&["ishidden"], "is_hidden", FieldKind::Bool, false),
    field(&["catalog/id"], "catalog_id", FieldKind::Uuid, false),
    field(&["createddatetime"], "created_date_time", FieldKind::DateTime, true),
    field(&["modifieddatetime"], "modified_date_time", FieldKind::DateTime, true),
];
const PACKAGE_BETA_FIELDS: &[Field] = &[
    field(&["id"], "id", FieldKind::Uuid, false),
    field(&["displayname"], "display_name", FieldKind::Text, true),
    field(&["description"], "description", FieldKind::Text, false),
    field(&["ishidden"], "is_hidden", FieldKind::Bool, false),
    field(&["catalogid", "accesspackagecatalog/id"], "catalog_id", FieldKind::Uuid, false),
    field(&["createddatetime"], "created_date_time", FieldKind::DateTime, true),
    field(&["modifieddatetime"], "modified_date_time", FieldKind::DateTime, true),
];
pub const PACKAGE_V1: FieldCatalog = FieldCatalog {
    entity: "microsoft.graph.accessPackage",
    fields: PACKAGE_V1_FIELDS,
    relations: &[],
    default_order: &[],
};
pub const PACKAGE_BETA: FieldCatalog = FieldCatalog { fields: PACKAGE_BETA_FIELDS, ..PACKAGE_V1 };
