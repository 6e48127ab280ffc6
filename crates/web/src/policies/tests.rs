//! Cross-version mapping of whole policies: each row pairs a v1.0 fragment with the beta
//! fragment that means the same; both directions are checked (write on one version, read on
//! the other), then whole-policy round trips through the other version.
use super::*;
use chrono::{TimeZone, Utc};
use grantd_domain::{CatalogId, PolicyId};

fn fresh() -> Policy {
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap();
    Policy::new(PolicyId::new(), AccessPackageId::new(), CatalogId::new(), now, Some("tester".into()))
}

fn written(v: ApiVersion, body: &Value) -> Policy {
    let mut p = fresh();
    apply(body, v, &mut p, true).unwrap();
    p
}

/// Every member of `expected` is in `actual` with an equal value (objects recursively, arrays
/// element by element with equal length).
fn contains(actual: &Value, expected: &Value, path: &str) {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => {
            for (k, ev) in e {
                let av = a.get(k).unwrap_or_else(|| panic!("{path}.{k} missing in {actual}"));
                contains(av, ev, &format!("{path}.{k}"));
            }
        }
        (Value::Array(a), Value::Array(e)) => {
            assert_eq!(a.len(), e.len(), "{path}: {actual} vs {expected}");
            for (i, (av, ev)) in a.iter().zip(e).enumerate() {
                contains(av, ev, &format!("{path}[{i}]"));
            }
        }
        (a, e) => assert_eq!(a, e, "{path}"),
    }
}

const U: &str = "7deff43e-1f17-44ef-9e5f-d516b0ba11d4";
const G: &str = "1623f912-5e86-41c2-af47-39dd67582b66";

