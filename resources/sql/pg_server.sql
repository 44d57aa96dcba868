-- Limits and counters for one sample. current_setting() is far cheaper than pg_settings.
-- reserved_connections exists from PG 16; missing_ok returns NULL before that.
SELECT extract(epoch FROM clock_timestamp()) AS server_now,
       current_setting('server_version_num')::int AS server_version_num,
       current_setting('max_connections')::int AS max_connections,
       current_setting('superuser_reserved_connections')::int AS superuser_reserved_connections,
       current_setting('reserved_connections', true)::int AS reserved_connections,
       (SELECT sum(xact_commit) FROM pg_stat_database) AS xact_commit,
       (SELECT sum(xact_rollback) FROM pg_stat_database) AS xact_rollback
