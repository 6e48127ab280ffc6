//! Property tests: printed expressions and query strings parse back to equal trees, and no input
//! makes any parser panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use grantd_odata::{
    parse_expand, parse_filter, parse_orderby, parse_query, parse_select, BinaryOp, ExpandItem, Expr, LambdaKind,
    Literal, OrderBy, QueryOptions,
};
use proptest::prelude::*;

const OPS: [BinaryOp; 14] = [
    BinaryOp::Eq,
    BinaryOp::Ne,
    BinaryOp::Gt,
    BinaryOp::Ge,
    BinaryOp::Lt,
    BinaryOp::Le,
    BinaryOp::And,
    BinaryOp::Or,
    BinaryOp::Has,
    BinaryOp::Add,
    BinaryOp::Sub,
    BinaryOp::Mul,
    BinaryOp::Div,
    BinaryOp::Mod,
];

/// Functions with the argument counts used by the generator.
const FUNCS: [(&str, usize); 8] = [
    ("contains", 2),
    ("tolower", 1),
    ("substring", 2),
    ("substring", 3),
    ("now", 0),
    ("concat", 2),
    ("year", 1),
    ("indexof", 2),
];

fn ident() -> impl Strategy<Value = String> {
    // Keywords that read as literals or prefixes cannot be property names at the start of a path;
    // operator words (`eq`, `in`, `any`, ...) can, and are kept to exercise that.
    "[a-zA-Z_][a-zA-Z0-9_]{0,7}"
        .prop_filter("literal keyword", |s| !["null", "true", "false", "not"].iter().any(|k| k.eq_ignore_ascii_case(s)))
}

fn path() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(ident(), 1..4)
}

fn two(range: std::ops::RangeInclusive<u32>) -> impl Strategy<Value = String> {
    range.prop_map(|v| format!("{v:02}"))
}

fn date() -> impl Strategy<Value = String> {
    (1000u32..=9999, two(1..=12), two(1..=28)).prop_map(|(y, m, d)| format!("{y}-{m}-{d}"))
}

fn date_time() -> impl Strategy<Value = String> {
    let seconds = prop::option::of((two(0..=59), prop::option::of("[0-9]{1,7}")));
    let zone = prop_oneof![
        Just("Z".to_string()),
        ("[+-]", two(0..=14), two(0..=59)).prop_map(|(s, h, m)| format!("{s}{h}:{m}")),
    ];
    (date(), two(0..=23), two(0..=59), seconds, zone).prop_map(|(d, h, mi, sec, z)| {
        let sec = match sec {
            None => String::new(),
            Some((s, None)) => format!(":{s}"),
            Some((s, Some(f))) => format!(":{s}.{f}"),
        };
        format!("{d}T{h}:{mi}{sec}{z}")
    })
}

fn literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        Just(Literal::Null),
        any::<bool>().prop_map(Literal::Bool),
        any::<i64>().prop_map(Literal::Int),
        prop::num::f64::NORMAL
            .prop_union(prop::num::f64::SUBNORMAL)
            .or(prop::num::f64::ZERO)
            .prop_map(Literal::Decimal),
        any::<String>().prop_map(Literal::String),
        "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}".prop_map(Literal::Guid),
        date().prop_map(Literal::Date),
        date_time().prop_map(Literal::DateTimeOffset),
        "-?P([0-9]{1,3}D)?T[0-9]{1,2}H([0-9]{1,2}M)?([0-9]{1,2}(\\.[0-9]{1,3})?S)?".prop_map(Literal::Duration),
        ("[a-z]{1,6}(\\.[a-zA-Z]{1,8}){1,2}", any::<String>())
            .prop_map(|(type_name, value)| Literal::Enum { type_name, value }),
    ]
}

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![literal().prop_map(Expr::Literal), path().prop_map(Expr::Path)];
    leaf.prop_recursive(5, 48, 4, |inner| {
        prop_oneof![
            (prop::sample::select(OPS.to_vec()), inner.clone(), inner.clone()).prop_map(|(op, l, r)| Expr::Binary {
                op,
                left: Box::new(l),
                right: Box::new(r),
            }),
            inner.clone().prop_map(|e| Expr::Not(Box::new(e))),
            inner.clone().prop_map(|e| Expr::Negate(Box::new(e))),
            (inner.clone(), prop::collection::vec(inner.clone(), 1..4))
                .prop_map(|(l, list)| { Expr::In { left: Box::new(l), list } }),
            (prop::sample::select(FUNCS.to_vec()), prop::collection::vec(inner.clone(), 3)).prop_map(
                |((name, arity), mut args)| {
                    args.truncate(arity);
                    Expr::Call { name: name.to_string(), args }
                }
            ),
            (path(), any::<bool>(), ident(), inner.clone()).prop_map(|(c, all, v, body)| {
                Expr::Lambda {
                    collection: c,
                    kind: if all { LambdaKind::All } else { LambdaKind::Any },
                    variable: Some(v),
                    body: Some(Box::new(body)),
                }
            }),
            path().prop_map(|c| Expr::Lambda { collection: c, kind: LambdaKind::Any, variable: None, body: None }),
        ]
    })
}

