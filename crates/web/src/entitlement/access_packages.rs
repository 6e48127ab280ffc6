//! Access packages on both versions (`accessPackages`, and a catalog's `accessPackages`): list,
//! create, get, update, delete. v1.0 binds and expands the catalog as `catalog`; beta renders
//! `catalogId` and expands `accessPackageCatalog`. Expansions: the catalog, the assignment
//! policies (`assignmentPolicies` / `accessPackageAssignmentPolicies`, rendered by
//! `crate::policies`) and the resource role scopes.
use super::{
    actor, add_scope, catalog_at, catalog_ref, catalog_scope, catalogs, not_found, package_at, parse_id, present,
    require, role_scopes, set, IdRef, EM,
};
use crate::error::{GraphError, GraphResult};
use crate::json::{self, ApiVersion, GraphBody};
use crate::query::{Kind, OData};
use crate::wire::format_datetime;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use grantd_domain::catalog::{check_name, AccessPackage, PACKAGE_BETA, PACKAGE_V1};
use grantd_domain::fields::FieldCatalog;
use grantd_domain::filter::{Filter, Value as FValue};
use grantd_domain::roles::{Caller, CatalogAction};
use grantd_domain::{AccessPackageId, CatalogId};
use grantd_store::DeletePackage;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

const ENTITY: &str = "microsoft.graph.accessPackage";
const SET: &str = "accessPackages";

pub fn shared_routes() -> Router<AppState> {
    Router::new()
        .route(&format!("{EM}/accessPackages"), get(list_packages).post(create_package))
        .route(&format!("{EM}/accessPackages/{{id}}"), get(get_package).patch(update_package).delete(delete_package))
}

pub fn v1_routes() -> Router<AppState> {
    Router::new().route(&format!("{EM}/catalogs/{{id}}/accessPackages"), get(list_catalog_packages))
}

pub fn beta_routes() -> Router<AppState> {
    Router::new().route(&format!("{EM}/accessPackageCatalogs/{{id}}/accessPackages"), get(list_catalog_packages))
}

/// Navigation names of a package in `v`: (catalog, policies, role scopes).
fn navs(v: ApiVersion) -> [&'static str; 3] {
    match v {
        ApiVersion::V1 => ["catalog", "assignmentPolicies", "resourceRoleScopes"],
        ApiVersion::Beta => {
            ["accessPackageCatalog", "accessPackageAssignmentPolicies", "accessPackageResourceRoleScopes"]
        }
    }
}

fn fields(v: ApiVersion) -> &'static FieldCatalog {
    match v {
        ApiVersion::V1 => &PACKAGE_V1,
        ApiVersion::Beta => &PACKAGE_BETA,
    }
}

pub fn render(p: &AccessPackage, v: ApiVersion) -> Value {
    match v {
        ApiVersion::V1 => json!({
            "id": p.id.to_string(),
            "displayName": p.display_name,
            "description": p.description,
            "isHidden": p.is_hidden,
            "createdDateTime": format_datetime(&p.created_date_time),
            "modifiedDateTime": format_datetime(&p.modified_date_time),
        }),
        ApiVersion::Beta => json!({
            "id": p.id.to_string(),
            "catalogId": p.catalog_id.to_string(),
            "displayName": p.display_name,
            "description": p.description,
            "isHidden": p.is_hidden,
            "isRoleScopesVisible": p.is_role_scopes_visible,
            "createdBy": p.created_by,
            "createdDateTime": format_datetime(&p.created_date_time),
            "modifiedBy": p.modified_by,
            "modifiedDateTime": format_datetime(&p.modified_date_time),
        }),
    }
}

