-- Scheduled jobs: a cron schedule in a time zone, a command run as the role that scheduled it,
-- a history of runs, and jobs that keep failing switched off with a notification. This file
-- defines them (the tables and engage.schedule_job, alter_job, unschedule_job); the scheduler's
-- engine that runs them is sql/scheduler.sql.

-- What a job can run. 'sql' runs the job's command text; every other kind is one row here and
-- one function `f(arguments jsonb) returns text`, added by the file that brings the kind
-- (segment refresh, regular trigger, export, list sync).
CREATE TABLE engage.job_kinds (
    kind text PRIMARY KEY,
    run_function regprocedure,
    description text NOT NULL,
    -- The function only plans the run; the run's background worker then delivers it outside the
    -- transaction and finishes it (list syncs post over HTTP). Such runs start only in the
    -- scheduler's workers, never in a session.
    worker_delivers boolean NOT NULL DEFAULT false,
    CHECK ((kind = 'sql') = (run_function IS NULL))
);
INSERT INTO engage.job_kinds (kind, run_function, description)
VALUES ('sql', NULL, 'SQL text, run as the role that scheduled the job');
COMMENT ON TABLE engage.job_kinds IS 'What a job can run: sql runs the job''s command; every other kind is a function f(arguments jsonb) returns text.';
COMMENT ON COLUMN engage.job_kinds.kind IS 'the kind''s name, as engage.schedule_job takes it';
COMMENT ON COLUMN engage.job_kinds.run_function IS 'the function f(arguments jsonb) returns text that runs a job of this kind; NULL for sql';
COMMENT ON COLUMN engage.job_kinds.description IS 'what the kind does and the arguments it takes';
COMMENT ON COLUMN engage.job_kinds.worker_delivers IS 'true: the function only plans the run and the scheduler''s worker delivers it; never run in a session';

