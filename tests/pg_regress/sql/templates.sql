-- Templates: engage.render, engage.check_template, the templates table for #parse/#include and
-- the macro library, messages checked when written, and engage.render_message.
\i include/fresh_extension.sql

-- The promo-code example of spec 000: the indexed form and the loop.
SELECT engage.render(
$$Hello $!data.get('promo_codes').get(0).get('name'), your code: $!data.get('promo_codes').get(0).get('promo_code')
#foreach($pc in $!data.get('promo_codes'))
* $!pc.get('name'): $!pc.get('promo_code')
#end$$,
'{"data": {"promo_codes": [
  {"id": "2", "email": "dina@example.com", "name": "Dina Kozak", "birthday": "2020-09-02T00:00:00Z", "promo_code": "AAAA-BBBB-DDDD"},
  {"id": "3", "email": "dina@example.com", "name": "Dina Kozak", "birthday": "2020-09-02T00:00:00Z", "promo_code": "EEEE-FFFF"}]}}');

-- Each top-level key is a variable; quiet, formal and unresolved references; Java semantics.
SELECT engage.render('${name}: $!missing|$missing|#if($data.get(''n'').equals(''0''))zero#else$n#end', '{"name": "Ana", "n": "7", "data": {"n": "0"}}');
SELECT engage.render('#set($t = $price * $qty)$t $price.intValue() #if($qty > 2)many#end $vip', '{"price": 2.5, "qty": 3, "vip": true}');
SELECT engage.render('$n / 2 = #set($h = $n / 2)$h; $big', '{"n": 7, "big": 12345678901234567890}');
-- jsonb numbers become the Java classes Velocity would see; key order is jsonb's.
SELECT engage.render('#foreach($k in $m.keySet())$k=$m.get($k) $m.get($k).getClass().getSimpleName()|#end',
                     '{"m": {"i": 1, "l": 12345678901, "b": 123456789012345678901234, "d": 1.50, "s": "x", "t": true, "z": null}}');
SELECT engage.render('no variables', NULL) AS null_context, engage.render(NULL, '{}') IS NULL AS null_template;

-- The context must be an object.
SELECT engage.render('x', '[1, 2]');
\echo :LAST_ERROR_SQLSTATE