/// Renders packages with the requested expansions.
pub(crate) async fn render_all(
    state: &AppState,
    caller: &Caller,
    v: ApiVersion,
    pkgs: &[AccessPackage],
    expand: &[&str],
) -> GraphResult<Vec<Value>> {
    let [catalog_nav, policies_nav, scopes_nav] = navs(v);
    let mut items: Vec<Value> = pkgs.iter().map(|p| render(p, v)).collect();
    let ids: Vec<AccessPackageId> = pkgs.iter().map(|p| p.id).collect();
    if expand.contains(&catalog_nav) {
        let mut cat_ids: Vec<CatalogId> = pkgs.iter().map(|p| p.catalog_id).collect();
        cat_ids.sort();
        cat_ids.dedup();
        let cats: HashMap<CatalogId, Value> = state
            .store
            .catalogs_by_ids(caller.tenant, &cat_ids)
            .await?
            .iter()
            .map(|c| (c.id, catalogs::render(c, v)))
            .collect();
        for (item, p) in items.iter_mut().zip(pkgs) {
            item[catalog_nav] = cats.get(&p.catalog_id).cloned().unwrap_or(Value::Null);
        }
    }
    if expand.contains(&policies_nav) {
        let mut by_pkg = crate::policies::policies_for_packages(state, caller.tenant, v, &ids).await?;
        for (item, p) in items.iter_mut().zip(pkgs) {
            item[policies_nav] = Value::Array(by_pkg.remove(&p.id).unwrap_or_default());
        }
    }
    if expand.contains(&scopes_nav) {
        let mut by_pkg = role_scopes::render_for_packages(state, caller, v, &ids).await?;
        for (item, p) in items.iter_mut().zip(pkgs) {
            item[scopes_nav] = Value::Array(by_pkg.remove(&p.id).unwrap_or_default());
        }
    }
    Ok(items)
}

async fn list(
    state: &AppState,
    caller: &Caller,
    v: ApiVersion,
    q: &OData,
    scope: Option<Filter>,
    context: String,
) -> GraphResult<Response> {
    let expand = q.check_expand(ENTITY, &navs(v))?;
    let mut lq = q.list_query_with_search(fields(v), grantd_domain::catalog::SEARCHABLE)?;
    lq.scope = catalog_scope(caller, "catalog_id")?;
    if let Some(s) = scope {
        add_scope(&mut lq.scope, s);
    }
    let page = state.store.list_access_packages(caller.tenant, &lq).await?;
    let mut items = render_all(state, caller, v, &page.items, &expand).await?;
    crate::expand::finish(state, caller, q, Kind::Package, &mut items, &expand).await?;
    Ok(json::collection(v, &context, items, page.count, q.next_link(page.next.as_deref())))
}

async fn list_packages(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    q: OData,
) -> GraphResult<Response> {
    list(&state, &caller, v, &q, None, set(SET)).await
}

async fn list_catalog_packages(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path(id): Path<String>,
    q: OData,
) -> GraphResult<Response> {
    let c = catalog_at(&state, &caller, &id).await?;
    let context = set(&format!("{}('{}')/accessPackages", catalogs::set_name(v), c.id));
    list(&state, &caller, v, &q, Some(Filter::eq("catalog_id", FValue::Uuid(c.id.0))), context).await
}

