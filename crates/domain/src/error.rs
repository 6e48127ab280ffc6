//! DomainError: what can go wrong by the rules of entitlement management, independent of HTTP.
//! The web layer maps each variant to a Graph status and error code in one place.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// The input is well-formed JSON but breaks a rule (400). `code` is a Graph-style PascalCase code.
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    /// The referenced object does not exist (in this tenant) (404).
    #[error("{message}")]
    NotFound { message: String },
    /// The object exists but its state forbids the operation (409 for conflicts such as
    /// duplicates and concurrent changes; some Graph rules answer 400 instead: see `Invalid`).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// The caller may not do this (403).
    #[error("{message}")]
    Forbidden { message: String },
}

impl DomainError {
    pub fn invalid(code: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid { code, message: message.into() }
    }
    pub fn not_found(what: &str) -> Self {
        Self::NotFound { message: format!("The {what} was not found.") }
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict { code, message: message.into() }
    }
    pub fn forbidden() -> Self {
        Self::Forbidden {
            message: "User is not authorized to perform the operation. Reason: The caller is not authorized.".into(),
        }
    }
}
