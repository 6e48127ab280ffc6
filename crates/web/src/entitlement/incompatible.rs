//! Separation-of-duties navigations of an access package (same names on v1.0 and beta):
//! `incompatibleAccessPackages` and `incompatibleGroups` (list; add with `POST .../$ref`;
//! remove with `DELETE .../{id}/$ref`) and the read-only `accessPackagesIncompatibleWith`.
//! Reading needs read access to the package's catalog, changing needs `ManagePackages` there.
//! The request-time refusal lives in grantd-service (requests/separation.rs).
use super::access_packages::render_all;
use super::{package_at, parse_id, require, set, EM};
use crate::directory::groups;
use crate::error::{GraphError, GraphResult};
use crate::json::{self, ApiVersion, GraphBody};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::{Extension, Router};
use grantd_domain::roles::{Caller, CatalogAction};
use grantd_domain::separation::{Incompatibility, IncompatibleKind};
use grantd_domain::{parse_guid, AccessPackageId, ObjectId};
use grantd_store::StoreError;
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

pub fn shared_routes() -> Router<AppState> {
    let base = format!("{EM}/accessPackages/{{id}}");
    Router::new()
        .route(&format!("{base}/incompatibleAccessPackages"), get(list_packages))
        .route(&format!("{base}/incompatibleAccessPackages/$ref"), post(add_package))
        .route(&format!("{base}/incompatibleAccessPackages/{{other}}/$ref"), delete(remove_package))
        .route(&format!("{base}/incompatibleGroups"), get(list_groups))
        .route(&format!("{base}/incompatibleGroups/$ref"), post(add_group))
        .route(&format!("{base}/incompatibleGroups/{{other}}/$ref"), delete(remove_group))
        .route(&format!("{base}/accessPackagesIncompatibleWith"), get(list_incompatible_with))
}

#[derive(Debug, Deserialize)]
struct RefBody {
    #[serde(rename = "@odata.id")]
    odata_id: String,
}

/// The id at the end of an `@odata.id` (`.../accessPackages/{id}`, `.../groups/{id}`,
/// `...('id')`, or a bare id).
fn ref_id(odata_id: &str) -> GraphResult<Uuid> {
    let last = odata_id.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    let last = last.rsplit('(').next().unwrap_or(last).trim_end_matches(')').trim_matches('\'');
    parse_guid(last).ok_or_else(|| {
        GraphError::invalid_model(format!("The property '@odata.id' does not name an object: '{odata_id}'."))
    })
}

async fn packages_by_ids(
    state: &AppState,
    caller: &Caller,
    v: ApiVersion,
    ids: &[AccessPackageId],
) -> GraphResult<Vec<Value>> {
    let mut pkgs = state.store.packages_by_ids(caller.tenant, ids).await?;
    pkgs.retain(|p| caller.may_on_catalog(p.catalog_id, CatalogAction::Read));
    pkgs.sort_by(|a, b| a.display_name.cmp(&b.display_name).then(a.id.0.cmp(&b.id.0)));
    render_all(state, caller, v, &pkgs, &[]).await
}

async fn list_packages(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path(id): Path<String>,
) -> GraphResult<Response> {
    let p = package_at(&state, &caller, &id).await?;
    let ids: Vec<AccessPackageId> = state
        .store
        .incompatibilities_of(caller.tenant, p.id)
        .await?
        .into_iter()
        .filter(|i| i.kind == IncompatibleKind::AccessPackage)
        .map(|i| AccessPackageId(i.incompatible_id))
        .collect();
    let items = packages_by_ids(&state, &caller, v, &ids).await?;
    Ok(json::collection(v, &set(&format!("accessPackages('{}')/incompatibleAccessPackages", p.id)), items, None, None))
}

async fn list_incompatible_with(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path(id): Path<String>,
) -> GraphResult<Response> {
    let p = package_at(&state, &caller, &id).await?;
    let ids = state.store.packages_incompatible_with(caller.tenant, p.id).await?;
    let items = packages_by_ids(&state, &caller, v, &ids).await?;
    Ok(json::collection(
        v,
        &set(&format!("accessPackages('{}')/accessPackagesIncompatibleWith", p.id)),
        items,
        None,
        None,
    ))
}

async fn list_groups(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path(id): Path<String>,
) -> GraphResult<Response> {
    let p = package_at(&state, &caller, &id).await?;
    let mut items = Vec::new();
    for i in state.store.incompatibilities_of(caller.tenant, p.id).await? {
        if i.kind != IncompatibleKind::Group {
            continue;
        }
        if let Some(g) = state.store.get_group(caller.tenant, ObjectId(i.incompatible_id)).await? {
            items.push(groups::render(&g));
        }
    }
    Ok(json::collection(v, &set(&format!("accessPackages('{}')/incompatibleGroups", p.id)), items, None, None))
}

fn added(r: Result<(), StoreError>, what: &str) -> GraphResult<Response> {
    match r {
        Ok(()) => Ok(crate::ctx::empty(StatusCode::NO_CONTENT)),
        Err(StoreError::Duplicate) => Err(GraphError::conflict(
            "IncompatibilityAlreadyExists",
            format!("The {what} is already in the access package's incompatible list."),
        )),
        Err(e) => Err(e.into()),
    }
}

async fn add_package(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    GraphBody(body): GraphBody<RefBody>,
) -> GraphResult<Response> {
    let p = package_at(&state, &caller, &id).await?;
    require(&caller, p.catalog_id, CatalogAction::ManagePackages)?;
    let other = ref_id(&body.odata_id)?;
    let other = package_at(&state, &caller, &other.to_string()).await?;
    if other.id == p.id {
        return Err(GraphError::invalid_model("An access package cannot be incompatible with itself."));
    }
    let row = Incompatibility::new(p.id, IncompatibleKind::AccessPackage, other.id.0, state.clock.now());
    added(state.store.add_incompatibility(caller.tenant, &row).await, "access package")
}

async fn add_group(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    GraphBody(body): GraphBody<RefBody>,
) -> GraphResult<Response> {
    let p = package_at(&state, &caller, &id).await?;
    require(&caller, p.catalog_id, CatalogAction::ManagePackages)?;
    let gid = ref_id(&body.odata_id)?;
    if state.store.get_group(caller.tenant, ObjectId(gid)).await?.is_none() {
        return Err(GraphError::not_found("group"));
    }
    let row = Incompatibility::new(p.id, IncompatibleKind::Group, gid, state.clock.now());
    added(state.store.add_incompatibility(caller.tenant, &row).await, "group")
}

async fn remove(
    state: &AppState,
    caller: &Caller,
    id: &str,
    other: &str,
    kind: IncompatibleKind,
) -> GraphResult<Response> {
    let p = package_at(state, caller, id).await?;
    require(caller, p.catalog_id, CatalogAction::ManagePackages)?;
    let other: Uuid = parse_id(other).ok_or_else(super::not_found)?;
    if state.store.remove_incompatibility(caller.tenant, p.id, kind, other).await? {
        Ok(crate::ctx::empty(StatusCode::NO_CONTENT))
    } else {
        Err(super::not_found())
    }
}

async fn remove_package(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((id, other)): Path<(String, String)>,
) -> GraphResult<Response> {
    remove(&state, &caller, &id, &other, IncompatibleKind::AccessPackage).await
}

async fn remove_group(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((id, other)): Path<(String, String)>,
) -> GraphResult<Response> {
    remove(&state, &caller, &id, &other, IncompatibleKind::Group).await
}
