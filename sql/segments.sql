-- Dynamic segments: a rule (JSON) compiled by engage.compile_segment_rule to one statement,
-- members kept in engage.segment_members by engage.refresh_segment, and who entered and left,
-- when, in engage.segment_changes (what workflows trigger on).

CREATE TABLE engage.segment_changes (
    change_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    segment_id bigint NOT NULL REFERENCES engage.segments ON DELETE CASCADE,
    contact_id bigint NOT NULL,
    change text NOT NULL CHECK (change IN ('entered', 'left')),
    changed_at timestamptz NOT NULL
);
CREATE INDEX segment_changes_segment ON engage.segment_changes (segment_id, change_id);
COMMENT ON TABLE engage.segment_changes IS 'One contact entering or leaving a dynamic segment, as engage.refresh_segment recorded it.';
COMMENT ON COLUMN engage.segment_changes.change_id IS 'identity; increases in the order the changes were written';
COMMENT ON COLUMN engage.segment_changes.segment_id IS 'the segment (engage.segments); its changes go when it is dropped';
COMMENT ON COLUMN engage.segment_changes.contact_id IS 'the contact that entered or left';
COMMENT ON COLUMN engage.segment_changes.change IS 'entered or left';
COMMENT ON COLUMN engage.segment_changes.changed_at IS 'the instant the refresh computed the members as of (its at argument)';

CREATE FUNCTION engage_internal.segment_named(segment text) RETURNS engage.segments
LANGUAGE plpgsql STABLE AS $$
DECLARE
    s engage.segments;
BEGIN
    SELECT * INTO s FROM engage.segments x WHERE x.name = segment OR x.segment_id::text = segment;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'segment "%" does not exist', segment USING ERRCODE = 'undefined_object',
            DETAIL = format('segment: %s', segment), HINT = 'Name a segment by its name or ID; engage.segments lists them.';
    END IF;
    RETURN s;
END
$$;

-- A dynamic segment by name or ID; a static group is refused.
CREATE FUNCTION engage_internal.dynamic_segment_named(segment text) RETURNS engage.segments
LANGUAGE plpgsql STABLE AS $$
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
$$;

-- The time zone of contacts without one.
CREATE FUNCTION engage_internal.default_time_zone() RETURNS text
LANGUAGE sql STABLE AS $$ SELECT coalesce(nullif(current_setting('engage.time_zone', true), ''), 'UTC') $$;

CREATE FUNCTION engage.create_segment(name text, rule jsonb) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    id bigint;
    compiled record;
BEGIN
    IF coalesce(name, '') = '' OR rule IS NULL THEN
        RAISE EXCEPTION 'a segment needs a name and a rule' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('name: %s, rule: %s', name, rule);
    END IF;
    IF EXISTS (SELECT FROM engage.segments s WHERE s.name = create_segment.name) THEN
        RAISE EXCEPTION 'segment "%" already exists', name USING ERRCODE = 'duplicate_object',
            DETAIL = format('name: %s', name);
    END IF;
    INSERT INTO engage.segments AS s (name, kind, rule) VALUES (name, 'dynamic', rule) RETURNING s.segment_id INTO id;
    SELECT * INTO compiled FROM engage.compile_segment_rule(rule, id);
    UPDATE engage.segments s SET sql = compiled.sql, params = compiled.params, uses = compiled.uses
    WHERE s.segment_id = id;
    RETURN id;
END
$$;
COMMENT ON FUNCTION engage.create_segment(text,jsonb) IS 'Creates a dynamic segment from a JSON rule, checked and compiled at once (22023 for a bad rule); returns its ID. Refused when the name is taken. It has no members until engage.refresh_segment runs.';

-- A new rule for a dynamic segment (members change at the next refresh).
CREATE FUNCTION engage.alter_segment(segment text, rule jsonb) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    s engage.segments := engage_internal.dynamic_segment_named(segment);
    compiled record;
BEGIN
    SELECT * INTO compiled FROM engage.compile_segment_rule(rule, s.segment_id);
    UPDATE engage.segments x SET rule = alter_segment.rule, sql = compiled.sql, params = compiled.params, uses = compiled.uses
    WHERE x.segment_id = s.segment_id;
    RETURN s.segment_id;
END
$$;
COMMENT ON FUNCTION engage.alter_segment(text,jsonb) IS 'Replaces a dynamic segment''s rule (segment by name or ID), checked and compiled at once; members change at the next engage.refresh_segment. Refused for a static group. Returns the segment''s ID.';

