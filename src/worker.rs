//! The long-lived background workers (the scheduler's launcher, the workflow worker): how they
//! are registered, their main loop, and waking one when the current transaction commits. A
//! worker sleeps on its latch, and a commit that gives it work sets the latch, so the work starts
//! at once instead of at the next timeout. Each worker keeps its process ID in shared memory (set
//! up when pg_engage is preloaded), so that a wake costs no catalog or statistics lookup: one is
//! asked for on every event. Nothing happens on rollback, or when the worker does not run.

use crate::guc;
use pgrx::bgworkers::{BackgroundWorker, BackgroundWorkerBuilder, BgWorkerStartTime, SignalWakeFlags};
use pgrx::pg_sys::panic::CaughtError;
use pgrx::prelude::*;
use pgrx::{pg_shmem_init, PgAtomic, PgTryBuilder};
use std::cell::RefCell;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::Duration;

// SAFETY (both): the names are unique to pg_engage.
static SCHEDULER_PID: PgAtomic<AtomicI32> = unsafe { PgAtomic::new(c"pg_engage scheduler pid") };
static WORKFLOWS_PID: PgAtomic<AtomicI32> = unsafe { PgAtomic::new(c"pg_engage workflows pid") };

/// A long-lived worker: its `backend_type` in `pg_stat_activity`, the library function that
/// runs it, and where its process ID is kept.
pub struct Worker {
    pub name: &'static str,
    function: &'static str,
    pid: &'static PgAtomic<AtomicI32>,
}

pub static SCHEDULER: Worker =
    Worker { name: "pg_engage scheduler", function: "engage_scheduler_main", pid: &SCHEDULER_PID };
