//! Access package assignments: a target's access through one policy of a package. Requests
//! create, change and end them (crates/service requests); here the stored shape, the states
//! that still hold access, and the field catalogs of both versions.
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
    /// Holds access now or is being delivered: what blocks a second add for the same target
    /// and package, and what keeps a shared group membership on removal.
    pub fn holds_access(self) -> bool {
        matches!(self, AssignmentState::Delivering | AssignmentState::PartiallyDelivered | AssignmentState::Delivered)
    }
}

/// The states as (accepted literal, stored value), beta PascalCase matching case-insensitively.
pub const ASSIGNMENT_STATE_MEMBERS: &[(&str, &str)] = AssignmentState::MEMBERS;

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

const ASSIGNMENT_BETA_FIELDS: &[Field] = &[
    field(&["id"], "id", FieldKind::Uuid, false),
    field(&["assignmentstate"], "state", FieldKind::Enum(AssignmentState::MEMBERS), true),
    field(&["accesspackageid", "accesspackage/id"], "access_package_id", FieldKind::Uuid, false),
    field(&["assignmentpolicyid", "accesspackageassignmentpolicy/id"], "assignment_policy_id", FieldKind::Uuid, false),
    field(&["targetid", "target/objectid", "target/id"], "target_id", FieldKind::Uuid, false),
    field(&["catalogid", "accesspackage/catalogid"], "catalog_id", FieldKind::Uuid, false),
    field(&["createddatetime"], "created_date_time", FieldKind::DateTime, true),
];

/// v1.0 field catalog of `accessPackageAssignment`.
pub const ASSIGNMENT_V1: FieldCatalog = FieldCatalog {
    entity: "microsoft.graph.accessPackageAssignment",
    fields: ASSIGNMENT_FIELDS,
    relations: &[],
    default_order: &[],
};
/// beta field catalog (`assignmentState`, `accessPackageId`, `targetId`, ...).
pub const ASSIGNMENT_BETA: FieldCatalog = FieldCatalog { fields: ASSIGNMENT_BETA_FIELDS, ..ASSIGNMENT_V1 };