#[test]
fn v1_and_beta_fragments_map_both_ways() {
    let rows: Vec<(&str, Value, Value)> = vec![
        (
            "member users may request",
            json!({"allowedTargetScope": "allMemberUsers", "requestorSettings": {"enableTargetsToSelfAddAccess": true}}),
            json!({"requestorSettings": {"scopeType": "AllExistingDirectoryMemberUsers", "acceptRequests": true, "allowedRequestors": []}}),
        ),
        (
            "all directory users, requests closed",
            json!({"allowedTargetScope": "allDirectoryUsers", "requestorSettings": {"enableTargetsToSelfAddAccess": false}}),
            json!({"requestorSettings": {"scopeType": "AllExistingDirectorySubjects", "acceptRequests": false}}),
        ),
        (
            "direct assignment only",
            json!({"allowedTargetScope": "notSpecified", "requestorSettings": {"enableTargetsToSelfAddAccess": false}}),
            json!({"requestorSettings": {"scopeType": "NoSubjects", "acceptRequests": true, "allowedRequestors": []}}),
        ),
        (
            "specific users",
            json!({"allowedTargetScope": "specificDirectoryUsers",
                   "specificAllowedTargets": [{"@odata.type": "#microsoft.graph.singleUser", "userId": U, "description": "Alex"}],
                   "requestorSettings": {"enableTargetsToSelfAddAccess": true}}),
            json!({"requestorSettings": {"scopeType": "SpecificDirectorySubjects", "acceptRequests": true,
                   "allowedRequestors": [{"@odata.type": "#microsoft.graph.singleUser", "isBackup": false, "id": U, "description": "Alex"}]}}),
        ),
        (
            "connected organizations",
            json!({"allowedTargetScope": "allConfiguredConnectedOrganizationUsers", "requestorSettings": {"enableTargetsToSelfAddAccess": true}}),
            json!({"requestorSettings": {"scopeType": "AllConfiguredConnectedOrganizationSubjects", "acceptRequests": true}}),
        ),
        (
            "extension allowed",
            json!({"requestorSettings": {"enableTargetsToSelfUpdateAccess": true}}),
            json!({"canExtend": true}),
        ),
        (
            "expires after days",
            json!({"expiration": {"type": "afterDuration", "duration": "P30D", "endDateTime": null}}),
            json!({"durationInDays": 30, "expirationDateTime": null}),
        ),
        (
            "expires at a date",
            json!({"expiration": {"type": "afterDateTime", "endDateTime": "2027-01-01T00:00:00Z", "duration": null}}),
            json!({"durationInDays": 0, "expirationDateTime": "2027-01-01T00:00:00Z"}),
        ),
        (
            "never expires",
            json!({"expiration": {"type": "noExpiration", "duration": null, "endDateTime": null}}),
            json!({"durationInDays": 0, "expirationDateTime": null}),
        ),
        (
            "one approval stage with escalation and backups",
            json!({"requestApprovalSettings": {
            "isApprovalRequiredForAdd": true, "isApprovalRequiredForUpdate": true, "isRequestorJustificationRequired": true,
            "stages": [{
                "durationBeforeAutomaticDenial": "P14D", "durationBeforeEscalation": "PT2H",
                "isApproverJustificationRequired": true, "isEscalationEnabled": true,
                "primaryApprovers": [{"@odata.type": "#microsoft.graph.requestorManager", "managerLevel": 1}],
                "fallbackPrimaryApprovers": [{"@odata.type": "#microsoft.graph.singleUser", "userId": U, "description": null}],
                "escalationApprovers": [{"@odata.type": "#microsoft.graph.groupMembers", "groupId": G, "description": null}],
                "fallbackEscalationApprovers": []
            }]}}),
            json!({"requestApprovalSettings": {
            "isApprovalRequired": true, "isApprovalRequiredForExtension": true, "isRequestorJustificationRequired": true,
            "approvalMode": "SingleStage",
            "approvalStages": [{
                "approvalStageTimeOutInDays": 14, "escalationTimeInMinutes": 120,
                "isApproverJustificationRequired": true, "isEscalationEnabled": true,
                "primaryApprovers": [
                    {"@odata.type": "#microsoft.graph.requestorManager", "isBackup": false, "managerLevel": 1},
                    {"@odata.type": "#microsoft.graph.singleUser", "isBackup": true, "id": U, "description": null}],
                "escalationApprovers": [{"@odata.type": "#microsoft.graph.groupMembers", "isBackup": false, "id": G, "description": null}]
            }]}}),
        ),
        (
            "no approval",
            json!({"requestApprovalSettings": {"isApprovalRequiredForAdd": false, "isApprovalRequiredForUpdate": false, "stages": []}}),
            json!({"requestApprovalSettings": {"isApprovalRequired": false, "isApprovalRequiredForExtension": false, "approvalMode": "NoApproval", "approvalStages": []}}),
        ),
        (
            "quarterly reviews by a group",
            json!({"reviewSettings": {
                "isEnabled": true, "expirationBehavior": "removeAccess", "isRecommendationEnabled": true,
                "isReviewerJustificationRequired": true, "isSelfReview": false,
                "schedule": {"startDateTime": "2026-07-01T00:00:00Z", "expiration": {"type": "afterDuration", "duration": "P25D"},
                             "recurrence": {"pattern": {"type": "absoluteMonthly", "interval": 3}, "range": {"type": "noEnd"}}},
                "primaryReviewers": [{"@odata.type": "#microsoft.graph.groupMembers", "groupId": G, "description": null}],
                "fallbackReviewers": []}}),
            json!({"accessReviewSettings": {
                "isEnabled": true, "accessReviewTimeoutBehavior": "removeAccess", "isAccessRecommendationEnabled": true,
                "isApprovalJustificationRequired": true, "reviewerType": "Reviewers",
                "startDateTime": "2026-07-01T00:00:00Z", "durationInDays": 25, "recurrenceType": "quarterly",
                "reviewers": [{"@odata.type": "#microsoft.graph.groupMembers", "isBackup": false, "id": G, "description": null}]}}),
        ),
        (
            "questions",
            json!({"questions": [
                {"@odata.type": "#microsoft.graph.accessPackageMultipleChoiceQuestion", "id": "q1", "sequence": 1,
                 "isRequired": true, "isAnswerEditable": false, "text": "Country?", "localizations": [],
                 "isMultipleSelectionAllowed": true,
                 "choices": [{"actualValue": "KE", "text": "Kenya", "localizations": [{"languageCode": "fr", "text": "Kenya"}]}]},
                {"@odata.type": "#microsoft.graph.accessPackageTextInputQuestion", "id": "q2", "sequence": 2,
                 "isRequired": false, "isAnswerEditable": true, "text": "Why?",
                 "localizations": [{"languageCode": "fr-CA", "text": "Pourquoi?"}],
                 "isSingleLineQuestion": false, "regexPattern": "[a-z]+"}]}),
            json!({"questions": [
                {"@odata.type": "#microsoft.graph.accessPackageMultipleChoiceQuestion", "id": "q1", "sequence": 1,
                 "isRequired": true, "isAnswerEditable": false, "text": {"defaultText": "Country?", "localizedTexts": []},
                 "allowsMultipleSelection": true,
                 "choices": [{"actualValue": "KE", "displayValue": {"defaultText": "Kenya", "localizedTexts": [{"languageCode": "fr", "text": "Kenya"}]}}]},
                {"@odata.type": "#microsoft.graph.accessPackageTextInputQuestion", "id": "q2", "sequence": 2,
                 "isRequired": false, "isAnswerEditable": true,
                 "text": {"defaultText": "Why?", "localizedTexts": [{"languageCode": "fr-CA", "text": "Pourquoi?"}]},
                 "isSingleLineQuestion": false, "regexPattern": "[a-z]+"}]}),
        ),
        (
            "custom extension stages",
            json!({"customExtensionStageSettings": [{"id": "s1", "stage": "assignmentRequestCreated", "customExtension": {"id": U}}]}),
            json!({"customExtensionStageSettings": [{"id": "s1", "stage": "assignmentRequestCreated", "customExtension": {"id": U}}]}),
        ),
    ];
    for (name, v1_body, beta_body) in rows {
        let from_v1 = written(ApiVersion::V1, &v1_body);
        contains(&render(&from_v1, ApiVersion::Beta), &beta_body, &format!("{name} (v1.0 -> beta)"));
        let from_beta = written(ApiVersion::Beta, &beta_body);
        contains(&render(&from_beta, ApiVersion::V1), &v1_body, &format!("{name} (beta -> v1.0)"));
    }
}

