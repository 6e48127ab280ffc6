//! Access package assignment policies through the HTTP API: the docs' golden create bodies,
//! cross-version reads, replace, merge, delete, validation codes, OData options and
//! permissions, on v1.0 (`assignmentPolicies`) and beta (`accessPackageAssignmentPolicies`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;
mod policy_support;

use common::{TestServer, BETA, V1};
use grantd::demo::{self, DEMO_TENANT};
use grantd_domain::assignment::{Assignment, AssignmentState};
use grantd_domain::policy::Schedule;
use grantd_domain::{AccessPackageId, AssignmentId, PolicyId};
use policy_support::*;
use serde_json::{json, Value};

#[tokio::test]
async fn golden_v1_create_bodies_are_accepted_verbatim_with_the_documented_response_shape() {
    let s = TestServer::start().await;
    let cat = catalog(&s, "Golden").await;
    for id in GOLDEN_PACKAGES {
        package_with_id(&s, cat, AccessPackageId(id.parse().unwrap()), id).await;
    }
    let t = s.admin();
    for (request, response) in [
        (DIRECT, DIRECT_RESPONSE),
        (AUTO, AUTO_RESPONSE),
        (TWO_STAGE, TWO_STAGE_RESPONSE),
        (QUESTIONS, QUESTIONS_RESPONSE),
    ] {
        // Sent as the docs' text, byte for byte.
        let r = s
            .http
            .post(format!("{}{V1}/assignmentPolicies", s.base))
            .bearer_auth(&t)
            .header("content-type", "application/json")
            .body(request)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let body: Value = r.json().await.unwrap();
        assert!(
            body["@odata.context"]
                .as_str()
                .unwrap()
                .ends_with("/v1.0/$metadata#identityGovernance/entitlementManagement/assignmentPolicies/$entity"),
            "{body}"
        );
        let docs: Value = serde_json::from_str(response).unwrap();
        assert_same_shape(&body, &docs, "");
        let sent: Value = serde_json::from_str(request).unwrap();
        assert_eq!(body["displayName"], sent["displayName"]);
        // The created policy reads back with the same shape.
        let got = s.get(&format!("{V1}/assignmentPolicies/{}", body["id"].as_str().unwrap()), &t).await;
        assert_eq!(got.status, 200, "{}", got.text);
        assert_same_shape(&got.body, &docs, "");
    }
    // The questions example sends booleans and numbers as strings: they were coerced.
    let r = s
        .get(&format!("{V1}/assignmentPolicies?$filter=displayName%20eq%20%27A%20Policy%20With%20Questions%27"), &t)
        .await;
    let q = &r.body["value"][0];
    assert_eq!(q["requestApprovalSettings"]["isApprovalRequiredForAdd"], true);
    assert_eq!(q["questions"][0]["sequence"], 1);
    assert_eq!(q["questions"][0]["@odata.type"], "#microsoft.graph.accessPackageMultipleChoiceQuestion");
    assert_eq!(q["questions"][0]["choices"].as_array().unwrap().len(), 5);
    assert_eq!(q["questions"][1]["localizations"][0]["languageCode"], "fr-CA");
    assert_eq!(q["questions"][1]["regexPattern"], "[a-zA-Z]+[a-zA-Z\\s]*");
    s.stop().await;
}

