//! Turns a parse tree into the tree the renderer walks, doing what Velocity's `init()` pass does:
//! children first, references rewrite their first token (dropping escape backslashes and text
//! before the `$`), string literals that contain `$` or `#` are parsed as templates, literals
//! become values, and each `#macro` is registered once its body is done — so a string literal
//! parsed later in the same pass already knows it.

use crate::error::{Error, ErrorKind};
use crate::lexer::{Kind as TokenKind, Token};
use crate::parser::{self, directive_is_block, Node, NodeKind, ParseError};
use crate::value::{number_from_lexical, Value};
use num_bigint::BigInt;
use rustc_hash::{FxHashMap, FxHashSet};
use std::cell::RefCell;
use std::rc::Rc;

/// An interned name (variables, macro arguments).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct Sym(pub u32);

/// Names to symbols; shared by everything one engine compiles.
#[derive(Default)]
pub struct Interner {
    map: FxHashMap<Rc<str>, Sym>,
    names: Vec<Rc<str>>,
    /// The names' total length.
    bytes: usize,
}

impl Interner {
    pub fn intern(&mut self, name: &str) -> Sym {
        if let Some(&s) = self.map.get(name) {
            return s;
        }
        let s = Sym(self.names.len() as u32);
        let rc: Rc<str> = Rc::from(name);
        self.bytes += name.len();
        self.names.push(rc.clone());
        self.map.insert(rc, s);
        s
    }

    pub fn lookup(&self, name: &str) -> Option<Sym> {
        self.map.get(name).copied()
    }

    pub fn name(&self, s: Sym) -> &Rc<str> {
        &self.names[s.0 as usize]
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// The names' total length.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

pub type NodeId = u32;

/// How a reference was written (Velocity's referenceType).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RefKind {
    Normal,
    Formal,
    Quiet,
    /// Not a reference after all (`RUNT`): renders its root text.
    Runt,
    /// The `\!` form Velocity never evaluates.
    Uncomputable,
}

/// Names the in-place reader ([`crate::context::peek`]) knows, recognised once when compiling so
/// that reading a reference compares no strings.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Known {
    Other,
    /// `class`/`Class`: a real getter even on a map.
    Class,
    /// The loop scope's counters (`$foreach.index` …, either capitalisation).
    Index,
    Count,
    HasNext,
    First,
    Last,
    /// The methods `get`, `size`, `isEmpty` and `equals`.
    Get,
    Size,
    IsEmpty,
    Equals,
}

impl Known {
    fn property(name: &str) -> Known {
        match name {
            "class" | "Class" => Known::Class,
            "index" | "Index" => Known::Index,
            "count" | "Count" => Known::Count,
            "hasNext" | "HasNext" => Known::HasNext,
            "first" | "First" => Known::First,
            "last" | "Last" => Known::Last,
            _ => Known::Other,
        }
    }

    fn method(name: &str) -> Known {
        match name {
            "get" => Known::Get,
            "size" => Known::Size,
            "isEmpty" => Known::IsEmpty,
            "equals" => Known::Equals,
            _ => Known::Other,
        }
    }
}

/// One step after the root of a reference, with the per-site cache of what it resolved to.
pub enum Part {
    Identifier {
        name: Rc<str>,
        known: Known,
        /// The name as a map key (`$map.name` is `map.get("name")`).
        key: Value,
        /// Where the key was in the last map read here (maps of one shape keep it in place).
        slot: SlotHint,
        line: u32,
        column: u32,
        cache: RefCell<Option<(crate::value::JClass, Option<crate::methods::Getter>)>>,
    },
    Method {
        name: Rc<str>,
        known: Known,
        args: Vec<NodeId>,
        /// The argument when it is one constant string or integer (`get('name')`, `get(0)`,
        /// `equals('1')`).
        constant_key: Option<Value>,
        slot: SlotHint,
        line: u32,
        column: u32,
        cache: RefCell<Option<MethodCache>>,
    },
    Index {
        arg: NodeId,
        line: u32,
        column: u32,
    },
}

impl Part {
    /// Whether [`crate::context::step`] can take this kind of part in place (on a map, a list
    /// or a loop scope; other receivers still need the general path).
    #[inline]
    pub fn in_place(&self) -> bool {
        match self {
            Part::Identifier { known, .. } => *known != Known::Class,
            Part::Method { known: Known::Get | Known::Equals, constant_key, .. } => constant_key.is_some(),
            Part::Method { known: Known::Size | Known::IsEmpty, args, .. } => args.is_empty(),
            _ => false,
        }
    }
}

pub type SlotHint = std::cell::Cell<u32>;

/// The method a call site found for a receiver class and argument classes.
pub struct MethodCache {
    pub class: crate::value::JClass,
    pub args: Vec<Option<crate::value::JClass>>,
    pub method: Option<crate::methods::Method>,
}

