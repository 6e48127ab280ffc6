#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Clock-driven delivery lifecycle against real targets (a SCIM service provider and a webhook
//! receiver in this process): a scheduled start delivers at the start, an assignment's end
//! creates a SystemRemove request that revokes at every target, and an extension moves the end.
mod common;
mod delivery_support;
mod request_support;

use chrono::{DateTime, Duration, Utc};
use common::{TestServer, V1};
use delivery_support::*;
use grantd::demo::{self, DEMO_TENANT};
use grantd_domain::request::RequestType;
use grantd_domain::{AccessPackageId, AssignmentId, PolicyId};
use request_support::*;
use serde_json::{json, Value};

struct World {
    s: TestServer,
    scim: Scim,
    hook: Webhook,
    package: AccessPackageId,
    /// Direct (admins), ends after 30 days.
    direct: PolicyId,
    /// Self-service (add, update/extend, remove), ends after 30 days.
    selfservice: PolicyId,
}

async fn world() -> World {
    let scim = Scim::start(&["grp-eng"]).await;
    let hook = Webhook::start().await;
    let cs = connectors(&scim, &hook);
    let s = TestServer::start_with(|c| c.connectors = cs).await;
    let body =
        json!({"displayName": "Timed apps", "description": "d", "catalog": {"id": demo::catalog_id(1).to_string()}});
    let r = s.post(&format!("{V1}/accessPackages"), &s.admin(), &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let package: AccessPackageId = r.body["id"].as_str().unwrap().parse().unwrap();
    let thirty_days = json!({"type": "afterDuration", "duration": "P30D"});
    let mut b = policy_body(package, "Direct, 30 days", false);
    b["expiration"] = thirty_days.clone();
    let direct = make_policy(&s, &b).await;
    let mut b = policy_body(package, "Self-service, 30 days", true);
    b["expiration"] = thirty_days;
    let selfservice = make_policy(&s, &b).await;
    add_external_resource(&s.store, package, "TestScim", "grp-eng", "Eng Wiki").await;
    add_external_resource(&s.store, package, "TestHook", "cost-center-7", "Cost center").await;
    World { s, scim, hook, package, direct, selfservice }
}

const TARGET: u16 = 9;

async fn target_upn(s: &TestServer) -> String {
    s.store.get_user(DEMO_TENANT, demo::user_id(TARGET)).await.unwrap().unwrap().user_principal_name
}

async fn assignment(s: &TestServer, request: &str) -> Value {
    let r = s.get(&format!("{V1}/assignmentRequests/{request}?$expand=assignment"), &s.admin()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["assignment"].clone()
}

fn end_of(a: &Value) -> DateTime<Utc> {
    let end = a["schedule"]["expiration"]["endDateTime"].as_str().unwrap_or_else(|| panic!("no end in {a}"));
    DateTime::parse_from_rfc3339(end).unwrap().with_timezone(&Utc)
}

/// The SystemRemove requests of an assignment.
async fn system_removes(s: &TestServer, a: &str) -> Vec<String> {
    let id = AssignmentId(a.parse().unwrap());
    s.store
        .requests_of_assignment(DEMO_TENANT, id)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.request_type == RequestType::SystemRemove)
        .map(|r| r.id.to_string())
        .collect()
}

#[tokio::test]
async fn a_scheduled_start_keeps_the_request_scheduled_and_delivers_at_the_start() {
    let w = world().await;
    let upn = target_upn(&w.s).await;
    let at =
        (grantd_domain::Clock::now(&w.s.clock) + Duration::days(2)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let start = DateTime::parse_from_rfc3339(&at).unwrap().with_timezone(&Utc);
    let mut body = add_body("adminAdd", w.package, Some(w.direct), demo::user_id(TARGET));
    body["schedule"] = json!({"startDateTime": at});
    let id = create(&w.s, true, &w.s.admin(), &body).await["id"].as_str().unwrap().to_string();
    wait_state(&w.s, true, &id, "scheduled").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(w.scim.members("grp-eng").is_empty(), "nothing is granted before the start");
    assert!(!w.hook.granted(&upn, "cost-center-7"));
    w.s.clock.advance(Duration::days(1));
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert_eq!(state_of(&w.s.get(&format!("{V1}/assignmentRequests/{id}"), &w.s.admin()).await.body), "scheduled");
    w.s.clock.advance(Duration::days(1) + Duration::minutes(1));
    let done = wait_terminal(&w.s, true, &id).await;
    assert_eq!(done["state"], "delivered", "{done}");
    assert_eq!(w.scim.members("grp-eng"), vec![upn.clone()]);
    assert!(w.hook.granted(&upn, "cost-center-7"));
    let a = assignment(&w.s, &id).await;
    assert_eq!(end_of(&a), start + Duration::days(30), "the policy's 30 days count from the start: {a}");
    w.s.stop().await;
}

#[tokio::test]
async fn expiry_creates_a_system_remove_request_that_revokes_at_every_target() {
    let w = world().await;
    let upn = target_upn(&w.s).await;
    let body = add_body("adminAdd", w.package, Some(w.direct), demo::user_id(TARGET));
    let id = create(&w.s, true, &w.s.admin(), &body).await["id"].as_str().unwrap().to_string();
    assert_eq!(wait_terminal(&w.s, true, &id).await["state"], "delivered");
    let a = assignment(&w.s, &id).await;
    let aid = a["id"].as_str().unwrap().to_string();
    assert_eq!(w.scim.members("grp-eng"), vec![upn.clone()]);
    // A day before the end: nothing happens.
    w.s.clock.advance(Duration::days(29));
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert!(system_removes(&w.s, &aid).await.is_empty());
    // At the end: a SystemRemove request, delivered at every target.
    w.s.clock.advance(Duration::days(1) + Duration::minutes(1));
    let mut removes = Vec::new();
    for _ in 0..100 {
        removes = system_removes(&w.s, &aid).await;
        if !removes.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(removes.len(), 1, "one SystemRemove request");
    let done = wait_terminal(&w.s, true, &removes[0]).await;
    assert_eq!(done["state"], "delivered", "{done}");
    assert_eq!(done["requestType"], "systemRemove");
    assert!(w.scim.members("grp-eng").is_empty());
    assert!(!w.hook.granted(&upn, "cost-center-7"));
    let a = w.s.get(&format!("{V1}/assignments/{aid}"), &w.s.admin()).await;
    assert_eq!(a.body["state"], "expired", "{}", a.text);
    w.scim.assert_clean();
    w.s.stop().await;
}

#[tokio::test]
async fn an_extension_moves_the_expiry_and_the_old_end_passes_without_removal() {
    let w = world().await;
    let upn = target_upn(&w.s).await;
    let me = w.s.end_user(TARGET);
    let t0 = grantd_domain::Clock::now(&w.s.clock);
    let body = add_body("userAdd", w.package, Some(w.selfservice), demo::user_id(TARGET));
    let id = create(&w.s, true, &me, &body).await["id"].as_str().unwrap().to_string();
    assert_eq!(wait_terminal(&w.s, true, &id).await["state"], "delivered");
    let a = assignment(&w.s, &id).await;
    let aid = a["id"].as_str().unwrap().to_string();
    let first_end = end_of(&a);
    assert!((first_end - (t0 + Duration::days(30))).num_seconds().abs() < 60, "{a}");
    // Twenty days on, the target extends: the end moves to thirty days from now.
    w.s.clock.advance(Duration::days(20));
    let ext = json!({"requestType": "userExtend", "assignment": {"id": aid}});
    let ext_id = create(&w.s, true, &me, &ext).await["id"].as_str().unwrap().to_string();
    assert_eq!(wait_terminal(&w.s, true, &ext_id).await["state"], "delivered");
    let a = w.s.get(&format!("{V1}/assignments/{aid}"), &w.s.admin()).await.body;
    let new_end = end_of(&a);
    assert!((new_end - (t0 + Duration::days(50))).num_seconds().abs() < 120, "moved end {new_end}: {a}");
    // The old end passes: still delivered, no removal.
    w.s.clock.advance(Duration::days(11));
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(system_removes(&w.s, &aid).await.is_empty(), "the old expiry job does nothing");
    let a = w.s.get(&format!("{V1}/assignments/{aid}"), &w.s.admin()).await.body;
    assert_eq!(a["state"], "delivered");
    assert_eq!(w.scim.members("grp-eng"), vec![upn.clone()]);
    // The new end: removed everywhere.
    w.s.clock.advance(Duration::days(20));
    let mut removes = Vec::new();
    for _ in 0..100 {
        removes = system_removes(&w.s, &aid).await;
        if !removes.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(removes.len(), 1);
    assert_eq!(wait_terminal(&w.s, true, &removes[0]).await["state"], "delivered");
    assert!(w.scim.members("grp-eng").is_empty());
    assert!(!w.hook.granted(&upn, "cost-center-7"));
    w.s.stop().await;
}
