//! The one place that turns errors into Graph's error envelope:
//! `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`
//! with the right status. Internal detail is logged, never returned.
use crate::ctx;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use grantd_domain::DomainError;
use grantd_store::StoreError;
use serde_json::json;

pub const JSON_CONTENT_TYPE: &str =
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

#[derive(Debug, Clone)]
pub struct GraphError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    /// `details: []` as Graph sends with query errors.
    pub with_details: bool,
}

pub type GraphResult<T> = Result<T, GraphError>;

impl GraphError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self { status, code: code.to_string(), message: message.into(), with_details: false }
    }
    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    /// The body does not bind to the model (Graph's `InvalidModel`), naming the property.
    pub fn invalid_model(message: impl Into<String>) -> Self {
        Self::bad_request("InvalidModel", message)
    }
    pub fn invalid_filter(message: impl Into<String>) -> Self {
        let mut e = Self::bad_request("InvalidFilter", format!("OData query is invalid: {}", message.into()));
        e.with_details = true;
        e
    }
    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "ResourceNotFound", format!("The {what} was not found."))
    }
    pub fn no_route() -> Self {
        Self::new(StatusCode::NOT_FOUND, "UnknownResource", "No HTTP resource was found that matches the request URI.")
    }
    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "UnAuthorized",
            "User is not authorized to perform the operation. Reason: The caller is not authorized.",
        )
    }
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken", message)
    }
    pub fn conflict(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }
    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "UnknownError", "An internal error occurred.")
    }
}

impl From<DomainError> for GraphError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid { code, message } => GraphError::bad_request(code, message),
            DomainError::NotFound { message } => GraphError::new(StatusCode::NOT_FOUND, "ResourceNotFound", message),
            DomainError::Conflict { code, message } => GraphError::conflict(code, message),
            DomainError::Forbidden { message } => GraphError::new(StatusCode::FORBIDDEN, "UnAuthorized", message),
        }
    }
}

impl From<StoreError> for GraphError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => GraphError::not_found("resource"),
            StoreError::Duplicate => GraphError::conflict("DuplicateKey", "There is already a duplicated entity."),
            StoreError::Concurrent => GraphError::conflict(
                "ConcurrentModification",
                "The object was changed by another request; read it again and retry.",
            ),
            StoreError::BadCursor => GraphError::bad_request("BadRequest", "The $skiptoken is invalid."),
            StoreError::Busy => GraphError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                "The service is busy; retry after a short wait.",
            ),
            other => {
                tracing::error!(error = %other, "store failure");
                GraphError::internal()
            }
        }
    }
}

impl From<grantd_service::requests::ServiceError> for GraphError {
    fn from(e: grantd_service::requests::ServiceError) -> Self {
        match e {
            grantd_service::requests::ServiceError::Domain(d) => d.into(),
            grantd_service::requests::ServiceError::Store(s) => s.into(),
            grantd_service::requests::ServiceError::Retry(_) => grantd_store::StoreError::Busy.into(),
        }
    }
}

impl IntoResponse for GraphError {
    fn into_response(self) -> Response {
        let c = ctx::current();
        let date = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string();
        let mut error = json!({
            "code": self.code,
            "message": self.message,
        });
        if self.with_details {
            error["details"] = json!([]);
        }
        error["innerError"] = json!({
            "date": date,
            "request-id": c.request_id,
            "client-request-id": c.client_request_id,
        });
        let body = json!({ "error": error }).to_string();
        let mut resp = (self.status, body).into_response();
        resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"grantd\""));
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE || self.status == StatusCode::TOO_MANY_REQUESTS {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        resp
    }
}
