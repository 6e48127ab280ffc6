//! Expanded navigations of a policy: the owning access package (`accessPackage`) and its
//! catalog (v1.0 `catalog`, beta `accessPackageCatalog`), rendered in the version's names.
//! Kept minimal and local so policies do not depend on the package module's internals.
use crate::json::ApiVersion;
use crate::wire::format_datetime;
use grantd_domain::catalog::{pascal, AccessPackage, Catalog};
use serde_json::{json, Value};

pub fn access_package(p: &AccessPackage, v: ApiVersion) -> Value {
    let mut out = json!({
        "id": p.id.to_string(),
        "displayName": p.display_name,
        "description": p.description,
        "isHidden": p.is_hidden,
        "createdDateTime": format_datetime(&p.created_date_time),
        "modifiedDateTime": format_datetime(&p.modified_date_time),
    });
    if v == ApiVersion::Beta {
        out["catalogId"] = json!(p.catalog_id.to_string());
        out["isRoleScopesVisible"] = json!(p.is_role_scopes_visible);
        out["createdBy"] = json!(p.created_by);
        out["modifiedBy"] = json!(p.modified_by);
    }
    out
}

pub fn catalog(c: &Catalog, v: ApiVersion) -> Value {
    match v {
        ApiVersion::V1 => json!({
            "id": c.id.to_string(),
            "displayName": c.display_name,
            "description": c.description,
            "catalogType": c.catalog_type,
            "state": c.state,
            "isExternallyVisible": c.is_externally_visible,
            "createdDateTime": format_datetime(&c.created_date_time),
            "modifiedDateTime": format_datetime(&c.modified_date_time),
        }),
        ApiVersion::Beta => json!({
            "id": c.id.to_string(),
            "displayName": c.display_name,
            "description": c.description,
            "catalogType": pascal(&c.catalog_type),
            "catalogStatus": pascal(&c.state),
            "isExternallyVisible": c.is_externally_visible,
            "createdBy": c.created_by,
            "createdDateTime": format_datetime(&c.created_date_time),
            "modifiedBy": c.modified_by,
            "modifiedDateTime": format_datetime(&c.modified_date_time),
        }),
    }
}
