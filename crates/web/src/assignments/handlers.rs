//! Assignment handlers. Lists are scoped to the catalogs the caller may read (403 for callers
//! with no entitlement-management access, as Graph answers role-less users); one assignment is
//! readable by catalog readers and by its target; `filterByCurrentUser` needs a signed-in user
//! and ignores catalog roles (`target`: the caller's assignments; `createdBy`: assignments of
//! requests the caller made). Reprocess needs `ManageAssignments` on the catalog.
use super::{filter_by_current_user, render, set_name, subject, ENTITY};
use crate::entitlement::{access_packages, add_scope, catalog_scope, parse_id};
use crate::error::{GraphError, GraphResult};
use crate::json::{self, ApiVersion};
use crate::policies;
use crate::query::OData;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use grantd_domain::assignment::{Assignment, ASSIGNMENT_BETA, ASSIGNMENT_V1};
use grantd_domain::filter::{Filter, Value as FValue};
use grantd_domain::roles::{Caller, CatalogAction};
use grantd_domain::AssignmentId;
use grantd_store::ListQuery;
use serde_json::Value;
use std::collections::hash_map::Entry;
use std::collections::HashMap;

fn navigations(v: ApiVersion) -> &'static [&'static str] {
    match v {
        ApiVersion::V1 => &["target", "accessPackage", "assignmentPolicy"],
        ApiVersion::Beta => &["target", "accessPackage", "accessPackageAssignmentPolicy"],
    }
}

fn only_own_name(v: ApiVersion) -> GraphResult<()> {
    if crate::requests::em_set() == set_name(v) {
        Ok(())
    } else {
        Err(GraphError::no_route())
    }
}

fn not_found() -> GraphError {
    GraphError::not_found("access package assignment")
}

/// Renders assignments with the requested navigations.
pub(crate) async fn render_all(
    state: &AppState,
    caller: &Caller,
    v: ApiVersion,
    items: &[Assignment],
    navs: &[&str],
) -> GraphResult<Vec<Value>> {
    let tenant = caller.tenant;
    let mut out: Vec<Value> = items.iter().map(|a| render(a, v)).collect();
    if navs.contains(&"target") {
        let ids: Vec<_> = items.iter().map(|a| a.target_id).collect();
        let users = state.store.users_by_ids(tenant, &ids).await?;
        for (a, o) in items.iter().zip(out.iter_mut()) {
            o["target"] = users.iter().find(|u| u.id == a.target_id).map(|u| subject(u, v)).unwrap_or(Value::Null);
        }
    }
    if navs.contains(&"accessPackage") {
        let mut cache = HashMap::new();
        for (a, o) in items.iter().zip(out.iter_mut()) {
            if let Entry::Vacant(e) = cache.entry(a.access_package_id) {
                e.insert(state.store.get_access_package(tenant, a.access_package_id).await?);
            }
            o["accessPackage"] = cache
                .get(&a.access_package_id)
                .and_then(|p| p.as_ref())
                .map(|p| access_packages::render(p, v))
                .unwrap_or(Value::Null);
        }
    }
    if navs.iter().any(|n| *n == "assignmentPolicy" || *n == "accessPackageAssignmentPolicy") {
        let name = if v == ApiVersion::V1 { "assignmentPolicy" } else { "accessPackageAssignmentPolicy" };
        for (a, o) in items.iter().zip(out.iter_mut()) {
            let p = state.store.get_policy(tenant, a.assignment_policy_id).await?;
            o[name] = p.map(|p| policies::render(&p, v)).unwrap_or(Value::Null);
        }
    }
    Ok(out)
}

fn catalog(v: ApiVersion) -> &'static grantd_domain::fields::FieldCatalog {
    match v {
        ApiVersion::V1 => &ASSIGNMENT_V1,
        ApiVersion::Beta => &ASSIGNMENT_BETA,
    }
}

async fn page(state: &AppState, caller: &Caller, v: ApiVersion, q: &OData, lq: ListQuery) -> GraphResult<Response> {
    let navs = q.check_expand(ENTITY, navigations(v))?;
    let page = state.store.list_assignments(caller.tenant, &lq).await?;
    let mut items = render_all(state, caller, v, &page.items, &navs).await?;
    q.select(ENTITY, &mut items, &navs)?;
    let set = crate::entitlement::set(set_name(v));
    Ok(json::collection(v, &set, items, page.count, q.next_link(page.next.as_deref())))
}

pub async fn list_assignments(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    q: OData,
) -> GraphResult<Response> {
    only_own_name(v)?;
    let mut lq = q.list_query(catalog(v))?;
    lq.scope = catalog_scope(&caller, "catalog_id")?;
    page(&state, &caller, v, &q, lq).await
}

