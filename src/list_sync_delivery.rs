//! Delivering a planned list-sync run, in the run's background worker (see `sql/list_syncs.sql`).
//! Each batch is read in a short transaction, posted with no transaction open, and its answer
//! recorded per row in another, so a slow or failing list API holds no snapshot, lock or
//! connection slot of the database. The request runs on a thread of its own while this one waits
//! on its latch (2 ms at a time, so an answer is taken up at once) and checks for interrupts, so a
//! cancel, SIGTERM or shutdown acts within milliseconds even when the API does not answer.

use crate::guc::{self, ListSyncSettings};
use crate::worker::{step, Failure};
use engage_listsync::{answer, subscribe_body, unsubscribe_body, Action, Answer, Outcome};
use pgrx::prelude::*;
use std::sync::mpsc::{self, TryRecvError};
use std::time::{Duration, Instant};

/// The largest answer read (one answer lists at most 1,000 users per failure kind).
const MAX_ANSWER: u64 = 8 << 20;
/// The longest wait between two tries of a batch, whatever Retry-After asks.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);

/// One batch to send: where, with which key, and its rows' keys and subscribers in order.
struct Batch {
    action: Action,
    url: String,
    api_key: String,
    list_id: i64,
    campaign_id: Option<i64>,
    channel_unsubscribe: bool,
    keys: Vec<String>,
    subscribers: Vec<String>,
}

impl Batch {
    fn body(&self) -> String {
        match self.action {
            Action::Add => subscribe_body(self.list_id, &self.subscribers),
            Action::Remove => {
                unsubscribe_body(self.list_id, &self.subscribers, self.campaign_id, self.channel_unsubscribe)
            }
        }
    }

    /// The message with the API key taken out, should a server have echoed it.
    fn redact(&self, message: String) -> String {
        if self.api_key.len() >= 4 && message.contains(&self.api_key) {
            message.replace(&self.api_key, "[api key]")
        } else {
            message
        }
    }
}

