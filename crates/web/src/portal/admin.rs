//! Admin pages (tenant-wide EM readers and catalog-role holders, each seeing the catalogs they
//! may read): catalogs, packages and policies read views; request search by user, package and
//! state; a request's full timeline (its transitions, approvers, queued jobs and audit rows).
use super::page::{html, Chrome, PortalError, PortalResult};
use super::requests::{detail, newest_first, package_names, row, RequestDetail, RequestRow};
use super::view::{humanize, path_id, when, Viewer};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use grantd_domain::filter::{Col, Filter, Value as FValue};
use grantd_domain::request::RequestState;
use grantd_domain::roles::CatalogAction;
use grantd_domain::{AccessPackageId, AssignmentRequestId, CatalogId, ObjectId};
use grantd_store::ListQuery;
use serde::Deserialize;

fn require_admin(v: &Viewer) -> PortalResult<()> {
    if v.is_admin() {
        Ok(())
    } else {
        Err(PortalError::Forbidden("These pages are for entitlement-management administrators.".into()))
    }
}

fn all() -> ListQuery {
    ListQuery { limit: 999, ..ListQuery::default() }
}

struct CatalogRow {
    name: String,
    kind: String,
    state: String,
    packages: usize,
}

struct PackageRow {
    id: String,
    name: String,
    catalog: String,
    hidden: bool,
    policies: usize,
}

struct PolicyRow {
    name: String,
    package: String,
    scope: String,
    approval: String,
    expiry: String,
    questions: usize,
}

#[derive(Template)]
#[template(path = "portal/admin.html")]
struct OverviewPage {
    chrome: Chrome,
    catalogs: Vec<CatalogRow>,
    packages: Vec<PackageRow>,
    policies: Vec<PolicyRow>,
}

/// The catalogs the viewer may read.
fn readable(v: &Viewer, id: CatalogId) -> bool {
    v.caller.may_on_catalog(id, CatalogAction::Read)
}

pub async fn overview(State(state): State<AppState>, v: Viewer) -> PortalResult<Response> {
    require_admin(&v)?;
    let tenant = v.tenant();
    let mut catalogs = state.store.list_catalogs(tenant, &all()).await?.items;
    catalogs.retain(|c| readable(&v, c.id));
    let mut packages = state.store.list_access_packages(tenant, &all()).await?.items;
    packages.retain(|p| readable(&v, p.catalog_id));
    let mut policies =
        state.store.policies_of_packages(tenant, &packages.iter().map(|p| p.id).collect::<Vec<_>>()).await?;
    catalogs.sort_by(|a, b| a.display_name.cmp(&b.display_name));
    packages.sort_by(|a, b| a.display_name.cmp(&b.display_name));
    let pname =
        |id: AccessPackageId| packages.iter().find(|p| p.id == id).map(|p| p.display_name.clone()).unwrap_or_default();
    policies.sort_by_key(|p| (pname(p.access_package_id), p.display_name.clone()));
    let catalog_rows = catalogs
        .iter()
        .map(|c| CatalogRow {
            name: c.display_name.clone(),
            kind: humanize(&c.catalog_type),
            state: humanize(&c.state),
            packages: packages.iter().filter(|p| p.catalog_id == c.id).count(),
        })
        .collect();
    let package_rows = packages
        .iter()
        .map(|p| PackageRow {
            id: p.id.to_string(),
            name: p.display_name.clone(),
            catalog: catalogs.iter().find(|c| c.id == p.catalog_id).map(|c| c.display_name.clone()).unwrap_or_default(),
            hidden: p.is_hidden,
            policies: policies.iter().filter(|x| x.access_package_id == p.id).count(),
        })
        .collect();
    let policy_rows = policies
        .iter()
        .map(|p| PolicyRow {
            name: p.display_name.clone(),
            package: pname(p.access_package_id),
            scope: humanize(p.allowed_target_scope.as_str()),
            approval: if p.requires_approval(false) { format!("{} stage(s)", p.stages().len()) } else { "None".into() },
            expiry: super::packages::policy_summary(p).split(" · ").nth(1).unwrap_or_default().to_string(),
            questions: p.questions.len(),
        })
        .collect();
    Ok(html(&OverviewPage {
        chrome: v.chrome("admin"),
        catalogs: catalog_rows,
        packages: package_rows,
        policies: policy_rows,
    }))
}

pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "portal/admin_requests.html")]
struct SearchPage {
    chrome: Chrome,
    users: Vec<Opt>,
    packages: Vec<Opt>,
    states: Vec<Opt>,
    searched: bool,
    requests: Vec<(RequestRow, String)>,
}

#[derive(Deserialize)]
pub struct SearchQuery {
    user: Option<String>,
    package: Option<String>,
    state: Option<String>,
}

const STATES: [RequestState; 9] = [
    RequestState::Submitted,
    RequestState::PendingApproval,
    RequestState::Scheduled,
    RequestState::Delivering,
    RequestState::Delivered,
    RequestState::PartiallyDelivered,
    RequestState::DeliveryFailed,
    RequestState::Denied,
    RequestState::Canceled,
];

