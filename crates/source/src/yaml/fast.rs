//! A fast reader for the block YAML that rendered manifests and values files are mostly made of:
//! block mappings with plain or quoted keys, block sequences, plain and quoted scalars (over
//! several lines too), literal and folded block scalars, and flow collections of scalars
//! written on one line. It produces the events, with the same positions, that saphyr-parser
//! produces for such text, at a fraction of the cost (saphyr scans and copies one character at
//! a time). Anything else — anchors, aliases, tags, escapes in double quotes, flow collections
//! over several lines, tabs or non-ASCII text outside block scalars and comments, or anything
//! saphyr might reject (but a NUL, which the caller refuses first) — gives `None`, and the text
//! goes to saphyr: this reader never decides what is valid YAML, and never reports an error.
//! `fast_tests` and the `yaml_fast` fuzz target hold it to saphyr's reading.

use std::borrow::Cow;

use saphyr_parser::{Event, Marker, ScalarStyle, Span};

/// Collections nested deeper are left to saphyr (and the tree builder's own limit): the reader
/// recurses once per level.
const MAX_DEPTH: usize = 128;

/// Block mapping keys longer than this, plain or quoted, are left to saphyr, which refuses a
/// simple key of more than 1024 characters.
const MAX_KEY: usize = 1000;

/// Reads `text`, giving `sink` its events as saphyr-parser would report them (document and
/// stream events left out); `None` when the text is not of the simple shape this reader takes,
/// or `sink` refused an event (then it has seen part of the text).
pub(super) fn read<'t>(text: &'t str, sink: impl FnMut(Event<'t>, Span) -> bool) -> Option<()> {
    let bytes = text.as_bytes();
    // Every line ends with a newline; no carriage return (a line break to YAML) or byte order
    // mark anywhere.
    if bytes.last().is_some_and(|&b| b != b'\n')
        || memchr::memchr(b'\r', bytes).is_some()
        || memchr::memmem::find(bytes, "\u{feff}".as_bytes()).is_some()
    {
        return None;
    }
    let mut lines = Vec::with_capacity(bytes.len() / 24);
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', bytes) {
        let line = &bytes[start..end];
        let indent = line.iter().take_while(|&&b| b == b' ').count();
        // Without an early exit the compiler checks many bytes at a time.
        let simple = line.iter().fold(true, |simple, &b| {
            simple & (b.wrapping_sub(b' ') < 0x7f - b' ')
        });
        lines.push(Line {
            start,
            end,
            indent,
            simple,
        });
        start = end + 1;
    }
    let mut reader = Reader {
        text,
        bytes,
        lines,
        sink,
        refused: false,
        depth: 0,
    };
    reader.stream()?;
    (!reader.refused).then_some(())
}

#[derive(Clone, Copy)]
struct Line {
    start: usize,
    /// Offset of the line's newline.
    end: usize,
    /// Leading spaces.
    indent: usize,
    /// Printable ASCII only (no tab): a column is a byte offset, and only spaces indent. Only
    /// such lines are read as structure; others may be block scalar content or comments.
    simple: bool,
}

struct Reader<'t, S> {
    text: &'t str,
    bytes: &'t [u8],
    lines: Vec<Line>,
    sink: S,
    /// Whether the sink refused an event: then it is given no more.
    refused: bool,
    /// Collections open around the one being read.
    depth: usize,
}

/// The next line holding a token (`None`: the end of the text), that a collection's end or an
/// empty value is placed against.
type Next = Option<usize>;

#[derive(Clone, Copy, PartialEq)]
enum Chomp {
    Clip,
    Strip,
    Keep,
}

