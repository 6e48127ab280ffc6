#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Delivery to real external targets: a SCIM 2.0 service provider and a signed webhook receiver
//! (both real HTTP servers in this process), one package granting a group at each. Grant,
//! revoke, partial failure, transient failure then success, permanent failure, the attempt
//! limit, reprocess after the target recovers, and the watchdog.
mod common;
mod delivery_support;
mod request_support;

use common::{TestServer, BETA, V1};
use delivery_support::*;
use grantd::demo::{self, DEMO_TENANT};
use grantd_domain::{AccessPackageId, PolicyId};
use request_support::*;
use serde_json::{json, Value};

struct World {
    s: TestServer,
    scim: Scim,
    hook: Webhook,
    package: AccessPackageId,
    policy: PolicyId,
}

/// A server with both connectors, and a new package granting SCIM group `grp-eng` ("Eng
/// Wiki") and webhook resource `cost-center-7` ("Cost center"), with a direct policy.
async fn world(max_attempts: u32) -> World {
    let scim = Scim::start(&["grp-eng"]).await;
    let hook = Webhook::start().await;
    let cs = connectors(&scim, &hook);
    let s = TestServer::start_with(|c| {
        c.connectors = cs;
        c.delivery.max_attempts = max_attempts;
        c.delivery.watchdog_secs = 600;
    })
    .await;
    let body =
        json!({"displayName": "External apps", "description": "d", "catalog": {"id": demo::catalog_id(1).to_string()}});
    let r = s.post(&format!("{V1}/accessPackages"), &s.admin(), &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let package: AccessPackageId = r.body["id"].as_str().unwrap().parse().unwrap();
    let policy = make_policy(&s, &policy_body(package, "Direct", false)).await;
    add_external_resource(&s.store, package, "TestScim", "grp-eng", "Eng Wiki").await;
    add_external_resource(&s.store, package, "TestHook", "cost-center-7", "Cost center").await;
    World { s, scim, hook, package, policy }
}

const TARGET: u16 = 9;

async fn upn(s: &TestServer) -> String {
    s.store.get_user(DEMO_TENANT, demo::user_id(TARGET)).await.unwrap().unwrap().user_principal_name
}

async fn add(w: &World) -> String {
    let body = add_body("adminAdd", w.package, Some(w.policy), demo::user_id(TARGET));
    create(&w.s, true, &w.s.admin(), &body).await["id"].as_str().unwrap().to_string()
}

async fn assignment_of(s: &TestServer, request: &str) -> Value {
    let r = s.get(&format!("{V1}/assignmentRequests/{request}?$expand=assignment"), &s.admin()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["assignment"].clone()
}

/// The beta history's last entry detail.
async fn last_detail(s: &TestServer, request: &str) -> String {
    let r = s.get(&format!("{BETA}/assignmentRequests/{request}"), &s.admin()).await;
    r.body["history"].as_array().unwrap().last().unwrap()["detail"].as_str().unwrap().to_string()
}

fn hook_calls(w: &World) -> usize {
    w.hook.state.lock().unwrap().calls.len()
}

#[tokio::test]
async fn grants_and_revokes_reach_the_scim_and_webhook_targets() {
    let w = world(8).await;
    let upn = upn(&w.s).await;
    let id = add(&w).await;
    let done = wait_terminal(&w.s, true, &id).await;
    assert_eq!(done["state"], "delivered", "{done}");
    assert_eq!(w.scim.members("grp-eng"), vec![upn.clone()]);
    assert!(w.hook.granted(&upn, "cost-center-7"));
    let a = assignment_of(&w.s, &id).await;
    assert_eq!(a["state"], "delivered");
    // Revoke at every target.
    let rm = create(&w.s, true, &w.s.admin(), &remove_body("adminRemove", a["id"].as_str().unwrap())).await;
    let done = wait_terminal(&w.s, true, rm["id"].as_str().unwrap()).await;
    assert_eq!(done["state"], "delivered", "{done}");
    assert!(w.scim.members("grp-eng").is_empty());
    assert!(!w.hook.granted(&upn, "cost-center-7"));
    let a = w.s.get(&format!("{V1}/assignments/{}", a["id"].as_str().unwrap()), &w.s.admin()).await;
    assert_eq!(a.body["state"], "expired", "{}", a.text);
    w.scim.assert_clean();
    assert_eq!(w.hook.state.lock().unwrap().bad_signatures, 0);
    {
        let st = w.scim.state.lock().unwrap();
        assert_eq!(st.user_creates, 1, "the user is created once: {:?}", st.log);
    }
    w.s.stop().await;
}

#[tokio::test]
async fn a_permanent_failure_at_one_target_is_partial_and_reprocess_retries_only_it() {
    let w = world(8).await;
    let upn = upn(&w.s).await;
    w.scim.reject("grp-eng", true);
    let id = add(&w).await;
    let done = wait_terminal(&w.s, true, &id).await;
    assert_eq!(done["state"], "partiallyDelivered", "{done}");
    let detail = last_detail(&w.s, &id).await;
    assert!(detail.contains("Eng Wiki (TestScim)") && detail.contains("not allowed in this group"), "{detail}");
    let a = assignment_of(&w.s, &id).await;
    assert_eq!(a["state"], "partiallyDelivered");
    assert!(a["status"].as_str().unwrap().contains("Eng Wiki"), "{a}");
    assert!(w.hook.granted(&upn, "cost-center-7"));
    assert_eq!(hook_calls(&w), 1);
    // The target recovers; reprocess retries only the SCIM grant.
    w.scim.reject("grp-eng", false);
    let r = action(&w.s, true, &id, "reprocess", &w.s.admin()).await;
    assert_eq!(r.status, 202, "{}", r.text);
    let done = wait_terminal(&w.s, true, &id).await;
    assert_eq!(done["state"], "delivered", "{done}");
    assert_eq!(w.scim.members("grp-eng"), vec![upn]);
    assert_eq!(hook_calls(&w), 1, "the webhook grant that succeeded is not sent again");
    assert_eq!(assignment_of(&w.s, &id).await["state"], "delivered");
    w.scim.assert_clean();
    w.s.stop().await;
}

#[tokio::test]
async fn transient_failures_are_retried_with_backoff_until_the_target_recovers() {
    let w = world(8).await;
    let upn = upn(&w.s).await;
    w.scim.set_mode(Mode::Down(503));
    w.hook.set_mode(Mode::Down(429));
    let id = add(&w).await;
    // Both targets are tried and fail; the request stays in Delivering with the error kept.
    eventually("both targets tried", || {
        let s = w.scim.state.lock().unwrap().log.len();
        s >= 1
    })
    .await;
    let items = wait_items(&w.s, &id, |i| i.iter().all(|i| i.error.is_some())).await;
    assert!(items.iter().any(|i| i.error.as_deref().unwrap().contains("503")), "{items:?}");
    assert_eq!(state_of(&w.s.get(&format!("{V1}/assignmentRequests/{id}"), &w.s.admin()).await.body), "delivering");
    // Still down after a retry or two.
    w.s.clock.advance(chrono::Duration::seconds(10));
    wait_items(&w.s, &id, |i| i.iter().all(|i| i.attempts >= 2)).await;
    // Recovery: the next retry (backoff moved by the clock) delivers.
    w.scim.set_mode(Mode::Healthy);
    w.hook.set_mode(Mode::Healthy);
    w.s.clock.advance(chrono::Duration::minutes(5));
    let done = wait_terminal(&w.s, true, &id).await;
    assert_eq!(done["state"], "delivered", "{done}");
    assert_eq!(w.scim.members("grp-eng"), vec![upn.clone()]);
    assert!(w.hook.granted(&upn, "cost-center-7"));
    w.scim.assert_clean();
    w.s.stop().await;
}

#[tokio::test]
async fn every_target_refusing_is_delivery_failed_and_assignment_reprocess_recovers() {
    let w = world(8).await;
    let upn = upn(&w.s).await;
    w.scim.reject("grp-eng", true);
    w.hook.state.lock().unwrap().rejecting.insert("cost-center-7".into());
    let id = add(&w).await;
    let done = wait_terminal(&w.s, true, &id).await;
    assert_eq!(done["state"], "deliveryFailed", "{done}");
    let detail = last_detail(&w.s, &id).await;
    assert!(detail.contains("unknown cost center"), "the webhook's message is kept: {detail}");
    let a = assignment_of(&w.s, &id).await;
    assert_eq!(a["state"], "deliveryFailed");
    w.scim.reject("grp-eng", false);
    w.hook.state.lock().unwrap().rejecting.clear();
    let r =
        w.s.call(
            reqwest::Method::POST,
            &format!("{V1}/assignments/{}/reprocess", a["id"].as_str().unwrap()),
            Some(&w.s.admin()),
            None,
        )
        .await;
    assert_eq!(r.status, 202, "{}", r.text);
    let done = wait_state(&w.s, true, &id, "delivered").await;
    assert_eq!(done["state"], "delivered");
    assert_eq!(w.scim.members("grp-eng"), vec![upn.clone()]);
    assert!(w.hook.granted(&upn, "cost-center-7"));
    w.s.stop().await;
}

#[tokio::test]
async fn transient_failures_past_the_attempt_limit_fail_for_good() {
    let w = world(2).await;
    w.scim.set_mode(Mode::Down(500));
    let id = add(&w).await;
    wait_items(&w.s, &id, |i| i.iter().any(|i| i.error.is_some() && i.origin_system == "TestScim")).await;
    for _ in 0..20 {
        w.s.clock.advance(chrono::Duration::minutes(10));
        let r = w.s.get(&format!("{V1}/assignmentRequests/{id}"), &w.s.admin()).await;
        if state_of(&r.body) != "delivering" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let done = wait_terminal(&w.s, true, &id).await;
    assert_eq!(done["state"], "partiallyDelivered", "the webhook grant succeeded: {done}");
    let detail = last_detail(&w.s, &id).await;
    assert!(detail.contains("gave up after 2 attempts") && detail.contains("500"), "{detail}");
    w.s.stop().await;
}

#[tokio::test]
async fn the_watchdog_requeues_delivery_work_that_was_lost() {
    let w = world(8).await;
    let upn = upn(&w.s).await;
    w.scim.set_mode(Mode::Down(503));
    let id = add(&w).await;
    let items = wait_items(&w.s, &id, |i| i.iter().any(|i| i.error.is_some())).await;
    // The SCIM item's job is lost (parked dead, as after a runner that kept crashing).
    let scim_item = items.iter().find(|i| i.origin_system == "TestScim").unwrap();
    let jobs = w.s.store.jobs_of(DEMO_TENANT, scim_item.id).await.unwrap();
    assert_eq!(jobs.len(), 1);
    w.s.store.fail_job(DEMO_TENANT, jobs[0].id, "lost", None).await.unwrap();
    w.scim.set_mode(Mode::Healthy);
    w.s.clock.advance(chrono::Duration::minutes(5));
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let r = w.s.get(&format!("{V1}/assignmentRequests/{id}"), &w.s.admin()).await;
    assert_eq!(state_of(&r.body), "delivering", "nothing runs the lost work before the watchdog");
    // Past the watchdog bound: the work is queued again and the request completes.
    w.s.clock.advance(chrono::Duration::minutes(6));
    let done = wait_terminal(&w.s, true, &id).await;
    assert_eq!(done["state"], "delivered", "{done}");
    assert_eq!(w.scim.members("grp-eng"), vec![upn]);
    w.s.stop().await;
}

/// Polls the request's delivery items until `f` holds (at most ~10 s).
async fn wait_items(
    s: &TestServer,
    id: &str,
    f: impl Fn(&[grantd_domain::delivery::DeliveryItem]) -> bool,
) -> Vec<grantd_domain::delivery::DeliveryItem> {
    let rid = grantd_domain::AssignmentRequestId(id.parse().unwrap());
    for _ in 0..200 {
        let items = s.store.delivery_items_of(DEMO_TENANT, rid).await.unwrap();
        if !items.is_empty() && f(&items) {
            return items;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("delivery items of {id} never matched");
}
