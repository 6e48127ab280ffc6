//! Who may read and write access package assignment policies: global readers, end users,
//! catalog-scoped entitlement-management roles (assigned through
//! `/roleManagement/entitlementManagement/roleAssignments`), and the administrators that
//! auto-assignment policies need (errors.md A7).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;
mod policy_support;

use common::{TestServer, BETA, V1};
use grantd::demo;
use grantd_domain::AccessPackageId;
use policy_support::*;
use serde_json::{json, Value};

#[tokio::test]
async fn permissions_follow_the_package_catalog() {
    let s = TestServer::start().await;
    let mine = catalog(&s, "Mine").await;
    let theirs = catalog(&s, "Theirs").await;
    let pa = package(&s, mine, "In my catalog").await;
    let pb = package(&s, theirs, "In their catalog").await;
    let admin = s.admin();
    let in_mine = create_v1(&s, &admin, &v1_body(pa, "Mine")).await;
    let in_theirs = create_v1(&s, &admin, &v1_body(pb, "Theirs")).await;
    let v1 = |id: &str| format!("{V1}/assignmentPolicies/{id}");
    let coll = format!("{V1}/assignmentPolicies");

    // A global reader reads everything and writes nothing.
    let reader = s.reader();
    let demo_policies = 6;
    assert_eq!(s.get(&coll, &reader).await.body["value"].as_array().unwrap().len(), 2 + demo_policies);
    assert_eq!(s.get(&v1(&in_theirs), &reader).await.status, 200);
    for r in [
        s.post(&coll, &reader, &v1_body(pa, "No")).await,
        s.put(&v1(&in_mine), &reader, &v1_body(pa, "No")).await,
        s.delete(&v1(&in_mine), &reader).await,
    ] {
        assert_eq!(r.status, 403, "{}", r.text);
        assert_eq!(r.error_code(), "UnAuthorized");
    }

    // An end user without a role is refused everywhere (errors.md A1); a policy it may not read
    // is reported as missing (docs/decisions.md).
    let user = s.end_user(9);
    assert_eq!(s.get(&v1(&in_mine), &user).await.status, 404);
    for r in [
        s.get(&coll, &user).await,
        s.post(&coll, &user, &v1_body(pa, "No")).await,
        s.get(&format!("{BETA}/accessPackageAssignmentPolicies"), &user).await,
    ] {
        assert_eq!(r.status, 403, "{}", r.text);
        assert_eq!(r.error_code(), "UnAuthorized");
    }

    // An access package manager of one catalog manages policies there only.
    let manager = demo::user_id(8);
    grant(&s, manager, ACCESS_PACKAGE_MANAGER, mine).await;
    let m = s.end_user(8);
    let r = s.get(&coll, &m).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let ids: Vec<&str> = r.body["value"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [in_mine.as_str()]);
    let id = create_v1(&s, &m, &v1_body(pa, "Managed")).await;
    assert_eq!(s.put(&v1(&id), &m, &v1_body(pa, "Managed again")).await.status, 200);
    assert_eq!(s.get(&v1(&in_theirs), &m).await.status, 404);
    let r = s.post(&coll, &m, &v1_body(pb, "Not here")).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.error_code(), "UnAuthorized");
    assert_eq!(s.delete(&v1(&in_theirs), &m).await.status, 404);
    assert_eq!(s.delete(&v1(&id), &m).await.status, 204);

    // A catalog reader reads its catalog only.
    grant(&s, demo::user_id(10), CATALOG_READER, theirs).await;
    let cr = s.end_user(10);
    assert_eq!(s.get(&v1(&in_theirs), &cr).await.status, 200);
    assert_eq!(s.get(&v1(&in_mine), &cr).await.status, 404);
    assert_eq!(s.put(&v1(&in_theirs), &cr, &v1_body(pb, "No")).await.status, 403);
    s.stop().await;
}

#[tokio::test]
async fn auto_assignment_policies_need_a_governance_administrator() {
    let s = TestServer::start().await;
    let cat = catalog(&s, "Auto").await;
    let pkg = package_with_id(&s, cat, AccessPackageId(GOLDEN_PACKAGES[0].parse().unwrap()), "Auto").await;
    let body: Value = serde_json::from_str(AUTO).unwrap();
    let coll = format!("{V1}/assignmentPolicies");
    // A catalog owner, and an application with ReadWrite.All, may not (errors.md A7).
    grant(&s, demo::user_id(7), CATALOG_OWNER, cat).await;
    for token in [s.end_user(7), s.app()] {
        let r = s.post(&coll, &token, &body).await;
        assert_eq!(r.status, 403, "{}", r.text);
        assert_eq!(r.error_code(), "AutoAssignmentPolicyRequirementNotMet");
        assert_eq!(
            r.body["error"]["message"],
            "Only a Global admin or Identity governance admin can set an auto assignment policy."
        );
    }
    // The owner may still write ordinary policies in the catalog.
    create_v1(&s, &s.end_user(7), &v1_body(pkg, "Ordinary")).await;
    // An Identity Governance Administrator may.
    let id = create_v1(&s, &s.admin(), &body).await;
    let got = s.get(&format!("{V1}/assignmentPolicies/{id}"), &s.admin()).await.body;
    assert_eq!(got["automaticRequestSettings"]["requestAccessForAllowedTargets"], true);
    assert_eq!(got["specificAllowedTargets"][0]["@odata.type"], "#microsoft.graph.attributeRuleMembers");
    assert_eq!(got["specificAllowedTargets"][0]["membershipRule"], "(user.department -eq \"Sales\")");
    // ...and the owner may not edit it.
    let r = s.patch(&format!("{V1}/assignmentPolicies/{id}"), &s.end_user(7), &json!({"description": "x"})).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.error_code(), "AutoAssignmentPolicyRequirementNotMet");
    s.stop().await;
}
