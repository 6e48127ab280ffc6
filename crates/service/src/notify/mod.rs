//! E-mail notifications about assignment requests. A notice is a durable job (`notify.send`)
//! written in the same transaction as the state change that causes it (`notice_job`); the
//! `NotifyHandler` (in `send`) later resolves the recipients' addresses, renders the text and
//! HTML bodies (`render`) and hands the message to SMTP. Mail never blocks or fails the request
//! workflow: a failed send is a failed job, retried with the runner's backoff. Deciding *which*
//! notices a transition causes happens in one place, `request_notices`, called by the requests'
//! `followups()`; approval and delivery code extend it rather than enqueueing mail themselves.
mod render;
mod send;

pub use render::{render, RenderFacts, Rendered};
pub use send::{redact_url, MailSettings, Mailer, NotifyHandler};

use chrono::{DateTime, Utc};
use grantd_domain::request::{AssignmentRequest, RequestState};
use grantd_domain::ObjectId;
use grantd_store::{AskReason, Asked, NewJob};
use serde::{Deserialize, Serialize};

/// The job kind of a notice.
pub const NOTIFY_JOB: &str = "notify.send";

/// What a notice tells its recipients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum NoticeKind {
    /// To approvers: a request waits for their decision.
    ApprovalRequested,
    /// To escalation approvers: a stage was escalated to them.
    ApprovalEscalated,
    /// To approvers: a decision is still pending.
    ApprovalReminder,
    /// To fallback approvers: no primary approver resolved, so the request came to them.
    FallbackApprovalRequested,
    /// To the requestor and target: approval granted, delivery follows.
    RequestApproved,
    /// To the requestor and target: the request was denied (by an approver, a timeout or a
    /// callout).
    RequestDenied,
    /// To the requestor and target: the access was granted (or removed).
    RequestDelivered,
    /// To the requestor and target: delivery failed in whole or in part.
    RequestDeliveryFailed,
    /// To the target: the assignment ends in `days` days.
    AssignmentExpiring { days: u32 },
}

impl NoticeKind {
    /// Notices addressed to approvers (their link leads to the approval, not the request).
    pub fn to_approvers(self) -> bool {
        matches!(
            self,
            Self::ApprovalRequested
                | Self::ApprovalEscalated
                | Self::ApprovalReminder
                | Self::FallbackApprovalRequested
        )
    }

    /// The name recorded in audit rows and logs (`approvalRequested`, `assignmentExpiring`).
    pub fn name(self) -> &'static str {
        match self {
            Self::ApprovalRequested => "approvalRequested",
            Self::ApprovalEscalated => "approvalEscalated",
            Self::ApprovalReminder => "approvalReminder",
            Self::FallbackApprovalRequested => "fallbackApprovalRequested",
            Self::RequestApproved => "requestApproved",
            Self::RequestDenied => "requestDenied",
            Self::RequestDelivered => "requestDelivered",
            Self::RequestDeliveryFailed => "requestDeliveryFailed",
            Self::AssignmentExpiring { .. } => "assignmentExpiring",
        }
    }
}

/// The payload of a `notify.send` job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notice {
    pub kind: NoticeKind,
    pub request_id: String,
    pub recipients: Vec<ObjectId>,
    /// The request's state when the notice was made (the mail says what happened then, even if
    /// the request moved on before the mail went out).
    pub state: RequestState,
    /// For an expiry notice: the assignment's end it warns of. At send time the notice is
    /// dropped unless the assignment still holds access and still ends then (an extension or a
    /// removal makes it moot; the extension's delivery plans notices of its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_end: Option<DateTime<Utc>>,
}

/// A durable job that mails `kind` about `request` to `recipients` (deduplicated). Store it
/// with the state change that causes it (`Followups.jobs`).
pub fn notice_job(
    kind: NoticeKind,
    request: &AssignmentRequest,
    recipients: &[ObjectId],
    now: DateTime<Utc>,
) -> NewJob {
    let mut to = recipients.to_vec();
    to.sort();
    to.dedup();
    let notice =
        Notice { kind, request_id: request.id.to_string(), recipients: to, state: request.state, expected_end: None };
    notice_at(notice, request, now)
}

