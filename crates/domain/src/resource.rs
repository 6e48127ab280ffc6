//! Catalog resources and what hangs off them: the resource (a directory group onboarded to a
//! catalog), its roles (`Member`, `Owner`) and scopes (the root scope), the resource role scopes
//! that bind a role and a scope to an access package, and the resource requests that add and
//! remove resources. Pure values and rules; nothing here reads the directory or the store.
use crate::fields::{field, nav_many, nav_one, nullable, opaque, Field, FieldCatalog, FieldKind};
use crate::ids::{AccessPackageId, CatalogId, ObjectId, ResourceId, ResourceRequestId, ResourceRoleId};
use crate::ids::{ResourceScopeId, RoleScopeId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The origin systems Graph knows (`accessPackageResource.originSystem`). grantd onboards
/// `AadGroup` only; the others are recognised so that they can be refused clearly.
pub const ORIGIN_SYSTEMS: &[(&str, &str)] = &[
    ("AadGroup", "AadGroup"),
    ("AadApplication", "AadApplication"),
    ("SharePointOnline", "SharePointOnline"),
    ("CustomDataProvidedResource", "CustomDataProvidedResource"),
];
pub const AAD_GROUP: &str = "AadGroup";

/// `accessPackageRequestType` (v1.0 enum, stored in its camelCase form).
pub const REQUEST_TYPES: &[(&str, &str)] = &[
    ("notSpecified", "notSpecified"),
    ("userAdd", "userAdd"),
    ("userUpdate", "userUpdate"),
    ("userRemove", "userRemove"),
    ("adminAdd", "adminAdd"),
    ("adminUpdate", "adminUpdate"),
    ("adminRemove", "adminRemove"),
    ("systemAdd", "systemAdd"),
    ("systemUpdate", "systemUpdate"),
    ("systemRemove", "systemRemove"),
    ("onBehalfAdd", "onBehalfAdd"),
];

/// `accessPackageRequestState` (v1.0 enum, stored in its camelCase form).
pub const REQUEST_STATES: &[(&str, &str)] = &[
    ("submitted", "submitted"),
    ("pendingApproval", "pendingApproval"),
    ("delivering", "delivering"),
    ("delivered", "delivered"),
    ("deliveryFailed", "deliveryFailed"),
    ("denied", "denied"),
    ("scheduled", "scheduled"),
    ("canceled", "canceled"),
    ("partiallyDelivered", "partiallyDelivered"),
];

/// A resource onboarded to a catalog (`accessPackageResource`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource {
    pub id: ResourceId,
    pub catalog_id: CatalogId,
    pub display_name: String,
    pub description: Option<String>,
    /// The object id in the origin system (a group's object id).
    pub origin_id: String,
    pub origin_system: String,
    /// beta `resourceType`: `Security Group` or `O365 Group` for groups.
    pub resource_type: Option<String>,
    pub url: Option<String>,
    /// beta `addedBy`.
    pub added_by: Option<String>,
    /// v1.0 `createdDateTime`, beta `addedOn`.
    pub created_date_time: DateTime<Utc>,
    pub modified_date_time: DateTime<Utc>,
}

/// A role of a resource (`accessPackageResourceRole`): for a group, `Member` or `Owner`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRole {
    pub id: ResourceRoleId,
    pub catalog_id: CatalogId,
    pub resource_id: ResourceId,
    pub display_name: String,
    pub description: Option<String>,
    /// `Member_{groupId}` / `Owner_{groupId}`, as Graph names group roles.
    pub origin_id: String,
    pub origin_system: String,
}

/// A scope of a resource (`accessPackageResourceScope`): for a group, only the root scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceScope {
    pub id: ResourceScopeId,
    pub catalog_id: CatalogId,
    pub resource_id: ResourceId,
    pub display_name: String,
    pub description: Option<String>,
    pub origin_id: String,
    pub origin_system: String,
    pub is_root_scope: bool,
}

/// A role in a scope granted by an access package (`accessPackageResourceRoleScope`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRoleScope {
    pub id: RoleScopeId,
    pub access_package_id: AccessPackageId,
    pub catalog_id: CatalogId,
    pub resource_id: ResourceId,
    pub role_id: ResourceRoleId,
    pub scope_id: ResourceScopeId,
    pub created_by: Option<String>,
    pub created_date_time: DateTime<Utc>,
    pub modified_date_time: DateTime<Utc>,
}

