//! Parser for Go's text/template: builds the syntax tree of one file, plus the trees of the
//! `define`s and `block`s it contains. Mirrors Go's recursive descent so that broken templates
//! fail with Go's message at Go's line.

use std::fmt::{self, Write};
use std::rc::Rc;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::lex::{Tok, Token, lex};

/// A template file's text as its trees hold it: the `Arc` the host gave (a chart's loader
/// reads each template once, and the parse holds that text instead of a copy), behind one more
/// `Arc` that the many snippets of the trees count on through a thin pointer. Atomic counts:
/// a file may be parsed on another thread than the one that executes it.
pub type Text = Arc<Arc<str>>;

/// A named template as the parser builds it: a file, or a `define`/`block` inside one.
/// `Send`: files parse on whichever thread is free ([`Parsed`]); [`Tree`] is what executes.
#[derive(Debug)]
pub struct Syntax {
    pub name: String,
    /// The file it was parsed from (what error locations name). An `Arc`: every segment of a
    /// traced execution's source map holds it, and rendered output crosses threads.
    pub parse_name: Arc<str>,
    /// The whole text of that file: node positions are byte offsets into it.
    pub src: Text,
    /// Shared by the trees of the same text parsed under other file names ([`Tree::renamed`]):
    /// nothing in the nodes depends on the file's name.
    pub root: Arc<[Node]>,
    /// Offsets of the newlines in `src`, computed the first time a traced execution needs
    /// them: every template of a chart includes the same helpers, so this is shared.
    newlines: std::cell::OnceCell<Vec<usize>>,
}

/// A named template as it executes: its syntax, and the string literals of its file as the
/// values they evaluate to, each made the first time it is evaluated (a value's string is an
/// `Rc`, which cannot cross threads, so they are made on the executing thread; and many
/// literals, in helpers no template includes, are never evaluated).
#[derive(Debug)]
pub struct Tree {
    syntax: Syntax,
    /// By [`StringLit::index`]; shared by the trees of one file.
    lits: Rc<[std::cell::OnceCell<Rc<str>>]>,
}

impl std::ops::Deref for Tree {
    type Target = Syntax;

    fn deref(&self) -> &Syntax {
        &self.syntax
    }
}

impl Tree {
    /// This tree as parsed from file `parse_name` (and named `name`): the same text parsed
    /// under another file name, without parsing it again.
    pub(crate) fn renamed(&self, name: String, parse_name: Arc<str>) -> Tree {
        Tree {
            syntax: Syntax {
                name,
                parse_name,
                src: self.src.clone(),
                root: self.root.clone(),
                newlines: self.newlines.clone(),
            },
            lits: self.lits.clone(),
        }
    }

    /// The value of string literal `lit` of this tree's file.
    pub(crate) fn literal(&self, lit: &StringLit) -> Rc<str> {
        match self.lits.get(lit.index as usize) {
            Some(made) => made.get_or_init(|| Rc::from(lit.text())).clone(),
            // Never: a tree's literals are numbered in its file's table.
            None => Rc::from(lit.text()),
        }
    }
}

impl Syntax {
    fn new(name: String, parse_name: Arc<str>, src: Text, root: Box<[Node]>) -> Syntax {
        Syntax {
            name,
            parse_name,
            src,
            root: root.into(),
            newlines: std::cell::OnceCell::new(),
        }
    }

    /// 1-based line and column (in bytes) of a position; the cheap twin of [`Tree::line_col`]
    /// for the many lookups of a traced execution.
    pub fn line_and_column(&self, pos: usize) -> (usize, usize) {
        let index = self
            .newlines
            .get_or_init(|| memchr::memchr_iter(b'\n', self.src.as_bytes()).collect());
        let before = index.partition_point(|&nl| nl < pos);
        let line_start = if before == 0 {
            0
        } else {
            index[before - 1] + 1
        };
        (before + 1, pos.saturating_sub(line_start) + 1)
    }

    /// Go's `IsEmptyTree`: only whitespace text. An empty `define` never replaces another.
    pub fn is_empty(&self) -> bool {
        self.root.iter().all(|n| match n {
            Node::Text { start, end } => self.src[*start as usize..*end as usize]
                .trim_matches([' ', '\t', '\r', '\n'])
                .is_empty(),
            _ => false,
        })
    }

    /// Line and 0-based byte column of a position, as Go's `ErrorContext` reports them.
    pub fn line_col(&self, pos: u32) -> (usize, usize) {
        let before = &self.src[..(pos as usize).min(self.src.len())];
        let line = 1 + before.bytes().filter(|&b| b == b'\n').count();
        let col = match before.rfind('\n') {
            Some(i) => before.len() - i - 1,
            None => before.len(),
        };
        (line, col)
    }
}

/// A node of a tree: 16 bytes. Half of a chart's nodes are text between actions, so the
/// larger kinds are boxed rather than held inline, where every text node took their size
/// (128 bytes): the trees of a median chart then took ~5x its text, and their pages were the
/// largest share of a render's page faults.
#[derive(Debug)]
pub enum Node {
    Text { start: u32, end: u32 },
    Action(Box<Pipe>),
    If(Box<Branch>),
    With(Box<Branch>),
    Range(Box<Branch>),
    Template(Box<TemplateCall>),
    Break,
    Continue,
}

#[derive(Debug)]
pub struct Branch {
    pub pipe: Pipe,
    pub list: Box<[Node]>,
    pub else_list: Option<Box<[Node]>>,
}

#[derive(Debug)]
pub struct TemplateCall {
    pub pos: u32,
    pub name: String,
    pub pipe: Option<Pipe>,
}

#[derive(Debug)]
pub struct Pipe {
    pub pos: u32,
    pub is_assign: bool,
    pub decl: Box<[Arc<str>]>,
    pub cmds: OneOrMany<Command>,
}

#[derive(Debug)]
pub struct Command {
    pub pos: u32,
    pub args: OneOrMany<Arg>,
}

/// A list of a tree's that most often holds one item (a pipeline's commands, a command's
/// operands, a field chain's names): that one is held without an allocation of its own.
#[derive(Debug)]
pub enum OneOrMany<T> {
    One(T),
    Many(Box<[T]>),
}

