use super::*;
use serde_json::json;

fn refusal(blocks: Value) -> (String, String) {
    let e = parse(&blocks).expect_err("the workflow must be refused");
    (e.message, e.detail.unwrap_or_default())
}

#[test]
fn every_block_type_reads_into_its_row() {
    let w = parse(&json!([
        {"id": "send", "type": "send_message", "messageId": 12, "channel": "Email", "jsonSource": "${jsonParam}", "next": "wait"},
        {"id": "wait", "type": "wait", "duration": "2 hours", "next": "paid?"},
        {"id": "paid?", "type": "condition", "param": "status", "op": "equals", "value": 1, "yes": "vip?", "no": "bye"},
        {"id": "vip?", "type": "condition", "segmentId": 5, "yes": "add", "no": "morning"},
        {"id": "add", "type": "add_to_segment", "segmentId": 7, "next": "remove"},
        {"id": "remove", "type": "remove_from_segment", "segmentId": 8, "next": "order"},
        {"id": "order", "type": "get_order", "next": "event"},
        {"id": "event", "type": "generate_event", "eventTypeKey": "followUp", "params": {"a": 1}, "next": "bye"},
        {"id": "morning", "type": "wait", "until": "9:05"},
        {"id": "bye", "type": "exit"}
    ]))
    .unwrap();
    let rows = w.rows();
    let row = |i: usize| rows[i].as_object().unwrap();
    assert_eq!(row(0)["channel"], "email");
    assert_eq!(row(0)["json_source"], "jsonParam");
    assert_eq!(row(1)["wait_seconds"], 7200);
    assert_eq!(
        (&row(2)["op"], &row(2)["value"], &row(2)["yes"]),
        (&json!("equals"), &json!("1"), &json!("vip?"))
    );
    assert_eq!(row(3)["segment_id"], 5);
    assert_eq!(row(6)["param"], "externalOrderId");
    assert_eq!(row(7)["event_params"], json!({"a": 1}));
    assert_eq!(row(8)["wait_until"], "09:05");
    assert_eq!(row(9)["type"], "exit");
    // Every row has every column, so jsonb_to_recordset reads them all alike.
    let columns = row(0).len();
    assert!((0..10).all(|i| row(i).len() == columns && row(i)["position"] == i));
}

#[test]
fn malformed_blocks_are_refused_at_the_element() {
    let cases = [
        (json!([]), "at least one block", "at blocks"),
        (json!([{"id": "a", "type": "teleport"}]), "unknown block type \"teleport\"", "at blocks[0].type"),
        (json!([{"id": "a", "type": "exit", "next": "b"}]), "unknown key \"next\"", "at blocks[0].next"),
        (json!([{"type": "exit"}]), "\"id\" is required", "at blocks[0].id"),
        (
            json!([{"id": "a", "type": "send_message", "messageId": -1}]),
            "positive integer",
            "at blocks[0].messageId",
        ),
        (
            json!([{"id": "a", "type": "send_message", "messageId": 1, "channel": "fax"}]),
            "unknown channel",
            "at blocks[0].channel",
        ),
        (
            json!([{"id": "a", "type": "send_message", "messageId": 1, "jsonSource": "jsonParam}"}]),
            "invalid JSON source",
            "at blocks[0].jsonSource",
        ),
        (
            json!([{"id": "a", "type": "wait", "duration": "5 fortnights"}]),
            "invalid duration",
            "at blocks[0].duration",
        ),
        (
            json!([{"id": "a", "type": "wait", "duration": "400 days"}]),
            "invalid duration",
            "at blocks[0].duration",
        ),
        (json!([{"id": "a", "type": "wait", "until": "24:00"}]), "invalid time of day", "at blocks[0].until"),
        (
            json!([{"id": "a", "type": "wait", "duration": "1 day", "until": "09:00"}]),
            "exactly one",
            "at blocks[0]",
        ),
        (
            json!([{"id": "a", "type": "condition", "param": "x", "op": "greater", "value": "ten"}]),
            "compares with a number",
            "at blocks[0].value",
        ),
        (
            json!([{"id": "a", "type": "condition", "param": "x", "op": "exists", "value": 1}]),
            "takes no value",
            "at blocks[0].value",
        ),
        (
            json!([{"id": "a", "type": "condition", "segmentId": 1, "param": "x"}]),
            "not both",
            "at blocks[0].param",
        ),
        (
            json!([{"id": "a", "type": "generate_event", "eventTypeKey": "no spaces"}]),
            "invalid event type key",
            "at blocks[0].eventTypeKey",
        ),
    ];
    for (blocks, message, detail) in cases {
        let (m, d) = refusal(blocks.clone());
        assert!(m.contains(message), "{blocks}: {m}");
        assert!(d.starts_with(detail), "{blocks}: {d}");
    }
}

#[test]
fn links_must_name_blocks_and_every_block_must_be_reachable() {
    let (m, d) = refusal(json!([{"id": "a", "type": "wait", "duration": "1 day", "next": "b"}]));
    assert_eq!((m.as_str(), d.as_str()), ("next links to \"b\", which is no block", "at blocks[0].next"));
    let (m, d) = refusal(json!([{"id": "a", "type": "exit"}, {"id": "a", "type": "exit"}]));
    assert_eq!(
        (m.as_str(), d.as_str()),
        ("block ID \"a\" is used twice", "at blocks[1].id: also the ID of blocks[0]")
    );
    let (m, d) = refusal(json!([
        {"id": "a", "type": "condition", "segmentId": 1, "yes": "c"},
        {"id": "b", "type": "exit"},
        {"id": "c", "type": "exit"}
    ]));
    assert_eq!(
        (m.as_str(), d.as_str()),
        ("block \"b\" cannot be reached from the first block (\"a\")", "at blocks[1]")
    );
}

