//! OData query options on list and get endpoints: parse (grantd-odata), bind `$filter`,
//! `$orderby` and `$search` to the entity's field catalog (unknown or unsupported properties are
//! Graph 400s), keyset paging through `$skiptoken` with a configurable page size, absolute
//! `@odata.nextLink`s that carry the whole query, the `/$count` segment, the limits on `$expand`,
//! and `$select` applied to the output (nested `$select` inside `$expand` too). Loading what a
//! nested `$expand` names is `crate::expand`'s job.
mod bind;
pub mod harness;
pub mod schema;
mod search;
mod select;

use crate::ctx;
use crate::error::{GraphError, GraphResult};
use crate::json::ApiVersion;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use grantd_domain::fields::{FieldCatalog, FieldKind};
use grantd_domain::filter::{Filter, Order, Value};
use grantd_odata::{ExpandItem, QueryOptions};
use grantd_store::ListQuery;

pub use bind::{bind_filter, MAX_SUBQUERIES};
pub use schema::Kind;
pub use select::ExpandNode;

pub const DEFAULT_PAGE_SIZE: usize = 100;
/// The default of the `max_page_size` setting.
pub const MAX_PAGE_SIZE: usize = 999;
/// Deepest `$expand` nesting (`a($expand=b($expand=c))` is 3).
pub const MAX_EXPAND_DEPTH: usize = 3;
/// Most `$expand` items in one request, counted over every level.
pub const MAX_EXPANDS: usize = 10;

/// Per-server query settings, put in the request extensions by the router.
#[derive(Debug, Clone, Copy)]
pub struct QueryLimits {
    pub max_page_size: usize,
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self { max_page_size: MAX_PAGE_SIZE }
    }
}

/// Marks a request whose path ended in `/$count` (removed before routing).
#[derive(Debug, Clone, Copy)]
pub struct CountSegment;

/// The parsed query options of a request, with the raw query kept for nextLinks.
#[derive(Debug, Clone, Default)]
pub struct OData {
    pub opts: QueryOptions,
    raw: String,
    path: String,
    version: Option<ApiVersion>,
    /// The request asked for `/$count`.
    pub count_only: bool,
    max_page_size: usize,
}

impl<S: Send + Sync> FromRequestParts<S> for OData {
    type Rejection = GraphError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let raw = parts.uri.query().unwrap_or("").to_string();
        let opts = grantd_odata::parse_query(&raw).map_err(odata_error)?;
        if let Some(items) = &opts.expand {
            check_expand_limits(items)?;
        }
        let limits = parts.extensions.get::<QueryLimits>().copied().unwrap_or_default();
        Ok(OData {
            opts,
            raw,
            path: ctx::current().path,
            version: parts.extensions.get::<ApiVersion>().copied(),
            count_only: parts.extensions.get::<CountSegment>().is_some(),
            max_page_size: limits.max_page_size.max(1),
        })
    }
}

fn expand_stats(items: &[ExpandItem], depth: usize, total: &mut usize, deepest: &mut usize) {
    *deepest = (*deepest).max(depth);
    for item in items {
        *total += 1;
        if let Some(nested) = &item.options.expand {
            expand_stats(nested, depth + 1, total, deepest);
        }
    }
}

/// `$expand` may name at most [`MAX_EXPANDS`] navigations, nested at most [`MAX_EXPAND_DEPTH`] deep.
fn check_expand_limits(items: &[ExpandItem]) -> GraphResult<()> {
    let (mut total, mut deepest) = (0, 0);
    expand_stats(items, 1, &mut total, &mut deepest);
    if deepest > MAX_EXPAND_DEPTH {
        return Err(GraphError::bad_request(
            "BadRequest",
            format!("The $expand is nested {deepest} levels deep; the limit is {MAX_EXPAND_DEPTH}."),
        ));
    }
    if total > MAX_EXPANDS {
        return Err(GraphError::bad_request(
            "BadRequest",
            format!("The $expand names {total} navigation properties; the limit is {MAX_EXPANDS}."),
        ));
    }
    Ok(())
}

pub fn odata_error(e: grantd_odata::ODataError) -> GraphError {
    if e.option == "$filter" {
        GraphError::invalid_filter(e.message)
    } else {
        GraphError::bad_request("BadRequest", format!("Invalid {} query option: {}", e.option, e.message))
    }
}

fn bad_order(message: String) -> GraphError {
    GraphError::bad_request("BadRequest", message)
}

