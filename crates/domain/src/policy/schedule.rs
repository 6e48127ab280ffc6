//! Schedules and expiration (`expirationPattern`, `entitlementManagementSchedule`,
//! `patternedRecurrence`): when access starts, when it ends, and how reviews recur. Durations are
//! kept as whole seconds (Graph's Duration values here are days, hours and minutes).
use super::enums::{DayOfWeek, ExpirationType, RecurrencePatternType, RecurrenceRangeType, WeekIndex};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// A span of time stored as whole seconds.
pub type Span = chrono::Duration;

/// Serde for `Option<Span>` as optional seconds (storage form only; the wire uses ISO 8601).
pub mod opt_secs {
    use super::Span;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Span>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(d) => s.serialize_some(&d.num_seconds()),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Span>, D::Error> {
        Ok(Option::<i64>::deserialize(d)?.map(Span::seconds))
    }
}

/// `expirationPattern`: how an assignment ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Expiration {
    #[serde(rename = "type")]
    pub kind: ExpirationType,
    #[serde(default, with = "opt_secs")]
    pub duration: Option<Span>,
    #[serde(default)]
    pub end_date_time: Option<DateTime<Utc>>,
}

impl Default for Expiration {
    fn default() -> Self {
        Expiration { kind: ExpirationType::NotSpecified, duration: None, end_date_time: None }
    }
}

impl Expiration {
    pub fn never() -> Self {
        Expiration { kind: ExpirationType::NoExpiration, ..Expiration::default() }
    }
    pub fn after(duration: Span) -> Self {
        Expiration { kind: ExpirationType::AfterDuration, duration: Some(duration), end_date_time: None }
    }
    pub fn at(end: DateTime<Utc>) -> Self {
        Expiration { kind: ExpirationType::AfterDateTime, duration: None, end_date_time: Some(end) }
    }

    /// When access that starts at `start` ends under this pattern; `None` = never.
    /// `notSpecified` and `noExpiration` never end; a pattern missing its value never ends.
    pub fn end_from(&self, start: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self.kind {
            ExpirationType::AfterDuration => self.duration.and_then(|d| start.checked_add_signed(d)),
            ExpirationType::AfterDateTime => self.end_date_time,
            ExpirationType::NoExpiration | ExpirationType::NotSpecified => None,
        }
    }
}

/// `recurrencePattern`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecurrencePattern {
    #[serde(rename = "type")]
    pub kind: Option<RecurrencePatternType>,
    pub interval: i32,
    pub month: i32,
    pub day_of_month: i32,
    #[serde(default)]
    pub days_of_week: Vec<DayOfWeek>,
    pub first_day_of_week: Option<DayOfWeek>,
    pub index: Option<WeekIndex>,
}

/// `recurrenceRange`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecurrenceRange {
    #[serde(rename = "type")]
    pub kind: Option<RecurrenceRangeType>,
    pub number_of_occurrences: i32,
    pub recurrence_time_zone: Option<String>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
}

/// `patternedRecurrence`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recurrence {
    pub pattern: Option<RecurrencePattern>,
    pub range: Option<RecurrenceRange>,
}

/// `entitlementManagementSchedule` (beta `requestSchedule`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Schedule {
    pub start_date_time: Option<DateTime<Utc>>,
    pub expiration: Option<Expiration>,
    pub recurrence: Option<Recurrence>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiration_ends_by_kind() {
        let start = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap().with_timezone(&Utc);
        let end = DateTime::parse_from_rfc3339("2026-03-01T00:00:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(Expiration::after(Span::days(30)).end_from(start), Some(start + Span::days(30)));
        assert_eq!(Expiration::at(end).end_from(start), Some(end));
        assert_eq!(Expiration::never().end_from(start), None);
        assert_eq!(Expiration::default().end_from(start), None);
    }

    #[test]
    fn durations_are_stored_as_seconds() {
        let e = Expiration::after(Span::days(2));
        let s = serde_json::to_value(&e).unwrap();
        assert_eq!(s["duration"], 172800);
        assert_eq!(serde_json::from_value::<Expiration>(s).unwrap(), e);
    }
}
