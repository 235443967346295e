//! A local HTTP server that behaves like Iterable's list API, for integration tests and
//! benchmarks. It listens on 127.0.0.1 only, serves each connection on its own thread, and keeps
//! everything in memory.
//!
//! List API (the `Api-Key` header must equal the key the server was started with):
//! - `POST /api/lists/subscribe`, `POST /api/lists/unsubscribe`: answer a
//!   `UserBulkUpdateListResponse`, 400 `InvalidJsonBody` for a bad body, 401 `BadApiKey`.
//!   Members are keyed by lowercased email, else userId; `updateExistingUsersOnly`,
//!   `preferUserId`, `mergeNestedObjects`, `campaignId` and `channelUnsubscribe` are accepted and
//!   ignored.
//!
//! Control API (no key needed):
//! - `POST /control/reject`: replaces the rejection rules (`{"forgottenEmails": [...], ...}`).
//! - `POST /control/responses`: queues one-shot behaviours for the next list requests
//!   (`[{"status": 429}, {"delay_ms": 300}, {"drop": true}, ...]`).
//! - `GET /control/requests`: every list request so far, in arrival order (kept until a reset).
//! - `GET /control/lists/<listId>`: a list's members, sorted by key.
//! - `POST /control/reset`: forgets requests, lists, rules and queued behaviours.

mod control;
mod http;
mod lists;

use std::collections::VecDeque;
use std::io::{self, BufReader};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::Duration;

use serde_json::Value;

use control::{Canned, Logged};
use http::{ReadError, Request};
use lists::{Lists, Op};

/// A bound server; `run` serves it. Binding first lets the caller learn the port (`--port 0`)
/// before serving starts.
pub struct Server {
    listener: TcpListener,
    shared: Arc<Shared>,
}

struct Shared {
    api_key: String,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    lists: Lists,
    queue: VecDeque<Canned>,
    log: Vec<Logged>,
    next_seq: u64,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        // The state stays consistent between statements, so a thread that panicked holding the
        // lock leaves nothing half-done worth refusing service over.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Server {
    /// Binds 127.0.0.1:`port` (0 picks a free port).
    pub fn bind(port: u16, api_key: &str) -> io::Result<Server> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let state = Mutex::new(State::default());
        Ok(Server { listener, shared: Arc::new(Shared { api_key: api_key.to_string(), state }) })
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves forever, a thread per connection.
    pub fn run(self) {
        for stream in self.listener.incoming() {
            let Ok(stream) = stream else {
                // Out of file descriptors, say: wait for connections to close instead of spinning.
                thread::sleep(Duration::from_millis(10));
                continue;
            };
            let shared = Arc::clone(&self.shared);
            // If no thread can be had, the connection is dropped and the client sees it closed.
            let _ = thread::Builder::new().name("list_api conn".into()).spawn(move || serve(&shared, stream));
        }
    }
}

/// What a handler decided.
enum Reply {
    Json(u16, Value),
    /// Close the connection without answering.
    Drop,
}

fn serve(shared: &Shared, stream: TcpStream) {
    // Each response is one write; without this, Nagle's algorithm can hold it back waiting for
    // the client's delayed ACK.
    let _ = stream.set_nodelay(true);
    let mut reader = BufReader::new(stream);
    loop {
        let request = match http::read_request(&mut reader) {
            Ok(request) => request,
            Err(ReadError::Closed) => return,
            Err(ReadError::Reject(status, msg)) => {
                let body = control::message(&msg, control::default_code(status));
                if http::write_response(reader.get_ref(), status, body.to_string().as_bytes(), true).is_ok() {
                    http::linger_close(&mut reader);
                }
                return;
            }
        };
        let close = !request.keep_alive;
        match route(shared, request) {
            Reply::Json(status, body) => {
                let sent = http::write_response(reader.get_ref(), status, body.to_string().as_bytes(), close);
                if sent.is_err() || close {
                    return;
                }
            }
            Reply::Drop => {
                let _ = reader.get_ref().shutdown(Shutdown::Both);
                return;
            }
        }
    }
}

fn route(shared: &Shared, request: Request) -> Reply {
    let not_found = || Reply::Json(404, control::message("not found", "NotFound"));
    match (request.method.as_str(), request.path.as_str()) {
        ("POST", "/api/lists/subscribe") => list_endpoint(shared, Op::Subscribe, request),
        ("POST", "/api/lists/unsubscribe") => list_endpoint(shared, Op::Unsubscribe, request),
        ("POST", "/control/reject") => control_post(&request, |body| shared.state().lists.set_rules(body)),
        ("POST", "/control/responses") => control_post(&request, |body| {
            let canned = control::parse_canned(body)?;
            shared.state().queue.extend(canned);
            Ok(())
        }),
        ("POST", "/control/reset") => {
            let mut state = shared.state();
            // Sequence numbers continue, so a request in flight across the reset cannot mark
            // the status of a later one.
            *state = State { next_seq: state.next_seq, ..State::default() };
            Reply::Json(200, ok())
        }
        ("GET", "/control/requests") => {
            let log = shared.state().log.iter().map(Logged::to_json).collect();
            Reply::Json(200, Value::Array(log))
        }
        ("GET", path) => match path.strip_prefix("/control/lists/").and_then(|id| id.parse().ok()) {
            Some(list_id) => Reply::Json(200, shared.state().lists.view(list_id)),
            None => not_found(),
        },
        _ => not_found(),
    }
}

fn list_endpoint(shared: &Shared, op: Op, mut request: Request) -> Reply {
    let parsed = serde_json::from_slice::<Value>(&request.body);
    let (seq, canned) = {
        // Logging and taking the behaviour under one lock keeps both in arrival order.
        let mut state = shared.state();
        let seq = state.next_seq;
        state.next_seq += 1;
        state.log.push(Logged {
            seq,
            path: request.path.clone(),
            api_key: request.header("api-key").map(str::to_string),
            content_type: request.header("content-type").map(str::to_string),
            body: std::mem::take(&mut request.body),
            status: None,
        });
        (seq, state.queue.pop_front().unwrap_or_default())
    };

    if let Some(delay) = canned.delay {
        thread::sleep(delay);
    }
    if canned.drop {
        return Reply::Drop;
    }
    let (status, body) = if let Some(status) = canned.status {
        (status, canned.body(status))
    } else if request.header("api-key") != Some(shared.api_key.as_str()) {
        (401, control::message("Invalid API key", "BadApiKey"))
    } else {
        match lists::parse(parsed) {
            Ok(list_request) => (200, shared.state().lists.apply(op, list_request)),
            Err(msg) => (400, control::message(&msg, "InvalidJsonBody")),
        }
    };

    let mut state = shared.state();
    if let Ok(i) = state.log.binary_search_by_key(&seq, |logged| logged.seq) {
        state.log[i].status = Some(status);
    }
    Reply::Json(status, body)
}

/// A control POST: parse the body, act, answer `ok` or a 400 naming what is wrong.
fn control_post(request: &Request, act: impl FnOnce(Value) -> Result<(), String>) -> Reply {
    let result = serde_json::from_slice(&request.body)
        .map_err(|e| format!("body is not valid JSON: {e}"))
        .and_then(act);
    match result {
        Ok(()) => Reply::Json(200, ok()),
        Err(msg) => Reply::Json(400, control::message(&msg, "InvalidJsonBody")),
    }
}

fn ok() -> Value {
    control::message("ok", "Success")
}
