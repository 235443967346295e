-- Delivery policies, applied where sends become claimable: quiet hours on the contact's clock and
-- a frequency cap by annoyance level. A held send waits as HELD, saying why and until when, and is
-- claimed once its time comes; transactional triggered messages are exempt unless a policy
-- applies to all.
\i include/fresh_extension.sql
SET TimeZone = 'UTC';

SELECT count(*) FROM engage.upsert_contacts($$ {"contacts": [
  {"externalCustomerId": "KYIV", "timeZone": "Europe/Kyiv", "channels": [{"type": "email", "value": "kyiv@example.com"}]},
  {"externalCustomerId": "NY", "timeZone": "America/New_York", "channels": [{"type": "email", "value": "ny@example.com"}]}
]} $$);
INSERT INTO engage.messages (message_id, name, subject, body, annoyance_level, marketing) VALUES
  (1, 'sale', 'Sale', 'Sale!', 3, true),
  (2, 'tip', 'Tip', 'A tip', 1, true),
  (3, 'receipt', 'Receipt', 'Your receipt', 5, false);
SELECT engage.create_group('All') AS everyone \gset
SELECT engage.add_to_group('All', array_agg(contact_id)) FROM engage.contacts;

-- Quiet hours from 21:00 to 08:00 on each contact's clock. At 22:30 UTC it is 00:30 in Kyiv
-- (quiet until 08:00 Kyiv time) and 17:30 in New York (not quiet).
SELECT engage.create_quiet_hours('nights', '21:00', '08:00') > 0 AS created;
SELECT queued FROM engage.send_broadcast(1, ARRAY[:everyone]::bigint[], 'Sale');
SELECT engage.smartsend(3, '{"recipients": [{"locator": "kyiv@example.com"}]}') -> 'results' -> 0 ->> 'status' AS receipt;
-- What the policies hold at a chosen instant (claim_sends asks at its own clock): the sale to
-- Kyiv until 08:00 Kyiv time; not the sale to New York, nor the transactional receipt.
SELECT s.locator, m.name, h.hold_until, h.reason
FROM engage_internal.policy_holds(ARRAY(SELECT send_id FROM engage.sends WHERE status = 'QUEUED'), '2026-06-01 22:30Z') h
JOIN engage.sends s USING (send_id) JOIN engage.messages m USING (message_id) ORDER BY 1, 2;
-- Through claim_sends itself (now): each held send says why and until when, and is claimed from then on.
SELECT engage.drop_delivery_policy('nights');
SELECT engage.create_quiet_hours('always quiet', (now() AT TIME ZONE 'UTC')::time - interval '1 hour',
                                 (now() AT TIME ZONE 'UTC')::time + interval '1 hour') > 0 AS created;
UPDATE engage.contacts SET time_zone = 'UTC';
SELECT locator, campaign_type FROM engage.claim_sends(10) ORDER BY locator;
SELECT s.locator, s.status, s.not_before > now() AS waits, s.hold_reason LIKE 'quiet hours (policy "always quiet")%' AS says_why
FROM engage.sends s WHERE s.status = 'HELD' ORDER BY s.locator;
UPDATE engage.sends SET not_before = now() - interval '1 second' WHERE status = 'HELD';
SELECT engage.drop_delivery_policy('always quiet');
SELECT locator, campaign_type FROM engage.claim_sends(10) ORDER BY locator;

-- A frequency cap: at most one message of annoyance level 2 or more per contact per day. The tip
-- (level 1) is not counted and not held; the second sale is held until a day after the first.
SELECT engage.create_frequency_cap('one loud a day', 1, '1 day', min_annoyance_level => 2) > 0 AS created;
SELECT queued FROM engage.send_broadcast(1, ARRAY[:everyone]::bigint[], 'Sale again');
SELECT queued FROM engage.send_broadcast(2, ARRAY[:everyone]::bigint[], 'Tip');
SELECT count(*) AS claimed FROM engage.claim_sends(10);
SELECT m.name, s.locator, s.status, s.not_before - s2.sent_at BETWEEN interval '23:59' AND interval '1 day' AS held_a_day, s.hold_reason
FROM engage.sends s JOIN engage.messages m USING (message_id)
LEFT JOIN LATERAL (SELECT max(x.sent_at) AS sent_at FROM engage.sends x WHERE x.contact_id = s.contact_id AND x.message_id = 1
                   AND x.sent_at IS NOT NULL) s2 ON true
WHERE s.broadcast_id IN (SELECT broadcast_id FROM engage.broadcasts WHERE name IN ('Sale again', 'Tip')) ORDER BY m.name, s.locator;
-- Two of the same contact's loud messages in one claim: the second waits.
SELECT engage.drop_delivery_policy('one loud a day');
SELECT engage.create_frequency_cap('one a day', 1, '1 day', applies_to => 'all') > 0 AS created;
SELECT engage.smartsend(3, '{"recipients": [{"locator": "ny@example.com"}]}') IS NOT NULL AS queued;
SELECT engage.smartsend(3, '{"recipients": [{"locator": "ny@example.com"}]}') IS NOT NULL AS queued;
SELECT count(*) AS claimed FROM engage.claim_sends(10);
SELECT status, count(*) FROM engage.sends WHERE message_id = 3 AND locator = 'ny@example.com' GROUP BY status ORDER BY status;

-- Refusals.
SELECT engage.create_frequency_cap('one a day', 1, '1 day');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_frequency_cap('zero', 0, '1 day');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_frequency_cap('forever', 1, '5 years');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_quiet_hours('none', '08:00', '08:00');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.create_quiet_hours('who', '21:00', '08:00', applies_to => 'some');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.drop_delivery_policy('nope');
\echo :LAST_ERROR_SQLSTATE
