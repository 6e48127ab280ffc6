//! grantd-web: the Graph HTTP surface. One module per entity set with its own router, served
//! under `/v1.0` and `/beta` with each version's names; authentication; the Graph error
//! envelope; OData query binding; the My Access portal (server-rendered HTML at `/`). Handlers parse input into domain values at the edge and call
//! one store or service operation; nothing outbound happens on the request path.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod approvals;
pub mod assignments;
pub mod auth;
pub mod ctx;
pub mod directory;
pub mod entitlement;
pub mod error;
pub mod expand;
pub mod extensions;
pub mod json;
pub mod policies;
pub mod portal;
pub mod query;
pub mod rbac;
pub mod requests;
pub mod wire;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{middleware, Extension, Router};
use grantd_domain::Clock;
use grantd_store::Store;
use json::ApiVersion;
use std::sync::Arc;
use std::time::Duration;

pub use auth::Authenticator;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub auth: Arc<Authenticator>,
    pub clock: Arc<dyn Clock>,
    /// Wakes the job runners when a request enqueued work.
    pub wake: Arc<tokio::sync::Notify>,
    /// Custom extensions: the callout signing keys and the endpoint rules.
    pub extensions: extensions::Settings,
    /// Checks the verifiable credentials requests present.
    pub verified_id: Arc<grantd_service::verified_id::Verifier>,
}

impl AppState {
    /// The context the request use cases run in.
    pub fn service(&self) -> grantd_service::requests::Ctx {
        grantd_service::requests::Ctx {
            store: self.store.clone(),
            clock: self.clock.clone(),
            wake: self.wake.clone(),
            verified_id: self.verified_id.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct WebOptions {
    /// Overrides the base URL used in nextLinks and contexts (behind a proxy).
    pub public_url: Option<String>,
    pub body_limit: usize,
    pub request_timeout: Duration,
    /// Largest page a list returns (`$top` above it is lowered to it).
    pub max_page_size: usize,
    /// The My Access portal at `/` (None: not served).
    pub portal: Option<portal::PortalOptions>,
}

impl Default for WebOptions {
    fn default() -> Self {
        Self {
            public_url: None,
            body_limit: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            max_page_size: query::MAX_PAGE_SIZE,
            portal: None,
        }
    }
}

fn api(state: &AppState, version: ApiVersion) -> Router<AppState> {
    Router::new()
        .merge(directory::users::router())
        .merge(directory::groups::router())
        .merge(rbac::router())
        .merge(entitlement::router())
        .merge(policies::router())
        .merge(requests::router())
        .merge(approvals::router())
        .merge(assignments::router())
        .merge(extensions::router())
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::authenticate))
        .layer(Extension(version))
}

async fn health(State(state): State<AppState>) -> Response {
    if state.store.ping().await {
        json::plain(StatusCode::OK, &serde_json::json!({"status": "ok"}))
    } else {
        error::GraphError::new(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", "The database does not answer.")
            .into_response()
    }
}

/// The whole HTTP application.
pub fn app(state: AppState, opts: WebOptions) -> Router {
    let mut inner = Router::new()
        .nest("/v1.0", api(&state, ApiVersion::V1))
        .nest("/beta", api(&state, ApiVersion::Beta))
        .route("/health", get(health))
        .route("/.well-known/jwks.json", get(extensions::jwks));
    if let Some(p) = opts.portal {
        inner = inner.merge(portal::router(p));
    }
    let inner = inner
        .fallback(ctx::not_found)
        .layer(Extension(query::QueryLimits { max_page_size: opts.max_page_size }))
        .layer(DefaultBodyLimit::max(opts.body_limit))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, opts.request_timeout))
        .with_state(state);
    // The context middleware wraps routing itself, so path normalisation happens first.
    // `/$count` is stripped before routing, so every list answers it (query::count_segment).
    Router::new()
        .fallback_service(inner)
        .layer(middleware::from_fn(query::count_segment))
        .layer(middleware::from_fn_with_state(ctx::CtxConfig { public_url: opts.public_url }, ctx::request_context))
}