pub struct Reference {
    pub kind: RefKind,
    pub root: Sym,
    pub root_name: Rc<str>,
    pub escaped: bool,
    pub esc_prefix: Rc<str>,
    pub more_prefix: Rc<str>,
    /// What a null value prints as (before a macro argument's own literal is looked up).
    pub null_string: Rc<str>,
    /// The macro-argument name whose caller literal replaces `null_string` (`.literal.$name`).
    pub literal_key: Option<Sym>,
    pub literal: Rc<str>,
    pub parts: Vec<Part>,
    /// How many leading parts may be read in place: when that is all of them, the renderer
    /// tries [`crate::context::peek`] first; otherwise the general path reads these in place
    /// and calls the rest.
    pub in_place: usize,
    /// The last part's name, for `#set($a.b = …)`.
    pub identifier: Rc<str>,
}

/// A macro call (RuntimeMacro, or BlockMacro when it has a body).
pub struct Call {
    pub name: Rc<str>,
    pub args: Vec<NodeId>,
    /// A word among the arguments makes the call an error once the macro exists.
    pub bad_arg: Option<String>,
    /// What an undefined macro prints: its tokens as written.
    pub literal: Rc<str>,
    pub body: Option<NodeId>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

pub enum Kind {
    /// Text written as is (text, comments' prefixes, escapes, `#literal`, text blocks).
    Text(Rc<str>),
    /// Children rendered in order (the template itself, directive bodies).
    Block(Vec<NodeId>),
    Reference(Box<Reference>),
    Set {
        target: NodeId,
        value: NodeId,
        name: Sym,
    },
    /// `#if`/`#elseif`/`#else`: conditions (none for `#else`) and blocks.
    If(Vec<(Option<NodeId>, NodeId)>),
    Foreach {
        element: Sym,
        iterable: NodeId,
        body: NodeId,
    },
    Call(Box<Call>),
    Define {
        key: Sym,
        body: NodeId,
    },
    Evaluate(NodeId),
    Parse(Option<NodeId>),
    /// `#include`: its arguments, each valid (a string or a reference) or not.
    Include(Vec<(NodeId, bool)>),
    Break(Option<NodeId>),
    Stop(Option<NodeId>),
    /// `#macro` definitions render nothing.
    Nothing,
    /// `#@name` without arguments: prints `#` and the name.
    NotADirective(Rc<str>),
    /// A directive Velocity accepts at parse time but fails on when it renders.
    Fail(Rc<str>),
    // ---- expressions ----
    Constant(Value),
    /// A word (`in`, a macro name): evaluates to null.
    Word,
    /// A string literal: interpolated through a parsed template (and the space Velocity appends
    /// stripped unless the text holds `##`), or constant.
    Str {
        template: Option<NodeId>,
        image: Rc<str>,
        strip_last: bool,
    },
    Range(NodeId, NodeId),
    List(Vec<NodeId>),
    Map(Vec<NodeId>),
    Binary(BinOp, NodeId, NodeId),
    Not(NodeId),
    True,
    False,
}

pub struct CNode {
    pub kind: Kind,
    pub line: u32,
    pub column: u32,
    /// Velocity's `literal()` of the node, kept where rendering needs it (macro arguments and
    /// operands of `+` print it when null).
    pub literal: Option<Rc<str>>,
}

/// A macro defined by a template.
pub struct MacroDecl {
    pub name: Rc<str>,
    pub params: Vec<Sym>,
    pub body: NodeId,
}

/// A compiled template.
pub struct Template {
    pub name: Rc<str>,
    pub nodes: Vec<CNode>,
    pub root: NodeId,
    /// Macros in the order the init pass registered them.
    pub macros: Vec<MacroDecl>,
    /// The source lines, for showing errors.
    pub source: Rc<str>,
    /// Whether it may read `$velocityCount` or `$velocityHasNext` (by name, or through
    /// `#evaluate` or `#parse`, which can name anything).
    pub reads_loop_counters: bool,
}

impl Reference {
    /// Whether every part may be read in place.
    pub fn reads_in_place(&self) -> bool {
        self.in_place == self.parts.len()
    }
}

impl Template {
    pub fn node(&self, id: NodeId) -> &CNode {
        &self.nodes[id as usize]
    }

    /// The first-level properties of variable `root` this template can read (`$root.name`,
    /// `$root.get('name')`), so that a caller may build only those; `None` when it can read more
    /// than the tree shows: the variable used whole (printed, passed on, iterated, asked its size
    /// or keys), or code this template does not hold (a macro call, `#evaluate`, `#parse`).
    /// Every reference named `root` counts, even a loop variable or macro argument of that name,
    /// so the answer can be more than what is read, never less.
    pub fn properties_read(&self, root: &str) -> Option<std::collections::BTreeSet<Rc<str>>> {
        let mut read = std::collections::BTreeSet::new();
        for node in &self.nodes {
            match &node.kind {
                Kind::Call(_) | Kind::Evaluate(_) | Kind::Parse(_) => return None,
                Kind::Reference(r) if &*r.root_name == root => match r.parts.first() {
                    Some(Part::Identifier { name, known: Known::Other, .. }) => {
                        read.insert(name.clone());
                    }
                    Some(Part::Method { known: Known::Get, constant_key: Some(Value::Str(key)), .. }) => {
                        read.insert(key.clone());
                    }
                    _ => return None,
                },
                _ => {}
            }
        }
        Some(read)
    }

