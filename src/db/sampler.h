#pragma once

#include "core/targetsnapshot.h"
#include "db/asyncconnection.h"
#include "db/bouncersource.h"
#include "db/conninfo.h"
#include "db/pgpoolsource.h"
#include "db/pollreport.h"
#include "db/postgressource.h"
#include "db/samplequeries.h"

#include <QString>
#include <atomic>

namespace poolscope::db {

/// Takes one sample of one target per call: connects on first use (and again after a failure), detects the
/// kind, and hands the connection to the sampling source of that product: PostgresSource, BouncerSource
/// (PgBouncer-shaped consoles, simple protocol only) or PgpoolSource after PostgresSource (Pgpool-II).
///
/// Never blocks without a bound: the one connection is an AsyncConnection, so the worker can give up on a
/// hung server by itself:
///  - connecting is bounded by connect_timeout (which PQconnectPoll ignores: AsyncConnection enforces it);
///  - the queries of one sample are bounded by `deadlineMs` (SampleQueries). Past it the query is cancelled
///    and the sample fails with "no reply for N s; query cancelled";
///  - if the cancel brings no answer within `cancelGraceMs` (a SIGSTOPped server answers neither), the
///    connection is dropped and the next sample reconnects.
/// The cancel is sent from a detached thread (PQcancel blocks); a stopped server keeps that thread waiting
/// until it resumes, never the caller. `statement_timeout` is set on PostgreSQL connections, below the
/// deadline, so a merely slow server cancels the query itself. TCP keepalives and tcp_user_timeout bound a
/// peer that vanished (withMonitoringDefaults).
///
/// Thread contract: sample() and disconnect() run on one thread (the target's worker); requestCancel(),
/// interrupt(), requestConnections() and connectAttempts() may be called from any thread and never block.
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
    bool isInterrupted() const { return m_interrupt.isTriggered(); }
    /// Any thread, non-blocking: the next sample of a PgBouncer-shaped console takes SHOW CLIENTS / SHOW
    /// SERVERS whatever the interval (the user asked for fresh connection lists).
    void requestConnections() { m_bouncer.requestConnections(); }

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
    bool ensureConnected(TargetSnapshot &out);
    /// SET statement_timeout on PostgreSQL (directly or through Pgpool-II) when the option changed since it
    /// was last applied on this connection.
    bool applyStatementTimeout(TargetSnapshot &out);
    void fail(TargetSnapshot &out, const DbError &error);
    /// fail(), and the outcome from what the connection went through (cancel, drop, FATAL, interrupt).
    void queryFailed(TargetSnapshot &out, const DbError &error);

    ConnSpec m_spec;
    Options m_options;
    QString m_target;
    TargetKind m_kind = TargetKind::Unknown;
    QString m_serverVersion;
    Outcome m_outcome = Outcome::Ok;
    qint64 m_lastDurationMs = 0;
    std::atomic<int> m_connectAttempts{0};
    Interrupt m_interrupt;
    AsyncConnection m_conn{&m_interrupt};
    SampleQueries m_queries{m_conn};
    // One sampling source per product, over the one connection; each forgets its connection's state on
    // disconnect().
    PostgresSource m_postgres;
    BouncerSource m_bouncer;
    PgpoolSource m_pgpool;
};

QString outcomeName(Sampler::Outcome outcome);

} // namespace poolscope::db
