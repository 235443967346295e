//! Workflows as data: a JSON array of blocks, each with an `id`, a `type` and links (`next`, or
//! `yes`/`no` for a condition) to other blocks; the first block is where an instance starts.
//! [`parse`] reads and checks a graph without Postgres: every block well formed, every link to
//! an existing block, every block reachable from the first, and no cycle an instance could go
//! round without waiting. Each refusal names the element (`blocks[2].next`). What needs the
//! database (do the message and segments exist) is checked by the extension.

pub mod block;

pub use block::{Block, Kind, Named, Test, Wait};
use engage_requests::json::{self, quoted};
use engage_requests::path::Path;
use engage_requests::{ErrorKind, RequestError, Result};
use serde_json::{json, Value};
use std::collections::HashMap;

/// The most blocks a workflow may have.
pub const MAX_BLOCKS: usize = 500;

#[derive(Debug, Clone, PartialEq)]
pub struct Workflow {
    /// In the order given; the first is the entry.
    pub blocks: Vec<Block>,
}

/// Reads and checks the blocks of a workflow.
pub fn parse(blocks: &Value) -> Result<Workflow> {
    let root = Path::Key(&Path::Root, "blocks");
    let items = json::array(blocks, &root)?;
    if items.is_empty() {
        return Err(RequestError::invalid("a workflow needs at least one block").at(&root));
    }
    if items.len() > MAX_BLOCKS {
        return Err(RequestError::new(
            ErrorKind::ProgramLimitExceeded,
            format!("a workflow has at most {MAX_BLOCKS} blocks; this one has {}", items.len()),
        )
        .at(&root));
    }
    let blocks: Vec<Block> = items
        .iter()
        .enumerate()
        .map(|(i, b)| block::parse_block(b, &root.index(i)))
        .collect::<Result<_>>()?;

    let mut index: HashMap<&str, usize> = HashMap::with_capacity(blocks.len());
    for (i, b) in blocks.iter().enumerate() {
        if let Some(first) = index.insert(&b.id, i) {
            return Err(RequestError::invalid(format!("block ID {} is used twice", quoted(&b.id)))
                .at_with(&root.index(i).key("id"), format!("also the ID of blocks[{first}]")));
        }
    }
    let mut edges: Vec<Vec<usize>> = Vec::with_capacity(blocks.len());
    for (i, b) in blocks.iter().enumerate() {
        let at = root.index(i);
        let mut out = Vec::new();
        for (key, to) in b.links() {
            match index.get(to) {
                Some(&j) => out.push(j),
                None => {
                    return Err(RequestError::invalid(format!(
                        "{key} links to {}, which is no block",
                        quoted(to)
                    ))
                    .at(&at.key(key))
                    .with_hint("a link names the \"id\" of another block"))
                }
            }
        }
        edges.push(out);
    }
    check_reachable(&blocks, &edges, &root)?;
    check_waits_in_cycles(&blocks, &edges, &root)?;
    Ok(Workflow { blocks })
}

/// Every block must be reachable from the first.
fn check_reachable(blocks: &[Block], edges: &[Vec<usize>], root: &Path) -> Result<()> {
    let mut seen = vec![false; blocks.len()];
    let mut stack = vec![0];
    seen[0] = true;
    while let Some(i) = stack.pop() {
        for &j in &edges[i] {
            if !seen[j] {
                seen[j] = true;
                stack.push(j);
            }
        }
    }
    match seen.iter().position(|s| !s) {
        None => Ok(()),
        Some(i) => Err(RequestError::invalid(format!(
            "block {} cannot be reached from the first block ({})",
            quoted(&blocks[i].id),
            quoted(&blocks[0].id)
        ))
        .at(&root.index(i))
        .with_hint("link it from another block, or remove it")),
    }
}

/// A cycle through blocks none of which waits would run an instance forever in one step.
fn check_waits_in_cycles(blocks: &[Block], edges: &[Vec<usize>], root: &Path) -> Result<()> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    let waits = |i: usize| matches!(blocks[i].kind, Kind::Wait(_));
    let mut mark = vec![Mark::New; blocks.len()];
    for start in 0..blocks.len() {
        if mark[start] != Mark::New || waits(start) {
            continue;
        }
        // Depth-first over blocks that do not wait; `path` holds the blocks on the way.
        let mut path: Vec<(usize, usize)> = vec![(start, 0)];
        mark[start] = Mark::OnPath;
        while let Some(&mut (i, ref mut next_edge)) = path.last_mut() {
            if let Some(&j) = edges[i].get(*next_edge) {
                *next_edge += 1;
                if waits(j) {
                    continue;
                }
                match mark[j] {
                    Mark::New => {
                        mark[j] = Mark::OnPath;
                        path.push((j, 0));
                    }
                    Mark::OnPath => {
                        let from = path.iter().position(|(b, _)| *b == j).unwrap_or(0);
                        let ids: Vec<String> = path[from..]
                            .iter()
                            .map(|(b, _)| quoted(&blocks[*b].id))
                            .chain([quoted(&blocks[j].id)])
                            .collect();
                        return Err(RequestError::invalid(format!(
                            "blocks {} form a cycle with no wait",
                            ids.join(" → ")
                        ))
                        .at(&root.index(i))
                        .with_hint(
                            "put a wait block in the cycle, so that an instance pauses on each round",
                        ));
                    }
                    Mark::Done => {}
                }
            } else {
                mark[i] = Mark::Done;
                path.pop();
            }
        }
    }
    Ok(())
}

impl Workflow {
    /// The blocks as rows for `jsonb_to_recordset`: one object per block with every column
    /// present (null where the type has none), in the order given (`position` from 0).
    pub fn rows(&self) -> Value {
        Value::Array(
            self.blocks
                .iter()
                .enumerate()
                .map(|(position, b)| {
                    let mut row = json!({
                        "block_id": b.id, "position": position, "type": b.type_name(),
                        "next": b.next, "yes": b.yes, "no": b.no,
                        "message_id": null, "message_name": null, "channel": null, "json_source": null,
                        "wait_seconds": null, "wait_until": null, "segment_id": null, "segment_name": null,
                        "param": null, "op": null, "value": null,
                        "event_type_key": null, "event_params": null,
                    });
                    let fields = match &b.kind {
                        Kind::SendMessage { message, channel, json_source } => {
                            let mut fields = named("message", message);
                            fields["channel"] = json!(channel);
                            fields["json_source"] = json!(json_source);
                            fields
                        }
                        Kind::Wait(Wait::For(seconds)) => json!({ "wait_seconds": seconds }),
                        Kind::Wait(Wait::Until(time)) => json!({ "wait_until": time }),
                        Kind::Condition(Test::Segment(segment))
                        | Kind::AddToSegment { segment }
                        | Kind::RemoveFromSegment { segment } => named("segment", segment),
                        Kind::Condition(Test::Param { name, op, value }) => {
                            json!({ "param": name, "op": op, "value": value })
                        }
                        Kind::GetOrder { param } => json!({ "param": param }),
                        Kind::GenerateEvent { type_key, params } => {
                            json!({ "event_type_key": type_key, "event_params": params })
                        }
                        Kind::Exit => json!({}),
                    };
                    if let (Value::Object(row), Value::Object(fields)) = (&mut row, fields) {
                        row.extend(fields);
                    }
                    row
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests;

/// A row's columns for what a block refers to: `<what>_id` or `<what>_name`.
fn named(what: &str, named: &Named) -> Value {
    match named {
        Named::Id(id) => json!({ format!("{what}_id"): id }),
        Named::Name(name) => json!({ format!("{what}_name"): name }),
    }
}