    /// The text of a 1-based line of the source.
    pub fn source_line(&self, line: u32) -> Option<String> {
        if line == 0 {
            return None;
        }
        self.source.split('\n').nth(line as usize - 1).map(|l| l.trim_end_matches('\r').to_string())
    }
}

/// Velocity's `NodeUtils.getSpecialText`: lone `$`/`#` and `\…$` runs of the special tokens.
fn special_text(specials: &[String]) -> String {
    let mut sb = String::new();
    for st in specials {
        let chars: Vec<char> = st.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == '#' || c == '$' {
                sb.push(c);
            }
            if c == '\\' {
                let mut j = i;
                let mut term = false;
                while j < chars.len() {
                    let cc = chars[j];
                    j += 1;
                    if cc == '\\' {
                        continue;
                    }
                    term = cc == '$';
                    break;
                }
                if term {
                    sb.extend(&chars[i..j]);
                    i = j;
                }
            }
            i += 1;
        }
    }
    sb
}

/// `NodeUtils.tokenLiteral`.
fn token_literal(t: &Token) -> String {
    if t.kind == TokenKind::MultiLineComment {
        return String::new();
    }
    match t.special.last() {
        Some(last) if !last.starts_with("##") => {
            let special = special_text(&t.special);
            format!("{special}{}", t.image)
        }
        _ => t.image.clone(),
    }
}

/// What compiling needs from its surroundings: which macros exist (parse-time knowledge), and
/// the place to put macros it defines.
pub struct Compiler<'a> {
    pub interner: &'a mut Interner,
    /// Names of macros registered so far (the parser treats calls to them specially).
    pub known_macros: &'a mut FxHashSet<Rc<str>>,
    name: Rc<str>,
    nodes: Vec<CNode>,
    macros: Vec<MacroDecl>,
    /// Nesting of string literals parsed as templates (each parse is a recursion).
    depth: usize,
}

/// Deeper nesting of interpolated string literals than this is refused.
const MAX_STRING_NESTING: usize = 64;

fn init_error(kind: ErrorKind, message: String, line: usize, column: usize) -> Error {
    Error { kind, message, template: String::new(), line, column, source_line: None }
}

pub fn parse_error(e: ParseError, template: &str) -> Error {
    Error {
        kind: e.limit.map_or(ErrorKind::Parse, ErrorKind::Limit),
        message: e.message,
        template: template.to_string(),
        line: e.line,
        column: e.column,
        source_line: Some(e.source_line),
    }
}

/// Nodes compiled between two checks of the memory the compile holds.
const NODES_PER_CHECK: usize = 1024;

impl<'a> Compiler<'a> {
    pub fn new(interner: &'a mut Interner, known_macros: &'a mut FxHashSet<Rc<str>>, name: &str) -> Self {
        Compiler {
            interner,
            known_macros,
            name: Rc::from(name),
            nodes: Vec::new(),
            macros: Vec::new(),
            depth: 0,
        }
    }

    /// Parses and initializes a template.
    pub fn compile(mut self, source: &str) -> Result<Template, Error> {
        let root = self.compile_source(source, 0, 0).map_err(|mut e| {
            e.template = self.name.to_string();
            if e.source_line.is_none() && e.line > 0 {
                e.source_line =
                    source.split('\n').nth(e.line - 1).map(|l| l.trim_end_matches('\r').to_string());
            }
            e
        })?;
        let counters = [self.interner.intern("velocityCount"), self.interner.intern("velocityHasNext")];
        let reads_loop_counters = self.nodes.iter().any(|n| match &n.kind {
            Kind::Reference(r) => counters.contains(&r.root),
            Kind::Foreach { element, .. } => counters.contains(element),
            Kind::Evaluate(_) | Kind::Parse(_) => true,
            _ => false,
        });
        Ok(Template {
            name: self.name,
            nodes: self.nodes,
            root,
            macros: self.macros,
            source: Rc::from(source),
            reads_loop_counters,
        })
    }

    /// Parses `source` and compiles its tree; positions are shifted by (line, column) as
    /// Velocity shifts those of string literals.
    fn compile_source(
        &mut self,
        source: &str,
        line_offset: u32,
        column_offset: u32,
    ) -> Result<NodeId, Error> {
        // The characters, and the line starts.
        crate::budget::reserve_for::<char>(source.len().saturating_mul(3))?;
        let chars: Vec<char> = source.chars().collect();
        let known = &*self.known_macros;
        let parsed = parser::parse(&chars, &|name| known.contains(name)).map_err(|e| {
            let mut err = parse_error(e, &self.name);
            if line_offset > 0 {
                err.line += line_offset as usize - 1;
                err.column += column_offset as usize;
                err.source_line = None;
            }
            err
        })?;
        let mut unit = Unit { tokens: parsed.tokens, lines: line_starts(&chars), line_offset, column_offset };
        self.node(&mut unit, &parsed.root)
    }

