//! The workflow worker: a background worker (registered when pg_engage is preloaded) that
//! processes queued events with `engage.process_events` and resumes ended waits with
//! `engage.run_due_waits`, each batch in its own transaction, then sleeps until the next wait
//! ends. A commit that queues events sets its latch (`engage.wake_workflow_worker`, called by
//! the events trigger), so an event is acted on at once. A batch that dies (the worker is
//! killed, the server crashes) leaves its events queued: nothing of it committed.

use crate::guc;
use crate::worker;
use pgrx::bgworkers::BackgroundWorker;
use pgrx::prelude::*;
use std::time::Duration;

/// Longest sleep: waits that end are found at least this often.
const MAX_SLEEP: Duration = Duration::from_secs(60);

#[pg_guard]
#[no_mangle]
pub extern "C-unwind" fn engage_workflows_main(_arg: pg_sys::Datum) {
    worker::WORKFLOWS.run(work)
}

/// Processes events and due waits until none is left, and returns how long to sleep.
fn work() -> Duration {
    let ready = BackgroundWorker::transaction(|| {
        guc::workflows_enabled()
            && Spi::get_one::<bool>("SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_engage')")
                == Ok(Some(true))
    });
    if !ready {
        return MAX_SLEEP;
    }
    let batch = guc::event_batch_size();
    // Each step in its own transaction; a full batch means there may be more.
    let step = |sql: &str| -> i32 {
        BackgroundWorker::transaction(|| Spi::get_one_with_args::<i32>(sql, &[batch.into()]))
            .unwrap_or_else(|e| {
                warning!("pg_engage workflow worker: {e}");
                None
            })
            .unwrap_or(0)
    };
    while !BackgroundWorker::sigterm_received() {
        let events = step("SELECT events FROM engage.process_events($1)");
        let resumed = step("SELECT resumed FROM engage.run_due_waits(now(), $1)");
        if events < batch && resumed < batch {
            break;
        }
    }
    let until_next = BackgroundWorker::transaction(|| {
        Spi::get_one::<f64>(
            "SELECT extract(epoch FROM min(resume_at) - clock_timestamp())::float8
             FROM engage.workflow_instances WHERE status = 'waiting'",
        )
    });
    match until_next {
        Ok(Some(s)) if s > 0.0 => Duration::from_secs_f64(s).min(MAX_SLEEP),
        Ok(Some(_)) => Duration::from_millis(10),
        _ => MAX_SLEEP,
    }
}

/// Wakes the workflow worker when the current transaction commits (called by the events
/// trigger when it queues events); returns whether the worker runs for this database.
#[pg_extern(volatile, parallel_unsafe)]
fn wake_workflow_worker() -> bool {
    worker::WORKFLOWS.wake_at_commit()
}

/// Whether the workflow worker runs for this database.
#[pg_extern(stable)]
fn workflow_worker_status() -> TableIterator<'static, (name!(running, bool), name!(pid, Option<i32>))> {
    let pid = worker::WORKFLOWS.pid_here();
    TableIterator::once((pid.is_some(), pid))
}
