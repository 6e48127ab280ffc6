//! The stored assignment request: what was asked (type, package, policy, target, schedule,
//! answers), where it stands (state, status, completion), what it produced (the assignment id),
//! its history (one entry per transition) and its optimistic-concurrency `version`. Changes of
//! state go only through `AssignmentRequest::apply`, which asks the pure state machine and
//! records the transition. No wire names here beyond the field catalogs.
use super::approval::Approval;
use super::machine::{transition, Effect, Event, Route, TransitionError};
use super::types::{RequestState, RequestStatus, RequestType};
use crate::fields::{field, Field, FieldCatalog, FieldKind};
use crate::ids::{AccessPackageId, AssignmentId, AssignmentRequestId, CatalogId, ObjectId, PolicyId};
use crate::policy::{Question, Schedule};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An answer to a policy question (`accessPackageAnswerString`). The question is kept as it was
/// when the request was made, so the request renders the same after the policy changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    pub question: Question,
    pub value: String,
    pub display_value: Option<String>,
}

/// A verifiable credential the requestor presented and grantd verified (beta
/// `verifiedCredentialData`): the issuer's DID, the credential's types and its subject's claims.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedCredential {
    pub authority: String,
    pub types: Vec<String>,
    pub claims: serde_json::Value,
}

/// Who caused a transition: a user (UPN and display name), an app (its id), or grantd itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Actor {
    /// A user's principal name, an app id, or `grantd` for the service itself.
    pub name: String,
    pub display_name: Option<String>,
}

impl Actor {
    pub fn system() -> Actor {
        Actor { name: "grantd".into(), display_name: Some("grantd".into()) }
    }
}

/// One recorded transition of a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    pub actor: Actor,
    /// The event (`submitted`, `cancel`, `deliveryFinished`, ...).
    pub event: String,
    pub from_state: Option<RequestState>,
    pub from_status: Option<RequestStatus>,
    pub to_state: RequestState,
    pub to_status: RequestStatus,
    /// What else the transition has to say (the resources a delivery could not reach).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl HistoryEntry {
    /// A one-line description (`Submitted/Accepted -> Delivering/Delivering`).
    pub fn detail(&self) -> String {
        let base = self.transition_detail();
        match &self.note {
            Some(n) => format!("{base}; {n}"),
            None => base,
        }
    }

    fn transition_detail(&self) -> String {
        match (self.from_state, self.from_status) {
            (Some(s), Some(st)) => {
                format!("{}/{} -> {}/{}", s.beta(), st.beta(), self.to_state.beta(), self.to_status.beta())
            }
            _ => format!("-> {}/{}", self.to_state.beta(), self.to_status.beta()),
        }
    }
}

/// An access package assignment request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignmentRequest {
    pub id: AssignmentRequestId,
    pub request_type: RequestType,
    pub state: RequestState,
    pub status: RequestStatus,
    pub access_package_id: AccessPackageId,
    pub assignment_policy_id: PolicyId,
    pub catalog_id: CatalogId,
    /// The subject the access is for.
    pub target_id: ObjectId,
    /// The signed-in user who asked (None for an app or grantd itself).
    pub requestor_id: Option<ObjectId>,
    /// The app that asked, for app-only callers.
    pub requestor_app_id: Option<String>,
    /// For adds: the assignment to create (its id is fixed at submission so delivery is
    /// idempotent); for update/extend/remove: the existing assignment.
    pub assignment_id: Option<AssignmentId>,
    pub justification: Option<String>,
    pub schedule: Schedule,
    #[serde(default)]
    pub answers: Vec<Answer>,
    /// The verifiable credentials presented with the request (beta `verifiedCredentialsData`).
    #[serde(default)]
    pub verified_credentials: Vec<VerifiedCredential>,
    pub is_validation_only: bool,
    /// The route fixed at submission (see `Route`).
    pub needs_approval: bool,
    pub callout_on_created: bool,
    pub callout_on_approved: bool,
    pub created_date_time: DateTime<Utc>,
    pub completed_date_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub history: Vec<HistoryEntry>,
    /// The approval, once the request reached approval (`Effect::OpenApproval`).
    #[serde(default)]
    pub approval: Option<Approval>,
    /// Every call made to a custom extension for this request (`customExtensionCalloutInstances`).
    #[serde(default)]
    pub callout_instances: Vec<crate::extension::CalloutInstance>,
    /// Optimistic concurrency: bumped by every stored change.
    pub version: i64,
}

