//! The lexer of Velocity 1.7, reproduced from its JavaCC grammar state for state.
//!
//! Velocity's output depends on details of its token manager: eleven lexical states with a stack,
//! longest-match rules with ties broken by declaration order, MORE tokens that accumulate into the
//! next token, special tokens that carry a lone `$` or `#` into the output, and actions that back
//! up the input or switch states. Byte-exact output needs the same tokens, so this module follows
//! the grammar's rules literally rather than inventing a cleaner tokenizer.

/// The lexical states of the grammar.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum State {
    Default,
    PreDirective,
    Directive,
    Reference,
    RefModifier,
    RefMod2,
    RefIndex,
    SingleLineComment,
    FormalComment,
    MultiLineComment,
    Textblock,
}

/// Token kinds, numbered as the grammar declares them: among matches of equal length the
/// lower number wins.
#[derive(Clone, Copy, PartialEq, Eq, Debug, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Kind {
    Eof = 0,
    IndexLBracket = 1,
    IndexRBracket = 2,
    LBracket = 3,
    RBracket = 4,
    Comma = 5,
    DoubleDot = 6,
    Colon = 7,
    LeftCurley = 8,
    RightCurley = 9,
    LParen = 10,
    RParen = 11,
    RefMod2RParen = 12,
    EscapeDirective = 13,
    SetDirective = 14,
    Dollar = 15,
    DollarBang = 16,
    TextblockStart = 17,
    FormalCommentStart = 18,
    MultiLineCommentStart = 19,
    Hash = 20,
    SingleLineCommentStart = 21,
    DoubleEscape = 22,
    Escape = 23,
    Text = 24,
    SingleLineComment = 25,
    FormalComment = 26,
    MultiLineComment = 27,
    Textblock = 28,
    CommentSkip = 29,
    TextblockMore = 30,
    Whitespace = 31,
    StringLiteral = 32,
    True = 33,
    False = 34,
    Newline = 35,
    Minus = 36,
    Plus = 37,
    Multiply = 38,
    Divide = 39,
    Modulus = 40,
    LogicalAnd = 41,
    LogicalOr = 42,
    LogicalLt = 43,
    LogicalLe = 44,
    LogicalGt = 45,
    LogicalGe = 46,
    LogicalEquals = 47,
    LogicalNotEquals = 48,
    LogicalNot = 49,
    Equals = 50,
    End = 51,
    IfDirective = 52,
    ElseifDirective = 53,
    ElseDirective = 54,
    IntegerLiteral = 56,
    FloatingPointLiteral = 57,
    Word = 61,
    BracketedWord = 62,
    Identifier = 66,
    Dot = 67,
    LCurly = 68,
    RCurly = 69,
    ReferenceTerminator = 70,
    DirectiveTerminator = 71,
    EmptyIndex = 72,
}

use Kind::*;

/// What the token manager does with a match.
#[derive(PartialEq, Eq)]
enum Class {
    Token,
    Special,
    Skip,
    More,
}

#[rustfmt::skip]
fn class(kind: Kind) -> Class {
    match kind {
        Dollar | DollarBang | TextblockStart | FormalCommentStart | MultiLineCommentStart | Hash
        | TextblockMore => Class::More,
        CommentSkip => Class::Skip,
        ReferenceTerminator | DirectiveTerminator => Class::Special,
        _ => Class::Token,
    }
}

