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

/// Column indexes of a pg_activity.sql result, looked up once per table (at 1,000+ rows a lookup per cell
/// cost more than the parsing). -1 for a column the result lacks.
struct ActivityColumns
{
    explicit ActivityColumns(const ResultTable &t);
    int pid, whole, poolscope, datname, usename, applicationName, clientAddr, clientPort, backendType, state,
        waitEventType, waitEvent, backendStart, xactStart, queryStart, stateChange, query, leaderPid, queryId,
        backendXminAge, backendXidAge, blockedBy;
    // The short sessions as arrays, on one row (see pg_activity.sql): every pid, and those with a horizon
    // age with their ages; short_key, a hash of the arrays (alone when they are the previous poll's).
    int shortPids, agedPids, agedXminAges, agedXidAges, shortKey;
};
/// What one whole row of pg_activity.sql is.
enum class ActivityRow
{
    Session, // `out` holds it
    Own,     // one of PoolScope's own connections: counted, never listed
    Skip,    // no pid
};
/// One whole row into `out`; `text` decodes the repeated names once per table.
ActivityRow parseActivityRow(const RowReader &r, const ActivityColumns &c, DistinctText &text, Session &out);

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
