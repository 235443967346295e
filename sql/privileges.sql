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

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA engage FROM PUBLIC;
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
GRANT EXECUTE ON FUNCTION engage.forget_loaded_templates() TO engage_writer;

-- Data sources: admins connect them; readers read a contact's data through them (the foreign
-- tables and user mappings belong to the extension owner).
GRANT EXECUTE ON FUNCTION engage.contact_data(bigint, text) TO engage_reader;

-- Segments: readers preview and read them; writers define and refresh them.
GRANT EXECUTE ON FUNCTION
    engage.compile_segment_rule(jsonb, bigint),
    engage.preview_segment(jsonb, timestamptz, integer),
    engage.segment_sql(text),
    engage.segment_contacts(text),
    engage.segment_named(text),
    engage.dynamic_segment_named(text),
    engage.default_time_zone()
TO engage_reader;
GRANT EXECUTE ON FUNCTION
    engage.create_segment(text, jsonb),
    engage.alter_segment(text, jsonb),
    engage.drop_segment(text),
    engage.refresh_segment(text, timestamptz),
    engage.refresh_segment_job(jsonb)
TO engage_writer;

-- Jobs: writers schedule their own (row security shows each role the jobs of roles whose rights
-- it has); the scheduling steps run as the extension owner and are for admins and the worker.
GRANT EXECUTE ON FUNCTION
    engage.cron_next(text, timestamptz, text, integer, text),
    engage.cron_count(text, timestamptz, timestamptz, text, text),
    engage.scheduler_status()
TO engage_reader;
GRANT EXECUTE ON FUNCTION engage.wake_scheduler() TO engage_writer;
GRANT INSERT (name, schedule, command, time_zone, delay, day_rule, max_failures, kind, arguments, enabled),
    UPDATE (name, schedule, command, time_zone, delay, day_rule, max_failures, kind, arguments, enabled, run_requested),
    DELETE ON engage.scheduled_jobs TO engage_writer;
GRANT USAGE ON SEQUENCE engage.scheduled_jobs_job_id_seq TO engage_writer;
GRANT EXECUTE ON FUNCTION
    engage.schedule_job(text, text, text, text, interval, text, integer, text, jsonb),
    engage.alter_job(text, text, text, text, interval, text, integer, boolean, text, jsonb),
    engage.unschedule_job(text),
    engage.job_named(text),
    engage.run_job_now(text),
    engage.run_requested_job(bigint),
    engage.require_at_least_one(text, bigint)
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
    engage.recompute_rfm_job(jsonb)
TO engage_writer;

