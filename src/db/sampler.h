#pragma once

#include "core/targetsnapshot.h"
#include "core/timeseries.h"
#include "db/pg.h"
#include "db/pollreport.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QSet>
#include <QString>
#include <atomic>
#include <memory>
#include <mutex>

namespace poolscope::db {

/// Takes one sample of one target per call: connects on first use (and again after a failure), detects the
/// kind, and runs the PostgreSQL queries or the PgBouncer SHOW commands (simple protocol only there).
///
/// Never blocks without a bound. Everything after DNS resolution is asynchronous libpq driven by poll() on
/// PQsocket() (PQconnectStartParams/PQconnectPoll, then PQsetnonblocking + PQsendQuery/PQflush/
/// PQconsumeInput/PQgetResult), so the worker can give up on a hung server by itself:
///  - connecting is bounded by connect_timeout (which PQconnectPoll ignores: we enforce it);
///  - the queries of one sample are bounded by `deadlineMs`. Past it the query is cancelled (PQcancel) and
///    the sample fails with "no reply for N s; query cancelled";
///  - if the cancel brings no answer within `cancelGraceMs` (a SIGSTOPped server answers neither), the
///    connection is dropped (PQfinish does not block on a non-blocking connection) and the next sample
///    reconnects.
/// PQcancel itself is blocking (it opens a new connection and waits for the server to close it), so it runs
/// on a short-lived detached thread that owns its PGcancel; at most one is outstanding per sampler. A stopped
/// server keeps that thread waiting until it resumes, never the caller.
/// `statement_timeout` is set on PostgreSQL connections, below the deadline, so a merely slow server cancels
/// the query itself. TCP keepalives and tcp_user_timeout bound a peer that vanished (withMonitoringDefaults).
///
/// Thread contract: sample() and disconnect() run on one thread (the target's worker); requestCancel(),
/// interrupt() and connectAttempts() may be called from any thread and never block.
class Sampler
{
public:
    struct Options
    {
        int queryTextLength = 1024;
        int statementTimeoutMs = 2000;
        int connectTimeoutS = 5;  // when the connection string sets none
        int deadlineMs = 3000;    // queries of one sample; then cancel
        int cancelGraceMs = 1500; // after the cancel; then drop the connection
        int tcpUserTimeoutMs = 15000;
        // Unknown: detect from server_version. Otherwise sample as this kind whatever the server says (a
        // pooler console that does not announce itself as PgBouncer, say).
        TargetKind kindOverride = TargetKind::Unknown;
        // PgBouncer-shaped consoles: SHOW CLIENTS / SHOW SERVERS cost O(connections), so they are taken on
        // the first sample of a connection, then at most this often (and at once after
        // requestConnections()). Between rounds a sample carries the last round (connectionsFresh false).
        int connectionsIntervalMs = 5000;
    };

    using Outcome = PollOutcome;

    explicit Sampler(const QString &conninfo, Options options);
    explicit Sampler(const QString &conninfo) : Sampler(conninfo, Options{}) {}
    ~Sampler();
    Sampler(const Sampler &) = delete;
    Sampler &operator=(const Sampler &) = delete;

    TargetSnapshot sample();
    void disconnect();
    /// Any thread, non-blocking: sends a cancel request for the query in flight (if connected).
    void requestCancel();
    /// Any thread, non-blocking: the wait in progress and every later one return at once (shutdown). Sticky.
    void interrupt();
    /// Any thread, non-blocking: the next sample of a PgBouncer-shaped console takes SHOW CLIENTS / SHOW
    /// SERVERS whatever the interval (the user asked for fresh connection lists).
    void requestConnections() { m_connectionsRequested = true; }

    /// Worker thread; takes effect at the next sample().
    void setDeadlineMs(int ms);
    void setStatementTimeoutMs(int ms);
    void setCancelGraceMs(int ms);
    const Options &options() const { return m_options; }

    QString target() const { return m_target; }
    TargetKind kind() const { return m_kind; }
    Outcome lastOutcome() const { return m_outcome; }
    bool isConnected() const;
    qint64 lastDurationMs() const { return m_lastDurationMs; }
    /// Any thread: connection attempts made so far (tests use it to prove there is no retry storm).
    int connectAttempts() const { return m_connectAttempts.load(); }

private:
    enum class Wait
    {
        Ready,
        Timeout,
        Interrupted,
        Error,
    };
    Wait waitFor(int fd, short events, const QDeadlineTimer &deadline, short *revents = nullptr);
    /// waitFor() on the connection under the sample's deadline: cancels at the deadline, then gives up
    /// (Timeout, m_abandoned) after the grace period.
    Wait waitQuery(PGconn *c, short events, short *revents = nullptr);
    bool ensureConnected(TargetSnapshot &out);
    /// SET statement_timeout on PostgreSQL when the option changed since it was last applied.
    bool applyStatementTimeout(TargetSnapshot &out);
    PgConn connectAsync(DbError *error);
    /// One query, asynchronously; `param` (may be null) is bound as $1 (extended protocol, PostgreSQL only).
    PgResult run(const QByteArray &sql, const char *param, DbError *error);
    /// A console command the pooler may refuse (older version, another flavor, a stats user): an ERROR
    /// that leaves the connection usable returns null with *refused set and does not fail the sample.
    PgResult runOptional(const QByteArray &sql, bool *refused, DbError *error);
    bool samplePostgres(TargetSnapshot &out);
    bool sampleBouncer(TargetSnapshot &out);
    bool samplePgpool(TargetSnapshot &out);
    /// After connecting to something that is not PgBouncer: SHOW POOL_VERSION, answered by Pgpool-II and
    /// refused by PostgreSQL (42704). False only when the connection itself failed.
    bool probePgpool(TargetSnapshot &out, bool *isPgpool);
    /// Forget what was learnt about the connection (flavor, version, config, rates, connection lists).
    void resetConnectionState();
    void fail(TargetSnapshot &out, const DbError &error);
    void queryFailed(TargetSnapshot &out, const DbError &error);
    QString noReplyText() const;

