//! Custom extensions end to end, with a real local HTTP server as the external workflow: each
//! stage fires at its moment with the documented payload and a token that verifies against
//! grantd's JWKS; launch and wait holds the request until `resume` continues, denies or
//! cancels it, or the timeout passes (moved with the server's clock); an unreachable endpoint
//! is retried until it answers (or the retry budget is spent); forged and replayed resumes are
//! refused while an identical repeat is a no-op.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;
mod extension_support;
mod request_support;

use chrono::Duration;
use common::TestServer;
use extension_support::*;
use grantd::demo;
use request_support::*;
use serde_json::{json, Value};

const CREATED: &str = "assignmentRequestCreated";

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

fn history_len(s: &Value) -> usize {
    s["history"].as_array().map(Vec::len).unwrap_or(0)
}

/// A waiting extension (PT1H) at creation on Engineering Onboarding (catalog General), and an
/// AdminAdd for `user` under it. Returns (policy, extension id, request id, the callout).
async fn waiting_request(s: &TestServer, rx: &Receiver, user: u16) -> (String, String, Call) {
    let ext = make_extension(s, demo::catalog_id(1), &extension_body(&rx.url, Some("PT1H"), None)).await;
    let policy = policy_with(s, demo::access_package_id(2), &[(CREATED, &ext)], json!({"type": "noExpiration"})).await;
    let before = rx.calls().len();
    let b = add_body("adminAdd", demo::access_package_id(2), Some(policy), demo::user_id(user));
    let id = id_of(&create(s, true, &s.admin(), &b).await);
    wait_status(s, true, &id, "WaitingForCallback").await;
    let call = rx.wait_calls(before + 1).await.into_iter().nth(before).unwrap();
    (ext, id, call)
}

#[tokio::test]
async fn launch_and_wait_then_resume_continues_the_request() {
    let s = TestServer::start().await;
    let rx = Receiver::start().await;
    let (ext, id, call) = waiting_request(&s, &rx, 10).await;

    // The documented payload: the stage, the instance to answer, where to answer, the documents.
    let claims = verify_token(&s, &call, WORKFLOW_APP).await;
    let b = &call.body;
    assert_eq!(b["type"], format!("microsoft.graph.accessPackageCustomExtensionStage.{CREATED}"), "{b}");
    let d = &b["data"];
    assert_eq!(d["@odata.type"], "#microsoft.graph.accessPackageAssignmentRequestCalloutData");
    assert_eq!(d["stage"], CREATED);
    assert_eq!(d["accessPackageAssignmentRequestId"], id.as_str());
    assert_eq!(
        d["callbackUriPath"],
        format!("/identityGovernance/entitlementManagement/assignmentRequests/{id}/resume")
    );
    assert_eq!(
        d["callbackUri"],
        format!("{}/v1.0/identityGovernance/entitlementManagement/assignmentRequests/{id}/resume", s.base)
    );
    assert_eq!(d["callbackConfiguration"]["timeoutDuration"], "PT1H");
    assert_eq!(d["requestType"], "adminAdd");
    assert_eq!(d["assignmentRequest"]["id"], id.as_str());
    assert_eq!(d["assignmentRequest"]["status"], "WaitingForCallback");
    assert_eq!(d["accessPackage"]["id"], demo::access_package_id(2).to_string());
    assert_eq!(d["accessPackageCatalog"]["id"], demo::catalog_id(1).to_string());
    assert_eq!(d["requestor"]["id"], demo::user_id(2).to_string());
    assert_eq!(d["target"]["id"], demo::user_id(10).to_string());
    let instance = d["customExtensionStageInstanceId"].as_str().unwrap().to_string();
    assert_eq!(claims["jti"].as_str().unwrap().split('.').next(), Some(instance.as_str()));
    assert_eq!(claims["tid"], demo::DEMO_TENANT.to_string());

    // Recorded on the request, on both versions.
    let i = wait_instance(&s, &id, &instance, "waitingForCallback").await;
    assert_eq!(i["customExtensionId"], ext.as_str());
    assert_eq!(i["externalCorrelationId"], "run-1");
    let beta = get_request(&s, false, &id).await;
    assert_eq!(beta["customExtensionCalloutInstances"][0]["id"], instance.as_str(), "{beta}");
    assert_eq!(beta["customExtensionHandlerInstances"][0]["stage"], CREATED, "{beta}");
    assert_eq!(beta["customExtensionHandlerInstances"][0]["status"], "requestSent", "{beta}");

    // The workflow's own app answers, with the docs' v1.0 example body.
    let mut body: Value =
        serde_json::from_str(include_str!("golden/v1-resume-assignmentrequest.request.json")).unwrap();
    body["data"]["customExtensionStageInstanceId"] = json!(instance);
    let app = app_token(&s, WORKFLOW_APP);
    let url = format!("{}/{id}/resume", requests(true));
    let r = s.post(&url, &app, &body).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let done = wait_terminal(&s, true, &id).await;
    assert_eq!(done["state"], "delivered", "{done}");
    assert!(is_member(&s, demo::group_id(2), demo::user_id(10)).await);
    let i = wait_instance(&s, &id, &instance, "callbackReceived").await;
    assert_eq!(i["detail"], "This user is all verified");
    let beta = get_request(&s, false, &id).await;
    assert_eq!(beta["customExtensionHandlerInstances"][0]["status"], "requestReceived");

    // The same answer again: 204, no second transition. A different one: refused.
    let steps = history_len(&beta);
    let again = s.post(&url, &app, &body).await;
    assert_eq!(again.status, 204, "{}", again.text);
    assert_eq!(history_len(&get_request(&s, false, &id).await), steps);
    body["data"]["state"] = json!("Denied");
    let other = s.post(&url, &app, &body).await;
    assert_eq!(other.status, 409, "{}", other.text);
    assert_eq!(other.error_code(), "CustomExtensionCallbackAlreadyReceived");
    s.stop().await;
}

