//! An access package's resource role scopes: which role in which scope of a catalog resource
//! the package grants. v1.0 `accessPackages/{id}/resourceRoleScopes` (`role`, `scope`), beta
//! `accessPackages/{id}/accessPackageResourceRoleScopes` (`accessPackageResourceRole`,
//! `accessPackageResourceScope`). The role and scope are always rendered inline (with the
//! role's resource), whether or not `$expand` asks for them: Graph's docs show them expanded.
//! A role is bound by id, or by origin id within a resource given by id or origin id; a scope
//! by id or origin id, defaulting to the resource's root scope. The role must belong to a
//! resource in the package's catalog (404 `ResourceNotFound` otherwise). Ids are GUIDs like
//! every grantd id (Graph's look like `{roleId}_{scopeId}`); binding the same role and scope
//! twice is 409 `DuplicateKey`.
use super::resources::{render_role, render_scope, rendered_resources};
use super::{actor, add_scope, not_found, package_at, parse_id, require, set, EM};
use crate::error::{GraphError, GraphResult};
use crate::json::{self, ApiVersion, GraphBody};
use crate::query::OData;
use crate::wire::format_datetime;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use grantd_domain::catalog::AccessPackage;
use grantd_domain::filter::{Filter, Value as FValue};
use grantd_domain::resource::{
    ResourceRole, ResourceRoleScope, ResourceScope, AAD_GROUP, ROLE_SCOPE_BETA, ROLE_SCOPE_V1,
};
use grantd_domain::roles::{Caller, CatalogAction};
use grantd_domain::{AccessPackageId, ResourceId, ResourceRoleId, ResourceScopeId, RoleScopeId};
use grantd_store::ListQuery;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

const ENTITY: &str = "microsoft.graph.accessPackageResourceRoleScope";

pub fn v1_routes() -> Router<AppState> {
    Router::new()
        .route(&format!("{EM}/accessPackages/{{id}}/resourceRoleScopes"), get(list_role_scopes).post(create_role_scope))
        .route(
            &format!("{EM}/accessPackages/{{id}}/resourceRoleScopes/{{rsid}}"),
            get(get_role_scope).delete(delete_role_scope),
        )
}

pub fn beta_routes() -> Router<AppState> {
    Router::new()
        .route(
            &format!("{EM}/accessPackages/{{id}}/accessPackageResourceRoleScopes"),
            get(list_role_scopes).post(create_role_scope),
        )
        .route(
            &format!("{EM}/accessPackages/{{id}}/accessPackageResourceRoleScopes/{{rsid}}"),
            get(get_role_scope).delete(delete_role_scope),
        )
}

/// Names in `v`: (set under a package, role nav, scope nav, role→resource nav).
fn names(v: ApiVersion) -> [&'static str; 4] {
    match v {
        ApiVersion::V1 => ["resourceRoleScopes", "role", "scope", "resource"],
        ApiVersion::Beta => [
            "accessPackageResourceRoleScopes",
            "accessPackageResourceRole",
            "accessPackageResourceScope",
            "accessPackageResource",
        ],
    }
}

fn context(v: ApiVersion, p: &AccessPackage) -> String {
    set(&format!("accessPackages('{}')/{}", p.id, names(v)[0]))
}

/// Renders role scopes with their role (and its resource) and scope inline.
async fn render_many(
    state: &AppState,
    caller: &Caller,
    v: ApiVersion,
    rss: &[ResourceRoleScope],
) -> GraphResult<Vec<Value>> {
    let [_, role_nav, scope_nav, resource_nav] = names(v);
    let role_ids: Vec<ResourceRoleId> = rss.iter().map(|r| r.role_id).collect();
    let scope_ids: Vec<ResourceScopeId> = rss.iter().map(|r| r.scope_id).collect();
    let res_ids: Vec<ResourceId> = rss.iter().map(|r| r.resource_id).collect();
    let roles: HashMap<ResourceRoleId, ResourceRole> =
        state.store.roles_by_ids(caller.tenant, &role_ids).await?.into_iter().map(|r| (r.id, r)).collect();
    let scopes: HashMap<ResourceScopeId, ResourceScope> =
        state.store.scopes_by_ids(caller.tenant, &scope_ids).await?.into_iter().map(|s| (s.id, s)).collect();
    let resources = rendered_resources(state, caller, v, &res_ids).await?;
    Ok(rss
        .iter()
        .map(|rs| {
            let mut out = match v {
                ApiVersion::V1 => json!({
                    "id": rs.id.to_string(),
                    "createdDateTime": format_datetime(&rs.created_date_time),
                }),
                ApiVersion::Beta => json!({
                    "id": rs.id.to_string(),
                    "createdBy": rs.created_by,
                    "createdDateTime": format_datetime(&rs.created_date_time),
                    "modifiedBy": rs.created_by,
                    "modifiedDateTime": format_datetime(&rs.modified_date_time),
                }),
            };
            let mut role = roles.get(&rs.role_id).map(|r| render_role(r, v)).unwrap_or(Value::Null);
            if role.is_object() {
                role[resource_nav] = resources.get(&rs.resource_id).cloned().unwrap_or(Value::Null);
            }
            out[role_nav] = role;
            out[scope_nav] = scopes.get(&rs.scope_id).map(|s| render_scope(s, v)).unwrap_or(Value::Null);
            out
        })
        .collect())
}

