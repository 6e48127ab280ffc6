//! Shorthand constructors shared by the integration tests.
#![allow(dead_code)]

use grantd_odata::{BinaryOp, Expr, LambdaKind, Literal};

pub fn path(segments: &str) -> Expr {
    Expr::Path(segments.split('/').map(str::to_string).collect())
}

pub fn lit(l: Literal) -> Expr {
    Expr::Literal(l)
}

pub fn s(text: &str) -> Expr {
    lit(Literal::String(text.to_string()))
}

pub fn int(i: i64) -> Expr {
    lit(Literal::Int(i))
}

pub fn bin(op: BinaryOp, left: Expr, right: Expr) -> Expr {
    Expr::Binary { op, left: Box::new(left), right: Box::new(right) }
}

pub fn eq(left: Expr, right: Expr) -> Expr {
    bin(BinaryOp::Eq, left, right)
}

pub fn and(left: Expr, right: Expr) -> Expr {
    bin(BinaryOp::And, left, right)
}

pub fn or(left: Expr, right: Expr) -> Expr {
    bin(BinaryOp::Or, left, right)
}

pub fn not(e: Expr) -> Expr {
    Expr::Not(Box::new(e))
}

pub fn call(name: &str, args: Vec<Expr>) -> Expr {
    Expr::Call { name: name.to_string(), args }
}

pub fn any(collection: &str, var: &str, body: Expr) -> Expr {
    lambda(collection, LambdaKind::Any, Some(var), Some(body))
}

pub fn lambda(collection: &str, kind: LambdaKind, var: Option<&str>, body: Option<Expr>) -> Expr {
    Expr::Lambda {
        collection: collection.split('/').map(str::to_string).collect(),
        kind,
        variable: var.map(str::to_string),
        body: body.map(Box::new),
    }
}
