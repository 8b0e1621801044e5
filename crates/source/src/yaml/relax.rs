//! go-yaml (and so Kubernetes and Helm) accepts flow collections whose continuation lines are
//! not indented past their key, which real charts render:
//!
//! ```yaml
//!           command: [ "/bin/sh",
//!           "-ce", "run" ]
//! ```
//!
//! A strict YAML 1.2 parser refuses that. When a text fails to parse, this pass indents such
//! continuation lines one column past their key and records the shift per line, so positions
//! can be mapped back to the original text.

/// The relaxed text and the number of spaces inserted at the start of each line.
pub struct Relaxed {
    pub text: String,
    pub shift: Vec<usize>,
}

/// `None` when no line needed indenting (the failure lies elsewhere).
pub fn relax_flow_indentation(text: &str) -> Option<Relaxed> {
    let mut out = String::with_capacity(text.len() + 64);
    let mut shift = Vec::new();
    let mut depth = 0usize;
    let mut opener_indent = 0usize;
    let mut quote: Option<char> = None;
    let mut changed = false;
    for line in text.split_inclusive('\n') {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let mut inserted = 0;
        if depth > 0 && quote.is_none() && indent <= opener_indent && !line.trim().is_empty() {
            inserted = opener_indent + 1 - indent;
            out.extend(std::iter::repeat_n(' ', inserted));
            changed = true;
        }
        shift.push(inserted);
        out.push_str(line);
        scan_line(line, indent, &mut depth, &mut opener_indent, &mut quote);
    }
    changed.then_some(Relaxed { text: out, shift })
}

/// Tracks flow nesting through one line. A flow collection opens only where a value can
/// start (after `: `, `- `, or at the start of the line) or inside another flow collection,
/// so brackets inside plain scalars (`key: a[0]`) are not counted.
fn scan_line(
    line: &str,
    indent: usize,
    depth: &mut usize,
    opener_indent: &mut usize,
    quote: &mut Option<char>,
) {
    let mut prev = ' ';
    let mut value_start = true;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match *quote {
            Some('\'') if c == '\'' => {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                } else {
                    *quote = None;
                }
            }
            Some('"') if c == '\\' => {
                chars.next();
            }
            Some('"') if c == '"' => *quote = None,
            Some(_) => {}
            None => match c {
                '#' if prev == ' ' || prev == '\t' => return,
                '\'' | '"' if value_start || *depth > 0 => *quote = Some(c),
                '[' | '{' if value_start || *depth > 0 => {
                    if *depth == 0 {
                        *opener_indent = indent;
                    }
                    *depth += 1;
                }
                ']' | '}' if *depth > 0 => *depth -= 1,
                _ => {}
            },
        }
        value_start = match c {
            ' ' | '\t' => value_start || prev == ':' || prev == '-' || prev == ',',
            _ => false,
        };
        prev = c;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indents_flow_continuations_past_their_key() {
        let text = "spec:\n  command: [ \"/bin/sh\",\n  \"-ce\",\n  \"run\" ]\n  other: x\n";
        let r = relax_flow_indentation(text).unwrap();
        assert_eq!(
            r.text,
            "spec:\n  command: [ \"/bin/sh\",\n   \"-ce\",\n   \"run\" ]\n  other: x\n"
        );
        assert_eq!(r.shift, [0, 0, 1, 1, 0]);
    }

    #[test]
    fn brackets_in_scalars_and_quotes_do_not_count() {
        assert!(relax_flow_indentation("a: x[0\nb: '[' \nc: \"{\"\n").is_none());
    }
}
