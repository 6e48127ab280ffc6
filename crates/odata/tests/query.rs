//! Tests of the query-string level and of `$select`, `$orderby` and `$expand`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use grantd_odata::{parse_expand, parse_orderby, parse_query, parse_select, ExpandItem, OrderBy, QueryOptions};

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn item(path: &str, options: QueryOptions) -> ExpandItem {
    ExpandItem { path: strings(&path.split('/').collect::<Vec<_>>()), options }
}

#[test]
fn full_graph_query() {
    let q = parse_query(
        "$count=true&$expand=accessPackage,requestor&$filter=requestState%20eq%20%27Delivered%27%20and%20accessPackage%2Fid%20eq%20%27x%27&$orderby=createdDateTime%20desc&$select=id,requestState&$top=2",
    )
    .unwrap();
    let expected = QueryOptions {
        filter: Some(and(eq(path("requestState"), s("Delivered")), eq(path("accessPackage/id"), s("x")))),
        select: Some(vec![strings(&["id"]), strings(&["requestState"])]),
        expand: Some(vec![item("accessPackage", QueryOptions::default()), item("requestor", QueryOptions::default())]),
        orderby: Some(vec![OrderBy { path: strings(&["createdDateTime"]), descending: true }]),
        top: Some(2),
        count: Some(true),
        ..QueryOptions::default()
    };
    assert_eq!(q, expected);
    assert_eq!(parse_query(&q.to_query_string()).unwrap(), q);
}

#[test]
fn encoded_names_plus_and_case() {
    assert_eq!(parse_query("%24top=5").unwrap().top, Some(5));
    assert_eq!(parse_query("?$TOP=5&$Skip=10").unwrap().skip, Some(10));
    assert_eq!(
        parse_query("$filter=target/objectid+eq+'abc'").unwrap().filter,
        Some(eq(path("target/objectid"), s("abc")))
    );
    assert_eq!(parse_query("$filter=x%20eq%20'a%2Bb'").unwrap().filter, Some(eq(path("x"), s("a+b"))));
    assert_eq!(
        parse_query("$filter=t%20gt%202024-01-01T00:00:00%2B01:00").unwrap().filter.map(|f| f.to_string()),
        Some("t gt 2024-01-01T00:00:00+01:00".to_string())
    );
}

#[test]
fn simple_options() {
    let q = parse_query("$count=TRUE&$skip=0&$skiptoken=abc%3D%3D&$format=json").unwrap();
    assert_eq!(q.count, Some(true));
    assert_eq!(q.skip, Some(0));
    assert_eq!(q.skiptoken.as_deref(), Some("abc=="));
    assert_eq!(parse_query("$count=false").unwrap().count, Some(false));
    assert!(parse_query("$format=application/json").is_ok());
    assert_eq!(parse_query("").unwrap(), QueryOptions::default());
    assert_eq!(parse_query("&&").unwrap(), QueryOptions::default());
}

#[test]
fn custom_parameters_are_ignored() {
    let q = parse_query("api-version=2&top=5&$top=1&foo").unwrap();
    assert_eq!(q.top, Some(1));
}

#[test]
fn search() {
    let q = parse_query("$search=%22displayName:team%22").unwrap();
    assert_eq!(q.search.as_deref(), Some("displayName:team"));
    let q = parse_query("$search=\"a\" OR \"b\"").unwrap();
    assert_eq!(q.search.as_deref(), Some("\"a\" OR \"b\""));
    let q = parse_query("$search=plain+words").unwrap();
    assert_eq!(q.search.as_deref(), Some("plain words"));
}

#[test]
fn select_lists() {
    assert_eq!(
        parse_select(" id , accessPackage/id,* ").unwrap(),
        vec![strings(&["id"]), strings(&["accessPackage", "id"]), strings(&["*"])]
    );
}

#[test]
fn orderby_lists() {
    assert_eq!(
        parse_orderby("createdDateTime DESC, accessPackage/displayName asc,id").unwrap(),
        vec![
            OrderBy { path: strings(&["createdDateTime"]), descending: true },
            OrderBy { path: strings(&["accessPackage", "displayName"]), descending: false },
            OrderBy { path: strings(&["id"]), descending: false },
        ]
    );
}

#[test]
fn nested_expand() {
    let got = parse_expand("requestor($expand=connectedOrganization)").unwrap();
    let nested = QueryOptions {
        expand: Some(vec![item("connectedOrganization", QueryOptions::default())]),
        ..QueryOptions::default()
    };
    assert_eq!(got, vec![item("requestor", nested)]);

    let got = parse_expand("assignment($expand=target;$select=id)").unwrap();
    let nested = QueryOptions {
        expand: Some(vec![item("target", QueryOptions::default())]),
        select: Some(vec![strings(&["id"])]),
        ..QueryOptions::default()
    };
    assert_eq!(got, vec![item("assignment", nested)]);
}

#[test]
fn expand_with_every_nested_option() {
    let got = parse_expand(
        "a/b ( $filter=x eq 'p;q,(r)' ; $orderby=x desc,y;$top=3;$SKIP=1;$count=true;\
         $expand=c($select=id,name), d ),e,*",
    )
    .unwrap();
    assert_eq!(got.len(), 3);
    let o = &got[0].options;
    assert_eq!(got[0].path, strings(&["a", "b"]));
    assert_eq!(o.filter, Some(eq(path("x"), s("p;q,(r)"))));
    assert_eq!(o.orderby.as_ref().map(Vec::len), Some(2));
    assert_eq!((o.top, o.skip, o.count), (Some(3), Some(1), Some(true)));
    let inner = o.expand.as_ref().unwrap();
    assert_eq!(inner.len(), 2);
    assert_eq!(inner[0].options.select, Some(vec![strings(&["id"]), strings(&["name"])]));
    assert_eq!(got[1], item("e", QueryOptions::default()));
    assert_eq!(got[2].path, strings(&["*"]));
    let text = got.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
    assert_eq!(parse_expand(&text).unwrap(), got);
}

#[test]
fn expand_in_query_string() {
    let q = parse_query("$expand=requestor(%24expand%3DconnectedOrganization%3B%24select%3Did)").unwrap();
    let exp = q.expand.unwrap();
    assert_eq!(exp[0].path, strings(&["requestor"]));
    assert!(exp[0].options.expand.is_some());
    assert!(exp[0].options.select.is_some());
}

#[test]
fn to_query_string_round_trips() {
    let q = parse_query(
        "$filter=name%20eq%20'a%26b%3Dc%2Bd%25%20%23'&$search=x%20y&$skiptoken=t%2B1&$expand=m($filter=n%20eq%20'%26')",
    )
    .unwrap();
    let text = q.to_query_string();
    assert!(!text.contains(' '), "{text}");
    assert_eq!(parse_query(&text).unwrap(), q);
    assert_eq!(QueryOptions::default().to_query_string(), "");
}
