//! Access package assignments through the API: v1.0 `assignments` and beta
//! `accessPackageAssignments` (each version only its own name): list with `$filter`, `$expand`,
//! `$select`, `$top`; get; `filterByCurrentUser(on='target'|'createdBy')`; reprocess. They are
//! produced by requests only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;
mod request_support;

use common::{TestServer, BETA, V1};
use grantd::demo;
use request_support::*;
use serde_json::{json, Value};

fn ids(v: &Value) -> Vec<String> {
    v["value"].as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn assignments_read_on_both_versions_with_their_names_and_navigations() {
    let s = TestServer::start().await;
    let t = s.admin();
    let a = admin_grant(&s, 2, demo::user_id(3)).await;
    let b = admin_grant(&s, 1, demo::user_id(3)).await;
    // v1.0
    let r = s.get(&format!("{V1}/assignments/{a}?$expand=target,accessPackage,assignmentPolicy"), &t).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["state"], "delivered");
    assert_eq!(r.body["status"], "Delivered");
    assert_eq!(r.body["customExtensionCalloutInstances"], json!([]));
    assert!(r.body.get("targetId").is_none(), "v1.0 has no targetId");
    assert_eq!(r.body["target"]["objectId"], demo::user_id(3).to_string());
    assert_eq!(r.body["target"]["subjectType"], "user");
    assert_eq!(r.body["accessPackage"]["id"], demo::access_package_id(2).to_string());
    assert_eq!(r.body["assignmentPolicy"]["id"], demo::policy_id(21).to_string());
    assert!(r.body["schedule"]["startDateTime"].is_string());
    assert_eq!(r.body["schedule"]["expiration"]["type"], "noExpiration");
    // beta
    let r =
        s.get(&format!("{BETA}/accessPackageAssignments/{a}?$expand=target,accessPackageAssignmentPolicy"), &t).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["assignmentState"], "Delivered");
    assert_eq!(r.body["targetId"], demo::user_id(3).to_string());
    assert_eq!(r.body["catalogId"], demo::catalog_id(1).to_string());
    assert_eq!(r.body["isExtended"], false);
    assert_eq!(r.body["target"]["type"], "User");
    assert_eq!(r.body["accessPackageAssignmentPolicy"]["id"], demo::policy_id(21).to_string());
    // Each version answers only under its own name.
    assert_eq!(s.get(&format!("{V1}/accessPackageAssignments"), &t).await.status, 404);
    assert_eq!(s.get(&format!("{BETA}/assignments"), &t).await.status, 404);
    // Lists, filters, paging, select.
    let target = demo::user_id(3);
    let r = s
        .get(&format!("{V1}/assignments?$filter=target/objectId%20eq%20%27{target}%27&$top=1&$select=id,state"), &t)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(ids(&r.body).len(), 1);
    assert_eq!(r.body["value"][0].as_object().unwrap().len(), 2, "{}", r.text);
    let next = r.body["@odata.nextLink"].as_str().unwrap();
    assert!(next.starts_with("http://") && next.contains("$filter="), "{next}");
    let r2 = s.get(next, &t).await;
    let mut all = ids(&r.body);
    all.extend(ids(&r2.body));
    all.sort();
    let mut want = vec![a.clone(), b.clone()];
    want.sort();
    assert_eq!(all, want);
    let r = s
        .get(
            &format!(
                "{V1}/assignments?$filter=state%20eq%20%27Delivered%27%20and%20accessPackage/id%20eq%20%27{}%27",
                demo::access_package_id(1)
            ),
            &t,
        )
        .await;
    assert_eq!(ids(&r.body), vec![b.clone()]);
    let r = s.get(&format!("{BETA}/accessPackageAssignments?$filter=assignmentState%20eq%20%27Delivered%27%20and%20accessPackageId%20eq%20%27{}%27", demo::access_package_id(2)), &t).await;
    assert_eq!(ids(&r.body), vec![a.clone()]);
    let r = s.get(&format!("{V1}/assignments?$filter=assignmentState%20eq%20%27Delivered%27"), &t).await;
    assert_eq!(r.status, 400, "v1.0 has no assignmentState: {}", r.text);
    assert_eq!(r.error_code(), "InvalidFilter");
    // Every string that reaches SQL is bound: injection attempts are refused or find nothing.
    for f in [
        "targetId%20eq%20%27x%27%27%20or%201%3D1%20--%27",
        "assignmentState%20eq%20%27Delivered%27%27%20or%20%271%27%3D%271%27",
    ] {
        let r = s.get(&format!("{BETA}/accessPackageAssignments?$filter={f}"), &t).await;
        assert_eq!(r.status, 400, "{}", r.text);
    }
    s.stop().await;
}

