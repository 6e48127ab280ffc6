#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Clock-driven delivery lifecycle against real targets (a SCIM service provider and a webhook
//! receiver in this process): a scheduled start delivers at the start, an assignment's end
//! creates a SystemRemove request that revokes at every target, an extension moves the end,
//! and the target is mailed 14 days and 1 day before the end (a real SMTP sink).
mod common;
mod delivery_support;
mod mail_support;
mod request_support;

use chrono::{DateTime, Duration, Utc};
use common::{TestServer, V1};
use delivery_support::*;
use grantd::config::SmtpUrl;
use grantd::demo::{self, DEMO_TENANT};
use grantd_domain::request::RequestType;
use grantd_domain::{AccessPackageId, AssignmentId, PolicyId};
use mail_support::MailSink;
use request_support::*;
use serde_json::{json, Value};

struct World {
    s: TestServer,
    scim: Scim,
    hook: Webhook,
    mail: MailSink,
    package: AccessPackageId,
    /// Direct (admins), ends after 30 days.
    direct: PolicyId,
    /// Self-service (add, update/extend, remove), ends after 30 days.
    selfservice: PolicyId,
}

async fn world() -> World {
    let scim = Scim::start(&["grp-eng"]).await;
    let hook = Webhook::start().await;
    let mail = MailSink::start().await;
    let cs = connectors(&scim, &hook);
    let smtp = mail.url();
    let s = TestServer::start_with(|c| {
        c.connectors = cs;
        c.smtp_url = SmtpUrl(smtp);
    })
    .await;
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
    World { s, scim, hook, mail, package, direct, selfservice }
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

/// The SystemRemove requests of an assignment once there is one (polled, at most ~5 s).
async fn wait_system_removes(s: &TestServer, a: &str) -> Vec<String> {
    let mut removes = Vec::new();
    for _ in 0..100 {
        removes = system_removes(s, a).await;
        if !removes.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    removes
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
    let removes = wait_system_removes(&w.s, &aid).await;
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
    let removes = wait_system_removes(&w.s, &aid).await;
    assert_eq!(removes.len(), 1);
    assert_eq!(wait_terminal(&w.s, true, &removes[0]).await["state"], "delivered");
    assert!(w.scim.members("grp-eng").is_empty());
    assert!(!w.hook.granted(&upn, "cost-center-7"));
    w.s.stop().await;
}

const LYNNE: &str = "lynne@contoso.example";

/// The expiry mails the target has received so far, by their subject's ending.
fn expiry_mails(w: &World) -> Vec<String> {
    w.mail
        .mails()
        .into_iter()
        .filter(|m| m.subject().contains(" expires in "))
        .map(|m| {
            assert_eq!(m.to, vec![LYNNE.to_string()], "expiry notices go to the target only: {m:?}");
            m.subject().rsplit(" expires in ").next().unwrap().to_string()
        })
        .collect()
}

/// Waits until the request's `days`-before-the-end notice has left the job queue: a mail is in
/// the sink before its job is finished, and moving the clock past the job lease while it is in
/// flight would let another runner send it again (delivery is at least once).
async fn wait_notice_done(w: &World, request: &str, days: u32) {
    for _ in 0..200 {
        let jobs = w.s.store.jobs_of(DEMO_TENANT, request.parse().unwrap()).await.unwrap();
        let pending = jobs
            .iter()
            .any(|j| j.kind == "notify.send" && j.payload["kind"]["assignmentExpiring"]["days"] == json!(days));
        if !pending {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the {days}-day notice of {request} is still queued");
}

/// Lets due jobs run, then returns the expiry mails.
async fn settle(w: &World) -> Vec<String> {
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    expiry_mails(w)
}

#[tokio::test]
async fn the_target_is_mailed_14_days_and_1_day_before_the_end_once_each() {
    let w = world().await;
    let body = add_body("adminAdd", w.package, Some(w.direct), demo::user_id(TARGET));
    let id = create(&w.s, true, &w.s.admin(), &body).await["id"].as_str().unwrap().to_string();
    assert_eq!(wait_terminal(&w.s, true, &id).await["state"], "delivered");
    let end = end_of(&assignment(&w.s, &id).await);
    let now = || grantd_domain::Clock::now(&w.s.clock);
    // Just before 14 days are left: no expiry mail yet.
    w.s.clock.advance(end - Duration::days(14) - Duration::minutes(5) - now());
    assert!(settle(&w).await.is_empty(), "nothing before the 14-day mark");
    w.s.clock.advance(Duration::minutes(6));
    let m = w.mail.wait_for_mail(LYNNE, "expires in 14 days").await;
    wait_notice_done(&w, &id, 14).await;
    assert_eq!(m.subject(), "Your access to Timed apps expires in 14 days");
    assert!(m.text().contains("ends in 14 days"), "{}", m.text());
    // Just before one day is left: still only the first.
    w.s.clock.advance(end - Duration::days(1) - Duration::minutes(5) - now());
    assert_eq!(settle(&w).await, vec!["14 days"]);
    w.s.clock.advance(Duration::minutes(6));
    w.mail.wait_for_mail(LYNNE, "expires in 1 day").await;
    wait_notice_done(&w, &id, 1).await;
    assert_eq!(settle(&w).await, vec!["14 days", "1 day"], "each notice once");
    // The end: access removed, and no further expiry mail.
    w.s.clock.advance(Duration::days(1));
    let aid = assignment(&w.s, &id).await["id"].as_str().unwrap().to_string();
    let removes = wait_system_removes(&w.s, &aid).await;
    assert_eq!(removes.len(), 1);
    assert_eq!(wait_terminal(&w.s, true, &removes[0]).await["state"], "delivered");
    assert_eq!(settle(&w).await, vec!["14 days", "1 day"]);
    w.s.stop().await;
}

#[tokio::test]
async fn an_extension_replaces_the_pending_expiry_mails_with_those_of_the_new_end() {
    let w = world().await;
    let me = w.s.end_user(TARGET);
    let body = add_body("userAdd", w.package, Some(w.selfservice), demo::user_id(TARGET));
    let id = create(&w.s, true, &me, &body).await["id"].as_str().unwrap().to_string();
    assert_eq!(wait_terminal(&w.s, true, &id).await["state"], "delivered");
    let a = assignment(&w.s, &id).await;
    let aid = a["id"].as_str().unwrap().to_string();
    let first_end = end_of(&a);
    let now = || grantd_domain::Clock::now(&w.s.clock);
    // Past the 14-day mark of the first end: that mail went out.
    w.s.clock.advance(first_end - Duration::days(14) + Duration::minutes(1) - now());
    w.mail.wait_for_mail(LYNNE, "expires in 14 days").await;
    wait_notice_done(&w, &id, 14).await;
    // The target extends; the end moves thirty days from now.
    let ext = json!({"requestType": "userExtend", "assignment": {"id": aid}});
    let ext_id = create(&w.s, true, &me, &ext).await["id"].as_str().unwrap().to_string();
    assert_eq!(wait_terminal(&w.s, true, &ext_id).await["state"], "delivered");
    let new_end = end_of(&w.s.get(&format!("{V1}/assignments/{aid}"), &w.s.admin()).await.body);
    assert!(new_end > first_end + Duration::days(10), "moved from {first_end} to {new_end}");
    // The old one-day mark passes without a mail.
    w.s.clock.advance(first_end - Duration::days(1) + Duration::minutes(1) - now());
    assert_eq!(settle(&w).await, vec!["14 days"], "the old end's one-day notice is moot");
    // The new end's notices come at their own marks.
    w.s.clock.advance(new_end - Duration::days(14) + Duration::minutes(1) - now());
    for _ in 0..200 {
        if expiry_mails(&w).len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    wait_notice_done(&w, &ext_id, 14).await;
    assert_eq!(settle(&w).await, vec!["14 days", "14 days"]);
    w.s.clock.advance(new_end - Duration::days(1) + Duration::minutes(1) - now());
    w.mail.wait_for_mail(LYNNE, "expires in 1 day").await;
    wait_notice_done(&w, &ext_id, 1).await;
    assert_eq!(settle(&w).await, vec!["14 days", "14 days", "1 day"]);
    w.s.stop().await;
}
