//! Sending notices: the `Mailer` (the SMTP transport built from `smtp_url`, the sender, the
//! portal base URL) and the `notify.send` job handler. The handler looks up what the mail says
//! at send time, skips recipients without a mail address, and records one audit row per notice
//! on the request (`notification.sent` or `notification.skipped`). An SMTP failure is a
//! retryable job error, so the runner's backoff retries it; delivery is at least once.
use super::render::{render, RenderFacts};
use super::{Notice, NOTIFY_JOB};
use crate::requests::Ctx;
use crate::runner::{JobError, JobHandler};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use grantd_domain::directory::User;
use grantd_domain::request::AssignmentRequest;
use grantd_domain::{AssignmentRequestId, TenantId};
use grantd_store::{AuditEntry, Followups, Job};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::sync::Arc;
use std::time::Duration;

/// How the mailer is configured.
#[derive(Clone, Default)]
pub struct MailSettings {
    /// `smtp://host:port` (plain, for local relays and sinks), `smtp://host:port?tls=required`
    /// (STARTTLS), `smtps://host:port` (TLS); credentials as `user:password@`. None disables
    /// mail: notices are recorded as skipped.
    pub smtp_url: Option<String>,
    /// The sender, `address` or `Name <address>`.
    pub from: String,
    /// The portal base URL the links in mails start with.
    pub public_url: String,
    /// How long one SMTP conversation may take.
    pub timeout: Option<Duration>,
}

impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSettings")
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("from", &self.from)
            .field("public_url", &self.public_url)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// A URL without the password of its user info (`smtp://user@host:25`).
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let user = url[s + 3..at].split(':').next().unwrap_or("");
            format!("{}://{}@{}", &url[..s], user, &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

/// The configured transport (None when mail is disabled), sender and portal base.
pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
    public_url: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("enabled", &self.transport.is_some())
            .field("from", &self.from.to_string())
            .field("public_url", &self.public_url)
            .finish()
    }
}

impl Mailer {
    /// Builds the mailer; an unusable URL or sender is an error at start-up, not at send time.
    pub fn new(s: &MailSettings) -> Result<Mailer, String> {
        let from: Mailbox =
            s.from.trim().parse().map_err(|e| format!("mail_from {:?} is not a mail address: {e}", s.from))?;
        let transport = match s.smtp_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            None => None,
            Some(url) => Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| format!("smtp_url {} is not usable: {e}", redact_url(url)))?
                    .timeout(Some(s.timeout.unwrap_or(Duration::from_secs(30))))
                    .build(),
            ),
        };
        Ok(Mailer { transport, from, public_url: s.public_url.trim_end_matches('/').to_string() })
    }

    pub fn enabled(&self) -> bool {
        self.transport.is_some()
    }

    /// The portal page of a notice: the approval for approvers, the request for everyone else.
    pub fn link(&self, notice: &Notice) -> String {
        let page = if notice.kind.to_approvers() { "approvals" } else { "requests" };
        format!("{}/{page}/{}", self.public_url, notice.request_id)
    }
}

/// The `notify.send` job handler.
pub struct NotifyHandler {
    pub ctx: Ctx,
    pub mailer: Arc<Mailer>,
}

fn retry(e: impl std::fmt::Display) -> JobError {
    JobError::Retry(e.to_string())
}

fn person(u: &User) -> String {
    format!("{} ({})", u.display_name, u.user_principal_name)
}

impl NotifyHandler {
    async fn record(&self, tenant: TenantId, notice: &Notice, r: &AssignmentRequest, action: &str, detail: String) {
        let entry = AuditEntry {
            at: self.ctx.clock.now(),
            actor: "grantd".into(),
            action: format!("notification.{action}"),
            object_type: "accessPackageAssignmentRequest",
            object_id: r.id.0,
            detail: format!("{}: {detail}", notice.kind.name()),
        };
        let f = Followups { audit: vec![entry], ..Followups::default() };
        // The mail went out (or was rightly skipped): a lost audit row must not resend it.
        if let Err(e) = self.ctx.store.enqueue_with(tenant, &f, self.ctx.clock.now()).await {
            tracing::warn!(request = %r.id, error = %e, "could not record a notification in the audit log");
        }
    }

