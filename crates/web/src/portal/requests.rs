//! Requesting access and following requests: the request form (policy, justification, the
//! policy's questions, a custom start/end where the policy allows it) with errors shown next to
//! their fields, submission through the `submit` use case, the viewer's requests with their
//! state, a request's page with its history, and cancel.
use super::form::Fields;
use super::packages::{facts_of, package, policy_summary, usable};
use super::page::{html, html_status, Chrome, PortalError, PortalResult};
use super::view::{badge, humanize, path_id, when, when_opt, Viewer};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDate, Utc};
use grantd_domain::catalog::AccessPackage;
use grantd_domain::filter::{Filter, Order, Value as FValue};
use grantd_domain::policy::{Expiration, Policy, Question, QuestionKind, Schedule};
use grantd_domain::request::validation::{Draft, DraftAnswer, TargetRef};
use grantd_domain::request::{AssignmentRequest, RequestType};
use grantd_domain::{AccessPackageId, AssignmentRequestId, DomainError};
use grantd_service::requests as uc;
use grantd_service::requests::ServiceError;
use grantd_store::ListQuery;
use serde::Deserialize;

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One question as a form field.
pub struct QuestionField {
    pub name: String,
    pub label: String,
    pub required: bool,
    /// `text`, `textarea`, `select` or `checkboxes`.
    pub kind: &'static str,
    pub pattern: String,
    pub choices: Vec<Choice>,
    pub value: String,
    pub error: Option<String>,
}

pub struct PolicyChoice {
    pub id: String,
    pub name: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "portal/request_form.html")]
struct FormPage {
    chrome: Chrome,
    package_id: String,
    package_name: String,
    policy_id: String,
    policy_name: String,
    policy_summary: String,
    policies: Vec<PolicyChoice>,
    justification: String,
    justification_required: bool,
    justification_error: Option<String>,
    questions: Vec<QuestionField>,
    custom_schedule: bool,
    start: String,
    end: String,
    schedule_error: Option<String>,
    form_error: Option<String>,
}

fn label_of(q: &Question) -> String {
    q.text.clone().or_else(|| q.localizations.iter().find_map(|l| l.text.clone())).unwrap_or_else(|| q.id.clone())
}

fn question_fields(p: &Policy, f: &Fields) -> Vec<QuestionField> {
    p.questions_in_order()
        .into_iter()
        .enumerate()
        .map(|(i, q)| {
            let name = format!("answer-{i}");
            let picked = f.all(&name);
            let (kind, pattern, choices) = match &q.kind {
                QuestionKind::TextInput { is_single_line_question, regex_pattern } => (
                    if *is_single_line_question { "text" } else { "textarea" },
                    regex_pattern.clone().unwrap_or_default(),
                    Vec::new(),
                ),
                QuestionKind::MultipleChoice { choices, is_multiple_selection_allowed } => (
                    if *is_multiple_selection_allowed { "checkboxes" } else { "select" },
                    String::new(),
                    choices
                        .iter()
                        .map(|c| Choice {
                            value: c.actual_value.clone(),
                            label: c.text.clone().unwrap_or_else(|| c.actual_value.clone()),
                            selected: picked.iter().any(|v| v == &c.actual_value),
                        })
                        .collect(),
                ),
            };
            QuestionField {
                value: picked.join(","),
                name,
                label: label_of(q),
                required: q.is_required,
                kind,
                pattern,
                choices,
                error: None,
            }
        })
        .collect()
}

#[derive(Deserialize)]
pub struct PolicyQuery {
    policy: Option<String>,
}