impl<T> std::ops::Deref for OneOrMany<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        match self {
            OneOrMany::One(item) => std::slice::from_ref(item),
            OneOrMany::Many(items) => items,
        }
    }
}

impl<'a, T> IntoIterator for &'a OneOrMany<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// A stretch of a template file's text that shares the file's text instead of copying it:
/// field names, which are most of a tree's strings, and literals as written.
#[derive(Clone)]
pub struct Snippet {
    src: Text,
    start: u32,
    end: u32,
}

impl std::ops::Deref for Snippet {
    type Target = str;

    fn deref(&self) -> &str {
        // Made by the parser from token boundaries, which lie on char boundaries of `src`.
        self.src
            .get(self.start as usize..self.end as usize)
            .unwrap_or_default()
    }
}

impl fmt::Debug for Snippet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl fmt::Display for Snippet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}

/// A string literal.
#[derive(Debug)]
pub struct StringLit {
    /// As written, quotes included.
    written: Snippet,
    /// Its value, when that is not the text between the quotes (it had escapes or, between
    /// backquotes, a carriage return): most literals need no copy of their own.
    unquoted: Option<Arc<str>>,
    /// Its place among its file's literals ([`Tree::literal`]).
    index: u32,
}

impl StringLit {
    pub fn text(&self) -> &str {
        match &self.unquoted {
            Some(text) => text,
            None => self
                .written
                .get(1..self.written.len().saturating_sub(1))
                .unwrap_or_default(),
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Number {
    pub is_int: bool,
    pub is_float: bool,
    pub int: i64,
    pub float: f64,
}

#[derive(Debug)]
pub enum Arg {
    /// `.A.B`: the field names without dots.
    Field {
        pos: u32,
        idents: OneOrMany<Snippet>,
    },
    /// `(pipe).A.B` or `func.A`: fields on another operand's value.
    Chain {
        pos: u32,
        node: Box<Arg>,
        fields: OneOrMany<Snippet>,
    },
    /// `$x.A.B`: the first ident is the variable name with its `$`.
    Variable {
        pos: u32,
        idents: OneOrMany<Snippet>,
    },
    Identifier {
        pos: u32,
        name: Arc<str>,
    },
    Dot {
        pos: u32,
    },
    Nil {
        pos: u32,
    },
    Bool {
        pos: u32,
        val: bool,
    },
    Number {
        pos: u32,
        text: Snippet,
        num: Number,
    },
    String {
        pos: u32,
        lit: StringLit,
    },
    Pipe(Box<Pipe>),
}

impl Arg {
    pub fn pos(&self) -> u32 {
        match self {
            Arg::Field { pos, .. }
            | Arg::Chain { pos, .. }
            | Arg::Variable { pos, .. }
            | Arg::Identifier { pos, .. }
            | Arg::Dot { pos }
            | Arg::Nil { pos }
            | Arg::Bool { pos, .. }
            | Arg::Number { pos, .. }
            | Arg::String { pos, .. } => *pos,
            Arg::Pipe(p) => p.pos,
        }
    }
}

// Go's `Node.String()` forms: execution errors quote the node they happened at.
impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Field { idents, .. } => {
                for i in idents {
                    write!(f, ".{i}")?;
                }
                Ok(())
            }
            Arg::Chain { node, fields, .. } => {
                match node.as_ref() {
                    Arg::Pipe(p) => write!(f, "({p})")?,
                    other => write!(f, "{other}")?,
                }
                for i in fields {
                    write!(f, ".{i}")?;
                }
                Ok(())
            }
            Arg::Variable { idents, .. } => {
                for (n, i) in idents.iter().enumerate() {
                    if n > 0 {
                        f.write_char('.')?;
                    }
                    f.write_str(i)?;
                }
                Ok(())
            }
            Arg::Identifier { name, .. } => f.write_str(name),
            Arg::Dot { .. } => f.write_char('.'),
            Arg::Nil { .. } => f.write_str("nil"),
            Arg::Bool { val, .. } => write!(f, "{val}"),
            Arg::Number { text, .. } => f.write_str(text),
            Arg::String { lit, .. } => f.write_str(&lit.written),
            Arg::Pipe(p) => write!(f, "{p}"),
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_char(' ')?;
            }
            match a {
                Arg::Pipe(p) => write!(f, "({p})")?,
                other => write!(f, "{other}")?,
            }
        }
        Ok(())
    }
}

impl fmt::Display for Pipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.decl.is_empty() {
            f.write_str(&self.decl.join(", "))?;
            f.write_str(if self.is_assign { " = " } else { " := " })?;
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

impl fmt::Display for TemplateCall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{{template {}", super::fmt::quote(&self.name))?;
        if let Some(p) = &self.pipe {
            write!(f, " {p}")?;
        }
        f.write_str("}}")
    }
}

/// A parse error, positioned like Go's (`template: NAME:LINE: MSG`).
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    pub name: String,
    pub line: u32,
    pub msg: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "template: {}:{}: {}", self.name, self.line, self.msg)
    }
}

/// Deepest nesting of parentheses and blocks a template may have.
const MAX_NESTING: usize = 100;

const BUILTINS: &[&str] = &[
    "and", "call", "html", "index", "slice", "js", "len", "not", "or", "print", "printf",
    "println", "urlquery", "eq", "ge", "gt", "le", "lt", "ne",
];

pub fn is_builtin(name: &str) -> bool {
    BUILTINS.contains(&name)
}

/// The result of parsing one file: its own tree and the named templates it defines, in order.
/// `Send`: parsed on one thread, it may execute on another.
pub struct Parsed {
    pub main: Syntax,
    pub defines: Vec<Syntax>,
    /// How many string literals the file has.
    lits: u32,
}