/// The token kinds that can match in a state (MORE tokens apply in every state).
#[rustfmt::skip]
fn candidates(state: State) -> &'static [Kind] {
    match state {
        State::Default => &[
            EscapeDirective, SetDirective, Dollar, DollarBang, TextblockStart, FormalCommentStart,
            MultiLineCommentStart, Hash, SingleLineCommentStart, DoubleEscape, Escape, Text, EmptyIndex,
        ],
        State::PreDirective => &[
            Dollar, DollarBang, TextblockStart, FormalCommentStart, MultiLineCommentStart, Hash,
            SingleLineCommentStart, End, IfDirective, ElseifDirective, ElseDirective, IntegerLiteral,
            FloatingPointLiteral, Word, BracketedWord, DirectiveTerminator,
        ],
        State::Directive => &[
            LBracket, RBracket, Comma, DoubleDot, Colon, LeftCurley, RightCurley, LParen, RParen, Dollar,
            DollarBang, TextblockStart, FormalCommentStart, MultiLineCommentStart, Hash,
            SingleLineCommentStart, Whitespace, StringLiteral, True, False, Newline, Minus, Plus, Multiply,
            Divide, Modulus, LogicalAnd, LogicalOr, LogicalLt, LogicalLe, LogicalGt, LogicalGe,
            LogicalEquals, LogicalNotEquals, LogicalNot, Equals, IntegerLiteral, FloatingPointLiteral, Word,
            BracketedWord,
        ],
        State::Reference => &[
            IndexLBracket, SetDirective, Dollar, DollarBang, TextblockStart, FormalCommentStart,
            MultiLineCommentStart, Hash, SingleLineCommentStart, True, False, Identifier, Dot, LCurly, RCurly,
            ReferenceTerminator, EmptyIndex,
        ],
        State::RefModifier => &[
            IndexLBracket, LParen, SetDirective, Dollar, DollarBang, TextblockStart, FormalCommentStart,
            MultiLineCommentStart, Hash, True, False, Identifier, Dot, LCurly, RCurly, ReferenceTerminator,
        ],
        State::RefMod2 => &[
            LBracket, RBracket, Comma, DoubleDot, Colon, LeftCurley, RightCurley, RefMod2RParen, SetDirective,
            Dollar, DollarBang, TextblockStart, FormalCommentStart, MultiLineCommentStart, Hash, Whitespace,
            StringLiteral, True, False, IntegerLiteral, FloatingPointLiteral, Identifier, Dot,
        ],
        State::RefIndex => &[
            IndexRBracket, Dollar, DollarBang, TextblockStart, FormalCommentStart, MultiLineCommentStart,
            Hash, Whitespace, StringLiteral, True, False, IntegerLiteral, FloatingPointLiteral,
        ],
        State::SingleLineComment => &[
            Dollar, DollarBang, TextblockStart, FormalCommentStart, MultiLineCommentStart, Hash,
            SingleLineComment, CommentSkip,
        ],
        State::FormalComment => &[
            Dollar, DollarBang, TextblockStart, FormalCommentStart, MultiLineCommentStart, Hash,
            FormalComment, CommentSkip,
        ],
        State::MultiLineComment => &[
            Dollar, DollarBang, TextblockStart, FormalCommentStart, MultiLineCommentStart, Hash,
            MultiLineComment, CommentSkip,
        ],
        State::Textblock => &[
            Dollar, DollarBang, TextblockStart, FormalCommentStart, MultiLineCommentStart, Hash, Textblock,
            TextblockMore,
        ],
    }
}

/// A token: its kind, its image (including any MORE prefix), where it starts, and the images of
/// the special tokens the token manager met just before it.
#[derive(Clone, Debug)]
pub struct Token {
    pub kind: Kind,
    pub image: String,
    pub begin: usize,
    pub special: Vec<String>,
}

/// A lexical error: no token matches, or the input ends inside a MORE sequence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexError {
    pub offset: usize,
    pub message: String,
}

#[derive(Clone, Copy)]
struct Saved {
    lparen: i32,
    rparen: i32,
    state: State,
}

pub struct Lexer<'s> {
    src: &'s [char],
    pos: usize,
    pub state: State,
    stack: Vec<Saved>,
    lparen: i32,
    rparen: i32,
    pub in_directive: bool,
    in_comment: bool,
    pub in_set: bool,
}

