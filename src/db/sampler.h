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
    // PostgreSQL counters arrive in lumps (PG 15 flushes at most once a second), so both rates use a 5 s
    // window; our own polls are subtracted as a rate, never from the raw counter, which would then run
    // backwards whenever the server has not flushed them yet.
    RateCalculator m_tps{5.0};
    RateCalculator m_ownTps{5.0};
    quint64 m_ownTransactions = 0;
    QByteArray m_activitySql;
    QByteArray m_serverSql;
};

} // namespace poolscope::db
