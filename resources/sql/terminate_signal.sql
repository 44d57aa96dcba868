-- Signals one backend, guarded (datasources 4.4): the row must still have the backend_start that was read,
-- so a reused pid is never hit, and when given the same state_change and state, so a session that moved on
-- since it was previewed (committed, ran a query) is left alone. Zero rows: gone or changed; the caller
-- re-reads to tell which. Runs in autocommit on the terminator's own connection.
-- $1 pid, $2 backend_start (epoch s), $3 state_change (epoch s) or NULL, $4 state or NULL,
-- $5 'cancel' | 'terminate', $6 ms to wait for the backend to exit (PG 14+, 0 = do not wait).
-- Lines ending in "-- since NN" are dropped for servers older than PostgreSQL NN (parsers::sqlForVersion).
SELECT a.pid,
       CASE WHEN $5 = 'cancel' THEN pg_cancel_backend(a.pid)
            WHEN $6 > 0 THEN pg_terminate_backend(a.pid, $6) -- since 14
            ELSE pg_terminate_backend(a.pid) END AS signalled
FROM pg_stat_activity a
WHERE a.pid = $1
  AND abs(extract(epoch FROM a.backend_start)::float8 - $2) < 0.0000005
  AND ($3::float8 IS NULL OR abs(extract(epoch FROM a.state_change)::float8 - $3) < 0.0000005)
  AND ($4::text IS NULL OR a.state = $4)
