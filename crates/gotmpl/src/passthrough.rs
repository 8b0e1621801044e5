//! Provenance of text an `include` wrote and an action passed on to the output
//! (`{{ include "app.container" . | nindent 8 }}`). The action prints a string its pipeline
//! built; the lines of that string that are lines the `include`d template wrote (re-indented,
//! trimmed) keep the provenance that template's own trace gave them: a finding on a container
//! written by a helper then points at the helper's line, not at the `include` call.

use super::parse::Tree;

/// One trace entry: from output offset `.0` on, the text came from position `.2` of template
/// `.1` (a byte offset in its source).
pub(crate) type Mark<'a> = (usize, &'a Tree, u32);

/// What one traced `include` returned, and its trace (offsets into `text`).
pub(crate) struct Included<'a> {
    pub text: String,
    pub trace: Vec<Mark<'a>>,
}

/// Bytes of `include` output one pipeline keeps for matching. A helper's output is a few
/// kilobytes; past this, printed text keeps the `include` call as its provenance.
pub(crate) const MAX_KEPT: usize = 1 << 20;
/// `include` calls one pipeline keeps: a pipeline writes a handful, and a chart that makes
/// more costs no more than this.
pub(crate) const MAX_INCLUDES: usize = 64;

/// How many lines past the last match a printed line may be found at. Pipelines re-indent and
/// trim, which keeps lines in order; one that reorders (`fromYaml | toYaml`) is not followed.
const WINDOW: usize = 8;

/// Traces `printed` (the text an action just wrote at output offset `at`, whose own
/// provenance is the action at `action` of `tree`) back into `included`: every printed line
/// that is a whole output line and reads as a line of an included text (leading white space
/// aside) gets that line's marks, shifted to where it now stands; the rest of the printed text
/// stays the action's. `line_start`: the printed text starts a line of the output.
pub(crate) fn trace<'a>(
    printed: &str,
    at: usize,
    line_start: bool,
    included: &[Included<'a>],
    action: (&'a Tree, u32),
    out: &mut Vec<Mark<'a>>,
) {
    // The usual case, `name: {{ include "app.fullname" . }}`: no whole line printed.
    if !line_start && !printed.contains('\n') {
        return;
    }
    let written: Vec<(&Included<'a>, usize, &str)> = included
        .iter()
        .flat_map(|inc| lines(&inc.text).map(move |(start, content)| (inc, start, content)))
        .filter(|(_, _, content)| !content.is_empty())
        .collect();
    let mut next = 0;
    for (i, (start, content)) in lines(printed).enumerate() {
        if content.is_empty() || (i == 0 && !line_start) {
            continue;
        }
        let window = next..written.len().min(next + WINDOW);
        let Some(found) = written[window.clone()].iter().position(|l| l.2 == content) else {
            continue;
        };
        let (inc, from, _) = written[window.start + found];
        next = window.start + found + 1;
        let to = at + start;
        shift_marks(inc, from, content.len(), to, out);
        // What follows the line (its end, lines not found) is the action's again.
        out.push((to + content.len(), action.0, action.1));
    }
}

/// The lines of `text`: where each one's content starts (after leading blanks) and the
/// content, trailing blanks cut.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut start = 0;
    text.split_inclusive('\n').map(move |line| {
        let at = start;
        start += line.len();
        let body = line.trim_end();
        let content = body.trim_start_matches([' ', '\t']);
        (at + body.len() - content.len(), content)
    })
}

/// Copies the marks that cover `len` bytes of `inc.text` from `from` to output offset `to`.
fn shift_marks<'a>(
    inc: &Included<'a>,
    from: usize,
    len: usize,
    to: usize,
    out: &mut Vec<Mark<'a>>,
) {
    let first = inc.trace.partition_point(|m| m.0 <= from);
    // The mark in force where the line's content starts: literal template text moves along
    // with it; an action's output keeps pointing at the action.
    if let Some(&(offset, tree, pos)) = first.checked_sub(1).and_then(|i| inc.trace.get(i)) {
        let skipped = &inc.text[offset..from];
        let literal = tree
            .src
            .get(pos as usize..)
            .is_some_and(|src| src.starts_with(skipped));
        let pos = if literal {
            pos + skipped.len() as u32
        } else {
            pos
        };
        out.push((to, tree, pos));
    }
    for &(offset, tree, pos) in inc.trace[first..].iter().take_while(|m| m.0 < from + len) {
        out.push((to + offset - from, tree, pos));
    }
}

#[cfg(test)]
mod tests {
    use crate::value::Value;
    use crate::{Engine, Func, Param, Segment, Shared};

    /// An engine with `include` and `indent` as a host (Helm) defines them.
    fn engine(src: &str) -> Engine {
        let mut e = Engine::new();
        e.register(
            "include",
            Func::new(&[Param::Str, Param::Any], None, |ctx, a| {
                let name = a[0].as_str().unwrap_or_default().to_string();
                ctx.execute_template(&name, a[1].clone()).map(Value::string)
            }),
        );
        e.register(
            "indent",
            Func::new(&[Param::Int, Param::Str], None, |_, a| {
                let (Value::Int(n, _), Some(s)) = (&a[0], a[1].as_str()) else {
                    return Err("indent N TEXT".into());
                };
                let pad = " ".repeat(*n as usize);
                Ok(Value::string(format!(
                    "{pad}{}",
                    s.replace('\n', &format!("\n{pad}"))
                )))
            }),
        );
        e.add_template("t", src).unwrap();
        e
    }

    fn origin(out: &str, segments: &[Segment], needle: &str) -> (usize, usize) {
        let offset = out.find(needle).unwrap();
        let seg = segments.iter().rev().find(|s| s.offset <= offset).unwrap();
        (seg.line, seg.column)
    }

    #[test]
    fn reindented_lines_keep_the_included_templates_positions() {
        let src = "{{ define \"c\" }}- name: a\n  image: {{ .img }}\n{{ end }}\nspec:\n{{ include \"c\" . | indent 2 }}\nname: {{ include \"c\" . }}";
        let e = engine(src);
        let dot = Value::map([("img".to_string(), Value::str("x:1"))].into());
        let (out, segments) = e.execute_traced(&Shared::new(&e.limits), "t", dot).unwrap();
        assert!(
            out.starts_with("\nspec:\n  - name: a\n    image: x:1\n"),
            "{out:?}"
        );
        // Literal text at its own column; a value at the action that printed it.
        assert_eq!(origin(&out, &segments, "- name: a"), (1, 17));
        assert_eq!(origin(&out, &segments, "image: x:1"), (2, 3));
        assert_eq!(origin(&out, &segments, "x:1"), (2, 13));
        // Written in the middle of the caller's line: the call.
        let second = out.rfind("- name: a").unwrap();
        let seg = segments.iter().rev().find(|s| s.offset <= second).unwrap();
        assert_eq!((seg.line, seg.column), (6, 10));
    }
}
