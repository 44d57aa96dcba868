-- Client sessions for the sessions charts and `snapshot`. Runs every poll in autocommit (pg_stat_activity
-- is frozen for the rest of a transaction once read). Times are epoch seconds so ages are computed against
-- the server's own clock (server_now in pg_server.sql), never the client's.
-- Rows hidden by privileges have NULL backend_type and state; they are kept (as "other") when they belong
-- to a database and a role, so a role without pg_monitor is not silently shown an empty server.
-- PoolScope's own connections (this one, and other PoolScope instances') are returned flagged "poolscope":
-- the parser leaves them out of the sessions but counts them, since they take connection slots too.
-- Only what changed is sent in full (ActivityCache merges the rest from the previous poll): a session is
-- "whole" unless it has been idle, or idle in transaction, waiting for its client since before the cutoff
-- ($1[2], epoch seconds; 0 sends every session whole); such a session's other columns cannot have changed
-- since its state did. The short sessions are not rows of their own: the first of them carries them all
-- as arrays (short_pids, and aged_pids with their horizon ages, which move with the server's transaction
-- counter), so an idle server of 1,000 sessions answers with a row or two. Pid order throughout.
-- The arrays are sent only when they differ from the previous poll's: short_key is a 52-bit hash of them
-- (exact in a float8), and the sampler passes the last one it merged as $1[3]; when they match, the row
-- carries short_key alone and the sampler reuses the arrays it has.
-- Lines ending in "-- since NN" are dropped for servers older than PostgreSQL NN (parsers::sqlForVersion);
-- a tagged line is never the last item of a list.
-- $1 = {max query text length, cutoff[, previous short_key]} as a float8 array.
WITH s AS MATERIALIZED ( -- read once; `whole` computed once per session, not once per column
    SELECT a.*,
           -- NULL (a hidden row) is whole too.
           (state IN ('idle', 'idle in transaction', 'idle in transaction (aborted)')
            AND wait_event = 'ClientRead'
            AND state_change < to_timestamp(($1::float8[])[2])
            AND backend_start < to_timestamp(($1::float8[])[2])) IS NOT TRUE AS whole
    FROM pg_stat_activity AS a
    WHERE backend_type = 'client backend'
       OR (backend_type IS NULL AND datid IS NOT NULL AND usesysid IS NOT NULL)
), short AS MATERIALIZED ( -- once, not once per row of s
    SELECT min(pid) AS first_short,
           array_agg(pid ORDER BY pid) AS short_pids,
           array_agg(pid ORDER BY pid) FILTER (WHERE backend_xmin IS NOT NULL OR backend_xid IS NOT NULL)
               AS aged_pids,
           array_agg(age(backend_xmin) ORDER BY pid)
               FILTER (WHERE backend_xmin IS NOT NULL OR backend_xid IS NOT NULL) AS aged_xmin_ages,
           array_agg(age(backend_xid) ORDER BY pid)
               FILTER (WHERE backend_xmin IS NOT NULL OR backend_xid IS NOT NULL) AS aged_xid_ages
    FROM s
    WHERE NOT whole
), keyed AS MATERIALIZED (
    SELECT short.*,
           hashtextextended(concat_ws('|', short_pids, aged_pids, aged_xmin_ages, aged_xid_ages), 0)
               & 4503599627370495 AS short_key
    FROM short
), sent AS MATERIALIZED (
    SELECT keyed.*, short_key IS DISTINCT FROM ($1::float8[])[3] AS send_arrays
    FROM keyed
)
SELECT pid,
       whole,
       CASE WHEN whole THEN leader_pid END AS leader_pid, -- since 13
       CASE WHEN whole THEN datname END AS datname,
       CASE WHEN whole THEN usename END AS usename,
       CASE WHEN whole THEN application_name END AS application_name,
       CASE WHEN whole THEN host(client_addr) END AS client_addr,
       CASE WHEN whole THEN client_port END AS client_port,
       CASE WHEN whole THEN backend_type END AS backend_type,
       CASE WHEN whole THEN state END AS state,
       CASE WHEN whole THEN wait_event_type END AS wait_event_type,
       CASE WHEN whole THEN wait_event END AS wait_event,
       CASE WHEN whole THEN extract(epoch FROM backend_start) END AS backend_start,
       CASE WHEN whole THEN extract(epoch FROM xact_start) END AS xact_start,
       CASE WHEN whole THEN extract(epoch FROM query_start) END AS query_start,
       CASE WHEN whole THEN extract(epoch FROM state_change) END AS state_change,
       -- In transactions (xids), how far this session holds the xmin horizon back: through its snapshot
       -- (backend_xmin), or its own transaction id (backend_xid: an idle-in-transaction session that wrote
       -- has no snapshot left, only the xid). Both are visible even on rows hidden by privileges.
       age(backend_xmin) AS backend_xmin_age,
       age(backend_xid) AS backend_xid_age,
       -- pg_blocking_pids() takes every lock-manager partition lock: ask only for sessions waiting on a lock.
       CASE WHEN whole AND wait_event_type = 'Lock' THEN pg_blocking_pids(pid) END AS blocked_by,
       CASE WHEN whole THEN pid = pg_backend_pid() OR coalesce(application_name, '') = 'poolscope' END
           AS poolscope,
       CASE WHEN whole THEN query_id END AS query_id, -- since 14
       CASE WHEN whole THEN left(query, ($1::float8[])[1]::int) END AS query,
       CASE WHEN pid = first_short THEN short_key END AS short_key,
       CASE WHEN pid = first_short AND send_arrays THEN short_pids END AS short_pids,
       CASE WHEN pid = first_short AND send_arrays THEN aged_pids END AS aged_pids,
       CASE WHEN pid = first_short AND send_arrays THEN aged_xmin_ages END AS aged_xmin_ages,
       CASE WHEN pid = first_short AND send_arrays THEN aged_xid_ages END AS aged_xid_ages
FROM s CROSS JOIN sent
WHERE whole OR pid = first_short
ORDER BY pid
