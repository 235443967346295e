//! The scheduler: a background worker for each database pg_engage serves (started by
//! `launcher`) that sleeps until the next job is due, claims the due runs with
//! `engage_internal.claim_due_runs`, and starts each in its own dynamic background worker, which runs
//! `engage_internal.execute_run`, so a slow job never holds up another. Writes to the jobs table wake it
//! when they commit, so a new or changed schedule counts at once.

use crate::guc;
use crate::worker::{self, Backoff};
use pgrx::bgworkers::{BackgroundWorker, BackgroundWorkerBuilder, BgWorkerStartTime, SignalWakeFlags};
use pgrx::prelude::*;
use std::time::Duration;

const JOB_RUN: &str = "pg_engage job run";

/// Longest sleep: a safety net, since commits to the jobs table wake the launcher anyway.
const MAX_SLEEP: Duration = Duration::from_secs(300);
/// Sleep while the extension is missing from the database or the scheduler is switched off.
const IDLE_SLEEP: Duration = Duration::from_secs(60);

/// What one pass of the launcher found: runs to start, how long to sleep afterwards, and
/// whether the runs a previous launcher left behind have been dealt with.
struct Pass {
    runs: Vec<i64>,
    sleep: Duration,
    started: bool,
}

#[pg_guard]
#[no_mangle]
pub extern "C-unwind" fn engage_scheduler_main(database: pg_sys::Datum) {
    let mut started = false;
    let mut backoff = Backoff::default();
    worker::SCHEDULER.run(database, || {
        let pass = match backoff.step(&worker::SCHEDULER, move || launcher_pass(started)) {
            Ok(pass) => pass,
            Err(wait) => return wait,
        };
        backoff.passed();
        started = pass.started;
        for run in pass.runs {
            start_run(run);
        }
        pass.sleep
    })
}

/// One pass in one transaction: runs left behind by a previous launcher are marked interrupted
/// (once), due runs are claimed, and the sleep lasts until the next run is due.
fn launcher_pass(started: bool) -> Pass {
    let idle = Pass { runs: Vec::new(), sleep: IDLE_SLEEP, started };
    if !guc::scheduler_enabled() {
        return idle;
    }
    if !worker::extension_ready() {
        return idle;
    }
    if !started {
        if let Ok(Some(n)) = Spi::get_one::<i32>("SELECT engage_internal.mark_interrupted_runs()") {
            if n > 0 {
                log!("pg_engage scheduler: {n} job runs were interrupted by the last shutdown");
            }
        }
    }
    let runs = Spi::get_one::<Vec<i64>>(
        "SELECT array_agg(run) FROM engage_internal.claim_due_runs(now(), NULL, true) AS c(run)",
    )
    .ok()
    .flatten()
    .unwrap_or_default();
    let until_next = Spi::get_one::<f64>(
        "SELECT extract(epoch FROM min(next_run_at) - clock_timestamp())::float8
         FROM engage.scheduled_jobs WHERE enabled",
    )
    .ok()
    .flatten();
    let sleep = match until_next {
        Some(s) if s > 0.0 => Duration::from_secs_f64(s).min(MAX_SLEEP),
        Some(_) => Duration::from_millis(10),
        None => MAX_SLEEP,
    };
    Pass { runs, sleep, started: true }
}

/// Starts a run in its own dynamic worker; when none can start, the run is marked interrupted.
fn start_run(run: i64) {
    let started = BackgroundWorkerBuilder::new(&format!("{JOB_RUN} {run}"))
        .set_type(JOB_RUN)
        .set_library("pg_engage")
        .set_function("engage_job_run_main")
        .set_argument(Some(pg_sys::Datum::from(run)))
        // The run's database, by OID.
        .set_extra(&unsafe { pg_sys::MyDatabaseId }.to_u32().to_string())
        .enable_spi_access()
        .set_start_time(BgWorkerStartTime::RecoveryFinished)
        .set_restart_time(None)
        .set_notify_pid(unsafe { pg_sys::MyProcPid })
        .load_dynamic();
    if started.is_err() {
        warning!(
            "pg_engage scheduler: no background worker slot for job run {run}; raise max_worker_processes"
        );
        BackgroundWorker::transaction(|| {
            Spi::run_with_args(
                "UPDATE engage.job_runs SET status = 'interrupted', finished_at = clock_timestamp(),
                     error = 'no background worker could be started for the run (max_worker_processes)'
                 WHERE run_id = $1 AND status = 'running'",
                &[run.into()],
            )
        })
        .unwrap_or_else(|e| warning!("pg_engage scheduler: {e}"));
    }
}

