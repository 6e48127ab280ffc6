//! Approvals: the requests waiting on the signed-in approver (the request's current approvers,
//! as the `filterByCurrentUser(on='approver')` list has them), with the requestor's
//! justification and answers and a link to decide each; and the viewer's past decisions, read
//! from the approvals themselves (every decision records its reviewer). One approval's page and
//! the decision are `approval`.
use super::approval::verdict_word;
use super::page::{html, Chrome, PortalResult};
use super::requests::{detail, newest_first, package_names, RequestDetail};
use super::view::{badge, humanize, when, Viewer};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use grantd_domain::filter::{Filter, Value as FValue};
use grantd_domain::request::{AssignmentRequest, RequestState};
use grantd_domain::{ObjectId, TenantId};
use grantd_store::ListQuery;

/// How many of the tenant's newest requests are searched for the viewer's past decisions.
const PAST_SCAN: usize = 500;

pub struct Pending {
    pub d: RequestDetail,
    pub requestor: String,
}

pub struct PastDecision {
    pub id: String,
    pub package: String,
    pub requestor: String,
    pub stage: String,
    pub verdict: &'static str,
    pub verdict_class: &'static str,
    pub at: String,
    pub state: String,
    pub state_class: &'static str,
}

#[derive(Template)]
#[template(path = "portal/approvals.html")]
struct ApprovalsPage {
    chrome: Chrome,
    pending: Vec<Pending>,
    past: Vec<PastDecision>,
}

async fn names(
    state: &AppState,
    tenant: TenantId,
    items: &[AssignmentRequest],
) -> PortalResult<Vec<(ObjectId, String)>> {
    let mut ids: Vec<ObjectId> = items.iter().map(|r| r.requestor_id.unwrap_or(r.target_id)).collect();
    ids.sort();
    ids.dedup();
    Ok(state.store.users_by_ids(tenant, &ids).await?.into_iter().map(|u| (u.id, u.display_name)).collect())
}

fn requestor(users: &[(ObjectId, String)], r: &AssignmentRequest) -> String {
    let who = r.requestor_id.unwrap_or(r.target_id);
    users.iter().find(|(id, _)| *id == who).map(|(_, n)| n.clone()).unwrap_or_else(|| who.to_string())
}

/// The viewer's decisions, newest first: one row per stage they decided.
async fn past_decisions(state: &AppState, v: &Viewer) -> PortalResult<Vec<PastDecision>> {
    let tenant = v.tenant();
    let q = ListQuery { order: newest_first(), limit: PAST_SCAN, ..ListQuery::default() };
    let decided: Vec<AssignmentRequest> = state
        .store
        .list_requests(tenant, &q)
        .await?
        .items
        .into_iter()
        .filter(|r| {
            r.approval
                .as_ref()
                .is_some_and(|a| a.stages.iter().any(|s| s.decisions.iter().any(|d| d.reviewer.id == v.me)))
        })
        .collect();
    let users = names(state, tenant, &decided).await?;
    let packages =
        package_names(state, tenant, &decided.iter().map(|r| r.access_package_id).collect::<Vec<_>>()).await?;
    let mut rows = Vec::new();
    for r in &decided {
        let stages = r.approval.as_ref().map(|a| a.stages.as_slice()).unwrap_or_default();
        for (i, s) in stages.iter().enumerate() {
            for d in s.decisions.iter().filter(|d| d.reviewer.id == v.me) {
                let (verdict, verdict_class) = verdict_word(d.verdict);
                rows.push((
                    d.at,
                    PastDecision {
                        id: r.id.to_string(),
                        package: packages
                            .iter()
                            .find(|(id, _)| *id == r.access_package_id)
                            .map(|(_, n)| n.clone())
                            .unwrap_or_default(),
                        requestor: requestor(&users, r),
                        stage: format!("{} of {}", i + 1, stages.len()),
                        verdict,
                        verdict_class,
                        at: when(d.at),
                        state: humanize(r.state.v1()),
                        state_class: badge(r.state.v1()),
                    },
                ));
            }
        }
    }
    rows.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    Ok(rows.into_iter().map(|(_, row)| row).collect())
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
    let users = names(&state, tenant, &items).await?;
    let mut pending = Vec::new();
    for r in &items {
        pending.push(Pending { d: detail(&state, tenant, r).await?, requestor: requestor(&users, r) });
    }
    let past = past_decisions(&state, &v).await?;
    Ok(html(&ApprovalsPage { chrome: v.chrome("approvals"), pending, past }))
}
