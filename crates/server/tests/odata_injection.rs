//! Injection over HTTP: quotes, SQL comments, semicolons, NUL, unicode look-alikes and very long
//! literals in every position of `$filter` and `$orderby` give the right rows or a 400, never a
//! 500; and binding the same filter shape with hostile literals yields the same SQL text, only
//! other parameters (nothing from input ever becomes SQL).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod odata_support;

use common::{TestServer, V1};
use grantd_domain::catalog::PACKAGE_V1;
use grantd_domain::directory::USER_CATALOG;
use grantd_domain::fields::FieldCatalog;
use grantd_domain::TenantId;
use grantd_store::{page_sql, Backend, ListQuery};
use odata_support::url;

/// Hostile text, raw (each is put in a literal with its quotes doubled, and also as it is).
fn payloads() -> Vec<String> {
    vec![
        "x' or '1'='1".into(),
        "x'; DROP TABLE users; --".into(),
        "x' /* comment */ or 1=1 --".into(),
        "a;b;c".into(),
        "x\u{0}y".into(),
        "\u{ff07} or \u{ff07}1\u{ff07}=\u{ff07}1".into(),
        "\u{2bc} or \u{2bc}\u{2bc}=\u{2bc}".into(),
        "\u{2019}) or (1=1".into(),
        "%' or 1=1 --".into(),
        "_%\\".into(),
        "y".repeat(3000),
    ]
}

/// Where a payload goes in a `$filter` for users (`{q}` = the payload with quotes doubled,
/// `{r}` = raw).
const FILTER_SHAPES: &[&str] = &[
    "displayName eq '{q}'",
    "'{q}' eq displayName",
    "displayName ne '{q}' and displayName eq 'nobody'",
    "startswith(displayName, '{q}')",
    "contains(tolower(mail), '{q}')",
    "endswith(toupper(surname), '{q}')",
    "givenName in ('{q}', 'x')",
    "manager/displayName eq '{q}'",
    "id eq '{q}'",
    "createdDateTime gt '{q}'",
    "accountEnabled eq {r}",
    "{r} eq 'x'",
    "displayName eq {r}",
    "{r}(displayName) eq 'x'",
    "displayName {r} 'x'",
    "manager/any({r}: {r}/id eq 'x')",
];

const ORDERBY_SHAPES: &[&str] = &["{r}", "displayName {r}", "displayName,{r} desc", "{q}"];

#[tokio::test]
async fn hostile_text_in_every_filter_and_orderby_position_is_a_right_answer_or_a_400() {
    let s = TestServer::start().await;
    let t = s.admin();
    for p in payloads() {
        let q = p.replace('\'', "''");
        for shape in FILTER_SHAPES {
            let f = shape.replace("{q}", &q).replace("{r}", &p);
            for path in ["/v1.0/users".to_string(), format!("{V1}/accessPackages")] {
                let r = s.get(&url(&path, &[("$filter", &f)]), &t).await;
                assert!(r.status == 200 || r.status == 400, "{path} {f:.80}: {} {:.300}", r.status, r.text);
                if r.status == 200 {
                    // No hostile literal matches anything here except by the negation shape.
                    let n = r.body["value"].as_array().unwrap().len();
                    assert_eq!(n, 0, "{path} {f:.80}: {:.300}", r.text);
                } else {
                    r.error_code();
                }
            }
        }
        for shape in ORDERBY_SHAPES {
            let o = shape.replace("{q}", &q).replace("{r}", &p);
            let r = s.get(&url("/v1.0/users", &[("$orderby", &o)]), &t).await;
            assert_eq!(r.status, 400, "{o:.80}: {:.300}", r.text);
            r.error_code();
        }
        // In $search, as a literal to match.
        let r = s
            .get(&url(&format!("{V1}/accessPackages"), &[("$search", &format!("\"{}\"", p.replace('"', "")))]), &t)
            .await;
        assert!(r.status == 200 || r.status == 400, "{:.300}", r.text);
    }
    // The tables are all there and whole.
    let r = s.get("/v1.0/users?$count=true&$top=1", &t).await;
    assert_eq!(r.body["@odata.count"], 12);
    s.stop().await;
}

#[tokio::test]
async fn a_literal_that_looks_like_sql_finds_the_row_that_holds_it() {
    let s = TestServer::start().await;
    let t = s.admin();
    let cat = odata_support::catalog(&s, &t, "Quotes", None).await;
    let odd = "O'Brien's -- pack; /* x */ \u{ff07}";
    odata_support::package(&s, &t, &cat, odd, Some("100% _sure_ \\ yes"), false).await;
    let cases = [
        format!("displayName eq '{}'", odd.replace('\'', "''")),
        "contains(displayName, '''s -- pack;')".to_string(),
        "contains(description, '100%')".to_string(),
        "contains(description, '_sure_ \\')".to_string(),
        "endswith(displayName, '\u{ff07}')".to_string(),
    ];
    for f in cases {
        let r = s.get(&url(&format!("{V1}/accessPackages"), &[("$filter", &f)]), &t).await;
        assert_eq!(odata_support::names(&r), [odd], "{f}");
    }
    // `%` and `_` are literal characters in contains(), not wildcards.
    let r = s.get(&url(&format!("{V1}/accessPackages"), &[("$filter", "contains(displayName, '%')")]), &t).await;
    assert_eq!(odata_support::names(&r), Vec::<String>::new());
    s.stop().await;
}

fn sql_of(catalog: &'static FieldCatalog, table: &str, filter: &str, backend: Backend) -> Option<(String, String)> {
    let expr = grantd_odata::parse_filter(filter).ok()?;
    let bound = grantd_web::query::bind_filter(catalog, &expr).ok()?;
    let q = ListQuery { filter: Some(bound), limit: 10, ..ListQuery::default() };
    Some(page_sql(backend, table, TenantId(uuid::Uuid::nil()), &q).unwrap())
}

#[test]
fn hostile_literals_change_parameters_never_the_sql_text() {
    let shapes: &[(&'static FieldCatalog, &str, &str)] = &[
        (&USER_CATALOG, "users", "displayName eq '{q}'"),
        (&USER_CATALOG, "users", "startswith(displayName, '{q}') or contains(mail, '{q}')"),
        (&USER_CATALOG, "users", "givenName in ('{q}', 'x') and not (surname eq '{q}')"),
        (&USER_CATALOG, "users", "manager/displayName eq '{q}'"),
        (&PACKAGE_V1, "access_packages", "catalog/displayName eq '{q}'"),
        (&PACKAGE_V1, "access_packages", "assignmentPolicies/any(p: p/displayName eq '{q}')"),
        (&PACKAGE_V1, "access_packages", "assignmentPolicies/all(p: endswith(p/description, '{q}'))"),
    ];
    for backend in [Backend::Sqlite, Backend::Postgres] {
        for (catalog, table, shape) in shapes {
            let benign = sql_of(catalog, table, &shape.replace("{q}", "benign"), backend).unwrap();
            for p in payloads() {
                let f = shape.replace("{q}", &p.replace('\'', "''"));
                let (sql, params) = sql_of(catalog, table, &f, backend).unwrap();
                assert_eq!(sql, benign.0, "{backend:?} {f:.80}");
                assert_ne!(params, benign.1);
                assert!(!sql.contains("DROP") && !sql.contains("--") && !sql.contains("/*"), "{sql}");
            }
        }
    }
}
