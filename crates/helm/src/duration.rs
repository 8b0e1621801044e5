//! Go's `time.ParseDuration`, shared by the template functions (`dateModify`, `durationRound`)
//! and the pipeline readers (`helm --timeout`, Flux `spec.timeout`).

/// Go's `time.ParseDuration`, in nanoseconds.
pub fn parse(s: &str) -> Option<i128> {
    let (neg, mut rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let num_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let num: f64 = rest[..num_end].parse().ok()?;
        rest = &rest[num_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_end] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[unit_end..];
        total += num * unit;
    }
    Some(if neg { -(total as i128) } else { total as i128 })
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn go_duration_syntax() {
        assert_eq!(parse("1h30m"), Some(5_400_000_000_000));
        assert_eq!(parse("-1.5h"), Some(-5_400_000_000_000));
        assert_eq!(parse("300ms"), Some(300_000_000));
        assert_eq!(parse("2µs"), Some(2_000));
        assert_eq!(parse("+0"), Some(0));
        for bad in ["", "5", "1x", "h", "-"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
