#pragma once

#include "core/activitycache.h"
#include "core/dberror.h"
#include "core/targetsnapshot.h"
#include "core/transactionrates.h"

#include <QByteArray>
#include <optional>

namespace poolscope::db {

class SampleQueries;

/// PostgreSQL's part of a sample, directly or through Pgpool-II: pg_stat_activity and the server row
/// (resources/sql/pg_activity.sql and pg_server.sql, with the columns the server's version has), the
/// sessions summarised, and the rates that need successive samples of one backend.
///
/// Cost: pg_stat_activity is read whole only on a connection's first poll and every WholeEverySeconds;
/// between those, sessions idle (or idle in transaction) since before the last poll come as short rows (pid
/// and horizon ages) and keep what the previous poll read (ActivityCache). An idle server of 1,000 sessions
/// then sends ~30 bytes a session instead of ~250, and the client parses and summarises nothing: the
/// sessions list and its summary are the previous sample's, shared.
class PostgresSource
{
public:
    PostgresSource();

    /// SET statement_timeout, unless this value is in force on the connection already.
    bool applyStatementTimeout(SampleQueries &queries, int statementTimeoutMs, DbError *error);
    /// Fills out.postgres and out.tps. False with `error` when a query failed.
    bool sample(SampleQueries &queries, int queryTextLength, TargetSnapshot &out, DbError *error);
    /// A new connection: statement_timeout is to be set again (the rates go on: the counters are the
    /// server's, and restart with it).
    void reset();

    /// A poll reads every row whole at least this often (server time): a bound on what the cutoff could miss
    /// (a server clock stepped back).
    static constexpr double WholeEverySeconds = 30;
    /// Rows unchanged since before the previous poll's server time minus this (and the poll's own duration)
    /// may come short: a session's state_change is taken a moment before it is published.
    static constexpr double CutoffMarginSeconds = 1;

private:
    QByteArray m_activitySql;
    QByteArray m_serverSql;
    int m_appliedStatementTimeoutMs = -1;
    // PostgreSQL TPS, commits and rollbacks over a window long enough for the server's late counters
    // (TransactionRates), without our own polls: every query we run is one transaction.
    TransactionRates m_rates;
    quint64 m_ownTransactions = 0;
    // The SQL for the connected server's version, and what it derives from successive samples of one
    // connection (reset when the backend pid changes, i.e. after a reconnect).
    int m_sqlVersion = -1;
    QByteArray m_activityQuery;
    QList<QByteArray> m_activityPieces; // m_activityQuery split at each $1
    QByteArray m_serverQuery;
    int m_statsBackendPid = 0;
    std::optional<quint64> m_lastSessionsKilled;
    std::optional<quint64> m_lastSessionsFatal;
    std::optional<quint64> m_lastSessionsAbandoned;
    // The sessions of this connection's previous poll, what they add up to, and the cutoff for the next.
    ActivityCache m_activity;
    PostgresSample m_summary; // only the fields summarizeSessions() fills
    bool m_haveSummary = false;
    double m_cutoff = 0; // server epoch seconds; 0: every row whole
    double m_lastWholeAt = 0;
};

} // namespace poolscope::db
