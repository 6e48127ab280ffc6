//! A catalog's resources, resource roles and resource scopes (read-only: resources come and go
//! through resource requests). v1.0 `catalogs/{id}/resources|resourceRoles|resourceScopes`
//! with navigations `roles`/`scopes`/`resource`; beta `accessPackageCatalogs/{id}/
//! accessPackageResources|accessPackageResourceRoles|accessPackageResourceScopes` with
//! `accessPackageResourceRoles`/`accessPackageResourceScopes`/`accessPackageResource`.
use super::{add_scope, catalog_at, catalogs, not_found, parse_id, set, EM};
use crate::error::GraphResult;
use crate::json::{self, ApiVersion};
use crate::query::{Kind, OData};
use crate::wire::format_datetime;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use grantd_domain::catalog::Catalog;
use grantd_domain::fields::FieldCatalog;
use grantd_domain::filter::{CmpOp, Filter, Value as FValue};
use grantd_domain::resource::{
    Resource, ResourceRole, ResourceScope, RESOURCE_BETA, RESOURCE_V1, ROLE_BETA, ROLE_V1, SCOPE_BETA, SCOPE_V1,
};
use grantd_domain::roles::Caller;
use grantd_domain::ResourceId;
use serde_json::{json, Value};
use std::collections::HashMap;

const RESOURCE: &str = "microsoft.graph.accessPackageResource";
const ROLE: &str = "microsoft.graph.accessPackageResourceRole";
const SCOPE: &str = "microsoft.graph.accessPackageResourceScope";

pub fn v1_routes() -> Router<AppState> {
    Router::new()
        .route(&format!("{EM}/catalogs/{{id}}/resources"), get(list_resources))
        .route(&format!("{EM}/catalogs/{{id}}/resources/{{rid}}"), get(get_resource))
        .route(&format!("{EM}/catalogs/{{id}}/resourceRoles"), get(list_roles))
        .route(&format!("{EM}/catalogs/{{id}}/resourceScopes"), get(list_scopes))
}

pub fn beta_routes() -> Router<AppState> {
    let base = format!("{EM}/accessPackageCatalogs/{{id}}");
    Router::new()
        .route(&format!("{base}/accessPackageResources"), get(list_resources))
        .route(&format!("{base}/accessPackageResources/{{rid}}"), get(get_resource))
        .route(&format!("{base}/accessPackageResourceRoles"), get(list_roles))
        .route(&format!("{base}/accessPackageResourceScopes"), get(list_scopes))
}

/// Names in `v`: (resources set, roles set / resource→roles nav, scopes set / resource→scopes
/// nav, role|scope→resource nav).
fn names(v: ApiVersion) -> [&'static str; 4] {
    match v {
        ApiVersion::V1 => ["resources", "roles", "scopes", "resource"],
        ApiVersion::Beta => [
            "accessPackageResources",
            "accessPackageResourceRoles",
            "accessPackageResourceScopes",
            "accessPackageResource",
        ],
    }
}

fn context(v: ApiVersion, c: &Catalog, what: &str) -> String {
    set(&format!("{}('{}')/{what}", catalogs::set_name(v), c.id))
}

pub fn render_resource(r: &Resource, v: ApiVersion) -> Value {
    match v {
        ApiVersion::V1 => json!({
            "id": r.id.to_string(),
            "displayName": r.display_name,
            "description": r.description,
            "originId": r.origin_id,
            "originSystem": r.origin_system,
            "attributes": [],
            "createdDateTime": format_datetime(&r.created_date_time),
            "modifiedDateTime": format_datetime(&r.modified_date_time),
        }),
        ApiVersion::Beta => json!({
            "id": r.id.to_string(),
            "displayName": r.display_name,
            "description": r.description,
            "originId": r.origin_id,
            "originSystem": r.origin_system,
            "resourceType": r.resource_type,
            "url": r.url,
            "attributes": [],
            "isPendingOnboarding": false,
            "addedBy": r.added_by,
            "addedOn": format_datetime(&r.created_date_time),
        }),
    }
}

pub fn render_role(r: &ResourceRole, _v: ApiVersion) -> Value {
    json!({
        "id": r.id.to_string(),
        "displayName": r.display_name,
        "description": r.description,
        "originId": r.origin_id,
        "originSystem": r.origin_system,
    })
}

