#pragma once

#include "bouncersample.h"
#include "resulttable.h"

#include <QHash>
#include <QList>
#include <QPair>
#include <QString>

// Parsers of PgBouncer-shaped consoles (PgBouncer, PgCat, Odyssey): SHOW rows by column name, and what is
// derived from them (pool sizes, rates, the console user's access).
namespace poolscope::parsers {

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

/// "1.18.0/bouncer" -> true. PgBouncer reports this as server_version on its console.
bool isBouncerVersion(const QString &serverVersion);

} // namespace poolscope::parsers