    /// The engine's shared copy of a map key the template names: data converted by the engine
    /// uses the same copy, so comparing the two is comparing pointers.
    fn interned(&mut self, key: &str) -> Rc<str> {
        let sym = self.interner.intern(key);
        self.interner.name(sym).clone()
    }

    fn push(&mut self, kind: Kind, line: u32, column: u32) -> NodeId {
        self.nodes.push(CNode { kind, line, column, literal: None });
        (self.nodes.len() - 1) as NodeId
    }

    fn set_literal(&mut self, id: NodeId, literal: String) {
        self.nodes[id as usize].literal = Some(Rc::from(literal));
    }

    fn children(&mut self, unit: &mut Unit, node: &Node) -> Result<Vec<NodeId>, Error> {
        node.children.iter().map(|c| self.node(unit, c)).collect()
    }

    /// Joins runs of adjacent text children into one text node: they only ever print in order,
    /// and directives leave many short ones (gobbled whitespace, comment prefixes).
    fn merge_texts(&mut self, children: Vec<NodeId>) -> Vec<NodeId> {
        let text = |nodes: &[CNode], id: NodeId| match &nodes[id as usize].kind {
            Kind::Text(s) => Some(s.clone()),
            _ => None,
        };
        let runs: Vec<Vec<NodeId>> = children
            .chunk_by(|&a, &b| text(&self.nodes, a).is_some() && text(&self.nodes, b).is_some())
            .map(<[_]>::to_vec)
            .collect();
        let mut merged = Vec::with_capacity(runs.len());
        for run in runs {
            let id = match run.as_slice() {
                [one] => *one,
                _ => {
                    let joined: String =
                        run.iter().filter_map(|&id| text(&self.nodes, id)).map(|s| s.to_string()).collect();
                    let first = &self.nodes[run[0] as usize];
                    let (line, column) = (first.line, first.column);
                    self.push(Kind::Text(Rc::from(joined)), line, column)
                }
            };
            if text(&self.nodes, id).is_none_or(|s| !s.is_empty()) {
                merged.push(id);
            }
        }
        merged
    }

