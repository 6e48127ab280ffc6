//! Custom extensions (custom callout extensions of a catalog) and the record of each call made
//! to one: the stored extension (where to call, the audience of grantd's signed token, the
//! retry budget, and — when it has a callback configuration — how long a request waits for
//! `resume`), the callout instances kept on a request, the pure rules for endpoint URLs and
//! timeouts, and which stages a request transition reaches. No I/O here.
use crate::error::DomainError;
use crate::ids::{CatalogId, CustomExtensionId};
use crate::policy::CustomExtensionStage;
use crate::request::RequestType;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The longest `callbackConfiguration.timeoutDuration` (Graph: "up to 14 days").
pub const MAX_CALLBACK_TIMEOUT_DAYS: i64 = 14;
/// Retries when `clientConfiguration.maximumRetries` is not set.
pub const DEFAULT_MAXIMUM_RETRIES: i32 = 3;
/// The largest retry budget grantd accepts (the job runner parks a job after 10 attempts).
pub const MAX_RETRIES: i32 = 8;
/// Per-call HTTP timeout when `clientConfiguration.timeoutInMilliseconds` is not set.
pub const DEFAULT_CALL_TIMEOUT_MS: i32 = 30_000;

/// Which of Graph's extension types this is (the `@odata.type` it was created with).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ExtensionKind {
    /// `accessPackageAssignmentRequestWorkflowExtension`: request stages.
    RequestWorkflow,
    /// `accessPackageAssignmentWorkflowExtension`: assignment stages (granted, removed, expiry).
    AssignmentWorkflow,
    /// beta `customAccessPackageWorkflowExtension` (the older set; never waits).
    Legacy,
}

impl ExtensionKind {
    pub fn odata_type(self) -> &'static str {
        match self {
            ExtensionKind::RequestWorkflow => "#microsoft.graph.accessPackageAssignmentRequestWorkflowExtension",
            ExtensionKind::AssignmentWorkflow => "#microsoft.graph.accessPackageAssignmentWorkflowExtension",
            ExtensionKind::Legacy => "#microsoft.graph.customAccessPackageWorkflowExtension",
        }
    }
    /// Reads an `@odata.type` (with or without `#`, any case).
    pub fn parse(s: &str) -> Option<Self> {
        let t = s.trim().trim_start_matches('#');
        [ExtensionKind::RequestWorkflow, ExtensionKind::AssignmentWorkflow, ExtensionKind::Legacy]
            .into_iter()
            .find(|k| k.odata_type().trim_start_matches('#').eq_ignore_ascii_case(t))
    }
}

/// `logicAppTriggerEndpointConfiguration`: grantd POSTs to `url`; the Azure names are kept as
/// given so a definition moved from Entra reads back the same.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    pub url: String,
    pub subscription_id: Option<String>,
    pub resource_group_name: Option<String>,
    pub logic_app_workflow_name: Option<String>,
}

/// A custom callout extension of a catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomExtension {
    pub id: CustomExtensionId,
    pub catalog_id: CatalogId,
    pub kind: ExtensionKind,
    pub display_name: String,
    pub description: Option<String>,
    pub endpoint: Endpoint,
    /// `authenticationConfiguration` (`azureAdTokenAuthentication.resourceId`): the audience
    /// of the token grantd signs for each call, and the app id that may call `resume` back.
    pub resource_id: Option<String>,
    pub maximum_retries: Option<i32>,
    pub timeout_in_milliseconds: Option<i32>,
    /// `callbackConfiguration.timeoutDuration`, in seconds: present means the request waits.
    #[serde(default, with = "crate::policy::schedule::opt_secs")]
    pub callback_timeout: Option<Duration>,
    pub created_by: Option<String>,
    pub last_modified_by: Option<String>,
    pub created_date_time: DateTime<Utc>,
    pub last_modified_date_time: DateTime<Utc>,
}

