//! Unit tests of `$filter` binding: what each construct binds to, and the 400s.
use super::*;
use grantd_domain::catalog::{CATALOG_V1, PACKAGE_V1};
use grantd_domain::policy::POLICY_V1;

fn bind(catalog: &'static FieldCatalog, text: &str) -> GraphResult<Filter> {
    bind_filter(catalog, &grantd_odata::parse_filter(text).unwrap())
}

fn message(r: GraphResult<Filter>) -> String {
    r.unwrap_err().message
}

#[test]
fn plain_comparison_binds_to_its_column() {
    let f = bind(&CATALOG_V1, "displayName eq 'x'").unwrap();
    assert_eq!(
        f,
        Filter::Compare {
            col: Col { column: "display_name", lower: false },
            op: CmpOp::Eq,
            value: Value::Text("x".into())
        }
    );
}

#[test]
fn unknown_property_is_named() {
    assert!(message(bind(&CATALOG_V1, "nosuch eq 'x'")).contains("'nosuch'"));
}

#[test]
fn reversed_operands_flip_the_operator() {
    let f = bind(&PACKAGE_V1, "2024-01-01T00:00:00Z lt createdDateTime").unwrap();
    assert!(matches!(f, Filter::Compare { op: CmpOp::Gt, .. }), "{f:?}");
}

#[test]
fn navigation_path_becomes_a_subquery() {
    let f = bind(&POLICY_V1, "accessPackage/displayName eq 'x'").unwrap();
    match f {
        Filter::Via { local: "access_package_id", table: "access_packages", remote: "id", all: false, .. } => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn two_hop_navigation_path_nests_subqueries() {
    let f = bind(&POLICY_V1, "accessPackage/catalog/displayName eq 'x'").unwrap();
    match f {
        Filter::Via { filter, .. } => assert!(matches!(*filter, Filter::Via { table: "catalogs", .. })),
        other => panic!("{other:?}"),
    }
}

#[test]
fn denormalised_path_uses_its_column() {
    let f = bind(&POLICY_V1, "accessPackage/catalog/id eq 5e3ba5e5-0000-4000-8000-000000010008").unwrap();
    assert!(matches!(f, Filter::Compare { col: Col { column: "catalog_id", .. }, .. }), "{f:?}");
}

#[test]
fn any_and_all_over_a_collection() {
    let f = bind(&CATALOG_V1, "accessPackages/any(p: p/isHidden)").unwrap();
    assert!(matches!(f, Filter::Via { table: "access_packages", remote: "catalog_id", all: false, .. }), "{f:?}");
    let f = bind(&CATALOG_V1, "accessPackages/all(p: p/displayName ne 'x')").unwrap();
    assert!(matches!(f, Filter::Via { all: true, .. }), "{f:?}");
    let f = bind(&CATALOG_V1, "accessPackages/any()").unwrap();
    assert!(matches!(f, Filter::Via { all: false, .. }), "{f:?}");
}

#[test]
fn lambda_paths_must_use_the_range_variable() {
    assert!(message(bind(&CATALOG_V1, "accessPackages/any(p: displayName eq 'x')")).contains("range variable 'p'"));
}

#[test]
fn collections_need_a_lambda() {
    assert!(message(bind(&CATALOG_V1, "accessPackages/displayName eq 'x'")).contains("any() or all()"));
}

#[test]
fn enum_literals_bare_and_qualified() {
    let a = bind(&CATALOG_V1, "state eq 'published'").unwrap();
    let b = bind(&CATALOG_V1, "state eq microsoft.graph.accessPackageCatalogState'Published'").unwrap();
    let c = bind(&CATALOG_V1, "state has microsoft.graph.accessPackageCatalogState'published'").unwrap();
    assert_eq!(a, b);
    assert_eq!(a, c);
    assert!(message(bind(&CATALOG_V1, "state eq 'nope'")).contains("'nope'"));
    assert!(message(bind(&CATALOG_V1, "displayName has 'x'")).contains("enumeration"));
}

#[test]
fn duration_literals_bind_to_seconds() {
    let f = bind(&POLICY_V1, "expiration/duration eq duration'P1DT1H'").unwrap();
    assert!(matches!(f, Filter::Compare { value: Value::Int(90000), .. }), "{f:?}");
    assert!(bind(&POLICY_V1, "expiration/duration eq duration'PT0.5S'").is_err());
}

#[test]
fn unfilterable_property_is_named() {
    assert_eq!(
        message(bind(&POLICY_V1, "questions/any(q: q/id eq 'x')")),
        "OData query is invalid: Filtering on 'questions' is not supported."
    );
}

#[test]
fn case_functions_are_exact() {
    let f = bind(&CATALOG_V1, "toupper(displayName) eq 'abc'").unwrap();
    assert_eq!(f, Filter::Const(false));
    let f = bind(&CATALOG_V1, "toupper(displayName) eq 'ABC'").unwrap();
    assert!(
        matches!(f, Filter::Compare { col: Col { lower: true, .. }, value: Value::Text(ref s), .. } if s == "abc"),
        "{f:?}"
    );
    let f = bind(&CATALOG_V1, "tolower(displayName) eq 'ABC'").unwrap();
    assert!(
        matches!(f, Filter::Compare { col: Col { lower: true, .. }, value: Value::Text(ref s), .. } if s == "ABC"),
        "{f:?}"
    );
    assert!(bind(&CATALOG_V1, "toupper(displayName) gt 'A'").is_err());
    assert!(bind(&CATALOG_V1, "tolower(isExternallyVisible) eq 'x'").is_err());
}

#[test]
fn unsupported_functions_and_operators_are_400s() {
    for text in ["year(createdDateTime) eq 2024", "displayName add 'x' eq 'y'", "1 eq 1", "displayName eq description"]
    {
        assert!(bind(&CATALOG_V1, text).is_err(), "{text}");
    }
}

#[test]
fn subquery_count_is_limited() {
    let deep = "accessPackages/any(a: a/catalog/accessPackages/any(b: b/catalog/accessPackages/any(c: c/catalog/accessPackages/any(d: d/catalog/accessPackages/any(e: e/isHidden)))))";
    assert!(message(bind(&CATALOG_V1, deep)).contains("too many"));
}

#[test]
fn an_overlong_property_path_is_refused_before_any_lookup() {
    // Found by a long fuzz run: every split of a path of hundreds of unknown segments was
    // looked up, so binding grew with the cube of its length.
    let long = format!("accessPackage/{}catalog/displayName eq 'General'", "cae/".repeat(800));
    let e = bind(&POLICY_V1, &long).unwrap_err();
    assert!(e.message.contains("803 segments; at most 32"), "{}", e.message);
    let just = format!("{}id eq 'x'", "accessPackage/".repeat(MAX_PATH_SEGMENTS - 1));
    let e = bind(&POLICY_V1, &just).unwrap_err();
    assert!(!e.message.contains("segments"), "a path at the limit is looked up: {}", e.message);
}

#[test]
fn an_overlong_lambda_collection_path_is_refused() {
    let long = format!("accessPackages/{}any(p: p/id eq 'x')", "es/".repeat(400));
    let e = bind(&CATALOG_V1, &long).unwrap_err();
    assert!(e.message.contains("401 segments; at most 32"), "{}", e.message);
}
