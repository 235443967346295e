//! Running a job's command as the role that scheduled it, and no more: the command runs with
//! that role's rights inside a security-restricted operation (as REFRESH MATERIALIZED VIEW runs
//! a view's query), so it cannot `SET ROLE` or `RESET ROLE` back to the scheduler's own role.

use crate::error::{required, EngageError, OrRaise};
use crate::json_body::JsonBody;
use pgrx::prelude::*;
use pgrx::PgSqlErrorCode::*;
use pgrx::{JsonB, PgTryBuilder};
use std::ffi::CString;

/// Runs `command` as `role` with `search_path` and returns its outcome (`INSERT 3`, …). With
/// `arguments`, the command takes them as `$1` (how job kinds call their function). Only a
/// caller that already has the role's rights may do this; the scheduler (the extension owner)
/// has every role's.
#[pg_extern(volatile, schema = "engage_internal")]
fn execute_as(
    role: Option<pg_sys::Oid>,
    search_path: Option<&str>,
    command: Option<&str>,
    arguments: Option<JsonBody>,
) -> String {
    let (role, search_path) = (required(role, "role"), required(search_path, "search_path"));
    let command = required(command, "command");
    let arguments = arguments.map(|a| JsonB(a.0));
    let (mut caller, mut context) = (pg_sys::Oid::INVALID, 0);
    unsafe { pg_sys::GetUserIdAndSecContext(&mut caller, &mut context) };
    if unsafe { pg_sys::GetUserNameFromId(role, true) }.is_null() {
        EngageError::new(
            ERRCODE_UNDEFINED_OBJECT,
            format!("the job's role (OID {}) no longer exists", role.to_u32()),
        )
        .with_hint("Drop the job, or schedule it again as an existing role.")
        .raise();
    }
    if !unsafe { pg_sys::has_privs_of_role(caller, role) } {
        EngageError::new(
            ERRCODE_INSUFFICIENT_PRIVILEGE,
            "a job can only run as a role whose rights the caller has",
        )
        .raise();
    }
    let restricted =
        context | pg_sys::SECURITY_LOCAL_USERID_CHANGE as i32 | pg_sys::SECURITY_RESTRICTED_OPERATION as i32;
    let Ok(path) = CString::new(search_path) else {
        EngageError::new(ERRCODE_INVALID_PARAMETER_VALUE, "the job's search_path contains a NUL character")
            .raise()
    };
    // The search_path is set at a new GUC nesting level; afterwards every setting the command
    // changed is undone, session-level ones too (as PostgreSQL does after a security-restricted
    // operation), so nothing a job sets reaches what its process runs next as the scheduler.
    let level = unsafe { pg_sys::NewGUCNestLevel() };
    unsafe {
        pg_sys::set_config_option(
            c"search_path".as_ptr(),
            path.as_ptr(),
            pg_sys::GucContext::PGC_USERSET,
            pg_sys::GucSource::PGC_S_SESSION,
            pg_sys::GucAction::GUC_ACTION_SAVE,
            true,
            0,
            false,
        );
        pg_sys::SetUserIdAndSecContext(role, restricted);
    }
    PgTryBuilder::new(|| run(command, arguments))
        .finally(|| unsafe {
            pg_sys::SetUserIdAndSecContext(caller, context);
            pg_sys::AtEOXact_GUC(false, level);
        })
        .execute()
}

/// The command through SPI: with arguments, one statement whose first value is the outcome;
/// without, any number of statements, the last one's verb and row count the outcome.
fn run(command: &str, arguments: Option<JsonB>) -> String {
    let Ok(text) = CString::new(command) else {
        EngageError::new(ERRCODE_INVALID_PARAMETER_VALUE, "the job's command contains a NUL character")
            .raise()
    };
    let outcome = Spi::connect_mut(|client| match arguments {
        Some(args) => {
            let table = client.update(command, None, &[args.into()])?;
            crate::spi_util::first::<String>(table).map(|result| Ok(result.unwrap_or_default()))
        }
        None => {
            let code = unsafe { pg_sys::SPI_execute(text.as_ptr(), false, 0) };
            let rows = unsafe { pg_sys::SPI_processed };
            Ok(verb(code)
                .map(|verb| if verb == "OK" { verb.to_string() } else { format!("{verb} {rows}") })
                .ok_or(code))
        }
    })
    .or_raise();
    outcome.unwrap_or_else(|code| {
        EngageError::new(
            ERRCODE_INVALID_TRANSACTION_TERMINATION,
            "the job's command cannot run inside a job (transaction control or a statement SPI refuses)",
        )
        .with_detail(format!("SPI result code {code}"))
        .with_hint("Jobs run inside a transaction: COMMIT, VACUUM and the like are not allowed.")
        .raise()
    })
}

/// What an SPI result code says was done; `None` for a refusal.
fn verb(code: i32) -> Option<&'static str> {
    Some(match code as u32 {
        pg_sys::SPI_OK_SELECT | pg_sys::SPI_OK_SELINTO => "SELECT",
        pg_sys::SPI_OK_INSERT | pg_sys::SPI_OK_INSERT_RETURNING => "INSERT",
        pg_sys::SPI_OK_UPDATE | pg_sys::SPI_OK_UPDATE_RETURNING => "UPDATE",
        pg_sys::SPI_OK_DELETE | pg_sys::SPI_OK_DELETE_RETURNING => "DELETE",
        pg_sys::SPI_OK_MERGE => "MERGE",
        _ if code >= 0 => "OK",
        _ => return None,
    })
}
