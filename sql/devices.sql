-- Devices (spec 001's devices dataset): what a mobile or web push SDK registers, and who uses
-- the device. engage.register_devices (Rust) checks the body; engage_internal.store_devices writes it. A
-- device's push token is a push channel of its contact (one channel per device), so a push send
-- goes to every active device of the contact; a device registered before its contact is known
-- waits, and is linked when a registration names a contact that exists, or when a contact with
-- its externalCustomerId is created.

CREATE TABLE engage.devices (
    device_id            text PRIMARY KEY,
    -- NULL until a registration names a contact that exists.
    contact_id           bigint,
    push_token           text NOT NULL,
    category             text NOT NULL CHECK (category IN ('mobilepush', 'webpush')),
    os_type              text,
    os_version           text,
    device_model         text,
    app_version          text,
    application_id       bigint,
    language_code        text,
    time_zone            text,
    -- Who the last registration named, kept to link a waiting device later.
    external_customer_id text,
    email                text,
    phone                text,
    -- A device whose token the transport reported invalid, or that another device took the token
    -- of, is inactive (and its channel gone) until it registers again.
    active               boolean NOT NULL DEFAULT true,
    deactivated_at       timestamptz,
    deactivation_reason  text,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CHECK (active = (deactivated_at IS NULL))
);
CREATE INDEX devices_contact ON engage.devices (contact_id);
CREATE INDEX devices_token ON engage.devices (category, push_token);
CREATE INDEX devices_waiting ON engage.devices (external_customer_id) WHERE contact_id IS NULL;
COMMENT ON TABLE engage.devices IS 'One row per device a push SDK registered (engage.register_devices); an active device of a known contact is its push channel';
COMMENT ON COLUMN engage.devices.device_id IS 'the device''s ID (deviceId)';
COMMENT ON COLUMN engage.devices.contact_id IS 'the contact using the device; NULL until a registration names a contact that exists';
COMMENT ON COLUMN engage.devices.push_token IS 'the push token (pushToken)';
COMMENT ON COLUMN engage.devices.category IS 'mobilepush or webpush: the channel type of the token';
COMMENT ON COLUMN engage.devices.os_type IS 'operating system (osType); NULL: not given';
COMMENT ON COLUMN engage.devices.os_version IS 'operating system version (osVersion); NULL: not given';
COMMENT ON COLUMN engage.devices.device_model IS 'device model (deviceModel); NULL: not given';
COMMENT ON COLUMN engage.devices.app_version IS 'app version (appVersion); NULL: not given';
COMMENT ON COLUMN engage.devices.application_id IS 'application ID (applicationId); NULL: not given';
COMMENT ON COLUMN engage.devices.language_code IS 'the device''s language (languageCode); NULL: not given';
COMMENT ON COLUMN engage.devices.time_zone IS 'the device''s IANA time zone, in PostgreSQL''s spelling; NULL: not given';
COMMENT ON COLUMN engage.devices.external_customer_id IS 'the externalCustomerId registrations named, kept to link a waiting device later; NULL: none named';
COMMENT ON COLUMN engage.devices.email IS 'the email registrations named (lower-case); NULL: none named';
COMMENT ON COLUMN engage.devices.phone IS 'the phone registrations named (digits only); NULL: none named';
COMMENT ON COLUMN engage.devices.active IS 'false: its token was reported invalid or taken by another device; its channel is gone until it registers again';
COMMENT ON COLUMN engage.devices.deactivated_at IS 'when the device became inactive; NULL while active';
COMMENT ON COLUMN engage.devices.deactivation_reason IS 'why the device became inactive; NULL while active';
COMMENT ON COLUMN engage.devices.created_at IS 'when the device was first registered';
COMMENT ON COLUMN engage.devices.updated_at IS 'when the row last changed (a registration, a link or a deactivation)';

-- What a foreign key to contacts would do (engage_internal.delete_dependents).
CREATE TRIGGER contacts_deleted_devices AFTER DELETE ON engage.contacts REFERENCING OLD TABLE AS gone
    FOR EACH STATEMENT EXECUTE FUNCTION engage_internal.delete_dependents('contact_id', 'devices');
CREATE TRIGGER contacts_truncated_devices AFTER TRUNCATE ON engage.contacts
    FOR EACH STATEMENT EXECUTE FUNCTION engage_internal.delete_dependents('contact_id', 'devices');

-- Makes the channels of the devices listed what the devices are: each active device of a known
-- contact is the push channel (category, token) of that contact, active and not bounced.
CREATE FUNCTION engage_internal.sync_device_channels(device_ids text[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO engage.channels AS ch (type, value, contact_id, status, confirmed_at)
    SELECT d.category, d.push_token, d.contact_id, 'active', now()
    FROM engage.devices d
    WHERE d.device_id = ANY (device_ids) AND d.contact_id IS NOT NULL AND d.active
    ORDER BY d.category, d.push_token
    ON CONFLICT (type, value) DO UPDATE
        SET contact_id = EXCLUDED.contact_id, status = 'active', confirmed_at = now(), bounced_at = NULL,
            bounce_reason = NULL
        WHERE (ch.contact_id, ch.status, ch.bounced_at) IS DISTINCT FROM (EXCLUDED.contact_id, 'active', NULL)
$$;

-- Writes devices checked by engage.register_devices, one element per device in each array, for
-- the contacts found (NULL: none yet). A device registered again is updated and active again;
-- a registration that names no contact keeps the device's. Its old token's channel goes when the
-- token or the contact changed; another device holding the same token is deactivated (the token
-- moved). Returns, per device in order, its contact and whether it is new. Internal.
CREATE FUNCTION engage_internal.store_devices(
    contact_ids bigint[], device_ids text[], push_tokens text[], categories text[], os_types text[],
    os_versions text[], device_models text[], app_versions text[], application_ids bigint[],
    language_codes text[], time_zones text[], external_customer_ids text[], emails text[], phones text[],
    OUT stored_contact_ids bigint[], OUT created boolean[])
LANGUAGE plpgsql AS $$
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
$$;

-- Links devices waiting for a contact of one of these (new or changed) contacts' external IDs.
-- Called by the contact writer; costs one probe when no device waits.
CREATE FUNCTION engage_internal.link_waiting_devices(contact_ids bigint[]) RETURNS integer
LANGUAGE plpgsql AS $$
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
$$;

-- A push send the transport reports permanently undeliverable (an invalid token) deactivates the
-- device of that token, and its channel goes.
CREATE FUNCTION engage_internal.deactivate_device(category text, push_token text, reason text) RETURNS void
LANGUAGE sql AS $$
    WITH gone AS (
        UPDATE engage.devices d
        SET active = false, deactivated_at = now(), updated_at = now(), deactivation_reason = reason
        WHERE d.category = deactivate_device.category AND d.push_token = deactivate_device.push_token AND d.active
        RETURNING d.category, d.push_token, d.contact_id)
    DELETE FROM engage.channels ch USING gone g
    WHERE ch.type = g.category AND ch.value = g.push_token AND ch.contact_id = g.contact_id
$$;
