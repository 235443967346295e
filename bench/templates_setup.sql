-- Rows for the engage.render benchmark: a jsonb context per row, as a campaign renders one
-- message per contact. :rows is set by bench/templates.sh.
CREATE EXTENSION pg_engage CASCADE;
CREATE TABLE render_rows AS
SELECT i AS id,
       jsonb_build_object('data', jsonb_build_object(
           'name', 'Customer ' || i,
           'promo_codes', jsonb_build_array(
               jsonb_build_object('name', 'Birthday -20%', 'promo_code', 'AAAA-' || i),
               jsonb_build_object('name', 'Free delivery', 'promo_code', 'SHIP-' || (i * 7))))) AS d
FROM generate_series(1, :rows) i;
VACUUM ANALYZE render_rows;