/// A request to add or remove a catalog resource (`accessPackageResourceRequest`). Resource
/// requests for groups complete at once, so every stored request is `delivered`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRequest {
    pub id: ResourceRequestId,
    pub catalog_id: CatalogId,
    /// `adminAdd` or `adminRemove`.
    pub request_type: String,
    /// `delivered`.
    pub state: String,
    pub justification: Option<String>,
    /// The resource as it was when the request was made (it is gone after an `adminRemove`).
    pub resource: Resource,
    pub requestor_id: Option<ObjectId>,
    pub created_date_time: DateTime<Utc>,
}

/// What onboarding a group creates: the resource, its two roles and its root scope.
#[derive(Debug, Clone, PartialEq)]
pub struct Onboarded {
    pub resource: Resource,
    pub roles: Vec<ResourceRole>,
    pub scopes: Vec<ResourceScope>,
}

/// The group as the directory knows it, as far as onboarding needs it.
#[derive(Debug, Clone, Copy)]
pub struct GroupFacts<'a> {
    pub id: ObjectId,
    pub display_name: &'a str,
    pub description: Option<&'a str>,
    /// Microsoft 365 ("Unified") group rather than a security group.
    pub unified: bool,
}

/// Builds what onboarding `group` to `catalog` creates, the way Graph shapes group resources:
/// roles `Member`/`Owner` with origin ids `Member_{groupId}`/`Owner_{groupId}`, and one root
/// scope whose origin id is the group id.
pub fn onboard_group(
    catalog: CatalogId,
    group: GroupFacts<'_>,
    added_by: Option<String>,
    now: DateTime<Utc>,
) -> Onboarded {
    let gid = group.id.to_string();
    let resource = Resource {
        id: ResourceId::new(),
        catalog_id: catalog,
        display_name: group.display_name.to_string(),
        description: group.description.map(str::to_string),
        origin_id: gid.clone(),
        origin_system: AAD_GROUP.into(),
        resource_type: Some(if group.unified { "O365 Group" } else { "Security Group" }.into()),
        url: None,
        added_by,
        created_date_time: now,
        modified_date_time: now,
    };
    let role = |name: &str| ResourceRole {
        id: ResourceRoleId::new(),
        catalog_id: catalog,
        resource_id: resource.id,
        display_name: name.to_string(),
        description: None,
        origin_id: format!("{name}_{gid}"),
        origin_system: AAD_GROUP.into(),
    };
    let roles = vec![role("Member"), role("Owner")];
    let scopes = vec![ResourceScope {
        id: ResourceScopeId::new(),
        catalog_id: catalog,
        resource_id: resource.id,
        display_name: "Root".into(),
        description: Some("Root Scope".into()),
        origin_id: gid,
        origin_system: AAD_GROUP.into(),
        is_root_scope: true,
    }];
    Onboarded { resource, roles, scopes }
}

fn catalog_v1() -> &'static FieldCatalog {
    &crate::catalog::CATALOG_V1
}
fn resource_v1() -> &'static FieldCatalog {
    &RESOURCE_V1
}
fn resource_beta() -> &'static FieldCatalog {
    &RESOURCE_BETA
}
fn role_v1() -> &'static FieldCatalog {
    &ROLE_V1
}
fn role_beta() -> &'static FieldCatalog {
    &ROLE_BETA
}
fn scope_v1() -> &'static FieldCatalog {
    &SCOPE_V1
}
fn scope_beta() -> &'static FieldCatalog {
    &SCOPE_BETA
}

const RESOURCE_V1_FIELDS: &[Field] = &[
    field(&["id"], "id", FieldKind::Uuid, true),
    field(&["displayname"], "display_name", FieldKind::Text, true),
    nullable(&["description"], "description", FieldKind::Text, true),
    field(&["originid"], "origin_id", FieldKind::Text, true),
    field(&["originsystem"], "origin_system", FieldKind::Enum(ORIGIN_SYSTEMS), true),
    field(&["createddatetime"], "created_date_time", FieldKind::DateTime, true),
    nav_many(&["roles"], "resource_roles", "resource_id", role_v1),
    nav_many(&["scopes"], "resource_scopes", "resource_id", scope_v1),
    opaque(&["attributes", "environment", "uploadsessions", "modifieddatetime"]),
];
const RESOURCE_BETA_FIELDS: &[Field] = &[
    field(&["id"], "id", FieldKind::Uuid, true),
    field(&["displayname"], "display_name", FieldKind::Text, true),
    nullable(&["description"], "description", FieldKind::Text, true),
    field(&["originid"], "origin_id", FieldKind::Text, true),
    field(&["originsystem"], "origin_system", FieldKind::Enum(ORIGIN_SYSTEMS), true),
    field(&["addedon"], "created_date_time", FieldKind::DateTime, true),
    nav_many(&["accesspackageresourceroles"], "resource_roles", "resource_id", role_beta),
    nav_many(&["accesspackageresourcescopes"], "resource_scopes", "resource_id", scope_beta),
    opaque(&[
        "attributes",
        "accesspackageresourceenvironment",
        "addedby",
        "ispendingonboarding",
        "resourcetype",
        "url",
    ]),
];
pub const RESOURCE_V1: FieldCatalog = FieldCatalog {
    entity: "microsoft.graph.accessPackageResource",
    fields: RESOURCE_V1_FIELDS,
    relations: &[],
    default_order: &[],
};
pub const RESOURCE_BETA: FieldCatalog = FieldCatalog { fields: RESOURCE_BETA_FIELDS, ..RESOURCE_V1 };