async fn get_package(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path(id): Path<String>,
    q: OData,
) -> GraphResult<Response> {
    if let Some(on) = crate::assignments::filter_by_current_user(&id) {
        return super::requirements::allowed_requestor(&state, &caller, v, &on).await;
    }
    let expand = q.check_expand(ENTITY, &navs(v))?;
    let p = package_at(&state, &caller, &id).await?;
    let mut items = render_all(&state, &caller, v, std::slice::from_ref(&p), &expand).await?;
    crate::expand::finish(&state, &caller, &q, Kind::Package, &mut items, &expand).await?;
    let item = items.pop().ok_or_else(not_found)?;
    Ok(json::entity(StatusCode::OK, v, &set(SET), item))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PackageInput {
    #[serde(default, deserialize_with = "present")]
    display_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    description: Option<Option<String>>,
    is_hidden: Option<bool>,
    is_role_scopes_visible: Option<bool>,
    /// v1.0 binding.
    catalog: Option<IdRef>,
    /// beta binding (navigation) and plain property.
    access_package_catalog: Option<IdRef>,
    catalog_id: Option<String>,
}

impl PackageInput {
    fn catalog_ref(&self) -> Option<&str> {
        self.catalog
            .as_ref()
            .and_then(|c| c.id.as_deref())
            .or(self.access_package_catalog.as_ref().and_then(|c| c.id.as_deref()))
            .or(self.catalog_id.as_deref())
    }
}

fn display_name(v: Option<Option<String>>) -> GraphResult<Option<String>> {
    match v {
        None => Ok(None),
        Some(None) => Err(GraphError::invalid_model("The property 'displayName' must not be null.")),
        Some(Some(n)) => {
            check_name("displayName", &n)?;
            Ok(Some(n))
        }
    }
}

async fn create_package(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    GraphBody(input): GraphBody<PackageInput>,
) -> GraphResult<Response> {
    let name = display_name(input.display_name.clone())?
        .ok_or_else(|| GraphError::invalid_model("The property 'displayName' is required."))?;
    let bind = match v {
        ApiVersion::V1 => "catalog",
        ApiVersion::Beta => "catalogId",
    };
    let cat_ref = input.catalog_ref().ok_or_else(|| {
        GraphError::invalid_model(format!("The property '{bind}' is required: an access package belongs to a catalog."))
    })?;
    let catalog = catalog_ref(&state, &caller, cat_ref).await?;
    require(&caller, catalog.id, CatalogAction::ManagePackages)?;
    let now = state.clock.now();
    let who = actor(&state, &caller).await?;
    let p = AccessPackage {
        id: AccessPackageId::new(),
        catalog_id: catalog.id,
        display_name: name,
        description: input.description.clone().flatten(),
        is_hidden: input.is_hidden.unwrap_or(false),
        is_role_scopes_visible: input.is_role_scopes_visible.unwrap_or(false),
        created_by: who.clone(),
        modified_by: who,
        created_date_time: now,
        modified_date_time: now,
    };
    state.store.create_access_package(caller.tenant, &p).await?;
    Ok(json::entity(StatusCode::CREATED, v, &set(SET), render(&p, v)))
}

async fn update_package(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    GraphBody(input): GraphBody<PackageInput>,
) -> GraphResult<Response> {
    let mut p = package_at(&state, &caller, &id).await?;
    require(&caller, p.catalog_id, CatalogAction::ManagePackages)?;
    if input.catalog_ref().and_then(parse_id::<CatalogId>).is_some_and(|c| c != p.catalog_id) {
        return Err(GraphError::invalid_model("An access package cannot be moved to another catalog by PATCH."));
    }
    if let Some(n) = display_name(input.display_name.clone())? {
        p.display_name = n;
    }
    if let Some(d) = input.description.clone() {
        p.description = d;
    }
    if let Some(h) = input.is_hidden {
        p.is_hidden = h;
    }
    if let Some(x) = input.is_role_scopes_visible {
        p.is_role_scopes_visible = x;
    }
    p.modified_by = actor(&state, &caller).await?;
    p.modified_date_time = state.clock.now();
    state.store.update_access_package(caller.tenant, &p).await?;
    Ok(crate::ctx::empty(StatusCode::NO_CONTENT))
}

async fn delete_package(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> GraphResult<Response> {
    let p = package_at(&state, &caller, &id).await?;
    require(&caller, p.catalog_id, CatalogAction::ManagePackages)?;
    match state.store.delete_access_package(caller.tenant, p.id).await? {
        DeletePackage::Deleted => Ok(crate::ctx::empty(StatusCode::NO_CONTENT)),
        DeletePackage::NotFound => Err(not_found()),
        DeletePackage::HasAssignments => Err(GraphError::conflict(
            "AccessPackageHasAssignments",
            "The access package cannot be deleted because it has assignments. Remove the assignments first.",
        )),
    }
}
