//! Line-level edits of YAML that may be a Helm template: `{{ … }}` actions are left as they are
//! and a block is found by indentation, as a reader of the template would. Used by the code
//! actions, which add an annotation or a probe field where the template writes the object.

/// The lines of a text, with their byte offsets.
pub struct Lines<'a> {
    pub text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Lines<'a> {
        Lines {
            text,
            starts: source::line_starts(text).collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Line `i` (0-based) without its line break.
    pub fn get(&self, i: usize) -> &'a str {
        let Some(&start) = self.starts.get(i) else {
            return "";
        };
        let end = self.starts.get(i + 1).map_or(self.text.len(), |&e| e);
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }

    /// Leading spaces of line `i`.
    pub fn indent(&self, i: usize) -> usize {
        let line = self.get(i);
        line.len() - line.trim_start_matches(' ').len()
    }

    /// A line that says nothing about structure: blank, a comment, or a template action alone.
    pub fn is_neutral(&self, i: usize) -> bool {
        let line = self.get(i).trim();
        line.is_empty() || line.starts_with('#') || line.starts_with("{{")
    }

    /// The YAML document (between `---` lines) that holds line `i`: its first line and the
    /// line after its last.
    pub fn document(&self, i: usize) -> (usize, usize) {
        let is_separator = |j: usize| self.get(j).starts_with("---");
        let first = (0..=i.min(self.len().saturating_sub(1)))
            .rev()
            .find(|&j| is_separator(j))
            .map_or(0, |j| j + 1);
        let end = (i + 1..self.len())
            .find(|&j| is_separator(j))
            .unwrap_or(self.len());
        (first, end)
    }

    /// The lines nested under line `i` (more indented), up to `end`: the line after the block.
    pub fn block_end(&self, i: usize, end: usize) -> usize {
        let indent = self.indent(i);
        (i + 1..end)
            .find(|&j| !self.is_neutral(j) && self.indent(j) <= indent)
            .unwrap_or(end)
    }

    /// The indentation of the entries under line `i` (its first nested line), else two more.
    pub fn child_indent(&self, i: usize, end: usize) -> usize {
        let block = self.block_end(i, end);
        (i + 1..block)
            .find(|&j| !self.is_neutral(j))
            .map_or(self.indent(i) + 2, |j| self.indent(j))
    }

    /// The line of key `key` directly under line `parent` (or at the top level of the document
    /// when `parent` is `None`), within `[from, end)`.
    pub fn key(&self, parent: Option<usize>, key: &str, from: usize, end: usize) -> Option<usize> {
        let (start, stop, indent) = match parent {
            Some(p) => (p + 1, self.block_end(p, end), self.child_indent(p, end)),
            None => (from, end, 0),
        };
        (start..stop).find(|&j| {
            self.indent(j) == indent && {
                let rest = &self.get(j)[indent..];
                rest.strip_prefix(key).is_some_and(|r| r.starts_with(':'))
            }
        })
    }

    /// Follows `keys` from the top of the document holding line `i`.
    pub fn path(&self, i: usize, keys: &[&str]) -> Option<usize> {
        let (first, end) = self.document(i);
        let mut at: Option<usize> = None;
        for key in keys {
            at = Some(self.key(at, key, first, end)?);
        }
        at
    }

    /// Byte offset of the start of line `i` (the text's end past the last line).
    pub fn start(&self, i: usize) -> usize {
        self.starts.get(i).copied().unwrap_or(self.text.len())
    }
}

