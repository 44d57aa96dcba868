#pragma once

#include "bouncersample.h"
#include "pgpoolsample.h"
#include "postgressample.h"
#include "resulttable.h"

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

/// PgBouncer console results, parsed by column name for the 1.17, 1.18-1.23 and 1.24+ shapes (and the
/// PgCat / Odyssey look-alikes). The console's own pool (database "pgbouncer") is dropped.
/// Odyssey hard-codes sv_used, sv_tested, sv_login, maxwait and maxwait_us to 0: with
/// flavor Odyssey they are left unknown.
QList<PoolStats> parseShowPools(const ResultTable &table, PoolerFlavor flavor = PoolerFlavor::PgBouncer);
QList<BouncerDatabase> parseShowDatabases(const ResultTable &table);
QList<BouncerStatsTotals> parseShowStatsTotals(const ResultTable &table);
/// SHOW STATS: the total_* columns into BouncerStatsTotals (PgBouncer 1.17-1.25, PgCat with its user
/// column and total_errors, Odyssey's order).
QList<BouncerStatsTotals> parseShowStats(const ResultTable &table);
QList<BouncerUser> parseShowUsers(const ResultTable &table);
/// SHOW CLIENTS and SHOW SERVERS (1.18-1.20, 1.21 prepared_statements, 1.23 replication, 1.24 id; Odyssey's
/// columns). Timestamps "YYYY-MM-DD HH:MM:SS[.ffffff] UTC" become epoch seconds.
QList<BouncerConnection> parseShowConnections(const ResultTable &table);
/// SHOW LISTS rows (list, items), looked up by the "list" column, never by position (1.19 inserted rows).
QList<QPair<QString, qint64>> parseShowLists(const ResultTable &table);
/// SHOW CONFIG key -> value.
QHash<QString, QString> parseShowConfig(const ResultTable &table);
/// SHOW STATE (1.19+) rows key/value "yes"/"no" into sample.paused / sample.suspended.
void parseShowState(const ResultTable &table, BouncerSample &sample);
/// "PgBouncer 1.18.0" (SHOW VERSION) or "1.18.0/bouncer" (server_version) -> 11800; 0 when not a version.
int parseBouncerVersion(const QString &text);
/// The flavor from SHOW VERSION text and the SHOW POOLS column set (PgCat: pool_mode third and cl_idle;
/// Odyssey: "Odyssey" in the version text).
PoolerFlavor detectFlavor(const QString &versionText, const ResultTable &pools);
/// Admin when `user` is in SHOW CONFIG admin_users, StatsOnly when only in stats_users; "pgbouncer" is
/// admin on the Unix socket. Unknown when the config has neither list or auth_type is "any".
ConsoleAccess consoleAccess(const QHash<QString, QString> &config, const QString &user);

/// Fills PoolStats::poolSize / reservePool: SHOW USERS pool_size / reserve_pool_size when set (1.23+ /
/// 1.24+), else SHOW DATABASES (matched by database name).
void joinPoolSizes(QList<PoolStats> &pools, const QList<BouncerDatabase> &databases,
                   const QList<BouncerUser> &users = {});
/// PoolStats::tps / qps / idleInXactMs of `current` from the totals of `previous` taken `seconds` earlier
/// (matched by database, and user for PgCat). Unknown for a database missing from either, for
/// seconds <= 0, and for a counter that went backwards.
void deriveBouncerRates(BouncerSample &current, const BouncerSample &previous, double seconds);

/// Pgpool-II SHOW POOL_NODES / POOL_PROCESSES / POOL_POOLS (4.2 - 4.7 shapes; every value is text).
QList<PgpoolNode> parsePoolNodes(const ResultTable &table);
QList<PgpoolProcess> parsePoolProcesses(const ResultTable &table);
QList<PgpoolPoolSlot> parsePoolPools(const ResultTable &table);

/// "1.18.0/bouncer" -> true. PgBouncer reports this as server_version on its console.
bool isBouncerVersion(const QString &serverVersion);

} // namespace poolscope::parsers
