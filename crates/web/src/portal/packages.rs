//! Access packages the viewer may request: the list (with search) and a package's page
//! (description, resources, the policies the viewer can use, and whether they already hold
//! access or have a request open). "May request" is the policy's own rule: it takes self-add
//! requests and the viewer is in its allowed targets (`validation::target_in_scope`).
use super::page::{html, Chrome, PortalError, PortalResult};
use super::view::{path_id, Viewer};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use grantd_domain::catalog::AccessPackage;
use grantd_domain::policy::{ExpirationType, Policy};
use grantd_domain::request::validation::{target_in_scope, TargetFacts};
use grantd_domain::AccessPackageId;
use grantd_store::ListQuery;
use serde::Deserialize;

/// What the directory says about the viewer as a request target.
pub async fn facts_of(state: &AppState, v: &Viewer) -> PortalResult<TargetFacts> {
    let me = state.store.get_user(v.tenant(), v.me).await?.ok_or(PortalError::Internal)?;
    // The same facts the request path uses (groups, member or guest, connected organization).
    Ok(grantd_service::requirements::target_facts(&state.store, v.tenant(), &me, true).await?)
}

/// The policies through which the viewer may ask for access for themselves.
pub fn usable<'a>(policies: &'a [Policy], facts: &TargetFacts) -> Vec<&'a Policy> {
    policies.iter().filter(|p| p.allows_self_add() && target_in_scope(p, facts)).collect()
}

/// `Approval by ... · Expires after 90 days`.
pub fn policy_summary(p: &Policy) -> String {
    let approval = if p.requires_approval(false) { "Needs approval" } else { "No approval needed" };
    let expiry = match p.expiration.kind {
        ExpirationType::AfterDuration => match p.expiration.duration {
            Some(d) if d.num_days() > 0 => format!("access lasts {} days", d.num_days()),
            Some(d) => format!("access lasts {} hours", d.num_hours()),
            None => "access expires".into(),
        },
        ExpirationType::AfterDateTime => match p.expiration.end_date_time {
            Some(t) => format!("access ends {}", super::view::when(t)),
            None => "access expires".into(),
        },
        _ => "access does not expire".into(),
    };
    format!("{approval} · {expiry}")
}

struct PackageRow {
    id: String,
    name: String,
    description: String,
    catalog: String,
    summary: String,
}

#[derive(Template)]
#[template(path = "portal/packages.html")]
struct ListPage {
    chrome: Chrome,
    q: String,
    packages: Vec<PackageRow>,
}

#[derive(Deserialize)]
pub struct Search {
    q: Option<String>,
}

fn matches(p: &AccessPackage, q: &str) -> bool {
    let q = q.to_lowercase();
    p.display_name.to_lowercase().contains(&q)
        || p.description.as_deref().is_some_and(|d| d.to_lowercase().contains(&q))
}

pub async fn list(State(state): State<AppState>, v: Viewer, Query(s): Query<Search>) -> PortalResult<Response> {
    let tenant = v.tenant();
    let q = s.q.unwrap_or_default().trim().to_string();
    let mut packages =
        state.store.list_access_packages(tenant, &ListQuery { limit: 999, ..ListQuery::default() }).await?.items;
    packages.retain(|p| !p.is_hidden && (q.is_empty() || matches(p, &q)));
    let ids: Vec<AccessPackageId> = packages.iter().map(|p| p.id).collect();
    let policies = state.store.policies_of_packages(tenant, &ids).await?;
    let catalogs =
        state.store.catalogs_by_ids(tenant, &packages.iter().map(|p| p.catalog_id).collect::<Vec<_>>()).await?;
    let facts = facts_of(&state, &v).await?;
    let mut rows = Vec::new();
    for p in &packages {
        let mine: Vec<Policy> = policies.iter().filter(|x| x.access_package_id == p.id).cloned().collect();
        let Some(first) = usable(&mine, &facts).first().map(|p| policy_summary(p)) else { continue };
        rows.push(PackageRow {
            id: p.id.to_string(),
            name: p.display_name.clone(),
            description: p.description.clone().unwrap_or_default(),
            catalog: catalogs.iter().find(|c| c.id == p.catalog_id).map(|c| c.display_name.clone()).unwrap_or_default(),
            summary: first,
        });
    }
    rows.sort_by_key(|r| r.name.to_lowercase());
    Ok(html(&ListPage { chrome: v.chrome("packages"), q, packages: rows }))
}

struct ResourceRow {
    name: String,
    role: String,
    kind: String,
}

struct PolicyRow {
    id: String,
    name: String,
    description: String,
    summary: String,
    questions: usize,
}

#[derive(Template)]
#[template(path = "portal/package.html")]
struct PackagePage {
    chrome: Chrome,
    id: String,
    name: String,
    description: String,
    catalog: String,
    resources: Vec<ResourceRow>,
    policies: Vec<PolicyRow>,
    has_access: bool,
    open_request: Option<String>,
}

/// The package, if it exists and is not hidden.
pub async fn package(state: &AppState, v: &Viewer, raw: &str) -> PortalResult<AccessPackage> {
    let id = AccessPackageId(path_id(raw)?);
    state
        .store
        .get_access_package(v.tenant(), id)
        .await?
        .filter(|p| !p.is_hidden)
        .ok_or_else(|| PortalError::NotFound("That access package does not exist.".into()))
}

pub async fn show(State(state): State<AppState>, v: Viewer, Path(raw): Path<String>) -> PortalResult<Response> {
    let tenant = v.tenant();
    let p = package(&state, &v, &raw).await?;
    let catalog = state.store.get_catalog(tenant, p.catalog_id).await?.map(|c| c.display_name).unwrap_or_default();
    let scopes = state.store.role_scopes_of_packages(tenant, &[p.id]).await?;
    let roles = state.store.roles_by_ids(tenant, &scopes.iter().map(|s| s.role_id).collect::<Vec<_>>()).await?;
    let resources =
        state.store.resources_by_ids(tenant, &scopes.iter().map(|s| s.resource_id).collect::<Vec<_>>()).await?;
    let resources = if p.is_role_scopes_visible {
        scopes
            .iter()
            .filter_map(|s| {
                let r = resources.iter().find(|r| r.id == s.resource_id)?;
                let role = roles.iter().find(|x| x.id == s.role_id).map(|x| x.display_name.clone()).unwrap_or_default();
                Some(ResourceRow {
                    name: r.display_name.clone(),
                    role,
                    kind: r.resource_type.clone().unwrap_or_else(|| r.origin_system.clone()),
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    let all = state.store.policies_of_packages(tenant, &[p.id]).await?;
    let facts = facts_of(&state, &v).await?;
    let policies = usable(&all, &facts)
        .into_iter()
        .map(|x| PolicyRow {
            id: x.id.to_string(),
            name: x.display_name.clone(),
            description: x.description.clone().unwrap_or_default(),
            summary: policy_summary(x),
            questions: x.questions.len(),
        })
        .collect();
    let has_access = !state.store.active_assignments_of(tenant, p.id, v.me).await?.is_empty();
    let open_request = state.store.open_request_for(tenant, p.id, v.me).await?.map(|r| r.id.to_string());
    Ok(html(&PackagePage {
        chrome: v.chrome("packages"),
        id: p.id.to_string(),
        name: p.display_name,
        description: p.description.unwrap_or_default(),
        catalog,
        resources,
        policies,
        has_access,
        open_request,
    }))
}
