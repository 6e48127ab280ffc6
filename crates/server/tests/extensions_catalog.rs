//! Custom extensions as catalog objects: create, get, list, update and delete on v1.0
//! `customWorkflowExtensions` and beta `accessPackageCustomWorkflowExtensions` /
//! `customAccessPackageWorkflowExtensions`, the rules on endpoints (https, http only to
//! localhost unless `extensions.allow_http`), timeouts (at most 14 days) and bodies, who may
//! read and write, and the public JWKS.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;
mod extension_support;
mod request_support;

use common::TestServer;
use extension_support::*;
use grantd::demo;
use serde_json::{json, Value};

const HOOK: &str = "https://workflows.example.com/hooks/sod?sig=abc";

#[tokio::test]
async fn an_extension_round_trips_on_both_versions() {
    let s = TestServer::start().await;
    let t = s.admin();
    let v1 = catalog_path(true, demo::catalog_id(1));
    let beta = catalog_path(false, demo::catalog_id(1));
    let r = s.post(&v1, &t, &extension_body(HOOK, Some("PT1H"), Some(2))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_str().unwrap().to_string();
    let b = &r.body;
    assert!(b["@odata.context"].as_str().unwrap().contains("/customWorkflowExtensions/$entity"), "{b}");
    assert_eq!(b["@odata.type"], "#microsoft.graph.accessPackageAssignmentRequestWorkflowExtension");
    assert_eq!(b["endpointConfiguration"]["url"], HOOK);
    assert_eq!(b["endpointConfiguration"]["logicAppWorkflowName"], "sod-check");
    assert_eq!(b["authenticationConfiguration"]["resourceId"], WORKFLOW_APP);
    assert_eq!(b["clientConfiguration"]["maximumRetries"], 2);
    assert_eq!(b["callbackConfiguration"]["timeoutDuration"], "PT1H");
    assert_eq!(b["createdBy"], demo::upn("Megan"));

    // The same object under beta's name; listed in its catalog only.
    let got = s.get(&format!("{beta}/{id}"), &t).await;
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(got.body["displayName"], "Separation of duties check");
    let list = s.get(&v1, &t).await;
    assert_eq!(list.body["value"].as_array().unwrap().len(), 1, "{}", list.text);
    let elsewhere = s.get(&catalog_path(true, demo::catalog_id(2)), &t).await;
    assert_eq!(elsewhere.body["value"], json!([]), "{}", elsewhere.text);
    assert_eq!(s.get(&format!("{}/{id}", catalog_path(true, demo::catalog_id(2))), &t).await.status, 404);
    let filtered = s.get(&format!("{v1}?$filter=displayName%20eq%20%27nope%27"), &t).await;
    assert_eq!(filtered.body["value"], json!([]), "{}", filtered.text);

    // PATCH: launch and continue (callbackConfiguration null), a new name.
    let p = s.patch(&format!("{v1}/{id}"), &t, &json!({"displayName": "Renamed", "callbackConfiguration": null})).await;
    assert_eq!(p.status, 204, "{}", p.text);
    let got = s.get(&format!("{v1}/{id}"), &t).await;
    assert_eq!(got.body["displayName"], "Renamed");
    assert_eq!(got.body["callbackConfiguration"], Value::Null);
    assert_eq!(got.body["endpointConfiguration"]["url"], HOOK, "untouched members stay");

    // The older beta set keeps its own type.
    let legacy_path = format!(
        "/beta/identityGovernance/entitlementManagement/accessPackageCatalogs/{}/customAccessPackageWorkflowExtensions",
        demo::catalog_id(1)
    );
    let mut legacy = extension_body(HOOK, None, None);
    legacy["@odata.type"] = json!("#microsoft.graph.customAccessPackageWorkflowExtension");
    let l = s.post(&legacy_path, &t, &legacy).await;
    assert_eq!(l.status, 201, "{}", l.text);
    assert_eq!(l.body["@odata.type"], "#microsoft.graph.customAccessPackageWorkflowExtension");
    assert!(l.body.get("callbackConfiguration").is_none(), "{}", l.text);
    assert_eq!(s.get(&legacy_path, &t).await.body["value"].as_array().unwrap().len(), 1);
    assert_eq!(s.get(&v1, &t).await.body["value"].as_array().unwrap().len(), 1);
    // v1.0 has no beta set names.
    let wrong = s
        .get(
            &format!(
                "/v1.0/identityGovernance/entitlementManagement/catalogs/{}/customAccessPackageWorkflowExtensions",
                demo::catalog_id(1)
            ),
            &t,
        )
        .await;
    assert_eq!(wrong.status, 404);

    assert_eq!(s.delete(&format!("{v1}/{id}"), &t).await.status, 204);
    assert_eq!(s.get(&format!("{v1}/{id}"), &t).await.status, 404);
    assert_eq!(s.delete(&format!("{v1}/{id}"), &t).await.status, 404);
    s.stop().await;
}

#[tokio::test]
async fn bad_extensions_are_refused_with_the_property_named() {
    let s = TestServer::start().await;
    let t = s.admin();
    let v1 = catalog_path(true, demo::catalog_id(1));
    let cases: Vec<(Value, &str)> = vec![
        (extension_body("http://workflows.example.com/hook", None, None), "https"),
        (extension_body("ftp://workflows.example.com/hook", None, None), "endpointConfiguration.url"),
        (extension_body(HOOK, Some("P15D"), None), "14 days"),
        (extension_body(HOOK, Some("PT0S"), None), "timeoutDuration"),
        (extension_body(HOOK, Some("soon"), None), "timeoutDuration"),
        (extension_body(HOOK, None, Some(50)), "maximumRetries"),
        (json!({"displayName": "x"}), "endpointConfiguration"),
        (json!({"endpointConfiguration": {"url": HOOK}}), "displayName"),
        (
            json!({"@odata.type": "#microsoft.graph.user", "displayName": "x", "endpointConfiguration": {"url": HOOK}}),
            "@odata.type",
        ),
        (json!({"displayName": "x", "endpointConfiguration": {"url": HOOK}, "secret": "x"}), "secret"),
        (
            json!({"displayName": "x", "endpointConfiguration": {"@odata.type": "#microsoft.graph.somethingElse", "url": HOOK}}),
            "logicAppTriggerEndpointConfiguration",
        ),
    ];
    for (body, want) in cases {
        let r = s.post(&v1, &t, &body).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert!(r.text.contains(want), "{body}: {}", r.text);
    }
    // Loopback http is always fine (local development).
    let r = s.post(&v1, &t, &extension_body("http://localhost:7071/api/hook", Some("P14D"), None)).await;
    assert_eq!(r.status, 201, "{}", r.text);
    s.stop().await;

    let s = TestServer::start_with(|c| c.extensions.allow_http = true).await;
    let r = s
        .post(
            &catalog_path(true, demo::catalog_id(1)),
            &s.admin(),
            &extension_body("http://workflows.internal/hook", None, None),
        )
        .await;
    assert_eq!(r.status, 201, "allow_http admits plain http: {}", r.text);
    s.stop().await;
}

#[tokio::test]
async fn readers_read_owners_write_and_the_keys_are_public() {
    let s = TestServer::start().await;
    let v1 = catalog_path(true, demo::catalog_id(1));
    let id = make_extension(&s, demo::catalog_id(1), &extension_body(HOOK, None, None)).await;
    assert_eq!(s.get(&format!("{v1}/{id}"), &s.reader()).await.status, 200);
    assert_eq!(s.post(&v1, &s.reader(), &extension_body(HOOK, None, None)).await.status, 403);
    assert_eq!(s.patch(&format!("{v1}/{id}"), &s.reader(), &json!({"displayName": "x"})).await.status, 403);
    assert_eq!(s.delete(&format!("{v1}/{id}"), &s.reader()).await.status, 403);
    let end_user = s.get(&v1, &s.end_user(5)).await;
    assert!(matches!(end_user.status.as_u16(), 403 | 404), "{}", end_user.text);
    assert_eq!(s.call(reqwest::Method::GET, &v1, None, None).await.status, 401);

    let jwks = s.call(reqwest::Method::GET, "/.well-known/jwks.json", None, None).await;
    assert_eq!(jwks.status, 200, "{}", jwks.text);
    let k = &jwks.body["keys"][0];
    assert_eq!((k["kty"].as_str(), k["crv"].as_str(), k["alg"].as_str()), (Some("EC"), Some("P-256"), Some("ES256")));
    assert!(k.get("d").is_none(), "no private part");
    s.stop().await;
}
