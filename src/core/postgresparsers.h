#pragma once

#include "postgressample.h"
#include "resulttable.h"

#include <QByteArray>
#include <QList>
#include <optional>

// Parsers of what PostgreSQL answers to the sampler's queries (resources/sql/pg_*.sql).
namespace poolscope::parsers {

/// Rows of resources/sql/pg_activity.sql. Ages are computed later against the sample's server time.
/// Rows the query flags as PoolScope's own (column "poolscope") are left out and counted into
/// *poolscopeSessions. Columns a server version lacks (leader_pid before 13, query_id before 14) stay
/// unknown.
QList<Session> parsePgActivity(const ResultTable &table, int *poolscopeSessions = nullptr);

/// The single row of resources/sql/pg_server.sql into `sample` (limits, counters, server time).
void parsePgServer(const ResultTable &table, PostgresSample &sample);

/// A PostgreSQL integer array in text form ("{123,456}", "{}") -> its elements; nullopt for NULL or text that
/// is not one.
std::optional<QList<qint64>> parseIntArray(const Cell &text);

/// The SQL text for one server: lines ending in "-- since NN" are dropped when the server is older than
/// PostgreSQL NN (server_version_num < NN0000), so each version is asked only for columns it has. An unknown
/// version (0) gets none of them.
QByteArray sqlForVersion(const QByteArray &sql, int serverVersionNum);

} // namespace poolscope::parsers
