//! The directory endpoints: `/users` and `/groups` (Graph's shapes, the same on both versions).
pub mod groups;
pub mod users;

use crate::error::GraphError;
use axum::http::StatusCode;
use grantd_domain::{parse_guid, ObjectId};

/// Graph's directory "not found".
pub fn not_found(id: &str) -> GraphError {
    GraphError::new(
        StatusCode::NOT_FOUND,
        "Request_ResourceNotFound",
        format!("Resource '{id}' does not exist or one of its queried reference-property objects are not present."),
    )
}

pub fn bad_request(message: impl Into<String>) -> GraphError {
    GraphError::bad_request("Request_BadRequest", message)
}

/// Reads the object id out of an `@odata.id` reference
/// (`https://graph.microsoft.com/v1.0/directoryObjects/{id}`, `.../users/{id}`, or a bare id).
pub fn parse_ref(odata_id: &str) -> Result<ObjectId, GraphError> {
    let last = odata_id.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    let last =
        last.strip_prefix("directoryObjects(").map(|s| s.trim_end_matches(')').trim_matches('\'')).unwrap_or(last);
    parse_guid(last).map(ObjectId).ok_or_else(|| bad_request(format!("Invalid object identifier '{odata_id}'.")))
}

/// A directory object id from a path segment.
pub fn path_id(id: &str) -> Result<ObjectId, GraphError> {
    parse_guid(id).map(ObjectId).ok_or_else(|| not_found(id))
}