const ROLE_V1_FIELDS: &[Field] = &[
    field(&["id"], "id", FieldKind::Uuid, true),
    field(&["displayname"], "display_name", FieldKind::Text, true),
    nullable(&["description"], "description", FieldKind::Text, true),
    field(&["originid"], "origin_id", FieldKind::Text, true),
    field(&["originsystem"], "origin_system", FieldKind::Enum(ORIGIN_SYSTEMS), true),
    field(&["resource/id"], "resource_id", FieldKind::Uuid, true),
    nav_one(&["resource"], "resource_id", "resources", resource_v1),
    opaque(&["type"]),
];
const ROLE_BETA_FIELDS: &[Field] = &[
    field(&["id"], "id", FieldKind::Uuid, true),
    field(&["displayname"], "display_name", FieldKind::Text, true),
    nullable(&["description"], "description", FieldKind::Text, true),
    field(&["originid"], "origin_id", FieldKind::Text, true),
    field(&["originsystem"], "origin_system", FieldKind::Enum(ORIGIN_SYSTEMS), true),
    field(&["accesspackageresource/id"], "resource_id", FieldKind::Uuid, true),
    nav_one(&["accesspackageresource"], "resource_id", "resources", resource_beta),
];
pub const ROLE_V1: FieldCatalog = FieldCatalog {
    entity: "microsoft.graph.accessPackageResourceRole",
    fields: ROLE_V1_FIELDS,
    relations: &[],
    default_order: &[],
};
pub const ROLE_BETA: FieldCatalog = FieldCatalog { fields: ROLE_BETA_FIELDS, ..ROLE_V1 };

const SCOPE_V1_FIELDS: &[Field] = &[
    field(&["id"], "id", FieldKind::Uuid, true),
    field(&["displayname"], "display_name", FieldKind::Text, true),
    nullable(&["description"], "description", FieldKind::Text, true),
    field(&["isrootscope"], "is_root_scope", FieldKind::Bool, true),
    field(&["originid"], "origin_id", FieldKind::Text, true),
    field(&["originsystem"], "origin_system", FieldKind::Enum(ORIGIN_SYSTEMS), true),
    field(&["resource/id"], "resource_id", FieldKind::Uuid, true),
    nav_one(&["resource"], "resource_id", "resources", resource_v1),
];
const SCOPE_BETA_FIELDS: &[Field] = &[
    field(&["id"], "id", FieldKind::Uuid, true),
    field(&["displayname"], "display_name", FieldKind::Text, true),
    nullable(&["description"], "description", FieldKind::Text, true),
    field(&["isrootscope"], "is_root_scope", FieldKind::Bool, true),
    field(&["originid"], "origin_id", FieldKind::Text, true),
    field(&["originsystem"], "origin_system", FieldKind::Enum(ORIGIN_SYSTEMS), true),
    field(&["accesspackageresource/id"], "resource_id", FieldKind::Uuid, true),
    nav_one(&["accesspackageresource"], "resource_id", "resources", resource_beta),
    opaque(&["roleoriginid", "url"]),
];
pub const SCOPE_V1: FieldCatalog = FieldCatalog {
    entity: "microsoft.graph.accessPackageResourceScope",
    fields: SCOPE_V1_FIELDS,
    relations: &[],
    default_order: &[],
};
pub const SCOPE_BETA: FieldCatalog = FieldCatalog { fields: SCOPE_BETA_FIELDS, ..SCOPE_V1 };

