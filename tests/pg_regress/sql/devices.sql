-- Devices (spec 001's devices dataset): engage.register_devices with its errors, devices linked
-- to their contact now or later, one push channel per device, a push message to every device,
-- and a token the transport reports invalid deactivating its device.
\i include/fresh_extension.sql
\i include/regress_roles.sql
SET TimeZone = 'UTC';

SELECT count(*) FROM engage.upsert_contacts('{"contacts": [
  {"externalCustomerId": "ann", "firstName": "Ann", "channels": [{"type": "email", "value": "ann@example.com"}]}]}');

-- What an SDK registers: found by external ID or email; a device whose contact is not known yet
-- waits. The SDKs' MOBILE_PUSH is mobilepush; a time zone takes its canonical spelling.
SELECT * FROM engage.register_devices('{"devices": [
  {"deviceId": "ann-phone", "pushToken": "tok-A", "category": "MOBILE_PUSH", "osType": "ANDROID", "osVersion": "14",
   "deviceModel": "Pixel 8", "appVersion": "2.3.0", "applicationId": 7, "languageCode": "uk",
   "timeZone": "europe/kyiv", "externalCustomerId": "ann"},
  {"deviceId": "ann-tablet", "pushToken": "tok-B", "category": "mobilepush", "email": "Ann@Example.com"},
  {"deviceId": "bob-browser", "pushToken": "tok-C", "category": "webpush", "externalCustomerId": "bob"}]}');
SELECT device_id, contact_id, push_token, category, os_type, os_version, device_model, app_version, application_id,
       language_code, time_zone, external_customer_id, active
FROM engage.devices ORDER BY device_id;
-- Each linked device is a push channel of its contact.
SELECT type, value, contact_id, status FROM engage.channels ORDER BY type, value;

-- The waiting device is linked when its contact appears.
SELECT count(*) FROM engage.upsert_contacts('{"contacts": [{"externalCustomerId": "bob", "firstName": "Bob"}]}');
SELECT d.device_id, c.external_customer_id FROM engage.devices d JOIN engage.contacts c USING (contact_id) ORDER BY 1;
SELECT type, value, contact_id FROM engage.channels WHERE type = 'webpush';

-- Registered again: updated by deviceId, a new token replaces the device's channel; a
-- registration that names no contact keeps the device's.
SELECT device_id, contact_id, created FROM engage.register_devices('{"devices": [
  {"deviceId": "ann-tablet", "pushToken": "tok-B2", "category": "mobilepush", "appVersion": "2.4.0"}]}');
SELECT device_id, contact_id, push_token, app_version FROM engage.devices WHERE device_id = 'ann-tablet';
SELECT type, value, contact_id FROM engage.channels WHERE type = 'mobilepush' ORDER BY value;

-- A push message goes to every device of the contact: a workflow send and a broadcast.
INSERT INTO engage.messages (name, subject, body, media_type) VALUES ('push', 'Hi $!contact.firstName', 'Your order shipped', 'MobilePush');
SELECT engage.create_workflow('push', '[{"id": "s", "type": "send_message", "messageId": 1}]');
SELECT engage.link_event('push', 'shipped');
SELECT engage.activate_workflow('push');
SELECT engage.generate_event('{"eventTypeKey": "shipped", "keyValue": "ann@example.com"}') > 0 AS stored;
SELECT events, launched, sends, completed FROM engage.process_events();
SELECT s.locator, s.subject, s.status, i.status AS instance FROM engage.sends s JOIN engage.workflow_instances i USING (instance_id)
ORDER BY s.locator;
SELECT engage.create_group('Everyone') AS everyone \gset
SELECT engage.add_to_group('Everyone', ARRAY(SELECT contact_id FROM engage.contacts));
SELECT queued, suppressed FROM engage.send_broadcast(1, ARRAY[:everyone]::bigint[], 'push all');
SELECT locator, status FROM engage.sends WHERE broadcast_id IS NOT NULL ORDER BY locator;

