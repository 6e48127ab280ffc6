//! Access package assignments: a target's access through one policy of a package. Only the
//! stored shape here; requests create and end them (a later module owns that lifecycle).
use crate::fields::{field, Field, FieldCatalog, FieldKind};
use crate::ids::{AccessPackageId, AssignmentId, CatalogId, ObjectId, PolicyId};
use crate::policy::enums::wire_enum;
use crate::policy::Schedule;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

wire_enum! {
    /// v1.0 `accessPackageAssignmentState` (beta `assignmentState` shows PascalCase).
    AssignmentState {
        Delivering = "delivering",
        PartiallyDelivered = "partiallyDelivered",
        Delivered = "delivered",
        Expired = "expired",
        DeliveryFailed = "deliveryFailed",
        UnknownFutureValue = "unknownFutureValue",
    }
}

impl AssignmentState {
    /// Still holds (or is about to hold) access: anything but expired.
    pub fn is_active(self) -> bool {
        self != AssignmentState::Expired
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Assignment {
    pub id: AssignmentId,
    pub access_package_id: AccessPackageId,
    pub assignment_policy_id: PolicyId,
    pub catalog_id: CatalogId,
    pub target_id: ObjectId,
    pub state: AssignmentState,
    /// Free-text lifecycle detail (`Delivered`, `ExpiredNotificationTriggered`, ...).
    pub status: Option<String>,
    pub schedule: Schedule,
    pub expired_date_time: Option<DateTime<Utc>>,
    pub created_date_time: DateTime<Utc>,
    pub modified_date_time: DateTime<Utc>,
}

const ASSIGNMENT_FIELDS: &[Field] = &[
    field(&["id"], "id", FieldKind::Uuid, false),
    field(&["state"], "state", FieldKind::Enum(AssignmentState::MEMBERS), true),
    field(&["accesspackage/id"], "access_package_id", FieldKind::Uuid, false),
    field(&["assignmentpolicy/id"], "assignment_policy_id", FieldKind::Uuid, false),
    field(&["target/objectid", "target/id"], "target_id", FieldKind::Uuid, false),
    field(&["createddatetime"], "created_date_time", FieldKind::DateTime, true),
];

/// v1.0 field catalog of assignments (the request/assignment module will extend it).
pub const ASSIGNMENT_V1: FieldCatalog = FieldCatalog {
    entity: "microsoft.graph.accessPackageAssignment",
    fields: ASSIGNMENT_FIELDS,
    relations: &[],
    default_order: &[],
};
