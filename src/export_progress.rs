//! Progress of running exports, in shared memory. An export run is one transaction, so nothing
//! it writes to a table is visible until it ends; a few slots in shared memory (set up when
//! pg_engage is preloaded) let `engage.export_progress` show the dataset each run is at and its
//! rows done while it works. A slot belongs to a backend until its transaction ends.

use crate::error::required;
use crate::worker::preloaded;
use pgrx::prelude::*;
use pgrx::{pg_shmem_init, PGRXSharedMemory, PgLwLock};
use std::cell::Cell;

/// How many exports can show progress at once; more run fine, unseen.
const SLOTS: usize = 16;
/// Room for a dataset's name (the longest, `contactActivities`, has 17 bytes).
const NAME_BYTES: usize = 32;

#[derive(Clone, Copy, Default)]
struct Slot {
    /// 0: free.
    pid: i32,
    export_id: i64,
    dataset: [u8; NAME_BYTES],
    dataset_len: u8,
    rows_done: i64,
    /// -1: unknown.
    rows_estimate: i64,
    started_at: i64,
}

#[derive(Clone, Copy, Default)]
struct Board {
    slots: [Slot; SLOTS],
}

// SAFETY: plain data, no pointers.
unsafe impl PGRXSharedMemory for Board {}

// SAFETY: the name is unique to pg_engage.
static BOARD: PgLwLock<Board> = unsafe { PgLwLock::new(c"pg_engage export progress") };

thread_local! {
    /// Whether this transaction has registered the callbacks that free its slot.
    static CLEANUP_REGISTERED: Cell<bool> = const { Cell::new(false) };
}

pub fn init() {
    pg_shmem_init!(BOARD);
}

fn my_pid() -> i32 {
    unsafe { pg_sys::MyProcPid }
}

fn free_my_slot() {
    let pid = my_pid();
    let mut board = BOARD.exclusive();
    for slot in board.slots.iter_mut().filter(|s| s.pid == pid) {
        *slot = Slot::default();
    }
}

/// Frees this backend's slot when the transaction ends, however it ends.
fn register_cleanup() {
    if CLEANUP_REGISTERED.get() {
        return;
    }
    CLEANUP_REGISTERED.set(true);
    for event in [pgrx::PgXactCallbackEvent::Commit, pgrx::PgXactCallbackEvent::Abort] {
        pgrx::register_xact_callback(event, || {
            CLEANUP_REGISTERED.set(false);
            free_my_slot();
        });
    }
}

/// Starts reporting a dataset of an export: rows done 0 of `rows_estimate` (NULL: unknown).
#[pg_extern(volatile, parallel_unsafe, schema = "engage_internal")]
fn export_progress_start(export_id: Option<i64>, dataset: Option<&str>, rows_estimate: Option<i64>) {
    let (export_id, dataset) = (required(export_id, "export_id"), required(dataset, "dataset"));
    if !preloaded() {
        return;
    }
    register_cleanup();
    let pid = my_pid();
    let name = &dataset.as_bytes()[..dataset.len().min(NAME_BYTES)];
    let mut board = BOARD.exclusive();
    let free =
        board.slots.iter().position(|s| s.pid == pid).or_else(|| board.slots.iter().position(|s| s.pid == 0));
    if let Some(i) = free {
        let mut slot = Slot {
            pid,
            export_id,
            dataset_len: name.len() as u8,
            rows_estimate: rows_estimate.unwrap_or(-1),
            started_at: unsafe { pg_sys::GetCurrentTimestamp() },
            ..Slot::default()
        };
        slot.dataset[..name.len()].copy_from_slice(name);
        board.slots[i] = slot;
    }
}

/// Adds `rows` to the rows done of this backend's export.
#[pg_extern(volatile, parallel_unsafe, schema = "engage_internal")]
fn export_progress_add(rows: Option<i64>) {
    let rows = required(rows, "rows");
    if !preloaded() {
        return;
    }
    let pid = my_pid();
    let mut board = BOARD.exclusive();
    if let Some(slot) = board.slots.iter_mut().find(|s| s.pid == pid) {
        slot.rows_done = slot.rows_done.saturating_add(rows);
    }
}

/// The exports running now, as the view `engage.export_progress` shows them.
#[pg_extern(volatile, parallel_unsafe, schema = "engage_internal")]
fn export_progress_slots() -> TableIterator<
    'static,
    (
        name!(pid, i32),
        name!(export_id, i64),
        name!(dataset, String),
        name!(rows_done, i64),
        name!(rows_estimate, Option<i64>),
        name!(dataset_started_at, TimestampWithTimeZone),
    ),
> {
    let slots: Vec<Slot> = if preloaded() {
        BOARD.share().slots.iter().filter(|s| s.pid != 0).copied().collect()
    } else {
        Vec::new()
    };
    TableIterator::new(slots.into_iter().map(|s| {
        let dataset = String::from_utf8_lossy(&s.dataset[..s.dataset_len as usize]).into_owned();
        let started = TimestampWithTimeZone::try_from(s.started_at)
            .unwrap_or_else(|_| TimestampWithTimeZone::negative_infinity());
        (s.pid, s.export_id, dataset, s.rows_done, (s.rows_estimate >= 0).then_some(s.rows_estimate), started)
    }))
}
