//! The long-lived background workers of each database pg_engage serves (its scheduler and its
//! workflow worker): their slots in shared memory, their main loop, and waking one when the
//! current transaction commits. `launcher` starts them. A worker sleeps on its latch, and a
//! commit that gives it work sets the latch, so the work starts at once instead of at the next
//! timeout. Each worker keeps its process ID in a slot for its database in shared memory (set up
//! when pg_engage is preloaded), so that a wake costs no catalog or statistics lookup: one is
//! asked for on every event. Nothing happens on rollback, or when the worker does not run.

use crate::guc;
use pgrx::bgworkers::{BackgroundWorker, SignalWakeFlags};
use pgrx::pg_sys::panic::CaughtError;
use pgrx::prelude::*;
use pgrx::shmem::PGRXSharedMemory;
use pgrx::{pg_shmem_init, PgLwLock, PgTryBuilder};
use std::cell::RefCell;
use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How many databases one server's pg_engage can serve at once.
pub const MAX_DATABASES: usize = 32;

/// The workers of one database: its OID (0: a free slot) and each worker's process ID (0: none).
#[derive(Copy, Clone, Default)]
struct Slot {
    database: u32,
    pids: [i32; 2],
}

#[derive(Copy, Clone)]
pub struct Slots([Slot; MAX_DATABASES]);

impl Default for Slots {
    fn default() -> Self {
        Slots([Slot::default(); MAX_DATABASES])
    }
}

// SAFETY: plain integers, no pointers.
unsafe impl PGRXSharedMemory for Slots {}

// SAFETY: the name is unique to pg_engage.
static SLOTS: PgLwLock<Slots> = unsafe { PgLwLock::new(c"pg_engage workers") };

/// A long-lived worker of a database: its `backend_type` in `pg_stat_activity`, the library
/// function that runs it, and its place in the database's slot.
pub struct Worker {
    pub name: &'static str,
    pub function: &'static str,
    index: usize,
}

pub static SCHEDULER: Worker =
    Worker { name: "pg_engage scheduler", function: "engage_scheduler_main", index: 0 };
pub static WORKFLOWS: Worker =
    Worker { name: "pg_engage workflows", function: "engage_workflows_main", index: 1 };
pub static DATABASE_WORKERS: [&Worker; 2] = [&SCHEDULER, &WORKFLOWS];

/// Whether the library was preloaded (set in the postmaster; backends inherit it by fork), and
/// so whether the shared memory above exists.
static PRELOADED: AtomicBool = AtomicBool::new(false);

/// Sets up the shared memory; only possible while shared_preload_libraries are loaded.
pub fn init() {
    if !unsafe { pg_sys::process_shared_preload_libraries_in_progress } {
        return;
    }
    PRELOADED.store(true, Ordering::Relaxed);
    pg_shmem_init!(SLOTS);
}

pub fn preloaded() -> bool {
    PRELOADED.load(Ordering::Relaxed)
}

/// Whether a process ID is a live background worker connected to the database: the process a
/// slot names may have ended with an error, and its ID gone to another backend since.
fn serving(pid: i32, database: u32) -> bool {
    if pid == 0 {
        return false;
    }
    // SAFETY: BackendPidGetProc only reads the process array; the PGPROC it returns stays valid
    // memory (a slot of the array), and two plain fields are read from it.
    unsafe {
        let proc = pg_sys::BackendPidGetProc(pid);
        !proc.is_null() && (*proc).isBackgroundWorker && (*proc).databaseId.to_u32() == database
    }
}

