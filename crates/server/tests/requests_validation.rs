//! Create-time validation through the API: every refusal has its status and specific code and
//! names the field (docs/decisions.md lists them); what is accepted leniently (requestType in
//! any case, Python's timedelta durations, an e-mail target not in the directory).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;
mod request_support;

use common::{TestServer, V1};
use grantd::demo;
use grantd_domain::ObjectId;
use request_support::*;
use serde_json::{json, Value};

fn pkg(n: u16) -> String {
    demo::access_package_id(n).to_string()
}

async fn refused(s: &TestServer, token: &str, body: Value, status: u16, code: &str, names: &str) {
    for v1 in [true, false] {
        let r = s.post(&requests(v1), token, &body).await;
        assert_eq!(r.status.as_u16(), status, "{body}: {}", r.text);
        assert_eq!(r.error_code(), code, "{body}");
        let msg = r.body["error"]["message"].as_str().unwrap();
        assert!(msg.contains(names), "the message names '{names}': {msg}");
    }
}

/// A policy on Engineering Onboarding with a required regex question and a multiple-choice one,
/// custom schedules allowed up to 30 days.
async fn question_policy(s: &TestServer) -> String {
    let mut b = policy_body(demo::access_package_id(2), "With questions", true);
    b["expiration"] = json!({"type": "afterDuration", "duration": "P30D"});
    b["requestorSettings"]["allowCustomAssignmentSchedule"] = json!(true);
    b["questions"] = json!([
        {"@odata.type": "#microsoft.graph.accessPackageTextInputQuestion", "id": "badge", "text": "Badge number?",
         "isRequired": true, "regexPattern": "[0-9]{4}", "sequence": 1},
        {"@odata.type": "#microsoft.graph.accessPackageMultipleChoiceQuestion", "id": "site", "text": "Site?",
         "isRequired": false, "sequence": 2,
         "choices": [{"actualValue": "NBO", "text": "Nairobi"}, {"actualValue": "LIS", "text": "Lisbon"}]}
    ]);
    make_policy(s, &b).await.to_string()
}

fn answer(q: &str, kind: &str, value: &str) -> Value {
    json!({"@odata.type": "#microsoft.graph.accessPackageAnswerString", "value": value,
           "answeredQuestion": {"@odata.type": format!("#microsoft.graph.{kind}"), "id": q}})
}

