//! The parser of Velocity 1.7's grammar, producing the same tree as its JavaCC parser.
//!
//! The productions follow `Parser.jjt` one for one. Where the grammar uses syntactic lookahead,
//! `scan_*` functions reproduce JavaCC's scanning (nested lookaheads ignored, alternatives tried in
//! order, success once the lookahead budget is spent), because how far the parser looks ahead
//! decides which tokens are lexed before the parser itself switches the lexer's state.

use crate::lexer::{Kind, LexError, Lexer, State, Token};
use rustc_hash::FxHashSet;
use std::fmt;

/// The built-in directives of 1.7 (directive.properties) and whether each takes a block.
pub fn directive_is_block(name: &str) -> Option<bool> {
    match name {
        "foreach" | "macro" | "literal" | "define" => Some(true),
        "include" | "parse" | "evaluate" | "break" | "stop" => Some(false),
        _ => None,
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    Process,
    Text,
    Escape(String),
    /// An escaped directive, with the text it renders (decided at parse time).
    EscapedDirective(String),
    Comment,
    Textblock,
    Reference,
    Identifier,
    Method,
    Index,
    Directive(String),
    Block,
    Word,
    StringLiteral,
    IntegerLiteral,
    FloatingPointLiteral,
    IntegerRange,
    Map,
    ObjectArray,
    True,
    False,
    IfStatement,
    ElseIfStatement,
    ElseStatement,
    SetDirective,
    Expression,
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    Add,
    Subtract,
    Mul,
    Div,
    Mod,
    Not,
}

/// A node of the syntax tree: tokens `first..end` of the token list, and its children.
#[derive(Clone, Debug)]
pub struct Node {
    pub kind: NodeKind,
    pub first: usize,
    pub end: usize,
    pub children: Vec<Node>,
}

/// A parsed template: its tokens (images are edited by initialization, as Velocity does) and
/// its tree.
#[derive(Clone, Debug)]
pub struct Parsed {
    pub tokens: Vec<Token>,
    pub root: Node,
    /// Macros the template defines, by name, in the order defined (for escape processing).
    pub macro_names: Vec<String>,
}

/// A parse error with its place in the template (1-based line and column).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub line: usize,
    pub column: usize,
    /// The text of the offending line, for showing with a caret.
    pub source_line: String,
    /// The engine limit parsing hit (the template is too large for the memory budget), if that is
    /// what stopped it.
    pub limit: Option<crate::Limit>,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (shown, caret) = crate::error::caret_window(&self.source_line, self.column);
        write!(
            f,
            "{} at line {}, column {}\n{}\n{}^",
            self.message,
            self.line,
            self.column,
            shown,
            " ".repeat(caret)
        )
    }
}

impl std::error::Error for ParseError {}

/// Line and column (1-based, in characters) of an offset into `src`, and the line's text.
pub fn locate(src: &[char], offset: usize) -> (usize, usize, String) {
    let offset = offset.min(src.len());
    let mut line = 1;
    let mut line_start = 0;
    for (i, &c) in src[..offset].iter().enumerate() {
        if c == '\n' || (c == '\r' && src.get(i + 1) != Some(&'\n')) {
            line += 1;
            line_start = i + 1;
        }
    }
    let line_end =
        src[line_start..].iter().position(|&c| c == '\n' || c == '\r').map_or(src.len(), |p| line_start + p);
    (line, offset - line_start + 1, src[line_start..line_end].iter().collect())
}

type PResult<T> = Result<T, ParseError>;

/// How a lookahead scan ended early: its budget was spent (success) or lexing failed.
enum Stop {
    Success,
    Error(ParseError),
}

/// `Ok(true)`: the scanned expansion does not match (JavaCC's convention).
type SResult = Result<bool, Stop>;

struct Scan {
    pos: usize,
    last: usize,
    la: u32,
    depth: usize,
}

/// Tokens lexed between two checks of the memory the parse holds.
const TOKENS_PER_CHECK: usize = 1024;

/// Deeper nesting (blocks, expressions, arguments) than this is refused with a parse error,
/// before it can exhaust the stack; Velocity itself fails somewhere past a thousand levels.
pub const MAX_NESTING: usize = 400;

/// Parenthesized expressions and `!` take more stack per level (one frame per precedence
/// level), so they have their own, lower limit.
pub const MAX_EXPRESSION_NESTING: usize = 150;

fn too_deep_message() -> String {
    format!("the template nests more than {MAX_NESTING} levels deep")
}

const STATEMENT_FIRST: &[Kind] = &[
    Kind::LParen,
    Kind::RParen,
    Kind::EscapeDirective,
    Kind::SetDirective,
    Kind::SingleLineCommentStart,
    Kind::DoubleEscape,
    Kind::Escape,
    Kind::Text,
    Kind::FormalComment,
    Kind::MultiLineComment,
    Kind::Textblock,
    Kind::StringLiteral,
    Kind::IfDirective,
    Kind::IntegerLiteral,
    Kind::FloatingPointLiteral,
    Kind::Word,
    Kind::BracketedWord,
    Kind::Identifier,
    Kind::Dot,
    Kind::LCurly,
    Kind::RCurly,
    Kind::EmptyIndex,
];

