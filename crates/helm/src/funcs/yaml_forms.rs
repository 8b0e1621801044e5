//! The plain-scalar forms go-yaml v2 resolves to sexagesimal numbers and timestamps, which
//! `toYaml` must quote (floats: [`source::yaml::scalar::is_float_form`]). Hand-written matchers: `toYaml` tests every string it writes, and a compiled regex
//! costs more to build in a short process than all the matching it would do.

/// A cursor over ASCII bytes.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn new(s: &str) -> Cursor<'_> {
        Cursor {
            bytes: s.as_bytes(),
            at: 0,
        }
    }

    /// Takes one byte of `set`.
    fn eat(&mut self, set: &[u8]) -> bool {
        let hit = self.bytes.get(self.at).is_some_and(|b| set.contains(b));
        self.at += usize::from(hit);
        hit
    }

    /// Takes a run of bytes for which `f` holds; returns its length.
    fn run(&mut self, f: impl Fn(u8) -> bool) -> usize {
        let n = self.bytes[self.at..].iter().take_while(|&&b| f(b)).count();
        self.at += n;
        n
    }

    fn digits(&mut self) -> usize {
        self.run(|b| b.is_ascii_digit())
    }

    fn done(&self) -> bool {
        self.at == self.bytes.len()
    }
}

/// Sexagesimal numbers: `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`
pub(super) fn is_base60(s: &str) -> bool {
    let mut c = Cursor::new(s);
    c.eat(b"-+");
    if c.digits() == 0 {
        return false;
    }
    c.run(|b| b.is_ascii_digit() || b == b'_');
    let mut groups = 0;
    while c.eat(b":") {
        let start = c.at;
        match c.digits() {
            1 => {}
            2 if c.bytes[start] <= b'5' => {}
            _ => return false,
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if c.eat(b".") {
        c.run(|b| b.is_ascii_digit() || b == b'_');
    }
    c.done()
}

/// go-yaml v2's timestamp forms: `2006-1-2`, with an optional time part:
/// `^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]| )[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]+)?(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?)?)?$`
pub(super) fn is_timestamp(s: &str) -> bool {
    let mut c = Cursor::new(s);
    let one_or_two = |c: &mut Cursor| (1..=2).contains(&c.digits());
    let date =
        c.digits() == 4 && c.eat(b"-") && one_or_two(&mut c) && c.eat(b"-") && one_or_two(&mut c);
    if !date {
        return false;
    }
    if c.done() {
        return true;
    }
    let time = c.eat(b"Tt ")
        && one_or_two(&mut c)
        && c.eat(b":")
        && one_or_two(&mut c)
        && c.eat(b":")
        && one_or_two(&mut c);
    if !time {
        return false;
    }
    if c.eat(b".") && c.digits() == 0 {
        return false;
    }
    if c.eat(b"-+") {
        if !one_or_two(&mut c) {
            return false;
        }
        if c.eat(b":") && c.digits() != 2 {
            return false;
        }
    } else {
        c.eat(b"Z");
    }
    c.done()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use regex::Regex;

    fn forms() -> impl Strategy<Value = String> {
        let piece = prop::sample::select(vec![
            "0", "1", "5", "6", "9", "12", "2024", "_", ".", ":", "-", "+", "e", "E", "T", "t",
            " ", "Z", "x",
        ]);
        prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
    }

    proptest! {
        /// Each matcher accepts exactly what the regular expression in its documentation does.
        #[test]
        fn matchers_agree_with_their_regexes(s in forms()) {
            let float = Regex::new(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$").unwrap();
            let base60 = Regex::new(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$").unwrap();
            let timestamp = Regex::new(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]| )[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]+)?(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?)?)?$").unwrap();
            prop_assert_eq!(source::yaml::scalar::is_float_form(&s), float.is_match(&s));
            prop_assert_eq!(is_base60(&s), base60.is_match(&s));
            prop_assert_eq!(is_timestamp(&s), timestamp.is_match(&s));
        }
    }

    #[test]
    fn known_forms() {
        let is_float = source::yaml::scalar::is_float_form;
        assert!(is_float("-1.5e10") && is_float(".5") && is_float("3.") && !is_float("1e"));
        assert!(is_base60("190:20:30") && is_base60("1:59.5") && !is_base60("1:60"));
        assert!(is_timestamp("2001-12-14t21:59:43.10-05:00") && is_timestamp("2002-12-14"));
        assert!(!is_timestamp("2002-12-14 21:59") && !is_timestamp("20021-12-14"));
    }
}
