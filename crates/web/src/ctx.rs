//! Per-request context and the outermost wire rules: request/client-request ids (echoed in
//! headers and in every error's innerError), the public base URL (for absolute nextLinks and
//! @odata.context), path normalisation (`/beta//x` is `/beta/x`), and the guarantee that no
//! error leaves without Graph's JSON envelope (axum's own 404/405/413/415 texts are replaced, and
//! a panic in a handler becomes a logged 500 envelope instead of a dropped connection).
use crate::error::GraphError;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct RequestCtx {
    pub request_id: String,
    pub client_request_id: String,
    /// `scheme://host[:port]` as the client addressed us.
    pub base_url: String,
    /// The normalised request path (with its version prefix).
    pub path: String,
    /// The caller's `Accept-Language` ranges, most preferred first (`*` and q=0 dropped).
    pub languages: Vec<String>,
}

tokio::task_local! {
    static CTX: RequestCtx;
}

/// The current request's context (a fresh one outside a request, e.g. in unit tests).
pub fn current() -> RequestCtx {
    CTX.try_with(|c| c.clone()).unwrap_or_else(|_| {
        let id = Uuid::new_v4().to_string();
        RequestCtx {
            request_id: id.clone(),
            client_request_id: id,
            base_url: "http://localhost".into(),
            path: String::new(),
            languages: Vec::new(),
        }
    })
}

fn base_url(headers: &HeaderMap, public_url: Option<&str>) -> String {
    if let Some(p) = public_url {
        return p.trim_end_matches('/').to_string();
    }
    let host = headers
        .get("x-forwarded-host")
        .or_else(|| headers.get(header::HOST))
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c)))
        .unwrap_or("localhost");
    let proto = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|p| *p == "https" || *p == "http")
        .unwrap_or("http");
    format!("{proto}://{host}")
}

/// Collapses repeated slashes in the path (SDK base URLs ending in `/` produce `/beta//x`) and
/// drops a trailing slash.
pub fn normalize_path(uri: &Uri) -> Option<Uri> {
    let path = uri.path();
    if !path.contains("//") && (path.len() <= 1 || !path.ends_with('/')) {
        return None;
    }
    let mut out = String::with_capacity(path.len());
    for ch in path.chars() {
        if ch == '/' && out.ends_with('/') {
            continue;
        }
        out.push(ch);
    }
    if out.len() > 1 && out.ends_with('/') {
        out.pop();
    }
    let pq = match uri.query() {
        Some(q) => format!("{out}?{q}"),
        None => out,
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = pq.parse().ok();
    Uri::from_parts(parts).ok()
}

#[derive(Clone)]
pub struct CtxConfig {
    pub public_url: Option<String>,
}

/// The outermost middleware. Runs the rest of the stack inside the request's context.
pub async fn request_context(cfg: axum::extract::State<CtxConfig>, mut req: Request, next: Next) -> Response {
    if let Some(u) = normalize_path(req.uri()) {
        *req.uri_mut() = u;
    }
    let request_id = Uuid::new_v4().to_string();
    let client_request_id = req
        .headers()
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.chars().all(|c| c.is_ascii_graphic()))
        .map(str::to_string)
        .unwrap_or_else(|| request_id.clone());
    let ctx = RequestCtx {
        request_id: request_id.clone(),
        client_request_id: client_request_id.clone(),
        base_url: base_url(req.headers(), cfg.public_url.as_deref()),
        path: req.uri().path().to_string(),
        languages: req
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(accept_language)
            .unwrap_or_default(),
    };
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let started = std::time::Instant::now();
    let mut resp = CTX
        .scope(ctx, async move {
            if has_nul(req.uri()) {
                return GraphError::bad_request("BadRequest", "The request URI contains a NUL character.")
                    .into_response();
            }
            let resp = match (CatchPanic { inner: Box::pin(next.run(req)) }).await {
                Ok(resp) => resp,
                Err(()) => GraphError::internal().into_response(),
            };
            ensure_graph_error(resp)
        })
        .await;
    tracing::info!(
        target: "grantd::http",
        %method, %path, status = resp.status().as_u16(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        request_id = %request_id,
        "request"
    );
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        h.insert("request-id", v);
    }
    if let Ok(v) = HeaderValue::from_str(&client_request_id) {
        h.insert("client-request-id", v);
    }
    resp
}

