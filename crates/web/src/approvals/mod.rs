//! `accessPackageAssignmentApprovals` on both versions (endpoints.md §2): get an approval by its
//! request's id, list and get its stages (v1.0 `stages`, beta `steps`), decide a stage with
//! `PATCH` (`{reviewResult: Approve|Deny, justification}`, 204), and
//! `filterByCurrentUser(on='approver')` (the approvals waiting for the caller, paged). Delegated
//! only; who may read or decide is checked by the use cases in grantd-service. Must not write
//! the store itself.
mod render;

use crate::assignments::filter_by_current_user;
use crate::entitlement::{add_scope, parse_id, EM};
use crate::error::{GraphError, GraphResult};
use crate::json::{self, ApiVersion, GraphBody};
use crate::query::OData;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use grantd_domain::fields::{field, FieldCatalog, FieldKind};
use grantd_domain::filter::{Filter, Value as FValue};
use grantd_domain::request::approval::Verdict;
use grantd_domain::request::{RequestState, RequestStatus};
use grantd_domain::roles::Caller;
use grantd_domain::{ApprovalStageId, AssignmentRequestId};
use grantd_service::approvals as uc;
use serde_json::{json, Value};

pub(crate) const SET: &str = "accessPackageAssignmentApprovals";

/// Approvals are listed over the requests that carry them; only `id` can be filtered.
const APPROVAL_FIELDS: &[grantd_domain::fields::Field] = &[field(&["id"], "id", FieldKind::Uuid, true)];
const APPROVAL: FieldCatalog =
    FieldCatalog { entity: "microsoft.graph.approval", fields: APPROVAL_FIELDS, relations: &[], default_order: &[] };

pub fn router() -> Router<AppState> {
    Router::new()
        .route(&format!("{EM}/{SET}/{{id}}"), get(get_approval))
        .route(&format!("{EM}/{SET}/{{id}}/{{nav}}"), get(list_stages))
        .route(&format!("{EM}/{SET}/{{id}}/{{nav}}/{{stage}}"), get(get_stage).patch(update_stage))
}

fn context(id: &str, nav: Option<&str>) -> String {
    let base = crate::entitlement::set(SET);
    match nav {
        Some(n) => format!("{base}('{id}')/{n}"),
        None => base,
    }
}

fn approval_id(id: &str) -> GraphResult<AssignmentRequestId> {
    parse_id::<AssignmentRequestId>(id).ok_or_else(|| GraphError::not_found("approval"))
}

fn stage_id(id: &str) -> GraphResult<ApprovalStageId> {
    grantd_domain::parse_guid(id).map(ApprovalStageId).ok_or_else(|| GraphError::not_found("approval stage"))
}

/// The stages segment must be the version's (`stages` on v1.0, `steps` on beta).
fn check_nav(v: ApiVersion, nav: &str) -> GraphResult<()> {
    if nav == render::stages_nav(v) {
        Ok(())
    } else {
        Err(GraphError::no_route())
    }
}

