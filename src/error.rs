//! The extension's one error type: every failure a user can cause is raised as an ERROR with a
//! specific SQLSTATE, a message, a DETAIL that points at the element and a HINT where one helps.

use engage_requests::{ErrorKind, RequestError};
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use pgrx::PgSqlErrorCode;

#[derive(Debug)]
pub struct EngageError {
    code: PgSqlErrorCode,
    message: String,
    detail: Option<String>,
    hint: Option<String>,
}

impl EngageError {
    pub fn new(code: PgSqlErrorCode, message: impl Into<String>) -> Self {
        EngageError { code, message: message.into(), detail: None, hint: None }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The message with its detail, for recording an error instead of raising it.
    pub fn describe(&self) -> String {
        match &self.detail {
            Some(detail) => format!("{} ({detail})", self.message),
            None => self.message.clone(),
        }
    }

    /// Raises the error: the current statement is aborted and nothing it wrote stays.
    pub fn raise(self) -> ! {
        let mut report = ErrorReport::new(self.code, self.message, "pg_engage");
        if let Some(detail) = self.detail {
            report = report.set_detail(detail);
        }
        if let Some(hint) = self.hint {
            report = report.set_hint(hint);
        }
        report.report(PgLogLevel::ERROR);
        unreachable!("ERROR does not return")
    }
}

impl From<RequestError> for EngageError {
    fn from(e: RequestError) -> Self {
        let code = match e.kind {
            ErrorKind::InvalidParameterValue => PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
            ErrorKind::InvalidTextRepresentation => PgSqlErrorCode::ERRCODE_INVALID_TEXT_REPRESENTATION,
            ErrorKind::UndefinedObject => PgSqlErrorCode::ERRCODE_UNDEFINED_OBJECT,
            ErrorKind::DuplicateObject => PgSqlErrorCode::ERRCODE_DUPLICATE_OBJECT,
            ErrorKind::UniqueViolation => PgSqlErrorCode::ERRCODE_UNIQUE_VIOLATION,
            ErrorKind::NotNullViolation => PgSqlErrorCode::ERRCODE_NOT_NULL_VIOLATION,
            ErrorKind::ObjectNotInPrerequisiteState => {
                PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE
            }
            ErrorKind::ProgramLimitExceeded => PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED,
        };
        EngageError { code, message: e.message, detail: e.detail, hint: e.hint }
    }
}

/// SPI failures that are not SQL errors (those Postgres raises itself) are bugs of ours.
impl From<pgrx::spi::SpiError> for EngageError {
    fn from(e: pgrx::spi::SpiError) -> Self {
        EngageError::new(PgSqlErrorCode::ERRCODE_INTERNAL_ERROR, format!("pg_engage SPI failure: {e}"))
    }
}

pub type Result<T, E = EngageError> = std::result::Result<T, E>;

/// The error for a NULL given where a value is required (22004), naming the argument.
pub fn null_argument(argument: &str) -> EngageError {
    EngageError::new(PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED, format!("{argument} must not be NULL"))
        .with_detail(format!("argument {argument}"))
}

/// A required argument's value; NULL raises `null_argument`.
pub fn required<T>(value: Option<T>, argument: &str) -> T {
    value.unwrap_or_else(|| null_argument(argument).raise())
}

/// An array argument's elements; a NULL element is refused (22004) with its position.
pub fn without_nulls<T>(items: Vec<Option<T>>, argument: &str) -> Vec<T> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            item.unwrap_or_else(|| {
                EngageError::new(
                    PgSqlErrorCode::ERRCODE_NULL_VALUE_NOT_ALLOWED,
                    format!("{argument} must not contain NULL"),
                )
                .with_detail(format!("at {argument}[{}]", i + 1))
                .raise()
            })
        })
        .collect()
}

/// `result.or_raise()`: the value, or the error raised.
pub trait OrRaise<T> {
    fn or_raise(self) -> T;
}

impl<T, E: Into<EngageError>> OrRaise<T> for std::result::Result<T, E> {
    fn or_raise(self) -> T {
        self.unwrap_or_else(|e| e.into().raise())
    }
}

#[cfg(any(test, feature = "pg_test"))]
#[pg_schema]
mod tests {
    use super::*;
    use pgrx::pg_sys::panic::CaughtError;
    use pgrx::PgTryBuilder;

    /// The SQLSTATE a raised error reaches Postgres with.
    fn raised_code(err: EngageError) -> PgSqlErrorCode {
        PgTryBuilder::new(|| -> PgSqlErrorCode { err.raise() })
            .catch_others(|caught| match caught {
                CaughtError::ErrorReport(r) | CaughtError::PostgresError(r) => r.sql_error_code(),
                CaughtError::RustPanic { ereport, .. } => ereport.sql_error_code(),
            })
            .execute()
    }

    #[pg_test]
    fn every_request_error_kind_reaches_postgres_with_its_sqlstate() {
        let kinds = [
            (ErrorKind::InvalidParameterValue, PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE),
            (ErrorKind::InvalidTextRepresentation, PgSqlErrorCode::ERRCODE_INVALID_TEXT_REPRESENTATION),
            (ErrorKind::UndefinedObject, PgSqlErrorCode::ERRCODE_UNDEFINED_OBJECT),
            (ErrorKind::DuplicateObject, PgSqlErrorCode::ERRCODE_DUPLICATE_OBJECT),
            (ErrorKind::UniqueViolation, PgSqlErrorCode::ERRCODE_UNIQUE_VIOLATION),
            (ErrorKind::NotNullViolation, PgSqlErrorCode::ERRCODE_NOT_NULL_VIOLATION),
            (
                ErrorKind::ObjectNotInPrerequisiteState,
                PgSqlErrorCode::ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
            ),
            (ErrorKind::ProgramLimitExceeded, PgSqlErrorCode::ERRCODE_PROGRAM_LIMIT_EXCEEDED),
        ];
        for (kind, code) in kinds {
            let err = EngageError::from(RequestError::new(kind, "x"));
            assert_eq!(raised_code(err), code, "{kind:?}");
        }
    }

    #[pg_test(error = "boom")]
    fn raise_aborts_with_the_message() {
        EngageError::new(PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE, "boom").raise();
    }
}
