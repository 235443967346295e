-- pg_engage 0.1.0 to 0.2.0: the public surface.
-- Written by hand: the schema of internal steps, and every internal step moved into it (so that
-- \df engage.* lists the API), with dblink and postgres_fdw when pg_engage installed them in
-- schema engage; the cascade triggers, dropped here and made again at the end. Generated
-- (scripts/draft_upgrade.py): the functions whose definitions changed (their bodies call the
-- internal steps by their new schema; definer settings are now part of each definition), the new
-- ones and those that went, every comment, and the privileges.

CREATE SCHEMA engage_internal;

-- The cascades that stand in for missing foreign keys are now one trigger per dependent file
-- (made again at the end, once their function is replaced).
DROP TRIGGER contacts_deleted ON engage.contacts;
DROP TRIGGER contacts_truncated ON engage.contacts;
DROP TRIGGER fields_deleted ON engage.fields;
DROP TRIGGER fields_truncated ON engage.fields;
DROP TRIGGER workflows_deleted ON engage.workflows;
DROP TRIGGER workflows_truncated ON engage.workflows;

ALTER FUNCTION engage.advance_instances(at timestamp with time zone, OUT sends integer, OUT waiting integer, OUT completed integer, OUT failed integer) SET SCHEMA engage_internal;
ALTER FUNCTION engage.appended_between(written bigint, since txid_snapshot, upto txid_snapshot) SET SCHEMA engage_internal;
ALTER FUNCTION engage.attributed_activity(contact_id bigint, order_date timestamp with time zone, attribution_window interval) SET SCHEMA engage_internal;
ALTER FUNCTION engage.broadcast_members(segment_ids bigint[]) SET SCHEMA engage_internal;
ALTER FUNCTION engage.broadcast_numbered(id bigint) SET SCHEMA engage_internal;
ALTER FUNCTION engage.broadcast_pending(broadcast_id bigint) SET SCHEMA engage_internal;
ALTER FUNCTION engage.broadcasts_kept() SET SCHEMA engage_internal;
ALTER FUNCTION engage.check_policy(name text, applies_to text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.check_source_relation(role oid, relation regclass, key_column text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.check_workflow_blocks(rows jsonb) SET SCHEMA engage_internal;
ALTER FUNCTION engage.claim_due_runs(at timestamp with time zone, voucher bigint, for_worker boolean) SET SCHEMA engage_internal;
ALTER FUNCTION engage.column_type(relation regclass, key_column text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.connection_problem(c engage.connectors, server_message text, OUT message text, OUT hint text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.connector_named(connector_name text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.connector_schema(c engage.connectors) SET SCHEMA engage_internal;
ALTER FUNCTION engage.contact_contexts(contact_ids bigint[], reads text[]) SET SCHEMA engage_internal;
ALTER FUNCTION engage.contact_to_erase(contact_id bigint, external_customer_id text, email text, phone text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.contacts_by_keys(external_ids text[], emails text[], phones text[]) SET SCHEMA engage_internal;
ALTER FUNCTION engage.copied_columns(relation regclass) SET SCHEMA engage_internal;
ALTER FUNCTION engage.count_list_sync_retries(run bigint, retries integer) SET SCHEMA engage_internal;
ALTER FUNCTION engage.data_sql(keyed_by text, ids text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.deactivate_device(category text, push_token text, reason text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.default_time_zone() SET SCHEMA engage_internal;
ALTER FUNCTION engage.delete_dependents() SET SCHEMA engage_internal;
ALTER FUNCTION engage.drop_oldest_month(relation regclass) SET SCHEMA engage_internal;
ALTER FUNCTION engage.drop_source_view(s engage.data_sources) SET SCHEMA engage_internal;
ALTER FUNCTION engage.dynamic_segment_named(segment text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.event_types_guard() SET SCHEMA engage_internal;
ALTER FUNCTION engage.execute_as(role oid, search_path text, command text, arguments jsonb) SET SCHEMA engage_internal;
ALTER FUNCTION engage.execute_run(run bigint) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_changes_broadcasts(since txid_snapshot, stable bigint) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_changes_contacts(since txid_snapshot, stable bigint) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_changes_devices(since txid_snapshot, stable bigint) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_changes_messages(since txid_snapshot, stable bigint) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_changes_order_items(since txid_snapshot, stable bigint) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_changes_orders(since txid_snapshot, stable bigint) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_changes_revenue(since txid_snapshot, stable bigint) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_check_definition(export_name text, c engage.connectors, schema name, datasets text[]) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_check_target(schema name, datasets text[], target jsonb, place text, OUT missing text[], OUT state_missing boolean) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_column_list(dataset text, with_types boolean) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_columns(dataset text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_dataset(e engage.data_exports, c engage.connectors, d engage.export_datasets, since txid_snapshot, upto txid_snapshot, stable bigint, created boolean, OUT mode text, OUT rows_inserted bigint, OUT rows_updated bigint, OUT rows_deleted bigint) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_dataset_names(datasets text[]) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_describe_target(c engage.connectors, schema name, datasets text[]) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_estimate(relation regclass) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_event_params(params jsonb) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_forget(dataset text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_named(export_name text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_order_status(status text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_prepare_target(e engage.data_exports, c engage.connectors) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_progress_add(rows bigint) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_progress_slots() SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_progress_start(export_id bigint, dataset text, rows_estimate bigint) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_relation(e engage.data_exports, c engage.connectors, table_name name) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_rows_broadcasts(keys bigint[]) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_rows_contact_activities(since txid_snapshot, upto txid_snapshot, first_page bigint, last_page bigint, key_from uuid, key_to uuid) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_rows_contacts(keys bigint[]) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_rows_devices(keys text[]) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_rows_events(since txid_snapshot, upto txid_snapshot, first_page bigint, last_page bigint, key_from timestamp with time zone, key_to timestamp with time zone) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_rows_messages(keys integer[]) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_rows_order_items(keys bigint[]) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_rows_orders(keys bigint[]) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_rows_revenue(keys text[]) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_stable_xid() SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_table_ddl(schema name, dataset text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_tables(datasets text[]) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_target_query(schema name, tables name[]) SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_tombstone() SET SCHEMA engage_internal;
ALTER FUNCTION engage.export_tombstoned(dataset text, since txid_snapshot) SET SCHEMA engage_internal;
ALTER FUNCTION engage.fail_run(run bigint, message text, detail text, state text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.finish_list_sync_run(run bigint, message text, detail text, state text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.forget_exported_tombstones() SET SCHEMA engage_internal;
ALTER FUNCTION engage.forget_loaded_templates() SET SCHEMA engage_internal;
ALTER FUNCTION engage.hold_instance_parents(contact_ids bigint[], workflow_ids bigint[]) SET SCHEMA engage_internal;
ALTER FUNCTION engage.in_background_worker() SET SCHEMA engage_internal;
ALTER FUNCTION engage.in_pages(row_ctid tid, first_page bigint, last_page bigint) SET SCHEMA engage_internal;
ALTER FUNCTION engage.job_named(job_name text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.json_instant(t timestamp with time zone) SET SCHEMA engage_internal;
ALTER FUNCTION engage.leaf_tables(relation regclass) SET SCHEMA engage_internal;
ALTER FUNCTION engage.link_waiting_devices(contact_ids bigint[]) SET SCHEMA engage_internal;
ALTER FUNCTION engage.list_sync_check(d engage.list_sync_definitions) SET SCHEMA engage_internal;
ALTER FUNCTION engage.list_sync_has_key(sync bigint) SET SCHEMA engage_internal;
ALTER FUNCTION engage.list_sync_named(sync_name text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.list_sync_next_batch(run bigint, after_operation text, after_key text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.list_sync_row("row" text, action text, extra text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.list_sync_source(d engage.list_sync_definitions) SET SCHEMA engage_internal;
ALTER FUNCTION engage.list_sync_stage_rows(d engage.list_sync_definitions, run bigint, full_resync boolean) SET SCHEMA engage_internal;
ALTER FUNCTION engage.list_sync_strings(d engage.list_sync_definitions, at timestamp with time zone) SET SCHEMA engage_internal;
ALTER FUNCTION engage.list_sync_summary(c engage.list_sync_run_counts) SET SCHEMA engage_internal;
ALTER FUNCTION engage.list_sync_unsubscriber(key text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.maintain_partitions(at timestamp with time zone, ahead integer) SET SCHEMA engage_internal;
ALTER FUNCTION engage.mark_interrupted_runs() SET SCHEMA engage_internal;
ALTER FUNCTION engage.media_channel(media_type text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.message_contact_reads(message_id integer) SET SCHEMA engage_internal;
ALTER FUNCTION engage.message_version(message_id bigint, wanted text, OUT language text, OUT subject text, OUT body text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.month_can_go(relation regclass, partition regclass, cutoff timestamp with time zone) SET SCHEMA engage_internal;
ALTER FUNCTION engage.next_month(at timestamp with time zone) SET SCHEMA engage_internal;
ALTER FUNCTION engage.next_time_of_day(at timestamp with time zone, time_of_day time without time zone, tz text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.notify_transports() SET SCHEMA engage_internal;
ALTER FUNCTION engage.order_object(contact_id bigint, external_order_id text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.param_test(v jsonb, op text, expected text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.partition_bounds(key_kind text, from_time timestamp with time zone, to_time timestamp with time zone) SET SCHEMA engage_internal;
ALTER FUNCTION engage.partition_by_month(relation regclass, key_column name, key_kind text, month_start timestamp with time zone) SET SCHEMA engage_internal;
ALTER FUNCTION engage.partition_keep(relation regclass) SET SCHEMA engage_internal;
ALTER FUNCTION engage.partition_key_span(relation regclass) SET SCHEMA engage_internal;
ALTER FUNCTION engage.partition_key_value(key_kind text, at timestamp with time zone, high boolean) SET SCHEMA engage_internal;
ALTER FUNCTION engage.partition_name(relation regclass, month_start timestamp with time zone) SET SCHEMA engage_internal;
ALTER FUNCTION engage.partition_ranges(relation regclass) SET SCHEMA engage_internal;
ALTER FUNCTION engage.permanent_failure(detail jsonb) SET SCHEMA engage_internal;
ALTER FUNCTION engage.policy_holds(send_ids bigint[], at timestamp with time zone) SET SCHEMA engage_internal;
ALTER FUNCTION engage.prepare_send(message_id integer, subject text, body text, contact jsonb, params jsonb, json_source text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.properties_read(variable text, templates text[]) SET SCHEMA engage_internal;
ALTER FUNCTION engage.prune_workflow_versions(workflow_id bigint) SET SCHEMA engage_internal;
ALTER FUNCTION engage.queue_events() SET SCHEMA engage_internal;
ALTER FUNCTION engage.recompute_rfm_job(arguments jsonb) SET SCHEMA engage_internal;
ALTER FUNCTION engage.record_imported(contact_ids bigint[]) SET SCHEMA engage_internal;
ALTER FUNCTION engage.record_list_sync_batch(run bigint, keys text[], states text[], reasons text[], retries integer) SET SCHEMA engage_internal;
ALTER FUNCTION engage.refresh_segment_job(arguments jsonb) SET SCHEMA engage_internal;
ALTER FUNCTION engage.register_event_types(keys text[]) SET SCHEMA engage_internal;
ALTER FUNCTION engage.regular_trigger_period(r engage.regular_triggers, at timestamp with time zone) SET SCHEMA engage_internal;
ALTER FUNCTION engage.render_send(message_id integer, subject text, body text, contact jsonb, data json) SET SCHEMA engage_internal;
ALTER FUNCTION engage.request_uuid(id text, element text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.require_at_least_one(argument text, value bigint) SET SCHEMA engage_internal;
ALTER FUNCTION engage.require_broadcast_status(b engage.broadcasts, allowed text[], doing text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.require_dblink() SET SCHEMA engage_internal;
ALTER FUNCTION engage.require_value(argument text, value anyelement) SET SCHEMA engage_internal;
ALTER FUNCTION engage.resume_instances(instances bigint[], at timestamp with time zone, OUT sends integer, OUT waiting integer, OUT completed integer, OUT failed integer) SET SCHEMA engage_internal;
ALTER FUNCTION engage.revenue_attribution_window() SET SCHEMA engage_internal;
ALTER FUNCTION engage.rfm_cells() SET SCHEMA engage_internal;
ALTER FUNCTION engage.rfm_definitions_changed() SET SCHEMA engage_internal;
ALTER FUNCTION engage.run_broadcast_job(arguments jsonb) SET SCHEMA engage_internal;
ALTER FUNCTION engage.run_events(claimed bigint[], at timestamp with time zone, earliest timestamp with time zone, latest timestamp with time zone, OUT launched integer, OUT not_launched integer, OUT no_contact integer, OUT stopped integer, OUT sends integer, OUT waiting integer, OUT completed integer, OUT failed integer) SET SCHEMA engage_internal;
ALTER FUNCTION engage.run_export(arguments jsonb) SET SCHEMA engage_internal;
ALTER FUNCTION engage.run_list_sync(arguments jsonb) SET SCHEMA engage_internal;
ALTER FUNCTION engage.run_regular_trigger_job(arguments jsonb) SET SCHEMA engage_internal;
ALTER FUNCTION engage.run_requested_job(job bigint) SET SCHEMA engage_internal;
ALTER FUNCTION engage.run_retention_job(arguments jsonb) SET SCHEMA engage_internal;
ALTER FUNCTION engage.scheduled_jobs_changed() SET SCHEMA engage_internal;
ALTER FUNCTION engage.scheduled_jobs_written() SET SCHEMA engage_internal;
ALTER AGGREGATE engage.segment_diff(contact_id bigint, stored boolean) SET SCHEMA engage_internal;
ALTER FUNCTION engage.segment_diff_combine(first internal, second internal) SET SCHEMA engage_internal;
ALTER FUNCTION engage.segment_diff_deserialize(bytes bytea, _unused internal) SET SCHEMA engage_internal;
ALTER FUNCTION engage.segment_diff_final(state internal) SET SCHEMA engage_internal;
ALTER FUNCTION engage.segment_diff_serialize(state internal) SET SCHEMA engage_internal;
ALTER FUNCTION engage.segment_diff_step(internal, bigint, boolean) SET SCHEMA engage_internal;
ALTER FUNCTION engage.segment_named(segment text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.send_blocks(steps engage.workflow_step[], at timestamp with time zone) SET SCHEMA engage_internal;
ALTER FUNCTION engage.send_state(campaign_type text, marketing boolean, channel text, locator text, channel_status text, unsubscribed boolean, bounce_reason text, error text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.source_row_json(relation regclass) SET SCHEMA engage_internal;
ALTER FUNCTION engage.split_month_off(relation regclass) SET SCHEMA engage_internal;
ALTER FUNCTION engage.start_broadcast(broadcast_id bigint, OUT queued integer, OUT suppressed integer, OUT failed integer) SET SCHEMA engage_internal;
ALTER FUNCTION engage.store_connector(voucher bigint, name text, host text, port integer, database text, username text, password text, contact_key text, contact_key_field integer, ssl_mode text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.store_data_source(voucher bigint, name text, connector text, relation text, local regclass, key_column text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.store_devices(contact_ids bigint[], device_ids text[], push_tokens text[], categories text[], os_types text[], os_versions text[], device_models text[], app_versions text[], application_ids bigint[], language_codes text[], time_zones text[], external_customer_ids text[], emails text[], phones text[], OUT stored_contact_ids bigint[], OUT created boolean[]) SET SCHEMA engage_internal;
ALTER FUNCTION engage.store_list_sync_key(voucher bigint, sync bigint, api_key text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.store_orders(contact_ids bigint[], external_order_ids text[], external_customer_ids text[], statuses text[], status_descriptions text[], dates text[], total_costs text[], currencies text[], shippings text[], discounts text[], taxes text[], emails text[], phones text[], first_names text[], last_names text[], delivery_methods text[], payment_methods text[], delivery_addresses text[], restore_urls text[], store_ids text[], sources text[], additional_infos jsonb[], with_items boolean[], item_order_ids text[], item_positions integer[], item_ids text[], item_names text[], item_categories text[], item_quantities integer[], item_costs text[], item_urls text[], item_image_urls text[], item_descriptions text[], at timestamp with time zone, OUT created integer, OUT updated integer, OUT events integer) SET SCHEMA engage_internal;
ALTER FUNCTION engage.store_smartsend(message_id integer, locators text[], data text[], external_request_id text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.store_workflow(name text, tags text[], blocks jsonb, rows jsonb) SET SCHEMA engage_internal;
ALTER FUNCTION engage.store_workflow_blocks(workflow_id bigint, version integer, rows jsonb) SET SCHEMA engage_internal;
ALTER FUNCTION engage.store_workflow_version(workflow text, blocks jsonb, rows jsonb, move_waiting boolean) SET SCHEMA engage_internal;
ALTER FUNCTION engage.sync_device_channels(device_ids text[]) SET SCHEMA engage_internal;
ALTER FUNCTION engage.templates_checked() SET SCHEMA engage_internal;
ALTER FUNCTION engage.templates_written() SET SCHEMA engage_internal;
ALTER FUNCTION engage.time_ordered_uuid() SET SCHEMA engage_internal;
ALTER FUNCTION engage.transient_error(sqlstate text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.truncate_dependents() SET SCHEMA engage_internal;
ALTER FUNCTION engage.vouch() SET SCHEMA engage_internal;
ALTER FUNCTION engage.vouched_role(voucher bigint) SET SCHEMA engage_internal;
ALTER FUNCTION engage.wake_scheduler() SET SCHEMA engage_internal;
ALTER FUNCTION engage.wake_workflow_worker() SET SCHEMA engage_internal;
ALTER FUNCTION engage.workflow_named(workflow text) SET SCHEMA engage_internal;
ALTER FUNCTION engage.written_since(row_xmin xid, since txid_snapshot, stable bigint) SET SCHEMA engage_internal;

DO $$
DECLARE
    e record;
BEGIN
    FOR e IN SELECT x.extname FROM pg_extension x
             WHERE x.extname IN ('dblink', 'postgres_fdw') AND x.extnamespace = 'engage'::regnamespace LOOP
        EXECUTE format('ALTER EXTENSION %I SET SCHEMA engage_internal', e.extname);
    END LOOP;
END
$$;

-- Generated by scripts/draft_upgrade.py: functions that went, then functions, comments and
-- privileges as a fresh install has them.

DROP FUNCTION engage_internal.contact_contexts(bigint[],pg_catalog.text[]);
DROP FUNCTION engage_internal.prepare_send(integer,pg_catalog.text,pg_catalog.text,pg_catalog.jsonb,pg_catalog.jsonb,pg_catalog.text);
DROP FUNCTION engage_internal.render_send(integer,pg_catalog.text,pg_catalog.text,pg_catalog.jsonb,pg_catalog.json);
DROP FUNCTION engage_internal.truncate_dependents();

CREATE OR REPLACE FUNCTION engage.activate_workflow(workflow text)
 RETURNS text
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    w engage.workflows := engage_internal.workflow_named(workflow);
BEGIN
    IF NOT EXISTS (SELECT FROM engage.workflow_triggers t WHERE t.workflow_id = w.workflow_id AND t.action = 'start') THEN
        RAISE EXCEPTION 'workflow "%" has no start event', w.name USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Link one first: engage.link_event(workflow, event_type, ''start'', ''each time'').';
    END IF;
    UPDATE engage.workflows SET status = 'active', activated_at = now()
    WHERE workflow_id = w.workflow_id AND status <> 'active';
    RETURN 'active';
END
$function$;

CREATE OR REPLACE FUNCTION engage.alter_export(name text, datasets text[] DEFAULT NULL::text[], schedule text DEFAULT NULL::text, time_zone text DEFAULT NULL::text, delay interval DEFAULT NULL::interval, max_failures integer DEFAULT NULL::integer, enabled boolean DEFAULT NULL::boolean)
 RETURNS engage.exports
 LANGUAGE plpgsql
AS $function$
DECLARE
    e engage.data_exports := engage_internal.export_named(name);
    c engage.connectors;
    names text[];
    result engage.exports;
BEGIN
    IF datasets IS NOT NULL THEN
        names := engage_internal.export_dataset_names(datasets);
        SELECT * INTO c FROM engage.connectors x WHERE x.connector_id = e.connector_id;
        PERFORM engage_internal.export_check_definition(e.name, c, e.target_schema, names);
        UPDATE engage.data_exports x SET datasets = names WHERE x.export_id = e.export_id;
    END IF;
    PERFORM engage.alter_job(j.name, schedule => alter_export.schedule, time_zone => alter_export.time_zone,
                             delay => alter_export.delay, max_failures => alter_export.max_failures,
                             enabled => alter_export.enabled)
    FROM engage.scheduled_jobs j WHERE j.job_id = e.job_id;
    SELECT * INTO result FROM engage.exports x WHERE x.export_id = e.export_id;
    RETURN result;
END
$function$;

CREATE OR REPLACE FUNCTION engage.alter_job(name text, schedule text DEFAULT NULL::text, command text DEFAULT NULL::text, time_zone text DEFAULT NULL::text, delay interval DEFAULT NULL::interval, day_rule text DEFAULT NULL::text, max_failures integer DEFAULT NULL::integer, enabled boolean DEFAULT NULL::boolean, new_name text DEFAULT NULL::text, arguments jsonb DEFAULT NULL::jsonb)
 RETURNS engage.jobs
 LANGUAGE plpgsql
AS $function$
DECLARE
    job engage.scheduled_jobs := engage_internal.job_named(name);
    changed engage.jobs;
BEGIN
    IF command IS NOT NULL AND job.kind <> 'sql' THEN
        RAISE EXCEPTION 'a job of kind "%" takes arguments, not a command', job.kind
            USING ERRCODE = 'invalid_parameter_value', DETAIL = format('command: %s', command);
    END IF;
    IF delay < '0' OR max_failures < 1 THEN
        RAISE EXCEPTION 'delay must not be negative and max_failures must be at least 1'
            USING ERRCODE = 'invalid_parameter_value', DETAIL = format('delay: %s, max_failures: %s', delay, max_failures);
    END IF;
    UPDATE engage.scheduled_jobs j SET
        schedule = CASE WHEN alter_job.schedule IS NULL THEN j.schedule ELSE alter_job.schedule END,
        command = coalesce(alter_job.command, j.command),
        time_zone = coalesce(alter_job.time_zone, j.time_zone),
        delay = coalesce(alter_job.delay, j.delay),
        day_rule = coalesce(alter_job.day_rule, j.day_rule),
        max_failures = coalesce(alter_job.max_failures, j.max_failures),
        enabled = coalesce(alter_job.enabled, j.enabled),
        name = coalesce(alter_job.new_name, j.name),
        arguments = coalesce(alter_job.arguments, j.arguments)
    WHERE j.job_id = job.job_id;
    SELECT * INTO changed FROM engage.jobs v WHERE v.job_id = job.job_id;
    RETURN changed;
END
$function$;

CREATE OR REPLACE FUNCTION engage.alter_list_sync(name text, query text DEFAULT NULL::text, action text DEFAULT NULL::text, list_id bigint DEFAULT NULL::bigint, api_key text DEFAULT NULL::text, campaign_id bigint DEFAULT NULL::bigint, channel_unsubscribe boolean DEFAULT NULL::boolean, skip_invalid_data boolean DEFAULT NULL::boolean, region text DEFAULT NULL::text, schedule text DEFAULT NULL::text, time_zone text DEFAULT NULL::text, delay interval DEFAULT NULL::interval, max_failures integer DEFAULT NULL::integer, enabled boolean DEFAULT NULL::boolean, segment text DEFAULT NULL::text, columns jsonb DEFAULT NULL::jsonb, strings jsonb DEFAULT NULL::jsonb, api_url text DEFAULT NULL::text)
 RETURNS engage.list_syncs
 LANGUAGE plpgsql
AS $function$
DECLARE
    old engage.list_sync_definitions := engage_internal.list_sync_named(name);
    d engage.list_sync_definitions := old;
    result engage.list_syncs;
BEGIN
    IF query IS NOT NULL THEN
        d.query := nullif(btrim(query), '');
        d.segment_id := NULL;
    END IF;
    IF segment IS NOT NULL THEN
        d.segment_id := (engage_internal.segment_named(segment)).segment_id;
        d.query := NULL;
    END IF;
    d.columns := coalesce(columns, d.columns);
    d.strings := coalesce(strings, d.strings);
    d.action := coalesce(lower(action), d.action);
    d.list_id := coalesce(list_id, d.list_id);
    d.campaign_id := CASE WHEN campaign_id = 0 THEN NULL ELSE coalesce(campaign_id, d.campaign_id) END;
    d.channel_unsubscribe := coalesce(channel_unsubscribe, d.channel_unsubscribe);
    d.skip_invalid_data := coalesce(skip_invalid_data, d.skip_invalid_data);
    d.region := coalesce(lower(region), d.region);
    d.api_url := CASE WHEN api_url = '' THEN NULL ELSE coalesce(api_url, d.api_url) END;
    PERFORM engage_internal.list_sync_check(d);
    UPDATE engage.list_sync_definitions x SET query = d.query, segment_id = d.segment_id, columns = d.columns,
        strings = d.strings, action = d.action, list_id = d.list_id, campaign_id = d.campaign_id,
        channel_unsubscribe = d.channel_unsubscribe, skip_invalid_data = d.skip_invalid_data, region = d.region,
        api_url = d.api_url
    WHERE x.sync_id = d.sync_id;
    IF (d.api_url, d.region) IS DISTINCT FROM (old.api_url, old.region) AND api_key IS NULL THEN
        RAISE EXCEPTION 'changing where a list sync posts needs its API key again' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'api_url or region changed', HINT = 'Give api_key => … in the same call: the key goes only where its giver sends it.';
    END IF;
    IF (d.query, d.segment_id, d.action, d.list_id) IS DISTINCT FROM (old.query, old.segment_id, old.action, old.list_id) THEN
        DELETE FROM engage.list_sync_rows m WHERE m.sync_id = d.sync_id;
    ELSIF d.strings IS DISTINCT FROM old.strings THEN
        -- Strings are not part of a row's hash (the time would change it every run): send all.
        UPDATE engage.list_sync_definitions x SET full_resync = true WHERE x.sync_id = d.sync_id;
    END IF;
    IF api_key IS NOT NULL THEN
        PERFORM engage_internal.store_list_sync_key(engage_internal.vouch(), d.sync_id, api_key);
    END IF;
    PERFORM engage.alter_job(j.name, schedule => alter_list_sync.schedule, time_zone => alter_list_sync.time_zone,
                             delay => alter_list_sync.delay, max_failures => alter_list_sync.max_failures,
                             enabled => alter_list_sync.enabled)
    FROM engage.scheduled_jobs j WHERE j.job_id = d.job_id;
    SELECT * INTO result FROM engage.list_syncs x WHERE x.sync_id = d.sync_id;
    RETURN result;
END
$function$;

CREATE OR REPLACE FUNCTION engage.alter_segment(segment text, rule jsonb)
 RETURNS bigint
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    s engage.segments := engage_internal.dynamic_segment_named(segment);
    compiled record;
BEGIN
    SELECT * INTO compiled FROM engage.compile_segment_rule(rule, s.segment_id);
    UPDATE engage.segments x SET rule = alter_segment.rule, sql = compiled.sql, params = compiled.params, uses = compiled.uses
    WHERE x.segment_id = s.segment_id;
    RETURN s.segment_id;
END
$function$;

CREATE OR REPLACE FUNCTION engage.apply_retention(at timestamp with time zone DEFAULT now(), max_rows integer DEFAULT 100000)
 RETURNS TABLE(kind text, months_dropped integer, removed bigint, more boolean)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    r record;
    leaf regclass;
    n bigint;
    -- What each kind's deletes did (reported once the months dropped are known too).
    kinds text[] := '{}';
    relations regclass[] := '{}';
    removals bigint[] := '{}';
    dropped jsonb := '{}';
    i integer;
BEGIN
    PERFORM engage_internal.require_at_least_one('max_rows', max_rows);
    PERFORM engage_internal.require_value('at', at);
    IF NOT isfinite(at) OR at > now() + interval '10 years' THEN
        RAISE EXCEPTION 'at must be a time before ten years from now' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('argument at: %s', at);
    END IF;
    FOR r IN
        SELECT x.kind, x.keep, x.relation, t.old_rows
        FROM engage.retention x
        JOIN (VALUES
            ('events', 'x.registered_at < $1 AND NOT EXISTS (SELECT FROM engage.event_queue q WHERE q.event_id = x.event_id)'),
            ('sends', 'x.created_at < $1 AND x.status NOT IN (''QUEUED'', ''HELD'', ''PAUSED'', ''SENDING'')'),
            ('activities', 'x.activity_at < $1'),
            ('workflow_instances',
             'x.started_at < $1 AND x.ended_at < $1 AND x.status IN (''completed'', ''stopped'', ''failed'') '
             'AND (x.launch_period IS NULL OR upper(x.launch_period) <= $2)'),
            ('segment_changes', 'x.changed_at < $1'),
            ('notifications', 'x.created_at < $1'),
            ('dead_letters', 'x.failed_at < $1')
        ) AS t(kind, old_rows) ON t.kind = x.kind
        WHERE x.keep IS NOT NULL
        ORDER BY x.kind
    LOOP
        n := 0;
        -- Row addresses are a partition's own: each partition is deleted from by itself.
        FOR leaf IN SELECT l FROM engage_internal.leaf_tables(r.relation) l ORDER BY l LOOP
            EXIT WHEN n >= max_rows;
            -- A month that goes whole below is not deleted from row by row first.
            CONTINUE WHEN engage_internal.month_can_go(r.relation, leaf, at - r.keep);
            EXECUTE format('WITH gone AS (DELETE FROM %1$s t WHERE t.ctid = ANY (ARRAY('
                           'SELECT x.ctid FROM %1$s x WHERE %2$s LIMIT $3)) RETURNING 1) '
                           'SELECT $4 + count(*) FROM gone', leaf, r.old_rows)
            INTO n USING at - r.keep, at, max_rows - n, n;
        END LOOP;
        kinds := kinds || r.kind;
        relations := relations || r.relation;
        removals := removals || n;
    END LOOP;
    -- The partitions last: changing them holds their tables exclusively until this transaction
    -- ends, which then comes at once, and this transaction holds nothing that a session waiting
    -- for those tables could be waiting for in turn.
    SELECT coalesce(jsonb_object_agg(m.relation::text, m.months), '{}') INTO dropped
    FROM (SELECT m.relation, count(*) AS months FROM engage_internal.maintain_partitions(at) m
          WHERE m.action = 'dropped' GROUP BY m.relation) m;
    FOR i IN 1 .. cardinality(kinds) LOOP
        kind := kinds[i];
        months_dropped := coalesce((dropped ->> relations[i]::text)::integer, 0);
        removed := removals[i];
        more := removals[i] >= max_rows;
        UPDATE engage.retention x SET last_run_at = at, last_removed = removals[i] WHERE x.kind = kinds[i];
        RETURN NEXT;
    END LOOP;
END
$function$;

CREATE OR REPLACE FUNCTION engage.attribute_revenue(contact_ids bigint[] DEFAULT NULL::bigint[], order_ids bigint[] DEFAULT NULL::bigint[])
 RETURNS bigint
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    n bigint;
BEGIN
    IF (contact_ids IS NULL) <> (order_ids IS NULL) OR cardinality(contact_ids) <> cardinality(order_ids) THEN
        RAISE EXCEPTION 'contact_ids and order_ids are pairs: give both, as long, or neither'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF contact_ids IS NULL THEN
        DELETE FROM engage.revenue;
        PERFORM engage_internal.export_forget('revenue');
        INSERT INTO engage.revenue SELECT v.*, now() FROM engage.order_attributions v;
    ELSE
        DELETE FROM engage.revenue r USING (SELECT unnest(contact_ids) AS contact_id, unnest(order_ids) AS order_id) k
        WHERE r.contact_id = k.contact_id AND r.order_id = k.order_id;
        INSERT INTO engage.revenue
        SELECT v.*, now() FROM (SELECT unnest(contact_ids) AS contact_id, unnest(order_ids) AS order_id) k
        CROSS JOIN LATERAL (SELECT * FROM engage.order_attributions v
                            WHERE v.contact_id = k.contact_id AND v.order_id = k.order_id OFFSET 0) v;
    END IF;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$function$;

CREATE OR REPLACE FUNCTION engage.cancel_broadcast(broadcast_id bigint, reason text DEFAULT NULL::text)
 RETURNS engage.broadcasts
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    b engage.broadcasts := engage_internal.broadcast_numbered(broadcast_id);
    why text := 'the broadcast was cancelled' || coalesce(': ' || nullif(btrim(reason), ''), '');
BEGIN
    PERFORM engage_internal.require_broadcast_status(b, ARRAY['SCHEDULED', 'RUNNING', 'PAUSED'], 'cancelled');
    UPDATE engage.scheduled_jobs j SET enabled = false
    WHERE j.kind = 'broadcast' AND j.arguments = jsonb_build_object('broadcast', b.broadcast_id);
    UPDATE engage.sends s SET status = 'SUPPRESSED', reason = why, not_before = NULL, hold_reason = NULL, updated_at = now()
    WHERE s.broadcast_id = b.broadcast_id AND s.status IN ('QUEUED', 'HELD', 'PAUSED');
    UPDATE engage.broadcasts x SET status = 'IDLE', cancelled_at = now(), cancel_reason = nullif(btrim(reason), ''),
        updated_at = now()
    WHERE x.broadcast_id = b.broadcast_id RETURNING * INTO b;
    RETURN b;
END
$function$;

CREATE OR REPLACE FUNCTION engage.claim_sends(max_sends integer DEFAULT 100, lease interval DEFAULT '00:05:00'::interval, channels text[] DEFAULT NULL::text[])
 RETURNS TABLE(request_id uuid, channel text, locator text, subject text, body text, contact_id bigint, message_id integer, attempts integer, campaign_type text)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    known constant text[] := ARRAY['email', 'sms', 'viber', 'webpush', 'mobilepush', 'telegram'];
    served text[] := coalesce(channels, known);
    unknown text;
    picked bigint[];
    at timestamptz := clock_timestamp();
BEGIN
    IF max_sends IS NULL OR max_sends < 1 OR lease IS NULL OR lease <= interval '0' THEN
        RAISE EXCEPTION 'claim_sends needs max_sends of at least 1 and a positive lease'
            USING ERRCODE = 'invalid_parameter_value', DETAIL = format('max_sends: %s, lease: %s', max_sends, lease);
    END IF;
    SELECT coalesce(c, 'NULL') INTO unknown FROM unnest(served) c
    WHERE c IS NULL OR NOT c = ANY (known) LIMIT 1;
    IF unknown IS NOT NULL THEN
        RAISE EXCEPTION 'unknown channel "%"', unknown USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'argument channels', HINT = 'Channels are email, sms, viber, webpush, mobilepush and telegram.';
    END IF;
    -- Leases that ran out, and holds of delivery policies whose time has come: back to the queue.
    -- (The time is a variable, not clock_timestamp() itself, so that it bounds the index scans.)
    UPDATE engage.sends s SET status = 'QUEUED', lease_until = NULL, updated_at = at
    WHERE s.send_id IN (SELECT x.send_id FROM engage.sends x
                        WHERE x.status = 'SENDING' AND x.lease_until < at AND x.channel = ANY (served)
                        FOR UPDATE SKIP LOCKED);
    UPDATE engage.sends s SET status = 'QUEUED', not_before = NULL, updated_at = at
    WHERE s.send_id IN (SELECT x.send_id FROM engage.sends x
                        WHERE x.status = 'HELD' AND x.not_before <= at AND x.channel = ANY (served)
                        FOR UPDATE SKIP LOCKED);
    picked := ARRAY(
        SELECT c.send_id FROM unnest(served) AS ch(channel)
        CROSS JOIN LATERAL (SELECT x.send_id, x.priority FROM engage.sends x
                            WHERE x.status = 'QUEUED' AND x.channel = ch.channel
                            ORDER BY x.priority, x.send_id LIMIT max_sends FOR UPDATE SKIP LOCKED) c
        ORDER BY c.priority, c.send_id LIMIT max_sends);
    -- Delivery policies hold some back (engage_internal.policy_holds): they wait as HELD, saying why and
    -- until when.
    IF EXISTS (SELECT FROM engage.delivery_policies) THEN
        UPDATE engage.sends s SET status = 'HELD', not_before = h.hold_until, hold_reason = h.reason,
            updated_at = clock_timestamp()
        FROM engage_internal.policy_holds(picked, clock_timestamp()) h WHERE s.send_id = h.send_id;
    END IF;
    RETURN QUERY
    UPDATE engage.sends s
    SET status = 'SENDING', lease_until = clock_timestamp() + lease, attempts = s.attempts + 1, hold_reason = NULL,
        sent_at = coalesce(s.sent_at, clock_timestamp()), updated_at = clock_timestamp()
    WHERE s.send_id = ANY (picked) AND s.status = 'QUEUED'
    RETURNING s.request_id, s.channel, s.locator, s.subject, s.body, s.contact_id, s.message_id, s.attempts,
              s.campaign_type;
END
$function$;

CREATE OR REPLACE FUNCTION engage.contact_context(contact_id bigint)
 RETURNS jsonb
 LANGUAGE sql
 STABLE PARALLEL SAFE
AS $function$
    SELECT x.context FROM engage.contacts c,
        engage_internal.contact_context_of(c.contact_id, c.external_customer_id, c.first_name, c.last_name,
                                           c.language_code, c.time_zone) x
    WHERE c.contact_id = contact_context.contact_id
$function$;

CREATE OR REPLACE FUNCTION engage.contact_data(contact_id bigint, keyed_by text DEFAULT 'name'::text)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    result jsonb;
BEGIN
    IF keyed_by IS NULL OR keyed_by NOT IN ('name', 'id') THEN
        RAISE EXCEPTION 'keyed_by must be name or id' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('keyed_by: %s', keyed_by);
    END IF;
    IF NOT EXISTS (SELECT FROM engage.contacts x WHERE x.contact_id = contact_data.contact_id) THEN
        RAISE EXCEPTION 'contact % does not exist', contact_id USING ERRCODE = 'undefined_object',
            DETAIL = format('contact_id: %s', contact_id);
    END IF;
    EXECUTE format('SELECT d.data::jsonb FROM (%s) d', engage_internal.data_sql(keyed_by)) INTO result USING ARRAY[contact_id];
    RETURN coalesce(result, '{}');
END
$function$;

CREATE OR REPLACE FUNCTION engage.create_connector(name text, host text DEFAULT NULL::text, port integer DEFAULT 5432, database text DEFAULT NULL::text, username text DEFAULT NULL::text, password text DEFAULT NULL::text, contact_key text DEFAULT 'email'::text, contact_key_field integer DEFAULT NULL::integer, ssl_mode text DEFAULT 'prefer'::text)
 RETURNS engage.connectors
 LANGUAGE sql
AS $function$
    SELECT engage_internal.store_connector(engage_internal.vouch(), $1, $2, $3, $4, $5, $6, $7, $8, $9)
$function$;

CREATE OR REPLACE FUNCTION engage.create_data_source(name text, connector text, relation text, key_column text)
 RETURNS engage.data_sources
 LANGUAGE sql
AS $function$
    SELECT engage_internal.store_data_source(engage_internal.vouch(), $1, $2, $3, to_regclass($3), $4)
$function$;

CREATE OR REPLACE FUNCTION engage.create_export(name text, connector text, datasets text[] DEFAULT NULL::text[], schema text DEFAULT 'public'::text, schedule text DEFAULT NULL::text, time_zone text DEFAULT NULL::text, delay interval DEFAULT '00:00:00'::interval, max_failures integer DEFAULT 5)
 RETURNS engage.exports
 LANGUAGE plpgsql
AS $function$
DECLARE
    c engage.connectors := engage_internal.connector_named(connector);
    names text[] := engage_internal.export_dataset_names(datasets);
    e engage.data_exports;
    job bigint;
    result engage.exports;
BEGIN
    IF coalesce(btrim(name), '') = '' THEN
        RAISE EXCEPTION 'an export needs a name' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('name: %s', coalesce(name, 'NULL'));
    END IF;
    IF coalesce(schema, '') = '' THEN
        RAISE EXCEPTION 'an export needs a target schema' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('schema: %s', coalesce(schema, 'NULL')), HINT = 'Leave it out for public.';
    END IF;
    IF EXISTS (SELECT FROM engage.data_exports x WHERE x.name = create_export.name) THEN
        RAISE EXCEPTION 'export "%" already exists', name USING ERRCODE = 'duplicate_object',
            DETAIL = format('name: %s', name), HINT = 'Change it with engage.alter_export, or pick another name.';
    END IF;
    PERFORM engage_internal.export_check_definition(name, c, schema, names);
    job := engage.schedule_job('export ' || name, schedule, time_zone => time_zone, delay => delay,
                               max_failures => max_failures, kind => 'export');
    INSERT INTO engage.data_exports AS x (name, connector_id, datasets, target_schema, job_id)
    VALUES (name, c.connector_id, names, schema, job)
    RETURNING * INTO e;
    UPDATE engage.scheduled_jobs j SET arguments = jsonb_build_object('export_id', e.export_id) WHERE j.job_id = job;
    SELECT * INTO result FROM engage.exports x WHERE x.export_id = e.export_id;
    RETURN result;
END
$function$;

CREATE OR REPLACE FUNCTION engage.create_frequency_cap(name text, max_messages integer, per_period interval, min_annoyance_level integer DEFAULT 0, applies_to text DEFAULT 'bulk'::text)
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    id integer;
BEGIN
    PERFORM engage_internal.check_policy(name, applies_to);
    IF max_messages IS NULL OR max_messages < 1 THEN
        RAISE EXCEPTION 'max_messages must be at least 1' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('argument max_messages: %s', coalesce(max_messages::text, 'NULL'));
    END IF;
    IF per_period IS NULL OR per_period <= interval '0' OR per_period > interval '1 year' THEN
        RAISE EXCEPTION 'per_period must be positive and at most a year' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('argument per_period: %s', coalesce(per_period::text, 'NULL'));
    END IF;
    IF min_annoyance_level IS NULL OR min_annoyance_level < 0 THEN
        RAISE EXCEPTION 'min_annoyance_level must be 0 or more' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('argument min_annoyance_level: %s', coalesce(min_annoyance_level::text, 'NULL'));
    END IF;
    INSERT INTO engage.delivery_policies (name, kind, max_messages, per_period, min_annoyance_level, applies_to)
    VALUES (btrim(name), 'frequency_cap', max_messages, per_period, min_annoyance_level, applies_to)
    RETURNING policy_id INTO id;
    RETURN id;
END
$function$;

CREATE OR REPLACE FUNCTION engage.create_list_sync(name text, query text DEFAULT NULL::text, action text DEFAULT 'add'::text, list_id bigint DEFAULT NULL::bigint, api_key text DEFAULT NULL::text, campaign_id bigint DEFAULT NULL::bigint, channel_unsubscribe boolean DEFAULT false, skip_invalid_data boolean DEFAULT false, region text DEFAULT 'us'::text, schedule text DEFAULT NULL::text, time_zone text DEFAULT NULL::text, delay interval DEFAULT '00:00:00'::interval, max_failures integer DEFAULT 5, segment text DEFAULT NULL::text, columns jsonb DEFAULT NULL::jsonb, strings jsonb DEFAULT '[]'::jsonb, api_url text DEFAULT NULL::text)
 RETURNS engage.list_syncs
 LANGUAGE plpgsql
AS $function$
DECLARE
    d engage.list_sync_definitions;
    result engage.list_syncs;
BEGIN
    IF coalesce(btrim(name), '') = '' THEN
        RAISE EXCEPTION 'a list sync needs a name' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('name: %s', coalesce(name, 'NULL'));
    END IF;
    IF EXISTS (SELECT FROM engage.list_sync_definitions x WHERE x.name = create_list_sync.name) THEN
        RAISE EXCEPTION 'list sync "%" already exists', name USING ERRCODE = 'duplicate_object',
            DETAIL = format('name: %s', name), HINT = 'Change it with engage.alter_list_sync, or pick another name.';
    END IF;
    d.query := nullif(btrim(query), '');
    d.segment_id := CASE WHEN segment IS NOT NULL THEN (engage_internal.segment_named(segment)).segment_id END;
    d.columns := columns;
    d.strings := coalesce(strings, '[]');
    d.action := lower(action);
    d.list_id := list_id;
    d.campaign_id := campaign_id;
    d.channel_unsubscribe := coalesce(channel_unsubscribe, false);
    d.skip_invalid_data := coalesce(skip_invalid_data, false);
    d.region := lower(region);
    d.api_url := api_url;
    PERFORM engage_internal.list_sync_check(d);
    IF coalesce(btrim(api_key), '') = '' THEN
        RAISE EXCEPTION 'a list sync needs an API key' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'api_key: (not shown)', HINT = 'The list API''s key, with the rights to update lists.';
    END IF;
    d.job_id := engage.schedule_job('list sync ' || name, schedule, time_zone => time_zone, delay => delay,
                                    max_failures => max_failures, kind => 'list_sync');
    INSERT INTO engage.list_sync_definitions AS x (name, query, segment_id, columns, strings, action, list_id,
                                                   campaign_id, channel_unsubscribe, skip_invalid_data, region,
                                                   api_url, job_id)
    VALUES (name, d.query, d.segment_id, d.columns, d.strings, d.action, d.list_id, d.campaign_id,
            d.channel_unsubscribe, d.skip_invalid_data, d.region, d.api_url, d.job_id)
    RETURNING * INTO d;
    PERFORM engage_internal.store_list_sync_key(engage_internal.vouch(), d.sync_id, api_key);
    UPDATE engage.scheduled_jobs j SET arguments = jsonb_build_object('sync_id', d.sync_id) WHERE j.job_id = d.job_id;
    SELECT * INTO result FROM engage.list_syncs x WHERE x.sync_id = d.sync_id;
    RETURN result;
END
$function$;

CREATE OR REPLACE FUNCTION engage.create_quiet_hours(name text, quiet_from time without time zone, quiet_until time without time zone, applies_to text DEFAULT 'bulk'::text)
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    id integer;
BEGIN
    PERFORM engage_internal.check_policy(name, applies_to);
    IF quiet_from IS NULL OR quiet_until IS NULL OR quiet_from = quiet_until THEN
        RAISE EXCEPTION 'quiet hours need two different times' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('arguments quiet_from: %s, quiet_until: %s', quiet_from, quiet_until);
    END IF;
    INSERT INTO engage.delivery_policies (name, kind, quiet_from, quiet_until, applies_to)
    VALUES (btrim(name), 'quiet_hours', quiet_from, quiet_until, applies_to)
    RETURNING policy_id INTO id;
    RETURN id;
END
$function$;

CREATE OR REPLACE FUNCTION engage.create_regular_trigger(segment text, workflow text, time_zone text DEFAULT NULL::text)
 RETURNS bigint
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    s engage.segments := engage_internal.segment_named(segment);
    w engage.workflows := engage_internal.workflow_named(workflow);
    type_key text := 'regularEventType-' || s.segment_id;
    zone text := coalesce(time_zone, engage_internal.default_time_zone());
    id bigint;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_timezone_names z WHERE z.name = zone) THEN
        RAISE EXCEPTION 'time zone "%" is not known', zone USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'argument time_zone', HINT = 'Use an IANA name such as Europe/Kyiv (see pg_timezone_names).';
    END IF;
    IF EXISTS (SELECT FROM engage.regular_triggers r WHERE r.segment_id = s.segment_id AND r.workflow_id = w.workflow_id) THEN
        RAISE EXCEPTION 'segment "%" already triggers workflow "%"', s.name, w.name USING ERRCODE = 'duplicate_object';
    END IF;
    PERFORM engage.link_event(w.workflow_id::text, type_key, 'start', 'each time');
    INSERT INTO engage.regular_triggers (segment_id, workflow_id, event_type_id, time_zone)
    SELECT s.segment_id, w.workflow_id, t.event_type_id, zone FROM engage.event_types t WHERE t.key = type_key
    RETURNING trigger_id INTO id;
    RETURN id;
END
$function$;

CREATE OR REPLACE FUNCTION engage.deactivate_workflow(workflow text)
 RETURNS text
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
    UPDATE engage.workflows SET status = 'inactive' WHERE workflow_id = (engage_internal.workflow_named(workflow)).workflow_id;
    SELECT 'inactive'::text;
$function$;

CREATE OR REPLACE FUNCTION engage.drop_connector(name text)
 RETURNS boolean
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET client_min_messages TO 'warning'
AS $function$
DECLARE
    c engage.connectors := engage_internal.connector_named(name);
BEGIN
    -- A connector with exports is refused (sql/exports.sql's trigger on engage.connectors).
    PERFORM engage_internal.drop_source_view(s) FROM engage.data_sources s WHERE s.connector_id = c.connector_id;
    DELETE FROM engage.connectors x WHERE x.connector_id = c.connector_id;
    IF c.server_name IS NOT NULL THEN
        EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', engage_internal.connector_schema(c));
        EXECUTE format('DROP SERVER IF EXISTS %I CASCADE', c.server_name);
    END IF;
    RETURN true;
END
$function$;

CREATE OR REPLACE FUNCTION engage.drop_data_source(name text)
 RETURNS boolean
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    s engage.data_sources;
BEGIN
    DELETE FROM engage.data_sources x WHERE x.name = drop_data_source.name RETURNING * INTO s;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'data source "%" does not exist', name USING ERRCODE = 'undefined_object',
            DETAIL = format('name: %s', name);
    END IF;
    PERFORM engage_internal.drop_source_view(s);
    RETURN true;
END
$function$;

CREATE OR REPLACE FUNCTION engage.drop_export(name text)
 RETURNS boolean
 LANGUAGE plpgsql
AS $function$
DECLARE
    e engage.data_exports := engage_internal.export_named(name);
    c engage.connectors;
    t name;
BEGIN
    SELECT * INTO c FROM engage.connectors x WHERE x.connector_id = e.connector_id;
    DELETE FROM engage.data_exports x WHERE x.export_id = e.export_id;
    DELETE FROM engage.scheduled_jobs j WHERE j.job_id = e.job_id;
    IF c.server_name IS NOT NULL THEN
        FOREACH t IN ARRAY engage_internal.export_tables(e.datasets) LOOP
            IF to_regclass(engage_internal.export_relation(e, c, t)) IS NOT NULL THEN
                EXECUTE format('DROP FOREIGN TABLE %s', engage_internal.export_relation(e, c, t));
            END IF;
        END LOOP;
    END IF;
    RETURN true;
END
$function$;

CREATE OR REPLACE FUNCTION engage.drop_list_sync(name text)
 RETURNS boolean
 LANGUAGE plpgsql
AS $function$
DECLARE
    d engage.list_sync_definitions := engage_internal.list_sync_named(name);
BEGIN
    IF EXISTS (SELECT FROM engage.job_runs r WHERE r.job_id = d.job_id AND r.status = 'running') THEN
        RAISE EXCEPTION 'list sync "%" is running', d.name USING ERRCODE = 'object_in_use',
            DETAIL = format('name: %s', d.name), HINT = 'Try again when the run ends (engage.wait_for_list_sync).';
    END IF;
    DELETE FROM engage.list_sync_definitions x WHERE x.sync_id = d.sync_id;
    DELETE FROM engage.scheduled_jobs j WHERE j.job_id = d.job_id;
    RETURN true;
END
$function$;

CREATE OR REPLACE FUNCTION engage.drop_segment(segment text)
 RETURNS boolean
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    s engage.segments := engage_internal.segment_named(segment);
    user_of text;
BEGIN
    SELECT x.name INTO user_of FROM engage.segments x WHERE s.segment_id = ANY (x.uses) LIMIT 1;
    IF user_of IS NOT NULL THEN
        RAISE EXCEPTION 'segment "%" is used by segment "%"', s.name, user_of USING ERRCODE = 'dependent_objects_still_exist',
            DETAIL = format('segment: %s', segment);
    END IF;
    DELETE FROM engage.segments x WHERE x.segment_id = s.segment_id;
    RETURN true;
END
$function$;

CREATE OR REPLACE FUNCTION engage.drop_workflow(workflow text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    w engage.workflows := engage_internal.workflow_named(workflow);
    live bigint;
BEGIN
    SELECT count(*) INTO live FROM engage.workflow_instances i
    WHERE i.workflow_id = w.workflow_id AND i.status IN ('running', 'waiting');
    IF live > 0 THEN
        RAISE EXCEPTION 'workflow "%" has % instances waiting', w.name, live
            USING ERRCODE = 'object_in_use',
                  HINT = 'Deactivate it and let them end, or stop them with a stop event.';
    END IF;
    DELETE FROM engage.workflows WHERE workflow_id = w.workflow_id;
END
$function$;

CREATE OR REPLACE FUNCTION engage.erase_contact(contact_id bigint DEFAULT NULL::bigint, external_customer_id text DEFAULT NULL::text, email text DEFAULT NULL::text, phone text DEFAULT NULL::text)
 RETURNS TABLE(table_name text, rows_removed bigint)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    person bigint := engage_internal.contact_to_erase(contact_id, external_customer_id, email, phone);
    external_id text;
    -- Every value that identifies the person: the external ID, channel values, devices' IDs,
    -- tokens, emails and phones, orders' emails and phones.
    identifiers text[];
    emails text[];
    list_keys text[];
    erased_events bigint[];
    erased_sends uuid[];
    step record;
    n bigint;
BEGIN
    SELECT c.external_customer_id INTO external_id FROM engage.contacts c WHERE c.contact_id = person FOR UPDATE;
    -- An address given on an order or a device may be another contact's (a gift): what is another
    -- contact's channel is theirs, not the person's.
    SELECT array_agg(DISTINCT v) INTO identifiers FROM (
        SELECT external_id
        UNION ALL SELECT ch.value FROM engage.channels ch WHERE ch.contact_id = person
        UNION ALL SELECT unnest(ARRAY[d.device_id, d.push_token, d.email, d.phone, d.external_customer_id])
                  FROM engage.devices d WHERE d.contact_id = person
        UNION ALL SELECT unnest(ARRAY[o.email, o.phone]) FROM engage.orders o WHERE o.contact_id = person) x(v)
    WHERE v IS NOT NULL AND v <> ''
      AND NOT EXISTS (SELECT FROM engage.channels ch WHERE ch.value IN (x.v, lower(x.v)) AND ch.contact_id <> person);
    SELECT array_agg(DISTINCT lower(v)) INTO emails FROM unnest(identifiers) v WHERE v LIKE '%@%';
    list_keys := ARRAY(SELECT 'email:' || e FROM unnest(emails) e UNION ALL SELECT 'userId:' || external_id);

    -- Events and sends of the person, and those of no contact that carry one of their identifiers
    -- (another contact's are theirs, whatever key they carry).
    erased_events := ARRAY(SELECT e.event_id FROM engage.events e WHERE e.contact_id = person
                           UNION SELECT e.event_id FROM engage.events e
                           WHERE e.key_value = ANY (identifiers) AND e.contact_id IS NULL);
    erased_sends := ARRAY(SELECT s.request_id FROM engage.sends s WHERE s.contact_id = person
                          UNION SELECT s.request_id FROM engage.sends s
                          WHERE s.locator = ANY (identifiers) AND s.contact_id IS NULL);

    -- Each table in turn (children before their parents), with what names the person there:
    -- $1 the contact ID, $2 the external ID, $3 the emails, $4 every identifier, $5 the events
    -- and $6 the sends to erase, $7 the list syncs' keys.
    FOR step IN SELECT * FROM (VALUES
        ('event_queue', 'x.event_id = ANY ($5)'),
        ('dead_letters', 'x.event_id = ANY ($5)'),
        ('events', 'x.event_id = ANY ($5)'),
        ('contact_activities', 'x.contact_id = $1 OR x.request_id = ANY ($6) OR (x.contact_id IS NULL AND x.external_customer_id = $2)'),
        ('sends', 'x.request_id = ANY ($6)'),
        ('workflow_instances', 'x.contact_id = $1'),
        ('regular_trigger_launches', 'x.contact_id = $1'),
        ('segment_members', 'x.contact_id = $1'),
        ('segment_changes', 'x.contact_id = $1'),
        ('revenue', 'x.contact_id = $1'),
        ('order_status_history', 'x.contact_id = $1'),
        ('order_items', 'x.contact_id = $1'),
        ('orders', 'x.contact_id = $1'),
        ('contact_rfm', 'x.contact_id = $1'),
        ('rfm_stale', 'x.contact_id = $1'),
        ('devices', 'x.contact_id = $1 OR (x.contact_id IS NULL AND (x.external_customer_id = $2 OR x.email = ANY ($3) OR x.phone = ANY ($4)))'),
        ('contact_fields', 'x.contact_id = $1'),
        ('channels', 'x.contact_id = $1'),
        ('unsubscribed_emails', 'x.email = ANY ($3)'),
        ('list_sync_invalid_rows', 'x.row_key = ANY ($7)'),
        ('list_sync_rows', 'x.row_key = ANY ($7)'),
        ('contacts', 'x.contact_id = $1')) AS t(relation, condition)
    LOOP
        EXECUTE format('DELETE FROM engage.%I x WHERE %s', step.relation, step.condition)
        USING person, external_id, emails, identifiers, erased_events, erased_sends, list_keys;
        GET DIAGNOSTICS n = ROW_COUNT;
        table_name := step.relation;
        rows_removed := n;
        RETURN NEXT;
    END LOOP;
    -- The deletes left tombstones for exports (a device's ID among them), and the append-only
    -- datasets get theirs here: the next run of an export deletes the exported events and
    -- activities of the contact ID or keyed by an identifier. Those no export needs go now, the
    -- others after the exports' next runs.
    INSERT INTO engage.export_tombstones (dataset, key)
    SELECT d.dataset, k FROM unnest(ARRAY['events', 'contactActivities']) d(dataset),
                             unnest('contactId:' || person || ARRAY(SELECT 'key:' || i FROM unnest(identifiers) i)) k;
    PERFORM engage_internal.forget_exported_tombstones();
END
$function$;

CREATE OR REPLACE FUNCTION engage.link_event(workflow text, event_type text, action text DEFAULT 'start'::text, launch text DEFAULT 'each time'::text, every interval DEFAULT NULL::interval)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    w engage.workflows := engage_internal.workflow_named(workflow);
    type_id integer;
    how text := CASE WHEN action = 'start' THEN lower(btrim(launch)) END;
BEGIN
    IF action IS NULL OR action NOT IN ('start', 'stop') THEN
        RAISE EXCEPTION 'unknown action "%"', action USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'argument action', HINT = 'An event either starts or stops a workflow: ''start'' or ''stop''.';
    END IF;
    IF action = 'start' AND (how IS NULL OR how NOT IN ('each time', 'once', 'once every')) THEN
        RAISE EXCEPTION 'unknown launch rule "%"', launch USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'argument launch', HINT = 'The rules are ''each time'', ''once'' and ''once every'' (with every => ''1 hour'').';
    END IF;
    IF (how = 'once every') <> (every IS NOT NULL) AND action = 'start' THEN
        RAISE EXCEPTION '%', CASE WHEN every IS NULL THEN 'launch ''once every'' needs a period'
                                  ELSE format('launch ''%s'' takes no period', how) END
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'argument every',
                  HINT = 'once every N hours, days, weeks or months: every => ''1 hour'', ''3 days'', ''1 month''.';
    END IF;
    IF action = 'start' AND (every <= interval '0' OR every > interval '10 years') THEN
        RAISE EXCEPTION 'the period must be positive and at most 10 years' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('argument every: %s', every),
            HINT = CASE WHEN every > interval '0' THEN 'For at most one launch per contact ever, use launch => ''once''.' END;
    END IF;
    IF event_type IS NULL OR event_type !~ '^[A-Za-z0-9_.:-]{1,100}$' THEN
        RAISE EXCEPTION 'invalid event type key "%"', event_type USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'argument event_type', HINT = 'An event type key has 1 to 100 letters, digits, _, -, . or :.';
    END IF;
    PERFORM engage_internal.register_event_types(ARRAY[event_type]);
    SELECT t.event_type_id INTO type_id FROM engage.event_types t WHERE t.key = event_type;
    INSERT INTO engage.workflow_triggers (workflow_id, event_type_id, action, launch, every)
    VALUES (w.workflow_id, type_id, action, how, CASE WHEN action = 'start' THEN every END)
    ON CONFLICT (workflow_id, event_type_id) DO UPDATE
        SET action = EXCLUDED.action, launch = EXCLUDED.launch, every = EXCLUDED.every;
END
$function$;

CREATE OR REPLACE FUNCTION engage.message_status(request_ids text)
 RETURNS jsonb
 LANGUAGE sql
 STABLE
AS $function$
    SELECT jsonb_build_object('results', coalesce(jsonb_agg(jsonb_build_object(
               'status', coalesce(s.status, 'NOT_FOUND'),
               'requestId', r.id::text,
               'failed', (coalesce(s.status IN ('UNDELIVERED', 'SUPPRESSED', 'FAILED'), false))::text,
               'delivered', (coalesce(s.status = 'DELIVERED', false))::text) ORDER BY r.n), '[]'))
    FROM (SELECT engage_internal.request_uuid(x.id, format('at request_ids element %s', x.n)) AS id, x.n
          FROM unnest(string_to_array(request_ids, ',')) WITH ORDINALITY x(id, n)
          WHERE btrim(x.id) <> '') r
    LEFT JOIN engage.sends s ON s.request_id = r.id
$function$;

CREATE OR REPLACE FUNCTION engage.pause_broadcast(broadcast_id bigint)
 RETURNS engage.broadcasts
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    b engage.broadcasts := engage_internal.broadcast_numbered(broadcast_id);
BEGIN
    PERFORM engage_internal.require_broadcast_status(b, ARRAY['RUNNING'], 'paused');
    UPDATE engage.sends s SET status = 'PAUSED', not_before = NULL, hold_reason = NULL, updated_at = now()
    WHERE s.broadcast_id = b.broadcast_id AND s.status IN ('QUEUED', 'HELD');
    UPDATE engage.broadcasts x SET status = 'PAUSED', updated_at = now() WHERE x.broadcast_id = b.broadcast_id
    RETURNING * INTO b;
    RETURN b;
END
$function$;

CREATE OR REPLACE FUNCTION engage.preview_list_sync(name text, full_resync boolean DEFAULT false)
 RETURNS TABLE(row_number bigint, row_key text, change text, operation text, subscriber json, problem text)
 LANGUAGE plpgsql
AS $function$
DECLARE
    d engage.list_sync_definitions := engage_internal.list_sync_named(name);
    -- A stage of its own: no run has a negative ID.
    preview bigint := -txid_current();
BEGIN
    PERFORM engage_internal.list_sync_stage_rows(d, preview, full_resync);
    RETURN QUERY
    SELECT s.row_number, s.row_key, s.change, s.operation, s.subscriber::json, s.problem
    FROM engage.list_sync_stage s WHERE s.sync_id = d.sync_id AND s.run_id = preview
    ORDER BY s.row_number NULLS LAST, s.row_key;
    DELETE FROM engage.list_sync_stage s WHERE s.sync_id = d.sync_id AND s.run_id = preview;
END
$function$;

CREATE OR REPLACE FUNCTION engage.preview_segment(rule jsonb, at timestamp with time zone DEFAULT now(), sample integer DEFAULT 10, OUT contacts bigint, OUT sample_ids bigint[])
 RETURNS record
 LANGUAGE plpgsql
 STABLE SECURITY DEFINER
 SET work_mem TO '256MB'
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    compiled record;
BEGIN
    SELECT * INTO compiled FROM engage.compile_segment_rule(rule, NULL);
    EXECUTE format('SELECT count(*), (array_agg(contact_id ORDER BY contact_id))[1:%s] FROM (%s) matched',
                   greatest(sample, 0), compiled.sql)
    INTO contacts, sample_ids USING at, engage_internal.default_time_zone(), compiled.params;
END
$function$;

CREATE OR REPLACE FUNCTION engage.process_events(max_events integer DEFAULT 1000, OUT events integer, OUT launched integer, OUT not_launched integer, OUT no_contact integer, OUT stopped integer, OUT sends integer, OUT waiting integer, OUT completed integer, OUT failed integer, OUT dead_letters integer)
 RETURNS record
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    claimed bigint[];
    times timestamptz[];
    at timestamptz := now();
    n integer;
    r record;
    state text;
    message text;
BEGIN
    PERFORM engage_internal.require_at_least_one('max_events', max_events);
    WITH c AS (
        DELETE FROM engage.event_queue q
        WHERE q.event_id IN (SELECT x.event_id FROM engage.event_queue x ORDER BY x.event_id
                             LIMIT max_events FOR UPDATE SKIP LOCKED)
        RETURNING q.event_id, q.registered_at)
    SELECT coalesce(array_agg(c.event_id ORDER BY c.event_id), '{}'), coalesce(array_agg(c.registered_at ORDER BY c.event_id), '{}')
    INTO claimed, times FROM c;
    events := cardinality(claimed);
    launched := 0; not_launched := 0; no_contact := 0; stopped := 0; sends := 0; waiting := 0; completed := 0;
    failed := 0; dead_letters := 0;
    BEGIN
        SELECT * INTO launched, not_launched, no_contact, stopped, sends, waiting, completed, failed
        FROM engage_internal.run_events(claimed, at, (SELECT min(t) FROM unnest(times) t), (SELECT max(t) FROM unnest(times) t));
        RETURN;
    EXCEPTION WHEN OTHERS THEN
        IF engage_internal.transient_error(SQLSTATE) THEN
            RAISE;
        END IF;
    END;
    FOR n IN 1 .. cardinality(claimed) LOOP
        BEGIN
            SELECT * INTO r FROM engage_internal.run_events(ARRAY[claimed[n]], at, times[n], times[n]);
            launched := launched + r.launched; not_launched := not_launched + r.not_launched;
            no_contact := no_contact + r.no_contact; stopped := stopped + r.stopped; sends := sends + r.sends;
            waiting := waiting + r.waiting; completed := completed + r.completed; failed := failed + r.failed;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
            IF engage_internal.transient_error(state) THEN
                RAISE;
            END IF;
            INSERT INTO engage.dead_letters (event_id, sqlstate, error) VALUES (claimed[n], state, message)
            ON CONFLICT (event_id) DO UPDATE SET failed_at = EXCLUDED.failed_at, sqlstate = EXCLUDED.sqlstate,
                                                 error = EXCLUDED.error;
            dead_letters := dead_letters + 1;
        END;
    END LOOP;
END
$function$;

CREATE OR REPLACE FUNCTION engage.recompute_rfm(at timestamp with time zone DEFAULT now(), full_recompute boolean DEFAULT false, OUT computed bigint, OUT changed bigint, OUT moved bigint, OUT was_full boolean)
 RETURNS record
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    b engage.rfm_bands;
    targets bigint[];
    -- The scores as CASE expressions over the bands ($2–$5 days as intervals, $6–$9 orders,
    -- $10–$13 amounts), so that each row compares plain values.
    recency CONSTANT text := 'CASE WHEN $1 - %1$s < $2 THEN 5 WHEN $1 - %1$s < $3 THEN 4 WHEN $1 - %1$s < $4 THEN 3
                                   WHEN $1 - %1$s < $5 THEN 2 ELSE 1 END';
    scores CONSTANT text := format(recency, 'c.last_order_at') || ' AS r,
        CASE WHEN c.frequency >= $9 THEN 5 WHEN c.frequency >= $8 THEN 4 WHEN c.frequency >= $7 THEN 3
             WHEN c.frequency >= $6 THEN 2 ELSE 1 END AS f,
        CASE WHEN c.monetary >= $13 THEN 5 WHEN c.monetary >= $12 THEN 4 WHEN c.monetary >= $11 THEN 3
             WHEN c.monetary >= $10 THEN 2 ELSE 1 END AS m';
BEGIN
    PERFORM engage_internal.require_value('at', at);
    -- One recompute at a time: the lock ends with the transaction.
    SELECT * INTO b FROM engage.rfm_bands FOR UPDATE;
    was_full := coalesce(full_recompute, false) OR b.recomputed_at IS NULL OR b.changed_at > b.recomputed_at;
    IF was_full THEN
        DELETE FROM engage.rfm_stale;
    ELSE
        -- The contacts whose delivered orders changed, and those whose recency score the clock
        -- moved (no orders read for these).
        EXECUTE format($sql$
            WITH stale AS (DELETE FROM engage.rfm_stale RETURNING contact_id)
            SELECT coalesce(array_agg(DISTINCT t.contact_id), '{}')
            FROM (SELECT s.contact_id FROM stale s
                  UNION ALL
                  SELECT x.contact_id FROM engage.contact_rfm x WHERE x.r <> %s) t$sql$,
            format(recency, 'x.last_order_at'))
        INTO targets
        USING at, make_interval(days => b.recency_days[1]), make_interval(days => b.recency_days[2]),
              make_interval(days => b.recency_days[3]), make_interval(days => b.recency_days[4]);
    END IF;

    -- Each contact's values and cell; those that differ from the stored row are written (new
    -- rows inserted, changed ones updated: one recompute runs at a time and nothing else writes
    -- these rows), contacts looked at without a delivered order leave, and a move between two
    -- segments is an event.
    EXECUTE format($sql$
        WITH cells AS MATERIALIZED (SELECT * FROM engage_internal.rfm_cells()),
        computed AS (
            SELECT o.contact_id, max(o.order_date) AS last_order_at, count(*)::integer AS frequency,
                   sum(o.total_cost) AS monetary
            FROM engage.orders o
            WHERE o.status = 'DELIVERED' %s
            GROUP BY o.contact_id
        ), scored AS (
            SELECT c.contact_id, c.last_order_at, c.frequency, c.monetary, c.r, c.f, c.m, cell.segment
            FROM (SELECT c.*, %s FROM computed c) c
            JOIN cells cell ON cell.r = c.r AND cell.f = c.f AND cell.m = c.m
        ), diff AS MATERIALIZED (
            SELECT s.*, old.segment AS previous_segment, old.contact_id IS NULL AS entered,
                   old.contact_id IS NULL
                   OR (old.last_order_at, old.frequency, old.monetary, old.r, old.f, old.m, old.segment)
                      IS DISTINCT FROM (s.last_order_at, s.frequency, s.monetary, s.r, s.f, s.m, s.segment) AS differs
            FROM scored s LEFT JOIN engage.contact_rfm old ON old.contact_id = s.contact_id
        ), inserted AS (
            INSERT INTO engage.contact_rfm (contact_id, last_order_at, frequency, monetary, r, f, m, segment,
                                            segment_since, computed_at)
            SELECT d.contact_id, d.last_order_at, d.frequency, d.monetary, d.r, d.f, d.m, d.segment, $1, $1
            FROM diff d WHERE d.entered
        ), updated AS (
            UPDATE engage.contact_rfm x
            SET last_order_at = d.last_order_at, frequency = d.frequency, monetary = d.monetary, r = d.r, f = d.f,
                m = d.m, segment = d.segment, computed_at = $1,
                segment_since = CASE WHEN x.segment IS DISTINCT FROM d.segment THEN $1 ELSE x.segment_since END
            FROM diff d
            WHERE d.differs AND NOT d.entered AND x.contact_id = d.contact_id
        ), gone AS (
            DELETE FROM engage.contact_rfm x
            WHERE %s NOT EXISTS (SELECT FROM diff d WHERE d.contact_id = x.contact_id)
        ), announced AS (
            INSERT INTO engage.events (event_type_id, key_value, contact_id, params, registered_at)
            SELECT t.event_type_id, d.contact_id::text, d.contact_id,
                   jsonb_build_object('ContactId', d.contact_id::text, 'previousSegment', d.previous_segment,
                                      'segment', d.segment, 'recency', d.r::text, 'frequency', d.f::text,
                                      'monetary', d.m::text),
                   $1
            FROM diff d JOIN engage.event_types t ON t.key = 'rfmSegmentChanged'
            WHERE NOT d.entered AND d.previous_segment IS DISTINCT FROM d.segment
            ORDER BY d.contact_id
            RETURNING 1
        )
        SELECT count(*), count(*) FILTER (WHERE d.differs), (SELECT count(*) FROM announced) FROM diff d$sql$,
        CASE WHEN NOT was_full THEN 'AND o.contact_id = ANY ($14)' ELSE '' END, scores,
        CASE WHEN NOT was_full THEN 'x.contact_id = ANY ($14) AND' ELSE '' END)
    INTO computed, changed, moved
    USING at, make_interval(days => b.recency_days[1]), make_interval(days => b.recency_days[2]),
          make_interval(days => b.recency_days[3]), make_interval(days => b.recency_days[4]),
          b.frequency[1], b.frequency[2], b.frequency[3], b.frequency[4],
          b.monetary[1], b.monetary[2], b.monetary[3], b.monetary[4], targets;
    UPDATE engage.rfm_bands SET recomputed_at = clock_timestamp();
END
$function$;

CREATE OR REPLACE FUNCTION engage.refresh_segment(segment text, at timestamp with time zone DEFAULT now(), OUT entered bigint, OUT "left" bigint, OUT members bigint)
 RETURNS record
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET work_mem TO '256MB'
 SET parallel_tuple_cost TO '0.001'
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    s engage.segments := engage_internal.dynamic_segment_named(segment);
    diff bigint[];
    came bigint[];
    went bigint[];
BEGIN
    PERFORM 1 FROM engage.segments x WHERE x.segment_id = s.segment_id FOR UPDATE;
    -- Who came and who went is found by one read-only statement (which may run in parallel; a
    -- statement that writes may not): the computed set and the stored members, side by side,
    -- go through engage_internal.segment_diff, which returns [entered count, members, entered…, left…].
    -- Only the differences are written.
    EXECUTE format($q$
        SELECT engage_internal.segment_diff(u.contact_id, u.stored)
        FROM (SELECT t.matched, false FROM (%s) t(matched)
              UNION ALL
              SELECT m.contact_id, true FROM engage.segment_members m WHERE m.segment_id = $4) u(contact_id, stored)
        $q$, s.sql)
    INTO diff USING at, engage_internal.default_time_zone(), s.params, s.segment_id;
    came := diff[3:diff[1] + 2];
    went := diff[diff[1] + 3:];
    members := diff[2];
    DELETE FROM engage.segment_members m WHERE m.segment_id = s.segment_id AND m.contact_id = ANY (went);
    INSERT INTO engage.segment_members (segment_id, contact_id, added_at)
    SELECT s.segment_id, unnest(came), at;
    INSERT INTO engage.segment_changes (segment_id, contact_id, change, changed_at)
    SELECT s.segment_id, unnest(came), 'entered', at
    UNION ALL SELECT s.segment_id, unnest(went), 'left', at;
    entered := cardinality(came);
    "left" := cardinality(went);
    UPDATE engage.segments x SET refreshed_at = at WHERE x.segment_id = s.segment_id;
END
$function$;

CREATE OR REPLACE FUNCTION engage.report_delivery(request_id text, status text, detail jsonb DEFAULT '{}'::jsonb)
 RETURNS TABLE(send_status text, activity_id bigint)
 LANGUAGE sql
AS $function$
    SELECT * FROM engage.report_delivery(engage_internal.request_uuid(request_id, 'argument request_id'), status, detail)
$function$;

CREATE OR REPLACE FUNCTION engage.report_delivery(request_id uuid, status text, detail jsonb DEFAULT '{}'::jsonb)
 RETURNS TABLE(send_status text, activity_id bigint)
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    s engage.sends;
    what text := upper(btrim(status));
    happened timestamptz;
    extra text;
    report text;
    earlier bigint;
    proven boolean;
    new_status text;
    new_outcome_at timestamptz;
    activity bigint;
BEGIN
    PERFORM engage_internal.require_value('request_id', request_id);
    IF what IS NULL OR what NOT IN ('DELIVERED', 'UNDELIVERED', 'RECEIVED', 'CLICKED', 'UNSUBSCRIBED', 'SPAM') THEN
        RAISE EXCEPTION 'unknown delivery status "%"', status USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'argument status', HINT = 'Report DELIVERED, UNDELIVERED, RECEIVED, CLICKED, UNSUBSCRIBED or SPAM.';
    END IF;
    detail := coalesce(detail, '{}');
    IF jsonb_typeof(detail) <> 'object' THEN
        RAISE EXCEPTION 'detail must be a JSON object' USING ERRCODE = 'invalid_parameter_value', DETAIL = 'argument detail';
    END IF;
    -- (A report without detail, the common one, skips its checks: each statement here costs.)
    IF detail <> '{}' THEN
    SELECT k INTO extra FROM jsonb_object_keys(detail) k
    WHERE k NOT IN ('errorCode', 'link', 'at', 'reportId', 'permanent', 'utmCampaign', 'messageUrl') LIMIT 1;
    IF extra IS NOT NULL THEN
        RAISE EXCEPTION 'unknown key "%"', extra USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('at detail.%s', extra),
            HINT = 'detail keys: errorCode, link, at, reportId, permanent, utmCampaign, messageUrl.';
    END IF;
    SELECT k INTO extra FROM jsonb_each(detail) e(k, v)
    WHERE (k = 'permanent' AND jsonb_typeof(v) NOT IN ('boolean', 'null'))
       OR (k <> 'permanent' AND jsonb_typeof(v) NOT IN ('string', 'null')) LIMIT 1;
    IF extra IS NOT NULL THEN
        RAISE EXCEPTION 'detail.% must be a %', extra, CASE WHEN extra = 'permanent' THEN 'boolean' ELSE 'string' END
            USING ERRCODE = 'invalid_parameter_value', DETAIL = format('at detail.%s', extra);
    END IF;
    END IF;
    IF what = 'UNDELIVERED' AND nullif(btrim(detail->>'errorCode'), '') IS NULL THEN
        RAISE EXCEPTION 'an UNDELIVERED report needs the error' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'at detail.errorCode', HINT = 'Give the SMTP or provider error: {"errorCode": "550 5.1.1 mailbox unavailable"}.';
    END IF;
    IF what = 'CLICKED' AND nullif(btrim(detail->>'link'), '') IS NULL THEN
        RAISE EXCEPTION 'a CLICKED report needs the link' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'at detail.link';
    END IF;
    happened := clock_timestamp();
    IF detail->>'at' IS NOT NULL THEN
        BEGIN
            happened := (detail->>'at')::timestamptz;
        EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format THEN
            RAISE EXCEPTION 'invalid time "%"', detail->>'at' USING ERRCODE = 'invalid_datetime_format', DETAIL = 'at detail.at';
        END;
    END IF;
    report := nullif(btrim(detail->>'reportId'), '');

    SELECT * INTO s FROM engage.sends x WHERE x.request_id = report_delivery.request_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no send has requestId %', request_id USING ERRCODE = 'undefined_object', DETAIL = 'argument request_id';
    END IF;
    IF s.status IN ('SUPPRESSED', 'FAILED')
       OR (s.status IN ('QUEUED', 'HELD', 'PAUSED') AND what NOT IN ('DELIVERED', 'UNDELIVERED')) THEN
        RAISE EXCEPTION 'the send was not sent (status %)', s.status USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = coalesce(s.reason, 'it has not been claimed by a transport');
    END IF;
    -- The earlier reports of the send: the same report again changes nothing; an engagement
    -- proves delivery.
    SELECT min(a.activity_id) FILTER (
               WHERE CASE WHEN report IS NOT NULL THEN a.report_id = report
                          ELSE a.activity = what AND a.report_id IS NULL
                               AND a.click_event_link IS NOT DISTINCT FROM CASE WHEN what = 'CLICKED' THEN detail->>'link' END
                               AND a.error_code IS NOT DISTINCT FROM CASE WHEN what = 'UNDELIVERED' THEN detail->>'errorCode' END
                               AND (NOT detail ? 'at' OR a.activity_at = happened) END),
           coalesce(bool_or(a.activity IN ('RECEIVED', 'CLICKED', 'UNSUBSCRIBED', 'SPAM')), false)
    INTO earlier, proven
    FROM engage.contact_activities a WHERE a.request_id = s.request_id;
    IF earlier IS NOT NULL THEN
        RETURN QUERY SELECT s.status, earlier;
        RETURN;
    END IF;
    proven := proven OR what IN ('RECEIVED', 'CLICKED', 'UNSUBSCRIBED', 'SPAM');
    IF proven THEN
        new_status := 'DELIVERED';
        new_outcome_at := coalesce(s.outcome_at, happened);
    ELSIF what IN ('DELIVERED', 'UNDELIVERED')
          AND (s.status IN ('QUEUED', 'HELD', 'PAUSED', 'SENDING') OR happened >= s.outcome_at) THEN
        new_status := what;
        new_outcome_at := happened;
    ELSE
        new_status := s.status;
        new_outcome_at := s.outcome_at;
    END IF;
    UPDATE engage.sends x
    SET status = new_status, outcome_at = new_outcome_at, updated_at = clock_timestamp(),
        lease_until = CASE WHEN new_status = 'SENDING' THEN x.lease_until END,
        not_before = CASE WHEN new_status = 'HELD' THEN x.not_before END,
        reason = CASE WHEN new_status = 'UNDELIVERED' AND what = 'UNDELIVERED' THEN detail->>'errorCode'
                      WHEN new_status = 'DELIVERED' THEN NULL ELSE x.reason END
    WHERE x.send_id = s.send_id;

    INSERT INTO engage.contact_activities (activity, activity_at, request_id, message_instance_id,
        workflow_instance_id, workflow_id, workflow_block_id, broadcast_id, campaign_type, click_event_link,
        contact_id, external_customer_id, error_code, event_key, event_type_key, media_type, message_id,
        message_language_code, message_name, message_tags, message_url, sender_name, utm_campaign, report_id)
    SELECT what, happened, s.request_id, s.send_id, s.instance_id, s.workflow_id, s.block_id, s.broadcast_id,
           s.campaign_type, CASE WHEN what = 'CLICKED' THEN detail->>'link' END, s.contact_id,
           (SELECT c.external_customer_id FROM engage.contacts c WHERE c.contact_id = s.contact_id),
           CASE WHEN what = 'UNDELIVERED' THEN detail->>'errorCode' END,
           e.key_value, t.key, m.media_type, s.message_id, s.language, m.name, array_to_string(m.tags, ','),
           detail->>'messageUrl', m.sender, detail->>'utmCampaign', report
    FROM (SELECT 1) one
    LEFT JOIN engage.messages m ON m.message_id = s.message_id
    LEFT JOIN engage.workflow_instances i ON i.instance_id = s.instance_id
    LEFT JOIN engage.events e ON e.event_id = i.event_id
    LEFT JOIN engage.event_types t ON t.event_type_id = e.event_type_id
    RETURNING contact_activities.activity_id INTO activity;

    -- Opens, clicks and unsubscribes are events workflows can start on (spec 004).
    IF what IN ('RECEIVED', 'CLICKED', 'UNSUBSCRIBED', 'SPAM') THEN
        INSERT INTO engage.events (event_type_id, key_value, contact_id, params)
        SELECT t.event_type_id, coalesce(s.locator, s.contact_id::text, s.request_id::text), s.contact_id,
               jsonb_strip_nulls(jsonb_build_object('ContactId', s.contact_id::text,
                   'EmailAddress', CASE WHEN s.channel = 'email' THEN s.locator END, 'channel', s.channel,
                   'activity', what, 'link', CASE WHEN what = 'CLICKED' THEN detail->>'link' END,
                   'requestId', s.request_id::text, 'messageId', s.message_id, 'messageName', m.name,
                   'campaignType', s.campaign_type, 'broadcastId', s.broadcast_id, 'workflowId', s.workflow_id,
                   'instanceId', s.instance_id, 'source', 'report'))
        FROM engage.event_types t
        LEFT JOIN engage.messages m ON m.message_id = s.message_id
        WHERE t.key = CASE what WHEN 'RECEIVED' THEN 'messageOpened' WHEN 'CLICKED' THEN 'messageClicked'
                                ELSE 'unsubscribed' END;
    END IF;
    IF what = 'UNDELIVERED' AND engage_internal.permanent_failure(detail) THEN
        -- A push token reported invalid: its device is deactivated and its channel goes.
        IF s.channel IN ('webpush', 'mobilepush') THEN
            PERFORM engage_internal.deactivate_device(s.channel, s.locator,
                format('the transport reported its token invalid: %s', detail->>'errorCode'));
        END IF;
        UPDATE engage.channels ch SET bounced_at = happened, bounce_reason = detail->>'errorCode'
        WHERE ch.type = s.channel AND ch.value = s.locator;
    END IF;
    IF what IN ('UNSUBSCRIBED', 'SPAM') AND s.channel = 'email' THEN
        INSERT INTO engage.unsubscribed_emails (email, unsubscribed_at) VALUES (s.locator, happened)
        ON CONFLICT (email) DO NOTHING;
    END IF;
    -- A broadcast is IDLE (completed) once none of its sends waits for the transport.
    IF s.broadcast_id IS NOT NULL AND new_status <> s.status AND NOT engage_internal.broadcast_pending(s.broadcast_id) THEN
        UPDATE engage.broadcasts b SET status = 'IDLE', updated_at = clock_timestamp()
        WHERE b.broadcast_id = s.broadcast_id AND b.status = 'RUNNING';
    END IF;
    RETURN QUERY SELECT new_status, activity;
END
$function$;

CREATE OR REPLACE FUNCTION engage.resume_broadcast(broadcast_id bigint)
 RETURNS engage.broadcasts
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    b engage.broadcasts := engage_internal.broadcast_numbered(broadcast_id);
BEGIN
    PERFORM engage_internal.require_broadcast_status(b, ARRAY['PAUSED'], 'resumed');
    UPDATE engage.sends s SET status = 'QUEUED', updated_at = now()
    WHERE s.broadcast_id = b.broadcast_id AND s.status = 'PAUSED';
    UPDATE engage.broadcasts x
    SET status = CASE WHEN engage_internal.broadcast_pending(b.broadcast_id) THEN 'RUNNING' ELSE 'IDLE' END,
        updated_at = now()
    WHERE x.broadcast_id = b.broadcast_id RETURNING * INTO b;
    PERFORM pg_notify('engage_sends', '');
    RETURN b;
END
$function$;

CREATE OR REPLACE FUNCTION engage.run_due_jobs(at timestamp with time zone DEFAULT now())
 RETURNS SETOF engage.job_runs
 LANGUAGE sql
AS $function$
    SELECT r.* FROM engage_internal.claim_due_runs(at, engage_internal.vouch()) AS c(run), LATERAL engage_internal.execute_run(c.run) AS r
$function$;

CREATE OR REPLACE FUNCTION engage.run_due_waits(at timestamp with time zone DEFAULT now(), max_instances integer DEFAULT 1000, OUT resumed integer, OUT sends integer, OUT waiting integer, OUT completed integer, OUT failed integer)
 RETURNS record
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    due bigint[];
    instance bigint;
    r record;
    state text;
    message text;
BEGIN
    PERFORM engage_internal.require_at_least_one('max_instances', max_instances);
    PERFORM engage_internal.require_value('at', at);
    SELECT coalesce(array_agg(x.instance_id), '{}') INTO due
    FROM (SELECT x.instance_id FROM engage.workflow_instances x
          WHERE x.status = 'waiting' AND x.resume_at <= at
          ORDER BY x.resume_at LIMIT max_instances FOR UPDATE SKIP LOCKED) x;
    resumed := cardinality(due);
    sends := 0; waiting := 0; completed := 0; failed := 0;
    BEGIN
        SELECT * INTO sends, waiting, completed, failed FROM engage_internal.resume_instances(due, at);
        RETURN;
    EXCEPTION WHEN OTHERS THEN
        IF engage_internal.transient_error(SQLSTATE) THEN
            RAISE;
        END IF;
    END;
    FOREACH instance IN ARRAY due LOOP
        BEGIN
            SELECT * INTO r FROM engage_internal.resume_instances(ARRAY[instance], at);
            sends := sends + r.sends; waiting := waiting + r.waiting; completed := completed + r.completed;
            failed := failed + r.failed;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
            IF engage_internal.transient_error(state) THEN
                RAISE;
            END IF;
            UPDATE engage.workflow_instances i
            SET status = 'failed', resume_at = NULL, ended_at = at, updated_at = at,
                error = format('set aside: %s (SQLSTATE %s)', message, state)
            WHERE i.instance_id = instance;
            failed := failed + 1;
        END;
    END LOOP;
END
$function$;

CREATE OR REPLACE FUNCTION engage.run_export_now(name text, full_resync boolean DEFAULT false)
 RETURNS engage.job_runs
 LANGUAGE plpgsql
AS $function$
DECLARE
    e engage.data_exports := engage_internal.export_named(name);
BEGIN
    IF full_resync THEN
        UPDATE engage.data_exports x SET full_resync = true WHERE x.export_id = e.export_id;
    END IF;
    RETURN engage.run_job_now((SELECT j.name FROM engage.scheduled_jobs j WHERE j.job_id = e.job_id));
END
$function$;

CREATE OR REPLACE FUNCTION engage.run_job_now(name text)
 RETURNS engage.job_runs
 LANGUAGE plpgsql
AS $function$
DECLARE
    job engage.scheduled_jobs := engage_internal.job_named(name);
BEGIN
    UPDATE engage.scheduled_jobs j SET run_requested = true WHERE j.job_id = job.job_id;
    RETURN engage_internal.run_requested_job(job.job_id);
END
$function$;

CREATE OR REPLACE FUNCTION engage.run_list_sync_now(name text, full_resync boolean DEFAULT false)
 RETURNS engage.list_syncs
 LANGUAGE plpgsql
AS $function$
DECLARE
    d engage.list_sync_definitions := engage_internal.list_sync_named(name);
    problem text := (SELECT s.problem FROM engage.scheduler_status() s);
    result engage.list_syncs;
BEGIN
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'list sync "%" cannot run: no scheduler serves this database', d.name
            USING ERRCODE = 'object_not_in_prerequisite_state', DETAIL = problem,
                  HINT = 'A list sync posts from the scheduler''s background worker; see engage.scheduler_status().';
    END IF;
    IF full_resync THEN
        UPDATE engage.list_sync_definitions x SET full_resync = true WHERE x.sync_id = d.sync_id;
    END IF;
    UPDATE engage.scheduled_jobs j SET run_requested = true WHERE j.job_id = d.job_id;
    SELECT * INTO result FROM engage.list_syncs x WHERE x.sync_id = d.sync_id;
    RETURN result;
END
$function$;

CREATE OR REPLACE FUNCTION engage.run_regular_trigger(trigger_id bigint, at timestamp with time zone DEFAULT now(), OUT events integer, OUT held_back integer)
 RETURNS record
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    r engage.regular_triggers;
    period tstzrange;
    members integer;
BEGIN
    SELECT * INTO r FROM engage.regular_triggers x WHERE x.trigger_id = run_regular_trigger.trigger_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'regular trigger % does not exist', trigger_id USING ERRCODE = 'undefined_object',
            DETAIL = 'argument trigger_id';
    END IF;
    PERFORM engage_internal.require_value('at', at);
    IF (SELECT kind FROM engage.segments s WHERE s.segment_id = r.segment_id) = 'dynamic' THEN
        PERFORM engage.refresh_segment(r.segment_id::text, at);
    END IF;
    period := engage_internal.regular_trigger_period(r, at);
    SELECT count(*) INTO members FROM engage.segment_members m WHERE m.segment_id = r.segment_id;
    -- Each member's place in the period is taken first (a concurrent run waits here and then
    -- skips it), and its event is generated with the ID drawn in advance; the members' data
    -- objects are built in the same statement.
    EXECUTE format($sql$
        WITH reached AS (
            INSERT INTO engage.regular_trigger_launches (contact_id, trigger_id, period, event_id)
            SELECT m.contact_id, $1, $2, nextval(pg_get_serial_sequence('engage.events', 'event_id'))
            FROM engage.segment_members m WHERE m.segment_id = $3
            ORDER BY m.contact_id
            ON CONFLICT DO NOTHING
            RETURNING contact_id, event_id
        ), generated AS (
            INSERT INTO engage.events (event_id, event_type_id, key_value, contact_id, params, registered_at)
            OVERRIDING SYSTEM VALUE
            SELECT x.event_id, $4, coalesce(em.value, x.contact_id::text), x.contact_id,
                   jsonb_build_object('ContactId', x.contact_id::text, 'jsonParam', coalesce(d.data, '{}')::text,
                                      'EmailAddress', em.value),
                   $5
            FROM reached x
            LEFT JOIN (%s) d ON d.contact_id = x.contact_id
            LEFT JOIN engage.channels em ON em.contact_id = x.contact_id AND em.type = 'email'
            ORDER BY x.event_id
            RETURNING 1)
        SELECT count(*) FROM generated$sql$,
        engage_internal.data_sql('id', '(SELECT array_agg(contact_id) FROM reached)'))
    INTO events
    USING r.trigger_id, period, r.segment_id, r.event_type_id, at;
    held_back := members - events;
    UPDATE engage.regular_triggers x SET last_run_at = at, last_events = events, last_held_back = held_back
    WHERE x.trigger_id = r.trigger_id;
END
$function$;

CREATE OR REPLACE FUNCTION engage.schedule_job(name text, schedule text, command text DEFAULT NULL::text, time_zone text DEFAULT NULL::text, delay interval DEFAULT '00:00:00'::interval, day_rule text DEFAULT 'more_often'::text, max_failures integer DEFAULT 5, kind text DEFAULT 'sql'::text, arguments jsonb DEFAULT '{}'::jsonb)
 RETURNS bigint
 LANGUAGE plpgsql
AS $function$
DECLARE
    id bigint;
    problem text;
BEGIN
    IF EXISTS (SELECT FROM engage.scheduled_jobs j WHERE j.name = schedule_job.name) THEN
        RAISE EXCEPTION 'job "%" already exists', name USING ERRCODE = 'duplicate_object',
            DETAIL = format('name: %s', name), HINT = 'Change it with engage.alter_job, or pick another name.';
    END IF;
    IF NOT EXISTS (SELECT FROM engage.job_kinds k WHERE k.kind = schedule_job.kind) THEN
        RAISE EXCEPTION 'unknown job kind "%"', kind USING ERRCODE = 'undefined_object',
            DETAIL = format('kind: %s', kind),
            HINT = format('Known kinds: %s.', (SELECT string_agg(k.kind, ', ' ORDER BY k.kind) FROM engage.job_kinds k));
    END IF;
    IF (kind = 'sql') <> (command IS NOT NULL) THEN
        RAISE EXCEPTION 'a job of kind "%" %', kind,
            CASE WHEN kind = 'sql' THEN 'needs a command' ELSE 'takes arguments, not a command' END
            USING ERRCODE = 'invalid_parameter_value', DETAIL = format('command: %s', coalesce(command, 'NULL'));
    END IF;
    IF delay < '0' THEN
        RAISE EXCEPTION 'delay must not be negative' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('delay: %s', delay);
    END IF;
    PERFORM engage_internal.require_at_least_one('max_failures', max_failures);
    INSERT INTO engage.scheduled_jobs AS j (name, schedule, command, time_zone, delay, day_rule, max_failures, kind, arguments)
    VALUES (name, schedule, command, time_zone, delay, day_rule, max_failures, kind, coalesce(arguments, '{}'))
    RETURNING j.job_id INTO id;
    IF nullif(btrim(schedule), '') IS NOT NULL THEN
        SELECT s.problem INTO problem FROM engage.scheduler_status() s;
        IF problem IS NOT NULL THEN
            RAISE WARNING 'job "%" is scheduled, but no scheduler runs it in this database', name
                USING DETAIL = problem,
                      HINT = 'Until one does, engage.run_due_jobs() runs due jobs when called (for example from pg_cron).';
        END IF;
    END IF;
    RETURN id;
END
$function$;

CREATE OR REPLACE FUNCTION engage.segment_contacts(segment text)
 RETURNS TABLE(contact_id bigint, added_at timestamp with time zone)
 LANGUAGE sql
 STABLE
AS $function$
    SELECT m.contact_id, m.added_at FROM engage.segment_members m
    WHERE m.segment_id = (engage_internal.segment_named(segment)).segment_id ORDER BY m.contact_id
$function$;

CREATE OR REPLACE FUNCTION engage.segment_sql(segment text)
 RETURNS text
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE
    s engage.segments := engage_internal.dynamic_segment_named(segment);
BEGIN
    RETURN format(E'-- $1 timestamptz: the instant (now()), $2 text: the default time zone (%s), $3 text[]: %s\n%s',
                  engage_internal.default_time_zone(), quote_literal(s.params), s.sql);
END
$function$;

CREATE OR REPLACE FUNCTION engage.send_broadcast(message_id integer, segment_ids bigint[], name text, start_at timestamp with time zone DEFAULT NULL::timestamp with time zone, OUT broadcast_id bigint, OUT status text, OUT queued integer, OUT suppressed integer, OUT failed integer)
 RETURNS record
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    m engage.messages;
    missing bigint;
    starts timestamptz := date_trunc('minute', start_at + interval '59.999999 seconds');
BEGIN
    SELECT * INTO m FROM engage.messages x WHERE x.message_id = send_broadcast.message_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'message % does not exist', message_id USING ERRCODE = 'undefined_object', DETAIL = 'argument message_id';
    END IF;
    IF engage_internal.media_channel(m.media_type) IS NULL THEN
        RAISE EXCEPTION 'message % is a % message, which goes to no contact channel', message_id, m.media_type
            USING ERRCODE = 'feature_not_supported', DETAIL = 'argument message_id';
    END IF;
    IF cardinality(segment_ids) IS NULL OR cardinality(segment_ids) = 0 THEN
        RAISE EXCEPTION 'a broadcast needs at least one segment' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'argument segment_ids';
    END IF;
    SELECT x.id INTO missing FROM unnest(segment_ids) x(id) LEFT JOIN engage.segments s ON s.segment_id = x.id
    WHERE s.segment_id IS NULL LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'segment % does not exist', coalesce(missing::text, 'NULL') USING ERRCODE = 'undefined_object',
            DETAIL = 'argument segment_ids';
    END IF;
    IF name IS NULL OR btrim(name) = '' THEN
        RAISE EXCEPTION 'a broadcast needs a name' USING ERRCODE = 'invalid_parameter_value', DETAIL = 'argument name';
    END IF;
    IF start_at > now() + interval '1 year' OR start_at = 'infinity' THEN
        RAISE EXCEPTION 'a broadcast can be scheduled at most a year ahead' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('argument start_at: %s', start_at);
    END IF;
    IF start_at > now() THEN
        INSERT INTO engage.broadcasts (name, message_id, segment_ids, media_type, status, scheduled_at)
        VALUES (btrim(name), m.message_id, segment_ids, m.media_type, 'SCHEDULED', starts)
        RETURNING broadcasts.broadcast_id INTO broadcast_id;
        PERFORM engage.schedule_job(format('broadcast %s', broadcast_id),
            to_char(starts AT TIME ZONE 'UTC', 'FMMI FMHH24 FMDD FMMM *'), time_zone => 'UTC', kind => 'broadcast',
            arguments => jsonb_build_object('broadcast', broadcast_id));
        status := 'SCHEDULED';
        RETURN;
    END IF;
    INSERT INTO engage.broadcasts (name, message_id, segment_ids, media_type, status)
    VALUES (btrim(name), m.message_id, segment_ids, m.media_type, 'RUNNING')
    RETURNING broadcasts.broadcast_id INTO broadcast_id;
    SELECT * INTO queued, suppressed, failed FROM engage_internal.start_broadcast(broadcast_id);
    SELECT b.status INTO status FROM engage.broadcasts b WHERE b.broadcast_id = send_broadcast.broadcast_id;
END
$function$;

CREATE OR REPLACE FUNCTION engage.send_broadcast(message text, segments text[], name text, start_at timestamp with time zone DEFAULT NULL::timestamp with time zone, OUT broadcast_id bigint, OUT status text, OUT queued integer, OUT suppressed integer, OUT failed integer)
 RETURNS record
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    message_id integer := engage_internal.message_named(message, true, 'argument message');
    segment text;
    segment_ids bigint[] := '{}';
BEGIN
    FOREACH segment IN ARRAY coalesce(segments, '{}') LOOP
        segment_ids := segment_ids || (engage_internal.segment_named(segment)).segment_id;
    END LOOP;
    SELECT * INTO broadcast_id, status, queued, suppressed, failed
    FROM engage.send_broadcast(message_id, segment_ids, name, start_at);
END
$function$;

CREATE OR REPLACE FUNCTION engage.unlink_event(workflow text, event_type text)
 RETURNS boolean
 LANGUAGE sql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
    WITH gone AS (
        DELETE FROM engage.workflow_triggers t USING engage.event_types e
        WHERE t.workflow_id = (engage_internal.workflow_named(workflow)).workflow_id
          AND e.event_type_id = t.event_type_id AND e.key = event_type
        RETURNING 1)
    SELECT EXISTS (SELECT FROM gone)
$function$;

CREATE OR REPLACE FUNCTION engage.unschedule_job(name text)
 RETURNS boolean
 LANGUAGE plpgsql
AS $function$
DECLARE
    job engage.scheduled_jobs := engage_internal.job_named(name);
BEGIN
    IF job.kind IN ('export', 'list_sync') THEN
        RAISE EXCEPTION 'job "%" runs %', job.name, CASE job.kind WHEN 'export' THEN 'an export' ELSE 'a list sync' END
            USING ERRCODE = 'dependent_objects_still_exist', DETAIL = format('name: %s', job.name),
                  HINT = CASE job.kind
                      WHEN 'export' THEN 'Drop the export (engage.drop_export), or remove its schedule (engage.alter_export(name, schedule => '''')).'
                      ELSE 'Drop the list sync (engage.drop_list_sync), or remove its schedule (engage.alter_list_sync(name, schedule => '''')).' END;
    END IF;
    DELETE FROM engage.scheduled_jobs j WHERE j.job_id = job.job_id;
    RETURN true;
END
$function$;

CREATE OR REPLACE FUNCTION engage.validate_connector(name text, OUT ok boolean, OUT message text, OUT ssl boolean, OUT hint text, OUT server_message text)
 RETURNS record
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    c engage.connectors := engage_internal.connector_named(name);
    detail text;
BEGIN
    IF c.server_name IS NULL THEN
        PERFORM 1;
        ok := true;
        message := format('connector "%s" reads this database (%s)', c.name, current_database());
        RETURN;
    END IF;
    -- dblink runs the query on the other side, over the connector's server and its owner's user
    -- mapping, as the owner: dblink refuses a role that is not a superuser when the server does
    -- not ask it for the password.
    BEGIN
        ssl := engage_internal.execute_as(c.owner, 'pg_catalog, pg_temp',
                   format('SELECT t.ssl::text FROM %I.dblink($1->>''server'', $1->>''query'') AS t(ssl boolean)',
                          engage_internal.require_dblink()),
                   jsonb_build_object('server', c.server_name,
                                      'query', 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()'))::boolean;
        ok := true;
        message := format('connected to %s port %s as %s', c.host, c.port, c.username);
        IF NOT ssl THEN
            message := message || '; the connection is not SSL-secured';
            hint := 'Use ssl_mode => ''require'' on a server that has SSL.';
        END IF;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS server_message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
        server_message := btrim(concat_ws(E'\n', nullif(server_message, 'could not establish connection'), detail));
        ok := false;
        SELECT p.message, p.hint INTO message, hint FROM engage_internal.connection_problem(c, server_message) p;
    END;
END
$function$;

CREATE OR REPLACE FUNCTION engage.wait_for_list_sync(name text, timeout interval DEFAULT '00:05:00'::interval)
 RETURNS engage.list_sync_runs
 LANGUAGE plpgsql
AS $function$
DECLARE
    d engage.list_sync_definitions;
    deadline timestamptz := clock_timestamp() + timeout;
    result engage.list_sync_runs;
BEGIN
    SELECT * INTO d FROM engage.list_sync_definitions x WHERE x.name = wait_for_list_sync.name;
    IF NOT FOUND THEN
        PERFORM engage_internal.list_sync_named(name);
    END IF;
    WHILE EXISTS (SELECT FROM engage.scheduled_jobs j WHERE j.job_id = d.job_id AND j.run_requested)
       OR EXISTS (SELECT FROM engage.job_runs r WHERE r.job_id = d.job_id AND r.status = 'running') LOOP
        IF clock_timestamp() > deadline THEN
            RAISE EXCEPTION 'list sync "%" did not finish within %', d.name, timeout USING ERRCODE = 'query_canceled',
                HINT = 'engage.list_syncs shows its state; a run asked for in this same transaction starts only after it commits.';
        END IF;
        PERFORM pg_sleep(0.05);
    END LOOP;
    SELECT * INTO result FROM engage.list_sync_runs r WHERE r.sync = d.name ORDER BY r.run_id DESC LIMIT 1;
    RETURN result;
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.advance_instances(at timestamp with time zone, OUT sends integer, OUT waiting integer, OUT completed integer, OUT failed integer)
 RETURNS record
 LANGUAGE plpgsql
AS $function$
DECLARE
    n integer;
    f integer;
    c integer;
    rounds integer := 0;
BEGIN
    sends := 0; waiting := 0; completed := 0; failed := 0;
    LOOP
        EXIT WHEN NOT EXISTS (SELECT FROM engage.workflow_instances WHERE status = 'running');
        rounds := rounds + 1;
        IF rounds > 1002 THEN
            RAISE EXCEPTION 'workflow instances ran % rounds without waiting', rounds - 1 USING ERRCODE = 'internal_error';
        END IF;

        -- Send message: rendered and queued (engage_internal.send_blocks); an instance whose path ends with
        -- the send completes here, not in another update.
        WITH moved AS (
            UPDATE engage.workflow_instances i
            SET block_id = CASE WHEN NOT x.failed THEN b.next END,
                status = CASE WHEN x.failed THEN 'failed' WHEN b.next IS NULL THEN 'completed' ELSE 'running' END,
                error = x.error, ended_at = CASE WHEN x.failed OR b.next IS NULL THEN at END, steps = i.steps + 1,
                updated_at = at
            FROM engage_internal.send_blocks(ARRAY(
                     SELECT ROW(r.instance_id, r.workflow_id, r.version, r.contact_id, r.block_id, r.params)::engage.workflow_step
                     FROM engage.workflow_instances r
                     JOIN engage.workflow_blocks b ON b.workflow_id = r.workflow_id AND b.version = r.version AND b.block_id = r.block_id
                     WHERE r.status = 'running' AND b.type = 'send_message'), at) x,
                 engage.workflow_blocks b
            WHERE i.instance_id = x.instance_id
              AND b.workflow_id = i.workflow_id AND b.version = i.version AND b.block_id = i.block_id
            RETURNING i.status, x.sends
        )
        SELECT coalesce(sum(moved.sends), 0), count(*) FILTER (WHERE status = 'failed'),
               count(*) FILTER (WHERE status = 'completed')
        INTO n, f, c FROM moved;
        sends := sends + n;
        failed := failed + f;
        completed := completed + c;

        -- Condition: yes or no.
        UPDATE engage.workflow_instances i
        SET block_id = CASE WHEN CASE WHEN b.segment_id IS NOT NULL
                                      THEN EXISTS (SELECT FROM engage.segment_members sm
                                                   WHERE sm.segment_id = b.segment_id AND sm.contact_id = i.contact_id)
                                      ELSE engage_internal.param_test(i.params -> b.param, b.op, b.value) END
                            THEN b.yes ELSE b.no END,
            steps = i.steps + 1, updated_at = at
        FROM engage.workflow_blocks b
        WHERE i.status = 'running' AND b.workflow_id = i.workflow_id AND b.version = i.version AND b.block_id = i.block_id AND b.type = 'condition';

        -- Get order: the contact's order that the start event names (by the block's param,
        -- externalOrderId by default) with its items, into $data as "order"; an instance whose
        -- contact has no such order fails, so that nothing is sent about an order it cannot show.
        WITH due AS (
            SELECT i.instance_id, b.next, b.param, i.params ->> b.param AS key,
                   engage_internal.order_object(i.contact_id, i.params ->> b.param) AS found
            FROM engage.workflow_instances i
            JOIN engage.workflow_blocks b ON b.workflow_id = i.workflow_id AND b.version = i.version AND b.block_id = i.block_id
            WHERE i.status = 'running' AND b.type = 'get_order'
        ), got AS (
            UPDATE engage.workflow_instances i
            SET params = CASE WHEN d.found IS NULL THEN i.params ELSE i.params || jsonb_build_object('order', d.found) END,
                block_id = CASE WHEN d.found IS NULL THEN i.block_id ELSE d.next END,
                status = CASE WHEN d.found IS NULL THEN 'failed' ELSE i.status END,
                error = CASE WHEN d.found IS NULL THEN format('the contact has no order %s (param %s)',
                                                              coalesce(quote_literal(d.key), 'NULL'), d.param) END,
                ended_at = CASE WHEN d.found IS NULL THEN at END,
                steps = i.steps + 1, updated_at = at
            FROM due d
            WHERE i.instance_id = d.instance_id
            RETURNING i.status)
        SELECT count(*) INTO f FROM got WHERE status = 'failed';
        failed := failed + f;

        -- Add to / remove from a static segment.
        INSERT INTO engage.segment_members (segment_id, contact_id, added_at)
        SELECT b.segment_id, i.contact_id, at
        FROM engage.workflow_instances i
        JOIN engage.workflow_blocks b ON b.workflow_id = i.workflow_id AND b.version = i.version AND b.block_id = i.block_id
        WHERE i.status = 'running' AND b.type = 'add_to_segment'
        ON CONFLICT DO NOTHING;
        DELETE FROM engage.segment_members sm
        USING engage.workflow_instances i
        JOIN engage.workflow_blocks b ON b.workflow_id = i.workflow_id AND b.version = i.version AND b.block_id = i.block_id
        WHERE i.status = 'running' AND b.type = 'remove_from_segment'
          AND sm.segment_id = b.segment_id AND sm.contact_id = i.contact_id;

        -- Generate event: for the instance's contact, processed by a later batch.
        PERFORM engage_internal.register_event_types(array_agg(b.event_type_key))
        FROM engage.workflow_instances i
        JOIN engage.workflow_blocks b ON b.workflow_id = i.workflow_id AND b.version = i.version AND b.block_id = i.block_id
        WHERE i.status = 'running' AND b.type = 'generate_event';
        INSERT INTO engage.events (event_type_id, key_value, contact_id, params, registered_at)
        SELECT t.event_type_id, i.contact_id::text, i.contact_id, coalesce(b.event_params, '{}'), at
        FROM engage.workflow_instances i
        JOIN engage.workflow_blocks b ON b.workflow_id = i.workflow_id AND b.version = i.version AND b.block_id = i.block_id
        JOIN engage.event_types t ON t.key = b.event_type_key
        WHERE i.status = 'running' AND b.type = 'generate_event'
        ORDER BY i.instance_id;

        UPDATE engage.workflow_instances i SET block_id = b.next, steps = i.steps + 1, updated_at = at
        FROM engage.workflow_blocks b
        WHERE i.status = 'running' AND b.workflow_id = i.workflow_id AND b.version = i.version AND b.block_id = i.block_id
          AND b.type IN ('add_to_segment', 'remove_from_segment', 'generate_event');

        -- Wait: for a duration, or until a time of day in the contact's time zone.
        UPDATE engage.workflow_instances i
        SET status = 'waiting', block_id = b.next, steps = i.steps + 1, updated_at = at,
            resume_at = CASE WHEN b.wait_seconds IS NOT NULL THEN at + make_interval(secs => b.wait_seconds)
                             ELSE engage_internal.next_time_of_day(at, b.wait_until, coalesce(c.time_zone, engage_internal.default_time_zone())) END
        FROM engage.workflow_blocks b, engage.contacts c
        WHERE i.status = 'running' AND b.workflow_id = i.workflow_id AND b.version = i.version AND b.block_id = i.block_id AND b.type = 'wait'
          AND c.contact_id = i.contact_id;
        GET DIAGNOSTICS n = ROW_COUNT;
        waiting := waiting + n;

        -- Exit, or the end of a path.
        UPDATE engage.workflow_instances i
        SET status = 'completed', block_id = NULL, ended_at = at, updated_at = at,
            steps = i.steps + CASE WHEN i.block_id IS NULL THEN 0 ELSE 1 END
        WHERE i.status = 'running'
          AND (i.block_id IS NULL OR EXISTS (SELECT FROM engage.workflow_blocks b
               WHERE b.workflow_id = i.workflow_id AND b.version = i.version AND b.block_id = i.block_id AND b.type = 'exit'));
        GET DIAGNOSTICS n = ROW_COUNT;
        completed := completed + n;
    END LOOP;
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.check_source_relation(role oid, relation regclass, key_column text)
 RETURNS void
 LANGUAGE plpgsql
 STABLE
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    namespace name := (SELECT n.nspname FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace WHERE r.oid = relation);
BEGIN
    IF namespace IN ('pg_catalog', 'information_schema', 'engage_sources') OR namespace LIKE 'pg\_toast%'
       OR namespace LIKE 'pg\_temp\_%' THEN
        RAISE EXCEPTION '% cannot be a data source', relation USING ERRCODE = 'insufficient_privilege',
            DETAIL = format('relation: %s', relation),
            HINT = 'A data source is a table or view of your own; system catalogs and temporary tables are not.';
    END IF;
    IF NOT has_table_privilege(role, relation, 'SELECT') THEN
        RAISE EXCEPTION 'role % cannot read %', role::regrole, relation USING ERRCODE = 'insufficient_privilege',
            DETAIL = format('relation: %s', relation),
            HINT = format('A data source is read with the rights of the role that registers it: GRANT SELECT ON %s TO %s.',
                          relation, role::regrole);
    END IF;
    PERFORM engage_internal.column_type(relation, key_column);
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.check_workflow_blocks(rows jsonb)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE
    b record;
    at text;
BEGIN
    FOR b IN SELECT r.*, m.media_type, s.kind AS segment_kind, m.message_id IS NOT NULL AS message_found,
                    s.segment_id IS NOT NULL AS segment_found
             FROM jsonb_to_recordset(rows) AS r(block_id text, position int, type text, message_id int,
                      channel text, segment_id bigint, event_type_key text)
             LEFT JOIN engage.messages m ON m.message_id = r.message_id
             LEFT JOIN engage.segments s ON s.segment_id = r.segment_id
             ORDER BY r.position
    LOOP
        at := format('at blocks[%s]', b.position);
        IF b.message_id IS NOT NULL AND NOT b.message_found THEN
            RAISE EXCEPTION 'message % does not exist', b.message_id USING ERRCODE = 'undefined_object',
                DETAIL = at || '.messageId';
        END IF;
        IF b.type = 'send_message' AND b.channel IS NULL AND engage_internal.media_channel(b.media_type) IS NULL THEN
            RAISE EXCEPTION 'message % is a % message, which goes to no contact channel', b.message_id, b.media_type
                USING ERRCODE = 'invalid_parameter_value', DETAIL = at,
                      HINT = 'Name the channel of the block ("channel": "email", …).';
        END IF;
        IF b.segment_id IS NOT NULL AND NOT b.segment_found THEN
            RAISE EXCEPTION 'segment % does not exist', b.segment_id USING ERRCODE = 'undefined_object',
                DETAIL = at || '.segmentId';
        END IF;
        IF b.type IN ('add_to_segment', 'remove_from_segment') AND b.segment_kind <> 'static' THEN
            RAISE EXCEPTION 'segment % is dynamic: its rule decides its members', b.segment_id
                USING ERRCODE = 'wrong_object_type', DETAIL = at || '.segmentId',
                      HINT = 'Workflows add contacts to and remove them from static groups.';
        END IF;
        IF b.type = 'generate_event' THEN
            PERFORM engage_internal.register_event_types(ARRAY[b.event_type_key]);
        END IF;
    END LOOP;
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.claim_due_runs(at timestamp with time zone DEFAULT now(), voucher bigint DEFAULT NULL::bigint, for_worker boolean DEFAULT false)
 RETURNS SETOF bigint
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    caller oid := CASE WHEN at > now() THEN engage_internal.vouched_role(voucher) END;
    job engage.scheduled_jobs;
    passed bigint;
    last_passed timestamptz;
    next_time timestamptz;
    busy boolean;
    run bigint;
    retention int := (SELECT s.setting::int FROM pg_settings s WHERE s.name = 'engage.job_run_retention');
BEGIN
    IF for_worker AND NOT engage_internal.in_background_worker() THEN
        RAISE EXCEPTION 'only the scheduler claims runs for background workers' USING ERRCODE = 'insufficient_privilege',
            HINT = 'engage.run_due_jobs() runs due jobs in this session.';
    END IF;
    PERFORM engage_internal.mark_interrupted_runs();
    IF retention > 0 THEN
        DELETE FROM engage.job_runs r WHERE r.finished_at < now() - make_interval(mins => retention);
    END IF;
    IF for_worker THEN
        FOR job IN
            SELECT * FROM engage.scheduled_jobs j
            WHERE j.run_requested AND j.kind IN (SELECT k.kind FROM engage.job_kinds k WHERE k.worker_delivers)
            ORDER BY j.job_id FOR UPDATE SKIP LOCKED
        LOOP
            busy := EXISTS (SELECT FROM engage.job_runs r WHERE r.job_id = job.job_id AND r.status = 'running');
            UPDATE engage.scheduled_jobs j SET run_requested = false WHERE j.job_id = job.job_id;
            INSERT INTO engage.job_runs AS r (job_id, job_name, owner, started_by, status, finished_at, result)
            VALUES (job.job_id, job.name, job.owner, 'manual', CASE WHEN busy THEN 'skipped' ELSE 'running' END,
                    CASE WHEN busy THEN clock_timestamp() END,
                    CASE WHEN busy THEN 'the previous run was still running' END)
            RETURNING r.run_id INTO run;
            IF NOT busy THEN
                RETURN NEXT run;
            END IF;
        END LOOP;
    END IF;
    FOR job IN
        SELECT * FROM engage.scheduled_jobs j
        WHERE j.enabled AND j.next_run_at <= at AND (j.next_run_at <= now() OR pg_has_role(caller, j.owner, 'USAGE'))
          AND (for_worker OR j.kind NOT IN (SELECT k.kind FROM engage.job_kinds k WHERE k.worker_delivers))
        ORDER BY j.next_run_at, j.job_id FOR UPDATE SKIP LOCKED
    LOOP
        -- Every scheduled time whose run is due by now (the run is for the last of them), and the
        -- next one.
        SELECT c.fires, c.last_fire, c.next_fire INTO passed, last_passed, next_time
        FROM engage.cron_count(job.schedule, job.next_scheduled_at - interval '1 microsecond', at - job.delay,
                               job.time_zone, job.day_rule) c;
        busy := EXISTS (SELECT FROM engage.job_runs r WHERE r.job_id = job.job_id AND r.status = 'running');
        INSERT INTO engage.job_runs AS r (job_id, job_name, owner, started_by, scheduled_at, missed_runs, status,
                                          finished_at, result)
        VALUES (job.job_id, job.name, job.owner, 'schedule', last_passed, greatest(passed - 1, 0),
                CASE WHEN busy THEN 'skipped' ELSE 'running' END,
                CASE WHEN busy THEN clock_timestamp() END,
                CASE WHEN busy THEN 'the previous run was still running' END)
        RETURNING r.run_id INTO run;
        UPDATE engage.scheduled_jobs j SET next_scheduled_at = next_time, next_run_at = next_time + j.delay
        WHERE j.job_id = job.job_id;
        IF NOT busy THEN
            RETURN NEXT run;
        END IF;
    END LOOP;
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.connector_has_exports()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    exports text := (SELECT string_agg(e.name, ', ' ORDER BY e.name) FROM engage.data_exports e
                     WHERE e.connector_id = OLD.connector_id);
BEGIN
    IF exports IS NOT NULL THEN
        RAISE EXCEPTION 'connector "%" has exports', OLD.name USING ERRCODE = 'dependent_objects_still_exist',
            DETAIL = format('exports: %s', exports), HINT = 'Drop them first (engage.drop_export).';
    END IF;
    RETURN OLD;
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.contact_context_of(contact_id bigint, external_customer_id text, first_name text, last_name text, language_code text, time_zone text, reads text[] DEFAULT NULL::text[])
 RETURNS TABLE(context jsonb)
 LANGUAGE sql
 STABLE PARALLEL SAFE
AS $function$
SELECT jsonb_build_object('id', contact_id, 'externalCustomerId', external_customer_id, 'firstName', first_name,
                          'lastName', last_name, 'language', language_code, 'timeZone', time_zone)
       || CASE WHEN w.channels THEN jsonb_build_object('email', ch.email, 'phone', ch.phone,
                                                       'channels', coalesce(ch.list, '[]')) ELSE '{}' END
       || CASE WHEN w.fields THEN jsonb_build_object('fields', coalesce(fv.fields, '{}')) ELSE '{}' END
FROM (SELECT reads IS NULL OR reads && ARRAY['email', 'phone', 'channels'] AS channels,
             reads IS NULL OR 'fields' = ANY (reads) AS fields) w
-- Channels (in (type, value) order) and fields are read by index, so that the cost stays linear
-- whatever the planner guesses of the number of contacts (a batch of workflow instances made in
-- this transaction is invisible to its statistics).
CROSS JOIN LATERAL (
    SELECT max(x.value) FILTER (WHERE x.type = 'email') AS email,
           max(x.value) FILTER (WHERE x.type = 'sms') AS phone,
           jsonb_agg(jsonb_build_object('type', x.type, 'value', x.value, 'status', x.status)) AS list
    -- In the order of the index channels_contact, so that no contact's channels are sorted.
    FROM (SELECT y.type, y.value, y.status FROM engage.channels y
          WHERE y.contact_id = contact_context_of.contact_id AND w.channels
          ORDER BY y.type, y.value) x) ch
CROSS JOIN LATERAL (
    SELECT jsonb_object_agg(f.name, CASE f.type
               WHEN 'number' THEN to_jsonb(v.value_number)
               WHEN 'boolean' THEN to_jsonb(v.value_boolean)
               ELSE to_jsonb(v.value) END) AS fields
    FROM engage.contact_fields v JOIN engage.fields f USING (field_id)
    WHERE v.contact_id = contact_context_of.contact_id AND w.fields) fv
$function$;

CREATE OR REPLACE FUNCTION engage_internal.data_sql(keyed_by text, ids text DEFAULT '$1::bigint[]'::text)
 RETURNS text
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE
    parts text[];
BEGIN
    SELECT array_agg(format(
        'SELECT m.id AS contact_id, %s AS ord, %L::text AS source, json_agg(r.x ORDER BY r.x::text) AS rows
         FROM unnest(%s) AS m(id) JOIN %s
         JOIN (SELECT r.%I AS key, %s AS x FROM %s r) r ON r.key = k.value::%s
         GROUP BY m.id',
        s.source_id, CASE keyed_by WHEN 'id' THEN s.source_id::text ELSE s.name END, ids,
        CASE c.contact_key
            WHEN 'email' THEN 'engage.channels k ON k.contact_id = m.id AND k.type = ''email'''
            WHEN 'phone' THEN 'engage.channels k ON k.contact_id = m.id AND k.type = ''sms'''
            WHEN 'external_id' THEN '(SELECT x.contact_id, x.external_customer_id AS value FROM engage.contacts x) k
                                     ON k.contact_id = m.id'
            ELSE format('engage.contact_fields k ON k.contact_id = m.id AND k.field_id = %s', c.contact_key_field_id) END,
        s.key_column, engage_internal.source_row_json(s.relation), s.relation, engage_internal.column_type(s.relation, s.key_column))
        ORDER BY s.source_id)
    INTO parts
    FROM engage.data_sources s JOIN engage.connectors c USING (connector_id);
    -- One source needs no second aggregation; several are combined in source order from input
    -- sorted once (an ORDER BY inside json_object_agg would sort again for every contact).
    RETURN CASE cardinality(parts)
        WHEN 1 THEN format('SELECT u.contact_id, json_build_object(u.source, u.rows) AS data FROM (%s) u', parts[1])
        ELSE format('SELECT u.contact_id, json_object_agg(u.source, u.rows) AS data
                     FROM (SELECT * FROM (%s) p ORDER BY p.contact_id, p.ord) u GROUP BY u.contact_id',
                    coalesce(array_to_string(parts, ' UNION ALL '),
                             'SELECT NULL::bigint AS contact_id, 0 AS ord, NULL::text AS source, NULL::json AS rows WHERE false'))
    END;
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.delete_dependents()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    key name := TG_ARGV[0];
    dependent name;
BEGIN
    FOREACH dependent IN ARRAY TG_ARGV[1:] LOOP
        IF TG_OP = 'TRUNCATE' THEN
            EXECUTE format('TRUNCATE engage.%I', dependent);
        ELSE
            EXECUTE format('DELETE FROM engage.%I x USING gone g WHERE x.%I = g.%I', dependent, key, key);
        END IF;
    END LOOP;
    RETURN NULL;
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.drop_oldest_month(relation regclass)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE
    t engage.partitioned_tables;
    before engage.time_partitions;
    oldest engage.time_partitions;
BEGIN
    SELECT * INTO t FROM engage.partitioned_tables x WHERE x.relation = drop_oldest_month.relation;
    SELECT * INTO before FROM engage.time_partitions p WHERE p.relation = t.relation AND p.from_time IS NULL;
    SELECT * INTO oldest FROM engage.time_partitions p WHERE p.relation = t.relation AND p.from_time = before.to_time;
    EXECUTE format('ALTER TABLE %s DETACH PARTITION %s', t.relation, before.partition);
    EXECUTE format('ALTER EXTENSION pg_engage DROP TABLE %s', oldest.partition);
    EXECUTE format('DROP TABLE %s', oldest.partition);
    EXECUTE format('ALTER TABLE %s ATTACH PARTITION %s %s', t.relation, before.partition,
                   engage_internal.partition_bounds(t.key_kind, NULL, oldest.to_time));
    DELETE FROM engage.time_partitions p WHERE p.partition = oldest.partition;
    UPDATE engage.time_partitions p SET to_time = oldest.to_time WHERE p.partition = before.partition;
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.dynamic_segment_named(segment text)
 RETURNS engage.segments
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE
    s engage.segments := engage_internal.segment_named(segment);
BEGIN
    IF s.kind <> 'dynamic' THEN
        RAISE EXCEPTION 'segment "%" is a static group: it has members, not a rule', s.name
            USING ERRCODE = 'object_not_in_prerequisite_state', DETAIL = format('segment: %s', segment),
                  HINT = 'engage.add_to_group and engage.remove_from_group change its members.';
    END IF;
    RETURN s;
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.execute_run(run bigint)
 RETURNS engage.job_runs
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    r engage.job_runs;
    job engage.scheduled_jobs;
    command text;
    outcome text;
    message text;
    detail text;
    state text;
BEGIN
    SELECT * INTO r FROM engage.job_runs x WHERE x.run_id = run AND x.status = 'running' FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'run % is not waiting to run', run USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = format('run_id: %s', run);
    END IF;
    SELECT * INTO job FROM engage.scheduled_jobs j WHERE j.job_id = r.job_id;
    -- A run a worker delivers is planned by that worker (a superuser may take the steps by hand).
    IF (SELECT k.worker_delivers FROM engage.job_kinds k WHERE k.kind = job.kind) AND NOT engage_internal.in_background_worker()
       AND NOT (SELECT x.rolsuper FROM pg_roles x WHERE x.rolname = session_user) THEN
        RAISE EXCEPTION 'run % is planned and delivered by the scheduler''s background worker', run
            USING ERRCODE = 'insufficient_privilege', DETAIL = format('run_id: %s, kind: %s', run, job.kind);
    END IF;
    UPDATE engage.job_runs x SET pid = pg_backend_pid(), started_at = clock_timestamp() WHERE x.run_id = run;
    command := CASE WHEN job.kind = 'sql' THEN job.command
                    ELSE format('SELECT %s($1)::text', (SELECT k.run_function::regproc FROM engage.job_kinds k
                                                        WHERE k.kind = job.kind)) END;
    BEGIN
        outcome := engage_internal.execute_as(job.owner, job.search_path, command,
                                     CASE WHEN job.kind = 'sql' THEN NULL ELSE job.arguments END);
        IF (SELECT k.worker_delivers FROM engage.job_kinds k WHERE k.kind = job.kind) THEN
            -- Planned: the run stays running while its worker delivers (see job_kinds).
            UPDATE engage.job_runs x SET result = outcome WHERE x.run_id = run RETURNING * INTO r;
        ELSE
            UPDATE engage.job_runs x SET status = 'succeeded', result = outcome, finished_at = clock_timestamp()
            WHERE x.run_id = run RETURNING * INTO r;
            UPDATE engage.scheduled_jobs j SET consecutive_failures = 0 WHERE j.job_id = job.job_id AND j.consecutive_failures > 0;
        END IF;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL, state = RETURNED_SQLSTATE;
        IF left(state, 2) IN ('08', 'HV') OR state LIKE '57P0_' THEN
            RAISE;
        END IF;
        r := engage_internal.fail_run(run, message, detail, state);
    END;
    RETURN r;
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.export_changes_broadcasts(since txid_snapshot, stable bigint)
 RETURNS SETOF text
 LANGUAGE sql
 STABLE
AS $function$
    SELECT b.broadcast_id::text FROM engage.broadcasts b WHERE engage_internal.written_since(b.xmin, since, stable)
    UNION ALL SELECT engage_internal.export_tombstoned('broadcasts', since)
$function$;

CREATE OR REPLACE FUNCTION engage_internal.export_changes_contacts(since txid_snapshot, stable bigint)
 RETURNS SETOF text
 LANGUAGE sql
 STABLE
AS $function$
    SELECT c.contact_id::text FROM engage.contacts c WHERE engage_internal.written_since(c.xmin, since, stable)
    UNION ALL
    SELECT ch.contact_id::text FROM engage.channels ch
    WHERE ch.type IN ('email', 'sms') AND engage_internal.written_since(ch.xmin, since, stable)
    UNION ALL
    SELECT ch.contact_id::text FROM engage.unsubscribed_emails u
    JOIN engage.channels ch ON ch.type = 'email' AND ch.value = u.email
    WHERE engage_internal.written_since(u.xmin, since, stable)
    UNION ALL
    SELECT a.contact_id::text FROM engage.contact_activities a
    WHERE engage_internal.appended_between(a.written_xid, since, NULL) AND a.contact_id IS NOT NULL
      AND a.activity IN ('DELIVERED', 'UNDELIVERED', 'RECEIVED', 'CLICKED')
    UNION ALL SELECT engage_internal.export_tombstoned('contacts', since)
$function$;

CREATE OR REPLACE FUNCTION engage_internal.export_changes_devices(since txid_snapshot, stable bigint)
 RETURNS SETOF text
 LANGUAGE sql
 STABLE
AS $function$
    SELECT d.device_id FROM engage.devices d WHERE engage_internal.written_since(d.xmin, since, stable)
    UNION ALL
    SELECT d.device_id FROM engage.contacts c JOIN engage.devices d ON d.contact_id = c.contact_id
    WHERE engage_internal.written_since(c.xmin, since, stable)
    UNION ALL SELECT engage_internal.export_tombstoned('devices', since)
$function$;

CREATE OR REPLACE FUNCTION engage_internal.export_changes_messages(since txid_snapshot, stable bigint)
 RETURNS SETOF text
 LANGUAGE sql
 STABLE
AS $function$
    SELECT m.message_id::text FROM engage.messages m WHERE engage_internal.written_since(m.xmin, since, stable)
    UNION ALL
    SELECT t.message_id::text FROM engage.message_translations t WHERE engage_internal.written_since(t.xmin, since, stable)
    UNION ALL SELECT engage_internal.export_tombstoned('messages', since)
$function$;

CREATE OR REPLACE FUNCTION engage_internal.export_changes_order_items(since txid_snapshot, stable bigint)
 RETURNS SETOF text
 LANGUAGE sql
 STABLE
AS $function$
    SELECT i.order_id::text FROM engage.order_items i WHERE engage_internal.written_since(i.xmin, since, stable)
    UNION ALL SELECT engage_internal.export_tombstoned('orderItems', since)
$function$;

CREATE OR REPLACE FUNCTION engage_internal.export_changes_orders(since txid_snapshot, stable bigint)
 RETURNS SETOF text
 LANGUAGE sql
 STABLE
AS $function$
    SELECT o.order_id::text FROM engage.orders o WHERE engage_internal.written_since(o.xmin, since, stable)
    UNION ALL SELECT engage_internal.export_tombstoned('orders', since)
$function$;

CREATE OR REPLACE FUNCTION engage_internal.export_changes_revenue(since txid_snapshot, stable bigint)
 RETURNS SETOF text
 LANGUAGE sql
 STABLE
AS $function$
    SELECT r.external_order_id FROM engage.revenue r WHERE engage_internal.written_since(r.xmin, since, stable)
    UNION ALL
    SELECT o.external_order_id FROM engage.orders o WHERE engage_internal.written_since(o.xmin, since, stable)
    UNION ALL SELECT engage_internal.export_tombstoned('revenue', since)
$function$;

CREATE OR REPLACE FUNCTION engage_internal.export_check_definition(export_name text, c engage.connectors, schema name, datasets text[])
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE
    clash record;
BEGIN
    IF c.server_name IS NOT NULL AND c.owner <> current_user::regrole THEN
        RAISE EXCEPTION 'exports through connector "%" are made by its owner, role %', c.name, c.owner::regrole
            USING ERRCODE = 'insufficient_privilege', DETAIL = format('connector: %s', c.name),
                  HINT = 'Its user mapping (the password) is that role''s: create the export as that role.';
    END IF;
    SELECT x.name, ARRAY(SELECT unnest(x.datasets) INTERSECT SELECT unnest(export_check_definition.datasets) ORDER BY 1) AS shared INTO clash
    FROM engage.data_exports x
    WHERE x.connector_id = c.connector_id AND x.target_schema = schema AND x.datasets && export_check_definition.datasets
      AND x.name <> export_name
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'export "%" already writes % into schema % of connector "%"', clash.name,
            array_to_string(clash.shared, ', '), schema, c.name
            USING ERRCODE = 'duplicate_object', DETAIL = format('datasets: %s', clash.shared),
                  HINT = format('A table has one export: add datasets to "%s" (engage.alter_export) or choose another schema.',
                                clash.name);
    END IF;
    IF c.server_name IS NULL THEN
        PERFORM engage_internal.export_check_target(schema, datasets, engage_internal.export_describe_target(c, schema, datasets),
                                           'in this database');
    END IF;
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.export_check_target(schema name, datasets text[], target jsonb, place text, OUT missing text[], OUT state_missing boolean)
 RETURNS record
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE
    d engage.export_datasets;
    t jsonb;
    col record;
    problem text;
BEGIN
    IF NOT (target->>'schema_exists')::boolean THEN
        RAISE EXCEPTION 'schema "%" does not exist %', schema, place USING ERRCODE = 'invalid_schema_name',
            DETAIL = format('schema: %s', schema),
            HINT = 'Create it first (an export creates tables, not schemas), or export into another schema.';
    END IF;
    missing := '{}';
    FOR d IN SELECT * FROM engage.export_datasets x WHERE x.dataset = ANY (datasets) ORDER BY x.dataset LOOP
        t := target->'tables'->d.table_name;
        IF t IS NULL THEN
            missing := missing || d.dataset;
            CONTINUE;
        END IF;
        SELECT CASE WHEN t->'columns'->>c.name IS NULL THEN format('column "%s" (%s) is missing', c.name, c.type)
                    ELSE format('column "%s" is %s, the dataset needs %s', c.name, t->'columns'->>c.name, c.type) END
        INTO problem
        FROM engage_internal.export_columns(d.dataset) c
        WHERE (t->'columns'->>c.name) IS DISTINCT FROM c.type
        ORDER BY c.ordinal LIMIT 1;
        IF problem IS NOT NULL THEN
            RAISE EXCEPTION 'table %.% % has other columns than the % dataset', schema, d.table_name, place, d.dataset
                USING ERRCODE = 'duplicate_table', DETAIL = problem,
                      HINT = 'Rename or drop that table (the export creates it), or export into another schema.';
        END IF;
        IF NOT (t->>'writable')::boolean THEN
            RAISE EXCEPTION 'the export''s role may not read, insert and delete the rows of %.% %', schema, d.table_name, place
                USING ERRCODE = 'insufficient_privilege', DETAIL = format('dataset: %s', d.dataset),
                      HINT = format('GRANT SELECT, INSERT, DELETE ON %I.%I to the role.', schema, d.table_name);
        END IF;
    END LOOP;
    state_missing := target->'tables'->'engage_export_state' IS NULL;
    IF (cardinality(missing) > 0 OR state_missing) AND NOT (target->>'may_create')::boolean THEN
        RAISE EXCEPTION 'the export''s role may not create tables in schema % %', schema, place
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('tables to create: %s', array_to_string(
                      ARRAY(SELECT x.table_name FROM engage.export_datasets x WHERE x.dataset = ANY (missing)
                            ORDER BY x.dataset) || CASE WHEN state_missing THEN ARRAY['engage_export_state'::name] END, ', ')),
                  HINT = format('GRANT CREATE ON SCHEMA %I to the role%s.', schema,
                                CASE WHEN place LIKE 'on %' THEN ' there' ELSE '' END);
    END IF;
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.export_column_list(dataset text, with_types boolean DEFAULT false)
 RETURNS text
 LANGUAGE sql
 STABLE
AS $function$
    SELECT string_agg(format('%I', c.name) || CASE WHEN with_types THEN ' ' || c.type ELSE '' END, ', '
                      ORDER BY c.ordinal)
    FROM engage_internal.export_columns(dataset) c
$function$;

CREATE OR REPLACE FUNCTION engage_internal.export_columns(dataset text)
 RETURNS TABLE(ordinal bigint, name text, type text)
 LANGUAGE sql
 STABLE
AS $function$
    SELECT a.n, a.name, format_type(a.type, NULL)
    FROM engage.export_datasets d
    JOIN pg_proc p ON p.oid = format('engage_internal.export_rows_%s', d.table_name)::regproc
    CROSS JOIN LATERAL unnest(p.proargnames, p.proallargtypes, p.proargmodes) WITH ORDINALITY a(name, type, mode, n)
    WHERE d.dataset = export_columns.dataset AND a.mode = 't'
    ORDER BY a.n
$function$;

CREATE OR REPLACE FUNCTION engage_internal.export_dataset(e engage.data_exports, c engage.connectors, d engage.export_datasets, since txid_snapshot, upto txid_snapshot, stable bigint, created boolean, OUT mode text, OUT rows_inserted bigint, OUT rows_updated bigint, OUT rows_deleted bigint)
 RETURNS record
 LANGUAGE plpgsql
 SET jit TO 'off'
AS $function$
DECLARE
    target text := engage_internal.export_relation(e, c, d.table_name);
    columns text := engage_internal.export_column_list(d.dataset);
    rows_function text := format('engage_internal.%I', 'export_rows_' || d.table_name);
    key_type text := (SELECT x.type FROM engage_internal.export_columns(d.dataset) x WHERE x.name = d.key_column);
    keys text[];
    old_keys text[];
    new_keys text[];
    pages bigint;
    part record;
    whole record;
    -- 16 MB of an 8 kB-page table a batch: tens of thousands of rows.
    batch_pages constant bigint := 2048;
    page_cost constant text := current_setting('random_page_cost');
    n bigint;
BEGIN
    rows_inserted := 0;
    rows_updated := 0;
    rows_deleted := 0;
    IF since IS NOT NULL AND d.key_column IS NOT NULL THEN
        EXECUTE format('SELECT array_agg(DISTINCT k) FROM engage_internal.%I($1, $2) k', 'export_changes_' || d.table_name)
        USING since, stable INTO keys;
        keys := coalesce(keys, '{}');
        IF array_position(keys, NULL) IS NOT NULL THEN
            since := NULL;  -- a truncate: every row
        END IF;
    END IF;

    IF since IS NULL THEN
        mode := 'full';
        IF NOT created THEN
            EXECUTE format('DELETE FROM %s', target);
            GET DIAGNOSTICS rows_deleted = ROW_COUNT;
        END IF;
        IF d.key_column IS NULL THEN
            PERFORM engage_internal.export_progress_start(e.export_id, d.dataset, engage_internal.export_estimate(d.source));
            -- Partition by partition (the append-only tables are partitioned by month), each in
            -- batches of its pages. Every row visible in `upto` was written before the
            -- partition's size was read here.
            -- Held first, so that no month is dropped between listing the partitions and reading them.
            EXECUTE format('LOCK TABLE %s IN ACCESS SHARE MODE', d.source);
            FOR part IN SELECT * FROM engage_internal.partition_ranges(d.source) LOOP
                pages := pg_relation_size(part.partition) / current_setting('block_size')::bigint;
                FOR first_page IN 0..pages - 1 BY batch_pages LOOP
                    EXECUTE format('INSERT INTO %s (%s) SELECT * FROM %s(NULL, $1, $2, $3, $4::%s, $5::%s)', target, columns,
                                   rows_function, part.key_type, part.key_type)
                    USING upto, first_page, first_page + batch_pages, part.key_from, part.key_to;
                    GET DIAGNOSTICS n = ROW_COUNT;
                    rows_inserted := rows_inserted + n;
                    PERFORM engage_internal.export_progress_add(n);
                END LOOP;
            END LOOP;
        ELSE
            PERFORM engage_internal.export_progress_start(e.export_id, d.dataset, engage_internal.export_estimate(d.source));
            EXECUTE format('INSERT INTO %s (%s) SELECT * FROM %s(NULL)', target, columns, rows_function);
            GET DIAGNOSTICS rows_inserted = ROW_COUNT;
            PERFORM engage_internal.export_progress_add(rows_inserted);
        END IF;
        -- A table just filled has no statistics until autovacuum comes by: without them the next
        -- run's delete by key would scan it. Only its owner may analyze it; a remote table is left
        -- to the other server's autovacuum (ANALYZE over another connection would not see the rows
        -- before this transaction commits).
        IF c.server_name IS NULL AND pg_has_role((SELECT r.relowner FROM pg_class r WHERE r.oid = target::regclass), 'USAGE') THEN
            EXECUTE format('ANALYZE %s', target);
        END IF;
    ELSIF d.key_column IS NULL THEN
        mode := 'incremental';
        -- People erased since (engage.erase_contact left 'contactId:<id>' and 'key:<identifier>'
        -- tombstones): the rows that name them go from the history too.
        keys := ARRAY(SELECT k FROM engage_internal.export_tombstoned(d.dataset, since) k WHERE k IS NOT NULL);
        IF cardinality(keys) > 0 THEN
            EXECUTE format('DELETE FROM %s WHERE ''contactId:'' || "contactId" = ANY ($1)'
                           ' OR ("contactId" IS NULL AND ''key:'' || %I = ANY ($1))',
                           target, CASE d.dataset WHEN 'events' THEN 'keyValue' ELSE 'externalCustomerId' END)
            USING keys;
            GET DIAGNOSTICS rows_deleted = ROW_COUNT;
        END IF;
        PERFORM engage_internal.export_progress_start(e.export_id, d.dataset, NULL);
        SELECT * INTO whole FROM engage_internal.partition_key_span(d.source);
        EXECUTE format('INSERT INTO %s (%s) SELECT * FROM %s($1, $2, $3, $4, $5::%s, $6::%s)', target, columns,
                       rows_function, whole.key_type, whole.key_type)
        USING since, upto, NULL::bigint, NULL::bigint, whole.key_from, whole.key_to;
        GET DIAGNOSTICS rows_inserted = ROW_COUNT;
        PERFORM engage_internal.export_progress_add(rows_inserted);
    ELSE
        mode := 'incremental';
        PERFORM engage_internal.export_progress_start(e.export_id, d.dataset, cardinality(keys));
        IF cardinality(keys) > 0 THEN
            -- The keys are a small part of the tables: reach their rows by index. At the default
            -- random_page_cost, hashing a whole table (a million contacts' channels) and looking
            -- up ten thousand rows by index cost the planner the same; measured, the lookups take
            -- a fraction of the time (the pages are cached: the usual advice of 1.1). Set back
            -- below: a setting made in a function outlives it.
            PERFORM set_config('random_page_cost', '1.1', true);
            EXECUTE format('WITH gone AS (DELETE FROM %1$s WHERE %2$I = ANY ($1::%3$s[]) RETURNING %2$I) '
                           'SELECT array_agg(DISTINCT %2$I::text) FROM gone', target, d.key_column, key_type)
            USING keys INTO old_keys;
            EXECUTE format('WITH source AS (SELECT * FROM %1$s($1::%2$s[])), written AS (INSERT INTO %3$s (%4$s) SELECT * FROM source) '
                           'SELECT array_agg(DISTINCT %5$I::text) FROM source', rows_function, key_type, target, columns,
                           d.key_column)
            USING keys INTO new_keys;
            SELECT count(*) FILTER (WHERE o.k IS NULL), count(*) FILTER (WHERE o.k IS NOT NULL AND w.k IS NOT NULL),
                   count(*) FILTER (WHERE w.k IS NULL)
            INTO rows_inserted, rows_updated, rows_deleted
            FROM unnest(old_keys) o(k) FULL JOIN unnest(new_keys) w(k) ON w.k = o.k;
            PERFORM set_config('random_page_cost', page_cost, true);
            PERFORM engage_internal.export_progress_add(cardinality(keys));
        END IF;
    END IF;
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.export_describe_target(c engage.connectors, schema name, datasets text[])
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
DECLARE
    query text := engage_internal.export_target_query(schema, engage_internal.export_tables(datasets));
    described text;
    message text;
    problem record;
BEGIN
    IF c.server_name IS NULL THEN
        EXECUTE query INTO described;
        RETURN described::jsonb;
    END IF;
    BEGIN
        EXECUTE format('SELECT t.j FROM %I.dblink($1, $2) AS t(j text)', engage_internal.require_dblink())
        USING c.server_name, query INTO described;
    EXCEPTION WHEN sqlclient_unable_to_establish_sqlconnection OR connection_exception THEN
        GET STACKED DIAGNOSTICS message = MESSAGE_TEXT;
        problem := engage_internal.connection_problem(c, message);
        RAISE EXCEPTION 'cannot reach the target of connector "%": %', c.name, problem.message
            USING ERRCODE = 'sqlclient_unable_to_establish_sqlconnection', DETAIL = message, HINT = problem.hint;
    END;
    RETURN described::jsonb;
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.export_estimate(relation regclass)
 RETURNS bigint
 LANGUAGE sql
 STABLE
AS $function$
    SELECT CASE WHEN bool_and(r.reltuples < 0) THEN NULL
                ELSE sum(CASE WHEN r.reltuples < 0 THEN 0
                              WHEN r.relpages = 0 THEN r.reltuples
                              ELSE r.reltuples / r.relpages * (pg_relation_size(r.oid) / current_setting('block_size')::bigint)
                         END)::bigint
           END
    FROM engage_internal.leaf_tables(relation) p(relid) JOIN pg_class r ON r.oid = p.relid
$function$;

CREATE OR REPLACE FUNCTION engage_internal.export_prepare_target(e engage.data_exports, c engage.connectors)
 RETURNS text[]
 LANGUAGE plpgsql
AS $function$
DECLARE
    place text := CASE WHEN c.server_name IS NULL THEN 'in this database'
                       ELSE format('on the server of connector "%s"', c.name) END;
    target record := engage_internal.export_check_target(e.target_schema, e.datasets,
                                                engage_internal.export_describe_target(c, e.target_schema, e.datasets), place);
    ddl text;
    d text;
    table_name name;
BEGIN
    FOREACH d IN ARRAY target.missing || CASE WHEN target.state_missing THEN ARRAY[NULL::text] ELSE '{}' END LOOP
        ddl := engage_internal.export_table_ddl(e.target_schema, d);
        IF c.server_name IS NULL THEN
            EXECUTE ddl;
        ELSE
            EXECUTE format('SELECT %I.dblink_exec($1, $2)', engage_internal.require_dblink()) USING c.server_name, ddl;
        END IF;
    END LOOP;
    IF c.server_name IS NOT NULL THEN
        FOREACH d IN ARRAY e.datasets || ARRAY[NULL::text] LOOP
            table_name := coalesce((SELECT x.table_name FROM engage.export_datasets x WHERE x.dataset = d),
                                   'engage_export_state');
            CONTINUE WHEN to_regclass(engage_internal.export_relation(e, c, table_name)) IS NOT NULL;
            EXECUTE format('CREATE FOREIGN TABLE %s (%s) SERVER %I '
                           'OPTIONS (schema_name %L, table_name %L, batch_size ''1000'')',
                           engage_internal.export_relation(e, c, table_name),
                           CASE WHEN d IS NULL THEN 'export_key text, dataset text, snapshot text, exported_at timestamptz'
                                ELSE engage_internal.export_column_list(d, true) END,
                           c.server_name, e.target_schema, table_name);
        END LOOP;
    END IF;
    RETURN target.missing;
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.export_relation(e engage.data_exports, c engage.connectors, table_name name)
 RETURNS text
 LANGUAGE sql
 STABLE
AS $function$
    SELECT CASE WHEN c.server_name IS NULL THEN format('%I.%I', e.target_schema, table_name)
                ELSE format('%I.%I', engage_internal.connector_schema(c), format('export_%s_%s', e.export_id, table_name)) END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.export_rows_contact_activities(since txid_snapshot, upto txid_snapshot, first_page bigint, last_page bigint, key_from uuid, key_to uuid)
 RETURNS TABLE(activity text, "activityStatus" text, "workflowInstanceId" text, "broadcastId" bigint, "campaignType" text, "clickEventLink" text, "contactId" bigint, "errorCode" text, "statusDescription" text, "eventKey" text, "eventTypeKey" text, "externalCustomerId" text, "mediaType" text, "messageInstanceId" bigint, "messageLanguageCode" text, "messageName" text, "messageId" integer, "messageTags" text, "messageURL" text, "senderName" text, started timestamp with time zone, "activityDateTime" timestamp with time zone, "utmCampaign" text, "workflowId" bigint, "workflowBlockId" text)
 LANGUAGE sql
 STABLE
AS $function$
    SELECT a.activity, a.activity, a.workflow_instance_id::text, a.broadcast_id, a.campaign_type, a.click_event_link,
           a.contact_id, a.error_code, a.error_code, a.event_key, a.event_type_key, a.external_customer_id,
           a.media_type, a.message_instance_id, a.message_language_code, a.message_name, a.message_id,
           a.message_tags, a.message_url, a.sender_name, a.activity_at, a.activity_at, a.utm_campaign,
           a.workflow_id, a.workflow_block_id
    FROM engage.contact_activities a
    WHERE a.request_id >= key_from AND a.request_id < key_to
      AND engage_internal.in_pages(a.ctid, first_page, last_page) AND engage_internal.appended_between(a.written_xid, since, upto)
$function$;

CREATE OR REPLACE FUNCTION engage_internal.export_rows_events(since txid_snapshot, upto txid_snapshot, first_page bigint, last_page bigint, key_from timestamp with time zone, key_to timestamp with time zone)
 RETURNS TABLE("contactId" bigint, "eventId" bigint, "eventTypeKey" text, "keyValue" text, occured timestamp with time zone, "paramsJson" json)
 LANGUAGE sql
 STABLE
AS $function$
    SELECT e.contact_id, e.event_id, t.key, e.key_value, e.registered_at, engage_internal.export_event_params(e.params)
    FROM engage.events e
    JOIN engage.event_types t ON t.event_type_id = e.event_type_id
    WHERE e.registered_at >= key_from AND e.registered_at < key_to
      AND engage_internal.in_pages(e.ctid, first_page, last_page) AND engage_internal.appended_between(e.written_xid, since, upto)
$function$;

CREATE OR REPLACE FUNCTION engage_internal.export_rows_orders(keys bigint[])
 RETURNS TABLE("contactId" bigint, "deliveryAddress" text, "deliveryMethod" text, discount numeric, email text, "externalOrderId" text, "firstName" text, "lastName" text, "orderCreatedDate" timestamp with time zone, "orderDate" timestamp with time zone, "orderId" bigint, "paymentMethod" text, phone text, status text, "totalCost" numeric)
 LANGUAGE sql
 STABLE
AS $function$
    SELECT o.contact_id, o.delivery_address, o.delivery_method, o.discount, o.email, o.external_order_id, o.first_name,
           o.last_name, o.created_at, o.order_date, o.order_id, o.payment_method, o.phone,
           engage_internal.export_order_status(o.status), o.total_cost
    FROM engage.orders o
    WHERE keys IS NULL OR o.order_id = ANY (keys)
$function$;

CREATE OR REPLACE FUNCTION engage_internal.export_table_ddl(schema name, dataset text)
 RETURNS text
 LANGUAGE sql
 STABLE
AS $function$
    SELECT CASE
        WHEN dataset IS NULL THEN
            format('CREATE TABLE %I.engage_export_state (export_key text, dataset text, snapshot text NOT NULL, '
                   'exported_at timestamptz NOT NULL, PRIMARY KEY (export_key, dataset))', schema)
        WHEN d.key_unique THEN
            format('CREATE TABLE %I.%I (%s, PRIMARY KEY (%I))', schema, d.table_name,
                   engage_internal.export_column_list(d.dataset, true), d.key_column)
        WHEN d.key_column IS NOT NULL THEN
            format('CREATE TABLE %I.%I (%s); CREATE INDEX ON %I.%I (%I)', schema, d.table_name,
                   engage_internal.export_column_list(d.dataset, true), schema, d.table_name, d.key_column)
        ELSE format('CREATE TABLE %I.%I (%s)', schema, d.table_name, engage_internal.export_column_list(d.dataset, true))
    END
    FROM (SELECT) one LEFT JOIN engage.export_datasets d ON d.dataset = export_table_ddl.dataset
$function$;

CREATE OR REPLACE FUNCTION engage_internal.export_tombstoned(dataset text, since txid_snapshot)
 RETURNS SETOF text
 LANGUAGE sql
 STABLE
AS $function$
    SELECT t.key FROM engage.export_tombstones t
    WHERE t.dataset = export_tombstoned.dataset AND engage_internal.appended_between(t.written_xid, since, NULL)
$function$;

CREATE OR REPLACE FUNCTION engage_internal.finish_list_sync_run(run bigint, message text DEFAULT NULL::text, detail text DEFAULT ''::text, state text DEFAULT ''::text)
 RETURNS engage.job_runs
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    r engage.job_runs;
BEGIN
    IF message IS NOT NULL THEN
        RETURN engage_internal.fail_run(run, message, detail, state);
    END IF;
    UPDATE engage.job_runs x SET status = 'succeeded', finished_at = clock_timestamp(),
        result = (SELECT engage_internal.list_sync_summary(c) FROM engage.list_sync_run_counts c WHERE c.run_id = run)
    WHERE x.run_id = run AND x.status = 'running' RETURNING * INTO r;
    UPDATE engage.scheduled_jobs j SET consecutive_failures = 0 WHERE j.job_id = r.job_id AND j.consecutive_failures > 0;
    RETURN r;
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.link_waiting_devices(contact_ids bigint[])
 RETURNS integer
 LANGUAGE plpgsql
AS $function$
DECLARE
    linked text[];
BEGIN
    IF NOT EXISTS (SELECT FROM engage.devices d WHERE d.contact_id IS NULL AND d.external_customer_id IS NOT NULL) THEN
        RETURN 0;
    END IF;
    WITH l AS (
        UPDATE engage.devices d SET contact_id = c.contact_id, updated_at = now()
        FROM engage.contacts c
        WHERE c.contact_id = ANY (contact_ids) AND d.contact_id IS NULL
          AND d.external_customer_id = c.external_customer_id
        RETURNING d.device_id)
    SELECT array_agg(l.device_id) INTO linked FROM l;
    PERFORM engage_internal.sync_device_channels(linked);
    RETURN coalesce(cardinality(linked), 0);
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.list_sync_check(d engage.list_sync_definitions)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE
    bad text;
    message text;
    code text;
BEGIN
    IF d.action IS NULL OR d.action NOT IN ('add', 'remove') THEN
        RAISE EXCEPTION 'action must be add or remove' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('action: %s', coalesce(d.action, 'NULL'));
    END IF;
    IF d.list_id IS NULL OR d.list_id < 1 THEN
        RAISE EXCEPTION 'a list sync needs a list_id (the list''s ID, a positive number)' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('list_id: %s', coalesce(d.list_id::text, 'NULL'));
    END IF;
    IF d.campaign_id < 1 THEN
        RAISE EXCEPTION 'campaign_id must be a positive number' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('campaign_id: %s', d.campaign_id);
    END IF;
    IF d.region IS NULL OR d.region NOT IN ('us', 'eu') THEN
        RAISE EXCEPTION 'region must be us or eu' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('region: %s', coalesce(d.region, 'NULL'));
    END IF;
    IF d.api_url !~ '^https?://[^/]' THEN
        RAISE EXCEPTION 'api_url must be an http:// or https:// URL' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('api_url: %s', d.api_url);
    END IF;
    IF (d.query IS NULL) = (d.segment_id IS NULL) THEN
        RAISE EXCEPTION 'a list sync reads either a query or a segment' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Give query => ''SELECT email, … FROM …'', or segment => ''name''.';
    END IF;
    IF d.query IS NULL AND d.columns IS NOT NULL THEN
        IF jsonb_typeof(d.columns) <> 'object' OR EXISTS (SELECT FROM jsonb_each(d.columns) x WHERE jsonb_typeof(x.value) <> 'string') THEN
            RAISE EXCEPTION 'columns must be an object of output names by contacts dataset column'
                USING ERRCODE = 'invalid_parameter_value', DETAIL = format('columns: %s', d.columns),
                      HINT = 'For example {"email": "email", "firstName": "first_name", "externalCustomerId": "user_id"}.';
        END IF;
        SELECT x.key INTO bad FROM jsonb_each_text(d.columns) x
        WHERE x.key NOT IN (SELECT c.name FROM engage_internal.export_columns('contacts') c) LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'the contacts dataset has no column "%"', bad USING ERRCODE = 'undefined_column',
                DETAIL = format('columns: %s', d.columns),
                HINT = format('Its columns: %s.', (SELECT string_agg(c.name, ', ' ORDER BY c.ordinal) FROM engage_internal.export_columns('contacts') c));
        END IF;
    END IF;
    IF jsonb_typeof(d.strings) <> 'array' OR EXISTS (
        SELECT FROM jsonb_array_elements(d.strings) s
        WHERE jsonb_typeof(s) <> 'object' OR coalesce(s->>'name', '') = ''
           OR coalesce(s->>'type', '') NOT IN ('string', 'timestamp', 'segment_id', 'segment_name')
           OR (s->>'type' = 'string') <> (jsonb_typeof(s->'value') = 'string'))
    THEN
        RAISE EXCEPTION 'strings must be an array of {"name", "type"} objects' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('strings: %s', d.strings),
            HINT = 'type is string (with a "value"), timestamp, segment_id or segment_name.';
    END IF;
    IF d.query IS NOT NULL AND d.strings <> '[]' THEN
        RAISE EXCEPTION 'strings are for a segment source' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'A query adds constant columns itself (SELECT …, ''value'' AS name).';
    END IF;
    SELECT x.name INTO bad FROM (
        SELECT x.value AS name FROM jsonb_each_text(coalesce(d.columns, '{"email": "email"}')) x
        UNION ALL SELECT s->>'name' FROM jsonb_array_elements(d.strings) s) x
    GROUP BY x.name HAVING count(*) > 1 LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'the output name "%" is used twice', bad USING ERRCODE = 'duplicate_column',
            DETAIL = format('columns: %s, strings: %s', coalesce(d.columns::text, 'NULL'), d.strings);
    END IF;
    BEGIN
        EXECUTE format('SELECT FROM (%s) AS q LIMIT 0', engage_internal.list_sync_source(d));
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS message = MESSAGE_TEXT, code = RETURNED_SQLSTATE;
        RAISE EXCEPTION 'the list sync''s query cannot run: %', message USING ERRCODE = code,
            DETAIL = format('query: %s', d.query),
            HINT = 'The query is one SELECT that the sync''s owner (you) may run; it runs with your rights.';
    END;
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.list_sync_source(d engage.list_sync_definitions)
 RETURNS text
 LANGUAGE sql
 STABLE
AS $function$
    SELECT coalesce(d.query, format(
        'SELECT %s FROM engage_internal.export_rows_contacts(ARRAY(SELECT m.contact_id FROM engage.segment_members m WHERE m.segment_id = %s)) c',
        (SELECT string_agg(format('c.%I AS %I', x.key, x.value), ', ' ORDER BY x.ordinal)
         FROM jsonb_each_text(coalesce(d.columns, '{"email": "email"}')) WITH ORDINALITY AS x(key, value, ordinal)),
        d.segment_id))
$function$;

CREATE OR REPLACE FUNCTION engage_internal.list_sync_stage_rows(d engage.list_sync_definitions, run bigint, full_resync boolean)
 RETURNS bigint
 LANGUAGE plpgsql
AS $function$
DECLARE
    operation text := CASE d.action WHEN 'add' THEN 'subscribe' ELSE 'unsubscribe' END;
    -- A segment synced with 'add' mirrors it: members that leave are unsubscribed.
    mirror boolean := d.segment_id IS NOT NULL AND d.action = 'add';
    in_result bigint;
BEGIN
    EXECUTE format($q$
        INSERT INTO engage.list_sync_stage (sync_id, run_id, row_number, row_key, hash, subscriber, problem, change, operation)
        SELECT $6, $1, c.n, c.row_key, c.hash, CASE WHEN c.change NOT IN ('unchanged', 'final') THEN c.subscriber END,
               c.problem, c.change, $2
        FROM (SELECT s.n, s.row_key, s.hash, s.subscriber, s.problem,
                     CASE WHEN s.problem IS NOT NULL THEN 'invalid'
                          WHEN m.row_key IS NULL OR m.state = 'dropped' THEN 'new'
                          WHEN m.state = 'forgotten' THEN 'final'
                          WHEN m.state IN ('pending', 'rejected', 'invalid') THEN 'retry'
                          WHEN m.operation <> $2 THEN 'new'
                          WHEN $2 = 'subscribe' AND m.hash <> s.hash THEN 'changed'
                          WHEN $5 THEN 'resync'
                          ELSE 'unchanged' END AS change
              FROM (SELECT r.n, (r.s).* FROM (
                        SELECT src.n, engage_internal.list_sync_row(src.j, $3, $4) AS s
                        FROM (SELECT row_number() OVER () AS n, row_to_json(q)::text AS j FROM (%s) AS q) src
                        OFFSET 0) r) s
              LEFT JOIN engage.list_sync_rows m ON m.sync_id = $6 AND m.row_key = s.row_key) c
        $q$, engage_internal.list_sync_source(d))
    USING run, operation, d.action, engage_internal.list_sync_strings(d, now()), full_resync, d.sync_id;
    GET DIAGNOSTICS in_result = ROW_COUNT;

    UPDATE engage.list_sync_stage s SET change = 'invalid',
        problem = coalesce(s.problem || '; ', '') || format('the key appears %s times in the result', dup.n)
    FROM (SELECT x.row_key, count(*) AS n FROM engage.list_sync_stage x
          WHERE x.sync_id = d.sync_id AND x.run_id = run AND x.row_key IS NOT NULL GROUP BY x.row_key HAVING count(*) > 1) dup
    WHERE s.sync_id = d.sync_id AND s.run_id = run AND s.row_key = dup.row_key;

    INSERT INTO engage.list_sync_stage (sync_id, run_id, row_key, subscriber, change, operation)
    SELECT d.sync_id, run, m.row_key, CASE WHEN leaves THEN engage_internal.list_sync_unsubscriber(m.row_key) END, 'removed',
           CASE WHEN leaves THEN 'unsubscribe' END
    FROM engage.list_sync_rows m,
         LATERAL (SELECT mirror AND ((m.operation = 'subscribe' AND m.state <> 'forgotten')
                                     OR (m.operation = 'unsubscribe' AND m.state IN ('pending', 'rejected'))) AS leaves) l
    WHERE m.sync_id = d.sync_id AND m.state <> 'dropped'
      AND NOT (mirror AND m.operation = 'unsubscribe' AND m.state = 'delivered')
      AND NOT EXISTS (SELECT FROM engage.list_sync_stage s WHERE s.sync_id = d.sync_id AND s.run_id = run AND s.row_key = m.row_key);
    RETURN in_result;
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.maintain_partitions(at timestamp with time zone DEFAULT now(), ahead integer DEFAULT 2)
 RETURNS TABLE(relation regclass, action text, partition text)
 LANGUAGE plpgsql
 SET lock_timeout TO '2s'
AS $function$
DECLARE
    t engage.partitioned_tables;
    horizon timestamptz := (date_trunc('month', at AT TIME ZONE 'UTC') + make_interval(months => ahead + 1)) AT TIME ZONE 'UTC';
    keep interval;
    oldest engage.time_partitions;
    actions text[];
    partitions text[];
BEGIN
    FOR t IN SELECT * FROM engage.partitioned_tables x ORDER BY x.relation::text LOOP
        relation := t.relation;
        keep := engage_internal.partition_keep(t.relation);
        actions := '{}';
        partitions := '{}';
        -- The table is held only when there may be something to do: a month to make, or an
        -- oldest month that ended before the retention.
        CONTINUE WHEN (SELECT p.from_time FROM engage.time_partitions p WHERE p.relation = t.relation AND p.to_time IS NULL) >= horizon
                  AND NOT EXISTS (SELECT FROM engage.time_partitions p
                                  WHERE p.relation = t.relation AND p.from_time IS NOT NULL AND p.to_time <= at - keep);
        BEGIN
            -- Held before anything is looked at, so that nothing is queued into a month while it
            -- is found done with and dropped.
            EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', t.relation);
            WHILE (SELECT p.from_time FROM engage.time_partitions p WHERE p.relation = t.relation AND p.to_time IS NULL) < horizon
                  AND cardinality(actions) < 24 LOOP
                actions := actions || 'created'::text;
                partitions := partitions || engage_internal.split_month_off(t.relation)::text;
            END LOOP;
            LOOP
                SELECT p.* INTO oldest FROM engage.time_partitions p
                WHERE p.relation = t.relation AND p.from_time IS NOT NULL AND p.to_time IS NOT NULL
                ORDER BY p.from_time LIMIT 1;
                EXIT WHEN keep IS NULL OR oldest.partition IS NULL
                          OR NOT engage_internal.month_can_go(t.relation, oldest.partition, at - keep);
                actions := actions || 'dropped'::text;
                partitions := partitions || oldest.partition::text;
                PERFORM engage_internal.drop_oldest_month(t.relation);
            END LOOP;
        EXCEPTION WHEN lock_not_available OR deadlock_detected THEN
            -- What the block did was undone with it.
            actions := ARRAY['busy: left for the next run'];
            partitions := ARRAY[NULL];
        END;
        FOR i IN 1 .. cardinality(actions) LOOP
            action := actions[i];
            partition := partitions[i];
            RETURN NEXT;
        END LOOP;
    END LOOP;
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.message_contact_reads(message_id integer)
 RETURNS text[]
 LANGUAGE sql
 STABLE PARALLEL SAFE
AS $function$
    SELECT engage_internal.properties_read('contact', ARRAY[m.subject, m.body] || ARRAY(
               SELECT v FROM engage.message_translations t, LATERAL (VALUES (t.subject), (t.body)) x(v)
               WHERE t.message_id = m.message_id))
    FROM engage.messages m WHERE m.message_id = message_contact_reads.message_id
$function$;

CREATE OR REPLACE FUNCTION engage_internal.message_named(message text, by_id boolean, at text)
 RETURNS integer
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE
    ids integer[] := ARRAY(SELECT m.message_id FROM engage.messages m
                           WHERE m.name = message OR (by_id AND m.message_id::text = message)
                           ORDER BY m.message_id::text = message AND by_id DESC, 1);
BEGIN
    IF cardinality(ids) = 0 THEN
        RAISE EXCEPTION 'message "%" does not exist', message USING ERRCODE = 'undefined_object', DETAIL = at,
            HINT = CASE WHEN by_id THEN 'Name a message by its name or ID; engage.messages lists them.'
                        ELSE 'engage.messages lists them.' END;
    ELSIF cardinality(ids) > 1 AND NOT (by_id AND ids[1]::text = message) THEN
        RAISE EXCEPTION 'message name "%" is ambiguous: IDs %', message, array_to_string(ids, ', ')
            USING ERRCODE = 'invalid_parameter_value', DETAIL = at,
                  HINT = CASE WHEN by_id THEN 'Give the message''s ID instead.'
                              ELSE 'Give the message''s ID instead ("messageId").' END;
    END IF;
    RETURN ids[1];
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.partition_bounds(key_kind text, from_time timestamp with time zone, to_time timestamp with time zone)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE
AS $function$
    SELECT format('FOR VALUES FROM (%s) TO (%s)',
                  CASE WHEN from_time IS NULL THEN 'MINVALUE' ELSE quote_literal(engage_internal.partition_key_value(key_kind, from_time)) END,
                  CASE WHEN to_time IS NULL THEN 'MAXVALUE' ELSE quote_literal(engage_internal.partition_key_value(key_kind, to_time)) END)
$function$;

CREATE OR REPLACE FUNCTION engage_internal.partition_by_month(relation regclass, key_column name, key_kind text, month_start timestamp with time zone)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE
    next_month timestamptz := engage_internal.next_month(month_start);
    base text := (SELECT c.relname FROM pg_class c WHERE c.oid = relation);
BEGIN
    INSERT INTO engage.partitioned_tables VALUES (relation, key_column, key_kind);
    EXECUTE format('CREATE TABLE engage.%I PARTITION OF %s %s', base || '_before', relation,
                   engage_internal.partition_bounds(key_kind, NULL, month_start));
    EXECUTE format('CREATE TABLE engage.%I PARTITION OF %s %s', engage_internal.partition_name(relation, month_start), relation,
                   engage_internal.partition_bounds(key_kind, month_start, next_month));
    EXECUTE format('CREATE TABLE engage.%I PARTITION OF %s %s', base || '_after', relation,
                   engage_internal.partition_bounds(key_kind, next_month, NULL));
    INSERT INTO engage.time_partitions VALUES
        (relation, format('engage.%I', base || '_before')::regclass, NULL, month_start),
        (relation, format('engage.%I', engage_internal.partition_name(relation, month_start))::regclass, month_start, next_month),
        (relation, format('engage.%I', base || '_after')::regclass, next_month, NULL);
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.partition_key_span(relation regclass)
 RETURNS TABLE(key_type text, key_from text, key_to text)
 LANGUAGE sql
 STABLE
AS $function$
    SELECT CASE t.key_kind WHEN 'time' THEN 'timestamptz' ELSE 'uuid' END, engage_internal.partition_key_value(t.key_kind, NULL),
           engage_internal.partition_key_value(t.key_kind, NULL, true)
    FROM engage.partitioned_tables t WHERE t.relation = partition_key_span.relation
$function$;

CREATE OR REPLACE FUNCTION engage_internal.partition_ranges(relation regclass)
 RETURNS TABLE(partition regclass, key_type text, key_from text, key_to text, from_time timestamp with time zone, to_time timestamp with time zone)
 LANGUAGE sql
 STABLE
AS $function$
    SELECT p.partition, CASE t.key_kind WHEN 'time' THEN 'timestamptz' ELSE 'uuid' END,
           engage_internal.partition_key_value(t.key_kind, p.from_time), engage_internal.partition_key_value(t.key_kind, p.to_time, true),
           p.from_time, p.to_time
    FROM engage.time_partitions p JOIN engage.partitioned_tables t USING (relation)
    WHERE p.relation = partition_ranges.relation
    ORDER BY p.from_time NULLS FIRST
$function$;

CREATE OR REPLACE FUNCTION engage_internal.policy_holds(send_ids bigint[], at timestamp with time zone)
 RETURNS TABLE(send_id bigint, hold_until timestamp with time zone, reason text)
 LANGUAGE sql
 STABLE
AS $function$
WITH candidate AS (
    SELECT s.send_id, s.contact_id, coalesce(m.annoyance_level, 0) AS level,
           (s.campaign_type = 'Group' OR coalesce(m.marketing, false)) AS bulk,
           coalesce(c.time_zone, engage_internal.default_time_zone()) AS zone,
           row_number() OVER (PARTITION BY s.contact_id ORDER BY s.priority, s.send_id) AS rank
    FROM engage.sends s
    LEFT JOIN engage.messages m ON m.message_id = s.message_id
    LEFT JOIN engage.contacts c ON c.contact_id = s.contact_id
    WHERE s.send_id = ANY (send_ids)
), held AS (
    -- Quiet hours: the local time falls between quiet_from and quiet_until.
    SELECT x.send_id,
           ((date_trunc('day', at AT TIME ZONE x.zone)
             + CASE WHEN (at AT TIME ZONE x.zone)::time >= p.quiet_until THEN interval '1 day' ELSE interval '0' END
             + p.quiet_until) AT TIME ZONE x.zone) AS hold_until,
           format('quiet hours (policy "%s"): no %s from %s to %s on the contact''s clock (%s)', p.name,
                  CASE p.applies_to WHEN 'bulk' THEN 'bulk or marketing messages' ELSE 'messages' END,
                  to_char(p.quiet_from, 'HH24:MI'), to_char(p.quiet_until, 'HH24:MI'), x.zone) AS reason
    FROM candidate x
    JOIN engage.delivery_policies p ON p.kind = 'quiet_hours' AND (p.applies_to = 'all' OR x.bulk)
    WHERE CASE WHEN p.quiet_from < p.quiet_until
               THEN (at AT TIME ZONE x.zone)::time >= p.quiet_from AND (at AT TIME ZONE x.zone)::time < p.quiet_until
               ELSE (at AT TIME ZONE x.zone)::time >= p.quiet_from OR (at AT TIME ZONE x.zone)::time < p.quiet_until END
    UNION ALL
    -- Frequency caps: the contact's counted messages in the period, and those ahead in this claim.
    SELECT x.send_id, coalesce(w.oldest, at) + p.per_period,
           format('frequency cap (policy "%s"): at most %s messages of annoyance level %s or more per %s',
                  p.name, p.max_messages, p.min_annoyance_level, p.per_period)
    FROM candidate x
    JOIN engage.delivery_policies p ON p.kind = 'frequency_cap' AND (p.applies_to = 'all' OR x.bulk)
                                   AND x.level >= p.min_annoyance_level
    CROSS JOIN LATERAL (
        SELECT count(*) AS sent, min(o.sent_at) AS oldest
        FROM engage.sends o LEFT JOIN engage.messages om ON om.message_id = o.message_id
        WHERE o.contact_id = x.contact_id AND o.sent_at > at - p.per_period AND o.sent_at <= at
          AND coalesce(om.annoyance_level, 0) >= p.min_annoyance_level) w
    WHERE w.sent + (SELECT count(*) FROM candidate y
                    WHERE y.contact_id = x.contact_id AND y.rank < x.rank
                      AND y.level >= p.min_annoyance_level AND (p.applies_to = 'all' OR y.bulk)) >= p.max_messages
)
SELECT DISTINCT ON (h.send_id) h.send_id, h.hold_until, h.reason
FROM held h ORDER BY h.send_id, h.hold_until DESC
$function$;

CREATE OR REPLACE FUNCTION engage_internal.queue_events()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
    INSERT INTO engage.event_queue (event_id, registered_at)
    SELECT f.event_id, f.registered_at FROM fresh f
    WHERE f.event_type_id IN (
        SELECT t.event_type_id FROM engage.workflow_triggers t JOIN engage.workflows w USING (workflow_id)
        WHERE w.status = 'active' OR t.action = 'stop');
    IF FOUND THEN
        PERFORM engage_internal.wake_workflow_worker();
        PERFORM pg_notify('engage_events', '');
    END IF;
    RETURN NULL;
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.render_for_send(message_id integer, subject text, body text, contact jsonb, data json, params jsonb, json_source text)
 RETURNS TABLE(subject text, body text, data jsonb, error text)
 LANGUAGE c
 STABLE PARALLEL SAFE ROWS 1
AS '$libdir/pg_engage', $function$render_for_send_wrapper$function$;

CREATE OR REPLACE FUNCTION engage_internal.require_dblink()
 RETURNS name
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'dblink') THEN
        CREATE EXTENSION dblink SCHEMA engage_internal;
    END IF;
    RETURN (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'dblink');
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.resolve_workflow_names(rows jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE
AS $function$
DECLARE
    r jsonb;
    resolved jsonb := '[]';
BEGIN
    FOR r IN SELECT x FROM jsonb_array_elements(rows) x LOOP
        IF r->>'message_name' IS NOT NULL THEN
            r := r || jsonb_build_object('message_id', engage_internal.message_named(r->>'message_name', false,
                                                                                     format('at blocks[%s].message', r->>'position')));
        END IF;
        IF r->>'segment_name' IS NOT NULL THEN
            r := r || jsonb_build_object('segment_id',
                (SELECT s.segment_id FROM engage.segments s WHERE s.name = r->>'segment_name'));
            IF r->'segment_id' = 'null' THEN
                RAISE EXCEPTION 'segment "%" does not exist', r->>'segment_name' USING ERRCODE = 'undefined_object',
                    DETAIL = format('at blocks[%s].segment', r->>'position'), HINT = 'engage.segments lists them.';
            END IF;
        END IF;
        resolved := resolved || jsonb_build_array(r - 'message_name' - 'segment_name');
    END LOOP;
    RETURN resolved;
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.resume_instances(instances bigint[], at timestamp with time zone, OUT sends integer, OUT waiting integer, OUT completed integer, OUT failed integer)
 RETURNS record
 LANGUAGE plpgsql
AS $function$
BEGIN
    UPDATE engage.workflow_instances i SET status = 'running', resume_at = NULL, updated_at = at
    WHERE i.instance_id = ANY (instances);
    SELECT * INTO sends, waiting, completed, failed FROM engage_internal.advance_instances(at);
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.run_broadcast_job(arguments jsonb)
 RETURNS text
 LANGUAGE plpgsql
AS $function$
DECLARE
    id bigint := (arguments ->> 'broadcast')::bigint;
    r record;
BEGIN
    UPDATE engage.scheduled_jobs j SET enabled = false
    WHERE j.kind = 'broadcast' AND j.arguments = run_broadcast_job.arguments;
    UPDATE engage.broadcasts b SET status = 'RUNNING', updated_at = now()
    WHERE b.broadcast_id = id AND b.status = 'SCHEDULED';
    IF NOT FOUND THEN
        RETURN format('broadcast %s was not waiting to start', id);
    END IF;
    SELECT * INTO r FROM engage_internal.start_broadcast(id);
    RETURN format('broadcast %s started: %s queued, %s suppressed, %s failed', id, r.queued, r.suppressed, r.failed);
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.run_events(claimed bigint[], at timestamp with time zone, earliest timestamp with time zone, latest timestamp with time zone, OUT launched integer, OUT not_launched integer, OUT no_contact integer, OUT stopped integer, OUT sends integer, OUT waiting integer, OUT completed integer, OUT failed integer)
 RETURNS record
 LANGUAGE plpgsql
AS $function$
DECLARE
    candidates integer;
    contact_ids bigint[];
    workflow_ids bigint[];
    r record;
BEGIN
    -- The workflows the events start are held first, in a statement of their own, so that the
    -- launch below reads a version that engage.alter_workflow (which waits for this hold, or makes
    -- this wait for its commit) has finished writing, and that no prune removes while it runs.
    PERFORM FROM (SELECT FROM engage.workflows w
                  WHERE w.workflow_id IN (SELECT t.workflow_id FROM engage.events e
                                          JOIN engage.workflow_triggers t ON t.event_type_id = e.event_type_id
                                          WHERE e.event_id = ANY (claimed) AND t.action = 'start'
                                            AND e.registered_at BETWEEN earliest AND latest)
                  ORDER BY w.workflow_id FOR KEY SHARE) x;
    -- The start links the events hit; launched in event order, so that of two events within a
    -- period the earlier launches. A launch under 'each time' (which no other can hold back) whose
    -- first block sends is written once, past the send; the others start at their first block.
    WITH hit AS (
        SELECT t.workflow_id, w.version, e.contact_id, e.event_id, e.registered_at, e.params, t.launch, t.every
        FROM engage.events e
        JOIN engage.workflow_triggers t ON t.event_type_id = e.event_type_id AND t.action = 'start'
        JOIN engage.workflows w ON w.workflow_id = t.workflow_id AND w.status = 'active'
        WHERE e.event_id = ANY (claimed) AND e.registered_at BETWEEN earliest AND latest
    ), fresh AS MATERIALIZED (
        SELECT nextval('engage.workflow_instances_instance_id_seq') AS instance_id,
               h.workflow_id, h.version, h.contact_id, h.event_id, h.params, b.block_id, b.next,
               CASE h.launch WHEN 'once' THEN tstzrange(h.registered_at, 'infinity')
                             WHEN 'once every' THEN tstzrange(h.registered_at, h.registered_at + h.every) END AS period,
               h.launch = 'each time' AND b.type = 'send_message' AS sends_now
        FROM hit h
        JOIN engage.workflow_blocks b ON b.workflow_id = h.workflow_id AND b.version = h.version AND b.position = 0
        WHERE h.contact_id IS NOT NULL
        ORDER BY h.event_id, h.workflow_id
    ), sent AS MATERIALIZED (
        SELECT * FROM engage_internal.send_blocks(ARRAY(
            SELECT ROW(f.instance_id, f.workflow_id, f.version, f.contact_id, f.block_id, f.params)::engage.workflow_step
            FROM fresh f WHERE f.sends_now), at)
    ), inserted AS (
        INSERT INTO engage.workflow_instances (instance_id, workflow_id, version, contact_id, event_id, launch_period,
                                              status, block_id, params, error, steps, started_at, updated_at, ended_at)
        SELECT f.instance_id, f.workflow_id, f.version, f.contact_id, f.event_id, f.period,
               CASE WHEN x.failed THEN 'failed' WHEN x.instance_id IS NOT NULL AND f.next IS NULL THEN 'completed'
                    ELSE 'running' END,
               CASE WHEN x.instance_id IS NULL THEN f.block_id WHEN NOT x.failed THEN f.next END, f.params, x.error,
               CASE WHEN x.instance_id IS NULL THEN 0 ELSE 1 END, at, at,
               CASE WHEN x.failed OR (x.instance_id IS NOT NULL AND f.next IS NULL) THEN at END
        FROM fresh f LEFT JOIN sent x ON x.instance_id = f.instance_id
        ORDER BY f.event_id, f.workflow_id
        ON CONFLICT DO NOTHING
        RETURNING workflow_instances.status, workflow_instances.contact_id, workflow_instances.workflow_id
    )
    -- Every launch that sent is inserted: under 'each time' nothing holds one back.
    SELECT (SELECT count(*) FROM inserted), count(*) FILTER (WHERE h.contact_id IS NOT NULL),
           count(DISTINCT h.event_id) FILTER (WHERE h.contact_id IS NULL),
           (SELECT coalesce(sum(x.sends), 0) FROM sent x),
           (SELECT count(*) FROM inserted i WHERE i.status = 'completed'),
           (SELECT count(*) FROM inserted i WHERE i.status = 'failed'),
           ARRAY(SELECT DISTINCT i.contact_id FROM inserted i), ARRAY(SELECT DISTINCT i.workflow_id FROM inserted i)
    INTO launched, candidates, no_contact, sends, completed, failed, contact_ids, workflow_ids
    FROM hit h;
    not_launched := candidates - launched;
    PERFORM engage_internal.hold_instance_parents(contact_ids, workflow_ids);

    SELECT * INTO r FROM engage_internal.advance_instances(at);
    sends := sends + r.sends; waiting := r.waiting; completed := completed + r.completed; failed := failed + r.failed;

    -- A stop event ends the instances of its contact that an earlier event started.
    UPDATE engage.workflow_instances i
    SET status = 'stopped', block_id = NULL, resume_at = NULL, ended_at = at, updated_at = at
    FROM engage.events e
    JOIN engage.workflow_triggers t ON t.event_type_id = e.event_type_id AND t.action = 'stop'
    WHERE e.event_id = ANY (claimed) AND e.registered_at BETWEEN earliest AND latest
      AND i.workflow_id = t.workflow_id AND i.contact_id = e.contact_id
      AND i.status = 'waiting' AND i.event_id < e.event_id;
    GET DIAGNOSTICS stopped = ROW_COUNT;
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.run_export(arguments jsonb)
 RETURNS text
 LANGUAGE plpgsql
AS $function$
DECLARE
    stable bigint := engage_internal.export_stable_xid();
    upto txid_snapshot := txid_current_snapshot();
    export_key text;
    e engage.data_exports;
    c engage.connectors;
    d engage.export_datasets;
    run bigint;
    created text[];
    states jsonb;
    state_table text;
    since txid_snapshot;
    started timestamptz;
    outcome record;
    summary text[] := '{}';
    message text;
    detail text;
    hint text;
    code text;
BEGIN
    SELECT * INTO e FROM engage.data_exports x WHERE x.export_id = (arguments->>'export_id')::bigint FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'export % does not exist', arguments->>'export_id' USING ERRCODE = 'undefined_object',
            DETAIL = format('arguments: %s', arguments), HINT = 'engage.exports lists the exports you can see.';
    END IF;
    SELECT * INTO c FROM engage.connectors x WHERE x.connector_id = e.connector_id;
    SELECT max(r.run_id) INTO run FROM engage.job_runs r WHERE r.job_id = e.job_id AND r.status = 'running';
    export_key := format('%s/%s', current_database(), e.export_id);
    created := engage_internal.export_prepare_target(e, c);
    state_table := engage_internal.export_relation(e, c, 'engage_export_state');
    EXECUTE format('SELECT jsonb_object_agg(s.dataset, s.snapshot) FROM %s s WHERE s.export_key = $1', state_table)
    USING export_key INTO states;

    FOR d IN SELECT * FROM engage.export_datasets x WHERE x.dataset = ANY (e.datasets) ORDER BY x.dataset LOOP
        started := clock_timestamp();
        since := CASE WHEN NOT e.full_resync AND d.dataset <> ALL (created) THEN (states->>d.dataset)::txid_snapshot END;
        BEGIN
            SELECT * INTO outcome FROM engage_internal.export_dataset(e, c, d, since, upto, stable, d.dataset = ANY (created));
            EXECUTE format('DELETE FROM %s WHERE export_key = $1 AND dataset = $2', state_table) USING export_key, d.dataset;
            EXECUTE format('INSERT INTO %s (export_key, dataset, snapshot, exported_at) VALUES ($1, $2, $3, now())',
                           state_table)
            USING export_key, d.dataset, upto::text;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT,
                                    code = RETURNED_SQLSTATE;
            detail := concat_ws(E'\n', nullif(detail, ''), format('dataset: %s', d.dataset));
            IF hint = '' THEN
                RAISE EXCEPTION 'export "%", dataset %: %', e.name, d.dataset, message USING ERRCODE = code, DETAIL = detail;
            END IF;
            RAISE EXCEPTION 'export "%", dataset %: %', e.name, d.dataset, message
                USING ERRCODE = code, DETAIL = detail, HINT = hint;
        END;
        INSERT INTO engage.export_dataset_runs (export_id, dataset, run_id, mode, rows_inserted, rows_updated,
                                                rows_deleted, started_at, finished_at, snapshot)
        VALUES (e.export_id, d.dataset, coalesce(run, 0), outcome.mode, outcome.rows_inserted, outcome.rows_updated,
                outcome.rows_deleted, started, clock_timestamp(), upto);
        summary := summary || format('%s %s: %s inserted, %s updated, %s deleted', d.dataset, outcome.mode,
                                     outcome.rows_inserted, outcome.rows_updated, outcome.rows_deleted);
    END LOOP;
    UPDATE engage.data_exports x SET full_resync = false WHERE x.export_id = e.export_id AND x.full_resync;
    PERFORM engage_internal.forget_exported_tombstones();
    RETURN array_to_string(summary, '; ');
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.run_list_sync(arguments jsonb)
 RETURNS text
 LANGUAGE plpgsql
AS $function$
DECLARE
    d engage.list_sync_definitions;
    run bigint;
    in_result bigint;
    bad record;
    counts engage.list_sync_run_counts;
BEGIN
    SELECT * INTO d FROM engage.list_sync_definitions x WHERE x.sync_id = (arguments->>'sync_id')::bigint FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'list sync % does not exist', arguments->>'sync_id' USING ERRCODE = 'undefined_object',
            DETAIL = format('arguments: %s', arguments), HINT = 'engage.list_syncs lists the syncs you can see.';
    END IF;
    SELECT max(r.run_id) INTO run FROM engage.job_runs r WHERE r.job_id = d.job_id AND r.status = 'running';
    in_result := engage_internal.list_sync_stage_rows(d, run, d.full_resync);

    SELECT s.row_number, s.row_key, s.problem, count(*) OVER () AS total INTO bad
    FROM engage.list_sync_stage s WHERE s.sync_id = d.sync_id AND s.run_id = run AND s.change = 'invalid' ORDER BY s.row_number LIMIT 1;
    IF FOUND AND NOT d.skip_invalid_data THEN
        RAISE EXCEPTION 'list sync "%": row % is invalid: %', d.name, bad.row_number, bad.problem
            USING ERRCODE = 'data_exception',
                  DETAIL = format('row %s (key %s) of %s; %s invalid in all', bad.row_number,
                                  coalesce(bad.row_key, 'none'), in_result, bad.total),
                  HINT = 'Fix the query, or set skip_invalid_data => true to skip invalid rows (each is recorded with its reason).';
    END IF;
    INSERT INTO engage.list_sync_invalid_rows (run_id, sync_id, row_number, row_key, reason)
    SELECT run, d.sync_id, s.row_number, s.row_key, s.problem
    FROM engage.list_sync_stage s WHERE s.sync_id = d.sync_id AND s.run_id = run AND s.change = 'invalid';

    INSERT INTO engage.list_sync_rows AS m (sync_id, row_key, operation, state, reason, hash, subscriber, run_id, updated_at)
    SELECT d.sync_id, s.row_key, s.operation, 'pending', NULL, s.hash, s.subscriber, run, clock_timestamp()
    FROM engage.list_sync_stage s WHERE s.sync_id = d.sync_id AND s.run_id = run AND s.change IN ('new', 'changed', 'retry', 'resync')
    ON CONFLICT (sync_id, row_key) DO UPDATE SET operation = EXCLUDED.operation, state = 'pending', reason = NULL,
        hash = EXCLUDED.hash, subscriber = EXCLUDED.subscriber, run_id = EXCLUDED.run_id, updated_at = EXCLUDED.updated_at;
    INSERT INTO engage.list_sync_rows AS m (sync_id, row_key, operation, state, reason, run_id, updated_at)
    SELECT DISTINCT ON (s.row_key) d.sync_id, s.row_key, s.operation, 'invalid', s.problem, run, clock_timestamp()
    FROM engage.list_sync_stage s WHERE s.sync_id = d.sync_id AND s.run_id = run AND s.change = 'invalid' AND s.row_key IS NOT NULL
    ORDER BY s.row_key, s.row_number
    ON CONFLICT (sync_id, row_key) DO UPDATE SET state = 'invalid', reason = EXCLUDED.reason, subscriber = NULL,
        run_id = EXCLUDED.run_id, updated_at = EXCLUDED.updated_at
    WHERE m.state <> 'forgotten';
    UPDATE engage.list_sync_rows m SET state = CASE WHEN s.operation IS NULL THEN 'dropped' ELSE 'pending' END,
        operation = coalesce(s.operation, m.operation), subscriber = s.subscriber, reason = NULL, run_id = run,
        updated_at = clock_timestamp()
    FROM engage.list_sync_stage s
    WHERE s.sync_id = d.sync_id AND s.run_id = run AND s.change = 'removed' AND m.sync_id = d.sync_id AND m.row_key = s.row_key;

    INSERT INTO engage.list_sync_run_counts AS c (run_id, sync_id, full_resync, rows_in_result, rows_new, rows_changed,
                                                  rows_removed, rows_invalid, rows_retried, rows_to_send)
    SELECT run, d.sync_id, d.full_resync, in_result,
           count(*) FILTER (WHERE s.change = 'new'), count(*) FILTER (WHERE s.change = 'changed'),
           count(*) FILTER (WHERE s.change = 'removed'), count(*) FILTER (WHERE s.change = 'invalid'),
           count(*) FILTER (WHERE s.change = 'retry'),
           count(*) FILTER (WHERE s.change IN ('new', 'changed', 'retry', 'resync') OR s.operation IS NOT NULL AND s.change = 'removed')
    FROM engage.list_sync_stage s WHERE s.sync_id = d.sync_id AND s.run_id = run
    RETURNING * INTO counts;
    DELETE FROM engage.list_sync_stage s WHERE s.sync_id = d.sync_id AND s.run_id = run;
    UPDATE engage.list_sync_definitions x SET full_resync = false WHERE x.sync_id = d.sync_id AND x.full_resync;
    RETURN engage_internal.list_sync_summary(counts);
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.run_requested_job(job bigint)
 RETURNS engage.job_runs
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    j engage.scheduled_jobs;
    run bigint;
BEGIN
    UPDATE engage.scheduled_jobs x SET run_requested = false WHERE x.job_id = job AND x.run_requested
    RETURNING * INTO j;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job % was not asked to run', job USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = format('job_id: %s', job), HINT = 'Use engage.run_job_now(name).';
    END IF;
    IF (SELECT k.worker_delivers FROM engage.job_kinds k WHERE k.kind = j.kind) THEN
        RAISE EXCEPTION 'job "%" runs in a background worker, not in a session', j.name
            USING ERRCODE = 'feature_not_supported', DETAIL = format('kind: %s', j.kind),
                  HINT = 'Use engage.run_list_sync_now(name): the scheduler starts the run.';
    END IF;
    IF EXISTS (SELECT FROM engage.job_runs r WHERE r.job_id = j.job_id AND r.status = 'running') THEN
        RAISE EXCEPTION 'job "%" is running', j.name USING ERRCODE = 'object_in_use',
            DETAIL = format('name: %s', j.name), HINT = 'A job runs at most once at a time; try again when it ends.';
    END IF;
    INSERT INTO engage.job_runs AS r (job_id, job_name, owner, started_by, status)
    VALUES (j.job_id, j.name, j.owner, 'manual', 'running') RETURNING r.run_id INTO run;
    RETURN engage_internal.execute_run(run);
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.scheduled_jobs_changed()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    PERFORM engage_internal.wake_scheduler();
    RETURN NULL;
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.send_blocks(steps engage.workflow_step[], at timestamp with time zone)
 RETURNS TABLE(instance_id bigint, failed boolean, error text, sends integer)
 LANGUAGE plpgsql
AS $function$
BEGIN
    RETURN QUERY EXECUTE engage_internal.send_statement(
        $sql$SELECT d.instance_id, b.message_id, d.contact_id, NULL::text, b.channel, NULL::json, d.params, b.json_source, 'IM',
                    NULL::bigint, d.workflow_id, d.instance_id, d.block_id, NULL::text, $2
             FROM unnest($1) d
             JOIN engage.workflow_blocks b ON b.workflow_id = d.workflow_id AND b.version = d.version
                                          AND b.block_id = d.block_id$sql$,
        $sql$ARRAY(SELECT DISTINCT b.message_id FROM unnest($1) d
                   JOIN engage.workflow_blocks b ON b.workflow_id = d.workflow_id AND b.version = d.version
                                                AND b.block_id = d.block_id)$sql$,
        -- One row per instance (a push send is one per device; a template fails for all of them).
        $sql$SELECT q.instance_id, bool_or(q.status = 'FAILED'), min(q.reason) FILTER (WHERE q.status = 'FAILED'),
                    count(*)::integer
             FROM queued q GROUP BY q.instance_id$sql$)
    USING steps, at;
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.send_statement(requests text, messages text, summary text)
 RETURNS text
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$
SELECT format($sql$
    WITH message AS MATERIALIZED (
        SELECT m.message_id, m.language, m.subject, m.body, m.marketing,
               engage_internal.media_channel(m.media_type) AS channel,
               engage_internal.message_contact_reads(m.message_id) AS reads
        FROM engage.messages m WHERE m.message_id = ANY (%s)
    ), made AS (
        SELECT r.ord, r.message_id, r.campaign_type, r.broadcast_id, r.workflow_id, r.instance_id, r.block_id,
               r.external_request_id, r.created_at, coalesce(r.channel, m.channel) AS channel, m.marketing,
               coalesce(r.contact_id, l.contact_id) AS contact_id, coalesce(r.locator, a.value) AS locator,
               coalesce(l.status, a.status) AS channel_status, coalesce(l.bounce_reason, a.bounce_reason) AS bounce_reason,
               coalesce(l.unsubscribed, a.unsubscribed,
                        EXISTS (SELECT FROM engage.unsubscribed_emails u
                                WHERE coalesce(r.channel, m.channel) = 'email' AND u.email = r.locator)) AS unsubscribed,
               coalesce(t.language, m.language) AS language, p.subject, p.body,
               -- What $data was: the data, the JSON source parsed, the source's value, or the params
               -- (when the source is missing or null).
               coalesce(r.data::jsonb, p.data, nullif(r.params -> r.json_source, 'null'), r.params) AS data, p.error
        FROM (%s) r(ord, message_id, contact_id, locator, channel, data, params, json_source, campaign_type,
                    broadcast_id, workflow_id, instance_id, block_id, external_request_id, created_at)
        JOIN message m ON m.message_id = r.message_id
        -- The address: the locator given (with its contact, when it is one's), or the contact's on
        -- the channel: one (engage.channels keeps one per contact) or, for push, every device's.
        LEFT JOIN engage.contact_channels l ON l.type = coalesce(r.channel, m.channel) AND l.value = r.locator
        LEFT JOIN engage.contact_channels a
            ON r.locator IS NULL AND a.contact_id = r.contact_id AND a.type = coalesce(r.channel, m.channel)
        LEFT JOIN engage.contacts k ON k.contact_id = coalesce(r.contact_id, l.contact_id)
        LEFT JOIN LATERAL engage_internal.contact_context_of(k.contact_id, k.external_customer_id, k.first_name,
                                                             k.last_name, k.language_code, k.time_zone, m.reads) c
            ON k.contact_id IS NOT NULL
        LEFT JOIN engage.message_translations t
            ON t.message_id = r.message_id AND t.language = lower(k.language_code) AND t.language <> m.language
        CROSS JOIN LATERAL engage_internal.render_for_send(r.message_id,
            CASE WHEN t.message_id IS NULL THEN m.subject ELSE t.subject END, coalesce(t.body, m.body),
            c.context, r.data, r.params, r.json_source) p
        WHERE r.contact_id IS NULL OR k.contact_id IS NOT NULL
    ), queued AS (
        INSERT INTO engage.sends (message_id, language, channel, locator, contact_id, subject, body, data, campaign_type,
                                  broadcast_id, workflow_id, instance_id, block_id, external_request_id, status, reason,
                                  created_at)
        SELECT x.message_id, x.language, x.channel, x.locator, x.contact_id, x.subject, x.body, x.data, x.campaign_type,
               x.broadcast_id, x.workflow_id, x.instance_id, x.block_id, x.external_request_id, s.status, s.reason,
               coalesce(x.created_at, now())
        FROM made x, engage_internal.send_state(x.campaign_type, x.marketing, x.channel, x.locator, x.channel_status,
                                                x.unsubscribed, x.bounce_reason, x.error) s
        ORDER BY x.ord
        -- A send is FAILED exactly when its template failed, with the error as its reason.
        RETURNING sends.send_id, sends.request_id, sends.contact_id, sends.instance_id, sends.status, sends.reason
    )
    %s$sql$, messages, requests, summary)
$function$;

CREATE OR REPLACE FUNCTION engage_internal.source_row_json(relation regclass)
 RETURNS text
 LANGUAGE sql
 STABLE
AS $function$
    SELECT CASE WHEN bool_or(a.atttypid IN ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype))
                THEN format('row_to_json((SELECT x FROM (SELECT %s) x))', string_agg(format('%s AS %I',
                         CASE a.atttypid
                             WHEN 'timestamptz'::regtype THEN format('engage_internal.json_instant(r.%I)', a.attname)
                             WHEN 'timestamp'::regtype THEN format('engage_internal.json_instant(r.%I AT TIME ZONE ''UTC'')', a.attname)
                             WHEN 'date'::regtype THEN format('engage_internal.json_instant(r.%I::timestamp AT TIME ZONE ''UTC'')', a.attname)
                             ELSE format('r.%I', a.attname) END, a.attname), ', ' ORDER BY a.attnum))
                ELSE 'row_to_json(r)' END
    FROM pg_attribute a
    WHERE a.attrelid = relation AND a.attnum > 0 AND NOT a.attisdropped
$function$;

CREATE OR REPLACE FUNCTION engage_internal.split_month_off(relation regclass)
 RETURNS regclass
 LANGUAGE plpgsql
AS $function$
DECLARE
    t engage.partitioned_tables;
    after engage.time_partitions;
    month_end timestamptz;
    month regclass;
BEGIN
    SELECT * INTO t FROM engage.partitioned_tables x WHERE x.relation = split_month_off.relation;
    SELECT * INTO after FROM engage.time_partitions p WHERE p.relation = t.relation AND p.to_time IS NULL;
    month_end := engage_internal.next_month(after.from_time);
    EXECUTE format('ALTER TABLE %s DETACH PARTITION %s', t.relation, after.partition);
    EXECUTE format('CREATE TABLE engage.%I PARTITION OF %s %s', engage_internal.partition_name(t.relation, after.from_time),
                   t.relation, engage_internal.partition_bounds(t.key_kind, after.from_time, month_end));
    month := format('engage.%I', engage_internal.partition_name(t.relation, after.from_time))::regclass;
    -- A member of the extension like the table it is part of (during CREATE EXTENSION it is one
    -- already).
    IF NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = month AND d.deptype = 'e') THEN
        EXECUTE format('ALTER EXTENSION pg_engage ADD TABLE %s', month);
    END IF;
    EXECUTE format('WITH moved AS (DELETE FROM %1$s x WHERE x.%2$I < %3$L RETURNING x.*) '
                   'INSERT INTO %4$s (%5$s) OVERRIDING SYSTEM VALUE SELECT %5$s FROM moved',
                   after.partition, t.key_column, engage_internal.partition_key_value(t.key_kind, month_end), month,
                   engage_internal.copied_columns(t.relation));
    EXECUTE format('ALTER TABLE %s ATTACH PARTITION %s %s', t.relation, after.partition,
                   engage_internal.partition_bounds(t.key_kind, month_end, NULL));
    UPDATE engage.time_partitions p SET from_time = month_end WHERE p.partition = after.partition;
    INSERT INTO engage.time_partitions VALUES (t.relation, month, after.from_time, month_end);
    RETURN month;
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.start_broadcast(broadcast_id bigint, OUT queued integer, OUT suppressed integer, OUT failed integer)
 RETURNS record
 LANGUAGE plpgsql
 SET work_mem TO '256MB'
AS $function$
DECLARE
    b engage.broadcasts;
    ids bigint[];
BEGIN
    SELECT * INTO b FROM engage.broadcasts x WHERE x.broadcast_id = start_broadcast.broadcast_id FOR UPDATE;
    ids := engage_internal.broadcast_members(b.segment_ids);
    EXECUTE engage_internal.send_statement(
        -- In any order: sorting a million rendered sends would cost more than it gives.
        format($sql$SELECT NULL::bigint, $2, x.id, NULL::text, NULL::text, coalesce(d.data, '{}'), NULL::jsonb,
                           NULL::text, 'Group', $3, NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::timestamptz
                    FROM unnest($1) x(id) LEFT JOIN (%s) d ON d.contact_id = x.id$sql$, engage_internal.data_sql('name')),
        'ARRAY[$2]',
        $sql$SELECT count(*) FILTER (WHERE q.status = 'QUEUED'), count(*) FILTER (WHERE q.status = 'SUPPRESSED'),
                    count(*) FILTER (WHERE q.status = 'FAILED')
             FROM queued q$sql$)
    INTO queued, suppressed, failed
    USING ids, b.message_id, b.broadcast_id;
    UPDATE engage.broadcasts x
    SET status = CASE WHEN queued > 0 THEN 'RUNNING' ELSE 'IDLE' END, started_at = now(),
        members = cardinality(ids), updated_at = now()
    WHERE x.broadcast_id = b.broadcast_id;
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.store_connector(voucher bigint, name text, host text, port integer, database text, username text, password text, contact_key text, contact_key_field integer, ssl_mode text)
 RETURNS engage.connectors
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    owner oid := engage_internal.vouched_role(voucher);
    c engage.connectors;
    problem text;
    element text;
BEGIN
    element := CASE
        WHEN coalesce(name, '') = '' THEN 'name'
        WHEN host = '' THEN 'host'
        WHEN host IS NOT NULL AND coalesce(username, '') = '' THEN 'username'
        WHEN host IS NOT NULL AND coalesce(password, '') = '' THEN 'password'
        WHEN host IS NULL AND (username IS NOT NULL OR password IS NOT NULL OR database IS NOT NULL) THEN 'host'
        WHEN port IS NULL OR port NOT BETWEEN 1 AND 65535 THEN 'port'
        WHEN ssl_mode IS NULL OR ssl_mode NOT IN ('disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full') THEN 'ssl_mode'
        WHEN contact_key IS NULL OR contact_key NOT IN ('email', 'phone', 'external_id', 'field') THEN 'contact_key'
        WHEN (contact_key = 'field') <> (contact_key_field IS NOT NULL) THEN 'contact_key_field'
    END;
    IF element IS NOT NULL THEN
        problem := CASE element
            WHEN 'name' THEN 'a connector needs a name'
            WHEN 'host' THEN CASE WHEN host = '' THEN 'host must not be empty (leave it NULL for this database)'
                                  ELSE 'a connector to this database (no host) takes no database, username or password' END
            WHEN 'username' THEN 'a connector to another server needs a username (a read-only role is enough)'
            WHEN 'password' THEN 'a connector to another server needs a password'
            WHEN 'port' THEN 'port must be between 1 and 65535'
            WHEN 'ssl_mode' THEN 'ssl_mode must be one of disable, allow, prefer, require, verify-ca, verify-full'
            WHEN 'contact_key' THEN 'contact_key must be email, phone, external_id or field'
            ELSE 'contact_key_field names the additional field exactly when contact_key is field'
        END;
        RAISE EXCEPTION '%', problem USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('%s: %s', element, CASE element
                WHEN 'name' THEN name WHEN 'host' THEN coalesce(host, 'NULL (this database)') WHEN 'username' THEN username
                WHEN 'password' THEN '(hidden)' WHEN 'port' THEN port::text WHEN 'ssl_mode' THEN ssl_mode
                WHEN 'contact_key' THEN contact_key ELSE contact_key_field::text END);
    END IF;
    IF EXISTS (SELECT FROM engage.connectors x WHERE x.name = store_connector.name) THEN
        RAISE EXCEPTION 'connector "%" already exists', name USING ERRCODE = 'duplicate_object',
            DETAIL = format('name: %s', name);
    END IF;
    IF contact_key_field IS NOT NULL AND NOT EXISTS (SELECT FROM engage.fields f WHERE f.field_id = contact_key_field) THEN
        RAISE EXCEPTION 'additional field % does not exist', contact_key_field USING ERRCODE = 'undefined_object',
            DETAIL = format('contact_key_field: %s', contact_key_field), HINT = 'engage.fields lists the fields.';
    END IF;
    INSERT INTO engage.connectors AS x (name, host, port, database, username, ssl_mode, contact_key, contact_key_field_id,
                                        owner)
    VALUES (name, host, port, database, username, ssl_mode, contact_key, contact_key_field, owner)
    RETURNING * INTO c;
    IF host IS NOT NULL THEN
        c.server_name := format('engage_connector_%s', c.connector_id);
        UPDATE engage.connectors x SET server_name = c.server_name WHERE x.connector_id = c.connector_id;
        IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'postgres_fdw') THEN
            CREATE EXTENSION postgres_fdw SCHEMA engage_internal;
        END IF;
        EXECUTE format('CREATE SERVER %I FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host %L, port %L, sslmode %L, connect_timeout %L%s)',
                       c.server_name, host, port::text, ssl_mode, '5',
                       CASE WHEN database IS NULL THEN '' ELSE format(', dbname %L', database) END);
        -- The owner connects with its own user mapping, reads through the server and imports the
        -- remote tables into the connector's schema.
        EXECUTE format('CREATE USER MAPPING FOR %I SERVER %I OPTIONS (user %L, password %L)',
                       owner::regrole::name, c.server_name, username, password);
        EXECUTE format('GRANT USAGE ON FOREIGN SERVER %I TO %I', c.server_name, owner::regrole::name);
        EXECUTE format('CREATE SCHEMA %I AUTHORIZATION %I', engage_internal.connector_schema(c), owner::regrole::name);
        IF ssl_mode IN ('disable', 'allow', 'prefer') THEN
            RAISE WARNING 'the connection of connector "%" is not SSL-secured', name
                USING DETAIL = format('ssl_mode %s does not require SSL: data and the password may cross the network unencrypted', ssl_mode),
                      HINT = 'Use ssl_mode => ''require'' (or ''verify-full'' to check the server''s certificate).';
        END IF;
    END IF;
    RETURN c;
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.store_data_source(voucher bigint, name text, connector text, relation text, local regclass, key_column text)
 RETURNS engage.data_sources
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    caller oid := engage_internal.vouched_role(voucher);
    c engage.connectors := engage_internal.connector_named(connector);
    s engage.data_sources;
    remote_schema text;
    remote_table text;
    parts text[];
    reader oid;
    id integer;
BEGIN
    IF coalesce(name, '') = '' OR coalesce(relation, '') = '' OR coalesce(key_column, '') = '' THEN
        RAISE EXCEPTION 'a data source needs a name, a relation and a key column' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('name: %s, relation: %s, key_column: %s', name, relation, key_column);
    END IF;
    IF EXISTS (SELECT FROM engage.data_sources x WHERE x.name = store_data_source.name) THEN
        RAISE EXCEPTION 'data source "%" already exists', name USING ERRCODE = 'duplicate_object',
            DETAIL = format('name: %s', name);
    END IF;
    IF c.server_name IS NULL THEN
        IF local IS NULL THEN
            RAISE EXCEPTION 'relation "%" does not exist', relation USING ERRCODE = 'undefined_table',
                DETAIL = format('relation: %s', relation), HINT = 'Give a table or view of this database, schema-qualified if needed.';
        END IF;
        PERFORM engage_internal.check_source_relation(caller, local, key_column);
        reader := caller;
    ELSE
        IF NOT pg_has_role(caller, c.owner, 'USAGE') THEN
            RAISE EXCEPTION 'connector "%" belongs to role %', c.name, c.owner::regrole USING ERRCODE = 'insufficient_privilege',
                DETAIL = format('connector: %s', c.name),
                HINT = 'A remote table is read with the connector owner''s credentials: its owner (or a role with its rights) registers the sources.';
        END IF;
        parts := parse_ident(relation);
        remote_schema := CASE WHEN cardinality(parts) = 2 THEN parts[1] ELSE 'public' END;
        remote_table := parts[cardinality(parts)];
        relation := format('%I.%I', remote_schema, remote_table);
        BEGIN
            PERFORM engage_internal.execute_as(c.owner, 'pg_catalog, pg_temp',
                format('IMPORT FOREIGN SCHEMA %I LIMIT TO (%I) FROM SERVER %I INTO %I',
                       remote_schema, remote_table, c.server_name, engage_internal.connector_schema(c)), NULL);
        EXCEPTION WHEN duplicate_table THEN
            NULL; -- already imported for another source of this connector
        WHEN OTHERS THEN
            RAISE EXCEPTION 'cannot read % through connector "%": %', relation, c.name, SQLERRM
                USING ERRCODE = 'connection_failure', DETAIL = format('relation: %s', relation),
                      HINT = format('SELECT * FROM engage.validate_connector(%L) tells what is wrong with the connection.', c.name);
        END;
        local := to_regclass(format('%I.%I', engage_internal.connector_schema(c), remote_table));
        IF local IS NULL THEN
            RAISE EXCEPTION 'relation "%" does not exist on the server of connector "%"', relation, c.name
                USING ERRCODE = 'undefined_table', DETAIL = format('relation: %s', relation);
        END IF;
        PERFORM engage_internal.column_type(local, key_column);
        reader := c.owner;
    END IF;
    -- Reads go through a view owned by the reading role, so its rights are checked at every read.
    id := nextval('engage.data_sources_source_id_seq');
    EXECUTE format('CREATE VIEW engage_sources.%I AS SELECT * FROM %s', 'source_' || id, local);
    EXECUTE format('ALTER VIEW engage_sources.%I OWNER TO %I', 'source_' || id, reader::regrole::name);
    INSERT INTO engage.data_sources AS x (source_id, name, connector_id, relation, registered_relation, key_column, owner)
    VALUES (id, name, c.connector_id, format('engage_sources.%I', 'source_' || id)::regclass,
            CASE WHEN c.server_name IS NULL THEN local::text ELSE relation END, key_column, reader)
    RETURNING * INTO s;
    RETURN s;
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.store_devices(contact_ids bigint[], device_ids text[], push_tokens text[], categories text[], os_types text[], os_versions text[], device_models text[], app_versions text[], application_ids bigint[], language_codes text[], time_zones text[], external_customer_ids text[], emails text[], phones text[], OUT stored_contact_ids bigint[], OUT created boolean[])
 RETURNS record
 LANGUAGE plpgsql
AS $function$
BEGIN
    -- The channels of tokens these devices had, when their token or contact changes.
    DELETE FROM engage.channels ch
    USING engage.devices d,
          (SELECT unnest(device_ids) AS device_id, unnest(push_tokens) AS push_token,
                  unnest(categories) AS category, unnest(contact_ids) AS contact_id) n
    WHERE d.device_id = n.device_id
      AND ((d.push_token, d.category) IS DISTINCT FROM (n.push_token, n.category)
           OR (n.contact_id IS NOT NULL AND n.contact_id IS DISTINCT FROM d.contact_id))
      AND ch.type = d.category AND ch.value = d.push_token AND ch.contact_id = d.contact_id;

    -- Other devices holding one of these tokens: the token moved to the device registering it.
    WITH moved AS (
        UPDATE engage.devices d
        SET active = false, deactivated_at = now(), updated_at = now(),
            deactivation_reason = format('its push token was registered by device %s', n.device_id)
        FROM (SELECT unnest(device_ids) AS device_id, unnest(push_tokens) AS push_token,
                     unnest(categories) AS category) n
        WHERE d.category = n.category AND d.push_token = n.push_token AND d.device_id <> n.device_id AND d.active
        RETURNING d.category, d.push_token, d.contact_id)
    DELETE FROM engage.channels ch USING moved m
    WHERE ch.type = m.category AND ch.value = m.push_token AND ch.contact_id = m.contact_id;

    WITH stored AS (
        INSERT INTO engage.devices AS d (device_id, contact_id, push_token, category, os_type, os_version,
            device_model, app_version, application_id, language_code, time_zone, external_customer_id, email, phone)
        SELECT unnest(device_ids), unnest(contact_ids), unnest(push_tokens), unnest(categories), unnest(os_types),
               unnest(os_versions), unnest(device_models), unnest(app_versions), unnest(application_ids),
               unnest(language_codes), unnest(time_zones), unnest(external_customer_ids), unnest(emails),
               unnest(phones)
        ON CONFLICT (device_id) DO UPDATE SET
            contact_id = coalesce(EXCLUDED.contact_id, d.contact_id), push_token = EXCLUDED.push_token,
            category = EXCLUDED.category, os_type = EXCLUDED.os_type, os_version = EXCLUDED.os_version,
            device_model = EXCLUDED.device_model, app_version = EXCLUDED.app_version,
            application_id = EXCLUDED.application_id, language_code = EXCLUDED.language_code,
            time_zone = EXCLUDED.time_zone,
            external_customer_id = coalesce(EXCLUDED.external_customer_id, d.external_customer_id),
            email = coalesce(EXCLUDED.email, d.email), phone = coalesce(EXCLUDED.phone, d.phone),
            active = true, deactivated_at = NULL, deactivation_reason = NULL, updated_at = now()
        RETURNING d.device_id, d.contact_id, (d.xmax = 0) AS inserted
    )
    SELECT array_agg(s.contact_id ORDER BY n.n), array_agg(s.inserted ORDER BY n.n)
    INTO stored_contact_ids, created
    FROM stored s JOIN (SELECT unnest(device_ids) AS device_id, generate_subscripts(device_ids, 1) AS n) n
        USING (device_id);

    PERFORM engage_internal.sync_device_channels(device_ids);
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.store_list_sync_key(voucher bigint, sync bigint, api_key text)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
DECLARE
    caller oid := engage_internal.vouched_role(voucher);
    owner regrole := (SELECT d.owner FROM engage.list_sync_definitions d WHERE d.sync_id = sync);
BEGIN
    IF owner IS NULL OR NOT pg_has_role(caller, owner, 'USAGE') THEN
        RAISE EXCEPTION 'list sync % does not exist', sync USING ERRCODE = 'undefined_object';
    END IF;
    IF coalesce(btrim(api_key), '') = '' OR api_key ~ '[\s\x00-\x1f]' THEN
        RAISE EXCEPTION 'a list sync needs an API key (no spaces or control characters)'
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'api_key: (not shown)';
    END IF;
    INSERT INTO engage.list_sync_keys AS k (sync_id, api_key) VALUES (sync, api_key)
    ON CONFLICT (sync_id) DO UPDATE SET api_key = EXCLUDED.api_key;
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.store_smartsend(message_id integer, locators text[], data text[], external_request_id text)
 RETURNS TABLE(n bigint, request_id uuid, error text)
 LANGUAGE plpgsql
AS $function$
BEGIN
    RETURN QUERY EXECUTE engage_internal.send_statement(
        $sql$SELECT r.n, $1, NULL::bigint, r.locator, NULL::text, r.data::json, NULL::jsonb, NULL::text,
                    'IM', NULL::bigint, NULL::bigint, NULL::bigint, NULL::text, $4, NULL::timestamptz
             FROM unnest($2, $3) WITH ORDINALITY r(locator, data, n)$sql$, 'ARRAY[$1]',
        -- A send per recipient, made in recipient order: the nth send is recipient n's.
        $sql$SELECT row_number() OVER (ORDER BY q.send_id), q.request_id, CASE WHEN q.status = 'FAILED' THEN q.reason END
             FROM queued q ORDER BY q.send_id$sql$)
    USING message_id, locators, data, external_request_id;
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.store_workflow(name text, tags text[], blocks jsonb, rows jsonb)
 RETURNS bigint
 LANGUAGE plpgsql
AS $function$
DECLARE
    id bigint;
BEGIN
    IF EXISTS (SELECT FROM engage.workflows w WHERE w.name = store_workflow.name) THEN
        RAISE EXCEPTION 'workflow "%" already exists', name USING ERRCODE = 'duplicate_object',
            DETAIL = 'argument name';
    END IF;
    rows := engage_internal.resolve_workflow_names(rows);
    PERFORM engage_internal.check_workflow_blocks(rows);
    INSERT INTO engage.workflows (name, tags, blocks) VALUES (btrim(name), coalesce(tags, '{}'), blocks)
    RETURNING workflow_id INTO id;
    INSERT INTO engage.workflow_versions (workflow_id, version, blocks) VALUES (id, 1, blocks);
    PERFORM engage_internal.store_workflow_blocks(id, 1, rows);
    RETURN id;
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.store_workflow_version(workflow text, blocks jsonb, rows jsonb, move_waiting boolean)
 RETURNS TABLE(version integer, moved integer, staying integer)
 LANGUAGE plpgsql
AS $function$
DECLARE
    w engage.workflows := engage_internal.workflow_named(workflow);
    next_version integer;
BEGIN
    rows := engage_internal.resolve_workflow_names(rows);
    PERFORM engage_internal.check_workflow_blocks(rows);
    SELECT x.version + 1 INTO next_version FROM engage.workflows x WHERE x.workflow_id = w.workflow_id FOR UPDATE;
    PERFORM engage_internal.store_workflow_blocks(w.workflow_id, next_version, rows);
    UPDATE engage.workflows x SET version = next_version, blocks = store_workflow_version.blocks
    WHERE x.workflow_id = w.workflow_id;
    moved := 0;
    IF move_waiting THEN
        UPDATE engage.workflow_instances i SET version = next_version
        WHERE i.workflow_id = w.workflow_id AND i.status = 'waiting' AND i.version < next_version
          AND (i.block_id IS NULL OR EXISTS (SELECT FROM engage.workflow_blocks b
               WHERE b.workflow_id = i.workflow_id AND b.version = next_version AND b.block_id = i.block_id));
        GET DIAGNOSTICS moved = ROW_COUNT;
    END IF;
    INSERT INTO engage.workflow_versions (workflow_id, version, blocks, moved)
    VALUES (w.workflow_id, next_version, store_workflow_version.blocks, moved);
    SELECT count(*) INTO staying FROM engage.workflow_instances i
    WHERE i.workflow_id = w.workflow_id AND i.status = 'waiting' AND i.version < next_version;
    PERFORM engage_internal.prune_workflow_versions(w.workflow_id);
    version := next_version;
    RETURN NEXT;
END
$function$;

CREATE OR REPLACE FUNCTION engage_internal.templates_written()
 RETURNS trigger
 LANGUAGE plpgsql
 SET search_path TO 'pg_catalog', 'pg_temp'
AS $function$
BEGIN
    PERFORM engage_internal.forget_loaded_templates();
    RETURN NULL;
END
$function$;


COMMENT ON FUNCTION engage.account_info() IS 'Returns {"userEmail": the calling role, "organisationName": the setting engage.organisation_name, else the database name}, as the platform''s "Get account info".';
COMMENT ON FUNCTION engage.activate_workflow(pg_catalog.text) IS 'Activates a workflow (name or ID): its start events launch it from now on. Returns ''active''. Refused while no start event is linked (engage.link_event). Admins only.';
COMMENT ON FUNCTION engage.add_orders(pg_catalog.jsonb,boolean) IS 'Stores orders (an Add orders body, up to 1,000 a call), finding or creating each one''s contact; an order sent again (same externalOrderId) is updated. All or nothing unless skip_invalid. Returns created, updated, contactsCreated, events, failedOrders.';
COMMENT ON FUNCTION engage.add_to_group(pg_catalog.text,bigint[]) IS 'Adds contacts to a static group (created if missing); returns how many were not in it yet. Contact IDs that do not exist, and a dynamic segment''s name, are refused.';
COMMENT ON FUNCTION engage.alter_export(pg_catalog.text,pg_catalog.text[],pg_catalog.text,pg_catalog.text,interval,integer,boolean) IS 'Changes the settings given; NULL keeps a setting (schedule => '''' removes the schedule). A dataset added is copied whole at the next run; one removed keeps its table as it is. Returns the engage.exports row.';
COMMENT ON FUNCTION engage.alter_field(integer,pg_catalog.text,pg_catalog.text[],boolean,boolean,pg_catalog.text,pg_catalog.text) IS 'Changes a field; NULL arguments keep that part. The type cannot change; narrowing a combobox or making a field required is refused while stored values would break it. For engage_admin.';
COMMENT ON FUNCTION engage.alter_job(pg_catalog.text,pg_catalog.text,pg_catalog.text,pg_catalog.text,interval,pg_catalog.text,integer,boolean,pg_catalog.text,pg_catalog.jsonb) IS 'Changes what is given of a job the caller may see (NULL keeps a setting; schedule => '''' removes the schedule; new_name renames it); a command only for kind sql. Returns the engage.jobs row.';
COMMENT ON FUNCTION engage.alter_list_sync(pg_catalog.text,pg_catalog.text,pg_catalog.text,bigint,pg_catalog.text,bigint,boolean,boolean,pg_catalog.text,pg_catalog.text,pg_catalog.text,interval,integer,boolean,pg_catalog.text,pg_catalog.jsonb,pg_catalog.jsonb,pg_catalog.text) IS 'Changes the settings given; NULL keeps one (schedule => '''', campaign_id => 0, api_url => '''' remove theirs). A new source, action or list forgets what was delivered; a new api_url or region needs api_key too. Returns the engage.list_syncs row.';
COMMENT ON FUNCTION engage.alter_segment(pg_catalog.text,pg_catalog.jsonb) IS 'Replaces a dynamic segment''s rule (segment by name or ID), checked and compiled at once; members change at the next engage.refresh_segment. Refused for a static group. Returns the segment''s ID.';
COMMENT ON FUNCTION engage.alter_workflow(pg_catalog.text,pg_catalog.jsonb,boolean) IS 'Makes blocks the next version of a workflow (name or ID), which new launches use; returns it with counts of waiting instances moved and staying. With move_waiting, those whose resume block exists in it move. Admins only.';
COMMENT ON FUNCTION engage.apply_retention(timestamp with time zone,integer) IS 'Removes data older than its retention (up to max_rows rows a kind), drops whole months past it and adds months ahead. Returns per kind months dropped, rows removed, whether more remain. at is for tests. For engage_admin.';
COMMENT ON FUNCTION engage.attribute_revenue(bigint[],bigint[]) IS 'Attributes orders again and replaces their engage.revenue rows: the (contact_ids[i], order_ids[i]) pairs, or every order when both are NULL. Returns how many of them have a revenue row now. Admins only.';
COMMENT ON FUNCTION engage.broadcast_recipient(bigint,bigint) IS 'Why a contact did or did not get a broadcast: outcome (not started, not a member when it started, suppressed, failed or sent), with its send''s status, reason, request ID and locator.';
COMMENT ON FUNCTION engage.cancel_broadcast(bigint,pg_catalog.text) IS 'Cancels a SCHEDULED, RUNNING or PAUSED broadcast: it never starts, or sends nothing more (waiting sends are suppressed with the reason; those a transport holds go on). It ends IDLE with cancelled_at. Returns the broadcast.';
COMMENT ON FUNCTION engage.catalogs() IS 'Returns the address book as the platform''s "Get the list of catalogs": one book, its field groups and their fields, with IDs and flags as strings.';
COMMENT ON FUNCTION engage.check_template(pg_catalog.text) IS 'Lists the problems that keep a template from compiling: line, column (from 1) and message. No rows means it compiles.';
COMMENT ON FUNCTION engage.claim_sends(integer,interval,pg_catalog.text[]) IS 'Leases up to max_sends queued sends of the channels given (NULL: all) to a transport for lease, triggered before bulk, oldest first; delivery policies may hold some. Report each (engage.report_delivery) before its lease ends. Returns them.';
COMMENT ON FUNCTION engage.compile_segment_rule(pg_catalog.jsonb,bigint) IS 'Checks a segment rule against the catalog and compiles it to one statement: returns sql, its params and the segments it reads (uses). defining: the segment the rule is for, so a cycle through it is refused; NULL for none. 22023 for a bad rule.';
COMMENT ON FUNCTION engage.confirm_channel(pg_catalog.text,pg_catalog.text) IS 'Confirms a channel (type, value): it becomes active and can get bulk messages, and a recorded hard bounce is forgotten. Returns the contact''s ID; 42704 when no contact has the channel.';
COMMENT ON FUNCTION engage.contact_context(bigint) IS 'Returns $contact as templates see it for one contact: ID, names, language, time zone, email, phone, channels and additional fields by name; NULL when the contact does not exist.';
COMMENT ON FUNCTION engage.contact_data(bigint,pg_catalog.text) IS 'A contact''s data object: each data source with rows for the contact''s key, as an array of its rows, keyed by source name or (keyed_by => ''id'') by source ID. Sources without rows are left out; {} when none has any.';
COMMENT ON FUNCTION engage.create_connector(pg_catalog.text,pg_catalog.text,integer,pg_catalog.text,pg_catalog.text,pg_catalog.text,pg_catalog.text,integer,pg_catalog.text) IS 'Creates a connector owned by the calling role: to this database when host is NULL, else to another PostgreSQL server through postgres_fdw (username and password required; the password goes to a user mapping). Returns the new row. Admins only.';
COMMENT ON FUNCTION engage.create_data_source(pg_catalog.text,pg_catalog.text,pg_catalog.text,pg_catalog.text) IS 'Registers a table or view of a connector as a data source keyed by key_column; returns the new row. A local relation must be readable by the caller; a remote one is read as the connector''s owner, whose rights the caller needs. Admins only.';
COMMENT ON FUNCTION engage.create_event_type(pg_catalog.text,pg_catalog.text,pg_catalog.text,pg_catalog.text) IS 'Registers an event type and returns its ID: name defaults to the key, category to Other, key_kind (what keyValue holds) to auto. An existing key is refused (42710). For engage_admin.';
COMMENT ON FUNCTION engage.create_export(pg_catalog.text,pg_catalog.text,pg_catalog.text[],pg_catalog.text,pg_catalog.text,pg_catalog.text,interval,integer) IS 'Creates an export of datasets (NULL: all nine) into schema of the connector''s database, run by the job "export <name>" on schedule (NULL: by hand only). Belongs to and runs as the caller; admins only. Returns the engage.exports row.';
COMMENT ON FUNCTION engage.create_field(pg_catalog.text,pg_catalog.text,pg_catalog.text[],boolean,boolean,pg_catalog.text,pg_catalog.text,integer) IS 'Creates an additional field and returns its ID: a combobox needs allowed_values, a missing field group is created, field_id comes from a sequence unless given. A taken name or ID is refused. For engage_admin.';
COMMENT ON FUNCTION engage.create_frequency_cap(pg_catalog.text,integer,interval,integer,pg_catalog.text) IS 'Creates a frequency cap: at most max_messages per contact within per_period (at most a year), counting messages whose annoyance level is at least min_annoyance_level; applies_to bulk or all. Returns the policy''s ID. Admins only.';
COMMENT ON FUNCTION engage.create_group(pg_catalog.text) IS 'Creates a static group and returns its ID, or the existing group''s when the name is taken; a dynamic segment''s name is refused.';
COMMENT ON FUNCTION engage.create_list_sync(pg_catalog.text,pg_catalog.text,pg_catalog.text,bigint,pg_catalog.text,bigint,boolean,boolean,pg_catalog.text,pg_catalog.text,pg_catalog.text,interval,integer,pg_catalog.text,pg_catalog.jsonb,pg_catalog.jsonb,pg_catalog.text) IS 'Creates a sync of query''s rows or segment''s members (one of them) to list_id with api_key, run by the job "list sync <name>" on schedule (NULL: by hand only). The query runs with the caller''s rights; admins only. Returns the engage.list_syncs row.';
COMMENT ON FUNCTION engage.create_quiet_hours(pg_catalog.text,time without time zone,time without time zone,pg_catalog.text) IS 'Creates quiet hours: no sends from quiet_from to quiet_until on the contact''s clock (its time zone, else engage.time_zone); a send due then waits until quiet_until. applies_to bulk or all. Returns the policy''s ID. Admins only.';
COMMENT ON FUNCTION engage.create_regular_trigger(pg_catalog.text,pg_catalog.text,pg_catalog.text) IS 'Makes a segment (name or ID) trigger a workflow: runs give each member an event regularEventType-<segmentId>, linked to start it each time. time_zone (NULL: the default) sets a manual run''s day. Returns the trigger ID. Admins only.';
COMMENT ON FUNCTION engage.create_rfm_segments() IS 'Creates one dynamic segment per RFM segment, named ''RFM: <name>'' with the rule {"rfm_segment": name}; those that exist are left as they are. Returns the segments'' IDs, in position order. Admins only.';
COMMENT ON FUNCTION engage.create_segment(pg_catalog.text,pg_catalog.jsonb) IS 'Creates a dynamic segment from a JSON rule, checked and compiled at once (22023 for a bad rule); returns its ID. Refused when the name is taken. It has no members until engage.refresh_segment runs.';
COMMENT ON FUNCTION engage.create_workflow(pg_catalog.text,pg_catalog.jsonb,pg_catalog.text[]) IS 'Checks the blocks and creates an inactive workflow (version 1); returns its ID. Refused when the name is taken or the graph or what it refers to is invalid. Then link start events (engage.link_event) and activate it. Admins only.';
COMMENT ON FUNCTION engage.cron_count(pg_catalog.text,timestamp with time zone,timestamp with time zone,pg_catalog.text,pg_catalog.text) IS 'Counts the fire instants of a cron schedule in (after, until] in time_zone: how many (fires), the last of them and the first after until (NULL when none). The scheduler runs missed times once with it.';
COMMENT ON FUNCTION engage.cron_next(pg_catalog.text,timestamp with time zone,pg_catalog.text,integer,pg_catalog.text) IS 'The next count (1 to 100,000) fire instants of a cron schedule strictly after after, in time_zone, by day_rule (more_often or either). A NULL or empty schedule, or a NULL after, gives none; a bad schedule or time zone is refused (22023).';
COMMENT ON FUNCTION engage.deactivate_workflow(pg_catalog.text) IS 'Deactivates a workflow (name or ID): it launches no one; instances already running or waiting go on to their end. Returns ''inactive''. Admins only.';
COMMENT ON FUNCTION engage.drop_connector(pg_catalog.text) IS 'Drops a connector with its data sources and, for a remote one, its foreign server and schema; refused while an export uses it. Returns true. Admins only.';
COMMENT ON FUNCTION engage.drop_data_source(pg_catalog.text) IS 'Drops a data source by name, with the view it is read through. Returns true; refused for an unknown name. Admins only.';
COMMENT ON FUNCTION engage.drop_delivery_policy(pg_catalog.text) IS 'Drops a delivery policy by name. Returns true; refused for an unknown name. Admins only.';
COMMENT ON FUNCTION engage.drop_export(pg_catalog.text) IS 'Drops the export and its job; returns true. The tables it wrote stay, with their rows; for a remote target, the foreign tables that reached them are dropped.';
COMMENT ON FUNCTION engage.drop_field(integer) IS 'Drops an additional field and every stored value of it; 42704 when it does not exist. For engage_admin.';
COMMENT ON FUNCTION engage.drop_list_sync(pg_catalog.text) IS 'Drops the sync, its job, its API key and its rows'' history; returns true. Refused while a run works. The list keeps its members.';
COMMENT ON FUNCTION engage.drop_segment(pg_catalog.text) IS 'Drops a segment, dynamic or static group (by name or ID), with its members and recorded changes; refused while another segment''s rule uses it. Returns true.';
COMMENT ON FUNCTION engage.drop_workflow(pg_catalog.text) IS 'Deletes a workflow (name or ID) with its versions, links, regular triggers and instances. Refused while any of its instances runs or waits. Admins only.';
COMMENT ON FUNCTION engage.erase_contact(bigint,pg_catalog.text,pg_catalog.text,pg_catalog.text) IS 'Erases a person (GDPR): the contact the identifiers given name (all the same one) and everything that names them, in one transaction; exports delete theirs next run. Returns rows removed per table.';
COMMENT ON FUNCTION engage.event_history(pg_catalog.text,timestamp with time zone,timestamp with time zone,pg_catalog.text,integer) IS 'Events of a type (key or name; NULL: all) registered in [from, to) whose key contains key_search, newest first, at most max_rows; each with linked workflows, contact, params, launched instances and, if set aside, the error.';
COMMENT ON FUNCTION engage.generate_event(pg_catalog.jsonb) IS 'Stores one event (Generate event v2: eventTypeKey, keyValue, params) and returns its ID. keyValue finds the contact (none: stored without one); a new type is registered. Bodies over 20 KB are refused.';
COMMENT ON FUNCTION engage.generate_events(pg_catalog.jsonb) IS 'Stores a JSON array of Generate event v2 bodies in one statement, all or none (imports, backfills). Returns each element''s index (from 0) and event ID, in order.';
COMMENT ON FUNCTION engage.link_event(pg_catalog.text,pg_catalog.text,pg_catalog.text,pg_catalog.text,interval) IS 'Links an event type (key; registered in category Other if new) to a workflow (name or ID): ''start'' with launch ''each time'', ''once'' or ''once every'' (every: the period, up to 10 years), or ''stop''. Linking again replaces the link. Admins only.';
COMMENT ON FUNCTION engage.message_status(pg_catalog.text) IS 'Status of sends by requestId (the API FAQ): comma-separated IDs, one result each in the order given, failed and delivered as the strings true/false; an unknown ID gets NOT_FOUND. Returns {results: [...]}.';
COMMENT ON FUNCTION engage.metrics() IS 'Monitoring in one cheap query, Prometheus-style: one row per metric and label set (queued events, workers, waiting instances, send backlog, failing jobs, ...); ages in seconds.';
COMMENT ON FUNCTION engage.normalize_channel(pg_catalog.text,pg_catalog.text) IS 'Returns a channel value as pg_engage stores it (email lower-cased, phone in digits), to compare with engage.channels.value. 22023 for an unknown type, 22P02 for an invalid value.';
COMMENT ON FUNCTION engage.pause_broadcast(bigint) IS 'Pauses a RUNNING broadcast: its queued and held sends become PAUSED and are not claimed until it resumes (those a transport holds go on). Returns the broadcast.';
COMMENT ON FUNCTION engage.preview_list_sync(pg_catalog.text,boolean) IS 'What the next run of the sync would do, without doing it: each source row (and stored row that left the source) with its key, change, operation, the subscriber it would send, and why it is invalid. Runs the source with the caller''s rights.';
COMMENT ON FUNCTION engage.preview_segment(pg_catalog.jsonb,timestamp with time zone,integer) IS 'Whom a rule selects at an instant, without saving anything: how many contacts (contacts) and up to sample of their lowest contact IDs (sample_ids). The rule is checked as engage.create_segment checks it.';
COMMENT ON FUNCTION engage.process_events(integer) IS 'Claims up to max_events queued events and runs them as one batch: launches, runs and stops instances. If the batch fails, each event runs alone and one that fails is set aside in engage.dead_letters. Returns counts.';
COMMENT ON FUNCTION engage.recompute_rfm(timestamp with time zone,boolean) IS 'Recomputes RFM as of at: only stale contacts and those the clock moved, unless full_recompute or the bands or segments changed. A move between segments registers rfmSegmentChanged. Returns computed, changed, moved, was_full.';
COMMENT ON FUNCTION engage.refresh_segment(pg_catalog.text,timestamp with time zone) IS 'Updates a dynamic segment''s members (by name or ID) as of at, in one transaction, writing entries and exits to engage.segment_changes; returns (entered, left, members). Segments its rule reads are not refreshed. Refused for a static group.';
COMMENT ON FUNCTION engage.register_devices(pg_catalog.jsonb) IS 'Registers or updates devices ({"devices": [...]}, up to 1,000) by deviceId; a known contact''s device becomes its push channel. Returns per device in order: index, device ID, contact (NULL: none yet), whether new.';
COMMENT ON FUNCTION engage.remove_from_group(pg_catalog.text,bigint[]) IS 'Removes contacts from a static group; returns how many were in it. 42704 when no static group has that name.';
COMMENT ON FUNCTION engage.remove_unsubscribed_emails(pg_catalog.jsonb) IS 'Removes addresses ({"emails": [...]}) from the unsubscribed list; returns how many were on it.';
COMMENT ON FUNCTION engage.render(pg_catalog.text,pg_catalog.json) IS 'engage.render with a json context: keys keep their written order and numbers their spelling, as the platform parses JSON.';
COMMENT ON FUNCTION engage.render(pg_catalog.text,pg_catalog.jsonb) IS 'Renders a Velocity template; each top-level key of the context object with a non-null value is a variable (NULL: none). Reads engage.templates for #parse, #include and macros. NULL for a NULL template.';
COMMENT ON FUNCTION engage.render(pg_catalog.text,pg_catalog.text) IS 'engage.render with the context as JSON text: keys keep their written order and numbers their spelling, as the platform parses JSON (a jsonb context is sorted and normalized).';
COMMENT ON FUNCTION engage.render_message(bigint,bigint,pg_catalog.jsonb,pg_catalog.text) IS 'Renders a message for a contact: subject and body see $data (data) and $contact. The version is language if given (an error if missing), else the contact''s if it exists, else the main one. Returns subject, body, language.';
COMMENT ON FUNCTION engage.report_delivery(pg_catalog.text,pg_catalog.text,pg_catalog.jsonb) IS 'engage.report_delivery with the requestId as text (as the API FAQ''s API gives it); refused when it is no UUID.';
COMMENT ON FUNCTION engage.report_delivery(pg_catalog.uuid,pg_catalog.text,pg_catalog.jsonb) IS 'Records a transport''s report on a send as a contact activity: DELIVERED, UNDELIVERED (needs detail.errorCode), RECEIVED, CLICKED (needs detail.link), UNSUBSCRIBED or SPAM. A repeat changes nothing. Returns the send''s status and the activity.';
COMMENT ON FUNCTION engage.resume_broadcast(bigint) IS 'Resumes a PAUSED broadcast: its paused sends are queued again, in their order, and it is RUNNING again (IDLE if none of its sends waits). Returns the broadcast.';
COMMENT ON FUNCTION engage.retry_dead_letters(bigint[]) IS 'Queues events set aside in engage.dead_letters again, for the next engage.process_events: those listed, or all when event_ids is NULL. Returns how many were queued.';
COMMENT ON FUNCTION engage.run_due_jobs(timestamp with time zone) IS 'Runs in this session the jobs due at at, as the scheduler does, and returns their runs. Kinds a worker delivers are left alone; a job not yet due at now() runs early only for a role with its owner''s rights. Admins only.';
COMMENT ON FUNCTION engage.run_due_waits(timestamp with time zone,integer) IS 'Resumes up to max_instances waiting instances whose resume_at is at or before at, and runs them on until they wait or end. If the batch fails, each runs alone and one that fails ends as failed. Returns counts.';
COMMENT ON FUNCTION engage.run_export_now(pg_catalog.text,boolean) IS 'Runs the export now, in this session (its schedule stays as it is), and returns the job run. full_resync => true empties each table and copies every dataset again.';
COMMENT ON FUNCTION engage.run_job_now(pg_catalog.text) IS 'Runs a job the caller may see now, in this session, whatever its schedule (its scheduled times stay). Returns the run. Refused while it is running, and for kinds a background worker delivers.';
COMMENT ON FUNCTION engage.run_list_sync_now(pg_catalog.text,boolean) IS 'Asks the scheduler to run the sync now (schedule unchanged); full_resync sends every row again. The run starts in a background worker after this transaction commits; refused when no scheduler serves the database. Returns the engage.list_syncs row.';
COMMENT ON FUNCTION engage.run_regular_trigger(bigint,timestamp with time zone) IS 'Runs a regular trigger: refreshes a dynamic segment, then generates the event for each member no run reached in this period (a scheduled run''s interval, else the day of at). Returns events generated and members held back.';
COMMENT ON FUNCTION engage.schedule_job(pg_catalog.text,pg_catalog.text,pg_catalog.text,pg_catalog.text,interval,pg_catalog.text,integer,pg_catalog.text,pg_catalog.jsonb) IS 'Creates a job that runs as the calling role: a cron schedule (NULL or empty: by hand only) in a time zone, running a SQL command (kind sql) or a kind''s function with arguments. Returns its ID. Warns when no scheduler runs here.';
COMMENT ON FUNCTION engage.scheduler_status() IS 'Whether the scheduler''s background worker runs for this database: running, its pid, the database, and if not, the problem (pg_engage of another version, a Citus worker node, pg_engage not preloaded, this database not served, or the worker starting, switched off or short of a slot).';
COMMENT ON FUNCTION engage.segment_contacts(pg_catalog.text) IS 'The members of a segment, static or dynamic (by name or ID), with when each joined (added_at), by contact ID.';
COMMENT ON FUNCTION engage.segment_sql(pg_catalog.text) IS 'The compiled statement of a dynamic segment (by name or ID), to read or EXPLAIN, under a header naming its parameters: $1 the instant, $2 the default time zone, $3 the parameter array. Refused for a static group.';
COMMENT ON FUNCTION engage.send_broadcast(integer,bigint[],pg_catalog.text,timestamp with time zone) IS 'Sends a message to every member of the segments (a contact once), now or at start_at (at most a year ahead; the scheduler starts it). Returns the broadcast ID, its status and, when it started now, the sends queued, suppressed and failed.';
COMMENT ON FUNCTION engage.send_broadcast(pg_catalog.text,pg_catalog.text[],pg_catalog.text,timestamp with time zone) IS 'engage.send_broadcast with the message and the segments named by name or ID: the same broadcast, checks and result. 42704 for a name nothing has; 22023 for a message name several messages share.';
COMMENT ON FUNCTION engage.set_retention(pg_catalog.text,interval) IS 'Sets how long a kind of data in engage.retention is kept and returns the row; NULL keeps it forever, less than an hour or an unknown kind is refused. For engage_admin.';
COMMENT ON FUNCTION engage.set_rfm_bands(integer[],integer[],numeric[]) IS 'Sets the RFM thresholds: four positive ascending numbers per dimension (NULL keeps a dimension''s). The next recompute is a full one. Returns the new engage.rfm_bands row. Admins only.';
COMMENT ON FUNCTION engage.smartsend(integer,pg_catalog.jsonb) IS 'Sends message message_id, rendered now, to each recipient of body (the API FAQ: recipients with locator and jsonParam as $data, externalRequestId). All or none: a bad locator or failed render refuses the call. Returns a requestId per recipient.';
COMMENT ON FUNCTION engage.subscribe_contact(pg_catalog.jsonb) IS 'Subscribes a contact ({"contact", "groups"}): creates it or updates the one its external ID, email or phone names (a stored address is not replaced); new channels stay inactive until confirmed; adds it to the groups. Returns its ID, whether new.';
COMMENT ON FUNCTION engage.unlink_event(pg_catalog.text,pg_catalog.text) IS 'Removes the link between a workflow (name or ID) and an event type (key); returns whether there was one. Admins only.';
COMMENT ON FUNCTION engage.unschedule_job(pg_catalog.text) IS 'Deletes a job the caller may see, with its runs; refused for a job that runs an export or a list sync (drop or alter those instead). Returns true.';
COMMENT ON FUNCTION engage.unsubscribe_emails(pg_catalog.jsonb) IS 'Adds addresses ({"emails": [...]}) to the unsubscribed list: no bulk email goes to them, whoever uses them. Records an unsubscribed event per new address; returns how many were new.';
COMMENT ON FUNCTION engage.upsert_contacts(pg_catalog.jsonb) IS 'Adds or updates contacts ({"contacts": [...], "customFieldsIDs"}), matched by external ID, then email, then phone; all or nothing. Returns one row per element in order: index from 0, contact ID, whether created.';
COMMENT ON FUNCTION engage.validate_connector(pg_catalog.text) IS 'Connects through a connector and runs a trivial query: ok, a message, whether the connection is SSL-secured (NULL for this database), and on failure a hint and the server''s own message. Admins only.';
COMMENT ON FUNCTION engage.wait_for_list_sync(pg_catalog.text,interval) IS 'Waits until the sync has no run asked for or running (an error after timeout) and returns its last run, as engage.list_sync_runs shows it. Call it after the transaction that asked for the run has committed.';
COMMENT ON FUNCTION engage.workflow_worker_status() IS 'Whether the workflow worker (which runs engage.process_events and engage.run_due_waits) runs for this database: running, its pid and the database; when it does not run, problem says why.';
COMMENT ON SCHEMA engage_internal IS 'pg_engage''s internal steps: not an API, may change in any release.';
COMMENT ON TABLE engage.broadcasts IS 'Broadcasts (bulk campaigns): one row per sending of a message to every member of some segments, now or at a set time (engage.send_broadcast).';
COMMENT ON TABLE engage.channels IS 'One row per way to reach a contact: an email address, phone number, push token or chat ID; a value belongs to one contact';
COMMENT ON TABLE engage.connectors IS 'One connector: where data sources are read, this database (host NULL) or another PostgreSQL server through postgres_fdw.';
COMMENT ON TABLE engage.contact_activities IS 'What happened to sends, with the columns of the data-source guide''s contactActivities: one row per report (delivered, opened, clicked, ...); engage.report_delivery writes them.';
COMMENT ON TABLE engage.contact_fields IS 'One row per contact and additional field with a value: canonical text plus the typed column of the field''s type';
COMMENT ON TABLE engage.contact_rfm IS 'Each contact with a DELIVERED order: its RFM values, scores and RFM segment, as engage.recompute_rfm last wrote them.';
COMMENT ON TABLE engage.contacts IS 'One row per person the organisation engages; written through engage.upsert_contacts and engage.subscribe_contact.';
COMMENT ON TABLE engage.data_exports IS 'Data exports (the data-source guide): one row per export of datasets into tables of a target schema, run by its job. Read engage.exports; change through create_export and alter_export.';
COMMENT ON TABLE engage.data_sources IS 'One table or view of a connector registered as a data source: its rows belong to contacts by the connector''s contact key.';
COMMENT ON TABLE engage.dead_letters IS 'Events set aside: one row per event whose processing failed on its own, with the error, so that the events behind it went on. engage.retry_dead_letters queues them again.';
COMMENT ON TABLE engage.delivery_policies IS 'One delivery policy, applied where sends become claimable (engage.claim_sends): a frequency cap or quiet hours. A send it holds back waits as HELD.';
COMMENT ON TABLE engage.devices IS 'One row per device a push SDK registered (engage.register_devices); an active device of a known contact is its push channel';
COMMENT ON TABLE engage.event_queue IS 'Events waiting for engage.process_events: those of types that start an active workflow or stop one. Processing an event deletes its row.';
COMMENT ON TABLE engage.event_types IS 'One row per event type: what events and workflows name by key; unknown keys an event names are registered as Other';
COMMENT ON TABLE engage.events IS 'One row per event registered, never updated; partitioned by month of registered_at';
COMMENT ON TABLE engage.export_dataset_runs IS 'What a successful export run did to one dataset: one row per export, dataset and run. A failed run leaves no rows (it rolled back; engage.job_runs has its error).';
COMMENT ON TABLE engage.export_datasets IS 'The nine datasets of the data export (the data-source guide): one row per dataset, with its target table and how a run updates it (by key, or append-only).';
COMMENT ON TABLE engage.export_tombstones IS 'Keys of rows deleted from export datasets, so that the next export runs delete them too: one row per deletion. A tombstone goes once every export of its dataset has seen it.';
COMMENT ON TABLE engage.field_groups IS 'One row per group of additional fields, as engage.catalogs() lists them; Personal exists from the start';
COMMENT ON TABLE engage.fields IS 'One row per additional field contacts can have a value of; managed by engage.create_field, alter_field and drop_field';
COMMENT ON TABLE engage.job_kinds IS 'What a job can run: sql runs the job''s command; every other kind is a function f(arguments jsonb) returns text.';
COMMENT ON TABLE engage.job_runs IS 'One run of a job (row security as for jobs). Finished runs older than engage.job_run_retention are deleted.';
COMMENT ON TABLE engage.list_sync_definitions IS 'Audience-list syncs (the list-export connector guide): one row per sync of a query''s rows or a segment''s members to a list, run by its job. Read engage.list_syncs; change through create_list_sync and alter_list_sync.';
COMMENT ON TABLE engage.list_sync_invalid_rows IS 'The rows a list-sync run skipped as invalid (with skip_invalid_data): one per run and row, with the reason.';
COMMENT ON TABLE engage.list_sync_keys IS 'The API key of each list sync: no user role may read this table, only the delivery step. Written by create_list_sync and alter_list_sync.';
COMMENT ON TABLE engage.list_sync_rows IS 'Each row a list sync has seen: one per sync and key, with the call last planned for it and its outcome. Each run compares its source with these rows to find what to send.';
COMMENT ON TABLE engage.list_sync_run_counts IS 'What each list-sync run planned and what came of its delivery: one row per run (the run''s status is in engage.job_runs).';
COMMENT ON TABLE engage.list_sync_stage IS 'Scratch rows of a list-sync run (or preview) while it plans: the source''s rows as subscribers, classified against engage.list_sync_rows. Unlogged; emptied before the transaction ends.';
COMMENT ON TABLE engage.message_translations IS 'One row per version of a message in a language other than its main one';
COMMENT ON TABLE engage.messages IS 'One row per message: its main version (subject and body templates) and settings; the messages dataset of the data-source guide';
COMMENT ON TABLE engage.notifications IS 'Something that needs a person''s attention: a job that failed or was disabled, a background worker failing. Rows about jobs one cannot see are hidden.';
COMMENT ON TABLE engage.order_items IS 'One item of an order, as the order last stated its items.';
COMMENT ON TABLE engage.order_status_history IS 'One status an order entered (when new, or when its status changed), with when pg_engage stored it and the order<STATUS> event that announced it.';
COMMENT ON TABLE engage.orders IS 'One order (the API FAQ Add orders), identified by external_order_id: sent again, it is updated. Written only by engage.add_orders.';
COMMENT ON TABLE engage.partitioned_tables IS 'One row per table partitioned by month of a key that grows with time (events, sends, contact activities)';
COMMENT ON TABLE engage.regular_trigger_launches IS 'One member a regular trigger''s run generated the event for, with the period the run stood for: at most one per member and trigger in any period.';
COMMENT ON TABLE engage.regular_triggers IS 'Regular triggered campaigns (the data-source guide, first edition): one row per segment and workflow; each run gives every segment member an event regularEventType-<segmentId> that starts the workflow.';
COMMENT ON TABLE engage.retention IS 'One row per kind of data pg_engage removes once older than its retention (engage.set_retention; the hourly job applies it)';
COMMENT ON TABLE engage.revenue IS 'One attributed order with the message activity that earned it (the data-source guide''s revenue dataset); rewritten when the order changes, gone when it no longer counts.';
COMMENT ON TABLE engage.rfm_bands IS 'The RFM score thresholds: one row, changed by engage.set_rfm_bands.';
COMMENT ON TABLE engage.rfm_segments IS 'One RFM segment: a contact is in the first segment by position whose score ranges hold its r, f and m. A change makes the next recompute a full one.';
COMMENT ON TABLE engage.rfm_stale IS 'Contacts whose delivered orders changed since RFM last looked at them; engage.recompute_rfm reads and empties it. A contact may be listed more than once.';
COMMENT ON TABLE engage.scheduled_jobs IS 'One scheduled job. Row security: a role sees and changes the jobs of roles whose rights it has. engage.jobs shows them with their last run.';
COMMENT ON TABLE engage.segment_changes IS 'One contact entering or leaving a dynamic segment, as engage.refresh_segment recorded it.';
COMMENT ON TABLE engage.segment_members IS 'One row per contact in a segment: a static group''s members, or a dynamic segment''s as of its last refresh';
COMMENT ON TABLE engage.segments IS 'One row per segment: a static group with explicit members, or a dynamic segment whose rule selects them';
COMMENT ON TABLE engage.sends IS 'The outbox: one row per message to one address, rendered when made; a transport claims queued sends (engage.claim_sends) and reports what became of them (engage.report_delivery).';
COMMENT ON TABLE engage.time_partitions IS 'One row per partition of a table in engage.partitioned_tables, with the times it covers';
COMMENT ON TABLE engage.unsubscribed_emails IS 'One row per email address that gets no bulk email, whichever contact uses it (addresses, not contacts)';
COMMENT ON TABLE engage.workflow_blocks IS 'One block of a workflow version, checked and normalized; columns a block''s type does not use are NULL. Kept for the current version, and for older ones while instances run or wait in them.';
COMMENT ON TABLE engage.workflow_instances IS 'Workflow instances: one launch of a workflow for a contact, with where it stands in the graph. Deleted with their workflow or contact.';
COMMENT ON TABLE engage.workflow_triggers IS 'Links between workflows and event types (engage.link_event): one row per workflow and event type, saying whether its events start or stop the workflow.';
COMMENT ON TABLE engage.workflow_versions IS 'Every version of every workflow, as given: one row per version, the history engage.alter_workflow keeps.';
COMMENT ON TABLE engage.workflows IS 'Workflows: graphs of blocks that linked events launch for a contact. One row per workflow (engage.create_workflow); its links are in engage.workflow_triggers.';
COMMENT ON COLUMN engage.broadcasts.broadcast_id IS 'Broadcast ID';
COMMENT ON COLUMN engage.broadcasts.cancel_reason IS 'The reason given to engage.cancel_broadcast; NULL if none was given';
COMMENT ON COLUMN engage.broadcasts.cancelled_at IS 'When it was cancelled; NULL if it was not';
COMMENT ON COLUMN engage.broadcasts.created_at IS 'When the broadcast was made';
COMMENT ON COLUMN engage.broadcasts.media_type IS 'The message''s media type when the broadcast was made (Email, Sms, Viber, WebPush or MobilePush)';
COMMENT ON COLUMN engage.broadcasts.members IS 'How many contacts its segments had when it started (each got a send row); NULL until it starts';
COMMENT ON COLUMN engage.broadcasts.message_id IS 'The message sent (engage.messages)';
COMMENT ON COLUMN engage.broadcasts.name IS 'Its name (at most 1000 characters)';
COMMENT ON COLUMN engage.broadcasts.scheduled_at IS 'When a scheduled broadcast starts (start_at rounded up to the minute); NULL if it started at once';
COMMENT ON COLUMN engage.broadcasts.segment_ids IS 'The segments whose members get it; a contact in several gets it once';
COMMENT ON COLUMN engage.broadcasts.started_at IS 'When its sends were made; NULL until it starts';
COMMENT ON COLUMN engage.broadcasts.status IS 'IDLE (done or cancelled), RUNNING, PAUSED or SCHEDULED; UNCONFIRMED, CONSIDERATION, BLOCKED (the data-source guide) are unused';
COMMENT ON COLUMN engage.broadcasts.updated_at IS 'When its row last changed';
COMMENT ON COLUMN engage.channels.bounce_reason IS 'the transport''s error code for the hard bounce; NULL: not bounced';
COMMENT ON COLUMN engage.channels.bounced_at IS 'when a permanent delivery failure (hard bounce) was reported: nothing goes there until confirmed again; NULL: none';
COMMENT ON COLUMN engage.channels.confirmed_at IS 'when the channel was added active, confirmed, or synced from its device; NULL: never confirmed';
COMMENT ON COLUMN engage.channels.contact_id IS 'the contact the channel belongs to';
COMMENT ON COLUMN engage.channels.created_at IS 'when the channel was added';
COMMENT ON COLUMN engage.channels.status IS 'active, or inactive until confirmed (engage.confirm_channel); inactive ones get only confirmation and triggered messages';
COMMENT ON COLUMN engage.channels.type IS 'email, sms, viber, webpush, mobilepush or telegram; one per contact except push (one per device)';
COMMENT ON COLUMN engage.channels.value IS 'the address as stored (email lower-case, phone digits only: engage.normalize_channel), or the token; unique per type';
COMMENT ON COLUMN engage.connectors.connector_id IS 'identity';
COMMENT ON COLUMN engage.connectors.contact_key IS 'what its sources'' key columns hold: email, phone, external_id or field (an additional field)';
COMMENT ON COLUMN engage.connectors.contact_key_field_id IS 'the additional field (engage.fields) when contact_key is field; NULL otherwise';
COMMENT ON COLUMN engage.connectors.created_at IS 'when it was created';
COMMENT ON COLUMN engage.connectors.database IS 'database on the other server (NULL: the one named like username); NULL for this database';
COMMENT ON COLUMN engage.connectors.host IS 'the other server''s host; NULL means this database';
COMMENT ON COLUMN engage.connectors.name IS 'unique name, as the functions take it';
COMMENT ON COLUMN engage.connectors.owner IS 'OID of the role that created it; every connection through it is made as this role';
COMMENT ON COLUMN engage.connectors.port IS 'the other server''s port, 1 to 65535 (5432 by default)';
COMMENT ON COLUMN engage.connectors.server_name IS 'its foreign server (engage_connector_<id>), with a user mapping for owner; NULL for this database';
COMMENT ON COLUMN engage.connectors.ssl_mode IS 'libpq sslmode for the other server: disable, allow, prefer (default), require, verify-ca or verify-full';
COMMENT ON COLUMN engage.connectors.username IS 'role to connect as on the other server; NULL for this database. The password is never stored here';
COMMENT ON COLUMN engage.contact_activities.activity IS 'DELIVERED, UNDELIVERED, RECEIVED (opened), CLICKED, UNSUBSCRIBED, SPAM, SUBSCRIPTION_CHANGED or PUSH_SUBSCRIBED';
COMMENT ON COLUMN engage.contact_activities.activity_at IS 'When it happened: the report''s at, else when it was reported';
COMMENT ON COLUMN engage.contact_activities.activity_id IS 'Activity ID';
COMMENT ON COLUMN engage.contact_activities.broadcast_id IS 'The broadcast that made the send; NULL for other sends';
COMMENT ON COLUMN engage.contact_activities.campaign_type IS 'The send''s campaign type: IM (triggered) or Group (broadcast)';
COMMENT ON COLUMN engage.contact_activities.click_event_link IS 'CLICKED: the link clicked; NULL otherwise';
COMMENT ON COLUMN engage.contact_activities.contact_id IS 'The contact the send went to; NULL if none';
COMMENT ON COLUMN engage.contact_activities.error_code IS 'UNDELIVERED: the error the transport reported (detail.errorCode); NULL otherwise';
COMMENT ON COLUMN engage.contact_activities.event_key IS 'The key value of the event that launched the send''s workflow instance; NULL for other sends';
COMMENT ON COLUMN engage.contact_activities.event_type_key IS 'The type key of the event that launched the send''s workflow instance; NULL for other sends';
COMMENT ON COLUMN engage.contact_activities.external_customer_id IS 'The contact''s external ID when the activity was recorded';
COMMENT ON COLUMN engage.contact_activities.media_type IS 'The message''s media type';
COMMENT ON COLUMN engage.contact_activities.message_id IS 'The message sent (engage.messages)';
COMMENT ON COLUMN engage.contact_activities.message_instance_id IS 'The send''s send_id (engage.sends)';
COMMENT ON COLUMN engage.contact_activities.message_language_code IS 'The language of the message version sent';
COMMENT ON COLUMN engage.contact_activities.message_name IS 'The message''s name when the activity was recorded';
COMMENT ON COLUMN engage.contact_activities.message_tags IS 'The message''s tags when the activity was recorded, comma-separated';
COMMENT ON COLUMN engage.contact_activities.message_url IS 'The report''s detail.messageUrl; NULL if it gave none';
COMMENT ON COLUMN engage.contact_activities.report_id IS 'The transport''s ID of the report (detail.reportId): the same report made again is one row';
COMMENT ON COLUMN engage.contact_activities.request_id IS 'The send''s request ID; an activity about no send gets one of its own (it decides the partition)';
COMMENT ON COLUMN engage.contact_activities.sender_name IS 'The message''s sender when the activity was recorded';
COMMENT ON COLUMN engage.contact_activities.utm_campaign IS 'The report''s detail.utmCampaign; NULL if it gave none';
COMMENT ON COLUMN engage.contact_activities.workflow_block_id IS 'The workflow block that made the send; NULL for other sends';
COMMENT ON COLUMN engage.contact_activities.workflow_id IS 'The workflow that made the send; NULL for other sends';
COMMENT ON COLUMN engage.contact_activities.workflow_instance_id IS 'The workflow instance that made the send; NULL for other sends';
COMMENT ON COLUMN engage.contact_activities.written_xid IS 'The transaction that wrote the row, as engage.events.written_xid (exports read by it)';
COMMENT ON COLUMN engage.contact_fields.contact_id IS 'the contact';
COMMENT ON COLUMN engage.contact_fields.field_id IS 'the field (engage.fields)';
COMMENT ON COLUMN engage.contact_fields.updated_at IS 'when the value was last set or changed';
COMMENT ON COLUMN engage.contact_fields.value IS 'the value as canonical text';
COMMENT ON COLUMN engage.contact_fields.value_boolean IS 'the value of a boolean field; NULL for other types';
COMMENT ON COLUMN engage.contact_fields.value_date IS 'the value of a date field; NULL for other types';
COMMENT ON COLUMN engage.contact_fields.value_number IS 'the value of a number field; NULL for other types';
COMMENT ON COLUMN engage.contact_rfm.computed_at IS 'the at of the recompute that last changed the row (unchanged rows are not rewritten)';
COMMENT ON COLUMN engage.contact_rfm.contact_id IS 'the contact';
COMMENT ON COLUMN engage.contact_rfm.f IS 'frequency score, 1 to 5 (5: most orders)';
COMMENT ON COLUMN engage.contact_rfm.frequency IS 'how many DELIVERED orders it has';
COMMENT ON COLUMN engage.contact_rfm.last_order_at IS 'date of its last DELIVERED order';
COMMENT ON COLUMN engage.contact_rfm.m IS 'monetary score, 1 to 5 (5: largest total)';
COMMENT ON COLUMN engage.contact_rfm.monetary IS 'total_cost of its DELIVERED orders added up, whatever their currency';
COMMENT ON COLUMN engage.contact_rfm.r IS 'recency score, 1 to 5 (5: ordered most recently)';
COMMENT ON COLUMN engage.contact_rfm.segment IS 'its RFM segment (engage.rfm_segments.name); NULL when no segment covers its scores';
COMMENT ON COLUMN engage.contact_rfm.segment_since IS 'when it entered that segment (the at of the recompute that put it there)';
COMMENT ON COLUMN engage.contacts.contact_id IS 'internal contact ID';
COMMENT ON COLUMN engage.contacts.created_at IS 'when the contact was created';
COMMENT ON COLUMN engage.contacts.external_customer_id IS 'the organisation''s own ID for the contact (externalCustomerId), unique; NULL: none given';
COMMENT ON COLUMN engage.contacts.first_name IS 'first name; NULL: not known';
COMMENT ON COLUMN engage.contacts.language_code IS 'language code (en, uk, pt-BR): picks a message''s language version; NULL: not known';
COMMENT ON COLUMN engage.contacts.last_name IS 'last name; NULL: not known';
COMMENT ON COLUMN engage.contacts.source IS 'how the contact was created: IMPORT, SUBSCRIPTION, MANUAL (default), ORDER, CAMPAIGN, I_MESSAGE, SITE_AUTOMATED or API';
COMMENT ON COLUMN engage.contacts.time_zone IS 'IANA time zone name in PostgreSQL''s spelling (Europe/Kyiv); NULL: not known';
COMMENT ON COLUMN engage.contacts.updated_at IS 'when a request last updated the contact''s attributes';
COMMENT ON COLUMN engage.data_exports.connector_id IS 'Connector (engage.connectors) whose database holds the target: this database when it has no host.';
COMMENT ON COLUMN engage.data_exports.created_at IS 'When the export was created.';
COMMENT ON COLUMN engage.data_exports.datasets IS 'The datasets exported, in the data-source guide''s spelling (contactActivities, …), sorted; at least one.';
COMMENT ON COLUMN engage.data_exports.export_id IS 'Identity of the export.';
COMMENT ON COLUMN engage.data_exports.full_resync IS 'true: the next run copies every dataset whole again (run_export_now(full_resync => true)); that run clears it.';
COMMENT ON COLUMN engage.data_exports.job_id IS 'The job (engage.scheduled_jobs) that runs the export: its schedule, time zone, delay and failures.';
COMMENT ON COLUMN engage.data_exports.name IS 'Unique name of the export; its job is named "export <name>".';
COMMENT ON COLUMN engage.data_exports.owner IS 'The role that created the export; its runs act with this role''s rights.';
COMMENT ON COLUMN engage.data_exports.target_schema IS 'Schema of the target database that holds the datasets'' tables.';
COMMENT ON COLUMN engage.data_sources.connector_id IS 'its connector (engage.connectors); the source goes when the connector is dropped';
COMMENT ON COLUMN engage.data_sources.created_at IS 'when it was registered';
COMMENT ON COLUMN engage.data_sources.key_column IS 'the column holding the contact key (the connector''s contact_key)';
COMMENT ON COLUMN engage.data_sources.name IS 'unique name; the source''s key in a contact''s data object';
COMMENT ON COLUMN engage.data_sources.owner IS 'OID of the role whose rights reads use: who registered a local table, the connector''s owner for a remote one';
COMMENT ON COLUMN engage.data_sources.registered_relation IS 'the table as registered: schema.table here, or on the connector''s server';
COMMENT ON COLUMN engage.data_sources.relation IS 'the view engage_sources.source_<id>, owned by owner, that every read goes through';
COMMENT ON COLUMN engage.data_sources.source_id IS 'the source''s ID (from 1001), as segment rules and keyed_by => ''id'' name it';
COMMENT ON COLUMN engage.dead_letters.error IS 'The error message';
COMMENT ON COLUMN engage.dead_letters.event_id IS 'The event set aside (engage.events)';
COMMENT ON COLUMN engage.dead_letters.failed_at IS 'When its processing last failed';
COMMENT ON COLUMN engage.dead_letters.sqlstate IS 'The error''s SQLSTATE code';
COMMENT ON COLUMN engage.delivery_policies.applies_to IS 'bulk (default): broadcasts and marketing messages; all: every send';
COMMENT ON COLUMN engage.delivery_policies.created_at IS 'when it was created';
COMMENT ON COLUMN engage.delivery_policies.kind IS 'frequency_cap or quiet_hours';
COMMENT ON COLUMN engage.delivery_policies.max_messages IS 'frequency_cap: most messages per contact within per_period; NULL for quiet_hours';
COMMENT ON COLUMN engage.delivery_policies.min_annoyance_level IS 'frequency_cap: the least annoyance level (NULL counts as 0) a message needs to count or be held; 0: every message';
COMMENT ON COLUMN engage.delivery_policies.name IS 'unique name';
COMMENT ON COLUMN engage.delivery_policies.per_period IS 'frequency_cap: the period counted, at most a year; NULL for quiet_hours';
COMMENT ON COLUMN engage.delivery_policies.policy_id IS 'identity';
COMMENT ON COLUMN engage.delivery_policies.quiet_from IS 'quiet_hours: start, on the contact''s clock; NULL for frequency_cap';
COMMENT ON COLUMN engage.delivery_policies.quiet_until IS 'quiet_hours: end, on the contact''s clock (over midnight when before quiet_from); NULL for frequency_cap';
COMMENT ON COLUMN engage.devices.active IS 'false: its token was reported invalid or taken by another device; its channel is gone until it registers again';
COMMENT ON COLUMN engage.devices.app_version IS 'app version (appVersion); NULL: not given';
COMMENT ON COLUMN engage.devices.application_id IS 'application ID (applicationId); NULL: not given';
COMMENT ON COLUMN engage.devices.category IS 'mobilepush or webpush: the channel type of the token';
COMMENT ON COLUMN engage.devices.contact_id IS 'the contact using the device; NULL until a registration names a contact that exists';
COMMENT ON COLUMN engage.devices.created_at IS 'when the device was first registered';
COMMENT ON COLUMN engage.devices.deactivated_at IS 'when the device became inactive; NULL while active';
COMMENT ON COLUMN engage.devices.deactivation_reason IS 'why the device became inactive; NULL while active';
COMMENT ON COLUMN engage.devices.device_id IS 'the device''s ID (deviceId)';
COMMENT ON COLUMN engage.devices.device_model IS 'device model (deviceModel); NULL: not given';
COMMENT ON COLUMN engage.devices.email IS 'the email registrations named (lower-case); NULL: none named';
COMMENT ON COLUMN engage.devices.external_customer_id IS 'the externalCustomerId registrations named, kept to link a waiting device later; NULL: none named';
COMMENT ON COLUMN engage.devices.language_code IS 'the device''s language (languageCode); NULL: not given';
COMMENT ON COLUMN engage.devices.os_type IS 'operating system (osType); NULL: not given';
COMMENT ON COLUMN engage.devices.os_version IS 'operating system version (osVersion); NULL: not given';
COMMENT ON COLUMN engage.devices.phone IS 'the phone registrations named (digits only); NULL: none named';
COMMENT ON COLUMN engage.devices.push_token IS 'the push token (pushToken)';
COMMENT ON COLUMN engage.devices.time_zone IS 'the device''s IANA time zone, in PostgreSQL''s spelling; NULL: not given';
COMMENT ON COLUMN engage.devices.updated_at IS 'when the row last changed (a registration, a link or a deactivation)';
COMMENT ON COLUMN engage.event_queue.event_id IS 'The queued event (engage.events)';
COMMENT ON COLUMN engage.event_queue.registered_at IS 'The event''s registration time, which says which month (partition) of engage.events holds it';
COMMENT ON COLUMN engage.event_types.category IS 'Click, Subscribe, Unsubscribe, Import, RFM, Other (the default), Subscription, View or Order';
COMMENT ON COLUMN engage.event_types.created_at IS 'when the type was registered';
COMMENT ON COLUMN engage.event_types.event_type_id IS 'event type ID';
COMMENT ON COLUMN engage.event_types.key IS 'the eventTypeKey events give, unique: 1 to 100 letters, digits, _, -, . or :';
COMMENT ON COLUMN engage.event_types.name IS 'display name; the key when none was given';
COMMENT ON COLUMN engage.events.event_id IS 'event ID, from one sequence (unique on its own)';
COMMENT ON COLUMN engage.events.event_type_id IS 'the event''s type (engage.event_types)';
COMMENT ON COLUMN engage.events.key_value IS 'the keyValue the event was given: an email, phone, external ID or contact ID';
COMMENT ON COLUMN engage.events.params IS 'the event''s params as a JSON object by name; {} when none';
COMMENT ON COLUMN engage.events.registered_at IS 'when the event was registered';
COMMENT ON COLUMN engage.events.written_xid IS 'the writing transaction''s ID with epoch (txid_current()): how exports find what arrived since their last run';
COMMENT ON COLUMN engage.export_dataset_runs.dataset IS 'The dataset, in the data-source guide''s spelling.';
COMMENT ON COLUMN engage.export_dataset_runs.export_id IS 'The export (engage.data_exports).';
COMMENT ON COLUMN engage.export_dataset_runs.finished_at IS 'When the run finished this dataset.';
COMMENT ON COLUMN engage.export_dataset_runs.mode IS 'full: the table was created or emptied, then filled; incremental: only what changed since the last run was sent.';
COMMENT ON COLUMN engage.export_dataset_runs.rows_deleted IS 'Rows a full copy emptied, keys gone (keyed incremental run), or rows of erased people (append-only).';
COMMENT ON COLUMN engage.export_dataset_runs.rows_inserted IS 'Rows inserted; an incremental run of a keyed dataset counts keys (an order''s items count once).';
COMMENT ON COLUMN engage.export_dataset_runs.rows_updated IS 'Keys whose rows were replaced by an incremental run of a keyed dataset; 0 otherwise.';
COMMENT ON COLUMN engage.export_dataset_runs.run_id IS 'The job run (engage.job_runs.run_id) that exported it; 0 when the export ran outside a job run.';
COMMENT ON COLUMN engage.export_dataset_runs.snapshot IS 'Transaction snapshot the dataset was exported up to (the target''s engage_export_state holds the one that counts).';
COMMENT ON COLUMN engage.export_dataset_runs.started_at IS 'When the run started this dataset.';
COMMENT ON COLUMN engage.export_datasets.dataset IS 'The dataset''s name in the data-source guide''s spelling (contactActivities, orderItems, …).';
COMMENT ON COLUMN engage.export_datasets.key_column IS 'Target column by which a run replaces rows (deletes and inserts them anew); NULL: append-only, new rows added.';
COMMENT ON COLUMN engage.export_datasets.key_unique IS 'true: the key names one row (the table''s primary key); false: a group of rows (indexed); NULL: append-only.';
COMMENT ON COLUMN engage.export_datasets.source IS 'The table the rows come from; its size estimates a full copy''s rows.';
COMMENT ON COLUMN engage.export_datasets.table_name IS 'Name of the dataset''s table in an export''s target schema.';
COMMENT ON COLUMN engage.export_tombstones.dataset IS 'The dataset the deleted rows belonged to, in the data-source guide''s spelling.';
COMMENT ON COLUMN engage.export_tombstones.key IS 'The dataset''s key of the deleted rows (an erased person: contactId:<id> or key:<id>); NULL: every row.';
COMMENT ON COLUMN engage.export_tombstones.written_xid IS '64-bit ID of the transaction that wrote it (txid_current()), compared with each export''s snapshot.';
COMMENT ON COLUMN engage.field_groups.field_group_id IS 'field group ID';
COMMENT ON COLUMN engage.field_groups.name IS 'group name, unique; engage.create_field and engage.alter_field create a group they name';
COMMENT ON COLUMN engage.fields.allowed_values IS 'the values a combobox field allows; NULL for every other type';
COMMENT ON COLUMN engage.fields.created_at IS 'when the field was created';
COMMENT ON COLUMN engage.fields.description IS 'free text about the field; NULL: none';
COMMENT ON COLUMN engage.fields.field_group_id IS 'the group the field belongs to (engage.field_groups)';
COMMENT ON COLUMN engage.fields.field_id IS 'field ID, positive; from 10001 up unless engage.create_field is given one';
COMMENT ON COLUMN engage.fields.name IS 'field name, unique: the field''s key in $contact.fields';
COMMENT ON COLUMN engage.fields.readonly IS 'true: contact requests cannot write the value (refused)';
COMMENT ON COLUMN engage.fields.required IS 'true: a new contact needs a value, and a value cannot be cleared';
COMMENT ON COLUMN engage.fields.type IS 'string, number, date, boolean or combobox (one of allowed_values); cannot change';
COMMENT ON COLUMN engage.job_kinds.description IS 'what the kind does and the arguments it takes';
COMMENT ON COLUMN engage.job_kinds.kind IS 'the kind''s name, as engage.schedule_job takes it';
COMMENT ON COLUMN engage.job_kinds.run_function IS 'the function f(arguments jsonb) returns text that runs a job of this kind; NULL for sql';
COMMENT ON COLUMN engage.job_kinds.worker_delivers IS 'true: the function only plans the run and the scheduler''s worker delivers it; never run in a session';
COMMENT ON COLUMN engage.job_runs.error IS 'why it failed (message, detail and SQLSTATE) or was interrupted; NULL otherwise';
COMMENT ON COLUMN engage.job_runs.finished_at IS 'when it ended; NULL while running';
COMMENT ON COLUMN engage.job_runs.job_id IS 'the job (engage.scheduled_jobs); its runs go when it is deleted';
COMMENT ON COLUMN engage.job_runs.job_name IS 'the job''s name when the run was recorded';
COMMENT ON COLUMN engage.job_runs.missed_runs IS 'further scheduled times (passed in downtime or while busy) this one run stands for';
COMMENT ON COLUMN engage.job_runs.owner IS 'the role the run acts as: the job''s owner';
COMMENT ON COLUMN engage.job_runs.pid IS 'process ID of the session or worker that ran it; NULL until one took it up';
COMMENT ON COLUMN engage.job_runs.result IS 'the command''s outcome (INSERT 3) or the kind function''s text; for a skipped run, why';
COMMENT ON COLUMN engage.job_runs.run_id IS 'identity';
COMMENT ON COLUMN engage.job_runs.scheduled_at IS 'the scheduled time the run is for; NULL for a manual run';
COMMENT ON COLUMN engage.job_runs.started_at IS 'when the run started';
COMMENT ON COLUMN engage.job_runs.started_by IS 'schedule, or manual (engage.run_job_now)';
COMMENT ON COLUMN engage.job_runs.status IS 'running, succeeded, failed, skipped (the previous run was still running) or interrupted';
COMMENT ON COLUMN engage.list_sync_definitions.action IS 'add (subscribe the rows to the list) or remove (unsubscribe them).';
COMMENT ON COLUMN engage.list_sync_definitions.api_url IS 'Base URL that overrides the region''s and the engage.list_api_url setting; NULL: no override.';
COMMENT ON COLUMN engage.list_sync_definitions.campaign_id IS 'Campaign ID sent as campaignId with unsubscribe requests; NULL: none sent.';
COMMENT ON COLUMN engage.list_sync_definitions.channel_unsubscribe IS 'Sent as channelUnsubscribe with unsubscribe requests.';
COMMENT ON COLUMN engage.list_sync_definitions.columns IS 'Segment source: {"<contacts dataset column>": "<output name>"}; NULL: the email only.';
COMMENT ON COLUMN engage.list_sync_definitions.created_at IS 'When the sync was created.';
COMMENT ON COLUMN engage.list_sync_definitions.full_resync IS 'true: the next run sends every row again (run_list_sync_now(full_resync => true), new strings); that run clears it.';
COMMENT ON COLUMN engage.list_sync_definitions.job_id IS 'The job (engage.scheduled_jobs) that runs the sync: its schedule, time zone, delay and failures.';
COMMENT ON COLUMN engage.list_sync_definitions.list_id IS 'ID of the list in the list API (positive).';
COMMENT ON COLUMN engage.list_sync_definitions.name IS 'Unique name of the sync; its job is named "list sync <name>".';
COMMENT ON COLUMN engage.list_sync_definitions.owner IS 'The role that created the sync; its query runs with this role''s rights.';
COMMENT ON COLUMN engage.list_sync_definitions.query IS 'The source query (one SELECT, run with the owner''s rights); NULL when the source is a segment.';
COMMENT ON COLUMN engage.list_sync_definitions.region IS 'us or eu: the list API''s base URL (api.iterable.com or api.eu.iterable.com), unless overridden.';
COMMENT ON COLUMN engage.list_sync_definitions.segment_id IS 'The segment (engage.segments) whose members are the source; NULL when the source is a query.';
COMMENT ON COLUMN engage.list_sync_definitions.skip_invalid_data IS 'true: invalid rows are skipped and recorded; false: an invalid row fails the run before anything is sent.';
COMMENT ON COLUMN engage.list_sync_definitions.strings IS 'Segment source: [{"name", "type", "value"}] added to dataFields; type string, timestamp, segment_id or segment_name.';
COMMENT ON COLUMN engage.list_sync_definitions.sync_id IS 'Identity of the sync.';
COMMENT ON COLUMN engage.list_sync_invalid_rows.reason IS 'Why the row is invalid (no email and no user ID, a bad value, a duplicate key, …).';
COMMENT ON COLUMN engage.list_sync_invalid_rows.row_key IS 'The row''s key (email:<address> or userId:<id>); NULL when it has none.';
COMMENT ON COLUMN engage.list_sync_invalid_rows.row_number IS 'Position of the row in the source''s result.';
COMMENT ON COLUMN engage.list_sync_invalid_rows.run_id IS 'The run (engage.job_runs.run_id).';
COMMENT ON COLUMN engage.list_sync_invalid_rows.sync_id IS 'The sync (engage.list_sync_definitions).';
COMMENT ON COLUMN engage.list_sync_keys.api_key IS 'The list API key, sent in the Api-Key header; never shown (engage.list_syncs.api_key_set says if one is set).';
COMMENT ON COLUMN engage.list_sync_keys.sync_id IS 'The sync (engage.list_sync_definitions).';
COMMENT ON COLUMN engage.list_sync_rows.hash IS 'Hash of the subscriber last planned (the one delivered, when delivered), run strings left out.';
COMMENT ON COLUMN engage.list_sync_rows.operation IS 'subscribe or unsubscribe: the call last planned for the row.';
COMMENT ON COLUMN engage.list_sync_rows.reason IS 'The API''s reason (rejected, forgotten, an unsubscribe of a user not in the list) or why the row is invalid; else NULL.';
COMMENT ON COLUMN engage.list_sync_rows.row_key IS 'The row''s key: email:<address> when it has an email, else userId:<id>.';
COMMENT ON COLUMN engage.list_sync_rows.run_id IS 'The run (engage.job_runs.run_id) that last planned or recorded the row.';
COMMENT ON COLUMN engage.list_sync_rows.state IS 'pending (not answered yet), delivered, rejected (sent again), forgotten (final), invalid, dropped (left the source).';
COMMENT ON COLUMN engage.list_sync_rows.subscriber IS 'The subscriber''s JSON to send while pending; NULL in every other state.';
COMMENT ON COLUMN engage.list_sync_rows.sync_id IS 'The sync (engage.list_sync_definitions).';
COMMENT ON COLUMN engage.list_sync_rows.updated_at IS 'When the row was last written.';
COMMENT ON COLUMN engage.list_sync_run_counts.batch_retries IS 'Requests sent again after a 429, 408 or 5xx, a timeout or a dropped connection.';
COMMENT ON COLUMN engage.list_sync_run_counts.batches_sent IS 'Batches whose answer was recorded.';
COMMENT ON COLUMN engage.list_sync_run_counts.full_resync IS 'Whether the run was a full resync (unchanged rows sent again).';
COMMENT ON COLUMN engage.list_sync_run_counts.planned_at IS 'When the run''s plan was recorded.';
COMMENT ON COLUMN engage.list_sync_run_counts.rows_changed IS 'Subscribe rows whose subscriber changed since last planned (another hash).';
COMMENT ON COLUMN engage.list_sync_run_counts.rows_in_result IS 'Rows the source returned.';
COMMENT ON COLUMN engage.list_sync_run_counts.rows_invalid IS 'Rows that cannot be sent (no key, bad data, a key that appears more than once).';
COMMENT ON COLUMN engage.list_sync_run_counts.rows_new IS 'Rows new to the sync (never seen, dropped before, or planned with the other operation).';
COMMENT ON COLUMN engage.list_sync_run_counts.rows_rejected IS 'Rows answered but not delivered (rejected or forgotten).';
COMMENT ON COLUMN engage.list_sync_run_counts.rows_removed IS 'Stored rows no longer in the source (unsubscribed when a segment is mirrored, else dropped).';
COMMENT ON COLUMN engage.list_sync_run_counts.rows_retried IS 'Rows sent again because they were pending, rejected or invalid before.';
COMMENT ON COLUMN engage.list_sync_run_counts.rows_sent IS 'Rows the list API has answered for so far.';
COMMENT ON COLUMN engage.list_sync_run_counts.rows_succeeded IS 'Rows answered as delivered.';
COMMENT ON COLUMN engage.list_sync_run_counts.rows_to_send IS 'Rows planned to send: new, changed, retried and resynced, and removed rows to unsubscribe.';
COMMENT ON COLUMN engage.list_sync_run_counts.run_id IS 'The run (engage.job_runs.run_id).';
COMMENT ON COLUMN engage.list_sync_run_counts.sync_id IS 'The sync (engage.list_sync_definitions).';
COMMENT ON COLUMN engage.list_sync_stage.change IS 'new, changed, retry, resync, unchanged, final (forgotten), invalid, or removed (a stored row no longer in the source).';
COMMENT ON COLUMN engage.list_sync_stage.hash IS 'Hash of the subscriber, run strings left out; NULL for invalid and removed rows.';
COMMENT ON COLUMN engage.list_sync_stage.operation IS 'subscribe or unsubscribe; for a removed row, unsubscribe when it is to leave the list, NULL when no call is needed.';
COMMENT ON COLUMN engage.list_sync_stage.problem IS 'Why the row is invalid; NULL for a valid row.';
COMMENT ON COLUMN engage.list_sync_stage.row_key IS 'The row''s key (email:<address> or userId:<id>); NULL for an invalid row without one.';
COMMENT ON COLUMN engage.list_sync_stage.row_number IS 'Position of the row in the source''s result; NULL for a stored row that left the source.';
COMMENT ON COLUMN engage.list_sync_stage.run_id IS 'The planning run (engage.job_runs.run_id); negative for a preview.';
COMMENT ON COLUMN engage.list_sync_stage.subscriber IS 'The subscriber''s JSON to send; NULL when nothing is sent (unchanged, final, invalid, removed without a call).';
COMMENT ON COLUMN engage.list_sync_stage.sync_id IS 'The sync (engage.list_sync_definitions).';
COMMENT ON COLUMN engage.message_translations.body IS 'body template of this version; refused when written if it does not compile';
COMMENT ON COLUMN engage.message_translations.language IS 'language of this version (stored lower-case)';
COMMENT ON COLUMN engage.message_translations.message_id IS 'the message (engage.messages)';
COMMENT ON COLUMN engage.message_translations.subject IS 'subject template of this version, up to 1000 characters; NULL: this version has no subject';
COMMENT ON COLUMN engage.message_translations.updated_at IS 'when the row was last written';
COMMENT ON COLUMN engage.messages.annoyance_level IS '0 or more; frequency caps count messages at or above their level; NULL counts as 0';
COMMENT ON COLUMN engage.messages.body IS 'body template of the main version; refused when written if it does not compile';
COMMENT ON COLUMN engage.messages.created_at IS 'when the message was created';
COMMENT ON COLUMN engage.messages.marketing IS 'true: a promotion: respects the unsubscribed list and unconfirmed channels in workflows too (false: only bulk sends do)';
COMMENT ON COLUMN engage.messages.media_type IS 'Email (default), Sms, WebPush, Viber, MobilePush, AppInbox, Widget or In-App: the channel a send uses by default';
COMMENT ON COLUMN engage.messages.message_id IS 'message ID';
COMMENT ON COLUMN engage.messages.name IS 'message name, not blank, up to 200 characters';
COMMENT ON COLUMN engage.messages.reply_to IS 'the reply-to address, up to 200 characters; NULL: none';
COMMENT ON COLUMN engage.messages.sender IS 'the sender, up to 200 characters (activities record it as sender_name); NULL: none';
COMMENT ON COLUMN engage.messages.subject IS 'subject template of the main version, up to 1000 characters; NULL: no subject';
COMMENT ON COLUMN engage.messages.tags IS 'the message''s tags; empty by default';
COMMENT ON COLUMN engage.messages.updated_at IS 'when the row was last written';
COMMENT ON COLUMN engage.notifications.created_at IS 'when it was written';
COMMENT ON COLUMN engage.notifications.details IS 'the same as JSON: for a job its name, consecutive_failures, error, sqlstate; for a worker its name, failures, error';
COMMENT ON COLUMN engage.notifications.job_id IS 'the job concerned (engage.scheduled_jobs); NULL when it concerns no job';
COMMENT ON COLUMN engage.notifications.kind IS 'job_failed, job_disabled or worker_failing';
COMMENT ON COLUMN engage.notifications.message IS 'what happened, in words';
COMMENT ON COLUMN engage.notifications.notification_id IS 'identity';
COMMENT ON COLUMN engage.notifications.run_id IS 'the run concerned (engage.job_runs); NULL when none';
COMMENT ON COLUMN engage.order_items."position" IS 'the item''s place in the order as sent, from 1';
COMMENT ON COLUMN engage.order_items.category IS 'category as sent; NULL if not given';
COMMENT ON COLUMN engage.order_items.contact_id IS 'the order''s contact (the items follow the order)';
COMMENT ON COLUMN engage.order_items.cost IS 'cost as sent, exactly (not negative)';
COMMENT ON COLUMN engage.order_items.description IS 'description as sent; NULL if not given';
COMMENT ON COLUMN engage.order_items.external_item_id IS 'externalItemId as sent';
COMMENT ON COLUMN engage.order_items.image_url IS 'imageUrl as sent; NULL if not given';
COMMENT ON COLUMN engage.order_items.name IS 'the item name as sent';
COMMENT ON COLUMN engage.order_items.order_id IS 'the order (engage.orders.order_id)';
COMMENT ON COLUMN engage.order_items.quantity IS 'quantity as sent, at least 1';
COMMENT ON COLUMN engage.order_items.url IS 'url as sent; NULL if not given';
COMMENT ON COLUMN engage.order_status_history.changed_at IS 'when pg_engage stored the status';
COMMENT ON COLUMN engage.order_status_history.contact_id IS 'the order''s contact when the status was stored';
COMMENT ON COLUMN engage.order_status_history.event_id IS 'the order<STATUS> event registered for it (engage.events)';
COMMENT ON COLUMN engage.order_status_history.order_id IS 'the order (engage.orders.order_id)';
COMMENT ON COLUMN engage.order_status_history.status IS 'the status the order entered';
COMMENT ON COLUMN engage.orders.additional_info IS 'additionalInfo: the object the shop sent, kept as given; NULL if not given';
COMMENT ON COLUMN engage.orders.contact_id IS 'the order''s contact: found by externalCustomerId, else email, else phone, or created';
COMMENT ON COLUMN engage.orders.created_at IS 'when pg_engage first stored the order (the data-source guide''s orderCreatedDate)';
COMMENT ON COLUMN engage.orders.currency IS 'ISO 4217 currency code, upper case';
COMMENT ON COLUMN engage.orders.delivery_address IS 'deliveryAddress as sent; NULL if not given';
COMMENT ON COLUMN engage.orders.delivery_method IS 'deliveryMethod as sent; NULL if not given';
COMMENT ON COLUMN engage.orders.discount IS 'discount amount as sent; NULL if not given';
COMMENT ON COLUMN engage.orders.email IS 'email as sent with the order (kept even when the contact''s differs); NULL if not given';
COMMENT ON COLUMN engage.orders.external_customer_id IS 'externalCustomerId as the order gave it';
COMMENT ON COLUMN engage.orders.external_order_id IS 'externalOrderId: the order''s identity, unique';
COMMENT ON COLUMN engage.orders.first_name IS 'firstName as sent; NULL if not given';
COMMENT ON COLUMN engage.orders.last_name IS 'lastName as sent; NULL if not given';
COMMENT ON COLUMN engage.orders.order_date IS 'the order''s date; UTC when it was sent without an offset';
COMMENT ON COLUMN engage.orders.order_id IS 'internal order ID (the data-source guide''s orderId)';
COMMENT ON COLUMN engage.orders.payment_method IS 'paymentMethod as sent; NULL if not given';
COMMENT ON COLUMN engage.orders.phone IS 'phone as sent with the order (kept even when the contact''s differs); NULL if not given';
COMMENT ON COLUMN engage.orders.restore_url IS 'restoreUrl as sent; NULL if not given';
COMMENT ON COLUMN engage.orders.shipping IS 'shipping amount as sent; NULL if not given';
COMMENT ON COLUMN engage.orders.source IS 'the order''s source key as sent (not a data source); NULL if not given';
COMMENT ON COLUMN engage.orders.status IS 'INITIALIZED, IN_PROGRESS, DELIVERED, CANCELLED or ABANDONED_SHOPPING_CART';
COMMENT ON COLUMN engage.orders.status_description IS 'statusDescription as sent; NULL if not given';
COMMENT ON COLUMN engage.orders.store_id IS 'storeId as sent; NULL if not given';
COMMENT ON COLUMN engage.orders.taxes IS 'taxes amount as sent; NULL if not given';
COMMENT ON COLUMN engage.orders.total_cost IS 'totalCost exactly as sent (not negative)';
COMMENT ON COLUMN engage.orders.updated_at IS 'when pg_engage last stored it (each time it is sent)';
COMMENT ON COLUMN engage.partitioned_tables.key_column IS 'its partition key column';
COMMENT ON COLUMN engage.partitioned_tables.key_kind IS 'time: the key is a timestamptz; uuid7: a time-ordered UUID, a time being the smallest UUID of its millisecond';
COMMENT ON COLUMN engage.partitioned_tables.relation IS 'the partitioned table';
COMMENT ON COLUMN engage.regular_trigger_launches.contact_id IS 'The member the event was generated for';
COMMENT ON COLUMN engage.regular_trigger_launches.event_id IS 'The event generated (engage.events)';
COMMENT ON COLUMN engage.regular_trigger_launches.period IS 'The period the run stood for: a scheduled run''s time to the job''s next one, any other run its day in the trigger''s zone';
COMMENT ON COLUMN engage.regular_trigger_launches.trigger_id IS 'The regular trigger';
COMMENT ON COLUMN engage.regular_triggers.created_at IS 'When the trigger was created';
COMMENT ON COLUMN engage.regular_triggers.event_type_id IS 'The event type regularEventType-<segmentId> (engage.event_types)';
COMMENT ON COLUMN engage.regular_triggers.last_events IS 'How many events the latest run generated; NULL if never run';
COMMENT ON COLUMN engage.regular_triggers.last_held_back IS 'How many members the latest run skipped because an earlier run in the period reached them; NULL if never run';
COMMENT ON COLUMN engage.regular_triggers.last_run_at IS 'The time (at) of the latest run; NULL if never run';
COMMENT ON COLUMN engage.regular_triggers.segment_id IS 'The segment whose members get the event';
COMMENT ON COLUMN engage.regular_triggers.time_zone IS 'IANA time zone: a run not started by the scheduler stands for its day in this zone';
COMMENT ON COLUMN engage.regular_triggers.trigger_id IS 'Trigger ID (engage.run_regular_trigger; job kind regular_trigger)';
COMMENT ON COLUMN engage.regular_triggers.workflow_id IS 'The workflow the event starts';
COMMENT ON COLUMN engage.retention.description IS 'what is removed';
COMMENT ON COLUMN engage.retention.keep IS 'how long rows are kept, at least an hour; NULL: forever';
COMMENT ON COLUMN engage.retention.kind IS 'events, sends, activities, workflow_instances, segment_changes, notifications or dead_letters';
COMMENT ON COLUMN engage.retention.last_removed IS 'rows that run deleted one by one (months dropped whole not counted); NULL: never run';
COMMENT ON COLUMN engage.retention.last_run_at IS 'the time (argument at) of the last engage.apply_retention run over this kind; NULL: never';
COMMENT ON COLUMN engage.retention.relation IS 'the table the kind''s rows are in';
COMMENT ON COLUMN engage.revenue.activity IS 'CLICKED, or RECEIVED (an open)';
COMMENT ON COLUMN engage.revenue.activity_at IS 'when the activity happened';
COMMENT ON COLUMN engage.revenue.activity_id IS 'the attributed activity (engage.contact_activities.activity_id)';
COMMENT ON COLUMN engage.revenue.attributed_at IS 'when the row was written';
COMMENT ON COLUMN engage.revenue.campaign_type IS 'the activity''s campaign type: IM (triggered) or Group (bulk)';
COMMENT ON COLUMN engage.revenue.click_event_link IS 'the link clicked, for CLICKED; NULL otherwise';
COMMENT ON COLUMN engage.revenue.contact_id IS 'the order''s contact';
COMMENT ON COLUMN engage.revenue.currency IS 'the order''s currency (ISO 4217)';
COMMENT ON COLUMN engage.revenue.external_customer_id IS 'the order''s externalCustomerId';
COMMENT ON COLUMN engage.revenue.external_order_id IS 'the order''s externalOrderId';
COMMENT ON COLUMN engage.revenue.media_type IS 'the activity''s channel (media type)';
COMMENT ON COLUMN engage.revenue.message_id IS 'the message that earned the order (engage.messages)';
COMMENT ON COLUMN engage.revenue.message_instance_id IS 'the activity''s message instance (its send); NULL when it has none';
COMMENT ON COLUMN engage.revenue.message_name IS 'the message''s name, as the activity recorded it';
COMMENT ON COLUMN engage.revenue.message_tags IS 'the message''s tags, as the activity recorded them';
COMMENT ON COLUMN engage.revenue.message_url IS 'the activity''s message URL';
COMMENT ON COLUMN engage.revenue.order_date IS 'the order''s date';
COMMENT ON COLUMN engage.revenue.order_id IS 'the order (engage.orders.order_id)';
COMMENT ON COLUMN engage.revenue.request_id IS 'the activity''s request ID (its send''s)';
COMMENT ON COLUMN engage.revenue.sender_name IS 'the activity''s sender name';
COMMENT ON COLUMN engage.revenue.total_cost IS 'the order''s totalCost';
COMMENT ON COLUMN engage.revenue.utm_campaign IS 'the activity''s UTM campaign';
COMMENT ON COLUMN engage.rfm_bands.changed_at IS 'when the bands or the RFM segments last changed; the next recompute after it is a full one';
COMMENT ON COLUMN engage.rfm_bands.frequency IS 'four ascending order counts: frequency scores 1 below the first, 2 from the first, ... 5 from the fourth';
COMMENT ON COLUMN engage.rfm_bands.monetary IS 'four ascending totals: monetary scores 1 below the first, 2 from the first, ... 5 from the fourth';
COMMENT ON COLUMN engage.rfm_bands.one IS 'always true: keeps the table to one row';
COMMENT ON COLUMN engage.rfm_bands.recency_days IS 'four ascending day counts: recency scores 5 below the first, 4 below the second, ... 1 from the fourth';
COMMENT ON COLUMN engage.rfm_bands.recomputed_at IS 'when the last recompute ended; NULL: never';
COMMENT ON COLUMN engage.rfm_segments."position" IS 'precedence: a contact is in the matching segment with the lowest position';
COMMENT ON COLUMN engage.rfm_segments.f_max IS 'highest frequency score (1 to 5) in the segment';
COMMENT ON COLUMN engage.rfm_segments.f_min IS 'lowest frequency score (1 to 5) in the segment';
COMMENT ON COLUMN engage.rfm_segments.m_max IS 'highest monetary score (1 to 5) in the segment';
COMMENT ON COLUMN engage.rfm_segments.m_min IS 'lowest monetary score (1 to 5) in the segment';
COMMENT ON COLUMN engage.rfm_segments.name IS 'the RFM segment''s name, as segment rules name it ({"rfm_segment": name})';
COMMENT ON COLUMN engage.rfm_segments.r_max IS 'highest recency score (1 to 5) in the segment';
COMMENT ON COLUMN engage.rfm_segments.r_min IS 'lowest recency score (1 to 5) in the segment';
COMMENT ON COLUMN engage.rfm_stale.contact_id IS 'a contact whose RFM row is to be recomputed';
COMMENT ON COLUMN engage.scheduled_jobs.arguments IS 'JSON the kind''s function takes; {} for sql';
COMMENT ON COLUMN engage.scheduled_jobs.command IS 'SQL text run for kind sql; NULL for every other kind';
COMMENT ON COLUMN engage.scheduled_jobs.consecutive_failures IS 'failures in a row so far; a success, or enabling the job, resets it';
COMMENT ON COLUMN engage.scheduled_jobs.created_at IS 'when the job was created';
COMMENT ON COLUMN engage.scheduled_jobs.day_rule IS 'when both day fields are restricted: more_often (default: the one matching more days) or either (cron''s rule)';
COMMENT ON COLUMN engage.scheduled_jobs.delay IS 'how long after its scheduled time a run starts; not negative';
COMMENT ON COLUMN engage.scheduled_jobs.enabled IS 'false: not run on schedule (switched off by hand, or after max_failures failures in a row)';
COMMENT ON COLUMN engage.scheduled_jobs.job_id IS 'identity';
COMMENT ON COLUMN engage.scheduled_jobs.kind IS 'what the job runs (engage.job_kinds); sql by default';
COMMENT ON COLUMN engage.scheduled_jobs.max_failures IS 'failures in a row after which the job is disabled; at least 1';
COMMENT ON COLUMN engage.scheduled_jobs.name IS 'unique name, as the job functions take it';
COMMENT ON COLUMN engage.scheduled_jobs.next_run_at IS 'when that time''s run is due: next_scheduled_at plus delay';
COMMENT ON COLUMN engage.scheduled_jobs.next_scheduled_at IS 'the next scheduled time; NULL when there is none';
COMMENT ON COLUMN engage.scheduled_jobs.owner IS 'the role that scheduled the job, set on insert and never changed; runs act as it';
COMMENT ON COLUMN engage.scheduled_jobs.run_requested IS 'set by engage.run_job_now and cleared by the run it asks for';
COMMENT ON COLUMN engage.scheduled_jobs.schedule IS 'cron schedule (five fields or a macro such as @daily); NULL: the job runs only when started by hand';
COMMENT ON COLUMN engage.scheduled_jobs.search_path IS 'the search_path in effect when the job was scheduled; runs use it';
COMMENT ON COLUMN engage.scheduled_jobs.time_zone IS 'IANA time zone the schedule is read in; engage.time_zone (else UTC) when not given';
COMMENT ON COLUMN engage.scheduled_jobs.updated_at IS 'when the row last changed';
COMMENT ON COLUMN engage.segment_changes.change IS 'entered or left';
COMMENT ON COLUMN engage.segment_changes.change_id IS 'identity; increases in the order the changes were written';
COMMENT ON COLUMN engage.segment_changes.changed_at IS 'the instant the refresh computed the members as of (its at argument)';
COMMENT ON COLUMN engage.segment_changes.contact_id IS 'the contact that entered or left';
COMMENT ON COLUMN engage.segment_changes.segment_id IS 'the segment (engage.segments); its changes go when it is dropped';
COMMENT ON COLUMN engage.segment_members.added_at IS 'when the contact was added; for a dynamic segment, the instant of the refresh it entered at';
COMMENT ON COLUMN engage.segment_members.contact_id IS 'the contact';
COMMENT ON COLUMN engage.segment_members.segment_id IS 'the segment (engage.segments)';
COMMENT ON COLUMN engage.segments.created_at IS 'when the segment was created';
COMMENT ON COLUMN engage.segments.kind IS 'static (members added by hand or subscriptions) or dynamic (members from the rule)';
COMMENT ON COLUMN engage.segments.name IS 'segment name, unique';
COMMENT ON COLUMN engage.segments.params IS 'the parameter array the compiled statement takes as $3; NULL for a static group';
COMMENT ON COLUMN engage.segments.refreshed_at IS 'the instant of the last engage.refresh_segment; NULL: never refreshed (always, for a static group)';
COMMENT ON COLUMN engage.segments.rule IS 'a dynamic segment''s rule (JSON, see engage.compile_segment_rule); NULL for a static group';
COMMENT ON COLUMN engage.segments.segment_id IS 'segment ID';
COMMENT ON COLUMN engage.segments.sql IS 'the statement the rule compiles to (engage.segment_sql shows it); NULL for a static group';
COMMENT ON COLUMN engage.segments.uses IS 'IDs of the segments the rule reads (never in a cycle); NULL for a static group';
COMMENT ON COLUMN engage.sends.attempts IS 'How many times a transport has claimed it';
COMMENT ON COLUMN engage.sends.block_id IS 'The workflow block that made it; NULL for other sends';
COMMENT ON COLUMN engage.sends.body IS 'The rendered body';
COMMENT ON COLUMN engage.sends.broadcast_id IS 'The broadcast that made it (engage.broadcasts); NULL for other sends';
COMMENT ON COLUMN engage.sends.campaign_type IS 'IM: triggered (a workflow or smartsend); Group: a broadcast (the data-source guide''s campaignType)';
COMMENT ON COLUMN engage.sends.channel IS 'email, sms, viber, webpush, mobilepush or telegram';
COMMENT ON COLUMN engage.sends.contact_id IS 'The contact; NULL when a smartsend locator belongs to no contact';
COMMENT ON COLUMN engage.sends.created_at IS 'When the send was made';
COMMENT ON COLUMN engage.sends.data IS 'What the message saw as $data, also when its render FAILED (a JSON source that was not JSON: its text)';
COMMENT ON COLUMN engage.sends.external_request_id IS 'The externalRequestId of the engage.smartsend call that made it; NULL otherwise';
COMMENT ON COLUMN engage.sends.hold_reason IS 'Why a delivery policy held it back; cleared when a transport claims it';
COMMENT ON COLUMN engage.sends.instance_id IS 'The workflow instance that made it; NULL for other sends';
COMMENT ON COLUMN engage.sends.language IS 'The language of the message version rendered (a translation or the main one)';
COMMENT ON COLUMN engage.sends.lease_until IS 'While SENDING: when the transport''s lease ends and the send may be claimed again; NULL otherwise';
COMMENT ON COLUMN engage.sends.locator IS 'The address the transport sends to; NULL when the contact has none on the channel';
COMMENT ON COLUMN engage.sends.message_id IS 'The message sent (engage.messages)';
COMMENT ON COLUMN engage.sends.not_before IS 'While HELD: when it becomes claimable again; NULL otherwise';
COMMENT ON COLUMN engage.sends.outcome_at IS 'When the report that decided DELIVERED or UNDELIVERED happened; NULL before one';
COMMENT ON COLUMN engage.sends.priority IS 'Claim order, from campaign_type: 0 for IM (triggered) sends, 1 for Group (bulk) ones';
COMMENT ON COLUMN engage.sends.reason IS 'Why it was SUPPRESSED or FAILED, or the UNDELIVERED report''s errorCode; NULL otherwise';
COMMENT ON COLUMN engage.sends.request_id IS 'The send''s requestId (the API FAQ): a time-ordered UUID by which transports and reports name the send';
COMMENT ON COLUMN engage.sends.send_id IS 'Send ID, in creation order (sends of one priority are claimed in this order)';
COMMENT ON COLUMN engage.sends.sent_at IS 'When a transport first claimed it; NULL if none has';
COMMENT ON COLUMN engage.sends.status IS 'QUEUED, HELD (by a policy), PAUSED (broadcast), SENDING (leased), DELIVERED, UNDELIVERED; SUPPRESSED, FAILED: not sent';
COMMENT ON COLUMN engage.sends.subject IS 'The rendered subject';
COMMENT ON COLUMN engage.sends.updated_at IS 'When the row last changed';
COMMENT ON COLUMN engage.sends.workflow_id IS 'The workflow whose send block made it; NULL for other sends';
COMMENT ON COLUMN engage.templates.body IS 'the Velocity template; refused when written if it does not compile';
COMMENT ON COLUMN engage.templates.name IS 'the name #parse and #include use; not blank';
COMMENT ON COLUMN engage.templates.updated_at IS 'when the row was last written';
COMMENT ON COLUMN engage.time_partitions.from_time IS 'start of the times it holds (inclusive); NULL: the beginning of time (the _before partition)';
COMMENT ON COLUMN engage.time_partitions.partition IS 'the partition';
COMMENT ON COLUMN engage.time_partitions.relation IS 'the partitioned table';
COMMENT ON COLUMN engage.time_partitions.to_time IS 'end of the times it holds (exclusive); NULL: no end (the _after partition)';
COMMENT ON COLUMN engage.unsubscribed_emails.email IS 'the address, lower-case';
COMMENT ON COLUMN engage.unsubscribed_emails.unsubscribed_at IS 'when the address was unsubscribed';
COMMENT ON COLUMN engage.workflow_blocks."position" IS 'Its index in the blocks array, from 0; a launch starts at block 0';
COMMENT ON COLUMN engage.workflow_blocks.block_id IS 'The block''s id in the graph, unique within the version';
COMMENT ON COLUMN engage.workflow_blocks.channel IS 'send_message: the channel to send on; NULL: the message''s media type decides it';
COMMENT ON COLUMN engage.workflow_blocks.event_params IS 'generate_event: the params of the event it registers (a JSON object)';
COMMENT ON COLUMN engage.workflow_blocks.event_type_key IS 'generate_event: the key of the event type it registers for the instance''s contact';
COMMENT ON COLUMN engage.workflow_blocks.json_source IS 'send_message: the event param whose JSON becomes $data; NULL: the event''s params are $data';
COMMENT ON COLUMN engage.workflow_blocks.message_id IS 'send_message: the message to render and send (engage.messages)';
COMMENT ON COLUMN engage.workflow_blocks.next IS 'The block to run after this one; NULL ends the path (conditions use yes and no instead)';
COMMENT ON COLUMN engage.workflow_blocks.no IS 'condition: the block to run when the test fails; NULL ends the path';
COMMENT ON COLUMN engage.workflow_blocks.op IS 'condition on a param: equals, not_equals, contains, starts_with, greater, less, exists or not_exists';
COMMENT ON COLUMN engage.workflow_blocks.param IS 'condition: the event param tested; get_order: the event param holding the externalOrderId';
COMMENT ON COLUMN engage.workflow_blocks.segment_id IS 'condition: the segment whose membership it tests; add_to_segment, remove_from_segment: the static segment';
COMMENT ON COLUMN engage.workflow_blocks.type IS 'send_message, wait, condition, add_to_segment, remove_from_segment, get_order, generate_event or exit';
COMMENT ON COLUMN engage.workflow_blocks.value IS 'condition: the value compared with, as text (as a number for greater and less); NULL for exists, not_exists';
COMMENT ON COLUMN engage.workflow_blocks.version IS 'The workflow version the block belongs to';
COMMENT ON COLUMN engage.workflow_blocks.wait_seconds IS 'wait: how long to wait, in seconds (at most 366 days); NULL for a wait until a time of day';
COMMENT ON COLUMN engage.workflow_blocks.wait_until IS 'wait: the time of day to wait for, in the contact''s time zone (else the default one); NULL for a fixed wait';
COMMENT ON COLUMN engage.workflow_blocks.workflow_id IS 'The workflow';
COMMENT ON COLUMN engage.workflow_blocks.yes IS 'condition: the block to run when the test passes; NULL ends the path';
COMMENT ON COLUMN engage.workflow_instances.block_id IS 'While running or waiting, the block it runs next (NULL: its path ends); NULL once completed or stopped';
COMMENT ON COLUMN engage.workflow_instances.contact_id IS 'The contact it runs for';
COMMENT ON COLUMN engage.workflow_instances.ended_at IS 'When it completed, stopped or failed; NULL while running or waiting';
COMMENT ON COLUMN engage.workflow_instances.error IS 'Why it failed; NULL unless failed';
COMMENT ON COLUMN engage.workflow_instances.event_id IS 'The start event that launched it (engage.events)';
COMMENT ON COLUMN engage.workflow_instances.instance_id IS 'Instance ID';
COMMENT ON COLUMN engage.workflow_instances.launch_period IS 'The time the launch holds for its contact: [event, +every) for once every, to infinity for once; NULL for each time';
COMMENT ON COLUMN engage.workflow_instances.params IS 'The start event''s params: what conditions test and sends render as $data (get_order adds order)';
COMMENT ON COLUMN engage.workflow_instances.resume_at IS 'When a waiting instance resumes (engage.run_due_waits); NULL unless waiting';
COMMENT ON COLUMN engage.workflow_instances.started_at IS 'When it was launched';
COMMENT ON COLUMN engage.workflow_instances.status IS 'running (only inside the transaction that runs it), waiting, completed, stopped (by a stop event) or failed';
COMMENT ON COLUMN engage.workflow_instances.steps IS 'How many blocks it has run';
COMMENT ON COLUMN engage.workflow_instances.updated_at IS 'When it last changed';
COMMENT ON COLUMN engage.workflow_instances.version IS 'The workflow version it runs: the current one at launch, or a newer one it was moved to';
COMMENT ON COLUMN engage.workflow_instances.workflow_id IS 'The workflow (no foreign key: a trigger deletes instances with their workflow)';
COMMENT ON COLUMN engage.workflow_triggers.action IS 'start: an event launches the workflow for its contact; stop: it ends that contact''s waiting instances';
COMMENT ON COLUMN engage.workflow_triggers.created_at IS 'When the link was first made (linking again keeps it)';
COMMENT ON COLUMN engage.workflow_triggers.event_type_id IS 'The event type (engage.event_types)';
COMMENT ON COLUMN engage.workflow_triggers.every IS 'once every: the period in which a contact is launched at most once; NULL otherwise';
COMMENT ON COLUMN engage.workflow_triggers.launch IS 'start links: each time, once (ever) or once every (the period in every); NULL for stop links';
COMMENT ON COLUMN engage.workflow_triggers.workflow_id IS 'The workflow';
COMMENT ON COLUMN engage.workflow_versions.blocks IS 'The version''s blocks as given (a JSON array)';
COMMENT ON COLUMN engage.workflow_versions.created_at IS 'When the version was made';
COMMENT ON COLUMN engage.workflow_versions.created_by IS 'The session user who made it';
COMMENT ON COLUMN engage.workflow_versions.moved IS 'How many waiting instances were moved onto this version when it was made (alter_workflow''s move_waiting)';
COMMENT ON COLUMN engage.workflow_versions.version IS 'Version number: 1 from engage.create_workflow, one more for each engage.alter_workflow';
COMMENT ON COLUMN engage.workflow_versions.workflow_id IS 'The workflow';
COMMENT ON COLUMN engage.workflows.activated_at IS 'When it was last activated (kept when it is deactivated); NULL if never activated';
COMMENT ON COLUMN engage.workflows.blocks IS 'The current version''s blocks as given (a JSON array); engage.workflow_blocks holds them checked, per version';
COMMENT ON COLUMN engage.workflows.created_at IS 'When the workflow was created';
COMMENT ON COLUMN engage.workflows.name IS 'Unique name (at most 200 characters); the workflow functions take it or the ID';
COMMENT ON COLUMN engage.workflows.status IS 'active: its start events launch it; inactive (the default at creation): it launches no one';
COMMENT ON COLUMN engage.workflows.tags IS 'Labels given at creation (engage.create_workflow''s tags)';
COMMENT ON COLUMN engage.workflows.version IS 'The current version: the one new launches use (engage.alter_workflow makes the next)';
COMMENT ON COLUMN engage.workflows.workflow_id IS 'Workflow ID; the workflow functions take it or the name';
COMMENT ON VIEW engage.broadcast_stats IS 'Per broadcast: its members and its sends by what became of them (the data-source guide''s broadcast counters). One row per broadcast.';
COMMENT ON VIEW engage.contact_channels IS 'engage.channels as a sender sees them: each channel with whether it may get bulk messages';
COMMENT ON VIEW engage.contact_field_values IS 'Additional field values with their field''s name and type: one row per contact and field with a value';
COMMENT ON VIEW engage.event_type_dependencies IS 'Each event type with the workflows it starts or stops (the triggered-campaigns guide''s dependencies): one row per event type.';
COMMENT ON VIEW engage.export_progress IS 'What running exports (those the reader may see) are doing now: one row per run, from shared memory, so it moves while the run''s transaction is open. Empty unless pg_engage is preloaded; at most 16 runs show.';
COMMENT ON VIEW engage.export_runs IS 'Every run of every export the reader may see: one row per run and dataset exported; a run with no dataset rows (failed, or still running) is one row with dataset NULL.';
COMMENT ON VIEW engage.exports IS 'The exports the reader may see, one row each, with their schedule, last run and next run.';
COMMENT ON VIEW engage.jobs IS 'Each job the reader may see (its row security applies), with its latest run''s status and times.';
COMMENT ON VIEW engage.list_sync_runs IS 'Every run of every list sync the reader may see: its status, what it planned and what came of it. The counts are NULL until planning commits (a run that failed planning has none).';
COMMENT ON VIEW engage.list_syncs IS 'The list syncs the reader may see, one row each, with their settings, schedule, last run and next run.';
COMMENT ON VIEW engage.order_attributions IS 'Each order not CANCELLED or ABANDONED_SHOPPING_CART with the activity it is attributed to now: the contact''s last click in the attribution window before the order, else the last open. Orders with neither are left out.';
COMMENT ON COLUMN engage.broadcast_stats.broadcast_id IS 'The broadcast';
COMMENT ON COLUMN engage.broadcast_stats.cancelled_at IS 'When it was cancelled; NULL if it was not';
COMMENT ON COLUMN engage.broadcast_stats.clicked IS 'Sent sends with a click report';
COMMENT ON COLUMN engage.broadcast_stats.delivered IS 'Sends now DELIVERED';
COMMENT ON COLUMN engage.broadcast_stats.failed IS 'Sends FAILED: the template failed for the member';
COMMENT ON COLUMN engage.broadcast_stats.members IS 'How many contacts its segments had when it started; NULL until it starts';
COMMENT ON COLUMN engage.broadcast_stats.name IS 'Its name';
COMMENT ON COLUMN engage.broadcast_stats.opened IS 'Sent sends with an open (RECEIVED) report';
COMMENT ON COLUMN engage.broadcast_stats.queued IS 'Sends waiting for a transport: QUEUED, HELD or PAUSED';
COMMENT ON COLUMN engage.broadcast_stats.scheduled_at IS 'When it was scheduled to start; NULL if it started at once';
COMMENT ON COLUMN engage.broadcast_stats.sent IS 'Sends a transport has claimed';
COMMENT ON COLUMN engage.broadcast_stats.started_at IS 'When it started; NULL until it starts';
COMMENT ON COLUMN engage.broadcast_stats.status IS 'Its status (see engage.broadcasts.status)';
COMMENT ON COLUMN engage.broadcast_stats.suppressed IS 'Sends SUPPRESSED: never sent (no usable address, unsubscribed, or the broadcast was cancelled)';
COMMENT ON COLUMN engage.broadcast_stats.undelivered IS 'Sends now UNDELIVERED';
COMMENT ON COLUMN engage.broadcast_stats.unsubscribed IS 'Sent sends with an unsubscribe or spam report';
COMMENT ON COLUMN engage.contact_channels.bounce_reason IS 'the transport''s error code for the hard bounce; NULL: not bounced';
COMMENT ON COLUMN engage.contact_channels.bounced_at IS 'when a hard bounce was reported; NULL: none since the last confirmation';
COMMENT ON COLUMN engage.contact_channels.bulk_allowed IS 'true: active, not unsubscribed and not bounced, so bulk messages may go to it';
COMMENT ON COLUMN engage.contact_channels.confirmed_at IS 'when the channel was confirmed; NULL: never';
COMMENT ON COLUMN engage.contact_channels.contact_id IS 'the contact the channel belongs to';
COMMENT ON COLUMN engage.contact_channels.created_at IS 'when the channel was added';
COMMENT ON COLUMN engage.contact_channels.status IS 'active, or inactive until confirmed (engage.confirm_channel)';
COMMENT ON COLUMN engage.contact_channels.type IS 'email, sms, viber, webpush, mobilepush or telegram';
COMMENT ON COLUMN engage.contact_channels.unsubscribed IS 'true: an email channel whose address is on engage.unsubscribed_emails';
COMMENT ON COLUMN engage.contact_channels.value IS 'the address or token as stored';
COMMENT ON COLUMN engage.contact_field_values.contact_id IS 'the contact';
COMMENT ON COLUMN engage.contact_field_values.field_id IS 'the field (engage.fields)';
COMMENT ON COLUMN engage.contact_field_values.field_name IS 'the field''s name';
COMMENT ON COLUMN engage.contact_field_values.type IS 'the field''s type: string, number, date, boolean or combobox';
COMMENT ON COLUMN engage.contact_field_values.updated_at IS 'when the value was last set or changed';
COMMENT ON COLUMN engage.contact_field_values.value IS 'the value as canonical text';
COMMENT ON COLUMN engage.event_type_dependencies.category IS 'The event type''s category: Click, Subscribe, Unsubscribe, Import, RFM, Other, Subscription, View or Order';
COMMENT ON COLUMN engage.event_type_dependencies.event_type_id IS 'The event type''s ID';
COMMENT ON COLUMN engage.event_type_dependencies.event_type_key IS 'The event type''s key';
COMMENT ON COLUMN engage.event_type_dependencies.name IS 'The event type''s name';
COMMENT ON COLUMN engage.event_type_dependencies.starts IS 'IDs of the workflows (active or not) its events start; {} if none';
COMMENT ON COLUMN engage.event_type_dependencies.stops IS 'IDs of the workflows its events stop; {} if none';
COMMENT ON COLUMN engage.event_type_dependencies.workflows IS 'The linked workflows, a JSON array of {workflowId, name, action, launch, every, status}; [] if none';
COMMENT ON COLUMN engage.export_progress.dataset IS 'The dataset the run is at, in the data-source guide''s spelling.';
COMMENT ON COLUMN engage.export_progress.dataset_started_at IS 'When the run started this dataset.';
COMMENT ON COLUMN engage.export_progress.export IS 'Name of the export.';
COMMENT ON COLUMN engage.export_progress.pid IS 'Process ID of the backend running the export.';
COMMENT ON COLUMN engage.export_progress.rows_done IS 'Rows done so far in this dataset (keys, for an incremental run of a keyed dataset).';
COMMENT ON COLUMN engage.export_progress.rows_estimate IS 'Rows expected: the source''s estimated size for a full copy, the changed keys for an incremental one; NULL: unknown.';
COMMENT ON COLUMN engage.export_runs.dataset IS 'The dataset, in the data-source guide''s spelling; NULL for a run that exported none (failed, or still running).';
COMMENT ON COLUMN engage.export_runs.duration IS 'How long the run took for this dataset; NULL without dataset.';
COMMENT ON COLUMN engage.export_runs.error IS 'Why the run failed (a dataset''s failure names the dataset); NULL unless it failed.';
COMMENT ON COLUMN engage.export_runs.export IS 'Name of the export.';
COMMENT ON COLUMN engage.export_runs.finished_at IS 'When the run finished; NULL while it runs.';
COMMENT ON COLUMN engage.export_runs.mode IS 'full (table created or emptied, then filled) or incremental (what changed since the last run); NULL without dataset.';
COMMENT ON COLUMN engage.export_runs.rows_deleted IS 'Rows a full copy emptied, keys gone, or rows of erased people; NULL without dataset.';
COMMENT ON COLUMN engage.export_runs.rows_inserted IS 'Rows inserted (keys, for an incremental run of a keyed dataset); NULL without dataset.';
COMMENT ON COLUMN engage.export_runs.rows_updated IS 'Keys whose rows were replaced (incremental runs of keyed datasets; else 0); NULL without dataset.';
COMMENT ON COLUMN engage.export_runs.run_id IS 'The job run (engage.job_runs.run_id).';
COMMENT ON COLUMN engage.export_runs.started_at IS 'When the run started.';
COMMENT ON COLUMN engage.export_runs.status IS 'running, succeeded, failed, skipped or interrupted.';
COMMENT ON COLUMN engage.exports.connector IS 'Name of the connector whose database holds the target.';
COMMENT ON COLUMN engage.exports.created_at IS 'When the export was created.';
COMMENT ON COLUMN engage.exports.datasets IS 'The datasets exported, in the data-source guide''s spelling, sorted.';
COMMENT ON COLUMN engage.exports.delay IS 'How long after each scheduled time the run starts.';
COMMENT ON COLUMN engage.exports.enabled IS 'Whether the job runs on its schedule; false when switched off, or after max_failures failures in a row.';
COMMENT ON COLUMN engage.exports.export_id IS 'Identity of the export (engage.data_exports).';
COMMENT ON COLUMN engage.exports.job_name IS 'Name of the export''s job ("export <name>").';
COMMENT ON COLUMN engage.exports.last_run_error IS 'Error of the last run; NULL unless it failed.';
COMMENT ON COLUMN engage.exports.last_run_finished_at IS 'When the last run finished; NULL while it runs or when never run.';
COMMENT ON COLUMN engage.exports.last_run_started_at IS 'When the last run started; NULL: never run.';
COMMENT ON COLUMN engage.exports.last_run_status IS 'Status of the last run: running, succeeded, failed, skipped or interrupted; NULL: never run.';
COMMENT ON COLUMN engage.exports.last_success_at IS 'When a successful run last finished a dataset; NULL: none yet.';
COMMENT ON COLUMN engage.exports.name IS 'Name of the export.';
COMMENT ON COLUMN engage.exports.next_run_at IS 'When the next scheduled run is due (scheduled time plus delay); NULL when disabled or unscheduled.';
COMMENT ON COLUMN engage.exports.owner IS 'The role the export belongs to; its runs act with this role''s rights.';
COMMENT ON COLUMN engage.exports.schedule IS 'Cron schedule of the export''s job; NULL or empty: runs only by hand (engage.run_export_now).';
COMMENT ON COLUMN engage.exports.state IS 'running, disabled (its job is switched off), failing (the last run failed) or idle.';
COMMENT ON COLUMN engage.exports.target_schema IS 'Schema the datasets'' tables are written to.';
COMMENT ON COLUMN engage.exports.time_zone IS 'Time zone the schedule is read in.';
COMMENT ON COLUMN engage.jobs.arguments IS 'JSON the kind''s function takes; {} for sql';
COMMENT ON COLUMN engage.jobs.command IS 'SQL text run for kind sql; NULL for every other kind';
COMMENT ON COLUMN engage.jobs.consecutive_failures IS 'failures in a row so far; a success, or enabling the job, resets it';
COMMENT ON COLUMN engage.jobs.day_rule IS 'when both day fields are restricted: more_often (default: the one matching more days) or either (cron''s rule)';
COMMENT ON COLUMN engage.jobs.delay IS 'how long after its scheduled time a run starts; not negative';
COMMENT ON COLUMN engage.jobs.enabled IS 'false: not run on schedule (switched off by hand, or after max_failures failures in a row)';
COMMENT ON COLUMN engage.jobs.job_id IS 'identity';
COMMENT ON COLUMN engage.jobs.kind IS 'what the job runs (engage.job_kinds); sql by default';
COMMENT ON COLUMN engage.jobs.last_finished_at IS 'when its latest run ended; NULL if it never ran or is still running';
COMMENT ON COLUMN engage.jobs.last_started_at IS 'when its latest run started; NULL if it never ran';
COMMENT ON COLUMN engage.jobs.last_status IS 'status of its latest run (engage.job_runs); NULL if it never ran';
COMMENT ON COLUMN engage.jobs.max_failures IS 'failures in a row after which the job is disabled; at least 1';
COMMENT ON COLUMN engage.jobs.name IS 'unique name, as the job functions take it';
COMMENT ON COLUMN engage.jobs.next_run_at IS 'when its next run is due (scheduled time plus delay); NULL when disabled or unscheduled';
COMMENT ON COLUMN engage.jobs.owner IS 'the role that scheduled the job, set on insert and never changed; runs act as it';
COMMENT ON COLUMN engage.jobs.schedule IS 'cron schedule (five fields or a macro such as @daily); NULL: the job runs only when started by hand';
COMMENT ON COLUMN engage.jobs.search_path IS 'the search_path in effect when the job was scheduled; runs use it';
COMMENT ON COLUMN engage.jobs.time_zone IS 'IANA time zone the schedule is read in; engage.time_zone (else UTC) when not given';
COMMENT ON COLUMN engage.list_sync_runs.batch_retries IS 'Requests sent again after a 429, 408 or 5xx, a timeout or a dropped connection.';
COMMENT ON COLUMN engage.list_sync_runs.batches_sent IS 'Batches whose answer was recorded.';
COMMENT ON COLUMN engage.list_sync_runs.error IS 'Why the run failed (the list API''s message, for a delivery failure); NULL unless it failed.';
COMMENT ON COLUMN engage.list_sync_runs.finished_at IS 'When the run finished; NULL while it runs.';
COMMENT ON COLUMN engage.list_sync_runs.full_resync IS 'Whether the run was a full resync (unchanged rows sent again).';
COMMENT ON COLUMN engage.list_sync_runs.result IS 'The run''s counts in words (set when planning ends, updated when it succeeds); for a skipped run, why.';
COMMENT ON COLUMN engage.list_sync_runs.rows_changed IS 'Subscribe rows whose subscriber changed since last planned.';
COMMENT ON COLUMN engage.list_sync_runs.rows_in_result IS 'Rows the source returned.';
COMMENT ON COLUMN engage.list_sync_runs.rows_invalid IS 'Rows that cannot be sent (no key, bad data, a key that appears more than once).';
COMMENT ON COLUMN engage.list_sync_runs.rows_new IS 'Rows new to the sync (never seen, dropped before, or planned with the other operation).';
COMMENT ON COLUMN engage.list_sync_runs.rows_rejected IS 'Rows answered but not delivered (rejected or forgotten).';
COMMENT ON COLUMN engage.list_sync_runs.rows_removed IS 'Stored rows no longer in the source (unsubscribed when a segment is mirrored, else dropped).';
COMMENT ON COLUMN engage.list_sync_runs.rows_retried IS 'Rows sent again because they were pending, rejected or invalid before.';
COMMENT ON COLUMN engage.list_sync_runs.rows_sent IS 'Rows the list API has answered for so far.';
COMMENT ON COLUMN engage.list_sync_runs.rows_succeeded IS 'Rows answered as delivered.';
COMMENT ON COLUMN engage.list_sync_runs.rows_to_send IS 'Rows planned to send: new, changed, retried and resynced, and removed rows to unsubscribe.';
COMMENT ON COLUMN engage.list_sync_runs.run_id IS 'The run (engage.job_runs.run_id).';
COMMENT ON COLUMN engage.list_sync_runs.started_at IS 'When the run started.';
COMMENT ON COLUMN engage.list_sync_runs.started_by IS 'schedule, or manual (engage.run_list_sync_now).';
COMMENT ON COLUMN engage.list_sync_runs.status IS 'running, succeeded, failed, skipped or interrupted.';
COMMENT ON COLUMN engage.list_sync_runs.sync IS 'Name of the sync.';
COMMENT ON COLUMN engage.list_syncs.action IS 'add (subscribe the rows) or remove (unsubscribe them).';
COMMENT ON COLUMN engage.list_syncs.api_key_set IS 'Whether an API key is stored (the key itself is never shown).';
COMMENT ON COLUMN engage.list_syncs.api_url IS 'Base URL that overrides the region''s; NULL: no override.';
COMMENT ON COLUMN engage.list_syncs.campaign_id IS 'Campaign ID sent with unsubscribe requests; NULL: none.';
COMMENT ON COLUMN engage.list_syncs.channel_unsubscribe IS 'Sent as channelUnsubscribe with unsubscribe requests.';
COMMENT ON COLUMN engage.list_syncs.created_at IS 'When the sync was created.';
COMMENT ON COLUMN engage.list_syncs.delay IS 'How long after each scheduled time the run starts.';
COMMENT ON COLUMN engage.list_syncs.enabled IS 'Whether the job runs on its schedule; false when switched off, or after max_failures failures in a row.';
COMMENT ON COLUMN engage.list_syncs.job_name IS 'Name of the sync''s job ("list sync <name>").';
COMMENT ON COLUMN engage.list_syncs.last_run_error IS 'Error of the last run; NULL unless it failed.';
COMMENT ON COLUMN engage.list_syncs.last_run_finished_at IS 'When the last run finished; NULL while it runs or when never run.';
COMMENT ON COLUMN engage.list_syncs.last_run_id IS 'The last run (engage.job_runs.run_id); NULL: never run.';
COMMENT ON COLUMN engage.list_syncs.last_run_started_at IS 'When the last run started; NULL: never run.';
COMMENT ON COLUMN engage.list_syncs.last_run_status IS 'Status of the last run: running, succeeded, failed, skipped or interrupted; NULL: never run.';
COMMENT ON COLUMN engage.list_syncs.list_id IS 'ID of the list in the list API.';
COMMENT ON COLUMN engage.list_syncs.name IS 'Name of the sync.';
COMMENT ON COLUMN engage.list_syncs.next_run_at IS 'When the next scheduled run is due (scheduled time plus delay); NULL when disabled or unscheduled.';
COMMENT ON COLUMN engage.list_syncs.owner IS 'The role the sync belongs to; its query runs with this role''s rights.';
COMMENT ON COLUMN engage.list_syncs.query IS 'The source query; NULL for a segment source.';
COMMENT ON COLUMN engage.list_syncs.region IS 'us or eu: the list API''s region.';
COMMENT ON COLUMN engage.list_syncs.schedule IS 'Cron schedule of the sync''s job; NULL or empty: runs only by hand (engage.run_list_sync_now).';
COMMENT ON COLUMN engage.list_syncs.segment IS 'Name of the source segment; NULL for a query source.';
COMMENT ON COLUMN engage.list_syncs.skip_invalid_data IS 'true: invalid rows are skipped and recorded; false: an invalid row fails the run before anything is sent.';
COMMENT ON COLUMN engage.list_syncs.source IS 'query or segment: where the rows come from.';
COMMENT ON COLUMN engage.list_syncs.state IS 'running, queued (a run was asked for), disabled, failing (the last run failed) or idle.';
COMMENT ON COLUMN engage.list_syncs.sync_id IS 'Identity of the sync (engage.list_sync_definitions).';
COMMENT ON COLUMN engage.list_syncs.time_zone IS 'Time zone the schedule is read in.';
COMMENT ON COLUMN engage.order_attributions.activity IS 'CLICKED, or RECEIVED (an open)';
COMMENT ON COLUMN engage.order_attributions.activity_at IS 'when the activity happened';
COMMENT ON COLUMN engage.order_attributions.activity_id IS 'the attributed activity (engage.contact_activities.activity_id)';
COMMENT ON COLUMN engage.order_attributions.campaign_type IS 'the activity''s campaign type: IM (triggered) or Group (bulk)';
COMMENT ON COLUMN engage.order_attributions.click_event_link IS 'the link clicked, for CLICKED; NULL otherwise';
COMMENT ON COLUMN engage.order_attributions.contact_id IS 'the order''s contact';
COMMENT ON COLUMN engage.order_attributions.currency IS 'the order''s currency (ISO 4217)';
COMMENT ON COLUMN engage.order_attributions.external_customer_id IS 'the order''s externalCustomerId';
COMMENT ON COLUMN engage.order_attributions.external_order_id IS 'the order''s externalOrderId';
COMMENT ON COLUMN engage.order_attributions.media_type IS 'the activity''s channel (media type)';
COMMENT ON COLUMN engage.order_attributions.message_id IS 'the message that earned the order (engage.messages)';
COMMENT ON COLUMN engage.order_attributions.message_instance_id IS 'the activity''s message instance (its send); NULL when it has none';
COMMENT ON COLUMN engage.order_attributions.message_name IS 'the message''s name, as the activity recorded it';
COMMENT ON COLUMN engage.order_attributions.message_tags IS 'the message''s tags, as the activity recorded them';
COMMENT ON COLUMN engage.order_attributions.message_url IS 'the activity''s message URL';
COMMENT ON COLUMN engage.order_attributions.order_date IS 'the order''s date';
COMMENT ON COLUMN engage.order_attributions.order_id IS 'the order (engage.orders.order_id)';
COMMENT ON COLUMN engage.order_attributions.request_id IS 'the activity''s request ID (its send''s)';
COMMENT ON COLUMN engage.order_attributions.sender_name IS 'the activity''s sender name';
COMMENT ON COLUMN engage.order_attributions.total_cost IS 'the order''s totalCost';
COMMENT ON COLUMN engage.order_attributions.utm_campaign IS 'the activity''s UTM campaign';

REVOKE ALL ON FUNCTION engage_internal.segment_diff(bigint,boolean) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage.send_broadcast(pg_catalog.text,pg_catalog.text[],pg_catalog.text,timestamp with time zone) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
GRANT EXECUTE ON FUNCTION engage.send_broadcast(pg_catalog.text,pg_catalog.text[],pg_catalog.text,timestamp with time zone) TO engage_writer;
GRANT EXECUTE ON FUNCTION engage.send_broadcast(pg_catalog.text,pg_catalog.text[],pg_catalog.text,timestamp with time zone) TO engage_admin;
REVOKE ALL ON FUNCTION engage_internal.advance_instances(timestamp with time zone) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.attributed_activity(bigint,timestamp with time zone,interval) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
GRANT EXECUTE ON FUNCTION engage_internal.attributed_activity(bigint,timestamp with time zone,interval) TO engage_reader;
REVOKE ALL ON FUNCTION engage_internal.broadcast_numbered(bigint) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.broadcast_pending(bigint) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.broadcasts_kept() FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.check_policy(pg_catalog.text,pg_catalog.text) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.check_source_relation(pg_catalog.oid,pg_catalog.regclass,pg_catalog.text) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.check_workflow_blocks(pg_catalog.jsonb) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.connector_has_exports() FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.contact_context_of(bigint,pg_catalog.text,pg_catalog.text,pg_catalog.text,pg_catalog.text,pg_catalog.text,pg_catalog.text[]) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
GRANT EXECUTE ON FUNCTION engage_internal.contact_context_of(bigint,pg_catalog.text,pg_catalog.text,pg_catalog.text,pg_catalog.text,pg_catalog.text,pg_catalog.text[]) TO engage_reader;
GRANT EXECUTE ON FUNCTION engage_internal.contact_context_of(bigint,pg_catalog.text,pg_catalog.text,pg_catalog.text,pg_catalog.text,pg_catalog.text,pg_catalog.text[]) TO engage_admin;
REVOKE ALL ON FUNCTION engage_internal.contact_to_erase(bigint,pg_catalog.text,pg_catalog.text,pg_catalog.text) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.contacts_by_keys(pg_catalog.text[],pg_catalog.text[],pg_catalog.text[]) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.copied_columns(pg_catalog.regclass) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.deactivate_device(pg_catalog.text,pg_catalog.text,pg_catalog.text) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.delete_dependents() FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.drop_oldest_month(pg_catalog.regclass) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.drop_source_view(engage.data_sources) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.event_types_guard() FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.export_forget(pg_catalog.text) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.export_progress_slots() FROM PUBLIC, engage_reader, engage_writer, engage_admin;
GRANT EXECUTE ON FUNCTION engage_internal.export_progress_slots() TO engage_reader;
REVOKE ALL ON FUNCTION engage_internal.export_tombstone() FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.hold_instance_parents(bigint[],bigint[]) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.in_background_worker() FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.json_instant(timestamp with time zone) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
GRANT EXECUTE ON FUNCTION engage_internal.json_instant(timestamp with time zone) TO engage_admin;
REVOKE ALL ON FUNCTION engage_internal.link_waiting_devices(bigint[]) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.maintain_partitions(timestamp with time zone,integer) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.mark_interrupted_runs() FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.message_named(pg_catalog.text,boolean,pg_catalog.text) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.month_can_go(pg_catalog.regclass,pg_catalog.regclass,timestamp with time zone) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.next_month(timestamp with time zone) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.next_time_of_day(timestamp with time zone,time without time zone,pg_catalog.text) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.notify_transports() FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.order_object(bigint,pg_catalog.text) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.param_test(pg_catalog.jsonb,pg_catalog.text,pg_catalog.text) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.partition_bounds(pg_catalog.text,timestamp with time zone,timestamp with time zone) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.partition_by_month(pg_catalog.regclass,pg_catalog.name,pg_catalog.text,timestamp with time zone) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.partition_keep(pg_catalog.regclass) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.partition_name(pg_catalog.regclass,timestamp with time zone) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.permanent_failure(pg_catalog.jsonb) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.policy_holds(bigint[],timestamp with time zone) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.prune_workflow_versions(bigint) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.queue_events() FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.record_imported(bigint[]) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.register_event_types(pg_catalog.text[]) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.regular_trigger_period(engage.regular_triggers,timestamp with time zone) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.render_for_send(integer,pg_catalog.text,pg_catalog.text,pg_catalog.jsonb,pg_catalog.json,pg_catalog.jsonb,pg_catalog.text) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
GRANT EXECUTE ON FUNCTION engage_internal.render_for_send(integer,pg_catalog.text,pg_catalog.text,pg_catalog.jsonb,pg_catalog.json,pg_catalog.jsonb,pg_catalog.text) TO engage_admin;
REVOKE ALL ON FUNCTION engage_internal.require_broadcast_status(engage.broadcasts,pg_catalog.text[],pg_catalog.text) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.require_value(pg_catalog.text,pg_catalog.anyelement) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.resolve_workflow_names(pg_catalog.jsonb) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.resume_instances(bigint[],timestamp with time zone) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.revenue_attribution_window() FROM PUBLIC, engage_reader, engage_writer, engage_admin;
GRANT EXECUTE ON FUNCTION engage_internal.revenue_attribution_window() TO engage_reader;
REVOKE ALL ON FUNCTION engage_internal.rfm_cells() FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.rfm_definitions_changed() FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.run_events(bigint[],timestamp with time zone,timestamp with time zone,timestamp with time zone) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.scheduled_jobs_changed() FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.scheduled_jobs_written() FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.segment_diff_combine(pg_catalog.internal,pg_catalog.internal) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.segment_diff_deserialize(pg_catalog.bytea,pg_catalog.internal) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.segment_diff_final(pg_catalog.internal) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.segment_diff_serialize(pg_catalog.internal) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.segment_diff_step(pg_catalog.internal,bigint,boolean) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.send_blocks(engage.workflow_step[],timestamp with time zone) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.send_statement(pg_catalog.text,pg_catalog.text,pg_catalog.text) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
GRANT EXECUTE ON FUNCTION engage_internal.send_statement(pg_catalog.text,pg_catalog.text,pg_catalog.text) TO engage_admin;
REVOKE ALL ON FUNCTION engage_internal.split_month_off(pg_catalog.regclass) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.store_devices(bigint[],pg_catalog.text[],pg_catalog.text[],pg_catalog.text[],pg_catalog.text[],pg_catalog.text[],pg_catalog.text[],pg_catalog.text[],bigint[],pg_catalog.text[],pg_catalog.text[],pg_catalog.text[],pg_catalog.text[],pg_catalog.text[]) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.store_orders(bigint[],pg_catalog.text[],pg_catalog.text[],pg_catalog.text[],pg_catalog.text[],pg_catalog.text[],pg_catalog.text[],pg_catalog.text[],pg_catalog.text[],pg_catalog.text[],pg_catalog.text[],pg_catalog.text[],pg_catalog.text[],pg_catalog.text[],pg_catalog.text[],pg_catalog.text[],pg_catalog.text[],pg_catalog.text[],pg_catalog.text[],pg_catalog.text[],pg_catalog.text[],pg_catalog.jsonb[],boolean[],pg_catalog.text[],integer[],pg_catalog.text[],pg_catalog.text[],pg_catalog.text[],integer[],pg_catalog.text[],pg_catalog.text[],pg_catalog.text[],pg_catalog.text[],timestamp with time zone) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.store_smartsend(integer,pg_catalog.text[],pg_catalog.text[],pg_catalog.text) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.store_workflow(pg_catalog.text,pg_catalog.text[],pg_catalog.jsonb,pg_catalog.jsonb) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.store_workflow_blocks(bigint,integer,pg_catalog.jsonb) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.store_workflow_version(pg_catalog.text,pg_catalog.jsonb,pg_catalog.jsonb,boolean) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.sync_device_channels(pg_catalog.text[]) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.templates_checked() FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.templates_written() FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.time_ordered_uuid() FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.transient_error(pg_catalog.text) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.vouched_role(bigint) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
REVOKE ALL ON FUNCTION engage_internal.workflow_named(pg_catalog.text) FROM PUBLIC, engage_reader, engage_writer, engage_admin;
GRANT EXECUTE ON FUNCTION engage_internal.workflow_named(pg_catalog.text) TO engage_reader;
REVOKE ALL ON SCHEMA engage_internal FROM PUBLIC, engage_reader, engage_writer, engage_admin;
GRANT USAGE ON SCHEMA engage_internal TO engage_reader;

-- The cascade triggers (written by hand, as in the install script), and the one that keeps a
-- connector with exports.
CREATE TRIGGER contacts_deleted AFTER DELETE ON engage.contacts REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION engage_internal.delete_dependents('contact_id', 'channels', 'contact_fields');
CREATE TRIGGER contacts_truncated AFTER TRUNCATE ON engage.contacts
    FOR EACH STATEMENT EXECUTE FUNCTION engage_internal.delete_dependents('contact_id', 'channels', 'contact_fields');
CREATE TRIGGER fields_deleted AFTER DELETE ON engage.fields REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION engage_internal.delete_dependents('field_id', 'contact_fields');
CREATE TRIGGER fields_truncated AFTER TRUNCATE ON engage.fields
    FOR EACH STATEMENT EXECUTE FUNCTION engage_internal.delete_dependents('field_id', 'contact_fields');
CREATE TRIGGER contacts_deleted_instances AFTER DELETE ON engage.contacts REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION engage_internal.delete_dependents('contact_id', 'workflow_instances');
CREATE TRIGGER contacts_truncated_instances AFTER TRUNCATE ON engage.contacts
    FOR EACH STATEMENT EXECUTE FUNCTION engage_internal.delete_dependents('contact_id', 'workflow_instances');
CREATE TRIGGER workflows_deleted AFTER DELETE ON engage.workflows REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION engage_internal.delete_dependents('workflow_id', 'workflow_instances');
CREATE TRIGGER workflows_truncated AFTER TRUNCATE ON engage.workflows
    FOR EACH STATEMENT EXECUTE FUNCTION engage_internal.delete_dependents('workflow_id', 'workflow_instances');
CREATE TRIGGER contacts_deleted_orders AFTER DELETE ON engage.contacts REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION engage_internal.delete_dependents('contact_id', 'orders', 'order_items', 'order_status_history', 'revenue', 'rfm_stale');
CREATE TRIGGER contacts_truncated_orders AFTER TRUNCATE ON engage.contacts
    FOR EACH STATEMENT EXECUTE FUNCTION engage_internal.delete_dependents('contact_id', 'orders', 'order_items', 'order_status_history', 'revenue', 'rfm_stale');
CREATE TRIGGER contacts_deleted_rfm AFTER DELETE ON engage.contacts REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION engage_internal.delete_dependents('contact_id', 'contact_rfm');
CREATE TRIGGER contacts_truncated_rfm AFTER TRUNCATE ON engage.contacts
    FOR EACH STATEMENT EXECUTE FUNCTION engage_internal.delete_dependents('contact_id', 'contact_rfm');
CREATE TRIGGER contacts_deleted_devices AFTER DELETE ON engage.contacts REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION engage_internal.delete_dependents('contact_id', 'devices');
CREATE TRIGGER contacts_truncated_devices AFTER TRUNCATE ON engage.contacts
    FOR EACH STATEMENT EXECUTE FUNCTION engage_internal.delete_dependents('contact_id', 'devices');
CREATE TRIGGER connectors_exported BEFORE DELETE ON engage.connectors
    FOR EACH ROW EXECUTE FUNCTION engage_internal.connector_has_exports();

-- The database's workers waited for this update (the library is already the new one): wake them
-- as it commits.
SELECT engage_internal.wake_scheduler(), engage_internal.wake_workflow_worker();