    /// An expiry notice is still due: the request's assignment holds access and ends at `end`.
    async fn still_ends(&self, tenant: TenantId, r: &AssignmentRequest, end: DateTime<Utc>) -> Result<bool, JobError> {
        let Some(id) = r.assignment_id else { return Ok(false) };
        let Some(a) = self.ctx.store.get_assignment(tenant, id).await.map_err(retry)? else { return Ok(false) };
        // Stored times may be rounded to the microsecond; an extension moves the end by far more.
        let same = crate::delivery::end_of(&a).is_some_and(|e| (e - end).num_milliseconds().abs() < 1000);
        Ok(a.state.holds_access() && same)
    }

    async fn facts(&self, tenant: TenantId, notice: &Notice, r: &AssignmentRequest) -> Result<RenderFacts, JobError> {
        let store = &self.ctx.store;
        let package = store
            .get_access_package(tenant, r.access_package_id)
            .await
            .map_err(retry)?
            .map(|p| p.display_name)
            .unwrap_or_else(|| format!("access package {}", r.access_package_id));
        let target = store
            .get_user(tenant, r.target_id)
            .await
            .map_err(retry)?
            .map(|u| person(&u))
            .unwrap_or(r.target_id.to_string());
        let requestor = match (r.requestor_id, &r.requestor_app_id) {
            (Some(id), _) => {
                store.get_user(tenant, id).await.map_err(retry)?.map(|u| person(&u)).unwrap_or(id.to_string())
            }
            (None, Some(app)) => format!("application {app}"),
            (None, None) => "grantd".into(),
        };
        Ok(RenderFacts {
            kind: notice.kind,
            request_id: notice.request_id.clone(),
            request_type: r.request_type,
            package,
            target,
            requestor,
            justification: r.justification.clone(),
            state: notice.state,
            link: self.mailer.link(notice),
        })
    }

    async fn send(&self, job: &Job) -> Result<(), JobError> {
        let notice: Notice =
            serde_json::from_value(job.payload.clone()).map_err(|e| JobError::Fatal(format!("not a notice: {e}")))?;
        let tenant = job.tenant;
        let Some(r) = self.ctx.store.get_request(tenant, AssignmentRequestId(job.subject)).await.map_err(retry)? else {
            tracing::info!(request = %job.subject, kind = notice.kind.name(), "notice about a deleted request dropped");
            return Ok(());
        };
        if let Some(end) = notice.expected_end {
            if !self.still_ends(tenant, &r, end).await? {
                tracing::info!(request = %r.id, kind = notice.kind.name(), "expiry notice dropped: the assignment was extended or ended");
                return Ok(());
            }
        }
        let Some(transport) = &self.mailer.transport else {
            self.record(tenant, &notice, &r, "skipped", "mail is disabled (no smtp_url)".into()).await;
            return Ok(());
        };
        let users = self.ctx.store.users_by_ids(tenant, &notice.recipients).await.map_err(retry)?;
        let mut to = Vec::new();
        for id in &notice.recipients {
            let mailbox = users
                .iter()
                .find(|u| u.id == *id)
                .and_then(|u| Some((u, u.mail.as_deref().map(str::trim).filter(|m| !m.is_empty())?)))
                .and_then(|(u, m)| Some(Mailbox::new(Some(u.display_name.clone()), m.parse().ok()?)));
            match mailbox {
                Some(m) => to.push(m),
                None => {
                    tracing::info!(request = %r.id, user = %id, kind = notice.kind.name(), "recipient has no usable mail address; skipped")
                }
            }
        }
        if to.is_empty() {
            self.record(tenant, &notice, &r, "skipped", "no recipient has a mail address".into()).await;
            return Ok(());
        }
        let rendered = render(&self.facts(tenant, &notice, &r).await?);
        let mut builder = Message::builder().from(self.mailer.from.clone()).subject(rendered.subject);
        for m in &to {
            builder = builder.to(m.clone());
        }
        let message = builder
            .multipart(MultiPart::alternative_plain_html(rendered.text, rendered.html))
            .map_err(|e| JobError::Fatal(format!("could not build the message: {e}")))?;
        transport.send(message).await.map_err(|e| retry(format!("SMTP: {e}")))?;
        tracing::info!(request = %r.id, kind = notice.kind.name(), recipients = to.len(), "notice mailed");
        self.record(tenant, &notice, &r, "sent", format!("{} recipient(s)", to.len())).await;
        Ok(())
    }
}

#[async_trait]
impl JobHandler for NotifyHandler {
    fn kind(&self) -> &'static str {
        NOTIFY_JOB
    }

    async fn run(&self, job: &Job) -> Result<(), JobError> {
        self.send(job).await
    }
}
