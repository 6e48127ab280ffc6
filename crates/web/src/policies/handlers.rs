//! The policy handlers. Authorization follows the package's catalog: reading needs
//! `CatalogAction::Read`, writing `ManagePackages`; lists are scoped to the catalogs the caller
//! can read. A policy id that does not exist is a 404 `ResourceNotFound`; one that exists in a
//! catalog the caller cannot read is a 404, as if missing (docs/decisions.md); one it can read but not change is 403.
use super::{apply, entity_set, nav, render, ENTITY};
use crate::error::{GraphError, GraphResult};
use crate::json::{self, ApiVersion, GraphBody};
use crate::query::{Kind, OData};
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use grantd_domain::policy::{
    may_set_auto_assignment, Policy, AUTO_ASSIGNMENT_MESSAGE, MAX_STAGES_BETA, MAX_STAGES_V1, POLICY_BETA, POLICY_V1,
};
use grantd_domain::roles::{Caller, CatalogAction};
use grantd_domain::{parse_guid, AccessPackageId, PolicyId};
use grantd_store::PolicyDeletion;
use serde_json::{Map, Value};
use std::collections::hash_map::Entry;
use std::collections::HashMap;

/// Routes of one version answer only under that version (`/beta/.../assignmentPolicies` is
/// not a Graph route, nor `/v1.0/.../accessPackageAssignmentPolicies`).
fn only(v: ApiVersion, want: ApiVersion) -> GraphResult<()> {
    if v == want {
        Ok(())
    } else {
        Err(GraphError::no_route())
    }
}

fn navigations(v: ApiVersion) -> &'static [&'static str] {
    match v {
        ApiVersion::V1 => &["accessPackage", "catalog", "questions", "customExtensionStageSettings"],
        ApiVersion::Beta => &[
            "accessPackage",
            "accessPackageCatalog",
            "questions",
            "customExtensionStageSettings",
            "customExtensionHandlers",
        ],
    }
}

fn not_found() -> GraphError {
    GraphError::not_found("access package assignment policy")
}

/// Loads a policy the caller may `action` on.
async fn find(state: &AppState, caller: &Caller, id: &str, action: CatalogAction) -> GraphResult<Policy> {
    let id = parse_guid(id).map(PolicyId).ok_or_else(not_found)?;
    let p = state.store.get_policy(caller.tenant, id).await?.ok_or_else(not_found)?;
    // Unreadable is reported as missing (docs/decisions.md); readable but not writable is 403.
    if !caller.may_on_catalog(p.catalog_id, CatalogAction::Read) {
        return Err(not_found());
    }
    if !caller.may_on_catalog(p.catalog_id, action) {
        return Err(GraphError::forbidden());
    }
    Ok(p)
}

/// Renders policies with the requested navigations expanded (packages and catalogs loaded once).
pub(crate) async fn render_all(
    state: &AppState,
    caller: &Caller,
    v: ApiVersion,
    policies: &[Policy],
    navs: &[&str],
) -> GraphResult<Vec<Value>> {
    let want_package = navs.contains(&"accessPackage");
    let want_catalog = navs.iter().any(|n| *n == "catalog" || *n == "accessPackageCatalog");
    let mut packages = HashMap::new();
    let mut catalogs = HashMap::new();
    let mut out = Vec::with_capacity(policies.len());
    for p in policies {
        let mut r = render(p, v);
        if want_package {
            if let Entry::Vacant(e) = packages.entry(p.access_package_id) {
                e.insert(state.store.get_access_package(caller.tenant, p.access_package_id).await?);
            }
            r["accessPackage"] = packages
                .get(&p.access_package_id)
                .and_then(|x| x.as_ref())
                .map(|x| nav::access_package(x, v))
                .unwrap_or(Value::Null);
        }
        if want_catalog {
            if let Entry::Vacant(e) = catalogs.entry(p.catalog_id) {
                e.insert(state.store.get_catalog(caller.tenant, p.catalog_id).await?);
            }
            let name = if v == ApiVersion::V1 { "catalog" } else { "accessPackageCatalog" };
            r[name] =
                catalogs.get(&p.catalog_id).and_then(|x| x.as_ref()).map(|x| nav::catalog(x, v)).unwrap_or(Value::Null);
        }
        out.push(r);
    }
    Ok(out)
}

async fn list(state: AppState, caller: Caller, v: ApiVersion, q: OData) -> GraphResult<Response> {
    let navs = q.check_expand(ENTITY, navigations(v))?;
    let mut lq = q.list_query(if v == ApiVersion::V1 { &POLICY_V1 } else { &POLICY_BETA })?;
    lq.scope = crate::entitlement::catalog_scope(&caller, "catalog_id")?;
    let page = state.store.list_policies(caller.tenant, &lq).await?;
    let mut items = render_all(&state, &caller, v, &page.items, &navs).await?;
    crate::expand::finish(&state, &caller, &q, Kind::Policy, &mut items, &navs).await?;
    Ok(json::collection(v, &entity_set(v), items, page.count, q.next_link(page.next.as_deref())))
}