async fn load(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> GraphResult<(uc::ApprovalView, Vec<grantd_domain::directory::User>)> {
    let view = uc::find_approval(&state.service(), caller, approval_id(id)?).await?;
    let users = state.store.users_by_ids(caller.tenant, &render::people(&view.request)).await?;
    Ok((view, users))
}

pub async fn get_approval(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path(id): Path<String>,
    q: OData,
) -> GraphResult<Response> {
    if let Some(on) = filter_by_current_user(&id) {
        return by_current_user(&state, &caller, v, &on, &q).await;
    }
    let (view, users) = load(&state, &caller, &id).await?;
    let body = render::approval(&view.request, v, view.me, &users);
    Ok(json::entity(StatusCode::OK, v, &context(&id, None), body))
}

pub async fn list_stages(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path((id, nav)): Path<(String, String)>,
) -> GraphResult<Response> {
    check_nav(v, &nav)?;
    let (view, users) = load(&state, &caller, &id).await?;
    let items: Vec<Value> =
        view.request.approval.iter().flat_map(|a| a.stages.iter()).map(|s| render::stage(s, view.me, &users)).collect();
    Ok(json::collection(v, &context(&id, Some(&nav)), items, None, None))
}

pub async fn get_stage(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path((id, nav, stage)): Path<(String, String, String)>,
) -> GraphResult<Response> {
    check_nav(v, &nav)?;
    let (view, users) = load(&state, &caller, &id).await?;
    let sid = stage_id(&stage)?;
    let s = view
        .request
        .approval
        .as_ref()
        .and_then(|a| a.stage(sid))
        .ok_or_else(|| GraphError::not_found("approval stage"))?;
    let body = render::stage(s, view.me, &users);
    Ok(json::entity(StatusCode::OK, v, &context(&id, Some(&nav)), body))
}

/// Reads `{reviewResult, justification}` (approvalstage-update.md: `reviewResult` required).
fn read_decision(body: &Value) -> GraphResult<(Verdict, Option<String>)> {
    let o = body.as_object().ok_or_else(|| GraphError::invalid_model("The request body must be a JSON object."))?;
    let verdict = match o.get("reviewResult") {
        Some(Value::String(s)) => Verdict::parse(s).ok_or_else(|| {
            GraphError::invalid_model(format!(
                "The property 'reviewResult' has an invalid value '{s}'; use 'Approve' or 'Deny'."
            ))
        })?,
        Some(Value::Null) | None => return Err(GraphError::invalid_model("The property 'reviewResult' is required.")),
        Some(_) => return Err(GraphError::invalid_model("The property 'reviewResult' must be a string.")),
    };
    let justification = match o.get("justification") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Null) | None => None,
        Some(_) => return Err(GraphError::invalid_model("The property 'justification' must be a string.")),
    };
    Ok((verdict, justification))
}

pub async fn update_stage(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(v): Extension<ApiVersion>,
    Path((id, nav, stage)): Path<(String, String, String)>,
    GraphBody(body): GraphBody<Value>,
) -> GraphResult<Response> {
    check_nav(v, &nav)?;
    let (verdict, justification) = read_decision(&body)?;
    uc::decide(&state.service(), &caller, approval_id(&id)?, stage_id(&stage)?, verdict, justification).await?;
    Ok(crate::ctx::empty(StatusCode::NO_CONTENT))
}

/// `filterByCurrentUser(on='approver')`: the approvals whose stage in progress asks the caller.
async fn by_current_user(
    state: &AppState,
    caller: &Caller,
    v: ApiVersion,
    on: &str,
    q: &OData,
) -> GraphResult<Response> {
    let me = caller.user_id().ok_or_else(GraphError::forbidden)?;
    if !on.eq_ignore_ascii_case("approver") {
        return Err(GraphError::bad_request(
            "BadRequest",
            format!("The value '{on}' of parameter 'on' is not supported here; use 'approver'."),
        ));
    }
    let mine = Filter::and(vec![
        Filter::Related { relation: "request_approvers", value: FValue::Uuid(me.0) },
        Filter::eq("state", FValue::Text(RequestState::PendingApproval.v1().into())),
        Filter::Or(vec![
            Filter::eq("status", FValue::Text(RequestStatus::PendingApproval.v1().into())),
            Filter::eq("status", FValue::Text(RequestStatus::PendingApprovalEscalated.v1().into())),
        ]),
    ]);
    let mut lq = q.list_query(&APPROVAL)?;
    add_scope(&mut lq.scope, mine);
    let page = state.store.list_requests(caller.tenant, &lq).await?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|r| json!({"@odata.type": "#microsoft.graph.approval", "id": r.id.to_string()}))
        .collect();
    Ok(json::collection(v, &crate::entitlement::set(SET), items, page.count, q.next_link(page.next.as_deref())))
}