/// The rendered role scopes of each package (for `$expand` on packages).
pub async fn render_for_packages(
    state: &AppState,
    caller: &Caller,
    v: ApiVersion,
    ids: &[AccessPackageId],
) -> GraphResult<HashMap<AccessPackageId, Vec<Value>>> {
    let rss = state.store.role_scopes_of_packages(caller.tenant, ids).await?;
    let rendered = render_many(state, caller, v, &rss).await?;
    let mut out: HashMap<AccessPackageId, Vec<Value>> = HashMap::new();
    for (rs, r) in rss.iter().zip(rendered) {
        out.entry(rs.access_package_id).or_default().push(r);
    }
    Ok(out)
}

async fn list_role_scopes(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path(id): Path<String>,
    q: OData,
) -> GraphResult<Response> {
    let [_, role_nav, scope_nav, _] = names(v);
    q.check_expand(ENTITY, &[role_nav, scope_nav])?;
    let p = package_at(&state, &caller, &id).await?;
    let mut lq = q.list_query(match v {
        ApiVersion::V1 => &ROLE_SCOPE_V1,
        ApiVersion::Beta => &ROLE_SCOPE_BETA,
    })?;
    add_scope(&mut lq.scope, Filter::eq("access_package_id", FValue::Uuid(p.id.0)));
    let page = state.store.list_role_scopes(caller.tenant, &lq).await?;
    let mut items = render_many(&state, &caller, v, &page.items).await?;
    q.select(ENTITY, &mut items, &[role_nav, scope_nav])?;
    Ok(json::collection(v, &context(v, &p), items, page.count, q.next_link(page.next.as_deref())))
}

async fn find(state: &AppState, caller: &Caller, p: &AccessPackage, rsid: &str) -> GraphResult<ResourceRoleScope> {
    let rsid = parse_id::<RoleScopeId>(rsid).ok_or_else(not_found)?;
    match state.store.get_role_scope(caller.tenant, rsid).await? {
        Some(rs) if rs.access_package_id == p.id => Ok(rs),
        _ => Err(not_found()),
    }
}

async fn get_role_scope(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path((id, rsid)): Path<(String, String)>,
) -> GraphResult<Response> {
    let p = package_at(&state, &caller, &id).await?;
    let rs = find(&state, &caller, &p, &rsid).await?;
    let item = render_many(&state, &caller, v, &[rs]).await?.pop().ok_or_else(not_found)?;
    Ok(json::entity(StatusCode::OK, v, &context(v, &p), item))
}

