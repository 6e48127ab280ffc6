//! Compiles the domain's typed `Filter` into a sea-query condition. Every value is bound as a
//! parameter; column and table names come only from the static field catalogs, never from input.
//!
//! OData logic is two-valued (a comparison with null is false, not unknown), SQL's three-valued:
//! `not` is compiled as `NOT COALESCE(inner, FALSE)` so that `not (description eq 'x')` keeps
//! rows whose description is null, and `all` lambdas use the same guard.
use grantd_domain::filter::{CmpOp, Col, Filter, TextOp, Value};
use grantd_domain::TenantId;
use sea_query::{Alias, Cond, Expr, Func, LikeExpr, Query, SimpleExpr};

pub(crate) fn value(v: &Value) -> sea_query::Value {
    match v {
        Value::Null => sea_query::Value::String(None),
        Value::Bool(b) => sea_query::Value::Bool(Some(*b)),
        Value::Int(i) => sea_query::Value::BigInt(Some(*i)),
        Value::Text(s) => sea_query::Value::String(Some(Box::new(s.clone()))),
        Value::Uuid(u) => sea_query::Value::Uuid(Some(Box::new(*u))),
        Value::DateTime(d) => sea_query::Value::ChronoDateTimeUtc(Some(Box::new(*d))),
    }
}

/// A value as an SQL operand. A null is the untyped `NULL` keyword: a bound null parameter
/// carries a type (text), which PostgreSQL refuses to put in or compare with a UUID column.
pub(crate) fn operand(v: &Value) -> SimpleExpr {
    match v {
        Value::Null => SimpleExpr::Keyword(sea_query::Keyword::Null),
        v => SimpleExpr::Value(value(v)),
    }
}

fn col(c: &Col) -> SimpleExpr {
    let e = Expr::col(Alias::new(c.column));
    if c.lower {
        SimpleExpr::FunctionCall(Func::lower(e))
    } else {
        e.into()
    }
}

fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// (table, owner column, value column) of each relation usable in `any()`.
fn relation_table(name: &str) -> Option<(&'static str, &'static str, &'static str)> {
    match name {
        "group_members" => Some(("group_members", "group_id", "member_id")),
        // Requests the caller is a current approver of (filterByCurrentUser(on='approver')).
        "request_approvers" => Some(("request_approvers", "request_id", "approver_id")),
        // Assignments produced by requests a user made (filterByCurrentUser(on='createdBy')).
        "assignment_requestors" => Some(("assignment_requests", "assignment_id", "requestor_id")),
        _ => None,
    }
}

fn constant(b: bool) -> SimpleExpr {
    Expr::val(1).eq(if b { 1 } else { 0 })
}

/// `NOT COALESCE(e, FALSE)`: true exactly where `e` is false or unknown.
fn not_true(e: SimpleExpr) -> SimpleExpr {
    Expr::expr(SimpleExpr::FunctionCall(Func::coalesce([e, Expr::val(false).into()]))).not()
}

pub(crate) fn compile(f: &Filter, tenant: TenantId) -> SimpleExpr {
    match f {
        Filter::And(parts) => parts.iter().fold(Cond::all(), |c, p| c.add(compile(p, tenant))).into(),
        Filter::Or(parts) if parts.is_empty() => constant(false),
        Filter::Or(parts) => parts.iter().fold(Cond::any(), |c, p| c.add(compile(p, tenant))).into(),
        Filter::Not(inner) => not_true(compile(inner, tenant)),
        Filter::Const(b) => constant(*b),
        Filter::Via { local, table, remote, filter, all } => {
            let inner = compile(filter, tenant);
            let sub = Query::select()
                .column(Alias::new(*remote))
                .from(Alias::new(*table))
                .and_where(Expr::col(Alias::new("tenant_id")).eq(tenant.as_uuid()))
                .and_where(if *all { not_true(inner) } else { inner })
                .to_owned();
            let e = Expr::col(Alias::new(*local));
            if *all {
                e.not_in_subquery(sub)
            } else {
                e.in_subquery(sub)
            }
        }
        Filter::Compare { col: c, op, value: v } => {
            let left = col(c);
            if matches!(v, Value::Null) {
                return match op {
                    CmpOp::Eq => Expr::expr(left).is_null(),
                    CmpOp::Ne => Expr::expr(left).is_not_null(),
                    // Ordering against null is never true in OData.
                    _ => constant(false),
                };
            }
            let right = SimpleExpr::Value(value(v));
            let e = Expr::expr(left);
            match op {
                CmpOp::Eq => e.eq(right),
                CmpOp::Ne => {
                    // OData: `x ne 'a'` is true where x is null.
                    let c2 = Expr::expr(col(c));
                    Cond::any().add(e.ne(right)).add(c2.is_null()).into()
                }
                CmpOp::Gt => e.gt(right),
                CmpOp::Ge => e.gte(right),
                CmpOp::Lt => e.lt(right),
                CmpOp::Le => e.lte(right),
            }
        }
        Filter::In { col: c, values } => {
            if values.is_empty() {
                return constant(false);
            }
            // `x in (null, 'a')`: the null member is `x IS NULL` (SQL's IN never matches null).
            let (nulls, vals): (Vec<&Value>, Vec<&Value>) = values.iter().partition(|v| matches!(v, Value::Null));
            let listed =
                if vals.is_empty() { constant(false) } else { Expr::expr(col(c)).is_in(vals.into_iter().map(operand)) };
            if nulls.is_empty() {
                listed
            } else {
                Cond::any().add(listed).add(Expr::expr(col(c)).is_null()).into()
            }
        }
        Filter::Text { col: c, op, value: s } => {
            // ASCII folding on both sides: SQLite's lower() and PostgreSQL's under COLLATE "C"
            // fold ASCII letters only.
            let pat = escape_like(&s.to_ascii_lowercase());
            let pat = match op {
                TextOp::Contains => format!("%{pat}%"),
                TextOp::StartsWith => format!("{pat}%"),
                TextOp::EndsWith => format!("%{pat}"),
            };
            let lowered = Col { column: c.column, lower: true };
            Expr::expr(col(&lowered)).like(LikeExpr::new(pat).escape('\\'))
        }
        Filter::Related { relation, value: v } => match relation_table(relation) {
            Some((table, owner, member)) => {
                let sub = Query::select()
                    .column(Alias::new(owner))
                    .from(Alias::new(table))
                    .and_where(Expr::col(Alias::new("tenant_id")).eq(tenant.as_uuid()))
                    .and_where(Expr::col(Alias::new(member)).eq(operand(v)))
                    .to_owned();
                Expr::col(Alias::new("id")).in_subquery(sub)
            }
            None => constant(false),
        },
    }
}
