//! Binds a parsed `$filter` to an entity's field catalog: property paths become columns (or
//! subqueries, for navigation paths and `any`/`all` lambdas), literals become typed values.
//! Everything the catalog does not declare, and every construct grantd does not evaluate, is a
//! Graph 400 naming the property or the construct; nothing unbound ever reaches the store.
use crate::error::{GraphError, GraphResult};
use grantd_domain::fields::{Field, FieldCatalog, FieldKind, Nav};
use grantd_domain::filter::{CmpOp, Col, Filter, TextOp, Value};
use grantd_odata::{BinaryOp, Expr, LambdaKind, Literal};

/// Most subqueries (navigation hops and lambdas) one `$filter` may compile to.
pub const MAX_SUBQUERIES: usize = 8;
/// The longest property path a filter may name. No declared field is deeper than three segments
/// and at most `MAX_SUBQUERIES` navigations lead to one, so a longer path cannot resolve; refusing
/// it up front keeps binding linear (the lookups below try every split of the path).
pub const MAX_PATH_SEGMENTS: usize = 32;

pub(crate) fn invalid(message: impl Into<String>) -> GraphError {
    GraphError::invalid_filter(message)
}

fn unsupported(what: impl std::fmt::Display) -> GraphError {
    invalid(format!("{what} is not supported."))
}

pub(crate) fn unknown_property(catalog: &FieldCatalog, path: &[String]) -> GraphError {
    invalid(format!("Could not find a property named '{}' on type '{}'.", path.join("/"), catalog.entity))
}

/// Refuses a property path longer than `MAX_PATH_SEGMENTS` before any lookup.
fn check_path_length(path: &[String]) -> GraphResult<()> {
    if path.len() > MAX_PATH_SEGMENTS {
        return Err(invalid(format!(
            "A property path in the filter has {} segments; at most {MAX_PATH_SEGMENTS} are allowed.",
            path.len()
        )));
    }
    Ok(())
}

const GUID_MESSAGE: &str = "Guid should contain 32 digits with 4 dashes (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)..";

/// `tolower(x)` / `toupper(x)` around a property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    AsIs,
    Lower,
    Upper,
}

/// A property operand after binding: its field, the navigations that lead to it (outermost
/// first), and the case function applied to it.
struct Operand {
    field: &'static Field,
    name: String,
    via: Vec<Nav>,
    case: Case,
}

/// Where paths are resolved: the entity's catalog, or inside a lambda the collection's catalog
/// with the range variable that every path must start with.
#[derive(Clone)]
struct Scope {
    catalog: &'static FieldCatalog,
    variable: Option<String>,
    /// The enclosing scopes' variables (a path may not reach them: no correlated lambdas).
    outer: Vec<String>,
}

struct Binder {
    subqueries: usize,
}

/// Binds a parsed `$filter` to the entity's field catalog.
pub fn bind_filter(catalog: &'static FieldCatalog, e: &Expr) -> GraphResult<Filter> {
    let scope = Scope { catalog, variable: None, outer: Vec::new() };
    Binder { subqueries: 0 }.expr(&scope, e)
}

fn wrap(via: &[Nav], f: Filter) -> Filter {
    via.iter().rev().fold(f, |inner, nav| Filter::Via {
        local: nav.local,
        table: nav.table,
        remote: nav.remote,
        filter: Box::new(inner),
        all: false,
    })
}

fn lit_text(lit: &Literal) -> String {
    Expr::Literal(lit.clone()).to_string()
}

fn has_ascii(s: &str, upper: bool) -> bool {
    s.chars().any(|c| if upper { c.is_ascii_uppercase() } else { c.is_ascii_lowercase() })
}

/// Seconds of an ISO 8601 duration literal (`-P1DT2H`).
fn duration_seconds(text: &str) -> Option<i64> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if !body.starts_with(['P', 'p']) {
        return None;
    }
    let d = crate::wire::parse_duration(body)?;
    if d.subsec_nanos() != 0 {
        return None;
    }
    Some(if negative { -d.num_seconds() } else { d.num_seconds() })
}

