//! Request handlers. Reading: catalog readers see the requests of their catalogs (lists are
//! scoped, and 403 for callers with no entitlement-management access: end users use
//! `filterByCurrentUser`); one request is readable by its catalog's readers, its requestor, its
//! target and its current approvers, and answers 404 to anyone else. Writing goes through the
//! use cases in grantd-service, which check who may do what.
use super::{body, em_set, render, DEPRECATED_SET, ENTITY, V1_SET};
use crate::assignments::{filter_by_current_user, subject};
use crate::entitlement::{access_packages, add_scope, catalog_scope, parse_id};
use crate::error::{GraphError, GraphResult};
use crate::json::{self, ApiVersion, GraphBody};
use crate::query::OData;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use grantd_domain::filter::{Filter, Value as FValue};
use grantd_domain::request::{AssignmentRequest, RequestState, REQUEST_BETA, REQUEST_V1};
use grantd_domain::roles::Caller;
use grantd_domain::AssignmentRequestId;
use grantd_service::requests as uc;
use grantd_store::ListQuery;
use serde_json::Value;
use std::collections::hash_map::Entry;
use std::collections::HashMap;

/// The deprecated beta name is not a v1.0 route.
fn check_set(v: ApiVersion) -> GraphResult<String> {
    let set = em_set();
    if v == ApiVersion::V1 && set != V1_SET {
        return Err(GraphError::no_route());
    }
    Ok(if set == DEPRECATED_SET { DEPRECATED_SET } else { V1_SET }.to_string())
}

fn context_set(set: &str) -> String {
    crate::entitlement::set(set)
}

fn assignment_nav(v: ApiVersion) -> &'static str {
    match v {
        ApiVersion::V1 => "assignment",
        ApiVersion::Beta => "accessPackageAssignment",
    }
}

fn navigations(v: ApiVersion) -> &'static [&'static str] {
    match v {
        ApiVersion::V1 => &["accessPackage", "assignment", "requestor"],
        ApiVersion::Beta => &["accessPackage", "accessPackageAssignment", "requestor"],
    }
}

/// `Prefer: include-unknown-enum-members` (WIRE v1 6), in any case, among other preferences.
fn include_unknown(headers: &HeaderMap) -> bool {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|h| h.to_str().ok())
        .any(|h| h.split(',').any(|p| p.trim().eq_ignore_ascii_case("include-unknown-enum-members")))
}

fn not_found() -> GraphError {
    GraphError::not_found("access package assignment request")
}

fn fields(v: ApiVersion) -> &'static grantd_domain::fields::FieldCatalog {
    match v {
        ApiVersion::V1 => &REQUEST_V1,
        ApiVersion::Beta => &REQUEST_BETA,
    }
}

/// Renders requests with the requested navigations (nested `assignment($expand=target)`).
async fn render_all(
    state: &AppState,
    caller: &Caller,
    v: ApiVersion,
    q: &OData,
    items: &[AssignmentRequest],
    navs: &[&str],
    unknown: bool,
) -> GraphResult<Vec<Value>> {
    let tenant = caller.tenant;
    let mut out: Vec<Value> = items.iter().map(|r| render(r, v, unknown)).collect();
    if navs.contains(&"accessPackage") {
        let mut cache = HashMap::new();
        for (r, o) in items.iter().zip(out.iter_mut()) {
            if let Entry::Vacant(e) = cache.entry(r.access_package_id) {
                e.insert(state.store.get_access_package(tenant, r.access_package_id).await?);
            }
            o["accessPackage"] = cache
                .get(&r.access_package_id)
                .and_then(|p| p.as_ref())
                .map(|p| access_packages::render(p, v))
                .unwrap_or(Value::Null);
        }
    }
    let nav = assignment_nav(v);
    if navs.contains(&nav) {
        let nested: Vec<&'static str> = q
            .opts
            .expand
            .iter()
            .flatten()
            .filter(|i| i.path.first().is_some_and(|p| p.eq_ignore_ascii_case(nav)))
            .flat_map(|i| i.options.expand.iter().flatten())
            .filter_map(|i| i.path.first())
            .filter_map(|n| ["target", "accessPackage"].into_iter().find(|a| a.eq_ignore_ascii_case(n)))
            .collect();
        let ids: Vec<_> = items.iter().filter_map(|r| r.assignment_id).collect();
        let found = state.store.assignments_by_ids(tenant, &ids).await?;
        let rendered = crate::assignments::render_list(state, caller, v, &found, &nested).await?;
        for (r, o) in items.iter().zip(out.iter_mut()) {
            let at = r.assignment_id.and_then(|id| found.iter().position(|a| a.id == id));
            o[nav] = at.and_then(|i| rendered.get(i).cloned()).unwrap_or(Value::Null);
        }
    }
    if navs.contains(&"requestor") {
        let ids: Vec<_> = items.iter().filter_map(|r| r.requestor_id).collect();
        let users = state.store.users_by_ids(tenant, &ids).await?;
        for (r, o) in items.iter().zip(out.iter_mut()) {
            o["requestor"] = r
                .requestor_id
                .and_then(|id| users.iter().find(|u| u.id == id))
                .map(|u| subject(u, v))
                .unwrap_or(Value::Null);
        }
    }
    Ok(out)
}

#[allow(clippy::too_many_arguments)]
async fn page(
    state: &AppState,
    caller: &Caller,
    v: ApiVersion,
    set: &str,
    q: &OData,
    lq: ListQuery,
    unknown: bool,
) -> GraphResult<Response> {
    let navs = q.check_expand(ENTITY, navigations(v))?;
    let page = state.store.list_requests(caller.tenant, &lq).await?;
    let mut items = render_all(state, caller, v, q, &page.items, &navs, unknown).await?;
    q.select(ENTITY, &mut items, &navs)?;
    Ok(json::collection(v, &context_set(set), items, page.count, q.next_link(page.next.as_deref())))
}

