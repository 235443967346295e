-- Erasing a person (the GDPR's right to erasure): engage.erase_contact removes a contact and
-- everything pg_engage keeps that names them, in one transaction, and says what it removed per
-- table. The README's "Operating pg_engage" tells what stays (nothing that names the person).

-- The contact that every identifier given names (by ID, external ID, email or phone), or an
-- error: 22023 when none is given or they name different contacts, 42704 when one names no one.
CREATE FUNCTION engage.contact_to_erase(contact_id bigint, external_customer_id text, email text, phone text)
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
LANGUAGE plpgsql AS $$
DECLARE
    person bigint := engage.contact_to_erase(contact_id, external_customer_id, email, phone);
    external_id text;
    -- Every value that identifies the person: the external ID, channel values, devices' IDs,
    -- tokens, emails and phones, orders' emails and phones.
    identifiers text[];
    emails text[];
    list_keys text[];
    erased_events bigint[];
    erased_sends uuid[];
    n bigint;
BEGIN
    SELECT c.external_customer_id INTO external_id FROM engage.contacts c WHERE c.contact_id = person FOR UPDATE;
    SELECT array_agg(DISTINCT v) INTO identifiers FROM (
        SELECT external_id
        UNION ALL SELECT ch.value FROM engage.channels ch WHERE ch.contact_id = person
        UNION ALL SELECT unnest(ARRAY[d.device_id, d.push_token, d.email, d.phone, d.external_customer_id])
                  FROM engage.devices d WHERE d.contact_id = person
        UNION ALL SELECT unnest(ARRAY[o.email, o.phone]) FROM engage.orders o WHERE o.contact_id = person) x(v)
    WHERE v IS NOT NULL AND v <> '';
    SELECT array_agg(DISTINCT lower(v)) INTO emails FROM unnest(identifiers) v WHERE v LIKE '%@%';
    list_keys := ARRAY(SELECT 'email:' || e FROM unnest(emails) e UNION ALL SELECT 'userId:' || external_id);

    erased_events := ARRAY(SELECT e.event_id FROM engage.events e WHERE e.contact_id = person
                           UNION SELECT e.event_id FROM engage.events e WHERE e.key_value = ANY (identifiers));
    erased_sends := ARRAY(SELECT s.request_id FROM engage.sends s WHERE s.contact_id = person
                          UNION SELECT s.request_id FROM engage.sends s WHERE s.locator = ANY (identifiers));

    DELETE FROM engage.event_queue q WHERE q.event_id = ANY (erased_events);
    GET DIAGNOSTICS n = ROW_COUNT; table_name := 'event_queue'; rows_removed := n; RETURN NEXT;
    DELETE FROM engage.dead_letters l WHERE l.event_id = ANY (erased_events);
    GET DIAGNOSTICS n = ROW_COUNT; table_name := 'dead_letters'; rows_removed := n; RETURN NEXT;
    DELETE FROM engage.events e WHERE e.event_id = ANY (erased_events);
    GET DIAGNOSTICS n = ROW_COUNT; table_name := 'events'; rows_removed := n; RETURN NEXT;
    DELETE FROM engage.contact_activities a
    WHERE a.contact_id = person OR a.request_id = ANY (erased_sends) OR a.external_customer_id = external_id;
    GET DIAGNOSTICS n = ROW_COUNT; table_name := 'contact_activities'; rows_removed := n; RETURN NEXT;
    DELETE FROM engage.sends s WHERE s.request_id = ANY (erased_sends);
    GET DIAGNOSTICS n = ROW_COUNT; table_name := 'sends'; rows_removed := n; RETURN NEXT;
    DELETE FROM engage.workflow_instances i WHERE i.contact_id = person;
    GET DIAGNOSTICS n = ROW_COUNT; table_name := 'workflow_instances'; rows_removed := n; RETURN NEXT;
    DELETE FROM engage.regular_trigger_launches l WHERE l.contact_id = person;
    GET DIAGNOSTICS n = ROW_COUNT; table_name := 'regular_trigger_launches'; rows_removed := n; RETURN NEXT;
    DELETE FROM engage.segment_members m WHERE m.contact_id = person;
    GET DIAGNOSTICS n = ROW_COUNT; table_name := 'segment_members'; rows_removed := n; RETURN NEXT;
    DELETE FROM engage.segment_changes c WHERE c.contact_id = person;
    GET DIAGNOSTICS n = ROW_COUNT; table_name := 'segment_changes'; rows_removed := n; RETURN NEXT;
    DELETE FROM engage.revenue r WHERE r.contact_id = person;
    GET DIAGNOSTICS n = ROW_COUNT; table_name := 'revenue'; rows_removed := n; RETURN NEXT;
    DELETE FROM engage.order_status_history h WHERE h.contact_id = person;
    GET DIAGNOSTICS n = ROW_COUNT; table_name := 'order_status_history'; rows_removed := n; RETURN NEXT;
    DELETE FROM engage.order_items i WHERE i.contact_id = person;
    GET DIAGNOSTICS n = ROW_COUNT; table_name := 'order_items'; rows_removed := n; RETURN NEXT;
    DELETE FROM engage.orders o WHERE o.contact_id = person;
    GET DIAGNOSTICS n = ROW_COUNT; table_name := 'orders'; rows_removed := n; RETURN NEXT;
    DELETE FROM engage.contact_rfm r WHERE r.contact_id = person;
    GET DIAGNOSTICS n = ROW_COUNT; table_name := 'contact_rfm'; rows_removed := n; RETURN NEXT;
    DELETE FROM engage.rfm_stale r WHERE r.contact_id = person;
    GET DIAGNOSTICS n = ROW_COUNT; table_name := 'rfm_stale'; rows_removed := n; RETURN NEXT;
    DELETE FROM engage.devices d
    WHERE d.contact_id = person OR d.external_customer_id = external_id OR d.email = ANY (emails)
       OR d.phone = ANY (identifiers);
    GET DIAGNOSTICS n = ROW_COUNT; table_name := 'devices'; rows_removed := n; RETURN NEXT;
    DELETE FROM engage.contact_fields f WHERE f.contact_id = person;
    GET DIAGNOSTICS n = ROW_COUNT; table_name := 'contact_fields'; rows_removed := n; RETURN NEXT;
    DELETE FROM engage.channels ch WHERE ch.contact_id = person;
    GET DIAGNOSTICS n = ROW_COUNT; table_name := 'channels'; rows_removed := n; RETURN NEXT;
    DELETE FROM engage.unsubscribed_emails u WHERE u.email = ANY (emails);
    GET DIAGNOSTICS n = ROW_COUNT; table_name := 'unsubscribed_emails'; rows_removed := n; RETURN NEXT;
    DELETE FROM engage.list_sync_invalid_rows r WHERE r.row_key = ANY (list_keys);
    GET DIAGNOSTICS n = ROW_COUNT; table_name := 'list_sync_invalid_rows'; rows_removed := n; RETURN NEXT;
    DELETE FROM engage.list_sync_rows r WHERE r.row_key = ANY (list_keys);
    GET DIAGNOSTICS n = ROW_COUNT; table_name := 'list_sync_rows'; rows_removed := n; RETURN NEXT;
    DELETE FROM engage.contacts c WHERE c.contact_id = person;
    GET DIAGNOSTICS n = ROW_COUNT; table_name := 'contacts'; rows_removed := n; RETURN NEXT;
    -- The deletes left tombstones for exports (a device's ID among them), and the append-only
    -- datasets get theirs here: the next run of an export deletes the exported events and
    -- activities of the contact ID or keyed by an identifier. Those no export needs go now, the
    -- others after the exports' next runs.
    INSERT INTO engage.export_tombstones (dataset, key)
    SELECT d.dataset, k FROM unnest(ARRAY['events', 'contactActivities']) d(dataset),
                             unnest('contactId:' || person || ARRAY(SELECT 'key:' || i FROM unnest(identifiers) i)) k;
    PERFORM engage.forget_exported_tombstones();
END
$$;
