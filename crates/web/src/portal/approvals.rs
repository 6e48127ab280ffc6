//! Approvals: the requests waiting on the signed-in approver (the request's current approvers,
//! as the `filterByCurrentUser(on='approver')` list has them), with the requestor's
//! justification and answers.
use super::page::{html, Chrome, PortalResult};
use super::requests::{detail, newest_first, RequestDetail};
use super::view::Viewer;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use grantd_domain::filter::{Filter, Value as FValue};
use grantd_domain::request::RequestState;
use grantd_store::ListQuery;

pub struct Pending {
    pub d: RequestDetail,
    pub requestor: String,
}

#[derive(Template)]
#[template(path = "portal/approvals.html")]
struct ApprovalsPage {
    chrome: Chrome,
    pending: Vec<Pending>,
}

pub async fn pending(State(state): State<AppState>, v: Viewer) -> PortalResult<Response> {
    let tenant = v.tenant();
    let q = ListQuery {
        scope: Some(Filter::and(vec![
            Filter::Related { relation: "request_approvers", value: FValue::Uuid(v.me.0) },
            Filter::eq("state", FValue::Text(RequestState::PendingApproval.v1().into())),
        ])),
        order: newest_first(),
        limit: 200,
        ..ListQuery::default()
    };
    let items = state.store.list_requests(tenant, &q).await?.items;
    let users = state
        .store
        .users_by_ids(tenant, &items.iter().filter_map(|r| r.requestor_id.or(Some(r.target_id))).collect::<Vec<_>>())
        .await?;
    let mut pending = Vec::new();
    for r in &items {
        let who = r.requestor_id.unwrap_or(r.target_id);
        let requestor =
            users.iter().find(|u| u.id == who).map(|u| u.display_name.clone()).unwrap_or_else(|| who.to_string());
        pending.push(Pending { d: detail(&state, tenant, r).await?, requestor });
    }
    Ok(html(&ApprovalsPage { chrome: v.chrome("approvals"), pending }))
}
