//! The request lifecycle through the API: a table of every state a request can be in against
//! every bound action (cancel, reprocess, resume, delete) with the allowed ones answered 200,
//! 202, 204, 204 and the refused ones 409 with their codes; approval parking, scheduled starts,
//! callouts and resume, removal of access, and the 14-day reprocess window (moved with the
//! server's clock). On v1.0 and beta.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;
mod request_support;

use common::TestServer;
use grantd::demo;
use grantd_domain::ObjectId;
use request_support::*;

trait Now {
    fn clock_now(&self) -> chrono::DateTime<chrono::Utc>;
}
impl Now for TestServer {
    fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        use grantd_domain::Clock;
        self.clock.now()
    }
}
use serde_json::{json, Value};

const RESUME: &str = include_str!("golden/v1-resume-assignmentrequest.request.json");
const RESUME_DENY: &str = include_str!("golden/beta-resume-accesspackageassignmentrequest-deny.request.json");

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

/// A user's own UserAdd on Sales Tools (manager approval): parks in pendingApproval.
async fn pending(s: &TestServer, v1: bool, user: u16) -> String {
    let mut b = add_body("userAdd", demo::access_package_id(1), Some(demo::policy_id(12)), demo::user_id(user));
    b["justification"] = json!("I sell things");
    let r = create(s, v1, &s.end_user(user), &b).await;
    let id = id_of(&r);
    wait_state(s, v1, &id, if v1 { "pendingApproval" } else { "PendingApproval" }).await;
    id
}

async fn admin_add(
    s: &TestServer,
    v1: bool,
    package: u16,
    policy: grantd_domain::PolicyId,
    target: ObjectId,
) -> String {
    let b = add_body("adminAdd", demo::access_package_id(package), Some(policy), target);
    id_of(&create(s, v1, &s.admin(), &b).await)
}

async fn waiting(s: &TestServer, v1: bool, policy: grantd_domain::PolicyId, target: u16) -> String {
    let id = admin_add(s, v1, 2, policy, demo::user_id(target)).await;
    wait_status(s, v1, &id, "WaitingForCallback").await;
    id
}

async fn check(s: &TestServer, v1: bool, id: &str, act: &str, want: u16, code: Option<&str>) {
    let t = s.admin();
    let r = if act == "delete" {
        s.delete(&format!("{}/{id}", requests(v1)), &t).await
    } else if act == "resume" {
        let mut body: Value = serde_json::from_str(RESUME).unwrap();
        if let Some(i) = callout_instance(s, v1, id).await {
            body["data"]["customExtensionStageInstanceId"] = json!(i);
        }
        s.post(&format!("{}/{id}/resume", requests(v1)), &t, &body).await
    } else {
        action(s, v1, id, act, &t).await
    };
    assert_eq!(r.status.as_u16(), want, "{act} on {id}: {}", r.text);
    if let Some(c) = code {
        assert_eq!(r.error_code(), c, "{act}");
    } else {
        assert!(r.text.is_empty(), "{act} answers with no body: {}", r.text);
    }
}

