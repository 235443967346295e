-- Erasing a person (the GDPR's right to erasure): engage.erase_contact removes a contact and
-- everything pg_engage keeps that names them, in one transaction, and says what it removed per
-- table. The README's "Operating pg_engage" tells what stays (nothing that names the person).

-- The contact that every identifier given names (by ID, external ID, email or phone), or an
-- error: 22023 when none is given or they name different contacts, 42704 when one names no one.
CREATE FUNCTION engage_internal.contact_to_erase(contact_id bigint, external_customer_id text, email text, phone text)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    given record;
    person bigint;
    found bigint;
BEGIN
    IF num_nonnulls(contact_id, external_customer_id, email, phone) = 0 THEN
        RAISE EXCEPTION 'name the person to erase' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Give contact_id, external_customer_id, email or phone.';
    END IF;
    FOR given IN
        SELECT * FROM (VALUES
            ('contact_id', contact_id::text,
             (SELECT c.contact_id FROM engage.contacts c WHERE c.contact_id = contact_to_erase.contact_id)),
            ('external_customer_id', external_customer_id,
             (SELECT c.contact_id FROM engage.contacts c WHERE c.external_customer_id = contact_to_erase.external_customer_id)),
            ('email', email,
             (SELECT ch.contact_id FROM engage.channels ch
              WHERE ch.type = 'email' AND ch.value = engage.normalize_channel('email', contact_to_erase.email))),
            ('phone', phone,
             (SELECT min(ch.contact_id) FROM engage.channels ch
              WHERE ch.type IN ('sms', 'viber') AND ch.value = engage.normalize_channel('sms', contact_to_erase.phone))))
            AS g(argument, value, contact)
        WHERE g.value IS NOT NULL
    LOOP
        IF given.contact IS NULL THEN
            RAISE EXCEPTION 'no contact has % "%"', given.argument, given.value USING ERRCODE = 'undefined_object',
                DETAIL = format('%s: %s', given.argument, given.value);
        END IF;
        IF person IS NOT NULL AND person <> given.contact THEN
            RAISE EXCEPTION 'the identifiers given name different contacts' USING ERRCODE = 'invalid_parameter_value',
                DETAIL = format('%s names contact %s, another identifier contact %s', given.argument, given.contact, person);
        END IF;
        person := given.contact;
    END LOOP;
    found := person;
    RETURN found;
END
$$;

-- Erases the person: their contact, channels, field values, devices, group memberships and
-- segment history, RFM, orders with their items, status history and revenue, events (linked to
-- them or keyed by one of their identifiers) with their queue entries and dead letters, workflow
-- instances, sends (addresses and rendered bodies) with their activities, the unsubscribed list's
-- entries of their addresses, and list syncs' rows of their email or user ID. Exports delete
-- their exported rows at the next run (tombstones). Returns each table and the rows removed
-- from it.
CREATE FUNCTION engage.erase_contact(contact_id bigint DEFAULT NULL, external_customer_id text DEFAULT NULL,
                                     email text DEFAULT NULL, phone text DEFAULT NULL)
RETURNS TABLE (table_name text, rows_removed bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
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
$$;
COMMENT ON FUNCTION engage.erase_contact(bigint,text,text,text) IS 'Erases a person (GDPR): the contact the identifiers given name (all the same one) and everything that names them, in one transaction; exports delete theirs next run. Returns rows removed per table.';
