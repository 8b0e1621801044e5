//! Builds [`Node`] trees from saphyr-parser's event stream.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, ScanError};

use super::fast;

use super::relax::relax_flow_indentation;
use super::{Kind, Node, Scalar, Style, YamlError};
use crate::Span;

/// Nodes an alias expansion may create in one parse: guards against "billion laughs" input.
const MAX_ALIAS_NODES: usize = 1_000_000;
/// Nesting depth of collections.
const MAX_DEPTH: usize = 512;

/// Where a parsed text sits inside its file, so spans are file positions.
#[derive(Debug, Clone, Copy, Default)]
pub struct Origin {
    pub offset: usize,
    /// Lines before the text (0 when it starts the file).
    pub line: u32,
}

/// Parses every document of a YAML stream. Documents with no content are left out.
pub fn parse_documents(text: &str, origin: Origin) -> Result<Vec<Node>, YamlError> {
    // YAML forbids control characters; the parser would report a NUL as the end of the stream,
    // far from where it is.
    if let Some(at) = memchr::memchr(0, text.as_bytes()) {
        return Err(nul_error(text, at, origin));
    }
    if let Some(docs) = fast_reading(text, origin) {
        return Ok(docs);
    }
    let strict = Builder::new(text, text, &[], origin).run();
    match strict {
        Err(err) => match relax_flow_indentation(text) {
            Some(relaxed) => Builder::new(&relaxed.text, text, &relaxed.shift, origin)
                .run()
                .map_err(|_| err),
            None => Err(err),
        },
        ok => ok,
    }
}

fn nul_error(text: &str, at: usize, origin: Origin) -> YamlError {
    let before = &text[..at];
    let line_start = memchr::memrchr(b'\n', before.as_bytes()).map_or(0, |i| i + 1);
    let line = memchr::memchr_iter(b'\n', before.as_bytes()).count() as u32;
    YamlError {
        message: "NUL byte: control characters are not allowed in YAML".into(),
        span: Span {
            start: origin.offset + at,
            end: origin.offset + at + 1,
            line: origin.line + line + 1,
            col: before[line_start..].chars().count() as u32 + 1,
        },
    }
}

/// Parses a text expected to hold at most one document; `None` when it holds none.
pub fn parse_single(text: &str, origin: Origin) -> Result<Option<Node>, YamlError> {
    let mut docs = parse_documents(text, origin)?;
    if docs.len() > 1 {
        let span = docs[1].span;
        return Err(YamlError {
            message: "expected a single YAML document, found several".into(),
            span,
        });
    }
    Ok(docs.pop())
}

enum Open {
    Seq {
        items: Vec<Node>,
        start: Span,
        anchor: usize,
    },
    Map {
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
        start: Span,
        anchor: usize,
    },
}

struct Builder<'a> {
    /// What the parser reads: the original text, or a relaxed copy of it.
    parsed: &'a str,
    /// The text positions refer to.
    original: &'a str,
    /// Byte offset in `original` where each line starts.
    line_starts: Vec<usize>,
    /// Whether all of `original` is ASCII: then a column is a byte offset on every line, and
    /// no line needs checking (most texts; checking them up front cost as much as the parse).
    ascii: bool,
    /// Whether markers' indexes are byte offsets in `original` (the fast reader's are; saphyr's
    /// count characters): then `line_starts` is not needed.
    byte_index: bool,
    /// Spaces inserted at the start of each line of `parsed` (empty: none).
    shift: &'a [usize],
    origin: Origin,
    stack: Vec<Open>,
    anchors: HashMap<usize, Node>,
    alias_budget: usize,
    docs: Vec<Node>,
}

impl<'a> Builder<'a> {
    fn new(parsed: &'a str, original: &'a str, shift: &'a [usize], origin: Origin) -> Self {
        Builder {
            line_starts: crate::line_starts(original).collect(),
            ascii: original.is_ascii(),
            ..Builder::empty(parsed, original, shift, origin)
        }
    }

    /// A builder for the fast reader's events, whose markers hold byte offsets.
    fn for_fast_events(text: &'a str, origin: Origin) -> Self {
        Builder {
            byte_index: true,
            ..Builder::empty(text, text, &[], origin)
        }
    }

    /// A builder that has read nothing, without the line table markers are converted with.
    fn empty(parsed: &'a str, original: &'a str, shift: &'a [usize], origin: Origin) -> Self {
        Builder {
            parsed,
            original,
            line_starts: Vec::new(),
            ascii: false,
            byte_index: false,
            shift,
            origin,
            stack: Vec::new(),
            anchors: HashMap::new(),
            alias_budget: MAX_ALIAS_NODES,
            docs: Vec::new(),
        }
    }

    /// Column (0-based, in characters of the original line) of a marker.
    fn col_of(&self, m: &Marker) -> usize {
        let line = m.line().saturating_sub(1);
        m.col()
            .saturating_sub(self.shift.get(line).copied().unwrap_or(0))
    }

