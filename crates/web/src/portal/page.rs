//! The page frame every portal page shares (who is signed in, the navigation, the sign-out
//! form with its CSRF token), rendering a template into a response, the HTML error pages
//! (400, 403, 404, 500; sign-in needed is a redirect) and the security headers.
use super::session::Session;
use askama::Template;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use grantd_domain::DomainError;
use grantd_service::requests::ServiceError;
use grantd_store::StoreError;

/// What the layout needs: the signed-in user's name, whether to show the admin and approval
/// links, the navigation item of this page, and the CSRF token for the sign-out form.
#[derive(Debug, Clone, Default)]
pub struct Chrome {
    pub user_name: Option<String>,
    pub is_admin: bool,
    pub csrf: String,
    pub active: &'static str,
}

impl Chrome {
    pub fn anonymous(session: &Session) -> Chrome {
        Chrome { user_name: None, is_admin: false, csrf: session.csrf.clone(), active: "" }
    }
    pub fn nav(&self, name: &str) -> &'static str {
        if self.active == name {
            "page"
        } else {
            "false"
        }
    }
}

/// Renders a template as a 200 page.
pub fn html<T: Template>(t: &T) -> Response {
    html_status(StatusCode::OK, t)
}

pub fn html_status<T: Template>(status: StatusCode, t: &T) -> Response {
    match t.render() {
        Ok(body) => (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a portal template failed to render");
            PortalError::Internal.into_response()
        }
    }
}

/// Portal pages are not cached, not framed, and load only their own assets.
pub fn security_headers(h: &mut HeaderMap) {
    let set = |h: &mut HeaderMap, k: header::HeaderName, v: &'static str| {
        if !h.contains_key(&k) {
            h.insert(k, HeaderValue::from_static(v));
        }
    };
    set(h, header::CACHE_CONTROL, "no-store");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::REFERRER_POLICY, "same-origin");
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    );
}

/// What can go wrong on a portal page.
#[derive(Debug)]
pub enum PortalError {
    /// Not signed in: go to the sign-in page, then back to `next`.
    SignIn {
        next: String,
    },
    /// A form without the session's CSRF token.
    Csrf,
    Forbidden(String),
    NotFound(String),
    BadRequest(String),
    Conflict(String),
    Internal,
}

pub type PortalResult<T> = Result<T, PortalError>;

#[derive(Template)]
#[template(path = "portal/error.html")]
struct ErrorPage {
    chrome: Chrome,
    title: String,
    message: String,
}

impl IntoResponse for PortalError {
    fn into_response(self) -> Response {
        let (status, title, message) = match self {
            PortalError::SignIn { next } => {
                let to = format!("/signin?next={}", percent_encoding::utf8_percent_encode(&next, super::view::QUERY));
                return Redirect::to(&to).into_response();
            }
            PortalError::Csrf => (
                StatusCode::FORBIDDEN,
                "Form expired",
                "This form could not be accepted: it did not carry this session's security token. Go back, reload the page and try again.".to_string(),
            ),
            PortalError::Forbidden(m) => (StatusCode::FORBIDDEN, "Not allowed", m),
            PortalError::NotFound(m) => (StatusCode::NOT_FOUND, "Not found", m),
            PortalError::BadRequest(m) => (StatusCode::BAD_REQUEST, "Cannot do that", m),
            PortalError::Conflict(m) => (StatusCode::CONFLICT, "Cannot do that now", m),
            PortalError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The portal could not complete this page. Try again in a moment.".to_string(),
            ),
        };
        let page = ErrorPage { chrome: Chrome::default(), title: title.into(), message };
        match page.render() {
            Ok(body) => (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response(),
            Err(_) => (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], title).into_response(),
        }
    }
}

impl From<DomainError> for PortalError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid { message, .. } => PortalError::BadRequest(message),
            DomainError::NotFound { message } => PortalError::NotFound(message),
            DomainError::Conflict { message, .. } => PortalError::Conflict(message),
            DomainError::Forbidden { message } => PortalError::Forbidden(message),
        }
    }
}

impl From<StoreError> for PortalError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => PortalError::NotFound("That item was not found.".into()),
            e => {
                tracing::error!(error = %e, "portal store error");
                PortalError::Internal
            }
        }
    }
}

impl From<ServiceError> for PortalError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Domain(d) => d.into(),
            ServiceError::Store(s) => s.into(),
            ServiceError::Retry(_) => grantd_store::StoreError::Busy.into(),
        }
    }
}