pub fn render_scope(s: &ResourceScope, v: ApiVersion) -> Value {
    let mut out = json!({
        "id": s.id.to_string(),
        "displayName": s.display_name,
        "description": s.description,
        "originId": s.origin_id,
        "originSystem": s.origin_system,
        "isRootScope": s.is_root_scope,
    });
    if v == ApiVersion::Beta {
        out["roleOriginId"] = Value::Null;
        out["url"] = Value::Null;
    }
    out
}

/// The resources with these ids, rendered, by id.
pub async fn rendered_resources(
    state: &AppState,
    caller: &Caller,
    v: ApiVersion,
    ids: &[ResourceId],
) -> GraphResult<HashMap<ResourceId, Value>> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    let rs = state.store.resources_by_ids(caller.tenant, &ids).await?;
    Ok(rs.iter().map(|r| (r.id, render_resource(r, v))).collect())
}

/// The id compared with `eq` on `column` at the top level of a filter, if any.
fn eq_uuid(f: &Filter, column: &str) -> Option<uuid::Uuid> {
    match f {
        Filter::Compare { col, op: CmpOp::Eq, value: FValue::Uuid(u) } if col.column == column => Some(*u),
        Filter::And(parts) => parts.iter().find_map(|p| eq_uuid(p, column)),
        _ => None,
    }
}

fn fields(v: ApiVersion, kind: &str) -> &'static FieldCatalog {
    match (v, kind) {
        (ApiVersion::V1, "resource") => &RESOURCE_V1,
        (ApiVersion::Beta, "resource") => &RESOURCE_BETA,
        (ApiVersion::V1, "role") => &ROLE_V1,
        (ApiVersion::Beta, "role") => &ROLE_BETA,
        (ApiVersion::V1, _) => &SCOPE_V1,
        (ApiVersion::Beta, _) => &SCOPE_BETA,
    }
}

pub(crate) async fn render_resources(
    state: &AppState,
    caller: &Caller,
    v: ApiVersion,
    rs: &[Resource],
    expand: &[&str],
) -> GraphResult<Vec<Value>> {
    let [_, roles_nav, scopes_nav, _] = names(v);
    let mut items: Vec<Value> = rs.iter().map(|r| render_resource(r, v)).collect();
    let ids: Vec<ResourceId> = rs.iter().map(|r| r.id).collect();
    if expand.contains(&roles_nav) {
        let mut by: HashMap<ResourceId, Vec<Value>> = HashMap::new();
        for r in state.store.roles_of_resources(caller.tenant, &ids).await? {
            by.entry(r.resource_id).or_default().push(render_role(&r, v));
        }
        for (item, r) in items.iter_mut().zip(rs) {
            item[roles_nav] = Value::Array(by.remove(&r.id).unwrap_or_default());
        }
    }
    if expand.contains(&scopes_nav) {
        let mut by: HashMap<ResourceId, Vec<Value>> = HashMap::new();
        for s in state.store.scopes_of_resources(caller.tenant, &ids).await? {
            by.entry(s.resource_id).or_default().push(render_scope(&s, v));
        }
        for (item, r) in items.iter_mut().zip(rs) {
            item[scopes_nav] = Value::Array(by.remove(&r.id).unwrap_or_default());
        }
    }
    Ok(items)
}

fn in_catalog(c: &Catalog) -> Filter {
    Filter::eq("catalog_id", FValue::Uuid(c.id.0))
}

async fn list_resources(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path(id): Path<String>,
    q: OData,
) -> GraphResult<Response> {
    let [set_name, roles_nav, scopes_nav, _] = names(v);
    let expand = q.check_expand(RESOURCE, &[roles_nav, scopes_nav])?;
    let c = catalog_at(&state, &caller, &id).await?;
    let mut lq = q.list_query(fields(v, "resource"))?;
    add_scope(&mut lq.scope, in_catalog(&c));
    let page = state.store.list_resources(caller.tenant, &lq).await?;
    let mut items = render_resources(&state, &caller, v, &page.items, &expand).await?;
    crate::expand::finish(&state, &caller, &q, Kind::Resource, &mut items, &expand).await?;
    Ok(json::collection(v, &context(v, &c, set_name), items, page.count, q.next_link(page.next.as_deref())))
}

