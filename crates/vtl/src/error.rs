//! Errors a template can raise, and the non-local exits (`#stop`, `#break`) that travel the same
//! way through the renderer.

use std::fmt;

/// What went wrong, in Velocity's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The template (or one it loads, or a string it evaluates) is not valid VTL.
    Parse,
    /// A Java method called by the template threw (Velocity's MethodInvocationException).
    MethodInvocation,
    /// Any other failure Velocity reports while rendering (VelocityException and friends).
    Runtime,
    /// `#parse` or `#include` named a template that does not exist.
    ResourceNotFound,
    /// One of the engine's safety limits was exceeded.
    Limit(Limit),
}

/// The safety limits of [`crate::Config`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    OutputSize,
    LoopIterations,
    MacroDepth,
    Steps,
    ParseDepth,
    Memory,
}

impl Limit {
    /// The setting's name, as errors and the database settings spell it.
    pub fn name(self) -> &'static str {
        match self {
            Limit::OutputSize => "max_output_size",
            Limit::LoopIterations => "max_loop_iterations",
            Limit::MacroDepth => "max_macro_depth",
            Limit::Steps => "max_steps",
            Limit::ParseDepth => "max_parse_depth",
            Limit::Memory => "max_memory",
        }
    }
}

/// An error with the place it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    /// The template's name (`#parse`d templates have their own).
    pub template: String,
    /// 1-based; 0 when the place is unknown.
    pub line: usize,
    pub column: usize,
    /// The text of the line, shown with a caret under the column.
    pub source_line: Option<String>,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            template: String::new(),
            line: 0,
            column: 0,
            source_line: None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if self.line > 0 {
            write!(f, " at {}[line {}, column {}]", self.template, self.line, self.column)?;
        }
        if let Some(src) = &self.source_line {
            let (shown, caret) = caret_window(src, self.column);
            write!(f, "\n{shown}\n{}^", " ".repeat(caret))?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

/// The part of a long line around a 1-based column (with `…` where cut), and the caret's offset
/// in it.
pub fn caret_window(line: &str, column: usize) -> (String, usize) {
    const BEFORE: usize = 60;
    const AFTER: usize = 40;
    let chars: Vec<char> = line.chars().map(|c| if c == '\t' { ' ' } else { c }).collect();
    let at = column.saturating_sub(1).min(chars.len());
    let start = at.saturating_sub(BEFORE);
    let end = (at + AFTER).min(chars.len());
    let mut shown: String = chars[start..end].iter().collect();
    let mut caret = at - start;
    if start > 0 {
        shown.insert(0, '…');
        caret += 1;
    }
    if end < chars.len() {
        shown.push('…');
    }
    (shown, caret)
}

/// Velocity's StopCommand: `#stop` stops the template (or the `#evaluate` it is in), `#break`
/// the nearest loop, macro, `#parse`, `#define` block or `#evaluate`, `#break($foreach)` a given
/// loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    Top,
    Nearest,
    /// A loop, by the address of its node.
    Target(usize),
}

/// What unwinds the renderer: a stop or an error. Boxed, so that the renderer's results stay
/// one word beside their value (they travel up through every node).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Thrown(Box<Unwind>);

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unwind {
    Stop(Stop),
    Error(Error),
}

impl Thrown {
    pub fn stop(stop: Stop) -> Thrown {
        Thrown(Box::new(Unwind::Stop(stop)))
    }

    /// The stop this is, if it is one.
    pub fn as_stop(&self) -> Option<Stop> {
        match *self.0 {
            Unwind::Stop(s) => Some(s),
            Unwind::Error(_) => None,
        }
    }

    pub fn into_unwind(self) -> Unwind {
        *self.0
    }
}

impl From<Error> for Thrown {
    fn from(e: Error) -> Self {
        Thrown(Box::new(Unwind::Error(e)))
    }
}