pub struct Parser<'s> {
    src: &'s [char],
    lexer: Lexer<'s>,
    tokens: Vec<Token>,
    cur: usize,
    /// Is this name a macro known before parsing (the global library)?
    global_macro: &'s dyn Fn(&str) -> bool,
    macro_names: FxHashSet<String>,
    macro_order: Vec<String>,
    depth: usize,
    expression_depth: usize,
}

/// Parses a template.
pub fn parse(src: &[char], global_macro: &dyn Fn(&str) -> bool) -> PResult<Parsed> {
    let mut p = Parser {
        src,
        lexer: Lexer::new(src),
        tokens: Vec::new(),
        cur: 0,
        global_macro,
        macro_names: FxHashSet::default(),
        macro_order: Vec::new(),
        depth: 0,
        expression_depth: 0,
    };
    let root = p.process()?;
    Ok(Parsed { tokens: p.tokens, root, macro_names: p.macro_order })
}

impl<'s> Parser<'s> {
    // ---- tokens -------------------------------------------------------------------------

    fn lex_error(&self, e: LexError) -> ParseError {
        let (line, column, source_line) = locate(self.src, e.offset);
        ParseError { message: e.message, line, column, source_line, limit: None }
    }

    fn error_at(&self, token: usize, message: String) -> ParseError {
        let offset = self.tokens.get(token).map_or(self.src.len(), |t| t.begin);
        let (line, column, source_line) = locate(self.src, offset);
        ParseError { message, line, column, source_line, limit: None }
    }

    /// Makes sure token `index` has been lexed.
    fn fetch(&mut self, index: usize) -> PResult<()> {
        while self.tokens.len() <= index {
            crate::budget::tick(1);
            if self.tokens.len().is_multiple_of(TOKENS_PER_CHECK) {
                self.check_memory()?;
            }
            let t = self.lexer.next_token().map_err(|e| self.lex_error(e))?;
            self.tokens.push(t);
        }
        Ok(())
    }

    /// Refuses to go on when the template's tokens and tree take more memory than the budget.
    #[cold]
    fn check_memory(&self) -> PResult<()> {
        crate::budget::reserve(0).map_err(|e| {
            let mut error = self.error_at(self.tokens.len().saturating_sub(1), e.message);
            error.limit = Some(crate::Limit::Memory);
            error
        })
    }

    fn kind(&mut self) -> PResult<Kind> {
        self.fetch(self.cur)?;
        Ok(self.tokens[self.cur].kind)
    }

    fn consume(&mut self, kind: Kind) -> PResult<usize> {
        if self.kind()? != kind {
            return Err(self.unexpected(&format!("{kind:?}")));
        }
        self.cur += 1;
        Ok(self.cur - 1)
    }

    fn consume_if(&mut self, kind: Kind) -> PResult<bool> {
        if self.kind()? == kind {
            self.cur += 1;
            return Ok(true);
        }
        Ok(false)
    }

    fn unexpected(&self, expected: &str) -> ParseError {
        let t = &self.tokens[self.cur];
        let shown = if t.kind == Kind::Eof { "<EOF>".to_string() } else { format!("{:?}", t.image) };
        self.error_at(self.cur, format!("Encountered {shown}, was expecting {expected}"))
    }

    /// Opens a node: its first token is the next one (lexed now, as jjtree's `getToken(1)`).
    fn open(&mut self) -> PResult<usize> {
        self.fetch(self.cur)?;
        Ok(self.cur)
    }

    fn node(&self, kind: NodeKind, first: usize, children: Vec<Node>) -> Node {
        Node { kind, first, end: self.cur, children }
    }

    // ---- lookahead scanning -------------------------------------------------------------

    fn lookahead(&mut self, la: u32, f: fn(&mut Self, &mut Scan) -> SResult) -> PResult<bool> {
        let mut sc = Scan { pos: self.cur, last: self.cur, la, depth: 0 };
        match f(self, &mut sc) {
            Ok(fail) => Ok(!fail),
            Err(Stop::Success) => Ok(true),
            Err(Stop::Error(e)) => Err(e),
        }
    }

    fn scan_token(&mut self, sc: &mut Scan, kind: Kind) -> SResult {
        crate::budget::tick(1);
        if sc.pos == sc.last {
            sc.la = sc.la.saturating_sub(1);
            sc.last += 1;
        }
        let index = sc.pos;
        sc.pos += 1;
        self.fetch(index).map_err(Stop::Error)?;
        if self.tokens[index].kind != kind {
            return Ok(true);
        }
        if sc.la == 0 && sc.pos == sc.last {
            return Err(Stop::Success);
        }
        Ok(false)
    }

    fn scan_opt_ws(&mut self, sc: &mut Scan) -> Result<(), Stop> {
        let back = sc.pos;
        if self.scan_token(sc, Kind::Whitespace)? {
            sc.pos = back;
        }
        Ok(())
    }

    /// Tries alternatives in order; fails if none matches.
    fn scan_any(&mut self, sc: &mut Scan, alts: &[fn(&mut Self, &mut Scan) -> SResult]) -> SResult {
        let back = sc.pos;
        for alt in alts {
            if !alt(self, sc)? {
                return Ok(false);
            }
            sc.pos = back;
        }
        Ok(true)
    }

    /// `(X)*` in scan mode.
    fn scan_star(&mut self, sc: &mut Scan, x: fn(&mut Self, &mut Scan) -> SResult) -> Result<(), Stop> {
        loop {
            let back = sc.pos;
            if x(self, sc)? {
                sc.pos = back;
                return Ok(());
            }
        }
    }

