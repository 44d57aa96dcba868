#include "postgressource.h"

#include "core/postgresparsers.h"
#include "core/sessionanalysis.h"
#include "db/samplequeries.h"
#include "db/sqlresource.h"

#include <QElapsedTimer>
#include <algorithm>

namespace poolscope::db {

PostgresSource::PostgresSource()
    : m_activitySql(loadSql("pg_activity.sql")), m_serverSql(loadSql("pg_server.sql"))
{}

void PostgresSource::reset()
{
    m_appliedStatementTimeoutMs = -1;
    m_activity.reset();
    m_haveSummary = false;
    m_cutoff = 0;
}

bool PostgresSource::applyStatementTimeout(SampleQueries &queries, int statementTimeoutMs, DbError *error)
{
    if (m_appliedStatementTimeoutMs == statementTimeoutMs)
        return true;
    // Simple protocol, and only on PostgreSQL (Pgpool-II forwards it to its backends): a pooler console
    // would reject SET.
    const QByteArray set = "SET statement_timeout = " + QByteArray::number(statementTimeoutMs);
    const bool ok = bool(queries.run(set, nullptr, error));
    ++m_ownTransactions;
    if (!ok)
        return false;
    m_appliedStatementTimeoutMs = statementTimeoutMs;
    return true;
}

bool PostgresSource::sample(SampleQueries &queries, int queryTextLength, TargetSnapshot &out, DbError *error)
{
    // Columns by server version (leader_pid 13+, query_id and sessions_* 14+, reserved_connections 16+).
    PGconn *c = queries.handle();
    const int version = c ? PQserverVersion(c) : 0;
    if (version != m_sqlVersion) {
        m_activityQuery = parsers::sqlForVersion(m_activitySql, version);
        m_serverQuery = parsers::sqlForVersion(m_serverSql, version);
        m_sqlVersion = version;
        m_activity.reset();
        m_cutoff = 0;
    }
    const int backendPid = c ? PQbackendPID(c) : 0;
    if (backendPid != m_statsBackendPid) {
        m_statsBackendPid = backendPid;
        m_lastSessionsKilled.reset();
        m_lastSessionsFatal.reset();
        m_lastSessionsAbandoned.reset();
    }
    QElapsedTimer spent;
    spent.start();
    // $1 = {max query text length, cutoff}: see resources/sql/pg_activity.sql.
    auto activityParam = [queryTextLength](double cutoff) -> QByteArray {
        return '{' + QByteArray::number(queryTextLength) + ',' + QByteArray::number(cutoff, 'f', 6) + '}';
    };
    const double cutoff = m_activity.isEmpty() ? 0 : m_cutoff;
    PgResult activity = queries.run(m_activityQuery, activityParam(cutoff).constData(), error);
    ++m_ownTransactions;
    if (!activity)
        return false;
    // What the counters include of our own by the time the server query reads them: every poll before it.
    const quint64 ownBefore = m_ownTransactions;
    PgResult server = queries.run(m_serverQuery, nullptr, error);
    ++m_ownTransactions;
    if (!server)
        return false;
    PostgresSample pg;
    parsers::parsePgServer(toTable(server.get()), pg);
    if (!m_activity.merge(toTable(activity.get()))) {
        // A short row the cache cannot place (it should not happen): read every row whole.
        m_activity.reset();
        activity = queries.run(m_activityQuery, activityParam(0).constData(), error);
        ++m_ownTransactions;
        if (!activity)
            return false;
        m_activity.merge(toTable(activity.get()));
        m_haveSummary = false;
    }
    pg.sessions = m_activity.sessions();
    pg.poolscopeSessions = m_activity.poolscopeSessions();
    if (m_activity.changed() || !m_haveSummary) {
        analysis::summarizeSessions(pg);
        analysis::copySummary(pg, m_summary);
        m_haveSummary = true;
    } else {
        analysis::copySummary(m_summary, pg); // the same sessions: the same counts, groups and blockers
    }
    if (cutoff <= 0)
        m_lastWholeAt = pg.serverNow;
    m_cutoff = pg.serverNow - m_lastWholeAt >= WholeEverySeconds
                   ? 0
                   : pg.serverNow - CutoffMarginSeconds - double(spent.elapsed()) / 1000.0;
    out.tps = m_rates.update(pg, ownBefore);
    // Per-sample deltas; unknown on the first sample, before PG 14, and when a counter went backwards
    // (reset).
    auto delta = [](const std::optional<quint64> &now, std::optional<quint64> &last) {
        std::optional<qint64> d;
        if (now && last && *now >= *last)
            d = qint64(*now - *last);
        last = now;
        return d;
    };
    pg.sessionsKilledDelta = delta(pg.sessionsKilled, m_lastSessionsKilled);
    pg.sessionsFatalDelta = delta(pg.sessionsFatal, m_lastSessionsFatal);
    pg.sessionsAbandonedDelta = delta(pg.sessionsAbandoned, m_lastSessionsAbandoned);
    out.postgres = std::move(pg);
    return true;
}

} // namespace poolscope::db
