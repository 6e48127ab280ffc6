//! Several policies on one package, as a requestor sees them, on both versions:
//! getApplicablePolicyRequirements (priority order, approval/justification/schedule/questions,
//! beta existingAnswers and `subject`), questions in the caller's Accept-Language (with the
//! default as fallback, also on a request's answers), the docs' example, and
//! accessPackages/filterByCurrentUser(on='allowedRequestor').
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;
mod request_support;

use common::{Resp, TestServer, BETA, V1};
use grantd::demo;
use request_support::*;
use serde_json::{json, Value};

fn requirements_url(base: &str, n: u16) -> String {
    format!("{base}/accessPackages/{}/getApplicablePolicyRequirements", demo::access_package_id(n))
}

/// POST with an optional Accept-Language header.
async fn post_lang(s: &TestServer, url: &str, token: &str, body: Option<&Value>, lang: Option<&str>) -> Resp {
    let mut rb = s.http.post(format!("{}{url}", s.base)).bearer_auth(token);
    if let Some(l) = lang {
        rb = rb.header("accept-language", l);
    }
    if let Some(b) = body {
        rb = rb.header("content-type", "application/json").body(b.to_string());
    }
    let r = rb.send().await.unwrap();
    let status = r.status();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    Resp { status, headers, body: serde_json::from_str(&text).unwrap_or(Value::Null), text }
}

