//! OData query options on list and get endpoints: parse (grantd-odata), bind `$filter` and
//! `$orderby` to the entity's field catalog (unknown or unsupported properties are Graph 400s),
//! keyset paging through `$skiptoken`, absolute `@odata.nextLink`s that carry the whole query,
//! and `$select` applied to the output.
use crate::ctx;
use crate::error::{GraphError, GraphResult};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use grantd_domain::fields::{Field, FieldCatalog, FieldKind};
use grantd_domain::filter::{CmpOp, Col, Filter, Order, TextOp, Value};
use grantd_odata::{BinaryOp, Expr, LambdaKind, Literal, QueryOptions};
use grantd_store::ListQuery;
use serde_json::Value as Json;

pub const DEFAULT_PAGE_SIZE: usize = 100;
pub const MAX_PAGE_SIZE: usize = 999;

/// The parsed query options of a request, with the raw query kept for nextLinks.
#[derive(Debug, Clone, Default)]
pub struct OData {
    pub opts: QueryOptions,
    raw: String,
    path: String,
}

impl<S: Send + Sync> FromRequestParts<S> for OData {
    type Rejection = GraphError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let raw = parts.uri.query().unwrap_or("").to_string();
        let opts = grantd_odata::parse_query(&raw).map_err(odata_error)?;
        Ok(OData { opts, raw, path: ctx::current().path })
    }
}

pub fn odata_error(e: grantd_odata::ODataError) -> GraphError {
    if e.option == "$filter" {
        GraphError::invalid_filter(e.message)
    } else {
        GraphError::bad_request("BadRequest", format!("Invalid {} query option: {}", e.option, e.message))
    }
}

fn unknown_property(catalog: &FieldCatalog, path: &[String]) -> GraphError {
    GraphError::invalid_filter(format!(
        "Could not find a property named '{}' on type '{}'.",
        path.join("/"),
        catalog.entity
    ))
}

fn unsupported(what: impl std::fmt::Display) -> GraphError {
    GraphError::invalid_filter(format!("{what} is not supported."))
}

const GUID_MESSAGE: &str = "Guid should contain 32 digits with 4 dashes (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)..";

/// Converts a literal to the field's type.
fn typed(field: &Field, name: &str, lit: &Literal) -> GraphResult<Value> {
    if matches!(lit, Literal::Null) {
        return Ok(Value::Null);
    }
    let mismatch =
        || GraphError::invalid_filter(format!("The value {lit:?} cannot be compared with property '{name}'."));
    Ok(match (field.kind, lit) {
        (FieldKind::Text, Literal::String(s)) => Value::Text(s.clone()),
        (FieldKind::Uuid, Literal::Guid(s)) | (FieldKind::Uuid, Literal::String(s)) => {
            Value::Uuid(grantd_domain::parse_guid(s).ok_or_else(|| GraphError::invalid_filter(GUID_MESSAGE))?)
        }
        (FieldKind::DateTime, Literal::DateTimeOffset(s)) | (FieldKind::DateTime, Literal::String(s)) => {
            Value::DateTime(crate::wire::parse_datetime(s).ok_or_else(mismatch)?)
        }
        (FieldKind::DateTime, Literal::Date(s)) => {
            Value::DateTime(crate::wire::parse_datetime(&format!("{s}T00:00:00Z")).ok_or_else(mismatch)?)
        }
        (FieldKind::Bool, Literal::Bool(b)) => Value::Bool(*b),
        (FieldKind::Int, Literal::Int(i)) => Value::Int(*i),
        (FieldKind::Enum(members), Literal::String(s)) | (FieldKind::Enum(members), Literal::Enum { value: s, .. }) => {
            match members.iter().find(|(wire, _)| wire.eq_ignore_ascii_case(s)) {
                Some((_, stored)) => Value::Text((*stored).to_string()),
                None => {
                    return Err(GraphError::invalid_filter(format!(
                        "The value '{s}' is not valid for property '{name}'."
                    )))
                }
            }
        }
        _ => return Err(mismatch()),
    })
}

/// A column operand: a property path, or `tolower(path)`/`toupper(path)`.
fn column(catalog: &FieldCatalog, e: &Expr) -> GraphResult<Option<(&'static Field, Col, String)>> {
    match e {
        Expr::Path(p) => {
            let f = catalog.field(p).ok_or_else(|| unknown_property(catalog, p))?;
            Ok(Some((f, Col { column: f.column, lower: false }, p.join("/"))))
        }
        Expr::Call { name, args } if (name == "tolower" || name == "toupper") && args.len() == 1 => {
            match column(catalog, &args[0])? {
                Some((f, c, n)) if f.kind == FieldKind::Text => Ok(Some((f, Col { column: c.column, lower: true }, n))),
                Some(_) => Err(unsupported(format!("{name} on a non-text property"))),
                None => Ok(None),
            }
        }
        _ => Ok(None),
    }
}

fn literal(e: &Expr) -> Option<&Literal> {
    match e {
        Expr::Literal(l) => Some(l),
        _ => None,
    }
}

fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        o => o,
    }
}

