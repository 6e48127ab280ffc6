//! Approval rules through the API: automatic denial after `durationBeforeAutomaticDenial` and
//! escalation after `durationBeforeEscalation` (moving the server's clock and letting the
//! timer jobs run), approver kinds (manager level 1 and 2, with and without a manager set, the
//! fallback, sponsors, nobody at all), grantd's `grantdQuorum` and `grantdRequireAllGroups`
//! stages, and the docs' approval examples matched (golden).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod approval_support;
mod common;
mod golden;
mod request_support;

use approval_support::*;
use common::{TestServer, BETA, V1};
use golden::{assert_same_shape, parse};
use grantd::demo::{self, DEMO_TENANT};
use request_support::*;
use serde_json::{json, Value};

fn asked(stage: &Value) -> Vec<String> {
    stage["grantdAssignedApprovers"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_string()).collect()
}

fn ids(users: &[u16]) -> Vec<String> {
    let mut v: Vec<String> = users.iter().map(|u| demo::user_id(*u).to_string()).collect();
    v.sort();
    v
}

#[tokio::test]
async fn a_stage_nobody_decides_denies_the_request_when_its_time_passes() {
    let s = TestServer::start().await;
    let mut first = stage(vec![single(ADELE)]);
    first["durationBeforeAutomaticDenial"] = json!("P2D");
    let mut second = stage(vec![single(NESTOR)]);
    second["durationBeforeAutomaticDenial"] = json!("P3D");
    let policy = approval_policy(&s, "Timeouts", vec![first, second]).await;
    let a = request(&s, true, LIDIA, policy).await;
    let b = request(&s, true, LYNNE, policy).await;
    decide_current(&s, true, &b, ADELE, "Approve").await;
    // Day 2.5: a's first stage expired; b's second stage (started at day 0) has not.
    s.clock.advance(chrono::Duration::hours(60));
    let done = wait_for_status(&s, &a, "TimedOut").await;
    assert_eq!(done["state"], "denied");
    let st = stages_of(&s, true, &a, ADELE).await;
    assert_eq!((st[0]["status"].as_str(), st[0]["reviewResult"].as_str()), (Some("Expired"), Some("NotReviewed")));
    assert_eq!(st[1]["status"], "NotStarted");
    assert_eq!(request_now(&s, &b).await["state"], "pendingApproval");
    // A decision after expiry is refused.
    let r = decide(&s, true, &a, st[0]["id"].as_str().unwrap(), ADELE, "Approve").await;
    assert_eq!(r.status, 409);
    s.clock.advance(chrono::Duration::days(1));
    let done = wait_for_status(&s, &b, "TimedOut").await;
    assert_eq!(done["state"], "denied");
    let st = stages_of(&s, true, &b, ADELE).await;
    assert_eq!(st[0]["reviewResult"], "Approved");
    assert_eq!(st[1]["status"], "Expired");
    s.stop().await;
}

#[tokio::test]
async fn escalation_adds_the_escalation_approvers_after_its_time() {
    let s = TestServer::start().await;
    let mut st = stage(vec![single(ADELE)]);
    st["isEscalationEnabled"] = json!(true);
    st["durationBeforeEscalation"] = json!("PT2H");
    st["escalationApprovers"] = json!([single(NESTOR)]);
    let policy = approval_policy(&s, "Escalates", vec![st]).await;
    let id = request(&s, true, LIDIA, policy).await;
    let sid = current_stage(&s, true, &id).await;
    assert_eq!(decide(&s, true, &id, &sid, NESTOR, "Approve").await.status, 403);
    assert!(my_approvals(&s, true, NESTOR).await.is_empty());
    s.clock.advance(chrono::Duration::hours(3));
    wait_for_status(&s, &id, "PendingApprovalEscalated").await;
    let beta = s.get(&format!("{}/{id}", requests(false)), &s.admin()).await;
    assert_eq!(beta.body["requestStatus"], "PendingApprovalEscalated");
    assert_eq!(my_approvals(&s, true, NESTOR).await, vec![id.clone()]);
    assert_eq!(my_approvals(&s, true, ADELE).await, vec![id.clone()]);
    let st = stages_of(&s, true, &id, NESTOR).await;
    assert_eq!(st[0]["assignedToMe"], true);
    assert_eq!(asked(&st[0]), ids(&[ADELE, NESTOR]));
    decide_current(&s, true, &id, NESTOR, "Approve").await;
    assert_eq!(wait_terminal(&s, true, &id).await["state"], "delivered");
    s.stop().await;
}

