//! Entitlement management under `/identityGovernance/entitlementManagement`: catalogs, access
//! packages, catalog resources (with roles and scopes), resource role scopes and resource
//! requests, each served under its version's names (v1.0 `catalogs`, beta
//! `accessPackageCatalogs`, ...). A name of the other version answers 404 like an unknown path.
//!
//! Decisions where Graph's docs are silent or where grantd differs on purpose:
//! - Visibility: an id that does not exist and an id in a catalog the caller may not read
//!   both answer 404 `ResourceNotFound` (existence is not leaked). Real Graph often answers
//!   403 `UnAuthorized` for unknown ids; grantd keeps 403 for writes on objects the caller can
//!   read but may not change.
//! - PATCH answers 204 No Content (accesspackage-update.md, accesspackagecatalog-update.md).
//! - Deleting a catalog that still holds access packages is 409 `CatalogNotEmpty`; its
//!   resources, resource requests and catalog role assignments go with it.
//! - Deleting an access package with assignments that are not `expired` or `deliveryFailed` is
//!   409 `AccessPackageHasAssignments`; its policies and resource role scopes go with it.
pub mod access_packages;
pub mod catalogs;
pub mod connected_organizations;
pub mod incompatible;
pub mod requirements;
pub mod resource_requests;
pub mod resources;
pub mod role_scopes;
pub mod settings;

use crate::error::{GraphError, GraphResult};
use crate::json::ApiVersion;
use crate::AppState;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Router};
use grantd_domain::catalog::{AccessPackage, Catalog};
use grantd_domain::filter::{Col, Filter, Value};
use grantd_domain::roles::{Caller, CatalogAction, Principal};
use grantd_domain::{parse_guid, AccessPackageId, CatalogId};
use serde::{Deserialize, Deserializer};
use uuid::Uuid;

/// The path prefix of every entitlement-management route.
pub const EM: &str = "/identityGovernance/entitlementManagement";

/// The `@odata.context` fragment of an entitlement-management entity set.
pub fn set(name: &str) -> String {
    format!("identityGovernance/entitlementManagement/{name}")
}

pub fn router() -> Router<AppState> {
    let v1 = Router::new()
        .merge(catalogs::v1_routes())
        .merge(access_packages::v1_routes())
        .merge(resources::v1_routes())
        .merge(role_scopes::v1_routes())
        .merge(resource_requests::v1_routes())
        .route_layer(middleware::from_fn(v1_only));
    let beta = Router::new()
        .merge(catalogs::beta_routes())
        .merge(access_packages::beta_routes())
        .merge(resources::beta_routes())
        .merge(role_scopes::beta_routes())
        .merge(resource_requests::beta_routes())
        .route_layer(middleware::from_fn(beta_only));
    Router::new()
        .merge(access_packages::shared_routes())
        .merge(incompatible::shared_routes())
        .merge(requirements::shared_routes())
        .merge(connected_organizations::shared_routes())
        .merge(settings::shared_routes())
        .merge(v1)
        .merge(beta)
}

async fn v1_only(Extension(v): Extension<ApiVersion>, req: Request, next: Next) -> Response {
    match v {
        ApiVersion::V1 => next.run(req).await,
        ApiVersion::Beta => GraphError::no_route().into_response(),
    }
}

async fn beta_only(Extension(v): Extension<ApiVersion>, req: Request, next: Next) -> Response {
    match v {
        ApiVersion::Beta => next.run(req).await,
        ApiVersion::V1 => GraphError::no_route().into_response(),
    }
}

/// 404 `ResourceNotFound` with Graph's entitlement-management text.
pub fn not_found() -> GraphError {
    GraphError::not_found("resource")
}

/// An id from a path segment or body; anything but a GUID names nothing (404 on paths).
pub fn parse_id<T: From<Uuid>>(s: &str) -> Option<T> {
    parse_guid(s).map(T::from)
}

