-- Tombstones: what data exports must delete at their next run. Kept apart from the exports
-- themselves (sql/export_datasets.sql, sql/exports.sql), so that the files whose tables are
-- exported can record a deletion without naming them: sql/orders.sql forgets every revenue row
-- when it attributes revenue anew.

CREATE TABLE engage.export_tombstones (
    dataset     text NOT NULL,
    -- The dataset's key of the deleted rows; NULL: all of them (a TRUNCATE).
    key         text,
    written_xid bigint NOT NULL DEFAULT txid_current()
);
CREATE INDEX export_tombstones_written ON engage.export_tombstones USING brin (written_xid);
COMMENT ON TABLE engage.export_tombstones IS 'Keys of rows deleted from export datasets, so that the next export runs delete them too: one row per deletion. A tombstone goes once every export of its dataset has seen it.';
COMMENT ON COLUMN engage.export_tombstones.dataset IS 'The dataset the deleted rows belonged to, in the data-source guide''s spelling.';
COMMENT ON COLUMN engage.export_tombstones.key IS 'The dataset''s key of the deleted rows (an erased person: contactId:<id> or key:<id>); NULL: every row.';
COMMENT ON COLUMN engage.export_tombstones.written_xid IS '64-bit ID of the transaction that wrote it (txid_current()), compared with each export''s snapshot.';

-- Records that any row of the dataset may have changed or gone: the next run of each export
-- copies it whole. Revenue rows are deleted and written again on every attribution, so they
-- leave no tombstones (the order they belong to changed too, which the revenue dataset reads);
-- a full attribution, which may drop rows of orders that did not change, calls this.
CREATE FUNCTION engage_internal.export_forget(dataset text) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO engage.export_tombstones (dataset, key) VALUES (dataset, NULL)
$$;
