-- The transport's side of the outbox: engage.claim_sends leases queued sends (holding back what
-- the delivery policies say must wait, sql/policies.sql), and engage.report_delivery records what
-- became of each send as a contact activity (the data-source guide's contactActivities), with
-- what follows from it: a hard bounce, an unsubscribe, a broadcast that finished.

-- Leases up to max_sends queued sends to a transport: of the channels it serves (all when
-- channels is NULL), triggered (IM) sends before bulk ones, each oldest first; sends other
-- sessions are claiming are skipped. Sends whose lease ran out go back to the queue first. The
-- transport reports each with engage.report_delivery before its lease ends, or it is claimed again.
CREATE FUNCTION engage.claim_sends(max_sends integer DEFAULT 100, lease interval DEFAULT '5 minutes',
    channels text[] DEFAULT NULL)
RETURNS TABLE (request_id uuid, channel text, locator text, subject text, body text, contact_id bigint,
               message_id integer, attempts integer, campaign_type text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
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
$$;
COMMENT ON FUNCTION engage.claim_sends(integer,interval,text[]) IS 'Leases up to max_sends queued sends of the channels given (NULL: all) to a transport for lease, triggered before bulk, oldest first; delivery policies may hold some. Report each (engage.report_delivery) before its lease ends. Returns them.';

-- Whether an UNDELIVERED report's error is permanent (a hard bounce): detail.permanent when the
-- transport says, else an SMTP reply code 5xx or enhanced status code 5.x.x.
CREATE FUNCTION engage_internal.permanent_failure(detail jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(detail -> 'permanent') = 'boolean' THEN (detail ->> 'permanent')::boolean
                ELSE coalesce(detail ->> 'errorCode', '') ~ '^\s*5[0-9][0-9]\M|(^|[^0-9.])5\.[0-9]{1,3}\.[0-9]{1,3}($|[^0-9.])' END
$$;


-- Records what the transport says became of a send, as a contact activity (spec 001's
-- contactActivities): DELIVERED, UNDELIVERED (detail.errorCode), RECEIVED (opened), CLICKED
-- (detail.link), UNSUBSCRIBED or SPAM. Optional detail keys: at (when it happened), reportId (the
-- transport's ID for the report), permanent (whether an UNDELIVERED is final), utmCampaign,
-- messageUrl. The rules, so that a transport may retry and reports may arrive in any order:
-- - The same report made again changes nothing and returns the first one's activity: one with
--   the same reportId; else one of the same status with the same link (CLICKED) or errorCode
--   (UNDELIVERED) and, when the report gives `at`, the same time. (So a transport that retries is
--   recognized either way; repeated opens and clicks are told apart by their `at` or reportId.)
-- - An open, click, unsubscribe or spam report proves delivery: the send is DELIVERED for good.
-- - Otherwise DELIVERED and UNDELIVERED follow the later report by its time (`at`): a late
--   DELIVERED after an UNDELIVERED, or an UNDELIVERED (a bounce) after a DELIVERED.
-- - A permanent UNDELIVERED (a hard bounce) marks the address bounced: later sends to it are
--   SUPPRESSED until the channel is confirmed again. A soft one changes nothing else.
-- - An unsubscribe or spam report puts an email address on the unsubscribed list.
-- - An open, click, unsubscribe or spam report registers the event messageOpened, messageClicked
--   or unsubscribed for the contact (once, however often the report is retried).
-- - A send that was never sent (SUPPRESSED, FAILED) takes no report; one not claimed yet
--   (QUEUED, HELD, PAUSED) takes only DELIVERED or UNDELIVERED (55000).
CREATE FUNCTION engage.report_delivery(request_id uuid, status text, detail jsonb DEFAULT '{}')
RETURNS TABLE (send_status text, activity_id bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
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
$$;
COMMENT ON FUNCTION engage.report_delivery(uuid,text,jsonb) IS 'Records a transport''s report on a send as a contact activity: DELIVERED, UNDELIVERED (needs detail.errorCode), RECEIVED, CLICKED (needs detail.link), UNSUBSCRIBED or SPAM. A repeat changes nothing. Returns the send''s status and the activity.';

-- The same, with the requestId as text (as spec 002's API gives it).
CREATE FUNCTION engage.report_delivery(request_id text, status text, detail jsonb DEFAULT '{}')
RETURNS TABLE (send_status text, activity_id bigint)
LANGUAGE sql AS $$
    SELECT * FROM engage.report_delivery(engage_internal.request_uuid(request_id, 'argument request_id'), status, detail)
$$;
COMMENT ON FUNCTION engage.report_delivery(text,text,jsonb) IS 'engage.report_delivery with the requestId as text (as the API FAQ''s API gives it); refused when it is no UUID.';
