//! Workflows as SQL: `engage.create_workflow` checks the graph with `engage_workflow` (pure) and
//! stores it through `engage.store_workflow`, which checks what the blocks refer to. Running
//! them is SQL (`sql/workflows.sql`); the worker is in `workflow_worker`.

use crate::error::{required, without_nulls, OrRaise};
use crate::json_body::JsonBody;
use crate::spi_util::first;
use pgrx::prelude::*;
use pgrx::JsonB;

/// Creates an inactive workflow from its blocks and returns its ID. Link start events with
/// `engage.link_event`, then `engage.activate_workflow`.
#[pg_extern]
fn create_workflow(
    name: Option<&str>,
    blocks: Option<JsonBody>,
    tags: default!(Option<Vec<Option<String>>>, "'{}'"),
) -> i64 {
    let name = required(name, "name");
    let blocks = JsonB(required(blocks, "blocks").0);
    let tags = without_nulls(tags.unwrap_or_default(), "tags");
    let workflow = engage_workflow::parse(&blocks.0).or_raise();
    let rows = JsonB(workflow.rows());
    Spi::connect_mut(|client| {
        first::<i64>(client.update(
            "SELECT engage.store_workflow($1, $2, $3, $4)",
            None,
            &[name.into(), tags.into(), blocks.into(), rows.into()],
        )?)
    })
    .or_raise()
    .expect("store_workflow returns the new ID")
}