    /// Runs a production one level deeper, refusing too deep a nesting.
    fn nest<T>(&mut self, f: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        if self.depth >= MAX_NESTING {
            return Err(self.error_at(self.cur, too_deep_message()));
        }
        self.depth += 1;
        let result = f(self);
        self.depth -= 1;
        result
    }

    /// The same for lookahead scanning.
    fn scan_nest(&mut self, sc: &mut Scan, f: fn(&mut Self, &mut Scan) -> SResult) -> SResult {
        if sc.depth >= MAX_NESTING {
            return Err(Stop::Error(self.error_at(sc.pos, too_deep_message())));
        }
        sc.depth += 1;
        let result = f(self, sc);
        sc.depth -= 1;
        result
    }

    fn scan_reference(&mut self, sc: &mut Scan) -> SResult {
        self.scan_nest(sc, Self::scan_reference_inner)
    }

    fn scan_reference_inner(&mut self, sc: &mut Scan) -> SResult {
        self.scan_any(
            sc,
            &[
                |p, sc| {
                    if p.scan_token(sc, Kind::Identifier)? {
                        return Ok(true);
                    }
                    p.scan_star(sc, Self::scan_index)?;
                    p.scan_star(sc, Self::scan_dot_part)?;
                    Ok(false)
                },
                |p, sc| {
                    if p.scan_token(sc, Kind::LCurly)? || p.scan_token(sc, Kind::Identifier)? {
                        return Ok(true);
                    }
                    p.scan_star(sc, Self::scan_index)?;
                    p.scan_star(sc, Self::scan_dot_part)?;
                    p.scan_token(sc, Kind::RCurly)
                },
            ],
        )
    }

    fn scan_index(&mut self, sc: &mut Scan) -> SResult {
        if self.scan_token(sc, Kind::IndexLBracket)? {
            return Ok(true);
        }
        self.scan_opt_ws(sc)?;
        if self.scan_any(
            sc,
            &[
                |p, sc| p.scan_token(sc, Kind::StringLiteral),
                |p, sc| p.scan_token(sc, Kind::IntegerLiteral),
                |p, sc| p.scan_token(sc, Kind::True),
                |p, sc| p.scan_token(sc, Kind::False),
                Self::scan_reference,
            ],
        )? {
            return Ok(true);
        }
        self.scan_opt_ws(sc)?;
        self.scan_token(sc, Kind::IndexRBracket)
    }

    fn scan_dot_part(&mut self, sc: &mut Scan) -> SResult {
        if self.scan_token(sc, Kind::Dot)? {
            return Ok(true);
        }
        if self.scan_any(sc, &[Self::scan_method, |p, sc| p.scan_token(sc, Kind::Identifier)])? {
            return Ok(true);
        }
        self.scan_star(sc, Self::scan_index)?;
        Ok(false)
    }

    fn scan_method(&mut self, sc: &mut Scan) -> SResult {
        if self.scan_token(sc, Kind::Identifier)? || self.scan_token(sc, Kind::LParen)? {
            return Ok(true);
        }
        let back = sc.pos;
        if self.scan_parameter_list(sc)? {
            sc.pos = back;
        }
        self.scan_token(sc, Kind::RefMod2RParen)
    }

    /// `Parameter() ( <COMMA> Parameter() )*`
    fn scan_parameter_list(&mut self, sc: &mut Scan) -> SResult {
        if self.scan_parameter(sc)? {
            return Ok(true);
        }
        self.scan_star(sc, |p, sc| Ok(p.scan_token(sc, Kind::Comma)? || p.scan_parameter(sc)?))?;
        Ok(false)
    }

    fn scan_parameter(&mut self, sc: &mut Scan) -> SResult {
        self.scan_nest(sc, Self::scan_parameter_inner)
    }

    fn scan_parameter_inner(&mut self, sc: &mut Scan) -> SResult {
        self.scan_opt_ws(sc)?;
        if self.scan_any(
            sc,
            &[
                |p, sc| p.scan_token(sc, Kind::StringLiteral),
                |p, sc| p.scan_token(sc, Kind::IntegerLiteral),
                Self::scan_integer_range,
                Self::scan_map,
                Self::scan_object_array,
                |p, sc| p.scan_token(sc, Kind::True),
                |p, sc| p.scan_token(sc, Kind::False),
                Self::scan_reference,
                |p, sc| p.scan_token(sc, Kind::FloatingPointLiteral),
            ],
        )? {
            return Ok(true);
        }
        self.scan_opt_ws(sc)?;
        Ok(false)
    }

    fn scan_range_bound(&mut self, sc: &mut Scan) -> SResult {
        self.scan_any(sc, &[Self::scan_reference, |p, sc| p.scan_token(sc, Kind::IntegerLiteral)])
    }

    /// The lookahead that tells an integer range from a list: `[ bound ..`.
    fn scan_range_head(&mut self, sc: &mut Scan) -> SResult {
        if self.scan_token(sc, Kind::LBracket)? {
            return Ok(true);
        }
        self.scan_opt_ws(sc)?;
        if self.scan_range_bound(sc)? {
            return Ok(true);
        }
        self.scan_opt_ws(sc)?;
        self.scan_token(sc, Kind::DoubleDot)
    }

