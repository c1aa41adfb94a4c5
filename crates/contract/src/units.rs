//! One grammar for rates and durations, on every flag and in every experiment file.
//!
//! - duration: a number and a unit, `250us`, `100ms`, `30s`, `1.5s`, `2m` (or `2min`), `1h`; a bare number
//!   is seconds.
//! - rate: `N` per second, or `N/<period>` where the period is a unit (`2/s`, `30/m`, `30/min`, `1/h`) or a
//!   duration (`1/100ms`, `3/5s`).
//!
//! Range checks (a ticker's maximum, a publish rate's) belong to the flag, not to the grammar.

use std::time::Duration;

/// Parses a duration (see the module docs).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    duration(s.trim()).map_err(|why| format!("{s:?}: {why}"))
}

/// Parses a rate into events per second (see the module docs).
pub fn parse_rate(s: &str) -> Result<f64, String> {
    let (count, per) = s.split_once('/').unwrap_or((s, "s"));
    let count: f64 =
        count.trim().parse().map_err(|_| format!("{s:?}: expected a rate like 2/s, 30/min, 1/100ms or 0"))?;
    // A bare unit means one of it: `/s` is `/1s`.
    let per = per.trim();
    let period = if per.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        duration(per)
    } else {
        duration(&format!("1{per}"))
    };
    // The error quotes what was typed (`"1/fortnight"`), not the `1fortnight` read in its place.
    let period = period.map_err(|why| format!("{s:?}: {why}"))?;
    if !(count.is_finite() && count >= 0.0) || period.is_zero() {
        return Err(format!("{s:?}: a rate is a count >= 0 per a positive period"));
    }
    Ok(count / period.as_secs_f64())
}

/// [`parse_duration`] of trimmed text, with an error that does not repeat the text.
fn duration(s: &str) -> Result<Duration, String> {
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let value: f64 = num.parse().map_err(|_| "expected a number with a unit (100ms, 30s, 2m)".to_owned())?;
    let scale = match unit.trim() {
        "" | "s" | "sec" => 1.0,
        "ms" => 1e-3,
        "us" | "µs" => 1e-6,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        other => return Err(format!("unknown unit {other:?} (use us, ms, s, m or h)")),
    };
    let secs = value * scale;
    if !secs.is_finite() || secs < 0.0 {
        return Err("must be a non-negative duration".to_owned());
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("100ms").unwrap(), Duration::from_millis(100));
        assert_eq!(parse_duration("250us").unwrap(), Duration::from_micros(250));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("2min").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("1.5").unwrap(), Duration::from_millis(1500));
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("10 parsecs").is_err());
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn rates() {
        assert_eq!(parse_rate("1/s").unwrap(), 1.0);
        assert_eq!(parse_rate("5").unwrap(), 5.0);
        assert_eq!(parse_rate("0").unwrap(), 0.0);
        assert_eq!(parse_rate("30/m").unwrap(), 0.5);
        assert_eq!(parse_rate("30/min").unwrap(), 0.5);
        assert_eq!(parse_rate("36/h").unwrap(), 0.01);
        assert_eq!(parse_rate("1/100ms").unwrap(), 10.0);
        assert_eq!(parse_rate("3/5s").unwrap(), 0.6);
        assert!(parse_rate("-1/s").is_err());
        assert!(parse_rate("x/s").is_err());
        assert!(parse_rate("1/0s").is_err());
        assert_eq!(
            parse_rate("1/fortnight").unwrap_err(),
            r#""1/fortnight": unknown unit "fortnight" (use us, ms, s, m or h)"#
        );
        assert_eq!(
            parse_duration("10 parsecs").unwrap_err(),
            r#""10 parsecs": unknown unit "parsecs" (use us, ms, s, m or h)"#
        );
    }
}
