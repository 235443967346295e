-- Login-less roles in each engage role, for tests that switch roles (roles outlive databases).
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'regress_engage_reader') THEN
        CREATE ROLE regress_engage_reader IN ROLE engage_reader;
        CREATE ROLE regress_engage_writer IN ROLE engage_writer;
        CREATE ROLE regress_engage_admin IN ROLE engage_admin;
    END IF;
END
$$;
