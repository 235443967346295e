-- Is it keeping up? engage.metrics() answers in one query what a monitoring system scrapes (as
-- pgmq's metrics() does for its queues): one row per metric and label set, Prometheus-style
-- names, ages in seconds. Every count reads an index or a small table, so a scrape every few
-- seconds costs little: sends are counted only in the statuses that are still to be done (the
-- backlog); delivered and failed sends are history, which a scrape would have to read whole.
CREATE FUNCTION engage.metrics()
RETURNS TABLE (metric text, labels jsonb, value double precision)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    -- Events: waiting for the workflow worker, the oldest one's age (the worker's lag), set aside.
    SELECT 'events_queued', '{}'::jsonb, count(*)::float8 FROM engage.event_queue
    UNION ALL
    SELECT 'events_oldest_queued_age_seconds', '{}', extract(epoch FROM now() - min(e.registered_at))
    FROM engage.event_queue q JOIN engage.events e ON e.event_id = q.event_id
    UNION ALL
    SELECT 'dead_letters', '{}', count(*) FROM engage.dead_letters
    -- The workers: running (1) or not, with the reason; the workflow worker's last failure.
    UNION ALL
    SELECT 'workflow_worker_running', jsonb_strip_nulls(jsonb_build_object('problem', w.problem)), w.running::int
    FROM engage.workflow_worker_status() w
    UNION ALL
    SELECT 'scheduler_running', jsonb_strip_nulls(jsonb_build_object('problem', s.problem)), s.running::int
    FROM engage.scheduler_status() s
    UNION ALL
    SELECT 'worker_last_failure_age_seconds', jsonb_build_object('worker', n.details->>'worker', 'error', n.details->>'error'),
           extract(epoch FROM now() - n.created_at)
    FROM (SELECT DISTINCT ON (x.details->>'worker') x.details, x.created_at FROM engage.notifications x
          WHERE x.kind = 'worker_failing' ORDER BY x.details->>'worker', x.notification_id DESC) n
    -- Workflow instances waiting, and when the next one is due (negative: overdue).
    UNION ALL
    SELECT 'instances_waiting', '{}', count(*) FROM engage.workflow_instances i WHERE i.status = 'waiting'
    UNION ALL
    SELECT 'instances_next_resume_in_seconds', '{}', extract(epoch FROM min(i.resume_at) - now())
    FROM engage.workflow_instances i WHERE i.status = 'waiting'
    -- Sends still to be done, by status and channel; the oldest queued one's age by channel.
    UNION ALL
    SELECT 'sends', jsonb_build_object('status', s.status, 'channel', s.channel), count(*)
    FROM engage.sends s WHERE s.status IN ('QUEUED', 'HELD', 'PAUSED', 'SENDING') GROUP BY s.status, s.channel
    UNION ALL
    SELECT 'sends_oldest_queued_age_seconds', jsonb_build_object('channel', s.channel),
           extract(epoch FROM now() - min(s.created_at))
    FROM engage.sends s WHERE s.status = 'QUEUED' GROUP BY s.channel
    -- Jobs whose last run failed (and still enabled), jobs switched off; runs working now by kind
    -- (exports and list syncs among them).
    UNION ALL
    SELECT 'jobs_failing', '{}', count(*) FROM engage.scheduled_jobs j
    WHERE j.enabled AND (SELECT r.status FROM engage.job_runs r WHERE r.job_id = j.job_id ORDER BY r.run_id DESC LIMIT 1) = 'failed'
    UNION ALL
    SELECT 'jobs_disabled', '{}', count(*) FROM engage.scheduled_jobs j WHERE NOT j.enabled
    UNION ALL
    SELECT 'runs_working', jsonb_build_object('kind', k.kind),
           (SELECT count(*) FROM engage.job_runs r JOIN engage.scheduled_jobs j ON j.job_id = r.job_id
            WHERE r.status = 'running' AND j.kind = k.kind)
    FROM engage.job_kinds k
$$;
COMMENT ON FUNCTION engage.metrics() IS 'Monitoring in one cheap query, Prometheus-style: one row per metric and label set (queued events, workers, waiting instances, send backlog, failing jobs, ...); ages in seconds.';
