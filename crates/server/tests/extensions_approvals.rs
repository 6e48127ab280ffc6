//! Custom extensions around approvals, with a real local HTTP server as the external workflow.
//! `assignmentRequestApproved` fires once the approver approved through the API, with the
//! documented payload and a token that verifies against grantd's JWKS, and holds the request
//! until `resume` (a `Denied` answer there goes on: only creation honours it) or the timeout
//! (it goes on as well). A dynamic approval stage calls its extension at
//! `assignmentRequestDeterminingApprovalRequirements`, waits, and then asks exactly the
//! approvers the resume supplied (who approve or deny through accessPackageAssignmentApprovals,
//! and are mailed as any stage's approvers); malformed approvers and answers for a stage that
//! is not waiting are refused; no approvers supplied denies the request
//! (`NoApproversAvailable`); an unanswered call times out (`TimedOut`); a waiting request can
//! be canceled.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod approval_support;
mod common;
mod extension_support;
mod mail_support;
mod request_support;

use approval_support::*;
use chrono::Duration;
use common::TestServer;
use extension_support::*;
use grantd::config::SmtpUrl;
use grantd::demo;
use grantd_domain::PolicyId;
use mail_support::MailSink;
use request_support::*;
use serde_json::{json, Value};

const CREATED: &str = "assignmentRequestCreated";
const APPROVED: &str = "assignmentRequestApproved";
const DETERMINING: &str = "assignmentRequestDeterminingApprovalRequirements";

/// A self-service policy on `package()` with approval `stages` and extensions bound at stages.
async fn policy(s: &TestServer, stages: Vec<Value>, bound: &[(&str, &str)]) -> PolicyId {
    let mut b = policy_body(package(), "Approval with custom extensions", true);
    b["requestApprovalSettings"] =
        json!({"isApprovalRequiredForAdd": true, "isApprovalRequiredForUpdate": false, "stages": stages});
    b["customExtensionStageSettings"] = Value::Array(
        bound.iter().map(|(stage, ext)| json!({"stage": stage, "customExtension": {"id": ext}})).collect(),
    );
    make_policy(s, &b).await
}

/// A dynamic approval stage whose approvers `ext` supplies.
fn dynamic_stage(ext: &str) -> Value {
    let mut st = stage(vec![]);
    st["@odata.type"] = json!("#microsoft.graph.accessPackageDynamicApprovalStage");
    st["customExtension"] = json!({"id": ext});
    st
}

/// The docs' beta resume Example 4 (Logic Apps escaping, a beta-shaped approver), answering
/// `instance` and naming `approver`.
fn example4(instance: &str, approver: u16) -> Value {
    let mut b: Value = serde_json::from_str(include_str!(
        "golden/beta-resume-accesspackageassignmentrequest-dynamic-approval-stage.request.json"
    ))
    .unwrap();
    b["data"]["customExtensionStageInstanceId"] = json!(instance);
    b["data"]["approvalStage"]["primaryApprovers"][0]["id"] = json!(demo::user_id(approver).to_string());
    b
}

