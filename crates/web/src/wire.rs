//! Wire value formats shared by every entity: date-times (accepted with `Z`, an offset, or no
//! offset meaning UTC, as Python's `isoformat()` writes them; always emitted in UTC with `Z`)
//! and ISO 8601 durations (also accepting Python's `str(timedelta)` form that the Kiota Python
//! SDK sends by mistake).
use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};

pub fn parse_datetime(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(n.and_utc());
        }
    }
    None
}

pub fn format_datetime(d: &DateTime<Utc>) -> String {
    d.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Parses an ISO 8601 duration (`P30D`, `PT720H`, `P1W`, `P1DT2H30M`, `P1Y` = 365 days,
/// `P1M` = 30 days) or a Python timedelta string (`30 days, 0:00:00`, `1 day, 2:03:04`,
/// `2:00:00`).
pub fn parse_duration(s: &str) -> Option<chrono::Duration> {
    let s = s.trim();
    if let Some(rest) = s.strip_prefix('P').or_else(|| s.strip_prefix('p')) {
        return parse_iso(rest);
    }
    parse_timedelta(s)
}

fn parse_iso(rest: &str) -> Option<chrono::Duration> {
    let mut total = 0f64;
    let mut in_time = false;
    let mut num = String::new();
    let mut any = false;
    for ch in rest.chars() {
        match ch {
            'T' | 't' => {
                if in_time || !num.is_empty() {
                    return None;
                }
                in_time = true;
            }
            '0'..='9' | '.' | ',' => num.push(if ch == ',' { '.' } else { ch }),
            _ => {
                let n: f64 = num.parse().ok()?;
                num.clear();
                any = true;
                let secs = match (ch.to_ascii_uppercase(), in_time) {
                    ('Y', false) => n * 365.0 * 86400.0,
                    ('M', false) => n * 30.0 * 86400.0,
                    ('W', false) => n * 7.0 * 86400.0,
                    ('D', false) => n * 86400.0,
                    ('H', true) => n * 3600.0,
                    ('M', true) => n * 60.0,
                    ('S', true) => n,
                    _ => return None,
                };
                total += secs;
            }
        }
    }
    if !num.is_empty() || !any || !total.is_finite() || total > 1e11 {
        return None;
    }
    Some(chrono::Duration::milliseconds((total * 1000.0).round() as i64))
}

fn parse_timedelta(s: &str) -> Option<chrono::Duration> {
    let (days, clock) = match s.split_once(',') {
        Some((d, rest)) => {
            let d = d.trim();
            let n = d.strip_suffix(" days").or_else(|| d.strip_suffix(" day"))?.trim();
            (n.parse::<i64>().ok()?, rest.trim())
        }
        None => (0, s),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    if parts.len() != 3 {
        return None;
    }
    let h: i64 = parts[0].parse().ok()?;
    let m: i64 = parts[1].parse().ok()?;
    let sec: f64 = parts[2].parse().ok()?;
    if !(0..60).contains(&m) || !(0.0..60.0).contains(&sec) || h < 0 || days < 0 {
        return None;
    }
    let total_ms = ((days * 86400 + h * 3600 + m * 60) as f64 * 1000.0 + sec * 1000.0).round() as i64;
    Some(chrono::Duration::milliseconds(total_ms))
}

/// Formats a duration as ISO 8601 the way Graph does (`P30D`, `PT4H`, `P1DT2H`).
pub fn format_duration(d: &chrono::Duration) -> String {
    let mut secs = d.num_seconds().max(0);
    let days = secs / 86400;
    secs %= 86400;
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    let mut out = String::from("P");
    if days > 0 {
        out.push_str(&format!("{days}D"));
    }
    if h > 0 || m > 0 || s > 0 {
        out.push('T');
        if h > 0 {
            out.push_str(&format!("{h}H"));
        }
        if m > 0 {
            out.push_str(&format!("{m}M"));
        }
        if s > 0 {
            out.push_str(&format!("{s}S"));
        }
    }
    if out == "P" {
        out.push_str("T0S");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_in_all_three_python_forms() {
        let a = parse_datetime("2026-11-28T09:09:36+00:00").unwrap();
        let b = parse_datetime("2026-11-28T09:09:36Z").unwrap();
        let c = parse_datetime("2026-11-28T09:09:36").unwrap();
        assert_eq!(a, b);
        assert_eq!(b, c);
        let d = parse_datetime("2025-01-02T03:04:05.123456").unwrap();
        assert_eq!(format_datetime(&d), "2025-01-02T03:04:05.123456Z");
        assert!(parse_datetime("2026-13-01T00:00:00Z").is_none());
        assert_eq!(format_datetime(&b), "2026-11-28T09:09:36Z");
    }

    #[test]
    fn durations_iso_and_timedelta() {
        assert_eq!(parse_duration("P30D"), Some(chrono::Duration::days(30)));
        assert_eq!(parse_duration("PT720H"), Some(chrono::Duration::days(30)));
        assert_eq!(parse_duration("P1W"), Some(chrono::Duration::days(7)));
        assert_eq!(parse_duration("P1DT2H"), Some(chrono::Duration::hours(26)));
        assert_eq!(parse_duration("30 days, 0:00:00"), Some(chrono::Duration::days(30)));
        assert_eq!(parse_duration("1 day, 2:00:00"), Some(chrono::Duration::hours(26)));
        assert_eq!(parse_duration("2:30:00"), Some(chrono::Duration::minutes(150)));
        assert_eq!(parse_duration("P"), None);
        assert_eq!(parse_duration("P1H"), None);
        assert_eq!(parse_duration("thirty days"), None);
        assert_eq!(format_duration(&chrono::Duration::days(30)), "P30D");
        assert_eq!(format_duration(&chrono::Duration::hours(26)), "P1DT2H");
    }
}
