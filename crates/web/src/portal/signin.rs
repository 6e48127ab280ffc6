//! Signing in and out. Dev mode: a page listing the directory's users (every tenant), each a
//! radio button, with an optional administrator role, as `grantd token` would issue. OIDC mode:
//! the authorization code flow with PKCE (`oidc`), the verified access token's claims becoming
//! the session user. Sign-in and sign-out both start a new session with a new CSRF token.
use super::form::Fields;
use super::page::{html, Chrome, PortalError, PortalResult};
use super::session::{random_token, PendingLogin, Session, SessionUser, SetSession};
use super::{PortalOptions, SignInMode};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use grantd_domain::roles::{DirectoryRole, Principal, SCOPE_READ_ALL, SCOPE_READ_WRITE_ALL, SCOPE_SUBJECT_ACCESS};
use grantd_domain::{parse_guid, ObjectId, TenantId};
use grantd_store::ListQuery;
use serde::Deserialize;
use std::sync::Arc;

/// A local path to return to after sign-in (never another site).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') && !n.starts_with("/signin") => {
            n.to_string()
        }
        _ => "/packages".into(),
    }
}

pub async fn home(Extension(session): Extension<Session>) -> Response {
    if session.user.is_some() {
        Redirect::to("/packages").into_response()
    } else {
        Redirect::to("/signin").into_response()
    }
}

struct DevUser {
    value: String,
    name: String,
    detail: String,
}

struct DevTenant {
    name: String,
    users: Vec<DevUser>,
}

#[derive(Template)]
#[template(path = "portal/signin.html")]
struct SignInPage {
    chrome: Chrome,
    dev: bool,
    tenants: Vec<DevTenant>,
    next: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
    error: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    Extension(opts): Extension<Arc<PortalOptions>>,
    Extension(session): Extension<Session>,
    Query(q): Query<NextQuery>,
) -> PortalResult<Response> {
    let dev = matches!(opts.sign_in, SignInMode::Dev);
    let mut tenants = Vec::new();
    if dev {
        for t in state.store.tenants().await? {
            let q = ListQuery { limit: 999, ..ListQuery::default() };
            let mut users = state.store.list_users(t, &q).await?.items;
            users.retain(|u| u.account_enabled);
            users.sort_by_key(|u| u.display_name.to_lowercase());
            let users = users
                .into_iter()
                .map(|u| DevUser {
                    value: format!("{t}/{}", u.id),
                    detail: [Some(u.user_principal_name.clone()), u.job_title.clone()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" · "),
                    name: u.display_name,
                })
                .collect();
            tenants.push(DevTenant { name: format!("Tenant {t}"), users });
        }
    }
    let error = q.error.map(|_| "Sign-in did not complete. Try again.".to_string());
    Ok(html(&SignInPage {
        chrome: Chrome::anonymous(&session),
        dev,
        tenants,
        next: safe_next(q.next.as_deref()),
        error,
    }))
}

/// Dev sign-in: the picked user, with the picked role.
pub async fn dev_sign_in(
    State(state): State<AppState>,
    Extension(opts): Extension<Arc<PortalOptions>>,
    fields: Fields,
) -> PortalResult<Response> {
    if !matches!(opts.sign_in, SignInMode::Dev) {
        return Err(PortalError::NotFound("Sign in with your organization's account.".into()));
    }
    let picked = fields.get("user").unwrap_or_default();
    let (t, u) = picked.split_once('/').unwrap_or(("", ""));
    let (Some(tenant), Some(user)) = (parse_guid(t).map(TenantId), parse_guid(u).map(ObjectId)) else {
        return Err(PortalError::BadRequest("Choose a user to sign in as.".into()));
    };
    let Some(found) = state.store.get_user(tenant, user).await?.filter(|u| u.account_enabled) else {
        return Err(PortalError::BadRequest("That user does not exist or is disabled.".into()));
    };
    let (scopes, roles): (&[&str], &[DirectoryRole]) = match fields.get("role").unwrap_or_default().as_str() {
        "admin" => (&[SCOPE_SUBJECT_ACCESS, SCOPE_READ_WRITE_ALL], &[DirectoryRole::IdentityGovernanceAdministrator]),
        "reader" => (&[SCOPE_SUBJECT_ACCESS, SCOPE_READ_ALL], &[DirectoryRole::GlobalReader]),
        _ => (&[SCOPE_SUBJECT_ACCESS, SCOPE_READ_WRITE_ALL], &[]),
    };
    let session_user = SessionUser {
        tid: tenant.to_string(),
        oid: user.to_string(),
        name: found.display_name,
        scp: scopes.iter().map(|s| s.to_string()).collect(),
        wids: roles.iter().map(|r| r.template_id().to_string()).collect(),
    };
    let next = safe_next(fields.get("next").as_deref());
    Ok(signed_in(session_user, &opts, &next))
}

