//! The server over real sockets, spoken to in raw HTTP so the tests check the wire, not a client
//! library's reading of it. Each test starts its own server on a free port.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use list_api::Server;
use serde_json::{json, Value};

const KEY: &str = "test-key";

fn start() -> SocketAddr {
    let server = Server::bind(0, KEY).expect("bind");
    let addr = server.local_addr().expect("local address");
    thread::spawn(move || server.run());
    addr
}

/// One client connection, reused across requests (keep-alive).
struct Conn {
    reader: BufReader<TcpStream>,
}

impl Conn {
    fn open(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr).expect("connect");
        // A server bug should fail the test, not hang it.
        stream.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
        Conn { reader: BufReader::new(stream) }
    }

    fn send_raw(&mut self, raw: &[u8]) {
        self.reader.get_mut().write_all(raw).expect("send");
    }

    fn send(&mut self, method: &str, path: &str, api_key: Option<&str>, body: &str) {
        let key = api_key.map(|k| format!("Api-Key: {k}\r\n")).unwrap_or_default();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\n{key}Content-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n",
            body.len()
        );
        self.send_raw(format!("{head}{body}").as_bytes());
    }

    /// The next response's status and JSON body, or `None` if the server closed instead.
    fn response(&mut self) -> Option<(u16, Value)> {
        let mut line = String::new();
        if self.reader.read_line(&mut line).expect("status line") == 0 {
            return None;
        }
        let status = line.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status code");
        let (mut length, mut content_type) = (None, None);
        loop {
            line.clear();
            self.reader.read_line(&mut line).expect("header");
            let Some((name, value)) = line.trim_end().split_once(':') else { break };
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse::<usize>().ok(),
                "content-type" => content_type = Some(value.trim().to_string()),
                _ => {}
            }
        }
        assert_eq!(content_type.as_deref(), Some("application/json"));
        let mut body = vec![0; length.expect("Content-Length")];
        self.reader.read_exact(&mut body).expect("body");
        Some((status, serde_json::from_slice(&body).expect("JSON body")))
    }

    fn request(&mut self, method: &str, path: &str, api_key: Option<&str>, body: &str) -> (u16, Value) {
        self.send(method, path, api_key, body);
        self.response().expect("a response, not a closed connection")
    }

    fn post(&mut self, path: &str, body: Value) -> (u16, Value) {
        self.request("POST", path, Some(KEY), &body.to_string())
    }

    fn get(&mut self, path: &str) -> Value {
        let (status, body) = self.request("GET", path, None, "");
        assert_eq!(status, 200, "{body}");
        body
    }

    /// True once the server has closed the connection without sending anything more.
    fn closed(&mut self) -> bool {
        let mut rest = Vec::new();
        matches!(self.reader.read_to_end(&mut rest), Ok(0))
    }
}

/// A full response with the given counts and failure lists.
fn response(success: u64, fail: u64, failed: &[(&str, Value)]) -> Value {
    let mut updates = json!({
        "invalidEmails": [], "invalidUserIds": [], "notFoundEmails": [], "notFoundUserIds": [],
        "forgottenEmails": [], "forgottenUserIds": [], "conflictEmails": [], "conflictUserIds": [],
        "invalidDataEmails": [], "invalidDataUserIds": [],
    });
    for (name, ids) in failed {
        updates[*name] = ids.clone();
    }
    json!({
        "successCount": success,
        "failCount": fail,
        "invalidEmails": updates["invalidEmails"],
        "invalidUserIds": updates["invalidUserIds"],
        "failedUpdates": updates,
    })
}

