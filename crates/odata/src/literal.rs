//! Shape checks for the unquoted and typed literal forms: GUID, date, date-time-offset, duration.

/// `true` for characters that may continue an identifier.
pub(crate) fn is_ident_continue(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `true` for characters that may start an identifier.
pub(crate) fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn ident_follows(s: &str, at: usize) -> bool {
    s.get(at..).and_then(|rest| rest.chars().next()).is_some_and(|c| is_ident_continue(c) || c == '-' || c == '.')
}

/// If `s` starts with a GUID (`8-4-4-4-12` hex digits) that is not part of a longer word,
/// returns it lower-cased.
pub(crate) fn guid_prefix(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    if bytes.len() < 36 {
        return None;
    }
    let shape_ok = bytes[..36].iter().enumerate().all(|(i, b)| match i {
        8 | 13 | 18 | 23 => *b == b'-',
        _ => b.is_ascii_hexdigit(),
    });
    if !shape_ok || ident_follows(s, 36) {
        return None;
    }
    Some(s[..36].to_ascii_lowercase())
}

/// `true` if `s` starts with four digits and a dash, i.e. it must be read as a date.
pub(crate) fn looks_like_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 5 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-'
}

/// Result of scanning a date or date-time: its length in bytes, and whether it had a time.
pub(crate) struct DateScan {
    pub len: usize,
    pub has_time: bool,
}