impl Worker {
    /// The worker's main loop for the database the launcher gave it (the argument): connects,
    /// takes its slot (leaving at once when another process has it), then calls `pass` and
    /// sleeps for the time it returns (or until its latch is set), reloading the configuration
    /// on SIGHUP, until SIGTERM or until the database is no longer in `engage.databases`.
    pub fn run(&self, database: pg_sys::Datum, mut pass: impl FnMut() -> Duration) {
        BackgroundWorker::attach_signal_handlers(SignalWakeFlags::SIGHUP | SignalWakeFlags::SIGTERM);
        let oid = pg_sys::Oid::from(database.value() as u32);
        BackgroundWorker::connect_worker_to_spi_by_oid(Some(oid), None);
        let me = unsafe { pg_sys::MyProcPid };
        // A catalog lookup: only inside a transaction.
        let name = BackgroundWorker::transaction(current_database);
        if !self.claim(oid, me) {
            log!("{} for database \"{name}\": another process serves it already", self.name);
            return;
        }
        log!("{} started for database \"{name}\"", self.name);
        loop {
            if BackgroundWorker::sighup_received() {
                unsafe { pg_sys::ProcessConfigFile(pg_sys::GucContext::PGC_SIGHUP) };
                if !guc::databases().contains(&name) {
                    log!("{} for database \"{name}\": no longer in engage.databases", self.name);
                    break;
                }
            }
            if !BackgroundWorker::wait_latch(Some(pass())) {
                break;
            }
        }
        self.release(oid, me);
        log!("{} stopped for database \"{name}\"", self.name);
    }

    /// Takes the worker's place in the database's slot, unless a live process has it.
    fn claim(&self, database: pg_sys::Oid, pid: i32) -> bool {
        let database = database.to_u32();
        let mut slots = SLOTS.exclusive();
        let found = slots.0.iter().position(|s| s.database == database);
        let free = || {
            slots.0.iter().position(|s| s.database == 0 || s.pids.iter().all(|p| !serving(*p, s.database)))
        };
        let Some(at) = found.or_else(free) else {
            warning!("pg_engage serves at most {MAX_DATABASES} databases at once");
            return false;
        };
        let slot = &mut slots.0[at];
        if slot.database == database
            && slot.pids[self.index] != pid
            && serving(slot.pids[self.index], database)
        {
            return false;
        }
        if slot.database != database {
            *slot = Slot { database, pids: [0; 2] };
        }
        slot.pids[self.index] = pid;
        true
    }

    fn release(&self, database: pg_sys::Oid, pid: i32) {
        let mut slots = SLOTS.exclusive();
        if let Some(slot) = slots.0.iter_mut().find(|s| s.database == database.to_u32()) {
            if slot.pids[self.index] == pid {
                slot.pids[self.index] = 0;
            }
        }
    }

    /// The process of this worker for a database, if one is registered (it may have died since:
    /// see `alive`).
    pub fn pid_for(&self, database: pg_sys::Oid) -> i32 {
        if !preloaded() {
            return 0;
        }
        let slots = SLOTS.share();
        slots.0.iter().find(|s| s.database == database.to_u32()).map_or(0, |s| s.pids[self.index])
    }

    fn pid(&self) -> i32 {
        self.pid_for(unsafe { pg_sys::MyDatabaseId })
    }

    /// Whether this worker runs for the database.
    pub fn running_for(&self, database: pg_sys::Oid) -> bool {
        serving(self.pid_for(database), database.to_u32())
    }
}

/// The name of the database this process is connected to (a catalog lookup: call it inside a
/// transaction).
pub fn current_database() -> String {
    // SAFETY: get_database_name returns a palloc'd name or null.
    unsafe {
        let name = pg_sys::get_database_name(pg_sys::MyDatabaseId);
        if name.is_null() {
            String::new()
        } else {
            std::ffi::CStr::from_ptr(name).to_string_lossy().into_owned()
        }
    }
}

/// Set once this process has logged that the database's pg_engage is of another version.
static VERSION_LOGGED: AtomicBool = AtomicBool::new(false);

/// Set once this process has logged that the database is a Citus worker's.
static CITUS_WORKER_LOGGED: AtomicBool = AtomicBool::new(false);

