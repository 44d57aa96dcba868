#pragma once

#include "resulttable.h"
#include "snapshot.h"

namespace poolscope::parsers {

/// Rows of resources/sql/pg_activity.sql. Ages are computed later against the sample's server time.
QList<Session> parsePgActivity(const ResultTable &table);
StateCounts countStates(const QList<Session> &sessions);

/// The single row of resources/sql/pg_server.sql into `sample` (limits, counters, server time).
void parsePgServer(const ResultTable &table, PostgresSample &sample);

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
