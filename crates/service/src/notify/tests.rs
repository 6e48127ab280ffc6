use super::*;
use chrono::TimeZone;
use grantd_domain::policy::Schedule;
use grantd_domain::request::{RequestStatus, RequestType};
use grantd_domain::{AccessPackageId, AssignmentRequestId, CatalogId, PolicyId};

fn request(state: RequestState, requestor: Option<ObjectId>, target: ObjectId) -> AssignmentRequest {
    let now = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
    AssignmentRequest {
        id: AssignmentRequestId::new(),
        request_type: RequestType::UserAdd,
        state,
        status: RequestStatus::Accepted,
        access_package_id: AccessPackageId::new(),
        assignment_policy_id: PolicyId::new(),
        catalog_id: CatalogId::new(),
        target_id: target,
        requestor_id: requestor,
        requestor_app_id: None,
        assignment_id: None,
        justification: Some("<b>need</b> it".into()),
        schedule: Schedule::default(),
        answers: Vec::new(),
        verified_credentials: Vec::new(),
        is_validation_only: false,
        needs_approval: true,
        callout_on_created: false,
        callout_on_approved: false,
        created_date_time: now,
        completed_date_time: None,
        history: Vec::new(),
        approval: None,
        callout_instances: Vec::new(),
        version: 1,
    }
}

fn notices(jobs: &[NewJob]) -> Vec<Notice> {
    jobs.iter().map(|j| serde_json::from_value(j.payload.clone()).unwrap()).collect()
}

#[test]
fn each_transition_mails_whom_it_concerns() {
    use RequestState as S;
    let (me, boss, other) = (ObjectId::new(), ObjectId::new(), ObjectId::new());
    let now = Utc::now();
    let approvers = [other, boss, other];
    type Case<'a> = (S, S, Option<&'a [ObjectId]>, Option<(NoticeKind, Vec<ObjectId>)>);
    let cases: &[Case] = &[
        (
            S::Submitted,
            S::PendingApproval,
            Some(&approvers),
            Some((NoticeKind::ApprovalRequested, {
                let mut v = vec![boss, other];
                v.sort();
                v
            })),
        ),
        (S::Submitted, S::PendingApproval, Some(&[]), None),
        (S::PendingApproval, S::Delivering, Some(&[]), Some((NoticeKind::RequestApproved, vec![me]))),
        (S::PendingApproval, S::Scheduled, Some(&[]), Some((NoticeKind::RequestApproved, vec![me]))),
        (S::Submitted, S::Delivering, None, None),
        (S::PendingApproval, S::Denied, Some(&[]), Some((NoticeKind::RequestDenied, vec![me]))),
        (S::Submitted, S::Denied, None, Some((NoticeKind::RequestDenied, vec![me]))),
        (S::Delivering, S::Delivered, None, Some((NoticeKind::RequestDelivered, vec![me]))),
        (S::Delivering, S::DeliveryFailed, None, Some((NoticeKind::RequestDeliveryFailed, vec![me]))),
        (S::PendingApproval, S::Canceled, Some(&[]), None),
        (S::Submitted, S::Canceled, None, None),
        (S::Delivered, S::Delivered, None, None),
    ];
    for (before, after, approvers, want) in cases {
        let r = request(*after, Some(me), me);
        let asked: Vec<Asked> = approvers
            .map(|a| vec![Asked { reason: AskReason::StageStarted, stage: 0, approvers: a.to_vec() }])
            .unwrap_or_default();
        let got = notices(&request_notices(&r, *before, &asked, now));
        match want {
            None => assert!(got.is_empty(), "{before:?} -> {after:?}: {got:?}"),
            Some((kind, to)) => {
                assert_eq!(got.len(), 1, "{before:?} -> {after:?}");
                assert_eq!(got[0].kind, *kind, "{before:?} -> {after:?}");
                assert_eq!(&got[0].recipients, to, "{before:?} -> {after:?}");
                assert_eq!(got[0].state, *after);
                assert_eq!(got[0].request_id, r.id.to_string());
            }
        }
    }
}

