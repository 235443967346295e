//! The workflow worker: a background worker for each database pg_engage serves (started by
//! `launcher`) that processes queued events with `engage.process_events` and resumes ended waits with
//! `engage.run_due_waits`, each batch in its own transaction, then sleeps until the next wait
//! ends. A commit that queues events sets its latch (`engage_internal.wake_workflow_worker`, called by
//! the events trigger), so an event is acted on at once. A batch that dies (the worker is
//! killed, the server crashes) leaves its events queued: nothing of it committed.

use crate::guc;
use crate::worker::{self, Backoff};
use pgrx::bgworkers::BackgroundWorker;
use pgrx::prelude::*;
use std::time::Duration;

/// Longest sleep: waits that end are found at least this often.
const MAX_SLEEP: Duration = Duration::from_secs(60);

#[pg_guard]
#[no_mangle]
pub extern "C-unwind" fn engage_workflows_main(database: pg_sys::Datum) {
    let mut backoff = Backoff::default();
    worker::WORKFLOWS.run(database, move || work(&mut backoff))
}

/// One step in its own transaction: the number the query returns (an SPI failure is raised, so
/// that it counts as a failed step).
fn step(backoff: &mut Backoff, sql: &'static str, batch: i32) -> Result<i32, Duration> {
    backoff.step(&worker::WORKFLOWS, move || {
        Spi::get_one_with_args::<i32>(sql, &[batch.into()]).unwrap_or_else(|e| error!("{e}")).unwrap_or(0)
    })
}

/// Processes events and due waits until none is left, and returns how long to sleep (longer
/// after steps that failed: see `Backoff`).
fn work(backoff: &mut Backoff) -> Duration {
    let ready = backoff.step(&worker::WORKFLOWS, || guc::workflows_enabled() && worker::extension_ready());
    match ready {
        Ok(true) => {}
        Ok(false) => return MAX_SLEEP,
        Err(wait) => return wait,
    }
    let batch = guc::event_batch_size();
    // A full batch means there may be more.
    while !BackgroundWorker::sigterm_received() {
        let events = match step(backoff, "SELECT events FROM engage.process_events($1)", batch) {
            Ok(n) => n,
            Err(wait) => return wait,
        };
        let resumed = match step(backoff, "SELECT resumed FROM engage.run_due_waits(now(), $1)", batch) {
            Ok(n) => n,
            Err(wait) => return wait,
        };
        if events < batch && resumed < batch {
            break;
        }
    }
    backoff.passed();
    let until_next = backoff.step(&worker::WORKFLOWS, || {
        Spi::get_one::<f64>(
            "SELECT extract(epoch FROM min(resume_at) - clock_timestamp())::float8
             FROM engage.workflow_instances WHERE status = 'waiting'",
        )
        .unwrap_or_else(|e| error!("{e}"))
    });
    match until_next {
        Ok(Some(s)) if s > 0.0 => Duration::from_secs_f64(s).min(MAX_SLEEP),
        Ok(Some(_)) => Duration::from_millis(10),
        Ok(None) => MAX_SLEEP,
        Err(wait) => wait,
    }
}

/// Wakes the workflow worker when the current transaction commits (called by the events
/// trigger when it queues events); returns whether the worker runs for this database.
#[pg_extern(volatile, parallel_unsafe, schema = "engage_internal")]
fn wake_workflow_worker() -> bool {
    worker::WORKFLOWS.wake_at_commit()
}

/// Whether the workflow worker runs for this database, and if not, why.
#[pg_extern(stable)]
fn workflow_worker_status() -> TableIterator<
    'static,
    (name!(running, bool), name!(pid, Option<i32>), name!(database, String), name!(problem, Option<String>)),
> {
    let pid = worker::WORKFLOWS.pid_here();
    let problem = worker::WORKFLOWS.problem_here("workflow worker", "engage.workflows_enabled");
    TableIterator::once((pid.is_some(), pid, worker::current_database(), problem))
}

extension_sql!(
    "COMMENT ON FUNCTION engage.workflow_worker_status() IS 'Whether the workflow worker (which runs engage.process_events and engage.run_due_waits) runs for this database: running, its pid and the database; when it does not run, problem says why.';",
    name = "comment_workflow_worker_status",
    requires = [workflow_worker_status]
);