impl CustomExtension {
    /// The request waits for `resume` (launch and wait) rather than going on (launch and continue).
    pub fn waits(&self) -> bool {
        self.callback_timeout.is_some() && self.kind != ExtensionKind::Legacy
    }
    pub fn retries(&self) -> i32 {
        self.maximum_retries.unwrap_or(DEFAULT_MAXIMUM_RETRIES).clamp(0, MAX_RETRIES)
    }
    pub fn call_timeout_ms(&self) -> i32 {
        self.timeout_in_milliseconds.unwrap_or(DEFAULT_CALL_TIMEOUT_MS).clamp(1_000, 300_000)
    }
    /// Checks what create and update must hold (names, URL, timeout, retry budget).
    pub fn check(&self, allow_http: bool) -> Result<(), DomainError> {
        crate::catalog::check_name("displayName", &self.display_name)?;
        check_endpoint(&self.endpoint.url, allow_http)?;
        if let Some(t) = self.callback_timeout {
            if t <= Duration::zero() || t > Duration::days(MAX_CALLBACK_TIMEOUT_DAYS) {
                return Err(invalid(
                    "The property 'callbackConfiguration.timeoutDuration' must be a positive duration of at most 14 days (P14D).",
                ));
            }
        }
        if self.maximum_retries.is_some_and(|r| !(0..=MAX_RETRIES).contains(&r)) {
            return Err(invalid(format!(
                "The property 'clientConfiguration.maximumRetries' must be between 0 and {MAX_RETRIES}."
            )));
        }
        if self.timeout_in_milliseconds.is_some_and(|t| !(1_000..=300_000).contains(&t)) {
            return Err(invalid(
                "The property 'clientConfiguration.timeoutInMilliseconds' must be between 1000 and 300000.",
            ));
        }
        Ok(())
    }
}

fn invalid(message: impl Into<String>) -> DomainError {
    DomainError::invalid("InvalidModel", message)
}

/// The host of an absolute `http(s)` URL (lowercase, without port or brackets).
fn host_of(rest: &str) -> &str {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    if let Some(v6) = host_port.strip_prefix('[') {
        return v6.split(']').next().unwrap_or("");
    }
    host_port.split(':').next().unwrap_or("")
}

/// A loopback host: `localhost`, `127.0.0.0/8` or `::1`.
pub fn is_loopback(host: &str) -> bool {
    let h = host.to_ascii_lowercase();
    h == "localhost" || h.ends_with(".localhost") || h.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The endpoint must be an absolute HTTPS URL; plain HTTP only to a loopback host or when the
/// server allows it (`extensions.allow_http`, for local development).
pub fn check_endpoint(url: &str, allow_http: bool) -> Result<(), DomainError> {
    let u = url.trim();
    let lower = u.to_ascii_lowercase();
    let (https, rest) = if let Some(r) = lower.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = lower.strip_prefix("http://") {
        (false, r)
    } else {
        return Err(invalid(format!(
            "The property 'endpointConfiguration.url' must be an absolute https URL; '{u}' is not."
        )));
    };
    let host = host_of(rest);
    if host.is_empty() || u.chars().any(char::is_whitespace) {
        return Err(invalid(format!("The property 'endpointConfiguration.url' has no valid host: '{u}'.")));
    }
    if !https && !allow_http && !is_loopback(host) {
        return Err(invalid(format!(
            "The property 'endpointConfiguration.url' must use https; plain http is allowed only to localhost unless the server enables extensions.allow_http ('{u}')."
        )));
    }
    Ok(())
}

/// `customExtensionCalloutInstanceStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CalloutStatus {
    CalloutSent,
    CallbackReceived,
    CalloutFailed,
    CallbackTimedOut,
    WaitingForCallback,
}

impl CalloutStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CalloutStatus::CalloutSent => "calloutSent",
            CalloutStatus::CallbackReceived => "callbackReceived",
            CalloutStatus::CalloutFailed => "calloutFailed",
            CalloutStatus::CallbackTimedOut => "callbackTimedOut",
            CalloutStatus::WaitingForCallback => "waitingForCallback",
        }
    }
    /// A callback may still arrive for it.
    pub fn is_open(self) -> bool {
        matches!(self, CalloutStatus::CalloutSent | CalloutStatus::WaitingForCallback)
    }
}

/// One call to a custom extension (`customExtensionCalloutInstance`), kept on the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CalloutInstance {
    /// The `customExtensionStageInstanceId` sent to the extension and echoed by `resume`.
    pub id: Uuid,
    pub custom_extension_id: CustomExtensionId,
    pub stage: CustomExtensionStage,
    pub status: CalloutStatus,
    /// The run id the endpoint answered with (`x-ms-workflow-run-id` or `externalCorrelationId`).
    pub external_correlation_id: Option<String>,
    /// The callback's `customExtensionStageInstanceDetail`, or why the call failed.
    pub detail: Option<String>,
    /// Launch and wait: the request is held until the callback (or the timeout).
    pub waits: bool,
    pub created_date_time: DateTime<Utc>,
    /// The accepted callback, normalised, so that a repeat of it is recognised (idempotent) and
    /// a different answer to the same call is refused.
    #[serde(default)]
    pub answer: Option<String>,
}