/// The package, the viewer's usable policies and the chosen one.
async fn setup(
    state: &AppState,
    v: &Viewer,
    raw: &str,
    chosen: Option<&str>,
) -> PortalResult<(AccessPackage, Vec<Policy>, Policy)> {
    let p = package(state, v, raw).await?;
    let all = state.store.policies_of_packages(v.tenant(), &[p.id]).await?;
    let facts = facts_of(state, v).await?;
    let mine: Vec<Policy> = usable(&all, &facts).into_iter().cloned().collect();
    let policy = match chosen.and_then(grantd_domain::parse_guid) {
        Some(id) => mine.iter().find(|x| x.id.0 == id).cloned(),
        None => mine.first().cloned(),
    };
    let Some(policy) = policy else {
        return Err(PortalError::Forbidden("You cannot request this access package.".into()));
    };
    Ok((p, mine, policy))
}

fn form_page(v: &Viewer, p: &AccessPackage, mine: &[Policy], policy: &Policy, f: &Fields) -> FormPage {
    FormPage {
        chrome: v.chrome("packages"),
        package_id: p.id.to_string(),
        package_name: p.display_name.clone(),
        policy_id: policy.id.to_string(),
        policy_name: policy.display_name.clone(),
        policy_summary: policy_summary(policy),
        policies: mine
            .iter()
            .map(|x| PolicyChoice { id: x.id.to_string(), name: x.display_name.clone(), selected: x.id == policy.id })
            .collect(),
        justification: f.get("justification").unwrap_or_default(),
        justification_required: policy.requires_justification(),
        justification_error: None,
        questions: question_fields(policy, f),
        custom_schedule: policy.requestor_settings.allow_custom_assignment_schedule,
        start: f.get("start").unwrap_or_default(),
        end: f.get("end").unwrap_or_default(),
        schedule_error: None,
        form_error: None,
    }
}

pub async fn form(
    State(state): State<AppState>,
    v: Viewer,
    Path(raw): Path<String>,
    Query(q): Query<PolicyQuery>,
) -> PortalResult<Response> {
    let (p, mine, policy) = setup(&state, &v, &raw, q.policy.as_deref()).await?;
    Ok(html(&form_page(&v, &p, &mine, &policy, &Fields::default())))
}

fn day(raw: &str) -> Option<Result<DateTime<Utc>, ()>> {
    if raw.is_empty() {
        return None;
    }
    Some(
        NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .map_err(|_| ())
            .and_then(|d| d.and_hms_opt(0, 0, 0).ok_or(()))
            .map(|d| d.and_utc()),
    )
}

/// Puts a refused submission's message next to the field it is about (the domain names the
/// question id or the property in its message), or above the form.
fn place_error(page: &mut FormPage, policy: &Policy, e: DomainError) -> StatusCode {
    let (code, message) = match &e {
        DomainError::Invalid { code, message } | DomainError::Conflict { code, message } => (*code, message.clone()),
        DomainError::NotFound { message } | DomainError::Forbidden { message } => ("", message.clone()),
    };
    let status = match e {
        DomainError::Conflict { .. } => StatusCode::CONFLICT,
        DomainError::Forbidden { .. } => StatusCode::FORBIDDEN,
        _ => StatusCode::BAD_REQUEST,
    };
    match code {
        "JustificationRequired" => page.justification_error = Some("A justification is required.".into()),
        "RequiredAnswerMissing" | "InvalidAnswer" => {
            let qs = policy.questions_in_order();
            let at = qs.iter().position(|q| message.contains(&format!("'{}'", q.id)));
            match at.and_then(|i| page.questions.get_mut(i)) {
                Some(field) => {
                    field.error = Some(match code {
                        "RequiredAnswerMissing" => "This answer is required.".into(),
                        _ if field.kind == "text" || field.kind == "textarea" => {
                            "This answer is not in the expected format.".into()
                        }
                        _ => "Choose one of the listed options.".into(),
                    })
                }
                None => page.form_error = Some(message),
            }
        }
        "CustomScheduleNotAllowed" | "InvalidSchedule" | "ScheduleExceedsPolicy" => {
            page.schedule_error = Some(match code {
                "ScheduleExceedsPolicy" => "The end date is later than this policy allows.".into(),
                "InvalidSchedule" => "The end date must be after the start date.".into(),
                _ => "This policy does not let you choose dates.".into(),
            })
        }
        _ => page.form_error = Some(message),
    }
    status
}