async fn transition_table(v1: bool) {
    let s = TestServer::start().await;
    let t = s.admin();
    // Finance Reports cannot be delivered once its group is gone.
    let gone = s.delete(&format!("/v1.0/groups/{}", demo::group_id(3)), &t).await;
    assert_eq!(gone.status, 204, "{}", gone.text);
    let callout = callout_policy(&s, demo::access_package_id(2)).await;

    let pending_id = pending(&s, v1, 5).await;
    let waiting_id = waiting(&s, v1, callout, 10).await;
    let waiting_2 = waiting(&s, v1, callout, 11).await;
    let start = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    let mut b = add_body("adminAdd", demo::access_package_id(1), Some(demo::policy_id(11)), demo::user_id(6));
    b["schedule"] = json!({"startDateTime": start});
    let scheduled_id = id_of(&create(&s, v1, &t, &b).await);
    wait_status(&s, v1, &scheduled_id, "PendingNotBefore").await;
    let delivered_id = admin_add(&s, v1, 2, demo::policy_id(21), demo::user_id(12)).await;
    wait_terminal(&s, v1, &delivered_id).await;
    let failed_id = admin_add(&s, v1, 3, demo::policy_id(31), demo::user_id(7)).await;
    let failed_2 = admin_add(&s, v1, 3, demo::policy_id(31), demo::user_id(8)).await;
    for id in [&failed_id, &failed_2] {
        let done = wait_terminal(&s, v1, id).await;
        assert_eq!(state_of(&done).to_lowercase(), "deliveryfailed", "{done}");
    }
    let canceled_id = pending(&s, v1, 9).await;
    check(&s, v1, &canceled_id, "cancel", 200, None).await;
    let denied_id = waiting(&s, v1, callout, 3).await;
    let mut deny: Value = serde_json::from_str(RESUME_DENY).unwrap();
    deny["data"]["customExtensionStageInstanceId"] = json!(callout_instance(&s, v1, &denied_id).await.unwrap());
    let r = s.post(&format!("{}/{denied_id}/resume", requests(v1)), &t, &deny).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(state_of(&wait_terminal(&s, v1, &denied_id).await).to_lowercase(), "denied");

    const NC: Option<&str> = Some("RequestNotCancelable");
    const NR: Option<&str> = Some("RequestNotReprocessable");
    const NW: Option<&str> = Some("RequestNotWaitingForCallback");
    const ND: Option<&str> = Some("RequestNotDeletable");
    const HA: Option<&str> = Some("RequestHasActiveAssignment");
    // Refused first (they change nothing), then the allowed ones.
    #[rustfmt::skip]
    let table: Vec<(&str, &str, u16, Option<&str>)> = vec![
        (&pending_id, "reprocess", 409, NR), (&pending_id, "resume", 409, NW), (&pending_id, "delete", 409, ND),
        (&pending_id, "cancel", 200, None),
        (&waiting_id, "reprocess", 409, NR), (&waiting_id, "delete", 409, ND),
        (&waiting_id, "cancel", 200, None), (&waiting_2, "resume", 204, None),
        (&scheduled_id, "reprocess", 409, NR), (&scheduled_id, "resume", 409, NW), (&scheduled_id, "delete", 409, ND),
        (&scheduled_id, "cancel", 200, None),
        (&delivered_id, "cancel", 409, NC), (&delivered_id, "reprocess", 409, NR), (&delivered_id, "resume", 409, NW),
        (&delivered_id, "delete", 409, HA),
        (&failed_id, "cancel", 409, NC), (&failed_id, "resume", 409, NW),
        (&failed_id, "reprocess", 202, None), (&failed_2, "delete", 204, None),
        (&canceled_id, "cancel", 409, NC), (&canceled_id, "reprocess", 409, NR), (&canceled_id, "resume", 409, NW),
        (&canceled_id, "delete", 204, None),
        (&denied_id, "cancel", 409, NC), (&denied_id, "reprocess", 409, NR), (&denied_id, "resume", 409, NW),
        (&denied_id, "delete", 204, None),
    ];
    for (id, act, want, code) in table {
        check(&s, v1, id, act, want, code).await;
    }
    // What the allowed actions led to.
    for id in [&pending_id, &waiting_id, &scheduled_id] {
        let r = s.get(&format!("{}/{id}", requests(v1)), &t).await;
        assert_eq!(state_of(&r.body).to_lowercase(), "canceled", "{}", r.text);
        let completed = if v1 { &r.body["completedDateTime"] } else { &r.body["completedDate"] };
        assert!(completed.is_string(), "{}", r.text);
    }
    let resumed = wait_terminal(&s, v1, &waiting_2).await;
    assert_eq!(state_of(&resumed).to_lowercase(), "delivered", "{resumed}");
    assert!(is_member(&s, demo::group_id(2), demo::user_id(11)).await);
    let again = wait_terminal(&s, v1, &failed_id).await;
    assert_eq!(state_of(&again).to_lowercase(), "deliveryfailed", "{again}");
    for id in [&failed_2, &canceled_id, &denied_id] {
        assert_eq!(s.get(&format!("{}/{id}", requests(v1)), &t).await.status, 404);
    }
    // Past the 14-day window a failed request is no longer reprocessed.
    s.clock.advance(chrono::Duration::days(15));
    check(&s, v1, &failed_id, "reprocess", 409, Some("ReprocessWindowExpired")).await;
    s.stop().await;
}

#[tokio::test]
async fn every_state_against_every_action_on_v1() {
    transition_table(true).await;
}

#[tokio::test]
async fn every_state_against_every_action_on_beta() {
    transition_table(false).await;
}

#[tokio::test]
async fn a_scheduled_request_is_delivered_when_the_clock_reaches_its_start() {
    let s = TestServer::start().await;
    let start = (s.clock_now() + chrono::Duration::days(2)).to_rfc3339();
    let mut b = add_body("adminAdd", demo::access_package_id(2), Some(demo::policy_id(21)), demo::user_id(4));
    b["schedule"] = json!({"startDateTime": start, "expiration": {"type": "afterDuration", "duration": "P30D"}});
    let id = id_of(&create(&s, true, &s.admin(), &b).await);
    let r = wait_status(&s, true, &id, "PendingNotBefore").await;
    assert_eq!(r["state"], "scheduled");
    assert!(!is_member(&s, demo::group_id(2), demo::user_id(4)).await);
    s.clock.advance(chrono::Duration::days(3));
    let done = wait_terminal(&s, true, &id).await;
    assert_eq!(done["state"], "delivered", "{done}");
    assert!(is_member(&s, demo::group_id(2), demo::user_id(4)).await);
    let a = assignments_of(&s, demo::access_package_id(2), demo::user_id(4)).await;
    assert_eq!(a.len(), 1);
    assert_eq!(a[0]["schedule"]["expiration"]["type"], "afterDateTime", "{}", a[0]);
    s.stop().await;
}

