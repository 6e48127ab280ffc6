//! One approval (`/approvals/{id}`, the request's id): the request as the approver needs it
//! (package, requestor, target, justification, answers, its state), every stage with its
//! status and decisions, and for an approver of the stage in progress who has not decided yet
//! a form (justification, Approve / Deny) that posts to the same page. Reading and deciding are
//! the approval use cases the Graph API calls (`approvals::{find_approval, decide}`): who may
//! see and who may decide is theirs. A decision redirects back (POST-redirect-GET); a missing
//! justification is shown next to its field, a stage already decided as a clear message.
use super::form::Fields;
use super::page::{html, html_status, Chrome, PortalError, PortalResult};
use super::requests::{detail, RequestDetail};
use super::view::{humanize, path_id, when, Viewer};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use grantd_domain::directory::User;
use grantd_domain::request::approval::{StageInstance, StageStatus, Verdict};
use grantd_domain::request::{AssignmentRequest, RequestState};
use grantd_domain::{ApprovalStageId, AssignmentRequestId, DomainError, ObjectId};
use grantd_service::approvals as uc;
use grantd_service::requests::ServiceError;
use serde::Deserialize;

pub struct DecisionRow {
    pub by: String,
    pub verdict: &'static str,
    pub verdict_class: &'static str,
    pub at: String,
    pub justification: String,
}

pub struct StageRow {
    /// `Stage 1 of 2`.
    pub name: String,
    pub status: String,
    pub result: String,
    pub approvers: String,
    pub decisions: Vec<DecisionRow>,
}

#[derive(Template)]
#[template(path = "portal/approval.html")]
struct ApprovalPage {
    chrome: Chrome,
    id: String,
    d: RequestDetail,
    requestor: String,
    target: String,
    stages: Vec<StageRow>,
    /// The stage the viewer may decide now (its id and `Stage n of m`).
    open: Option<(String, String)>,
    justification_required: bool,
    /// Why there is no form, when the viewer is not asked (or no longer).
    closed: Option<String>,
    /// The viewer's decision just recorded (`approved` / `denied`).
    decided: Option<&'static str>,
    justification: String,
    justification_error: Option<String>,
    decision_error: Option<String>,
    conflict: Option<String>,
}

pub fn verdict_word(v: Verdict) -> (&'static str, &'static str) {
    match v {
        Verdict::Approve => ("Approved", "ok"),
        Verdict::Deny => ("Denied", "off"),
    }
}

fn name_of(users: &[User], id: ObjectId) -> String {
    users.iter().find(|u| u.id == id).map(|u| u.display_name.clone()).unwrap_or_else(|| id.to_string())
}

/// Everyone the page names: requestor, target, approvers and reviewers.
fn people(r: &AssignmentRequest) -> Vec<ObjectId> {
    let mut ids = vec![r.target_id];
    ids.extend(r.requestor_id);
    for s in r.approval.iter().flat_map(|a| a.stages.iter()) {
        ids.extend(s.assigned());
        ids.extend(s.decisions.iter().map(|d| d.reviewer.id));
    }
    ids.sort();
    ids.dedup();
    ids
}

fn stage_row(s: &StageInstance, n: usize, count: usize, users: &[User]) -> StageRow {
    let assigned = s.assigned();
    StageRow {
        name: format!("Stage {n} of {count}"),
        status: humanize(s.status.as_str()),
        result: humanize(s.review_result.as_str()),
        approvers: if assigned.is_empty() {
            "—".into()
        } else {
            assigned.iter().map(|a| name_of(users, *a)).collect::<Vec<_>>().join(", ")
        },
        decisions: s
            .decisions
            .iter()
            .map(|d| {
                let (verdict, verdict_class) = verdict_word(d.verdict);
                DecisionRow {
                    by: d.reviewer.display_name.clone().unwrap_or_else(|| name_of(users, d.reviewer.id)),
                    verdict,
                    verdict_class,
                    at: when(d.at),
                    justification: d.justification.clone(),
                }
            })
            .collect(),
    }
}

async fn page_of(state: &AppState, v: &Viewer, r: &AssignmentRequest, f: &Fields) -> PortalResult<ApprovalPage> {
    let tenant = v.tenant();
    let users = state.store.users_by_ids(tenant, &people(r)).await?;
    let stages = r.approval.as_ref().map(|a| a.stages.as_slice()).unwrap_or_default();
    let count = stages.len();
    let rows = stages.iter().enumerate().map(|(i, s)| stage_row(s, i + 1, count, &users)).collect();
    let current = stages.iter().enumerate().find(|(_, s)| s.status == StageStatus::InProgress);
    let pending = r.state == RequestState::PendingApproval;
    let (open, closed) = match current {
        Some((i, s)) if pending && s.is_assigned(v.me) => {
            if s.decisions.iter().any(|d| d.reviewer.id == v.me) {
                (None, Some("You have decided this stage; it waits for the other approvers.".to_string()))
            } else {
                (Some((s.id.to_string(), format!("Stage {} of {count}", i + 1))), None)
            }
        }
        _ if pending => (None, Some("You are not an approver of the stage in progress.".to_string())),
        _ => (None, Some("This request no longer waits for an approval.".to_string())),
    };
    let justification_required = current.is_some_and(|(_, s)| s.definition.is_approver_justification_required);
    Ok(ApprovalPage {
        chrome: v.chrome("approvals"),
        id: r.id.to_string(),
        d: detail(state, tenant, r).await?,
        requestor: name_of(&users, r.requestor_id.unwrap_or(r.target_id)),
        target: name_of(&users, r.target_id),
        stages: rows,
        open,
        justification_required,
        closed,
        decided: None,
        justification: f.get("justification").unwrap_or_default(),
        justification_error: None,
        decision_error: None,
        conflict: None,
    })
}