    fn scan_integer_range(&mut self, sc: &mut Scan) -> SResult {
        if self.scan_range_head(sc)? {
            return Ok(true);
        }
        self.scan_opt_ws(sc)?;
        if self.scan_range_bound(sc)? {
            return Ok(true);
        }
        self.scan_opt_ws(sc)?;
        self.scan_token(sc, Kind::RBracket)
    }

    /// `Parameter() <COLON> Parameter() ( <COMMA> Parameter() <COLON> Parameter() )*`
    fn scan_map_entries(&mut self, sc: &mut Scan) -> SResult {
        if self.scan_parameter(sc)? || self.scan_token(sc, Kind::Colon)? || self.scan_parameter(sc)? {
            return Ok(true);
        }
        self.scan_star(sc, |p, sc| {
            Ok(p.scan_token(sc, Kind::Comma)?
                || p.scan_parameter(sc)?
                || p.scan_token(sc, Kind::Colon)?
                || p.scan_parameter(sc)?)
        })?;
        Ok(false)
    }

    fn scan_map(&mut self, sc: &mut Scan) -> SResult {
        if self.scan_token(sc, Kind::LeftCurley)? {
            return Ok(true);
        }
        if self.scan_any(
            sc,
            &[Self::scan_map_entries, |p, sc| {
                p.scan_opt_ws(sc)?;
                Ok(false)
            }],
        )? {
            return Ok(true);
        }
        self.scan_any(
            sc,
            &[|p, sc| p.scan_token(sc, Kind::RightCurley), |p, sc| p.scan_token(sc, Kind::RCurly)],
        )
    }

    fn scan_object_array(&mut self, sc: &mut Scan) -> SResult {
        if self.scan_token(sc, Kind::LBracket)? {
            return Ok(true);
        }
        let back = sc.pos;
        if self.scan_parameter_list(sc)? {
            sc.pos = back;
        }
        self.scan_token(sc, Kind::RBracket)
    }

    fn scan_directive_arg(&mut self, sc: &mut Scan) -> SResult {
        self.scan_any(
            sc,
            &[
                Self::scan_reference,
                |p, sc| p.scan_token(sc, Kind::Word),
                |p, sc| p.scan_token(sc, Kind::StringLiteral),
                |p, sc| p.scan_token(sc, Kind::IntegerLiteral),
                Self::scan_integer_range,
                |p, sc| p.scan_token(sc, Kind::FloatingPointLiteral),
                Self::scan_map,
                Self::scan_object_array,
                |p, sc| p.scan_token(sc, Kind::True),
                |p, sc| p.scan_token(sc, Kind::False),
            ],
        )
    }

    /// `[<WHITESPACE>] [<COMMA> [<WHITESPACE>]] DirectiveArg()`
    fn scan_next_directive_arg(&mut self, sc: &mut Scan) -> SResult {
        self.scan_opt_ws(sc)?;
        let back = sc.pos;
        if self.scan_token(sc, Kind::Comma)? {
            sc.pos = back;
        } else {
            self.scan_opt_ws(sc)?;
        }
        self.scan_directive_arg(sc)
    }

    /// `[<WHITESPACE>] <LOGICAL_NOT> UnaryExpression()`
    fn scan_not(&mut self, sc: &mut Scan) -> SResult {
        self.scan_opt_ws(sc)?;
        if self.scan_token(sc, Kind::LogicalNot)? {
            return Ok(true);
        }
        self.scan_any(sc, &[Self::scan_not, Self::scan_primary])
    }

    /// PrimaryExpression as the generated scanner has it (only as deep as a 2-token lookahead
    /// can reach: a parenthesis counts by its opening token).
    fn scan_primary(&mut self, sc: &mut Scan) -> SResult {
        self.scan_opt_ws(sc)?;
        self.scan_any(
            sc,
            &[
                |p, sc| p.scan_token(sc, Kind::StringLiteral),
                Self::scan_reference,
                |p, sc| p.scan_token(sc, Kind::IntegerLiteral),
                Self::scan_integer_range,
                |p, sc| p.scan_token(sc, Kind::FloatingPointLiteral),
                Self::scan_map,
                Self::scan_object_array,
                |p, sc| p.scan_token(sc, Kind::True),
                |p, sc| p.scan_token(sc, Kind::False),
                |p, sc| p.scan_token(sc, Kind::LParen),
            ],
        )
    }

    // ---- productions --------------------------------------------------------------------

    fn process(&mut self) -> PResult<Node> {
        let first = self.open()?;
        let children = self.statements()?;
        self.consume(Kind::Eof).map_err(|_| self.unexpected("a statement or the end of the template"))?;
        Ok(self.node(NodeKind::Process, first, children))
    }

    fn statements(&mut self) -> PResult<Vec<Node>> {
        let mut out = Vec::new();
        while STATEMENT_FIRST.contains(&self.kind()?) {
            out.push(self.statement()?);
        }
        Ok(out)
    }

    fn statement(&mut self) -> PResult<Node> {
        self.nest(Self::statement_inner)
    }