fn lower_value(v: Value, col: &Col) -> Value {
    match v {
        Value::Text(s) if col.lower => Value::Text(s.to_lowercase()),
        v => v,
    }
}

/// Binds a parsed `$filter` to the entity's field catalog.
pub fn bind_filter(catalog: &FieldCatalog, e: &Expr) -> GraphResult<Filter> {
    match e {
        Expr::Binary { op: BinaryOp::And, left, right } => {
            Ok(Filter::and(vec![bind_filter(catalog, left)?, bind_filter(catalog, right)?]))
        }
        Expr::Binary { op: BinaryOp::Or, left, right } => {
            Ok(Filter::Or(vec![bind_filter(catalog, left)?, bind_filter(catalog, right)?]))
        }
        Expr::Not(inner) => Ok(Filter::Not(Box::new(bind_filter(catalog, inner)?))),
        Expr::Binary { op, left, right } => {
            let cmp = match op {
                BinaryOp::Eq => CmpOp::Eq,
                BinaryOp::Ne => CmpOp::Ne,
                BinaryOp::Gt => CmpOp::Gt,
                BinaryOp::Ge => CmpOp::Ge,
                BinaryOp::Lt => CmpOp::Lt,
                BinaryOp::Le => CmpOp::Le,
                other => return Err(unsupported(format!("The operator {other:?}"))),
            };
            let (field, col, name, lit, cmp) = match (column(catalog, left)?, literal(right)) {
                (Some((f, c, n)), Some(l)) => (f, c, n, l, cmp),
                _ => match (column(catalog, right)?, literal(left)) {
                    (Some((f, c, n)), Some(l)) => (f, c, n, l, flip(cmp)),
                    _ => return Err(unsupported("Comparing two expressions that are not a property and a literal")),
                },
            };
            let value = lower_value(typed(field, &name, lit)?, &col);
            Ok(Filter::Compare { col, op: cmp, value })
        }
        Expr::In { left, list } => {
            let (field, col, name) = column(catalog, left)?.ok_or_else(|| unsupported("'in' on a non-property"))?;
            let mut values = Vec::with_capacity(list.len());
            for item in list {
                let l = literal(item).ok_or_else(|| unsupported("'in' with a non-literal"))?;
                values.push(lower_value(typed(field, &name, l)?, &col));
            }
            Ok(Filter::In { col, values })
        }
        Expr::Call { name, args } if matches!(name.as_str(), "contains" | "startswith" | "endswith") => {
            let op = match name.as_str() {
                "contains" => TextOp::Contains,
                "startswith" => TextOp::StartsWith,
                _ => TextOp::EndsWith,
            };
            if args.len() != 2 {
                return Err(GraphError::invalid_filter(format!("{name} takes two arguments.")));
            }
            let (field, col, _) =
                column(catalog, &args[0])?.ok_or_else(|| unsupported(format!("{name} on a non-property")))?;
            if field.kind != FieldKind::Text {
                return Err(unsupported(format!("{name} on a non-text property")));
            }
            match literal(&args[1]) {
                Some(Literal::String(s)) => Ok(Filter::Text { col, op, value: s.clone() }),
                _ => Err(GraphError::invalid_filter(format!("The second argument of {name} must be a string."))),
            }
        }
        Expr::Lambda { collection, kind: LambdaKind::Any, variable: Some(var), body: Some(body) } => {
            let rel = catalog.relation(collection).ok_or_else(|| unknown_property(catalog, collection))?;
            // Accept `x eq v` and `x/id eq v`.
            if let Expr::Binary { op: BinaryOp::Eq, left, right } = body.as_ref() {
                let is_var = |e: &Expr| match e {
                    Expr::Path(p) => {
                        (p.len() == 1 && p[0] == *var)
                            || (p.len() == 2 && p[0] == *var && p[1].eq_ignore_ascii_case("id"))
                    }
                    _ => false,
                };
                let lit = if is_var(left) {
                    literal(right)
                } else if is_var(right) {
                    literal(left)
                } else {
                    None
                };
                if let Some(l) = lit {
                    let f = Field { paths: &[], column: "", kind: rel.kind, sortable: false };
                    let value = typed(&f, rel.path, l)?;
                    return Ok(Filter::Related { relation: rel.relation, value });
                }
            }
            Err(unsupported("This lambda expression"))
        }
        Expr::Literal(Literal::Bool(true)) => Ok(Filter::And(vec![])),
        Expr::Path(p) => match catalog.field(p) {
            Some(f) if f.kind == FieldKind::Bool => Ok(Filter::Compare {
                col: Col { column: f.column, lower: false },
                op: CmpOp::Eq,
                value: Value::Bool(true),
            }),
            Some(_) => Err(GraphError::invalid_filter(format!("'{}' is not a boolean expression.", p.join("/")))),
            None => Err(unknown_property(catalog, p)),
        },
        other => Err(unsupported(format!("The expression '{other}'"))),
    }
}