async fn get_resource(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path((id, rid)): Path<(String, String)>,
    q: OData,
) -> GraphResult<Response> {
    let [set_name, roles_nav, scopes_nav, _] = names(v);
    let expand = q.check_expand(RESOURCE, &[roles_nav, scopes_nav])?;
    let c = catalog_at(&state, &caller, &id).await?;
    let rid = parse_id::<ResourceId>(&rid).ok_or_else(not_found)?;
    let r = match state.store.get_resource(caller.tenant, rid).await? {
        Some(r) if r.catalog_id == c.id => r,
        _ => return Err(not_found()),
    };
    let mut items = render_resources(&state, &caller, v, std::slice::from_ref(&r), &expand).await?;
    crate::expand::finish(&state, &caller, &q, Kind::Resource, &mut items, &expand).await?;
    let item = items.pop().ok_or_else(not_found)?;
    Ok(json::entity(StatusCode::OK, v, &context(v, &c, set_name), item))
}

/// Checks a `resource/id eq '...'` restriction names a resource of the catalog (Graph answers
/// 404 `ResourceNotFound` for a resource that is not in it).
async fn check_resource_filter(state: &AppState, caller: &Caller, c: &Catalog, f: Option<&Filter>) -> GraphResult<()> {
    if let Some(rid) = f.and_then(|f| eq_uuid(f, "resource_id")) {
        match state.store.get_resource(caller.tenant, ResourceId(rid)).await? {
            Some(r) if r.catalog_id == c.id => {}
            _ => return Err(not_found()),
        }
    }
    Ok(())
}

async fn list_roles(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path(id): Path<String>,
    q: OData,
) -> GraphResult<Response> {
    let [_, roles_set, _, resource_nav] = names(v);
    let expand = q.check_expand(ROLE, &[resource_nav])?;
    let c = catalog_at(&state, &caller, &id).await?;
    let mut lq = q.list_query(fields(v, "role"))?;
    check_resource_filter(&state, &caller, &c, lq.filter.as_ref()).await?;
    add_scope(&mut lq.scope, in_catalog(&c));
    let page = state.store.list_resource_roles(caller.tenant, &lq).await?;
    let mut items: Vec<Value> = page.items.iter().map(|r| render_role(r, v)).collect();
    if !expand.is_empty() {
        let ids: Vec<ResourceId> = page.items.iter().map(|r| r.resource_id).collect();
        let rs = rendered_resources(&state, &caller, v, &ids).await?;
        for (item, r) in items.iter_mut().zip(&page.items) {
            item[resource_nav] = rs.get(&r.resource_id).cloned().unwrap_or(Value::Null);
        }
    }
    q.select(ROLE, &mut items, &expand)?;
    Ok(json::collection(v, &context(v, &c, roles_set), items, page.count, q.next_link(page.next.as_deref())))
}

async fn list_scopes(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path(id): Path<String>,
    q: OData,
) -> GraphResult<Response> {
    let [_, _, scopes_set, resource_nav] = names(v);
    let expand = q.check_expand(SCOPE, &[resource_nav])?;
    let c = catalog_at(&state, &caller, &id).await?;
    let mut lq = q.list_query(fields(v, "scope"))?;
    check_resource_filter(&state, &caller, &c, lq.filter.as_ref()).await?;
    add_scope(&mut lq.scope, in_catalog(&c));
    let page = state.store.list_resource_scopes(caller.tenant, &lq).await?;
    let mut items: Vec<Value> = page.items.iter().map(|s| render_scope(s, v)).collect();
    if !expand.is_empty() {
        let ids: Vec<ResourceId> = page.items.iter().map(|s| s.resource_id).collect();
        let rs = rendered_resources(&state, &caller, v, &ids).await?;
        for (item, s) in items.iter_mut().zip(&page.items) {
            item[resource_nav] = rs.get(&s.resource_id).cloned().unwrap_or(Value::Null);
        }
    }
    q.select(SCOPE, &mut items, &expand)?;
    Ok(json::collection(v, &context(v, &c, scopes_set), items, page.count, q.next_link(page.next.as_deref())))
}