impl<'t, S: FnMut(Event<'t>, Span) -> bool> Reader<'t, S> {
    /// Reads a collection one level deeper than the one being read.
    fn nested<T>(&mut self, read: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        if self.depth == MAX_DEPTH {
            return None;
        }
        self.depth += 1;
        let read = read(self);
        self.depth -= 1;
        read
    }

    fn mark(&self, line: usize, col: usize) -> Marker {
        Marker::new(self.lines[line].start + col, line + 1, col)
    }

    /// Where saphyr's scanner stands at the end of the text (which ends with a newline).
    fn end_mark(&self) -> Marker {
        Marker::new(self.bytes.len(), self.lines.len() + 1, 0)
    }

    /// Where the token on line `next` starts, or the end of the text.
    fn next_mark(&self, next: Next) -> Marker {
        match next {
            Some(n) => self.mark(n, self.lines[n].indent),
            None => self.end_mark(),
        }
    }

    fn push(&mut self, event: Event<'t>, start: Marker, end: Marker) {
        self.refused = self.refused || !(self.sink)(event, Span::new(start, end));
    }

    fn scalar(&mut self, text: Cow<'t, str>, style: ScalarStyle, start: Marker, end: Marker) {
        self.push(Event::Scalar(text, style, 0, None), start, end);
    }

    fn content(&self, line: usize) -> &'t [u8] {
        let l = self.lines[line];
        &self.bytes[l.start..l.end]
    }

    /// The first line from `from` on that is not blank or a comment.
    fn next_token_line(&self, from: usize) -> Next {
        (from..self.lines.len()).find(|&i| {
            let l = self.lines[i];
            l.indent < l.end - l.start && self.bytes[l.start + l.indent] != b'#'
        })
    }

    /// A `---` line (with nothing after it), or `None` for any other line; a line saphyr reads
    /// as a document marker or directive in another way is refused (`Some(false)`).
    fn document_start(&self, line: usize) -> Option<bool> {
        let c = self.content(line);
        if c.starts_with(b"---") && c.get(3).is_none_or(|&b| b == b' ') {
            return Some(c[3..].iter().all(|&b| b == b' '));
        }
        if c.starts_with(b"...") || c.starts_with(b"%") {
            return Some(false);
        }
        None
    }

    fn stream(&mut self) -> Option<()> {
        let mut next = self.next_token_line(0);
        while let Some(n) = next {
            match self.document_start(n) {
                Some(true) => next = self.next_token_line(n + 1),
                Some(false) => return None,
                None => {
                    if self.lines[n].indent != 0 {
                        return None;
                    }
                    next = if self.is_entry(n, 0) {
                        self.sequence(n, 0, false)?
                    } else {
                        self.mapping(n, 0)?
                    };
                    // A root collection ends at a document marker or the end of the text.
                    if next.is_some_and(|n| self.document_start(n) != Some(true)) {
                        return None;
                    }
                }
            }
        }
        Some(())
    }

    /// Whether a block sequence entry (`- ` or a lone `-`) starts at `col` of `line`.
    fn is_entry(&self, line: usize, col: usize) -> bool {
        let c = self.content(line);
        c.get(col) == Some(&b'-') && c.get(col + 1).is_none_or(|&b| b == b' ')
    }

    /// Where `line` holds a token at a column above `parent`, it is refused: what follows a
    /// complete value must not be indented past its collection (saphyr would read it as the
    /// value's continuation, or fail).
    fn after_value(&self, line: usize, parent: usize) -> Option<Next> {
        let next = self.next_token_line(line + 1);
        match next {
            Some(n) if self.lines[n].indent > parent => None,
            next => Some(next),
        }
    }

    /// The collection-closing check shared by mappings and sequences: `Some(true)` when line
    /// `n` continues the collection at `col`.
    fn continues(&self, n: usize, col: usize) -> Option<bool> {
        if self.document_start(n).is_some() {
            return Some(false);
        }
        let indent = self.lines[n].indent;
        match indent.cmp(&col) {
            std::cmp::Ordering::Less => Some(false),
            std::cmp::Ordering::Equal => Some(true),
            std::cmp::Ordering::Greater => None,
        }
    }

    /// A block mapping whose first key starts at `col` of `line`.
    fn mapping(&mut self, line: usize, col: usize) -> Option<Next> {
        self.nested(|reader| reader.mapping_body(line, col))
    }

    fn mapping_body(&mut self, line: usize, col: usize) -> Option<Next> {
        let at = self.mark(line, col);
        self.push(Event::MappingStart(0, None), at, at);
        let mut line = line;
        loop {
            let next = self.entry(line, col)?;
            match next {
                Some(n) if self.continues(n, col)? => {
                    if self.is_entry(n, col) {
                        return None;
                    }
                    line = n;
                }
                next => {
                    let at = self.next_mark(next);
                    self.push(Event::MappingEnd, at, at);
                    return Some(next);
                }
            }
        }
    }

    /// One `key: value` entry of the mapping at column `col`, its key on `line`.
    fn entry(&mut self, line: usize, col: usize) -> Option<Next> {
        let key = self.key(line, col)?;
        self.scalar(
            key.text,
            key.style,
            self.mark(line, col),
            self.mark(line, key.end),
        );
        let c = self.content(line);
        let value = key.colon + 1 + spaces(c, key.colon + 1);
        if value == c.len() || c[value] == b'#' {
            let at = self.mark(line, key.colon);
            self.value_below(line, col, at, true)
        } else {
            self.inline_value(line, value, col)
        }
    }

    /// The key of a `key: value` entry starting at `col` of `line`: a plain key (the text up
    /// to the first `:` followed by a space or the end of the line, before any comment) or a
    /// single-line quoted one directly followed by the `:`.
    fn key(&self, line: usize, col: usize) -> Option<Key<'t>> {
        if !self.lines[line].simple {
            return None;
        }
        let c = self.content(line);
        let colon_at =
            |i: usize| c.get(i) == Some(&b':') && c.get(i + 1).is_none_or(|&b| b == b' ');
        if let Some((text, style, close)) = self.quoted(line, col) {
            return (colon_at(close + 1) && close + 1 - col <= MAX_KEY).then_some(Key {
                text,
                style,
                end: close + 1,
                colon: close + 1,
            });
        }
        if !plain_start(c, col) {
            return None;
        }
        let mut i = col;
        while i < c.len() {
            match c[i] {
                b':' if colon_at(i) => {
                    if i - col > MAX_KEY || c[i - 1] == b' ' {
                        return None;
                    }
                    let base = self.lines[line].start;
                    return Some(Key {
                        text: Cow::Borrowed(&self.text[base + col..base + i]),
                        style: ScalarStyle::Plain,
                        end: i,
                        colon: i,
                    });
                }
                b'#' if c[i - 1] == b' ' => return None,
                _ => {}
            }
            i += 1;
        }
        None
    }

    /// A quoted scalar starting at `col` of `line` and closed on the same line: its text,
    /// style and closing quote. Double-quoted ones with escapes are left to saphyr.
    fn quoted(&self, line: usize, col: usize) -> Option<(Cow<'t, str>, ScalarStyle, usize)> {
        let c = self.content(line);
        let quote = *c.get(col)?;
        let style = match quote {
            b'\'' => ScalarStyle::SingleQuoted,
            b'"' => ScalarStyle::DoubleQuoted,
            _ => return None,
        };
        let Quoted::Closed(close, escaped) = closing_quote(c, col + 1, quote) else {
            return None;
        };
        let base = self.lines[line].start;
        Some((
            unquote(&self.text[base + col + 1..base + close], escaped),
            style,
            close,
        ))
    }

    /// A quoted scalar value starting at `col` of `line`, in the collection at column
    /// `parent`; it may go on over lines indented past `parent`, which join as a plain
    /// scalar's do. Nothing but a comment may follow it.
    fn quoted_value(&mut self, line: usize, col: usize, parent: usize) -> Option<Next> {
        if let Some((text, style, close)) = self.quoted(line, col) {
            let c = self.content(line);
            if !rest_is_blank(c, close + 1) {
                return None;
            }
            // saphyr's token runs on over the spaces and comment that end the line.
            self.scalar(text, style, self.mark(line, col), self.mark(line, c.len()));
            return self.after_value(line, parent);
        }
        let c = self.content(line);
        let quote = c[col];
        let style = if quote == b'\'' {
            ScalarStyle::SingleQuoted
        } else {
            ScalarStyle::DoubleQuoted
        };
        let Quoted::Open = closing_quote(c, col + 1, quote) else {
            return None;
        };
        let base = self.lines[line].start;
        let first = &self.text[base + col + 1..base + c.len()];
        let mut text = unquote(first.trim_end_matches(' '), quote == b'\'').into_owned();
        let mut n = line;
        let mut empty = 0;
        loop {
            n += 1;
            let l = *self.lines.get(n)?;
            let len = l.end - l.start;
            if l.indent == len {
                empty += 1;
                continue;
            }
            if !l.simple || l.indent <= parent {
                return None;
            }
            if empty == 0 {
                text.push(' ');
            }
            for _ in 0..empty {
                text.push('\n');
            }
            empty = 0;
            let c = self.content(n);
            match closing_quote(c, l.indent, quote) {
                Quoted::Closed(close, escaped) => {
                    if !rest_is_blank(c, close + 1) {
                        return None;
                    }
                    text.push_str(&unquote(
                        &self.text[l.start + l.indent..l.start + close],
                        escaped,
                    ));
                    self.scalar(
                        Cow::Owned(text),
                        style,
                        self.mark(line, col),
                        self.mark(n, c.len()),
                    );
                    return self.after_value(n, parent);
                }
                Quoted::Open => {
                    let segment = &self.text[l.start + l.indent..l.end];
                    text.push_str(&unquote(segment.trim_end_matches(' '), quote == b'\''));
                }
                Quoted::Refused => return None,
            }
        }
    }

    /// The value of an entry or sequence item that starts on a later line than its key or
    /// dash (at column `parent`): a nested collection or scalar, or an empty scalar at `empty`.
    fn value_below(
        &mut self,
        line: usize,
        parent: usize,
        empty: Marker,
        indentless: bool,
    ) -> Option<Next> {
        let next = self.next_token_line(line + 1);
        if let Some(n) = next
            && self.document_start(n).is_none()
        {
            let indent = self.lines[n].indent;
            if indent > parent {
                return if self.is_entry(n, indent) {
                    self.sequence(n, indent, false)
                } else if self.key(n, indent).is_some() {
                    self.mapping(n, indent)
                } else {
                    self.inline_value(n, indent, parent)
                };
            }
            if indent == parent && indentless && self.is_entry(n, indent) {
                return self.sequence(n, indent, true);
            }
        }
        self.scalar(Cow::Borrowed(""), ScalarStyle::Plain, empty, empty);
        Some(next)
    }

    /// Where a `- ` entry's content starts (after the dash and spaces; the end of the line when
    /// only a comment follows), as saphyr's block-entry token is placed.
    fn entry_content(&self, line: usize, col: usize) -> usize {
        let c = self.content(line);
        let at = col + 1 + spaces(c, col + 1);
        if c.get(at) == Some(&b'#') {
            c.len()
        } else {
            at
        }
    }

    /// A block sequence whose first dash is at `col` of `line`; `indentless` when it is the
    /// value of a mapping key at the same column.
    fn sequence(&mut self, line: usize, col: usize, indentless: bool) -> Option<Next> {
        self.nested(|reader| reader.sequence_body(line, col, indentless))
    }

    fn sequence_body(&mut self, line: usize, col: usize, indentless: bool) -> Option<Next> {
        let at = if indentless {
            self.mark(line, self.entry_content(line, col))
        } else {
            self.mark(line, col)
        };
        self.push(Event::SequenceStart(0, None), at, at);
        let mut line = line;
        loop {
            let next = self.item(line, col)?;
            match next {
                Some(n) if self.continues(n, col)? && self.is_entry(n, col) => line = n,
                Some(n) if !indentless && self.continues(n, col)? => return None,
                next => {
                    let at = self.next_mark(next);
                    self.push(Event::SequenceEnd, at, at);
                    return Some(next);
                }
            }
        }
    }

    /// One `- ` item of the sequence at column `col`.
    fn item(&mut self, line: usize, col: usize) -> Option<Next> {
        if !self.lines[line].simple {
            return None;
        }
        let content = self.entry_content(line, col);
        if content == self.content(line).len() {
            let at = self.mark(line, content);
            return self.value_below(line, col, at, false);
        }
        if self.is_entry(line, content) {
            return None;
        }
        if self.key(line, content).is_some() {
            return self.mapping(line, content);
        }
        self.inline_value(line, content, col)
    }

    /// A scalar or empty flow collection written at `col` of `line`; `parent` is the column of
    /// the collection holding it.
    fn inline_value(&mut self, line: usize, col: usize, parent: usize) -> Option<Next> {
        if !self.lines[line].simple {
            return None;
        }
        let c = self.content(line);
        match c[col] {
            b'|' | b'>' => return self.block_scalar(line, col, parent),
            b'[' | b'{' => {
                if self.flow(line, col)? != c.len() {
                    return None;
                }
            }
            b'\'' | b'"' => return self.quoted_value(line, col, parent),
            _ => return self.plain(line, col, parent),
        }
        self.after_value(line, parent)
    }

    /// A plain scalar starting at `col` of `line`, in block context: it goes on over the
    /// following lines indented past `parent` (lines join with a space, or with a line break
    /// per empty line between them).
    fn plain(&mut self, line: usize, col: usize, parent: usize) -> Option<Next> {
        let c = self.content(line);
        if !plain_start(c, col) {
            return None;
        }
        let first_end = plain_end(c, col)?;
        let base = self.lines[line].start;
        let mut text = Cow::Borrowed(&self.text[base + col..base + first_end]);
        let (mut last, mut end) = (line, first_end);
        // Whether the scalar's last line ends in a comment: then no line continues it.
        let mut commented =
            first_end < c.len() && c[first_end + spaces(c, first_end)..].starts_with(b"#");
        let mut n = last + 1;
        let mut empty = 0;
        while !commented && let Some(&l) = self.lines.get(n) {
            let len = l.end - l.start;
            if l.indent == len {
                empty += 1;
                n += 1;
                continue;
            }
            let c = self.content(n);
            if l.indent <= parent || c[l.indent] == b'#' {
                break;
            }
            if !l.simple {
                return None;
            }
            let line_end = plain_end(c, l.indent)?;
            let text = text.to_mut();
            if empty == 0 {
                text.push(' ');
            }
            for _ in 0..empty {
                text.push('\n');
            }
            text.push_str(&self.text[l.start + l.indent..l.start + line_end]);
            commented = line_end < len && c[line_end + spaces(c, line_end)..].starts_with(b"#");
            (last, end, empty) = (n, line_end, 0);
            n += 1;
        }
        self.scalar(
            text,
            ScalarStyle::Plain,
            self.mark(line, col),
            self.mark(last, end),
        );
        self.after_value(last, parent)
    }

    /// A flow collection written on one line, starting at `col` of `line` with its `[` or
    /// `{`: scalars, and flow collections of them. Returns where saphyr's token for its
    /// closing bracket ends (past the spaces and comment after it).
    fn flow(&mut self, line: usize, col: usize) -> Option<usize> {
        self.nested(|reader| reader.flow_body(line, col))
    }

    fn flow_body(&mut self, line: usize, col: usize) -> Option<usize> {
        let c = self.content(line);
        let (close, start, end) = if c[col] == b'[' {
            (b']', Event::SequenceStart(0, None), Event::SequenceEnd)
        } else {
            (b'}', Event::MappingStart(0, None), Event::MappingEnd)
        };
        let mut at = col + 1 + spaces(c, col + 1);
        self.push(start, self.mark(line, col), self.mark(line, at));
        if c.get(at) != Some(&close) {
            loop {
                if close == b'}' {
                    at = self.flow_key(line, at)?;
                }
                let item_end = self.flow_item(line, at)?;
                match c.get(item_end) {
                    Some(b',') => at = item_end + 1 + spaces(c, item_end + 1),
                    Some(&b) if b == close => {
                        at = item_end;
                        break;
                    }
                    _ => return None,
                }
                if matches!(c.get(at), None | Some(b',' | b']' | b'}' | b'#')) {
                    // A trailing comma, or a collection going on on the next line.
                    return None;
                }
            }
        }
        let after = token_end(c, at + 1);
        self.push(end, self.mark(line, at), self.mark(line, after));
        Some(after)
    }

    /// A plain `key: ` of a flow mapping at `at` of `line`; returns where its value starts.
    fn flow_key(&mut self, line: usize, at: usize) -> Option<usize> {
        let c = self.content(line);
        if !plain_start(c, at) {
            return None;
        }
        let mut i = at;
        while let Some(&b) = c.get(i) {
            match b {
                b':' if c.get(i + 1) == Some(&b' ') && c[i - 1] != b' ' => {
                    self.plain_on_line(line, at, i);
                    let value = i + 1 + spaces(c, i + 1);
                    return (!matches!(c.get(value), None | Some(b',' | b'}' | b']' | b'#')))
                        .then_some(value);
                }
                b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' => return None,
                _ => {}
            }
            i += 1;
        }
        None
    }

    /// A node inside a flow collection, at `at` of `line`; returns where its token ends.
    fn flow_item(&mut self, line: usize, at: usize) -> Option<usize> {
        let c = self.content(line);
        match *c.get(at)? {
            b'[' | b'{' => self.flow(line, at),
            b'\'' | b'"' => {
                let (text, style, close) = self.quoted(line, at)?;
                let end = token_end(c, close + 1);
                self.scalar(text, style, self.mark(line, at), self.mark(line, end));
                Some(end)
            }
            b'-' if c.get(at + 1).is_some_and(|b| !b" ,[]{}".contains(b)) => {
                self.flow_plain(line, at)
            }
            b'-' | b'?' | b':' | b']' | b'}' | b',' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>'
            | b'%' | b'@' | b'`' => None,
            _ => self.flow_plain(line, at),
        }
    }

    /// A plain scalar inside a flow collection, starting at `at` of `line`: it ends at the
    /// `,`, `]` or `}` after it (returned). One with a `:` or `#` in it is left to saphyr.
    fn flow_plain(&mut self, line: usize, at: usize) -> Option<usize> {
        let c = self.content(line);
        let mut end = at;
        let mut i = at;
        while let Some(&b) = c.get(i) {
            match b {
                b',' | b']' | b'}' => break,
                b':' | b'#' | b'[' | b'{' => return None,
                // saphyr refuses a word starting so.
                b'-' if c.get(i + 1).is_some_and(|b| b",[]{}".contains(b)) => return None,
                b' ' => {}
                _ => end = i + 1,
            }
            i += 1;
        }
        self.plain_on_line(line, at, end);
        Some(i)
    }

    /// The plain scalar between columns `from` and `to` of `line`, borrowed from the text.
    fn plain_on_line(&mut self, line: usize, from: usize, to: usize) {
        let base = self.lines[line].start;
        let text = Cow::Borrowed(&self.text[base + from..base + to]);
        self.scalar(
            text,
            ScalarStyle::Plain,
            self.mark(line, from),
            self.mark(line, to),
        );
    }

    /// A block scalar (literal `|` or folded `>`) whose header is at `col` of `line`, in the
    /// collection at column `parent`. Its content is indented as its first line is.
    fn block_scalar(&mut self, line: usize, col: usize, parent: usize) -> Option<Next> {
        let c = self.content(line);
        let folded = c[col] == b'>';
        let (chomp, rest) = match c.get(col + 1) {
            Some(b'-') => (Chomp::Strip, col + 2),
            Some(b'+') => (Chomp::Keep, col + 2),
            _ => (Chomp::Clip, col + 1),
        };
        if !rest_is_blank(c, rest) {
            return None;
        }
        let style = if folded {
            ScalarStyle::Folded
        } else {
            ScalarStyle::Literal
        };
        // Leading empty lines; the first content line sets the indentation, which must be
        // past the collection's and at least that of the empty lines before it.
        let mut first = line + 1;
        let mut widest = 0;
        while let Some(l) = self.lines.get(first)
            && l.indent == l.end - l.start
        {
            widest = widest.max(l.indent);
            first += 1;
        }
        let Some(&l) = self.lines.get(first) else {
            // Nothing but empty lines to the end of the text: an empty scalar.
            if chomp == Chomp::Keep {
                return None;
            }
            let (start, end) = (self.mark(line, col), self.end_mark());
            self.scalar(Cow::Borrowed(""), style, start, end);
            return Some(None);
        };
        let indent = l.indent;
        if indent <= parent {
            // A line that is not indented past the collection: an empty scalar, placed there.
            let text = if chomp == Chomp::Keep {
                Cow::Owned("\n".repeat(first - line - 1))
            } else {
                Cow::Borrowed("")
            };
            let at = self.mark(first, indent);
            self.scalar(text, style, at, at);
            return self.block_scalar_end(first, parent);
        }
        if indent < widest || self.content(first)[indent] == b'\t' {
            return None;
        }
        let start = self.mark(first, indent);
        let mut text = String::new();
        let mut breaks = first - line - 1;
        let mut line = first;
        // Whether the previous content line started with a blank: folding keeps its break.
        let mut blank_before = false;
        // Whether a content line came before (its line break is the one folding may drop).
        let mut after_line = false;
        let (end, trailing) = loop {
            let l = self.lines[line];
            let blank = matches!(self.bytes[l.start + indent], b' ' | b'\t');
            if folded && after_line && !blank_before && !blank {
                // The break after the previous line folds into a space, or is dropped before
                // empty lines.
                if breaks == 1 {
                    text.push(' ');
                }
                for _ in 1..breaks {
                    text.push('\n');
                }
            } else {
                for _ in 0..breaks {
                    text.push('\n');
                }
            }
            blank_before = blank;
            after_line = true;
            text.push_str(&self.text[l.start + indent..l.end]);
            // The lines after it: empty ones (no more than `indent` spaces) until the next
            // content line, or the first line indented less, which ends the scalar there.
            let mut trailing = 0;
            let stop = loop {
                line += 1;
                let Some(&l) = self.lines.get(line) else {
                    break None;
                };
                let len = l.end - l.start;
                if l.indent == len && len <= indent {
                    trailing += 1;
                } else {
                    break Some(l.indent.min(indent));
                }
            };
            match stop {
                Some(spaces) if spaces == indent => breaks = 1 + trailing,
                Some(spaces) => break (self.mark(line, spaces), trailing),
                None => break (self.end_mark(), trailing),
            }
        };
        match chomp {
            Chomp::Strip => {}
            Chomp::Clip => text.push('\n'),
            Chomp::Keep => {
                for _ in 0..=trailing {
                    text.push('\n');
                }
            }
        }
        self.scalar(Cow::Owned(text), style, start, end);
        self.block_scalar_end(line, parent)
    }

    /// After a block scalar that ends at `line`: the next token must not be indented past
    /// the collection at `parent`.
    fn block_scalar_end(&self, line: usize, parent: usize) -> Option<Next> {
        match self.next_token_line(line) {
            Some(n) if self.lines[n].indent > parent => None,
            next => Some(next),
        }
    }
}

