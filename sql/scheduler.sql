-- The scheduler's engine: claiming the runs that are due (engage_internal.claim_due_runs, which the
-- scheduler's background worker calls), running each as the role that scheduled it
-- (engage_internal.execute_run, in a worker of its own), recording failures and the runs a
-- shutdown interrupted; and running jobs by hand (engage.run_job_now, engage.run_due_jobs). The
-- jobs themselves, and the API that defines them, are sql/jobs.sql.

-- Starts the runs due at `at`: for each enabled job whose run time has come, one run (however
-- many scheduled times passed since: they are counted in missed_runs), or a skipped run when
-- the previous one is still running; and moves the job to its next scheduled time. Old runs
-- that finished longer than engage.job_run_retention ago are deleted. Returns the runs to execute.
-- A job not yet due at now() runs early only for a caller (the maker of `voucher`) who could
-- run it by hand: one with its owner's rights.
-- for_worker: the caller is the scheduler, whose runs each get a background worker; it also
-- starts the runs asked for by hand of kinds a worker delivers (engage.run_list_sync_now). A
-- session (run_due_jobs) leaves jobs of those kinds alone.
CREATE FUNCTION engage_internal.claim_due_runs(at timestamptz DEFAULT now(), voucher bigint DEFAULT NULL,
                                      for_worker boolean DEFAULT false) RETURNS SETOF bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
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
$$;

-- Records that a run failed with an error (its message, detail and SQLSTATE): a notification; the job's
-- max_failures-th failure in a row also switches it off, with a NOTIFY engage_job_disabled.
-- Called by execute_run, and by the scheduler's worker for a run whose transaction failed as a
-- whole (see execute_run). Internal.
CREATE FUNCTION engage_internal.fail_run(run bigint, message text, detail text, state text) RETURNS engage.job_runs
LANGUAGE plpgsql AS $$
DECLARE
    r engage.job_runs;
    job engage.scheduled_jobs;
BEGIN
    UPDATE engage.job_runs x SET status = 'failed', finished_at = clock_timestamp(),
        error = message || CASE WHEN detail <> '' THEN E'\n' || detail ELSE '' END || ' (SQLSTATE ' || state || ')'
    WHERE x.run_id = run AND x.status = 'running' RETURNING * INTO r;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    UPDATE engage.scheduled_jobs j SET consecutive_failures = j.consecutive_failures + 1,
        enabled = j.enabled AND j.consecutive_failures + 1 < j.max_failures
    WHERE j.job_id = r.job_id RETURNING * INTO job;
    INSERT INTO engage.notifications (kind, job_id, run_id, message, details)
    VALUES ('job_failed', job.job_id, run,
            format('job "%s" failed (%s of %s in a row): %s', job.name, job.consecutive_failures, job.max_failures,
                   message),
            jsonb_build_object('job', job.name, 'sqlstate', state, 'error', message,
                               'consecutive_failures', job.consecutive_failures));
    IF NOT job.enabled THEN
        INSERT INTO engage.notifications (kind, job_id, run_id, message, details)
        VALUES ('job_disabled', job.job_id, run,
                format('job "%s" was disabled after %s failures in a row', job.name, job.consecutive_failures),
                jsonb_build_object('job', job.name, 'consecutive_failures', job.consecutive_failures));
        PERFORM pg_notify('engage_job_disabled',
                          jsonb_build_object('job_id', job.job_id, 'name', job.name, 'run_id', run)::text);
    END IF;
    RETURN r;
END
$$;

-- Runs one claimed run as its job's owner and records how it ended (engage_internal.fail_run when it
-- failed). A failure that leaves a foreign server's transaction in an unknown state (a lost
-- connection, class 08; a foreign data wrapper's error, class HV; the other server shutting the
-- connection, 57P0x) cannot be caught and this transaction committed (postgres_fdw refuses
-- the commit): it fails the whole transaction, and the scheduler's worker records the run
-- failed in a new one.
CREATE FUNCTION engage_internal.execute_run(run bigint) RETURNS engage.job_runs
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
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
$$;

-- Runs what is due at `at` in this session (what the scheduler does): jobs not yet due at now()
-- only when the calling role could run them by hand.
CREATE FUNCTION engage.run_due_jobs(at timestamptz DEFAULT now()) RETURNS SETOF engage.job_runs
LANGUAGE sql AS $$
    SELECT r.* FROM engage_internal.claim_due_runs(at, engage_internal.vouch()) AS c(run), LATERAL engage_internal.execute_run(c.run) AS r
$$;
COMMENT ON FUNCTION engage.run_due_jobs(timestamp with time zone) IS 'Runs in this session the jobs due at at, as the scheduler does, and returns their runs. Kinds a worker delivers are left alone; a job not yet due at now() runs early only for a role with its owner''s rights. Admins only.';

-- Runs a job now, in this session, whatever its schedule (its scheduled times stay as they are).
-- The request is written as the calling role, so row security decides whether it may.
CREATE FUNCTION engage.run_job_now(name text) RETURNS engage.job_runs
LANGUAGE plpgsql AS $$
DECLARE
    job engage.scheduled_jobs := engage_internal.job_named(name);
BEGIN
    UPDATE engage.scheduled_jobs j SET run_requested = true WHERE j.job_id = job.job_id;
    RETURN engage_internal.run_requested_job(job.job_id);
END
$$;
COMMENT ON FUNCTION engage.run_job_now(text) IS 'Runs a job the caller may see now, in this session, whatever its schedule (its scheduled times stay). Returns the run. Refused while it is running, and for kinds a background worker delivers.';

CREATE FUNCTION engage_internal.run_requested_job(job bigint) RETURNS engage.job_runs
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
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
$$;

-- Runs left 'running' by a server that stopped or a worker that died are marked interrupted: a
-- run whose process is gone, or that no process took up within a minute of being claimed.
CREATE FUNCTION engage_internal.mark_interrupted_runs() RETURNS int
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    WITH marked AS (
        UPDATE engage.job_runs r SET status = 'interrupted', finished_at = clock_timestamp(),
            error = 'the run was interrupted: its process ended before the run did'
        WHERE r.status = 'running'
          AND CASE WHEN r.pid IS NULL THEN r.started_at < now() - interval '1 minute'
                   ELSE NOT EXISTS (SELECT FROM pg_stat_activity a WHERE a.pid = r.pid) END
        RETURNING 1)
    SELECT count(*)::int FROM marked
$$;