pub async fn list_requests(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    headers: HeaderMap,
    q: OData,
) -> GraphResult<Response> {
    let set = check_set(v)?;
    let mut lq = q.list_query(fields(v))?;
    lq.scope = catalog_scope(&caller, "catalog_id")?;
    page(&state, &caller, v, &set, &q, lq, include_unknown(&headers)).await
}

pub async fn create_request(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    headers: HeaderMap,
    GraphBody(body): GraphBody<Value>,
) -> GraphResult<Response> {
    let set = check_set(v)?;
    let draft = body::read_draft(&body)?;
    let credentials = body::read_credentials(&body)?;
    let r = uc::submit_with_credentials(&state.service(), &caller, draft, &credentials).await?;
    Ok(json::entity(StatusCode::CREATED, v, &context_set(&set), render(&r, v, include_unknown(&headers))))
}

/// `filterByCurrentUser(on=...)`: the caller's own view, whatever their catalog roles.
async fn by_current_user(
    state: &AppState,
    caller: &Caller,
    v: ApiVersion,
    set: &str,
    on: &str,
    q: &OData,
    unknown: bool,
) -> GraphResult<Response> {
    let me = caller.user_id().ok_or_else(GraphError::forbidden)?;
    let mine = match on.to_ascii_lowercase().as_str() {
        "target" => Filter::eq("target_id", FValue::Uuid(me.0)),
        "createdby" => Filter::eq("requestor_id", FValue::Uuid(me.0)),
        "approver" => Filter::and(vec![
            Filter::Related { relation: "request_approvers", value: FValue::Uuid(me.0) },
            Filter::eq("state", FValue::Text(RequestState::PendingApproval.v1().into())),
        ]),
        _ => {
            return Err(GraphError::bad_request(
                "BadRequest",
                format!(
                    "The value '{on}' of parameter 'on' is not supported; use 'target', 'createdBy' or 'approver'."
                ),
            ))
        }
    };
    let mut lq = q.list_query(fields(v))?;
    add_scope(&mut lq.scope, mine);
    page(state, caller, v, set, q, lq, unknown).await
}

/// `$count` of the collection (WIRE.md 23), as plain text.
async fn count(state: &AppState, caller: &Caller, v: ApiVersion, q: &OData) -> GraphResult<Response> {
    let mut lq = q.list_query(fields(v))?;
    lq.scope = catalog_scope(caller, "catalog_id")?;
    lq.count = true;
    lq.limit = 1;
    let n = state.store.list_requests(caller.tenant, &lq).await?.count.unwrap_or(0);
    let mut resp = (StatusCode::OK, n.to_string()).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain;charset=utf-8"));
    Ok(resp)
}

fn request_id(id: &str) -> GraphResult<AssignmentRequestId> {
    parse_id::<AssignmentRequestId>(id).ok_or_else(not_found)
}

pub async fn get_request(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    headers: HeaderMap,
    Path(id): Path<String>,
    q: OData,
) -> GraphResult<Response> {
    let set = check_set(v)?;
    let unknown = include_unknown(&headers);
    if let Some(on) = filter_by_current_user(&id) {
        return by_current_user(&state, &caller, v, &set, &on, &q, unknown).await;
    }
    if id == "$count" {
        return count(&state, &caller, v, &q).await;
    }
    let navs = q.check_expand(ENTITY, navigations(v))?;
    let r = uc::find(&state.service(), &caller, request_id(&id)?).await?;
    let mut items = render_all(&state, &caller, v, &q, std::slice::from_ref(&r), &navs, unknown).await?;
    q.select(ENTITY, &mut items, &navs)?;
    Ok(json::entity(StatusCode::OK, v, &context_set(&set), items.pop().unwrap_or(Value::Null)))
}

pub async fn delete_request(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path(id): Path<String>,
) -> GraphResult<Response> {
    check_set(v)?;
    uc::delete(&state.service(), &caller, request_id(&id)?).await?;
    Ok(crate::ctx::empty(StatusCode::NO_CONTENT))
}

/// `cancel`: no body (the old beta body `{"id", "requestStatus": "cancelled"}` is accepted
/// and ignored); 200 with an empty body.
pub async fn cancel(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path(id): Path<String>,
) -> GraphResult<Response> {
    check_set(v)?;
    uc::cancel(&state.service(), &caller, request_id(&id)?).await?;
    Ok(crate::ctx::empty(StatusCode::OK))
}

pub async fn reprocess(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path(id): Path<String>,
) -> GraphResult<Response> {
    check_set(v)?;
    uc::reprocess(&state.service(), &caller, request_id(&id)?).await?;
    Ok(crate::ctx::empty(StatusCode::ACCEPTED))
}

pub async fn resume(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path(id): Path<String>,
    raw: Bytes,
) -> GraphResult<Response> {
    check_set(v)?;
    let callback = if raw.iter().all(u8::is_ascii_whitespace) {
        grantd_service::extensions::Callback::default()
    } else {
        let v = json::parse_body::<Value>(&raw)?;
        let mut cb = body::read_resume(&v)?;
        cb.supplied_stage = body::read_supplied_stage(&v)?;
        cb
    };
    grantd_service::extensions::resume(&state.service(), &caller, request_id(&id)?, callback).await?;
    Ok(crate::ctx::empty(StatusCode::NO_CONTENT))
}
