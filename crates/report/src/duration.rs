//! Spans of time as users type them: `30m`, `12h`, `7d`, `2w`.

use std::fmt;

const SECOND_MS: u64 = 1_000;
const UNITS: [(char, u64); 5] = [
    ('s', SECOND_MS),
    ('m', 60 * SECOND_MS),
    ('h', 3_600 * SECOND_MS),
    ('d', 86_400 * SECOND_MS),
    ('w', 7 * 86_400 * SECOND_MS),
];

/// A span of time, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span {
    pub ms: u64,
}

impl Span {
    pub fn days(days: u64) -> Span {
        Span {
            ms: days.saturating_mul(86_400 * SECOND_MS),
        }
    }

    /// The instant this long before `now_ms` (never before the epoch's far past).
    pub fn before(self, now_ms: i64) -> i64 {
        now_ms.saturating_sub(i64::try_from(self.ms).unwrap_or(i64::MAX))
    }
}

/// A duration that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DurationError {
    pub input: String,
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid duration '{}': expected a whole number and a unit, s m h d or w (30m, 12h, 7d, 2w)",
            self.input
        )
    }
}

impl std::error::Error for DurationError {}

/// Reads `<number><unit>`: one whole number (no sign, no fraction) and one of `s`, `m`, `h`,
/// `d`, `w`. Zero is allowed (`0d`: everything up to now).
pub fn parse_duration(input: &str) -> Result<Span, DurationError> {
    let bad = || DurationError {
        input: input.to_owned(),
    };
    let text = input.trim();
    let unit = text.chars().last().ok_or_else(bad)?;
    let number = &text[..text.len() - unit.len_utf8()];
    let (_, unit_ms) = UNITS.iter().find(|(u, _)| *u == unit).ok_or_else(bad)?;
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n: u64 = number.parse().map_err(|_| bad())?;
    let ms = n.checked_mul(*unit_ms).ok_or_else(bad)?;
    // Beyond i64 milliseconds no instant can be computed from it.
    if i64::try_from(ms).is_err() {
        return Err(bad());
    }
    Ok(Span { ms })
}

/// `2h 05m`, `3m 20s`, `45s`, `3d 4h`: two units at most, for people.
pub fn format_span(ms: u64) -> String {
    let secs = ms / SECOND_MS;
    let (d, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3_600,
        secs % 3_600 / 60,
        secs % 60,
    );
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m:02}m")
    } else if m > 0 {
        format!("{m}m {s:02}s")
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_unit() {
        assert_eq!(parse_duration("30m").unwrap().ms, 30 * 60_000);
        assert_eq!(parse_duration("12h").unwrap().ms, 12 * 3_600_000);
        assert_eq!(parse_duration("7d").unwrap().ms, 7 * 86_400_000);
        assert_eq!(parse_duration("2w").unwrap().ms, 14 * 86_400_000);
        assert_eq!(parse_duration("90s").unwrap().ms, 90_000);
        assert_eq!(parse_duration("0d").unwrap().ms, 0);
        assert_eq!(parse_duration(" 7d ").unwrap(), Span::days(7));
    }

    #[test]
    fn refuses_what_is_not_a_number_and_a_unit() {
        for bad in [
            "",
            "d",
            "7",
            "7x",
            "7D",
            "-7d",
            "+7d",
            "1.5h",
            "7 d",
            "7dd",
            "d7",
            "7d3h",
            "abc",
            "7é",
            "9999999999999999999w",
            "99999999999999w",
        ] {
            let err = parse_duration(bad).unwrap_err();
            assert_eq!(err.input, bad);
            assert!(err.to_string().contains("30m, 12h, 7d, 2w"), "{err}");
        }
    }

    #[test]
    fn a_span_before_now_saturates() {
        assert_eq!(Span::days(1).before(86_400_000), 0);
        assert_eq!(Span { ms: u64::MAX }.before(0), -i64::MAX);
    }

    #[test]
    fn formats_for_people() {
        assert_eq!(format_span(0), "0s");
        assert_eq!(format_span(45_999), "45s");
        assert_eq!(format_span(200_000), "3m 20s");
        assert_eq!(format_span(7_500_000), "2h 05m");
        assert_eq!(format_span(3 * 86_400_000 + 4 * 3_600_000), "3d 4h");
    }
}