#[tokio::test]
async fn refusals_have_specific_codes_and_name_the_field() {
    let s = TestServer::start().await;
    let admin = s.admin();
    let me = s.end_user(9);
    let u9 = demo::user_id(9).to_string();
    // The body.
    refused(
        &s,
        &admin,
        json!({"assignment": {"targetId": u9, "accessPackageId": pkg(2)}}),
        400,
        "InvalidModel",
        "requestType",
    )
    .await;
    refused(
        &s,
        &admin,
        json!({"requestType": "adminAddd", "assignment": {"targetId": u9}}),
        400,
        "InvalidModel",
        "requestType",
    )
    .await;
    refused(&s, &admin, json!({"requestType": "adminAdd", "assignment": {"target_id": u9, "assignment_policy_id": "x", "access_package_id": pkg(2)}}), 400, "InvalidModel", "assignment.").await;
    refused(
        &s,
        &admin,
        json!({"requestType": "adminAdd", "assignment": {"targetId": "nope", "accessPackageId": pkg(2)}}),
        400,
        "InvalidModel",
        "assignment.targetId",
    )
    .await;
    refused(
        &s,
        &admin,
        json!({"requestType": "adminAdd", "assignment": {"targetId": u9}}),
        400,
        "InvalidModel",
        "assignment.accessPackageId",
    )
    .await;
    refused(&s, &admin, json!({"requestType": "adminRemove", "assignment": {}}), 400, "InvalidModel", "assignment.id")
        .await;
    // What the body points at.
    let nowhere = ObjectId::new().to_string();
    refused(
        &s,
        &admin,
        json!({"requestType": "adminAdd", "assignment": {"targetId": u9, "accessPackageId": nowhere}}),
        404,
        "ResourceNotFound",
        "access package",
    )
    .await;
    refused(
        &s,
        &admin,
        json!({"requestType": "adminAdd", "assignment": {"targetId": nowhere, "accessPackageId": pkg(2)}}),
        404,
        "ResourceNotFound",
        "target",
    )
    .await;
    refused(
        &s,
        &admin,
        json!({"requestType": "adminRemove", "assignment": {"id": nowhere}}),
        404,
        "ResourceNotFound",
        "assignment",
    )
    .await;
    refused(&s, &admin, json!({"requestType": "adminAdd", "assignment": {"targetId": u9, "accessPackageId": pkg(2), "assignmentPolicyId": demo::policy_id(11).to_string()}}), 400, "InvalidPolicy", "assignmentPolicyId").await;
    // The policy's rules.
    refused(
        &s,
        &me,
        add_body("userAdd", demo::access_package_id(3), None, demo::user_id(9)),
        400,
        "NoValidPolicy",
        "No valid policy",
    )
    .await;
    refused(
        &s,
        &me,
        add_body("userAdd", demo::access_package_id(1), None, demo::user_id(9)),
        400,
        "JustificationRequired",
        "justification",
    )
    .await;
    let mut custom = add_body("userAdd", demo::access_package_id(2), Some(demo::policy_id(22)), demo::user_id(9));
    custom["schedule"] = json!({"expiration": {"type": "afterDuration", "duration": "P7D"}});
    refused(&s, &me, custom, 400, "CustomScheduleNotAllowed", "schedule").await;
    let qp = question_policy(&s).await;
    let with = |answers: Value, schedule: Value| {
        let mut b = add_body("userAdd", demo::access_package_id(2), Some(qp.parse().unwrap()), demo::user_id(9));
        b["answers"] = answers;
        if !schedule.is_null() {
            b["schedule"] = schedule;
        }
        b
    };
    refused(&s, &me, with(json!([]), Value::Null), 400, "RequiredAnswerMissing", "badge").await;
    let text = "accessPackageTextInputQuestion";
    let choice = "accessPackageMultipleChoiceQuestion";
    refused(
        &s,
        &me,
        with(json!([answer("badge", text, "12a4")]), Value::Null),
        400,
        "InvalidAnswer",
        "answers[0].value",
    )
    .await;
    refused(
        &s,
        &me,
        with(json!([answer("badge", text, "1234"), answer("site", choice, "Paris")]), Value::Null),
        400,
        "InvalidAnswer",
        "answers[1].value",
    )
    .await;
    refused(
        &s,
        &me,
        with(json!([answer("nope", text, "1234")]), Value::Null),
        400,
        "InvalidAnswer",
        "answers[0].answeredQuestion.id",
    )
    .await;
    let long = json!({"expiration": {"type": "afterDuration", "duration": "P60D"}});
    refused(
        &s,
        &me,
        with(json!([answer("badge", text, "1234")]), long),
        400,
        "ScheduleExceedsPolicy",
        "schedule.expiration",
    )
    .await;
    let never = json!({"expiration": {"type": "noExpiration"}});
    refused(
        &s,
        &me,
        with(json!([answer("badge", text, "1234")]), never),
        400,
        "ScheduleExceedsPolicy",
        "schedule.expiration",
    )
    .await;
    // A valid one: the answers and schedule are echoed (Python's timedelta form is read as P14D).
    let ok = with(
        json!([answer("badge", text, "1234"), answer("site", choice, "LIS")]),
        json!({"expiration": {"type": "afterDuration", "duration": "14 days, 0:00:00"}}),
    );
    let r = create(&s, true, &me, &ok).await;
    assert_eq!(r["answers"][0]["value"], "1234");
    assert_eq!(r["answers"][1]["answeredQuestion"]["id"], "site");
    assert_eq!(
        r["answers"][1]["answeredQuestion"]["@odata.type"],
        "#microsoft.graph.accessPackageMultipleChoiceQuestion"
    );
    assert_eq!(r["schedule"]["expiration"]["duration"], "P14D");
    assert_eq!(r["schedule"]["expiration"]["type"], "afterDuration");
    // Conflicts: an active assignment, then an open request (one waiting for approval).
    wait_terminal(&s, true, r["id"].as_str().unwrap()).await;
    refused(&s, &me, ok, 409, "AssignmentAlreadyExists", "assignment.targetId").await;
    let mut pending = add_body("userAdd", demo::access_package_id(1), None, demo::user_id(9));
    pending["justification"] = json!("sales");
    create(&s, true, &me, &pending).await;
    refused(&s, &me, pending, 409, "ExistingOpenRequest", "assignment.targetId").await;
    let a = assignments_of(&s, demo::access_package_id(2), demo::user_id(9)).await;
    let end = a[0]["schedule"]["expiration"]["endDateTime"].as_str().unwrap();
    let start = a[0]["schedule"]["startDateTime"].as_str().unwrap();
    let days = (chrono::DateTime::parse_from_rfc3339(end).unwrap()
        - chrono::DateTime::parse_from_rfc3339(start).unwrap())
    .num_days();
    assert_eq!(days, 14, "{}", a[0]);
    s.stop().await;
}

