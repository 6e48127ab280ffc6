//! Expanded navigations of a policy: the owning access package (`accessPackage`) and its
//! catalog (v1.0 `catalog`, beta `accessPackageCatalog`), rendered by the entity modules that
//! own those shapes.
use crate::json::ApiVersion;
use grantd_domain::catalog::{AccessPackage, Catalog};
use serde_json::Value;

pub fn access_package(p: &AccessPackage, v: ApiVersion) -> Value {
    crate::entitlement::access_packages::render(p, v)
}

pub fn catalog(c: &Catalog, v: ApiVersion) -> Value {
    crate::entitlement::catalogs::render(c, v)
}