const TWO_STAGE: &str =
    include_str!("../../../server/tests/golden/v1-post-assignmentpolicies-external-two-stage.request.json");
const QUESTIONS: &str = include_str!("../../../server/tests/golden/v1-post-assignmentpolicies-questions.request.json");

#[test]
fn a_v1_policy_survives_a_beta_rewrite_of_itself() {
    for golden in [TWO_STAGE, QUESTIONS] {
        let mut body: Value = serde_json::from_str(golden).unwrap();
        body["requestorSettings"]["onBehalfRequestors"] =
            json!([{"@odata.type": "#microsoft.graph.singleUser", "userId": U, "description": null}]);
        body["notificationSettings"] = json!({"isAssignmentNotificationDisabled": true});
        let p0 = written(ApiVersion::V1, &body);
        p0.validate(3).unwrap();
        let mut p1 = p0.clone();
        apply(&render(&p0, ApiVersion::Beta), ApiVersion::Beta, &mut p1, false).unwrap();
        assert_eq!(render(&p1, ApiVersion::V1), render(&p0, ApiVersion::V1));
    }
}

#[test]
fn a_beta_policy_survives_a_v1_rewrite_of_itself() {
    let body = json!({
        "accessPackageId": "a2e1ca1e-4e56-47d2-9daa-e2ba8d12a82b",
        "displayName": "All Users", "description": "All users can request",
        "canExtend": true, "durationInDays": 365,
        "requestorSettings": {"scopeType": "NoSubjects", "acceptRequests": false, "allowedRequestors": []},
        "requestApprovalSettings": {"isApprovalRequired": true, "isApprovalRequiredForExtension": false,
            "isRequestorJustificationRequired": true, "approvalMode": "Parallel",
            "approvalStages": [{"approvalStageTimeOutInDays": 14, "isApproverJustificationRequired": true,
                "isEscalationEnabled": false, "escalationTimeInMinutes": 0,
                "primaryApprovers": [{"@odata.type": "#microsoft.graph.singleUser", "isBackup": false, "id": U, "description": "A"}]}]},
        "verifiableCredentialSettings": {"credentialTypes": [{"credentialType": "VerifiedEmployee", "issuers": ["did:web:x"]}]},
        "customExtensionHandlers": [{"stage": "assignmentRequestGranted", "customExtension": {"id": G}}]
    });
    let p0 = written(ApiVersion::Beta, &body);
    p0.validate(2).unwrap();
    let mut p1 = p0.clone();
    apply(&render(&p0, ApiVersion::V1), ApiVersion::V1, &mut p1, false).unwrap();
    assert_eq!(render(&p1, ApiVersion::Beta), render(&p0, ApiVersion::Beta));
    let beta = render(&p1, ApiVersion::Beta);
    assert_eq!(beta["requestApprovalSettings"]["approvalMode"], "Parallel");
    assert_eq!(beta["customExtensionHandlers"][0]["stage"], "assignmentRequestGranted");
}

#[test]
fn derived_types_are_written_with_a_hash() {
    let p = written(ApiVersion::V1, &serde_json::from_str::<Value>(TWO_STAGE).unwrap());
    for v in [ApiVersion::V1, ApiVersion::Beta] {
        let text = render(&p, v).to_string();
        assert!(!text.contains("\"microsoft.graph."), "{text}");
        assert!(text.contains("\"#microsoft.graph.internalSponsors\""));
    }
}
