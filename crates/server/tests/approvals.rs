//! Approvals through the API, on v1.0 (`stages`) and beta (`steps`): one-, two- and
//! three-stage policies approved at every stage or denied at each stage; what each stage shows
//! (status, assigned approvers, reviewer, time, justification); the requestor who is also a
//! listed approver is never asked; two approvers deciding one stage at once (one 204, one
//! 409); cancel while pending withdraws the approval; `filterByCurrentUser(on='approver')`
//! with paging; and the error answers (403 non-approver and app tokens, 404, 400, 409).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod approval_support;
mod common;
mod request_support;

use approval_support::*;
use common::TestServer;
use grantd::demo;
use request_support::*;
use serde_json::json;

/// Approvers of stages 1, 2, 3 and the requestors used in turn.
const STAGE_APPROVERS: [u16; 3] = [ADELE, NESTOR, LEE];
const REQUESTORS: [u16; 4] = [PATTI, LIDIA, LYNNE, PRADEEP];

/// For a policy of `n` stages: one request approved at every stage (delivered), and one
/// request denied at each stage k (denied, stages after k never started).
async fn stages_approve_all_and_deny_at_each(n: usize, v1: bool) {
    let s = TestServer::start().await;
    let defs = STAGE_APPROVERS[..n].iter().map(|a| stage(vec![single(*a)])).collect();
    let policy = approval_policy(&s, &format!("{n} stages"), defs).await;
    // deny_at = None: approve all.
    let mut cases: Vec<Option<usize>> = vec![None];
    cases.extend((0..n).map(Some));
    for (case, deny_at) in cases.into_iter().enumerate() {
        let user = REQUESTORS[case];
        let id = request(&s, v1, user, policy).await;
        assert_eq!(request_now(&s, &id).await["state"], "pendingApproval");
        for k in 0..n {
            let approver = STAGE_APPROVERS[k];
            let st = stages_of(&s, v1, &id, approver).await;
            assert_eq!(st.len(), n);
            assert_eq!(st[k]["status"], "InProgress", "stage {k}: {st:?}");
            assert_eq!(st[k]["assignedToMe"], true);
            assert!(st[k + 1..].iter().all(|x| x["status"] == "NotStarted"), "{st:?}");
            assert_eq!(my_approvals(&s, v1, approver).await, vec![id.clone()]);
            let verdict = if deny_at == Some(k) { "Deny" } else { "Approve" };
            decide_current(&s, v1, &id, approver, verdict).await;
            assert!(my_approvals(&s, v1, approver).await.is_empty());
            if deny_at == Some(k) {
                break;
            }
        }
        let done = wait_terminal(&s, true, &id).await;
        let st = stages_of(&s, v1, &id, STAGE_APPROVERS[0]).await;
        match deny_at {
            None => {
                assert_eq!(done["state"], "delivered", "{done}");
                assert!(st.iter().all(|x| x["status"] == "Completed" && x["reviewResult"] == "Approved"), "{st:?}");
                assert!(is_member(&s, demo::group_id(ENGINEERING), demo::user_id(user)).await);
            }
            Some(k) => {
                assert_eq!((done["state"].as_str(), done["status"].as_str()), (Some("denied"), Some("Denied")));
                assert_eq!(st[k]["reviewResult"], "Denied");
                assert_eq!(st[k]["status"], "Completed");
                assert!(st[..k].iter().all(|x| x["reviewResult"] == "Approved"));
                assert!(st[k + 1..].iter().all(|x| x["status"] == "NotStarted" && x["reviewResult"] == "NotReviewed"));
            }
        }
        for (k, x) in st.iter().enumerate() {
            if x["reviewResult"] != "NotReviewed" {
                assert_eq!(x["reviewedBy"]["id"], demo::user_id(STAGE_APPROVERS[k]).to_string(), "{x}");
                assert!(x["reviewedDateTime"].is_string(), "{x}");
                assert_eq!(x["justification"], "reviewed");
            } else {
                assert!(x["reviewedBy"].is_null() && x["reviewedDateTime"].is_null(), "{x}");
            }
        }
    }
    s.stop().await;
}