    fn statement_inner(&mut self) -> PResult<Node> {
        if self.kind()? == Kind::IfDirective {
            return self.if_statement();
        }
        if self.lookahead(2, Self::scan_reference)? {
            return self.reference();
        }
        match self.kind()? {
            Kind::SingleLineCommentStart | Kind::FormalComment | Kind::MultiLineComment => self.comment(),
            Kind::Textblock => self.single(NodeKind::Textblock),
            Kind::SetDirective => self.set_directive(),
            Kind::EscapeDirective => self.escaped_directive(),
            Kind::DoubleEscape => self.escape(),
            Kind::Word | Kind::BracketedWord => self.directive(),
            Kind::LParen
            | Kind::RParen
            | Kind::Escape
            | Kind::Text
            | Kind::StringLiteral
            | Kind::IntegerLiteral
            | Kind::FloatingPointLiteral
            | Kind::Dot
            | Kind::LCurly
            | Kind::RCurly
            | Kind::EmptyIndex => self.single(NodeKind::Text),
            _ => Err(self.unexpected("a statement")),
        }
    }

    /// A node of one token.
    fn single(&mut self, kind: NodeKind) -> PResult<Node> {
        let first = self.open()?;
        self.cur += 1;
        Ok(self.node(kind, first, Vec::new()))
    }

    #[inline(never)]
    fn comment(&mut self) -> PResult<Node> {
        let first = self.open()?;
        if self.consume_if(Kind::SingleLineCommentStart)? {
            self.consume_if(Kind::SingleLineComment)?;
        } else {
            self.cur += 1;
        }
        Ok(self.node(NodeKind::Comment, first, Vec::new()))
    }

    fn is_macro_name(&self, name: &str) -> bool {
        self.macro_names.contains(name) || (self.global_macro)(name)
    }

    /// `( LOOKAHEAD(2) <DOUBLE_ESCAPE> )+`: pairs of backslashes before a directive render as one
    /// backslash each, before anything else as two.
    #[inline(never)]
    fn escape(&mut self) -> PResult<Node> {
        let first = self.open()?;
        let mut count = 0;
        loop {
            self.consume(Kind::DoubleEscape)?;
            count += 1;
            if !self.lookahead(2, |p, sc| p.scan_token(sc, Kind::DoubleEscape))? {
                break;
            }
        }
        let next = &self.tokens[self.cur];
        if next.image.is_empty() {
            // Velocity takes `image.substring(1)` of the next token, which fails at the end.
            return Err(self
                .error_at(self.cur, "Parser Error: escaped backslashes at the end of the template".into()));
        }
        let tag: String = next.image.chars().skip(1).collect();
        let control =
            matches!(next.kind, Kind::IfDirective | Kind::ElseDirective | Kind::ElseifDirective | Kind::End)
                || directive_is_block(&tag).is_some()
                || self.is_macro_name(&tag);
        let val = if control { "\\" } else { "\\\\" }.repeat(count);
        Ok(self.node(NodeKind::Escape(val), first, Vec::new()))
    }

    /// `\\#name`: a backslash escapes a known directive (half the backslashes and the directive
    /// are printed); before anything else the text stays as written.
    #[inline(never)]
    fn escaped_directive(&mut self) -> PResult<Node> {
        let first = self.open()?;
        self.cur += 1;
        let image = &self.tokens[first].image;
        let last = image.rfind('\\').unwrap_or(0);
        let directive = &image[last + 1..];
        let mut tag = &directive[1..];
        if tag.starts_with('{') {
            tag = &tag[1..tag.len() - 1];
        }
        let recognized = directive_is_block(tag).is_some()
            || self.is_macro_name(tag)
            || matches!(tag, "if" | "end" | "set" | "else" | "elseif");
        let text = if recognized { format!("{}{directive}", &image[..last / 2]) } else { image.clone() };
        Ok(self.node(NodeKind::EscapedDirective(text), first, Vec::new()))
    }

    #[inline(never)]
    fn directive(&mut self) -> PResult<Node> {
        let first = self.open()?;
        let word = self.cur;
        self.cur += 1;
        let image = self.tokens[word].image.clone();
        let name: String = if self.tokens[word].kind == Kind::BracketedWord {
            image.chars().skip(2).take(image.chars().count().saturating_sub(3)).collect()
        } else {
            image.chars().skip(1).collect()
        };
        let known = directive_is_block(&name);
        let is_macro_def = name == "macro";
        let is_block = match known {
            Some(block) => block,
            None => name.starts_with('@'),
        };
        let is_vm = known.is_none() && !name.starts_with('@') && (self.global_macro)(&name);
        self.lexer.switch_to(State::Directive);

        if !self.left_parenthesis_follows() {
            if is_macro_def {
                return Err(
                    self.error_at(word, "A macro declaration requires at least a name argument".into())
                );
            }
            self.lexer.pop();
            self.lexer.in_directive = false;
            return Ok(self.node(NodeKind::Directive(name), first, Vec::new()));
        }
        self.consume_if(Kind::Whitespace)?;
        self.consume(Kind::LParen)?;
        let mut children = Vec::new();
        while self.lookahead(2, Self::scan_next_directive_arg)? {
            self.consume_if(Kind::Whitespace)?;
            if self.consume_if(Kind::Comma)? {
                self.consume_if(Kind::Whitespace)?;
            }
            let arg_pos = children.len();
            let arg = self.directive_arg()?;
            if arg.kind == NodeKind::Word {
                if is_macro_def && arg_pos == 0 {
                } else if is_vm {
                    return Err(self.error_at(word, format!("Invalid arg #{arg_pos} in VM {image}")));
                } else if known.is_some() && (name != "foreach" || arg_pos != 1) {
                    return Err(self.error_at(word, format!("Invalid arg #{arg_pos} in directive {image}")));
                }
            } else if is_macro_def && arg_pos == 0 {
                return Err(self.error_at(
                    word,
                    "Invalid first arg in #macro() directive - must be a word token (no ' or \" surrounding)"
                        .into(),
                ));
            }
            children.push(arg);
        }
        self.consume_if(Kind::Whitespace)?;
        self.consume(Kind::RParen)?;
        if !is_block {
            return Ok(self.node(NodeKind::Directive(name), first, children));
        }
        let block_first = self.open()?;
        let body = self.statements()?;
        children.push(self.node(NodeKind::Block, block_first, body));
        self.consume(Kind::End).map_err(|_| self.unexpected(&format!("#end of #{name}")))?;
        if is_macro_def {
            if children.len() < 2 {
                return Err(self.error_at(word, "First argument to #macro() must be macro name".into()));
            }
            if children[0].kind != NodeKind::Word {
                return Err(self.error_at(
                    word,
                    "First argument to #macro() must be a token without surrounding ' or \", which specifies the macro name"
                        .into(),
                ));
            }
            let macro_name = self.tokens[children[0].first].image.clone();
            if self.macro_names.insert(macro_name.clone()) {
                self.macro_order.push(macro_name);
            }
        }
        Ok(self.node(NodeKind::Directive(name), first, children))
    }