fn notice_at(notice: Notice, request: &AssignmentRequest, run_at: DateTime<Utc>) -> NewJob {
    NewJob {
        kind: NOTIFY_JOB.into(),
        subject: request.id.0,
        payload: serde_json::to_value(&notice).unwrap_or_default(),
        run_at,
    }
}

/// How many days before an assignment's end its target is told (Entra mails at 14 days and
/// at 1 day, the same moments as the expiry custom extension stages).
pub const EXPIRY_NOTICE_DAYS: [u32; 2] = [14, 1];

/// The expiry notices of a grant that just finished with an end date: one job per moment in
/// `EXPIRY_NOTICE_DAYS` still in the future, to the target, each carrying the end it warns of.
pub fn expiry_notices(r: &AssignmentRequest, now: DateTime<Utc>) -> Vec<NewJob> {
    let granted = matches!(r.state, RequestState::Delivered | RequestState::PartiallyDelivered);
    if !granted || r.request_type.is_remove() {
        return Vec::new();
    }
    let Some(end) = r.schedule.expiration.as_ref().and_then(|e| e.end_date_time) else { return Vec::new() };
    EXPIRY_NOTICE_DAYS
        .iter()
        .map(|&days| (days, end - chrono::Duration::days(i64::from(days))))
        .filter(|&(_, at)| at > now)
        .map(|(days, at)| {
            let notice = Notice {
                kind: NoticeKind::AssignmentExpiring { days },
                request_id: r.id.to_string(),
                recipients: vec![r.target_id],
                state: r.state,
                expected_end: Some(end),
            };
            notice_at(notice, r, at)
        })
        .collect()
}

/// The requestor and the target of a request (one person when they are the same; only the
/// target when an app asked).
pub fn requestor_and_target(r: &AssignmentRequest) -> Vec<ObjectId> {
    let mut v: Vec<ObjectId> = r.requestor_id.into_iter().chain(std::iter::once(r.target_id)).collect();
    v.sort();
    v.dedup();
    v
}

/// The notices a change of a request causes: approvers newly asked (`Followups.asked`: a stage
/// started, its fallback approvers, escalation approvers) are mailed with the matching kind;
/// leaving PendingApproval for delivery or a scheduled start mails the requestor and target
/// that it was approved; Denied, Delivered and a failed delivery mail them the outcome; a grant
/// with an end date also plans the target's expiry notices (`expiry_notices`).
/// Cancel mails nobody (the requestor or an administrator did it).
pub fn request_notices(
    r: &AssignmentRequest,
    before: RequestState,
    asked: &[Asked],
    now: DateTime<Utc>,
) -> Vec<NewJob> {
    // Approvers newly asked to decide (a stage started, its fallback approvers, an escalation).
    let mut jobs: Vec<NewJob> = asked
        .iter()
        .filter(|a| !a.approvers.is_empty())
        .map(|a| {
            let kind = match a.reason {
                AskReason::StageStarted => NoticeKind::ApprovalRequested,
                AskReason::Fallback => NoticeKind::FallbackApprovalRequested,
                AskReason::Escalated => NoticeKind::ApprovalEscalated,
            };
            notice_job(kind, r, &a.approvers, now)
        })
        .collect();
    if before == r.state {
        return jobs;
    }
    let kind = match r.state {
        RequestState::Delivering | RequestState::Scheduled if before == RequestState::PendingApproval => {
            NoticeKind::RequestApproved
        }
        RequestState::Denied => NoticeKind::RequestDenied,
        RequestState::Delivered => NoticeKind::RequestDelivered,
        RequestState::PartiallyDelivered | RequestState::DeliveryFailed => NoticeKind::RequestDeliveryFailed,
        _ => return jobs,
    };
    jobs.push(notice_job(kind, r, &requestor_and_target(r), now));
    jobs.extend(expiry_notices(r, now));
    jobs
}

#[cfg(test)]
mod tests;
