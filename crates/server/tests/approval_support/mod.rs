//! Helpers for the approval black-box tests: approval policies built through the v1.0 API
//! (stages from subject sets), a user's own request parked in approval, reading an approval
//! and its stages as an approver, and deciding a stage, on v1.0 (`stages`) or beta (`steps`).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::{Resp, TestServer, BETA, V1};
use crate::request_support::*;
use grantd::demo;
use grantd_domain::{AccessPackageId, PolicyId};
use serde_json::{json, Value};
use std::time::Duration;

/// Users of the demo tenant by name (see demo.rs): managers Lidia, Lynne -> Johanna -> Alex;
/// Diego, Isaiah -> Adele -> Alex; Patti, Pradeep -> Nestor -> Alex; Alex has no manager.
pub const ALEX: u16 = 1;
pub const LEE: u16 = 3;
pub const ADELE: u16 = 4;
pub const DIEGO: u16 = 5;
pub const ISAIAH: u16 = 6;
pub const JOHANNA: u16 = 7;
pub const LIDIA: u16 = 8;
pub const LYNNE: u16 = 9;
pub const NESTOR: u16 = 10;
pub const PATTI: u16 = 11;
pub const PRADEEP: u16 = 12;
/// Sales Team = Adele, Diego, Isaiah; Engineering = Johanna, Lidia, Lynne.
pub const SALES_TEAM: u16 = 1;
pub const ENGINEERING: u16 = 2;

/// The package the approval tests request (Engineering Onboarding, General catalog).
pub fn package() -> AccessPackageId {
    demo::access_package_id(2)
}

pub fn single(n: u16) -> Value {
    json!({"@odata.type": "#microsoft.graph.singleUser", "userId": demo::user_id(n).to_string()})
}

pub fn group(n: u16) -> Value {
    json!({"@odata.type": "#microsoft.graph.groupMembers", "groupId": demo::group_id(n).to_string()})
}

pub fn manager(level: i32) -> Value {
    json!({"@odata.type": "#microsoft.graph.requestorManager", "managerLevel": level})
}

/// A v1.0 stage asking `primary`, denying after 14 days.
pub fn stage(primary: Vec<Value>) -> Value {
    json!({
        "durationBeforeAutomaticDenial": "P14D",
        "isApproverJustificationRequired": false,
        "isEscalationEnabled": false,
        "durationBeforeEscalation": "PT0S",
        "primaryApprovers": primary,
        "fallbackPrimaryApprovers": [],
        "escalationApprovers": [],
        "fallbackEscalationApprovers": []
    })
}

/// A self-service policy on `package()` for all members, approval required for adds.
pub async fn approval_policy(s: &TestServer, name: &str, stages: Vec<Value>) -> PolicyId {
    let mut b = policy_body(package(), name, true);
    b["requestApprovalSettings"] =
        json!({"isApprovalRequiredForAdd": true, "isApprovalRequiredForUpdate": false, "stages": stages});
    make_policy(s, &b).await
}

/// `user`'s own userAdd under `policy`, waited for until its approval opened (or it ended).
pub async fn request(s: &TestServer, v1: bool, user: u16, policy: PolicyId) -> String {
    let b = add_body("userAdd", package(), Some(policy), demo::user_id(user));
    let r = create(s, v1, &s.end_user(user), &b).await;
    let id = r["id"].as_str().unwrap().to_string();
    let url = format!("{}/{id}", requests(v1));
    for _ in 0..200 {
        let got = s.get(&url, &s.admin()).await;
        let st = state_of(&got.body);
        if st != "submitted" && st != "Submitted" {
            return id;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("request {id} stayed submitted");
}

pub fn approvals(v1: bool) -> String {
    format!("{}/accessPackageAssignmentApprovals", if v1 { V1 } else { BETA })
}

pub fn nav(v1: bool) -> &'static str {
    if v1 {
        "stages"
    } else {
        "steps"
    }
}

pub async fn get_approval(s: &TestServer, v1: bool, id: &str, user: u16) -> Resp {
    s.get(&format!("{}/{id}", approvals(v1)), &s.end_user(user)).await
}

/// The approval's stages as `user` sees them (asserting 200).
pub async fn stages_of(s: &TestServer, v1: bool, id: &str, user: u16) -> Vec<Value> {
    let r = s.get(&format!("{}/{id}/{}", approvals(v1), nav(v1)), &s.end_user(user)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body["value"].as_array().unwrap().clone()
}

/// The stage in progress (its id), as an admin sees it.
pub async fn current_stage(s: &TestServer, v1: bool, id: &str) -> String {
    let r = s.get(&format!("{}/{id}/{}", approvals(v1), nav(v1)), &s.admin()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let all = r.body["value"].as_array().unwrap();
    let st =
        all.iter().find(|s| s["status"] == "InProgress").unwrap_or_else(|| panic!("no stage in progress: {}", r.text));
    st["id"].as_str().unwrap().to_string()
}

pub async fn decide_as(
    s: &TestServer,
    v1: bool,
    id: &str,
    stage: &str,
    token: &str,
    verdict: &str,
    justification: &str,
) -> Resp {
    let body = json!({"reviewResult": verdict, "justification": justification});
    s.patch(&format!("{}/{id}/{}/{stage}", approvals(v1), nav(v1)), token, &body).await
}

pub async fn decide(s: &TestServer, v1: bool, id: &str, stage: &str, user: u16, verdict: &str) -> Resp {
    decide_as(s, v1, id, stage, &s.end_user(user), verdict, "reviewed").await
}

/// Decides the stage in progress and asserts 204.
pub async fn decide_current(s: &TestServer, v1: bool, id: &str, user: u16, verdict: &str) {
    let stage = current_stage(s, v1, id).await;
    let r = decide(s, v1, id, &stage, user, verdict).await;
    assert_eq!(r.status, 204, "{verdict} by {user}: {}", r.text);
    assert!(r.text.is_empty());
}

/// The request as the admin sees it on v1.0.
pub async fn request_now(s: &TestServer, id: &str) -> Value {
    let r = s.get(&format!("{}/{id}", requests(true)), &s.admin()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
}

/// The ids of the approvals `user` is asked to decide (all pages).
pub async fn my_approvals(s: &TestServer, v1: bool, user: u16) -> Vec<String> {
    let mut url = format!("{}/filterByCurrentUser(on='approver')", approvals(v1));
    let mut out = Vec::new();
    loop {
        let r = s.get(&url, &s.end_user(user)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        out.extend(r.body["value"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_string()));
        match r.body["@odata.nextLink"].as_str() {
            Some(n) => url = n.to_string(),
            None => return out,
        }
    }
}

/// Polls until the request's v1.0 status is `status` (the timer jobs run on the runner's poll).
pub async fn wait_for_status(s: &TestServer, id: &str, status: &str) -> Value {
    wait_status(s, true, id, status).await
}