#[tokio::test]
async fn filter_by_current_user_shows_the_caller_their_assignments() {
    let s = TestServer::start().await;
    let mine =
        create(&s, true, &s.end_user(9), &add_body("userAdd", demo::access_package_id(2), None, demo::user_id(9)))
            .await;
    wait_terminal(&s, true, mine["id"].as_str().unwrap()).await;
    let theirs = admin_grant(&s, 2, demo::user_id(3)).await;
    for (base, set) in [(V1, "assignments"), (BETA, "accessPackageAssignments")] {
        let r = s.get(&format!("{base}/{set}/filterByCurrentUser(on='target')"), &s.end_user(9)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(ids(&r.body).len(), 1);
        assert!(!ids(&r.body).contains(&theirs));
        let r = s.get(&format!("{base}/{set}/filterByCurrentUser(on='createdBy')"), &s.end_user(9)).await;
        assert_eq!(ids(&r.body).len(), 1, "{}", r.text);
        let r = s.get(&format!("{base}/{set}/filterByCurrentUser(on='createdBy')"), &s.admin()).await;
        assert_eq!(ids(&r.body), vec![theirs.clone()], "the admin created user 3's");
        let r = s.get(&format!("{base}/{set}/filterByCurrentUser(on='somebody')"), &s.admin()).await;
        assert_eq!(r.status, 400);
        // An end user reads their own assignment but not someone else's, and lists none.
        let own = ids(&s.get(&format!("{base}/{set}/filterByCurrentUser(on='target')"), &s.end_user(9)).await.body);
        assert_eq!(s.get(&format!("{base}/{set}/{}", own[0]), &s.end_user(9)).await.status, 200);
        assert_eq!(s.get(&format!("{base}/{set}/{theirs}"), &s.end_user(9)).await.status, 404);
        assert_eq!(s.get(&format!("{base}/{set}"), &s.end_user(9)).await.status, 403);
    }
    let app = s.get(&format!("{V1}/assignments/filterByCurrentUser(on='target')"), &s.app()).await;
    assert_eq!(app.status, 403, "apps have no current user: {}", app.text);
    s.stop().await;
}

#[tokio::test]
async fn reprocess_restores_a_delivered_assignments_memberships() {
    let s = TestServer::start().await;
    let t = s.admin();
    let user = demo::user_id(3);
    let a = admin_grant(&s, 2, user).await;
    let r = s.delete(&format!("/v1.0/groups/{}/members/{user}/$ref", demo::group_id(2)), &t).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert!(!is_member(&s, demo::group_id(2), user).await);
    let r = s.call(reqwest::Method::POST, &format!("{V1}/assignments/{a}/reprocess"), Some(&t), None).await;
    assert_eq!(r.status, 202, "{}", r.text);
    let mut back = false;
    for _ in 0..100 {
        if is_member(&s, demo::group_id(2), user).await {
            back = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(back, "reprocess re-added the membership");
    // The target may read but not reprocess; an expired assignment is not reprocessed.
    let r = s
        .call(
            reqwest::Method::POST,
            &format!("{BETA}/accessPackageAssignments/{a}/reprocess"),
            Some(&s.end_user(3)),
            None,
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.text);
    let removal = create(&s, true, &t, &remove_body("adminRemove", &a)).await;
    wait_terminal(&s, true, removal["id"].as_str().unwrap()).await;
    let r = s.call(reqwest::Method::POST, &format!("{V1}/assignments/{a}/reprocess"), Some(&t), None).await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.error_code(), "AssignmentNotReprocessable");
    let r = s
        .call(reqwest::Method::POST, &format!("{V1}/assignments/{}/reprocess", uuid::Uuid::new_v4()), Some(&t), None)
        .await;
    assert_eq!(r.status, 404);
    s.stop().await;
}