#[test]
fn subscribe_then_read_the_list() {
    let mut conn = Conn::open(start());
    let body = json!({"listId": 7, "subscribers": [
        {"email": "Ann@X.com", "dataFields": {"plan": "gold", "n": 1.50}},
        {"userId": "u1", "preferUserId": true},
    ]});
    let (status, answer) = conn.post("/api/lists/subscribe", body.clone());
    assert_eq!((status, answer), (200, response(2, 0, &[])));
    // The key order is part of the contract.
    let (_, answer) = conn.post("/api/lists/subscribe", json!({"listId": 7, "subscribers": []}));
    let keys: Vec<&String> = answer["failedUpdates"].as_object().unwrap().keys().collect();
    assert_eq!(keys[..3], ["invalidEmails", "invalidUserIds", "notFoundEmails"]);

    // Subscribing again replaces dataFields; without dataFields the old ones stay.
    conn.post(
        "/api/lists/subscribe",
        json!({"listId": 7, "subscribers": [{"email": "ann@x.com", "dataFields": {"plan": "tin"}}]}),
    );
    conn.post("/api/lists/subscribe", json!({"listId": 7, "subscribers": [{"email": "ANN@x.com"}]}));
    assert_eq!(
        conn.get("/control/lists/7"),
        json!({"listId": 7, "members": [
            {"key": "ann@x.com", "dataFields": {"plan": "tin"}},
            {"key": "u1", "dataFields": {}},
        ]})
    );
    assert_eq!(conn.get("/control/lists/8"), json!({"listId": 8, "members": []}));

    let log = conn.get("/control/requests");
    assert_eq!(
        log[0],
        json!({"path": "/api/lists/subscribe", "apiKey": KEY, "contentType": "application/json", "body": body, "status": 200})
    );
    assert_eq!(log.as_array().unwrap().len(), 4);
}

#[test]
fn unsubscribe_of_a_non_member_is_not_found() {
    let mut conn = Conn::open(start());
    conn.post(
        "/api/lists/subscribe",
        json!({"listId": 1, "subscribers": [{"email": "a@x.com"}, {"userId": "u1"}]}),
    );
    let (status, answer) = conn.post(
        "/api/lists/unsubscribe",
        json!({"listId": 1, "campaignId": 5, "channelUnsubscribe": false, "subscribers": [
            {"email": "A@x.com"}, {"email": "Nobody@x.com"}, {"userId": "u9"},
        ]}),
    );
    let expected =
        response(1, 2, &[("notFoundEmails", json!(["Nobody@x.com"])), ("notFoundUserIds", json!(["u9"]))]);
    assert_eq!((status, answer), (200, expected));
    assert_eq!(conn.get("/control/lists/1")["members"], json!([{"key": "u1", "dataFields": {}}]));
}

#[test]
fn rejection_rules_fill_failed_updates_and_apply_nothing() {
    let mut conn = Conn::open(start());
    let rules =
        json!({"forgottenEmails": ["gone@x.com"], "invalidUserIds": ["bad"], "invalidEmails": ["no@x.com"]});
    assert_eq!(conn.post("/control/reject", rules).0, 200);
    let (status, answer) = conn.post(
        "/api/lists/subscribe",
        json!({"listId": 2, "subscribers": [
            {"email": "Gone@X.com"}, {"userId": "bad"}, {"email": "no@x.com"}, {"email": "ok@x.com"},
        ]}),
    );
    let expected = response(
        1,
        3,
        &[
            ("forgottenEmails", json!(["Gone@X.com"])),
            ("invalidUserIds", json!(["bad"])),
            ("invalidEmails", json!(["no@x.com"])),
        ],
    );
    assert_eq!((status, answer), (200, expected));
    assert_eq!(conn.get("/control/lists/2")["members"], json!([{"key": "ok@x.com", "dataFields": {}}]));

    // A bad rule body is refused; reset forgets the rules.
    assert_eq!(conn.post("/control/reject", json!({"lostEmails": []})).0, 400);
    conn.post("/control/reset", json!({}));
    let (_, answer) =
        conn.post("/api/lists/subscribe", json!({"listId": 2, "subscribers": [{"userId": "bad"}]}));
    assert_eq!(answer, response(1, 0, &[]));
    assert_eq!(conn.get("/control/requests").as_array().unwrap().len(), 1);
}

