//! OData options on request lists: `$filter` through each version's field catalog,
//! `$select`, `$top` with absolute nextLinks, `$expand` (accessPackage, the assignment with a
//! nested target, requestor), `$count` and `/$count`, `$orderby`, injection attempts, and the
//! deprecated beta path's reads.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;
mod request_support;

use common::{TestServer, BETA, V1};
use grantd::demo;
use request_support::*;
use serde_json::Value;

fn ids(v: &Value) -> Vec<String> {
    v["value"].as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn request_lists_filter_select_expand_and_page_on_both_versions() {
    let s = TestServer::start().await;
    let t = s.admin();
    admin_grant(&s, 2, demo::user_id(3)).await;
    admin_grant(&s, 2, demo::user_id(4)).await;
    let mut p = add_body("userAdd", demo::access_package_id(1), None, demo::user_id(5));
    p["justification"] = serde_json::json!("please");
    let pending = create(&s, true, &s.end_user(5), &p).await;
    let pending_id = pending["id"].as_str().unwrap().to_string();
    wait_state(&s, true, &pending_id, "pendingApproval").await;
    let pkg2 = demo::access_package_id(2);
    let u3 = demo::user_id(3);
    let megan = demo::user_id(2);
    // v1.0 filters
    for (f, n) in [
        ("state%20eq%20%27delivered%27".to_string(), 2),
        ("state%20eq%20%27PendingApproval%27".to_string(), 1),
        ("status%20eq%20%27delivered%27".to_string(), 2),
        ("requestType%20eq%20%27AdminAdd%27".to_string(), 2),
        (format!("accessPackage/id%20eq%20%27{pkg2}%27"), 2),
        (format!("requestor/objectId%20eq%20%27{megan}%27"), 2),
        (format!("target/objectId%20eq%20%27{u3}%27"), 1),
        ("createdDateTime%20gt%202020-01-01T00:00:00Z".to_string(), 3),
        ("completedDateTime%20eq%20null".to_string(), 1),
        (
            "state%20eq%20%27delivered%27%20and%20accessPackage/id%20eq%20%27{pkg2}%27"
                .replace("{pkg2}", &pkg2.to_string()),
            2,
        ),
    ] {
        let r = s.get(&format!("{V1}/assignmentRequests?$filter={f}"), &t).await;
        assert_eq!(r.status, 200, "{f}: {}", r.text);
        assert_eq!(ids(&r.body).len(), n, "{f}: {}", r.text);
    }
    // beta filters, on both beta collection names
    for set in ["assignmentRequests", "accessPackageAssignmentRequests"] {
        for (f, n) in [
            ("requestState%20eq%20%27Delivered%27".to_string(), 2),
            ("(requestState%20eq%20%27PendingApproval%27)".to_string(), 1),
            ("requestStatus%20eq%20%27Delivered%27".to_string(), 2),
            ("completedDate%20ge%202020-01-01T00:00:00Z".to_string(), 2),
            (format!("accessPackage/id%20eq%20%27{pkg2}%27%20and%20requestType%20eq%20%27adminAdd%27"), 2),
        ] {
            let r = s.get(&format!("{BETA}/{set}?$filter={f}"), &t).await;
            assert_eq!(r.status, 200, "{f}: {}", r.text);
            assert_eq!(ids(&r.body).len(), n, "{set} {f}: {}", r.text);
        }
    }
    // Each version's names only.
    for (base, f) in [
        (V1, "requestState%20eq%20%27Delivered%27"),
        (BETA, "state%20eq%20%27delivered%27"),
        (V1, "justification%20eq%20%27x%27"),
    ] {
        let r = s.get(&format!("{base}/assignmentRequests?$filter={f}"), &t).await;
        assert_eq!(r.status, 400, "{base} {f}: {}", r.text);
        assert_eq!(r.error_code(), "InvalidFilter");
    }
    assert_eq!(s.get(&format!("{V1}/accessPackageAssignmentRequests"), &t).await.status, 404);
    // Injection attempts are refused before any SQL.
    for f in [
        "requestType%20eq%20%27adminAdd%27%27%20or%20%271%27%3D%271%27",
        "target/objectId%20eq%20%27x%27%20or%201%20eq%201",
    ] {
        let r = s.get(&format!("{V1}/assignmentRequests?$filter={f}"), &t).await;
        assert_eq!(r.status, 400, "{f}: {}", r.text);
    }
    // $select keeps only what is asked (and expanded navigations).
    let r = s.get(&format!("{V1}/assignmentRequests?$select=id,state&$expand=accessPackage"), &t).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let first = r.body["value"][0].as_object().unwrap();
    let mut keys: Vec<&str> = first.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, vec!["accessPackage", "id", "state"]);
    // $top pages with absolute nextLinks carrying the whole query; $count counts all.
    let mut url = format!("{BETA}/assignmentRequests?$count=true&$filter=requestState%20eq%20%27Delivered%27&$top=1&$orderby=createdDateTime%20desc");
    let mut seen = Vec::new();
    loop {
        let r = s.get(&url, &t).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["@odata.count"], 2);
        seen.extend(ids(&r.body));
        match r.body["@odata.nextLink"].as_str() {
            Some(n) => {
                assert!(n.starts_with(&s.base) && n.contains("$filter=") && n.contains("$top=1"), "{n}");
                url = n.to_string();
            }
            None => break,
        }
    }
    assert_eq!(seen.len(), 2);
    let c = s.get(&format!("{V1}/assignmentRequests/$count"), &t).await;
    assert_eq!(c.status, 200);
    assert_eq!(c.text, "3");
    // Expansions: the package, the assignment with its target, the requestor.
    let id =
        &ids(&s.get(&format!("{V1}/assignmentRequests?$filter=target/objectId%20eq%20%27{u3}%27"), &t).await.body)[0];
    let r = s
        .get(&format!("{V1}/assignmentRequests/{id}?$expand=accessPackage,assignment($expand=target),requestor"), &t)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["accessPackage"]["id"], pkg2.to_string());
    assert_eq!(r.body["assignment"]["state"], "delivered");
    assert_eq!(r.body["assignment"]["target"]["objectId"], u3.to_string());
    assert_eq!(r.body["requestor"]["objectId"], megan.to_string());
    assert_eq!(r.body["requestor"]["principalName"], "megan@contoso.example");
    assert_eq!(r.body["requestor"]["subjectType"], "user");
    let r = s
        .get(
            &format!(
                "{BETA}/accessPackageAssignmentRequests/{id}?$expand=accessPackage,accessPackageAssignment,requestor"
            ),
            &t,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["accessPackage"]["catalogId"], demo::catalog_id(1).to_string());
    assert_eq!(r.body["accessPackageAssignment"]["targetId"], u3.to_string());
    assert_eq!(r.body["requestor"]["type"], "User");
    let r = s.get(&format!("{V1}/assignmentRequests/{id}?$expand=accessPackageAssignment"), &t).await;
    assert_eq!(r.status, 400, "v1.0 names the navigation 'assignment': {}", r.text);
    // The pending request has no assignment yet... but a planned one is not shown until delivered.
    let r = s.get(&format!("{V1}/assignmentRequests/{pending_id}?$expand=assignment"), &t).await;
    assert!(r.body["assignment"].is_null(), "{}", r.text);
    // History (beta): created, routed, delivered.
    let r = s.get(&format!("{BETA}/assignmentRequests/{id}"), &t).await;
    let actions: Vec<&str> =
        r.body["history"].as_array().unwrap().iter().map(|h| h["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["created", "submitted", "deliveryFinished"], "{}", r.text);
    assert_eq!(r.body["history"][0]["userPrincipalName"], "megan@contoso.example");
    s.stop().await;
}
