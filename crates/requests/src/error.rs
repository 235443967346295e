//! The one error type of the request layer. It carries what Postgres needs to report it: a kind
//! (mapped to a SQLSTATE by the extension), a message naming the problem, a DETAIL pointing at the
//! offending element of the body, and a HINT where one helps.

use crate::path::Path;
use std::fmt;

/// What went wrong, in the classes Postgres reports. The extension maps each to its SQLSTATE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 22023 invalid_parameter_value: well-formed JSON of the wrong shape, or a value not allowed.
    InvalidParameterValue,
    /// 22P02 invalid_text_representation: a value that does not parse as what it must be
    /// (a number, a date, a boolean, an email address, a phone number).
    InvalidTextRepresentation,
    /// 42704 undefined_object: a reference to something that does not exist.
    UndefinedObject,
    /// 42710 duplicate_object: creating something that already exists.
    DuplicateObject,
    /// 23505 unique_violation: an identifier that already belongs to someone else, or is repeated.
    UniqueViolation,
    /// 23502 not_null_violation: a required value is missing.
    NotNullViolation,
    /// 55000 object_not_in_prerequisite_state: the target exists but cannot take this change.
    ObjectNotInPrerequisiteState,
    /// 54000 program_limit_exceeded: over a documented size limit.
    ProgramLimitExceeded,
}

impl ErrorKind {
    /// The five-character SQLSTATE of this kind.
    pub fn sqlstate(self) -> &'static str {
        match self {
            ErrorKind::InvalidParameterValue => "22023",
            ErrorKind::InvalidTextRepresentation => "22P02",
            ErrorKind::UndefinedObject => "42704",
            ErrorKind::DuplicateObject => "42710",
            ErrorKind::UniqueViolation => "23505",
            ErrorKind::NotNullViolation => "23502",
            ErrorKind::ObjectNotInPrerequisiteState => "55000",
            ErrorKind::ProgramLimitExceeded => "54000",
        }
    }
}

/// A rejected request: nothing of it may be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestError {
    pub kind: ErrorKind,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
}

pub type Result<T, E = RequestError> = std::result::Result<T, E>;

impl RequestError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        RequestError { kind, message: message.into(), detail: None, hint: None }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidParameterValue, message)
    }

    /// DETAIL names the element: `at contacts[3].fields[0].value`.
    pub fn at(mut self, path: &Path) -> Self {
        self.detail = Some(format!("at {path}"));
        self
    }

    /// DETAIL names the element and adds what was found there.
    pub fn at_with(mut self, path: &Path, found: impl fmt::Display) -> Self {
        self.detail = Some(format!("at {path}: {found}"));
        self
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.sqlstate(), self.message)?;
        if let Some(d) = &self.detail {
            write!(f, " (DETAIL: {d})")?;
        }
        if let Some(h) = &self.hint {
            write!(f, " (HINT: {h})")?;
        }
        Ok(())
    }
}

impl std::error::Error for RequestError {}