#[tokio::test]
async fn manager_approvers_follow_the_chain_and_fall_back_when_there_is_none() {
    let s = TestServer::start().await;
    let mut one = stage(vec![manager(1)]);
    one["fallbackPrimaryApprovers"] = json!([single(LEE)]);
    let level1 = approval_policy(&s, "Manager", vec![one]).await;
    let level2 = approval_policy(&s, "Second-level manager", vec![stage(vec![manager(2)])]).await;
    // Lidia's manager is Johanna.
    let id = request(&s, true, LIDIA, level1).await;
    let st = stages_of(&s, true, &id, JOHANNA).await;
    assert_eq!(asked(&st[0]), ids(&[JOHANNA]));
    assert_eq!(decide(&s, true, &id, st[0]["id"].as_str().unwrap(), LEE, "Approve").await.status, 403);
    decide_current(&s, true, &id, JOHANNA, "Approve").await;
    assert_eq!(wait_terminal(&s, true, &id).await["state"], "delivered");
    // Alex has no manager: the fallback approver (Lee) is asked.
    let id = request(&s, true, ALEX, level1).await;
    let st = stages_of(&s, true, &id, LEE).await;
    assert_eq!(asked(&st[0]), ids(&[LEE]));
    decide_current(&s, true, &id, LEE, "Deny").await;
    assert_eq!(wait_terminal(&s, true, &id).await["state"], "denied");
    // Level 2: Lynne -> Johanna -> Alex.
    let id = request(&s, true, LYNNE, level2).await;
    let st = stages_of(&s, true, &id, ALEX).await;
    assert_eq!(asked(&st[0]), ids(&[ALEX]));
    // Johanna has only one manager above her and no fallback: nobody to ask, denied at once.
    let id = request(&s, true, JOHANNA, level2).await;
    let done = wait_terminal(&s, true, &id).await;
    assert_eq!((done["state"].as_str(), done["status"].as_str()), (Some("denied"), Some("NoApproversAvailable")));
    let r = s.get(&format!("{}/{id}/stages", approvals(true)), &s.admin()).await;
    let st = r.body["value"].as_array().unwrap();
    assert_eq!((st[0]["status"].as_str(), st[0]["reviewResult"].as_str()), (Some("Completed"), Some("Denied")));
    s.stop().await;
}

#[tokio::test]
async fn the_docs_two_stage_sponsor_policy_asks_sponsors_or_its_fallback() {
    let s = TestServer::start().await;
    // reference/graph/examples v1-post-assignmentpolicies-external-two-stage, with the demo
    // tenant's ids and member users as targets.
    let mut b = parse(include_str!("golden/v1-post-assignmentpolicies-external-two-stage.request.json"));
    b["allowedTargetScope"] = json!("allMemberUsers");
    b["accessPackage"]["id"] = json!(package().to_string());
    let stages = b["requestApprovalSettings"]["stages"].as_array_mut().unwrap();
    stages[0]["fallbackPrimaryApprovers"] = json!([single(LEE), group(SALES_TEAM)]);
    stages[1]["fallbackPrimaryApprovers"] = json!([single(NESTOR)]);
    b["reviewSettings"]["primaryReviewers"] = json!([group(SALES_TEAM)]);
    let policy = make_policy(&s, &b).await;
    // Pradeep's sponsor is Johanna (internal sponsor).
    let mut pradeep = s.store.get_user(DEMO_TENANT, demo::user_id(PRADEEP)).await.unwrap().unwrap();
    pradeep.sponsor_ids = vec![demo::user_id(JOHANNA)];
    s.store.update_user(DEMO_TENANT, &pradeep).await.unwrap();
    let id = request(&s, true, PRADEEP, policy).await;
    assert_eq!(asked(&stages_of(&s, true, &id, JOHANNA).await[0]), ids(&[JOHANNA]));
    decide_current(&s, true, &id, JOHANNA, "Approve").await;
    // Stage 2 has no primary approvers: its fallback is asked.
    assert_eq!(asked(&stages_of(&s, true, &id, NESTOR).await[1]), ids(&[NESTOR]));
    decide_current(&s, true, &id, NESTOR, "Approve").await;
    assert_eq!(wait_terminal(&s, true, &id).await["state"], "delivered");
    // Patti has no sponsor: stage 1 asks the fallback (Lee and the Sales Team).
    let id = request(&s, true, PATTI, policy).await;
    assert_eq!(asked(&stages_of(&s, true, &id, LEE).await[0]), ids(&[LEE, ADELE, DIEGO, ISAIAH]));
    decide_current(&s, true, &id, DIEGO, "Deny").await;
    assert_eq!(wait_terminal(&s, true, &id).await["state"], "denied");
    s.stop().await;
}