/// How a quoted scalar's line ends.
enum Quoted {
    /// At its closing quote (offset), with `''` escapes in it (single-quoted).
    Closed(usize, bool),
    /// Without its closing quote: the scalar goes on on the next line.
    Open,
    /// Escapes this reader leaves to saphyr.
    Refused,
}

/// Where the quoted scalar whose text starts at `from` of `c` closes on this line.
fn closing_quote(c: &[u8], from: usize, quote: u8) -> Quoted {
    let mut at = from;
    let mut escaped = false;
    loop {
        let Some(i) = memchr::memchr(quote, &c[at..]) else {
            return if quote == b'"' && c[from..].contains(&b'\\') {
                Quoted::Refused
            } else {
                Quoted::Open
            };
        };
        let close = at + i;
        if quote == b'"' {
            return if c[from..close].contains(&b'\\') {
                Quoted::Refused
            } else {
                Quoted::Closed(close, false)
            };
        }
        // `''` is a quote inside a single-quoted scalar.
        if c.get(close + 1) == Some(&b'\'') {
            escaped = true;
            at = close + 2;
        } else {
            return Quoted::Closed(close, escaped);
        }
    }
}

/// A quoted scalar's text with its `''` escapes undone.
fn unquote(raw: &str, escaped: bool) -> Cow<'_, str> {
    if escaped && raw.contains("''") {
        Cow::Owned(raw.replace("''", "'"))
    } else {
        Cow::Borrowed(raw)
    }
}

