//! pg_engage: a customer-engagement engine inside PostgreSQL. This crate is the thin glue between
//! SQL and the pure engines: each module is one area a user thinks in, and its functions parse
//! with the request layer, run set-based SQL through SPI, and raise errors with SQLSTATEs.

use pgrx::prelude::*;

::pgrx::pg_module_magic!(name, version);

/// Rust's allocations are counted per thread, so that a template render can be held to
/// `engage.template_max_memory` (see `vtl::memory`).
#[global_allocator]
static ALLOCATOR: vtl::memory::Counting = vtl::memory::Counting::new();

mod account;
mod caller;
mod contact_writer;
mod contacts;
mod devices;
mod error;
mod events;
mod export_progress;
mod fields;
mod groups;
mod guc;
mod jobs;
mod json_body;
mod launcher;
mod list_sync_delivery;
mod list_syncs;
mod orders;
mod scheduler;
mod schedules;
mod segment_diff;
mod segments;
mod sends;
mod spi_util;
mod templates;
mod unsubscribes;
mod worker;
mod workflow_worker;
mod workflows;

/// The engine's internal steps, apart from the API in schema `engage` (created first, in
/// contacts.sql, since the SQL files use it; declared here so Rust functions can live in it).
#[pg_schema]
mod engage_internal {}

extension_sql_file!("../sql/contacts.sql", name = "contacts_schema", bootstrap);
extension_sql_file!("../sql/partitions.sql", name = "partitions_schema", requires = ["contacts_schema"]);
extension_sql_file!("../sql/events.sql", name = "events_schema", requires = ["partitions_schema"]);
extension_sql_file!(
    "../sql/templates.sql",
    name = "templates_schema",
    requires = ["contacts_schema", templates::properties_read]
);
extension_sql_file!("../sql/sources.sql", name = "sources_schema", requires = ["contacts_schema"]);
extension_sql_file!(
    "../sql/jobs.sql",
    name = "jobs_schema",
    requires = ["contacts_schema", scheduler::wake_scheduler, schedules::cron_next]
);
extension_sql_file!(
    "../sql/scheduler.sql",
    name = "scheduler_schema",
    requires = [
        "jobs_schema",
        scheduler::in_background_worker,
        jobs::execute_as,
        caller::vouch,
        caller::vouched_role
    ]
);
extension_sql_file!(
    "../sql/segments.sql",
    name = "segments_schema",
    requires = ["jobs_schema", "sources_schema"]
);
extension_sql_file!(
    "../sql/workflows.sql",
    name = "workflows_schema",
    requires = ["events_schema", "templates_schema", "segments_schema"]
);
extension_sql_file!("../sql/devices.sql", name = "devices_schema", requires = ["contacts_schema"]);
extension_sql_file!(
    "../sql/sends.sql",
    name = "sends_schema",
    requires = ["workflows_schema", "devices_schema", templates::render_for_send]
);
extension_sql_file!("../sql/broadcasts.sql", name = "broadcasts_schema", requires = ["sends_schema"]);
extension_sql_file!("../sql/policies.sql", name = "policies_schema", requires = ["sends_schema"]);
extension_sql_file!(
    "../sql/transport.sql",
    name = "transport_schema",
    requires = ["policies_schema", "broadcasts_schema"]
);
extension_sql_file!(
    "../sql/export_tombstones.sql",
    name = "export_tombstones_schema",
    requires = ["contacts_schema"]
);
extension_sql_file!(
    "../sql/orders.sql",
    name = "orders_schema",
    requires = ["events_schema", "sends_schema", "export_tombstones_schema"]
);
extension_sql_file!(
    "../sql/workflow_runtime.sql",
    name = "workflow_runtime_schema",
    requires = ["orders_schema"]
);
extension_sql_file!(
    "../sql/regular_triggers.sql",
    name = "regular_triggers_schema",
    requires = ["workflow_runtime_schema", "sources_schema", "jobs_schema"]
);
extension_sql_file!("../sql/rfm.sql", name = "rfm_schema", requires = ["orders_schema", "jobs_schema"]);
extension_sql_file!(
    "../sql/export_datasets.sql",
    name = "export_datasets_schema",
    requires = ["orders_schema", "devices_schema", "broadcasts_schema", "export_tombstones_schema"]
);
extension_sql_file!(
    "../sql/exports.sql",
    name = "exports_schema",
    requires = [
        "export_datasets_schema",
        "scheduler_schema",
        "sources_schema",
        export_progress::export_progress_slots
    ]
);
extension_sql_file!(
    "../sql/list_syncs.sql",
    name = "list_syncs_schema",
    requires = [
        "exports_schema",
        "segments_schema",
        "scheduler_schema",
        list_syncs::list_sync_row,
        list_syncs::list_sync_unsubscriber
    ]
);
extension_sql_file!(
    "../sql/erasure.sql",
    name = "erasure_schema",
    requires = ["list_syncs_schema", "rfm_schema", "regular_triggers_schema", contacts::normalize_channel]
);
extension_sql_file!(
    "../sql/metrics.sql",
    name = "metrics_schema",
    requires =
        ["list_syncs_schema", "broadcasts_schema", "workflow_runtime_schema", scheduler::scheduler_status]
);
extension_sql_file!(
    "../sql/retention.sql",
    name = "retention_schema",
    requires =
        ["sends_schema", "jobs_schema", "segments_schema", scheduler::wake_scheduler, schedules::cron_next]
);
extension_sql_file!("../sql/privileges.sql", name = "privileges", finalize);

#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    engage_requests::interrupt::set_hook(|| {
        pgrx::check_for_interrupts!();
    });
    guc::init();
    worker::init();
    if worker::preloaded() {
        export_progress::init();
    }
    launcher::register();
}

#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    #[must_use]
    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}
