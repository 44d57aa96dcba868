#pragma once

#include "resulttable.h"
#include "snapshot.h"

namespace poolscope::parsers {

/// Rows of resources/sql/pg_activity.sql. Ages are computed later against the sample's server time.
/// Rows the query flags as PoolScope's own (column "poolscope") are left out and counted into
/// *poolscopeSessions. Columns a server version lacks (leader_pid before 13, query_id before 14) stay
/// unknown.
QList<Session> parsePgActivity(const ResultTable &table, int *poolscopeSessions = nullptr);
StateCounts countStates(const QList<Session> &sessions);

/// The single row of resources/sql/pg_server.sql into `sample` (limits, counters, server time).
void parsePgServer(const ResultTable &table, PostgresSample &sample);

/// A PostgreSQL integer array in text form ("{123,456}", "{}") -> its elements; nullopt for NULL or text that
/// is not one.
std::optional<QList<qint64>> parseIntArray(const Cell &text);

/// The SQL text for one server: lines ending in "-- since NN" are dropped when the server is older than
/// PostgreSQL NN (server_version_num < NN0000), so each version is asked only for columns it has. An unknown
/// version (0) gets none of them.
QByteArray sqlForVersion(const QByteArray &sql, int serverVersionNum);

/// The value a session is grouped by in `dimension`. Client addresses hidden by privileges set *hidden.
const QString &groupName(const Session &session, GroupDimension dimension, bool *hidden = nullptr);
/// Sessions grouped by one dimension, most sessions first, then by name.
QList<SessionGroup> groupSessions(const QList<Session> &sessions, GroupDimension dimension);
/// The first n groups of a ranked list; when `others` is given, the rest are summed into it.
QList<SessionGroup> topGroups(const QList<SessionGroup> &ranked, int n, SessionGroup *others = nullptr);
/// Pids that block someone and do not wait on a lock themselves, the most (transitively) blocked first, then
/// by pid. A blocker outside the sample's sessions (another PoolScope, a background process) counts as a
/// root.
QList<qint64> rootBlockers(const PostgresSample &sample);
/// Fills the fields of `sample` derived from its sessions: counts, lockWaiting, rootBlockers, groups.
void summarizeSessions(PostgresSample &sample);

/// PgBouncer console results, parsed by column name for the 1.17, 1.18-1.23 and 1.24+ shapes.
/// The console's own pool (database "pgbouncer") is dropped.
QList<PoolStats> parseShowPools(const ResultTable &table);
QList<BouncerDatabase> parseShowDatabases(const ResultTable &table);
QList<BouncerStatsTotals> parseShowStatsTotals(const ResultTable &table);

/// Fills PoolStats::poolSize / reservePool from SHOW DATABASES (matched by database name).
void joinPoolSizes(QList<PoolStats> &pools, const QList<BouncerDatabase> &databases);

/// "1.18.0/bouncer" -> true. PgBouncer reports this as server_version on its console.
bool isBouncerVersion(const QString &serverVersion);

} // namespace poolscope::parsers