fn bind_order(catalog: &FieldCatalog, opts: &QueryOptions) -> GraphResult<Vec<Order>> {
    let mut out: Vec<Order> = Vec::new();
    let Some(items) = &opts.orderby else {
        for (column, descending) in catalog.default_order {
            let nullable = catalog.by_column(column).is_some_and(|f| f.nullable);
            out.push(Order { column, descending: *descending, nullable });
        }
        return Ok(out);
    };
    for o in items {
        let name = o.path.join("/");
        let f = catalog.field(&o.path).ok_or_else(|| {
            bad_order(format!("Could not find a property named '{name}' on type '{}'.", catalog.entity))
        })?;
        if f.nav.is_some() {
            return Err(bad_order(format!("Sorting by the navigation property '{name}' is not supported.")));
        }
        // `id` is the tie-breaker of every order, so it is always a usable key.
        if !(f.sortable || f.column == "id") || !f.filterable {
            return Err(bad_order(format!("Sorting by '{name}' is not supported.")));
        }
        if !out.iter().any(|x| x.column == f.column) {
            out.push(Order { column: f.column, descending: o.descending, nullable: f.nullable });
        }
        if f.column == "id" {
            break; // nothing after a unique key changes the order
        }
    }
    Ok(out)
}

fn invalid_token() -> GraphError {
    GraphError::bad_request("BadRequest", "The $skiptoken is invalid.")
}

fn decode_skiptoken(token: &str) -> GraphResult<Vec<Value>> {
    let bytes = URL_SAFE_NO_PAD.decode(token.trim()).map_err(|_| invalid_token())?;
    serde_json::from_slice(&bytes).map_err(|_| invalid_token())
}

/// A `$skiptoken` is client input: its values must be one per order key (then the id), each of
/// the key's type (or null where the key is nullable), so a forged token is a 400 and never a
/// type error in the database.
fn check_cursor(catalog: &FieldCatalog, order: &[Order], cursor: &[Value]) -> GraphResult<()> {
    if cursor.len() != order.len() + 1 {
        return Err(invalid_token());
    }
    let kinds = order
        .iter()
        .map(|o| {
            let kind =
                if o.column == "id" { Some(FieldKind::Uuid) } else { catalog.by_column(o.column).map(|f| f.kind) };
            (kind, o.nullable)
        })
        .chain(std::iter::once((Some(FieldKind::Uuid), false)));
    for ((kind, nullable), v) in kinds.zip(cursor) {
        let fits = matches!(
            (kind, v),
            (Some(FieldKind::Text | FieldKind::Enum(_)), Value::Text(_))
                | (Some(FieldKind::Uuid), Value::Uuid(_))
                | (Some(FieldKind::DateTime), Value::DateTime(_))
                | (Some(FieldKind::Bool), Value::Bool(_))
                | (Some(FieldKind::Int | FieldKind::Duration), Value::Int(_))
        ) || (nullable && matches!(v, Value::Null));
        if !fits {
            return Err(invalid_token());
        }
    }
    Ok(())
}

fn encode_skiptoken(cursor: &[Value]) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(cursor).unwrap_or_default())
}

impl OData {
    /// Query options parsed elsewhere (tests, the fuzz harness), with the default limits; the
    /// `$expand` limits are checked as for a request.
    pub fn from_options(opts: QueryOptions, version: ApiVersion) -> GraphResult<OData> {
        if let Some(items) = &opts.expand {
            check_expand_limits(items)?;
        }
        Ok(OData { opts, version: Some(version), max_page_size: MAX_PAGE_SIZE, ..OData::default() })
    }

    /// The API version of the request (v1.0 outside a versioned router, as in unit tests).
    pub fn version(&self) -> ApiVersion {
        self.version.unwrap_or(ApiVersion::V1)
    }

    /// The store query for a list endpoint over `catalog`. `$search` is refused: lists that
    /// support it call [`OData::list_query_with_search`].
    pub fn list_query(&self, catalog: &'static FieldCatalog) -> GraphResult<ListQuery> {
        if self.opts.search.is_some() {
            return Err(GraphError::bad_request(
                "BadRequest",
                format!("$search is not supported on this collection of '{}'; use $filter.", catalog.entity),
            ));
        }
        self.build(catalog, None)
    }

    /// The same, where `$search` matches the given (wire name, column) text properties.
    pub fn list_query_with_search(
        &self,
        catalog: &'static FieldCatalog,
        searchable: &[(&'static str, &'static str)],
    ) -> GraphResult<ListQuery> {
        let search = match &self.opts.search {
            Some(text) => Some(search::bind_search(text, searchable)?),
            None => None,
        };
        self.build(catalog, search)
    }

    fn build(&self, catalog: &'static FieldCatalog, search: Option<Filter>) -> GraphResult<ListQuery> {
        let mut filter = match &self.opts.filter {
            Some(e) => Some(bind_filter(catalog, e)?),
            None => None,
        };
        if let Some(s) = search {
            filter = Some(match filter {
                Some(f) => Filter::and(vec![f, s]),
                None => s,
            });
        }
        let order = bind_order(catalog, &self.opts)?;
        let top = self.opts.top.map(|t| usize::try_from(t).unwrap_or(usize::MAX));
        let max = self.max_page_size.max(1);
        let limit = top.map(|t| t.clamp(1, max)).unwrap_or(DEFAULT_PAGE_SIZE.min(max));
        let after = match &self.opts.skiptoken {
            Some(t) => Some(decode_skiptoken(t)?),
            None => None,
        };
        if let Some(a) = &after {
            check_cursor(catalog, &order, a)?;
        }
        Ok(ListQuery {
            filter,
            scope: None,
            order,
            limit,
            after,
            count: self.opts.count.unwrap_or(false) || self.count_only,
            // The database counts rows in a signed 64-bit integer; past that a page is empty anyway.
            skip: self.opts.skip.map(|s| s.min(i64::MAX as u64)),
            // `$top=0` asks for no rows: only the count (if any) is computed.
            count_only: self.count_only || top == Some(0),
        })
    }

