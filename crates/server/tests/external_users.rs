//! The external user lifecycle: `entitlementManagement/settings` on both versions (read by
//! readers, changed by administrators), and, driven by the test clock, what happens to an
//! external user grantd created (AdminAdd by e-mail through a connected organization) when
//! their last assignment ends — by removal or by expiry: sign-in blocked, then the account
//! deleted after the configured delay; a directory member, or a tenant that asks for nothing,
//! is left alone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;
mod request_support;

use chrono::Duration;
use common::{TestServer, BETA, V1};
use grantd::demo::{self, DEMO_TENANT};
use grantd_domain::{AccessPackageId, ObjectId, PolicyId};
use request_support::*;
use serde_json::{json, Value};

fn settings(base: &str) -> String {
    format!("{base}/settings")
}

#[tokio::test]
async fn settings_are_read_and_changed_on_both_versions() {
    let s = TestServer::start().await;
    let admin = s.admin();
    let v1 = s.get(&settings(V1), &s.reader()).await;
    assert_eq!(v1.status, 200, "{}", v1.text);
    assert!(v1.body["@odata.context"]
        .as_str()
        .unwrap()
        .ends_with("identityGovernance/entitlementManagement/settings/$entity"));
    assert_eq!(v1.body["externalUserLifecycleAction"], "none", "grantd blocks nobody until asked");
    assert_eq!(v1.body["durationUntilExternalUserDeletedAfterBlocked"], "P30D");
    let beta = s.get(&settings(BETA), &admin).await;
    assert_eq!(beta.body["externalUserLifecycleAction"], "None");
    assert_eq!(beta.body["daysUntilExternalUserDeletedAfterBlocked"], 30);

    let body = json!({"externalUserLifecycleAction": "blockSignInAndDelete", "durationUntilExternalUserDeletedAfterBlocked": "P10D"});
    let r = s.patch(&settings(V1), &admin, &body).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let beta = s.get(&settings(BETA), &admin).await;
    assert_eq!(beta.body["externalUserLifecycleAction"], "BlockSignInAndDelete");
    assert_eq!(beta.body["daysUntilExternalUserDeletedAfterBlocked"], 10);
    let r = s
        .patch(
            &settings(BETA),
            &admin,
            &json!({"externalUserLifecycleAction": "BlockSignIn", "daysUntilExternalUserDeletedAfterBlocked": 7}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let v1 = s.get(&settings(V1), &admin).await;
    assert_eq!(v1.body["externalUserLifecycleAction"], "blockSignIn");
    assert_eq!(v1.body["durationUntilExternalUserDeletedAfterBlocked"], "P7D");

    // Refusals: an end user, an unknown action, the other version's name, a bad duration.
    assert_eq!(
        s.patch(&settings(V1), &s.end_user(7), &json!({"externalUserLifecycleAction": "none"})).await.status,
        403
    );
    assert_eq!(s.get(&settings(V1), &s.end_user(7)).await.status, 403);
    for (base, bad) in [
        (V1, json!({"externalUserLifecycleAction": "deleteAtOnce"})),
        (V1, json!({"daysUntilExternalUserDeletedAfterBlocked": 3})),
        (V1, json!({"durationUntilExternalUserDeletedAfterBlocked": "ten days"})),
        (BETA, json!({"durationUntilExternalUserDeletedAfterBlocked": "P3D"})),
        (BETA, json!({"daysUntilExternalUserDeletedAfterBlocked": -1})),
    ] {
        let r = s.patch(&settings(base), &admin, &bad).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
        r.error_code();
    }
    assert_eq!(s.get(&settings(V1), &admin).await.body["externalUserLifecycleAction"], "blockSignIn", "unchanged");
    s.stop().await;
}

/// A policy of `package` for Fabrikam's users (administrators assign), ending after `days`.
async fn partner_policy(s: &TestServer, package: AccessPackageId, org: &str, days: Option<u32>) -> PolicyId {
    let mut b = policy_body(package, "Fabrikam partners", false);
    b["allowedTargetScope"] = json!("specificConnectedOrganizationUsers");
    b["specificAllowedTargets"] =
        json!([{"@odata.type": "#microsoft.graph.connectedOrganizationMembers", "connectedOrganizationId": org}]);
    if let Some(d) = days {
        b["expiration"] = json!({"type": "afterDuration", "duration": format!("P{d}D")});
    }
    make_policy(s, &b).await
}

async fn add_by_email(s: &TestServer, package: AccessPackageId, policy: PolicyId, email: &str) -> String {
    let body = json!({"requestType": "adminAdd", "assignment": {"accessPackageId": package.to_string(),
        "assignmentPolicyId": policy.to_string(), "target": {"email": email}}});
    let r = create(s, true, &s.admin(), &body).await;
    let id = r["id"].as_str().unwrap().to_string();
    assert_eq!(wait_terminal(s, true, &id).await["state"], "delivered");
    id
}

async fn user(s: &TestServer, id: ObjectId) -> Value {
    let r = s.get(&format!("/v1.0/users/{id}"), &s.admin()).await;
    if r.status == 404 {
        return Value::Null;
    }
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
}

async fn user_by_mail(s: &TestServer, mail: &str) -> ObjectId {
    let r = s.get(&format!("/v1.0/users?$filter=mail%20eq%20'{mail}'"), &s.admin()).await;
    r.body["value"][0]["id"].as_str().unwrap().parse().unwrap()
}

/// Polls until no lifecycle job of `who` is due (at most ~10 s).
async fn lifecycle_settled(s: &TestServer, who: ObjectId) {
    for _ in 0..200 {
        let now = grantd_domain::Clock::now(&s.clock);
        let jobs = s.store.jobs_of(DEMO_TENANT, who.0).await.unwrap();
        if !jobs.iter().any(|j| j.kind == "externalUser.lifecycle" && j.run_at <= now) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the lifecycle job of {who} did not run");
}

/// Polls the user until `check` holds (at most ~10 s).
async fn wait_user(s: &TestServer, who: ObjectId, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..200 {
        let u = user(s, who).await;
        if check(&u) {
            return u;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{who}: {what} never happened: {}", user(s, who).await);
}

async fn remove(s: &TestServer, request: &str) {
    let a = s.get(&format!("{V1}/assignmentRequests/{request}?$expand=assignment"), &s.admin()).await;
    let aid = a.body["assignment"]["id"].as_str().unwrap().to_string();
    let r = create(s, true, &s.admin(), &remove_body("adminRemove", &aid)).await;
    assert_eq!(wait_terminal(s, true, r["id"].as_str().unwrap()).await["state"], "delivered");
}

#[tokio::test]
async fn an_external_user_is_blocked_then_deleted_when_their_last_assignment_ends() {
    let s = TestServer::start().await;
    let admin = s.admin();
    let org = s
        .post(
            &format!("{V1}/connectedOrganizations"),
            &admin,
            &json!({"displayName": "Fabrikam", "identitySources": [{"@odata.type": "#microsoft.graph.domainIdentitySource",
                "domainName": "fabrikam.com", "displayName": "fabrikam.com"}]}),
        )
        .await;
    assert_eq!(org.status, 201, "{}", org.text);
    let org = org.body["id"].as_str().unwrap().to_string();
    let r = s
        .patch(
            &settings(V1),
            &admin,
            &json!({"externalUserLifecycleAction": "blockSignInAndDelete", "durationUntilExternalUserDeletedAfterBlocked": "P10D"}),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    let (timed, kept) = (demo::access_package_id(2), demo::access_package_id(3));
    let five_days = partner_policy(&s, timed, &org, Some(5)).await;
    let open_ended = partner_policy(&s, kept, &org, None).await;

    // Ada gets two packages; the first removal leaves her one, so nothing happens.
    add_by_email(&s, timed, five_days, "ada@fabrikam.com").await;
    let ada = user_by_mail(&s, "ada@fabrikam.com").await;
    let second = add_by_email(&s, kept, open_ended, "ada@fabrikam.com").await;
    remove(&s, &second).await;
    lifecycle_settled(&s, ada).await;
    assert_eq!(user(&s, ada).await["accountEnabled"], true, "she still holds a package");

    // Her last assignment expires: a SystemRemove, then her sign-in is blocked.
    s.clock.advance(Duration::days(5) + Duration::minutes(1));
    wait_user(&s, ada, "blocked", |u| u["accountEnabled"] == false).await;
    // Nine days later she is still there; after the tenth, she is deleted.
    s.clock.advance(Duration::days(9));
    lifecycle_settled(&s, ada).await;
    assert_eq!(user(&s, ada).await["accountEnabled"], false);
    s.clock.advance(Duration::days(1) + Duration::minutes(1));
    wait_user(&s, ada, "deleted", Value::is_null).await;

    // blockSignIn only: Bo is blocked at his removal and never deleted.
    let r = s.patch(&settings(BETA), &admin, &json!({"externalUserLifecycleAction": "BlockSignIn"})).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let bo_request = add_by_email(&s, kept, open_ended, "bo@fabrikam.com").await;
    let bo = user_by_mail(&s, "bo@fabrikam.com").await;
    remove(&s, &bo_request).await;
    wait_user(&s, bo, "blocked", |u| u["accountEnabled"] == false).await;
    s.clock.advance(Duration::days(40));
    lifecycle_settled(&s, bo).await;
    assert_eq!(user(&s, bo).await["accountEnabled"], false, "blocked, not deleted");

    // A directory member losing their last assignment is left alone.
    let member = demo::user_id(7);
    let body = add_body("adminAdd", kept, Some(open_ended), member);
    let r = s.post(&requests(true), &admin, &body).await;
    assert_eq!(r.status, 400, "the partner policy does not admit members: {}", r.text);
    let direct = make_policy(&s, &policy_body(kept, "Direct", false)).await;
    let r = create(&s, true, &admin, &add_body("adminAdd", kept, Some(direct), member)).await;
    let id = r["id"].as_str().unwrap().to_string();
    assert_eq!(wait_terminal(&s, true, &id).await["state"], "delivered");
    remove(&s, &id).await;
    lifecycle_settled(&s, member).await;
    assert_eq!(user(&s, member).await["accountEnabled"], true);
    assert!(s.store.jobs_of(DEMO_TENANT, member.0).await.unwrap().iter().all(|j| j.kind != "externalUser.lifecycle"));
    s.stop().await;
}

#[tokio::test]
async fn with_the_default_setting_nobody_is_blocked() {
    let s = TestServer::start().await;
    let admin = s.admin();
    let org = s
        .post(
            &format!("{BETA}/connectedOrganizations"),
            &admin,
            &json!({"displayName": "Fabrikam", "identitySources": [{"@odata.type": "#microsoft.graph.domainIdentitySource",
                "domainName": "fabrikam.com", "displayName": "fabrikam.com"}]}),
        )
        .await;
    let org = org.body["id"].as_str().unwrap().to_string();
    let package = demo::access_package_id(3);
    let policy = partner_policy(&s, package, &org, None).await;
    let id = add_by_email(&s, package, policy, "cy@fabrikam.com").await;
    let cy = user_by_mail(&s, "cy@fabrikam.com").await;
    remove(&s, &id).await;
    lifecycle_settled(&s, cy).await;
    assert_eq!(user(&s, cy).await["accountEnabled"], true);
    s.stop().await;
}
