//! Wire shapes both versions share: `expirationPattern`, `entitlementManagementSchedule` (with
//! `patternedRecurrence`), and the small value formats (durations out as ISO 8601, dates out in
//! UTC with `Z`, enums out as their metadata value).
use super::reader::{bad, Obj};
use crate::error::GraphResult;
use crate::wire::{format_datetime, format_duration};
use chrono::{DateTime, NaiveDate, Utc};
use grantd_domain::policy::enums::{DayOfWeek, RecurrencePatternType, RecurrenceRangeType, WeekIndex};
use grantd_domain::policy::{
    Expiration, ExpirationType, Recurrence, RecurrencePattern, RecurrenceRange, Schedule, Span,
};
use serde_json::{json, Value};

pub fn duration(d: &Option<Span>) -> Value {
    d.map(|d| json!(format_duration(&d))).unwrap_or(Value::Null)
}

pub fn datetime(d: &Option<DateTime<Utc>>) -> Value {
    d.map(|d| json!(format_datetime(&d))).unwrap_or(Value::Null)
}

/// Reads an `expirationPattern`. A missing `type` is inferred from what is given.
pub fn read_expiration(o: &Obj<'_>) -> GraphResult<Expiration> {
    let duration = o.duration("duration")?;
    let end_date_time = o.datetime("endDateTime")?;
    let kind = match o.enumeration("type", ExpirationType::parse)? {
        Some(k) => k,
        None if duration.is_some() => ExpirationType::AfterDuration,
        None if end_date_time.is_some() => ExpirationType::AfterDateTime,
        None => ExpirationType::NotSpecified,
    };
    // Keep only the member the type uses (expirationpattern.md: send one of them).
    Ok(match kind {
        ExpirationType::AfterDuration => Expiration { kind, duration, end_date_time: None },
        ExpirationType::AfterDateTime => Expiration { kind, duration: None, end_date_time },
        _ => Expiration { kind, duration: None, end_date_time: None },
    })
}

pub fn render_expiration(e: &Expiration) -> Value {
    json!({
        "endDateTime": datetime(&e.end_date_time),
        "duration": duration(&e.duration),
        "type": e.kind.as_str(),
    })
}

fn date(o: &Obj<'_>, name: &str) -> GraphResult<Option<NaiveDate>> {
    match o.string(name)? {
        None => Ok(None),
        Some(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .map(Some)
            .map_err(|_| bad(&o.at(name), format!("'{s}' is not a valid date (yyyy-mm-dd)"))),
    }
}

fn read_pattern(o: &Obj<'_>) -> GraphResult<RecurrencePattern> {
    let mut days_of_week = Vec::new();
    for at in o.array("daysOfWeek")? {
        let s = at.string()?;
        days_of_week.push(DayOfWeek::parse(&s).ok_or_else(|| bad(&at.path, format!("the value '{s}' is not valid")))?);
    }
    Ok(RecurrencePattern {
        kind: o.enumeration("type", RecurrencePatternType::parse)?,
        interval: o.i32("interval")?.unwrap_or(0),
        month: o.i32("month")?.unwrap_or(0),
        day_of_month: o.i32("dayOfMonth")?.unwrap_or(0),
        days_of_week,
        first_day_of_week: o.enumeration("firstDayOfWeek", DayOfWeek::parse)?,
        index: o.enumeration("index", WeekIndex::parse)?,
    })
}

fn read_range(o: &Obj<'_>) -> GraphResult<RecurrenceRange> {
    Ok(RecurrenceRange {
        kind: o.enumeration("type", RecurrenceRangeType::parse)?,
        number_of_occurrences: o.i32("numberOfOccurrences")?.unwrap_or(0),
        recurrence_time_zone: o.string("recurrenceTimeZone")?,
        start_date: date(o, "startDate")?,
        end_date: date(o, "endDate")?,
    })
}

/// Reads an `entitlementManagementSchedule`.
pub fn read_schedule(o: &Obj<'_>) -> GraphResult<Schedule> {
    let expiration = match o.child("expiration") {
        Some(at) => Some(read_expiration(&at.obj()?)?),
        None => None,
    };
    let recurrence = match o.child("recurrence") {
        Some(at) => {
            let r = at.obj()?;
            let pattern = match r.child("pattern") {
                Some(p) => Some(read_pattern(&p.obj()?)?),
                None => None,
            };
            let range = match r.child("range") {
                Some(p) => Some(read_range(&p.obj()?)?),
                None => None,
            };
            Some(Recurrence { pattern, range })
        }
        None => None,
    };
    Ok(Schedule { start_date_time: o.datetime("startDateTime")?, expiration, recurrence })
}

pub fn render_schedule(s: &Schedule) -> Value {
    let recurrence = s.recurrence.as_ref().map(|r| {
        json!({
            "pattern": r.pattern.as_ref().map(|p| json!({
                "type": p.kind.map(|k| k.as_str()),
                "interval": p.interval,
                "month": p.month,
                "dayOfMonth": p.day_of_month,
                "daysOfWeek": p.days_of_week.iter().map(|d| d.as_str()).collect::<Vec<_>>(),
                "firstDayOfWeek": p.first_day_of_week.map(|d| d.as_str()),
                "index": p.index.map(|i| i.as_str()),
            })),
            "range": r.range.as_ref().map(|g| json!({
                "type": g.kind.map(|k| k.as_str()),
                "numberOfOccurrences": g.number_of_occurrences,
                "recurrenceTimeZone": g.recurrence_time_zone,
                "startDate": g.start_date.map(|d| d.format("%Y-%m-%d").to_string()),
                "endDate": g.end_date.map(|d| d.format("%Y-%m-%d").to_string()),
            })),
        })
    });
    json!({
        "startDateTime": datetime(&s.start_date_time),
        "expiration": s.expiration.as_ref().map(render_expiration),
        "recurrence": recurrence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiration_type_is_inferred_and_rendered_in_metadata_spelling() {
        let v = json!({"duration": "P30D"});
        let e = read_expiration(&Obj::root(&v).unwrap()).unwrap();
        assert_eq!(e, Expiration::after(Span::days(30)));
        assert_eq!(render_expiration(&e), json!({"endDateTime": null, "duration": "P30D", "type": "afterDuration"}));
        let v = json!({"type": "NOEXPIRATION", "duration": "P1D"});
        assert_eq!(read_expiration(&Obj::root(&v).unwrap()).unwrap(), Expiration::never());
        let v = json!({"type": "sometime"});
        assert!(read_expiration(&Obj::root(&v).unwrap()).unwrap_err().message.contains("'type'"));
    }

    #[test]
    fn schedules_round_trip() {
        let v = json!({
            "startDateTime": "2022-07-02T06:59:59.998Z",
            "expiration": {"duration": "P14D", "type": "afterDuration"},
            "recurrence": {"pattern": {"type": "absoluteMonthly", "interval": 3, "month": 0, "dayOfMonth": 0, "daysOfWeek": []},
                           "range": {"type": "noEnd", "numberOfOccurrences": 0}}
        });
        let s = read_schedule(&Obj::root(&v).unwrap()).unwrap();
        let out = render_schedule(&s);
        assert_eq!(out["startDateTime"], "2022-07-02T06:59:59.998Z");
        assert_eq!(out["recurrence"]["pattern"]["type"], "absoluteMonthly");
        assert_eq!(read_schedule(&Obj::root(&out).unwrap()).unwrap(), s);
    }
}