-- Workflows and sends: readers see them (event history, statuses); writers feed and run them
-- (events, processing, smartsend, broadcasts, the transport's claims and reports); admins
-- define workflows, their links and regular triggers.
GRANT EXECUTE ON FUNCTION
    engage.contact_context(bigint),
    engage.contact_contexts(bigint[], text[]),
    engage.message_version(bigint, text),
    engage.workflow_named(text),
    engage.event_history(text, timestamptz, timestamptz, text, integer),
    engage.message_status(text),
    engage.request_uuid(text, text),
    engage.media_channel(text),
    engage.workflow_worker_status(),
    engage.broadcast_recipient(bigint, bigint)
TO engage_reader;
GRANT EXECUTE ON FUNCTION
    engage.wake_workflow_worker(),
    engage.process_events(integer),
    engage.retry_dead_letters(bigint[]),
    engage.run_due_waits(timestamptz, integer),
    engage.smartsend(integer, jsonb),
    engage.claim_sends(integer, interval, text[]),
    engage.report_delivery(uuid, text, jsonb),
    engage.report_delivery(text, text, jsonb),
    engage.send_broadcast(integer, bigint[], text, timestamptz),
    engage.pause_broadcast(bigint),
    engage.resume_broadcast(bigint),
    engage.cancel_broadcast(bigint, text),
    engage.run_regular_trigger(bigint, timestamptz),
    engage.run_regular_trigger_job(jsonb)
TO engage_writer;

GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA engage TO engage_admin;
ALTER FUNCTION engage.create_frequency_cap(text, integer, interval, integer, text) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.create_quiet_hours(text, time, time, text) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.drop_delivery_policy(text) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
-- Running commands as other roles is the scheduler's alone.
REVOKE EXECUTE ON FUNCTION engage.execute_as(oid, text, text, jsonb) FROM engage_admin;

ALTER FUNCTION engage.drop_connector(text) SECURITY DEFINER SET search_path = pg_catalog, pg_temp
    SET client_min_messages = warning;
ALTER FUNCTION engage.validate_connector(text) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.drop_data_source(text) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.contact_data(bigint, text) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.compile_segment_rule(jsonb, bigint) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.preview_segment(jsonb, timestamptz, integer) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.create_segment(text, jsonb) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.alter_segment(text, jsonb) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.drop_segment(text) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.refresh_segment(text, timestamptz) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.run_requested_job(bigint) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.claim_due_runs(timestamptz, bigint, boolean) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.execute_run(bigint) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.mark_interrupted_runs() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

ALTER FUNCTION engage.subscribe_contact(jsonb) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.upsert_contacts(jsonb) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.confirm_channel(text, text) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.unsubscribe_emails(jsonb) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.remove_unsubscribed_emails(jsonb) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.generate_event(jsonb) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.generate_events(jsonb) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.add_orders(jsonb, boolean) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.register_devices(jsonb) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.recompute_rfm(timestamptz, boolean) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.set_rfm_bands(integer[], integer[], numeric[]) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.create_rfm_segments() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.attribute_revenue(bigint[], bigint[]) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
-- Admins define the RFM segments (engage.set_rfm_bands changes the thresholds).
GRANT INSERT, UPDATE, DELETE ON engage.rfm_segments TO engage_admin;

ALTER FUNCTION engage.create_group(text) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.add_to_group(text, bigint[]) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.remove_from_group(text, bigint[]) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.create_field(text, text, text[], boolean, boolean, text, text, integer) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.alter_field(integer, text, text[], boolean, boolean, text, text) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.drop_field(integer) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.create_event_type(text, text, text, text) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

ALTER FUNCTION engage.create_workflow(text, jsonb, text[]) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.alter_workflow(text, jsonb, boolean) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.set_retention(text, interval) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.apply_retention(timestamptz, integer) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.link_event(text, text, text, text, interval) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.unlink_event(text, text) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.activate_workflow(text) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.deactivate_workflow(text) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.drop_workflow(text) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.create_regular_trigger(text, text, text) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.run_regular_trigger(bigint, timestamptz) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.process_events(integer) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.retry_dead_letters(bigint[]) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.run_due_waits(timestamptz, integer) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.smartsend(integer, jsonb) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.claim_sends(integer, interval, text[]) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.report_delivery(uuid, text, jsonb) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.send_broadcast(integer, bigint[], text, timestamptz) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.pause_broadcast(bigint) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.resume_broadcast(bigint) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.cancel_broadcast(bigint, text) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

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
-- Recording a run failed is the scheduler's alone (execute_run, the scheduler's worker).
REVOKE EXECUTE ON FUNCTION engage.fail_run(bigint, text, text, text) FROM engage_admin;

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
ALTER FUNCTION engage.store_list_sync_key(bigint, bigint, text) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
ALTER FUNCTION engage.list_sync_has_key(bigint) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
GRANT EXECUTE ON FUNCTION engage.list_sync_has_key(bigint) TO engage_reader;
REVOKE EXECUTE ON FUNCTION
    engage.list_sync_next_batch(bigint, text, text),
    engage.record_list_sync_batch(bigint, text[], text[], text[], integer),
    engage.count_list_sync_retries(bigint, integer),
    engage.finish_list_sync_run(bigint, text, text, text)
FROM engage_admin;

-- Erasure: writers erase a person (the function runs as the extension owner, since writers
-- delete nothing directly).
ALTER FUNCTION engage.erase_contact(bigint, text, text, text) SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
GRANT EXECUTE ON FUNCTION engage.erase_contact(bigint, text, text, text) TO engage_writer;
GRANT EXECUTE ON FUNCTION engage.normalize_channel(text, text) TO engage_reader;
-- An export's run (as its owner, under row security) forgets the tombstones every export has
-- seen, its own and other owners' alike: as the extension owner.
ALTER FUNCTION engage.forget_exported_tombstones() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;

-- Metrics: readers (a monitoring role) scrape them; counts over every owner's jobs, so they run as
-- the extension owner.
ALTER FUNCTION engage.metrics() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
GRANT EXECUTE ON FUNCTION engage.metrics() TO engage_reader;
