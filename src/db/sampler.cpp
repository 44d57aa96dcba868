#include "sampler.h"

#include "core/bouncerparsers.h"
#include "core/logging.h"
#include "core/pgpoolparsers.h"
#include "core/postgresparsers.h"
#include "core/sessionanalysis.h"
#include "db/sqlresource.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <algorithm>
#include <cerrno>
#include <climits>
#include <poll.h>
#include <sys/eventfd.h>
#include <system_error>
#include <thread>
#include <unistd.h>

namespace poolscope::db {

namespace {

QString seconds(int ms)
{
    return ms % 1000 == 0 ? QString::number(ms / 1000) : QString::number(ms / 1000.0, 'f', 1);
}

// Option values libpq rejects before touching the network: the user has to fix the string, so retrying
// would only repeat the message.
bool isBadValueMessage(const QString &message)
{
    return message.startsWith(QLatin1String("invalid ")) ||
           message.contains(QLatin1String("could not match"));
}

// The first row's cell of a one-value result (SHOW VERSION, SHOW POOL_VERSION); empty when there is none.
QString firstCell(const ResultTable &table, int column)
{
    if (column < 0 || column >= table.columns.size() || table.rowCount() == 0)
        return {};
    return RowReader(table, 0).string(column);
}

} // namespace

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
    m_activitySql = loadSql("pg_activity.sql");
    m_serverSql = loadSql("pg_server.sql");
    m_wakeFd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

Sampler::~Sampler()
{
    disconnect();
    if (m_wakeFd >= 0)
        ::close(m_wakeFd);
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
    return m_conn && PQstatus(m_conn.get()) == CONNECTION_OK;
}

void Sampler::disconnect()
{
    {
        std::lock_guard lock(m_cancelMutex);
        m_cancel.reset();
    }
    // Non-blocking connection: PQfinish queues the Terminate message and closes, it never waits.
    m_conn.reset();
    m_tps.reset();
    m_ownTps.reset();
    resetConnectionState();
}

void Sampler::resetConnectionState()
{
    m_bouncer = BouncerState{};
    m_pgpool = PgpoolState{};
}

void Sampler::requestCancel()
{
    if (!m_queryActive.load() || m_cancelSent.exchange(true))
        return; // nothing running, or this query's cancel already went out
    std::shared_ptr<PGcancel> handle;
    {
        std::lock_guard lock(m_cancelMutex);
        handle = m_cancel;
    }
    if (!handle || m_cancelRunning->exchange(true))
        return; // the previous cancel is still waiting for a server that does not answer
    auto running = m_cancelRunning;
    try {
        // Detached: PQcancel waits for the server to close the cancel connection, which a stopped server
        // never does. The thread owns everything it touches.
        std::thread([handle, running] {
            char err[256];
            PQcancel(handle.get(), err, sizeof err);
            running->store(false);
        }).detach();
    } catch (const std::system_error &) {
        running->store(false);
    }
}

void Sampler::interrupt()
{
    m_interrupted = true;
    if (m_wakeFd >= 0) {
        const quint64 one = 1;
        [[maybe_unused]] auto r = ::write(m_wakeFd, &one, sizeof one);
    }
}

Sampler::Wait Sampler::waitFor(int fd, short events, const QDeadlineTimer &deadline, short *revents)
{
    while (true) {
        if (m_interrupted)
            return Wait::Interrupted;
        const qint64 left = deadline.remainingTime();
        const int timeout = left < 0 ? -1 : int(std::min<qint64>(left, INT_MAX));
        pollfd fds[2] = {{fd, events, 0}, {m_wakeFd, POLLIN, 0}};
        const int r = ::poll(fds, 2, timeout);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return Wait::Error;
        }
        if (m_interrupted || fds[1].revents)
            return Wait::Interrupted;
        if (r == 0)
            return Wait::Timeout;
        if (revents)
            *revents = fds[0].revents;
        // POLLERR/POLLHUP count as ready: libpq reads the error and reports it.
        return Wait::Ready;
    }
}