/// Whether pg_engage is installed in this database at the library's own version, so that a worker
/// may run its steps (inside a transaction). After a new library is installed, a database still
/// at an older version waits, with one log line, until `ALTER EXTENSION pg_engage UPDATE`: the
/// new code would call the SQL of its own version. See DESIGN.md, "Upgrades".
///
/// On a Citus worker node the database's pg_engage holds shards, not the engine's state: the
/// workers wait there too, with one log line, and run on the coordinator (DESIGN amendment 45).
pub fn extension_ready() -> bool {
    match installed_version() {
        None => false,
        Some(v) if v == env!("CARGO_PKG_VERSION") => {
            VERSION_LOGGED.store(false, Ordering::Relaxed);
            if citus_worker_node() {
                if !CITUS_WORKER_LOGGED.swap(true, Ordering::Relaxed) {
                    log!(
                        "pg_engage: database \"{}\" is on a Citus worker node; its workers run on the coordinator",
                        current_database()
                    );
                }
                return false;
            }
            CITUS_WORKER_LOGGED.store(false, Ordering::Relaxed);
            true
        }
        Some(v) => {
            if !VERSION_LOGGED.swap(true, Ordering::Relaxed) {
                log!(
                    "pg_engage: database \"{}\" has pg_engage {v} and the library is {}; its workers wait for ALTER EXTENSION pg_engage UPDATE",
                    current_database(),
                    env!("CARGO_PKG_VERSION")
                );
            }
            false
        }
    }
}

/// The version of pg_engage installed in this database, if it is.
fn installed_version() -> Option<String> {
    Spi::get_one::<String>("SELECT extversion FROM pg_extension WHERE extname = 'pg_engage'").ok().flatten()
}

/// Whether this database is on a Citus worker node: Citus is installed in it and the node is in
/// a group of its own (the coordinator's group is 0). Citus's catalog is read only when Citus is
/// there, so that a server without it never names a table it lacks.
fn citus_worker_node() -> bool {
    let citus = Spi::get_one::<bool>("SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus')");
    citus.ok().flatten() == Some(true)
        && Spi::get_one::<bool>("SELECT groupid <> 0 FROM pg_catalog.pg_dist_local_group").ok().flatten()
            == Some(true)
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
    /// The worker's process if it runs for this database. The process ID is in shared memory, so
    /// the answer does not depend on which processes the calling role may see in
    /// `pg_stat_activity`.
    pub fn pid_here(&self) -> Option<i32> {
        let pid = self.pid();
        serving(pid, unsafe { pg_sys::MyDatabaseId }.to_u32()).then_some(pid)
    }

    /// Why the worker does not run for this database (None when it does): pg_engage is of
    /// another version, or this is a Citus worker node, or pg_engage is not preloaded, or this
    /// database is not among those it serves, or it is starting, or its setting `switch` is off.
    pub fn problem_here(&self, label: &str, switch: &str) -> Option<String> {
        if let Some(v) = installed_version().filter(|v| v != env!("CARGO_PKG_VERSION")) {
            return Some(format!(
                "this database has pg_engage {v} and the library is {}: the {label} waits for ALTER EXTENSION \
                 pg_engage UPDATE",
                env!("CARGO_PKG_VERSION")
            ));
        }
        if citus_worker_node() {
            return Some(format!("this is a Citus worker node: the {label} runs on the coordinator"));
        }
        if self.pid_here().is_some() {
            return None;
        }
        if !preloaded() {
            return Some(
                "pg_engage is not in shared_preload_libraries: add it (and engage.databases) to postgresql.conf \
                 and restart the server"
                    .to_string(),
            );
        }
        let served = guc::databases();
        if !served.contains(&current_database()) {
            return Some(format!(
                "this database is not one pg_engage serves (engage.databases: {}); add it and reload",
                served.join(", ")
            ));
        }
        Some(format!("the {label} is starting, or {switch} is off, or max_worker_processes is too low"))
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
