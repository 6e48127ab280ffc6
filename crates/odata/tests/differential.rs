//! Differential test against the `odata-params` crate: for the `$filter` subset both parsers
//! accept, they must read the same tree. The subset is what `odata-params` gets right:
//! comparisons, `in`, function calls, `and`/`or` chains (each kind in its own parentheses, since
//! `odata-params` gives `and` and `or` one precedence), `(not (...))`, single-segment property
//! names, strings without quotes or backslashes (the two escape them differently), non-negative
//! integers, booleans, null, GUIDs, dates and UTC date-times. Both trees are normalised
//! (chains flattened, literals in one spelling) before comparing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use grantd_odata::{parse_filter, BinaryOp, Expr, Literal};
use odata_params::filters as op;
use proptest::prelude::*;

/// The normal form both trees are compared in.
#[derive(Debug, Clone, PartialEq)]
enum N {
    And(Vec<N>),
    Or(Vec<N>),
    Not(Box<N>),
    Cmp(Box<N>, &'static str, Box<N>),
    In(Box<N>, Vec<N>),
    Call(String, Vec<N>),
    Ident(String),
    Str(String),
    Num(String),
    Bool(bool),
    Null,
    Guid(String),
    Date(String),
    DateTime(String),
}

fn flatten(kind: &str, parts: Vec<N>) -> N {
    let mut out = Vec::new();
    for p in parts {
        match (kind, p) {
            ("and", N::And(inner)) | ("or", N::Or(inner)) => out.extend(inner),
            (_, other) => out.push(other),
        }
    }
    if kind == "and" {
        N::And(out)
    } else {
        N::Or(out)
    }
}

fn utc(text: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&chrono::Utc).to_rfc3339()
}

fn ours(e: &Expr) -> N {
    match e {
        Expr::Binary { op: BinaryOp::And, left, right } => flatten("and", vec![ours(left), ours(right)]),
        Expr::Binary { op: BinaryOp::Or, left, right } => flatten("or", vec![ours(left), ours(right)]),
        Expr::Binary { op, left, right } => N::Cmp(Box::new(ours(left)), op.as_str(), Box::new(ours(right))),
        Expr::Not(inner) => N::Not(Box::new(ours(inner))),
        Expr::In { left, list } => N::In(Box::new(ours(left)), list.iter().map(ours).collect()),
        Expr::Call { name, args } => N::Call(name.clone(), args.iter().map(ours).collect()),
        Expr::Path(p) => N::Ident(p.join("/")),
        Expr::Literal(l) => match l {
            Literal::Null => N::Null,
            Literal::Bool(b) => N::Bool(*b),
            Literal::Int(i) => N::Num(i.to_string()),
            Literal::String(s) => N::Str(s.clone()),
            Literal::Guid(g) => N::Guid(g.to_ascii_lowercase()),
            Literal::Date(d) => N::Date(d.clone()),
            Literal::DateTimeOffset(t) => N::DateTime(utc(t)),
            other => panic!("outside the shared subset: {other:?}"),
        },
        other => panic!("outside the shared subset: {other:?}"),
    }
}

fn theirs(e: &op::Expr) -> N {
    match e {
        op::Expr::And(l, r) => flatten("and", vec![theirs(l), theirs(r)]),
        op::Expr::Or(l, r) => flatten("or", vec![theirs(l), theirs(r)]),
        op::Expr::Not(inner) => N::Not(Box::new(theirs(inner))),
        op::Expr::Compare(l, o, r) => {
            let o = match o {
                op::CompareOperator::Equal => "eq",
                op::CompareOperator::NotEqual => "ne",
                op::CompareOperator::GreaterThan => "gt",
                op::CompareOperator::GreaterOrEqual => "ge",
                op::CompareOperator::LessThan => "lt",
                op::CompareOperator::LessOrEqual => "le",
            };
            N::Cmp(Box::new(theirs(l)), o, Box::new(theirs(r)))
        }
        op::Expr::In(l, list) => N::In(Box::new(theirs(l)), list.iter().map(theirs).collect()),
        op::Expr::Function(name, args) => N::Call(name.to_ascii_lowercase(), args.iter().map(theirs).collect()),
        op::Expr::Identifier(s) => N::Ident(s.clone()),
        op::Expr::Value(v) => match v {
            op::Value::Null => N::Null,
            op::Value::Bool(b) => N::Bool(*b),
            op::Value::Number(n) => N::Num(n.to_string()),
            op::Value::String(s) => N::Str(s.clone()),
            op::Value::Uuid(u) => N::Guid(u.to_string()),
            op::Value::Date(d) => N::Date(d.format("%Y-%m-%d").to_string()),
            op::Value::DateTime(t) => N::DateTime(t.to_rfc3339()),
            other => panic!("outside the shared subset: {other:?}"),
        },
    }
}