Sampler::Wait Sampler::waitQuery(PGconn *c, short events, short *revents)
{
    while (true) {
        const Wait w = waitFor(PQsocket(c), events, m_deadline, revents);
        if (w != Wait::Timeout)
            return w;
        if (m_graceStarted) {
            m_abandoned = true;
            logging::get("sampler")->warn(
                "{}: no reply for {} s and none to the cancel within {} s; dropping "
                "the connection",
                m_target.toStdString(), seconds(m_options.deadlineMs).toStdString(),
                seconds(m_options.cancelGraceMs).toStdString());
            return Wait::Timeout;
        }
        logging::get("sampler")->info("{}: no reply for {} s, cancelling the query", m_target.toStdString(),
                                      seconds(m_options.deadlineMs).toStdString());
        m_graceStarted = true;
        requestCancel();
        m_deadline.setRemainingTime(m_options.cancelGraceMs);
    }
}

QString Sampler::noReplyText() const
{
    return QStringLiteral("no reply for %1 s; query cancelled").arg(seconds(m_options.deadlineMs));
}

PgConn Sampler::connectAsync(DbError *error)
{
    ConnectOptions co;
    co.connectTimeoutS = m_options.connectTimeoutS;
    co.tcpUserTimeoutMs = m_options.tcpUserTimeoutMs;
    const ConnSpec spec = withMonitoringDefaults(m_spec, co);
    // PQconnectPoll ignores connect_timeout: the application enforces it, here for the whole attempt.
    int timeoutS = spec.value("connect_timeout").toInt();
    if (timeoutS <= 0)
        timeoutS = std::max(1, m_options.connectTimeoutS);
    const ConnSpec::Arrays arrays = spec.arrays();
    // Host names are resolved synchronously in here; use hostaddr= to avoid a slow resolver.
    PgConn conn(PQconnectStartParams(arrays.keys.data(), arrays.values.data(), 0));
    if (!conn) {
        *error = DbError{ErrorKind::Connect, {}, QStringLiteral("out of memory")};
        return nullptr;
    }
    if (PQstatus(conn.get()) == CONNECTION_BAD) {
        *error = errorFromConnection(conn.get());
        if (error->kind == ErrorKind::Connect && isBadValueMessage(error->message))
            error->kind = ErrorKind::BadConnInfo;
        return nullptr;
    }
    QDeadlineTimer deadline(qint64(timeoutS) * 1000);
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    while (st != PGRES_POLLING_OK) {
        if (st == PGRES_POLLING_FAILED) {
            *error = errorFromConnection(conn.get());
            return nullptr;
        }
        // Re-read every time: libpq may switch sockets (next host, SSL/GSS fallback).
        const int fd = PQsocket(conn.get());
        if (fd < 0) {
            *error = errorFromConnection(conn.get());
            return nullptr;
        }
        const Wait w = waitFor(fd, st == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline);
        if (w == Wait::Timeout) {
            *error = DbError{
                ErrorKind::Connect,
                {},
                QStringLiteral("timeout expired: no answer within %1 s (connect_timeout)").arg(timeoutS)};
            return nullptr;
        }
        if (w != Wait::Ready) {
            *error = DbError{ErrorKind::Connect,
                             {},
                             w == Wait::Interrupted ? QStringLiteral("interrupted")
                                                    : QStringLiteral("poll() failed while connecting")};
            return nullptr;
        }
        st = PQconnectPoll(conn.get());
    }
    return conn;
}