#[tokio::test]
async fn one_stage_policy_approves_or_denies() {
    stages_approve_all_and_deny_at_each(1, true).await;
}

#[tokio::test]
async fn two_stage_policy_approves_at_both_or_denies_at_each_stage() {
    stages_approve_all_and_deny_at_each(2, true).await;
}

#[tokio::test]
async fn three_stage_policy_approves_at_all_or_denies_at_each_stage() {
    stages_approve_all_and_deny_at_each(3, true).await;
}

#[tokio::test]
async fn beta_steps_decide_a_two_stage_policy() {
    stages_approve_all_and_deny_at_each(2, false).await;
}

#[tokio::test]
async fn a_stage_shows_its_approvers_and_review() {
    let s = TestServer::start().await;
    let policy = approval_policy(&s, "Adele", vec![stage(vec![single(ADELE)])]).await;
    let id = request(&s, true, LIDIA, policy).await;
    let r = get_approval(&s, true, &id, ADELE).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["id"], id);
    let st = &r.body["stages"][0];
    assert_eq!(
        st["grantdAssignedApprovers"],
        json!([{"id": demo::user_id(ADELE).to_string(), "displayName": "Adele Vance"}])
    );
    assert_eq!(st["reviewResult"], "NotReviewed");
    // The catalog's administrators read it too; not assigned to them.
    let admin = s.get(&format!("{}/{id}", approvals(true)), &s.admin()).await;
    assert_eq!(admin.status, 200);
    assert_eq!(admin.body["stages"][0]["assignedToMe"], false);
    // The requestor is not an approver: 403 (approval-get.md).
    assert_eq!(get_approval(&s, true, &id, LIDIA).await.status, 403);
    let stage_id = st["id"].as_str().unwrap().to_string();
    let one = s.get(&format!("{}/{id}/stages/{stage_id}", approvals(true)), &s.end_user(ADELE)).await;
    assert_eq!(one.status, 200, "{}", one.text);
    assert_eq!(one.body["id"], stage_id);
    let r = decide_as(&s, true, &id, &stage_id, &s.end_user(ADELE), "Approve", "Welcome aboard").await;
    assert_eq!(r.status, 204, "{}", r.text);
    let one = s.get(&format!("{}/{id}/stages/{stage_id}", approvals(true)), &s.end_user(ADELE)).await;
    assert_eq!(one.body["reviewedBy"], json!({"id": demo::user_id(ADELE).to_string(), "displayName": "Adele Vance"}));
    assert_eq!(one.body["justification"], "Welcome aboard");
    assert_eq!(one.body["grantdDecisions"][0]["reviewResult"], "Approved");
    assert_eq!(wait_terminal(&s, true, &id).await["state"], "delivered");
    s.stop().await;
}