/// An insertion or replacement at byte offsets of the text.
#[derive(Debug, PartialEq, Eq)]
pub struct Edit {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

/// Adds `key: value` to the annotations of the mapping at `keys` (`["metadata"]` for the object,
/// `["spec", "template", "metadata"]` for its pods) in the document holding line `i`. An
/// existing `key` gets `value` appended after a comma when `append` (a list of rule ids), and
/// is left alone otherwise. `None` when the template does not write that mapping as YAML.
pub fn annotate(
    lines: &Lines,
    i: usize,
    keys: &[&str],
    key: &str,
    value: &str,
    append: bool,
) -> Option<Edit> {
    let (_, end) = lines.document(i);
    let metadata = lines.path(i, keys)?;
    let child = lines.child_indent(metadata, end);
    let Some(annotations) = lines.key(Some(metadata), "annotations", metadata, end) else {
        let at = lines.start(metadata + 1);
        let pad = " ".repeat(child);
        let text = format!("{pad}annotations:\n{pad}  {key}: {value}\n");
        return Some(Edit {
            start: at,
            end: at,
            text: with_break(lines, metadata, text),
        });
    };
    if let Some(existing) = lines.key(Some(annotations), key, annotations, end) {
        if !append {
            return None;
        }
        let line = lines.get(existing);
        let line_end = lines.start(existing) + line.len();
        let before_quote = usize::from(line.ends_with('"') || line.ends_with('\''));
        let at = line_end - before_quote;
        return Some(Edit {
            start: at,
            end: at,
            text: format!(",{value}"),
        });
    }
    let pad = " ".repeat(lines.child_indent(annotations, end));
    let at = lines.start(annotations + 1);
    let text = format!("{pad}{key}: {value}\n");
    Some(Edit {
        start: at,
        end: at,
        text: with_break(lines, annotations, text),
    })
}

/// Text inserted after the last line of a text without a final line break starts a new line.
fn with_break(lines: &Lines, after: usize, text: String) -> String {
    if after + 1 >= lines.len() && !lines.text.ends_with('\n') {
        format!("\n{}", text.trim_end_matches('\n'))
    } else {
        text
    }
}

/// Sets the child `key` of the block at line `block` to `value`: its value replaced, or a new
/// line at the top of the block.
pub fn set_child(lines: &Lines, block: usize, key: &str, value: &str) -> Edit {
    let (_, end) = lines.document(block);
    if let Some(line) = lines.key(Some(block), key, block, end) {
        let text = lines.get(line);
        let colon = text.find(':').map_or(text.len(), |c| c + 1);
        let start = lines.start(line) + colon;
        return Edit {
            start,
            end: lines.start(line) + text.len(),
            text: format!(" {value}"),
        };
    }
    let pad = " ".repeat(lines.child_indent(block, end));
    let at = lines.start(block + 1);
    Edit {
        start: at,
        end: at,
        text: with_break(lines, block, format!("{pad}{key}: {value}\n")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(text: &str, edit: Edit) -> String {
        format!("{}{}{}", &text[..edit.start], edit.text, &text[edit.end..])
    }

    const TEMPLATE: &str = "\
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: {{ include \"x\" . }}
  labels:
    {{- include \"labels\" . | nindent 4 }}
spec:
  storageClassName: standard
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    rollguard.dev/ignore: \"missing-readiness-probe\"
spec:
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          livenessProbe:
            httpGet: {path: /, port: 80}
            initialDelaySeconds: {{ .Values.delay }}
";

    #[test]
    fn an_annotation_goes_into_the_right_document_and_block() {
        let lines = Lines::new(TEMPLATE);
        let edit = annotate(
            &lines,
            7,
            &["metadata"],
            "helm.sh/resource-policy",
            "keep",
            false,
        )
        .unwrap();
        let out = apply(TEMPLATE, edit);
        assert!(
            out.contains("metadata:\n  annotations:\n    helm.sh/resource-policy: keep\n  name:"),
            "{out}"
        );

        let edit = annotate(
            &lines,
            12,
            &["metadata"],
            "rollguard.dev/ignore",
            "liveness-kills-before-startup",
            true,
        )
        .unwrap();
        let out = apply(TEMPLATE, edit);
        assert!(
            out.contains(
                "rollguard.dev/ignore: \"missing-readiness-probe,liveness-kills-before-startup\"\n"
            ),
            "{out}"
        );

        let edit = annotate(
            &lines,
            20,
            &["spec", "template", "metadata"],
            "checksum/config",
            "abc",
            false,
        )
        .unwrap();
        let out = apply(TEMPLATE, edit);
        assert!(out.contains("    metadata:\n      annotations:\n        checksum/config: abc\n      labels: {app: web}"), "{out}");
    }

    #[test]
    fn a_probe_field_is_replaced_or_added() {
        let lines = Lines::new(TEMPLATE);
        let probe = 22;
        assert_eq!(lines.get(probe).trim(), "livenessProbe:");
        let out = apply(
            TEMPLATE,
            set_child(&lines, probe, "initialDelaySeconds", "60"),
        );
        assert!(
            out.ends_with("            initialDelaySeconds: 60\n"),
            "{out}"
        );
        let out = apply(TEMPLATE, set_child(&lines, probe, "periodSeconds", "5"));
        assert!(
            out.contains(
                "          livenessProbe:\n            periodSeconds: 5\n            httpGet"
            ),
            "{out}"
        );
    }
}