#[test]
fn fallback_and_escalation_approvers_get_their_own_notices() {
    let (me, fallback, escalation) = (ObjectId::new(), ObjectId::new(), ObjectId::new());
    let now = Utc::now();
    let r = request(RequestState::PendingApproval, Some(me), me);
    let asked = [Asked { reason: AskReason::Fallback, stage: 0, approvers: vec![fallback] }];
    let got = notices(&request_notices(&r, RequestState::Submitted, &asked, now));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].kind, NoticeKind::FallbackApprovalRequested);
    assert_eq!(got[0].recipients, vec![fallback]);
    // Escalation keeps the request pending: only the added approvers hear of it.
    let asked = [Asked { reason: AskReason::Escalated, stage: 1, approvers: vec![escalation] }];
    let got = notices(&request_notices(&r, RequestState::PendingApproval, &asked, now));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].kind, NoticeKind::ApprovalEscalated);
    assert_eq!(got[0].recipients, vec![escalation]);
    // A later stage starting while pending asks its approvers too.
    let asked = [Asked { reason: AskReason::StageStarted, stage: 1, approvers: vec![fallback, escalation] }];
    let got = notices(&request_notices(&r, RequestState::PendingApproval, &asked, now));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].kind, NoticeKind::ApprovalRequested);
}

#[test]
fn requestor_and_target_both_hear_and_an_app_request_mails_the_target() {
    let (me, report) = (ObjectId::new(), ObjectId::new());
    let r = request(RequestState::Delivered, Some(me), report);
    let mut both = vec![me, report];
    both.sort();
    assert_eq!(requestor_and_target(&r), both);
    let app = request(RequestState::Delivered, None, report);
    assert_eq!(requestor_and_target(&app), vec![report]);
}

#[test]
fn the_job_is_a_notify_job_about_the_request_due_now() {
    let r = request(RequestState::Delivered, None, ObjectId::new());
    let now = Utc::now();
    let j = notice_job(NoticeKind::AssignmentExpiring { days: 3 }, &r, &[r.target_id], now);
    assert_eq!(j.kind, NOTIFY_JOB);
    assert_eq!(j.subject, r.id.0);
    assert_eq!(j.run_at, now);
    assert_eq!(j.payload["kind"], serde_json::json!({"assignmentExpiring": {"days": 3}}));
    assert_eq!(notices(&[j])[0].kind, NoticeKind::AssignmentExpiring { days: 3 });
}

fn facts(kind: NoticeKind) -> RenderFacts {
    RenderFacts {
        kind,
        request_id: "r-1".into(),
        request_type: RequestType::UserAdd,
        package: "Sales\r\nTools".into(),
        target: "Diego <diego@contoso.example>".into(),
        requestor: "Diego".into(),
        justification: Some("<script>alert(1)</script> & more".into()),
        state: RequestState::PendingApproval,
        link: "https://portal.example/approvals/r-1".into(),
    }
}

