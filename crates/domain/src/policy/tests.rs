//! Rules and accessors of the canonical policy, table by table.
use super::*;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn base() -> Policy {
    let mut p = Policy::new(PolicyId::new(), AccessPackageId::new(), CatalogId::new(), t("2026-01-01T00:00:00Z"), None);
    p.display_name = "Policy".into();
    p
}

fn stage() -> ApprovalStage {
    ApprovalStage {
        primary_approvers: vec![SubjectSet::new(Subject::RequestorManager { manager_level: Some(1) })],
        ..ApprovalStage::default()
    }
}

fn code(p: &Policy, max: usize) -> Option<&'static str> {
    match p.validate(max) {
        Ok(()) => None,
        Err(DomainError::Invalid { code, .. }) => Some(code),
        Err(e) => panic!("unexpected {e:?}"),
    }
}

#[test]
fn validation_rules() {
    type Tweak = fn(&mut Policy);
    let cases: &[(&str, Tweak, usize, Option<&str>)] = &[
        ("a plain policy is valid", |_| {}, 3, None),
        ("a name is required", |p| p.display_name = " ".into(), 3, Some("InvalidModel")),
        (
            "approval without stages",
            |p| p.approval.is_approval_required_for_add = true,
            3,
            Some("InvalidApprovalStages"),
        ),
        (
            "approval for update only, without stages",
            |p| p.approval.is_approval_required_for_update = true,
            3,
            Some("InvalidApprovalStages"),
        ),
        (
            "three stages on v1.0",
            |p| {
                p.approval.is_approval_required_for_add = true;
                p.approval.stages = vec![stage(), stage(), stage()];
            },
            MAX_STAGES_V1,
            None,
        ),
        (
            "four stages on v1.0",
            |p| {
                p.approval.is_approval_required_for_add = true;
                p.approval.stages = vec![stage(), stage(), stage(), stage()];
            },
            MAX_STAGES_V1,
            Some("InvalidApprovalStages"),
        ),
        (
            "three stages on beta",
            |p| {
                p.approval.is_approval_required_for_add = true;
                p.approval.stages = vec![stage(), stage(), stage()];
            },
            MAX_STAGES_BETA,
            Some("InvalidApprovalStages"),
        ),
        (
            "any external user without approval",
            |p| p.allowed_target_scope = TargetScope::AllExternalUsers,
            3,
            Some("AnyUserPolicyValidationError"),
        ),
        (
            "any external user with approval",
            |p| {
                p.allowed_target_scope = TargetScope::AllExternalUsers;
                p.approval.is_approval_required_for_add = true;
                p.approval.stages = vec![stage()];
            },
            3,
            None,
        ),
        (
            "auto-assignment without a rule",
            |p| {
                p.automatic_request_settings =
                    Some(AutomaticRequestSettings { request_access_for_allowed_targets: true, ..Default::default() })
            },
            3,
            Some("InvalidModel"),
        ),
        (
            "auto-assignment with a rule",
            |p| {
                p.allowed_target_scope = TargetScope::SpecificDirectoryUsers;
                p.specific_allowed_targets = vec![SubjectSet::new(Subject::AttributeRuleMembers {
                    membership_rule: "(user.department -eq \"Sales\")".into(),
                    description: None,
                })];
                p.automatic_request_settings =
                    Some(AutomaticRequestSettings { request_access_for_allowed_targets: true, ..Default::default() })
            },
            3,
            None,
        ),
        (
            "afterDuration needs a duration",
            |p| p.expiration.kind = ExpirationType::AfterDuration,
            3,
            Some("InvalidModel"),
        ),
        ("afterDateTime needs an end", |p| p.expiration.kind = ExpirationType::AfterDateTime, 3, Some("InvalidModel")),
        (
            "an empty multiple choice question",
            |p| {
                p.questions = vec![Question {
                    id: "q".into(),
                    kind: QuestionKind::MultipleChoice { choices: vec![], is_multiple_selection_allowed: false },
                    text: Some("?".into()),
                    localizations: vec![],
                    is_required: true,
                    is_answer_editable: false,
                    sequence: 1,
                }]
            },
            3,
            Some("InvalidModel"),
        ),
    ];
    for (name, tweak, max, expected) in cases {
        let mut p = base();
        tweak(&mut p);
        assert_eq!(code(&p, *max), *expected, "{name}");
    }
}

