//! The vocabularies of an assignment request, with each API version's spelling: v1.0 enum
//! members are camelCase (`adminAdd`, `pendingApproval`); beta carries PascalCase strings
//! (`AdminAdd`, `PendingApproval`). Input is matched case-insensitively.
use serde::{Deserialize, Serialize};

macro_rules! vocabulary {
    ($name:ident { $($variant:ident => $v1:literal, $beta:literal;)* }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase")]
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
            /// The v1.0 metadata value (camelCase).
            pub fn v1(self) -> &'static str { match self { $($name::$variant => $v1),* } }
            /// The beta string (PascalCase).
            pub fn beta(self) -> &'static str { match self { $($name::$variant => $beta),* } }
            /// Parses either spelling, case-insensitively.
            pub fn parse(s: &str) -> Option<Self> {
                let s = s.trim();
                Self::ALL.iter().copied().find(|v| v.v1().eq_ignore_ascii_case(s) || v.beta().eq_ignore_ascii_case(s))
            }
        }
    };
}

vocabulary!(RequestType {
    NotSpecified => "notSpecified", "NotSpecified";
    UserAdd => "userAdd", "UserAdd";
    UserUpdate => "userUpdate", "UserUpdate";
    UserRemove => "userRemove", "UserRemove";
    AdminAdd => "adminAdd", "AdminAdd";
    AdminUpdate => "adminUpdate", "AdminUpdate";
    AdminRemove => "adminRemove", "AdminRemove";
    SystemAdd => "systemAdd", "SystemAdd";
    SystemUpdate => "systemUpdate", "SystemUpdate";
    SystemRemove => "systemRemove", "SystemRemove";
    OnBehalfAdd => "onBehalfAdd", "OnBehalfAdd";
    UserExtend => "userExtend", "UserExtend";
    ApproverRemove => "approverRemove", "ApproverRemove";
});

impl RequestType {
    pub fn is_add(self) -> bool {
        matches!(self, Self::UserAdd | Self::AdminAdd | Self::SystemAdd | Self::OnBehalfAdd)
    }
    pub fn is_update(self) -> bool {
        matches!(self, Self::UserUpdate | Self::AdminUpdate | Self::SystemUpdate | Self::UserExtend)
    }
    pub fn is_remove(self) -> bool {
        matches!(self, Self::UserRemove | Self::AdminRemove | Self::SystemRemove | Self::ApproverRemove)
    }
    /// Types an end user sends for themselves (or, for UserAdd, for a direct report).
    pub fn is_user(self) -> bool {
        matches!(self, Self::UserAdd | Self::UserUpdate | Self::UserRemove | Self::UserExtend)
    }
    pub fn is_admin(self) -> bool {
        matches!(self, Self::AdminAdd | Self::AdminUpdate | Self::AdminRemove)
    }
    pub fn is_system(self) -> bool {
        matches!(self, Self::SystemAdd | Self::SystemUpdate | Self::SystemRemove)
    }
}

vocabulary!(RequestState {
    Submitted => "submitted", "Submitted";
    PendingApproval => "pendingApproval", "PendingApproval";
    Scheduled => "scheduled", "Scheduled";
    Delivering => "delivering", "Delivering";
    Delivered => "delivered", "Delivered";
    PartiallyDelivered => "partiallyDelivered", "PartiallyDelivered";
    DeliveryFailed => "deliveryFailed", "DeliveryFailed";
    Denied => "denied", "Denied";
    Canceled => "canceled", "Canceled";
});

impl RequestState {
    /// No further transition except reprocess (for failed/partial deliveries).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Delivered | Self::PartiallyDelivered | Self::DeliveryFailed | Self::Denied | Self::Canceled
        )
    }
}

// The finer status (a free string in both versions' metadata). Graph's documented values are
// PascalCase; the same spelling is used on both versions.
vocabulary!(RequestStatus {
    Accepted => "Accepted", "Accepted";
    WaitingForCallback => "WaitingForCallback", "WaitingForCallback";
    PendingApproval => "PendingApproval", "PendingApproval";
    PendingApprovalEscalated => "PendingApprovalEscalated", "PendingApprovalEscalated";
    PendingNotBefore => "PendingNotBefore", "PendingNotBefore";
    Delivering => "Delivering", "Delivering";
    Delivered => "Delivered", "Delivered";
    PartiallyDelivered => "PartiallyDelivered", "PartiallyDelivered";
    DeliveryFailed => "DeliveryFailed", "DeliveryFailed";
    Denied => "Denied", "Denied";
    TimedOut => "TimedOut", "TimedOut";
    NoApproversAvailable => "NoApproversAvailable", "NoApproversAvailable";
    Canceled => "Cancelled", "Cancelled";
});

impl RequestStatus {
    /// Cancel is allowed only in these statuses (v1.0 cancel page: accepted, pendingApproval,
    /// pendingNotBefore, pendingApprovalEscalated), plus while waiting on a callout at creation.
    pub fn is_cancelable(self) -> bool {
        matches!(
            self,
            Self::Accepted
                | Self::PendingApproval
                | Self::PendingApprovalEscalated
                | Self::PendingNotBefore
                | Self::WaitingForCallback
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_types_parse_in_either_case_and_print_per_version() {
        assert_eq!(RequestType::parse("AdminAdd"), Some(RequestType::AdminAdd));
        assert_eq!(RequestType::parse("adminadd"), Some(RequestType::AdminAdd));
        assert_eq!(RequestType::parse("adminAdd"), Some(RequestType::AdminAdd));
        assert_eq!(RequestType::parse("admin_add"), None);
        assert_eq!(RequestType::UserExtend.beta(), "UserExtend");
        assert_eq!(RequestState::PendingApproval.v1(), "pendingApproval");
        assert_eq!(RequestState::parse("Delivered"), Some(RequestState::Delivered));
        assert_eq!(RequestStatus::Canceled.beta(), "Cancelled");
    }
}
