//! Catalogs: v1.0 `catalogs` (`state`, camelCase enums) and beta `accessPackageCatalogs`
//! (`catalogStatus`, PascalCase strings, `createdBy`/`modifiedBy`): list, create, get, update,
//! delete, `$expand=accessPackages`. Creating needs EM administration or the catalog creator
//! role; a non-admin creator becomes the catalog's owner in the same transaction.
use super::{access_packages, actor, catalog_at, catalog_scope, enum_out, not_found, present, require, set, EM};
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
use grantd_domain::catalog::{
    check_name, enum_value, Catalog, CATALOG_BETA, CATALOG_STATES, CATALOG_TYPES, CATALOG_V1,
};
use grantd_domain::fields::FieldCatalog;
use grantd_domain::roles::{Caller, CatalogAction, EmRole, Principal, RoleAssignment};
use grantd_domain::{parse_guid, CatalogId, ObjectId, RoleAssignmentId};
use grantd_store::DeleteCatalog;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

const ENTITY: &str = "microsoft.graph.accessPackageCatalog";

pub fn v1_routes() -> Router<AppState> {
    Router::new()
        .route(&format!("{EM}/catalogs"), get(list_catalogs).post(create_catalog))
        .route(&format!("{EM}/catalogs/{{id}}"), get(get_catalog).patch(update_catalog).delete(delete_catalog))
}

pub fn beta_routes() -> Router<AppState> {
    Router::new().route(&format!("{EM}/accessPackageCatalogs"), get(list_catalogs).post(create_catalog)).route(
        &format!("{EM}/accessPackageCatalogs/{{id}}"),
        get(get_catalog).patch(update_catalog).delete(delete_catalog),
    )
}

/// The entity-set name of catalogs in `v`.
pub fn set_name(v: ApiVersion) -> &'static str {
    match v {
        ApiVersion::V1 => "catalogs",
        ApiVersion::Beta => "accessPackageCatalogs",
    }
}

fn fields(v: ApiVersion) -> &'static FieldCatalog {
    match v {
        ApiVersion::V1 => &CATALOG_V1,
        ApiVersion::Beta => &CATALOG_BETA,
    }
}

pub fn render(c: &Catalog, v: ApiVersion) -> Value {
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
            "catalogType": enum_out(v, &c.catalog_type),
            "catalogStatus": enum_out(v, &c.state),
            "isExternallyVisible": c.is_externally_visible,
            "createdBy": c.created_by,
            "createdDateTime": format_datetime(&c.created_date_time),
            "modifiedBy": c.modified_by,
            "modifiedDateTime": format_datetime(&c.modified_date_time),
        }),
    }
}

/// Renders catalogs with the requested expansions (`accessPackages`).
pub(crate) async fn render_all(
    state: &AppState,
    caller: &Caller,
    v: ApiVersion,
    catalogs: &[Catalog],
    expand: &[&str],
) -> GraphResult<Vec<Value>> {
    let mut items: Vec<Value> = catalogs.iter().map(|c| render(c, v)).collect();
    if expand.contains(&"accessPackages") {
        let ids: Vec<CatalogId> = catalogs.iter().map(|c| c.id).collect();
        let mut by_catalog: HashMap<CatalogId, Vec<Value>> = HashMap::new();
        for p in state.store.packages_of_catalogs(caller.tenant, &ids).await? {
            by_catalog.entry(p.catalog_id).or_default().push(access_packages::render(&p, v));
        }
        for (item, c) in items.iter_mut().zip(catalogs) {
            item["accessPackages"] = Value::Array(by_catalog.remove(&c.id).unwrap_or_default());
        }
    }
    Ok(items)
}

async fn list_catalogs(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    q: OData,
) -> GraphResult<Response> {
    let expand = q.check_expand(ENTITY, &["accessPackages"])?;
    let mut lq = q.list_query_with_search(fields(v), grantd_domain::catalog::SEARCHABLE)?;
    lq.scope = catalog_scope(&caller, "id")?;
    let page = state.store.list_catalogs(caller.tenant, &lq).await?;
    let mut items = render_all(&state, &caller, v, &page.items, &expand).await?;
    crate::expand::finish(&state, &caller, &q, Kind::Catalog, &mut items, &expand).await?;
    Ok(json::collection(v, &set(set_name(v)), items, page.count, q.next_link(page.next.as_deref())))
}