/// Restricts a list to the catalogs the caller may read (None = every catalog). An empty set
/// restricts to nothing rather than lifting the restriction. A caller with no
/// entitlement-management access at all (no admin grant, no EM role) is refused with 403
/// `UnAuthorized`, as Graph answers role-less users listing these sets (errors.md A1b); one whose
/// roles cover no catalog gets an empty list.
pub fn catalog_scope(caller: &Caller, column: &'static str) -> GraphResult<Option<Filter>> {
    let readable = caller.readable_catalogs();
    if readable.as_ref().is_some_and(|c| c.is_empty()) && caller.em_roles.is_empty() {
        return Err(GraphError::forbidden());
    }
    Ok(readable.map(|cats| Filter::In {
        col: Col { column, lower: false },
        values: cats.into_iter().map(|c| Value::Uuid(c.0)).collect(),
    }))
}

/// ANDs an extra restriction into a list query's scope.
pub fn add_scope(scope: &mut Option<Filter>, extra: Filter) {
    *scope = Some(match scope.take() {
        Some(s) => Filter::and(vec![s, extra]),
        None => extra,
    });
}

/// A catalog the caller may read; None when it does not exist or the caller may not read it
/// (the two look the same).
pub async fn readable_catalog(state: &AppState, caller: &Caller, id: CatalogId) -> GraphResult<Option<Catalog>> {
    Ok(state.store.get_catalog(caller.tenant, id).await?.filter(|c| caller.may_on_catalog(c.id, CatalogAction::Read)))
}

/// A catalog named in a request body (`catalog: {id}` or `catalogId`): 404 when it does not
/// exist or the caller may not read it.
pub async fn catalog_ref(state: &AppState, caller: &Caller, id: &str) -> GraphResult<Catalog> {
    let nf = || GraphError::not_found("catalog");
    let id = parse_id::<CatalogId>(id).ok_or_else(nf)?;
    readable_catalog(state, caller, id).await?.ok_or_else(nf)
}

/// The same, from a path segment.
pub async fn catalog_at(state: &AppState, caller: &Caller, id: &str) -> GraphResult<Catalog> {
    let id = parse_id::<CatalogId>(id).ok_or_else(not_found)?;
    readable_catalog(state, caller, id).await?.ok_or_else(not_found)
}

/// An access package whose catalog the caller may read, or 404.
pub async fn package_at(state: &AppState, caller: &Caller, id: &str) -> GraphResult<AccessPackage> {
    let id = parse_id::<AccessPackageId>(id).ok_or_else(not_found)?;
    match state.store.get_access_package(caller.tenant, id).await? {
        Some(p) if caller.may_on_catalog(p.catalog_id, CatalogAction::Read) => Ok(p),
        _ => Err(not_found()),
    }
}

/// 403 unless the caller may do `action` in `catalog`.
pub fn require(caller: &Caller, catalog: CatalogId, action: CatalogAction) -> GraphResult<()> {
    if caller.may_on_catalog(catalog, action) {
        Ok(())
    } else {
        Err(GraphError::forbidden())
    }
}

/// Who did it, as Graph's `createdBy`/`modifiedBy` show it: a user's UPN, an app's id.
pub async fn actor(state: &AppState, caller: &Caller) -> GraphResult<Option<String>> {
    Ok(match &caller.principal {
        Principal::User { id } => match state.store.get_user(caller.tenant, *id).await? {
            Some(u) => Some(u.user_principal_name),
            None => Some(id.to_string()),
        },
        Principal::App { app_id } => Some(app_id.clone()),
    })
}

/// A navigation bound by id in a request body: `{"id": "..."}` (other members are ignored).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct IdRef {
    pub id: Option<String>,
}

/// For PATCH bodies: distinguishes an absent member (None) from an explicit null (Some(None)).
pub fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// An enum value on the wire: the stored camelCase member on v1.0, PascalCase on beta.
pub fn enum_out(v: ApiVersion, stored: &str) -> String {
    match v {
        ApiVersion::V1 => stored.to_string(),
        ApiVersion::Beta => grantd_domain::catalog::pascal(stored),
    }
}