PgResult Sampler::run(const QByteArray &sql, const char *param, DbError *error)
{
    PGconn *c = m_conn.get();
    if (!c) {
        *error = DbError{ErrorKind::Connect, {}, QStringLiteral("not connected")};
        return nullptr;
    }
    struct Active
    {
        std::atomic<bool> &flag;
        explicit Active(std::atomic<bool> &f) : flag(f) { flag = true; }
        ~Active() { flag = false; }
    } active(m_queryActive);

    const int sent = param ? PQsendQueryParams(c, sql.constData(), 1, nullptr, &param, nullptr, nullptr, 0)
                           : PQsendQuery(c, sql.constData());
    if (!sent) {
        *error = errorFromResult(nullptr, c);
        return nullptr;
    }
    auto waitFailed = [&](Wait w) {
        if (w == Wait::Timeout)
            *error = DbError{ErrorKind::Connect, QStringLiteral("57014"),
                             noReplyText() + QStringLiteral(", no answer to the cancel within %1 s: "
                                                            "connection dropped")
                                                 .arg(seconds(m_options.cancelGraceMs))};
        else if (w == Wait::Interrupted)
            *error = DbError{ErrorKind::Query, {}, QStringLiteral("interrupted")};
        else
            *error = DbError{ErrorKind::Connect, {}, QStringLiteral("poll() failed")};
    };
    // Non-blocking: the query may not fit the socket buffer at once.
    while (true) {
        const int f = PQflush(c);
        if (f == 0)
            break;
        if (f < 0) {
            *error = errorFromResult(nullptr, c);
            return nullptr;
        }
        short revents = 0;
        const Wait w = waitQuery(c, POLLIN | POLLOUT, &revents);
        if (w != Wait::Ready) {
            waitFailed(w);
            return nullptr;
        }
        if ((revents & POLLIN) && !PQconsumeInput(c)) {
            *error = errorFromResult(nullptr, c);
            return nullptr;
        }
    }
    // Drain every result to NULL, so the connection is ready for the next query even after an error.
    PgResult last;
    PgResult firstError;
    while (true) {
        while (PQisBusy(c)) {
            const Wait w = waitQuery(c, POLLIN);
            if (w != Wait::Ready) {
                waitFailed(w);
                return nullptr;
            }
            if (!PQconsumeInput(c)) {
                *error = errorFromResult(firstError.get(), c);
                return nullptr;
            }
        }
        PGresult *r = PQgetResult(c);
        if (!r)
            break;
        const auto status = PQresultStatus(r);
        if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)
            last.reset(r);
        else if (!firstError)
            firstError.reset(r);
        else
            PQclear(r);
    }
    if (firstError || !last) {
        *error = errorFromResult(firstError.get(), c);
        m_lastErrorFatal = false;
        // FATAL (e.g. 57P01 "terminating connection due to administrator command" on a restart): the server
        // closes the connection right after, even if libpq has not read the end of it yet.
        const QByteArray severity =
            firstError ? QByteArray(PQresultErrorField(firstError.get(), PG_DIAG_SEVERITY_NONLOCALIZED))
                       : QByteArray();
        if (severity == "FATAL" || severity == "PANIC" || error->sqlState.startsWith(QLatin1String("08")) ||
            error->sqlState.startsWith(QLatin1String("57P")))
            m_doomed = true;
        m_lastErrorFatal =
            !firstError || severity == "FATAL" || severity == "PANIC" || PQstatus(c) != CONNECTION_OK;
        if (m_cancelSent && error->sqlState == QLatin1String("57014"))
            error->message = noReplyText();
        return nullptr;
    }
    return last;
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
    if (m_interrupted)
        m_outcome = Outcome::Interrupted;
    else if (m_abandoned)
        m_outcome = Outcome::Abandoned;
    else if (!isConnected() || m_doomed)
        m_outcome = Outcome::ConnectionLost;
    else if (error.sqlState == QLatin1String("57014"))
        m_outcome = Outcome::Cancelled; // ours, or statement_timeout: the server is too slow either way
    else
        m_outcome = Outcome::QueryFailed;
}