fn bind_order(catalog: &FieldCatalog, opts: &QueryOptions) -> GraphResult<Vec<Order>> {
    let mut out = Vec::new();
    match &opts.orderby {
        Some(items) => {
            for o in items {
                let f = catalog.field(&o.path).ok_or_else(|| {
                    GraphError::bad_request(
                        "BadRequest",
                        format!("Could not find a property named '{}' on type '{}'.", o.path.join("/"), catalog.entity),
                    )
                })?;
                if !f.sortable {
                    return Err(GraphError::bad_request(
                        "BadRequest",
                        format!("Sorting by '{}' is not supported.", o.path.join("/")),
                    ));
                }
                if !out.iter().any(|x: &Order| x.column == f.column) {
                    out.push(Order { column: f.column, descending: o.descending });
                }
            }
        }
        None => {
            for (column, descending) in catalog.default_order {
                out.push(Order { column, descending: *descending });
            }
        }
    }
    Ok(out)
}

fn decode_skiptoken(token: &str) -> GraphResult<Vec<Value>> {
    let bad = || GraphError::bad_request("BadRequest", "The $skiptoken is invalid.");
    let bytes = URL_SAFE_NO_PAD.decode(token.trim()).map_err(|_| bad())?;
    serde_json::from_slice(&bytes).map_err(|_| bad())
}

/// A `$skiptoken` is client input: its values must be one per order key (then the id), each of
/// the key's type, so a forged token is a 400 and never a type error in the database.
fn check_cursor(catalog: &FieldCatalog, order: &[Order], cursor: &[Value]) -> GraphResult<()> {
    let bad = || GraphError::bad_request("BadRequest", "The $skiptoken is invalid.");
    if cursor.len() != order.len() + 1 {
        return Err(bad());
    }
    let kinds = order
        .iter()
        .map(|o| catalog.fields.iter().find(|f| f.column == o.column).map(|f| f.kind))
        .chain(std::iter::once(Some(FieldKind::Uuid)));
    for (kind, v) in kinds.zip(cursor) {
        let fits = matches!(
            (kind, v),
            (Some(FieldKind::Text | FieldKind::Enum(_)), Value::Text(_))
                | (Some(FieldKind::Uuid), Value::Uuid(_))
                | (Some(FieldKind::DateTime), Value::DateTime(_))
                | (Some(FieldKind::Bool), Value::Bool(_))
                | (Some(FieldKind::Int), Value::Int(_))
        );
        if !fits {
            return Err(bad());
        }
    }
    Ok(())
}

fn encode_skiptoken(cursor: &[Value]) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(cursor).unwrap_or_default())
}

impl OData {
    /// The store query for a list endpoint over `catalog`.
    pub fn list_query(&self, catalog: &FieldCatalog) -> GraphResult<ListQuery> {
        let filter = match &self.opts.filter {
            Some(e) => Some(bind_filter(catalog, e)?),
            None => None,
        };
        let order = bind_order(catalog, &self.opts)?;
        let limit = self.opts.top.map(|t| (t as usize).clamp(1, MAX_PAGE_SIZE)).unwrap_or(DEFAULT_PAGE_SIZE);
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
            count: self.opts.count.unwrap_or(false),
            // The database counts rows in a signed 64-bit integer; past that a page is empty anyway.
            skip: self.opts.skip.map(|s| s.min(i64::MAX as u64)),
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

    /// Checks `$expand` names against what the entity can expand (case-insensitive) and
    /// returns them in canonical spelling.
    pub fn check_expand(&self, entity: &str, allowed: &[&'static str]) -> GraphResult<Vec<&'static str>> {
        let mut out = Vec::new();
        for name in self.expands() {
            if name == "*" {
                out.extend_from_slice(allowed);
                continue;
            }
            match allowed.iter().find(|a| a.eq_ignore_ascii_case(&name)) {
                Some(a) => out.push(*a),
                None => {
                    return Err(GraphError::bad_request(
                        "BadRequest",
                        format!(
                            "Parsing OData Select and Expand failed: Could not find a property named '{name}' on type '{entity}'."
                        ),
                    ))
                }
            }
        }
        Ok(out)
    }

    /// Applies `$select` to rendered entities. Expanded navigations stay.
    pub fn select(&self, entity: &str, items: &mut [Json], keep: &[&str]) -> GraphResult<()> {
        let Some(sel) = &self.opts.select else { return Ok(()) };
        let names: Vec<String> = sel.iter().filter_map(|p| p.first().cloned()).collect();
        if names.iter().any(|n| n == "*") {
            return Ok(());
        }
        for item in items.iter_mut() {
            let Json::Object(m) = item else { continue };
            for n in &names {
                if !m.keys().any(|k| k.eq_ignore_ascii_case(n)) && !keep.iter().any(|k| k.eq_ignore_ascii_case(n)) {
                    return Err(GraphError::bad_request(
                        "BadRequest",
                        format!("Parsing OData Select and Expand failed: Could not find a property named '{n}' on type '{entity}'."),
                    ));
                }
            }
            m.retain(|k, _| {
                k.starts_with('@')
                    || names.iter().any(|n| n.eq_ignore_ascii_case(k))
                    || keep.iter().any(|n| n.eq_ignore_ascii_case(k))
            });
        }
        Ok(())
    }
}
