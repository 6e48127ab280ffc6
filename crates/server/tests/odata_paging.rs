//! Paging over HTTP: `$top`, `$skip`, `$orderby` on several keys in mixed directions (nullable
//! keys included), keyset `$skiptoken`s that survive concurrent inserts, the configurable
//! maximum page size, `$count=true` and the `/$count` segment on every list.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod odata_support;

use common::{TestServer, BETA, V1};
use grantd::demo;
use odata_support::{all_pages, catalog, column, package, url};
use serde_json::Value;

fn ids(items: &[Value]) -> Vec<String> {
    items.iter().map(|x| x["id"].as_str().unwrap().to_string()).collect()
}

/// Fourteen packages with repeated names, some without a description, some hidden.
async fn seed(s: &TestServer, t: &str) -> String {
    let cat = catalog(s, t, "Paging", None).await;
    for i in 0..14 {
        let name = format!("Pkg {}", i % 5);
        let description = if i % 3 == 0 { None } else { Some(format!("d{}", i % 4)) };
        package(s, t, &cat, &name, description.as_deref(), i % 2 == 0).await;
    }
    cat
}

#[tokio::test]
async fn paging_through_more_than_three_pages_is_exact_in_every_order() {
    let s = TestServer::start().await;
    let t = s.admin();
    let cat = seed(&s, &t).await;
    let filter = format!("catalog/id eq {cat}");
    let orders = [
        "displayName",
        "displayName desc",
        "description,displayName desc",
        "description desc,createdDateTime",
        "isHidden desc,description,displayName",
        "id desc",
    ];
    for order in orders {
        let path = format!("{V1}/accessPackages");
        let whole = s.get(&url(&path, &[("$filter", &filter), ("$orderby", order), ("$top", "999")]), &t).await;
        let want = ids(whole.body["value"].as_array().unwrap());
        assert_eq!(want.len(), 14, "{order}: {}", whole.text);
        let (items, pages) = all_pages(
            &s,
            &t,
            &url(&path, &[("$filter", &filter), ("$orderby", order), ("$top", "4"), ("$count", "true")]),
        )
        .await;
        assert_eq!(pages, 4, "{order}");
        assert_eq!(ids(&items), want, "{order}: pages give the same rows in the same order as one page");
    }
    // Nulls sort first ascending and last descending, on both backends.
    let r = s
        .get(
            &url(&format!("{V1}/accessPackages"), &[("$filter", &filter), ("$orderby", "description"), ("$top", "5")]),
            &t,
        )
        .await;
    let d = column(&r, "description");
    assert_eq!(d, ["null"; 5], "{}", r.text);
    let r = s
        .get(
            &url(
                &format!("{V1}/accessPackages"),
                &[("$filter", &filter), ("$orderby", "description desc"), ("$top", "999")],
            ),
            &t,
        )
        .await;
    let d = column(&r, "description");
    assert_eq!(d.first().map(String::as_str), Some("d3"));
    assert_eq!(d.last().map(String::as_str), Some("null"));
    // Ties are broken by id: the same name never reorders between two reads.
    let a =
        s.get(&url(&format!("{V1}/accessPackages"), &[("$filter", &filter), ("$orderby", "displayName")]), &t).await;
    let b =
        s.get(&url(&format!("{V1}/accessPackages"), &[("$filter", &filter), ("$orderby", "displayName")]), &t).await;
    assert_eq!(ids(a.body["value"].as_array().unwrap()), ids(b.body["value"].as_array().unwrap()));
    s.stop().await;
}

#[tokio::test]
async fn users_page_by_nullable_and_mixed_keys() {
    let s = TestServer::start().await;
    let t = s.admin();
    for order in ["department desc,givenName", "manager/id,displayName desc", "jobTitle,surname desc"] {
        let whole = s.get(&url("/v1.0/users", &[("$orderby", order), ("$top", "999")]), &t).await;
        let (items, pages) = all_pages(&s, &t, &url("/v1.0/users", &[("$orderby", order), ("$top", "3")])).await;
        assert_eq!(pages, 4, "{order}");
        assert_eq!(ids(&items), ids(whole.body["value"].as_array().unwrap()), "{order}");
    }
    s.stop().await;
}

#[tokio::test]
async fn concurrent_inserts_neither_duplicate_nor_skip_rows() {
    let s = TestServer::start().await;
    let t = s.admin();
    let cat = catalog(&s, &t, "Concurrent", None).await;
    let mut original = Vec::new();
    for n in ["b", "d", "f", "h", "j", "l", "n", "p", "r", "t"] {
        original.push(package(&s, &t, &cat, n, None, false).await);
    }
    for order in ["displayName", "displayName desc", "createdDateTime,id"] {
        let path = url(
            &format!("{V1}/accessPackages"),
            &[("$filter", &format!("catalog/id eq {cat}")), ("$orderby", order), ("$top", "3")],
        );
        let mut seen: Vec<Value> = Vec::new();
        let mut r = s.get(&path, &t).await;
        let mut round = 0;
        loop {
            assert_eq!(r.status, 200, "{}", r.text);
            seen.extend(r.body["value"].as_array().unwrap().iter().cloned());
            // Between the first pages, rows appear before and after the cursor (then stop, so
            // that a list ordered by creation time ends).
            if round < 3 {
                for name in [format!("a{order}{round}"), format!("z{order}{round}"), format!("k{order}{round}")] {
                    package(&s, &t, &cat, &name, None, false).await;
                }
            }
            round += 1;
            match r.body["@odata.nextLink"].as_str() {
                Some(next) => r = s.get(next, &t).await,
                None => break,
            }
        }
        let got = ids(&seen);
        let mut unique = got.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), got.len(), "{order}: no row twice");
        for id in &original {
            assert!(got.contains(id), "{order}: every row present at the start is seen");
        }
        // The rows come in order even with the inserts.
        if order.starts_with("displayName") {
            let names: Vec<String> = seen.iter().map(|x| x["displayName"].as_str().unwrap().to_string()).collect();
            let mut sorted = names.clone();
            sorted.sort();
            if order.ends_with("desc") {
                sorted.reverse();
            }
            assert_eq!(names, sorted, "{order}");
        }
    }
    s.stop().await;
}