#[tokio::test]
async fn policy_created_on_v1_reads_back_on_beta() {
    let s = TestServer::start().await;
    let cat = catalog(&s, "Cross").await;
    let pkg = package_with_id(&s, cat, AccessPackageId(GOLDEN_PACKAGES[1].parse().unwrap()), "Cross").await;
    let t = s.admin();
    let id = create_v1(&s, &t, &serde_json::from_str(TWO_STAGE).unwrap()).await;
    let r = s.get(&format!("{BETA}/accessPackageAssignmentPolicies/{id}"), &t).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let b = &r.body;
    assert!(b["@odata.context"]
        .as_str()
        .unwrap()
        .ends_with("/beta/$metadata#identityGovernance/entitlementManagement/accessPackageAssignmentPolicies/$entity"));
    assert_eq!(b["accessPackageId"], pkg.to_string());
    assert_eq!(b["durationInDays"], 0);
    assert_eq!(b["expirationDateTime"], Value::Null);
    assert_eq!(b["canExtend"], true);
    assert_eq!(b["requestorSettings"]["scopeType"], "AllConfiguredConnectedOrganizationSubjects");
    assert_eq!(b["requestorSettings"]["acceptRequests"], true);
    let a = &b["requestApprovalSettings"];
    assert_eq!(a["isApprovalRequired"], true);
    assert_eq!(a["isApprovalRequiredForExtension"], false);
    assert_eq!(a["approvalMode"], "Serial");
    let stages = a["approvalStages"].as_array().unwrap();
    assert_eq!(stages.len(), 2);
    assert_eq!(stages[0]["approvalStageTimeOutInDays"], 14);
    assert_eq!(stages[0]["escalationTimeInMinutes"], 0);
    let approvers = stages[0]["primaryApprovers"].as_array().unwrap();
    assert_eq!(approvers[0], json!({"@odata.type": "#microsoft.graph.internalSponsors", "isBackup": false}));
    assert_eq!(approvers[1]["@odata.type"], "#microsoft.graph.singleUser");
    assert_eq!(approvers[1]["isBackup"], true);
    assert_eq!(approvers[1]["id"], "7deff43e-1f17-44ef-9e5f-d516b0ba11d4");
    let review = &b["accessReviewSettings"];
    assert_eq!(review["recurrenceType"], "quarterly");
    assert_eq!(review["durationInDays"], 14);
    assert_eq!(review["reviewerType"], "Reviewers");
    assert_eq!(review["accessReviewTimeoutBehavior"], "keepAccess");
    // Each version serves only its own collection name.
    let r = s.get(&format!("{BETA}/assignmentPolicies/{id}"), &t).await;
    assert_eq!(r.status, 404);
    let r = s.get(&format!("{V1}/accessPackageAssignmentPolicies/{id}"), &t).await;
    assert_eq!(r.status, 404);
    s.stop().await;
}

#[tokio::test]
async fn policy_created_on_beta_reads_back_on_v1() {
    let s = TestServer::start().await;
    let cat = catalog(&s, "Beta").await;
    let pkg = package(&s, cat, "Beta package").await;
    let t = s.admin();
    let manager = demo::user_id(3);
    let body = json!({
        "accessPackageId": pkg.to_string(),
        "displayName": "Members with approval",
        "description": "beta-created",
        "canExtend": false,
        "durationInDays": 30,
        "requestorSettings": {"scopeType": "AllExistingDirectoryMemberUsers", "acceptRequests": true, "allowedRequestors": []},
        "requestApprovalSettings": {
            "isApprovalRequired": true, "isApprovalRequiredForExtension": false, "isRequestorJustificationRequired": true,
            "approvalMode": "SingleStage",
            "approvalStages": [{
                "approvalStageTimeOutInDays": 7, "isApproverJustificationRequired": true, "isEscalationEnabled": true,
                "escalationTimeInMinutes": 60,
                "primaryApprovers": [{"@odata.type": "#microsoft.graph.requestorManager", "isBackup": false},
                                     {"@odata.type": "#microsoft.graph.singleUser", "isBackup": true, "id": manager.to_string()}],
                "escalationApprovers": [{"@odata.type": "#microsoft.graph.groupMembers", "isBackup": false, "id": demo::group_id(2).to_string(), "description": "Engineering"}]
            }]
        },
        "questions": [{"@odata.type": "#microsoft.graph.accessPackageTextInputQuestion", "isRequired": true, "sequence": 1,
                       "text": {"defaultText": "Why?", "localizedTexts": [{"text": "Pourquoi?", "languageCode": "fr"}]},
                       "isSingleLineQuestion": true}]
    });
    let r = s.post(&format!("{BETA}/accessPackageAssignmentPolicies"), &t, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["accessPackageId"], pkg.to_string());
    assert_eq!(r.body["durationInDays"], 30);
    assert_eq!(r.body["createdBy"], "megan@contoso.example");
    let id = r.body["id"].as_str().unwrap().to_string();
    let r = s.get(&format!("{V1}/assignmentPolicies/{id}"), &t).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let p = &r.body;
    assert_eq!(p["allowedTargetScope"], "allMemberUsers");
    assert_eq!(p["expiration"], json!({"endDateTime": null, "duration": "P30D", "type": "afterDuration"}));
    assert_eq!(p["requestorSettings"]["enableTargetsToSelfAddAccess"], true);
    assert_eq!(p["requestorSettings"]["enableTargetsToSelfUpdateAccess"], false);
    let a = &p["requestApprovalSettings"];
    assert_eq!(a["isApprovalRequiredForAdd"], true);
    assert_eq!(a["isRequestorJustificationRequired"], true);
    let st = &a["stages"][0];
    assert_eq!(st["durationBeforeAutomaticDenial"], "P7D");
    assert_eq!(st["durationBeforeEscalation"], "PT1H");
    assert_eq!(
        st["primaryApprovers"],
        json!([{"@odata.type": "#microsoft.graph.requestorManager", "managerLevel": null}])
    );
    assert_eq!(st["fallbackPrimaryApprovers"][0]["userId"], manager.to_string());
    assert_eq!(st["escalationApprovers"][0]["groupId"], demo::group_id(2).to_string());
    assert_eq!(st["approverInformationVisibility"], "default");
    assert_eq!(p["questions"][0]["text"], "Why?");
    assert_eq!(p["questions"][0]["localizations"][0]["text"], "Pourquoi?");
    assert!(p.get("accessPackageId").is_none(), "v1.0 has no accessPackageId");
    s.stop().await;
}