#[tokio::test]
async fn a_quorum_stage_needs_that_many_distinct_approvals() {
    let s = TestServer::start().await;
    let mut st = stage(vec![group(SALES_TEAM)]);
    st["grantdQuorum"] = json!(2);
    let policy = approval_policy(&s, "Two of the sales team", vec![st]).await;
    // The extension is kept and shown on both versions.
    let v1 = s.get(&format!("{V1}/assignmentPolicies/{policy}"), &s.admin()).await;
    assert_eq!(v1.body["requestApprovalSettings"]["stages"][0]["grantdQuorum"], 2, "{}", v1.text);
    let beta = s.get(&format!("{BETA}/accessPackageAssignmentPolicies/{policy}"), &s.admin()).await;
    assert_eq!(beta.body["requestApprovalSettings"]["approvalStages"][0]["grantdQuorum"], 2, "{}", beta.text);
    let id = request(&s, true, LIDIA, policy).await;
    let sid = current_stage(&s, true, &id).await;
    assert_eq!(decide(&s, true, &id, &sid, ADELE, "Approve").await.status, 204);
    assert_eq!(decide(&s, true, &id, &sid, ADELE, "Approve").await.status, 409, "one vote per approver");
    let st = stages_of(&s, true, &id, ADELE).await;
    assert_eq!((st[0]["status"].as_str(), st[0]["reviewResult"].as_str()), (Some("InProgress"), Some("NotReviewed")));
    assert_eq!(request_now(&s, &id).await["state"], "pendingApproval");
    assert_eq!(decide(&s, true, &id, &sid, DIEGO, "Approve").await.status, 204);
    assert_eq!(wait_terminal(&s, true, &id).await["state"], "delivered");
    let st = stages_of(&s, true, &id, ADELE).await;
    assert_eq!(st[0]["grantdDecisions"].as_array().unwrap().len(), 2);
    assert_eq!(st[0]["reviewedBy"]["id"], demo::user_id(DIEGO).to_string());
    // A deny from any approver vetoes.
    let id = request(&s, true, LYNNE, policy).await;
    let sid = current_stage(&s, true, &id).await;
    assert_eq!(decide(&s, true, &id, &sid, ADELE, "Approve").await.status, 204);
    assert_eq!(decide(&s, true, &id, &sid, ISAIAH, "Deny").await.status, 204);
    assert_eq!(wait_terminal(&s, true, &id).await["state"], "denied");
    // A quorum of zero is refused.
    let mut bad = stage(vec![group(SALES_TEAM)]);
    bad["grantdQuorum"] = json!(0);
    let mut b = policy_body(package(), "Bad quorum", true);
    b["requestApprovalSettings"] = json!({"isApprovalRequiredForAdd": true, "stages": [bad]});
    let r = s.post(&format!("{V1}/assignmentPolicies"), &s.admin(), &b).await;
    assert_eq!(r.status, 400, "{}", r.text);
    s.stop().await;
}