    /// The absolute nextLink for a page that continues after `cursor`: the same path and
    /// query, with `$skip` dropped and `$skiptoken` replaced.
    pub fn next_link(&self, cursor: Option<&[Value]>) -> Option<String> {
        let cursor = cursor?;
        let mut params: Vec<String> = self
            .raw
            .split('&')
            .filter(|p| !p.is_empty())
            .filter(|p| {
                let name = p.split('=').next().unwrap_or("");
                let name = percent_encoding::percent_decode_str(name).decode_utf8_lossy().to_ascii_lowercase();
                name != "$skiptoken" && name != "$skip"
            })
            .map(str::to_string)
            .collect();
        params.push(format!("$skiptoken={}", encode_skiptoken(cursor)));
        Some(format!("{}{}?{}", ctx::current().base_url, self.path, params.join("&")))
    }

    /// Navigation properties requested in `$expand` (first path segment, as written).
    pub fn expands(&self) -> Vec<String> {
        self.opts
            .expand
            .as_ref()
            .map(|items| items.iter().filter_map(|i| i.path.first().cloned()).collect())
            .unwrap_or_default()
    }

    /// Checks `$expand` (nested options included) against what the entity can expand
    /// (case-insensitive) and returns the top-level names in canonical spelling.
    pub fn check_expand(&self, entity: &str, allowed: &[&'static str]) -> GraphResult<Vec<&'static str>> {
        let tree = self.expand_tree(entity, allowed)?;
        Ok(tree.iter().filter_map(|n| allowed.iter().find(|a| a.eq_ignore_ascii_case(&n.name)).copied()).collect())
    }

    /// The validated `$expand` tree.
    pub fn expand_tree(&self, entity: &str, allowed: &[&str]) -> GraphResult<Vec<ExpandNode>> {
        let items = self.opts.expand.as_deref().unwrap_or(&[]);
        select::expand_tree(self.version(), Kind::from_entity(entity), entity, allowed, items)
    }

    /// Applies `$select` to rendered entities (and nested `$select` inside expanded ones).
    /// Expanded navigations stay; a navigation property named in `$select` is accepted.
    pub fn select(&self, entity: &str, items: &mut [serde_json::Value], keep: &[&str]) -> GraphResult<()> {
        let kind = Kind::from_entity(entity);
        let expand = self.opts.expand.as_deref().unwrap_or(&[]);
        let tree = select::expand_tree(self.version(), kind, entity, keep, expand)?;
        select::apply_select(self.version(), kind, entity, self.opts.select.as_deref(), items, keep)?;
        select::apply_nested_select(self.version(), &tree, items)
    }
}

/// Rewrites `.../collection/$count` to `.../collection` and marks the request, then answers the
/// collection's `@odata.count` as `text/plain` (what Kiota and the Graph SDKs expect).
pub async fn count_segment(mut req: Request, next: Next) -> Response {
    let path = req.uri().path();
    // Only reads: a POST to `/users/$count` must not become a POST to `/users`.
    let Some(stripped) = path.strip_suffix("/$count").filter(|p| !p.is_empty() && req.method() == Method::GET) else {
        return next.run(req).await;
    };
    let pq = match req.uri().query() {
        Some(q) => format!("{stripped}?{q}"),
        None => stripped.to_string(),
    };
    let mut parts = req.uri().clone().into_parts();
    parts.path_and_query = pq.parse().ok();
    match axum::http::Uri::from_parts(parts) {
        Ok(u) => *req.uri_mut() = u,
        Err(_) => return GraphError::no_route().into_response(),
    }
    req.extensions_mut().insert(CountSegment);
    let resp = next.run(req).await;
    if !resp.status().is_success() {
        return resp;
    }
    let bytes = match axum::body::to_bytes(resp.into_body(), 1024 * 1024).await {
        Ok(b) => b,
        Err(_) => return GraphError::internal().into_response(),
    };
    let count = serde_json::from_slice::<serde_json::Value>(&bytes).ok().and_then(|v| v["@odata.count"].as_i64());
    match count {
        Some(n) => {
            let mut r = (StatusCode::OK, Body::from(n.to_string())).into_response();
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
            r
        }
        None => {
            GraphError::bad_request("BadRequest", "The $count segment applies only to collections.").into_response()
        }
    }
}