impl AssignmentRequest {
    /// The route the request takes after submission, approval and callouts.
    pub fn route(&self) -> Route {
        Route {
            needs_approval: self.needs_approval,
            start: if self.request_type.is_add() { self.schedule.start_date_time } else { None },
            callout_on_created: self.callout_on_created,
            callout_on_approved: self.callout_on_approved,
        }
    }

    /// Not yet in a terminal state (an open request blocks a second one for the same target
    /// and package).
    pub fn is_open(&self) -> bool {
        !self.state.is_terminal()
    }

    /// Applies `event` through the state machine, records the transition in the history and
    /// sets the completion time when the request completes. Returns the effects to persist.
    pub fn apply(&mut self, event: Event, now: DateTime<Utc>, actor: &Actor) -> Result<Vec<Effect>, TransitionError> {
        let t = transition(self.state, self.status, event, now)?;
        self.history.push(HistoryEntry {
            at: now,
            actor: actor.clone(),
            event: event.name().to_string(),
            from_state: Some(self.state),
            from_status: Some(self.status),
            to_state: t.state,
            to_status: t.status,
            note: None,
        });
        self.state = t.state;
        self.status = t.status;
        if t.effects.contains(&Effect::Complete) {
            self.completed_date_time = Some(now);
        } else if matches!(event, Event::Reprocess { .. }) {
            self.completed_date_time = None;
        }
        Ok(t.effects)
    }

    /// Records the creation itself (state Submitted, status Accepted).
    pub fn record_creation(&mut self, now: DateTime<Utc>, actor: &Actor) {
        self.history.push(HistoryEntry {
            at: now,
            actor: actor.clone(),
            event: "created".into(),
            from_state: None,
            from_status: None,
            to_state: self.state,
            to_status: self.status,
            note: None,
        });
    }

    /// Adds a note to the last recorded transition.
    pub fn note_last(&mut self, note: String) {
        if let Some(h) = self.history.last_mut() {
            h.note = Some(note);
        }
    }
}

/// (accepted literal, stored value) pairs of `requestType` (beta PascalCase and v1.0 camelCase
/// both match case-insensitively; the stored form is v1.0's).
pub const REQUEST_TYPE_MEMBERS: &[(&str, &str)] = &[
    ("notSpecified", "notSpecified"),
    ("userAdd", "userAdd"),
    ("userUpdate", "userUpdate"),
    ("userRemove", "userRemove"),
    ("adminAdd", "adminAdd"),
    ("adminUpdate", "adminUpdate"),
    ("adminRemove", "adminRemove"),
    ("systemAdd", "systemAdd"),
    ("systemUpdate", "systemUpdate"),
    ("systemRemove", "systemRemove"),
    ("onBehalfAdd", "onBehalfAdd"),
    ("userExtend", "userExtend"),
    ("approverRemove", "approverRemove"),
];

pub const REQUEST_STATE_MEMBERS: &[(&str, &str)] = &[
    ("submitted", "submitted"),
    ("pendingApproval", "pendingApproval"),
    ("scheduled", "scheduled"),
    ("delivering", "delivering"),
    ("delivered", "delivered"),
    ("partiallyDelivered", "partiallyDelivered"),
    ("deliveryFailed", "deliveryFailed"),
    ("denied", "denied"),
    ("canceled", "canceled"),
];