    ConnSpec m_spec;
    Options m_options;
    QString m_target;
    TargetKind m_kind = TargetKind::Unknown;
    PgConn m_conn;
    QString m_serverVersion;
    Outcome m_outcome = Outcome::Ok;
    int m_appliedStatementTimeoutMs = -1;
    qint64 m_lastDurationMs = 0;
    QDeadlineTimer m_deadline;
    bool m_graceStarted = false; // the deadline passed and the cancel went out (or was tried)
    bool m_abandoned = false;
    bool m_doomed = false;                  // the server sent FATAL: the connection is about to close
    bool m_lastErrorFatal = false;          // the last failed run() got FATAL/PANIC or lost the connection
    std::atomic<bool> m_queryActive{false}; // a query is in flight: requestCancel() has something to do
    std::atomic<bool> m_cancelSent{false};  // for this sample's query in flight
    std::atomic<int> m_connectAttempts{0};
    std::atomic<bool> m_interrupted{false};
    std::atomic<bool> m_connectionsRequested{false};
    int m_wakeFd = -1; // eventfd: interrupt() makes poll() return

    std::mutex m_cancelMutex;
    std::shared_ptr<PGcancel> m_cancel; // shared with the cancel thread, which may outlive us
    std::shared_ptr<std::atomic<bool>> m_cancelRunning = std::make_shared<std::atomic<bool>>(false);

    // PostgreSQL 15+ counters arrive in lumps: a backend flushes at most once a second, and one that keeps
    // a persistent connection busy can hold its counts back for tens of seconds (measured: a 4-client
    // pgbench with think time showed no commits for 12 s, then all at disconnect). So PostgreSQL TPS is a
    // 10 s average. Our own polls are subtracted as a rate, never from the raw counter, which would then run
    // backwards whenever the server has not flushed them yet. PgBouncer's totals are exact.
    RateCalculator m_tps{10.0};
    RateCalculator m_ownTps{10.0};
    quint64 m_ownTransactions = 0;
    QByteArray m_activitySql;
    QByteArray m_serverSql;
    // samplePostgres(): the SQL for the connected server's version, and what it derives from successive
    // samples of one connection (reset when the backend pid changes, i.e. after a reconnect).
    int m_sqlVersion = -1;
    QByteArray m_activityQuery;
    QByteArray m_serverQuery;
    int m_statsBackendPid = 0;
    RateCalculator m_commitRate{10.0};
    RateCalculator m_rollbackRate{10.0};
    std::optional<quint64> m_lastSessionsKilled;
    std::optional<quint64> m_lastSessionsFatal;
    std::optional<quint64> m_lastSessionsAbandoned;

    // sampleBouncer(): what one console connection told us once (and again every 60 s), the previous
    // sample for rates, and the last SHOW CLIENTS / SERVERS round. Reset on reconnect.
    struct BouncerState
    {
        bool known = false; // flavor and the stats command decided
        PoolerFlavor flavor = PoolerFlavor::PgBouncer;
        bool statsTotals = true; // SHOW STATS_TOTALS (PgBouncer) or SHOW STATS (PgCat, Odyssey)
        QElapsedTimer clock;     // since the connection; sample times for rates
        qint64 infoAtMs = -1;    // SHOW VERSION / CONFIG last taken (clock)
        QString versionText;
        int versionNum = 0;
        QHash<QString, QString> config;
        ConsoleAccess access = ConsoleAccess::Unknown;
        QString consoleUser;
        QSet<QByteArray> refused; // optional commands this console refused: not asked again
        std::optional<BouncerSample> previous;
        qint64 previousAtMs = 0;
        std::optional<QList<BouncerConnection>> clients;
        std::optional<QList<BouncerConnection>> servers;
        qint64 connectionsAtMs = 0;   // wall clock of the round
        qint64 connectionsClock = -1; // clock of the round
    };
    BouncerState m_bouncer;
    // Pgpool-II, per connection: decided once after connecting; its settings read once.
    struct PgpoolState
    {
        bool isPgpool = false;
        QString version;
        std::optional<qint64> numInitChildren;
        std::optional<qint64> maxPool;
        bool settingsRead = false;
    };
    PgpoolState m_pgpool;
};

QString outcomeName(Sampler::Outcome outcome);

} // namespace poolscope::db
