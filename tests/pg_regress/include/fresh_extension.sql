-- Included by every test file: a fresh pg_engage, so that no file depends on another.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS pg_engage CASCADE;
CREATE EXTENSION pg_engage CASCADE;
RESET client_min_messages;
\set SHOW_CONTEXT never