CREATE TABLE engage.scheduled_jobs (
    job_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL UNIQUE CHECK (name <> ''),
    -- NULL (or empty): the job runs only when started by hand.
    schedule text,
    time_zone text NOT NULL,
    day_rule text NOT NULL DEFAULT 'more_often' CHECK (day_rule IN ('more_often', 'either')),
    kind text NOT NULL DEFAULT 'sql' REFERENCES engage.job_kinds,
    command text,
    arguments jsonb NOT NULL DEFAULT '{}',
    -- Delay execution (spec 003): the run starts this long after its scheduled time.
    delay interval NOT NULL DEFAULT '0',
    max_failures int NOT NULL DEFAULT 5 CHECK (max_failures >= 1),
    enabled boolean NOT NULL DEFAULT true,
    -- Set by engage.run_job_now (as the calling role, so row security vouches for it) and
    -- cleared by the run it asked for.
    run_requested boolean NOT NULL DEFAULT false,
    -- Set by the trigger below, never by the writer: the role that scheduled the job, and the
    -- search_path in effect then (the command runs with both).
    owner regrole NOT NULL DEFAULT current_user::regrole,
    search_path text NOT NULL DEFAULT current_setting('search_path'),
    consecutive_failures int NOT NULL DEFAULT 0,
    -- The next scheduled time, and when its run is due (that time plus the delay).
    next_scheduled_at timestamptz,
    next_run_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT command_for_sql CHECK ((kind = 'sql') = (command IS NOT NULL)),
    CONSTRAINT delay_not_negative CHECK (delay >= '0')
);
CREATE INDEX scheduled_jobs_due ON engage.scheduled_jobs (next_run_at) WHERE enabled;
COMMENT ON TABLE engage.scheduled_jobs IS 'One scheduled job. Row security: a role sees and changes the jobs of roles whose rights it has. engage.jobs shows them with their last run.';
COMMENT ON COLUMN engage.scheduled_jobs.job_id IS 'identity';
COMMENT ON COLUMN engage.scheduled_jobs.name IS 'unique name, as the job functions take it';
COMMENT ON COLUMN engage.scheduled_jobs.schedule IS 'cron schedule (five fields or a macro such as @daily); NULL: the job runs only when started by hand';
COMMENT ON COLUMN engage.scheduled_jobs.time_zone IS 'IANA time zone the schedule is read in; engage.time_zone (else UTC) when not given';
COMMENT ON COLUMN engage.scheduled_jobs.day_rule IS 'when both day fields are restricted: more_often (default: the one matching more days) or either (cron''s rule)';
COMMENT ON COLUMN engage.scheduled_jobs.kind IS 'what the job runs (engage.job_kinds); sql by default';
COMMENT ON COLUMN engage.scheduled_jobs.command IS 'SQL text run for kind sql; NULL for every other kind';
COMMENT ON COLUMN engage.scheduled_jobs.arguments IS 'JSON the kind''s function takes; {} for sql';
COMMENT ON COLUMN engage.scheduled_jobs.delay IS 'how long after its scheduled time a run starts; not negative';
COMMENT ON COLUMN engage.scheduled_jobs.max_failures IS 'failures in a row after which the job is disabled; at least 1';
COMMENT ON COLUMN engage.scheduled_jobs.enabled IS 'false: not run on schedule (switched off by hand, or after max_failures failures in a row)';
COMMENT ON COLUMN engage.scheduled_jobs.run_requested IS 'set by engage.run_job_now and cleared by the run it asks for';
COMMENT ON COLUMN engage.scheduled_jobs.owner IS 'the role that scheduled the job, set on insert and never changed; runs act as it';
COMMENT ON COLUMN engage.scheduled_jobs.search_path IS 'the search_path in effect when the job was scheduled; runs use it';
COMMENT ON COLUMN engage.scheduled_jobs.consecutive_failures IS 'failures in a row so far; a success, or enabling the job, resets it';
COMMENT ON COLUMN engage.scheduled_jobs.next_scheduled_at IS 'the next scheduled time; NULL when there is none';
COMMENT ON COLUMN engage.scheduled_jobs.next_run_at IS 'when that time''s run is due: next_scheduled_at plus delay';
COMMENT ON COLUMN engage.scheduled_jobs.created_at IS 'when the job was created';
COMMENT ON COLUMN engage.scheduled_jobs.updated_at IS 'when the row last changed';

-- A role sees and changes only the jobs of roles whose rights it has.
ALTER TABLE engage.scheduled_jobs ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_jobs ON engage.scheduled_jobs USING (pg_has_role(owner, 'USAGE'));

-- Fills in what the writer does not choose: the owner (the role that inserts it, for good), the
-- time zone (the
-- engage.time_zone setting), and the next run time; refuses a bad schedule or time zone with
-- the error engage.cron_next gives. Re-enabling a job resets its failure count.
CREATE FUNCTION engage_internal.scheduled_jobs_written() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.owner := CASE WHEN TG_OP = 'INSERT' THEN current_user::regrole ELSE OLD.owner END;
    NEW.search_path := CASE WHEN TG_OP = 'INSERT' THEN current_setting('search_path') ELSE OLD.search_path END;
    NEW.time_zone := coalesce(NEW.time_zone, nullif(current_setting('engage.time_zone', true), ''), 'UTC');
    NEW.schedule := nullif(btrim(NEW.schedule), '');
    IF TG_OP = 'INSERT' THEN
        NEW.consecutive_failures := 0;
        NEW.created_at := now();
    ELSIF NEW.enabled AND NOT OLD.enabled THEN
        NEW.consecutive_failures := 0;
    END IF;
    IF TG_OP = 'INSERT' OR NEW.schedule IS DISTINCT FROM OLD.schedule OR NEW.time_zone <> OLD.time_zone
        OR NEW.day_rule <> OLD.day_rule OR NEW.delay <> OLD.delay OR (NEW.enabled AND NOT OLD.enabled)
    THEN
        NEW.next_scheduled_at := (SELECT t FROM engage.cron_next(NEW.schedule, now(), NEW.time_zone, 1, NEW.day_rule) t);
        NEW.next_run_at := NEW.next_scheduled_at + NEW.delay;
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
CREATE TRIGGER scheduled_jobs_written BEFORE INSERT OR UPDATE ON engage.scheduled_jobs
FOR EACH ROW EXECUTE FUNCTION engage_internal.scheduled_jobs_written();