#[test]
fn queued_429_then_a_normal_answer() {
    let mut conn = Conn::open(start());
    assert_eq!(conn.post("/control/responses", json!([{"status": 429}])).0, 200);
    let subscribe = json!({"listId": 3, "subscribers": [{"email": "a@x.com"}]});
    let (status, answer) = conn.post("/api/lists/subscribe", subscribe.clone());
    assert_eq!(
        (status, answer),
        (429, json!({"msg": "Too Many Requests", "code": "RateLimitExceeded", "params": null}))
    );
    assert_eq!(conn.get("/control/lists/3")["members"], json!([]), "a canned answer applies nothing");
    assert_eq!(conn.post("/api/lists/subscribe", subscribe), (200, response(1, 0, &[])));

    let statuses: Vec<Value> =
        conn.get("/control/requests").as_array().unwrap().iter().map(|r| r["status"].clone()).collect();
    assert_eq!(statuses, [json!(429), json!(200)]);
}

#[test]
fn canned_bodies_messages_and_delays() {
    let mut conn = Conn::open(start());
    conn.post(
        "/control/responses",
        json!([{"status": 500, "body": {"oops": true}}, {"status": 400, "msg": "Invalid listId"}, {"delay_ms": 150}]),
    );
    let subscribe = json!({"listId": 4, "subscribers": [{"userId": "u"}]});
    assert_eq!(conn.post("/api/lists/subscribe", subscribe.clone()), (500, json!({"oops": true})));
    assert_eq!(
        conn.post("/api/lists/subscribe", subscribe.clone()),
        (400, json!({"msg": "Invalid listId", "code": "BadParams", "params": null}))
    );
    let started = Instant::now();
    assert_eq!(conn.post("/api/lists/subscribe", subscribe).0, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
    // Misspelt behaviours are refused rather than silently ignored.
    assert_eq!(conn.post("/control/responses", json!([{"stauts": 500}])).0, 400);
}

#[test]
fn a_dropped_connection_gets_no_answer() {
    let addr = start();
    let mut conn = Conn::open(addr);
    conn.post("/control/responses", json!([{"drop": true}]));
    conn.send(
        "POST",
        "/api/lists/subscribe",
        Some(KEY),
        r#"{"listId": 5, "subscribers": [{"userId": "u"}]}"#,
    );
    assert!(conn.closed());

    let mut conn = Conn::open(addr);
    let (status, _) =
        conn.post("/api/lists/subscribe", json!({"listId": 5, "subscribers": [{"userId": "u"}]}));
    assert_eq!(status, 200);
    let log = conn.get("/control/requests");
    assert_eq!((&log[0]["status"], &log[1]["status"]), (&Value::Null, &json!(200)));
}

#[test]
fn a_wrong_or_missing_key_is_401() {
    let mut conn = Conn::open(start());
    let body = r#"{"listId": 6, "subscribers": [{"userId": "u"}]}"#;
    let expected = (401, json!({"msg": "Invalid API key", "code": "BadApiKey", "params": null}));
    assert_eq!(conn.request("POST", "/api/lists/subscribe", Some("wrong"), body), expected);
    assert_eq!(conn.request("POST", "/api/lists/unsubscribe", None, body), expected);
    // Header names are case-insensitive.
    conn.send_raw(
        format!(
            "POST /api/lists/subscribe HTTP/1.1\r\nAPI-KEY: {KEY}\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
    assert_eq!(conn.response().unwrap().0, 200);
    let log = conn.get("/control/requests");
    assert_eq!(
        (&log[0]["apiKey"], &log[1]["apiKey"], &log[1]["contentType"]),
        (&json!("wrong"), &Value::Null, &json!("application/json"))
    );
}

#[test]
fn bad_bodies_are_400_invalid_json_body() {
    let mut conn = Conn::open(start());
    let subscribers: Vec<Value> = (0..1001).map(|i| json!({"email": format!("p{i}@x.com")})).collect();
    let (status, answer) =
        conn.post("/api/lists/subscribe", json!({"listId": 9, "subscribers": subscribers}));
    assert_eq!(status, 400);
    assert_eq!(answer["code"], "InvalidJsonBody");
    assert_eq!(answer["msg"], "subscribers has 1001 entries; at most 1000 are allowed");

    for body in [
        "not json",
        r#"{"subscribers": []}"#,
        r#"{"listId": 9}"#,
        r#"{"listId": 9, "subscribers": [{"dataFields": {}}]}"#,
    ] {
        let (status, answer) = conn.request("POST", "/api/lists/subscribe", Some(KEY), body);
        assert_eq!((status, &answer["code"]), (400, &json!("InvalidJsonBody")), "{body}: {answer}");
    }
    // A body that is not JSON is logged as its text.
    assert_eq!(conn.get("/control/requests")[1]["body"], "not json");
    assert_eq!(conn.get("/control/lists/9")["members"], json!([]));
}

#[test]
fn keep_alive_serves_two_requests_on_one_connection() {
    let mut conn = Conn::open(start());
    let first = conn.post("/api/lists/subscribe", json!({"listId": 10, "subscribers": [{"userId": "u"}]}));
    let second = conn.post("/api/lists/unsubscribe", json!({"listId": 10, "subscribers": [{"userId": "u"}]}));
    assert_eq!((first.0, second.0), (200, 200));
    // Pipelined: both requests written before either answer is read.
    let body = r#"{"listId": 10, "subscribers": [{"userId": "v"}]}"#;
    conn.send("POST", "/api/lists/subscribe", Some(KEY), body);
    conn.send("POST", "/api/lists/unsubscribe", Some(KEY), body);
    assert_eq!(conn.response().unwrap().1, response(1, 0, &[]));
    assert_eq!(conn.response().unwrap().1, response(1, 0, &[]));
    // Connection: close is honoured.
    conn.send_raw(b"GET /control/lists/10 HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert_eq!(conn.response().unwrap().0, 200);
    assert!(conn.closed());
}

#[test]
fn chunked_bodies_are_read() {
    let mut conn = Conn::open(start());
    let body = r#"{"listId": 11, "subscribers": [{"email": "c@x.com"}]}"#;
    let (a, b) = body.split_at(10);
    let raw = format!(
        "POST /api/lists/subscribe HTTP/1.1\r\nApi-Key: {KEY}\r\nTransfer-Encoding: chunked\r\n\r\n\
         {:x};ext=1\r\n{a}\r\n{:X}\r\n{b}\r\n0\r\nTrailer: x\r\n\r\n",
        a.len(),
        b.len()
    );
    conn.send_raw(raw.as_bytes());
    assert_eq!(conn.response().unwrap(), (200, response(1, 0, &[])));
    assert_eq!(conn.get("/control/requests")[0]["body"]["listId"], 11);
}

#[test]
fn oversized_and_malformed_requests_are_refused() {
    let addr = start();
    let mut conn = Conn::open(addr);
    conn.send_raw(b"POST /api/lists/subscribe HTTP/1.1\r\nContent-Length: 67108865\r\n\r\n");
    assert_eq!(conn.response().unwrap().0, 413);
    assert!(conn.closed());

    let mut conn = Conn::open(addr);
    let raw = format!("GET /control/requests HTTP/1.1\r\nX-Big: {}\r\n\r\n", "a".repeat(70 * 1024));
    conn.send_raw(raw.as_bytes());
    assert_eq!(conn.response().unwrap().0, 431);

    let mut conn = Conn::open(addr);
    conn.send_raw(b"POST /api/lists/subscribe HTTP/1.1\r\nContent-Length: ten\r\n\r\n");
    assert_eq!(conn.response().unwrap().0, 400);

    let mut conn = Conn::open(addr);
    assert_eq!(
        conn.request("GET", "/nowhere", None, ""),
        (404, json!({"msg": "not found", "code": "NotFound", "params": null}))
    );
    assert_eq!(conn.request("GET", "/api/lists/subscribe", Some(KEY), "").0, 404);
    assert_eq!(conn.request("GET", "/control/lists/x", None, "").0, 404);
    // The server is still serving, and logged none of those.
    assert_eq!(conn.get("/control/requests"), json!([]));
}