#[tokio::test]
async fn request_type_is_read_in_any_case_and_written_per_version() {
    let s = TestServer::start().await;
    for (i, (sent, v1, shown)) in
        [("ADMINADD", true, "adminAdd"), ("adminadd", false, "AdminAdd"), ("AdminAdd", true, "adminAdd")]
            .into_iter()
            .enumerate()
    {
        let target = demo::user_id(3 + i as u16);
        let b = add_body(sent, demo::access_package_id(2), Some(demo::policy_id(21)), target);
        let r = create(&s, v1, &s.admin(), &b).await;
        assert_eq!(r["requestType"], shown);
    }
    s.stop().await;
}

#[tokio::test]
async fn admin_add_for_an_email_not_in_the_directory_creates_a_guest() {
    let s = TestServer::start().await;
    let t = s.admin();
    let body = json!({"requestType": "AdminAdd", "assignment": {"target": {"email": "visitor@fabrikam.example"},
        "assignmentPolicy": {"id": demo::policy_id(21).to_string()}, "accessPackage": {"id": pkg(2)}}});
    let r = create(&s, true, &t, &body).await;
    let done = wait_terminal(&s, true, r["id"].as_str().unwrap()).await;
    assert_eq!(done["state"], "delivered", "{done}");
    let users = s.get("/v1.0/users?$filter=mail%20eq%20%27visitor@fabrikam.example%27", &t).await;
    assert_eq!(users.status, 200, "{}", users.text);
    let guest = &users.body["value"][0];
    assert_eq!(guest["userType"], "Guest", "{}", users.text);
    let id: ObjectId = guest["id"].as_str().unwrap().parse().unwrap();
    assert!(is_member(&s, demo::group_id(2), id).await);
    let req = s
        .get(&format!("{V1}/assignmentRequests/{}?$expand=assignment($expand=target)", r["id"].as_str().unwrap()), &t)
        .await;
    assert_eq!(req.body["assignment"]["target"]["email"], "visitor@fabrikam.example", "{}", req.text);
    assert_eq!(req.body["assignment"]["target"]["subjectType"], "user");
    // Validation only creates nobody.
    let mut b = body.clone();
    b["assignment"]["target"]["email"] = json!("ghost@fabrikam.example");
    b["isValidationOnly"] = json!(true);
    create(&s, false, &t, &b).await;
    let users = s.get("/v1.0/users?$filter=mail%20eq%20%27ghost@fabrikam.example%27", &t).await;
    assert!(users.body["value"].as_array().unwrap().is_empty());
    // End users cannot invite by e-mail.
    let r = s.post(&requests(true), &s.end_user(9), &json!({"requestType": "userAdd", "assignment": {"target": {"email": "x@fabrikam.example"}, "accessPackageId": pkg(2)}})).await;
    assert_eq!(r.status, 404, "{}", r.text);
    s.stop().await;
}

/// `isAnswerEditable`: an update (the target's userUpdate or an administrator's adminUpdate)
/// may change the answer to an editable question, never to one that is not.
#[tokio::test]
async fn a_non_editable_answer_cannot_be_changed_by_an_update() {
    let s = TestServer::start().await;
    let (admin, me) = (s.admin(), s.end_user(9));
    let mut b = policy_body(demo::access_package_id(2), "Fixed badge", true);
    b["questions"] = json!([
        {"@odata.type": "#microsoft.graph.accessPackageTextInputQuestion", "id": "badge", "text": "Badge number?",
         "isRequired": true, "isAnswerEditable": false, "regexPattern": "[0-9]{4}", "sequence": 1},
        {"@odata.type": "#microsoft.graph.accessPackageTextInputQuestion", "id": "desk", "text": "Desk?",
         "isRequired": false, "isAnswerEditable": true, "sequence": 2}
    ]);
    let policy = make_policy(&s, &b).await;
    let text = "accessPackageTextInputQuestion";
    let mut add = add_body("userAdd", demo::access_package_id(2), Some(policy), demo::user_id(9));
    add["answers"] = json!([answer("badge", text, "1234"), answer("desk", text, "4F")]);
    let r = create(&s, true, &me, &add).await;
    let done = wait_terminal(&s, true, r["id"].as_str().unwrap()).await;
    assert_eq!(done["state"], "delivered", "{done}");
    let a = s.get(&format!("{}/{}?$expand=assignment", requests(true), r["id"].as_str().unwrap()), &admin).await;
    let aid = a.body["assignment"]["id"].as_str().unwrap().to_string();
    let update = |kind: &str, answers: Value| json!({"requestType": kind, "assignment": {"id": aid, "assignmentPolicyId": policy.to_string()}, "answers": answers});
    for (token, kind) in [(&me, "userUpdate"), (&admin, "adminUpdate")] {
        let body = update(kind, json!([answer("badge", text, "9999")]));
        refused(&s, token, body, 400, "InvalidAnswer", "isAnswerEditable").await;
    }
    // The editable one may change.
    let r = s.post(&requests(false), &me, &update("userUpdate", json!([answer("desk", text, "5A")]))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    s.stop().await;
}