impl CalloutInstance {
    /// beta `accessPackageCustomExtensionHandlerStatus`: `requestReceived` once answered.
    pub fn handler_status(&self) -> &'static str {
        match self.status {
            CalloutStatus::CallbackReceived => "requestReceived",
            _ => "requestSent",
        }
    }
}

/// The stages a request's transition reaches, given the event recorded for it, the state it
/// left and the state it reached. Created: on `submitted`; approved: when the last approval
/// stage approved; granted: when an add or update is delivered (also partially); removed: when
/// a removal is delivered.
pub fn stages_reached(
    event: &str,
    request_type: RequestType,
    to: crate::request::RequestState,
) -> Vec<CustomExtensionStage> {
    use crate::request::RequestState as S;
    match event {
        "submitted" => vec![CustomExtensionStage::AssignmentRequestCreated],
        "approved" => vec![CustomExtensionStage::AssignmentRequestApproved],
        "deliveryFinished" if request_type.is_remove() && to == S::Delivered => {
            vec![CustomExtensionStage::AssignmentRequestRemoved]
        }
        "deliveryFinished" if !request_type.is_remove() && matches!(to, S::Delivered | S::PartiallyDelivered) => {
            vec![CustomExtensionStage::AssignmentRequestGranted]
        }
        _ => Vec::new(),
    }
}

/// The stages whose extension may hold the request (launch and wait).
pub fn stage_may_wait(stage: CustomExtensionStage) -> bool {
    matches!(
        stage,
        CustomExtensionStage::AssignmentRequestCreated
            | CustomExtensionStage::AssignmentRequestApproved
            | CustomExtensionStage::AssignmentRequestDeterminingApprovalRequirements
    )
}

/// When the expiry stages fire for an assignment ending at `end`.
pub fn expiry_stages(end: DateTime<Utc>) -> [(CustomExtensionStage, DateTime<Utc>); 2] {
    [
        (CustomExtensionStage::AssignmentFourteenDaysBeforeExpiration, end - Duration::days(14)),
        (CustomExtensionStage::AssignmentOneDayBeforeExpiration, end - Duration::days(1)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_must_be_https_except_to_loopback_or_when_allowed() {
        assert!(check_endpoint("https://workflows.example.com/hook?sig=1", false).is_ok());
        assert!(check_endpoint("http://127.0.0.1:8080/hook", false).is_ok());
        assert!(check_endpoint("http://localhost/hook", false).is_ok());
        assert!(check_endpoint("http://[::1]:9000/", false).is_ok());
        assert!(check_endpoint("http://workflows.example.com/hook", false).is_err());
        assert!(check_endpoint("http://workflows.example.com/hook", true).is_ok());
        assert!(check_endpoint("http://127.0.0.1.evil.example/", false).is_err());
        assert!(check_endpoint("http://localhost@evil.example/", false).is_err());
        assert!(check_endpoint("ftp://example.com/", true).is_err());
        assert!(check_endpoint("https:///nohost", false).is_err());
        assert!(check_endpoint("/relative", false).is_err());
    }

    #[test]
    fn stages_follow_the_transition() {
        use crate::request::RequestState as S;
        assert_eq!(
            stages_reached("submitted", RequestType::AdminAdd, S::Delivering),
            vec![CustomExtensionStage::AssignmentRequestCreated]
        );
        assert_eq!(
            stages_reached("deliveryFinished", RequestType::AdminAdd, S::Delivered),
            vec![CustomExtensionStage::AssignmentRequestGranted]
        );
        assert_eq!(
            stages_reached("deliveryFinished", RequestType::AdminRemove, S::Delivered),
            vec![CustomExtensionStage::AssignmentRequestRemoved]
        );
        assert!(stages_reached("deliveryFinished", RequestType::AdminAdd, S::DeliveryFailed).is_empty());
        assert!(stages_reached("cancel", RequestType::AdminAdd, S::Canceled).is_empty());
    }
}