    /// Compiles a node: its children first, then itself (Velocity's init order).
    fn node(&mut self, unit: &mut Unit, node: &Node) -> Result<NodeId, Error> {
        crate::budget::tick(1);
        if self.nodes.len().is_multiple_of(NODES_PER_CHECK) {
            crate::budget::reserve(0)?;
        }
        let (line, column) = unit.position(node.first);
        let kind = match &node.kind {
            NodeKind::Process | NodeKind::Block => {
                let children = self.children(unit, node)?;
                Kind::Block(self.merge_texts(children))
            }
            NodeKind::Text => Kind::Text(Rc::from(token_literal(&unit.tokens[node.first]))),
            NodeKind::Escape(val) => Kind::Text(Rc::from(val.as_str())),
            NodeKind::EscapedDirective(text) => Kind::Text(Rc::from(text.as_str())),
            NodeKind::Textblock => {
                let image = &unit.tokens[node.first].image;
                let chars: Vec<char> = image.chars().collect();
                let inner: String = chars
                    .get(3..chars.len().saturating_sub(3))
                    .map(|c| c.iter().collect())
                    .unwrap_or_default();
                Kind::Text(Rc::from(inner))
            }
            NodeKind::Comment => {
                let image = &unit.tokens[node.first].image;
                let cut = image.find("##").or_else(|| image.find("#*"));
                Kind::Text(Rc::from(cut.map_or("", |c| &image[..c])))
            }
            NodeKind::Reference => return self.reference(unit, node, line, column),
            NodeKind::SetDirective => {
                let target = self.node(unit, &node.children[0])?;
                let value = self.node(unit, &node.children[1])?;
                // Velocity names the variable by the first token's image minus its first char.
                let image = &unit.tokens[node.children[0].first].image;
                let name = self.interner.intern(image.get(1..).unwrap_or(""));
                Kind::Set { target, value, name }
            }
            NodeKind::IfStatement => {
                let condition = self.node(unit, &node.children[0])?;
                let block = self.node(unit, &node.children[1])?;
                let mut branches = vec![(Some(condition), block)];
                for branch in &node.children[2..] {
                    match branch.kind {
                        NodeKind::ElseIfStatement => {
                            let c = self.node(unit, &branch.children[0])?;
                            let b = self.node(unit, &branch.children[1])?;
                            branches.push((Some(c), b));
                        }
                        _ => {
                            let b = self.node(unit, &branch.children[0])?;
                            branches.push((None, b));
                        }
                    }
                }
                Kind::If(branches)
            }
            NodeKind::Expression => return self.node(unit, &node.children[0]),
            NodeKind::Directive(name) => return self.directive(unit, node, name, line, column),
            NodeKind::Word => Kind::Word,
            NodeKind::StringLiteral => self.string_literal(unit, node, line, column)?,
            NodeKind::IntegerLiteral | NodeKind::FloatingPointLiteral => {
                let image = &unit.tokens[node.first].image;
                // A `#` before a number lexes into its image (`$list[#1]`); the literal's init
                // then fails to parse it, before anything renders.
                if image.starts_with('#') {
                    let (line, column) = unit.position(node.first);
                    let message = match node.kind {
                        // Floating-point literals are read by `new BigDecimal(image)`.
                        NodeKind::FloatingPointLiteral => "Character # is neither a decimal digit number, \
                            decimal point, nor \"e\" notation exponential mark."
                            .to_owned(),
                        _ => format!("For input string: \"{image}\""),
                    };
                    return Err(init_error(
                        ErrorKind::Runtime,
                        format!("java.lang.NumberFormatException: {message}"),
                        line as usize,
                        column as usize,
                    ));
                }
                Kind::Constant(match node.kind {
                    NodeKind::FloatingPointLiteral => Value::Double(java_parse_double(image)),
                    _ => match number_from_lexical(image) {
                        v @ (Value::Int(_) | Value::Long(_) | Value::BigInt(_)) => v,
                        _ => Value::bigint(image.parse::<BigInt>().unwrap_or_default()),
                    },
                })
            }
            NodeKind::IntegerRange => {
                let from = self.node(unit, &node.children[0])?;
                let to = self.node(unit, &node.children[1])?;
                Kind::Range(from, to)
            }
            NodeKind::ObjectArray => Kind::List(self.children(unit, node)?),
            NodeKind::Map => Kind::Map(self.children(unit, node)?),
            NodeKind::True => Kind::True,
            NodeKind::False => Kind::False,
            NodeKind::Not => Kind::Not(self.node(unit, &node.children[0])?),
            NodeKind::Or
            | NodeKind::And
            | NodeKind::Eq
            | NodeKind::Ne
            | NodeKind::Lt
            | NodeKind::Gt
            | NodeKind::Le
            | NodeKind::Ge
            | NodeKind::Add
            | NodeKind::Subtract
            | NodeKind::Mul
            | NodeKind::Div
            | NodeKind::Mod => {
                let op = match node.kind {
                    NodeKind::Or => BinOp::Or,
                    NodeKind::And => BinOp::And,
                    NodeKind::Eq => BinOp::Eq,
                    NodeKind::Ne => BinOp::Ne,
                    NodeKind::Lt => BinOp::Lt,
                    NodeKind::Gt => BinOp::Gt,
                    NodeKind::Le => BinOp::Le,
                    NodeKind::Ge => BinOp::Ge,
                    NodeKind::Add => BinOp::Add,
                    NodeKind::Subtract => BinOp::Sub,
                    NodeKind::Mul => BinOp::Mul,
                    NodeKind::Div => BinOp::Div,
                    _ => BinOp::Mod,
                };
                let left = self.node(unit, &node.children[0])?;
                let right = self.node(unit, &node.children[1])?;
                if op == BinOp::Add {
                    // `+` prints a null operand's literal when the other side is a string.
                    let (l, r) = (unit.literal(&node.children[0]), unit.literal(&node.children[1]));
                    self.set_literal(left, l);
                    self.set_literal(right, r);
                }
                Kind::Binary(op, left, right)
            }
            NodeKind::Identifier
            | NodeKind::Method
            | NodeKind::Index
            | NodeKind::ElseIfStatement
            | NodeKind::ElseStatement => {
                return Err(init_error(
                    ErrorKind::Runtime,
                    "misplaced node".into(),
                    line as usize,
                    column as usize,
                ))
            }
        };
        Ok(self.push(kind, line, column))
    }

    /// ASTReference.init: children, then `getRoot()` (which edits the first token), then
    /// `literal()`.
    fn reference(&mut self, unit: &mut Unit, node: &Node, line: u32, column: u32) -> Result<NodeId, Error> {
        let mut parts = Vec::with_capacity(node.children.len());
        for child in &node.children {
            let (l, c) = unit.position(child.first);
            parts.push(match child.kind {
                NodeKind::Identifier => Part::Identifier {
                    name: Rc::from(unit.tokens[child.first].image.as_str()),
                    known: Known::property(&unit.tokens[child.first].image),
                    key: Value::Str(self.interned(&unit.tokens[child.first].image)),
                    slot: SlotHint::default(),
                    line: l,
                    column: c,
                    cache: RefCell::new(None),
                },
                NodeKind::Method => {
                    let name: Rc<str> = Rc::from(unit.tokens[child.children[0].first].image.as_str());
                    let known = Known::method(&name);
                    let args: Vec<NodeId> =
                        child.children[1..].iter().map(|a| self.node(unit, a)).collect::<Result<_, _>>()?;
                    let constant_key = match args.as_slice() {
                        [only] => match &self.nodes[*only as usize].kind {
                            Kind::Str { template: None, image, .. } => {
                                let image = image.clone();
                                Some(Value::Str(self.interned(&image)))
                            }
                            Kind::Constant(v @ Value::Int(_)) => Some(v.clone()),
                            _ => None,
                        },
                        _ => None,
                    };
                    Part::Method {
                        name,
                        known,
                        args,
                        constant_key,
                        slot: SlotHint::default(),
                        line: l,
                        column: c,
                        cache: RefCell::new(None),
                    }
                }
                _ => Part::Index { arg: self.node(unit, &child.children[0])?, line: l, column: c },
            });
        }
        let identifier: Rc<str> = match node.children.last() {
            Some(last) if last.kind != NodeKind::Index => Rc::from(unit.tokens[last.first].image.as_str()),
            _ => Rc::from(""),
        };
        let root = get_root(unit, node);
        let literal = unit.literal(node);
        let null_string: Rc<str> = match &root.null_string {
            NullString::Literal => Rc::from(literal.as_str()),
            NullString::Empty => Rc::from(""),
            NullString::Text(t) => Rc::from(t.as_str()),
        };
        let literal_key = null_string.strip_prefix('$').map(|name| self.interner.intern(name));
        let reference = Reference {
            kind: root.kind,
            root: self.interner.intern(&root.root),
            root_name: Rc::from(root.root.as_str()),
            escaped: root.escaped,
            esc_prefix: Rc::from(root.esc_prefix.as_str()),
            more_prefix: Rc::from(root.more_prefix.as_str()),
            null_string,
            literal_key,
            literal: Rc::from(literal.as_str()),
            in_place: parts.iter().take_while(|p| p.in_place()).count(),
            parts,
            identifier,
        };
        let id = self.push(Kind::Reference(Box::new(reference)), line, column);
        self.set_literal(id, literal);
        Ok(id)
    }