pub async fn get_assignment(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path(id): Path<String>,
    q: OData,
) -> GraphResult<Response> {
    only_own_name(v)?;
    if let Some(on) = filter_by_current_user(&id) {
        let me = caller.user_id().ok_or_else(GraphError::forbidden)?;
        let mine = match on.to_ascii_lowercase().as_str() {
            "target" => Filter::eq("target_id", FValue::Uuid(me.0)),
            "createdby" => Filter::Related { relation: "assignment_requestors", value: FValue::Uuid(me.0) },
            _ => {
                return Err(GraphError::bad_request(
                    "BadRequest",
                    format!("The value '{on}' of parameter 'on' is not supported; use 'target' or 'createdBy'."),
                ))
            }
        };
        let mut lq = q.list_query(catalog(v))?;
        add_scope(&mut lq.scope, mine);
        return page(&state, &caller, v, &q, lq).await;
    }
    if let Some(lq) = additional_access(&caller, &q, v, &id)? {
        return page(&state, &caller, v, &q, lq).await;
    }
    let navs = q.check_expand(ENTITY, navigations(v))?;
    let a = find(&state, &caller, &id).await?;
    let mut items = render_all(&state, &caller, v, std::slice::from_ref(&a), &navs).await?;
    q.select(ENTITY, &mut items, &navs)?;
    let set = crate::entitlement::set(set_name(v));
    Ok(json::entity(StatusCode::OK, v, &set, items.pop().unwrap_or(Value::Null)))
}

/// `additionalAccess(accessPackageId='a',incompatibleAccessPackageId='b')` in the id segment:
/// the assignments of package a that hold access and whose target also holds an assignment of
/// package b (both parameters are required GUIDs). None for any other segment.
fn additional_access(
    caller: &Caller,
    q: &OData,
    v: ApiVersion,
    segment: &str,
) -> GraphResult<Option<grantd_store::ListQuery>> {
    let s = segment.trim();
    let Some(inner) = s
        .get(..17)
        .filter(|f| f.eq_ignore_ascii_case("additionalAccess("))
        .and_then(|_| s.get(17..))
        .and_then(|r| r.strip_suffix(')'))
    else {
        return Ok(None);
    };
    let mut a = None;
    let mut b = None;
    for part in inner.split(',') {
        let (name, value) = part.split_once('=').unwrap_or((part, ""));
        let id = grantd_domain::parse_guid(value.trim().trim_matches('\''));
        match name.trim() {
            n if n.eq_ignore_ascii_case("accessPackageId") => a = id,
            n if n.eq_ignore_ascii_case("incompatibleAccessPackageId") => b = id,
            _ => {}
        }
    }
    let (Some(a), Some(b)) = (a, b) else {
        return Err(GraphError::bad_request(
            "BadRequest",
            "additionalAccess needs 'accessPackageId' and 'incompatibleAccessPackageId', each a GUID in quotes.",
        ));
    };
    let holding = || Filter::In {
        col: grantd_domain::filter::Col { column: "state", lower: false },
        values: ["delivering", "partiallyDelivered", "delivered"].into_iter().map(|s| FValue::Text(s.into())).collect(),
    };
    let mut lq = q.list_query(catalog(v))?;
    lq.scope = catalog_scope(caller, "catalog_id")?;
    add_scope(
        &mut lq.scope,
        Filter::and(vec![
            Filter::eq("access_package_id", FValue::Uuid(a)),
            holding(),
            Filter::Via {
                local: "target_id",
                table: "assignments",
                remote: "target_id",
                filter: Box::new(Filter::and(vec![Filter::eq("access_package_id", FValue::Uuid(b)), holding()])),
                all: false,
            },
        ]),
    );
    Ok(Some(lq))
}

/// An assignment the caller may read (its catalog's readers, its target), else 404.
async fn find(state: &AppState, caller: &Caller, id: &str) -> GraphResult<Assignment> {
    let id = parse_id::<AssignmentId>(id).ok_or_else(not_found)?;
    let a = state.store.get_assignment(caller.tenant, id).await?.ok_or_else(not_found)?;
    let readable = caller.may_on_catalog(a.catalog_id, CatalogAction::Read) || caller.user_id() == Some(a.target_id);
    if readable {
        Ok(a)
    } else {
        Err(not_found())
    }
}

pub async fn reprocess(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path(id): Path<String>,
) -> GraphResult<Response> {
    only_own_name(v)?;
    let id = parse_id::<AssignmentId>(&id).ok_or_else(not_found)?;
    grantd_service::requests::reprocess_assignment(&state.service(), &caller, id).await?;
    Ok(crate::ctx::empty(StatusCode::ACCEPTED))
}