async fn delete_role_scope(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((id, rsid)): Path<(String, String)>,
) -> GraphResult<Response> {
    let p = package_at(&state, &caller, &id).await?;
    require(&caller, p.catalog_id, CatalogAction::ManagePackages)?;
    let rs = find(&state, &caller, &p, &rsid).await?;
    if !state.store.delete_role_scope(caller.tenant, rs.id).await? {
        return Err(not_found());
    }
    Ok(crate::ctx::empty(StatusCode::NO_CONTENT))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourceRef {
    id: Option<String>,
    origin_id: Option<String>,
    origin_system: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoleRef {
    id: Option<String>,
    origin_id: Option<String>,
    resource: Option<ResourceRef>,
    access_package_resource: Option<ResourceRef>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScopeRef {
    id: Option<String>,
    origin_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RoleScopeInput {
    role: Option<RoleRef>,
    scope: Option<ScopeRef>,
    access_package_resource_role: Option<RoleRef>,
    access_package_resource_scope: Option<ScopeRef>,
}

/// The resource a role reference names (by id or origin), within the package's catalog.
async fn resolve_resource(
    state: &AppState,
    caller: &Caller,
    p: &AccessPackage,
    r: &ResourceRef,
) -> GraphResult<Option<ResourceId>> {
    if let Some(id) = r.id.as_deref() {
        let rid = parse_id::<ResourceId>(id).ok_or_else(not_found)?;
        return match state.store.get_resource(caller.tenant, rid).await? {
            Some(res) if res.catalog_id == p.catalog_id => Ok(Some(res.id)),
            _ => Err(not_found()),
        };
    }
    if let Some(origin) = r.origin_id.as_deref() {
        let system = r.origin_system.as_deref().unwrap_or(AAD_GROUP);
        let res = state.store.find_resource_by_origin(caller.tenant, p.catalog_id, system, origin).await?;
        return res.map(|x| Some(x.id)).ok_or_else(not_found);
    }
    Ok(None)
}

async fn resolve_role(state: &AppState, caller: &Caller, p: &AccessPackage, r: &RoleRef) -> GraphResult<ResourceRole> {
    if let Some(id) = r.id.as_deref() {
        let rid = parse_id::<ResourceRoleId>(id).ok_or_else(not_found)?;
        return match state.store.get_resource_role(caller.tenant, rid).await? {
            Some(role) if role.catalog_id == p.catalog_id => Ok(role),
            _ => Err(not_found()),
        };
    }
    let origin = r.origin_id.as_deref().ok_or_else(|| {
        GraphError::invalid_model("The role must be given by 'id', or by 'originId' and its resource.")
    })?;
    let resource = match r.resource.as_ref().or(r.access_package_resource.as_ref()) {
        Some(res) => resolve_resource(state, caller, p, res).await?,
        None => None,
    };
    let mut parts = vec![
        Filter::eq("catalog_id", FValue::Uuid(p.catalog_id.0)),
        Filter::eq("origin_id", FValue::Text(origin.to_string())),
    ];
    if let Some(res) = resource {
        parts.push(Filter::eq("resource_id", FValue::Uuid(res.0)));
    }
    let q = ListQuery { filter: Some(Filter::and(parts)), limit: 2, ..ListQuery::default() };
    let mut found = state.store.list_resource_roles(caller.tenant, &q).await?.items;
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(not_found()),
        _ => Err(GraphError::invalid_model(
            "Several resources have a role with this originId: give the role's resource.",
        )),
    }
}

async fn resolve_scope(
    state: &AppState,
    caller: &Caller,
    role: &ResourceRole,
    s: Option<&ScopeRef>,
) -> GraphResult<ResourceScope> {
    if let Some(id) = s.and_then(|s| s.id.as_deref()) {
        let sid = parse_id::<ResourceScopeId>(id).ok_or_else(not_found)?;
        return match state.store.get_resource_scope(caller.tenant, sid).await? {
            Some(scope) if scope.resource_id == role.resource_id => Ok(scope),
            _ => Err(not_found()),
        };
    }
    let scopes = state.store.scopes_of_resources(caller.tenant, &[role.resource_id]).await?;
    let origin = s.and_then(|s| s.origin_id.as_deref());
    scopes
        .into_iter()
        .find(|x| match origin {
            Some(o) => x.origin_id.eq_ignore_ascii_case(o),
            None => x.is_root_scope,
        })
        .ok_or_else(not_found)
}

async fn create_role_scope(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path(id): Path<String>,
    GraphBody(input): GraphBody<RoleScopeInput>,
) -> GraphResult<Response> {
    let p = package_at(&state, &caller, &id).await?;
    require(&caller, p.catalog_id, CatalogAction::ManagePackages)?;
    let [_, role_nav, _, _] = names(v);
    let role_ref = input
        .role
        .as_ref()
        .or(input.access_package_resource_role.as_ref())
        .ok_or_else(|| GraphError::invalid_model(format!("The property '{role_nav}' is required.")))?;
    let role = resolve_role(&state, &caller, &p, role_ref).await?;
    let scope =
        resolve_scope(&state, &caller, &role, input.scope.as_ref().or(input.access_package_resource_scope.as_ref()))
            .await?;
    let now = state.clock.now();
    let rs = ResourceRoleScope {
        id: RoleScopeId::new(),
        access_package_id: p.id,
        catalog_id: p.catalog_id,
        resource_id: role.resource_id,
        role_id: role.id,
        scope_id: scope.id,
        created_by: actor(&state, &caller).await?,
        created_date_time: now,
        modified_date_time: now,
    };
    state.store.create_role_scope(caller.tenant, &rs).await?;
    let item = render_many(&state, &caller, v, &[rs]).await?.pop().ok_or_else(not_found)?;
    Ok(json::entity(StatusCode::CREATED, v, &context(v, &p), item))
}
