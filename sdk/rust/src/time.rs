//! RFC 3339 timestamps (`2024-05-01T12:34:56Z`, as GitHub, GitLab and Linear
//! write them) as milliseconds since the Unix epoch.

/// Milliseconds since the Unix epoch, or `None` for anything unexpected.
pub fn parse_ms(text: &str) -> Option<i64> {
    let text = text.trim();
    let (date, rest) = text.split_once(['T', ' '])?;
    let mut d = date.splitn(3, '-');
    let year: i64 = d.next()?.parse().ok()?;
    let month: i64 = d.next()?.parse().ok()?;
    let day: i64 = d.next()?.parse().ok()?;
    // Split the clock from its zone: `Z`, `+hh:mm` or `-hh:mm`.
    let (clock, offset_min) = if let Some(clock) = rest.strip_suffix(['Z', 'z']) {
        (clock, 0)
    } else {
        let at = rest.rfind(['+', '-'])?;
        let (clock, zone) = rest.split_at(at);
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let (h, m) = zone[1..].split_once(':').unwrap_or((&zone[1..], "0"));
        (
            clock,
            sign * (h.parse::<i64>().ok()? * 60 + m.parse::<i64>().ok()?),
        )
    };
    let mut c = clock.splitn(3, ':');
    let hour: i64 = c.next()?.parse().ok()?;
    let minute: i64 = c.next()?.parse().ok()?;
    let seconds = c.next()?;
    let (secs, frac) = seconds.split_once('.').unwrap_or((seconds, ""));
    let secs: i64 = secs.parse().ok()?;
    let millis: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<3}")[..3].parse().ok()?
    };
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || secs > 60
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + secs - offset_min * 60;
    Some(seconds * 1000 + millis)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// An optional timestamp field of a JSON object.
pub fn field(value: &serde_json::Value, key: &str) -> Option<i64> {
    value.get(key)?.as_str().and_then(parse_ms)
}

#[cfg(test)]
mod tests {
    use super::parse_ms;

    #[test]
    fn reads_utc_offsets_and_fractions() {
        assert_eq!(parse_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_ms("2024-05-01T12:34:56Z"), Some(1_714_566_896_000));
        assert_eq!(
            parse_ms("2024-05-01T12:34:56.789Z"),
            Some(1_714_566_896_789)
        );
        assert_eq!(
            parse_ms("2024-05-01T14:34:56+02:00"),
            Some(1_714_566_896_000)
        );
        assert_eq!(
            parse_ms("2024-05-01T12:34:56.123456+00:00"),
            Some(1_714_566_896_123)
        );
        assert_eq!(parse_ms("2024-13-01T00:00:00Z"), None);
        assert_eq!(parse_ms("yesterday"), None);
    }
}