    /// Velocity's look at the raw characters after a directive name: blanks, then `(`?
    fn left_parenthesis_follows(&self) -> bool {
        for &c in &self.src[self.lexer.position()..] {
            match c {
                '(' => return true,
                ' ' | '\n' | '\r' | '\t' => {}
                _ => return false,
            }
        }
        false
    }

    fn directive_arg(&mut self) -> PResult<Node> {
        match self.kind()? {
            Kind::Identifier | Kind::LCurly => self.reference(),
            Kind::Word => self.single(NodeKind::Word),
            Kind::StringLiteral => self.single(NodeKind::StringLiteral),
            Kind::IntegerLiteral => self.single(NodeKind::IntegerLiteral),
            _ => {
                if self.lookahead(u32::MAX, Self::scan_range_head)? {
                    return self.integer_range();
                }
                match self.kind()? {
                    Kind::FloatingPointLiteral => self.single(NodeKind::FloatingPointLiteral),
                    Kind::LeftCurley => self.map(),
                    Kind::LBracket => self.object_array(),
                    Kind::True => self.single(NodeKind::True),
                    Kind::False => self.single(NodeKind::False),
                    _ => Err(self.unexpected("a directive argument")),
                }
            }
        }
    }

    #[inline(never)]
    fn map(&mut self) -> PResult<Node> {
        let first = self.open()?;
        self.consume(Kind::LeftCurley)?;
        let mut children = Vec::new();
        if self.lookahead(2, Self::scan_map_entries)? {
            children.push(self.parameter()?);
            self.consume(Kind::Colon)?;
            children.push(self.parameter()?);
            while self.consume_if(Kind::Comma)? {
                children.push(self.parameter()?);
                self.consume(Kind::Colon)?;
                children.push(self.parameter()?);
            }
        } else {
            self.consume_if(Kind::Whitespace)?;
        }
        if !self.consume_if(Kind::RightCurley)? && !self.consume_if(Kind::RCurly)? {
            return Err(self.unexpected("}"));
        }
        Ok(self.node(NodeKind::Map, first, children))
    }

    /// `[ Parameter() ( "," Parameter() )* ]`, as list literals and method calls take them.
    fn parameter_list(&mut self, children: &mut Vec<Node>) -> PResult<()> {
        if matches!(
            self.kind()?,
            Kind::LBracket
                | Kind::LeftCurley
                | Kind::Whitespace
                | Kind::StringLiteral
                | Kind::True
                | Kind::False
                | Kind::IntegerLiteral
                | Kind::FloatingPointLiteral
                | Kind::Identifier
                | Kind::LCurly
        ) {
            children.push(self.parameter()?);
            while self.consume_if(Kind::Comma)? {
                children.push(self.parameter()?);
            }
        }
        Ok(())
    }

    #[inline(never)]
    fn object_array(&mut self) -> PResult<Node> {
        let first = self.open()?;
        self.consume(Kind::LBracket)?;
        let mut children = Vec::new();
        self.parameter_list(&mut children)?;
        self.consume(Kind::RBracket)?;
        Ok(self.node(NodeKind::ObjectArray, first, children))
    }

    fn range_bound(&mut self) -> PResult<Node> {
        match self.kind()? {
            Kind::Identifier | Kind::LCurly => self.reference(),
            Kind::IntegerLiteral => self.single(NodeKind::IntegerLiteral),
            _ => Err(self.unexpected("a reference or an integer")),
        }
    }

    #[inline(never)]
    fn integer_range(&mut self) -> PResult<Node> {
        let first = self.open()?;
        self.consume(Kind::LBracket)?;
        self.consume_if(Kind::Whitespace)?;
        let from = self.range_bound()?;
        self.consume_if(Kind::Whitespace)?;
        self.consume(Kind::DoubleDot)?;
        self.consume_if(Kind::Whitespace)?;
        let to = self.range_bound()?;
        self.consume_if(Kind::Whitespace)?;
        self.consume(Kind::RBracket)?;
        Ok(self.node(NodeKind::IntegerRange, first, vec![from, to]))
    }

