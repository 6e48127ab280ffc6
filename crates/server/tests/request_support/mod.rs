//! Helpers for the request black-box tests: create bodies, waiting for a request to reach a
//! terminal state (bounded polling), and membership checks through the directory API.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::{Resp, TestServer, BETA, V1};
use grantd::demo;
use grantd_domain::{AccessPackageId, ObjectId, PolicyId};
use serde_json::{json, Value};
use std::time::Duration;

pub const TERMINAL_V1: [&str; 5] = ["delivered", "partiallyDelivered", "deliveryFailed", "denied", "canceled"];
pub const TERMINAL_BETA: [&str; 5] = ["Delivered", "PartiallyDelivered", "DeliveryFailed", "Denied", "Canceled"];

/// The request collection of each version.
pub fn requests(v1: bool) -> String {
    if v1 {
        format!("{V1}/assignmentRequests")
    } else {
        format!("{BETA}/assignmentRequests")
    }
}

pub fn assignments(v1: bool) -> String {
    if v1 {
        format!("{V1}/assignments")
    } else {
        format!("{BETA}/accessPackageAssignments")
    }
}

pub fn state_of(body: &Value) -> String {
    body.get("state").or_else(|| body.get("requestState")).and_then(Value::as_str).unwrap_or_default().to_string()
}

/// A v1.0-style add body (beta accepts it too).
pub fn add_body(kind: &str, package: AccessPackageId, policy: Option<PolicyId>, target: ObjectId) -> Value {
    let mut a = json!({"accessPackageId": package.to_string(), "targetId": target.to_string()});
    if let Some(p) = policy {
        a["assignmentPolicyId"] = json!(p.to_string());
    }
    json!({"requestType": kind, "assignment": a})
}

pub fn remove_body(kind: &str, assignment: &str) -> Value {
    json!({"requestType": kind, "assignment": {"id": assignment}})
}

