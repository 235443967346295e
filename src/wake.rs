//! Waking a background worker of this database when the current transaction commits: the
//! worker sleeps on its latch, and a commit that gives it work sets the latch, so the work
//! starts at once instead of at the next timeout. Nothing happens on rollback, or when the
//! worker does not run.

use pgrx::prelude::*;
use std::cell::RefCell;

thread_local! {
    /// The workers this transaction will wake at commit.
    static PENDING: RefCell<Vec<&'static str>> = const { RefCell::new(Vec::new()) };
}

/// The process of the worker of type `backend_type` serving this database, if it runs.
pub fn worker_pid(backend_type: &str) -> Option<i32> {
    Spi::get_one_with_args::<i32>(
        "SELECT pid FROM pg_stat_activity WHERE backend_type = $1 AND datname = current_database()",
        &[backend_type.into()],
    )
    .ok()
    .flatten()
}

/// Sets the latch of the worker of type `backend_type` when this transaction commits; returns
/// whether the worker runs. Background workers (the workers themselves) wake no one.
pub fn wake_at_commit(backend_type: &'static str) -> bool {
    if PENDING.with_borrow(|p| p.contains(&backend_type)) {
        return true;
    }
    if !unsafe { pg_sys::MyBgworkerEntry }.is_null() {
        return false;
    }
    let Some(pid) = worker_pid(backend_type) else { return false };
    PENDING.with_borrow_mut(|p| p.push(backend_type));
    pgrx::register_xact_callback(pgrx::PgXactCallbackEvent::Commit, move || {
        PENDING.with_borrow_mut(|p| p.retain(|t| *t != backend_type));
        // SAFETY: BackendPidGetProc returns a live PGPROC or null; setting its latch is what
        // the latch is for.
        unsafe {
            let proc = pg_sys::BackendPidGetProc(pid);
            if !proc.is_null() {
                pg_sys::SetLatch(&mut (*proc).procLatch);
            }
        }
    });
    pgrx::register_xact_callback(pgrx::PgXactCallbackEvent::Abort, move || {
        PENDING.with_borrow_mut(|p| p.retain(|t| *t != backend_type))
    });
    true
}