pub async fn requests(
    State(state): State<AppState>,
    v: Viewer,
    Query(q): Query<SearchQuery>,
) -> PortalResult<Response> {
    require_admin(&v)?;
    let tenant = v.tenant();
    let pick = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let (user, package, st) = (pick(&q.user), pick(&q.package), pick(&q.state));
    let mut users = state.store.list_users(tenant, &all()).await?.items;
    users.sort_by(|a, b| a.display_name.cmp(&b.display_name));
    let mut packages = state.store.list_access_packages(tenant, &all()).await?.items;
    packages.retain(|p| readable(&v, p.catalog_id));
    packages.sort_by(|a, b| a.display_name.cmp(&b.display_name));
    let mut conds = Vec::new();
    if let Some(readable) = v.caller.readable_catalogs() {
        conds.push(Filter::In {
            col: Col { column: "catalog_id", lower: false },
            values: readable.into_iter().map(|c| FValue::Uuid(c.0)).collect(),
        });
    }
    if let Some(u) = user.as_deref().and_then(grantd_domain::parse_guid) {
        let u = FValue::Uuid(u);
        conds.push(Filter::Or(vec![Filter::eq("target_id", u.clone()), Filter::eq("requestor_id", u)]));
    }
    if let Some(p) = package.as_deref().and_then(grantd_domain::parse_guid) {
        conds.push(Filter::eq("access_package_id", FValue::Uuid(p)));
    }
    if let Some(s) = st.as_deref().and_then(RequestState::parse) {
        conds.push(Filter::eq("state", FValue::Text(s.v1().into())));
    }
    let lq = ListQuery {
        scope: (!conds.is_empty()).then(|| Filter::and(conds)),
        order: newest_first(),
        limit: 200,
        ..ListQuery::default()
    };
    let items = state.store.list_requests(tenant, &lq).await?.items;
    let names = package_names(&state, tenant, &items.iter().map(|r| r.access_package_id).collect::<Vec<_>>()).await?;
    let uname = |id: ObjectId| {
        users.iter().find(|u| u.id == id).map(|u| u.display_name.clone()).unwrap_or_else(|| id.to_string())
    };
    let requests = items.iter().map(|r| (row(r, &names), uname(r.target_id))).collect();
    let opts = |items: Vec<(String, String)>, chosen: &Option<String>| {
        items
            .into_iter()
            .map(|(value, label)| Opt { selected: chosen.as_deref() == Some(value.as_str()), value, label })
            .collect()
    };
    Ok(html(&SearchPage {
        chrome: v.chrome("admin"),
        users: opts(users.iter().map(|u| (u.id.to_string(), u.display_name.clone())).collect(), &user),
        packages: opts(packages.iter().map(|p| (p.id.to_string(), p.display_name.clone())).collect(), &package),
        states: opts(STATES.iter().map(|s| (s.v1().to_string(), humanize(s.v1()))).collect(), &st),
        searched: user.is_some() || package.is_some() || st.is_some(),
        requests,
    }))
}

struct JobRow {
    kind: String,
    run_at: String,
    attempts: i64,
}

#[derive(Template)]
#[template(path = "portal/admin_request.html")]
struct TimelinePage {
    chrome: Chrome,
    d: RequestDetail,
    target: String,
    requestor: String,
    jobs: Vec<JobRow>,
    audit: Vec<String>,
}

pub async fn timeline(State(state): State<AppState>, v: Viewer, Path(raw): Path<String>) -> PortalResult<Response> {
    require_admin(&v)?;
    let tenant = v.tenant();
    let id = AssignmentRequestId(path_id(&raw)?);
    let r = state
        .store
        .get_request(tenant, id)
        .await?
        .filter(|r| readable(&v, r.catalog_id))
        .ok_or_else(|| PortalError::NotFound("That request does not exist.".into()))?;
    let d = detail(&state, tenant, &r).await?;
    let mut ids = vec![r.target_id];
    ids.extend(r.requestor_id);
    let users = state.store.users_by_ids(tenant, &ids).await?;
    let name = |id: ObjectId| {
        users.iter().find(|u| u.id == id).map(|u| u.display_name.clone()).unwrap_or_else(|| id.to_string())
    };
    let jobs = state
        .store
        .jobs_of(tenant, r.id.0)
        .await?
        .into_iter()
        .map(|j| JobRow { kind: j.kind, run_at: when(j.run_at), attempts: j.attempts })
        .collect();
    Ok(html(&TimelinePage {
        chrome: v.chrome("admin"),
        d,
        target: name(r.target_id),
        requestor: r.requestor_id.map(name).or(r.requestor_app_id.clone()).unwrap_or_else(|| "grantd".into()),
        jobs,
        audit: state.store.audit_of(tenant, r.id.0).await?,
    }))
}