async fn get_one(state: AppState, caller: Caller, v: ApiVersion, id: String, q: OData) -> GraphResult<Response> {
    let navs = q.check_expand(ENTITY, navigations(v))?;
    let p = find(&state, &caller, &id, CatalogAction::Read).await?;
    let mut items = render_all(&state, &caller, v, std::slice::from_ref(&p), &navs).await?;
    crate::expand::finish(&state, &caller, &q, Kind::Policy, &mut items, &navs).await?;
    let body = items.pop().unwrap_or(Value::Null);
    Ok(json::entity(StatusCode::OK, v, &entity_set(v), body))
}

/// The owning package named in a body: v1.0 `accessPackage: {id}` (beta's `accessPackageId` is
/// accepted too), beta `accessPackageId` (or `accessPackage: {id}`).
fn package_in_body(body: &Value, v: ApiVersion) -> GraphResult<Option<AccessPackageId>> {
    let o = super::reader::Obj::root(body)?;
    let nested = o.nav_id("accessPackage")?;
    let flat = o.string("accessPackageId")?;
    let (name, raw) = match (v, nested, flat) {
        (ApiVersion::V1, Some(n), _) => ("accessPackage.id", n),
        (ApiVersion::Beta, _, Some(f)) => ("accessPackageId", f),
        (_, Some(n), None) => ("accessPackage.id", n),
        (_, None, Some(f)) => ("accessPackageId", f),
        (_, None, None) => return Ok(None),
    };
    parse_guid(&raw)
        .map(|u| Some(AccessPackageId(u)))
        .ok_or_else(|| super::reader::bad(name, format!("'{raw}' is not a valid GUID")))
}

/// beta answers a replace without `accessPackageId` this way (errors.md V4, text verbatim).
fn missing_package_id() -> GraphError {
    GraphError::bad_request("ArgumentNullException", "Value cannot be null.Parameter name: Id")
}

fn max_stages(v: ApiVersion) -> usize {
    match v {
        ApiVersion::V1 => MAX_STAGES_V1,
        ApiVersion::Beta => MAX_STAGES_BETA,
    }
}

/// The checks every write ends with: the auto-assignment rule (A7), then the policy rules.
fn check_write(caller: &Caller, before: Option<&Policy>, p: &Policy, v: ApiVersion) -> GraphResult<()> {
    if (p.is_auto_assignment() || before.is_some_and(Policy::is_auto_assignment)) && !may_set_auto_assignment(caller) {
        return Err(GraphError::new(
            StatusCode::FORBIDDEN,
            "AutoAssignmentPolicyRequirementNotMet",
            AUTO_ASSIGNMENT_MESSAGE,
        ));
    }
    p.validate(max_stages(v))?;
    Ok(())
}

async fn create(state: AppState, caller: Caller, v: ApiVersion, body: Value) -> GraphResult<Response> {
    if !caller.may_write_em() {
        return Err(GraphError::forbidden());
    }
    let package_id = match package_in_body(&body, v)? {
        Some(id) => id,
        None if v == ApiVersion::Beta => return Err(missing_package_id()),
        None => return Err(super::reader::bad("accessPackage", "the access package of the policy is required")),
    };
    let package = state
        .store
        .get_access_package(caller.tenant, package_id)
        .await?
        .ok_or_else(|| GraphError::not_found("access package"))?;
    if !caller.may_on_catalog(package.catalog_id, CatalogAction::ManagePackages) {
        return Err(GraphError::forbidden());
    }
    let mut p = Policy::new(
        PolicyId::new(),
        package.id,
        package.catalog_id,
        state.clock.now(),
        crate::entitlement::actor(&state, &caller).await?,
    );
    apply(&body, v, &mut p, true)?;
    check_write(&caller, None, &p, v)?;
    state.store.create_policy(caller.tenant, &p).await?;
    Ok(json::entity(StatusCode::CREATED, v, &entity_set(v), render(&p, v)))
}