/// The approval's stages as an admin sees them (v1.0).
async fn admin_stages(s: &TestServer, id: &str) -> Vec<Value> {
    let r = s.get(&format!("{}/{id}/stages", approvals(true)), &s.admin()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["value"].as_array().unwrap().clone()
}

fn assigned(stage: &Value) -> Vec<String> {
    stage["grantdAssignedApprovers"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_string()).collect()
}

/// `user`'s own userAdd under `policy`, not waited for.
async fn submit(s: &TestServer, user: u16, policy: PolicyId) -> String {
    let b = add_body("userAdd", package(), Some(policy), demo::user_id(user));
    create(s, true, &s.end_user(user), &b).await["id"].as_str().unwrap().to_string()
}

fn instance_of(call: &Call) -> String {
    call.body["data"]["customExtensionStageInstanceId"].as_str().unwrap().to_string()
}

fn resume_url(id: &str) -> String {
    format!("{}/{id}/resume", requests(true))
}

/// The `n`-th call made at `stage` (0-based), waiting for it.
async fn nth_at(rx: &Receiver, stage: &str, n: usize) -> Call {
    for _ in 0..300 {
        if let Some(c) = rx.calls().into_iter().filter(|c| c.body["data"]["stage"] == stage).nth(n) {
            return c;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no call {n} at {stage}: {:?}", rx.calls());
}

#[tokio::test]
async fn the_approved_stage_fires_after_the_approver_approves_and_holds_the_request() {
    let s = TestServer::start().await;
    let rx = Receiver::start().await;
    let ext = make_extension(&s, demo::catalog_id(1), &extension_body(&rx.url, Some("PT2H"), None)).await;
    let policy = policy(&s, vec![stage(vec![single(LIDIA)])], &[(APPROVED, &ext)]).await;
    let id = request(&s, true, PATTI, policy).await;
    assert_eq!(request_now(&s, &id).await["status"], "PendingApproval");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(rx.calls().is_empty(), "nothing fires before the approval: {:?}", rx.calls());

    decide_current(&s, true, &id, LIDIA, "Approve").await;
    wait_status(&s, true, &id, "WaitingForCallback").await;
    let call = rx.wait_stage(APPROVED).await;
    let claims = verify_token(&s, &call, WORKFLOW_APP).await;
    let b = &call.body;
    assert_eq!(b["type"], format!("microsoft.graph.accessPackageCustomExtensionStage.{APPROVED}"), "{b}");
    let d = &b["data"];
    assert_eq!(d["@odata.type"], "#microsoft.graph.accessPackageAssignmentRequestCalloutData");
    assert_eq!(d["stage"], APPROVED);
    assert_eq!(d["accessPackageAssignmentRequestId"], id.as_str());
    assert_eq!((d["state"].as_str(), d["status"].as_str()), (Some("pendingApproval"), Some("WaitingForCallback")));
    assert_eq!(d["requestType"], "userAdd");
    assert_eq!(d["callbackConfiguration"]["timeoutDuration"], "PT2H");
    assert_eq!(
        d["callbackUriPath"],
        format!("/identityGovernance/entitlementManagement/assignmentRequests/{id}/resume")
    );
    assert_eq!(d["accessPackage"]["id"], package().to_string());
    assert_eq!(d["requestor"]["id"], demo::user_id(PATTI).to_string());
    assert_eq!(d["target"]["id"], demo::user_id(PATTI).to_string());
    let instance = instance_of(&call);
    assert_eq!(claims["jti"].as_str().unwrap().split('.').next(), Some(instance.as_str()));
    wait_instance(&s, &id, &instance, "waitingForCallback").await;
    assert!(!is_member(&s, demo::group_id(2), demo::user_id(PATTI)).await, "held until the callback");

    // `Denied` is honoured at creation only: after approval the request goes on.
    let r =
        s.post(&resume_url(&id), &app_token(&s, WORKFLOW_APP), &resume_body(&instance, APPROVED, Some("Denied"))).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let done = wait_terminal(&s, true, &id).await;
    assert_eq!(done["state"], "delivered", "{done}");
    assert!(is_member(&s, demo::group_id(2), demo::user_id(PATTI)).await);
    wait_instance(&s, &id, &instance, "callbackReceived").await;
    assert_eq!(rx.calls().len(), 1, "one call: {:?}", rx.calls());

    // Unanswered after approval: the timeout lets it go on (the extension could not stop it).
    let id = request(&s, true, PRADEEP, policy).await;
    decide_current(&s, true, &id, LIDIA, "Approve").await;
    wait_status(&s, true, &id, "WaitingForCallback").await;
    let instance = instance_of(&rx.wait_calls(2).await[1]);
    wait_instance(&s, &id, &instance, "waitingForCallback").await;
    s.clock.advance(Duration::hours(2) + Duration::minutes(1));
    assert_eq!(wait_terminal(&s, true, &id).await["state"], "delivered");
    wait_instance(&s, &id, &instance, "callbackTimedOut").await;
    s.stop().await;
}

#[tokio::test]
async fn a_dynamic_stage_asks_exactly_the_approvers_its_extension_supplies() {
    let sink = MailSink::start().await;
    let s = TestServer::start_with(|c| c.smtp_url = SmtpUrl(sink.url())).await;
    let rx = Receiver::start().await;
    let ext = make_extension(&s, demo::catalog_id(1), &extension_body(&rx.url, Some("PT1H"), None)).await;
    // A launch-and-continue extension at creation too: it is called without holding the request.
    let notice = make_extension(&s, demo::catalog_id(1), &extension_body(&rx.url, None, None)).await;
    let policy = policy(&s, vec![dynamic_stage(&ext)], &[(CREATED, &notice)]).await;
    let id = request(&s, true, PATTI, policy).await;
    let now = wait_status(&s, true, &id, "WaitingForCallback").await;
    assert_eq!(now["state"], "pendingApproval", "{now}");
    let created = rx.wait_stage(CREATED).await;
    assert!(created.body["data"].get("callbackConfiguration").is_none(), "{}", created.body);

    // The call at the determining stage: the documented payload, a verifiable token.
    let call = rx.wait_stage(DETERMINING).await;
    verify_token(&s, &call, WORKFLOW_APP).await;
    assert_eq!(call.body["type"], format!("microsoft.graph.accessPackageCustomExtensionStage.{DETERMINING}"));
    let d = &call.body["data"];
    assert_eq!(d["@odata.type"], "#microsoft.graph.accessPackageAssignmentRequestCalloutData");
    assert_eq!(d["accessPackageAssignmentRequestId"], id.as_str());
    assert_eq!((d["state"].as_str(), d["status"].as_str()), (Some("pendingApproval"), Some("WaitingForCallback")));
    assert_eq!(d["callbackConfiguration"]["timeoutDuration"], "PT1H");
    assert_eq!(d["target"]["id"], demo::user_id(PATTI).to_string());
    let instance = instance_of(&call);
    wait_instance(&s, &id, &instance, "waitingForCallback").await;

    // The stage waits for its approvers; nobody is asked meanwhile.
    let st = admin_stages(&s, &id).await;
    assert_eq!(st.len(), 1);
    assert_eq!(st[0]["status"], "Initializing", "{st:?}");
    assert!(assigned(&st[0]).is_empty(), "{st:?}");
    assert!(!my_approvals(&s, true, LIDIA).await.contains(&id));
    let asked = |m: &mail_support::Mail| m.subject().starts_with("Approval required");
    assert!(!sink.mails().iter().any(asked), "nobody is mailed yet: {:#?}", sink.mails());

    // The docs' Example 4 on the deprecated beta set, naming Lidia: the stage opens with her.
    let beta = format!("/beta/identityGovernance/entitlementManagement/accessPackageAssignmentRequests/{id}/resume");
    let app = app_token(&s, WORKFLOW_APP);
    let r = s.post(&beta, &app, &example4(&instance, LIDIA)).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(request_now(&s, &id).await["status"], "PendingApproval");
    let st = admin_stages(&s, &id).await;
    assert_eq!(st[0]["status"], "InProgress", "{st:?}");
    assert_eq!(assigned(&st[0]), vec![demo::user_id(LIDIA).to_string()]);
    assert!(my_approvals(&s, true, LIDIA).await.contains(&id));
    assert!(!my_approvals(&s, true, LYNNE).await.contains(&id));
    wait_instance(&s, &id, &instance, "callbackReceived").await;
    // She is told, through the approvals' notices, and only she.
    let m = sink.wait_for_mail("lidia@contoso.example", "Approval required").await;
    assert_eq!(m.to, vec!["lidia@contoso.example"]);
    assert_eq!(sink.mails().iter().filter(|m| asked(m)).count(), 1, "{:#?}", sink.mails());

    // The same answer again changes nothing; a different one is refused.
    assert_eq!(s.post(&beta, &app, &example4(&instance, LIDIA)).await.status, 204);
    let other = s.post(&beta, &app, &example4(&instance, LYNNE)).await;
    assert_eq!(other.status, 409, "{}", other.text);
    assert_eq!(other.error_code(), "CustomExtensionCallbackAlreadyReceived");
    assert_eq!(assigned(&admin_stages(&s, &id).await[0]), vec![demo::user_id(LIDIA).to_string()]);

    // Only Lidia decides.
    let sid = current_stage(&s, true, &id).await;
    assert_eq!(decide(&s, true, &id, &sid, LYNNE, "Approve").await.status, 403);
    let r = decide(&s, true, &id, &sid, LIDIA, "Approve").await;
    assert_eq!(r.status, 204, "{}", r.text);
    let done = wait_terminal(&s, true, &id).await;
    assert_eq!(done["state"], "delivered", "{done}");
    assert!(is_member(&s, demo::group_id(2), demo::user_id(PATTI)).await);
    s.stop().await;
}

#[tokio::test]
async fn dynamic_approvers_are_checked_and_none_supplied_denies_the_request() {
    let s = TestServer::start().await;
    let rx = Receiver::start().await;
    let ext = make_extension(&s, demo::catalog_id(1), &extension_body(&rx.url, Some("PT1H"), None)).await;
    // The extension is asked twice: at creation (it waits), then for the stage's approvers.
    let policy = policy(&s, vec![dynamic_stage(&ext)], &[(CREATED, &ext)]).await;
    let app = app_token(&s, WORKFLOW_APP);
    let id = submit(&s, PATTI, policy).await;
    let created = nth_at(&rx, CREATED, 0).await;
    let created_instance = instance_of(&created);
    wait_instance(&s, &id, &created_instance, "waitingForCallback").await;
    // Approvers for a callout that is not the determining stage's: refused.
    let mut b = example4(&created_instance, LIDIA);
    b["data"]["stage"] = json!(CREATED);
    let r = s.post(&resume_url(&id), &app, &b).await;
    assert_eq!((r.status.as_u16(), r.error_code()), (400, "InvalidCallbackData".to_string()), "{}", r.text);
    let r = s.post(&resume_url(&id), &app, &resume_body(&created_instance, CREATED, None)).await;
    assert_eq!(r.status, 204, "{}", r.text);

    let call = nth_at(&rx, DETERMINING, 0).await;
    let instance = instance_of(&call);
    wait_instance(&s, &id, &instance, "waitingForCallback").await;
    assert_eq!(request_now(&s, &id).await["status"], "WaitingForCallback");
    let user = demo::user_id(LIDIA).to_string();
    let with = |approvers: Value| {
        let mut b = example4(&instance, LIDIA);
        b["data"]["approvalStage"]["primaryApprovers"] = approvers;
        b
    };
    let mut wrong_stage = example4(&instance, LIDIA);
    wrong_stage["data"]["stage"] = json!(CREATED);
    for (bad, code) in [
        (with(json!([{"@odata.type": "#microsoft.graph.singleUser", "userId": "not-a-guid"}])), "InvalidModel"),
        (with(json!([{"@odata.type": "#microsoft.graph.singleUser", "id": ""}])), "InvalidModel"),
        (with(json!([{"userId": user}])), "InvalidModel"),
        (with(json!([{"@odata.type": "#microsoft.graph.everybody"}])), "InvalidModel"),
        (with(json!("Lidia")), "InvalidModel"),
        (json!({"data": {"customExtensionStageInstanceId": instance, "approvalStage": "Lidia"}}), "InvalidModel"),
        (wrong_stage, "CustomExtensionStageMismatch"),
    ] {
        let r = s.post(&resume_url(&id), &app, &bad).await;
        assert_eq!(r.status, 400, "{bad}: {}", r.text);
        assert_eq!(r.error_code(), code, "{bad}: {}", r.text);
    }
    assert_eq!(request_now(&s, &id).await["status"], "WaitingForCallback", "nothing moved");
    assert_eq!(admin_stages(&s, &id).await[0]["status"], "Initializing");

    // An answer supplying nobody: the stage has nobody to ask and the request is denied.
    let r = s.post(&resume_url(&id), &app, &with(json!([]))).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let done = wait_terminal(&s, true, &id).await;
    assert_eq!((done["state"].as_str(), done["status"].as_str()), (Some("denied"), Some("NoApproversAvailable")));
    let st = admin_stages(&s, &id).await;
    assert_eq!((st[0]["status"].as_str(), st[0]["reviewResult"].as_str()), (Some("Completed"), Some("Denied")));

    // A supplied approver may deny.
    let id = submit(&s, PRADEEP, policy).await;
    let created = nth_at(&rx, CREATED, 1).await;
    wait_instance(&s, &id, &instance_of(&created), "waitingForCallback").await;
    let r = s.post(&resume_url(&id), &app, &resume_body(&instance_of(&created), CREATED, None)).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let call = nth_at(&rx, DETERMINING, 1).await;
    let r = s.post(&resume_url(&id), &app, &example4(&instance_of(&call), LIDIA)).await;
    assert_eq!(r.status, 204, "{}", r.text);
    decide_current(&s, true, &id, LIDIA, "Deny").await;
    let done = wait_terminal(&s, true, &id).await;
    assert_eq!((done["state"].as_str(), done["status"].as_str()), (Some("denied"), Some("Denied")), "{done}");
    assert!(!is_member(&s, demo::group_id(2), demo::user_id(PRADEEP)).await);
    s.stop().await;
}

#[tokio::test]
async fn an_unanswered_dynamic_stage_times_out_and_a_waiting_one_can_be_canceled() {
    let s = TestServer::start().await;
    let rx = Receiver::start().await;
    let ext = make_extension(&s, demo::catalog_id(1), &extension_body(&rx.url, Some("PT1H"), None)).await;
    let policy = policy(&s, vec![stage(vec![single(LIDIA)]), dynamic_stage(&ext)], &[]).await;
    let mut waiting = Vec::new();
    for user in [PATTI, PRADEEP] {
        let id = request(&s, true, user, policy).await;
        decide_current(&s, true, &id, LIDIA, "Approve").await;
        wait_status(&s, true, &id, "WaitingForCallback").await;
        let call = nth_at(&rx, DETERMINING, waiting.len()).await;
        assert_eq!(call.body["data"]["accessPackageAssignmentRequestId"], id.as_str());
        let instance = instance_of(&call);
        wait_instance(&s, &id, &instance, "waitingForCallback").await;
        let st = admin_stages(&s, &id).await;
        assert_eq!((st[0]["status"].as_str(), st[1]["status"].as_str()), (Some("Completed"), Some("Initializing")));
        waiting.push((id, instance));
    }
    // The requestor cancels while the stage waits; a late answer finds nothing waiting.
    let (canceled, canceled_instance) = &waiting[1];
    let r = action(&s, true, canceled, "cancel", &s.end_user(PRADEEP)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(request_now(&s, canceled).await["state"], "canceled");
    assert_eq!(admin_stages(&s, canceled).await[1]["status"], "Canceled");
    let app = app_token(&s, WORKFLOW_APP);
    let r = s.post(&resume_url(canceled), &app, &example4(canceled_instance, LIDIA)).await;
    assert_eq!((r.status.as_u16(), r.error_code()), (409, "RequestNotWaitingForCallback".to_string()), "{}", r.text);

    // Nobody answers the other: after the callback timeout it is denied (fail closed).
    let (id, instance) = &waiting[0];
    s.clock.advance(Duration::minutes(61));
    let done = wait_terminal(&s, true, id).await;
    assert_eq!((done["state"].as_str(), done["status"].as_str()), (Some("denied"), Some("TimedOut")), "{done}");
    wait_instance(&s, id, instance, "callbackTimedOut").await;
    let st = admin_stages(&s, id).await;
    assert_eq!((st[1]["status"].as_str(), st[1]["reviewResult"].as_str()), (Some("Completed"), Some("Denied")));
    let r = s.post(&resume_url(id), &app, &example4(instance, LIDIA)).await;
    assert_eq!((r.status.as_u16(), r.error_code()), (409, "CustomExtensionCalloutClosed".to_string()), "{}", r.text);
    s.stop().await;
}