pub async fn submit(
    State(state): State<AppState>,
    v: Viewer,
    Path(raw): Path<String>,
    f: Fields,
) -> PortalResult<Response> {
    let (p, mine, policy) = setup(&state, &v, &raw, f.get("policy").as_deref()).await?;
    let mut page = form_page(&v, &p, &mine, &policy, &f);
    // Fields the form itself can check, all at once; the rules of the policy are the domain's.
    let mut bad = false;
    if page.justification_required && page.justification.is_empty() {
        page.justification_error = Some("A justification is required.".into());
        bad = true;
    }
    for q in page.questions.iter_mut() {
        if q.required && q.value.is_empty() {
            q.error = Some("This answer is required.".into());
            bad = true;
        }
    }
    let start = day(&page.start);
    let end = day(&page.end);
    if matches!(start, Some(Err(_))) || matches!(end, Some(Err(_))) {
        page.schedule_error = Some("Enter dates as YYYY-MM-DD.".into());
        bad = true;
    }
    if bad {
        return Ok(html_status(StatusCode::BAD_REQUEST, &page));
    }
    let schedule = (start.is_some() || end.is_some()).then(|| Schedule {
        start_date_time: start.and_then(Result::ok),
        expiration: end.and_then(Result::ok).map(Expiration::at),
        recurrence: None,
    });
    let answers = policy
        .questions_in_order()
        .into_iter()
        .zip(page.questions.iter())
        .filter(|(_, field)| !field.value.is_empty())
        .map(|(q, field)| DraftAnswer { question_id: q.id.clone(), value: field.value.clone(), display_value: None })
        .collect();
    let draft = Draft {
        request_type: RequestType::UserAdd,
        access_package_id: Some(p.id),
        assignment_policy_id: Some(policy.id),
        target: TargetRef::None,
        assignment_id: None,
        justification: (!page.justification.is_empty()).then(|| page.justification.clone()),
        schedule,
        answers,
        is_validation_only: false,
    };
    match uc::submit(&state.service(), &v.caller, draft).await {
        Ok(r) => Ok(Redirect::to(&format!("/requests/{}?submitted=1", r.id)).into_response()),
        Err(ServiceError::Domain(e)) => {
            let status = place_error(&mut page, &policy, e);
            Ok(html_status(status, &page))
        }
        Err(e) => Err(e.into()),
    }
}

pub struct RequestRow {
    pub id: String,
    pub package: String,
    pub kind: String,
    pub state: String,
    pub state_class: &'static str,
    pub status: String,
    pub created: String,
    pub cancelable: bool,
}

/// Package names of a set of requests.
pub async fn package_names(
    state: &AppState,
    tenant: grantd_domain::TenantId,
    ids: &[AccessPackageId],
) -> PortalResult<Vec<(AccessPackageId, String)>> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    Ok(state.store.packages_by_ids(tenant, &ids).await?.into_iter().map(|p| (p.id, p.display_name)).collect())
}

pub fn row(r: &AssignmentRequest, names: &[(AccessPackageId, String)]) -> RequestRow {
    RequestRow {
        id: r.id.to_string(),
        package: names.iter().find(|(id, _)| *id == r.access_package_id).map(|(_, n)| n.clone()).unwrap_or_default(),
        kind: humanize(r.request_type.v1()),
        state: humanize(r.state.v1()),
        state_class: badge(r.state.v1()),
        status: r.status.beta().to_string(),
        created: when(r.created_date_time),
        cancelable: r.status.is_cancelable(),
    }
}

#[derive(Template)]
#[template(path = "portal/requests.html")]
struct MinePage {
    chrome: Chrome,
    requests: Vec<RequestRow>,
}

