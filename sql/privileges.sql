-- Roles and privileges. Readers see everything; writers change data only through the
-- functions, which run as the extension owner (SECURITY DEFINER, fixed search_path) so that a
-- writer cannot bypass their checks; admins also manage the field catalog and event types.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'engage_reader') THEN
        CREATE ROLE engage_reader NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'engage_writer') THEN
        CREATE ROLE engage_writer NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'engage_admin') THEN
        CREATE ROLE engage_admin NOLOGIN;
    END IF;
    IF NOT pg_has_role('engage_writer', 'engage_reader', 'MEMBER') THEN
        GRANT engage_reader TO engage_writer;
    END IF;
    IF NOT pg_has_role('engage_admin', 'engage_writer', 'MEMBER') THEN
        GRANT engage_writer TO engage_admin;
    END IF;
END
$$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA engage, engage_internal FROM PUBLIC;
GRANT USAGE ON SCHEMA engage TO engage_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA engage TO engage_reader;

GRANT EXECUTE ON FUNCTION
    engage.account_info(),
    engage.catalogs(),
    engage.render(text, jsonb),
    engage.render(text, text),
    engage.render(text, json),
    engage.check_template(text),
    engage.render_message(bigint, bigint, jsonb, text)
TO engage_reader;
GRANT EXECUTE ON FUNCTION engage_internal.forget_loaded_templates() TO engage_writer;

-- Data sources: admins connect them; readers read a contact's data through them (the foreign
-- tables and user mappings belong to the extension owner).
GRANT EXECUTE ON FUNCTION engage.contact_data(bigint, text) TO engage_reader;

-- Segments: readers preview and read them; writers define and refresh them.
GRANT EXECUTE ON FUNCTION
    engage.compile_segment_rule(jsonb, bigint),
    engage.preview_segment(jsonb, timestamptz, integer),
    engage.segment_sql(text),
    engage.segment_contacts(text),
    engage_internal.segment_named(text),
    engage_internal.dynamic_segment_named(text),
    engage_internal.default_time_zone()
TO engage_reader;
GRANT EXECUTE ON FUNCTION
    engage.create_segment(text, jsonb),
    engage.alter_segment(text, jsonb),
    engage.drop_segment(text),
    engage.refresh_segment(text, timestamptz),
    engage_internal.refresh_segment_job(jsonb)
TO engage_writer;

-- Jobs: writers schedule their own (row security shows each role the jobs of roles whose rights
-- it has); the scheduling steps run as the extension owner and are for admins and the worker.
GRANT EXECUTE ON FUNCTION
    engage.cron_next(text, timestamptz, text, integer, text),
    engage.cron_count(text, timestamptz, timestamptz, text, text),
    engage.scheduler_status()
TO engage_reader;
GRANT EXECUTE ON FUNCTION engage_internal.wake_scheduler() TO engage_writer;
GRANT INSERT (name, schedule, command, time_zone, delay, day_rule, max_failures, kind, arguments, enabled),
    UPDATE (name, schedule, command, time_zone, delay, day_rule, max_failures, kind, arguments, enabled, run_requested),
    DELETE ON engage.scheduled_jobs TO engage_writer;
GRANT USAGE ON SEQUENCE engage.scheduled_jobs_job_id_seq TO engage_writer;
GRANT EXECUTE ON FUNCTION
    engage.schedule_job(text, text, text, text, interval, text, integer, text, jsonb),
    engage.alter_job(text, text, text, text, interval, text, integer, boolean, text, jsonb),
    engage.unschedule_job(text),
    engage_internal.job_named(text),
    engage.run_job_now(text),
    engage_internal.run_requested_job(bigint),
    engage_internal.require_at_least_one(text, bigint)
TO engage_writer;

-- Messages and templates are written directly; their triggers check every template.
GRANT INSERT, UPDATE, DELETE ON engage.templates, engage.messages, engage.message_translations TO engage_writer;
GRANT USAGE ON SEQUENCE engage.messages_message_id_seq TO engage_writer;

