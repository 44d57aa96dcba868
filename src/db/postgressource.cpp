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
        // For the literal $1 of the combined poll: the activity statement in pieces around each "$1".
        m_activityPieces.clear();
        for (qsizetype from = 0;;) {
            const qsizetype at = m_activityQuery.indexOf("$1", from);
            m_activityPieces.append(m_activityQuery.mid(from, at < 0 ? -1 : at - from));
            if (at < 0)
                break;
            from = at + 2;
        }
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
    // $1 = {max query text length, cutoff[, the short sessions' key]}: see resources/sql/pg_activity.sql.
    const double cutoff = m_activity.isEmpty() ? 0 : m_cutoff;
    const std::optional<qint64> shortKey = cutoff > 0 ? m_activity.shortKey() : std::nullopt;
    auto activityParam = [queryTextLength, shortKey](double cutoff) -> QByteArray {
        QByteArray p = '{' + QByteArray::number(queryTextLength) + ',' + QByteArray::number(cutoff, 'f', 6);
        if (cutoff > 0 && shortKey)
            p += ',' + QByteArray::number(*shortKey);
        return p + '}';
    };
    // Both statements in one string: one round trip and one transaction per poll. The simple protocol takes
    // no parameters: $1 goes in as a literal (numbers formatted here). The server statement's counters
    // include every poll before this one (its forced flush ends each poll's transaction).
    const QByteArray literal = '\'' + activityParam(cutoff) + '\'';
    QByteArray both = m_activityPieces.value(0);
    for (qsizetype i = 1; i < m_activityPieces.size(); ++i)
        both += literal + m_activityPieces[i];
    both += ";\n" + m_serverQuery;
    const quint64 ownBefore = m_ownTransactions++;
    std::vector<PgResult> results = queries.runAll(both, error);
    if (results.size() != 2) {
        if (!results.empty() && error->message.isEmpty())
            error->message = QStringLiteral("%1 results to the two sampling statements").arg(results.size());
        return false;
    }
    PgResult activity = std::move(results[0]);
    const PgResult server = std::move(results[1]);
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
    out.tps = m_rates.update(pg, ownBefore, !m_activity.changed() && !m_activity.isEmpty());
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
