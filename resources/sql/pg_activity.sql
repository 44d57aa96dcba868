-- Client sessions for the sessions charts and `snapshot`. Runs every poll in autocommit (pg_stat_activity
-- is frozen for the rest of a transaction once read). Times are epoch seconds so ages are computed against
-- the server's own clock (server_now in pg_server.sql), never the client's.
-- Rows hidden by privileges have NULL backend_type and state; they are kept (as "other") when they belong
-- to a database and a role, so a role without pg_monitor is not silently shown an empty server.
-- PoolScope's own connections (this one, and other PoolScope instances') are returned flagged "poolscope":
-- the parser leaves them out of the sessions but counts them, since they take connection slots too.
-- Lines ending in "-- since NN" are dropped for servers older than PostgreSQL NN (parsers::sqlForVersion);
-- a tagged line is never the last item of a list.
-- $1 = max query text length.
SELECT pid,
       leader_pid, -- since 13
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
       -- In transactions (xids), how far this session holds the xmin horizon back: through its snapshot
       -- (backend_xmin), or its own transaction id (backend_xid: an idle-in-transaction session that wrote
       -- has no snapshot left, only the xid). Both are visible even on rows hidden by privileges.
       age(backend_xmin) AS backend_xmin_age,
       age(backend_xid) AS backend_xid_age,
       -- pg_blocking_pids() takes every lock-manager partition lock: ask only for sessions waiting on a lock.
       CASE WHEN wait_event_type = 'Lock' THEN pg_blocking_pids(pid) END AS blocked_by,
       (pid = pg_backend_pid() OR coalesce(application_name, '') = 'poolscope') AS poolscope,
       query_id, -- since 14
       left(query, $1::int) AS query
FROM pg_stat_activity
WHERE backend_type = 'client backend'
   OR (backend_type IS NULL AND datid IS NOT NULL AND usesysid IS NOT NULL)
ORDER BY pid