-- A parse error names the place and shows the line with a caret.
SELECT engage.render(E'line one\n#foreach($i in [1..3])$i', '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.render('#set($x = )', '{}');
\echo :LAST_ERROR_SQLSTATE
-- A failing method aborts the render, as in Velocity.
SELECT engage.render('first: $!list.get(5)', '{"list": [1, 2]}');
\echo :LAST_ERROR_SQLSTATE

-- Limits are settings, and the error names the one exceeded.
SET engage.template_max_loop_iterations = 10;
SELECT engage.render('#foreach($i in [1..20])$i#end', '{}');
\echo :LAST_ERROR_SQLSTATE
RESET engage.template_max_loop_iterations;
SET engage.template_max_output = 16;
SELECT engage.render('0123456789 0123456789', '{}');
\echo :LAST_ERROR_SQLSTATE
RESET engage.template_max_output;
SELECT engage.render('#macro(r $n)#r($n)#end#r(1)', '{}');
\echo :LAST_ERROR_SQLSTATE

-- check_template: the problems without rendering; none for a good template.
SELECT * FROM engage.check_template('Hello $name');
SELECT * FROM engage.check_template(E'ok\n  #if($a) #end #end');
SELECT * FROM engage.check_template('#foreach($x in $list)');

-- #parse and #include read engage.templates; the library's macros are global.
INSERT INTO engage.templates (name, body) VALUES
    ('footer', E'-- \nSent to $email'),
    ('raw', 'not parsed: $email'),
    ('VM_global_library.vm', '#macro(money $v)$v EUR#end');
SELECT engage.render(E'Hi!\n#parse(''footer'')\n#include(''raw'')\n#money(5)', '{"email": "ana@example.com"}');
SELECT engage.render('#parse(''nowhere'')', '{}');
\echo :LAST_ERROR_SQLSTATE
-- A change is seen by the next statement.
UPDATE engage.templates SET body = '#macro(money $v)€$v#end' WHERE name = 'VM_global_library.vm';
SELECT engage.render('#money(5)', '{}');
-- A template that does not compile is refused, and nothing is written.
INSERT INTO engage.templates (name, body) VALUES ('bad', '#if($x)');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS bad_templates FROM engage.templates WHERE name = 'bad';

-- One template over many rows: compiled once per statement, one result per row.
SELECT count(DISTINCT r) AS distinct_outputs, count(*) AS renders
FROM (SELECT engage.render('#money($n) for #if($n % 2 == 0)even#{else}odd#end', jsonb_build_object('n', i)) AS r
      FROM generate_series(1, 1000) i) s;
SELECT engage.render('#money($n) for #if($n % 2 == 0)even#{else}odd#end', jsonb_build_object('n', i))
FROM generate_series(1, 3) i;

-- Messages: templates checked when written, language versions, rendered for a contact.
SELECT * FROM engage.create_field('Loyalty points', 'number');
SELECT * FROM engage.create_field('City', 'string');
SELECT * FROM engage.upsert_contacts(jsonb_build_object(
    'contacts', jsonb_build_array(
        jsonb_build_object('firstName', 'Dina', 'lastName', 'Kozak', 'languageCode', 'uk', 'externalCustomerId', 'AV1',
            'channels', '[{"type": "email", "value": "Dina@Example.com"}, {"type": "sms", "value": "+380 50 123 45 67"}]'::jsonb,
            'fields', jsonb_build_array(
                jsonb_build_object('id', (SELECT field_id FROM engage.fields WHERE name = 'Loyalty points'), 'value', '120'),
                jsonb_build_object('id', (SELECT field_id FROM engage.fields WHERE name = 'City'), 'value', 'Kyiv'))),
        jsonb_build_object('firstName', 'Sam', 'languageCode', 'de',
            'channels', '[{"type": "email", "value": "sam@example.com"}]'::jsonb)),
    'customFieldsIDs', (SELECT jsonb_agg(field_id) FROM engage.fields)));

INSERT INTO engage.messages (name, subject, body, sender, language, tags) VALUES
    ('Promo', '$contact.firstName, a gift for you',
     E'Hello $!contact.firstName $!contact.lastName ($contact.email, $contact.phone)\n#set($points = $contact.fields.get(''Loyalty points''))#if($points > 100)You have $points points in $contact.fields.City.\n#end#foreach($pc in $!data.get(''promo_codes''))Code: $pc.get(''promo_code'')\n#end#money(10)',
     'shop@example.com', 'EN', '{promo}')
RETURNING message_id, language, tags;
INSERT INTO engage.message_translations (message_id, language, subject, body)
VALUES (1, 'UK', 'Подарунок, $contact.firstName', 'Привіт, $contact.firstName! #foreach($pc in $!data.get(''promo_codes''))Код: $pc.get(''promo_code'')#end');

-- The contact's language picks the version; an explicit language overrides it; the main
-- version when the contact's language has none. A contact attribute that is null prints as
-- written unless quiet ($!), as any null reference does.
SELECT * FROM engage.render_message(1, 1, '{"promo_codes": [{"promo_code": "AAAA-BBBB"}]}');
SELECT * FROM engage.render_message(1, 1, '{"promo_codes": [{"promo_code": "AAAA-BBBB"}]}', 'en');
SELECT * FROM engage.render_message(1, 2);
SELECT * FROM engage.render_message(1, 2, language => 'fr');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.render_message(99, 1);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.render_message(1, 99);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM engage.render_message(1, 1, '"not an object"');
\echo :LAST_ERROR_SQLSTATE

-- A message whose subject or body does not compile is refused, and nothing is written.
INSERT INTO engage.messages (name, subject, body) VALUES ('Broken', 'Hi #if($x', 'fine');
\echo :LAST_ERROR_SQLSTATE
UPDATE engage.messages SET body = '#end' WHERE message_id = 1;
\echo :LAST_ERROR_SQLSTATE
UPDATE engage.message_translations SET body = '#foreach($x)' WHERE message_id = 1;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS messages, max(length(body)) > 4 AS body_kept FROM engage.messages;
-- A message body that fails at render time (not at compile time) is an error of the render.
INSERT INTO engage.messages (name, body) VALUES ('Needs data', 'First: $data.get(''items'').get(0)');
SELECT * FROM engage.render_message((SELECT message_id FROM engage.messages WHERE name = 'Needs data'), 1, '{"items": []}');
\echo :LAST_ERROR_SQLSTATE

-- Readers render; writers write messages and templates; readers cannot.
\i include/regress_roles.sql
SET ROLE regress_engage_reader;
SELECT engage.render('#money(1)', '{}') AS reader_render;
SELECT subject FROM engage.render_message(1, 2);
INSERT INTO engage.templates (name, body) VALUES ('reader', 'x');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
SET ROLE regress_engage_writer;
INSERT INTO engage.messages (name, body, media_type) VALUES ('Writer SMS', 'Hi $contact.firstName', 'Sms') RETURNING media_type;
SELECT * FROM engage.render_message((SELECT message_id FROM engage.messages WHERE name = 'Writer SMS'), 1);
RESET ROLE;

-- Data as the user wrote it: a context given as text or json keeps its key order and number
-- spelling (as Velocity sees JSON parsed by the platform); a jsonb one comes in jsonb's order.
SELECT engage.render('$m #foreach($k in $m.keySet())$k #end$n $x $b', '{"m": {"b": 1, "a": 2}, "n": -0.0, "x": 1.0E21, "b": 12.50}') AS as_text;
SELECT engage.render('$m #foreach($k in $m.keySet())$k #end$n $x $b', '{"m": {"b": 1, "a": 2}, "n": -0.0, "x": 1.0E21, "b": 12.50}'::json) AS as_json;
SELECT engage.render('$m #foreach($k in $m.keySet())$k #end$n $x $b', '{"m": {"b": 1, "a": 2}, "n": -0.0, "x": 1.0E21, "b": 12.50}'::jsonb) AS as_jsonb;
SELECT engage.render('x', '{"a": 1');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.render('x', '[1]');
\echo :LAST_ERROR_SQLSTATE
SELECT engage.render('x', repeat('[', 200) || repeat(']', 200));
\echo :LAST_ERROR_SQLSTATE
-- smartsend's jsonParam (escaped JSON text, as spec 002 sends it) keeps its order too.
INSERT INTO engage.messages (name, body) VALUES ('ordered', '#foreach($e in $data.entrySet())$e.key=$e.value #end');
SELECT engage.smartsend((SELECT message_id FROM engage.messages WHERE name = 'ordered'),
    '{"recipients": [{"locator": "order@example.com", "jsonParam": "{\"zeta\": 1, \"alpha\": -0.0, \"mid\": 1.0E21}"}]}')
    -> 'results' -> 0 ->> 'requestId' AS ordered \gset
SELECT body FROM engage.sends WHERE request_id = :'ordered';
