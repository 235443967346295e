-- The workflow worker processes events as they commit; wait until it has (a second at most).
CREATE PROCEDURE pg_temp.wait_for_worker() LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..100 LOOP
        EXIT WHEN NOT EXISTS (SELECT FROM engage.event_queue);
        PERFORM pg_sleep(0.01);
    END LOOP;
    IF EXISTS (SELECT FROM engage.event_queue) THEN
        RAISE NOTICE 'the workflow worker is not running: processing the events here';
        PERFORM engage.process_events();
    END IF;
END $$;
