//! The docs' request examples (reference/graph/examples, copied into tests/golden) sent byte
//! for byte, and their responses matched property for property with `golden::assert_same_shape`.
//! The v1.0 create-response examples that show beta names (WIRE v1 8, README open question 3)
//! are matched against the same request read on beta, where those names live; the others
//! against our response. A world with the docs' ids (users, packages, policies, questions,
//! assignments) is seeded through the store; each example runs on a fresh server so that the
//! examples, which reuse the same target and package, do not collide.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;
mod golden;
mod policy_support;
mod request_support;

use common::{TestServer, BETA, V1};
use golden::{assert_same_shape, parse};
use grantd::demo::{self, DEMO_TENANT};
use grantd_domain::assignment::{Assignment, AssignmentState};
use grantd_domain::directory::User;
use grantd_domain::policy::{
    AnswerChoice, Expiration, LocalizedText, Policy, Question, QuestionKind, Schedule, Subject, SubjectSet, TargetScope,
};
use grantd_domain::roles::SCOPE_SUBJECT_ACCESS;
use grantd_domain::{AccessPackageId, Clock, ObjectId, PolicyId};
use request_support::*;
use serde_json::Value;

const G1: &str = "46184453-e63b-4f20-86c2-c557ed5d5df9";
const IDRIS: &str = "21aceaba-fe13-4e3b-aa8c-4c588d5e7387";
const PKG_A: &str = "a914b616-e04e-476b-aa37-91038f0b165b";
const POLICY_A: &str = "2264bf65-76ba-417b-a27d-54d291f0cbc8";
const PKG_B: &str = "977c7ff4-ef8f-4910-9d31-49048ddf3120";
const PKG_C: &str = "11115C72-0612-4C43-A044-FC0A4E71A4C5";
const POLICY_C: &str = "11114b50-0a08-4f96-83e9-1d714aa2cd79";
const PKG_D: &str = "5b98f958-0dea-4a5b-836e-109dccbd530c";
const POLICY_D: &str = "c5f7847f-83a8-4315-a754-d94a6f39b875";
const ASSIGNMENT_REMOVE: &str = "a6bb6942-3ae1-4259-9908-0133aaee9377";
const ASSIGNMENT_ANSWERS: &str = "44c741c1-2cf4-40db-83b6-e0112f8e5a83";
const ASSIGNMENT_SCHEDULE: &str = "329f8dac-8062-4c1b-a9b8-39b7132f9bff";