fn approval_id(raw: &str) -> PortalResult<AssignmentRequestId> {
    Ok(AssignmentRequestId(path_id(raw)?))
}

/// The approval if the viewer may read it (an approver of any stage, or a catalog reader).
async fn load(state: &AppState, v: &Viewer, id: AssignmentRequestId) -> PortalResult<AssignmentRequest> {
    match uc::find_approval(&state.service(), &v.caller, id).await {
        Ok(view) => Ok(view.request),
        Err(ServiceError::Domain(DomainError::Forbidden { .. })) => {
            Err(PortalError::Forbidden("You are not an approver of this request.".into()))
        }
        Err(ServiceError::Domain(DomainError::NotFound { .. })) => {
            Err(PortalError::NotFound("There is no approval with this id.".into()))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct Decided {
    decided: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    v: Viewer,
    Path(raw): Path<String>,
    Query(q): Query<Decided>,
) -> PortalResult<Response> {
    let r = load(&state, &v, approval_id(&raw)?).await?;
    let mut page = page_of(&state, &v, &r, &Fields::default()).await?;
    // Only what the approval records: the notice follows the viewer's stored decision.
    let mine = r
        .approval
        .iter()
        .flat_map(|a| a.stages.iter())
        .flat_map(|s| s.decisions.iter())
        .rfind(|d| d.reviewer.id == v.me)
        .map(|d| d.verdict);
    page.decided = match (q.decided.as_deref(), mine) {
        (Some(_), Some(Verdict::Approve)) => Some("approved"),
        (Some(_), Some(Verdict::Deny)) => Some("denied"),
        _ => None,
    };
    Ok(html(&page))
}

pub async fn decide(
    State(state): State<AppState>,
    v: Viewer,
    Path(raw): Path<String>,
    f: Fields,
) -> PortalResult<Response> {
    let id = approval_id(&raw)?;
    let r = load(&state, &v, id).await?;
    let stage = f
        .get("stage")
        .and_then(|s| grantd_domain::parse_guid(&s))
        .map(ApprovalStageId)
        .ok_or_else(|| PortalError::BadRequest("The form did not say which approval stage it decides.".into()))?;
    let Some(verdict) = f.get("decision").and_then(|d| Verdict::parse(&d)) else {
        let mut page = page_of(&state, &v, &r, &f).await?;
        page.decision_error = Some("Choose Approve or Deny.".into());
        return Ok(html_status(StatusCode::BAD_REQUEST, &page));
    };
    let justification = f.get("justification").filter(|j| !j.is_empty());
    match uc::decide(&state.service(), &v.caller, id, stage, verdict, justification).await {
        Ok(()) => Ok(Redirect::to(&format!("/approvals/{id}?decided=1")).into_response()),
        Err(ServiceError::Domain(DomainError::Invalid { code: "JustificationRequired", .. })) => {
            let mut page = page_of(&state, &v, &r, &f).await?;
            page.justification_error = Some("A justification is required to decide this stage.".into());
            Ok(html_status(StatusCode::BAD_REQUEST, &page))
        }
        Err(ServiceError::Domain(DomainError::Conflict { code, .. })) => {
            // Read again: the page shows the approval as it is now.
            let now = load(&state, &v, id).await?;
            let mut page = page_of(&state, &v, &now, &Fields::default()).await?;
            page.conflict = Some(if code == "ApprovalStageAlreadyReviewed" {
                "This approval stage was already reviewed, so your decision was not recorded. \
                 The page shows the approval as it is now."
                    .into()
            } else {
                "The approval changed while you decided and your decision was not recorded. Review it again.".into()
            });
            Ok(html_status(StatusCode::CONFLICT, &page))
        }
        Err(ServiceError::Domain(DomainError::Forbidden { .. })) => {
            Err(PortalError::Forbidden("You are not an approver of this approval stage.".into()))
        }
        Err(ServiceError::Domain(DomainError::NotFound { .. })) => {
            Err(PortalError::NotFound("There is no such approval stage.".into()))
        }
        Err(e) => Err(e.into()),
    }
}