async fn get_catalog(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path(id): Path<String>,
    q: OData,
) -> GraphResult<Response> {
    let expand = q.check_expand(ENTITY, &["accessPackages"])?;
    let c = catalog_at(&state, &caller, &id).await?;
    let mut items = render_all(&state, &caller, v, std::slice::from_ref(&c), &expand).await?;
    crate::expand::finish(&state, &caller, &q, Kind::Catalog, &mut items, &expand).await?;
    let item = items.pop().ok_or_else(not_found)?;
    Ok(json::entity(StatusCode::OK, v, &set(set_name(v)), item))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CatalogInput {
    #[serde(default, deserialize_with = "present")]
    display_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    description: Option<Option<String>>,
    catalog_type: Option<String>,
    /// v1.0 name.
    state: Option<String>,
    /// beta name.
    catalog_status: Option<String>,
    is_externally_visible: Option<bool>,
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

impl CatalogInput {
    fn state(&self, v: ApiVersion) -> GraphResult<Option<&'static str>> {
        let (name, value) = match v {
            ApiVersion::V1 => ("state", self.state.as_ref().or(self.catalog_status.as_ref())),
            ApiVersion::Beta => ("catalogStatus", self.catalog_status.as_ref().or(self.state.as_ref())),
        };
        Ok(match value {
            Some(s) => Some(enum_value(CATALOG_STATES, name, s)?),
            None => None,
        })
    }
    fn catalog_type(&self) -> GraphResult<Option<&'static str>> {
        Ok(match &self.catalog_type {
            Some(t) => Some(enum_value(CATALOG_TYPES, "catalogType", t)?),
            None => None,
        })
    }
}

async fn create_catalog(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    GraphBody(input): GraphBody<CatalogInput>,
) -> GraphResult<Response> {
    if !caller.may_create_catalog() {
        return Err(GraphError::forbidden());
    }
    let name = display_name(input.display_name.clone())?
        .ok_or_else(|| GraphError::invalid_model("The property 'displayName' is required."))?;
    if input.catalog_type()?.is_some_and(|t| t != "userManaged") {
        return Err(GraphError::invalid_model("Only catalogs of catalogType 'userManaged' can be created."));
    }
    let now = state.clock.now();
    let who = actor(&state, &caller).await?;
    let c = Catalog {
        id: CatalogId::new(),
        display_name: name,
        description: input.description.clone().flatten(),
        catalog_type: "userManaged".into(),
        state: input.state(v)?.unwrap_or("published").into(),
        is_externally_visible: input.is_externally_visible.unwrap_or(false),
        created_by: who.clone(),
        modified_by: who,
        created_date_time: now,
        modified_date_time: now,
    };
    let owner = if caller.is_em_admin() { None } else { owner_assignment(&caller, c.id, now) };
    state.store.create_catalog(caller.tenant, &c, owner.as_ref()).await?;
    Ok(json::entity(StatusCode::CREATED, v, &set(set_name(v)), render(&c, v)))
}

/// The catalog-owner role assignment a non-admin creator receives (Graph: "the user who
/// creates a catalog becomes its first owner"). Apps are identified by their app id when it
/// is a GUID; otherwise there is no principal to record.
fn owner_assignment(caller: &Caller, catalog: CatalogId, now: chrono::DateTime<chrono::Utc>) -> Option<RoleAssignment> {
    let principal = match &caller.principal {
        Principal::User { id } => *id,
        Principal::App { app_id } => ObjectId(parse_guid(app_id)?),
    };
    Some(RoleAssignment {
        id: RoleAssignmentId::new(),
        principal_id: principal,
        role_definition_id: EmRole::CatalogOwner.definition_id(),
        app_scope_id: format!("/AccessPackageCatalog/{catalog}"),
        catalog_id: Some(catalog),
        created_date_time: now,
    })
}

async fn update_catalog(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path(id): Path<String>,
    GraphBody(input): GraphBody<CatalogInput>,
) -> GraphResult<Response> {
    let mut c = catalog_at(&state, &caller, &id).await?;
    require(&caller, c.id, CatalogAction::ManageCatalog)?;
    if let Some(n) = display_name(input.display_name.clone())? {
        c.display_name = n;
    }
    if let Some(d) = input.description.clone() {
        c.description = d;
    }
    if let Some(s) = input.state(v)? {
        c.state = s.into();
    }
    if let Some(t) = input.catalog_type()? {
        if t != c.catalog_type {
            return Err(GraphError::invalid_model("The property 'catalogType' cannot be changed."));
        }
    }
    if let Some(x) = input.is_externally_visible {
        c.is_externally_visible = x;
    }
    c.modified_by = actor(&state, &caller).await?;
    c.modified_date_time = state.clock.now();
    state.store.update_catalog(caller.tenant, &c).await?;
    Ok(crate::ctx::empty(StatusCode::NO_CONTENT))
}

async fn delete_catalog(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> GraphResult<Response> {
    let c = catalog_at(&state, &caller, &id).await?;
    require(&caller, c.id, CatalogAction::ManageCatalog)?;
    match state.store.delete_catalog(caller.tenant, c.id).await? {
        DeleteCatalog::Deleted => Ok(crate::ctx::empty(StatusCode::NO_CONTENT)),
        DeleteCatalog::NotFound => Err(not_found()),
        DeleteCatalog::HasPackages => Err(GraphError::conflict(
            "CatalogNotEmpty",
            "The catalog cannot be deleted because it still contains access packages. Delete them first.",
        )),
    }
}
