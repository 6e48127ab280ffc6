//! The beta ↔ canonical (v1.0) mapping of policy concepts that differ in meaning or unit, not
//! only in name. Pure functions, used by both wire modules, tested table by table.
//!
//! | beta (`/beta`)                                   | canonical = v1.0 (`/v1.0`)                                   |
//! |--------------------------------------------------|--------------------------------------------------------------|
//! | `requestorSettings.scopeType` `NoSubjects`       | `allowedTargetScope` `notSpecified`, `enableTargetsToSelfAddAccess` false |
//! | `SpecificDirectorySubjects`                      | `specificDirectoryUsers`                                     |
//! | `SpecificConnectedOrganizationSubjects`          | `specificConnectedOrganizationUsers`                         |
//! | `AllConfiguredConnectedOrganizationSubjects`     | `allConfiguredConnectedOrganizationUsers`                    |
//! | `AllExistingConnectedOrganizationSubjects`       | `allConfiguredConnectedOrganizationUsers` (one way: reads back as `AllConfigured…`) |
//! | `AllExistingDirectoryMemberUsers`                | `allMemberUsers` (userType Member only)                      |
//! | `AllExistingDirectorySubjects`                   | `allDirectoryUsers` (members and guests)                     |
//! | `AllExternalSubjects`                            | `allExternalUsers`                                           |
//! | `SpecificDirectoryServicePrincipals`, `AllDirectoryServicePrincipals`, `AllDirectoryAgentIdentities` | the v1.0 members of the same name (no beta spelling is documented; grantd PascalCases them) |
//! | `requestorSettings.acceptRequests`               | `enableTargetsToSelfAddAccess` (with a scope) + stored `acceptRequests` |
//! | `requestorSettings.allowedRequestors`            | `specificAllowedTargets`                                     |
//! | `canExtend`                                      | `requestorSettings.enableTargetsToSelfUpdateAccess`          |
//! | `durationInDays` n > 0                           | `expiration` {`afterDuration`, `P{n}D`} (v1.0 durations round **up** to whole days) |
//! | `expirationDateTime` t                           | `expiration` {`afterDateTime`, `endDateTime` t}              |
//! | neither (0 / null)                               | `expiration` {`noExpiration`}                                |
//! | `approvalSettings.isApprovalRequired`            | `isApprovalRequiredForAdd`                                   |
//! | `isApprovalRequiredForExtension`                 | `isApprovalRequiredForUpdate`                                |
//! | `approvalStages[]`                               | `stages[]`                                                   |
//! | `approvalStageTimeOutInDays` n                   | `durationBeforeAutomaticDenial` `P{n}D` (rounded up)         |
//! | `escalationTimeInMinutes` n                      | `durationBeforeEscalation` `PT{n}M` (rounded up)             |
//! | approvers with `isBackup: true`                  | `fallbackPrimaryApprovers` / `fallbackEscalationApprovers`   |
//! | `approvalMode`                                   | derived from the stage count (`Parallel` kept while it fits) |
//! | `accessReviewSettings`                           | `reviewSettings`: `accessReviewTimeoutBehavior`=`expirationBehavior`, `isAccessRecommendationEnabled`=`isRecommendationEnabled`, `isApprovalJustificationRequired`=`isReviewerJustificationRequired`, `reviewerType` `Self`=`isSelfReview`, `reviewers`=`primaryReviewers` (+backups=`fallbackReviewers`), `startDateTime`/`durationInDays`/`recurrenceType`=`schedule` |
//! | `recurrenceType` `weekly`/`monthly`/`quarterly`/`halfyearly`/`annual` | `recurrence.pattern` weekly×1, absoluteMonthly×1/×3/×6, absoluteYearly×1 |
//! | singleUser/groupMembers/connectedOrganizationMembers `id` | `userId` / `groupId` / `connectedOrganizationId`      |
//! | question `text` {`defaultText`, `localizedTexts`} | `text` + `localizations`                                    |
//! | `allowsMultipleSelection`                        | `isMultipleSelectionAllowed`                                 |
//! | choice `displayValue` {`defaultText`, `localizedTexts`} | choice `text` + `localizations`                       |
//! | `customExtensionHandlers`                        | `customExtensionStageSettings` (one list; beta shows it under both names) |
use super::enums::{RecurrencePatternType, TargetScope};
use super::schedule::{Expiration, RecurrencePattern, Span};
use super::ExpirationType;
use chrono::{DateTime, Utc};

