#pragma once

#include "core/snapshot.h"
#include "core/timeseries.h"
#include "db/pg.h"

#include <QString>
#include <mutex>

namespace poolscope::db {

/// Takes one sample of one target per call: connects on first use (and again after a failure), detects the
/// kind, and runs the PostgreSQL queries or the PgBouncer SHOW commands (simple protocol only there).
///
/// Thread contract: sample() and disconnect() run on one thread (the target's worker); requestCancel() may
/// be called from any thread.
class Sampler
{
public:
    struct Options
    {
        int queryTextLength = 1024;
        int statementTimeoutMs = 2000;
        int connectTimeoutS = 5;
    };

    explicit Sampler(const QString &conninfo, Options options);
    explicit Sampler(const QString &conninfo) : Sampler(conninfo, Options{}) {}
    ~Sampler();

    TargetSnapshot sample();
    void disconnect();
    void requestCancel();

    QString target() const { return m_target; }
    TargetKind kind() const { return m_kind; }

private:
    bool ensureConnected(TargetSnapshot &out);
    bool samplePostgres(TargetSnapshot &out);
    bool sampleBouncer(TargetSnapshot &out);
    void fail(TargetSnapshot &out, const DbError &error);

    ConnSpec m_spec;
    Options m_options;
    QString m_target;
    TargetKind m_kind = TargetKind::Unknown;
    PgConn m_conn;
    QString m_serverVersion;
    std::mutex m_cancelMutex;
    PgCancel m_cancel;
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
};

} // namespace poolscope::db