fn file(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/golden/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn es(text: &str) -> Vec<LocalizedText> {
    vec![LocalizedText { language_code: "es".into(), text: Some(text.into()) }]
}

fn choice(v: &str, text: &str) -> AnswerChoice {
    AnswerChoice { actual_value: v.into(), text: Some(text.into()), localizations: es(text) }
}

fn question(id: &str, kind: QuestionKind, seq: i32) -> Question {
    Question {
        id: id.into(),
        kind,
        text: Some(format!("Question {seq}")),
        localizations: es("¿Pregunta?"),
        is_required: false,
        is_answer_editable: true,
        sequence: seq,
    }
}

fn text_q(id: &str, seq: i32) -> Question {
    question(id, QuestionKind::TextInput { is_single_line_question: false, regex_pattern: None }, seq)
}

async fn user(s: &TestServer, id: &str, name: &str, manager: Option<ObjectId>) {
    let u = User {
        id: id.parse().unwrap(),
        display_name: name.into(),
        user_principal_name: format!("{}@contoso.example", name.to_lowercase().replace(' ', ".")),
        mail: Some(format!("{}@contoso.example", name.to_lowercase().replace(' ', "."))),
        given_name: None,
        surname: None,
        job_title: None,
        department: None,
        account_enabled: true,
        user_type: "Member".into(),
        manager_id: manager,
        sponsor_ids: vec![],
        created_date_time: s.clock.now(),
    };
    s.store.create_user(DEMO_TENANT, &u).await.unwrap();
}

async fn policy(s: &TestServer, id: &str, pkg: &str, f: impl FnOnce(&mut Policy)) {
    let mut p = Policy::new(id.parse().unwrap(), pkg.parse().unwrap(), demo::catalog_id(1), s.clock.now(), None);
    p.display_name = format!("Golden {id}");
    p.expiration = Expiration::never();
    f(&mut p);
    s.store.create_policy(DEMO_TENANT, &p).await.unwrap();
}

async fn assignment(s: &TestServer, id: &str, pkg: &str, policy: &str, target: ObjectId) {
    let now = s.clock.now();
    let a = Assignment {
        id: id.parse().unwrap(),
        access_package_id: pkg.parse().unwrap(),
        assignment_policy_id: policy.parse().unwrap(),
        catalog_id: demo::catalog_id(1),
        target_id: target,
        state: AssignmentState::Delivered,
        status: Some("Delivered".into()),
        schedule: Schedule { start_date_time: Some(now), expiration: Some(Expiration::never()), recurrence: None },
        expired_date_time: None,
        created_date_time: now,
        modified_date_time: now,
    };
    s.store.create_assignment(DEMO_TENANT, &a).await.unwrap();
}

/// The docs' world: users, packages, policies with the questions the examples answer, and the
/// assignments the update and remove examples name.
async fn world() -> TestServer {
    let s = TestServer::start().await;
    user(&s, G1, "Golden One", None).await;
    user(&s, IDRIS, "Idris Ibrahim", Some(demo::user_id(7))).await;
    for (id, name) in [(PKG_A, "New Hire"), (PKG_B, "Questions"), (PKG_C, "Direct"), (PKG_D, "On behalf")] {
        let id: AccessPackageId = id.parse().unwrap();
        policy_support::package_with_id(&s, demo::catalog_id(1), id, name).await;
    }
    let self_service = |p: &mut Policy| {
        p.allowed_target_scope = TargetScope::AllDirectoryUsers;
        p.requestor_settings.enable_targets_to_self_add_access = true;
        p.requestor_settings.enable_targets_to_self_update_access = true;
        p.requestor_settings.enable_targets_to_self_remove_access = true;
        p.requestor_settings.allow_custom_assignment_schedule = true;
    };
    policy(&s, POLICY_A, PKG_A, |p| {
        self_service(p);
        p.questions = vec![
            question(
                "A714EC6F-4EE0-4614-BD81-37E0C5ECBBFF",
                QuestionKind::MultipleChoice {
                    choices: vec![choice("AZ", "Arizona"), choice("CA", "California"), choice("OH", "Ohio")],
                    is_multiple_selection_allowed: false,
                },
                1,
            ),
            text_q("AA615EE9-D9D8-4C03-BE91-BEE37106DEDA", 2),
        ];
    })
    .await;
    let policy_b = PolicyId::new().to_string();
    policy(&s, &policy_b, PKG_B, |p| {
        self_service(p);
        p.questions = vec![
            question(
                "8fe745e7-80b2-490d-bd22-4e708c77288c",
                QuestionKind::MultipleChoice {
                    choices: vec![
                        choice("MultipleChoiceAnswerValue", "Multiple choice"),
                        choice("UpdatedAnswerValue", "Updated"),
                    ],
                    is_multiple_selection_allowed: false,
                },
                1,
            ),
            text_q("7aaa18c9-8e4f-440f-bd5a-3a7ce312cbe6", 2),
            text_q("0d31cc60-968e-4f92-955b-443fed03d6f6", 3),
        ];
    })
    .await;
    policy(&s, POLICY_C, PKG_C, |_| {}).await;
    policy(&s, POLICY_D, PKG_D, |p| {
        p.allowed_target_scope = TargetScope::AllMemberUsers;
        p.requestor_settings.enable_on_behalf_requestors_to_add_access = true;
        p.requestor_settings.on_behalf_requestors =
            vec![SubjectSet::new(Subject::TargetManager { manager_level: Some(1) })];
    })
    .await;
    assignment(&s, ASSIGNMENT_REMOVE, PKG_A, POLICY_A, demo::user_id(12)).await;
    assignment(&s, ASSIGNMENT_ANSWERS, PKG_B, &policy_b, demo::user_id(9)).await;
    assignment(&s, ASSIGNMENT_SCHEDULE, PKG_B, &policy_b, demo::user_id(10)).await;
    s
}

/// How a docs response is matched.
#[derive(Clone, Copy)]
enum Match {
    /// Against our create response.
    Response,
    /// Against the same request read on beta (the docs show beta names).
    BetaRead,
    /// Against the same request read on v1.0 (a beta example given the v1.0 response).
    V1Read,
}

async fn send(s: &TestServer, token: &str, path: &str, body: &str) -> Value {
    let r = s
        .http
        .post(format!("{}{path}", s.base))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, 201, "{path}: {text}");
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn the_docs_create_examples_are_accepted_and_answered_in_the_documented_shape() {
    type Who = fn(&TestServer) -> String;
    let admin: Who = |s| s.admin();
    let g1: Who = |s| s.user_token(G1.parse().unwrap(), &[SCOPE_SUBJECT_ACCESS], &[]);
    let u7: Who = |s| s.end_user(7);
    let u9: Who = |s| s.end_user(9);
    let u10: Who = |s| s.end_user(10);
    let u11: Who = |s| s.end_user(11);
    let deprecated = format!("{BETA}/accessPackageAssignmentRequests");
    let beta_new = format!("{BETA}/assignmentRequests");
    let v1 = format!("{V1}/assignmentRequests");
    #[rustfmt::skip]
    let cases: Vec<(&str, &str, Who, Match)> = vec![
        ("v1-post-assignmentrequests-admin-add", &v1, admin, Match::BetaRead),
        ("v1-post-assignmentrequests-admin-remove", &v1, admin, Match::BetaRead),
        ("v1-post-assignmentrequests-user-add-answers", &v1, u11, Match::Response),
        ("v1-post-assignmentrequests-justification", &v1, u9, Match::BetaRead),
        ("v1-post-assignmentrequests-admin-add-user-not-in-directory", &v1, admin, Match::BetaRead),
        ("v1-post-assignmentrequests-admin-update-answers", &v1, admin, Match::Response),
        ("v1-post-assignmentrequests-admin-update-expiration", &v1, admin, Match::Response),
        ("v1-post-assignmentrequests-user-update-answers-expiration", &v1, u10, Match::Response),
        ("v1-post-assignmentrequests-on-behalf-of-direct-report", &v1, u7, Match::Response),
        ("beta-post-accesspackageassignmentrequests-admin-add", &deprecated, admin, Match::Response),
        ("beta-post-accesspackageassignmentrequests-user-add-answers", &deprecated, g1, Match::Response),
        ("beta-post-accesspackageassignmentrequests-justification", &deprecated, u9, Match::Response),
        ("beta-post-accesspackageassignmentrequests-admin-remove", &deprecated, admin, Match::Response),
        ("beta-post-accesspackageassignmentrequests-admin-add-user-not-in-directory", &deprecated, admin, Match::Response),
        ("beta-post-assignmentrequests-admin-add", &beta_new, admin, Match::Response),
        ("beta-post-assignmentrequests-admin-update-answers-with-id", &beta_new, admin, Match::V1Read),
    ];
    for (name, path, who, how) in cases {
        let s = world().await;
        let request = file(&format!("{name}.request.json"));
        let ours = send(&s, &who(&s), path, &request).await;
        let docs_name = if name.ends_with("-with-id") {
            // The docs give this one the v1.0 example's response.
            "v1-post-assignmentrequests-admin-update-answers".to_string()
        } else {
            name.to_string()
        };
        let docs = parse(&file(&format!("{docs_name}.response.json")));
        let compared = match how {
            Match::Response => ours.clone(),
            Match::BetaRead | Match::V1Read => {
                let base = if matches!(how, Match::BetaRead) { BETA } else { V1 };
                let r = s.get(&format!("{base}/assignmentRequests/{}", ours["id"].as_str().unwrap()), &s.admin()).await;
                assert_eq!(r.status, 200, "{name}: {}", r.text);
                r.body
            }
        };
        assert_same_shape(&docs, &compared);
        let sent = parse(&request);
        assert_eq!(
            ours["requestType"].as_str().unwrap().to_lowercase(),
            sent["requestType"].as_str().unwrap().to_lowercase(),
            "{name}"
        );
        if let Some(j) = sent.get("justification") {
            assert_eq!(&ours["justification"], j, "{name}");
        }
        s.stop().await;
    }
}

#[tokio::test]
async fn the_docs_read_examples_match_our_reads() {
    let s = TestServer::start().await;
    let t = s.admin();
    // An admin's direct assignment, read on both versions and by its target.
    let aid = admin_grant(&s, 2, demo::user_id(3)).await;
    let list = s.get(&format!("{V1}/assignmentRequests?$filter=requestType%20eq%20%27adminAdd%27"), &t).await;
    let rid = list.body["value"][0]["id"].as_str().unwrap().to_string();
    let r = s.get(&format!("{V1}/assignmentRequests/{rid}"), &t).await;
    assert_same_shape(&parse(&file("v1-get-assignmentrequest.response.json")), &r.body);
    let r = s.get(&format!("{BETA}/accessPackageAssignmentRequests/{rid}"), &t).await;
    assert_same_shape(&parse(&file("beta-get-accesspackageassignmentrequest.response.json")), &r.body);
    let me = s.end_user(3);
    let r = s.get(&format!("{V1}/assignmentRequests/filterByCurrentUser(on='target')"), &me).await;
    assert_same_shape(&parse(&file("v1-filterbycurrentuser-assignmentrequests-target.response.json")), &r.body);
    let r = s.get(&format!("{BETA}/accessPackageAssignmentRequests/filterByCurrentUser(on='target')"), &me).await;
    assert_same_shape(
        &parse(&file("beta-filterbycurrentuser-accesspackageassignmentrequests-target.response.json")),
        &r.body,
    );
    // A self-service request (90-day policy), read in the list and through the target's view.
    let mine =
        create(&s, true, &s.end_user(9), &add_body("userAdd", demo::access_package_id(2), None, demo::user_id(9)))
            .await;
    wait_terminal(&s, true, mine["id"].as_str().unwrap()).await;
    let r = s.get(&format!("{V1}/assignmentRequests?$filter=requestType%20eq%20%27userAdd%27"), &t).await;
    assert_same_shape(&parse(&file("v1-list-assignmentrequests.response.json")), &r.body);
    let r = s.get(&format!("{BETA}/accessPackageAssignments/filterByCurrentUser(on='target')"), &s.end_user(9)).await;
    assert_same_shape(&parse(&file("beta-filterbycurrentuser-accesspackageassignments-target.response.json")), &r.body);
    // The docs print expiredDateTime as the string "null" here (a doc bug): read it as null.
    let mut docs = parse(&file("v1-filterbycurrentuser-assignments-target.response.json"));
    docs["value"][0]["expiredDateTime"] = Value::Null;
    let r = s.get(&format!("{V1}/assignments/filterByCurrentUser(on='target')"), &s.end_user(9)).await;
    assert_same_shape(&docs, &r.body);
    // A pending request with its requestor (grantd has no connected organizations yet, so the
    // example's connectedOrganization members are left out of the comparison).
    let mut pending = add_body("userAdd", demo::access_package_id(1), None, demo::user_id(5));
    pending["justification"] = serde_json::json!("Need access");
    create(&s, true, &s.end_user(5), &pending).await;
    let mut docs = parse(&file("beta-list-accesspackageassignmentrequests-pending-expand-requestor.response.json"));
    let requestor = docs["value"][0]["requestor"].as_object_mut().unwrap();
    requestor.remove("connectedOrganization");
    requestor.remove("connectedOrganizationId");
    let mut body = Value::Null;
    for _ in 0..100 {
        let r = s
            .get(&format!("{BETA}/accessPackageAssignmentRequests?$expand=requestor&$filter=(requestState%20eq%20%27PendingApproval%27)"), &t)
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        if !r.body["value"].as_array().unwrap().is_empty() {
            body = r.body;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_same_shape(&docs, &body);
    // Removed access: the expired assignment on both versions.
    let removal = create(&s, true, &t, &remove_body("adminRemove", &aid)).await;
    wait_terminal(&s, true, removal["id"].as_str().unwrap()).await;
    let r = s.get(&format!("{V1}/assignments?$filter=state%20eq%20%27Expired%27"), &t).await;
    assert_same_shape(&parse(&file("v1-list-assignments.response.json")), &r.body);
    let r = s.get(&format!("{V1}/assignments/{aid}"), &t).await;
    assert_same_shape(&parse(&file("v1-get-assignment.response.json")), &r.body);
    let r = s.get(&format!("{BETA}/accessPackageAssignments?$filter=assignmentState%20eq%20%27Expired%27"), &t).await;
    assert_same_shape(&parse(&file("beta-list-accesspackageassignments.response.json")), &r.body);
    s.stop().await;
}

#[tokio::test]
async fn the_old_beta_cancel_body_is_accepted_and_ignored() {
    let s = TestServer::start().await;
    let mut b = add_body("userAdd", demo::access_package_id(1), None, demo::user_id(5));
    b["justification"] = serde_json::json!("x");
    let r = create(&s, false, &s.end_user(5), &b).await;
    let id = r["id"].as_str().unwrap();
    let mut body = parse(&file("beta-cancel-accesspackageassignmentrequest-legacy.request.json"));
    body["id"] = serde_json::json!(id);
    let c = s.post(&format!("{BETA}/accessPackageAssignmentRequests/{id}/cancel"), &s.end_user(5), &body).await;
    assert_eq!(c.status, 200, "{}", c.text);
    assert!(c.text.is_empty());
    let got = s.get(&format!("{BETA}/accessPackageAssignmentRequests/{id}"), &s.end_user(5)).await;
    assert_eq!(got.body["requestState"], "Canceled");
    assert_eq!(got.body["requestStatus"], "Cancelled");
    s.stop().await;
}