#[test]
fn rendering_escapes_user_text_and_keeps_the_subject_on_one_line() {
    let m = render(&facts(NoticeKind::ApprovalRequested));
    assert!(!m.subject.contains('\n') && !m.subject.contains('\r'), "{}", m.subject);
    assert!(m.subject.contains("Sales  Tools"), "{}", m.subject);
    assert!(m.text.contains("Justification: <script>alert(1)</script> & more"), "{}", m.text);
    assert!(m.text.contains("Review the request: https://portal.example/approvals/r-1"), "{}", m.text);
    assert!(m.text.contains("Request id: r-1") && m.text.contains("State: pendingApproval"), "{}", m.text);
    assert!(!m.html.contains("<script>"), "{}", m.html);
    assert!(m.html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more"), "{}", m.html);
    assert!(m.html.contains("&lt;diego@contoso.example&gt;"), "{}", m.html);
    assert!(m.html.contains("<a href=\"https://portal.example/approvals/r-1\">Review the request</a>"), "{}", m.html);
}

#[test]
fn every_kind_has_its_own_subject() {
    let kinds = [
        NoticeKind::ApprovalRequested,
        NoticeKind::ApprovalEscalated,
        NoticeKind::ApprovalReminder,
        NoticeKind::FallbackApprovalRequested,
        NoticeKind::RequestApproved,
        NoticeKind::RequestDenied,
        NoticeKind::RequestDelivered,
        NoticeKind::RequestDeliveryFailed,
        NoticeKind::AssignmentExpiring { days: 1 },
    ];
    let subjects: std::collections::BTreeSet<String> = kinds.iter().map(|k| render(&facts(*k)).subject).collect();
    assert_eq!(subjects.len(), kinds.len(), "{subjects:?}");
    assert!(render(&facts(NoticeKind::AssignmentExpiring { days: 1 })).subject.ends_with("in 1 day"));
    assert!(render(&facts(NoticeKind::AssignmentExpiring { days: 5 })).subject.ends_with("in 5 days"));
}

#[test]
fn settings_never_show_the_smtp_password() {
    let s = MailSettings { smtp_url: Some("smtp://mailer:s3cret@relay:587".into()), ..MailSettings::default() };
    let shown = format!("{s:?}");
    assert!(!shown.contains("s3cret"), "{shown}");
    assert!(shown.contains("smtp://mailer@relay:587"), "{shown}");
    let m = Mailer::new(&MailSettings { from: "grantd@localhost".into(), ..s }).unwrap();
    assert!(!format!("{m:?}").contains("s3cret"));
}

#[test]
fn an_unusable_sender_or_url_is_refused_up_front() {
    let ok = MailSettings { from: "grantd <grantd@localhost>".into(), ..MailSettings::default() };
    assert!(!Mailer::new(&ok).unwrap().enabled());
    assert!(Mailer::new(&MailSettings { from: "not an address".into(), ..ok.clone() }).is_err());
    assert!(Mailer::new(&MailSettings { smtp_url: Some("ftp://x".into()), ..ok.clone() }).is_err());
    assert!(Mailer::new(&MailSettings { smtp_url: Some("smtp://127.0.0.1:2525".into()), ..ok }).unwrap().enabled());
}

#[test]
fn a_grant_with_an_end_plans_the_targets_expiry_notices_at_14_days_and_1_day() {
    use grantd_domain::policy::Expiration;
    let now = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
    let (me, target) = (ObjectId::new(), ObjectId::new());
    let mut r = request(RequestState::Delivered, Some(me), target);
    let end = now + chrono::Duration::days(30);
    r.schedule.expiration = Some(Expiration::at(end));
    let jobs = request_notices(&r, RequestState::Delivering, &[], now);
    let expiring: Vec<(u32, DateTime<Utc>, Notice)> = jobs
        .iter()
        .zip(notices(&jobs))
        .filter_map(|(j, n)| match n.kind {
            NoticeKind::AssignmentExpiring { days } => Some((days, j.run_at, n)),
            _ => None,
        })
        .collect();
    assert_eq!(expiring.len(), 2, "{jobs:?}");
    assert_eq!((expiring[0].0, expiring[0].1), (14, end - chrono::Duration::days(14)));
    assert_eq!((expiring[1].0, expiring[1].1), (1, end - chrono::Duration::days(1)));
    for (_, _, n) in &expiring {
        assert_eq!(n.recipients, vec![target], "only the target is told");
        assert_eq!(n.expected_end, Some(end));
    }
    // Ten days left: only the one-day notice is still ahead.
    r.schedule.expiration = Some(Expiration::at(now + chrono::Duration::days(10)));
    let days: Vec<NoticeKind> = notices(&expiry_notices(&r, now)).into_iter().map(|n| n.kind).collect();
    assert_eq!(days, vec![NoticeKind::AssignmentExpiring { days: 1 }]);
    // No end, a removal, or a failed delivery: nothing to warn of.
    r.schedule.expiration = None;
    assert!(expiry_notices(&r, now).is_empty());
    r.schedule.expiration = Some(Expiration::at(end));
    r.request_type = RequestType::AdminRemove;
    assert!(expiry_notices(&r, now).is_empty());
    r.request_type = RequestType::UserAdd;
    r.state = RequestState::DeliveryFailed;
    assert!(expiry_notices(&r, now).is_empty());
    // An ordinary notice carries no end.
    assert!(!notice_job(NoticeKind::RequestDelivered, &r, &[me], now)
        .payload
        .as_object()
        .unwrap()
        .contains_key("expectedEnd"));
}