    /// IndexParameter(): a void production, so it yields its one node.
    fn index_parameter(&mut self) -> PResult<Node> {
        self.nest(Self::index_parameter_inner)
    }

    fn index_parameter_inner(&mut self) -> PResult<Node> {
        self.consume_if(Kind::Whitespace)?;
        let node = match self.kind()? {
            Kind::StringLiteral => self.single(NodeKind::StringLiteral),
            Kind::IntegerLiteral => self.single(NodeKind::IntegerLiteral),
            Kind::True => self.single(NodeKind::True),
            Kind::False => self.single(NodeKind::False),
            Kind::Identifier | Kind::LCurly => self.reference(),
            _ => Err(self.unexpected("an index")),
        }?;
        self.consume_if(Kind::Whitespace)?;
        Ok(node)
    }

    /// Parameter(): a void production, so it yields its one node.
    fn parameter(&mut self) -> PResult<Node> {
        self.nest(Self::parameter_inner)
    }

    fn parameter_inner(&mut self) -> PResult<Node> {
        self.consume_if(Kind::Whitespace)?;
        let node = match self.kind()? {
            Kind::StringLiteral => self.single(NodeKind::StringLiteral)?,
            Kind::IntegerLiteral => self.single(NodeKind::IntegerLiteral)?,
            _ => {
                if self.lookahead(u32::MAX, Self::scan_range_head)? {
                    self.integer_range()?
                } else {
                    match self.kind()? {
                        Kind::LeftCurley => self.map()?,
                        Kind::LBracket => self.object_array()?,
                        Kind::True => self.single(NodeKind::True)?,
                        Kind::False => self.single(NodeKind::False)?,
                        Kind::Identifier | Kind::LCurly => self.reference()?,
                        Kind::FloatingPointLiteral => self.single(NodeKind::FloatingPointLiteral)?,
                        _ => return Err(self.unexpected("a parameter")),
                    }
                }
            }
        };
        self.consume_if(Kind::Whitespace)?;
        Ok(node)
    }

    #[inline(never)]
    fn method(&mut self) -> PResult<Node> {
        let first = self.open()?;
        let mut children = vec![self.single(NodeKind::Identifier)?];
        self.consume(Kind::LParen)?;
        self.parameter_list(&mut children)?;
        self.consume(Kind::RefMod2RParen)?;
        Ok(self.node(NodeKind::Method, first, children))
    }

    #[inline(never)]
    fn index(&mut self) -> PResult<Node> {
        let first = self.open()?;
        self.consume(Kind::IndexLBracket)?;
        let param = self.index_parameter()?;
        self.consume(Kind::IndexRBracket)?;
        Ok(self.node(NodeKind::Index, first, vec![param]))
    }

    #[inline(never)]
    fn reference(&mut self) -> PResult<Node> {
        let first = self.open()?;
        let mut children = Vec::new();
        let formal = match self.kind()? {
            Kind::Identifier => false,
            Kind::LCurly => true,
            _ => return Err(self.unexpected("a reference")),
        };
        if formal {
            self.consume(Kind::LCurly)?;
        }
        self.consume(Kind::Identifier)?;
        while self.kind()? == Kind::IndexLBracket {
            children.push(self.index()?);
        }
        while self.lookahead(2, Self::scan_dot_part)? {
            self.consume(Kind::Dot)?;
            if self.lookahead(3, Self::scan_method)? {
                children.push(self.method()?);
            } else {
                children.push(self.single(NodeKind::Identifier)?);
            }
            while self.kind()? == Kind::IndexLBracket {
                children.push(self.index()?);
            }
        }
        if formal {
            self.consume(Kind::RCurly)?;
        }
        Ok(self.node(NodeKind::Reference, first, children))
    }

    #[inline(never)]
    fn if_statement(&mut self) -> PResult<Node> {
        let first = self.open()?;
        self.consume(Kind::IfDirective)?;
        self.consume_if(Kind::Whitespace)?;
        self.consume(Kind::LParen)?;
        let condition = self.expression()?;
        self.consume(Kind::RParen)?;
        let mut children = vec![condition, self.block()?];
        while self.kind()? == Kind::ElseifDirective {
            let first = self.open()?;
            self.cur += 1;
            self.consume_if(Kind::Whitespace)?;
            self.consume(Kind::LParen)?;
            let condition = self.expression()?;
            self.consume(Kind::RParen)?;
            let block = self.block()?;
            children.push(self.node(NodeKind::ElseIfStatement, first, vec![condition, block]));
        }
        if self.kind()? == Kind::ElseDirective {
            let first = self.open()?;
            self.cur += 1;
            let block = self.block()?;
            children.push(self.node(NodeKind::ElseStatement, first, vec![block]));
        }
        self.consume(Kind::End).map_err(|_| self.unexpected("#end of #if"))?;
        Ok(self.node(NodeKind::IfStatement, first, children))
    }

    fn block(&mut self) -> PResult<Node> {
        let first = self.open()?;
        let body = self.statements()?;
        Ok(self.node(NodeKind::Block, first, body))
    }