    fn string_literal(
        &mut self,
        unit: &mut Unit,
        node: &Node,
        line: u32,
        column: u32,
    ) -> Result<Kind, Error> {
        let img = unit.tokens[node.first].image.clone();
        let chars: Vec<char> = img.chars().collect();
        let quote = chars.first().copied().unwrap_or('"');
        let mut image: String =
            chars.get(1..chars.len().saturating_sub(1)).map(|c| c.iter().collect()).unwrap_or_default();
        if quote == '"' {
            image = unescape_unicode(&image)
                .map_err(|m| init_error(ErrorKind::Runtime, m, line as usize, column as usize))?;
        }
        if quote == '"' || quote == '\'' {
            let doubled: String = [quote, quote].iter().collect();
            image = image.replace(&doubled, &quote.to_string());
        }
        let interpolate = quote == '"' && (img.contains('$') || img.contains('#'));
        let contains_line_comment = image.contains("##");
        if !interpolate {
            return Ok(Kind::Str { template: None, image: Rc::from(image), strip_last: false });
        }
        let source = if contains_line_comment { image.clone() } else { format!("{image} ") };
        if self.depth >= MAX_STRING_NESTING {
            return Err(init_error(
                ErrorKind::Parse,
                "string literals nested too deeply".into(),
                line as usize,
                column as usize,
            ));
        }
        self.depth += 1;
        let template = self.compile_source(&source, line, column);
        self.depth -= 1;
        Ok(Kind::Str {
            template: Some(template?),
            image: Rc::from(image),
            strip_last: !contains_line_comment,
        })
    }

