//! Entitlement-management RBAC: `/roleManagement/entitlementManagement/roleDefinitions` (the
//! five built-in roles) and `/roleManagement/entitlementManagement/roleAssignments` (who holds
//! which role, tenant-wide or on one catalog). EM administrators manage every assignment;
//! a catalog owner manages the assignments scoped to their catalog.
use crate::error::{GraphError, GraphResult};
use crate::json::{self, ApiVersion, GraphBody};
use crate::query::OData;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use grantd_domain::filter::{Col, Filter, Value as FValue};
use grantd_domain::roles::{parse_app_scope, Caller, CatalogAction, EmRole, RoleAssignment, ROLE_ASSIGNMENT_CATALOG};
use grantd_domain::{parse_guid, ObjectId, RoleAssignmentId};
use serde::Deserialize;
use serde_json::{json, Value};

const BASE: &str = "/roleManagement/entitlementManagement";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(&format!("{BASE}/roleDefinitions"), get(list_definitions))
        .route(&format!("{BASE}/roleDefinitions/{{id}}"), get(get_definition))
        .route(&format!("{BASE}/roleAssignments"), get(list_assignments).post(create_assignment))
        .route(&format!("{BASE}/roleAssignments/{{id}}"), get(get_assignment).delete(delete_assignment))
}

fn render_definition(r: EmRole) -> Value {
    json!({
        "id": r.definition_id().to_string(),
        "displayName": r.display_name(),
        "description": r.display_name(),
        "isBuiltIn": true,
        "isEnabled": true,
        "templateId": r.definition_id().to_string(),
        "version": "1",
        "rolePermissions": [],
    })
}

fn render(r: &RoleAssignment) -> Value {
    json!({
        "id": r.id.to_string(),
        "principalId": r.principal_id.to_string(),
        "roleDefinitionId": r.role_definition_id.to_string(),
        "appScopeId": r.app_scope_id,
        "directoryScopeId": null,
    })
}

async fn list_definitions(Extension(v): Extension<ApiVersion>) -> Response {
    let items = EmRole::ALL.into_iter().map(render_definition).collect();
    json::collection(v, "roleManagement/entitlementManagement/roleDefinitions", items, None, None)
}

async fn get_definition(Extension(v): Extension<ApiVersion>, Path(id): Path<String>) -> GraphResult<Response> {
    let role =
        parse_guid(&id).and_then(EmRole::from_definition_id).ok_or_else(|| GraphError::not_found("role definition"))?;
    Ok(json::entity(StatusCode::OK, v, "roleManagement/entitlementManagement/roleDefinitions", render_definition(role)))
}

/// Managing an assignment: EM admins always; catalog owners for their catalog's roles.
fn may_manage(caller: &Caller, r: &RoleAssignment) -> bool {
    caller.may_manage_em_roles() || r.catalog_id.is_some_and(|c| caller.may_on_catalog(c, CatalogAction::ManageCatalog))
}

fn may_read(caller: &Caller, r: &RoleAssignment) -> bool {
    caller.is_em_reader() || r.catalog_id.is_some_and(|c| caller.may_on_catalog(c, CatalogAction::Read))
}

async fn list_assignments(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    q: OData,
) -> GraphResult<Response> {
    let mut lq = q.list_query(&ROLE_ASSIGNMENT_CATALOG)?;
    if let Some(cats) = caller.readable_catalogs() {
        lq.scope = Some(Filter::In {
            col: Col { column: "catalog_id", lower: false },
            values: cats.iter().map(|c| FValue::Uuid(c.0)).collect(),
        });
    }
    let page = state.store.list_role_assignments(caller.tenant, &lq).await?;
    let mut items: Vec<Value> = page.items.iter().map(render).collect();
    q.select("microsoft.graph.unifiedRoleAssignment", &mut items, &[])?;
    Ok(json::collection(
        v,
        "roleManagement/entitlementManagement/roleAssignments",
        items,
        page.count,
        q.next_link(page.next.as_deref()),
    ))
}

async fn find(state: &AppState, caller: &Caller, id: &str) -> GraphResult<RoleAssignment> {
    let nf = || GraphError::not_found("role assignment");
    let id = parse_guid(id).ok_or_else(nf)?;
    let r = state.store.get_role_assignment(caller.tenant, RoleAssignmentId(id)).await?.ok_or_else(nf)?;
    if !may_read(caller, &r) {
        return Err(nf());
    }
    Ok(r)
}

async fn get_assignment(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path(id): Path<String>,
) -> GraphResult<Response> {
    let r = find(&state, &caller, &id).await?;
    Ok(json::entity(StatusCode::OK, v, "roleManagement/entitlementManagement/roleAssignments", render(&r)))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AssignmentInput {
    principal_id: String,
    role_definition_id: String,
    app_scope_id: Option<String>,
}

async fn create_assignment(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    GraphBody(input): GraphBody<AssignmentInput>,
) -> GraphResult<Response> {
    let principal = parse_guid(&input.principal_id)
        .map(ObjectId)
        .ok_or_else(|| GraphError::invalid_model("The model is invalid. Property 'principalId' must be a GUID."))?;
    let role = parse_guid(&input.role_definition_id)
        .and_then(EmRole::from_definition_id)
        .ok_or_else(|| GraphError::not_found("role definition"))?;
    let scope = input.app_scope_id.unwrap_or_else(|| "/".into());
    let catalog = parse_app_scope(role, &scope)?;
    let r = RoleAssignment {
        id: RoleAssignmentId::new(),
        principal_id: principal,
        role_definition_id: role.definition_id(),
        app_scope_id: match catalog {
            Some(c) => format!("/AccessPackageCatalog/{c}"),
            None => "/".into(),
        },
        catalog_id: catalog,
        created_date_time: state.clock.now(),
    };
    if !may_manage(&caller, &r) {
        return Err(GraphError::forbidden());
    }
    let known = state.store.get_user(caller.tenant, principal).await?.is_some()
        || state.store.get_group(caller.tenant, principal).await?.is_some();
    if !known {
        return Err(GraphError::not_found("principal"));
    }
    if let Some(c) = catalog {
        if !state.store.catalog_exists(caller.tenant, c).await? {
            return Err(GraphError::not_found("catalog"));
        }
    }
    state.store.create_role_assignment(caller.tenant, &r).await?;
    Ok(json::entity(StatusCode::CREATED, v, "roleManagement/entitlementManagement/roleAssignments", render(&r)))
}

async fn delete_assignment(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> GraphResult<Response> {
    let r = find(&state, &caller, &id).await?;
    if !may_manage(&caller, &r) {
        return Err(GraphError::forbidden());
    }
    state.store.delete_role_assignment(caller.tenant, r.id).await?;
    Ok(crate::ctx::empty(StatusCode::NO_CONTENT))
}