/// Newest first.
pub fn newest_first() -> Vec<Order> {
    vec![Order { column: "created_date_time", descending: true, nullable: false }]
}

pub async fn mine(State(state): State<AppState>, v: Viewer) -> PortalResult<Response> {
    let me = FValue::Uuid(v.me.0);
    let q = ListQuery {
        scope: Some(Filter::Or(vec![Filter::eq("target_id", me.clone()), Filter::eq("requestor_id", me)])),
        order: newest_first(),
        limit: 200,
        ..ListQuery::default()
    };
    let items = state.store.list_requests(v.tenant(), &q).await?.items;
    let names =
        package_names(&state, v.tenant(), &items.iter().map(|r| r.access_package_id).collect::<Vec<_>>()).await?;
    let requests = items.iter().map(|r| row(r, &names)).collect();
    Ok(html(&MinePage { chrome: v.chrome("requests"), requests }))
}

pub struct HistoryRow {
    pub at: String,
    pub event: String,
    pub by: String,
    pub state: String,
}

pub struct AnswerRow {
    pub question: String,
    pub answer: String,
}

/// The parts of a request page that the viewer's and the admin's timeline share.
pub struct RequestDetail {
    pub row: RequestRow,
    pub policy: String,
    pub justification: String,
    pub answers: Vec<AnswerRow>,
    pub history: Vec<HistoryRow>,
    pub start: String,
    pub end: String,
    pub completed: String,
}

pub async fn detail(
    state: &AppState,
    tenant: grantd_domain::TenantId,
    r: &AssignmentRequest,
) -> PortalResult<RequestDetail> {
    let names = package_names(state, tenant, &[r.access_package_id]).await?;
    let policy =
        state.store.get_policy(tenant, r.assignment_policy_id).await?.map(|p| p.display_name).unwrap_or_default();
    let start = r.schedule.start_date_time;
    Ok(RequestDetail {
        row: row(r, &names),
        policy,
        justification: r.justification.clone().unwrap_or_default(),
        answers: r
            .answers
            .iter()
            .map(|a| AnswerRow {
                question: label_of(&a.question),
                answer: a.display_value.clone().unwrap_or_else(|| a.value.clone()),
            })
            .collect(),
        history: r
            .history
            .iter()
            .map(|h| HistoryRow {
                at: when(h.at),
                event: humanize(&h.event),
                by: h.actor.display_name.clone().unwrap_or_else(|| h.actor.name.clone()),
                state: format!("{} ({})", humanize(h.to_state.v1()), h.to_status.beta()),
            })
            .collect(),
        start: when_opt(start),
        end: when_opt(r.schedule.expiration.as_ref().and_then(|e| e.end_from(start.unwrap_or(r.created_date_time)))),
        completed: when_opt(r.completed_date_time),
    })
}

#[derive(Template)]
#[template(path = "portal/request.html")]
struct RequestPage {
    chrome: Chrome,
    d: RequestDetail,
    submitted: bool,
}

#[derive(Deserialize)]
pub struct Submitted {
    submitted: Option<String>,
}

fn request_id(raw: &str) -> PortalResult<AssignmentRequestId> {
    Ok(AssignmentRequestId(path_id(raw)?))
}

pub async fn show(
    State(state): State<AppState>,
    v: Viewer,
    Path(raw): Path<String>,
    Query(q): Query<Submitted>,
) -> PortalResult<Response> {
    let r = uc::find(&state.service(), &v.caller, request_id(&raw)?).await?;
    let d = detail(&state, v.tenant(), &r).await?;
    Ok(html(&RequestPage { chrome: v.chrome("requests"), d, submitted: q.submitted.is_some() }))
}

pub async fn cancel(State(state): State<AppState>, v: Viewer, Path(raw): Path<String>) -> PortalResult<Response> {
    let id = request_id(&raw)?;
    uc::cancel(&state.service(), &v.caller, id).await?;
    Ok(Redirect::to(&format!("/requests/{id}")).into_response())
}