/// (beta scopeType, canonical scope); the first row for a scope is the one shown on beta.
pub const SCOPE_TYPES: &[(&str, TargetScope)] = &[
    ("NoSubjects", TargetScope::NotSpecified),
    ("SpecificDirectorySubjects", TargetScope::SpecificDirectoryUsers),
    ("SpecificConnectedOrganizationSubjects", TargetScope::SpecificConnectedOrganizationUsers),
    ("AllConfiguredConnectedOrganizationSubjects", TargetScope::AllConfiguredConnectedOrganizationUsers),
    ("AllExistingConnectedOrganizationSubjects", TargetScope::AllConfiguredConnectedOrganizationUsers),
    ("AllExistingDirectoryMemberUsers", TargetScope::AllMemberUsers),
    ("AllExistingDirectorySubjects", TargetScope::AllDirectoryUsers),
    ("AllExternalSubjects", TargetScope::AllExternalUsers),
    ("SpecificDirectoryServicePrincipals", TargetScope::SpecificDirectoryServicePrincipals),
    ("AllDirectoryServicePrincipals", TargetScope::AllDirectoryServicePrincipals),
    ("AllDirectoryAgentIdentities", TargetScope::AllDirectoryAgentIdentities),
];

/// beta `scopeType` (any case) → canonical scope.
pub fn scope_from_beta(scope_type: &str) -> Option<TargetScope> {
    SCOPE_TYPES.iter().find(|(b, _)| b.eq_ignore_ascii_case(scope_type.trim())).map(|(_, s)| *s)
}

/// Canonical scope → beta `scopeType`.
pub fn scope_to_beta(scope: TargetScope) -> &'static str {
    SCOPE_TYPES.iter().find(|(_, s)| *s == scope).map(|(b, _)| *b).unwrap_or("NoSubjects")
}

const DAY: i64 = 86_400;

pub fn days(n: i32) -> Span {
    Span::days(i64::from(n))
}

pub fn minutes(n: i32) -> Span {
    Span::minutes(i64::from(n))
}