    /// Byte offset in the file of a marker.
    fn byte_of(&self, m: &Marker) -> usize {
        if self.byte_index {
            return self.origin.offset + m.index();
        }
        let line = m.line().saturating_sub(1);
        let line_end = |start: usize| {
            self.line_starts
                .get(line + 1)
                .map_or(self.original.len(), |next| next - 1)
                .max(start)
        };
        let local = match self.line_starts.get(line) {
            Some(&start)
                if self.ascii
                    || self
                        .original
                        .get(start..line_end(start))
                        .is_some_and(str::is_ascii) =>
            {
                (start + self.col_of(m)).min(line_end(start))
            }
            Some(&start) => {
                let rest = &self.original[start..];
                let col = self.col_of(m);
                rest.char_indices()
                    .take_while(|(_, c)| *c != '\n')
                    .nth(col)
                    .map_or_else(
                        || start + rest.find('\n').unwrap_or(rest.len()),
                        |(i, _)| start + i,
                    )
            }
            None => self.original.len(),
        };
        self.origin.offset + local
    }

    fn span(&self, s: &saphyr_parser::Span) -> Span {
        Span {
            start: self.byte_of(&s.start),
            end: self.byte_of(&s.end),
            line: self.origin.line + s.start.line() as u32,
            col: self.col_of(&s.start) as u32 + 1,
        }
    }

    fn error(&self, message: impl Into<String>, m: &Marker) -> YamlError {
        let at = self.byte_of(m);
        YamlError {
            message: message.into(),
            span: Span {
                start: at,
                end: at,
                line: self.origin.line + m.line() as u32,
                col: self.col_of(m) as u32 + 1,
            },
        }
    }

    fn run(self) -> Result<Vec<Node>, YamlError> {
        let mut parser = Parser::new_from_str(self.parsed);
        self.consume(std::iter::from_fn(|| parser.next_event()))
    }

    fn consume(
        mut self,
        events: impl Iterator<Item = Result<(Event<'a>, saphyr_parser::Span), ScanError>>,
    ) -> Result<Vec<Node>, YamlError> {
        for ev in events {
            let (event, span) = ev.map_err(|e| self.error(e.info().to_string(), e.marker()))?;
            self.event(event, span)?;
        }
        Ok(self.docs)
    }

    /// Takes one event into the tree.
    fn event(&mut self, event: Event<'a>, span: saphyr_parser::Span) -> Result<(), YamlError> {
        let sp = self.span(&span);
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let node = Node {
                    kind: Kind::Scalar(Scalar {
                        text: text.into_owned(),
                        style: style_of(style),
                        tag: tag.map(|t| format!("{}{}", t.handle, t.suffix)),
                    }),
                    span: sp,
                };
                self.remember(anchor, &node);
                self.push_node(node, &span.start)?;
            }
            Event::Alias(id) => {
                let node = self
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| self.error("unknown alias", &span.start))?;
                let size = count_nodes(&node);
                if size > self.alias_budget {
                    return Err(self.error(
                        "alias expansion too large (possible billion-laughs input)",
                        &span.start,
                    ));
                }
                self.alias_budget -= size;
                self.push_node(
                    Node {
                        kind: node.kind,
                        span: sp,
                    },
                    &span.start,
                )?;
            }
            Event::SequenceStart(anchor, _) => {
                self.open(
                    Open::Seq {
                        items: Vec::new(),
                        start: sp,
                        anchor,
                    },
                    &span.start,
                )?;
            }
            Event::MappingStart(anchor, _) => {
                self.open(
                    Open::Map {
                        entries: Vec::new(),
                        key: None,
                        start: sp,
                        anchor,
                    },
                    &span.start,
                )?;
            }
            Event::SequenceEnd | Event::MappingEnd => self.close(sp, &span.start)?,
            Event::DocumentEnd | Event::DocumentStart(_) => {}
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
        Ok(())
    }

    fn remember(&mut self, anchor: usize, node: &Node) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
    }

    fn open(&mut self, open: Open, at: &Marker) -> Result<(), YamlError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.error("YAML nesting too deep", at));
        }
        self.stack.push(open);
        Ok(())
    }

    fn close(&mut self, end: Span, at: &Marker) -> Result<(), YamlError> {
        let Some(open) = self.stack.pop() else {
            return Err(self.error("unbalanced collection end", at));
        };
        let (node, anchor) = match open {
            Open::Seq {
                items,
                start,
                anchor,
            } => (
                Node {
                    kind: Kind::Seq(items),
                    span: Span {
                        end: end.end.max(start.end),
                        ..start
                    },
                },
                anchor,
            ),
            Open::Map {
                entries,
                start,
                anchor,
                ..
            } => (
                Node {
                    kind: Kind::Map(apply_merge_keys(entries)),
                    span: Span {
                        end: end.end.max(start.end),
                        ..start
                    },
                },
                anchor,
            ),
        };
        self.remember(anchor, &node);
        self.push_node(node, at)
    }

    fn push_node(&mut self, node: Node, at: &Marker) -> Result<(), YamlError> {
        match self.stack.last_mut() {
            None => {
                // A document whose only content is an empty plain scalar has no content.
                let empty = matches!(&node.kind, Kind::Scalar(s) if s.text.is_empty() && s.style == Style::Plain);
                if !empty {
                    self.docs.push(node);
                }
            }
            Some(Open::Seq { items, .. }) => items.push(node),
            Some(Open::Map { entries, key, .. }) => match key.take() {
                None => {
                    if !matches!(node.kind, Kind::Scalar(_)) && entries.len() > 1_000_000 {
                        return Err(self.error("mapping too large", at));
                    }
                    *key = Some(node);
                }
                Some(k) => entries.push((k, node)),
            },
        }
        Ok(())
    }
}