/// Sends every pending batch of `run`, records each answer, and finishes the run: succeeded, or
/// failed with the API's message (a 4xx) or the last transient error once the retries are used
/// up. Rows not answered stay pending and go with the next run.
pub fn deliver(run: i64) {
    let settings = guc::list_sync_settings();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(settings.timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .user_agent("pg_engage")
        .build()
        .new_agent();
    // The last row of the batch before: the next batch starts after it.
    let mut after = (String::new(), String::new());
    loop {
        let from = after.clone();
        let batch = match step(move || next_batch(run, from)) {
            Ok(Some(batch)) if batch.api_key.is_empty() => {
                let message = "the list sync has no API key".to_string();
                let detail = "set one with engage.alter_list_sync(name, api_key => …)".to_string();
                return finish(run, Some(Failure { message, detail, sqlstate: "22023".into() }));
            }
            Ok(Some(batch)) => batch,
            Ok(None) => break,
            Err(failure) => return finish(run, Some(failure)),
        };
        let (outcome, retries) = send(&agent, &batch, &settings);
        let operation = match batch.action {
            Action::Add => "subscribe",
            Action::Remove => "unsubscribe",
        };
        after = (operation.to_string(), batch.keys.last().cloned().unwrap_or_default());
        let recorded = match outcome {
            Ok(outcomes) => record(run, batch.keys, outcomes, retries),
            Err(failure) => {
                let _ = step(move || {
                    Spi::run_with_args(
                        "SELECT engage_internal.count_list_sync_retries($1, $2)",
                        &[run.into(), retries.into()],
                    )
                });
                Err(failure)
            }
        };
        if let Err(failure) = recorded {
            return finish(run, Some(failure));
        }
    }
    finish(run, None)
}

/// Posts the batch until it gets an answer to record, a refusal, or the retries are used up.
/// Returns that and how many times the batch was sent again.
fn send(
    agent: &ureq::Agent,
    batch: &Batch,
    settings: &ListSyncSettings,
) -> (Result<Vec<Outcome>, Failure>, i32) {
    let body = batch.body();
    let mut retries = 0u32;
    loop {
        let (answer, retry_after) = match post(agent, &batch.url, &batch.api_key, &body, settings.timeout) {
            Ok(reply) => {
                (answer(batch.action, reply.status, &reply.body, &batch.subscribers), reply.retry_after)
            }
            Err(transport) => {
                (Answer::Retry(format!("the list API could not be reached: {transport}")), None)
            }
        };
        let failure = |message: String, sqlstate: &str| Failure {
            message: batch.redact(message),
            detail: format!("{} subscribers to {}", batch.subscribers.len(), batch.url),
            sqlstate: sqlstate.to_string(),
        };
        match answer {
            Answer::Rows(outcomes) => return (Ok(outcomes), retries as i32),
            Answer::Fail { status, message } => {
                let sqlstate = if matches!(status, 401 | 403) { "28000" } else { "22023" };
                return (Err(failure(message, sqlstate)), retries as i32);
            }
            Answer::Retry(message) if retries >= settings.max_retries => {
                let message = format!("{message} (after {retries} retries)");
                return (Err(failure(message, "08006")), retries as i32);
            }
            Answer::Retry(_) => {
                let backoff = settings.retry_delay.saturating_mul(1 << retries.min(16));
                wait(backoff.max(retry_after.unwrap_or_default()).min(MAX_RETRY_WAIT));
                retries += 1;
            }
        }
    }
}

struct Reply {
    status: u16,
    body: String,
    retry_after: Option<Duration>,
}

/// One POST of `body` with the `Api-Key` header, on its own thread, waited for here with
/// interrupt checks; gives up a second after the client's own timeout should have ended it.
fn post(
    agent: &ureq::Agent,
    url: &str,
    api_key: &str,
    body: &str,
    timeout: Duration,
) -> Result<Reply, String> {
    let (sender, receiver) = mpsc::channel();
    let (agent, url, api_key, body) = (agent.clone(), url.to_string(), api_key.to_string(), body.to_string());
    std::thread::spawn(move || {
        let result = (|| -> Result<Reply, ureq::Error> {
            let mut response =
                agent.post(&url).header("Api-Key", &api_key).content_type("application/json").send(&body)?;
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let status = response.status().as_u16();
            let body = response.body_mut().with_config().limit(MAX_ANSWER).read_to_string()?;
            Ok(Reply { status, body, retry_after })
        })();
        let _ = sender.send(result.map_err(|e| e.to_string()));
    });
    let deadline = Instant::now() + timeout + Duration::from_secs(1);
    loop {
        match receiver.try_recv() {
            Ok(result) => return result,
            Err(TryRecvError::Disconnected) => return Err("the request ended without an answer".to_string()),
            Err(TryRecvError::Empty) if Instant::now() > deadline => {
                return Err(format!("no answer within {} ms", timeout.as_millis()))
            }
            Err(TryRecvError::Empty) => wait(Duration::from_millis(2)),
        }
    }
}

/// Sleeps on the latch for `time`, checking for interrupts at least every 100 ms.
fn wait(time: Duration) {
    let until = Instant::now() + time;
    loop {
        pgrx::check_for_interrupts!();
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        let ms = left.min(Duration::from_millis(100)).as_millis().max(1) as std::ffi::c_long;
        // SAFETY: waiting on this process's own latch, as every PostgreSQL process does.
        unsafe {
            pg_sys::WaitLatch(
                pg_sys::MyLatch,
                (pg_sys::WL_LATCH_SET | pg_sys::WL_TIMEOUT | pg_sys::WL_EXIT_ON_PM_DEATH) as i32,
                ms,
                pg_sys::PG_WAIT_EXTENSION,
            );
            pg_sys::ResetLatch(pg_sys::MyLatch);
        }
    }
}

/// The run's next batch after the row `after` (operation, key), or None when nothing is pending
/// (engage_internal.list_sync_next_batch).
fn next_batch(run: i64, after: (String, String)) -> Result<Option<Batch>, pgrx::spi::Error> {
    Spi::connect(|client| {
        let table = client.select(
            "SELECT action, url, api_key, list_id, campaign_id, channel_unsubscribe, keys, subscribers
             FROM engage_internal.list_sync_next_batch($1, $2, $3)",
            Some(1),
            &[run.into(), after.0.into(), after.1.into()],
        )?;
        let Some(row) = table.into_iter().next() else {
            return Ok(None);
        };
        Ok(Some(Batch {
            action: if row.get::<String>(1)?.as_deref() == Some("remove") {
                Action::Remove
            } else {
                Action::Add
            },
            url: row.get::<String>(2)?.unwrap_or_default(),
            api_key: row.get::<String>(3)?.unwrap_or_default(),
            list_id: row.get::<i64>(4)?.unwrap_or_default(),
            campaign_id: row.get::<i64>(5)?,
            channel_unsubscribe: row.get::<bool>(6)?.unwrap_or(false),
            keys: row.get::<Vec<String>>(7)?.unwrap_or_default(),
            subscribers: row.get::<Vec<String>>(8)?.unwrap_or_default(),
        }))
    })
}

/// Records each row's outcome and the run's counts.
fn record(run: i64, keys: Vec<String>, outcomes: Vec<Outcome>, retries: i32) -> Result<(), Failure> {
    let states: Vec<&'static str> = outcomes.iter().map(|o| o.state.as_str()).collect();
    let reasons: Vec<Option<String>> = outcomes.into_iter().map(|o| o.reason).collect();
    step(move || {
        Spi::run_with_args(
            "SELECT engage_internal.record_list_sync_batch($1, $2, $3, $4, $5)",
            &[run.into(), keys.into(), states.into(), reasons.into(), retries.into()],
        )
    })
}

/// Ends the run (engage_internal.finish_list_sync_run), failed when `failure` is given.
fn finish(run: i64, failure: Option<Failure>) {
    if let Some(f) = &failure {
        warning!("pg_engage list sync run {run}: {}", f.message);
    }
    let (message, detail, sqlstate) = match failure {
        Some(f) => (Some(f.message), f.detail, f.sqlstate),
        None => (None, String::new(), String::new()),
    };
    let finished = step(move || {
        Spi::run_with_args(
            "SELECT engage_internal.finish_list_sync_run($1, $2, $3, $4)",
            &[run.into(), message.into(), detail.into(), sqlstate.into()],
        )
    });
    if let Err(e) = finished {
        warning!("pg_engage list sync run {run}: its end could not be recorded: {e}");
    }
}
