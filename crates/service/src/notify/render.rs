//! The notice templates: a subject, a plain-text body and an HTML body per notice kind, from
//! facts already looked up. Pure: no I/O, no clock. Every value that came from a user (names,
//! justification) is escaped in the HTML body and stripped of line breaks in the subject.
use super::NoticeKind;
use grantd_domain::request::{RequestState, RequestType};

/// What a notice says, looked up by the sender.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderFacts {
    pub kind: NoticeKind,
    pub request_id: String,
    pub request_type: RequestType,
    pub package: String,
    /// The target's display name and principal name.
    pub target: String,
    /// Who asked: a user's display name, an app id, or grantd.
    pub requestor: String,
    pub justification: Option<String>,
    pub state: RequestState,
    /// The portal page the recipient acts on.
    pub link: String,
}

/// A rendered message.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn one_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().trim().to_string()
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The subject and the opening sentence of each kind.
fn headline(f: &RenderFacts) -> (String, String) {
    let package = one_line(&f.package);
    let requestor = one_line(&f.requestor);
    let target = one_line(&f.target);
    match f.kind {
        NoticeKind::ApprovalRequested => (
            format!("Approval required: {requestor} requests access to {package}"),
            format!("{requestor} requests access to the access package {package} for {target}. Your approval is required."),
        ),
        NoticeKind::FallbackApprovalRequested => (
            format!("Approval required (fallback approver): access to {package}"),
            format!(
                "{requestor} requests access to the access package {package} for {target}. No primary approver \
                 could be found, so you are asked as fallback approver."
            ),
        ),
        NoticeKind::ApprovalEscalated => (
            format!("Escalated approval: access to {package} for {target}"),
            format!(
                "The request of {requestor} for access to {package} was not decided in time and has been \
                 escalated to you."
            ),
        ),
        NoticeKind::ApprovalReminder => (
            format!("Reminder: approval pending for access to {package}"),
            format!("The request of {requestor} for access to {package} for {target} still waits for your decision."),
        ),
        NoticeKind::RequestApproved => (
            format!("Approved: your request for access to {package}"),
            format!("The request for access to {package} for {target} was approved. Access is being delivered."),
        ),
        NoticeKind::RequestDenied => (
            format!("Denied: your request for access to {package}"),
            format!("The request for access to {package} for {target} was denied."),
        ),
        NoticeKind::RequestDelivered if f.request_type.is_remove() => (
            format!("Access removed: {package}"),
            format!("The access of {target} to {package} was removed."),
        ),
        NoticeKind::RequestDelivered => (
            format!("Access granted: {package}"),
            format!("{target} now has access to {package}."),
        ),
        NoticeKind::RequestDeliveryFailed => (
            format!("Delivery failed: access to {package}"),
            format!("The access to {package} for {target} could not be delivered completely. An administrator can reprocess the request."),
        ),
        NoticeKind::AssignmentExpiring { days } => (
            format!("Your access to {package} expires in {days} day{}", if days == 1 { "" } else { "s" }),
            format!("The access of {target} to {package} ends in {days} day{}. Request an extension before then if you still need it.", if days == 1 { "" } else { "s" }),
        ),
    }
}

/// Renders a notice.
pub fn render(f: &RenderFacts) -> Rendered {
    let (subject, lead) = headline(f);
    let action = if f.kind.to_approvers() { "Review the request" } else { "View the request" };
    let justification = f.justification.as_deref().map(str::trim).filter(|j| !j.is_empty());
    let mut rows: Vec<(&str, String)> = vec![
        ("Access package", f.package.clone()),
        ("Target", f.target.clone()),
        ("Requested by", f.requestor.clone()),
        ("Request type", f.request_type.v1().to_string()),
        ("State", f.state.v1().to_string()),
    ];
    if let Some(j) = justification {
        rows.push(("Justification", j.to_string()));
    }
    rows.push(("Request id", f.request_id.clone()));

    let mut text = format!("{lead}\n\n");
    for (k, v) in &rows {
        text.push_str(&format!("{k}: {}\n", one_line(v)));
    }
    text.push_str(&format!("\n{action}: {}\n\n-- \ngrantd entitlement management\n", f.link));

    let mut html = String::from("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");
    html.push_str(&escape(&subject));
    html.push_str("</title></head>\n<body style=\"font-family:sans-serif\">\n<p>");
    html.push_str(&escape(&lead));
    html.push_str("</p>\n<table>\n");
    for (k, v) in &rows {
        html.push_str(&format!("<tr><th align=\"left\">{}</th><td>{}</td></tr>\n", escape(k), escape(v)));
    }
    html.push_str(&format!(
        "</table>\n<p><a href=\"{}\">{}</a></p>\n<p style=\"color:#666\">grantd entitlement management</p>\n</body></html>\n",
        escape(&f.link),
        escape(action)
    ));
    Rendered { subject, text, html }
}