impl<'s> Lexer<'s> {
    pub fn new(src: &'s [char]) -> Self {
        Lexer {
            src,
            pos: 0,
            state: State::Default,
            stack: Vec::with_capacity(16),
            lparen: 0,
            rparen: 0,
            in_directive: false,
            in_comment: false,
            in_set: false,
        }
    }

    /// The input position (used by the parser's look at the raw characters after a directive name).
    pub fn position(&self) -> usize {
        self.pos
    }

    pub fn switch_to(&mut self, state: State) {
        self.state = state;
    }

    fn push(&mut self) {
        self.stack.push(Saved { lparen: self.lparen, rparen: self.rparen, state: self.state });
        self.lparen = 0;
    }

    /// Pops to the saved state; on an empty stack falls back to DEFAULT and says so.
    pub fn pop(&mut self) -> bool {
        match self.stack.pop() {
            Some(s) => {
                self.lparen = s.lparen;
                self.rparen = s.rparen;
                self.state = s.state;
                true
            }
            None => {
                self.lparen = 0;
                self.state = State::Default;
                false
            }
        }
    }

    /// A `)` closes the innermost state that saw a `(`; states without one are dropped on the way.
    fn rparen_handler(&mut self) {
        let mut closed = self.in_comment;
        while !closed {
            if self.lparen > 0 {
                if self.lparen == self.rparen + 1 {
                    self.pop();
                } else {
                    self.rparen += 1;
                }
                closed = true;
            } else if !self.pop() {
                break;
            }
        }
    }

