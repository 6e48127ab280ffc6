//! Table-driven tests of `$filter` parsing and of the canonical `Display` text.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use grantd_odata::{parse_filter, BinaryOp as B, Expr, LambdaKind, Literal as L};

fn cases() -> Vec<(&'static str, Expr)> {
    vec![
        (
            "requestState eq 'PendingApproval' and accessPackage/id eq 'x'",
            and(eq(path("requestState"), s("PendingApproval")), eq(path("accessPackage/id"), s("x"))),
        ),
        ("(requestState eq 'PendingApproval')", eq(path("requestState"), s("PendingApproval"))),
        (
            "contains(tolower(displayName),'team')",
            call("contains", vec![call("tolower", vec![path("displayName")]), s("team")]),
        ),
        (
            "target/objectid eq '5a1d1b2c-0000-4000-8000-00000000000f'",
            eq(path("target/objectid"), s("5a1d1b2c-0000-4000-8000-00000000000f")),
        ),
        (
            "AccessPackage/Catalog/Id eq 'g' and State eq 'delivered'",
            and(eq(path("AccessPackage/Catalog/Id"), s("g")), eq(path("State"), s("delivered"))),
        ),
        (
            "createdDateTime gt 2024-01-01T00:00:00Z",
            bin(B::Gt, path("createdDateTime"), lit(L::DateTimeOffset("2024-01-01T00:00:00Z".into()))),
        ),
        (
            "state in ('delivered','expired')",
            Expr::In { left: Box::new(path("state")), list: vec![s("delivered"), s("expired")] },
        ),
        ("members/any(m: m/id eq 'x')", any("members", "m", eq(path("m/id"), s("x")))),
        ("members/any()", lambda("members", LambdaKind::Any, None, None)),
        (
            "a/b/ALL(x:x/state ne 'gone')",
            lambda("a/b", LambdaKind::All, Some("x"), Some(bin(B::Ne, path("x/state"), s("gone")))),
        ),
        ("not (a eq 1)", not(eq(path("a"), int(1)))),
        ("not a eq 1", not(eq(path("a"), int(1)))),
        ("NOT(a) or b", or(not(path("a")), path("b"))),
        ("a eq -1", eq(path("a"), int(-1))),
        ("a eq - 1", eq(path("a"), Expr::Negate(Box::new(int(1))))),
        ("-a eq 1", eq(Expr::Negate(Box::new(path("a"))), int(1))),
        ("displayName eq 'O''Brien'", eq(path("displayName"), s("O'Brien"))),
        ("x eq ''''", eq(path("x"), s("'"))),
        ("x eq ''", eq(path("x"), s(""))),
        ("a EQ 1 AnD b Eq 2", and(eq(path("a"), int(1)), eq(path("b"), int(2)))),
        ("a eq 1 or b eq 2 and c eq 3", or(eq(path("a"), int(1)), and(eq(path("b"), int(2)), eq(path("c"), int(3))))),
        ("(a eq 1 or b eq 2) and c eq 3", and(or(eq(path("a"), int(1)), eq(path("b"), int(2))), eq(path("c"), int(3)))),
        ("a add 2 mul 3 eq 8", eq(bin(B::Add, path("a"), bin(B::Mul, int(2), int(3))), int(8))),
        ("a sub b sub c ge 0", bin(B::Ge, bin(B::Sub, bin(B::Sub, path("a"), path("b")), path("c")), int(0))),
        ("a div 2 mod 3 lt 1", bin(B::Lt, bin(B::Mod, bin(B::Div, path("a"), int(2)), int(3)), int(1))),
        ("x le 1.5", bin(B::Le, path("x"), lit(L::Decimal(1.5)))),
        ("x le 1e3", bin(B::Le, path("x"), lit(L::Decimal(1000.0)))),
        ("x le -2.5E-1", bin(B::Le, path("x"), lit(L::Decimal(-0.25)))),
        ("x eq -9223372036854775808", eq(path("x"), int(i64::MIN))),
        ("x eq null", eq(path("x"), lit(L::Null))),
        ("x ne NULL", bin(B::Ne, path("x"), lit(L::Null))),
        ("isActive eq true", eq(path("isActive"), lit(L::Bool(true)))),
        ("isActive eq False", eq(path("isActive"), lit(L::Bool(false)))),
        ("isActive", path("isActive")),
        (
            "id eq 5A1D1B2C-0000-4000-8000-00000000000F",
            eq(path("id"), lit(L::Guid("5a1d1b2c-0000-4000-8000-00000000000f".into()))),
        ),
        (
            "id eq deadbeef-0000-4000-8000-00000000000f",
            eq(path("id"), lit(L::Guid("deadbeef-0000-4000-8000-00000000000f".into()))),
        ),
        ("d eq 2024-02-29", eq(path("d"), lit(L::Date("2024-02-29".into())))),
        (
            "t lt 2024-01-01T10:00:00.123+05:30",
            bin(B::Lt, path("t"), lit(L::DateTimeOffset("2024-01-01T10:00:00.123+05:30".into()))),
        ),
        ("d le duration'P1DT2H'", bin(B::Le, path("d"), lit(L::Duration("P1DT2H".into())))),
        (
            "state has microsoft.graph.accessPackageState'delivered'",
            bin(
                B::Has,
                path("state"),
                lit(L::Enum { type_name: "microsoft.graph.accessPackageState".into(), value: "delivered".into() }),
            ),
        ),
        (
            "startswith(displayName, 'Sales') and endswith(mail,'@x.com')",
            and(
                call("startswith", vec![path("displayName"), s("Sales")]),
                call("endswith", vec![path("mail"), s("@x.com")]),
            ),
        ),
        ("SubString(name,1,2) eq 'ab'", eq(call("substring", vec![path("name"), int(1), int(2)]), s("ab"))),
        ("now() gt x", bin(B::Gt, call("now", vec![]), path("x"))),
        ("year(d) eq 2024", eq(call("year", vec![path("d")]), int(2024))),
        ("\t a  eq\t'b'  ", eq(path("a"), s("b"))),
        ("a eq'b'", eq(path("a"), s("b"))),
        ("x in ('a') eq true", eq(Expr::In { left: Box::new(path("x")), list: vec![s("a")] }, lit(L::Bool(true)))),
        (
            "members/any(m: m/roles/any(r: r eq 'admin'))",
            any("members", "m", any("m/roles", "r", eq(path("r"), s("admin")))),
        ),
        ("naïve eq 'ü'", eq(path("naïve"), s("ü"))),
    ]
}