fn signed_in(user: SessionUser, opts: &PortalOptions, next: &str) -> Response {
    let mut resp = Redirect::to(next).into_response();
    resp.extensions_mut().insert(SetSession(Session::signed_in(user, opts.session_ttl)));
    resp
}

pub async fn sign_out() -> Response {
    let mut resp = Redirect::to("/signin").into_response();
    resp.extensions_mut().insert(SetSession(Session::anonymous()));
    resp
}

fn callback_url() -> String {
    format!("{}/signin/callback", crate::ctx::current().base_url)
}

fn oidc(opts: &PortalOptions) -> PortalResult<&super::OidcClient> {
    match &opts.sign_in {
        SignInMode::Oidc(c) => Ok(c),
        SignInMode::Dev => Err(PortalError::NotFound("This server signs in demo users directly.".into())),
    }
}

/// Starts the code flow: remembers state, nonce and the PKCE verifier in the session.
pub async fn oidc_start(
    Extension(opts): Extension<Arc<PortalOptions>>,
    Extension(session): Extension<Session>,
    Query(q): Query<NextQuery>,
) -> PortalResult<Response> {
    let client = oidc(&opts)?;
    let login = PendingLogin {
        state: random_token(),
        verifier: random_token(),
        nonce: random_token(),
        next: safe_next(q.next.as_deref()),
    };
    let url =
        client.authorize_url(&callback_url(), &login.state, &login.nonce, &login.verifier).await.map_err(|e| {
            tracing::warn!(error = %e, "OIDC sign-in cannot start");
            PortalError::Internal
        })?;
    let mut s = session;
    s.login = Some(login);
    let mut resp = Redirect::to(&url).into_response();
    resp.extensions_mut().insert(SetSession(s));
    Ok(resp)
}

#[derive(Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
}

/// The issuer sends the browser back here with a code.
pub async fn oidc_callback(
    State(state): State<AppState>,
    Extension(opts): Extension<Arc<PortalOptions>>,
    Extension(session): Extension<Session>,
    Query(cb): Query<Callback>,
) -> PortalResult<Response> {
    let client = oidc(&opts)?;
    let failed = || Redirect::to("/signin?error=1").into_response();
    let (Some(login), Some(code), Some(got_state)) = (session.login.as_ref(), cb.code, cb.state) else {
        return Ok(failed());
    };
    if got_state != login.state {
        return Ok(failed());
    }
    let tokens = match client.exchange(&code, &login.verifier, &callback_url()).await {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(error = %e, "OIDC code exchange failed");
            return Ok(failed());
        }
    };
    let id = tokens.id_token.as_deref().map(super::oidc::id_claims).unwrap_or_default();
    if tokens.id_token.is_some() && id.nonce.as_deref() != Some(login.nonce.as_str()) {
        return Ok(failed());
    }
    let claims = match state.auth.verify(&tokens.access_token).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e.message, "the issuer's access token was not accepted");
            return Ok(failed());
        }
    };
    let caller = match crate::auth::caller_from_claims(&claims) {
        Ok(c) => c,
        Err(_) => return Ok(failed()),
    };
    let Principal::User { id: oid } = caller.principal else { return Ok(failed()) };
    let name = match state.store.get_user(caller.tenant, oid).await? {
        Some(u) => u.display_name,
        None => id.name.or(claims.upn.clone()).unwrap_or_else(|| oid.to_string()),
    };
    let user = SessionUser {
        tid: caller.tenant.to_string(),
        oid: oid.to_string(),
        name,
        scp: caller.scopes.clone(),
        wids: claims.wids.clone(),
    };
    Ok(signed_in(user, &opts, &login.next))
}