async fn get_lang(s: &TestServer, url: &str, token: &str, lang: &str) -> Value {
    let r =
        s.http.get(format!("{}{url}", s.base)).bearer_auth(token).header("accept-language", lang).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// Engineering Onboarding (package 2) gets two more self-service policies besides the seeded
/// "Employees, no approval" (all members): one for user 7 alone, with approval, justification
/// and a localized question, and one for all directory users.
async fn extra_policies(s: &TestServer) -> (String, String) {
    let mut specific = policy_body(demo::access_package_id(2), "Megan's pick", true);
    specific["allowedTargetScope"] = json!("specificDirectoryUsers");
    specific["specificAllowedTargets"] =
        json!([{"@odata.type": "#microsoft.graph.singleUser", "userId": demo::user_id(7).to_string()}]);
    specific["expiration"] = json!({"type": "afterDuration", "duration": "P30D"});
    specific["requestApprovalSettings"] = json!({
        "isApprovalRequiredForAdd": true, "isApprovalRequiredForUpdate": false, "isRequestorJustificationRequired": true,
        "stages": [{"durationBeforeAutomaticDenial": "P7D", "primaryApprovers": [
            {"@odata.type": "#microsoft.graph.singleUser", "userId": demo::user_id(2).to_string()}]}]
    });
    specific["questions"] = json!([
        {"@odata.type": "#microsoft.graph.accessPackageTextInputQuestion", "id": "badge", "text": "Badge number?",
         "localizations": [{"languageCode": "fr-CA", "text": "Numéro de badge ?"}, {"languageCode": "es", "text": "¿Número de placa?"}],
         "isRequired": true, "isAnswerEditable": true, "sequence": 1, "regexPattern": "[0-9]{4}"},
        {"@odata.type": "#microsoft.graph.accessPackageMultipleChoiceQuestion", "id": "site", "text": "Site?",
         "isRequired": false, "sequence": 2,
         "choices": [{"actualValue": "LIS", "text": "Lisbon", "localizations": [{"languageCode": "fr", "text": "Lisbonne"}]}]}
    ]);
    let specific = make_policy(s, &specific).await.to_string();
    let mut everyone = policy_body(demo::access_package_id(2), "Anyone in the directory", true);
    everyone["allowedTargetScope"] = json!("allDirectoryUsers");
    let everyone = make_policy(s, &everyone).await.to_string();
    (specific, everyone)
}

fn ids(r: &Value) -> Vec<String> {
    r["value"].as_array().unwrap().iter().map(|v| v["policyId"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn applicable_policies_come_in_priority_order_with_their_requirements() {
    let s = TestServer::start().await;
    let (specific, everyone) = extra_policies(&s).await;
    let members = demo::policy_id(22).to_string();
    let user7 = s.end_user(7);
    // v1.0, no body, French: the specific policy first, then all members, then all users.
    let r = post_lang(&s, &requirements_url(V1, 2), &user7, None, Some("fr-FR, en;q=0.5")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.body["@odata.context"]
        .as_str()
        .unwrap()
        .ends_with("$metadata#Collection(microsoft.graph.accessPackageAssignmentRequestRequirements)"));
    assert_eq!(ids(&r.body), vec![specific.clone(), members.clone(), everyone.clone()]);
    let first = &r.body["value"][0];
    assert_eq!(first["policyDisplayName"], "Megan's pick");
    assert_eq!(first["isApprovalRequiredForAdd"], true);
    assert_eq!(first["isApprovalRequiredForUpdate"], false);
    assert_eq!(first["isRequestorJustificationRequired"], true);
    assert_eq!(first["allowCustomAssignmentSchedule"], false);
    assert_eq!(first["schedule"]["expiration"]["type"], "afterDuration");
    assert_eq!(first["schedule"]["expiration"]["duration"], "P30D");
    assert_eq!(first["questions"][0]["@odata.type"], "#microsoft.graph.accessPackageTextInputQuestion");
    assert_eq!(first["questions"][0]["text"], "Numéro de badge ?", "fr-FR falls back to the fr-CA text");
    assert_eq!(first["questions"][0]["localizations"].as_array().unwrap().len(), 2);
    assert_eq!(first["questions"][1]["choices"][0]["text"], "Lisbonne");
    assert_eq!(r.body["value"][1]["isApprovalRequiredForAdd"], false);
    // Spanish, then a language nobody wrote (the default text).
    let es = post_lang(&s, &requirements_url(V1, 2), &user7, None, Some("es-MX")).await;
    assert_eq!(es.body["value"][0]["questions"][0]["text"], "¿Número de placa?");
    let de = post_lang(&s, &requirements_url(V1, 2), &user7, None, Some("de-DE")).await;
    assert_eq!(de.body["value"][0]["questions"][0]["text"], "Badge number?");
    assert_eq!(de.body["value"][0]["questions"][1]["choices"][0]["text"], "Lisbon");
    // beta names, with the localized content.
    let b = post_lang(&s, &requirements_url(BETA, 2), &user7, Some(&json!({})), Some("fr-CA")).await;
    assert_eq!(b.status, 200, "{}", b.text);
    assert_eq!(ids(&b.body), vec![specific.clone(), members.clone(), everyone.clone()]);
    let first = &b.body["value"][0];
    assert_eq!(first["isApprovalRequired"], true);
    assert_eq!(first["isApprovalRequiredForExtension"], false);
    assert_eq!(first["isCustomAssignmentScheduleAllowed"], false);
    assert_eq!(first["questions"][0]["text"]["defaultText"], "Numéro de badge ?");
    assert_eq!(first["questions"][0]["text"]["localizedTexts"][0]["languageCode"], "fr-CA");
    assert_eq!(first["existingAnswers"], json!([]));
    assert_eq!(first["verifiableCredentialRequirementStatus"], Value::Null);
    // User 8 is not named by the specific policy.
    let r8 = post_lang(&s, &requirements_url(V1, 2), &s.end_user(8), None, None).await;
    assert_eq!(ids(&r8.body), vec![members.clone(), everyone.clone()]);
    // Finance Reports: only Finance Reports Readers (user 10) may ask; others get nothing
    // (and, not reading the catalog, a 404 like any package they cannot see).
    let r10 = post_lang(&s, &requirements_url(V1, 3), &s.end_user(10), None, None).await;
    assert_eq!(ids(&r10.body), vec![demo::policy_id(32).to_string()]);
    let r7 = post_lang(&s, &requirements_url(V1, 3), &user7, None, None).await;
    assert_eq!(r7.status, 404, "{}", r7.text);
    // The administrator reads the package's catalog: an empty list for themselves.
    let admin = post_lang(&s, &requirements_url(V1, 3), &s.admin(), None, None).await;
    assert_eq!(admin.status, 200, "{}", admin.text);
    s.stop().await;
}

#[tokio::test]
async fn beta_requirements_for_a_subject_carry_their_existing_answers() {
    let s = TestServer::start().await;
    let (specific, _) = extra_policies(&s).await;
    // User 7 asks through the specific policy, answering the badge question.
    let mut ask = add_body("userAdd", demo::access_package_id(2), Some(specific.parse().unwrap()), demo::user_id(7));
    ask["justification"] = json!("New starter");
    ask["answers"] = json!([{"@odata.type": "#microsoft.graph.accessPackageAnswerString", "value": "1234",
        "answeredQuestion": {"@odata.type": "#microsoft.graph.accessPackageTextInputQuestion", "id": "badge"}}]);
    let created = create(&s, true, &s.end_user(7), &ask).await;
    // The answers on the request follow the reader's language too.
    let got = get_lang(&s, &format!("{}/{}", requests(true), created["id"].as_str().unwrap()), &s.admin(), "fr").await;
    assert_eq!(got["answers"][0]["answeredQuestion"]["text"], "Numéro de badge ?", "{got}");
    assert_eq!(got["answers"][0]["@odata.type"], "#microsoft.graph.accessPackageAnswerString");
    // The docs' beta body: evaluate for another subject (administrators only).
    let body = json!({"subject": {"objectId": demo::user_id(7).to_string()}});
    let r = post_lang(&s, &requirements_url(BETA, 2), &s.admin(), Some(&body), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["value"][0]["policyId"], specific);
    let existing = &r.body["value"][0]["existingAnswers"];
    assert_eq!(existing[0]["value"], "1234", "{}", r.text);
    assert_eq!(existing[0]["answeredQuestion"]["id"], "badge");
    // An end user may not ask about someone else; an app must name a subject.
    let other = post_lang(&s, &requirements_url(BETA, 2), &s.end_user(8), Some(&body), None).await;
    assert!(other.status == 403 || other.status == 404, "{}", other.text);
    let app = post_lang(&s, &requirements_url(V1, 2), &s.app(), None, None).await;
    assert_eq!(app.status, 400, "{}", app.text);
    let bad =
        post_lang(&s, &requirements_url(BETA, 2), &s.admin(), Some(&json!({"subject": {"objectId": "x"}})), None).await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    s.stop().await;
}

#[tokio::test]
async fn the_docs_example_of_requirements_is_matched() {
    let s = TestServer::start().await;
    let example: Value =
        serde_json::from_str(include_str!("golden/beta-getapplicablepolicyrequirements.response.json")).unwrap();
    // The for-subject body of the docs is accepted as sent.
    let mut subject: Value =
        serde_json::from_str(include_str!("golden/beta-getapplicablepolicyrequirements-for-subject.request.json"))
            .unwrap();
    subject["subject"]["objectId"] = json!(demo::user_id(7).to_string());
    let for_subject = post_lang(&s, &requirements_url(BETA, 2), &s.admin(), Some(&subject), None).await;
    assert_eq!(for_subject.status, 200, "{}", for_subject.text);
    assert_eq!(for_subject.body["value"].as_array().unwrap().len(), 1, "{}", for_subject.text);
    let want = &example["value"][0];
    let mut b = policy_body(demo::access_package_id(2), want["policyDisplayName"].as_str().unwrap(), true);
    b["description"] = want["policyDescription"].clone();
    b["questions"] = json!([{"@odata.type": "#microsoft.graph.accessPackageTextInputQuestion",
        "text": want["questions"][0]["text"]["defaultText"], "isRequired": true, "sequence": 0, "isSingleLineQuestion": true}]);
    let id = make_policy(&s, &b).await.to_string();
    let r = post_lang(&s, &requirements_url(BETA, 2), &s.end_user(7), None, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let got = r.body["value"].as_array().unwrap().iter().find(|v| v["policyId"] == id).unwrap().clone();
    // Every property of the example is present; the values that do not depend on ids match.
    // (The example's question type names and `schedule: []` are copy errors, README 18.)
    for key in want.as_object().unwrap().keys() {
        assert!(got.get(key).is_some(), "missing {key}: {got}");
    }
    for key in [
        "policyDisplayName",
        "policyDescription",
        "isApprovalRequired",
        "isApprovalRequiredForExtension",
        "isRequestorJustificationRequired",
        "existingAnswers",
    ] {
        assert_eq!(got[key], want[key], "{key}");
    }
    let (q, wq) = (&got["questions"][0], &want["questions"][0]);
    for key in ["isRequired", "sequence", "isSingleLineQuestion", "text"] {
        assert_eq!(q[key], wq[key], "questions[0].{key}");
    }
    assert!(got["schedule"].is_object());
    s.stop().await;
}

fn package_names(r: &Value) -> Vec<String> {
    r["value"].as_array().unwrap().iter().map(|v| v["displayName"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn filter_by_current_user_lists_the_packages_the_caller_may_request() {
    let s = TestServer::start().await;
    let path = "accessPackages/filterByCurrentUser(on='allowedRequestor')";
    for base in [V1, BETA] {
        let r10 = s.get(&format!("{base}/{path}"), &s.end_user(10)).await;
        assert_eq!(r10.status, 200, "{}", r10.text);
        assert_eq!(package_names(&r10.body), vec!["Engineering Onboarding", "Finance Reports", "Sales Tools"]);
        let r7 = s.get(&format!("{base}/{path}"), &s.end_user(7)).await;
        assert_eq!(package_names(&r7.body), vec!["Engineering Onboarding", "Sales Tools"]);
        let bad = s.get(&format!("{base}/accessPackages/filterByCurrentUser(on='approver')"), &s.end_user(7)).await;
        assert_eq!(bad.status, 400, "{}", bad.text);
    }
    // Hidden packages are left out.
    let hide = s
        .patch(&format!("{V1}/accessPackages/{}", demo::access_package_id(1)), &s.admin(), &json!({"isHidden": true}))
        .await;
    assert_eq!(hide.status, 204, "{}", hide.text);
    let r7 = s.get(&format!("{BETA}/{path}"), &s.end_user(7)).await;
    assert_eq!(package_names(&r7.body), vec!["Engineering Onboarding"]);
    assert!(r7.body["value"][0]["catalogId"].is_string(), "beta shape: {}", r7.text);
    s.stop().await;
}
