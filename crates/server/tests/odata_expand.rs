//! `$expand` and `$select` over HTTP: nested options, `*`, navigation properties in `$select`,
//! and the limits (number of expands, nesting depth, query length, filter depth), each a 400.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod odata_support;

use common::{TestServer, BETA, V1};
use grantd::demo;
use odata_support::url;
use serde_json::Value;

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap_or_else(|| panic!("not an object: {v}")).keys().cloned().collect();
    k.sort();
    k
}

#[tokio::test]
async fn nested_select_and_expand_on_policies() {
    let s = TestServer::start().await;
    let t = s.admin();
    let p = demo::policy_id(12);
    let r = s
        .get(
            &url(
                &format!("{V1}/assignmentPolicies/{p}"),
                &[
                    ("$expand", "accessPackage($select=id,displayName;$expand=catalog($select=displayName))"),
                    ("$select", "id,accessPackage"),
                ],
            ),
            &t,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(keys(&r.body), ["@odata.context", "accessPackage", "id"]);
    assert_eq!(keys(&r.body["accessPackage"]), ["catalog", "displayName", "id"]);
    assert_eq!(keys(&r.body["accessPackage"]["catalog"]), ["displayName"]);
    assert_eq!(r.body["accessPackage"]["catalog"]["displayName"], "Sales Resources");
    // On a list, and on beta with beta names.
    let r = s
        .get(
            &url(
                &format!("{BETA}/accessPackageAssignmentPolicies"),
                &[("$expand", "accessPackage($expand=accessPackageCatalog)"), ("$top", "2")],
            ),
            &t,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    for item in r.body["value"].as_array().unwrap() {
        assert!(item["accessPackage"]["accessPackageCatalog"]["displayName"].is_string(), "{item}");
    }
    s.stop().await;
}

#[tokio::test]
async fn star_expands_every_navigation_and_select_accepts_navigation_names() {
    let s = TestServer::start().await;
    let t = s.admin();
    let pkg = demo::access_package_id(1);
    let r = s.get(&url(&format!("{V1}/accessPackages/{pkg}"), &[("$expand", "*")]), &t).await;
    assert_eq!(r.status, 200, "{}", r.text);
    for nav in ["catalog", "assignmentPolicies", "resourceRoleScopes"] {
        assert!(!r.body[nav].is_null(), "{nav}: {}", r.text);
    }
    // A navigation named in $select without $expand is accepted and adds nothing.
    let r = s.get(&url(&format!("{V1}/accessPackages/{pkg}"), &[("$select", "id,catalog")]), &t).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(keys(&r.body), ["@odata.context", "id"]);
    let r = s
        .get(&url(&format!("{V1}/accessPackages/{pkg}"), &[("$select", "id,catalog"), ("$expand", "catalog")]), &t)
        .await;
    assert_eq!(keys(&r.body), ["@odata.context", "catalog", "id"]);
    // Nested star and nested select on a collection.
    let r = s
        .get(
            &url(
                &format!("{V1}/catalogs/{}", demo::catalog_id(1)),
                &[("$expand", "accessPackages($select=displayName;$expand=*)")],
            ),
            &t,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let pkgs = r.body["accessPackages"].as_array().unwrap();
    assert_eq!(pkgs.len(), 2);
    for p in pkgs {
        assert_eq!(keys(p), ["assignmentPolicies", "catalog", "displayName", "resourceRoleScopes"], "{p}");
        assert_eq!(p["catalog"]["displayName"], "General");
    }
    s.stop().await;
}

#[tokio::test]
async fn users_expand_their_manager_chain() {
    let s = TestServer::start().await;
    let t = s.admin();
    let r = s
        .get(
            &url(
                &format!("/v1.0/users/{}", demo::user_id(5)),
                &[("$expand", "manager($select=displayName;$expand=manager($select=displayName))")],
            ),
            &t,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["manager"]["displayName"], "Adele Vance");
    assert_eq!(r.body["manager"]["manager"]["displayName"], "Alex Wilber");
    assert_eq!(keys(&r.body["manager"]["manager"]), ["@odata.type", "displayName"]);
    s.stop().await;
}

#[tokio::test]
async fn expand_limits_and_unsupported_nested_options_are_400s() {
    let s = TestServer::start().await;
    let t = s.admin();
    let pol = format!("{V1}/assignmentPolicies");
    let bad: Vec<(String, &str)> = vec![
        (
            url(&pol, &[("$expand", "accessPackage($expand=catalog($expand=accessPackages($expand=catalog)))")]),
            "nested 4 levels",
        ),
        (url(&pol, &[("$expand", &["accessPackage"; 11].join(","))]), "names 11"),
        (url(&pol, &[("$expand", "accessPackage($filter=displayName eq 'x')")]), "$filter inside $expand"),
        (url(&pol, &[("$expand", "accessPackage($top=1)")]), "$top inside $expand"),
        (url(&pol, &[("$expand", "accessPackage($expand=nosuch)")]), "nosuch"),
        (url(&pol, &[("$expand", "questions($expand=x)")]), "cannot be expanded further"),
        (url(&pol, &[("$expand", "accessPackage/catalog")]), "more than one segment"),
        (url(&pol, &[("$expand", "accessPackage($select=nosuch)")]), "nosuch"),
    ];
    for (u, message) in bad {
        let r = s.get(&u, &t).await;
        assert_eq!(r.status, 400, "{u}: {}", r.text);
        assert_eq!(r.error_code(), "BadRequest", "{u}");
        assert!(r.text.contains(message), "{u}: {}", r.text);
    }
    // Three levels are fine.
    let ok = url(&pol, &[("$expand", "accessPackage($expand=catalog($expand=accessPackages))"), ("$top", "1")]);
    let r = s.get(&ok, &t).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.body["value"][0]["accessPackage"]["catalog"]["accessPackages"].is_array(), "{}", r.text);
    s.stop().await;
}

#[tokio::test]
async fn query_length_and_filter_depth_limits_are_400s() {
    let s = TestServer::start().await;
    let t = s.admin();
    let long = format!("displayName eq '{}'", "x".repeat(9000));
    let deep = format!("{}displayName eq 'x'{}", "(".repeat(150), ")".repeat(150));
    let nots = format!("{}isHidden", "not ".repeat(150));
    let lambdas = "accessPackages/any(a: a/catalog/accessPackages/any(b: b/catalog/accessPackages/any(c: c/catalog/accessPackages/any(d: d/catalog/accessPackages/any(e: e/isHidden)))))";
    for (path, f) in [
        ("/v1.0/users", long.as_str()),
        ("/v1.0/users", deep.as_str()),
        ("/v1.0/users", nots.as_str()),
        ("/v1.0/identityGovernance/entitlementManagement/catalogs", lambdas),
    ] {
        let r = s.get(&url(path, &[("$filter", f)]), &t).await;
        assert_eq!(r.status, 400, "{}: {}", &f[..40.min(f.len())], r.text);
        r.error_code();
    }
    let r = s.get(&url("/v1.0/users", &[("$orderby", &["displayName"; 2000].join(","))]), &t).await;
    assert_eq!(r.status, 400, "{}", r.text);
    s.stop().await;
}
