//! The wall clock, in the whole seconds UserSigs are made of.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch (0 if the clock is before it).
pub fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// `YYYY-MM-DD HH:MM:SS` in UTC, the form the push APIs use for times.
pub fn utc_text(unix: u64) -> String {
    let t = UNIX_EPOCH + std::time::Duration::from_secs(unix);
    // RFC 3339 `2025-03-13T16:16:27Z`, in the API's spelling.
    humantime::format_rfc3339_seconds(t).to_string().trim_end_matches('Z').replacen('T', " ", 1)
}

/// Read `YYYY-MM-DD HH:MM:SS` (or `YYYY-MM-DDTHH:MM:SS`, a trailing `Z` allowed) as UTC.
pub fn parse_utc(s: &str) -> Option<u64> {
    let s = s.trim();
    humantime::parse_rfc3339_weak(s.trim_end_matches('Z'))
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_secs())
}

/// A time a user gives: unix seconds, `YYYY-MM-DD`, `YYYY-MM-DD HH:MM[:SS]` (UTC), `now`, or
/// an age such as `7d`, `36h`, `90m` (that long before `now`).
pub fn parse_when(s: &str, now: u64) -> Result<u64, String> {
    let t = s.trim();
    if t == "now" {
        return Ok(now);
    }
    if let Ok(n) = t.parse::<u64>() {
        return Ok(n);
    }
    if let Ok(d) = humantime::parse_duration(t) {
        return Ok(now.saturating_sub(d.as_secs()));
    }
    let full = match t.len() {
        10 => format!("{t} 00:00:00"),
        16 => format!("{t}:00"),
        _ => t.to_owned(),
    };
    parse_utc(&full).ok_or_else(|| {
        format!("cannot read the time {s:?}: give unix seconds, YYYY-MM-DD[ HH:MM[:SS]] (UTC), now, or an age like 7d or 36h")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_times_read_back_as_they_are_written() {
        assert_eq!(utc_text(1_741_882_587), "2025-03-13 16:16:27");
        assert_eq!(parse_utc("2025-03-13 16:16:27"), Some(1_741_882_587));
        assert_eq!(parse_when("2025-03-13", 0), Ok(1_741_824_000));
        assert_eq!(parse_when("2025-03-13 16:16", 0), Ok(1_741_882_560));
        assert_eq!(parse_when("7d", 1_000_000), Ok(1_000_000 - 7 * 86_400));
        assert_eq!(parse_when("now", 5), Ok(5));
        assert!(parse_when("yesterday-ish", 0).is_err());
    }
}