#[tokio::test]
async fn an_all_groups_stage_needs_one_approval_from_each_listed_entry() {
    let s = TestServer::start().await;
    let mut st = stage(vec![group(SALES_TEAM), single(NESTOR)]);
    st["grantdRequireAllGroups"] = json!(true);
    let policy = approval_policy(&s, "Sales and finance", vec![st]).await;
    let beta = s.get(&format!("{BETA}/accessPackageAssignmentPolicies/{policy}"), &s.admin()).await;
    assert_eq!(beta.body["requestApprovalSettings"]["approvalStages"][0]["grantdRequireAllGroups"], true);
    let id = request(&s, true, LIDIA, policy).await;
    let sid = current_stage(&s, true, &id).await;
    assert_eq!(decide(&s, true, &id, &sid, ADELE, "Approve").await.status, 204);
    assert_eq!(decide(&s, true, &id, &sid, DIEGO, "Approve").await.status, 204);
    assert_eq!(request_now(&s, &id).await["state"], "pendingApproval", "the sales team twice is not enough");
    assert_eq!(decide(&s, true, &id, &sid, NESTOR, "Approve").await.status, 204);
    assert_eq!(wait_terminal(&s, true, &id).await["state"], "delivered");
    s.stop().await;
}

#[tokio::test]
async fn the_docs_approval_examples_are_matched() {
    let s = TestServer::start().await;
    let policy = approval_policy(&s, "Adele", vec![stage(vec![single(ADELE)])]).await;
    let id = request(&s, true, LIDIA, policy).await;
    let fresh_stage = |doc: &Value, ours: &Value| {
        // Same shape; a stage waiting for the caller has the example's values; grantd's own
        // properties are all `grantd`-prefixed.
        assert_same_shape(doc, ours);
        for k in
            ["displayName", "reviewedDateTime", "reviewResult", "status", "assignedToMe", "justification", "reviewedBy"]
        {
            assert_eq!(doc[k], ours[k], "{k}");
        }
        for k in ours.as_object().unwrap().keys() {
            assert!(doc.get(k).is_some() || k.starts_with("grantd"), "unexpected property {k}");
        }
    };
    let doc = parse(include_str!("golden/v1-get-approval.response.json"));
    let r = get_approval(&s, true, &id, ADELE).await;
    assert_same_shape(&doc, &r.body);
    assert!(r.body["@odata.context"].as_str().unwrap().ends_with("accessPackageAssignmentApprovals/$entity"));
    fresh_stage(&doc["stages"][0], &r.body["stages"][0]);
    let beta = get_approval(&s, false, &id, ADELE).await;
    fresh_stage(&doc["stages"][0], &beta.body["steps"][0]);
    let doc = parse(include_str!("golden/v1-list-approval-stages.response.json"));
    let r = s.get(&format!("{}/{id}/stages", approvals(true)), &s.end_user(ADELE)).await;
    assert_same_shape(&doc, &r.body);
    fresh_stage(&doc["value"][0], &r.body["value"][0]);
    let doc = parse(include_str!("golden/v1-filterbycurrentuser-approvals-approver.response.json"));
    let r = s.get(&format!("{}/filterByCurrentUser(on='approver')", approvals(true)), &s.end_user(ADELE)).await;
    assert_same_shape(&doc, &r.body);
    assert_eq!(r.body["value"][0], json!({"@odata.type": "#microsoft.graph.approval", "id": id}));
    // The patch example, byte for byte.
    let sid = current_stage(&s, true, &id).await;
    let r = s
        .http
        .patch(format!("{}{}/{id}/stages/{sid}", s.base, approvals(true)))
        .bearer_auth(s.end_user(ADELE))
        .header("content-type", "application/json")
        .body(include_str!("golden/v1-patch-approvalstage.request.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let st = stages_of(&s, true, &id, ADELE).await;
    assert_eq!((st[0]["reviewResult"].as_str(), st[0]["justification"].as_str()), (Some("Approved"), Some("OK")));
    s.stop().await;
}
