//! The tenant's entitlement-management settings (`entitlementManagementSettings`) and the
//! external users grantd governs: a guest created by an add request (AdminAdd by e-mail) is
//! governed, and when their last assignment ends the tenant's `externalUserLifecycleAction`
//! says whether their sign-in is blocked and, after a delay, their account deleted. Pure values;
//! the jobs that act on them live in grantd-service (`external_users`).
use crate::ids::ObjectId;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// v1.0 `accessPackageExternalUserLifecycleAction` (beta: the same values in PascalCase).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ExternalUserLifecycleAction {
    /// grantd's default: nobody is blocked or deleted unless an administrator opts in.
    #[default]
    None,
    BlockSignIn,
    BlockSignInAndDelete,
}

impl ExternalUserLifecycleAction {
    pub fn v1(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::BlockSignIn => "blockSignIn",
            Self::BlockSignInAndDelete => "blockSignInAndDelete",
        }
    }
    pub fn beta(self) -> &'static str {
        match self {
            Self::None => "None",
            Self::BlockSignIn => "BlockSignIn",
            Self::BlockSignInAndDelete => "BlockSignInAndDelete",
        }
    }
    /// Either version's spelling, any case.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::None, Self::BlockSignIn, Self::BlockSignInAndDelete].into_iter().find(|a| a.v1().eq_ignore_ascii_case(s))
    }
    pub fn blocks(self) -> bool {
        self != Self::None
    }
}

/// The tenant's settings; one per tenant (a tenant that never wrote them has the default).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntitlementSettings {
    pub external_user_lifecycle_action: ExternalUserLifecycleAction,
    /// v1.0 `durationUntilExternalUserDeletedAfterBlocked`, beta `daysUntilExternalUserDeletedAfterBlocked`.
    pub delete_after_blocked_secs: i64,
}

/// Entra's default delay between blocking and deleting: 30 days.
pub const DEFAULT_DELETE_AFTER_DAYS: i64 = 30;

impl Default for EntitlementSettings {
    fn default() -> Self {
        EntitlementSettings {
            external_user_lifecycle_action: ExternalUserLifecycleAction::None,
            delete_after_blocked_secs: DEFAULT_DELETE_AFTER_DAYS * 86_400,
        }
    }
}

impl EntitlementSettings {
    pub fn delete_after_blocked(&self) -> Duration {
        Duration::seconds(self.delete_after_blocked_secs)
    }
}

/// An external user grantd created for an add request (v1.0 `subjectLifecycle` `governed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GovernedSubject {
    pub user_id: ObjectId,
    pub created_date_time: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_parse() {
        assert_eq!(
            ExternalUserLifecycleAction::parse("BlockSignInAndDelete"),
            Some(ExternalUserLifecycleAction::BlockSignInAndDelete)
        );
        assert_eq!(ExternalUserLifecycleAction::parse("blockSignIn"), Some(ExternalUserLifecycleAction::BlockSignIn));
        assert_eq!(ExternalUserLifecycleAction::parse("none"), Some(ExternalUserLifecycleAction::None));
        assert_eq!(ExternalUserLifecycleAction::parse("delete"), None);
        assert!(!EntitlementSettings::default().external_user_lifecycle_action.blocks());
    }
}