fn orderby() -> impl Strategy<Value = Vec<OrderBy>> {
    prop::collection::vec((path(), any::<bool>()).prop_map(|(path, descending)| OrderBy { path, descending }), 1..3)
}

fn select() -> impl Strategy<Value = Vec<Vec<String>>> {
    prop::collection::vec(prop_oneof![path(), Just(vec!["*".to_string()])], 1..3)
}

fn nested_options() -> impl Strategy<Value = QueryOptions> {
    (
        prop::option::of(expr()),
        prop::option::of(select()),
        prop::option::of(orderby()),
        prop::option::of(any::<u64>()),
        prop::option::of(any::<bool>()),
    )
        .prop_map(|(filter, select, orderby, top, count)| QueryOptions {
            filter,
            select,
            orderby,
            top,
            count,
            ..QueryOptions::default()
        })
}

fn query_options() -> impl Strategy<Value = QueryOptions> {
    let expand = prop::collection::vec(
        (path(), nested_options()).prop_map(|(path, options)| ExpandItem { path, options }),
        1..3,
    );
    (
        nested_options(),
        prop::option::of(expand),
        prop::option::of(any::<u64>()),
        prop::option::of("[A-Za-z0-9+/=_-]{1,20}"),
        prop::option::of("[a-z]{1,5}( [a-z:\"]{1,5}){0,2}"),
    )
        .prop_map(|(base, expand, skip, skiptoken, search)| QueryOptions {
            expand,
            skip,
            skiptoken,
            search,
            ..base
        })
}

/// Arbitrary bytes, each sent raw (when printable ASCII) or percent-encoded.
fn raw_query() -> impl Strategy<Value = String> {
    prop::collection::vec((any::<u8>(), any::<bool>()), 0..80).prop_map(|bytes| {
        bytes
            .into_iter()
            .map(|(b, raw)| if raw && b.is_ascii_graphic() { (b as char).to_string() } else { format!("%{b:02X}") })
            .collect()
    })
}

proptest! {
    #[test]
    fn printed_expr_reparses(e in expr()) {
        let text = e.to_string();
        let parsed = parse_filter(&text);
        prop_assert_eq!(parsed.as_ref(), Ok(&e), "text: {}", text);
    }

    #[test]
    fn query_string_round_trips(q in query_options()) {
        let text = q.to_query_string();
        prop_assert_eq!(parse_query(&text), Ok(q), "text: {}", text);
    }

    #[test]
    fn filter_never_panics(s in any::<String>()) {
        let _ = parse_filter(&s);
        let _ = parse_select(&s);
        let _ = parse_orderby(&s);
        let _ = parse_expand(&s);
        let _ = parse_query(&s);
    }

    #[test]
    fn syntax_soup_never_panics(s in "[a-z0-9 '()/,:;=$*.%+&-]{0,80}") {
        let _ = parse_filter(&s);
        let _ = parse_expand(&s);
        let _ = parse_query(&s);
        let _ = parse_query(&format!("$filter={s}&$expand={s}"));
    }

    #[test]
    fn encoded_bytes_never_panic(raw in raw_query(), name in prop::sample::select(
        vec!["$filter", "$select", "$expand", "$orderby", "$top", "$search", "$count", "%24filter"],
    )) {
        let _ = parse_query(&raw);
        let _ = parse_query(&format!("{name}={raw}"));
    }
}
