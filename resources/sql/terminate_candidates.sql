-- A fresh read of every backend for the terminator (cancel / terminate, bulk by predicate, auto-remediation).
-- Runs on the terminator's own connection, in autocommit, right before acting: pg_stat_activity is frozen
-- for the rest of a transaction once read. Times are epoch seconds against the server's clock (server_now),
-- never the client's. Every backend is returned, non-client ones too, so the plan can say which rows matched
-- but were left alone and why (core/terminateplan.h makePlan):
--   poolscope  PoolScope's own connections: this one, and any application_name 'poolscope';
--   rolsuper   superuser-owned sessions (only a superuser may signal them, and only when allowed).
-- $1 = max query text length.
SELECT a.pid,
       a.datname,
       a.usename,
       a.application_name,
       host(a.client_addr) AS client_addr,
       a.backend_type,
       a.state,
       extract(epoch FROM a.backend_start) AS backend_start,
       extract(epoch FROM a.xact_start) AS xact_start,
       extract(epoch FROM a.query_start) AS query_start,
       extract(epoch FROM a.state_change) AS state_change,
       coalesce(r.rolsuper, false) AS rolsuper,
       (a.pid = pg_backend_pid() OR coalesce(a.application_name, '') = 'poolscope') AS poolscope,
       extract(epoch FROM statement_timestamp()) AS server_now,
       left(a.query, $1::int) AS query
FROM pg_stat_activity a
LEFT JOIN pg_roles r ON r.oid = a.usesysid
ORDER BY a.pid