/// Converts a literal to the field's type.
fn typed(field: &Field, name: &str, lit: &Literal) -> GraphResult<Value> {
    if matches!(lit, Literal::Null) {
        return Ok(Value::Null);
    }
    let mismatch = || invalid(format!("The value {} cannot be compared with property '{name}'.", lit_text(lit)));
    Ok(match (field.kind, lit) {
        (FieldKind::Text, Literal::String(s)) => Value::Text(s.clone()),
        (FieldKind::Uuid, Literal::Guid(s)) | (FieldKind::Uuid, Literal::String(s)) => {
            Value::Uuid(grantd_domain::parse_guid(s).ok_or_else(|| invalid(GUID_MESSAGE))?)
        }
        (FieldKind::DateTime, Literal::DateTimeOffset(s)) | (FieldKind::DateTime, Literal::String(s)) => {
            Value::DateTime(crate::wire::parse_datetime(s).ok_or_else(mismatch)?)
        }
        (FieldKind::DateTime, Literal::Date(s)) => {
            Value::DateTime(crate::wire::parse_datetime(&format!("{s}T00:00:00Z")).ok_or_else(mismatch)?)
        }
        (FieldKind::Bool, Literal::Bool(b)) => Value::Bool(*b),
        (FieldKind::Int, Literal::Int(i)) => Value::Int(*i),
        (FieldKind::Duration, Literal::Duration(s)) | (FieldKind::Duration, Literal::String(s)) => {
            Value::Int(duration_seconds(s).ok_or_else(|| {
                invalid(format!(
                    "The value {} is not a duration in whole seconds for property '{name}' (use duration'P1D').",
                    lit_text(lit)
                ))
            })?)
        }
        (FieldKind::Enum(members), Literal::String(s)) | (FieldKind::Enum(members), Literal::Enum { value: s, .. }) => {
            match members.iter().find(|(wire, _)| wire.eq_ignore_ascii_case(s)) {
                Some((_, stored)) => Value::Text((*stored).to_string()),
                None => return Err(invalid(format!("The value '{s}' is not valid for property '{name}'."))),
            }
        }
        _ => return Err(mismatch()),
    })
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

fn cmp_op(op: BinaryOp) -> Option<CmpOp> {
    Some(match op {
        BinaryOp::Eq | BinaryOp::Has => CmpOp::Eq,
        BinaryOp::Ne => CmpOp::Ne,
        BinaryOp::Gt => CmpOp::Gt,
        BinaryOp::Ge => CmpOp::Ge,
        BinaryOp::Lt => CmpOp::Lt,
        BinaryOp::Le => CmpOp::Le,
        _ => return None,
    })
}

impl Binder {
    fn count_subquery(&mut self) -> GraphResult<()> {
        self.subqueries += 1;
        if self.subqueries > MAX_SUBQUERIES {
            return Err(invalid(format!(
                "The filter follows too many navigation properties or lambdas (at most {MAX_SUBQUERIES})."
            )));
        }
        Ok(())
    }

    /// Strips the range variable from a path inside a lambda.
    fn relative<'p>(&self, scope: &Scope, path: &'p [String]) -> GraphResult<&'p [String]> {
        match &scope.variable {
            None => {
                if let Some(first) = path.first() {
                    if scope.outer.contains(first) {
                        return Err(unsupported("Referring to an enclosing lambda variable"));
                    }
                }
                Ok(path)
            }
            Some(var) => match path.split_first() {
                Some((first, rest)) if first == var => Ok(rest),
                Some((first, _)) if scope.outer.contains(first) => {
                    Err(unsupported("Referring to an enclosing lambda variable"))
                }
                _ => Err(invalid(format!(
                    "Inside a lambda, property paths must start with the range variable '{var}' (found '{}').",
                    path.join("/")
                ))),
            },
        }
    }

    /// Resolves a property path: a declared field (possibly a denormalised path such as
    /// `catalog/id`), or single-valued navigations followed by a field of the target.
    fn resolve(&mut self, catalog: &'static FieldCatalog, path: &[String]) -> GraphResult<(&'static Field, Vec<Nav>)> {
        check_path_length(path)?;
        if let Some(f) = catalog.field(path) {
            if !f.filterable {
                return Err(invalid(format!("Filtering on '{}' is not supported.", path.join("/"))));
            }
            if f.nav.is_some() {
                return Err(invalid(format!(
                    "'{}' is a navigation property: compare one of its properties, such as '{}/id'.",
                    path.join("/"),
                    path.join("/")
                )));
            }
            return Ok((f, Vec::new()));
        }
        for split in 1..path.len() {
            let (head, tail) = path.split_at(split);
            let Some(f) = catalog.field(head) else { continue };
            if !f.filterable {
                return Err(invalid(format!("Filtering on '{}' is not supported.", head.join("/"))));
            }
            let Some(nav) = f.nav else { continue };
            if nav.many {
                return Err(invalid(format!(
                    "'{}' is a collection: filter it with any() or all(), such as {}/any(x: x/id eq '...').",
                    head.join("/"),
                    head.join("/")
                )));
            }
            self.count_subquery()?;
            let (field, mut via) = self.resolve((nav.target)(), tail)?;
            via.insert(0, nav);
            return Ok((field, via));
        }
        Err(unknown_property(catalog, path))
    }

    /// A column operand: a property path, or `tolower(path)`/`toupper(path)`.
    fn operand(&mut self, scope: &Scope, e: &Expr) -> GraphResult<Option<Operand>> {
        match e {
            Expr::Path(p) => {
                let rel = self.relative(scope, p)?;
                let rel: Vec<String> = if rel.is_empty() { vec!["id".to_string()] } else { rel.to_vec() };
                let (field, via) = self.resolve(scope.catalog, &rel)?;
                Ok(Some(Operand { field, name: p.join("/"), via, case: Case::AsIs }))
            }
            Expr::Call { name, args } if (name == "tolower" || name == "toupper") && args.len() == 1 => {
                match self.operand(scope, &args[0])? {
                    Some(o) if o.case != Case::AsIs => {
                        Err(unsupported(format!("Nesting {name}() around tolower()/toupper()")))
                    }
                    Some(o) if o.field.kind == FieldKind::Text => {
                        Ok(Some(Operand { case: if name == "tolower" { Case::Lower } else { Case::Upper }, ..o }))
                    }
                    Some(o) => Err(invalid(format!("{name}() needs a text property; '{}' is not one.", o.name))),
                    None => Err(unsupported(format!("{name}() of something other than a property"))),
                }
            }
            _ => Ok(None),
        }
    }

    fn expr(&mut self, scope: &Scope, e: &Expr) -> GraphResult<Filter> {
        match e {
            Expr::Binary { op: BinaryOp::And, left, right } => {
                Ok(Filter::and(vec![self.expr(scope, left)?, self.expr(scope, right)?]))
            }
            Expr::Binary { op: BinaryOp::Or, left, right } => {
                Ok(Filter::Or(vec![self.expr(scope, left)?, self.expr(scope, right)?]))
            }
            Expr::Not(inner) => Ok(Filter::Not(Box::new(self.expr(scope, inner)?))),
            Expr::Binary { op, left, right } => self.comparison(scope, *op, left, right),
            Expr::In { left, list } => self.in_list(scope, left, list),
            Expr::Call { name, args } if matches!(name.as_str(), "contains" | "startswith" | "endswith") => {
                self.text_function(scope, name, args)
            }
            Expr::Call { name, .. } => Err(invalid(format!("The function '{name}' is not supported in $filter."))),
            Expr::Lambda { collection, kind, variable, body } => {
                self.lambda(scope, collection, *kind, variable.as_deref(), body.as_deref())
            }
            Expr::Literal(Literal::Bool(b)) => Ok(if *b { Filter::And(vec![]) } else { Filter::Const(false) }),
            Expr::Path(_) => match self.operand(scope, e)? {
                Some(o) if o.field.kind == FieldKind::Bool => Ok(wrap(
                    &o.via,
                    Filter::Compare {
                        col: Col { column: o.field.column, lower: false },
                        op: CmpOp::Eq,
                        value: Value::Bool(true),
                    },
                )),
                Some(o) => Err(invalid(format!("'{}' is not a boolean expression.", o.name))),
                None => Err(unsupported("This expression")),
            },
            Expr::Negate(_) => Err(unsupported("Arithmetic negation")),
            other => Err(unsupported(format!("The expression '{other}'"))),
        }
    }

    fn comparison(&mut self, scope: &Scope, op: BinaryOp, left: &Expr, right: &Expr) -> GraphResult<Filter> {
        let Some(cmp) = cmp_op(op) else {
            return Err(invalid(format!("The operator '{}' is not supported in $filter.", op.as_str())));
        };
        for side in [left, right] {
            match side {
                Expr::Call { name, .. } if name != "tolower" && name != "toupper" => {
                    return Err(invalid(format!("The function '{name}' is not supported in $filter.")));
                }
                Expr::Binary { op, .. } if !op.is_comparison() && !matches!(op, BinaryOp::And | BinaryOp::Or) => {
                    return Err(invalid(format!("The operator '{}' is not supported in $filter.", op.as_str())));
                }
                _ => {}
            }
        }
        let (o, lit, cmp) = match (self.operand(scope, left)?, literal(right)) {
            (Some(o), Some(l)) => (o, l, cmp),
            (Some(_), None) => return Err(unsupported("Comparing a property with something other than a literal")),
            (None, _) => match (self.operand(scope, right)?, literal(left)) {
                (Some(o), Some(l)) => (o, l, flip(cmp)),
                _ => return Err(unsupported("Comparing two expressions that are not a property and a literal")),
            },
        };
        if op == BinaryOp::Has {
            if !matches!(o.field.kind, FieldKind::Enum(_)) {
                return Err(invalid(format!(
                    "The 'has' operator needs an enumeration property and an enumeration value; '{}' is not an enumeration.",
                    o.name
                )));
            }
            if matches!(lit, Literal::Null) {
                return Err(invalid("The right operand of 'has' must be an enumeration value, not null."));
            }
        }
        let value = typed(o.field, &o.name, lit)?;
        let f = match (o.case, &value) {
            (Case::AsIs, _) | (_, Value::Null) => {
                Filter::Compare { col: Col { column: o.field.column, lower: false }, op: cmp, value }
            }
            // lower(x) compared with the literal as written: exact OData semantics.
            (Case::Lower, _) => Filter::Compare { col: Col { column: o.field.column, lower: true }, op: cmp, value },
            (Case::Upper, Value::Text(s)) => match cmp {
                // upper(x) = 'ABC' exactly when lower(x) = 'abc'; a literal with a lower-case
                // letter equals no upper-cased value.
                CmpOp::Eq | CmpOp::Ne if has_ascii(s, false) => Filter::Const(cmp == CmpOp::Ne),
                CmpOp::Eq | CmpOp::Ne => Filter::Compare {
                    col: Col { column: o.field.column, lower: true },
                    op: cmp,
                    value: Value::Text(s.to_ascii_lowercase()),
                },
                _ => return Err(unsupported("Ordering comparisons (gt, ge, lt, le) on toupper()")),
            },
            (Case::Upper, _) => return Err(unsupported("toupper() on a non-text value")),
        };
        Ok(wrap(&o.via, f))
    }

    fn in_list(&mut self, scope: &Scope, left: &Expr, list: &[Expr]) -> GraphResult<Filter> {
        let o = self.operand(scope, left)?.ok_or_else(|| unsupported("'in' on something other than a property"))?;
        let mut values = Vec::with_capacity(list.len());
        for item in list {
            let l = literal(item).ok_or_else(|| unsupported("'in' with a non-literal"))?;
            match (o.case, typed(o.field, &o.name, l)?) {
                (Case::Upper, Value::Text(s)) if has_ascii(&s, false) => {}
                (Case::Upper, Value::Text(s)) => values.push(Value::Text(s.to_ascii_lowercase())),
                (_, v) => values.push(v),
            }
        }
        let lower = o.case != Case::AsIs;
        Ok(wrap(&o.via, Filter::In { col: Col { column: o.field.column, lower }, values }))
    }

    fn text_function(&mut self, scope: &Scope, name: &str, args: &[Expr]) -> GraphResult<Filter> {
        let op = match name {
            "contains" => TextOp::Contains,
            "startswith" => TextOp::StartsWith,
            _ => TextOp::EndsWith,
        };
        let [subject, needle] = args else {
            return Err(invalid(format!("{name} takes two arguments.")));
        };
        let o = self
            .operand(scope, subject)?
            .ok_or_else(|| unsupported(format!("{name} on something other than a property")))?;
        if o.field.kind != FieldKind::Text {
            return Err(invalid(format!("{name} needs a text property; '{}' is not one.", o.name)));
        }
        let s = match literal(needle) {
            Some(Literal::String(s)) => s,
            _ => return Err(invalid(format!("The second argument of {name} must be a string."))),
        };
        // Text functions compare case-insensitively; under tolower()/toupper() a literal with a
        // letter of the other case can never match.
        let impossible = match o.case {
            Case::AsIs => false,
            Case::Lower => has_ascii(s, true),
            Case::Upper => has_ascii(s, false),
        };
        let f = if impossible {
            Filter::Const(false)
        } else {
            Filter::Text { col: Col { column: o.field.column, lower: true }, op, value: s.clone() }
        };
        Ok(wrap(&o.via, f))
    }

    fn lambda(
        &mut self,
        scope: &Scope,
        collection: &[String],
        kind: LambdaKind,
        variable: Option<&str>,
        body: Option<&Expr>,
    ) -> GraphResult<Filter> {
        let rel = self.relative(scope, collection)?.to_vec();
        check_path_length(&rel)?;
        if rel.is_empty() {
            return Err(unsupported("A lambda over the range variable itself"));
        }
        // Single-valued navigations may lead to the collection (`accessPackage/assignmentPolicies/any(...)`).
        let mut catalog = scope.catalog;
        let mut via = Vec::new();
        let mut rest: &[String] = &rel;
        let coll = loop {
            let found = (1..=rest.len()).find_map(|n| catalog.field(&rest[..n]).map(|f| (n, f)));
            let Some((n, f)) = found else {
                if let Some(r) = catalog.relation(rest) {
                    break Coll::Relation(r.relation, r.kind);
                }
                return Err(unknown_property(catalog, &rel));
            };
            if !f.filterable {
                return Err(invalid(format!("Filtering on '{}' is not supported.", rest[..n].join("/"))));
            }
            let Some(nav) = f.nav else {
                return Err(invalid(format!("'{}' is not a collection: any() and all() need one.", rel.join("/"))));
            };
            self.count_subquery()?;
            if nav.many {
                if n != rest.len() {
                    return Err(invalid(format!(
                        "'{}' is a collection: filter it with any() or all().",
                        rest[..n].join("/")
                    )));
                }
                break Coll::Nav(nav);
            }
            via.push(nav);
            catalog = (nav.target)();
            rest = &rest[n..];
            if rest.is_empty() {
                return Err(invalid(format!("'{}' is not a collection: any() and all() need one.", rel.join("/"))));
            }
        };
        let (Some(var), Some(body)) = (variable, body) else {
            // `collection/any()`: the collection is not empty.
            return match coll {
                Coll::Nav(nav) => Ok(wrap(
                    &via,
                    Filter::Via {
                        local: nav.local,
                        table: nav.table,
                        remote: nav.remote,
                        filter: Box::new(Filter::And(vec![])),
                        all: false,
                    },
                )),
                Coll::Relation(..) => Err(unsupported("any() without a predicate on this collection")),
            };
        };
        match coll {
            Coll::Nav(nav) => {
                let mut outer = scope.outer.clone();
                outer.extend(scope.variable.clone());
                let inner = Scope { catalog: (nav.target)(), variable: Some(var.to_string()), outer };
                let filter = self.expr(&inner, body)?;
                Ok(wrap(
                    &via,
                    Filter::Via {
                        local: nav.local,
                        table: nav.table,
                        remote: nav.remote,
                        filter: Box::new(filter),
                        all: kind == LambdaKind::All,
                    },
                ))
            }
            Coll::Relation(relation, rel_kind) => {
                // The legacy membership relation: only `x eq v` / `x/id eq v` under any().
                if kind == LambdaKind::All {
                    return Err(unsupported("all() on this collection"));
                }
                let is_var = |e: &Expr| match e {
                    Expr::Path(p) => {
                        (p.len() == 1 && p[0] == var)
                            || (p.len() == 2 && p[0] == var && p[1].eq_ignore_ascii_case("id"))
                    }
                    _ => false,
                };
                if let Expr::Binary { op: BinaryOp::Eq, left, right } = body {
                    let lit = if is_var(left) {
                        literal(right)
                    } else if is_var(right) {
                        literal(left)
                    } else {
                        None
                    };
                    if let Some(l) = lit {
                        let f = grantd_domain::fields::field(&[], "", rel_kind, false);
                        let value = typed(&f, &collection.join("/"), l)?;
                        return Ok(wrap(&via, Filter::Related { relation, value }));
                    }
                }
                Err(unsupported("This lambda expression"))
            }
        }
    }
}

enum Coll {
    Nav(Nav),
    Relation(&'static str, FieldKind),
}

#[cfg(test)]
mod tests;