-- Commits that change jobs wake the scheduler, so that it sleeps until the right time.
CREATE FUNCTION engage_internal.scheduled_jobs_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM engage_internal.wake_scheduler();
    RETURN NULL;
END
$$;
CREATE TRIGGER scheduled_jobs_changed AFTER INSERT OR UPDATE OR DELETE ON engage.scheduled_jobs
FOR EACH STATEMENT EXECUTE FUNCTION engage_internal.scheduled_jobs_changed();

CREATE TABLE engage.job_runs (
    run_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id bigint NOT NULL REFERENCES engage.scheduled_jobs ON DELETE CASCADE,
    job_name text NOT NULL,
    owner regrole NOT NULL,
    -- 'schedule' or 'manual' (engage.run_job_now).
    started_by text NOT NULL CHECK (started_by IN ('schedule', 'manual')),
    -- The scheduled time this run is for (NULL for a manual run).
    scheduled_at timestamptz,
    -- Scheduled times that passed while the server was down or the job was busy, run once
    -- by this run instead of once each.
    missed_runs int NOT NULL DEFAULT 0,
    status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'skipped', 'interrupted')),
    started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at timestamptz,
    result text,
    error text,
    pid int
);
CREATE INDEX job_runs_of_job ON engage.job_runs (job_id, run_id);
CREATE INDEX job_runs_running ON engage.job_runs (job_id) WHERE status = 'running';
CREATE INDEX job_runs_finished ON engage.job_runs (finished_at);
ALTER TABLE engage.job_runs ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_runs ON engage.job_runs USING (pg_has_role(owner, 'USAGE'));
COMMENT ON TABLE engage.job_runs IS 'One run of a job (row security as for jobs). Finished runs older than engage.job_run_retention are deleted.';
COMMENT ON COLUMN engage.job_runs.run_id IS 'identity';
COMMENT ON COLUMN engage.job_runs.job_id IS 'the job (engage.scheduled_jobs); its runs go when it is deleted';
COMMENT ON COLUMN engage.job_runs.job_name IS 'the job''s name when the run was recorded';
COMMENT ON COLUMN engage.job_runs.owner IS 'the role the run acts as: the job''s owner';
COMMENT ON COLUMN engage.job_runs.started_by IS 'schedule, or manual (engage.run_job_now)';
COMMENT ON COLUMN engage.job_runs.scheduled_at IS 'the scheduled time the run is for; NULL for a manual run';
COMMENT ON COLUMN engage.job_runs.missed_runs IS 'further scheduled times (passed in downtime or while busy) this one run stands for';
COMMENT ON COLUMN engage.job_runs.status IS 'running, succeeded, failed, skipped (the previous run was still running) or interrupted';
COMMENT ON COLUMN engage.job_runs.started_at IS 'when the run started';
COMMENT ON COLUMN engage.job_runs.finished_at IS 'when it ended; NULL while running';
COMMENT ON COLUMN engage.job_runs.result IS 'the command''s outcome (INSERT 3) or the kind function''s text; for a skipped run, why';
COMMENT ON COLUMN engage.job_runs.error IS 'why it failed (message, detail and SQLSTATE) or was interrupted; NULL otherwise';
COMMENT ON COLUMN engage.job_runs.pid IS 'process ID of the session or worker that ran it; NULL until one took it up';