#[test]
fn parses_every_case() {
    for (text, expected) in cases() {
        let got = parse_filter(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(got, expected, "{text}");
    }
}

#[test]
fn display_reparses_every_case() {
    for (text, expected) in cases() {
        let printed = expected.to_string();
        let again = parse_filter(&printed).unwrap_or_else(|e| panic!("{text} -> {printed}: {e}"));
        assert_eq!(again, expected, "{text} -> {printed}");
    }
}

#[test]
fn canonical_text() {
    let cases = [
        ("A EQ 'x' AND b/c NE 1", "A eq 'x' and b/c ne 1"),
        ("(a eq 1 or b eq 2) and c", "(a eq 1 or b eq 2) and c"),
        ("not (a eq 1)", "not (a eq 1)"),
        ("a eq - 1", "a eq -(1)"),
        ("x eq 'O''Brien'", "x eq 'O''Brien'"),
        ("members/any(m: m/id eq 'x')", "members/any(m:m/id eq 'x')"),
        ("contains(tolower(displayName), 'team')", "contains(tolower(displayName),'team')"),
        ("state in ( 'a' , 'b' )", "state in ('a','b')"),
        ("x le 1e3", "x le 1000.0"),
        ("a sub (b sub c) eq 0", "a sub (b sub c) eq 0"),
        ("(a eq b) eq c", "a eq b eq c"),
        ("a eq (b eq c)", "a eq (b eq c)"),
    ];
    for (input, canonical) in cases {
        assert_eq!(parse_filter(input).unwrap().to_string(), canonical, "{input}");
    }
}

#[test]
fn long_flat_chains_are_fine() {
    // Left-associative chains do not nest the parser, so they are not limited by depth.
    // The longest chain that fits the 8 KiB limit: printing, comparing and dropping the
    // resulting left-deep tree must not exhaust a 2 MiB test-thread stack.
    let text = vec!["a"; 1638].join(" or ");
    assert!(text.len() <= grantd_odata::MAX_QUERY_LEN);
    let expr = parse_filter(&text).unwrap();
    assert_eq!(parse_filter(&expr.to_string()).unwrap(), expr);
}

#[test]
fn moderate_nesting_is_fine() {
    let text = format!("{}a eq 1{}", "(".repeat(90), ")".repeat(90));
    assert_eq!(parse_filter(&text).unwrap(), eq(path("a"), int(1)));
}