#[test]
fn who_may_request() {
    let mut p = base();
    assert!(!p.allows_self_add(), "a direct-assignment policy takes no user requests");
    p.allowed_target_scope = TargetScope::AllMemberUsers;
    p.requestor_settings.enable_targets_to_self_add_access = true;
    assert!(p.allows_self_add());
    p.requestor_settings.accept_requests = false;
    assert!(!p.allows_self_add(), "beta acceptRequests false closes the policy");
    p.requestor_settings.accept_requests = true;
    p.requestor_settings.enable_on_behalf_requestors_to_add_access = true;
    assert!(!p.allows_on_behalf_add(), "no on-behalf requestors named");
    p.requestor_settings.on_behalf_requestors = vec![SubjectSet::new(Subject::TargetManager { manager_level: None })];
    assert!(p.allows_on_behalf_add());
    p.approval.is_approval_required_for_add = true;
    assert!(p.requires_approval(false) && !p.requires_approval(true));
}

#[test]
fn effective_expiration_clamps_requests_to_the_policy() {
    let start = t("2026-02-01T00:00:00Z");
    let day = |n| Some(start + Span::days(n));
    // (policy expiration, custom schedules allowed, requested, expected end)
    let cases = [
        (Expiration::after(Span::days(30)), false, None, day(30)),
        (Expiration::after(Span::days(30)), false, Some(Expiration::after(Span::days(5))), day(30)),
        (Expiration::after(Span::days(30)), true, Some(Expiration::after(Span::days(5))), day(5)),
        (Expiration::after(Span::days(30)), true, Some(Expiration::after(Span::days(90))), day(30)),
        (Expiration::never(), true, Some(Expiration::after(Span::days(7))), day(7)),
        (Expiration::never(), true, Some(Expiration::never()), None),
        (Expiration::never(), false, None, None),
        (Expiration::at(t("2026-03-01T00:00:00Z")), true, None, Some(t("2026-03-01T00:00:00Z"))),
    ];
    for (i, (policy, custom, requested, expected)) in cases.into_iter().enumerate() {
        let mut p = base();
        p.expiration = policy;
        p.requestor_settings.allow_custom_assignment_schedule = custom;
        assert_eq!(p.effective_expiration(start, requested.as_ref()), expected, "case {i}");
    }
}

#[test]
fn questions_come_in_sequence_order() {
    let q = |id: &str, seq| Question {
        id: id.into(),
        kind: QuestionKind::TextInput { is_single_line_question: true, regex_pattern: None },
        text: Some(id.into()),
        localizations: vec![],
        is_required: false,
        is_answer_editable: false,
        sequence: seq,
    };
    let mut p = base();
    p.questions = vec![q("b", 2), q("a", 1)];
    let order: Vec<&str> = p.questions_in_order().iter().map(|q| q.id.as_str()).collect();
    assert_eq!(order, ["a", "b"]);
    assert!(p.question("A").is_some());
}

#[test]
fn policy_documents_round_trip_through_json() {
    let mut p = base();
    p.approval.is_approval_required_for_add = true;
    p.approval.stages = vec![ApprovalStage {
        duration_before_automatic_denial: Some(Span::days(14)),
        kind: StageKind::Dynamic { custom_extension_id: Some("x".into()) },
        ..stage()
    }];
    p.expiration = Expiration::after(Span::days(365));
    let json = serde_json::to_string(&p).unwrap();
    assert_eq!(serde_json::from_str::<Policy>(&json).unwrap(), p);
}