const KEYWORDS: &[&str] =
    &["not", "and", "or", "eq", "ne", "gt", "ge", "lt", "le", "in", "has", "true", "false", "null"];

fn ident() -> impl Strategy<Value = String> {
    // odata-params wants two or more characters, and reads a name that starts with a keyword as
    // that keyword (`notes` is `not es`): such names are outside the subset.
    "[a-z_][a-zA-Z0-9_]{1,7}".prop_filter("keyword prefix", |s| !KEYWORDS.iter().any(|k| s.starts_with(k)))
}

fn two(range: std::ops::RangeInclusive<u32>) -> impl Strategy<Value = String> {
    range.prop_map(|v| format!("{v:02}"))
}

fn literal() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 éü]{0,12}".prop_map(|s| format!("'{s}'")),
        (0u64..1_000_000_000_000).prop_map(|n| n.to_string()),
        Just("true".to_string()),
        Just("false".to_string()),
        Just("null".to_string()),
        "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        (1000u32..=9999, two(1..=12), two(1..=28)).prop_map(|(y, m, d)| format!("{y}-{m}-{d}")),
        (1970u32..=2100, two(1..=12), two(1..=28), two(0..=23), two(0..=59), two(0..=59))
            .prop_map(|(y, mo, d, h, mi, s)| format!("{y}-{mo}-{d}T{h}:{mi}:{s}Z")),
    ]
}

fn operand() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => ident(),
        3 => literal(),
        1 => (prop::sample::select(vec!["tolower", "toupper", "length"]), ident()).prop_map(|(f, a)| format!("{f}({a})")),
    ]
}

fn predicate() -> impl Strategy<Value = String> {
    let cmp = prop::sample::select(vec!["eq", "ne", "gt", "ge", "lt", "le"]);
    prop_oneof![
        4 => (operand(), cmp, operand()).prop_map(|(l, o, r)| format!("{l} {o} {r}")),
        1 => (ident(), prop::collection::vec(literal(), 1..4)).prop_map(|(l, xs)| format!("{l} in ({})", xs.join(", "))),
        1 => (prop::sample::select(vec!["contains", "startswith", "endswith"]), ident(), literal())
            .prop_map(|(f, a, b)| format!("{f}({a}, {b})")),
    ]
}

fn filter() -> impl Strategy<Value = String> {
    predicate().prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(|xs| format!("({})", xs.join(" and "))),
            prop::collection::vec(inner.clone(), 2..4).prop_map(|xs| format!("({})", xs.join(" or "))),
            // odata-params lets `not` take everything after it: a `not` stands in its own parentheses.
            inner.prop_map(|x| format!("(not ({x}))")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn both_parsers_read_the_shared_subset_alike(text in filter()) {
        let a = parse_filter(&text).unwrap_or_else(|e| panic!("grantd-odata refused {text}: {e}"));
        let b = op::parse_str(&text).unwrap_or_else(|e| panic!("odata-params refused {text}: {e}"));
        prop_assert_eq!(ours(&a), theirs(&b), "{}", text);
    }
}

#[test]
fn fixed_cases_agree() {
    for text in [
        "name eq 'Sales Tools'",
        "(a1 eq 1 and b2 ne null) or c3 in ('x', 'y')",
        "not (contains(name, 'eng'))",
        "created ge 2024-01-01T10:00:00Z and day lt 2024-12-31",
        "oid eq 5A1D1B2C-0000-4000-8000-00000000000F",
        "tolower(name) eq 'x'",
    ] {
        let a = parse_filter(text).unwrap();
        let b = op::parse_str(text).unwrap();
        assert_eq!(ours(&a), theirs(&b), "{text}");
    }
}

#[test]
fn both_parsers_refuse_broken_filters() {
    for text in ["name eq", "(name eq 'x'", "name eq 'x')", "eq 'x'", "name 'x'", "name eq 'unterminated", ""] {
        assert!(parse_filter(text).is_err(), "grantd-odata accepted {text:?}");
        assert!(op::parse_str(text).is_err(), "odata-params accepted {text:?}");
    }
}