/// Parses `Accept-Language` (RFC 9110 12.5.4) into language ranges by descending quality;
/// equal qualities keep their order. At most 16 ranges are read.
pub fn accept_language(raw: &str) -> Vec<String> {
    let mut ranges: Vec<(u16, usize, String)> = raw
        .split(',')
        .take(16)
        .enumerate()
        .filter_map(|(i, part)| {
            let mut it = part.split(';');
            let tag = it.next()?.trim();
            if tag.is_empty() || tag == "*" || !tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                return None;
            }
            let q = it
                .filter_map(|p| p.trim().strip_prefix("q="))
                .filter_map(|q| q.trim().parse::<f32>().ok())
                .next()
                .unwrap_or(1.0);
            let q = (q.clamp(0.0, 1.0) * 1000.0) as u16;
            (q > 0).then(|| (q, i, tag.to_string()))
        })
        .collect();
    ranges.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    ranges.into_iter().map(|(_, _, t)| t).collect()
}

/// A percent-encoded NUL (`%00`) anywhere in the path or query: no identifier, name or filter
/// literal may hold one (PostgreSQL text cannot store it), so the request is refused up front.
fn has_nul(uri: &Uri) -> bool {
    let nul = |s: &str| s.as_bytes().windows(3).any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0');
    nul(uri.path()) || uri.query().is_some_and(nul)
}

/// Turns a panic while polling the handler into `Err(())`, so the client gets a 500 envelope
/// (a panic is a bug, and is logged as one) rather than a connection closed mid-request.
struct CatchPanic<F> {
    inner: Pin<Box<F>>,
}

impl<F: Future<Output = Response>> Future for CatchPanic<F> {
    type Output = Result<Response, ()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.inner.as_mut();
        match catch_unwind(AssertUnwindSafe(move || inner.poll(cx))) {
            Ok(Poll::Ready(resp)) => Poll::Ready(Ok(resp)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                tracing::error!(panic = %what, "a request handler panicked");
                Poll::Ready(Err(()))
            }
        }
    }
}

/// Replaces any error response that is not already Graph JSON (framework rejections, limits).
fn ensure_graph_error(resp: Response) -> Response {
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    // The portal's HTML pages carry their own error pages.
    let is_html = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_json || is_html {
        return resp;
    }
    let err = match status {
        StatusCode::NOT_FOUND => GraphError::no_route(),
        StatusCode::METHOD_NOT_ALLOWED => GraphError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "The HTTP method is not allowed for the requested resource.",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => GraphError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "RequestEntityTooLarge",
            "The request body is larger than the server accepts.",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => GraphError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            "The request body must be JSON (Content-Type: application/json).",
        ),
        StatusCode::REQUEST_TIMEOUT => {
            GraphError::new(StatusCode::REQUEST_TIMEOUT, "RequestTimeout", "The request took too long.")
        }
        s if s.is_server_error() => GraphError::internal(),
        s => GraphError::new(s, "BadRequest", "The request could not be processed."),
    };
    let mut out = err.into_response();
    // Keep headers such as Allow or Retry-After that the original carried.
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(v) = resp.headers().get(&name) {
            out.headers_mut().insert(name, v.clone());
        }
    }
    drop(resp);
    out
}

/// Fallback for unknown routes.
pub async fn not_found() -> Response {
    GraphError::no_route().into_response()
}

pub fn empty(status: StatusCode) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = status;
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use axum::Router;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    async fn boom() -> &'static str {
        panic!("handler bug")
    }

    fn app() -> Router {
        Router::new()
            .route("/boom", get(boom))
            .route("/ok", get(|| async { "fine" }))
            .layer(axum::middleware::from_fn_with_state(CtxConfig { public_url: None }, request_context))
    }

    #[tokio::test]
    async fn a_panicking_handler_is_a_500_envelope_and_the_service_lives_on() {
        let resp = app().oneshot(Request::get("/boom").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(resp.headers().contains_key("request-id"));
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"]["code"], "UnknownError");
        assert!(!String::from_utf8_lossy(&body).contains("handler bug"));
        let resp = app().oneshot(Request::get("/ok").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn nul_in_path_or_query_is_refused_before_routing() {
        for uri in ["/ok%00", "/ok?x=%00", "/ok?$filter=a%00b"] {
            let resp = app().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
            assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{uri}");
        }
    }
}
