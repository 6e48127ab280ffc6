//! Error cases: every malformed input gives an `ODataError` (never a panic) with a useful message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use grantd_odata::{parse_expand, parse_filter, parse_orderby, parse_query, parse_select};

/// `(input, expected position, words the message must contain)`
const FILTER_ERRORS: &[(&str, Option<usize>, &str)] = &[
    ("name eq 'abc", Some(8), "unterminated string"),
    ("name eq", Some(7), "expected an expression after 'eq', found end of input"),
    ("eq 'x'", Some(3), "expected an operator after 'eq'"),
    ("displayName foo", Some(12), "expected an operator after 'displayName', found 'foo'"),
    ("(a eq 1", Some(7), "missing ')' to close the '(' at position 0"),
    ("a eq 1)", Some(6), "unexpected ')'"),
    ("((a eq 1)", Some(9), "missing ')'"),
    ("a eq 1 and", Some(10), "expected an expression"),
    ("", Some(0), "expected an expression, found end of input"),
    ("   ", Some(3), "expected an expression"),
    ("a eq 9223372036854775808", Some(5), "out of range"),
    ("a eq 1e999", Some(5), "out of range"),
    ("a eq 1.", Some(7), "digit after '.'"),
    ("a eq 12abc", Some(5), "invalid number"),
    ("a eq 2023-02-29", Some(13), "day out of range"),
    ("a eq 2024-01-01T00:00:00", Some(24), "time zone"),
    ("a eq 2024-01-01T00:00:00 01:00", Some(24), "%2B"),
    ("a eq duration'1 day'", Some(13), "invalid duration"),
    ("foo(a) eq 1", Some(0), "unknown function 'foo'"),
    ("contains(a) eq 1", Some(0), "takes 2 argument(s), found 1"),
    ("contains(a,'b'", Some(14), "missing ')'"),
    ("contains(a 'b')", Some(11), "expected an operator, ',' or ')'"),
    ("a in 'x'", Some(5), "parenthesised list"),
    ("a in ()", Some(6), "must not be empty"),
    ("m/all()", Some(5), "all() needs a predicate"),
    ("m/any(x)", Some(7), "expected ':'"),
    ("m/any(: x)", Some(6), "lambda variable"),
    ("a/b(1) eq 2", Some(2), "not a lambda operator"),
    ("a/'x' eq 1", Some(2), "expected a property name after '/'"),
    ("a eq #", Some(5), "unexpected character '#'"),
    ("a eq 1 \n", Some(7), "unexpected character"),
    ("microsoft.graph.x eq 1", Some(0), "qualified names"),
    ("a eq *", Some(5), "expected an expression"),
    ("a eq -", Some(6), "expected an expression"),
    ("not", Some(3), "expected an expression"),
    ("a divby 2", Some(2), "expected an operator after 'a', found 'divby'"),
];

#[test]
fn filter_errors() {
    for &(input, position, words) in FILTER_ERRORS {
        let err = parse_filter(input).expect_err(input);
        assert_eq!(err.option, "$filter", "{input}");
        assert_eq!(err.position, position, "{input}: {}", err.message);
        assert!(err.message.contains(words), "{input}: {}", err.message);
        assert!(err.message.starts_with("syntax error at position"), "{}", err.message);
    }
}

#[test]
fn depth_limit() {
    let deep = format!("{}a{}", "(".repeat(150), ")".repeat(150));
    let err = parse_filter(&deep).unwrap_err();
    assert!(err.message.contains("nested too deeply"), "{}", err.message);
    let nots = format!("{}a", "not ".repeat(500));
    assert!(parse_filter(&nots).unwrap_err().message.contains("too deeply"));
    let negs = format!("a eq {}1", "-".repeat(5000));
    assert!(parse_filter(&negs).unwrap_err().message.contains("too deeply"));
    let calls = format!("{}a{}", "tolower(".repeat(200), ")".repeat(200));
    assert!(parse_filter(&calls).unwrap_err().message.contains("too deeply"));
    let expand = format!("{}b{}", "a($expand=".repeat(200), ")".repeat(200));
    assert!(parse_expand(&expand).is_err());
}