    fn directive(
        &mut self,
        unit: &mut Unit,
        node: &Node,
        name: &str,
        line: u32,
        column: u32,
    ) -> Result<NodeId, Error> {
        let err = |kind, message: String| init_error(kind, message, line as usize, column as usize);
        let is_directive = directive_is_block(name).is_some();
        if !is_directive && name.starts_with('@') && node.children.is_empty() {
            return Ok(self.push(Kind::NotADirective(Rc::from(format!("#{name}"))), line, column));
        }
        // Children first (arguments, then the body).
        let children = self.children(unit, node)?;
        let args = &node.children;
        let kind = match name {
            "foreach" => {
                if args.is_empty() {
                    // Foreach.init reads its first argument: with none (`\\#foreach`) it fails
                    // before anything renders.
                    return Err(err(
                        ErrorKind::Runtime,
                        "#foreach without arguments: java.lang.NullPointerException".into(),
                    ));
                }
                // Foreach.render iterates over its third child and renders its fourth, whatever
                // they are (the block is the last child). With two arguments the third child is
                // the block, whose value is null: nothing renders. With fewer, reading the third
                // child fails, but only when it renders.
                if args.len() == 3 {
                    return Ok(self.push(Kind::Block(Vec::new()), line, column));
                }
                if args.len() < 3 {
                    let message = format!(
                        "#foreach needs a variable, 'in' and a list: \
                         java.lang.ArrayIndexOutOfBoundsException: Index 2 out of bounds for length {}",
                        args.len()
                    );
                    return Ok(self.push(Kind::Fail(Rc::from(message)), line, column));
                }
                let first = &unit.tokens[args[0].first].image;
                let element = match args[0].kind {
                    NodeKind::Reference => match &self.nodes[children[0] as usize].kind {
                        Kind::Reference(r) => r.root,
                        _ => self.interner.intern(""),
                    },
                    _ => self.interner.intern(first.get(1..).unwrap_or("")),
                };
                Kind::Foreach { element, iterable: children[2], body: children[3] }
            }
            "macro" => {
                let params = args[1..args.len() - 1]
                    .iter()
                    .map(|a| {
                        let image = &unit.tokens[a.first].image;
                        self.interner.intern(image.strip_prefix('$').unwrap_or(image))
                    })
                    .collect();
                let macro_name: Rc<str> = Rc::from(unit.tokens[args[0].first].image.as_str());
                self.known_macros.insert(macro_name.clone());
                self.macros.push(MacroDecl {
                    name: macro_name,
                    params,
                    body: *children.last().unwrap_or(&0),
                });
                Kind::Nothing
            }
            "literal" => {
                let text = match args.first() {
                    Some(child) if child.end > child.first || child.kind != NodeKind::Block => {
                        unit.literal(child)
                    }
                    _ => {
                        return Err(err(
                            ErrorKind::Runtime,
                            "java.lang.NullPointerException in #literal".into(),
                        ))
                    }
                };
                Kind::Text(Rc::from(text))
            }
            "define" => {
                if args.len() != 2 {
                    return Err(err(ErrorKind::Runtime, "parameter missing: block name at #define".into()));
                }
                let image = &unit.tokens[args[0].first].image;
                Kind::Define { key: self.interner.intern(image.get(1..).unwrap_or("")), body: children[1] }
            }
            "evaluate" => {
                if args.len() != 1 {
                    return Err(err(ErrorKind::Parse, "#evaluate() requires exactly one argument".into()));
                }
                if !matches!(args[0].kind, NodeKind::StringLiteral | NodeKind::Reference) {
                    return Err(err(
                        ErrorKind::Parse,
                        "#evaluate()  argument must be a string literal or reference".into(),
                    ));
                }
                Kind::Evaluate(children[0])
            }
            "parse" => Kind::Parse(children.first().copied()),
            "include" => Kind::Include(
                args.iter()
                    .zip(&children)
                    .map(|(a, &id)| (id, matches!(a.kind, NodeKind::StringLiteral | NodeKind::Reference)))
                    .collect(),
            ),
            "break" | "stop" => {
                if args.len() > 1 {
                    return Err(err(
                        ErrorKind::Runtime,
                        format!(
                            "The #{name} directive only accepts a single {} at",
                            if name == "stop" { "message parameter" } else { "scope object" }
                        ),
                    ));
                }
                let arg = children.first().copied();
                if name == "break" {
                    Kind::Break(arg)
                } else {
                    Kind::Stop(arg)
                }
            }
            _ => {
                // A macro call: `#name(...)`, or `#@name(...) … #end` with a body.
                let (call_name, body, arg_count) = match name.strip_prefix('@') {
                    Some(n) => (n, children.last().copied(), children.len() - 1),
                    None => (name, None, children.len()),
                };
                let bad_arg = args[..arg_count]
                    .iter()
                    .find(|a| a.kind == NodeKind::Word)
                    .map(|a| format!("Invalid arg '{}' in macro #{call_name}", unit.tokens[a.first].image));
                for (a, &id) in args[..arg_count].iter().zip(&children) {
                    let literal = unit.literal(a);
                    self.set_literal(id, literal);
                }
                let literal = unit.raw_literal(node);
                Kind::Call(Box::new(Call {
                    name: Rc::from(call_name),
                    args: children[..arg_count].to_vec(),
                    bad_arg,
                    literal: Rc::from(literal),
                    body,
                }))
            }
        };
        Ok(self.push(kind, line, column))
    }
}

/// The tokens of one parse, and where its lines start (for positions).
struct Unit {
    tokens: Vec<Token>,
    lines: Vec<usize>,
    line_offset: u32,
    column_offset: u32,
}

fn line_starts(chars: &[char]) -> Vec<usize> {
    let mut starts = vec![0];
    for (i, &c) in chars.iter().enumerate() {
        if c == '\n' || (c == '\r' && chars.get(i + 1) != Some(&'\n')) {
            starts.push(i + 1);
        }
    }
    starts
}

impl Unit {
    /// 1-based line and column of a token (shifted for string literals as Velocity does).
    fn position(&self, token: usize) -> (u32, u32) {
        let offset = self.tokens.get(token).map_or(0, |t| t.begin);
        let line = self.lines.partition_point(|&s| s <= offset);
        let column = offset - self.lines[line - 1] + 1;
        if self.line_offset == 0 {
            (line as u32, column as u32)
        } else if line == 1 {
            (self.line_offset, column as u32 + self.column_offset)
        } else {
            (line as u32 + self.line_offset - 1, column as u32)
        }
    }

    /// `SimpleNode.literal()`: the node's tokens with their special text.
    fn literal(&self, node: &Node) -> String {
        (node.first..node.end.max(node.first + 1))
            .filter_map(|i| self.tokens.get(i))
            .map(token_literal)
            .collect()
    }

    /// RuntimeMacro's literal: the images of the node's tokens, without special text.
    fn raw_literal(&self, node: &Node) -> String {
        (node.first..node.end.max(node.first + 1))
            .filter_map(|i| self.tokens.get(i))
            .map(|t| t.image.as_str())
            .collect()
    }
}