/// The finer status, stored as Graph spells it (`Accepted`, `Cancelled`, ...).
pub const REQUEST_STATUS_MEMBERS: &[(&str, &str)] = &[
    ("Accepted", "Accepted"),
    ("WaitingForCallback", "WaitingForCallback"),
    ("PendingApproval", "PendingApproval"),
    ("PendingApprovalEscalated", "PendingApprovalEscalated"),
    ("PendingNotBefore", "PendingNotBefore"),
    ("Delivering", "Delivering"),
    ("Delivered", "Delivered"),
    ("PartiallyDelivered", "PartiallyDelivered"),
    ("DeliveryFailed", "DeliveryFailed"),
    ("Denied", "Denied"),
    ("TimedOut", "TimedOut"),
    ("NoApproversAvailable", "NoApproversAvailable"),
    ("Cancelled", "Cancelled"),
    ("Canceled", "Cancelled"),
];

const COMMON: [Field; 8] = [
    field(&["id"], "id", FieldKind::Uuid, false),
    field(&["requesttype"], "request_type", FieldKind::Enum(REQUEST_TYPE_MEMBERS), true),
    field(&["createddatetime"], "created_date_time", FieldKind::DateTime, true),
    field(&["accesspackage/id"], "access_package_id", FieldKind::Uuid, false),
    field(&["requestor/objectid", "requestor/id"], "requestor_id", FieldKind::Uuid, false),
    field(&["target/objectid", "target/id"], "target_id", FieldKind::Uuid, false),
    field(&["accesspackage/catalog/id", "catalogid"], "catalog_id", FieldKind::Uuid, false),
    field(&["assignmentpolicy/id"], "assignment_policy_id", FieldKind::Uuid, false),
];

const REQUEST_V1_FIELDS: &[Field] = &[
    COMMON[0],
    COMMON[1],
    COMMON[2],
    COMMON[3],
    COMMON[4],
    COMMON[5],
    COMMON[6],
    COMMON[7],
    field(&["state"], "state", FieldKind::Enum(REQUEST_STATE_MEMBERS), true),
    field(&["status"], "status", FieldKind::Enum(REQUEST_STATUS_MEMBERS), true),
    field(&["completeddatetime"], "completed_date_time", FieldKind::DateTime, false),
    field(&["assignment/id"], "assignment_id", FieldKind::Uuid, false),
    field(&["assignment/target/objectid"], "target_id", FieldKind::Uuid, false),
];

const REQUEST_BETA_FIELDS: &[Field] = &[
    COMMON[0],
    COMMON[1],
    COMMON[2],
    COMMON[3],
    COMMON[4],
    COMMON[5],
    COMMON[6],
    COMMON[7],
    field(&["requeststate"], "state", FieldKind::Enum(REQUEST_STATE_MEMBERS), true),
    field(&["requeststatus"], "status", FieldKind::Enum(REQUEST_STATUS_MEMBERS), true),
    field(&["completeddate"], "completed_date_time", FieldKind::DateTime, false),
    field(&["accesspackageassignment/id"], "assignment_id", FieldKind::Uuid, false),
    field(
        &["accesspackageassignment/targetid", "accesspackageassignment/target/objectid"],
        "target_id",
        FieldKind::Uuid,
        false,
    ),
    field(&["accesspackageassignment/accesspackageid"], "access_package_id", FieldKind::Uuid, false),
];

/// v1.0 field catalog of `accessPackageAssignmentRequest`.
pub const REQUEST_V1: FieldCatalog = FieldCatalog {
    entity: "microsoft.graph.accessPackageAssignmentRequest",
    fields: REQUEST_V1_FIELDS,
    relations: &[],
    default_order: &[],
};
/// beta field catalog (`requestState`, `requestStatus`, `completedDate`, `accessPackageAssignment`).
pub const REQUEST_BETA: FieldCatalog = FieldCatalog { fields: REQUEST_BETA_FIELDS, ..REQUEST_V1 };
