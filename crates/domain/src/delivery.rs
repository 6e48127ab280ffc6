//! Per-resource delivery: one `DeliveryItem` per resource role scope a request grants or
//! revokes, its state (pending, done, failed) and the round of delivery it belongs to (a
//! `reprocess` starts a new round that retries only the failed items), and the pure rule that
//! turns a request's finished items into its outcome and the failure detail shown on the
//! request and the assignment. No I/O here: connectors and jobs live in the service.
use crate::ids::{AssignmentRequestId, ObjectId, ResourceId, ResourceRoleId};
use crate::request::Outcome;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Grant access at the target (add, update, extend) or take it away (remove types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ItemAction {
    Grant,
    Revoke,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ItemState {
    /// Not yet done (a job is queued, or the item runs inline).
    Pending,
    Done,
    /// Failed for good in its round (a bad-data answer, or transient failures past the limit).
    Failed,
}

impl ItemState {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemState::Pending => "pending",
            ItemState::Done => "done",
            ItemState::Failed => "failed",
        }
    }
}

/// One resource role scope of a request, delivered to one target system.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryItem {
    pub id: Uuid,
    pub request_id: AssignmentRequestId,
    pub target_id: ObjectId,
    pub resource_id: ResourceId,
    pub role_id: ResourceRoleId,
    /// The resource's display name (how failures are named).
    pub resource_name: String,
    /// The resource's origin system: picks the connector.
    pub origin_system: String,
    /// The resource's id in its origin system (a group id, a SCIM group id, ...).
    pub origin_id: String,
    /// The role's id in its origin system (`Member_{groupId}`, an app role, ...).
    pub role_origin_id: String,
    pub action: ItemAction,
    pub state: ItemState,
    /// The delivery round (0 for the first delivery, +1 per reprocess of the request).
    pub round: i64,
    /// Attempts in this round.
    pub attempts: i64,
    /// The last failure, as the target (or grantd) described it.
    pub error: Option<String>,
    pub modified_date_time: DateTime<Utc>,
    /// Optimistic concurrency: bumped by every stored change.
    pub version: i64,
}

impl DeliveryItem {
    /// How a failed item is named in the request's history and on the assignment.
    pub fn failure(&self) -> String {
        format!("{} ({}): {}", self.resource_name, self.origin_system, self.error.as_deref().unwrap_or("failed"))
    }

    /// Starts the item over in `round` (a reprocess retries only failed items).
    pub fn retry_in(&mut self, round: i64, now: DateTime<Utc>) {
        self.state = ItemState::Pending;
        self.round = round;
        self.attempts = 0;
        self.modified_date_time = now;
    }

    pub fn finish(&mut self, ok: Result<(), String>, now: DateTime<Utc>) {
        match ok {
            Ok(()) => {
                self.state = ItemState::Done;
                self.error = None;
            }
            Err(e) => {
                self.state = ItemState::Failed;
                self.error = Some(e);
            }
        }
        self.modified_date_time = now;
    }
}

/// The outcome of a delivery whose items are all finished, and the failures to show (empty
/// when everything was delivered). Nothing to deliver counts as delivered.
pub fn outcome(items: &[DeliveryItem]) -> (Outcome, Vec<String>) {
    let failed: Vec<String> = items.iter().filter(|i| i.state == ItemState::Failed).map(|i| i.failure()).collect();
    let outcome = match (failed.len(), items.len()) {
        (0, _) => Outcome::Delivered,
        (f, n) if f == n => Outcome::Failed,
        _ => Outcome::PartiallyDelivered,
    };
    (outcome, failed)
}

/// The delivery round of a request: how many times it was reprocessed.
pub fn round_of(history: &[crate::request::HistoryEntry]) -> i64 {
    history.iter().filter(|h| h.event == "reprocess").count() as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(state: ItemState, name: &str) -> DeliveryItem {
        DeliveryItem {
            id: Uuid::nil(),
            request_id: AssignmentRequestId(Uuid::nil()),
            target_id: ObjectId(Uuid::nil()),
            resource_id: ResourceId(Uuid::nil()),
            role_id: ResourceRoleId(Uuid::nil()),
            resource_name: name.into(),
            origin_system: "Scim".into(),
            origin_id: "g".into(),
            role_origin_id: "Member".into(),
            action: ItemAction::Grant,
            state,
            round: 0,
            attempts: 1,
            error: (state == ItemState::Failed).then(|| "400 bad".to_string()),
            modified_date_time: DateTime::<Utc>::MIN_UTC,
            version: 1,
        }
    }

    #[test]
    fn outcomes_follow_the_failed_share() {
        use ItemState::*;
        let cases: &[(&[ItemState], Outcome, usize)] = &[
            (&[], Outcome::Delivered, 0),
            (&[Done, Done], Outcome::Delivered, 0),
            (&[Done, Failed], Outcome::PartiallyDelivered, 1),
            (&[Failed, Failed], Outcome::Failed, 2),
        ];
        for (states, want, failures) in cases {
            let items: Vec<_> = states.iter().map(|s| item(*s, "App")).collect();
            let (o, f) = outcome(&items);
            assert_eq!(o, *want, "{states:?}");
            assert_eq!(f.len(), *failures);
        }
        let (_, f) = outcome(&[item(ItemState::Failed, "Sales app")]);
        assert_eq!(f, vec!["Sales app (Scim): 400 bad".to_string()]);
    }

    #[test]
    fn a_retry_starts_the_item_over_in_the_new_round() {
        let mut i = item(ItemState::Failed, "App");
        i.retry_in(2, DateTime::<Utc>::MIN_UTC);
        assert_eq!((i.state, i.round, i.attempts), (ItemState::Pending, 2, 0));
    }
}