bool Sampler::applyStatementTimeout(TargetSnapshot &out)
{
    // Pgpool-II forwards SET to its backends.
    if ((m_kind != TargetKind::Postgres && m_kind != TargetKind::Pgpool) ||
        m_appliedStatementTimeoutMs == m_options.statementTimeoutMs)
        return true;
    // Simple protocol, and only on a direct server: a pooler console would reject SET.
    DbError error;
    const QByteArray set = "SET statement_timeout = " + QByteArray::number(m_options.statementTimeoutMs);
    const bool ok = bool(run(set, nullptr, &error));
    ++m_ownTransactions;
    if (!ok) {
        queryFailed(out, error);
        return false;
    }
    m_appliedStatementTimeoutMs = m_options.statementTimeoutMs;
    return true;
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
    DbError error;
    PgConn conn = connectAsync(&error);
    if (!conn) {
        fail(out, error);
        m_outcome = m_interrupted ? Outcome::Interrupted : Outcome::ConnectFailed;
        return false;
    }
    m_deadline.setRemainingTime(m_options.deadlineMs); // queries start now
    m_target = describe(conn.get());
    out.target = m_target;
    m_serverVersion = QString::fromUtf8(PQparameterStatus(conn.get(), "server_version"));
    TargetKind detected =
        parsers::isBouncerVersion(m_serverVersion) ? TargetKind::PgBouncer : TargetKind::Postgres;
    const TargetKind configured = m_options.kindOverride;
    if (detected == TargetKind::PgBouncer && (configured == TargetKind::Unknown || configured == detected) &&
        QByteArray(PQdb(conn.get())) != "pgbouncer") {
        fail(out,
             DbError{ErrorKind::Unsupported,
                     {},
                     QStringLiteral("connected to PgBouncer but not to its console: use dbname=pgbouncer")});
        m_outcome = Outcome::ConnectFailed;
        return false;
    }
    PQsetnonblocking(conn.get(), 1);
    {
        std::lock_guard lock(m_cancelMutex);
        m_cancel.reset(PQgetCancel(conn.get()), PgCancelDeleter());
    }
    m_conn = std::move(conn);
    resetConnectionState();
    // Pgpool-II announces itself as the PostgreSQL behind it; only its own SHOW POOL_VERSION tells. Asked
    // once per connection, and only when the kind is to be detected or is configured as Pgpool-II.
    if (detected == TargetKind::Postgres &&
        (configured == TargetKind::Unknown || configured == TargetKind::Pgpool)) {
        bool isPgpool = false;
        if (!probePgpool(out, &isPgpool)) {
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
    m_appliedStatementTimeoutMs = -1;
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
    m_abandoned = false;
    m_doomed = false;
    m_graceStarted = false;
    m_cancelSent = false;
    m_deadline.setRemainingTime(m_options.deadlineMs);

    TargetSnapshot out;
    out.target = m_target;
    out.sampledAtMs = QDateTime::currentMSecsSinceEpoch();
    bool ok = ensureConnected(out) && applyStatementTimeout(out);
    out.kind = m_kind;
    if (ok) {
        out.serverVersion = m_serverVersion;
        ok = m_kind == TargetKind::PgBouncer ? sampleBouncer(out)
             : m_kind == TargetKind::Pgpool  ? samplePgpool(out)
                                             : samplePostgres(out);
    }
    out.ok = ok;
    if (m_cancelSent && !m_abandoned && !m_doomed && isConnected()) {
        // A cancel that reaches the server after this query ended could hit the next one. PostgreSQL
        // ignores a cancel that arrives between queries, so wait (bounded) until ours has been delivered;
        // if it cannot be, start the next sample on a fresh connection.
        QDeadlineTimer settle(m_options.cancelGraceMs);
        while (m_cancelRunning->load() && !settle.hasExpired() && !m_interrupted)
            waitFor(-1, 0, QDeadlineTimer(10));
        if (m_cancelRunning->load())
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

bool Sampler::samplePostgres(TargetSnapshot &out)
{
    // Columns by server version (leader_pid 13+, query_id and sessions_* 14+, reserved_connections 16+).
    const int version = m_conn ? PQserverVersion(m_conn.get()) : 0;
    if (version != m_sqlVersion) {
        m_activityQuery = parsers::sqlForVersion(m_activitySql, version);
        m_serverQuery = parsers::sqlForVersion(m_serverSql, version);
        m_sqlVersion = version;
    }
    const int backendPid = m_conn ? PQbackendPID(m_conn.get()) : 0;
    if (backendPid != m_statsBackendPid) {
        m_statsBackendPid = backendPid;
        m_commitRate.reset();
        m_rollbackRate.reset();
        m_lastSessionsKilled.reset();
        m_lastSessionsFatal.reset();
        m_lastSessionsAbandoned.reset();
    }
    const QByteArray len = QByteArray::number(m_options.queryTextLength);
    DbError error;
    PgResult activity = run(m_activityQuery, len.constData(), &error);
    ++m_ownTransactions;
    if (!activity) {
        queryFailed(out, error);
        return false;
    }
    PgResult server = run(m_serverQuery, nullptr, &error);
    ++m_ownTransactions;
    if (!server) {
        queryFailed(out, error);
        return false;
    }
    PostgresSample pg;
    parsers::parsePgServer(toTable(server.get()), pg);
    pg.sessions = parsers::parsePgActivity(toTable(activity.get()), &pg.poolscopeSessions);
    analysis::summarizeSessions(pg);
    // Our own polls are commits: subtracted from TPS and commits (as a rate), never from rollbacks.
    const auto own = m_ownTps.update(pg.serverNow, m_ownTransactions);
    if (pg.xactCommit && pg.xactRollback) {
        const auto all = m_tps.update(pg.serverNow, *pg.xactCommit + *pg.xactRollback);
        if (all)
            out.tps = std::max(0.0, *all - own.value_or(0.0));
    }
    if (pg.xactCommit) {
        if (const auto commits = m_commitRate.update(pg.serverNow, *pg.xactCommit))
            pg.commitsPerSecond = std::max(0.0, *commits - own.value_or(0.0));
    }
    if (pg.xactRollback)
        pg.rollbacksPerSecond = m_rollbackRate.update(pg.serverNow, *pg.xactRollback);
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

PgResult Sampler::runOptional(const QByteArray &sql, bool *refused, DbError *error)
{
    *refused = false;
    PgResult r = run(sql, nullptr, error);
    if (r)
        return r;
    // Console errors are 08P01 whatever they mean, which run() takes for a dying connection; an ERROR
    // after which the connection still answers is a refusal of this one command.
    if (!m_lastErrorFatal && isConnected() && !m_abandoned && !m_interrupted && !m_cancelSent &&
        error->sqlState != QLatin1String("57014")) {
        m_doomed = false;
        *refused = true;
    }
    return nullptr;
}

bool Sampler::sampleBouncer(TargetSnapshot &out)
{
    auto log = logging::get("sampler");
    BouncerState &st = m_bouncer;
    if (!st.clock.isValid())
        st.clock.start();
    const qint64 now = st.clock.elapsed();
    DbError error;
    // An optional command: refused ones are logged once and not asked again on this connection.
    auto optional = [&](const QByteArray &sql, bool *failed) -> PgResult {
        *failed = false;
        if (st.refused.contains(sql))
            return nullptr;
        bool refused = false;
        PgResult r = runOptional(sql, &refused, &error);
        if (!r) {
            if (refused) {
                st.refused.insert(sql);
                log->info("{}: the console refused {} ({}); not asking again on this connection",
                          m_target.toStdString(), sql.toStdString(), error.message.toStdString());
            } else {
                *failed = true;
            }
        }
        return r;
    };
    bool failed = false;

    // Once per connection and every minute: what the pooler is, and who we are on it.
    const bool infoDue = st.infoAtMs < 0 || now - st.infoAtMs >= 60000;
    if (infoDue) {
        if (PgResult version = optional("SHOW VERSION", &failed)) {
            st.versionText = firstCell(toTable(version.get()), 0);
            st.versionNum = parsers::parseBouncerVersion(st.versionText);
        } else if (failed) {
            queryFailed(out, error);
            return false;
        }
        if (st.versionNum == 0)
            st.versionNum = parsers::parseBouncerVersion(m_serverVersion);
        st.consoleUser = QString::fromUtf8(PQuser(m_conn.get()));
        if (PgResult config = optional("SHOW CONFIG", &failed)) {
            st.config = parsers::parseShowConfig(toTable(config.get()));
            st.access = parsers::consoleAccess(st.config, st.consoleUser);
        } else if (failed) {
            queryFailed(out, error);
            return false;
        }
        st.infoAtMs = now;
    }

    // One command per query string, simple protocol: the console accepts nothing else.
    PgResult pools = run("SHOW POOLS", nullptr, &error);
    if (!pools) {
        queryFailed(out, error);
        return false;
    }
    const ResultTable poolsTable = toTable(pools.get());
    pools.reset();
    if (!st.known) {
        st.flavor = parsers::detectFlavor(st.versionText, poolsTable);
        // PgCat and Odyssey have no SHOW STATS_TOTALS; their SHOW STATS carries the totals.
        st.statsTotals = st.flavor == PoolerFlavor::PgBouncer;
        st.known = true;
        log->info("{}: {} {}", m_target.toStdString(), poolerFlavorName(st.flavor).toStdString(),
                  st.versionText.toStdString());
    }
    PgResult databases = run("SHOW DATABASES", nullptr, &error);
    if (!databases) {
        queryFailed(out, error);
        return false;
    }
    const qint64 totalsAt = st.clock.elapsed(); // rates divide by the time between two reads of the totals
    PgResult totals = run(st.statsTotals ? "SHOW STATS_TOTALS" : "SHOW STATS", nullptr, &error);
    if (!totals) {
        queryFailed(out, error);
        return false;
    }
    BouncerSample b;
    b.flavor = st.flavor;
    b.versionText = st.versionText;
    b.versionNum = st.versionNum;
    b.config = st.config;
    b.access = st.access;
    b.consoleUser = st.consoleUser;
    b.pools = parsers::parseShowPools(poolsTable, st.flavor);
    b.databases = parsers::parseShowDatabases(toTable(databases.get()));
    databases.reset();
    b.totals = st.statsTotals ? parsers::parseShowStatsTotals(toTable(totals.get()))
                              : parsers::parseShowStats(toTable(totals.get()));
    totals.reset();
    if (st.flavor != PoolerFlavor::Odyssey) { // Odyssey has no SHOW USERS
        if (PgResult users = optional("SHOW USERS", &failed))
            b.users = parsers::parseShowUsers(toTable(users.get()));
        else if (failed) {
            queryFailed(out, error);
            return false;
        }
    }
    if (PgResult lists = optional("SHOW LISTS", &failed))
        b.lists = parsers::parseShowLists(toTable(lists.get()));
    else if (failed) {
        queryFailed(out, error);
        return false;
    }
    // SHOW STATE is PgBouncer 1.19+; 1.18 answers "invalid command".
    if (st.flavor == PoolerFlavor::PgBouncer && st.versionNum >= 11900) {
        if (PgResult state = optional("SHOW STATE", &failed))
            parsers::parseShowState(toTable(state.get()), b);
        else if (failed) {
            queryFailed(out, error);
            return false;
        }
    }
    parsers::joinPoolSizes(b.pools, b.databases, b.users);

    // SHOW CLIENTS then SHOW SERVERS, back to back: the chain joins their pointers, which PgBouncer reuses
    // after a disconnect.
    const bool requested = m_connectionsRequested.exchange(false);
    const bool connectionsDue =
        requested || st.connectionsClock < 0 || now - st.connectionsClock >= m_options.connectionsIntervalMs;
    if (connectionsDue && !st.refused.contains("SHOW CLIENTS") && !st.refused.contains("SHOW SERVERS")) {
        PgResult clients = optional("SHOW CLIENTS", &failed);
        PgResult servers;
        if (clients)
            servers = optional("SHOW SERVERS", &failed);
        if (clients && servers) {
            st.clients = parsers::parseShowConnections(toTable(clients.get()));
            st.servers = parsers::parseShowConnections(toTable(servers.get()));
            st.connectionsAtMs = QDateTime::currentMSecsSinceEpoch();
            st.connectionsClock = now;
            b.connectionsFresh = true;
        } else if (failed) {
            if (requested)
                m_connectionsRequested = true; // still wanted after the reconnect
            queryFailed(out, error);
            return false;
        } else {
            // Refused: no lists at all rather than a stale or half round.
            st.clients.reset();
            st.servers.reset();
        }
    }
    b.clients = st.clients; // implicitly shared: no copy between rounds
    b.servers = st.servers;
    b.connectionsAtMs = st.clients ? st.connectionsAtMs : 0;

    // Rates against the previous sample of this connection (PgBouncer's totals are exact counters).
    if (st.previous)
        parsers::deriveBouncerRates(b, *st.previous, double(totalsAt - st.previousAtMs) / 1000.0);
    BouncerSample previous;
    previous.totals = b.totals;
    st.previous = std::move(previous);
    st.previousAtMs = totalsAt;

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

bool Sampler::probePgpool(TargetSnapshot &out, bool *isPgpool)
{
    *isPgpool = false;
    DbError error;
    bool refused = false;
    // Simple protocol: Pgpool-II intercepts SHOW POOL_* only there. PostgreSQL answers 42704
    // "unrecognized configuration parameter", which is the expected "no".
    PgResult r = runOptional("SHOW POOL_VERSION", &refused, &error);
    if (r) {
        const ResultTable t = toTable(r.get());
        const int col = t.column(u"pool_version");
        if (col >= 0 && t.rowCount() > 0) {
            *isPgpool = true;
            m_pgpool.isPgpool = true;
            m_pgpool.version = firstCell(t, col);
        }
        return true;
    }
    if (refused) {
        if (error.sqlState != QLatin1String("42704"))
            logging::get("sampler")->debug("{}: SHOW POOL_VERSION: {}", m_target.toStdString(),
                                           error.message.toStdString());
        return true;
    }
    fail(out, error);
    return false;
}

bool Sampler::samplePgpool(TargetSnapshot &out)
{
    // PostgreSQL through Pgpool-II, exactly as directly; then Pgpool-II's own view.
    if (!samplePostgres(out))
        return false;
    DbError error;
    auto show = [&](const QByteArray &sql) -> std::optional<ResultTable> {
        // run() reads every result until NULL and keeps the last: Pgpool-II 4.3 sends an empty result
        // before the real one for some of these.
        PgResult r = run(sql, nullptr, &error);
        if (!r)
            return std::nullopt;
        return toTable(r.get());
    };
    PgpoolSample p;
    if (!m_pgpool.settingsRead) {
        if (m_pgpool.version.isEmpty()) {
            if (auto t = show("SHOW POOL_VERSION"))
                m_pgpool.version = firstCell(*t, 0);
            else {
                queryFailed(out, error);
                return false;
            }
        }
        auto setting = [&](const QByteArray &name, std::optional<qint64> *into) {
            auto t = show("PGPOOL SHOW " + name);
            if (!t)
                return false;
            if (t->rowCount() > 0)
                *into = RowReader(*t, 0).integer(t->column(QString::fromLatin1(name)));
            return true;
        };
        if (!setting("num_init_children", &m_pgpool.numInitChildren) ||
            !setting("max_pool", &m_pgpool.maxPool)) {
            queryFailed(out, error);
            return false;
        }
        m_pgpool.settingsRead = true;
    }
    const auto nodes = show("SHOW POOL_NODES");
    if (!nodes) {
        queryFailed(out, error);
        return false;
    }
    const auto processes = show("SHOW POOL_PROCESSES");
    if (!processes) {
        queryFailed(out, error);
        return false;
    }
    const auto pools = show("SHOW POOL_POOLS");
    if (!pools) {
        queryFailed(out, error);
        return false;
    }
    p.version = m_pgpool.version;
    p.numInitChildren = m_pgpool.numInitChildren;
    p.maxPool = m_pgpool.maxPool;
    p.nodes = parsers::parsePoolNodes(*nodes);
    p.processes = parsers::parsePoolProcesses(*processes);
    p.pools = parsers::parsePoolPools(*pools);
    // Through Pgpool-II 4.3 PQbackendPID() is the PostgreSQL backend's pid (the child forwards the
    // backend's BackendKeyData), so our own child is the one holding that backend.
    const qint64 ownBackend = PQbackendPID(m_conn.get());
    for (const PgpoolPoolSlot &slot : std::as_const(p.pools)) {
        if (ownBackend > 0 && slot.backendPid == ownBackend) {
            p.ownChildPid = slot.pid;
            break;
        }
    }
    out.pgpool = std::move(p);
    return true;
}

} // namespace poolscope::db