#[test]
fn a_cycle_needs_a_wait() {
    let (m, d) = refusal(json!([
        {"id": "a", "type": "send_message", "messageId": 1, "next": "b"},
        {"id": "b", "type": "condition", "segmentId": 3, "yes": "c", "no": "a"},
        {"id": "c", "type": "exit"}
    ]));
    assert_eq!(
        (m.as_str(), d.as_str()),
        ("blocks \"a\" → \"b\" → \"a\" form a cycle with no wait", "at blocks[1]")
    );
    // A self-loop is a cycle too.
    let (m, _) = refusal(json!([{"id": "a", "type": "add_to_segment", "segmentId": 1, "next": "a"}]));
    assert!(m.contains("\"a\" → \"a\""), "{m}");
    // The same loop through a wait is a reminder series, and fine.
    parse(&json!([
        {"id": "a", "type": "send_message", "messageId": 1, "next": "b"},
        {"id": "b", "type": "condition", "segmentId": 3, "yes": "c", "no": "w"},
        {"id": "w", "type": "wait", "duration": "3 days", "next": "a"},
        {"id": "c", "type": "exit"}
    ]))
    .unwrap();
}

#[test]
fn durations_read_the_units_people_write() {
    assert_eq!(block::duration_seconds("1 minute"), Some(60));
    assert_eq!(block::duration_seconds("90 Minutes"), Some(5400));
    assert_eq!(block::duration_seconds("1 week"), Some(604_800));
    assert_eq!(block::duration_seconds("366 days"), Some(block::MAX_WAIT_SECONDS));
    for bad in ["", "1", "0 days", "-1 day", "1.5 hours", "1 day later", "9223372036854775807 weeks"] {
        assert_eq!(block::duration_seconds(bad), None, "{bad}");
    }
}

/// Random graphs: parse never panics, and accepts a graph exactly when a brute-force oracle
/// finds it sound: no dangling link, every block reachable, and no walk through blocks that do
/// not wait longer than the graph (which only a wait-free cycle allows).
#[test]
fn random_graphs_are_accepted_exactly_when_they_are_sound() {
    let mut seed = 0x2545F4914F6CDD1Du64;
    let mut next = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let mut accepted = 0;
    for _ in 0..3000 {
        let n = 1 + next(6) as usize;
        // Each block: waits?, links to b0..b{n} (b{n} does not exist, so some graphs dangle).
        let graph: Vec<(bool, Vec<usize>)> = (0..n)
            .map(|_| {
                let waits = next(3) == 0;
                let mut links = Vec::new();
                // A condition has two links (yes, no); the other blocks one.
                for _ in 0..if waits { 1 } else { 1 + next(2) } {
                    if next(3) > 0 {
                        links.push(next(n as u64 + 1) as usize);
                    }
                }
                (waits, links)
            })
            .collect();
        let blocks: Vec<Value> = graph
            .iter()
            .enumerate()
            .map(|(i, (waits, links))| {
                let id = |j: &usize| format!("b{j}");
                match (waits, links.len()) {
                    (true, _) => json!({"id": id(&i), "type": "wait", "duration": "1 hour", "next": links.first().map(id)}),
                    (false, 2) => json!({"id": id(&i), "type": "condition", "segmentId": 1, "yes": id(&links[0]), "no": id(&links[1])}),
                    (false, _) => json!({"id": id(&i), "type": "add_to_segment", "segmentId": 1, "next": links.first().map(id)}),
                }
            })
            .collect();
        let dangling = graph.iter().any(|(_, links)| links.contains(&n));
        let sound = !dangling && {
            let mut reached = vec![0];
            for _ in 0..n {
                let more: Vec<usize> = reached.iter().flat_map(|&i| graph[i].1.clone()).collect();
                reached.extend(more);
                reached.sort_unstable();
                reached.dedup();
            }
            let mut walk: Vec<usize> = (0..n).collect();
            for _ in 0..=n {
                walk = walk.iter().filter(|&&i| !graph[i].0).flat_map(|&i| graph[i].1.clone()).collect();
            }
            reached.len() == n && walk.iter().all(|&i| graph[i].0)
        };
        let parsed = parse(&Value::Array(blocks.clone()));
        assert_eq!(parsed.is_ok(), sound, "{blocks:?}: {parsed:?}");
        accepted += usize::from(sound);
    }
    assert!(accepted > 150, "only {accepted} random graphs were sound");
}

#[test]
fn messages_and_segments_by_name_become_name_columns() {
    let w = parse(&json!([
        {"id": "vip?", "type": "condition", "segment": "VIPs", "yes": "send", "no": "add"},
        {"id": "add", "type": "add_to_segment", "segment": " VIPs ", "next": "send"},
        {"id": "send", "type": "send_message", "message": "welcome"}
    ]))
    .unwrap();
    let rows = w.rows();
    assert_eq!((&rows[0]["segment_name"], &rows[0]["segment_id"]), (&json!("VIPs"), &Value::Null));
    assert_eq!(rows[1]["segment_name"], "VIPs");
    assert_eq!((&rows[2]["message_name"], &rows[2]["message_id"]), (&json!("welcome"), &Value::Null));
    let both = refusal(json!([{"id": "a", "type": "send_message", "message": "x", "messageId": 1}]));
    assert_eq!(
        both,
        ("give \"messageId\" or \"message\", not both".to_string(), "at blocks[0].message".to_string())
    );
    let (message, _) = refusal(json!([{"id": "a", "type": "add_to_segment", "segment": " "}]));
    assert_eq!(message, "\"segment\" must name one");
    let (message, _) = refusal(json!([{"id": "a", "type": "send_message"}]));
    assert!(message.contains("messageId"), "{message}");
}
