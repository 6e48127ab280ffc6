//! Separation of duties through the API on both versions: a package's incompatibleAccessPackages
//! and incompatibleGroups (add by $ref, list, remove), accessPackagesIncompatibleWith, refusal
//! of add requests (administrators' too) whose target holds, or has a pending request for, an
//! incompatible package or is a member of an incompatible group, and assignments'
//! additionalAccess.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;
mod golden;
mod policy_support;
mod request_support;

use common::{TestServer, BETA, V1};
use grantd::demo;
use request_support::*;
use serde_json::{json, Value};

fn pkg(n: u16) -> String {
    demo::access_package_id(n).to_string()
}

fn package_ref(n: u16) -> Value {
    json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/identityGovernance/entitlementManagement/accessPackages/{}", pkg(n))})
}

fn group_ref(n: u16) -> Value {
    json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/groups/{}", demo::group_id(n))})
}

fn names(r: &Value) -> Vec<String> {
    r["value"].as_array().unwrap().iter().map(|v| v["displayName"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn incompatible_packages_and_groups_are_added_listed_and_removed_on_both_versions() {
    let s = TestServer::start().await;
    let admin = s.admin();
    for base in [V1, BETA] {
        let p2 = format!("{base}/accessPackages/{}", pkg(2));
        let r = s.post(&format!("{p2}/incompatibleAccessPackages/$ref"), &admin, &package_ref(3)).await;
        assert_eq!(r.status, 204, "{}", r.text);
        let again = s.post(&format!("{p2}/incompatibleAccessPackages/$ref"), &admin, &package_ref(3)).await;
        assert_eq!(again.status, 409, "{}", again.text);
        let itself = s.post(&format!("{p2}/incompatibleAccessPackages/$ref"), &admin, &package_ref(2)).await;
        assert_eq!(itself.status, 400, "{}", itself.text);
        let list = s.get(&format!("{p2}/incompatibleAccessPackages"), &admin).await;
        assert_eq!(list.status, 200, "{}", list.text);
        assert_eq!(names(&list.body), vec!["Finance Reports"]);
        assert!(list.body["@odata.context"].as_str().unwrap().contains("incompatibleAccessPackages"));
        let with = s.get(&format!("{base}/accessPackages/{}/accessPackagesIncompatibleWith", pkg(3)), &admin).await;
        assert_eq!(names(&with.body), vec!["Engineering Onboarding"], "{}", with.text);

        let r = s.post(&format!("{p2}/incompatibleGroups/$ref"), &admin, &group_ref(1)).await;
        assert_eq!(r.status, 204, "{}", r.text);
        let groups = s.get(&format!("{p2}/incompatibleGroups"), &admin).await;
        assert_eq!(groups.body["value"][0]["id"], demo::group_id(1).to_string(), "{}", groups.text);
        assert_eq!(names(&groups.body), vec!["Sales Team"]);
        let missing =
            json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/groups/{}", grantd_domain::ObjectId::new())});
        assert_eq!(s.post(&format!("{p2}/incompatibleGroups/$ref"), &admin, &missing).await.status, 404);

        // Only those who manage the package's catalog may change the lists.
        let user = s.end_user(7);
        let denied = s.post(&format!("{p2}/incompatibleGroups/$ref"), &user, &group_ref(2)).await;
        assert!(denied.status == 403 || denied.status == 404, "{}", denied.text);

        let del = s.delete(&format!("{p2}/incompatibleAccessPackages/{}/$ref", pkg(3)), &admin).await;
        assert_eq!(del.status, 204, "{}", del.text);
        let del = s.delete(&format!("{p2}/incompatibleAccessPackages/{}/$ref", pkg(3)), &admin).await;
        assert_eq!(del.status, 404, "{}", del.text);
        let del = s.delete(&format!("{p2}/incompatibleGroups/{}/$ref", demo::group_id(1)), &admin).await;
        assert_eq!(del.status, 204, "{}", del.text);
        assert!(names(&s.get(&format!("{p2}/incompatibleAccessPackages"), &admin).await.body).is_empty());
        assert!(names(&s.get(&format!("{p2}/incompatibleGroups"), &admin).await.body).is_empty());
        let with = s.get(&format!("{base}/accessPackages/{}/accessPackagesIncompatibleWith", pkg(3)), &admin).await;
        assert!(names(&with.body).is_empty());
    }
    s.stop().await;
}

async fn refused(s: &TestServer, token: &str, body: &Value, code: &str, names: &str) {
    for v1 in [true, false] {
        let r = s.post(&requests(v1), token, body).await;
        assert_eq!(r.status, 409, "{body}: {}", r.text);
        assert_eq!(r.error_code(), code, "{}", r.text);
        let msg = r.body["error"]["message"].as_str().unwrap();
        assert!(msg.contains(names), "the message names '{names}': {msg}");
    }
}

#[tokio::test]
async fn requests_conflicting_with_incompatible_access_are_refused_even_for_admins() {
    let s = TestServer::start().await;
    let admin = s.admin();
    let p2 = format!("{V1}/accessPackages/{}", pkg(2));
    // Engineering Onboarding (2) is incompatible with Finance Reports (3) and Sales Tools (1),
    // and with membership of the Sales Team group.
    for n in [3, 1] {
        assert_eq!(s.post(&format!("{p2}/incompatibleAccessPackages/$ref"), &admin, &package_ref(n)).await.status, 204);
    }
    assert_eq!(s.post(&format!("{p2}/incompatibleGroups/$ref"), &admin, &group_ref(1)).await.status, 204);

    // A held assignment of the incompatible package (Nestor, user 10, holds Finance Reports).
    let nestor = demo::user_id(10);
    admin_grant(&s, 3, nestor).await;
    let add = add_body("adminAdd", demo::access_package_id(2), Some(demo::policy_id(21)), nestor);
    refused(
        &s,
        &admin,
        &add,
        "IncompatibleAccessPackage",
        "holds an assignment of the incompatible access package 'Finance Reports'",
    )
    .await;

    // The other way round: a holder of Engineering Onboarding may not get Finance Reports.
    let user8 = demo::user_id(8);
    admin_grant(&s, 2, user8).await;
    let add = add_body("adminAdd", demo::access_package_id(3), Some(demo::policy_id(31)), user8);
    refused(&s, &admin, &add, "IncompatibleAccessPackage", "'Engineering Onboarding'").await;

    // A pending request for an incompatible package: user 9 asks for Sales Tools (manager approval).
    let user9 = demo::user_id(9);
    let mut ask = add_body("userAdd", demo::access_package_id(1), Some(demo::policy_id(12)), user9);
    ask["justification"] = json!("Customer visits");
    let pending = create(&s, true, &s.end_user(9), &ask).await;
    wait_state(&s, true, pending["id"].as_str().unwrap(), "pendingApproval").await;
    let add = add_body("adminAdd", demo::access_package_id(2), Some(demo::policy_id(21)), user9);
    refused(
        &s,
        &admin,
        &add,
        "IncompatibleAccessPackage",
        "has a pending request for the incompatible access package 'Sales Tools'",
    )
    .await;

    // Membership of an incompatible group, for the administrator and for the user themselves.
    let user5 = demo::user_id(5);
    let add = add_body("adminAdd", demo::access_package_id(2), Some(demo::policy_id(21)), user5);
    refused(&s, &admin, &add, "IncompatibleGroup", "member of the incompatible group 'Sales Team'").await;
    let own = add_body("userAdd", demo::access_package_id(2), Some(demo::policy_id(22)), user5);
    refused(&s, &s.end_user(5), &own, "IncompatibleGroup", "'Sales Team'").await;

    // Someone with no conflicting access still gets it.
    let user7 = demo::user_id(7);
    let ok =
        create(&s, false, &admin, &add_body("adminAdd", demo::access_package_id(2), Some(demo::policy_id(21)), user7))
            .await;
    assert_eq!(wait_terminal(&s, false, ok["id"].as_str().unwrap()).await["requestState"], "Delivered");

    // Removing the incompatibility lifts the refusal.
    let del = s.delete(&format!("{p2}/incompatibleAccessPackages/{}/$ref", pkg(3)), &admin).await;
    assert_eq!(del.status, 204);
    let r = s
        .post(
            &requests(true),
            &admin,
            &add_body("adminAdd", demo::access_package_id(2), Some(demo::policy_id(21)), nestor),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    s.stop().await;
}

#[tokio::test]
async fn additional_access_lists_assignments_whose_target_also_holds_the_other_package() {
    let s = TestServer::start().await;
    let admin = s.admin();
    let (nestor, user7) = (demo::user_id(10), demo::user_id(7));
    admin_grant(&s, 3, nestor).await;
    admin_grant(&s, 2, nestor).await;
    admin_grant(&s, 3, user7).await;
    let f = format!("additionalAccess(accessPackageId='{}',incompatibleAccessPackageId='{}')", pkg(3), pkg(2));
    let v1 = s.get(&format!("{V1}/assignments/{f}?$expand=target,accessPackage"), &admin).await;
    assert_eq!(v1.status, 200, "{}", v1.text);
    let items = v1.body["value"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", v1.text);
    assert_eq!(items[0]["target"]["objectId"], nestor.to_string(), "{}", v1.text);
    assert_eq!(items[0]["accessPackage"]["id"], pkg(3));
    let beta = s.get(&format!("{BETA}/accessPackageAssignments/{f}"), &admin).await;
    assert_eq!(beta.status, 200, "{}", beta.text);
    let items = beta.body["value"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", beta.text);
    assert_eq!(items[0]["targetId"], nestor.to_string());
    // The other way round: only Nestor holds both.
    let back = format!("additionalAccess(accessPackageId='{}',incompatibleAccessPackageId='{}')", pkg(2), pkg(3));
    assert_eq!(s.get(&format!("{V1}/assignments/{back}"), &admin).await.body["value"].as_array().unwrap().len(), 1);
    let bad = s.get(&format!("{V1}/assignments/additionalAccess(accessPackageId='{}')", pkg(3)), &admin).await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    s.stop().await;
}

/// The docs' example (accesspackage-post-incompatibleaccesspackage.md, byte for byte, naming the
/// docs' package id) is accepted on both versions, and the list matches the docs' list example
/// (accesspackage-list-incompatibleaccesspackages.md).
#[tokio::test]
async fn the_docs_incompatible_package_examples_are_accepted_and_matched() {
    let s = TestServer::start().await;
    let admin = s.admin();
    let docs_id: grantd_domain::AccessPackageId = "c0a74b4d-2694-4d5d-a964-1bee4ff0aaf2".parse().unwrap();
    policy_support::package_with_id(&s, demo::catalog_id(1), docs_id, "accesspackage").await;
    let request = golden::parse(include_str!("golden/v1-post-incompatibleaccesspackage.request.json"));
    let docs_list = golden::parse(include_str!("golden/v1-list-incompatibleaccesspackages.response.json"));
    for (base, n) in [(V1, 2), (BETA, 3)] {
        let one = format!("{base}/accessPackages/{}", pkg(n));
        let r = s.post(&format!("{one}/incompatibleAccessPackages/$ref"), &admin, &request).await;
        assert_eq!(r.status, 204, "{}", r.text);
        let list = s.get(&format!("{one}/incompatibleAccessPackages"), &admin).await;
        assert_eq!(list.status, 200, "{}", list.text);
        golden::assert_same_shape(&docs_list, &list.body);
        assert_eq!(list.body["value"][0]["id"], docs_list["value"][0]["id"]);
        assert_eq!(list.body["value"][0]["displayName"], docs_list["value"][0]["displayName"]);
    }
    s.stop().await;
}