-- What needs a person's attention: a job that failed, a job switched off.
CREATE TABLE engage.notifications (
    notification_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    kind text NOT NULL,
    job_id bigint REFERENCES engage.scheduled_jobs ON DELETE CASCADE,
    run_id bigint,
    message text NOT NULL,
    details jsonb NOT NULL DEFAULT '{}'
);
ALTER TABLE engage.notifications ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_notifications ON engage.notifications
USING (job_id IS NULL OR EXISTS (SELECT FROM engage.scheduled_jobs j WHERE j.job_id = notifications.job_id));
COMMENT ON TABLE engage.notifications IS 'Something that needs a person''s attention: a job that failed or was disabled, a background worker failing. Rows about jobs one cannot see are hidden.';
COMMENT ON COLUMN engage.notifications.notification_id IS 'identity';
COMMENT ON COLUMN engage.notifications.created_at IS 'when it was written';
COMMENT ON COLUMN engage.notifications.kind IS 'job_failed, job_disabled or worker_failing';
COMMENT ON COLUMN engage.notifications.job_id IS 'the job concerned (engage.scheduled_jobs); NULL when it concerns no job';
COMMENT ON COLUMN engage.notifications.run_id IS 'the run concerned (engage.job_runs); NULL when none';
COMMENT ON COLUMN engage.notifications.message IS 'what happened, in words';
COMMENT ON COLUMN engage.notifications.details IS 'the same as JSON: for a job its name, consecutive_failures, error, sqlstate; for a worker its name, failures, error';

-- security_invoker: the reader's row security applies, not the view owner's.
CREATE VIEW engage.jobs WITH (security_invoker = true) AS
SELECT j.job_id, j.name, j.schedule, j.time_zone, j.day_rule, j.kind, j.command, j.arguments, j.delay,
       j.enabled, j.owner, j.search_path, j.max_failures, j.consecutive_failures,
       CASE WHEN j.enabled THEN j.next_run_at END AS next_run_at,
       last.status AS last_status, last.started_at AS last_started_at, last.finished_at AS last_finished_at
FROM engage.scheduled_jobs j
LEFT JOIN LATERAL (
    SELECT r.status, r.started_at, r.finished_at FROM engage.job_runs r
    WHERE r.job_id = j.job_id ORDER BY r.run_id DESC LIMIT 1
) last ON true;
COMMENT ON VIEW engage.jobs IS 'Each job the reader may see (its row security applies), with its latest run''s status and times.';
COMMENT ON COLUMN engage.jobs.job_id IS 'identity';
COMMENT ON COLUMN engage.jobs.name IS 'unique name, as the job functions take it';
COMMENT ON COLUMN engage.jobs.schedule IS 'cron schedule (five fields or a macro such as @daily); NULL: the job runs only when started by hand';
COMMENT ON COLUMN engage.jobs.time_zone IS 'IANA time zone the schedule is read in; engage.time_zone (else UTC) when not given';
COMMENT ON COLUMN engage.jobs.day_rule IS 'when both day fields are restricted: more_often (default: the one matching more days) or either (cron''s rule)';
COMMENT ON COLUMN engage.jobs.kind IS 'what the job runs (engage.job_kinds); sql by default';
COMMENT ON COLUMN engage.jobs.command IS 'SQL text run for kind sql; NULL for every other kind';
COMMENT ON COLUMN engage.jobs.arguments IS 'JSON the kind''s function takes; {} for sql';
COMMENT ON COLUMN engage.jobs.delay IS 'how long after its scheduled time a run starts; not negative';
COMMENT ON COLUMN engage.jobs.enabled IS 'false: not run on schedule (switched off by hand, or after max_failures failures in a row)';
COMMENT ON COLUMN engage.jobs.owner IS 'the role that scheduled the job, set on insert and never changed; runs act as it';
COMMENT ON COLUMN engage.jobs.search_path IS 'the search_path in effect when the job was scheduled; runs use it';
COMMENT ON COLUMN engage.jobs.max_failures IS 'failures in a row after which the job is disabled; at least 1';
COMMENT ON COLUMN engage.jobs.consecutive_failures IS 'failures in a row so far; a success, or enabling the job, resets it';
COMMENT ON COLUMN engage.jobs.next_run_at IS 'when its next run is due (scheduled time plus delay); NULL when disabled or unscheduled';
COMMENT ON COLUMN engage.jobs.last_status IS 'status of its latest run (engage.job_runs); NULL if it never ran';
COMMENT ON COLUMN engage.jobs.last_started_at IS 'when its latest run started; NULL if it never ran';
COMMENT ON COLUMN engage.jobs.last_finished_at IS 'when its latest run ended; NULL if it never ran or is still running';