pub static WORKFLOWS: Worker =
    Worker { name: "pg_engage workflows", function: "engage_workflows_main", pid: &WORKFLOWS_PID };

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
    /// Registers the worker (only possible while shared_preload_libraries are loaded): started
    /// after recovery, started again 5 seconds after it exits with a non-zero code.
    pub fn register(&self) {
        if !preloaded() {
            return;
        }
        BackgroundWorkerBuilder::new(self.name)
            .set_type(self.name)
            .set_library("pg_engage")
            .set_function(self.function)
            .enable_spi_access()
            .set_start_time(BgWorkerStartTime::RecoveryFinished)
            .set_restart_time(Some(Duration::from_secs(5)))
            .load();
    }

    /// The worker's main loop: connects to `engage.database`, then calls `pass` and sleeps for
    /// the time it returns (or until its latch is set), reloading the configuration on SIGHUP,
    /// until SIGTERM.
    pub fn run(&self, mut pass: impl FnMut() -> Duration) -> ! {
        BackgroundWorker::attach_signal_handlers(SignalWakeFlags::SIGHUP | SignalWakeFlags::SIGTERM);
        let database = guc::database();
        BackgroundWorker::connect_worker_to_spi(Some(&database), None);
        self.set_pid(unsafe { pg_sys::MyProcPid });
        log!("{} started for database \"{database}\"", self.name);
        loop {
            if BackgroundWorker::sighup_received() {
                unsafe { pg_sys::ProcessConfigFile(pg_sys::GucContext::PGC_SIGHUP) };
            }
            if !BackgroundWorker::wait_latch(Some(pass())) {
                break;
            }
        }
        self.set_pid(0);
        log!("{} stopped", self.name);
        // Exit code 1: the postmaster starts the worker again unless the server is shutting down
        // (with 0 it would be unregistered, say after pg_terminate_backend or DROP DATABASE).
        unsafe { pg_sys::proc_exit(1) }
    }

    fn set_pid(&self, pid: i32) {
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

/// Longest wait before a worker tries a failing step again.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Steps of a worker that failed in a row. A step that keeps failing (a dropped table, a full
/// disk, a bug) is tried again after 1 s, 2 s, 4 s, … up to 5 minutes, each time with a log line
/// and a `worker_failing` row in `engage.notifications`, instead of the worker exiting and being
/// restarted every few seconds.
#[derive(Default)]
pub struct Backoff {
    failures: u32,
}

impl Backoff {
    /// A pass of the worker went through without a failure: the next failure waits 1 s again.
    pub fn passed(&mut self) {
        self.failures = 0;
    }

    /// Runs `step` in its own transaction. When it raises an error, the transaction is rolled
    /// back and the error reported, and the result is how long to wait before trying again.
    pub fn step<T>(
        &mut self,
        worker: &Worker,
        step: impl FnOnce() -> T + UnwindSafe + RefUnwindSafe,
    ) -> Result<T, Duration> {
        let outcome = caught(|| BackgroundWorker::transaction(step));
        let message = match outcome {
            Ok(value) => return Ok(value),
            Err(failure) => failure.message,
        };
        self.failures = self.failures.saturating_add(1);
        let wait = Duration::from_secs(1u64 << self.failures.min(20).saturating_sub(1)).min(MAX_BACKOFF);
        warning!(
            "{}: a step failed ({} in a row), trying again in {} s: {message}",
            worker.name,
            self.failures,
            wait.as_secs()
        );
        let text = format!("{} failed {} times in a row: {message}", worker.name, self.failures);
        let details = pgrx::JsonB(serde_json::json!({"worker": worker.name, "failures": self.failures,
                                                     "error": message, "retry_in_seconds": wait.as_secs()}));
        let noted = caught(move || {
            BackgroundWorker::transaction(move || {
                Spi::run_with_args(
                    "INSERT INTO engage.notifications (kind, message, details) VALUES ('worker_failing', $1, $2)",
                    &[text.into(), details.into()],
                )
            })
        });
        match noted {
            Ok(Ok(())) => {}
            Ok(Err(e)) => warning!("{}: the failure could not be recorded: {e}", worker.name),
            Err(e) => warning!("{}: the failure could not be recorded: {e}", worker.name),
        }
        Err(wait)
    }
}

/// An error a worker caught: its message, detail and SQLSTATE.
pub struct Failure {
    pub message: String,
    pub detail: String,
    pub sqlstate: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Runs `f`, turning an error it raises into a `Failure`; a transaction it left open is rolled
/// back.
pub fn caught<T>(f: impl FnOnce() -> T + UnwindSafe) -> Result<T, Failure> {
    PgTryBuilder::new(|| Ok(f()))
        .catch_others(|e| {
            // SAFETY: the error was caught and its state flushed; what the step began is undone.
            unsafe { pg_sys::AbortCurrentTransaction() };
            let report = match e {
                CaughtError::PostgresError(report) | CaughtError::ErrorReport(report) => report,
                CaughtError::RustPanic { ereport, .. } => ereport,
            };
            let code = report.sql_error_code() as i32;
            // SAFETY: unpack_sql_state returns a static buffer with five characters and a NUL.
            let sqlstate = unsafe { std::ffi::CStr::from_ptr(pg_sys::unpack_sql_state(code)) };
            Err(Failure {
                message: report.message().to_string(),
                detail: report.detail().unwrap_or_default().to_string(),
                sqlstate: sqlstate.to_string_lossy().into_owned(),
            })
        })
        .execute()
}

/// Runs `f` in a transaction of its own; an error it raises (or an SPI error it returns) is
/// returned as a `Failure`, its work undone.
pub fn step<T>(
    f: impl FnOnce() -> Result<T, pgrx::spi::Error> + UnwindSafe + RefUnwindSafe,
) -> Result<T, Failure> {
    match caught(|| BackgroundWorker::transaction(f)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => {
            Err(Failure { message: e.to_string(), detail: String::new(), sqlstate: "XX000".into() })
        }
        Err(failure) => Err(failure),
    }
}

thread_local! {
    /// The workers (by process ID) this transaction will wake at commit.
    static PENDING: RefCell<Vec<i32>> = const { RefCell::new(Vec::new()) };
}

impl Worker {
    /// The worker's process if it runs and serves this database. The process ID is in shared
    /// memory and `engage.database` is a server-start setting every backend reads alike, so the
    /// answer does not depend on which processes the calling role may see in `pg_stat_activity`.
    pub fn pid_here(&self) -> Option<i32> {
        let pid = self.pid();
        // SAFETY: BackendPidGetProc only reads the process array; get_database_name returns a
        // palloc'd name or null.
        let (alive, database) = unsafe {
            let name = pg_sys::get_database_name(pg_sys::MyDatabaseId);
            let database =
                (!name.is_null()).then(|| std::ffi::CStr::from_ptr(name).to_string_lossy().into_owned());
            (pid != 0 && !pg_sys::BackendPidGetProc(pid).is_null(), database)
        };
        (alive && database.as_deref() == Some(guc::database().as_str())).then_some(pid)
    }

    /// Why the worker does not run for this database (None when it does): pg_engage is not
    /// preloaded, or it serves another database, or it is starting, or its setting `switch` is off.
    pub fn problem_here(&self, label: &str, switch: &str) -> Option<String> {
        if self.pid_here().is_some() {
            return None;
        }
        if !preloaded() {
            return Some(
                "pg_engage is not in shared_preload_libraries: add it (and engage.database) to postgresql.conf \
                 and restart the server"
                    .to_string(),
            );
        }
        Some(format!(
            "the {label} runs for database \"{}\" (engage.database), not this one; or it is starting, or {switch} is off",
            guc::database()
        ))
    }

    /// Sets the worker's latch when this transaction commits; returns whether the worker runs.
    /// Background workers (the workers themselves) wake no one.
    pub fn wake_at_commit(&self) -> bool {
        let pid = self.pid();
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
}