GRANT EXECUTE ON FUNCTION
    engage.subscribe_contact(jsonb),
    engage.upsert_contacts(jsonb),
    engage.confirm_channel(text, text),
    engage.unsubscribe_emails(jsonb),
    engage.remove_unsubscribed_emails(jsonb),
    engage.generate_event(jsonb),
    engage.generate_events(jsonb),
    engage.create_group(text),
    engage.add_to_group(text, bigint[]),
    engage.remove_from_group(text, bigint[]),
    engage.add_orders(jsonb, boolean),
    engage.register_devices(jsonb),
    engage.recompute_rfm(timestamptz, boolean),
    engage_internal.recompute_rfm_job(jsonb)
TO engage_writer;

-- Workflows and sends: readers see them (event history, statuses); writers feed and run them
-- (events, processing, smartsend, broadcasts, the transport's claims and reports); admins
-- define workflows, their links and regular triggers.
GRANT EXECUTE ON FUNCTION
    engage.contact_context(bigint),
    engage_internal.contact_context_of(bigint, text, text, text, text, text, text[]),
    engage_internal.message_version(bigint, text),
    engage_internal.workflow_named(text),
    engage.event_history(text, timestamptz, timestamptz, text, integer),
    engage.message_status(text),
    engage_internal.request_uuid(text, text),
    engage_internal.media_channel(text),
    engage.workflow_worker_status(),
    engage.broadcast_recipient(bigint, bigint)
TO engage_reader;
GRANT EXECUTE ON FUNCTION
    engage_internal.wake_workflow_worker(),
    engage.process_events(integer),
    engage.retry_dead_letters(bigint[]),
    engage.run_due_waits(timestamptz, integer),
    engage.smartsend(integer, jsonb),
    engage.claim_sends(integer, interval, text[]),
    engage.report_delivery(uuid, text, jsonb),
    engage.report_delivery(text, text, jsonb),
    engage.send_broadcast(integer, bigint[], text, timestamptz),
    engage.send_broadcast(text, text[], text, timestamptz),
    engage.pause_broadcast(bigint),
    engage.resume_broadcast(bigint),
    engage.cancel_broadcast(bigint, text),
    engage.run_regular_trigger(bigint, timestamptz),
    engage_internal.run_regular_trigger_job(jsonb)
TO engage_writer;

GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA engage TO engage_admin;

-- Internal steps (schema engage_internal) are not an API. PostgreSQL checks EXECUTE as the
-- current user, so the steps that a public function, trigger or job runs with the caller's own
-- rights (an export or list sync acting as its owner, a job as the role that scheduled it) must be
-- executable by that role; they grant no rights of their own. The definer steps among them take a
-- voucher (engage_internal.vouch) and act only for the role it names. The catalog test lists them.
GRANT USAGE ON SCHEMA engage_internal TO engage_reader;
-- Views read their internal steps as their reader: engage.export_progress the progress slots,
-- engage.order_attributions the attribution window and the activity that earned each order.
GRANT EXECUTE ON FUNCTION engage_internal.export_progress_slots(), engage_internal.revenue_attribution_window(),
    engage_internal.attributed_activity(bigint, timestamptz, interval)
TO engage_reader;
GRANT EXECUTE ON FUNCTION
    engage_internal.appended_between(written bigint, since txid_snapshot, upto txid_snapshot),
    engage_internal.broadcast_members(segment_ids bigint[]),
    engage_internal.claim_due_runs(at timestamp with time zone, voucher bigint, for_worker boolean),
    engage_internal.column_type(relation regclass, key_column text),
    engage_internal.connection_problem(c engage.connectors, server_message text, OUT message text, OUT hint text),
    engage_internal.connector_named(connector_name text),
    engage_internal.connector_schema(c engage.connectors),
    engage_internal.contact_context_of(contact_id bigint, external_customer_id text, first_name text, last_name text, language_code text, time_zone text, reads text[]),
    engage_internal.data_sql(keyed_by text, ids text),
    engage_internal.default_time_zone(),
    engage_internal.dynamic_segment_named(segment text),
    engage_internal.execute_run(run bigint),
    engage_internal.export_changes_broadcasts(since txid_snapshot, stable bigint),
    engage_internal.export_changes_contacts(since txid_snapshot, stable bigint),
    engage_internal.export_changes_devices(since txid_snapshot, stable bigint),
    engage_internal.export_changes_messages(since txid_snapshot, stable bigint),
    engage_internal.export_changes_order_items(since txid_snapshot, stable bigint),
    engage_internal.export_changes_orders(since txid_snapshot, stable bigint),
    engage_internal.export_changes_revenue(since txid_snapshot, stable bigint),
    engage_internal.export_check_definition(export_name text, c engage.connectors, schema name, datasets text[]),
    engage_internal.export_check_target(schema name, datasets text[], target jsonb, place text, OUT missing text[], OUT state_missing boolean),
    engage_internal.export_column_list(dataset text, with_types boolean),
    engage_internal.export_columns(dataset text),
    engage_internal.export_dataset(e engage.data_exports, c engage.connectors, d engage.export_datasets, since txid_snapshot, upto txid_snapshot, stable bigint, created boolean, OUT mode text, OUT rows_inserted bigint, OUT rows_updated bigint, OUT rows_deleted bigint),
    engage_internal.export_dataset_names(datasets text[]),
    engage_internal.export_describe_target(c engage.connectors, schema name, datasets text[]),
    engage_internal.export_estimate(relation regclass),
    engage_internal.export_event_params(params jsonb),
    engage_internal.export_named(export_name text),
    engage_internal.export_order_status(status text),
    engage_internal.export_prepare_target(e engage.data_exports, c engage.connectors),
    engage_internal.export_progress_add(rows bigint),
    engage_internal.export_progress_start(export_id bigint, dataset text, rows_estimate bigint),
    engage_internal.export_relation(e engage.data_exports, c engage.connectors, table_name name),
    engage_internal.export_rows_broadcasts(keys bigint[]),
    engage_internal.export_rows_contact_activities(since txid_snapshot, upto txid_snapshot, first_page bigint, last_page bigint, key_from uuid, key_to uuid),
    engage_internal.export_rows_contacts(keys bigint[]),
    engage_internal.export_rows_devices(keys text[]),
    engage_internal.export_rows_events(since txid_snapshot, upto txid_snapshot, first_page bigint, last_page bigint, key_from timestamp with time zone, key_to timestamp with time zone),
    engage_internal.export_rows_messages(keys integer[]),
    engage_internal.export_rows_order_items(keys bigint[]),
    engage_internal.export_rows_orders(keys bigint[]),
    engage_internal.export_rows_revenue(keys text[]),
    engage_internal.export_stable_xid(),
    engage_internal.export_table_ddl(schema name, dataset text),
    engage_internal.export_tables(datasets text[]),
    engage_internal.export_target_query(schema name, tables name[]),
    engage_internal.export_tombstoned(dataset text, since txid_snapshot),
    engage_internal.forget_exported_tombstones(),
    engage_internal.forget_loaded_templates(),
    engage_internal.in_pages(row_ctid tid, first_page bigint, last_page bigint),
    engage_internal.job_named(job_name text),
    engage_internal.json_instant(t timestamp with time zone),
    engage_internal.leaf_tables(relation regclass),
    engage_internal.list_sync_check(d engage.list_sync_definitions),
    engage_internal.list_sync_has_key(sync bigint),
    engage_internal.list_sync_named(sync_name text),
    engage_internal.list_sync_row("row" text, action text, extra text),
    engage_internal.list_sync_source(d engage.list_sync_definitions),
    engage_internal.list_sync_stage_rows(d engage.list_sync_definitions, run bigint, full_resync boolean),
    engage_internal.list_sync_strings(d engage.list_sync_definitions, at timestamp with time zone),
    engage_internal.list_sync_summary(c engage.list_sync_run_counts),
    engage_internal.list_sync_unsubscriber(key text),
    engage_internal.media_channel(media_type text),
    engage_internal.message_contact_reads(message_id integer),
    engage_internal.message_version(message_id bigint, wanted text, OUT language text, OUT subject text, OUT body text),
    engage_internal.partition_key_span(relation regclass),
    engage_internal.partition_key_value(key_kind text, at timestamp with time zone, high boolean),
    engage_internal.partition_ranges(relation regclass),
    engage_internal.properties_read(variable text, templates text[]),
    engage_internal.recompute_rfm_job(arguments jsonb),
    engage_internal.refresh_segment_job(arguments jsonb),
    engage_internal.render_for_send(message_id integer, subject text, body text, contact jsonb, data json, params jsonb, json_source text),
    engage_internal.request_uuid(id text, element text),
    engage_internal.require_at_least_one(argument text, value bigint),
    engage_internal.require_dblink(),
    engage_internal.run_broadcast_job(arguments jsonb),
    engage_internal.run_export(arguments jsonb),
    engage_internal.run_list_sync(arguments jsonb),
    engage_internal.run_regular_trigger_job(arguments jsonb),
    engage_internal.run_requested_job(job bigint),
    engage_internal.run_retention_job(arguments jsonb),
    engage_internal.segment_named(segment text),
    engage_internal.send_state(campaign_type text, marketing boolean, channel text, locator text, channel_status text, unsubscribed boolean, bounce_reason text, error text),
    engage_internal.send_statement(requests text, messages text, summary text),
    engage_internal.source_row_json(relation regclass),
    engage_internal.start_broadcast(broadcast_id bigint, OUT queued integer, OUT suppressed integer, OUT failed integer),
    engage_internal.store_connector(voucher bigint, name text, host text, port integer, database text, username text, password text, contact_key text, contact_key_field integer, ssl_mode text),
    engage_internal.store_data_source(voucher bigint, name text, connector text, relation text, local regclass, key_column text),
    engage_internal.store_list_sync_key(voucher bigint, sync bigint, api_key text),
    engage_internal.vouch(),
    engage_internal.wake_scheduler(),
    engage_internal.wake_workflow_worker(),
    engage_internal.written_since(row_xmin xid, since txid_snapshot, stable bigint)
TO engage_admin;


-- Admins define the RFM segments (engage.set_rfm_bands changes the thresholds).
GRANT INSERT, UPDATE, DELETE ON engage.rfm_segments TO engage_admin;



-- The nightly RFM job and the retention job belong to engage_admin, so that every admin sees and
-- changes them (row security shows a role the jobs of roles it has the rights of) and they run
-- with admin rights.
SET LOCAL ROLE engage_admin;
INSERT INTO engage.scheduled_jobs (name, schedule, kind) VALUES ('rfm nightly', '0 3 * * *', 'rfm');
-- Retention likewise (sql/retention.sql): hourly at minute 7, UTC.
INSERT INTO engage.scheduled_jobs (name, schedule, kind, time_zone) VALUES ('engage retention', '7 * * * *', 'retention', 'UTC');
RESET ROLE;

-- Exports: admins define and run them (they copy every dataset out), under row security like
-- jobs; each run acts as the export's owner, who writes the target and the run's records.
GRANT INSERT (name, connector_id, datasets, target_schema, job_id), UPDATE (datasets, full_resync), DELETE
    ON engage.data_exports TO engage_admin;
GRANT USAGE ON SEQUENCE engage.data_exports_export_id_seq TO engage_admin;
GRANT INSERT ON engage.export_dataset_runs TO engage_admin;

-- List syncs: admins define and run them, under row security like jobs; each run's planning acts
-- as the sync's owner. The API keys are the delivery step's alone: no user role reads them.
GRANT INSERT (name, query, segment_id, columns, strings, action, list_id, campaign_id, channel_unsubscribe,
              skip_invalid_data, region, api_url, job_id),
    UPDATE (query, segment_id, columns, strings, action, list_id, campaign_id, channel_unsubscribe, skip_invalid_data,
            region, api_url, full_resync),
    DELETE ON engage.list_sync_definitions TO engage_admin;
GRANT USAGE ON SEQUENCE engage.list_sync_definitions_sync_id_seq TO engage_admin;
GRANT INSERT, UPDATE, DELETE ON engage.list_sync_rows TO engage_admin;
GRANT INSERT ON engage.list_sync_run_counts, engage.list_sync_invalid_rows TO engage_admin;
GRANT INSERT, UPDATE, DELETE ON engage.list_sync_stage TO engage_admin;
REVOKE ALL ON engage.list_sync_keys FROM engage_reader, engage_writer, engage_admin;
GRANT EXECUTE ON FUNCTION engage_internal.list_sync_has_key(bigint) TO engage_reader;

-- Erasure: writers erase a person (the function runs as the extension owner, since writers
-- delete nothing directly).
GRANT EXECUTE ON FUNCTION engage.erase_contact(bigint, text, text, text) TO engage_writer;
GRANT EXECUTE ON FUNCTION engage.normalize_channel(text, text) TO engage_reader;

-- Metrics: readers (a monitoring role) scrape them; counts over every owner's jobs, so they run as
-- the extension owner.
GRANT EXECUTE ON FUNCTION engage.metrics() TO engage_reader;
