//! Notification mails, end to end: the real server sends through SMTP to a real sink started by
//! the test. Approvers hear of a request waiting for them; requestor and target hear of a
//! delivery or a denial; cancel mails nobody; a mail that meets an SMTP outage is retried with
//! backoff (moved with the clock) and arrives once the server is back, while the request itself
//! went on to Delivered; with no `smtp_url` notices are recorded as skipped.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod mail_support;
mod request_support;

use common::TestServer;
use grantd::config::SmtpUrl;
use grantd::demo::{self, DEMO_TENANT};
use mail_support::{free_port, MailSink};
use request_support::*;
use serde_json::{json, Value};
use std::time::Duration;

const PORTAL: &str = "https://portal.contoso.example";
const RESUME_DENY: &str = include_str!("golden/beta-resume-accesspackageassignmentrequest-deny.request.json");

async fn server(smtp_url: Option<String>) -> TestServer {
    TestServer::start_with(|c| {
        if let Some(u) = smtp_url {
            c.smtp_url = SmtpUrl(u);
        }
        c.public_url = PORTAL.into();
    })
    .await
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

/// The notify jobs still queued about a request, with their attempts so far; not the expiry
/// notices a delivered grant with an end date plans for later (tests/delivery_lifecycle.rs).
async fn notify_jobs(s: &TestServer, id: &str) -> Vec<i64> {
    let jobs = s.store.jobs_of(DEMO_TENANT, id.parse().unwrap()).await.unwrap();
    jobs.iter()
        .filter(|j| j.kind == "notify.send" && j.payload["kind"].get("assignmentExpiring").is_none())
        .map(|j| j.attempts)
        .collect()
}

/// Polls the audit log of a request until it records `action` (at most ~10 s).
async fn wait_audit(s: &TestServer, id: &str, action: &str) -> Vec<String> {
    for _ in 0..200 {
        let a = s.store.audit_of(DEMO_TENANT, id.parse().unwrap()).await.unwrap();
        if a.iter().any(|x| x == action) {
            return a;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("request {id} never recorded {action}");
}

/// Diego asks for Sales Tools, which needs his manager's (Adele's) approval.
async fn diego_asks_for_sales_tools(s: &TestServer, justification: &str) -> String {
    let mut b = add_body("userAdd", demo::access_package_id(1), Some(demo::policy_id(12)), demo::user_id(5));
    b["justification"] = json!(justification);
    let id = id_of(&create(s, true, &s.end_user(5), &b).await);
    wait_state(s, true, &id, "pendingApproval").await;
    id
}

#[tokio::test]
async fn a_request_needing_approval_mails_its_approvers_with_text_and_html() {
    let sink = MailSink::start().await;
    let s = server(Some(sink.url())).await;
    let id = diego_asks_for_sales_tools(&s, "Quarterly <pipeline> review & forecasts").await;

    let m = sink.wait_for_mail("adele@contoso.example", "Approval required").await;
    assert_eq!(m.to, vec!["adele@contoso.example"], "only the approver");
    assert_eq!(m.from, "grantd@localhost");
    assert!(m.header("From").unwrap().contains("grantd@localhost"));
    assert!(m.header("To").unwrap().contains("Adele Vance"), "{:?}", m.header("To"));
    assert_eq!(
        m.subject(),
        "Approval required: Diego Siciliani (diego@contoso.example) requests access to Sales Tools"
    );

    let text = m.text();
    let link = format!("{PORTAL}/approvals/{id}");
    for want in [
        "Access package: Sales Tools",
        "Target: Diego Siciliani (diego@contoso.example)",
        "Requested by: Diego Siciliani (diego@contoso.example)",
        "Justification: Quarterly <pipeline> review & forecasts",
        "State: pendingApproval",
        &format!("Request id: {id}"),
        &format!("Review the request: {link}"),
    ] {
        assert!(text.contains(want), "text part lacks {want:?}:\n{text}");
    }
    let html = m.html();
    for want in [
        "<th align=\"left\">Access package</th><td>Sales Tools</td>",
        "Quarterly &lt;pipeline&gt; review &amp; forecasts",
        &id,
        &format!("<a href=\"{link}\">Review the request</a>"),
    ] {
        assert!(html.contains(want), "HTML part lacks {want:?}:\n{html}");
    }
    assert!(!html.contains("<pipeline>"), "user text is escaped in HTML");
    let audit = wait_audit(&s, &id, "notification.sent").await;
    assert_eq!(audit.iter().filter(|a| a.starts_with("notification.")).count(), 1, "{audit:?}");
    assert_eq!(sink.mails().len(), 1, "nobody else was mailed: {:#?}", sink.mails());
    s.stop().await;
}

#[tokio::test]
async fn a_request_without_approval_mails_requestor_and_target_when_delivered() {
    let sink = MailSink::start().await;
    let s = server(Some(sink.url())).await;
    // Diego for himself, no approval: one recipient.
    let b = add_body("userAdd", demo::access_package_id(2), Some(demo::policy_id(22)), demo::user_id(5));
    let own = id_of(&create(&s, true, &s.end_user(5), &b).await);
    assert_eq!(wait_terminal(&s, true, &own).await["state"], "delivered");
    let m = sink.wait_for_mail("diego@contoso.example", "Access granted: Engineering Onboarding").await;
    assert_eq!(m.to, vec!["diego@contoso.example"]);
    assert!(m.text().contains(&format!("View the request: {PORTAL}/requests/{own}")), "{}", m.text());
    assert!(m.text().contains("State: delivered"), "{}", m.text());
    assert!(m.html().contains(&format!("<a href=\"{PORTAL}/requests/{own}\">View the request</a>")), "{}", m.html());

    // Megan (administrator) adds Lidia: both hear of it, in one message.
    let b = add_body("adminAdd", demo::access_package_id(3), Some(demo::policy_id(31)), demo::user_id(8));
    let admin = id_of(&create(&s, true, &s.admin(), &b).await);
    assert_eq!(wait_terminal(&s, true, &admin).await["state"], "delivered");
    let m = sink.wait_for_mail("lidia@contoso.example", "Access granted: Finance Reports").await;
    assert_eq!(sorted(m.to.clone()), vec!["lidia@contoso.example", "megan@contoso.example"]);
    assert!(m.text().contains("Requested by: Megan Bowen (megan@contoso.example)"), "{}", m.text());
    assert!(m.text().contains("Target: Lidia Holloway (lidia@contoso.example)"), "{}", m.text());
    assert!(m.subject().contains("Finance Reports"));
    assert_eq!(sink.mails().len(), 2, "{:#?}", sink.mails());
    s.stop().await;
}

#[tokio::test]
async fn a_denied_request_mails_the_requestor_and_cancel_mails_nobody() {
    let sink = MailSink::start().await;
    let s = server(Some(sink.url())).await;
    // Cancel while pending: the approver was mailed, nobody hears of the cancel.
    let pending = diego_asks_for_sales_tools(&s, "For the road show").await;
    sink.wait_for_mail("adele@contoso.example", "Approval required").await;
    // The sent notice's job row goes with the runner's next claim; wait for it to go.
    for _ in 0..200 {
        if notify_jobs(&s, &pending).await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(action(&s, true, &pending, "cancel", &s.end_user(5)).await.status, 200);
    assert_eq!(wait_terminal(&s, true, &pending).await["state"], "canceled");
    assert!(notify_jobs(&s, &pending).await.is_empty(), "cancel enqueues no notice");

    // Denied by the callout at creation: requestor (Megan) and target (Lee) hear of it.
    let callout = callout_policy(&s, demo::access_package_id(2)).await;
    let b = add_body("adminAdd", demo::access_package_id(2), Some(callout), demo::user_id(3));
    let denied = id_of(&create(&s, true, &s.admin(), &b).await);
    wait_status(&s, true, &denied, "WaitingForCallback").await;
    let mut deny: Value = serde_json::from_str(RESUME_DENY).unwrap();
    // The resume answers the callout instance the request is waiting on.
    deny["data"]["customExtensionStageInstanceId"] = json!(callout_instance(&s, true, &denied).await.unwrap());
    let r = s.post(&format!("{}/{denied}/resume", requests(true)), &s.admin(), &deny).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(wait_terminal(&s, true, &denied).await["state"], "denied");
    let m = sink.wait_for_mail("lee@contoso.example", "Denied").await;
    assert_eq!(m.subject(), "Denied: your request for access to Engineering Onboarding");
    assert_eq!(sorted(m.to.clone()), vec!["lee@contoso.example", "megan@contoso.example"]);
    assert!(m.text().contains("was denied") && m.text().contains("State: denied"), "{}", m.text());
    assert!(m.text().contains(&format!("{PORTAL}/requests/{denied}")), "{}", m.text());

    // Notices run in order: had the cancel mailed anyone, it would be here before the denial.
    let subjects: Vec<String> = sink.mails().iter().map(|m| m.subject()).collect();
    assert_eq!(subjects.len(), 2, "{subjects:?}");
    assert!(subjects[0].starts_with("Approval required"), "{subjects:?}");
    s.stop().await;
}

#[tokio::test]
async fn a_mail_sent_while_smtp_is_down_arrives_after_it_returns_and_the_request_is_not_delayed() {
    let port = free_port().await;
    let s = server(Some(format!("smtp://127.0.0.1:{port}"))).await;
    let b = add_body("userAdd", demo::access_package_id(2), Some(demo::policy_id(22)), demo::user_id(9));
    let id = id_of(&create(&s, true, &s.end_user(9), &b).await);
    // The workflow finishes with no SMTP server at all.
    assert_eq!(wait_terminal(&s, true, &id).await["state"], "delivered");

    // The notice failed and waits for its retry; moving past the backoff retries it (and it
    // fails again while the server is still down).
    let mut attempts = 0;
    for _ in 0..200 {
        attempts = notify_jobs(&s, &id).await.first().copied().unwrap_or(0);
        if attempts >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(attempts >= 1, "the notice was tried");
    s.clock.advance(chrono::Duration::seconds(5));
    for _ in 0..200 {
        attempts = notify_jobs(&s, &id).await.first().copied().unwrap_or(0);
        if attempts >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(attempts >= 2, "the notice was retried after its backoff");
    let audit = s.store.audit_of(DEMO_TENANT, id.parse().unwrap()).await.unwrap();
    assert!(!audit.iter().any(|a| a.starts_with("notification.")), "{audit:?}");

    // The SMTP server comes back on the same port; the next retry delivers.
    let sink = MailSink::start_on(port).await;
    // Past the next retry's backoff (a few seconds) but well inside the 60 s job lease, so an
    // attempt already in flight is not claimed a second time (delivery is at least once).
    s.clock.advance(chrono::Duration::seconds(30));
    let m = sink.wait_for_mail("lynne@contoso.example", "Access granted: Engineering Onboarding").await;
    assert!(m.text().contains(&format!("Request id: {id}")), "{}", m.text());
    wait_audit(&s, &id, "notification.sent").await;
    for _ in 0..200 {
        if notify_jobs(&s, &id).await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(notify_jobs(&s, &id).await.is_empty(), "the sent notice left the queue");
    assert_eq!(sink.mails().len(), 1, "sent once: {:#?}", sink.mails());
    s.stop().await;
}

#[tokio::test]
async fn without_smtp_url_notices_are_recorded_as_skipped() {
    let s = server(None).await;
    let b = add_body("userAdd", demo::access_package_id(2), Some(demo::policy_id(22)), demo::user_id(5));
    let id = id_of(&create(&s, true, &s.end_user(5), &b).await);
    assert_eq!(wait_terminal(&s, true, &id).await["state"], "delivered");
    let audit = wait_audit(&s, &id, "notification.skipped").await;
    assert!(!audit.iter().any(|a| a == "notification.sent"), "{audit:?}");
    s.stop().await;
}

#[tokio::test]
async fn a_notice_that_never_gets_through_is_parked_dead_and_audited() {
    let port = free_port().await;
    let s = server(Some(format!("smtp://127.0.0.1:{port}"))).await;
    let b = add_body("userAdd", demo::access_package_id(2), Some(demo::policy_id(22)), demo::user_id(6));
    let id = id_of(&create(&s, true, &s.end_user(6), &b).await);
    assert_eq!(wait_terminal(&s, true, &id).await["state"], "delivered");
    // Every retry fails; past the runner's attempt limit the job is dead and on the audit trail.
    let mut dead = false;
    for _ in 0..400 {
        let audit = s.store.audit_of(DEMO_TENANT, id.parse().unwrap()).await.unwrap();
        if audit.iter().any(|a| a == "job.dead") {
            dead = true;
            break;
        }
        s.clock.advance(chrono::Duration::hours(2));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(dead, "the notice was parked as dead");
    // Kept (dead) after at least the runner's ten attempts: the test moves the clock by hours,
    // so an attempt in flight may lose its lease and be claimed once more (at least once).
    let attempts = notify_jobs(&s, &id).await;
    assert_eq!(attempts.len(), 1, "{attempts:?}");
    assert!(attempts[0] >= 10, "kept (dead) after ten attempts: {attempts:?}");
    let r = s.get(&format!("{}/{id}", requests(true)), &s.admin()).await;
    assert_eq!(r.body["state"], "delivered", "the request is untouched");
    s.stop().await;
}