#[test]
fn length_limit() {
    let long = format!("a eq '{}'", "x".repeat(9000));
    assert!(parse_filter(&long).unwrap_err().message.contains("too long"));
    let q = format!("$filter={long}");
    let err = parse_query(&q).unwrap_err();
    assert_eq!(err.option, "query");
}

#[test]
fn query_errors() {
    let cases: &[(&str, &str, &str)] = &[
        ("$foo=1", "query", "unknown system query option '$foo'"),
        ("%24FOO=1", "query", "'$FOO'"),
        ("$top=-1", "$top", "non-negative integer"),
        ("$top=abc", "$top", "non-negative integer"),
        ("$top=1.5", "$top", "non-negative integer"),
        ("$top=99999999999999999999999", "$top", "non-negative integer"),
        ("$skip=-3", "$skip", "non-negative integer"),
        ("$top=1&$top=2", "$top", "more than once"),
        ("$TOP=1&%24top=2", "$top", "more than once"),
        ("$filter=", "$filter", "must not be empty"),
        ("$filter=+", "$filter", "must not be empty"),
        ("$select", "$select", "must not be empty"),
        ("$count=yes", "$count", "true or false"),
        ("$format=xml", "$format", "only json"),
        ("$search=%22%22", "$search", "must not be empty"),
        ("$filter=a%20eq%20%FF", "$filter", "UTF-8"),
        ("%FF%FE=1", "query", "UTF-8"),
        ("$filter=a eq 'x", "$filter", "unterminated string"),
        ("$select=id,,x", "$select", "expected a property name"),
        ("$orderby=a sideways", "$orderby", "'asc', 'desc'"),
        ("$expand=a($top=-1)", "$expand", "non-negative integer"),
        ("$expand=a($skiptoken=x)", "$expand", "not allowed inside $expand"),
        ("$expand=a($top=1;$top=2)", "$expand", "more than once"),
    ];
    for &(input, option, words) in cases {
        let err = parse_query(input).expect_err(input);
        assert_eq!(err.option, option, "{input}: {}", err.message);
        assert!(err.message.contains(words), "{input}: {}", err.message);
    }
}

#[test]
fn list_errors() {
    assert!(parse_select("").is_err());
    assert!(parse_select("a,").is_err());
    assert!(parse_select("a b").is_err());
    assert!(parse_select("microsoft.graph.user/id").is_err());
    assert!(parse_orderby("tolower(a)").is_err());
    assert!(parse_orderby("a desc desc").is_err());
    assert!(parse_orderby("").is_err());
    for bad in
        ["", "a,", "a(", "a)", "a()", "a($top)", "a($bogus=1)", "a($top=1)x", "a(;)", "a($filter='x)", "a/(b)", "a b"]
    {
        assert!(parse_expand(bad).is_err(), "{bad}");
    }
}

#[test]
fn nested_error_positions_point_into_expand() {
    let err = parse_expand("abc($filter=x eq)").unwrap_err();
    assert_eq!(err.option, "$expand");
    assert_eq!(err.position, Some(16));
    let err = parse_query("$expand=abc($filter=x+eq)").unwrap_err();
    assert_eq!(err.position, Some(16));
}

#[test]
fn garbage_never_panics() {
    let inputs = [
        "\u{0}",
        "'",
        "''''''",
        "((((",
        "))))",
        "/",
        "a/",
        "-",
        "--",
        "%",
        "%%",
        "&=&=",
        "=",
        "$filter",
        "$filter=%",
        "$filter=%C3%28",
        "\u{feff}a eq 1",
        "é eq 'é",
        "a eq 1.0e",
        "2024-",
        "2024-01-01T",
        "deadbeef-",
        "x eq duration'",
        "x eq a.b'",
        "a/any(",
        "a/any(x:",
    ];
    for input in inputs {
        let _ = parse_filter(input);
        let _ = parse_query(input);
        let _ = parse_select(input);
        let _ = parse_orderby(input);
        let _ = parse_expand(input);
    }
}