#[pg_guard]
#[no_mangle]
pub extern "C-unwind" fn engage_job_run_main(arg: pg_sys::Datum) {
    // SIGTERM cancels the command as it cancels a backend's query (a shutdown, DROP DATABASE
    // WITH (FORCE), pg_terminate_backend); the run is then marked interrupted.
    unsafe { pg_sys::pqsignal(pg_sys::SIGTERM as i32, Some(terminate_run)) };
    BackgroundWorker::attach_signal_handlers(SignalWakeFlags::empty());
    let database = BackgroundWorker::get_extra().parse::<u32>().unwrap_or_default();
    BackgroundWorker::connect_worker_to_spi_by_oid(Some(pg_sys::Oid::from(database)), None);
    let run = arg.value() as i64;
    // The process is recorded first, in its own transaction, so that a launcher that restarts
    // meanwhile sees the run is alive.
    let claimed = BackgroundWorker::transaction(|| {
        Spi::run_with_args(
            "UPDATE engage.job_runs SET pid = pg_backend_pid() WHERE run_id = $1",
            &[run.into()],
        )
    });
    if let Err(e) = claimed {
        warning!("pg_engage job run {run}: {e}");
        return;
    }
    // A run still running after execute_run succeeded is one its worker delivers (a list sync's
    // planning): the delivery happens here, outside that transaction.
    let outcome = worker::step(|| {
        Spi::get_one_with_args::<bool>(
            "SELECT status = 'running' FROM engage_internal.execute_run($1)",
            &[run.into()],
        )
    });
    let failure = match outcome {
        Ok(still_running) => {
            if still_running == Some(true) {
                crate::list_sync_delivery::deliver(run);
            }
            return;
        }
        Err(failure) => failure,
    };
    // The run's transaction failed as a whole (execute_run records what it can catch): record
    // the failure in a new one, so that it counts towards the job's max_failures.
    warning!("pg_engage job run {run}: {failure}");
    let recorded = worker::step(move || {
        Spi::run_with_args(
            "SELECT engage_internal.fail_run($1, $2, $3, $4)",
            &[run.into(), failure.message.into(), failure.detail.into(), failure.sqlstate.into()],
        )
    });
    if recorded.is_err() {
        warning!("pg_engage job run {run}: its failure could not be recorded");
    }
}

/// What PostgreSQL's `die` does: the next interrupt check ends the process with FATAL.
unsafe extern "C-unwind" fn terminate_run(_signal: i32) {
    (&raw mut pg_sys::InterruptPending).write_volatile(1);
    (&raw mut pg_sys::ProcDiePending).write_volatile(1);
    pg_sys::SetLatch(pg_sys::MyLatch);
}

/// Wakes the launcher when the current transaction commits (called by the jobs table's
/// trigger), so that it reads the changed schedules; nothing happens when it is not running.
/// The scheduler's own writes (claiming runs, recording them) need no wake-up.
#[pg_extern(volatile, parallel_unsafe, schema = "engage_internal")]
fn wake_scheduler() -> bool {
    worker::SCHEDULER.wake_at_commit()
}

/// Whether this process is a background worker (the scheduler claims runs for its workers; a
/// session may not, since such runs would wait for a worker that never comes).
#[pg_extern(stable, parallel_safe, schema = "engage_internal")]
fn in_background_worker() -> bool {
    !unsafe { pg_sys::MyBgworkerEntry }.is_null()
}

/// Whether the scheduler runs for this database, and if not, why.
#[pg_extern(stable)]
fn scheduler_status() -> TableIterator<
    'static,
    (name!(running, bool), name!(pid, Option<i32>), name!(database, String), name!(problem, Option<String>)),
> {
    let pid = worker::SCHEDULER.pid_here();
    let problem = worker::SCHEDULER.problem_here("scheduler", "engage.scheduler_enabled");
    TableIterator::once((pid.is_some(), pid, worker::current_database(), problem))
}
extension_sql!(
    "COMMENT ON FUNCTION engage.scheduler_status() IS 'Whether the scheduler''s background worker runs for this database: running, its pid, the database, and if not, the problem (pg_engage of another version, a Citus worker node, pg_engage not preloaded, this database not served, or the worker starting, switched off or short of a slot).';",
    name = "comment_scheduler_status",
    requires = [scheduler_status]
);
