//! Go durations (`5m`, `1h30m`, `90s`, `2.5m`): the format of helm's `--timeout` and Flux's
//! `spec.timeout`.

/// Whole seconds (rounded up) of a Go duration; `None` when it is not one. A bare number is not
/// a Go duration: Helm 3 and 4 reject `--timeout 600`.
pub fn parse_go_duration(text: &str) -> Option<i64> {
    let text = text.trim();
    if text == "0" {
        return Some(0);
    }
    let mut rest = text.strip_prefix('+').unwrap_or(text);
    if rest.is_empty() || rest.starts_with('-') {
        return None;
    }
    let mut nanos: f64 = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "h" => 3.6e12,
            "m" => 6e10,
            "s" => 1e9,
            "ms" => 1e6,
            "us" | "µs" | "μs" => 1e3,
            "ns" => 1.0,
            _ => return None,
        };
        rest = &rest[unit_len..];
        nanos += number * scale;
    }
    let seconds = (nanos / 1e9).ceil();
    (seconds < 1e12).then_some(seconds as i64)
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
        assert_eq!(format_seconds(330), "5m30s");
        assert_eq!(format_seconds(3600), "1h");
    }
}
