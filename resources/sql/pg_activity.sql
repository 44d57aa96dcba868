-- Client sessions for the sessions charts and `snapshot`. Runs every poll in autocommit (pg_stat_activity
-- is frozen for the rest of a transaction once read). Times are epoch seconds so ages are computed against
-- the server's own clock (server_now in pg_server.sql), never the client's.
-- Rows hidden by privileges have NULL backend_type and state; they are kept (as "other") when they belong
-- to a database and a role, so a role without pg_monitor is not silently shown an empty server.
-- $1 = max query text length.
SELECT pid,
       datname,
       usename,
       application_name,
       host(client_addr) AS client_addr,
       client_port,
       backend_type,
       state,
       wait_event_type,
       wait_event,
       extract(epoch FROM backend_start) AS backend_start,
       extract(epoch FROM xact_start) AS xact_start,
       extract(epoch FROM query_start) AS query_start,
       extract(epoch FROM state_change) AS state_change,
       left(query, $1::int) AS query
FROM pg_stat_activity
WHERE (backend_type = 'client backend'
       OR (backend_type IS NULL AND datid IS NOT NULL AND usesysid IS NOT NULL))
  AND pid <> pg_backend_pid()
  AND coalesce(application_name, '') <> 'poolscope'
ORDER BY pid