impl Parsed {
    /// The file's trees as they execute: its own, and its `define`s in order.
    pub fn into_trees(self) -> (Tree, impl Iterator<Item = Tree>) {
        let lits: Rc<[std::cell::OnceCell<Rc<str>>]> =
            (0..self.lits).map(|_| std::cell::OnceCell::new()).collect();
        let main = Tree {
            syntax: self.main,
            lits: lits.clone(),
        };
        let defines = self.defines.into_iter().map(move |syntax| Tree {
            syntax,
            lits: lits.clone(),
        });
        (main, defines)
    }

    /// Renames the file's trees as parsed from file `name`: its own tree takes that name.
    pub fn rename(&mut self, name: &str) {
        let file: Arc<str> = Arc::from(name);
        self.main.name = name.to_string();
        for syntax in std::iter::once(&mut self.main).chain(&mut self.defines) {
            syntax.parse_name = file.clone();
        }
    }
}

/// Parses `text` as the file `name`; its trees hold `text`, not a copy. `has_func` says
/// whether a function name is defined (Go rejects unknown functions at parse time, even in
/// branches that never run).
pub fn parse(
    name: &str,
    text: Arc<str>,
    has_func: &dyn Fn(&str) -> bool,
) -> Result<Parsed, ParseError> {
    let src_rc: Text = Arc::new(text);
    let src: &str = &src_rc;
    let parse_name: Arc<str> = Arc::from(name);
    let lexed = lex(src);
    let mut p = Parser {
        src,
        toks: lexed.toks,
        lex_error: lexed.error.unwrap_or_default(),
        i: 0,
        furthest: 0,
        vars: vec!["$"],
        range_depth: 0,
        nesting: 0,
        has_func,
        name,
        action_start: None,
        defines: Vec::new(),
        src_rc: src_rc.clone(),
        parse_name: parse_name.clone(),
        nodes: Vec::new(),
        cmds: Vec::new(),
        args: Vec::new(),
        idents: Vec::new(),
        funcs: FxHashMap::default(),
        lits: 0,
    };
    let root = p.parse_top()?;
    let (defines, lits) = (p.defines, p.lits);
    Ok(Parsed {
        defines,
        main: Syntax::new(name.to_string(), parse_name, src_rc, root),
        lits,
    })
}

enum Item {
    Node(Node),
    End,
    Else,
}

type PResult<T> = Result<T, ParseError>;

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    /// The message of the `Error` token ending `toks`, if any.
    lex_error: String,
    i: usize,
    /// The index of the furthest token read: Go reports parse errors at that token's line.
    /// Kept up to date where the parser goes back (reading only goes forward).
    furthest: usize,
    /// Variables in scope: only their names matter while parsing.
    vars: Vec<&'a str>,
    range_depth: usize,
    /// Open parentheses and control blocks: bounded so that hostile input cannot exhaust the
    /// stack (Go has no limit but grows its stacks to a gigabyte).
    nesting: usize,
    has_func: &'a dyn Fn(&str) -> bool,
    name: &'a str,
    /// Where the action being parsed began (Go names its line in "unclosed action" errors).
    action_start: Option<usize>,
    defines: Vec<Syntax>,
    src_rc: Text,
    parse_name: Arc<str>,
    // Stacks the lists under construction are gathered on, so each final list is allocated
    // once at its exact size. Nested lists are completed (and taken off the top) before their
    // parent continues.
    nodes: Vec<Node>,
    cmds: Vec<Command>,
    args: Vec<Arg>,
    idents: Vec<Snippet>,
    /// Function names already checked to exist, each allocated once: templates call the
    /// same few functions over and over.
    /// (Interning every name and literal this way was measured slower than allocating them.)
    funcs: FxHashMap<&'a str, Arc<str>>,
    /// The file's string literals so far: the next one's [`StringLit::index`].
    lits: u32,
}

/// Moves the items pushed on `stack` since `mark` into a list of exactly their number.
/// `split_off` copies them in one block where collecting a `drain` moved them one by one (at
/// `mark` 0 it hands over the buffer, shrunk, and gives the stack a new one of the same size:
/// measured cheaper than copying out of it).
fn take<T>(stack: &mut Vec<T>, mark: usize) -> Box<[T]> {
    stack.split_off(mark).into_boxed_slice()
}

/// [`take`] for a list that is most often one item long.
fn take_one_or_many<T>(stack: &mut Vec<T>, mark: usize) -> OneOrMany<T> {
    if stack.len() == mark + 1
        && let Some(item) = stack.pop()
    {
        return OneOrMany::One(item);
    }
    OneOrMany::Many(take(stack, mark))
}

impl<'a> Parser<'a> {
    fn next(&mut self) -> Token {
        // Every token but past the end: the parser reads each token a few times over.
        if let Some(&t) = self.toks.get(self.i) {
            self.i += 1;
            return t;
        }
        self.next_past_end()
    }

    /// [`Parser::next`] at the end: the last token (`Eof` or `Error`) again.
    #[cold]
    fn next_past_end(&mut self) -> Token {
        let idx = self.toks.len().saturating_sub(1);
        self.note_read(idx);
        self.toks.get(idx).copied().unwrap_or(Token {
            kind: Tok::Eof,
            spaced: false,
            start: self.src.len() as u32,
            end: self.src.len() as u32,
        })
    }

    fn note_read(&mut self, read: usize) {
        self.furthest = self.furthest.max(read);
    }

    /// Goes back to token `i`, keeping in [`Parser::furthest`] what was read.
    fn go_back_to(&mut self, i: usize) {
        if let Some(last) = self.i.checked_sub(1) {
            self.note_read(last);
        }
        self.i = i;
    }

    /// The furthest token read, also counting the tokens read since the parser last went back.
    fn furthest_read(&self) -> usize {
        match self.i.checked_sub(1) {
            Some(last) => self.furthest.max(last),
            None => self.furthest,
        }
    }

    /// Line of a byte offset; only needed for error messages, so computed on demand.
    fn line_of(&self, offset: usize) -> u32 {
        1 + self.src.as_bytes()[..offset.min(self.src.len())]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u32
    }

    /// The text of `start..end` (token boundaries), sharing the file's text.
    fn snippet(&self, start: u32, end: u32) -> Snippet {
        Snippet {
            src: self.src_rc.clone(),
            start,
            end,
        }
    }