#[tokio::test]
async fn admin_remove_takes_the_membership_away_unless_another_assignment_grants_it() {
    let s = TestServer::start().await;
    let t = s.admin();
    let user = demo::user_id(12);
    // Two packages granting the same group: Engineering Onboarding and a copy bound to group 2.
    let first = admin_grant(&s, 2, user).await;
    assert!(is_member(&s, demo::group_id(2), user).await);
    let removal = create(&s, true, &t, &remove_body("adminRemove", &first)).await;
    assert_eq!(removal["requestType"], "adminRemove");
    let done = wait_terminal(&s, true, removal["id"].as_str().unwrap()).await;
    assert_eq!(done["state"], "delivered", "{done}");
    assert!(!is_member(&s, demo::group_id(2), user).await);
    let a = s.get(&format!("{}/{first}", assignments(true)), &t).await;
    assert_eq!(a.body["state"], "expired", "{}", a.text);
    assert!(a.body["expiredDateTime"].is_string());
    // A removal of an assignment that is over is refused.
    let again = s.post(&requests(true), &t, &remove_body("adminRemove", &first)).await;
    assert_eq!(again.status, 409, "{}", again.text);
    assert_eq!(again.error_code(), "AssignmentNotActive");
    // Access again, through the self-service policy, then removed by the user themselves.
    let mine = create(&s, true, &s.end_user(12), &add_body("userAdd", demo::access_package_id(2), None, user)).await;
    assert_eq!(wait_terminal(&s, true, mine["id"].as_str().unwrap()).await["state"], "delivered");
    assert!(is_member(&s, demo::group_id(2), user).await);
    let active = assignments_of(&s, demo::access_package_id(2), user).await;
    let live: Vec<&Value> = active.iter().filter(|a| a["state"] == "delivered").collect();
    assert_eq!(live.len(), 1, "{active:?}");
    let own = create(&s, true, &s.end_user(12), &remove_body("userRemove", live[0]["id"].as_str().unwrap())).await;
    assert_eq!(wait_terminal(&s, true, own["id"].as_str().unwrap()).await["state"], "delivered");
    assert!(!is_member(&s, demo::group_id(2), user).await);
    s.stop().await;
}

#[tokio::test]
async fn a_shared_group_membership_stays_while_another_assignment_grants_it() {
    let s = TestServer::start().await;
    let t = s.admin();
    let user = demo::user_id(11);
    // Sales Tools grants group 1; bind group 1 to Engineering Onboarding's catalog? Simpler: two
    // assignments of different packages that share a group come from a second package granting
    // group 2 in catalog 1 (where group 2 is a resource).
    let pkg = s
        .post(
            &format!("{}/accessPackages", common::V1),
            &t,
            &json!({"displayName": "Engineering too", "catalog": {"id": demo::catalog_id(1).to_string()}}),
        )
        .await;
    assert_eq!(pkg.status, 201, "{}", pkg.text);
    let pkg_id = pkg.body["id"].as_str().unwrap().to_string();
    let scopes = s
        .get(
            &format!(
                "{}/accessPackages/{}?$expand=resourceRoleScopes($expand=role,scope)",
                common::V1,
                demo::access_package_id(2)
            ),
            &t,
        )
        .await;
    assert_eq!(scopes.status, 200, "{}", scopes.text);
    let rs = &scopes.body["resourceRoleScopes"][0];
    let bind = s
        .post(
            &format!("{}/accessPackages/{pkg_id}/resourceRoleScopes", common::V1),
            &t,
            &json!({"role": {"id": rs["role"]["id"], "originId": rs["role"]["originId"], "originSystem": "AadGroup",
                      "resource": {"id": rs["role"]["resource"]["id"]}},
                    "scope": {"id": rs["scope"]["id"], "originId": rs["scope"]["originId"], "originSystem": "AadGroup"}}),
        )
        .await;
    assert_eq!(bind.status, 201, "{}", bind.text);
    let policy = make_policy(&s, &policy_body(pkg_id.parse().unwrap(), "Direct", false)).await;
    let first = admin_grant(&s, 2, user).await;
    let second = create(&s, true, &t, &add_body("adminAdd", pkg_id.parse().unwrap(), Some(policy), user)).await;
    assert_eq!(wait_terminal(&s, true, second["id"].as_str().unwrap()).await["state"], "delivered");
    let removal = create(&s, true, &t, &remove_body("adminRemove", &first)).await;
    assert_eq!(wait_terminal(&s, true, removal["id"].as_str().unwrap()).await["state"], "delivered");
    assert!(is_member(&s, demo::group_id(2), user).await, "the other assignment still grants group 2");
    s.stop().await;
}
