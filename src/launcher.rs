//! The launcher: the one background worker registered when pg_engage is preloaded. It is
//! connected to no database; every few seconds (and at once on a reload) it looks up the
//! databases named in `engage.databases` and, for each that exists, keeps a scheduler and a
//! workflow worker running (dynamic background workers, `worker::Worker::run`). A database that
//! appears (created, or added to the setting) gets its workers at the next look; one that is
//! dropped (`DROP DATABASE … WITH (FORCE)` ends its workers) or removed from the setting (its
//! workers leave on the reload) gets none again. A worker that stops is started again at the
//! next look. pg_cron serves other databases through `cron.schedule_in_database` instead: its one
//! worker opens connections to them.

use crate::guc;
use crate::worker::{Worker, DATABASE_WORKERS, MAX_DATABASES};
use pgrx::bgworkers::{
    BackgroundWorker, BackgroundWorkerBuilder, BackgroundWorkerStatus, BgWorkerStartTime,
    DynamicBackgroundWorker, SignalWakeFlags,
};
use pgrx::prelude::*;
use std::collections::HashMap;
use std::ffi::CStr;
use std::time::Duration;

const NAME: &str = "pg_engage launcher";

/// How often the launcher looks at the databases (a reload or a worker's exit wakes it sooner).
const LOOK_EVERY: Duration = Duration::from_secs(5);

/// Registers the launcher (only possible while shared_preload_libraries are loaded): started
/// after recovery, started again 5 seconds after it exits.
pub fn register() {
    if !crate::worker::preloaded() {
        return;
    }
    BackgroundWorkerBuilder::new(NAME)
        .set_type(NAME)
        .set_library("pg_engage")
        .set_function("engage_launcher_main")
        .enable_spi_access()
        .set_start_time(BgWorkerStartTime::RecoveryFinished)
        .set_restart_time(Some(Duration::from_secs(5)))
        .load();
}

#[pg_guard]
#[no_mangle]
pub extern "C-unwind" fn engage_launcher_main(_arg: pg_sys::Datum) {
    BackgroundWorker::attach_signal_handlers(SignalWakeFlags::SIGHUP | SignalWakeFlags::SIGTERM);
    BackgroundWorker::connect_worker_to_spi(None, None);
    log!("{NAME} started");
    // The workers this launcher started, by database and worker.
    let mut started: HashMap<(u32, usize), DynamicBackgroundWorker> = HashMap::new();
    loop {
        if BackgroundWorker::sighup_received() {
            unsafe { pg_sys::ProcessConfigFile(pg_sys::GucContext::PGC_SIGHUP) };
        }
        let wanted = existing_databases(&guc::databases());
        // Workers of databases no longer wanted: ended (they also leave by themselves on a reload).
        let gone: Vec<(u32, usize)> =
            started.keys().filter(|(db, _)| !wanted.contains(db)).copied().collect();
        for key in gone {
            if let Some(handle) = started.remove(&key) {
                handle.terminate();
            }
        }
        for &database in &wanted {
            for (index, worker) in DATABASE_WORKERS.iter().enumerate() {
                let stopped = started.get(&(database, index)).is_none_or(|h| {
                    matches!(
                        h.pid(),
                        Err(BackgroundWorkerStatus::Stopped | BackgroundWorkerStatus::PostmasterDied)
                    )
                });
                if stopped && !worker.running_for(pg_sys::Oid::from(database)) {
                    started.remove(&(database, index));
                    if let Some(handle) = start(worker, database) {
                        started.insert((database, index), handle);
                    }
                }
            }
        }
        if !BackgroundWorker::wait_latch(Some(LOOK_EVERY)) {
            break;
        }
    }
    log!("{NAME} stopped");
}

/// The OIDs of the named databases that exist, in the order named (at most MAX_DATABASES; the rest
/// are logged). pg_database is read with a heap scan, as the autovacuum launcher reads it: a
/// process connected to no database cannot use its index (its relcache entry needs pg_class).
fn existing_databases(names: &[String]) -> Vec<u32> {
    if names.len() > MAX_DATABASES {
        warning!(
            "{NAME}: engage.databases names {} databases; only the first {MAX_DATABASES} are served",
            names.len()
        );
    }
    let names: Vec<String> = names.iter().take(MAX_DATABASES).cloned().collect();
    BackgroundWorker::transaction(move || {
        let mut found: Vec<(usize, u32)> = Vec::new();
        // SAFETY: pg_database is opened, scanned and closed in this transaction; each tuple is a
        // pg_database row, read while the scan holds it.
        unsafe {
            let lock = pg_sys::AccessShareLock as pg_sys::LOCKMODE;
            let relation = pg_sys::table_open(pg_sys::DatabaseRelationId, lock);
            let scan = pg_sys::table_beginscan_catalog(relation, 0, std::ptr::null_mut());
            loop {
                let tuple = pg_sys::heap_getnext(scan, pg_sys::ScanDirection::ForwardScanDirection);
                if tuple.is_null() {
                    break;
                }
                let row = pg_sys::heap_tuple_get_struct::<pg_sys::FormData_pg_database>(tuple);
                // One that takes no connections, or left invalid by an interrupted DROP
                // DATABASE (connection limit -2), is skipped, as autovacuum skips it.
                if !(*row).datallowconn || (*row).datconnlimit == -2 {
                    continue;
                }
                let name = CStr::from_ptr((*row).datname.data.as_ptr()).to_string_lossy();
                if let Some(at) = names.iter().position(|n| *n == name) {
                    found.push((at, (*row).oid.to_u32()));
                }
            }
            pg_sys::table_endscan(scan);
            pg_sys::table_close(relation, lock);
        }
        found.sort_unstable();
        found.into_iter().map(|(_, oid)| oid).collect()
    })
}

/// Starts a worker for a database; None (with a warning) when no background worker slot is free.
fn start(worker: &Worker, database: u32) -> Option<DynamicBackgroundWorker> {
    let started = BackgroundWorkerBuilder::new(worker.name)
        .set_type(worker.name)
        .set_library("pg_engage")
        .set_function(worker.function)
        .set_argument(Some(pg_sys::Datum::from(database)))
        .enable_spi_access()
        .set_start_time(BgWorkerStartTime::RecoveryFinished)
        .set_restart_time(None)
        .set_notify_pid(unsafe { pg_sys::MyProcPid })
        .load_dynamic();
    match started {
        Ok(handle) => Some(handle),
        Err(_) => {
            warning!(
                "{NAME}: no background worker slot for the {} of database {database}; raise max_worker_processes",
                worker.name
            );
            None
        }
    }
}
