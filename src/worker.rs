//! Waking a background worker when the current transaction commits: the worker sleeps on its
//! latch, and a commit that gives it work sets the latch, so the work starts at once instead of
//! at the next timeout. Each worker keeps its process ID in shared memory (set up when pg_engage
//! is preloaded), so that a wake costs no catalog or statistics lookup: one is asked for on every
//! event. Nothing happens on rollback, or when the worker does not run.

use pgrx::prelude::*;
use pgrx::{pg_shmem_init, PgAtomic};
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

// SAFETY (both): the names are unique to pg_engage.
static SCHEDULER_PID: PgAtomic<AtomicI32> = unsafe { PgAtomic::new(c"pg_engage scheduler pid") };
static WORKFLOWS_PID: PgAtomic<AtomicI32> = unsafe { PgAtomic::new(c"pg_engage workflows pid") };

/// A worker that can be woken: where its process ID is kept.
pub struct Worker {
    pid: &'static PgAtomic<AtomicI32>,
}

pub static SCHEDULER: Worker = Worker { pid: &SCHEDULER_PID };
pub static WORKFLOWS: Worker = Worker { pid: &WORKFLOWS_PID };

/// Whether the library was preloaded (set in the postmaster; backends inherit it by fork), and
/// so whether the shared memory above exists.
static PRELOADED: AtomicBool = AtomicBool::new(false);

/// Sets up the shared memory; only possible while shared_preload_libraries are loaded.
pub fn init() {
    if !unsafe { pg_sys::process_shared_preload_libraries_in_progress } {
        return;
    }
    PRELOADED.store(true, Ordering::Relaxed);
    pg_shmem_init!(SCHEDULER_PID);
    pg_shmem_init!(WORKFLOWS_PID);
}

pub fn preloaded() -> bool {
    PRELOADED.load(Ordering::Relaxed)
}

impl Worker {
    /// Called by the worker itself when it starts (and with 0 when it stops).
    pub fn set_pid(&self, pid: i32) {
        if preloaded() {
            self.pid.get().store(pid, Ordering::Relaxed);
        }
    }

    fn pid(&self) -> i32 {
        if preloaded() {
            self.pid.get().load(Ordering::Relaxed)
        } else {
            0
        }
    }
}

thread_local! {
    /// The workers (by process ID) this transaction will wake at commit.
    static PENDING: RefCell<Vec<i32>> = const { RefCell::new(Vec::new()) };
}

/// The process of the worker of type `backend_type` serving this database, if it runs (for
/// status reports: a statistics lookup).
pub fn worker_pid(backend_type: &str) -> Option<i32> {
    Spi::get_one_with_args::<i32>(
        "SELECT pid FROM pg_stat_activity WHERE backend_type = $1 AND datname = current_database()",
        &[backend_type.into()],
    )
    .ok()
    .flatten()
}

/// Sets the worker's latch when this transaction commits; returns whether the worker runs.
/// Background workers (the workers themselves) wake no one.
pub fn wake_at_commit(worker: &Worker) -> bool {
    let pid = worker.pid();
    if pid == 0 || !unsafe { pg_sys::MyBgworkerEntry }.is_null() {
        return false;
    }
    if PENDING.with_borrow(|p| p.contains(&pid)) {
        return true;
    }
    PENDING.with_borrow_mut(|p| p.push(pid));
    pgrx::register_xact_callback(pgrx::PgXactCallbackEvent::Commit, move || {
        PENDING.with_borrow_mut(|p| p.retain(|x| *x != pid));
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
        PENDING.with_borrow_mut(|p| p.retain(|x| *x != pid))
    });
    true
}