CREATE FUNCTION engage.drop_segment(segment text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
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
$$;
COMMENT ON FUNCTION engage.drop_segment(text) IS 'Drops a segment, dynamic or static group (by name or ID), with its members and recorded changes; refused while another segment''s rule uses it. Returns true.';

-- The statement of a dynamic segment, to read or EXPLAIN: with PREPARE, its three parameters are
-- the instant, the default time zone and the parameter array shown in the header.
CREATE FUNCTION engage.segment_sql(segment text) RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    s engage.segments := engage_internal.dynamic_segment_named(segment);
BEGIN
    RETURN format(E'-- $1 timestamptz: the instant (now()), $2 text: the default time zone (%s), $3 text[]: %s\n%s',
                  engage_internal.default_time_zone(), quote_literal(s.params), s.sql);
END
$$;
COMMENT ON FUNCTION engage.segment_sql(text) IS 'The compiled statement of a dynamic segment (by name or ID), to read or EXPLAIN, under a header naming its parameters: $1 the instant, $2 the default time zone, $3 the parameter array. Refused for a static group.';

-- Whom a rule selects, without saving it: how many, and a sample of contact IDs.
-- (Both this and refresh_segment get memory enough to hash the sets a rule tests against: a set
-- that does not fit is probed row by row, which on a million contacts takes minutes.)
CREATE FUNCTION engage.preview_segment(rule jsonb, at timestamptz DEFAULT now(), sample integer DEFAULT 10,
    OUT contacts bigint, OUT sample_ids bigint[])
LANGUAGE plpgsql STABLE SET work_mem = '256MB' SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    compiled record;
BEGIN
    SELECT * INTO compiled FROM engage.compile_segment_rule(rule, NULL);
    EXECUTE format('SELECT count(*), (array_agg(contact_id ORDER BY contact_id))[1:%s] FROM (%s) matched',
                   greatest(sample, 0), compiled.sql)
    INTO contacts, sample_ids USING at, engage_internal.default_time_zone(), compiled.params;
END
$$;
COMMENT ON FUNCTION engage.preview_segment(jsonb,timestamp with time zone,integer) IS 'Whom a rule selects at an instant, without saving anything: how many contacts (contacts) and up to sample of their lowest contact IDs (sample_ids). The rule is checked as engage.create_segment checks it.';

-- Brings a dynamic segment's members up to date in one transaction: who entered and who left are
-- written to engage.segment_changes with the instant. Segments the rule reads are not refreshed
-- here (their members are as of their own last refresh).
-- (parallel_tuple_cost is lowered so that the planner lets workers feed the aggregate: each sends
-- one sorted part, not rows.)
CREATE FUNCTION engage.refresh_segment(segment text, at timestamptz DEFAULT now(),
    OUT entered bigint, OUT "left" bigint, OUT members bigint)
LANGUAGE plpgsql SET work_mem = '256MB' SET parallel_tuple_cost = 0.001 SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
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
$$;
COMMENT ON FUNCTION engage.refresh_segment(text,timestamp with time zone) IS 'Updates a dynamic segment''s members (by name or ID) as of at, in one transaction, writing entries and exits to engage.segment_changes; returns (entered, left, members). Segments its rule reads are not refreshed. Refused for a static group.';

-- The members of a segment (static or dynamic), with when they joined.
CREATE FUNCTION engage.segment_contacts(segment text) RETURNS TABLE (contact_id bigint, added_at timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT m.contact_id, m.added_at FROM engage.segment_members m
    WHERE m.segment_id = (engage_internal.segment_named(segment)).segment_id ORDER BY m.contact_id
$$;
COMMENT ON FUNCTION engage.segment_contacts(text) IS 'The members of a segment, static or dynamic (by name or ID), with when each joined (added_at), by contact ID.';

-- Segment refreshes as a job kind: arguments {"segment": "<name or ID>"}.
CREATE FUNCTION engage_internal.refresh_segment_job(arguments jsonb) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    SELECT * INTO r FROM engage.refresh_segment(arguments->>'segment');
    RETURN format('%s entered, %s left, %s members', r.entered, r."left", r.members);
END
$$;
INSERT INTO engage.job_kinds (kind, run_function, description)
VALUES ('segment_refresh', 'engage_internal.refresh_segment_job(jsonb)', 'refreshes a dynamic segment: arguments {"segment": name or ID}');
