-- Limits and counters for one sample. current_setting() is far cheaper than pg_settings.
-- Lines ending in "-- since NN" are dropped for servers older than PostgreSQL NN (parsers::sqlForVersion),
-- so a PG 12/13 server returns no sessions_* columns (unknown, not 0) and only PG 16+ reserved_connections.
-- A tagged line is never the last item of a list (its trailing comma would be left dangling).
SELECT extract(epoch FROM clock_timestamp()) AS server_now,
       current_setting('server_version_num')::int AS server_version_num,
       current_setting('max_connections')::int AS max_connections,
       current_setting('superuser_reserved_connections')::int AS superuser_reserved_connections,
       current_setting('reserved_connections', true)::int AS reserved_connections, -- since 16
       extract(epoch FROM pg_postmaster_start_time()) AS postmaster_start,
       -- PostgreSQL 15+ flushes a backend's counters at most once a second: have ours flushed when this
       -- transaction ends, so the counters include exactly PoolScope's polls so far (TransactionRates).
       pg_stat_force_next_flush() IS NULL AS flush_requested, -- since 15
       d.*
FROM (SELECT sum(xact_commit) AS xact_commit,
             extract(epoch FROM max(stats_reset)) AS stats_reset,
             sum(sessions) AS sessions, -- since 14
             sum(sessions_killed) AS sessions_killed, -- since 14
             sum(sessions_fatal) AS sessions_fatal, -- since 14
             sum(sessions_abandoned) AS sessions_abandoned, -- since 14
             sum(xact_rollback) AS xact_rollback
      FROM pg_stat_database) AS d
