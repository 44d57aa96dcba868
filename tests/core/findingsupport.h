#pragma once

// Synthetic sample series for the findings tests: sessions described by what a person would say ("billing,
// idle in transaction for 8 s"), turned into samples the way the sampler makes them (summarizeSessions), and
// fed to a FindingsEngine one second apart.
#include "core/findingsengine.h"
#include "core/sessionanalysis.h"

#include <QStringList>
#include <functional>

namespace poolscope::test {

inline constexpr double kStart = 1'700'000'000; // server clock of the first sample, epoch seconds

struct Sess
{
    qint64 pid = 0;
    QString app;
    QString state = QStringLiteral("idle"); // pg_stat_activity text
    double stateAgeS = 0;                   // since state_change
    double xactAgeS = -1;                   // since xact_start; < 0: no transaction
    double backendAgeS = 600;               // since backend_start
    QList<qint64> blockedBy;                // waits on a lock behind these
    QString user = QStringLiteral("app");
    QString query = QStringLiteral("SELECT 1");
};

inline Session toSession(const Sess &d, double now)
{
    Session s;
    s.pid = d.pid;
    s.applicationName = d.app;
    s.usename = d.user;
    s.datname = QStringLiteral("app");
    s.backendType = QStringLiteral("client backend");
    s.state = d.state;
    s.stateChange = now - d.stateAgeS;
    s.queryStart = now - d.stateAgeS;
    s.backendStart = now - d.backendAgeS;
    if (d.xactAgeS >= 0) {
        s.xactStart = now - d.xactAgeS;
        s.backendXidAge = 3;
    }
    s.query = d.query;
    s.blockedBy = d.blockedBy;
    if (!d.blockedBy.isEmpty())
        s.waitEventType = QStringLiteral("Lock");
    return s;
}

/// n sessions of `app` in `state`, pids from firstPid, all `stateAgeS` into that state.
inline QList<Sess> many(int n, const QString &app, const QString &state, double stateAgeS, qint64 firstPid,
                        double xactAgeS = -1)
{
    QList<Sess> out;
    for (int i = 0; i < n; ++i) {
        Sess s;
        s.pid = firstPid + i;
        s.app = app;
        s.state = state;
        s.stateAgeS = stateAgeS;
        s.xactAgeS = xactAgeS >= 0 ? xactAgeS : (state == QLatin1String("idle") ? -1.0 : stateAgeS + 0.01);
        out.append(s);
    }
    return out;
}

struct PgExtras
{
    int maxConnections = 100;
    int superuserReserved = 3;
    int poolscope = 1;
    std::optional<quint64> established;
    std::optional<quint64> killed = 0, fatal = 0, abandoned = 0;
    std::optional<double> postmasterStart = kStart - 86400;
};

inline TargetSnapshot pgSnapshot(double now, const QList<Sess> &sessions, const PgExtras &x = {})
{
    PostgresSample pg;
    pg.serverNow = now;
    pg.serverVersionNum = 150000;
    pg.maxConnections = x.maxConnections;
    pg.superuserReserved = x.superuserReserved;
    pg.poolscopeSessions = x.poolscope;
    pg.sessionsTotal = x.established;
    pg.sessionsKilled = x.killed;
    pg.sessionsFatal = x.fatal;
    pg.sessionsAbandoned = x.abandoned;
    pg.postmasterStart = x.postmasterStart;
    for (const Sess &d : sessions)
        pg.sessions.append(toSession(d, now));
    analysis::summarizeSessions(pg);
    TargetSnapshot snap;
    snap.target = QStringLiteral("monitor@127.0.0.1:5432/app");
    snap.kind = TargetKind::Postgres;
    snap.ok = true;
    snap.sampledAtMs = qint64(now * 1000);
    snap.postgres = pg;
    return snap;
}

inline PoolStats pool(const QString &key, qint64 size, qint64 svActive, qint64 svIdle, qint64 waiting,
                      double maxwait = 0, const QString &mode = QStringLiteral("transaction"))
{
    PoolStats p;
    p.database = key.section(QLatin1Char('/'), 0, 0);
    p.user = key.section(QLatin1Char('/'), 1, 1);
    p.poolMode = mode;
    p.poolSize = size;
    p.reservePool = 0;
    p.clActive = svActive;
    p.clWaiting = waiting;
    p.svActive = svActive;
    p.svIdle = svIdle;
    p.svUsed = 0;
    p.svTested = 0;
    p.svLogin = 0;
    p.maxwaitSeconds = maxwait;
    return p;
}

inline TargetSnapshot bouncerSnapshot(double now, const QList<PoolStats> &pools,
                                      const QHash<QString, QString> &config = {})
{
    BouncerSample b;
    b.pools = pools;
    b.config = config;
    b.versionNum = 11800;
    TargetSnapshot snap;
    snap.target = QStringLiteral("monitor@127.0.0.1:6432/pgbouncer");
    snap.kind = TargetKind::PgBouncer;
    snap.ok = true;
    snap.sampledAtMs = qint64(now * 1000);
    snap.bouncer = b;
    return snap;
}

/// Rules named by the engine's open findings, "rule:subject:severity", sorted.
inline QStringList named(const findings::FindingsEngine &engine)
{
    QStringList out;
    for (const findings::Finding &f : engine.openFindings())
        out.append(f.rule + QLatin1Char(':') + f.subject + QLatin1Char(':') +
                   findings::severityName(f.severity));
    out.sort();
    return out;
}

/// Feeds `samples` seconds of a PostgreSQL target (id 1) built by `at(i, now)`, one second apart.
inline void feedPg(findings::FindingsEngine &engine, int samples,
                   const std::function<TargetSnapshot(int i, double now)> &at, int id = 1, int first = 0)
{
    for (int i = first; i < first + samples; ++i)
        engine.addSample(id, QStringLiteral("pg"), at(i, kStart + i));
}

} // namespace poolscope::test