struct Key<'t> {
    text: Cow<'t, str>,
    style: ScalarStyle,
    /// Where the key's token ends, and where its `:` is.
    end: usize,
    colon: usize,
}

/// Spaces in `c` from `from` on.
fn spaces(c: &[u8], from: usize) -> usize {
    c.get(from..)
        .unwrap_or(&[])
        .iter()
        .take_while(|&&b| b == b' ')
        .count()
}

/// Where the plain scalar starting at `col` of `c` ends on its line: before trailing spaces
/// and a comment. `None` where a `: ` in it would make it a key (or an error).
fn plain_end(c: &[u8], col: usize) -> Option<usize> {
    let mut end = col;
    for i in col..c.len() {
        match c[i] {
            b':' if c.get(i + 1).is_none_or(|&b| b == b' ') => return None,
            b'#' if c[i - 1] == b' ' => break,
            b' ' => {}
            _ => end = i + 1,
        }
    }
    Some(end)
}

/// Whether a plain scalar may start at `col` of `c` (a line's bytes).
fn plain_start(c: &[u8], col: usize) -> bool {
    let followed_by_space = c.get(col + 1).is_none_or(|&b| b == b' ');
    let Some(&first) = c.get(col) else {
        return false;
    };
    match first {
        b'-' | b'?' | b':' => !followed_by_space,
        b'[' | b']' | b'{' | b'}' | b',' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\''
        | b'"' | b'%' | b'@' | b'`' | b' ' => false,
        _ => true,
    }
}

/// Where saphyr's token ending at `from` of `c` ends: it takes the spaces after it, and the
/// comment after those.
fn token_end(c: &[u8], from: usize) -> usize {
    let after = from + spaces(c, from);
    if after > from && c.get(after) == Some(&b'#') {
        c.len()
    } else {
        after
    }
}

/// Whether only spaces, or spaces and a comment, follow `from` in `c`.
fn rest_is_blank(c: &[u8], from: usize) -> bool {
    let rest = c.get(from..).unwrap_or(&[]);
    let spaces = rest.iter().take_while(|&&b| b == b' ').count();
    spaces == rest.len() || (spaces > 0 && rest[spaces] == b'#')
}
