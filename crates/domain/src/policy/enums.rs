//! The enumerations a policy uses, each with its wire values exactly as in the v1.0 metadata
//! (camelCase member names). Input matches case-insensitively; output is always the metadata
//! spelling (WIRE.md 18: SDKs only upper-case the first letter when parsing).
use serde::{Deserialize, Serialize};

/// Declares a wire enum: serde as the metadata value, `as_str`, case-insensitive `parse`, and
/// the `(accepted, stored)` pairs `$filter` binds against.
macro_rules! wire_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $wire:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $wire)] $variant),*
        }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
            /// (accepted literal, stored value) pairs for `FieldKind::Enum`.
            pub const MEMBERS: &'static [(&'static str, &'static str)] = &[$(($wire, $wire)),*];
            /// The metadata member name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),* }
            }
            /// Matches a wire value case-insensitively.
            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
            }
        }
    };
}
pub(crate) use wire_enum;

wire_enum! {
    /// v1.0 `allowedTargetScope`: who may be assigned through the policy.
    TargetScope {
        NotSpecified = "notSpecified",
        SpecificDirectoryUsers = "specificDirectoryUsers",
        SpecificConnectedOrganizationUsers = "specificConnectedOrganizationUsers",
        SpecificDirectoryServicePrincipals = "specificDirectoryServicePrincipals",
        AllMemberUsers = "allMemberUsers",
        AllDirectoryUsers = "allDirectoryUsers",
        AllDirectoryServicePrincipals = "allDirectoryServicePrincipals",
        AllConfiguredConnectedOrganizationUsers = "allConfiguredConnectedOrganizationUsers",
        AllExternalUsers = "allExternalUsers",
        AllDirectoryAgentIdentities = "allDirectoryAgentIdentities",
        UnknownFutureValue = "unknownFutureValue",
    }
}

impl TargetScope {
    /// The `specific*` scopes name their principals in `specificAllowedTargets`.
    pub fn is_specific(self) -> bool {
        matches!(
            self,
            TargetScope::SpecificDirectoryUsers
                | TargetScope::SpecificConnectedOrganizationUsers
                | TargetScope::SpecificDirectoryServicePrincipals
        )
    }
}

wire_enum! {
    /// `expirationPatternType`.
    ExpirationType {
        NotSpecified = "notSpecified",
        NoExpiration = "noExpiration",
        AfterDateTime = "afterDateTime",
        AfterDuration = "afterDuration",
    }
}

wire_enum! {
    /// `approverInformationVisibility` of a v1.0 approval stage.
    ApproverVisibility {
        Default = "default",
        NotVisible = "notVisible",
        Visible = "visible",
        UnknownFutureValue = "unknownFutureValue",
    }
}

wire_enum! {
    /// v1.0 `accessReviewExpirationBehavior` = beta `accessReviewTimeoutBehavior` (same members).
    ReviewExpirationBehavior {
        KeepAccess = "keepAccess",
        RemoveAccess = "removeAccess",
        AcceptAccessRecommendation = "acceptAccessRecommendation",
        UnknownFutureValue = "unknownFutureValue",
    }
}

wire_enum! {
    /// `accessPackageCustomExtensionStage`.
    CustomExtensionStage {
        AssignmentRequestCreated = "assignmentRequestCreated",
        AssignmentRequestApproved = "assignmentRequestApproved",
        AssignmentRequestGranted = "assignmentRequestGranted",
        AssignmentRequestRemoved = "assignmentRequestRemoved",
        AssignmentFourteenDaysBeforeExpiration = "assignmentFourteenDaysBeforeExpiration",
        AssignmentOneDayBeforeExpiration = "assignmentOneDayBeforeExpiration",
        UnknownFutureValue = "unknownFutureValue",
        /// Evolvable member (after `unknownFutureValue`): the callout that asks an extension for
        /// the approvers of a dynamic approval stage (beta resume Example 4).
        AssignmentRequestDeterminingApprovalRequirements = "assignmentRequestDeterminingApprovalRequirements",
    }
}

wire_enum! {
    /// `recurrencePatternType`.
    RecurrencePatternType {
        Daily = "daily",
        Weekly = "weekly",
        AbsoluteMonthly = "absoluteMonthly",
        RelativeMonthly = "relativeMonthly",
        AbsoluteYearly = "absoluteYearly",
        RelativeYearly = "relativeYearly",
    }
}

wire_enum! {
    /// `recurrenceRangeType`.
    RecurrenceRangeType {
        EndDate = "endDate",
        NoEnd = "noEnd",
        Numbered = "numbered",
    }
}

wire_enum! {
    /// `dayOfWeek`.
    DayOfWeek {
        Sunday = "sunday",
        Monday = "monday",
        Tuesday = "tuesday",
        Wednesday = "wednesday",
        Thursday = "thursday",
        Friday = "friday",
        Saturday = "saturday",
    }
}

wire_enum! {
    /// `weekIndex`.
    WeekIndex {
        First = "first",
        Second = "second",
        Third = "third",
        Fourth = "fourth",
        Last = "last",
    }
}

wire_enum! {
    /// beta `approvalSettings.approvalMode` (a String in beta metadata; documented values).
    ApprovalMode {
        NoApproval = "NoApproval",
        SingleStage = "SingleStage",
        Serial = "Serial",
        Parallel = "Parallel",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_parse_case_insensitively_and_print_metadata_spelling() {
        assert_eq!(TargetScope::parse("ALLDIRECTORYUSERS"), Some(TargetScope::AllDirectoryUsers));
        assert_eq!(TargetScope::AllDirectoryUsers.as_str(), "allDirectoryUsers");
        assert_eq!(ExpirationType::parse("AfterDuration"), Some(ExpirationType::AfterDuration));
        assert_eq!(ExpirationType::parse("after_duration"), None);
        assert_eq!(serde_json::to_string(&ExpirationType::NoExpiration).unwrap(), "\"noExpiration\"");
        assert_eq!(ApprovalMode::parse("serial"), Some(ApprovalMode::Serial));
    }
}
