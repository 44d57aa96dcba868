#include "sampler.h"

#include "core/logging.h"
#include "core/parsers.h"

#include <QDateTime>
#include <QFile>
#include <algorithm>

static void initSqlResources()
{
    Q_INIT_RESOURCE(sql);
}

namespace poolscope::db {

namespace {

QByteArray loadSql(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

} // namespace

Sampler::Sampler(const QString &conninfo, Options options)
    : m_spec(parseConnInfo(conninfo)), m_options(options), m_target(describe(m_spec))
{
    initSqlResources();
    m_activitySql = loadSql(QStringLiteral(":/sql/pg_activity.sql"));
    m_serverSql = loadSql(QStringLiteral(":/sql/pg_server.sql"));
}

Sampler::~Sampler() = default;

void Sampler::disconnect()
{
    {
        std::lock_guard lock(m_cancelMutex);
        m_cancel.reset();
    }
    m_conn.reset();
    m_tps.reset();
    m_ownTps.reset();
}

void Sampler::requestCancel()
{
    std::lock_guard lock(m_cancelMutex);
    if (!m_cancel)
        return;
    char err[256];
    PQcancel(m_cancel.get(), err, sizeof err);
}

void Sampler::fail(TargetSnapshot &out, const DbError &error)
{
    out.ok = false;
    out.error = error;
    out.postgres.reset();
    out.bouncer.reset();
}

bool Sampler::ensureConnected(TargetSnapshot &out)
{
    if (m_conn && PQstatus(m_conn.get()) == CONNECTION_OK)
        return true;
    disconnect();
    DbError error;
    ConnectOptions co;
    co.connectTimeoutS = m_options.connectTimeoutS;
    PgConn conn = connect(m_spec, co, &error);
    if (!conn) {
        fail(out, error);
        return false;
    }
    m_target = describe(conn.get());
    out.target = m_target;
    m_serverVersion = QString::fromUtf8(PQparameterStatus(conn.get(), "server_version"));
    m_kind = parsers::isBouncerVersion(m_serverVersion) ? TargetKind::PgBouncer : TargetKind::Postgres;
    if (m_kind == TargetKind::Postgres) {
        // Simple protocol, and only on a direct server: a pooler console would reject SET.
        DbError setError;
        const QByteArray set = "SET statement_timeout = " + QByteArray::number(m_options.statementTimeoutMs);
        if (!exec(conn.get(), set, &setError)) {
            fail(out, setError);
            return false;
        }
        ++m_ownTransactions;
    } else if (QByteArray(PQdb(conn.get())) != "pgbouncer") {
        fail(out,
             DbError{ErrorKind::Unsupported,
                     {},
                     QStringLiteral("connected to PgBouncer but not to its console: use dbname=pgbouncer")});
        return false;
    }
    {
        std::lock_guard lock(m_cancelMutex);
        m_cancel.reset(PQgetCancel(conn.get()));
    }
    m_conn = std::move(conn);
    logging::get("sampler")->info("connected to {} ({} {})", m_target.toStdString(),
                                  targetKindName(m_kind).toStdString(), m_serverVersion.toStdString());
    return true;
}

TargetSnapshot Sampler::sample()
{
    TargetSnapshot out;
    out.target = m_target;
    out.sampledAtMs = QDateTime::currentMSecsSinceEpoch();
    if (!ensureConnected(out)) {
        out.kind = m_kind;
        return out;
    }
    out.kind = m_kind;
    out.serverVersion = m_serverVersion;
    const bool ok = m_kind == TargetKind::PgBouncer ? sampleBouncer(out) : samplePostgres(out);
    out.ok = ok;
    if (!ok && (!m_conn || PQstatus(m_conn.get()) != CONNECTION_OK))
        disconnect();
    return out;
}

bool Sampler::samplePostgres(TargetSnapshot &out)
{
    PGconn *c = m_conn.get();
    const QByteArray len = QByteArray::number(m_options.queryTextLength);
    const char *params[] = {len.constData()};
    PgResult activity(PQexecParams(c, m_activitySql.constData(), 1, nullptr, params, nullptr, nullptr, 0));
    ++m_ownTransactions;
    if (!activity || PQresultStatus(activity.get()) != PGRES_TUPLES_OK) {
        fail(out, errorFromResult(activity.get(), c));
        return false;
    }
    DbError error;
    PgResult server = exec(c, m_serverSql, &error);
    ++m_ownTransactions;
    if (!server) {
        fail(out, error);
        return false;
    }
    PostgresSample pg;
    parsers::parsePgServer(toTable(server.get()), pg);
    pg.sessions = parsers::parsePgActivity(toTable(activity.get()));
    pg.counts = parsers::countStates(pg.sessions);
    if (pg.xactCommit && pg.xactRollback) {
        const auto all = m_tps.update(pg.serverNow, *pg.xactCommit + *pg.xactRollback);
        const auto own = m_ownTps.update(pg.serverNow, m_ownTransactions);
        if (all)
            out.tps = std::max(0.0, *all - own.value_or(0.0));
    }
    out.postgres = std::move(pg);
    return true;
}

bool Sampler::sampleBouncer(TargetSnapshot &out)
{
    PGconn *c = m_conn.get();
    DbError error;
    // One command per query string, simple protocol: the console accepts nothing else.
    PgResult pools = exec(c, "SHOW POOLS", &error);
    if (!pools) {
        fail(out, error);
        return false;
    }
    PgResult databases = exec(c, "SHOW DATABASES", &error);
    if (!databases) {
        fail(out, error);
        return false;
    }
    PgResult totals = exec(c, "SHOW STATS_TOTALS", &error);
    if (!totals) {
        fail(out, error);
        return false;
    }
    BouncerSample b;
    b.pools = parsers::parseShowPools(toTable(pools.get()));
    b.databases = parsers::parseShowDatabases(toTable(databases.get()));
    b.totals = parsers::parseShowStatsTotals(toTable(totals.get()));
    parsers::joinPoolSizes(b.pools, b.databases);
    quint64 xacts = 0;
    bool haveXacts = false;
    for (const auto &t : b.totals) {
        if (t.xactCount) {
            xacts += *t.xactCount;
            haveXacts = true;
        }
    }
    if (haveXacts)
        out.tps = m_tps.update(double(out.sampledAtMs) / 1000.0, xacts);
    out.bouncer = std::move(b);
    return true;
}

} // namespace poolscope::db