async fn replace(state: AppState, caller: Caller, v: ApiVersion, id: String, body: Value) -> GraphResult<Response> {
    let before = find(&state, &caller, &id, CatalogAction::ManagePackages).await?;
    match package_in_body(&body, v)? {
        Some(pkg) if pkg != before.access_package_id => {
            return Err(super::reader::bad(
                if v == ApiVersion::V1 { "accessPackage.id" } else { "accessPackageId" },
                "a policy cannot be moved to another access package",
            ))
        }
        Some(_) => {}
        None if v == ApiVersion::Beta => return Err(missing_package_id()),
        None => {}
    }
    let mut p = before.clone();
    apply(&body, v, &mut p, false)?;
    p.modified_date_time = state.clock.now();
    p.modified_by = crate::entitlement::actor(&state, &caller).await?;
    check_write(&caller, Some(&before), &p, v)?;
    state.store.update_policy(caller.tenant, &p).await?;
    Ok(json::entity(StatusCode::OK, v, &entity_set(v), render(&p, v)))
}

/// Merges `patch` into `base`: objects member by member, everything else replaces.
fn merge(base: &mut Value, patch: Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                match b.get_mut(&k) {
                    Some(existing) if existing.is_object() && v.is_object() => merge(existing, v),
                    _ => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, p) => *b = p,
    }
}

async fn patch(state: AppState, caller: Caller, v: ApiVersion, id: String, body: Value) -> GraphResult<Response> {
    let current = find(&state, &caller, &id, CatalogAction::ManagePackages).await?;
    if !body.is_object() {
        return Err(super::reader::bad("", "The body must be a JSON object"));
    }
    let mut merged = render(&current, v);
    if v == ApiVersion::V1 {
        if let Value::Object(m) = &mut merged {
            m.insert(
                "accessPackage".into(),
                Value::Object(Map::from_iter([(
                    "id".to_string(),
                    Value::String(current.access_package_id.to_string()),
                )])),
            );
        }
    }
    merge(&mut merged, body);
    replace(state, caller, v, id, merged).await
}

async fn delete(state: AppState, caller: Caller, id: String) -> GraphResult<Response> {
    let p = find(&state, &caller, &id, CatalogAction::ManagePackages).await?;
    match state.store.delete_policy(caller.tenant, p.id).await? {
        PolicyDeletion::Deleted => Ok(crate::ctx::empty(StatusCode::NO_CONTENT)),
        PolicyDeletion::NotFound => Err(not_found()),
        PolicyDeletion::HasAssignments(n) => Err(GraphError::conflict(
            "InvalidDeletePolicyHasAssignments",
            format!("The policy: {} can not be deleted because there are active assignments ({n}).", p.display_name),
        )),
    }
}

macro_rules! version_handlers {
    ($v:expr, $list:ident, $get:ident, $create:ident, $replace:ident, $patch:ident, $delete:ident) => {
        pub async fn $list(
            State(state): State<AppState>,
            Extension(caller): Extension<Caller>,
            Extension(v): Extension<ApiVersion>,
            q: OData,
        ) -> GraphResult<Response> {
            only(v, $v)?;
            list(state, caller, v, q).await
        }
        pub async fn $get(
            State(state): State<AppState>,
            Extension(caller): Extension<Caller>,
            Extension(v): Extension<ApiVersion>,
            Path(id): Path<String>,
            q: OData,
        ) -> GraphResult<Response> {
            only(v, $v)?;
            get_one(state, caller, v, id, q).await
        }
        pub async fn $create(
            State(state): State<AppState>,
            Extension(caller): Extension<Caller>,
            Extension(v): Extension<ApiVersion>,
            GraphBody(body): GraphBody<Value>,
        ) -> GraphResult<Response> {
            only(v, $v)?;
            create(state, caller, v, body).await
        }
        pub async fn $replace(
            State(state): State<AppState>,
            Extension(caller): Extension<Caller>,
            Extension(v): Extension<ApiVersion>,
            Path(id): Path<String>,
            GraphBody(body): GraphBody<Value>,
        ) -> GraphResult<Response> {
            only(v, $v)?;
            replace(state, caller, v, id, body).await
        }
        pub async fn $patch(
            State(state): State<AppState>,
            Extension(caller): Extension<Caller>,
            Extension(v): Extension<ApiVersion>,
            Path(id): Path<String>,
            GraphBody(body): GraphBody<Value>,
        ) -> GraphResult<Response> {
            only(v, $v)?;
            patch(state, caller, v, id, body).await
        }
        pub async fn $delete(
            State(state): State<AppState>,
            Extension(caller): Extension<Caller>,
            Extension(v): Extension<ApiVersion>,
            Path(id): Path<String>,
        ) -> GraphResult<Response> {
            only(v, $v)?;
            delete(state, caller, id).await
        }
    };
}

version_handlers!(ApiVersion::V1, list_v1, get_v1, create_v1, replace_v1, patch_v1, delete_v1);
version_handlers!(ApiVersion::Beta, list_beta, get_beta, create_beta, replace_beta, patch_beta, delete_beta);
