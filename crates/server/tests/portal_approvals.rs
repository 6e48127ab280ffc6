#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Deciding approvals in the portal, over HTTP against the real server: an approver approves
//! (the request is delivered, the decision shows in their past decisions) or denies; a stage
//! that asks for the approver's justification says so next to the field; a second decision on a
//! decided stage is a clear 409 message; only the stage's approvers see the form and may post
//! it; a decision without the session's CSRF token changes nothing; stages and quorums move on
//! as the approval use case decides. Requests are parked in approval through the Graph API,
//! decided through the portal's forms.
mod approval_support;
mod common;
mod portal_support;
mod request_support;

use approval_support::*;
use common::TestServer;
use grantd::demo;
use grantd_domain::request::RequestState;
use grantd_domain::AssignmentRequestId;
use portal_support::Browser;
use request_support::{assignments_of, wait_state};
use reqwest::StatusCode;
use serde_json::json;

async fn stored_state(s: &TestServer, id: &str) -> RequestState {
    let id = AssignmentRequestId(grantd_domain::parse_guid(id).unwrap());
    s.store.get_request(demo::DEMO_TENANT, id).await.unwrap().unwrap().state
}

/// Signs `user` in and opens approval `id`, asserting 200.
async fn open_approval(s: &TestServer, user: u16, role: &str, id: &str) -> (Browser, portal_support::Page) {
    let mut b = Browser::new(s);
    b.sign_in(user, role).await;
    let page = b.get(&format!("/approvals/{id}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    (b, page)
}

#[tokio::test]
async fn an_approver_approves_in_the_portal_and_finds_it_in_past_decisions() {
    let s = TestServer::start().await;
    let policy = approval_policy(&s, "Manager approval", vec![stage(vec![manager(1)])]).await;
    let id = request(&s, true, LIDIA, policy).await;
    assert_eq!(stored_state(&s, &id).await, RequestState::PendingApproval);

    // Johanna, Lidia's manager, finds it waiting, with a link to decide.
    let mut b = Browser::new(&s);
    b.sign_in(JOHANNA, "none").await;
    let list = b.get("/approvals").await;
    assert!(list.body.contains("Lidia Holloway asks for Engineering Onboarding"), "{}", list.body);
    assert!(list.body.contains(&format!("href=\"/approvals/{id}\"")), "{}", list.body);
    assert!(list.body.contains("You have not decided any approval yet."));
    let page = b.get(&format!("/approvals/{id}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Stage 1 of 1") && page.body.contains("Lidia Holloway"), "{}", page.body);
    assert!(page.body.contains("<dd>In progress</dd>") && page.body.contains("<dd>Not reviewed</dd>"), "{}", page.body);
    let stage = page.hidden("stage").expect("the decision form names its stage");
    let csrf = page.csrf();
    let action = format!("/approvals/{id}");

    // Without the session's token nothing is decided.
    for form in [
        vec![("stage", stage.as_str()), ("decision", "approve")],
        vec![("csrf", "forged"), ("stage", &stage), ("decision", "approve")],
    ] {
        let r = b.post(&action, &form).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("security token"), "{}", r.body);
    }
    assert_eq!(stored_state(&s, &id).await, RequestState::PendingApproval);

    // Approve: POST-redirect-GET, and the request goes on to delivery.
    let r = b
        .post(
            &action,
            &[("csrf", &csrf), ("stage", &stage), ("decision", "approve"), ("justification", "Welcome aboard.")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(r.location(), format!("/approvals/{id}?decided=1"));
    wait_state(&s, true, &id, "delivered").await;
    assert_eq!(assignments_of(&s, package(), demo::user_id(LIDIA)).await.len(), 1);
    let done = b.get(&r.location()).await;
    assert!(done.body.contains("You approved this request."), "{}", done.body);
    assert!(done.body.contains("Welcome aboard.") && done.body.contains("by Johanna Lorenz"), "{}", done.body);
    assert!(!done.body.contains("name=\"decision\""), "no form once decided");
    assert!(done.body.contains("<dd>Completed</dd>") && done.body.contains("<dd>Approved</dd>"), "{}", done.body);

    // The same form posted again: the stage is decided, said plainly, with a 409.
    let again =
        b.post(&action, &[("csrf", &csrf), ("stage", &stage), ("decision", "deny"), ("justification", "x")]).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert!(again.body.contains("id=\"conflict\"") && again.body.contains("already reviewed"), "{}", again.body);
    assert!(!again.body.contains("name=\"decision\""));
    assert_eq!(stored_state(&s, &id).await, RequestState::Delivered);

    // Past decisions: listed with the verdict; nothing waits any more.
    let list = b.get("/approvals").await;
    assert!(list.body.contains("No request is waiting for your approval."), "{}", list.body);
    let past = &list.body[list.body.find("Past decisions").unwrap()..];
    assert!(past.contains(&format!("href=\"/approvals/{id}\"")) && past.contains(">Approved<"), "{past}");

    // The requestor sees the access delivered.
    let mut lidia = Browser::new(&s);
    lidia.sign_in(LIDIA, "none").await;
    let access = lidia.get("/access").await;
    assert!(access.body.contains("Engineering Onboarding"), "{}", access.body);
    s.stop().await;
}

#[tokio::test]
async fn an_approver_denies_and_a_required_justification_is_asked_for_next_to_the_field() {
    let s = TestServer::start().await;
    let mut st = stage(vec![manager(1)]);
    st["isApproverJustificationRequired"] = json!(true);
    let policy = approval_policy(&s, "Manager approval with reasons", vec![st]).await;
    let id = request(&s, true, LYNNE, policy).await;
    let (mut b, page) = open_approval(&s, JOHANNA, "none", &id).await;
    assert!(page.body.contains("Justification <span class=\"req\">(required)</span>"), "{}", page.body);
    let (csrf, stage) = (page.csrf(), page.hidden("stage").unwrap());
    let action = format!("/approvals/{id}");

    let r = b.post(&action, &[("csrf", &csrf), ("stage", &stage), ("decision", "deny")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body.contains("id=\"justification-error\"") && r.body.contains("aria-invalid=\"true\""), "{}", r.body);
    assert!(r.body.contains("name=\"decision\""), "the form stays to be corrected");
    // Neither Approve nor Deny: said next to the buttons, the typed justification kept.
    let r = b.post(&action, &[("csrf", &csrf), ("stage", &stage), ("justification", "Not for this team.")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body.contains("id=\"decision-error\"") && r.body.contains(">Not for this team.</textarea>"),
        "{}",
        r.body
    );
    assert_eq!(stored_state(&s, &id).await, RequestState::PendingApproval);

    let r = b
        .post(
            &action,
            &[("csrf", &csrf), ("stage", &stage), ("decision", "deny"), ("justification", "Not for this team.")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    wait_state(&s, true, &id, "denied").await;
    let done = b.get(&r.location()).await;
    assert!(done.body.contains("You denied this request."), "{}", done.body);
    assert!(done.body.contains("This request no longer waits for an approval."));
    let past = b.get("/approvals").await.body;
    assert!(past.contains(">Denied<"), "{past}");
    s.stop().await;
}

#[tokio::test]
async fn only_the_stages_approvers_see_the_form_and_may_decide() {
    let s = TestServer::start().await;
    let policy = approval_policy(&s, "Manager approval", vec![stage(vec![manager(1)])]).await;
    let id = request(&s, true, LIDIA, policy).await;
    let action = format!("/approvals/{id}");
    let (_, page) = open_approval(&s, JOHANNA, "none", &id).await;
    let stage = page.hidden("stage").unwrap();

    // Lynne is not asked, and neither is the requestor: a 403 page, and a post decides nothing.
    for user in [LYNNE, LIDIA] {
        let mut b = Browser::new(&s);
        b.sign_in(user, "none").await;
        let r = b.get(&action).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.headers["content-type"].to_str().unwrap().starts_with("text/html"));
        assert!(r.body.contains("not an approver"), "{}", r.body);
        let csrf = b.get("/approvals").await.csrf();
        let r = b.post(&action, &[("csrf", &csrf), ("stage", &stage), ("decision", "approve")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        // No approval with that id, or not an id at all: 404 pages.
        let other = uuid::Uuid::new_v4();
        assert_eq!(b.get(&format!("/approvals/{other}")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(b.get("/approvals/not-an-id").await.status, StatusCode::NOT_FOUND);
    }
    assert_eq!(stored_state(&s, &id).await, RequestState::PendingApproval);

    // The administrator reads the catalog and so the approval, but is not asked to decide it.
    let (mut admin, page) = open_approval(&s, 2, "admin", &id).await;
    assert!(page.body.contains("You are not an approver of the stage in progress."), "{}", page.body);
    assert!(!page.body.contains("name=\"decision\""));
    let r = admin.post(&action, &[("csrf", &page.csrf()), ("stage", &stage), ("decision", "approve")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // A stage id that is not this approval's is a 404 page.
    let (mut johanna, page) = open_approval(&s, JOHANNA, "none", &id).await;
    let wrong = uuid::Uuid::new_v4().to_string();
    let r = johanna.post(&action, &[("csrf", &page.csrf()), ("stage", &wrong), ("decision", "approve")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert_eq!(stored_state(&s, &id).await, RequestState::PendingApproval);
    s.stop().await;
}

#[tokio::test]
async fn each_stage_is_decided_by_its_own_approvers_and_a_quorum_waits_for_the_others() {
    let s = TestServer::start().await;
    let mut quorum = stage(vec![single(ADELE), single(NESTOR)]);
    quorum["grantdQuorum"] = json!(2);
    let policy = approval_policy(&s, "Two of two, then Alex", vec![quorum, stage(vec![single(ALEX)])]).await;
    let id = request(&s, true, LIDIA, policy).await;
    let action = format!("/approvals/{id}");
    let decide = |page: &portal_support::Page| {
        vec![("csrf".to_string(), page.csrf()), ("stage".to_string(), page.hidden("stage").unwrap())]
    };

    // Adele's approval is recorded; the stage waits for Nestor, and she has no form any more.
    let (mut adele, page) = open_approval(&s, ADELE, "none", &id).await;
    assert!(page.body.contains("Your decision (Stage 1 of 2)"), "{}", page.body);
    let mut form = decide(&page);
    form.push(("decision".into(), "approve".into()));
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = adele.post(&action, &pairs).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let after = adele.get(&r.location()).await;
    assert!(after.body.contains("You approved this request."), "{}", after.body);
    assert!(after.body.contains("it waits for the other approvers"), "{}", after.body);
    assert!(!after.body.contains("name=\"decision\""));

    // Nestor completes stage 1; Alex is asked at stage 2, and Adele is not an approver of it.
    let (mut nestor, page) = open_approval(&s, NESTOR, "none", &id).await;
    let mut form = decide(&page);
    form.push(("decision".into(), "approve".into()));
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(nestor.post(&action, &pairs).await.status, StatusCode::SEE_OTHER);
    let (_, page) = open_approval(&s, ALEX, "none", &id).await;
    assert!(page.body.contains("Your decision (Stage 2 of 2)"), "{}", page.body);
    let later = adele.get(&action).await;
    assert!(later.body.contains("You are not an approver of the stage in progress."), "{}", later.body);
    // Nestor's stage-1 form posted again: that stage is no longer open, a 409 message.
    let r = nestor.post(&action, &pairs).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(r.body.contains("already reviewed"), "{}", r.body);
    assert_eq!(stored_state(&s, &id).await, RequestState::PendingApproval);
    s.stop().await;
}