#[tokio::test]
async fn put_replaces_a_policy_and_patch_merges_into_it() {
    let s = TestServer::start().await;
    let cat = catalog(&s, "Edit").await;
    let pkg = package(&s, cat, "Edit package").await;
    let other = package(&s, cat, "Other package").await;
    let t = s.admin();
    let mut body = v1_body(pkg, "Original");
    body["requestorSettings"]["onBehalfRequestors"] =
        json!([{"@odata.type": "#microsoft.graph.targetManager", "managerLevel": 1}]);
    let id = create_v1(&s, &t, &body).await;
    let v1 = format!("{V1}/assignmentPolicies/{id}");
    let beta = format!("{BETA}/accessPackageAssignmentPolicies/{id}");

    // v1.0 PUT: the whole object; members it omits go back to their defaults.
    let mut put = v1_body(pkg, "Renamed");
    put["expiration"] = json!({"type": "afterDateTime", "endDateTime": "2030-01-01T00:00:00+00:00"});
    let r = s.put(&v1, &t, &put).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["displayName"], "Renamed");
    assert_eq!(r.body["expiration"]["endDateTime"], "2030-01-01T00:00:00Z");
    assert_eq!(r.body["requestorSettings"]["onBehalfRequestors"], json!([]));
    let got = s.get(&v1, &t).await;
    assert_eq!(got.body["displayName"], "Renamed");
    assert_ne!(got.body["modifiedDateTime"], Value::Null);

    // Moving a policy to another package is refused.
    let r = s.put(&v1, &t, &v1_body(other, "Moved")).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error_code(), "InvalidModel");

    // beta PUT needs accessPackageId (errors.md V4).
    let mut beta_put = s.get(&beta, &t).await.body;
    beta_put.as_object_mut().unwrap().remove("accessPackageId");
    let r = s.put(&beta, &t, &beta_put).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error_code(), "ArgumentNullException");
    assert_eq!(r.body["error"]["message"], "Value cannot be null.Parameter name: Id");
    beta_put["accessPackageId"] = json!(pkg.to_string());
    beta_put["displayName"] = json!("Renamed on beta");
    beta_put["durationInDays"] = json!(10);
    beta_put["expirationDateTime"] = Value::Null;
    let r = s.put(&beta, &t, &beta_put).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let got = s.get(&v1, &t).await.body;
    assert_eq!(got["displayName"], "Renamed on beta");
    assert_eq!(got["expiration"]["duration"], "P10D");
    assert_eq!(got["allowedTargetScope"], "allMemberUsers");

    // PATCH merges into the current representation.
    let r = s
        .patch(
            &v1,
            &t,
            &json!({"description": "patched", "requestorSettings": {"allowCustomAssignmentSchedule": true}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let got = s.get(&v1, &t).await.body;
    assert_eq!(got["description"], "patched");
    assert_eq!(got["displayName"], "Renamed on beta");
    assert_eq!(got["requestorSettings"]["allowCustomAssignmentSchedule"], true);
    assert_eq!(got["requestorSettings"]["enableTargetsToSelfAddAccess"], true);
    let r = s.patch(&beta, &t, &json!({"canExtend": true})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(s.get(&v1, &t).await.body["requestorSettings"]["enableTargetsToSelfUpdateAccess"], true);

    // Unknown ids.
    let missing = PolicyId::new();
    assert_eq!(s.put(&format!("{V1}/assignmentPolicies/{missing}"), &t, &put).await.status, 404);
    assert_eq!(s.get(&format!("{V1}/assignmentPolicies/not-a-guid"), &t).await.error_code(), "ResourceNotFound");
    s.stop().await;
}

fn assignment(
    pkg: AccessPackageId,
    policy: &str,
    catalog: grantd_domain::CatalogId,
    state: AssignmentState,
) -> Assignment {
    let now = chrono::Utc::now();
    Assignment {
        id: AssignmentId::new(),
        access_package_id: pkg,
        assignment_policy_id: PolicyId(policy.parse().unwrap()),
        catalog_id: catalog,
        target_id: demo::user_id(8),
        state,
        status: Some("Delivered".into()),
        schedule: Schedule::default(),
        expired_date_time: None,
        created_date_time: now,
        modified_date_time: now,
    }
}

#[tokio::test]
async fn delete_removes_a_policy_unless_assignments_still_use_it() {
    let s = TestServer::start().await;
    let cat = catalog(&s, "Delete").await;
    let pkg = package(&s, cat, "Delete package").await;
    let t = s.admin();
    let free = create_v1(&s, &t, &v1_body(pkg, "Free")).await;
    let used = create_v1(&s, &t, &v1_body(pkg, "Used")).await;
    let expired_only = create_v1(&s, &t, &v1_body(pkg, "Expired only")).await;
    s.store.create_assignment(DEMO_TENANT, &assignment(pkg, &used, cat, AssignmentState::Delivered)).await.unwrap();
    s.store
        .create_assignment(DEMO_TENANT, &assignment(pkg, &expired_only, cat, AssignmentState::Expired))
        .await
        .unwrap();

    let r = s.delete(&format!("{V1}/assignmentPolicies/{free}"), &t).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(s.get(&format!("{V1}/assignmentPolicies/{free}"), &t).await.status, 404);
    assert_eq!(s.delete(&format!("{V1}/assignmentPolicies/{free}"), &t).await.status, 404);

    for path in [format!("{V1}/assignmentPolicies/{used}"), format!("{BETA}/accessPackageAssignmentPolicies/{used}")] {
        let r = s.delete(&path, &t).await;
        assert_eq!(r.status, 409, "{}", r.text);
        assert_eq!(r.error_code(), "InvalidDeletePolicyHasAssignments");
    }
    assert_eq!(s.get(&format!("{V1}/assignmentPolicies/{used}"), &t).await.status, 200);
    let r = s.delete(&format!("{BETA}/accessPackageAssignmentPolicies/{expired_only}"), &t).await;
    assert_eq!(r.status, 204, "{}", r.text);
    s.stop().await;
}

#[tokio::test]
async fn invalid_policies_are_rejected_with_graph_codes() {
    let s = TestServer::start().await;
    let cat = catalog(&s, "Invalid").await;
    let pkg = package(&s, cat, "Invalid package").await;
    let t = s.admin();
    let stage = json!({"durationBeforeAutomaticDenial": "P14D",
                       "primaryApprovers": [{"@odata.type": "#microsoft.graph.requestorManager", "managerLevel": 1}]});
    let v1 = |f: &dyn Fn(&mut Value)| {
        let mut b = v1_body(pkg, "Bad");
        f(&mut b);
        b
    };
    // (name, version path, body, status, code, text the message must name)
    let cases: Vec<(&str, &str, Value, u16, &str, &str)> = vec![
        (
            "approval without stages",
            "v1",
            v1(&|b| b["requestApprovalSettings"]["isApprovalRequiredForAdd"] = json!(true)),
            400,
            "InvalidApprovalStages",
            "If approval is required, a valid list of stages must be provided.",
        ),
        (
            "four stages",
            "v1",
            v1(&|b| {
                b["requestApprovalSettings"] = json!({"isApprovalRequiredForAdd": true,
            "stages": [stage.clone(), stage.clone(), stage.clone(), stage.clone()]})
            }),
            400,
            "InvalidApprovalStages",
            "3",
        ),
        (
            "any user without approval",
            "v1",
            v1(&|b| b["allowedTargetScope"] = json!("allExternalUsers")),
            400,
            "AnyUserPolicyValidationError",
            "Any User",
        ),
        (
            "boolean that is not one",
            "v1",
            v1(&|b| b["requestorSettings"]["enableTargetsToSelfAddAccess"] = json!("yes")),
            400,
            "InvalidModel",
            "requestorSettings.enableTargetsToSelfAddAccess",
        ),
        ("number for a string", "v1", v1(&|b| b["displayName"] = json!(5)), 400, "InvalidModel", "displayName"),
        (
            "unknown subject type",
            "v1",
            v1(&|b| {
                b["requestorSettings"]["onBehalfRequestors"] = json!([{"@odata.type": "#microsoft.graph.everyone"}])
            }),
            400,
            "InvalidModel",
            "requestorSettings.onBehalfRequestors[0].@odata.type",
        ),
        (
            "subject set without a type",
            "v1",
            v1(&|b| b["specificAllowedTargets"] = json!([{"userId": "x"}])),
            400,
            "InvalidModel",
            "specificAllowedTargets[0].@odata.type",
        ),
        (
            "bad duration",
            "v1",
            v1(&|b| b["expiration"]["duration"] = json!("soon")),
            400,
            "InvalidModel",
            "expiration.duration",
        ),
        (
            "bad enum",
            "v1",
            v1(&|b| b["allowedTargetScope"] = json!("everybody")),
            400,
            "InvalidModel",
            "allowedTargetScope",
        ),
        (
            "no package",
            "v1",
            v1(&|b| {
                b.as_object_mut().unwrap().remove("accessPackage");
            }),
            400,
            "InvalidModel",
            "accessPackage",
        ),
        (
            "unknown package",
            "v1",
            v1(&|b| b["accessPackage"]["id"] = json!(AccessPackageId::new().to_string())),
            404,
            "ResourceNotFound",
            "access package",
        ),
        ("not an object", "v1", json!([1, 2]), 400, "InvalidModel", "object"),
        (
            "three stages on beta",
            "beta",
            json!({"accessPackageId": pkg.to_string(), "displayName": "B",
            "requestorSettings": {"scopeType": "AllExistingDirectorySubjects"},
            "requestApprovalSettings": {"isApprovalRequired": true, "approvalStages": [
                {"approvalStageTimeOutInDays": 1}, {"approvalStageTimeOutInDays": 1}, {"approvalStageTimeOutInDays": 1}]}}),
            400,
            "InvalidApprovalStages",
            "2",
        ),
        (
            "unknown beta scope",
            "beta",
            json!({"accessPackageId": pkg.to_string(), "displayName": "B",
            "requestorSettings": {"scopeType": "Everyone"}}),
            400,
            "InvalidModel",
            "requestorSettings.scopeType",
        ),
        (
            "beta without package",
            "beta",
            json!({"displayName": "B"}),
            400,
            "ArgumentNullException",
            "Parameter name: Id",
        ),
        (
            "negative days",
            "beta",
            json!({"accessPackageId": pkg.to_string(), "displayName": "B", "durationInDays": -1}),
            400,
            "InvalidModel",
            "durationInDays",
        ),
    ];
    for (name, version, body, status, code, text) in cases {
        let path = if version == "v1" {
            format!("{V1}/assignmentPolicies")
        } else {
            format!("{BETA}/accessPackageAssignmentPolicies")
        };
        let r = s.post(&path, &t, &body).await;
        assert_eq!(r.status.as_u16(), status, "{name}: {}", r.text);
        assert_eq!(r.error_code(), code, "{name}");
        assert!(r.body["error"]["message"].as_str().unwrap().contains(text), "{name}: {}", r.text);
    }
    // Malformed JSON is Graph's BadRequest.
    let r = s
        .http
        .post(format!("{}{V1}/assignmentPolicies", s.base))
        .bearer_auth(&t)
        .header("content-type", "application/json")
        .body("{\"displayName\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // Durations in Python's timedelta form are read (WIRE.md 9) and written back as ISO 8601.
    let mut b = v1_body(pkg, "Timedelta");
    b["expiration"]["duration"] = json!("14 days, 0:00:00");
    let id = create_v1(&s, &t, &b).await;
    let got = s.get(&format!("{V1}/assignmentPolicies/{id}"), &t).await;
    assert_eq!(got.body["expiration"]["duration"], "P14D");
    // Nothing was created by the rejected requests.
    let r =
        s.get(&format!("{V1}/assignmentPolicies?$count=true&$filter=accessPackage/id%20eq%20%27{pkg}%27"), &t).await;
    assert_eq!(r.body["@odata.count"], 1, "{}", r.text);
    s.stop().await;
}

#[tokio::test]
async fn lists_filter_select_expand_and_page_on_both_versions() {
    let s = TestServer::start().await;
    let cat = catalog(&s, "Lists").await;
    let a = package(&s, cat, "Package A").await;
    let b = package(&s, cat, "Package B").await;
    let t = s.admin();
    for (pkg, name) in [(a, "Alpha"), (a, "Beta one"), (b, "Gamma")] {
        create_v1(&s, &t, &v1_body(pkg, name)).await;
    }
    let list = |q: &str| format!("{V1}/assignmentPolicies?{q}");
    let blist = |q: &str| format!("{BETA}/accessPackageAssignmentPolicies?{q}");

    let r = s.get(&list("$filter=displayName%20eq%20%27Gamma%27"), &t).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["value"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["value"][0]["displayName"], "Gamma");
    let r = s.get(&list(&format!("$filter=accessPackage/id%20eq%20%27{a}%27&$count=true")), &t).await;
    assert_eq!(r.body["@odata.count"], 2, "{}", r.text);
    let in_cat = format!("%20and%20catalog/id%20eq%20%27{cat}%27");
    let r = s.get(&list(&format!("$filter=allowedTargetScope%20eq%20%27AllMemberUsers%27{in_cat}")), &t).await;
    assert_eq!(r.body["value"].as_array().unwrap().len(), 3, "{}", r.text);
    let r = s.get(&blist(&format!("$filter=accessPackageId%20eq%20%27{b}%27")), &t).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["value"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["value"][0]["accessPackageId"], b.to_string());

    // $select keeps only what was asked.
    let r = s
        .get(&list(&format!("$select=id,displayName&$orderby=displayName&$filter=catalog/id%20eq%20%27{cat}%27")), &t)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let first = r.body["value"][0].as_object().unwrap();
    assert_eq!(first.keys().collect::<Vec<_>>(), ["id", "displayName"]);
    assert_eq!(first["displayName"], "Alpha");

    // $expand: v1.0 accessPackage and catalog; beta accessPackage and accessPackageCatalog.
    let r = s.get(&list("$expand=accessPackage,catalog&$filter=displayName%20eq%20%27Alpha%27"), &t).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let p = &r.body["value"][0];
    assert_eq!(p["accessPackage"]["id"], a.to_string());
    assert_eq!(p["accessPackage"]["displayName"], "Package A");
    assert_eq!(p["catalog"]["id"], cat.to_string());
    assert_eq!(p["catalog"]["state"], "published");
    let r = s
        .get(
            &blist(&format!(
                "$expand=accessPackage,accessPackageCatalog&$top=1&$filter=accessPackageCatalog/id%20eq%20%27{cat}%27"
            )),
            &t,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["value"][0]["accessPackageCatalog"]["catalogStatus"], "Published");
    assert_eq!(r.body["value"][0]["accessPackage"]["catalogId"], cat.to_string());
    let next = r.body["@odata.nextLink"].as_str().unwrap().to_string();
    assert!(next.starts_with(&s.base) && next.contains("$expand=accessPackage"), "{next}");
    let r2 = s.get(&next, &t).await;
    assert_eq!(r2.status, 200, "{}", r2.text);
    assert_ne!(r2.body["value"][0]["id"], r.body["value"][0]["id"]);
    let one = r.body["value"][0]["id"].as_str().unwrap();
    let r = s.get(&format!("{V1}/assignmentPolicies/{one}?$expand=accessPackage&$select=id"), &t).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["accessPackage"]["catalogId"], Value::Null, "v1.0 package shape: {}", r.text);
    assert!(r.body.get("displayName").is_none());

    // Version names are checked.
    let r = s.get(&list("$expand=accessPackageCatalog"), &t).await;
    assert_eq!(r.status, 400);
    let r = s.get(&list("$filter=accessPackageId%20eq%20%27x%27"), &t).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.error_code(), "InvalidFilter");
    // Filter values are bound, never spliced into SQL.
    let r = s.get(&list("$filter=displayName%20eq%20%27x%27%27%20OR%201%3D1%20--%27"), &t).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["value"], json!([]));
    s.stop().await;
}