    #[inline(never)]
    fn set_directive(&mut self) -> PResult<Node> {
        let first = self.open()?;
        self.consume(Kind::SetDirective)?;
        self.consume_if(Kind::Whitespace)?;
        let target = self.reference()?;
        self.consume_if(Kind::Whitespace)?;
        self.consume(Kind::Equals)?;
        let value = self.expression()?;
        self.consume(Kind::RParen)?;
        self.lexer.in_set = false;
        self.consume_if(Kind::Newline)?;
        Ok(self.node(NodeKind::SetDirective, first, vec![target, value]))
    }

    fn expression(&mut self) -> PResult<Node> {
        let first = self.open()?;
        let inner = self.or_expression()?;
        Ok(self.node(NodeKind::Expression, first, vec![inner]))
    }

    /// A left-associative binary level: `operand ( <op> operand #Node(2) )*`. The node is opened
    /// after its operator, so its first token is its right operand's.
    #[inline(never)]
    fn binary(&mut self, operand: fn(&mut Self) -> PResult<Node>, ops: &[(Kind, NodeKind)]) -> PResult<Node> {
        let mut left = operand(self)?;
        loop {
            let k = self.kind()?;
            let Some((_, node_kind)) = ops.iter().find(|(op, _)| *op == k) else {
                return Ok(left);
            };
            self.cur += 1;
            let first = self.open()?;
            let right = operand(self)?;
            left = self.node(node_kind.clone(), first, vec![left, right]);
        }
    }

    fn or_expression(&mut self) -> PResult<Node> {
        self.binary(Self::and_expression, &[(Kind::LogicalOr, NodeKind::Or)])
    }

    fn and_expression(&mut self) -> PResult<Node> {
        self.binary(Self::equality_expression, &[(Kind::LogicalAnd, NodeKind::And)])
    }

    fn equality_expression(&mut self) -> PResult<Node> {
        self.binary(
            Self::relational_expression,
            &[(Kind::LogicalEquals, NodeKind::Eq), (Kind::LogicalNotEquals, NodeKind::Ne)],
        )
    }

    fn relational_expression(&mut self) -> PResult<Node> {
        self.binary(
            Self::additive_expression,
            &[
                (Kind::LogicalLt, NodeKind::Lt),
                (Kind::LogicalGt, NodeKind::Gt),
                (Kind::LogicalLe, NodeKind::Le),
                (Kind::LogicalGe, NodeKind::Ge),
            ],
        )
    }

    fn additive_expression(&mut self) -> PResult<Node> {
        self.binary(
            Self::multiplicative_expression,
            &[(Kind::Plus, NodeKind::Add), (Kind::Minus, NodeKind::Subtract)],
        )
    }

    fn multiplicative_expression(&mut self) -> PResult<Node> {
        self.binary(
            Self::unary_expression,
            &[(Kind::Multiply, NodeKind::Mul), (Kind::Divide, NodeKind::Div), (Kind::Modulus, NodeKind::Mod)],
        )
    }

    fn unary_expression(&mut self) -> PResult<Node> {
        if self.expression_depth >= MAX_EXPRESSION_NESTING {
            return Err(self.error_at(
                self.cur,
                format!("expressions nest more than {MAX_EXPRESSION_NESTING} levels deep"),
            ));
        }
        self.expression_depth += 1;
        let result = self.nest(Self::unary_expression_inner);
        self.expression_depth -= 1;
        result
    }

    fn unary_expression_inner(&mut self) -> PResult<Node> {
        if self.lookahead(2, Self::scan_not)? {
            self.consume_if(Kind::Whitespace)?;
            self.consume(Kind::LogicalNot)?;
            let first = self.open()?;
            let operand = self.unary_expression()?;
            return Ok(self.node(NodeKind::Not, first, vec![operand]));
        }
        match self.kind()? {
            Kind::LBracket
            | Kind::LeftCurley
            | Kind::LParen
            | Kind::Whitespace
            | Kind::StringLiteral
            | Kind::True
            | Kind::False
            | Kind::IntegerLiteral
            | Kind::FloatingPointLiteral
            | Kind::Identifier
            | Kind::LCurly => self.primary_expression(),
            _ => Err(self.unexpected("an expression")),
        }
    }

    /// PrimaryExpression(): a void production, so it yields its one node (a parenthesized
    /// expression yields the Expression node inside).
    #[inline(never)]
    fn primary_expression(&mut self) -> PResult<Node> {
        self.consume_if(Kind::Whitespace)?;
        let node = match self.kind()? {
            Kind::StringLiteral => self.single(NodeKind::StringLiteral)?,
            Kind::Identifier | Kind::LCurly => self.reference()?,
            Kind::IntegerLiteral => self.single(NodeKind::IntegerLiteral)?,
            _ => {
                if self.lookahead(u32::MAX, Self::scan_range_head)? {
                    self.integer_range()?
                } else {
                    match self.kind()? {
                        Kind::FloatingPointLiteral => self.single(NodeKind::FloatingPointLiteral)?,
                        Kind::LeftCurley => self.map()?,
                        Kind::LBracket => self.object_array()?,
                        Kind::True => self.single(NodeKind::True)?,
                        Kind::False => self.single(NodeKind::False)?,
                        Kind::LParen => {
                            self.cur += 1;
                            let inner = self.expression()?;
                            self.consume(Kind::RParen)?;
                            inner
                        }
                        _ => return Err(self.unexpected("an expression")),
                    }
                }
            }
        };
        self.consume_if(Kind::Whitespace)?;
        Ok(node)
    }
}