/// A scanning failure: offset (relative to the scanned text) and a message.
pub(crate) type ScanError = (usize, &'static str);

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, want: u8) -> bool {
        if self.peek().is_some_and(|c| c.eq_ignore_ascii_case(&want)) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, want: u8, msg: &'static str) -> Result<(), ScanError> {
        if self.eat(want) {
            Ok(())
        } else {
            Err((self.i, msg))
        }
    }

    /// Exactly `n` digits, as a number.
    fn digits(&mut self, n: usize, msg: &'static str) -> Result<u32, ScanError> {
        let start = self.i;
        let mut value = 0u32;
        for _ in 0..n {
            match self.peek() {
                Some(d) if d.is_ascii_digit() => {
                    value = value * 10 + u32::from(d - b'0');
                    self.i += 1;
                }
                _ => return Err((start, msg)),
            }
        }
        Ok(value)
    }

    fn ranged(&mut self, n: usize, max: u32, msg: &'static str) -> Result<u32, ScanError> {
        let start = self.i;
        let v = self.digits(n, msg)?;
        if v > max {
            return Err((start, msg));
        }
        Ok(v)
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Scans `YYYY-MM-DD` optionally followed by `Thh:mm[:ss[.fff]]` and a zone (`Z` or `±hh:mm`).
pub(crate) fn scan_date_time(s: &str) -> Result<DateScan, ScanError> {
    const BAD_DATE: &str = "invalid date literal: expected YYYY-MM-DD";
    let mut c = Cursor { b: s.as_bytes(), i: 0 };
    let year = c.digits(4, BAD_DATE)?;
    c.expect(b'-', BAD_DATE)?;
    let month = c.digits(2, BAD_DATE)?;
    if !(1..=12).contains(&month) {
        return Err((5, "invalid date literal: month must be 01 to 12"));
    }
    c.expect(b'-', BAD_DATE)?;
    let day = c.digits(2, BAD_DATE)?;
    if day == 0 || day > days_in_month(year, month) {
        return Err((8, "invalid date literal: day out of range for the month"));
    }
    let after_date = c.i;
    if !(c.eat(b'T') && c.peek().is_some_and(|d| d.is_ascii_digit())) {
        return Ok(DateScan { len: after_date, has_time: false });
    }
    c.ranged(2, 23, "invalid time: hour must be 00 to 23")?;
    c.expect(b':', "invalid time: expected ':' after the hour")?;
    c.ranged(2, 59, "invalid time: minute must be 00 to 59")?;
    if c.eat(b':') {
        c.ranged(2, 59, "invalid time: second must be 00 to 59")?;
        if c.eat(b'.') {
            let start = c.i;
            while c.peek().is_some_and(|d| d.is_ascii_digit()) {
                c.i += 1;
            }
            if c.i == start || c.i - start > 12 {
                return Err((start, "invalid time: expected 1 to 12 digits after '.'"));
            }
        }
    }
    if c.eat(b'Z') {
        return Ok(DateScan { len: c.i, has_time: true });
    }
    if c.eat(b'+') || c.eat(b'-') {
        c.ranged(2, 23, "invalid time zone offset: hour must be 00 to 23")?;
        c.expect(b':', "invalid time zone offset: expected ±hh:mm")?;
        c.ranged(2, 59, "invalid time zone offset: minute must be 00 to 59")?;
        return Ok(DateScan { len: c.i, has_time: true });
    }
    if c.peek() == Some(b' ') && c.b.get(c.i + 1).is_some_and(u8::is_ascii_digit) {
        return Err((c.i, "expected a time zone (Z or ±hh:mm); a '+' in a URL must be sent as %2B"));
    }
    Err((c.i, "expected a time zone (Z or ±hh:mm) after the time"))
}

/// `true` for an ISO 8601 day-time duration: `[-]P[nD][T[nH][nM][n[.n]S]]` with at least one part.
pub(crate) fn valid_duration(s: &str) -> bool {
    let mut c = Cursor { b: s.as_bytes(), i: 0 };
    c.eat(b'-');
    if !c.eat(b'P') {
        return false;
    }
    let mut parts = 0;
    // Reads `digits [. digits] unit`; returns whether a part was present.
    let mut part = |c: &mut Cursor, unit: u8, fraction: bool| -> Result<bool, ()> {
        let start = c.i;
        while c.peek().is_some_and(|d| d.is_ascii_digit()) {
            c.i += 1;
        }
        if c.i == start {
            return Ok(false);
        }
        if fraction && c.eat(b'.') {
            let f = c.i;
            while c.peek().is_some_and(|d| d.is_ascii_digit()) {
                c.i += 1;
            }
            if c.i == f {
                return Err(());
            }
        }
        if c.eat(unit) {
            parts += 1;
            Ok(true)
        } else {
            c.i = start;
            Ok(false)
        }
    };
    if part(&mut c, b'D', false).is_err() {
        return false;
    }
    if c.eat(b'T') {
        let mut time_parts = 0;
        for (unit, fraction) in [(b'H', false), (b'M', false), (b'S', true)] {
            match part(&mut c, unit, fraction) {
                Ok(true) => time_parts += 1,
                Ok(false) => {}
                Err(()) => return false,
            }
        }
        if time_parts == 0 {
            return false;
        }
    }
    parts > 0 && c.i == c.b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids() {
        let g = "5A1D1B2C-0000-4000-8000-00000000000F";
        assert_eq!(guid_prefix(g).as_deref(), Some("5a1d1b2c-0000-4000-8000-00000000000f"));
        assert!(guid_prefix(&format!("{g}x")).is_none());
        assert!(guid_prefix(&format!("{g} eq")).is_some());
        assert!(guid_prefix("5a1d1b2c-0000-4000-8000-00000000000").is_none());
        assert!(guid_prefix("5a1d1b2c_0000-4000-8000-00000000000f").is_none());
    }

    #[test]
    fn dates() {
        for ok in [
            "2024-01-01",
            "2024-02-29",
            "2024-01-01T00:00:00Z",
            "2024-01-01T23:59Z",
            "2024-01-01T00:00:00.1234567+05:30",
            "2024-01-01t00:00:00z",
        ] {
            let scan = scan_date_time(ok).unwrap();
            assert_eq!(scan.len, ok.len(), "{ok}");
        }
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-01-32",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:00:00",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T00:00:00 01:00",
            "2024-1-01",
        ] {
            assert!(scan_date_time(bad).is_err(), "{bad}");
        }
        assert!(!scan_date_time("2024-01-01 eq").unwrap().has_time);
    }

    #[test]
    fn durations() {
        for ok in ["P1D", "PT1H", "-P1DT2H3M4.5S", "PT0S", "P10D", "PT36H"] {
            assert!(valid_duration(ok), "{ok}");
        }
        for bad in ["", "P", "PT", "1D", "P1H", "P1DT", "PT1.S", "P1D ", "P1Y"] {
            assert!(!valid_duration(bad), "{bad}");
        }
    }
}