fn style_of(s: ScalarStyle) -> Style {
    match s {
        ScalarStyle::Plain => Style::Plain,
        ScalarStyle::SingleQuoted => Style::SingleQuoted,
        ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
        ScalarStyle::Literal => Style::Literal,
        ScalarStyle::Folded => Style::Folded,
    }
}

fn count_nodes(node: &Node) -> usize {
    1 + match &node.kind {
        Kind::Scalar(_) => 0,
        Kind::Seq(items) => items.iter().map(count_nodes).sum(),
        Kind::Map(entries) => entries
            .iter()
            .map(|(k, v)| count_nodes(k) + count_nodes(v))
            .sum(),
    }
}

/// YAML 1.1 merge keys (`<<: *defaults`), which Kubernetes' YAML decoder honours: entries of the
/// merged mappings fill in keys the mapping does not set itself.
fn apply_merge_keys(entries: Vec<(Node, Node)>) -> Vec<(Node, Node)> {
    let is_merge =
        |k: &Node| matches!(&k.kind, Kind::Scalar(s) if s.text == "<<" && s.style == Style::Plain);
    if !entries.iter().any(|(k, _)| is_merge(k)) {
        return entries;
    }
    let mut own = Vec::new();
    let mut merged = Vec::new();
    for (k, v) in entries {
        if is_merge(&k) {
            match v.kind {
                Kind::Map(m) => merged.extend(m),
                Kind::Seq(items) => {
                    for item in items {
                        if let Kind::Map(m) = item.kind {
                            merged.extend(m);
                        }
                    }
                }
                Kind::Scalar(_) => own.push((k, v)),
            }
        } else {
            own.push((k, v));
        }
    }
    for (k, v) in merged {
        let text = k.scalar().map(|s| s.text.clone());
        let present = own
            .iter()
            .any(|(ok, _)| ok.scalar().map(|s| &s.text) == text.as_ref());
        if !present {
            own.push((k, v));
        }
    }
    own
}

/// The fast reader's documents of `text`, which holds no NUL (saphyr refuses one, the fast
/// reader does not look); `None` when it declines the text or the builder refuses an event.
fn fast_reading(text: &str, origin: Origin) -> Option<Vec<Node>> {
    let mut builder = Builder::for_fast_events(text, origin);
    fast::read(text, |event, span| builder.event(event, span).is_ok())?;
    Some(builder.docs)
}

/// One step of a [`read_steps`] reading.
#[derive(Debug, Clone, PartialEq)]
pub enum Step<'t> {
    /// A scalar, untagged (tagged text is not read this way).
    Scalar(Cow<'t, str>, Style),
    SeqStart,
    MapStart,
    /// The end of the collection opened last.
    End,
}

/// The documents [`parse_documents`] gives for `text`, as steps to `sink` (each collection or
/// scalar at the top is a document), without building nodes or positions: for a caller that
/// builds its own values and needs neither (a values file). `None` where `parse_documents`
/// reads the text another way (anchors, aliases, tags, flow collections over several lines,
/// a NUL: see the fast reader) or `sink` refused a step: the sink has then seen part of the
/// text, and the caller reads it with `parse_documents`. Two things `parse_documents` does are
/// left to the sink: a plain `<<` key is a merge key there, and an empty plain scalar at the
/// top is no document.
pub fn read_steps<'t>(text: &'t str, mut sink: impl FnMut(Step<'t>) -> bool) -> Option<()> {
    if memchr::memchr(0, text.as_bytes()).is_some() {
        return None;
    }
    fast::read(text, |event, _| match event {
        Event::Scalar(text, style, 0, None) => sink(Step::Scalar(text, style_of(style))),
        Event::SequenceStart(0, None) => sink(Step::SeqStart),
        Event::MappingStart(0, None) => sink(Step::MapStart),
        Event::SequenceEnd | Event::MappingEnd => sink(Step::End),
        // Anchors and tags, which the fast reader does not give, and document events, which
        // it leaves out.
        _ => false,
    })
}

/// Both readings of `text`: the fast reader's (`None` where [`parse_documents`] does not take
/// one) and saphyr's, for the tests and the fuzz target that hold the one to the other: where
/// there is a fast reading, [`parse_documents`] returns it, so it must be saphyr's.
pub fn both_readings(text: &str) -> (Option<Vec<Node>>, Result<Vec<Node>, YamlError>) {
    let origin = Origin::default();
    let fast = if memchr::memchr(0, text.as_bytes()).is_some() {
        None
    } else {
        fast_reading(text, origin)
    };
    (fast, Builder::new(text, text, &[], origin).run())
}