-- Refuses a count argument (a failure limit, a batch size) that is NULL or below 1, naming it.
-- Refuses a NULL where an argument must have a value (22004, the argument named in DETAIL).
CREATE FUNCTION engage_internal.require_value(argument text, value anyelement) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF value IS NULL THEN
        RAISE EXCEPTION '% must not be NULL', argument USING ERRCODE = 'null_value_not_allowed',
            DETAIL = format('argument %s', argument);
    END IF;
END
$$;

CREATE FUNCTION engage_internal.require_at_least_one(argument text, value bigint) RETURNS void
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF value IS NULL OR value < 1 THEN
        RAISE EXCEPTION '% must be at least 1', argument USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('%s: %s', argument, coalesce(value::text, 'NULL'));
    END IF;
END
$$;

CREATE FUNCTION engage.schedule_job(
    name text,
    schedule text,
    command text DEFAULT NULL,
    time_zone text DEFAULT NULL,
    delay interval DEFAULT '0',
    day_rule text DEFAULT 'more_often',
    max_failures int DEFAULT 5,
    kind text DEFAULT 'sql',
    arguments jsonb DEFAULT '{}'
) RETURNS bigint
LANGUAGE plpgsql AS $$
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
$$;
COMMENT ON FUNCTION engage.schedule_job(text,text,text,text,interval,text,integer,text,jsonb) IS 'Creates a job that runs as the calling role: a cron schedule (NULL or empty: by hand only) in a time zone, running a SQL command (kind sql) or a kind''s function with arguments. Returns its ID. Warns when no scheduler runs here.';

-- The job of this name the calling role may act on, locked, or an error.
CREATE FUNCTION engage_internal.job_named(job_name text) RETURNS engage.scheduled_jobs
LANGUAGE plpgsql AS $$
DECLARE
    job engage.scheduled_jobs;
BEGIN
    SELECT * INTO job FROM engage.scheduled_jobs j WHERE j.name = job_name FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'job "%" does not exist', job_name USING ERRCODE = 'undefined_object',
            DETAIL = format('name: %s', job_name), HINT = 'engage.jobs lists the jobs you can see.';
    END IF;
    RETURN job;
END
$$;

CREATE FUNCTION engage.unschedule_job(name text) RETURNS boolean
LANGUAGE plpgsql AS $$
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
$$;
COMMENT ON FUNCTION engage.unschedule_job(text) IS 'Deletes a job the caller may see, with its runs; refused for a job that runs an export or a list sync (drop or alter those instead). Returns true.';

-- Changes what is given; NULL leaves a setting as it is (schedule => '' removes the schedule).
CREATE FUNCTION engage.alter_job(
    name text,
    schedule text DEFAULT NULL,
    command text DEFAULT NULL,
    time_zone text DEFAULT NULL,
    delay interval DEFAULT NULL,
    day_rule text DEFAULT NULL,
    max_failures int DEFAULT NULL,
    enabled boolean DEFAULT NULL,
    new_name text DEFAULT NULL,
    arguments jsonb DEFAULT NULL
) RETURNS engage.jobs
LANGUAGE plpgsql AS $$
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
$$;
COMMENT ON FUNCTION engage.alter_job(text,text,text,text,interval,text,integer,boolean,text,jsonb) IS 'Changes what is given of a job the caller may see (NULL keeps a setting; schedule => '''' removes the schedule; new_name renames it); a command only for kind sql. Returns the engage.jobs row.';
