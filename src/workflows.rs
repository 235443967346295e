//! Workflows as SQL: `engage.create_workflow` checks the graph with `engage_workflow` (pure) and
//! stores it through `engage_internal.store_workflow`, which checks what the blocks refer to. Running
//! them is SQL (`sql/workflows.sql`); the worker is in `workflow_worker`.

use crate::error::{required, without_nulls, OrRaise};
use crate::json_body::JsonBody;
use crate::spi_util::first;
use pgrx::prelude::*;
use pgrx::JsonB;

/// Creates an inactive workflow from its blocks and returns its ID. Link start events with
/// `engage.link_event`, then `engage.activate_workflow`.
#[pg_extern(security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn create_workflow(
    name: Option<&str>,
    blocks: Option<JsonBody>,
    tags: default!(Option<Vec<Option<String>>>, "'{}'"),
) -> i64 {
    let name = required(name, "name");
    let (blocks, rows) = checked_graph(blocks);
    let tags = without_nulls(tags.unwrap_or_default(), "tags");
    Spi::connect_mut(|client| {
        first::<i64>(client.update(
            "SELECT engage_internal.store_workflow($1, $2, $3, $4)",
            None,
            &[name.into(), tags.into(), blocks.into(), rows.into()],
        )?)
    })
    .or_raise()
    .expect("store_workflow returns the new ID")
}

extension_sql!(
    "COMMENT ON FUNCTION engage.create_workflow(text,jsonb,text[]) IS 'Checks the blocks and creates an inactive workflow (version 1); returns its ID. Refused when the name is taken or the graph or what it refers to is invalid. Then link start events (engage.link_event) and activate it. Admins only.';",
    name = "comment_create_workflow",
    requires = [create_workflow]
);

/// Makes `blocks` the workflow's next version and returns it with how many waiting instances
/// moved to it and how many stay on older versions. New launches use the new version; an
/// instance already waiting finishes on its own version unless `move_waiting` is set, and then
/// moves when the block it will resume at has the same ID in the new version.
#[pg_extern(security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn alter_workflow(
    workflow: Option<&str>,
    blocks: Option<JsonBody>,
    move_waiting: default!(Option<bool>, false),
) -> TableIterator<'static, (name!(version, i32), name!(moved, i32), name!(staying, i32))> {
    let workflow = required(workflow, "workflow");
    let (blocks, rows) = checked_graph(blocks);
    let move_waiting = required(move_waiting, "move_waiting");
    let row = Spi::connect_mut(|client| {
        let table = client.update(
            "SELECT version, moved, staying FROM engage_internal.store_workflow_version($1, $2, $3, $4)",
            None,
            &[workflow.into(), blocks.into(), rows.into(), move_waiting.into()],
        )?;
        let row = table.first();
        Ok::<_, pgrx::spi::Error>((
            row.get::<i32>(1)?.unwrap_or_default(),
            row.get::<i32>(2)?.unwrap_or_default(),
            row.get::<i32>(3)?.unwrap_or_default(),
        ))
    })
    .or_raise();
    TableIterator::once(row)
}

extension_sql!(
    "COMMENT ON FUNCTION engage.alter_workflow(text,jsonb,boolean) IS 'Makes blocks the next version of a workflow (name or ID), which new launches use; returns it with counts of waiting instances moved and staying. With move_waiting, those whose resume block exists in it move. Admins only.';",
    name = "comment_alter_workflow",
    requires = [alter_workflow]
);

/// The blocks as given and their checked, normalized rows (`engage_workflow`).
fn checked_graph(blocks: Option<JsonBody>) -> (JsonB, JsonB) {
    let blocks = JsonB(required(blocks, "blocks").0);
    let rows = JsonB(engage_workflow::parse(&blocks.0).or_raise().rows());
    (blocks, rows)
}