/// Creates a request and asserts 201.
pub async fn create(s: &TestServer, v1: bool, token: &str, body: &Value) -> Value {
    let r = s.post(&requests(v1), token, body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body
}

/// Polls GET until the request is in a terminal state (at most ~10 s).
pub async fn wait_terminal(s: &TestServer, v1: bool, id: &str) -> Value {
    let url = format!("{}/{id}", requests(v1));
    let t = s.admin();
    for _ in 0..200 {
        let r = s.get(&url, &t).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let st = state_of(&r.body);
        if TERMINAL_V1.contains(&st.as_str()) || TERMINAL_BETA.contains(&st.as_str()) {
            return r.body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("request {id} did not complete");
}

/// Polls GET until the request reaches `state` (at most ~10 s).
pub async fn wait_state(s: &TestServer, v1: bool, id: &str, state: &str) -> Value {
    let url = format!("{}/{id}", requests(v1));
    let t = s.admin();
    for _ in 0..200 {
        let r = s.get(&url, &t).await;
        if state_of(&r.body) == state {
            return r.body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("request {id} did not reach {state}");
}

/// Admin adds `target` to `package` through its direct policy and waits for delivery; returns
/// the assignment id.
pub async fn admin_grant(s: &TestServer, package: u16, target: ObjectId) -> String {
    let body = add_body("adminAdd", demo::access_package_id(package), Some(demo::policy_id(package * 10 + 1)), target);
    let r = create(s, true, &s.admin(), &body).await;
    let done = wait_terminal(s, true, r["id"].as_str().unwrap()).await;
    assert_eq!(done["state"], "delivered", "{done}");
    let got = s.get(&format!("{}/{}?$expand=assignment", requests(true), r["id"].as_str().unwrap()), &s.admin()).await;
    got.body["assignment"]["id"].as_str().unwrap().to_string()
}

pub async fn is_member(s: &TestServer, group: ObjectId, user: ObjectId) -> bool {
    let r = s.get(&format!("/v1.0/groups/{group}/members"), &s.admin()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["value"].as_array().unwrap().iter().any(|m| m["id"] == user.to_string())
}

/// The assignments of `target` in `package` (any state), as the admin sees them on v1.0.
pub async fn assignments_of(s: &TestServer, package: AccessPackageId, target: ObjectId) -> Vec<Value> {
    let url = format!(
        "{}?$filter=accessPackage/id%20eq%20%27{package}%27%20and%20target/objectId%20eq%20%27{target}%27",
        assignments(true)
    );
    let r = s.get(&url, &s.admin()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["value"].as_array().unwrap().clone()
}

pub fn code(r: &Resp) -> String {
    r.error_code()
}

/// A v1.0 policy body: direct assignment (admins only) unless `self_service`.
pub fn policy_body(package: AccessPackageId, name: &str, self_service: bool) -> Value {
    json!({
        "displayName": name,
        "description": name,
        "allowedTargetScope": if self_service { "allMemberUsers" } else { "notSpecified" },
        "specificAllowedTargets": [],
        "expiration": {"type": "noExpiration"},
        "requestorSettings": {
            "enableTargetsToSelfAddAccess": self_service,
            "enableTargetsToSelfUpdateAccess": self_service,
            "enableTargetsToSelfRemoveAccess": self_service,
            "allowCustomAssignmentSchedule": false,
            "enableOnBehalfRequestorsToAddAccess": false,
            "enableOnBehalfRequestorsToUpdateAccess": false,
            "enableOnBehalfRequestorsToRemoveAccess": false,
            "onBehalfRequestors": []
        },
        "requestApprovalSettings": {"isApprovalRequiredForAdd": false, "isApprovalRequiredForUpdate": false, "stages": []},
        "accessPackage": {"id": package.to_string()}
    })
}

/// Creates a policy through the v1.0 API and returns its id.
pub async fn make_policy(s: &TestServer, body: &Value) -> PolicyId {
    let r = s.post(&format!("{V1}/assignmentPolicies"), &s.admin(), body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.body["id"].as_str().unwrap().parse().unwrap()
}

/// A direct policy on `package` whose requests wait (one day) for a custom extension at
/// creation. The extension points at a local endpoint that accepts every callout.
pub async fn callout_policy(s: &TestServer, package: AccessPackageId) -> PolicyId {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let app = axum::Router::new().route("/hook", axum::routing::post(|| async { axum::http::StatusCode::ACCEPTED }));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let pkg = s.get(&format!("{V1}/accessPackages/{package}?$expand=catalog"), &s.admin()).await;
    let catalog = pkg.body["catalog"]["id"].as_str().unwrap().to_string();
    let ext = json!({
        "@odata.type": "#microsoft.graph.accessPackageAssignmentRequestWorkflowExtension",
        "displayName": "Waits for a callback",
        "endpointConfiguration": {"@odata.type": "#microsoft.graph.logicAppTriggerEndpointConfiguration", "url": url},
        "callbackConfiguration": {"@odata.type": "#microsoft.graph.customExtensionCallbackConfiguration", "timeoutDuration": "P1D"}
    });
    let r = s.post(&format!("{V1}/catalogs/{catalog}/customWorkflowExtensions"), &s.admin(), &ext).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let mut b = policy_body(package, "Waits for a callout", false);
    b["customExtensionStageSettings"] = json!([{
        "stage": "assignmentRequestCreated",
        "customExtension": {"id": r.body["id"]}
    }]);
    make_policy(s, &b).await
}

/// The id of the request's latest callout instance, once recorded (at most ~10 s); None when
/// the request is not waiting for a callback.
pub async fn callout_instance(s: &TestServer, v1: bool, id: &str) -> Option<String> {
    let url = format!("{}/{id}", requests(v1));
    for _ in 0..200 {
        let r = s.get(&url, &s.admin()).await;
        let st = r.body.get("status").or_else(|| r.body.get("requestStatus")).and_then(Value::as_str).unwrap_or("");
        if st != "WaitingForCallback" {
            return None;
        }
        if let Some(i) = r.body["customExtensionCalloutInstances"].as_array().and_then(|a| a.last()) {
            return i["id"].as_str().map(str::to_string);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("request {id} recorded no callout instance");
}

/// Polls GET until the request's status is `status` (at most ~10 s).
pub async fn wait_status(s: &TestServer, v1: bool, id: &str, status: &str) -> Value {
    let url = format!("{}/{id}", requests(v1));
    let t = s.admin();
    for _ in 0..200 {
        let r = s.get(&url, &t).await;
        let st = r.body.get("status").or_else(|| r.body.get("requestStatus")).and_then(Value::as_str).unwrap_or("");
        if st == status {
            return r.body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("request {id} did not reach status {status}");
}

/// POSTs a bound action with no body and no Content-Type (as the SDKs send cancel/reprocess).
pub async fn action(s: &TestServer, v1: bool, id: &str, name: &str, token: &str) -> Resp {
    s.call(reqwest::Method::POST, &format!("{}/{id}/{name}", requests(v1)), Some(token), None).await
}