fn ceil_div(secs: i64, unit: i64) -> i32 {
    let n = (secs.max(0) + unit - 1) / unit;
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// A span in whole days, rounded up (beta Int32 day counts).
pub fn whole_days(d: Span) -> i32 {
    ceil_div(d.num_seconds(), DAY)
}

/// A span in whole minutes, rounded up (beta `escalationTimeInMinutes`).
pub fn whole_minutes(d: Span) -> i32 {
    ceil_div(d.num_seconds(), 60)
}

/// beta `durationInDays` + `expirationDateTime` → canonical expiration.
pub fn expiration_from_beta(duration_in_days: Option<i32>, expiration_date_time: Option<DateTime<Utc>>) -> Expiration {
    match (expiration_date_time, duration_in_days) {
        (Some(t), _) => Expiration::at(t),
        (None, Some(n)) if n > 0 => Expiration::after(days(n)),
        _ => Expiration::never(),
    }
}

/// Canonical expiration → beta (`durationInDays`, `expirationDateTime`).
pub fn expiration_to_beta(e: &Expiration) -> (i32, Option<DateTime<Utc>>) {
    match e.kind {
        ExpirationType::AfterDuration => (e.duration.map(whole_days).unwrap_or(0), None),
        ExpirationType::AfterDateTime => (0, e.end_date_time),
        ExpirationType::NoExpiration | ExpirationType::NotSpecified => (0, None),
    }
}

/// (beta `recurrenceType`, pattern type, interval).
pub const RECURRENCE_TYPES: &[(&str, RecurrencePatternType, i32)] = &[
    ("weekly", RecurrencePatternType::Weekly, 1),
    ("monthly", RecurrencePatternType::AbsoluteMonthly, 1),
    ("quarterly", RecurrencePatternType::AbsoluteMonthly, 3),
    ("halfyearly", RecurrencePatternType::AbsoluteMonthly, 6),
    ("annual", RecurrencePatternType::AbsoluteYearly, 1),
];

/// beta `recurrenceType` → v1.0 recurrence pattern.
pub fn recurrence_from_beta(recurrence_type: &str) -> Option<RecurrencePattern> {
    RECURRENCE_TYPES.iter().find(|(b, _, _)| b.eq_ignore_ascii_case(recurrence_type.trim())).map(|(_, kind, n)| {
        RecurrencePattern {
            kind: Some(*kind),
            interval: *n,
            month: 0,
            day_of_month: 0,
            days_of_week: Vec::new(),
            first_day_of_week: None,
            index: None,
        }
    })
}

/// v1.0 recurrence pattern → beta `recurrenceType` (None when beta has no word for it).
pub fn recurrence_to_beta(p: &RecurrencePattern) -> Option<&'static str> {
    let kind = p.kind?;
    let kind = match kind {
        RecurrencePatternType::RelativeMonthly => RecurrencePatternType::AbsoluteMonthly,
        RecurrencePatternType::RelativeYearly => RecurrencePatternType::AbsoluteYearly,
        k => k,
    };
    RECURRENCE_TYPES.iter().find(|(_, k, n)| *k == kind && *n == p.interval.max(1)).map(|(b, _, _)| *b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_types_map_both_ways() {
        // (beta, canonical, beta read back)
        let table = [
            ("NoSubjects", TargetScope::NotSpecified, "NoSubjects"),
            ("SpecificDirectorySubjects", TargetScope::SpecificDirectoryUsers, "SpecificDirectorySubjects"),
            (
                "SpecificConnectedOrganizationSubjects",
                TargetScope::SpecificConnectedOrganizationUsers,
                "SpecificConnectedOrganizationSubjects",
            ),
            (
                "AllConfiguredConnectedOrganizationSubjects",
                TargetScope::AllConfiguredConnectedOrganizationUsers,
                "AllConfiguredConnectedOrganizationSubjects",
            ),
            (
                "allexistingconnectedorganizationsubjects",
                TargetScope::AllConfiguredConnectedOrganizationUsers,
                "AllConfiguredConnectedOrganizationSubjects",
            ),
            ("AllExistingDirectoryMemberUsers", TargetScope::AllMemberUsers, "AllExistingDirectoryMemberUsers"),
            ("AllExistingDirectorySubjects", TargetScope::AllDirectoryUsers, "AllExistingDirectorySubjects"),
            ("AllExternalSubjects", TargetScope::AllExternalUsers, "AllExternalSubjects"),
            (
                "AllDirectoryServicePrincipals",
                TargetScope::AllDirectoryServicePrincipals,
                "AllDirectoryServicePrincipals",
            ),
        ];
        for (beta, canonical, back) in table {
            assert_eq!(scope_from_beta(beta), Some(canonical), "{beta}");
            assert_eq!(scope_to_beta(canonical), back, "{canonical:?}");
        }
        assert_eq!(scope_from_beta("Everyone"), None);
        // Every canonical scope a client can set has a beta spelling that maps back to it.
        for s in TargetScope::ALL.iter().filter(|s| **s != TargetScope::UnknownFutureValue) {
            assert_eq!(scope_from_beta(scope_to_beta(*s)), Some(*s), "{s:?}");
        }
    }

    #[test]
    fn expiration_maps_both_ways() {
        let t = DateTime::parse_from_rfc3339("2027-01-01T00:00:00Z").unwrap().with_timezone(&Utc);
        // (beta durationInDays, beta expirationDateTime, canonical, beta read back)
        let table = [
            (Some(365), None, Expiration::after(Span::days(365)), (365, None)),
            (Some(0), None, Expiration::never(), (0, None)),
            (None, None, Expiration::never(), (0, None)),
            (Some(-3), None, Expiration::never(), (0, None)),
            (Some(30), Some(t), Expiration::at(t), (0, Some(t))),
            (None, Some(t), Expiration::at(t), (0, Some(t))),
        ];
        for (d, e, canonical, back) in table {
            assert_eq!(expiration_from_beta(d, e), canonical, "{d:?} {e:?}");
            assert_eq!(expiration_to_beta(&canonical), back, "{canonical:?}");
        }
        // v1.0-only shapes read on beta.
        assert_eq!(expiration_to_beta(&Expiration::after(Span::hours(36))), (2, None));
        assert_eq!(expiration_to_beta(&Expiration::default()), (0, None));
    }

    #[test]
    fn stage_units_map_both_ways() {
        // (beta days, canonical) and (beta minutes, canonical)
        for (n, span) in [(14, Span::days(14)), (1, Span::days(1)), (0, Span::zero())] {
            assert_eq!(days(n), span);
            assert_eq!(whole_days(span), n);
        }
        for (n, span) in [(120, Span::hours(2)), (0, Span::zero()), (90, Span::minutes(90))] {
            assert_eq!(minutes(n), span);
            assert_eq!(whole_minutes(span), n);
        }
        assert_eq!(whole_days(Span::hours(1)), 1);
        assert_eq!(whole_minutes(Span::seconds(30)), 1);
    }

    #[test]
    fn review_recurrence_maps_both_ways() {
        for (beta, kind, interval) in RECURRENCE_TYPES {
            let p = recurrence_from_beta(beta).unwrap();
            assert_eq!((p.kind, p.interval), (Some(*kind), *interval));
            assert_eq!(recurrence_to_beta(&p), Some(*beta));
        }
        let mut daily = recurrence_from_beta("weekly").unwrap();
        daily.kind = Some(RecurrencePatternType::Daily);
        assert_eq!(recurrence_to_beta(&daily), None);
        assert!(recurrence_from_beta("fortnightly").is_none());
    }
}