enum NullString {
    Literal,
    Empty,
    Text(String),
}

struct Root {
    kind: RefKind,
    root: String,
    escaped: bool,
    esc_prefix: String,
    more_prefix: String,
    null_string: NullString,
}

/// ASTReference.getRoot: reads (and rewrites) the reference's first token.
fn get_root(unit: &mut Unit, node: &Node) -> Root {
    let first = node.first;
    let image = unit.tokens[first].image.clone();
    let mut root = Root {
        kind: RefKind::Normal,
        root: String::new(),
        escaped: false,
        esc_prefix: String::new(),
        more_prefix: String::new(),
        null_string: NullString::Literal,
    };
    if let Some(_slashbang) = image.find("\\!") {
        // `$\!name`: Velocity prints it with one backslash fewer and never evaluates it.
        let chars: Vec<char> = image.chars().collect();
        let Some(dollar) = chars.iter().position(|&c| c == '$') else {
            root.kind = RefKind::Uncomputable;
            root.root = image.clone();
            root.null_string = NullString::Text(image);
            return root;
        };
        let mut i = dollar;
        while i < chars.len() && chars[i] != '\\' {
            i += 1;
        }
        let start = i;
        let mut count = 0;
        while i < chars.len() && chars[i] == '\\' {
            count += 1;
            i += 1;
        }
        let text: String = chars[..start]
            .iter()
            .chain(&chars[start..start + count - 1])
            .chain(&chars[start + count..])
            .collect();
        root.kind = RefKind::Uncomputable;
        root.root = text.clone();
        root.null_string = NullString::Text(text);
        return root;
    }
    let mut image = image;
    if image.starts_with('\\') {
        let count = image.chars().take_while(|&c| c == '\\').count();
        root.escaped = count % 2 == 1;
        root.esc_prefix = "\\".repeat(count / 2);
        image = image[count..].to_string();
    }
    if let Some(loc) = image.rfind('$') {
        if loc > 0 {
            root.more_prefix = image[..loc].to_string();
            image = image[loc..].to_string();
        }
    }
    unit.tokens[first].image = image.clone();
    let next_image = || unit.tokens.get(first + 1).map(|t| t.image.clone()).unwrap_or_default();
    if image.starts_with("$!") {
        root.kind = RefKind::Quiet;
        if !root.escaped {
            root.null_string = NullString::Empty;
        }
        root.root = match image.strip_prefix("$!") {
            Some(rest) if !rest.starts_with('{') => rest.to_string(),
            _ => next_image(),
        };
    } else if image == "${" {
        root.kind = RefKind::Formal;
        root.root = next_image();
    } else if let Some(rest) = image.strip_prefix('$') {
        root.root = rest.to_string();
    } else {
        root.kind = RefKind::Runt;
        root.root = image;
    }
    root
}

/// ASTStringLiteral.unescape: `\uXXXX` sequences in double-quoted strings (Velocity fails on
/// a short or non-hexadecimal one).
fn unescape_unicode(s: &str) -> Result<String, String> {
    if !s.contains("\\u") {
        return Ok(s.to_string());
    }
    let units: Vec<u16> = s.encode_utf16().collect();
    let mut out: Vec<u16> = Vec::with_capacity(units.len());
    let mut i = 0;
    while i < units.len() {
        if units[i] == u16::from(b'\\') && units.get(i + 1) == Some(&u16::from(b'u')) {
            let hex = units.get(i + 2..i + 6).map(String::from_utf16_lossy).unwrap_or_default();
            let code = i32::from_str_radix(&hex, 16)
                .ok()
                .filter(|_| hex.len() == 4)
                .ok_or_else(|| format!("invalid \\u escape in string literal: \\u{hex}"))?;
            out.push(code as u16);
            i += 6;
            continue;
        }
        out.push(units[i]);
        i += 1;
    }
    Ok(crate::value::utf16_to_string(&out))
}

/// `Double.parseDouble` of a floating-point literal (`1.`, `.5` and exponents included).
fn java_parse_double(s: &str) -> f64 {
    s.parse::<f64>().unwrap_or_else(|_| {
        let fixed =
            if s.ends_with('.') { format!("{s}0") } else { s.replace(".e", ".0e").replace(".E", ".0E") };
        fixed.parse().unwrap_or(f64::NAN)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_text_keeps_lone_marks_and_escaped_dollars() {
        assert_eq!(special_text(&["$ ".into()]), "$");
        assert_eq!(special_text(&["\\\\$x".into()]), "\\\\$");
        assert_eq!(special_text(&["a#b".into()]), "#");
    }

    #[test]
    fn unicode_escapes_and_doubles() {
        assert_eq!(unescape_unicode("a\\u0041b").unwrap(), "aAb");
        assert!(unescape_unicode("\\u00").is_err());
        assert_eq!(java_parse_double("1."), 1.0);
        assert_eq!(java_parse_double("2.5e3"), 2500.0);
    }
}
