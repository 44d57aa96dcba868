#include "sampler.h"

#include "core/bouncerparsers.h"
#include "core/logging.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <algorithm>

namespace poolscope::db {

QString outcomeName(Sampler::Outcome outcome)
{
    switch (outcome) {
    case Sampler::Outcome::Ok:
        return QStringLiteral("ok");
    case Sampler::Outcome::ConnectFailed:
        return QStringLiteral("connect failed");
    case Sampler::Outcome::ConnectionLost:
        return QStringLiteral("connection lost");
    case Sampler::Outcome::QueryFailed:
        return QStringLiteral("query failed");
    case Sampler::Outcome::Cancelled:
        return QStringLiteral("cancelled");
    case Sampler::Outcome::Abandoned:
        return QStringLiteral("abandoned");
    case Sampler::Outcome::Interrupted:
        break;
    }
    return QStringLiteral("interrupted");
}

Sampler::Sampler(const QString &conninfo, Options options)
    : m_spec(parseConnInfo(conninfo)), m_options(options), m_target(describe(m_spec))
{
    m_queries.setTarget(m_target);
}

Sampler::~Sampler()
{
    disconnect();
}

void Sampler::setDeadlineMs(int ms)
{
    m_options.deadlineMs = std::max(100, ms);
}

void Sampler::setStatementTimeoutMs(int ms)
{
    m_options.statementTimeoutMs = std::max(0, ms); // 0: the server's default (none)
}

void Sampler::setCancelGraceMs(int ms)
{
    m_options.cancelGraceMs = std::max(100, ms);
}

bool Sampler::isConnected() const
{
    return m_conn.isConnected();
}

void Sampler::disconnect()
{
    m_conn.drop();
    m_postgres.reset();
    m_bouncer.reset();
    m_pgpool.reset();
}

void Sampler::requestCancel()
{
    m_conn.cancel();
}

void Sampler::interrupt()
{
    m_interrupt.trigger();
}

void Sampler::fail(TargetSnapshot &out, const DbError &error)
{
    out.ok = false;
    out.error = error;
    out.postgres.reset();
    out.bouncer.reset();
    out.pgpool.reset();
}

void Sampler::queryFailed(TargetSnapshot &out, const DbError &error)
{
    fail(out, error);
    if (m_interrupt.isTriggered())
        m_outcome = Outcome::Interrupted;
    else if (m_queries.abandoned())
        m_outcome = Outcome::Abandoned;
    else if (!isConnected() || m_queries.closing())
        m_outcome = Outcome::ConnectionLost;
    else if (error.sqlState == QLatin1String("57014"))
        m_outcome = Outcome::Cancelled; // ours, or statement_timeout: the server is too slow either way
    else
        m_outcome = Outcome::QueryFailed;
}

bool Sampler::applyStatementTimeout(TargetSnapshot &out)
{
    if (m_kind != TargetKind::Postgres && m_kind != TargetKind::Pgpool)
        return true;
    DbError error;
    if (m_postgres.applyStatementTimeout(m_queries, m_options.statementTimeoutMs, &error))
        return true;
    queryFailed(out, error);
    return false;
}

bool Sampler::ensureConnected(TargetSnapshot &out)
{
    if (isConnected())
        return true;
    disconnect();
    if (!m_spec.isValid()) {
        fail(out, DbError{ErrorKind::BadConnInfo, {}, m_spec.parseError});
        m_outcome = Outcome::ConnectFailed;
        return false;
    }
    ++m_connectAttempts;
    ConnectOptions co;
    co.connectTimeoutS = m_options.connectTimeoutS;
    co.tcpUserTimeoutMs = m_options.tcpUserTimeoutMs;
    DbError error;
    if (!m_conn.connect(m_spec, co, &error)) {
        fail(out, error);
        m_outcome = m_interrupt.isTriggered() ? Outcome::Interrupted : Outcome::ConnectFailed;
        return false;
    }
    m_queries.restartDeadline(); // queries start now
    PGconn *c = m_conn.handle();
    m_target = describe(c);
    m_queries.setTarget(m_target);
    out.target = m_target;
    m_serverVersion = QString::fromUtf8(PQparameterStatus(c, "server_version"));
    TargetKind detected =
        parsers::isBouncerVersion(m_serverVersion) ? TargetKind::PgBouncer : TargetKind::Postgres;
    const TargetKind configured = m_options.kindOverride;
    if (detected == TargetKind::PgBouncer && (configured == TargetKind::Unknown || configured == detected) &&
        QByteArray(PQdb(c)) != "pgbouncer") {
        disconnect();
        fail(out,
             DbError{ErrorKind::Unsupported,
                     {},
                     QStringLiteral("connected to PgBouncer but not to its console: use dbname=pgbouncer")});
        m_outcome = Outcome::ConnectFailed;
        return false;
    }
    // Pgpool-II announces itself as the PostgreSQL behind it; only its own SHOW POOL_VERSION tells. Asked
    // once per connection, and only when the kind is to be detected or is configured as Pgpool-II.
    if (detected == TargetKind::Postgres &&
        (configured == TargetKind::Unknown || configured == TargetKind::Pgpool)) {
        bool isPgpool = false;
        if (!m_pgpool.probe(m_queries, m_target, &isPgpool, &error)) {
            fail(out, error);
            m_outcome = Outcome::ConnectFailed;
            return false;
        }
        if (isPgpool)
            detected = TargetKind::Pgpool;
    }
    m_kind = configured == TargetKind::Unknown ? detected : configured;
    if (m_kind != detected)
        logging::get("sampler")->warn(
            "{} looks like {} (server_version {}) but is sampled as {}, as configured",
            m_target.toStdString(), targetKindName(detected).toStdString(), m_serverVersion.toStdString(),
            targetKindName(m_kind).toStdString());
    if (!applyStatementTimeout(out)) {
        if (m_outcome == Outcome::QueryFailed)
            m_outcome = Outcome::ConnectFailed; // e.g. a pooler in front that refuses SET
        return false;
    }
    logging::get("sampler")->info("connected to {} ({} {})", m_target.toStdString(),
                                  targetKindName(m_kind).toStdString(), m_serverVersion.toStdString());
    return true;
}

TargetSnapshot Sampler::sample()
{
    QElapsedTimer spent;
    spent.start();
    m_outcome = Outcome::Ok;
    m_queries.begin(m_options.deadlineMs, m_options.cancelGraceMs);

    TargetSnapshot out;
    out.target = m_target;
    out.sampledAtMs = QDateTime::currentMSecsSinceEpoch();
    bool ok = ensureConnected(out) && applyStatementTimeout(out);
    out.kind = m_kind;
    if (ok) {
        out.serverVersion = m_serverVersion;
        DbError error;
        switch (m_kind) {
        case TargetKind::PgBouncer:
            ok = m_bouncer.sample(m_queries, m_target, m_serverVersion, m_options.connectionsIntervalMs, out,
                                  &error);
            break;
        case TargetKind::Pgpool:
            // PostgreSQL through Pgpool-II, exactly as directly; then Pgpool-II's own view.
            ok = m_postgres.sample(m_queries, m_options.queryTextLength, out, &error) &&
                 m_pgpool.sample(m_queries, out, &error);
            break;
        case TargetKind::Postgres:
        case TargetKind::Unknown:
            ok = m_postgres.sample(m_queries, m_options.queryTextLength, out, &error);
            break;
        }
        if (!ok)
            queryFailed(out, error);
    }
    out.ok = ok;
    if (m_queries.cancelSent() && !m_queries.abandoned() && !m_queries.closing() && isConnected()) {
        // A cancel that reaches the server after this query ended could hit the next one: if it cannot be
        // delivered in time, start the next sample on a fresh connection.
        if (!m_conn.settleCancel(m_options.cancelGraceMs))
            disconnect();
    }
    if (!ok) {
        if (m_outcome == Outcome::Ok)
            m_outcome = isConnected() ? Outcome::QueryFailed : Outcome::ConnectionLost;
        if (m_outcome == Outcome::ConnectionLost || m_outcome == Outcome::Abandoned ||
            m_outcome == Outcome::Interrupted || m_outcome == Outcome::ConnectFailed || !isConnected())
            disconnect();
    }
    m_lastDurationMs = spent.elapsed();
    return out;
}

} // namespace poolscope::db