const ROLE_SCOPE_V1_FIELDS: &[Field] = &[
    field(&["id"], "id", FieldKind::Uuid, true),
    field(&["role/id"], "role_id", FieldKind::Uuid, true),
    field(&["scope/id"], "scope_id", FieldKind::Uuid, true),
    field(&["role/resource/id", "scope/resource/id"], "resource_id", FieldKind::Uuid, true),
    field(&["createddatetime"], "created_date_time", FieldKind::DateTime, true),
    nav_one(&["role"], "role_id", "resource_roles", role_v1),
    nav_one(&["scope"], "scope_id", "resource_scopes", scope_v1),
];
const ROLE_SCOPE_BETA_FIELDS: &[Field] = &[
    field(&["id"], "id", FieldKind::Uuid, true),
    field(&["accesspackageresourcerole/id"], "role_id", FieldKind::Uuid, true),
    field(&["accesspackageresourcescope/id"], "scope_id", FieldKind::Uuid, true),
    field(
        &["accesspackageresourcerole/accesspackageresource/id", "accesspackageresourcescope/accesspackageresource/id"],
        "resource_id",
        FieldKind::Uuid,
        true,
    ),
    field(&["createddatetime"], "created_date_time", FieldKind::DateTime, true),
    nav_one(&["accesspackageresourcerole"], "role_id", "resource_roles", role_beta),
    nav_one(&["accesspackageresourcescope"], "scope_id", "resource_scopes", scope_beta),
    opaque(&["createdby", "modifiedby", "modifieddatetime"]),
];
pub const ROLE_SCOPE_V1: FieldCatalog = FieldCatalog {
    entity: "microsoft.graph.accessPackageResourceRoleScope",
    fields: ROLE_SCOPE_V1_FIELDS,
    relations: &[],
    default_order: &[],
};
pub const ROLE_SCOPE_BETA: FieldCatalog = FieldCatalog { fields: ROLE_SCOPE_BETA_FIELDS, ..ROLE_SCOPE_V1 };

const REQUEST_V1_FIELDS: &[Field] = &[
    field(&["id"], "id", FieldKind::Uuid, true),
    field(&["requesttype"], "request_type", FieldKind::Enum(REQUEST_TYPES), true),
    field(&["state"], "state", FieldKind::Enum(REQUEST_STATES), true),
    field(&["catalog/id"], "catalog_id", FieldKind::Uuid, true),
    field(&["createddatetime"], "created_date_time", FieldKind::DateTime, true),
    nav_one(&["catalog"], "catalog_id", "catalogs", catalog_v1),
    opaque(&["resource"]),
];
const REQUEST_BETA_FIELDS: &[Field] = &[
    field(&["id"], "id", FieldKind::Uuid, true),
    field(&["requesttype"], "request_type", FieldKind::Enum(REQUEST_TYPES), true),
    field(&["requeststate"], "state", FieldKind::Enum(REQUEST_STATES), true),
    field(&["catalogid"], "catalog_id", FieldKind::Uuid, true),
    opaque(&[
        "accesspackageresource",
        "requestor",
        "justification",
        "requeststatus",
        "executeimmediately",
        "expirationdatetime",
        "isvalidationonly",
    ]),
];
pub const REQUEST_V1: FieldCatalog = FieldCatalog {
    entity: "microsoft.graph.accessPackageResourceRequest",
    fields: REQUEST_V1_FIELDS,
    relations: &[],
    default_order: &[],
};
pub const REQUEST_BETA: FieldCatalog = FieldCatalog { fields: REQUEST_BETA_FIELDS, ..REQUEST_V1 };

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn onboarding_a_group_makes_member_and_owner_roles_and_a_root_scope() {
        let g = ObjectId::new();
        let c = CatalogId::new();
        let facts = GroupFacts { id: g, display_name: "Sales", description: None, unified: false };
        let o = onboard_group(c, facts, None, Utc::now());
        assert_eq!(o.resource.origin_id, g.to_string());
        assert_eq!(o.resource.resource_type.as_deref(), Some("Security Group"));
        let origins: Vec<&str> = o.roles.iter().map(|r| r.origin_id.as_str()).collect();
        assert_eq!(origins, [format!("Member_{g}"), format!("Owner_{g}")]);
        assert!(o.roles.iter().all(|r| r.resource_id == o.resource.id && r.catalog_id == c));
        assert_eq!(o.scopes.len(), 1);
        assert!(o.scopes[0].is_root_scope);
        assert_eq!(o.scopes[0].origin_id, g.to_string());
    }
}
