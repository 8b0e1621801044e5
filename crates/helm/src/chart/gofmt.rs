//! Go's `strconv.FormatFloat(f, 'g', -1, bits)`: how sigs.k8s.io/yaml turns a YAML number into a
//! string when the target is a string (Chart.yaml `appVersion: 1.10` becomes `"1.1"`) and how it
//! names a map key that YAML read as a float.

/// Shortest representation that round-trips at the given precision (`f32` when `single`), laid
/// out as Go's `%g` does: exponent form when the decimal exponent is below -4 or at least 6.
pub fn format_g(f: f64, single: bool) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    // Rust's `{:e}` prints the shortest round-trip digits: "-1.2345e8", "0e0".
    let sci = if single {
        format!("{:e}", f as f32)
    } else {
        format!("{f:e}")
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (neg, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if !(-4..6).contains(&exp) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.abs()));
    } else if exp < 0 {
        out.push_str("0.");
        out.push_str(&"0".repeat((-exp - 1) as usize));
        out.push_str(&digits);
    } else {
        let point = exp as usize + 1;
        if digits.len() <= point {
            out.push_str(&digits);
            out.push_str(&"0".repeat(point - digits.len()));
        } else {
            out.push_str(&digits[..point]);
            out.push('.');
            out.push_str(&digits[point..]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::format_g;

    #[test]
    fn matches_go_shortest_g() {
        assert_eq!(format_g(1.1, true), "1.1");
        assert_eq!(format_g(1.0, true), "1");
        assert_eq!(format_g(1e6, true), "1e+06");
        assert_eq!(format_g(123456789.0, true), "1.2345679e+08");
        assert_eq!(format_g(123456789.0, false), "1.23456789e+08");
        assert_eq!(format_g(123456.0, false), "123456");
        assert_eq!(format_g(0.0001, false), "0.0001");
        assert_eq!(format_g(0.00001, false), "1e-05");
        assert_eq!(format_g(-2.5, false), "-2.5");
        assert_eq!(format_g(0.0, false), "0");
        assert_eq!(format_g(2.75, true), "2.75");
    }
}
