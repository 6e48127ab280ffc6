//! The `Fields` extractor: a url-encoded form as name/value pairs (repeated names kept, for
//! multiple-choice answers). The session middleware has already checked its CSRF token.
use super::page::PortalError;
use super::session::form_pairs;
use axum::body::{to_bytes, Body};
use axum::extract::{FromRequest, Request};

#[derive(Debug, Clone, Default)]
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The first value of `name`, trimmed.
    pub fn get(&self, name: &str) -> Option<String> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_string())
    }
    /// Every non-empty value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, v)| k == name && !v.trim().is_empty()).map(|(_, v)| v.trim().to_string()).collect()
    }
}

impl<S: Send + Sync> FromRequest<S> for Fields {
    type Rejection = PortalError;

    async fn from_request(req: Request<Body>, _state: &S) -> Result<Self, Self::Rejection> {
        let bytes = to_bytes(req.into_body(), 64 * 1024)
            .await
            .map_err(|_| PortalError::BadRequest("The form is too large.".into()))?;
        form_pairs(&bytes).map(Fields).ok_or_else(|| PortalError::BadRequest("The form could not be read.".into()))
    }
}