-- The transport reports a token invalid (a permanent failure): the device is deactivated and
-- gets nothing more; registering again activates it.
SELECT count(*) FROM engage.claim_sends(10, channels => ARRAY['mobilepush']);
SELECT send_status FROM engage.report_delivery((SELECT request_id FROM engage.sends WHERE locator = 'tok-A' AND instance_id IS NOT NULL),
    'UNDELIVERED', '{"errorCode": "BadDeviceToken", "permanent": true}');
SELECT device_id, active, deactivation_reason FROM engage.devices ORDER BY device_id;
SELECT type, value FROM engage.channels WHERE type = 'mobilepush' ORDER BY value;
SELECT engage.generate_event('{"eventTypeKey": "shipped", "keyValue": "ann@example.com"}') > 0 AS stored;
SELECT events, sends FROM engage.process_events();
SELECT count(*) AS sends_to_the_dead_token FROM engage.sends WHERE locator = 'tok-A';
SELECT device_id, contact_id, created FROM engage.register_devices('{"devices": [{"deviceId": "ann-phone", "pushToken": "tok-A", "category": "mobilepush"}]}');
SELECT device_id, active, deactivation_reason FROM engage.devices WHERE device_id = 'ann-phone';
SELECT type, value, contact_id FROM engage.channels WHERE type = 'mobilepush' ORDER BY value;

-- A token registered by another device moves to it: the old device is deactivated.
SELECT device_id, contact_id FROM engage.register_devices('{"devices": [
  {"deviceId": "bob-new-phone", "pushToken": "tok-A", "category": "mobilepush", "externalCustomerId": "bob"}]}');
SELECT device_id, active, deactivation_reason FROM engage.devices WHERE push_token = 'tok-A' ORDER BY device_id;
SELECT type, value, c.external_customer_id FROM engage.channels JOIN engage.contacts c USING (contact_id)
WHERE value = 'tok-A';

-- Errors name the element; nothing of a refused call is stored.
SELECT * FROM engage.register_devices('{"devices": [{"deviceId": "x", "pushToken": "t", "category": "sms"}]}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.register_devices('{"devices": [{"deviceId": "x", "category": "webpush"}]}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.register_devices('{"devices": [{"deviceId": "x", "pushToken": "t", "category": "webpush", "timeZone": "Mars/Olympus"}]}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.register_devices('{"devices": [{"deviceId": "x", "pushToken": "t", "category": "webpush", "imei": "1"}]}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.register_devices('{"devices": [{"deviceId": "x", "pushToken": "t", "category": "webpush"},
                                                      {"deviceId": "x", "pushToken": "u", "category": "webpush"}]}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.register_devices('{"devices": [{"deviceId": "x", "pushToken": "t", "category": "webpush"},
                                                      {"deviceId": "y", "pushToken": "t", "category": "webpush"}]}');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.register_devices(jsonb_build_object('devices', (SELECT jsonb_agg(jsonb_build_object(
    'deviceId', 'd' || i, 'pushToken', 't' || i, 'category', 'webpush')) FROM generate_series(1, 1001) i)));
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS devices FROM engage.devices;

-- Readers cannot register devices; writers can (and cannot write the table directly).
SET ROLE regress_engage_reader;
SELECT * FROM engage.register_devices('{"devices": [{"deviceId": "r", "pushToken": "r", "category": "webpush"}]}');
\echo :LAST_ERROR_SQLSTATE
SET ROLE regress_engage_writer;
SELECT device_id, created FROM engage.register_devices('{"devices": [{"deviceId": "w", "pushToken": "w", "category": "webpush"}]}');
DELETE FROM engage.devices;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- Deleting a contact deletes its devices and their channels.
DELETE FROM engage.contacts WHERE external_customer_id = 'bob';
SELECT device_id FROM engage.devices ORDER BY 1;
SELECT type, value FROM engage.channels WHERE type IN ('mobilepush', 'webpush') ORDER BY value;
