//! The My Access portal: server-rendered HTML pages (askama templates under
//! `templates/portal/`, one embedded stylesheet and a few lines of optional script) served at
//! `/` beside the Graph API. Pages call the service use cases and store reads directly, never
//! the HTTP API. One module per page group; `session` owns the session cookie and CSRF, `page`
//! the layout and the HTML error pages. Nothing here renders Graph JSON.
mod access;
mod admin;
mod approval;
mod approvals;
mod assets;
mod form;
mod oidc;
mod packages;
mod page;
mod requests;
mod session;
mod signin;
mod view;

pub use oidc::{OidcClient, OidcClientConfig};

use crate::AppState;
use axum::routing::{get, post};
use axum::{middleware, Extension, Router};
use std::sync::Arc;

/// How people sign in to the portal.
#[derive(Clone)]
pub enum SignInMode {
    /// Pick a directory user (the dev auth mode: anyone may be anyone).
    Dev,
    /// The authorization code flow with PKCE against the OIDC issuer.
    Oidc(Arc<OidcClient>),
}

/// The portal's settings.
#[derive(Clone)]
pub struct PortalOptions {
    /// Signs the session cookie (HS256); at least 32 bytes.
    pub session_key: Vec<u8>,
    /// How long a session lasts after sign-in.
    pub session_ttl: chrono::Duration,
    pub sign_in: SignInMode,
}

impl std::fmt::Debug for PortalOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mode = match self.sign_in {
            SignInMode::Dev => "dev",
            SignInMode::Oidc(_) => "oidc",
        };
        write!(f, "PortalOptions(sign_in: {mode}, session_ttl: {})", self.session_ttl)
    }
}

/// The portal's routes, with the session and CSRF middleware.
pub fn router(opts: PortalOptions) -> Router<AppState> {
    let opts = Arc::new(opts);
    Router::new()
        .route("/", get(signin::home))
        .route("/signin", get(signin::page).post(signin::dev_sign_in))
        .route("/signin/oidc", get(signin::oidc_start))
        .route("/signin/callback", get(signin::oidc_callback))
        .route("/signout", post(signin::sign_out))
        .route("/packages", get(packages::list))
        .route("/packages/{id}", get(packages::show))
        .route("/packages/{id}/request", get(requests::form).post(requests::submit))
        .route("/requests", get(requests::mine))
        .route("/requests/{id}", get(requests::show))
        .route("/requests/{id}/cancel", post(requests::cancel))
        .route("/access", get(access::mine))
        .route("/access/{id}/extend", get(access::extend_form).post(access::extend))
        .route("/access/{id}/remove", post(access::remove))
        .route("/approvals", get(approvals::pending))
        .route("/approvals/{id}", get(approval::show).post(approval::decide))
        .route("/admin", get(admin::overview))
        .route("/admin/requests", get(admin::requests))
        .route("/admin/requests/{id}", get(admin::timeline))
        .route("/static/portal.css", get(assets::css))
        .route("/static/portal.js", get(assets::js))
        .layer(middleware::from_fn(session::layer))
        .layer(Extension(opts))
}
