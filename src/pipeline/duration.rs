//! Go durations (`5m`, `1h30m`, `90s`, `2.5m`): the format of helm's `--timeout` and Flux's
//! `spec.timeout`.

/// Whole seconds (rounded up) of a Go duration; `None` when it is not one or is negative. A
/// bare number is not a Go duration: Helm 3 and 4 reject `--timeout 600`.
pub fn parse_go_duration(text: &str) -> Option<i64> {
    let nanos = helm::duration::parse(text.trim()).filter(|n| *n >= 0)?;
    let seconds = nanos.checked_add(999_999_999)?.div_euclid(1_000_000_000);
    (0..1_000_000_000_000)
        .contains(&seconds)
        .then_some(seconds as i64)
}

/// `300` → `5m`, `330` → `5m30s`, for messages.
pub fn format_seconds(seconds: i64) -> String {
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("5m"), Some(300));
        assert_eq!(parse_go_duration("1h30m"), Some(5400));
        assert_eq!(parse_go_duration("2.5m"), Some(150));
        assert_eq!(parse_go_duration("1500ms"), Some(2));
        assert_eq!(parse_go_duration("600"), None);
        assert_eq!(parse_go_duration("10x"), None);
        assert_eq!(parse_go_duration("-5m"), None);
        assert_eq!(parse_go_duration("-1ns"), None);
        assert_eq!(parse_go_duration("1ns"), Some(1));
        assert_eq!(format_seconds(330), "5m30s");
        assert_eq!(format_seconds(3600), "1h");
    }
}
