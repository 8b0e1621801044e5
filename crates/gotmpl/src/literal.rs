//! What a template can write whatever its data: the literal text of a template none of whose
//! actions prints a value. A caller uses it to tell that no render of the template, on any
//! branch, can write more than that text.

use crate::parse::{Arg, Node, Pipe};

/// The literal text pieces of `nodes` (every branch), or `None` when an action may print a
/// value or a `template` call may write another template's text. Actions that only declare or
/// assign variables print nothing, and neither does a pipeline ending in a function `silent`
/// accepts (one that fails or returns nothing).
pub(crate) fn pieces<'a>(
    src: &'a str,
    nodes: &[Node],
    silent: &dyn Fn(&str) -> bool,
    out: &mut Vec<&'a str>,
) -> Option<()> {
    for node in nodes {
        match node {
            Node::Text { start, end } => out.push(src.get(*start as usize..*end as usize)?),
            Node::Action(pipe) if prints(pipe, silent) => return None,
            Node::Action(_) | Node::Break | Node::Continue => {}
            Node::If(b) | Node::With(b) | Node::Range(b) => {
                pieces(src, &b.list, silent, out)?;
                if let Some(other) = &b.else_list {
                    pieces(src, other, silent, out)?;
                }
            }
            Node::Template(_) => return None,
        }
    }
    Some(())
}

fn prints(pipe: &Pipe, silent: &dyn Fn(&str) -> bool) -> bool {
    if pipe.is_assign || !pipe.decl.is_empty() {
        return false;
    }
    let last = pipe.cmds.last().and_then(|c| c.args.first());
    !matches!(last, Some(Arg::Identifier { name, .. }) if silent(name))
}

#[cfg(test)]
mod tests {
    use crate::Engine;

    fn literal(text: &str) -> Option<Vec<String>> {
        let mut engine = Engine::new();
        engine.add_template("t", text).unwrap();
        engine
            // Which functions write nothing is the caller's knowledge (Helm's `fail`); a
            // builtin stands in for one here.
            .literal_text("t", &|f| f == "len")
            .map(|pieces| pieces.into_iter().map(String::from).collect())
    }

    #[test]
    fn only_templates_whose_actions_print_nothing_have_a_literal_text() {
        assert_eq!(
            literal("a{{ if .x }}b{{ else }}c{{ end }}{{ $v := .y }}{{ len .z }}"),
            Some(vec!["a".into(), "b".into(), "c".into()])
        );
        assert_eq!(literal("a{{ .x }}"), None);
        assert_eq!(
            literal("{{ define \"d\" }}x{{ end }}{{ template \"d\" }}"),
            None
        );
        assert_eq!(literal("{{ range .x }}{{ print . }}{{ end }}"), None);
    }
}