    fn backup(&mut self) {
        self.go_back_to(self.i.saturating_sub(1));
    }

    fn peek(&mut self) -> Token {
        let t = self.next();
        self.backup();
        t
    }

    fn errorf<T>(&self, msg: String) -> PResult<T> {
        let line = self
            .toks
            .get(self.furthest_read())
            .map_or(1, |t| self.line_of(t.start as usize));
        Err(ParseError {
            name: self.name.to_string(),
            line,
            msg,
        })
    }

    fn unexpected<T>(&self, tok: &Token, context: &str) -> PResult<T> {
        if tok.kind == Tok::Error {
            let msg = &self.lex_error;
            let mut extra = String::new();
            let action_line = self.action_start.map(|a| self.line_of(a));
            if let Some(action_line) = action_line
                && action_line != self.line_of(tok.start as usize)
            {
                extra = format!(" in action started at {}:{}", self.name, action_line);
                if msg.ends_with(" action") {
                    extra = extra[" in action".len()..].to_string();
                }
            }
            return self.errorf(format!("{msg}{extra}"));
        }
        self.errorf(format!(
            "unexpected {} in {}",
            tok.describe(self.src, &self.lex_error),
            context
        ))
    }

    fn expect(&mut self, kind: Tok, context: &str) -> PResult<Token> {
        let t = self.next();
        if t.kind != kind {
            return self.unexpected(&t, context);
        }
        Ok(t)
    }

    /// A function name, interned, once checked to exist.
    fn function(&mut self, name: &'a str) -> PResult<Arc<str>> {
        if let Some(f) = self.funcs.get(name) {
            return Ok(f.clone());
        }
        if !is_builtin(name) && !(self.has_func)(name) {
            return self.errorf(format!("function {} not defined", super::fmt::quote(name)));
        }
        let f: Arc<str> = Arc::from(name);
        self.funcs.insert(name, f.clone());
        Ok(f)
    }

    fn parse_top(&mut self) -> PResult<Box<[Node]>> {
        let mark = self.nodes.len();
        loop {
            let t = self.peek();
            if t.kind == Tok::Eof {
                break;
            }
            if t.kind == Tok::LeftDelim {
                let mark = self.i;
                self.next();
                if self.next().kind == Tok::Define {
                    self.parse_definition()?;
                    continue;
                }
                self.go_back_to(mark);
            }
            match self.text_or_action()? {
                Item::Node(n) => self.nodes.push(n),
                Item::End => return self.errorf("unexpected {{end}}".into()),
                Item::Else => return self.errorf("unexpected {{else}}".into()),
            }
        }
        Ok(take(&mut self.nodes, mark))
    }

    /// Parses a nested template (`define` or `block` body) with its own variable scope.
    fn sub_tree<T>(&mut self, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        let vars = std::mem::replace(&mut self.vars, vec!["$"]);
        let depth = std::mem::replace(&mut self.range_depth, 0);
        let r = f(self);
        self.vars = vars;
        self.range_depth = depth;
        r
    }

    fn add_define(&mut self, name: String, root: Box<[Node]>) -> PResult<()> {
        let tree = Syntax::new(name, self.parse_name.clone(), self.src_rc.clone(), root);
        if let Some(old) = self.defines.iter().position(|t| t.name == tree.name) {
            if self.defines[old].is_empty() {
                self.defines[old] = tree;
            } else if !tree.is_empty() {
                return self.errorf(format!(
                    "template: multiple definition of template {}",
                    super::fmt::quote(&tree.name)
                ));
            }
            return Ok(());
        }
        self.defines.push(tree);
        Ok(())
    }

    fn parse_definition(&mut self) -> PResult<()> {
        const CONTEXT: &str = "define clause";
        let t = self.next();
        if !matches!(t.kind, Tok::String | Tok::RawString) {
            return self.unexpected(&t, CONTEXT);
        }
        let name = self.unquote(t.text(self.src))?;
        self.expect(Tok::RightDelim, CONTEXT)?;
        let (root, end) = self.sub_tree(|p| p.item_list())?;
        if !matches!(end, Item::End) {
            return self.errorf(format!("unexpected {{{{else}}}} in {CONTEXT}"));
        }
        self.add_define(name, root)
    }

    fn item_list(&mut self) -> PResult<(Box<[Node]>, Item)> {
        let mark = self.nodes.len();
        while self.peek().kind != Tok::Eof {
            match self.text_or_action()? {
                Item::Node(n) => self.nodes.push(n),
                end => return Ok((take(&mut self.nodes, mark), end)),
            }
        }
        self.errorf("unexpected EOF".into())
    }

    fn text_or_action(&mut self) -> PResult<Item> {
        let t = self.next();
        match t.kind {
            Tok::Text => Ok(Item::Node(Node::Text {
                start: t.start,
                end: t.end,
            })),
            Tok::LeftDelim => {
                self.action_start = Some(t.start as usize);
                let r = self.action();
                self.action_start = None;
                r
            }
            _ => self.unexpected(&t, "input"),
        }
    }

    fn action(&mut self) -> PResult<Item> {
        let t = self.next();
        match t.kind {
            Tok::Block => return self.block_control(),
            Tok::Break => return self.loop_control(Node::Break, "break"),
            Tok::Continue => return self.loop_control(Node::Continue, "continue"),
            Tok::Else => return self.else_control(),
            Tok::End => {
                self.expect(Tok::RightDelim, "end")?;
                return Ok(Item::End);
            }
            Tok::If => {
                let b = self.parse_control("if")?;
                return Ok(Item::Node(Node::If(Box::new(b))));
            }
            Tok::Range => {
                let b = self.parse_control("range")?;
                return Ok(Item::Node(Node::Range(Box::new(b))));
            }
            Tok::With => {
                let b = self.parse_control("with")?;
                return Ok(Item::Node(Node::With(Box::new(b))));
            }
            Tok::Template => return self.template_control(),
            _ => {}
        }
        self.backup();
        let pipe = self.pipeline("command", Tok::RightDelim)?;
        Ok(Item::Node(Node::Action(Box::new(pipe))))
    }

