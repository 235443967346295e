-- Whether an export's tables hold exactly what the datasets hold now: for each dataset, the rows
-- of the source missing from the target and the target's rows not in the source (as JSON text:
-- paramsJson is json, which has no equality).
-- Included by tests/pg_regress/sql/exports.sql and tests/exports.sh. (Not a temporary function:
-- the regress test connects to the other database and back.)
CREATE FUNCTION export_differences(export text) RETURNS TABLE (dataset text, missing bigint, extra bigint)
LANGUAGE plpgsql AS $$
DECLARE
    e engage.data_exports := (SELECT x FROM engage.data_exports x WHERE x.name = export);
    c engage.connectors := (SELECT x FROM engage.connectors x WHERE x.connector_id = e.connector_id);
    d engage.export_datasets;
    source text;
    target text;
BEGIN
    FOR d IN SELECT * FROM engage.export_datasets x WHERE x.dataset = ANY (e.datasets) ORDER BY x.dataset LOOP
        dataset := d.dataset;
        source := format('SELECT row_to_json(s)::text FROM engage_internal.%I(%s) s', 'export_rows_' || d.table_name,
                         CASE WHEN d.key_column IS NULL
                              THEN (SELECT format('NULL, NULL, NULL, NULL, %1$L::%2$s, %3$L::%2$s', k.key_from, k.key_type, k.key_to)
                                    FROM engage_internal.partition_key_span(d.source) k)
                              ELSE 'NULL' END);
        target := format('SELECT row_to_json(t)::text FROM %s t', engage_internal.export_relation(e, c, d.table_name));
        EXECUTE format('SELECT count(*) FROM (%s EXCEPT ALL %s) x', source, target) INTO missing;
        EXECUTE format('SELECT count(*) FROM (%s EXCEPT ALL %s) x', target, source) INTO extra;
        RETURN NEXT;
    END LOOP;
END
$$;