#[tokio::test]
async fn the_requestor_listed_as_approver_is_never_asked() {
    let s = TestServer::start().await;
    let policy = approval_policy(&s, "Lidia or Adele", vec![stage(vec![single(LIDIA), single(ADELE)])]).await;
    let id = request(&s, true, LIDIA, policy).await;
    let st = stages_of(&s, true, &id, ADELE).await;
    let asked: Vec<&str> =
        st[0]["grantdAssignedApprovers"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
    assert_eq!(asked, vec![demo::user_id(ADELE).to_string()]);
    let sid = st[0]["id"].as_str().unwrap();
    let r = decide(&s, true, &id, sid, LIDIA, "Approve").await;
    assert_eq!((r.status.as_u16(), r.error_code().as_str()), (403, "UnAuthorized"), "{}", r.text);
    assert!(my_approvals(&s, true, LIDIA).await.is_empty());
    assert_eq!(request_now(&s, &id).await["state"], "pendingApproval");

    // Only the requestor listed, no fallback: nobody to ask, so the request is denied at once.
    let alone = approval_policy(&s, "Lynne only", vec![stage(vec![single(LYNNE)])]).await;
    let id = request(&s, true, LYNNE, alone).await;
    let done = wait_terminal(&s, true, &id).await;
    assert_eq!((done["state"].as_str(), done["status"].as_str()), (Some("denied"), Some("NoApproversAvailable")));
    s.stop().await;
}

#[tokio::test]
async fn two_approvers_deciding_one_stage_at_once_one_wins_the_other_gets_409() {
    let s = TestServer::start().await;
    let policy = approval_policy(&s, "Sales team", vec![stage(vec![group(SALES_TEAM)])]).await;
    for (round, user) in [LIDIA, LYNNE, PATTI].into_iter().enumerate() {
        let id = request(&s, true, user, policy).await;
        let sid = current_stage(&s, true, &id).await;
        let (a, b) = (s.end_user(ADELE), s.end_user(DIEGO));
        let (va, vb) = if round == 1 { ("Deny", "Approve") } else { ("Approve", "Deny") };
        let (ra, rb) =
            tokio::join!(decide_as(&s, true, &id, &sid, &a, va, "a"), decide_as(&s, true, &id, &sid, &b, vb, "b"));
        let mut codes = [ra.status.as_u16(), rb.status.as_u16()];
        codes.sort();
        assert_eq!(codes, [204, 409], "{} / {}", ra.text, rb.text);
        let (winner, loser) = if ra.status == 204 { (&ra, &rb) } else { (&rb, &ra) };
        assert!(winner.text.is_empty());
        assert_eq!(loser.error_code(), "ApprovalStageAlreadyReviewed");
        let winner_verdict = if ra.status == 204 { va } else { vb };
        let done = wait_terminal(&s, true, &id).await;
        let want = if winner_verdict == "Approve" { "delivered" } else { "denied" };
        assert_eq!(done["state"], want, "{done}");
        let st = stages_of(&s, true, &id, ADELE).await;
        assert_eq!(st[0]["grantdDecisions"].as_array().unwrap().len(), 1, "exactly one decision: {st:?}");
        // A third approver after the fact: 409 as well.
        assert_eq!(decide(&s, true, &id, &sid, ISAIAH, "Approve").await.status, 409);
    }
    s.stop().await;
}

#[tokio::test]
async fn cancel_while_pending_withdraws_the_approval() {
    let s = TestServer::start().await;
    let policy = approval_policy(&s, "Two stages", vec![stage(vec![single(ADELE)]), stage(vec![single(NESTOR)])]).await;
    for v1 in [true, false] {
        let user = if v1 { LIDIA } else { LYNNE };
        let id = request(&s, v1, user, policy).await;
        let sid = current_stage(&s, v1, &id).await;
        let r = action(&s, v1, &id, "cancel", &s.end_user(user)).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let done = request_now(&s, &id).await;
        assert_eq!(done["state"], "canceled");
        let st = stages_of(&s, v1, &id, ADELE).await;
        assert!(st.iter().all(|x| x["status"] == "Canceled" && x["reviewResult"] == "NotReviewed"), "{st:?}");
        assert!(my_approvals(&s, v1, ADELE).await.is_empty());
        assert_eq!(decide(&s, v1, &id, &sid, ADELE, "Approve").await.status, 409);
    }
    s.stop().await;
}

#[tokio::test]
async fn filter_by_current_user_pages_the_approvals_waiting_for_the_caller() {
    let s = TestServer::start().await;
    let policy = approval_policy(&s, "Adele", vec![stage(vec![single(ADELE)])]).await;
    let mut ids = Vec::new();
    for user in [LIDIA, LYNNE, PATTI] {
        ids.push(request(&s, true, user, policy).await);
    }
    for v1 in [true, false] {
        let url = format!("{}/filterByCurrentUser(on='approver')?$top=2", approvals(v1));
        let first = s.get(&url, &s.end_user(ADELE)).await;
        assert_eq!(first.status, 200, "{}", first.text);
        let page = first.body["value"].as_array().unwrap();
        assert_eq!(page.len(), 2);
        assert_eq!(page[0]["@odata.type"], "#microsoft.graph.approval");
        assert!(first.body["@odata.nextLink"].is_string(), "{}", first.text);
        let mut all = my_approvals(&s, v1, ADELE).await;
        all.sort();
        let mut want = ids.clone();
        want.sort();
        assert_eq!(all, want);
        assert!(my_approvals(&s, v1, NESTOR).await.is_empty());
    }
    let r = s.get(&format!("{}/filterByCurrentUser(on='approver')", approvals(true)), &s.app()).await;
    assert_eq!(r.status, 403, "{}", r.text);
    s.stop().await;
}

#[tokio::test]
async fn approvals_refuse_bad_decisions_with_graph_errors() {
    let s = TestServer::start().await;
    let mut strict = stage(vec![single(ADELE)]);
    strict["isApproverJustificationRequired"] = json!(true);
    let policy = approval_policy(&s, "Strict", vec![strict]).await;
    let id = request(&s, true, LIDIA, policy).await;
    let sid = current_stage(&s, true, &id).await;
    let base = format!("{}/{id}/stages/{sid}", approvals(true));
    let adele = s.end_user(ADELE);
    // Justification required by the stage.
    let r = decide_as(&s, true, &id, &sid, &adele, "Approve", "").await;
    assert_eq!((r.status.as_u16(), r.error_code().as_str()), (400, "JustificationRequired"), "{}", r.text);
    // Missing or unknown reviewResult.
    let r = s.patch(&base, &adele, &json!({"justification": "x"})).await;
    assert_eq!((r.status.as_u16(), r.error_code().as_str()), (400, "InvalidModel"));
    let r = s.patch(&base, &adele, &json!({"reviewResult": "Maybe", "justification": "x"})).await;
    assert_eq!(r.status, 400);
    // Non-approver, app token.
    let r = decide_as(&s, true, &id, &sid, &s.end_user(NESTOR), "Approve", "x").await;
    assert_eq!((r.status.as_u16(), r.error_code().as_str()), (403, "UnAuthorized"));
    assert_eq!(decide_as(&s, true, &id, &sid, &s.admin(), "Approve", "x").await.status, 403);
    assert_eq!(decide_as(&s, true, &id, &sid, &s.app(), "Approve", "x").await.status, 403);
    assert_eq!(s.get(&format!("{}/{id}", approvals(true)), &s.app()).await.status, 403);
    // Unknown approval, unknown stage, the other version's segment.
    let unknown = uuid::Uuid::new_v4();
    let r = s.get(&format!("{}/{unknown}", approvals(true)), &adele).await;
    assert_eq!((r.status.as_u16(), r.error_code().as_str()), (404, "ResourceNotFound"));
    let r = decide_as(&s, true, &unknown.to_string(), &sid, &adele, "Approve", "x").await;
    assert_eq!(r.status, 404);
    let r = decide_as(&s, true, &id, &unknown.to_string(), &adele, "Approve", "x").await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(s.get(&format!("{}/{id}/steps", approvals(true)), &adele).await.status, 404);
    assert_eq!(s.get(&format!("{}/{id}/stages", approvals(false)), &adele).await.status, 404);
    // A request without approval has no approval.
    let direct = add_body("adminAdd", package(), Some(demo::policy_id(21)), demo::user_id(PATTI));
    let plain = create(&s, true, &s.admin(), &direct).await;
    let r = s.get(&format!("{}/{}", approvals(true), plain["id"].as_str().unwrap()), &s.admin()).await;
    assert_eq!(r.status, 404);
    // A good decision, then a second one: 409.
    let r = decide_as(&s, true, &id, &sid, &adele, "approve", "fine").await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = decide_as(&s, true, &id, &sid, &adele, "Deny", "changed my mind").await;
    assert_eq!((r.status.as_u16(), r.error_code().as_str()), (409, "ApprovalStageAlreadyReviewed"));
    s.stop().await;
}
