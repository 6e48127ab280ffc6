use super::*;
use crate::ids::{AccessPackageId, CatalogId};
use crate::policy::{Expiration, Question, Span};

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-28T10:00:00Z").unwrap().with_timezone(&Utc)
}

fn self_service(pkg: AccessPackageId) -> Policy {
    let mut p = Policy::new(PolicyId::new(), pkg, CatalogId::new(), now(), None);
    p.allowed_target_scope = TargetScope::AllMemberUsers;
    p.requestor_settings.enable_targets_to_self_add_access = true;
    p.expiration = Expiration::after(Span::days(30));
    p
}

fn direct(pkg: AccessPackageId) -> Policy {
    let mut p = Policy::new(PolicyId::new(), pkg, CatalogId::new(), now(), None);
    p.expiration = Expiration::never();
    p
}

fn draft(t: RequestType, target: ObjectId) -> Draft {
    Draft {
        request_type: t,
        access_package_id: None,
        assignment_policy_id: None,
        target: TargetRef::Id(target),
        assignment_id: None,
        justification: None,
        schedule: None,
        answers: vec![],
        is_validation_only: false,
    }
}

fn member(id: ObjectId) -> TargetFacts {
    TargetFacts { id, is_member: true, group_ids: vec![], manager_id: None, connected_organization: None }
}

fn facts<'a>(caller: ObjectId, target: &'a TargetFacts, policies: &'a [Policy], admin: bool) -> Facts<'a> {
    Facts {
        now: now(),
        caller: Some(caller),
        caller_groups: &[],
        may_manage_assignments: admin,
        target,
        policies,
        assignment: None,
        target_has_active_assignment: false,
        open_request_exists: false,
    }
}

fn code(e: DomainError) -> String {
    match e {
        DomainError::Invalid { code, .. } | DomainError::Conflict { code, .. } => code.to_string(),
        DomainError::NotFound { .. } => "NotFound".into(),
        DomainError::Forbidden { .. } => "Forbidden".into(),
    }
}

#[test]
fn policy_is_chosen_per_request_type_when_omitted() {
    let pkg = AccessPackageId::new();
    let policies = vec![direct(pkg), self_service(pkg)];
    let me = ObjectId::new();
    let t = member(me);
    let v = validate(&draft(RequestType::UserAdd, me), &facts(me, &t, &policies, false)).unwrap();
    assert_eq!(v.policy.id, policies[1].id);
    let v = validate(&draft(RequestType::AdminAdd, me), &facts(me, &t, &policies, true)).unwrap();
    assert_eq!(v.policy.id, policies[0].id, "the direct policy wins for admins");
}

#[test]
fn refusals_carry_specific_codes() {
    let pkg = AccessPackageId::new();
    let mut ss = self_service(pkg);
    ss.approval.is_requestor_justification_required = true;
    ss.questions = vec![Question {
        id: "q1".into(),
        kind: QuestionKind::TextInput { is_single_line_question: true, regex_pattern: Some("[a-z]+".into()) },
        text: Some("Why?".into()),
        localizations: vec![],
        is_required: true,
        is_answer_editable: false,
        sequence: 1,
    }];
    let policies = vec![ss];
    let me = ObjectId::new();
    let other = ObjectId::new();
    let t = member(me);
    let f = facts(me, &t, &policies, false);
    let mut d = draft(RequestType::UserAdd, me);
    assert_eq!(code(validate(&d, &f).unwrap_err()), "JustificationRequired");
    d.justification = Some("need it".into());
    assert_eq!(code(validate(&d, &f).unwrap_err()), "RequiredAnswerMissing");
    d.answers = vec![DraftAnswer { question_id: "q1".into(), value: "ABC1".into(), display_value: None }];
    assert_eq!(code(validate(&d, &f).unwrap_err()), "InvalidAnswer");
    d.answers[0].value = "abc".into();
    assert!(validate(&d, &f).is_ok());
    d.schedule = Some(Schedule { expiration: Some(Expiration::after(Span::days(60))), ..Schedule::default() });
    assert_eq!(code(validate(&d, &f).unwrap_err()), "CustomScheduleNotAllowed");
    d.schedule = None;
    assert_eq!(code(validate(&draft(RequestType::AdminAdd, me), &f).unwrap_err()), "Forbidden");
    let t2 = member(other);
    assert_eq!(code(validate(&d, &facts(me, &t2, &policies, false)).unwrap_err()), "Forbidden");
    let mut f2 = f.clone();
    f2.open_request_exists = true;
    assert_eq!(code(validate(&d, &f2).unwrap_err()), "ExistingOpenRequest");
    f2.target_has_active_assignment = true;
    assert_eq!(code(validate(&d, &f2).unwrap_err()), "AssignmentAlreadyExists");
    let guest = TargetFacts { is_member: false, ..member(me) };
    assert_eq!(code(validate(&d, &facts(me, &guest, &policies, false)).unwrap_err()), "NoValidPolicy");
    assert_eq!(code(validate(&draft(RequestType::SystemAdd, me), &f).unwrap_err()), "InvalidRequestType");
}

#[test]
fn schedules_beyond_the_policy_are_refused() {
    let pkg = AccessPackageId::new();
    let mut ss = self_service(pkg);
    ss.requestor_settings.allow_custom_assignment_schedule = true;
    let policies = vec![ss];
    let me = ObjectId::new();
    let t = member(me);
    let f = facts(me, &t, &policies, false);
    let mut d = draft(RequestType::UserAdd, me);
    d.schedule = Some(Schedule { expiration: Some(Expiration::after(Span::days(10))), ..Schedule::default() });
    assert!(validate(&d, &f).is_ok());
    d.schedule = Some(Schedule { expiration: Some(Expiration::after(Span::days(31))), ..Schedule::default() });
    assert_eq!(code(validate(&d, &f).unwrap_err()), "ScheduleExceedsPolicy");
    d.schedule = Some(Schedule { expiration: Some(Expiration::never()), ..Schedule::default() });
    assert_eq!(code(validate(&d, &f).unwrap_err()), "ScheduleExceedsPolicy");
}

#[test]
fn a_manager_may_request_for_a_direct_report_when_the_policy_allows_it() {
    let pkg = AccessPackageId::new();
    let mut ss = self_service(pkg);
    let manager = ObjectId::new();
    let report = ObjectId::new();
    let t = TargetFacts { manager_id: Some(manager), ..member(report) };
    let policies = vec![ss.clone()];
    let d = draft(RequestType::UserAdd, report);
    assert_eq!(code(validate(&d, &facts(manager, &t, &policies, false)).unwrap_err()), "Forbidden");
    ss.requestor_settings.enable_on_behalf_requestors_to_add_access = true;
    ss.requestor_settings.on_behalf_requestors =
        vec![SubjectSet::new(Subject::TargetManager { manager_level: Some(1) })];
    let policies = vec![ss];
    assert!(validate(&d, &facts(manager, &t, &policies, false)).is_ok());
    let stranger = ObjectId::new();
    assert_eq!(code(validate(&d, &facts(stranger, &t, &policies, false)).unwrap_err()), "Forbidden");
}