#[tokio::test]
async fn resume_denies_or_cancels_at_creation_on_both_versions() {
    let s = TestServer::start().await;
    let rx = Receiver::start().await;
    let (_, denied, call) = waiting_request(&s, &rx, 11).await;
    let instance = call.body["data"]["customExtensionStageInstanceId"].as_str().unwrap().to_string();
    // The docs' beta deny example (PascalCase stage, lower-case state), on the deprecated set.
    let mut body: Value =
        serde_json::from_str(include_str!("golden/beta-resume-accesspackageassignmentrequest-deny.request.json"))
            .unwrap();
    body["data"]["customExtensionStageInstanceId"] = json!(instance);
    let url = format!("/beta/identityGovernance/entitlementManagement/accessPackageAssignmentRequests/{denied}/resume");
    let r = s.post(&url, &s.admin(), &body).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let done = wait_terminal(&s, false, &denied).await;
    assert_eq!(done["requestState"], "Denied", "{done}");
    assert_eq!(done["customExtensionCalloutInstances"][0]["detail"], "Potential risk user based on the SOD check");
    assert!(!is_member(&s, demo::group_id(2), demo::user_id(11)).await);

    let (_, canceled, call) = waiting_request(&s, &rx, 12).await;
    let instance = call.body["data"]["customExtensionStageInstanceId"].as_str().unwrap();
    let r = s
        .post(
            &format!("{}/{canceled}/resume", requests(true)),
            &app_token(&s, WORKFLOW_APP),
            &resume_body(instance, CREATED, Some("Canceled")),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(wait_terminal(&s, true, &canceled).await["state"], "canceled");
    s.stop().await;
}

#[tokio::test]
async fn an_unanswered_callout_times_out_and_the_request_ends() {
    let s = TestServer::start().await;
    let rx = Receiver::start().await;
    let (_, id, call) = waiting_request(&s, &rx, 10).await;
    let instance = call.body["data"]["customExtensionStageInstanceId"].as_str().unwrap().to_string();
    wait_instance(&s, &id, &instance, "waitingForCallback").await;
    s.clock.advance(Duration::minutes(59));
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(get_request(&s, true, &id).await["status"], "WaitingForCallback", "not before the timeout");
    s.clock.advance(Duration::minutes(2));
    let done = wait_terminal(&s, true, &id).await;
    assert_eq!((done["state"].as_str(), done["status"].as_str()), (Some("denied"), Some("TimedOut")), "{done}");
    wait_instance(&s, &id, &instance, "callbackTimedOut").await;
    // A late answer is refused.
    let r = s
        .post(
            &format!("{}/{id}/resume", requests(true)),
            &app_token(&s, WORKFLOW_APP),
            &resume_body(&instance, CREATED, None),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.error_code(), "CustomExtensionCalloutClosed");
    s.stop().await;
}

#[tokio::test]
async fn an_unreachable_endpoint_is_retried_until_it_answers() {
    let s = TestServer::start().await;
    let port = free_port().await;
    let url = format!("http://127.0.0.1:{port}/hook");
    let ext = make_extension(&s, demo::catalog_id(1), &extension_body(&url, Some("P1D"), Some(5))).await;
    let policy = policy_with(&s, demo::access_package_id(2), &[(CREATED, &ext)], json!({"type": "noExpiration"})).await;
    let b = add_body("adminAdd", demo::access_package_id(2), Some(policy), demo::user_id(10));
    let id = id_of(&create(&s, true, &s.admin(), &b).await);
    wait_status(&s, true, &id, "WaitingForCallback").await;
    // The instance is recorded before the first attempt; it stays calloutSent while down.
    let mut instance = String::new();
    for _ in 0..200 {
        if let Some(i) = get_request(&s, true, &id).await["customExtensionCalloutInstances"][0]["id"].as_str() {
            instance = i.to_string();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(!instance.is_empty(), "the callout instance is recorded");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let now = get_request(&s, true, &id).await;
    assert_eq!(now["customExtensionCalloutInstances"][0]["status"], "calloutSent", "{now}");

    // The endpoint comes up; moving the clock past the backoff makes the retry due.
    let rx = Receiver::start_on(port).await;
    for _ in 0..40 {
        if !rx.calls().is_empty() {
            break;
        }
        s.clock.advance(Duration::seconds(30));
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    let call = rx.wait_calls(1).await.remove(0);
    assert_eq!(
        call.body["data"]["customExtensionStageInstanceId"],
        instance.as_str(),
        "the same instance is sent again"
    );
    verify_token(&s, &call, WORKFLOW_APP).await;
    wait_instance(&s, &id, &instance, "waitingForCallback").await;
    assert_eq!(get_request(&s, true, &id).await["status"], "WaitingForCallback");
    s.stop().await;
}

#[tokio::test]
async fn a_callout_that_cannot_be_made_fails_and_ends_the_wait() {
    let s = TestServer::start().await;
    let url = format!("http://127.0.0.1:{}/hook", free_port().await);
    let ext = make_extension(&s, demo::catalog_id(1), &extension_body(&url, Some("P1D"), Some(0))).await;
    let policy = policy_with(&s, demo::access_package_id(2), &[(CREATED, &ext)], json!({"type": "noExpiration"})).await;
    let b = add_body("adminAdd", demo::access_package_id(2), Some(policy), demo::user_id(10));
    let id = id_of(&create(&s, true, &s.admin(), &b).await);
    let done = wait_terminal(&s, true, &id).await;
    assert_eq!((done["state"].as_str(), done["status"].as_str()), (Some("denied"), Some("TimedOut")), "{done}");
    let i = &done["customExtensionCalloutInstances"][0];
    assert_eq!(i["status"], "calloutFailed", "{done}");
    assert!(i["detail"].as_str().unwrap().contains("could not be reached"), "{done}");
    s.stop().await;
}

#[tokio::test]
async fn forged_and_replayed_resumes_are_refused() {
    let s = TestServer::start().await;
    let rx = Receiver::start().await;
    let (_, id, call) = waiting_request(&s, &rx, 10).await;
    let instance = call.body["data"]["customExtensionStageInstanceId"].as_str().unwrap().to_string();
    let (_, other_id, other_call) = waiting_request(&s, &rx, 11).await;
    let other_instance = other_call.body["data"]["customExtensionStageInstanceId"].as_str().unwrap().to_string();
    let url = format!("{}/{id}/resume", requests(true));
    let good = resume_body(&instance, CREATED, None);

    // No token; another app; the requestor-less target as an end user (can read, may not answer).
    let r = s.call(reqwest::Method::POST, &url, None, Some(&good)).await;
    assert_eq!(r.status, 401, "{}", r.text);
    let r = s.post(&url, &app_token(&s, "0d1e2f3a-0000-4000-8000-000000000bad"), &good).await;
    assert_eq!(r.status, 404, "{}", r.text);
    let r = s.post(&url, &s.end_user(10), &good).await;
    assert_eq!(r.status, 403, "{}", r.text);

    // Forged instances: unknown, not a GUID, another request's, missing; a wrong stage.
    let app = app_token(&s, WORKFLOW_APP);
    for (forged, code) in [
        (resume_body("11111111-2222-4333-8444-555555555555", CREATED, None), "InvalidCustomExtensionStageInstance"),
        (
            resume_body("@{triggerBody()?['CustomExtensionStageInstanceId']}", CREATED, None),
            "InvalidCustomExtensionStageInstance",
        ),
        (resume_body(&other_instance, CREATED, None), "InvalidCustomExtensionStageInstance"),
        (
            json!({"source": "x", "type": format!("microsoft.graph.accessPackageCustomExtensionStage.{CREATED}")}),
            "InvalidCustomExtensionStageInstance",
        ),
        (resume_body(&instance, "assignmentRequestApproved", None), "CustomExtensionStageMismatch"),
    ] {
        let r = s.post(&url, &app, &forged).await;
        assert_eq!(r.status, 400, "{forged}: {}", r.text);
        assert_eq!(r.error_code(), code, "{forged}");
    }
    // Another request's app cannot answer through this one; nothing moved.
    assert_eq!(get_request(&s, true, &id).await["status"], "WaitingForCallback");
    assert_eq!(get_request(&s, true, &other_id).await["status"], "WaitingForCallback");
    // Answered, then replayed with a different decision, then replayed identically.
    assert_eq!(s.post(&url, &app, &good).await.status, 204);
    let replay = s.post(&url, &app, &resume_body(&instance, CREATED, Some("Denied"))).await;
    assert_eq!(replay.status, 409, "{}", replay.text);
    assert_eq!(s.post(&url, &app, &good).await.status, 204);
    assert_eq!(wait_terminal(&s, true, &id).await["state"], "delivered");
    // After the request completed, an answer for a call it never made is refused as not waiting.
    let r = s.post(&url, &app, &resume_body("11111111-2222-4333-8444-555555555555", CREATED, None)).await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(r.error_code(), "RequestNotWaitingForCallback");
    s.stop().await;
}

#[tokio::test]
async fn granted_removed_and_expiry_stages_fire_at_their_moments() {
    let s = TestServer::start().await;
    let rx = Receiver::start().await;
    let mut body = extension_body(&rx.url, None, None);
    body["@odata.type"] = json!("#microsoft.graph.accessPackageAssignmentWorkflowExtension");
    let ext = make_extension(&s, demo::catalog_id(1), &body).await;
    let stages = [
        ("assignmentRequestCreated", ext.as_str()),
        ("assignmentRequestGranted", ext.as_str()),
        ("assignmentRequestRemoved", ext.as_str()),
        ("assignmentFourteenDaysBeforeExpiration", ext.as_str()),
        ("assignmentOneDayBeforeExpiration", ext.as_str()),
    ];
    let policy =
        policy_with(&s, demo::access_package_id(2), &stages, json!({"type": "afterDuration", "duration": "P30D"}))
            .await;
    let b = add_body("adminAdd", demo::access_package_id(2), Some(policy), demo::user_id(10));
    let id = id_of(&create(&s, true, &s.admin(), &b).await);
    // Launch and continue: no wait at creation.
    let done = wait_terminal(&s, true, &id).await;
    assert_eq!(done["state"], "delivered", "{done}");
    let created = rx.wait_stage("assignmentRequestCreated").await;
    assert!(created.body["data"].get("callbackConfiguration").is_none(), "{}", created.body);
    let granted = rx.wait_stage("assignmentRequestGranted").await;
    verify_token(&s, &granted, WORKFLOW_APP).await;
    assert_eq!(granted.body["data"]["assignmentRequest"]["state"], "delivered", "{}", granted.body);
    let assignment = granted.body["data"]["assignment"]["id"].as_str().unwrap().to_string();
    assert_eq!(granted.body["data"]["assignment"]["state"], "delivered");
    assert_eq!(granted.body["data"]["assignment"]["target"]["id"], demo::user_id(10).to_string());
    assert_eq!(rx.calls().len(), 2, "no expiry call yet");

    // Sixteen days later the fourteen-day notice is due; a day before the end, the last one.
    s.clock.advance(Duration::days(16) + Duration::hours(1));
    let fourteen = rx.wait_stage("assignmentFourteenDaysBeforeExpiration").await;
    assert_eq!(fourteen.body["data"]["assignment"]["id"], assignment.as_str());
    assert!(rx.calls().iter().all(|c| c.body["data"]["stage"] != "assignmentOneDayBeforeExpiration"));
    s.clock.advance(Duration::days(13));
    rx.wait_stage("assignmentOneDayBeforeExpiration").await;

    // Removal fires the removed stage.
    let removal = id_of(&create(&s, true, &s.admin(), &remove_body("adminRemove", &assignment)).await);
    wait_terminal(&s, true, &removal).await;
    let removed = rx.wait_stage("assignmentRequestRemoved").await;
    assert_eq!(removed.body["data"]["requestType"], "adminRemove");
    // Every call is recorded on the request that made it.
    let granted_req = get_request(&s, true, &id).await;
    let stages: Vec<&str> = granted_req["customExtensionCalloutInstances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["status"].as_str().unwrap())
        .collect();
    assert_eq!(stages.len(), 4, "{granted_req}");
    assert!(stages.iter().all(|s| *s == "calloutSent"), "{granted_req}");
    s.stop().await;
}
