//! JSON in and out: the body extractor (malformed JSON and wrong types become Graph 400s that
//! name the property), and the OData response shapes (`@odata.context`, collections with
//! `value`, `@odata.count`, absolute `@odata.nextLink`) with Graph's exact Content-Type.
use crate::ctx;
use crate::error::{GraphError, JSON_CONTENT_TYPE};
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// The API version a route is served under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiVersion {
    V1,
    Beta,
}

impl ApiVersion {
    pub fn segment(self) -> &'static str {
        match self {
            ApiVersion::V1 => "v1.0",
            ApiVersion::Beta => "beta",
        }
    }
    /// `{base}/{version}/$metadata#{fragment}`
    pub fn context(self, fragment: &str) -> String {
        format!("{}/{}/$metadata#{}", ctx::current().base_url, self.segment(), fragment)
    }
}

/// A JSON request body bound to `T`.
pub struct GraphBody<T>(pub T);

pub fn parse_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, GraphError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|_| {
        GraphError::bad_request(
            "BadRequest",
            "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
        )
    })?;
    bind_value(value)
}

/// The path of the first string (value or key) holding a NUL character: no stored text may
/// carry one (PostgreSQL refuses it), so it is a 400 at the edge rather than a 500 in the store.
fn find_nul(v: &Value, path: &mut Vec<String>) -> bool {
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().enumerate().any(|(i, item)| {
            path.push(format!("[{i}]"));
            let found = find_nul(item, path);
            if !found {
                path.pop();
            }
            found
        }),
        Value::Object(m) => m.iter().any(|(k, item)| {
            path.push(k.clone());
            let found = k.contains('\0') || find_nul(item, path);
            if !found {
                path.pop();
            }
            found
        }),
        _ => false,
    }
}

/// Binds an already-parsed JSON value to `T`, naming the offending property on failure.
pub fn bind_value<T: DeserializeOwned>(value: Value) -> Result<T, GraphError> {
    let mut path = Vec::new();
    if find_nul(&value, &mut path) {
        let name = path.join(".").replace(".[", "[");
        return Err(GraphError::invalid_model(format!(
            "The model is invalid. Property '{name}' contains a NUL character."
        )));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let msg = if path == "." || path.is_empty() {
            format!("The model is invalid. {inner}.")
        } else {
            format!("The model is invalid. Property '{path}': {inner}.")
        };
        GraphError::invalid_model(msg)
    })
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for GraphBody<T> {
    type Rejection = GraphError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(ct) = req.headers().get(header::CONTENT_TYPE) {
            let ct = ct.to_str().unwrap_or("").to_ascii_lowercase();
            if !(ct.starts_with("application/json") || ct.starts_with("text/json") || ct.contains("+json")) {
                return Err(GraphError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "UnsupportedMediaType",
                    format!("The content type '{ct}' is not supported; send application/json."),
                ));
            }
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rej| {
            if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
                GraphError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "RequestEntityTooLarge",
                    "The request body is larger than the server accepts.",
                )
            } else {
                GraphError::bad_request("BadRequest", "The request body could not be read.")
            }
        })?;
        parse_body(&bytes).map(GraphBody)
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    resp
}

/// Puts `@odata.context` first, then the entity's own properties.
pub fn with_context(context: String, entity: Value) -> Value {
    let mut m = Map::new();
    m.insert("@odata.context".into(), Value::String(context));
    if let Value::Object(props) = entity {
        for (k, v) in props {
            m.insert(k, v);
        }
    }
    Value::Object(m)
}

/// A single entity: `{"@odata.context": ".../$metadata#{set}/$entity", ...}`.
pub fn entity(status: StatusCode, version: ApiVersion, entity_set: &str, body: Value) -> Response {
    json_response(status, &with_context(version.context(&format!("{entity_set}/$entity")), body))
}

/// A collection page.
pub fn collection(
    version: ApiVersion,
    entity_set: &str,
    items: Vec<Value>,
    count: Option<i64>,
    next_link: Option<String>,
) -> Response {
    let mut m = Map::new();
    m.insert("@odata.context".into(), Value::String(version.context(entity_set)));
    if let Some(c) = count {
        m.insert("@odata.count".into(), Value::from(c));
    }
    if let Some(n) = next_link {
        m.insert("@odata.nextLink".into(), Value::String(n));
    }
    m.insert("value".into(), Value::Array(items));
    json_response(StatusCode::OK, &Value::Object(m))
}

/// A plain JSON body (for actions whose result is not an entity).
pub fn plain(status: StatusCode, body: &Value) -> Response {
    json_response(status, body)
}
