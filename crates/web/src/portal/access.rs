//! My access: the viewer's assignments with their expiry, and the two requests a holder may
//! make on one (extend, remove) when its policy allows them. Both go through the `submit` use
//! case as `userExtend` / `userRemove` requests, like the Graph API's.
use super::form::Fields;
use super::page::{html, html_status, Chrome, PortalError, PortalResult};
use super::requests::package_names;
use super::view::{badge, humanize, path_id, when, when_opt, Viewer};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use grantd_domain::assignment::Assignment;
use grantd_domain::policy::{Expiration, Schedule};
use grantd_domain::request::validation::{Draft, TargetRef};
use grantd_domain::request::RequestType;
use grantd_domain::AssignmentId;
use grantd_service::requests as uc;
use grantd_service::requests::ServiceError;

struct AccessRow {
    id: String,
    package: String,
    package_id: String,
    state: String,
    state_class: &'static str,
    since: String,
    expires: String,
    can_extend: bool,
    can_remove: bool,
}

#[derive(Template)]
#[template(path = "portal/access.html")]
struct AccessPage {
    chrome: Chrome,
    current: Vec<AccessRow>,
    past: Vec<AccessRow>,
}

fn expires(a: &Assignment) -> Option<chrono::DateTime<chrono::Utc>> {
    let start = a.schedule.start_date_time.unwrap_or(a.created_date_time);
    a.schedule.expiration.as_ref().and_then(|e| e.end_from(start))
}

pub async fn mine(State(state): State<AppState>, v: Viewer) -> PortalResult<Response> {
    let tenant = v.tenant();
    let mut all = state.store.assignments_of_target(tenant, v.me).await?;
    all.sort_by_key(|a| std::cmp::Reverse(a.created_date_time));
    let names = package_names(&state, tenant, &all.iter().map(|a| a.access_package_id).collect::<Vec<_>>()).await?;
    let policies =
        state.store.policies_by_ids(tenant, &all.iter().map(|a| a.assignment_policy_id).collect::<Vec<_>>()).await?;
    let (mut current, mut past) = (Vec::new(), Vec::new());
    for a in &all {
        let p = policies.iter().find(|p| p.id == a.assignment_policy_id);
        let open = a.state.holds_access();
        let row = AccessRow {
            id: a.id.to_string(),
            package: names
                .iter()
                .find(|(id, _)| *id == a.access_package_id)
                .map(|(_, n)| n.clone())
                .unwrap_or_default(),
            package_id: a.access_package_id.to_string(),
            state: humanize(a.state.as_str()),
            state_class: badge(a.state.as_str()),
            since: when(a.schedule.start_date_time.unwrap_or(a.created_date_time)),
            expires: match expires(a) {
                Some(t) => when(t),
                None if open => "Never".into(),
                None => when_opt(a.expired_date_time),
            },
            can_extend: open
                && p.is_some_and(|p| p.allows_self_update() && p.expiration.end_from(a.created_date_time).is_some()),
            can_remove: open && p.is_some_and(|p| p.allows_self_remove()),
        };
        if open {
            current.push(row);
        } else {
            past.push(row);
        }
    }
    Ok(html(&AccessPage { chrome: v.chrome("access"), current, past }))
}

/// The viewer's own assignment.
async fn own(state: &AppState, v: &Viewer, raw: &str) -> PortalResult<Assignment> {
    let id = AssignmentId(path_id(raw)?);
    state
        .store
        .get_assignment(v.tenant(), id)
        .await?
        .filter(|a| a.target_id == v.me)
        .ok_or_else(|| PortalError::NotFound("That assignment is not yours or does not exist.".into()))
}

#[derive(Template)]
#[template(path = "portal/extend.html")]
struct ExtendPage {
    chrome: Chrome,
    id: String,
    package: String,
    expires: String,
    custom_schedule: bool,
    justification: String,
    end: String,
    error: Option<String>,
}

async fn extend_page(state: &AppState, v: &Viewer, a: &Assignment, f: &Fields) -> PortalResult<ExtendPage> {
    let names = package_names(state, v.tenant(), &[a.access_package_id]).await?;
    let policy = state.store.get_policy(v.tenant(), a.assignment_policy_id).await?;
    Ok(ExtendPage {
        chrome: v.chrome("access"),
        id: a.id.to_string(),
        package: names.first().map(|(_, n)| n.clone()).unwrap_or_default(),
        expires: when_opt(expires(a)),
        custom_schedule: policy.is_some_and(|p| p.requestor_settings.allow_custom_assignment_schedule),
        justification: f.get("justification").unwrap_or_default(),
        end: f.get("end").unwrap_or_default(),
        error: None,
    })
}

pub async fn extend_form(State(state): State<AppState>, v: Viewer, Path(raw): Path<String>) -> PortalResult<Response> {
    let a = own(&state, &v, &raw).await?;
    Ok(html(&extend_page(&state, &v, &a, &Fields::default()).await?))
}

pub async fn extend(
    State(state): State<AppState>,
    v: Viewer,
    Path(raw): Path<String>,
    f: Fields,
) -> PortalResult<Response> {
    let a = own(&state, &v, &raw).await?;
    let mut page = extend_page(&state, &v, &a, &f).await?;
    let end = match page.end.as_str() {
        "" => None,
        raw => match NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)) {
            Some(d) => Some(d.and_utc()),
            None => {
                page.error = Some("Enter the end date as YYYY-MM-DD.".into());
                return Ok(html_status(StatusCode::BAD_REQUEST, &page));
            }
        },
    };
    let draft = Draft {
        request_type: RequestType::UserExtend,
        access_package_id: Some(a.access_package_id),
        assignment_policy_id: Some(a.assignment_policy_id),
        target: TargetRef::None,
        assignment_id: Some(a.id),
        justification: (!page.justification.is_empty()).then(|| page.justification.clone()),
        schedule: end.map(|e| Schedule {
            start_date_time: None,
            expiration: Some(Expiration::at(e)),
            recurrence: None,
        }),
        answers: Vec::new(),
        is_validation_only: false,
    };
    match uc::submit(&state.service(), &v.caller, draft).await {
        Ok(r) => Ok(Redirect::to(&format!("/requests/{}?submitted=1", r.id)).into_response()),
        Err(ServiceError::Domain(e)) => {
            page.error = Some(e.to_string());
            Ok(html_status(StatusCode::BAD_REQUEST, &page))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn remove(
    State(state): State<AppState>,
    v: Viewer,
    Path(raw): Path<String>,
    _f: Fields,
) -> PortalResult<Response> {
    let a = own(&state, &v, &raw).await?;
    let draft = Draft {
        request_type: RequestType::UserRemove,
        access_package_id: Some(a.access_package_id),
        assignment_policy_id: Some(a.assignment_policy_id),
        target: TargetRef::None,
        assignment_id: Some(a.id),
        justification: None,
        schedule: None,
        answers: Vec::new(),
        is_validation_only: false,
    };
    let r = uc::submit(&state.service(), &v.caller, draft).await?;
    Ok(Redirect::to(&format!("/requests/{}?submitted=1", r.id)).into_response())
}