#[tokio::test]
async fn top_is_capped_by_max_page_size_and_top_zero_returns_only_the_count() {
    let s = TestServer::start_with(|c| c.max_page_size = 5).await;
    let t = s.admin();
    let r = s.get("/v1.0/users?$top=100", &t).await;
    assert_eq!(r.body["value"].as_array().unwrap().len(), 5, "{}", r.text);
    assert!(r.body["@odata.nextLink"].as_str().unwrap().contains("$top=100"));
    let r = s.get("/v1.0/users", &t).await;
    assert_eq!(r.body["value"].as_array().unwrap().len(), 5);
    let (items, pages) = all_pages(&s, &t, "/v1.0/users?$top=999").await;
    assert_eq!((items.len(), pages), (12, 3));
    let r = s.get("/v1.0/users?$top=0&$count=true", &t).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["value"], serde_json::json!([]));
    assert_eq!(r.body["@odata.count"], 12);
    assert!(r.body.get("@odata.nextLink").is_none());
    s.stop().await;
}

#[tokio::test]
async fn skip_applies_to_the_first_page_only() {
    let s = TestServer::start().await;
    let t = s.admin();
    let all = column(&s.get("/v1.0/users?$orderby=displayName&$top=999", &t).await, "displayName");
    let r = s.get("/v1.0/users?$orderby=displayName&$skip=2&$top=3", &t).await;
    assert_eq!(column(&r, "displayName"), all[2..5]);
    let next = r.body["@odata.nextLink"].as_str().unwrap().to_string();
    assert!(!next.contains("$skip="), "{next}");
    assert_eq!(column(&s.get(&next, &t).await, "displayName"), all[5..8]);
    s.stop().await;
}

#[tokio::test]
async fn count_option_and_count_segment_on_every_list() {
    let s = TestServer::start().await;
    let t = s.admin();
    let c1 = demo::catalog_id(1);
    let p1 = demo::access_package_id(1);
    let lists = [
        "/v1.0/users".to_string(),
        "/v1.0/groups".to_string(),
        format!("{V1}/catalogs"),
        format!("{V1}/catalogs/{c1}/accessPackages"),
        format!("{V1}/accessPackages"),
        format!("{V1}/assignmentPolicies"),
        format!("{V1}/catalogs/{c1}/resources"),
        format!("{V1}/catalogs/{c1}/resourceRoles"),
        format!("{V1}/catalogs/{c1}/resourceScopes"),
        format!("{V1}/accessPackages/{p1}/resourceRoleScopes"),
        format!("{V1}/resourceRequests"),
        "/v1.0/roleManagement/entitlementManagement/roleAssignments".to_string(),
        format!("{BETA}/accessPackageCatalogs"),
        format!("{BETA}/accessPackages"),
        format!("{BETA}/accessPackageAssignmentPolicies"),
        format!("{BETA}/accessPackageCatalogs/{c1}/accessPackageResources"),
    ];
    for path in &lists {
        let listed = s.get(&format!("{path}?$count=true&$top=1"), &t).await;
        assert_eq!(listed.status, 200, "{path}: {}", listed.text);
        let n = listed.body["@odata.count"].as_i64().unwrap_or_else(|| panic!("{path}: {}", listed.text));
        let r = s
            .http
            .get(format!("{}{path}/$count", s.base))
            .bearer_auth(&t)
            .header("accept", "text/plain;q=0.9")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let ct = r.headers().get("content-type").unwrap().to_str().unwrap().to_string();
        assert!(ct.starts_with("text/plain"), "{path}: {ct}");
        assert_eq!(r.text().await.unwrap(), n.to_string(), "{path}");
    }
    // The segment honours $filter; it is not for single entities; errors keep their envelope.
    let r = s.get(&url("/v1.0/users/$count", &[("$filter", "department eq 'Finance'")]), &t).await;
    assert_eq!(r.text, "3");
    let r = s.get(&format!("/v1.0/users/{}/$count", demo::user_id(1)), &t).await;
    assert_eq!(r.status, 400, "{}", r.text);
    r.error_code();
    let r = s.post("/v1.0/users/$count", &t, &serde_json::json!({"displayName": "Count", "userPrincipalName": "count@contoso.example", "accountEnabled": true})).await;
    assert!(r.status.is_client_error(), "{}", r.text);
    assert_eq!(s.get("/v1.0/users/$count", &t).await.text, "12", "no user was created");
    let r = s.get(&url("/v1.0/users/$count", &[("$filter", "nosuch eq 1")]), &t).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error_code(), "InvalidFilter");
    s.stop().await;
}