    fn loop_control(&mut self, node: Node, word: &str) -> PResult<Item> {
        let t = self.next();
        if t.kind != Tok::RightDelim {
            return self.unexpected(&t, &format!("{{{{{word}}}}}"));
        }
        if self.range_depth == 0 {
            return self.errorf(format!("{{{{{word}}}}} outside {{{{range}}}}"));
        }
        Ok(Item::Node(node))
    }

    fn else_control(&mut self) -> PResult<Item> {
        let peek = self.peek();
        // `else if`/`else with`: leave the keyword for parse_control to chain on.
        if matches!(peek.kind, Tok::If | Tok::With) {
            return Ok(Item::Else);
        }
        self.expect(Tok::RightDelim, "else")?;
        Ok(Item::Else)
    }

    fn parse_control(&mut self, context: &str) -> PResult<Branch> {
        let mark = self.vars.len();
        let r = self.nested(|p| p.parse_control_inner(context));
        self.vars.truncate(mark);
        r
    }

    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        if self.nesting >= MAX_NESTING {
            return self.errorf(format!("nesting deeper than {MAX_NESTING} levels"));
        }
        self.nesting += 1;
        let r = f(self);
        self.nesting -= 1;
        r
    }

    fn parse_control_inner(&mut self, context: &str) -> PResult<Branch> {
        let pipe = self.pipeline(context, Tok::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let r = self.item_list();
        if context == "range" {
            self.range_depth -= 1;
        }
        let (list, next) = r?;
        let mut else_list = None;
        if let Item::Else = next {
            let peek = self.peek();
            if context == "if" && peek.kind == Tok::If {
                self.next();
                let b = self.parse_control("if")?;
                else_list = Some(Box::new([Node::If(Box::new(b))]) as Box<[Node]>);
            } else if context == "with" && peek.kind == Tok::With {
                self.next();
                let b = self.parse_control("with")?;
                else_list = Some(Box::new([Node::With(Box::new(b))]));
            } else {
                let (list, next) = self.item_list()?;
                if !matches!(next, Item::End) {
                    return self.errorf("expected end; found {{else}}".into());
                }
                else_list = Some(list);
            }
        }
        Ok(Branch {
            pipe,
            list,
            else_list,
        })
    }

    fn template_name(&mut self, t: &Token, context: &str) -> PResult<String> {
        match t.kind {
            Tok::String | Tok::RawString => self.unquote(t.text(self.src)),
            _ => self.unexpected(t, context),
        }
    }

    fn block_control(&mut self) -> PResult<Item> {
        const CONTEXT: &str = "block clause";
        let t = self.next();
        let name = self.template_name(&t, CONTEXT)?;
        let pipe = self.pipeline(CONTEXT, Tok::RightDelim)?;
        let (root, end) = self.sub_tree(|p| p.item_list())?;
        if !matches!(end, Item::End) {
            return self.errorf(format!("unexpected {{{{else}}}} in {CONTEXT}"));
        }
        self.add_define(name.clone(), root)?;
        Ok(Item::Node(Node::Template(Box::new(TemplateCall {
            pos: t.start,
            name,
            pipe: Some(pipe),
        }))))
    }

    fn template_control(&mut self) -> PResult<Item> {
        const CONTEXT: &str = "template clause";
        let t = self.next();
        let name = self.template_name(&t, CONTEXT)?;
        let pipe = if self.next().kind != Tok::RightDelim {
            self.backup();
            Some(self.pipeline(CONTEXT, Tok::RightDelim)?)
        } else {
            None
        };
        Ok(Item::Node(Node::Template(Box::new(TemplateCall {
            pos: t.start,
            name,
            pipe,
        }))))
    }

    fn pipeline(&mut self, context: &str, end: Tok) -> PResult<Pipe> {
        let pos = self.peek().start;
        let mut is_assign = false;
        let mut decl = Vec::new();
        'decls: loop {
            let v = self.peek();
            if v.kind != Tok::Variable {
                break;
            }
            let before = self.i;
            self.next();
            let next = self.peek();
            let name = v.text(self.src);
            match next.kind {
                Tok::Assign | Tok::Declare => {
                    is_assign = next.kind == Tok::Assign;
                    self.next();
                    decl.push(Arc::from(name));
                    self.vars.push(name);
                }
                Tok::Char if next.text(self.src) == "," => {
                    self.next();
                    decl.push(Arc::from(name));
                    self.vars.push(name);
                    if context == "range" && decl.len() < 2 {
                        match self.peek().kind {
                            Tok::Variable | Tok::RightDelim | Tok::RightParen => continue 'decls,
                            _ => return self.errorf("range can only initialize variables".into()),
                        }
                    }
                    return self.errorf(format!("too many declarations in {context}"));
                }
                _ => self.go_back_to(before),
            }
            break;
        }
        let mark = self.cmds.len();
        loop {
            let t = self.next();
            if t.kind == end {
                let pipe = Pipe {
                    pos,
                    is_assign,
                    decl: decl.into_boxed_slice(),
                    cmds: take_one_or_many(&mut self.cmds, mark),
                };
                self.check_pipeline(&pipe, context)?;
                return Ok(pipe);
            }
            match t.kind {
                Tok::Bool
                | Tok::CharConstant
                | Tok::Complex
                | Tok::Dot
                | Tok::Field
                | Tok::Identifier
                | Tok::Number
                | Tok::Nil
                | Tok::RawString
                | Tok::String
                | Tok::Variable
                | Tok::LeftParen => {
                    let cmd = self.command(t)?;
                    self.cmds.push(cmd);
                }
                _ => return self.unexpected(&t, context),
            }
        }
    }

    fn check_pipeline(&self, pipe: &Pipe, context: &str) -> PResult<()> {
        if pipe.cmds.is_empty() {
            return self.errorf(format!("missing value for {context}"));
        }
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                c.args.first(),
                Some(
                    Arg::Bool { .. }
                        | Arg::Dot { .. }
                        | Arg::Nil { .. }
                        | Arg::Number { .. }
                        | Arg::String { .. }
                )
            ) {
                return self.errorf(format!(
                    "non executable command in pipeline stage {}",
                    i + 1
                ));
            }
        }
        Ok(())
    }

    /// A command whose first token, `first`, was just read.
    fn command(&mut self, first: Token) -> PResult<Command> {
        let mark = self.args.len();
        let mut t = first;
        loop {
            let op = self.operand(t)?;
            let read_one = op.is_some();
            if let Some(op) = op {
                self.args.push(op);
            }
            // `t` again if it started no operand.
            let after = self.next();
            match after.kind {
                Tok::RightDelim | Tok::RightParen => self.backup(),
                Tok::Pipe => {}
                // Spaces after an operand: the next one, if any, starts there.
                _ if read_one && after.spaced => {
                    t = after;
                    continue;
                }
                _ => return self.unexpected(&after, "operand"),
            }
            break;
        }
        if self.args.len() == mark {
            return self.errorf("empty command".into());
        }
        Ok(Command {
            pos: first.start,
            args: take_one_or_many(&mut self.args, mark),
        })
    }

    /// The operand starting with `t`, the token just read; `None`, with `t` unread again, if
    /// it starts none.
    fn operand(&mut self, t: Token) -> PResult<Option<Arg>> {
        let Some(node) = self.term(t)? else {
            return Ok(None);
        };
        let mark = self.idents.len();
        let Some(chain_pos) = self.field_chain() else {
            return Ok(Some(node));
        };
        Ok(Some(match node {
            Arg::Bool { .. }
            | Arg::String { .. }
            | Arg::Number { .. }
            | Arg::Nil { .. }
            | Arg::Dot { .. } => {
                return self.errorf(format!(
                    "unexpected . after term {}",
                    super::fmt::quote(&node.to_string())
                ));
            }
            other => Arg::Chain {
                pos: chain_pos,
                node: Box::new(other),
                fields: take_one_or_many(&mut self.idents, mark),
            },
        }))
    }

    /// Pushes the names of the `.A.B` fields that follow a term on `idents`; returns where
    /// they start (Go positions a chained field or variable there), if there are any.
    fn field_chain(&mut self) -> Option<u32> {
        let mut first = None;
        // Spaces end the chain: Go reads them, not what follows them.
        while let Some(&f) = self.toks.get(self.i) {
            if f.spaced {
                // Go reads the spaces, not what follows them. They start where the chain's
                // last field ends, on its line (a field never spans lines), so that field,
                // already counted as read, gives an error the same line.
                break;
            }
            if f.kind != Tok::Field {
                // The token after the chain is read, and left unread.
                self.note_read(self.i);
                break;
            }
            first.get_or_insert(f.start);
            let name = self.snippet(f.start + 1, f.end);
            self.idents.push(name);
            self.i += 1;
        }
        first
    }

    /// A field or variable with the fields chained on it, as one node (Go's `newField`/
    /// `newVariable` of the chain's text).
    /// `first` is the source range of the variable's name or the first field's.
    fn path(&mut self, pos: u32, (start, end): (u32, u32)) -> (u32, OneOrMany<Snippet>) {
        let mark = self.idents.len();
        let first = self.snippet(start, end);
        self.idents.push(first);
        let pos = self.field_chain().unwrap_or(pos);
        (pos, take_one_or_many(&mut self.idents, mark))
    }

    fn term(&mut self, t: Token) -> PResult<Option<Arg>> {
        let pos = t.start;
        let text = t.text(self.src);
        Ok(Some(match t.kind {
            Tok::Identifier => Arg::Identifier {
                pos,
                name: self.function(text)?,
            },
            Tok::Dot => Arg::Dot { pos },
            Tok::Nil => Arg::Nil { pos },
            Tok::Variable => {
                if !self.vars.contains(&text) {
                    return self.errorf(format!("undefined variable {}", super::fmt::quote(text)));
                }
                let (pos, idents) = self.path(pos, (t.start, t.end));
                Arg::Variable { pos, idents }
            }
            Tok::Field => {
                let (pos, idents) = self.path(pos, (t.start + 1, t.end));
                Arg::Field { pos, idents }
            }
            Tok::Bool => Arg::Bool {
                pos,
                val: text == "true",
            },
            Tok::CharConstant | Tok::Number | Tok::Complex => {
                let num = match self.number(text, t.kind) {
                    Ok(n) => n,
                    Err(msg) => return self.errorf(msg),
                };
                Arg::Number {
                    pos,
                    text: self.snippet(t.start, t.end),
                    num,
                }
            }
            Tok::LeftParen => {
                Arg::Pipe(Box::new(self.nested(|p| {
                    p.pipeline("parenthesized pipeline", Tok::RightParen)
                })?))
            }
            Tok::String | Tok::RawString => {
                // Most literals have nothing to unescape: their text is a slice of the source.
                let body = &text[1..text.len() - 1];
                let plain = if t.kind == Tok::String {
                    !body.contains('\\')
                } else {
                    !body.contains('\r')
                };
                let unquoted = if plain {
                    None
                } else {
                    Some(Arc::from(self.unquote(text)?))
                };
                let index = self.lits;
                self.lits += 1;
                Arg::String {
                    pos,
                    lit: StringLit {
                        written: self.snippet(t.start, t.end),
                        unquoted,
                        index,
                    },
                }
            }
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }

    fn unquote(&self, text: &str) -> PResult<String> {
        match unquote(text) {
            Some(s) => Ok(s),
            None => self.errorf("invalid syntax".into()),
        }
    }

    fn number(&self, text: &str, kind: Tok) -> Result<Number, String> {
        let mut n = Number {
            is_int: false,
            is_float: false,
            int: 0,
            float: 0.0,
        };
        match kind {
            Tok::CharConstant => {
                let c = unquote(text)
                    .and_then(|s| {
                        let mut it = s.chars();
                        let c = it.next()?;
                        it.next().is_none().then_some(c)
                    })
                    .ok_or_else(|| format!("malformed character constant: {text}"))?;
                n.is_int = true;
                n.int = c as i64;
                n.is_float = true;
                n.float = c as i64 as f64;
                return Ok(n);
            }
            Tok::Complex => return Err(format!("complex constants are not supported: {text}")),
            _ => {}
        }
        if let Some(i) = parse_go_int(text) {
            n.is_int = true;
            n.int = i;
            n.is_float = true;
            n.float = i as f64;
        } else if let Some((false, u)) = parse_go_magnitude(text) {
            // Fits uint64 only: a valid constant that execution rejects ("overflows int").
            n.is_float = true;
            n.float = u as f64;
        } else if let Some(f) = parse_go_float(text) {
            if !text.contains(['.', 'e', 'E', 'p', 'P']) {
                return Err(format!("integer overflow: {}", super::fmt::quote(text)));
            }
            n.is_float = true;
            n.float = f;
            if f.fract() == 0.0 && f.abs() < 9.2e18 {
                n.is_int = true;
                n.int = f as i64;
            }
        } else {
            return Err(format!(
                "illegal number syntax: {}",
                super::fmt::quote(text)
            ));
        }
        Ok(n)
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)`: sign, base prefix (`0x`, `0o`, `0b`, leading `0` for
/// octal) and `_` separators.
pub fn parse_go_int(s: &str) -> Option<i64> {
    let (neg, mag) = parse_go_magnitude(s)?;
    if neg {
        (mag <= i64::MAX as u64 + 1).then(|| (mag as i64).wrapping_neg())
    } else {
        i64::try_from(mag).ok()
    }
}

/// Sign and magnitude of a Go integer literal (`ParseUint` accepts what fits 64 bits).
fn parse_go_magnitude(s: &str) -> Option<(bool, u64)> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    // Most literals are plain decimals (`1`, `80`): no prefix, no `_`, nothing to clean.
    if !body.is_empty()
        && body.bytes().all(|c| c.is_ascii_digit())
        && (body.len() == 1 || !body.starts_with('0'))
    {
        return Some((neg, body.parse().ok()?));
    }
    let lower = body.to_ascii_lowercase();
    let (radix, digits, prefixed) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d.to_string(), true)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d.to_string(), true)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d.to_string(), true)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_string(), true)
    } else {
        (10, lower.clone(), false)
    };
    if !underscores_ok(&digits, prefixed) {
        return None;
    }
    let clean: String = digits.chars().filter(|&c| c != '_').collect();
    if clean.is_empty() {
        return None;
    }
    Some((neg, u64::from_str_radix(&clean, radix).ok()?))
}

fn underscores_ok(digits: &str, prefixed: bool) -> bool {
    if !digits.contains('_') {
        return true;
    }
    // An underscore must sit between digits (or right after a base prefix).
    let b = digits.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == b'_' {
            let prev_ok = if i == 0 { prefixed } else { b[i - 1] != b'_' };
            let next_ok = i + 1 < b.len() && b[i + 1] != b'_';
            if !prev_ok || !next_ok {
                return false;
            }
        }
    }
    true
}

/// Go's hexadecimal float syntax: `0x1.8p3` (the `p` exponent is required).
fn parse_hex_float(s: &str) -> Option<f64> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let body = body
        .strip_prefix("0x")
        .or_else(|| body.strip_prefix("0X"))?;
    let body: String = body.chars().filter(|&c| c != '_').collect();
    let (mant, exp) = body.split_once(['p', 'P'])?;
    let exp: i32 = exp.parse().ok()?;
    let (int_part, frac_part) = mant.split_once('.').unwrap_or((mant, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let mut v = 0f64;
    for c in int_part.chars() {
        v = v * 16.0 + c.to_digit(16)? as f64;
    }
    let mut scale = 1.0 / 16.0;
    for c in frac_part.chars() {
        v += c.to_digit(16)? as f64 * scale;
        scale /= 16.0;
    }
    let v = v * 2f64.powi(exp);
    Some(if neg { -v } else { v })
}

/// Go's `strconv.ParseFloat(s, 64)`: decimal syntax (with `_` separators) or hexadecimal.
pub fn parse_go_float(s: &str) -> Option<f64> {
    if s.trim_start_matches(['+', '-']).starts_with("0x")
        || s.trim_start_matches(['+', '-']).starts_with("0X")
    {
        return parse_hex_float(s);
    }
    if s.contains('_') && !underscores_ok(s.trim_start_matches(['+', '-']), false) {
        return None;
    }
    let clean: String = s.chars().filter(|&c| c != '_').collect();
    if !clean
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    clean.parse().ok()
}

/// Go's `strconv.Unquote` for "…", `…` and '…' literals.
pub fn unquote(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.len() < 2 {
        return None;
    }
    let q = b[0];
    if b[b.len() - 1] != q {
        return None;
    }
    let body = &s[1..s.len() - 1];
    if q == b'`' {
        if body.contains('`') {
            return None;
        }
        return Some(body.replace('\r', ""));
    }
    if q != b'"' && q != b'\'' {
        return None;
    }
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c == q as char || c == '\n' {
            return None;
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = chars.next()?;
        match e {
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\x0b'),
            '\\' => out.push('\\'),
            '\'' | '"' => {
                if e as u8 != q {
                    return None;
                }
                out.push(e)
            }
            'x' | 'u' | 'U' => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = (0..n).filter_map(|_| chars.next()).collect();
                if hex.len() != n {
                    return None;
                }
                let v = u32::from_str_radix(&hex, 16).ok()?;
                // A `\x` byte escape becomes the character of that code: Go strings may
                // hold any bytes, ours hold UTF-8.
                out.push(char::from_u32(v)?);
            }
            '0'..='7' => {
                let mut v = e.to_digit(8)?;
                for _ in 0..2 {
                    v = v * 8 + chars.next()?.to_digit(8)?;
                }
                if v > 255 {
                    return None;
                }
                out.push(char::from_u32(v)?);
            }
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(src: &str) -> String {
        match parse("t", src.into(), &|n| n == "upper") {
            Ok(_) => "ok".into(),
            Err(e) => format!("{}: {}", e.line, e.msg),
        }
    }

    #[test]
    fn parse_errors_like_go() {
        assert_eq!(err("{{ .x"), "1: unclosed action");
        assert_eq!(err("a\n{{ .x\nfoo\n"), "3: function \"foo\" not defined");
        assert_eq!(err("{{ 1.2.3 }}"), "1: unexpected \".3\" in operand");
        assert_eq!(err("{{ if true }}x"), "1: unexpected EOF");
        assert_eq!(err("{{ if true }}x\n"), "2: unexpected EOF");
        assert_eq!(err("{{ $x }}"), "1: undefined variable \"$x\"");
        assert_eq!(
            err("{{ \"a\" | \"b\" }}"),
            "1: non executable command in pipeline stage 2"
        );
        assert_eq!(
            err("{{ template $n }}"),
            "1: unexpected \"$n\" in template clause"
        );
        assert_eq!(err("{{ break }}"), "1: {{break}} outside {{range}}");
        assert_eq!(
            err("{{ range $a, $b, $c := . }}{{end}}"),
            "1: too many declarations in range"
        );
        assert_eq!(err("{{/* a */}}{{- /* b */ -}}"), "ok");
        assert_eq!(err("{{ upper `x` | upper }}"), "ok");
    }

    #[test]
    fn tricky_inputs() {
        // Comments: empty, trimmed on either side, containing delimiters and quotes.
        assert_eq!(err("{{/**/}}"), "ok");
        assert_eq!(err("a {{- /* x */}} b"), "ok");
        assert_eq!(err("a {{/* x */ -}} b"), "ok");
        assert_eq!(err("{{/* {{ \"}}\" }} */}}"), "ok");
        // A dash without a following space is part of a number, not a trim marker.
        assert_eq!(err("{{-/* x */}}"), "1: illegal number syntax: \"-\"");
        assert_eq!(err("{{ \"a\\\"b\" `c\"d` 'x' }}"), "ok");
        assert_eq!(err("{{ 'ab' }}"), "1: malformed character constant: 'ab'");
        assert_eq!(err("{{ print 'é' \"☃\" }}"), "ok");
        assert_eq!(err("{{ .a.b.c | printf \"%s\" }}{{ (.a).b }}"), "ok");
        assert_eq!(err("{{ 1 . }}"), "ok");
        assert_eq!(err("x\n\n{{ if }}"), "3: missing value for if");
        assert_eq!(err("{{ end"), "1: unclosed action");
        assert_eq!(err("{{ $x := 1 }}{{ $x = 2 }}{{ $x }}"), "ok");
        assert_eq!(
            err("{{ range $i, $v := . }}{{ $i }}{{ end }}{{ $v }}"),
            "1: undefined variable \"$v\""
        );
    }

    /// Go reports an error at the line of the last token read, spaces included: a field
    /// chain reads the spaces after it, not what follows them.
    #[test]
    fn error_lines_count_spaces_as_read() {
        assert_eq!(
            err("{{ \"a\".b\n\n}}"),
            "1: unexpected . after term \"\\\"a\\\"\""
        );
        assert_eq!(
            err("{{ \"a\".b}}\n"),
            "1: unexpected . after term \"\\\"a\\\"\""
        );
        assert_eq!(err("{{ $x\n\n| print }}"), "3: undefined variable \"$x\"");
        assert_eq!(err("{{ .a\n\n, }}"), "3: unexpected \",\" in operand");
        assert_eq!(err("{{ .a\n\n= }}"), "3: unexpected \"=\" in operand");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let parens = |n: usize| format!("{{{{ {}1{} }}}}", "(".repeat(n), ")".repeat(n));
        assert_eq!(err(&parens(99)), "ok");
        assert_eq!(err(&parens(20_000)), "1: nesting deeper than 100 levels");
        let ifs = |n: usize| format!("{}{}", "{{ if 1 }}".repeat(n), "{{ end }}".repeat(n));
        assert_eq!(err(&ifs(99)), "ok");
        assert!(err(&ifs(20_000)).contains("nesting deeper"));
    }

    /// Text nodes, half of a tree's nodes, take a node's whole size.
    #[test]
    fn nodes_stay_small() {
        assert_eq!(std::mem::size_of::<Node>(), 16);
        assert_eq!(std::mem::size_of::<Snippet>(), 16);
    }

    #[test]
    fn node_strings() {
        let p = parse(
            "t",
            "{{ index .Values.m \"a\" (list 1) $.x }}".into(),
            &|_| true,
        )
        .unwrap();
        let Node::Action(pipe) = &p.main.root[0] else {
            panic!()
        };
        assert_eq!(pipe.to_string(), "index .Values.m \"a\" (list 1) $.x");
        let p = parse("t", "{{ print \"a\\tb\" `c` \"d\" `e\r` }}".into(), &|_| {
            true
        })
        .unwrap();
        let Node::Action(pipe) = &p.main.root[0] else {
            panic!()
        };
        assert_eq!(pipe.to_string(), "print \"a\\tb\" `c` \"d\" `e\r`");
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_go_int("0x1F"), Some(31));
        assert_eq!(parse_go_int("017"), Some(15));
        assert_eq!(parse_go_int("0o17"), Some(15));
        assert_eq!(parse_go_int("1_000"), Some(1000));
        assert_eq!(parse_go_int("-7"), Some(-7));
        assert_eq!(parse_go_int("1__0"), None);
        assert_eq!(parse_go_int("0"), Some(0));
        assert_eq!(parse_go_int("+42"), Some(42));
        assert_eq!(parse_go_int("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_go_int("9223372036854775808"), None);
        assert_eq!(
            parse_go_magnitude("18446744073709551615"),
            Some((false, u64::MAX))
        );
        assert_eq!(parse_go_magnitude("18446744073709551616"), None);
        assert_eq!(parse_go_int("+-1"), None);
        assert_eq!(parse_go_int("-"), None);
        assert_eq!(parse_go_float("1e3"), Some(1000.0));
        assert_eq!(parse_go_float("0x1p60"), Some(2f64.powi(60)));
        assert_eq!(parse_go_float("0x1.8p1"), Some(3.0));
    }
}