    /// The next token, as the JavaCC token manager would produce it.
    pub fn next_token(&mut self) -> Result<Token, LexError> {
        let mut special = Vec::new();
        'token: loop {
            if self.pos >= self.src.len() {
                return Ok(Token { kind: Eof, image: String::new(), begin: self.pos, special });
            }
            let begin = self.pos;
            loop {
                // A comment or text block is one token made of a step per character.
                crate::budget::tick(1);
                let Some((kind, len)) = self.best_match() else {
                    return Err(self.error(begin));
                };
                let end = self.pos + len;
                self.pos = end;
                match class(kind) {
                    Class::Token => {
                        let image: String = self.src[begin..end].iter().collect();
                        let mut token = Token { kind, image, begin, special };
                        self.token_action(&mut token);
                        return Ok(token);
                    }
                    Class::Special => {
                        special.push(self.src[begin..end].iter().collect());
                        self.special_action(kind);
                        continue 'token;
                    }
                    Class::Skip => continue 'token,
                    Class::More => {
                        self.more_action(kind);
                        if self.pos >= self.src.len() {
                            return Err(self.error(begin));
                        }
                    }
                }
            }
        }
    }

    fn error(&self, begin: usize) -> LexError {
        let after: String = self.src[begin..self.pos.min(self.src.len())].iter().collect();
        let message = match self.src.get(self.pos) {
            None => format!("Lexical error: encountered the end of the template after {after:?}"),
            Some(c) => format!("Lexical error: encountered {c:?} after {after:?}"),
        };
        LexError { offset: self.pos, message }
    }

    /// The longest match among the state's candidates; ties go to the lower kind number.
    fn best_match(&self) -> Option<(Kind, usize)> {
        let mut best: Option<(Kind, usize)> = None;
        for &kind in candidates(self.state) {
            if let Some(len) = self.match_len(kind) {
                if best.is_none_or(|(_, l)| len > l) {
                    best = Some((kind, len));
                }
            }
        }
        best
    }

    fn at(&self, i: usize) -> Option<char> {
        self.src.get(i).copied()
    }

    fn lit(&self, i: usize, s: &str) -> Option<usize> {
        let mut j = i;
        for c in s.chars() {
            if self.at(j) != Some(c) {
                return None;
            }
            j += 1;
        }
        Some(j - i)
    }

    fn run(&self, mut i: usize, pred: impl Fn(char) -> bool) -> usize {
        let start = i;
        while self.at(i).is_some_and(&pred) {
            i += 1;
        }
        i - start
    }

    /// `( " " | "\t" )* ( "\n" | "\r" | "\r\n" )`, if present at `i`.
    fn blank_line_end(&self, i: usize) -> Option<usize> {
        let j = i + self.run(i, |c| c == ' ' || c == '\t');
        match self.at(j) {
            Some('\n') => Some(j + 1 - i),
            Some('\r') => Some(j + if self.at(j + 1) == Some('\n') { 2 } else { 1 } - i),
            _ => None,
        }
    }

    fn newline(&self, i: usize) -> Option<usize> {
        match self.at(i) {
            Some('\n') => Some(1),
            Some('\r') => Some(if self.at(i + 1) == Some('\n') { 2 } else { 1 }),
            _ => None,
        }
    }

    fn word(&self, i: usize) -> Option<usize> {
        let first = self.at(i)?;
        (first.is_ascii_alphabetic() || first == '_' || first == '@')
            .then(|| 1 + self.run(i + 1, |c| c.is_ascii_alphanumeric() || c == '_' || c == '@'))
    }

    fn bracketed_word(&self, i: usize) -> Option<usize> {
        self.lit(i, "{")?;
        let first = self.at(i + 1)?;
        if !(first.is_ascii_alphabetic() || first == '_') {
            return None;
        }
        let n = 2 + self.run(i + 2, |c| c.is_ascii_alphanumeric() || c == '_' || c == '@');
        (self.at(i + n) == Some('}')).then_some(n + 1)
    }

    fn digits(&self, i: usize) -> usize {
        self.run(i, |c| c.is_ascii_digit())
    }

    fn exponent(&self, i: usize) -> Option<usize> {
        if !matches!(self.at(i), Some('e' | 'E')) {
            return None;
        }
        let sign = usize::from(matches!(self.at(i + 1), Some('+' | '-')));
        let d = self.digits(i + 1 + sign);
        (d > 0).then_some(1 + sign + d)
    }

    fn float(&self, i: usize) -> Option<usize> {
        let neg = usize::from(self.at(i) == Some('-'));
        let j = i + neg;
        let d = self.digits(j);
        let mut best = None;
        if d > 0 && self.at(j + d) == Some('.') {
            let f = self.digits(j + d + 1);
            let e = self.exponent(j + d + 1 + f).unwrap_or(0);
            best = Some(neg + d + 1 + f + e);
        }
        if d == 0 && self.at(j) == Some('.') {
            let f = self.digits(j + 1);
            if f > 0 {
                let e = self.exponent(j + 1 + f).unwrap_or(0);
                best = best.max(Some(neg + 1 + f + e));
            }
        }
        if d > 0 {
            if let Some(e) = self.exponent(j + d) {
                best = best.max(Some(neg + d + e));
            }
        }
        best
    }

    /// `"…"` or `'…'` where a doubled quote stands for itself; the longest such prefix.
    fn string_literal(&self, i: usize) -> Option<usize> {
        let quote = self.at(i).filter(|&c| c == '"' || c == '\'')?;
        let mut j = i + 1;
        let mut end = None;
        while let Some(c) = self.at(j) {
            if c != quote {
                j += 1;
                continue;
            }
            end = Some(j + 1 - i);
            if self.at(j + 1) == Some(quote) {
                j += 2;
            } else {
                break;
            }
        }
        // An unclosed quote is looked at to the end of the template.
        crate::budget::scan(j - i);
        end
    }

    fn either(&self, i: usize, a: &str, b: &str) -> Option<usize> {
        self.lit(i, a).max(self.lit(i, b))
    }

    /// `word` or `{word}`, optionally followed by blanks and a line end (#end, #else).
    fn closing_word(&self, i: usize, word: &str) -> Option<usize> {
        let n = self.lit(i, word).or_else(|| self.lit(i, &format!("{{{word}}}")))?;
        Some(n + self.blank_line_end(i + n).unwrap_or(0))
    }

    /// The length of the longest match of `kind`'s expression at the current position.
    fn match_len(&self, kind: Kind) -> Option<usize> {
        let i = self.pos;
        let n = match kind {
            IndexLBracket | LBracket => self.lit(i, "[")?,
            IndexRBracket | RBracket => self.lit(i, "]")?,
            Comma => self.lit(i, ",")?,
            DoubleDot => self.lit(i, "..")?,
            Colon => self.lit(i, ":")?,
            LeftCurley | LCurly => self.lit(i, "{")?,
            RightCurley | RCurly => self.lit(i, "}")?,
            LParen => self.lit(i, "(")?,
            RefMod2RParen => self.lit(i, ")")?,
            RParen => {
                self.lit(i, ")")?;
                1 + self.blank_line_end(i + 1).unwrap_or(0)
            }
            EscapeDirective => {
                let n = self.run(i, |c| c == '\\');
                if n.is_multiple_of(2) || self.at(i + n) != Some('#') {
                    return None;
                }
                n + 1 + self.word(i + n + 1).or_else(|| self.bracketed_word(i + n + 1))?
            }
            SetDirective => {
                let mut j = i + self.run(i, |c| c == ' ' || c == '\t');
                j += self.either(j, "#set", "#{set}")?;
                j += self.run(j, |c| c == ' ');
                j + self.lit(j, "(")? - i
            }
            Dollar => {
                let n = self.run(i, |c| c == '\\');
                n + self.lit(i + n, "$")?
            }
            DollarBang => {
                let n = self.run(i, |c| c == '\\');
                self.lit(i + n, "$")?;
                let m = self.run(i + n + 1, |c| c == '\\');
                n + 1 + m + self.lit(i + n + 1 + m, "!")?
            }
            TextblockStart => self.lit(i, "#[[")?,
            FormalCommentStart => {
                self.lit(i, "#**")?;
                let c = self.at(i + 3)?;
                if c == '#' {
                    return None;
                }
                4
            }
            MultiLineCommentStart => self.lit(i, "#*")?,
            Hash => self.lit(i, "#")?,
            SingleLineCommentStart => self.lit(i, "##")?,
            DoubleEscape => self.lit(i, "\\\\")?,
            Escape => self.lit(i, "\\")?,
            Text => self.run(i, |c| c != '$' && c != '#' && c != '\\'),
            SingleLineComment | Newline => self.newline(i)?,
            FormalComment | MultiLineComment => self.lit(i, "*#")?,
            Textblock => self.lit(i, "]]#")?,
            CommentSkip | TextblockMore | ReferenceTerminator | DirectiveTerminator => {
                self.at(i)?;
                1
            }
            Whitespace => self.run(i, |c| matches!(c, ' ' | '\t' | '\n' | '\r')),
            StringLiteral => self.string_literal(i)?,
            True => self.lit(i, "true")?,
            False => self.lit(i, "false")?,
            Minus => self.lit(i, "-")?,
            Plus => self.lit(i, "+")?,
            Multiply => self.lit(i, "*")?,
            Divide => self.lit(i, "/")?,
            Modulus => self.lit(i, "%")?,
            LogicalAnd => self.either(i, "&&", "and")?,
            LogicalOr => self.either(i, "||", "or")?,
            LogicalLt => self.either(i, "<", "lt")?,
            LogicalLe => self.either(i, "<=", "le")?,
            LogicalGt => self.either(i, ">", "gt")?,
            LogicalGe => self.either(i, ">=", "ge")?,
            LogicalEquals => self.either(i, "==", "eq")?,
            LogicalNotEquals => self.either(i, "!=", "ne")?,
            LogicalNot => self.either(i, "!", "not")?,
            Equals => self.lit(i, "=")?,
            End => self.closing_word(i, "end")?,
            ElseDirective => self.closing_word(i, "else")?,
            IfDirective => self.either(i, "if", "{if}")?,
            ElseifDirective => self.either(i, "elseif", "{elseif}")?,
            IntegerLiteral => {
                let neg = usize::from(self.at(i) == Some('-'));
                let d = self.digits(i + neg);
                if d == 0 {
                    return None;
                }
                neg + d + self.lit(i + neg + d, "..").unwrap_or(0)
            }
            FloatingPointLiteral => self.float(i)?,
            Word => self.word(i)?,
            BracketedWord => self.bracketed_word(i)?,
            Identifier => {
                let first = self.at(i)?;
                if !(first.is_ascii_alphabetic() || first == '_') {
                    return None;
                }
                1 + self.run(i + 1, |c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            }
            Dot => {
                self.lit(i, ".")?;
                if !self.at(i + 1)?.is_ascii_alphabetic() {
                    return None;
                }
                2
            }
            EmptyIndex => ["$[", "$![", "$\\![", "$."].iter().filter_map(|s| self.lit(i, s)).max()?,
            Eof => return None,
        };
        (n > 0).then_some(n)
    }

    fn more_action(&mut self, kind: Kind) {
        if self.in_comment {
            return;
        }
        match kind {
            Dollar | DollarBang => {
                if self.state == State::Reference {
                    self.pop();
                }
                self.push();
                self.state = State::Reference;
            }
            TextblockStart => {
                self.in_comment = true;
                self.push();
                self.state = State::Textblock;
            }
            FormalCommentStart => {
                self.pos -= 1;
                self.in_comment = true;
                self.push();
                self.state = State::FormalComment;
            }
            MultiLineCommentStart => {
                self.in_comment = true;
                self.push();
                self.state = State::MultiLineComment;
            }
            Hash => {
                if matches!(self.state, State::Reference | State::RefModifier) {
                    self.pop();
                }
                self.in_directive = true;
                self.push();
                self.state = State::PreDirective;
            }
            _ => {}
        }
    }

    fn special_action(&mut self, kind: Kind) {
        self.pos -= 1;
        if kind == DirectiveTerminator {
            self.in_directive = false;
        }
        self.pop();
    }

    fn token_action(&mut self, token: &mut Token) {
        match token.kind {
            IndexLBracket => {
                self.push();
                self.state = State::RefIndex;
            }
            IndexRBracket | RCurly => {
                self.pop();
            }
            LParen => {
                if !self.in_comment {
                    self.lparen += 1;
                }
                if self.state == State::RefModifier {
                    self.state = State::RefMod2;
                }
            }
            RParen => self.rparen_handler(),
            RefMod2RParen => self.state = State::Reference,
            SetDirective if !self.in_comment => {
                self.in_directive = true;
                self.push();
                self.in_set = true;
                self.state = State::Directive;
                self.lparen += 1;
            }
            SingleLineCommentStart if !self.in_comment => {
                if self.state == State::Reference {
                    self.pop();
                }
                self.in_comment = true;
                self.push();
                self.state = State::SingleLineComment;
            }
            SingleLineComment | FormalComment | MultiLineComment | Textblock => {
                self.in_comment = false;
                self.pop();
            }
            StringLiteral if self.state == State::Directive && !self.in_set && self.lparen == 0 => {
                self.pop();
            }
            Newline => {
                self.pop();
                self.in_set = false;
                self.in_directive = false;
            }
            End | ElseDirective => {
                self.in_directive = false;
                self.pop();
            }
            IfDirective | ElseifDirective => self.state = State::Directive,
            IntegerLiteral => {
                if token.image.ends_with("..") {
                    self.pos -= 2;
                    token.image.truncate(token.image.len() - 2);
                }
                if self.lparen == 0
                    && !self.in_set
                    && self.state != State::RefMod2
                    && self.state != State::RefIndex
                {
                    self.pop();
                }
            }
            FloatingPointLiteral if self.lparen == 0 && !self.in_set && self.state != State::RefMod2 => {
                self.pop();
            }
            Dot => {
                self.pos -= 1;
                token.image = ".".to_string();
                self.state = State::RefModifier;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex(s: &str) -> Vec<(Kind, String)> {
        let chars: Vec<char> = s.chars().collect();
        let mut lexer = Lexer::new(&chars);
        let mut out = Vec::new();
        loop {
            let t = lexer.next_token().unwrap();
            if t.kind == Eof {
                break;
            }
            out.push((t.kind, t.image));
        }
        out
    }

    fn kinds(s: &str) -> Vec<Kind> {
        lex(s).into_iter().map(|(k, _)| k).collect()
    }

    #[test]
    fn text_and_references() {
        assert_eq!(
            lex("Hi $name!"),
            vec![(Text, "Hi ".into()), (Identifier, "$name".into()), (Text, "!".into())]
        );
        assert_eq!(
            kinds("$a.b($c, 'x')"),
            vec![
                Identifier,
                Dot,
                Identifier,
                LParen,
                Identifier,
                Comma,
                Whitespace,
                StringLiteral,
                RefMod2RParen
            ]
        );
        assert_eq!(lex("\\\\$x")[0], (Identifier, "\\\\$x".into()));
        assert_eq!(lex("$!{x}").iter().map(|(_, i)| i.as_str()).collect::<Vec<_>>(), vec!["$!{", "x", "}"]);
    }

    #[test]
    fn a_lone_dollar_or_hash_travels_as_special_text() {
        let chars: Vec<char> = "a $ b".chars().collect();
        let mut lexer = Lexer::new(&chars);
        let a = lexer.next_token().unwrap();
        let b = lexer.next_token().unwrap();
        assert_eq!((a.image.as_str(), b.image.as_str()), ("a ", " b"));
        assert_eq!(b.special, vec!["$ ".to_string()]);
    }

    #[test]
    fn directives_and_whitespace_eating() {
        assert_eq!(
            lex("#if($a)\nx#end\n"),
            vec![
                (IfDirective, "#if".into()),
                (LParen, "(".into()),
                (Identifier, "$a".into()),
                (RParen, ")\n".into()),
                (Text, "x".into()),
                (End, "#end\n".into()),
            ]
        );
        assert_eq!(lex("  #set($a = 1)  \n")[0], (SetDirective, "  #set(".into()));
        assert_eq!(kinds("#{else}"), vec![ElseDirective]);
        assert_eq!(kinds("#endx"), vec![Word]);
    }

    #[test]
    fn numbers_ranges_and_operators() {
        assert_eq!(
            kinds("#set($a = [1..3])"),
            vec![
                SetDirective,
                Identifier,
                Whitespace,
                Equals,
                Whitespace,
                LBracket,
                IntegerLiteral,
                DoubleDot,
                IntegerLiteral,
                RBracket,
                RParen
            ]
        );
        assert_eq!(
            kinds("#if(1.5e3 <= -2 and !$x)"),
            vec![
                IfDirective,
                LParen,
                FloatingPointLiteral,
                Whitespace,
                LogicalLe,
                Whitespace,
                IntegerLiteral,
                Whitespace,
                LogicalAnd,
                Whitespace,
                LogicalNot,
                Identifier,
                RParen
            ]
        );
    }

    #[test]
    fn comments_and_textblocks() {
        assert_eq!(
            kinds("a## c\nb#* x *#c#** d *#e#[[$x]]#"),
            vec![
                Text,
                SingleLineCommentStart,
                SingleLineComment,
                Text,
                MultiLineComment,
                Text,
                FormalComment,
                Text,
                Textblock
            ]
        );
    }

    #[test]
    fn the_end_inside_a_more_is_a_lexical_error() {
        for s in ["a$", "b#", "#*", "x$!"] {
            let chars: Vec<char> = s.chars().collect();
            let mut lexer = Lexer::new(&chars);
            let mut result = lexer.next_token();
            while let Ok(t) = &result {
                if t.kind == Eof {
                    break;
                }
                result = lexer.next_token();
            }
            assert!(result.is_err(), "{s}");
        }
    }
}
