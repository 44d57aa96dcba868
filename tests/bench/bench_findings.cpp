// Findings engine cost per sample at 1,000 and 10,000 sessions: FindingsEngine::addSample (the session digest
// plus every rule plus the lifecycle), on a PostgreSQL target with a PgBouncer linked in front, over samples
// that move (ages grow, a leak builds up, a lock queue forms), so the rules do real work. Thread CPU time,
// not wall time. Goal: <= 0.1 ms at 1,000 sessions (issue 11).
#include "benchsupport.h"
#include "core/findingsengine.h"
#include "core/sessionanalysis.h"

#include <QtTest>
#include <cstdio>

using namespace poolscope;

namespace {

constexpr double T0 = 1'700'000'000;

/// `sessions` client backends over 20 applications, each mostly idle with some active and a few briefly
/// idle in transaction. During an incident one application leaks sessions idle in transaction, sample after
/// sample, and a small lock queue forms.
TargetSnapshot postgres(int sessions, int tick, bool incident)
{
    const double now = T0 + tick;
    PostgresSample pg;
    pg.serverNow = now;
    pg.serverVersionNum = 150000;
    pg.maxConnections = sessions * 2;
    pg.superuserReserved = 3;
    pg.poolscopeSessions = 1;
    pg.sessionsTotal = quint64(100000 + tick * 3);
    pg.sessionsKilled = pg.sessionsFatal = pg.sessionsAbandoned = 0;
    pg.postmasterStart = T0 - 86400;
    pg.sessions.reserve(sessions);
    const int leaked = incident ? std::min(tick, 8) : 0;
    for (int i = 0; i < sessions; ++i) {
        Session s;
        s.pid = 10000 + i;
        s.applicationName = QStringLiteral("svc-%1").arg(i % 20);
        s.usename = QStringLiteral("app");
        s.datname = QStringLiteral("app");
        s.backendType = QStringLiteral("client backend");
        s.backendStart = T0 - 3600 - i;
        const int kind = (i / 20) % 10;
        if (i < leaked) {
            s.applicationName = QStringLiteral("billing");
            s.state = QStringLiteral("idle in transaction");
            s.stateChange = now - 6 - i;
            s.xactStart = now - 7 - i;
        } else if (kind < 7) {
            s.state = QStringLiteral("idle");
            s.stateChange = now - 2;
        } else if (kind < 9) {
            s.state = QStringLiteral("active");
            s.stateChange = now - 0.05;
            s.queryStart = now - 0.05;
            s.xactStart = now - 0.06;
        } else {
            s.state = QStringLiteral("idle in transaction");
            s.stateChange = now - 0.2;
            s.xactStart = now - 0.3;
        }
        s.backendXidAge = 5;
        if (incident && i >= leaked && i % 97 == 1) { // a small lock queue behind an active session
            s.state = QStringLiteral("active");
            s.waitEventType = QStringLiteral("Lock");
            s.queryStart = now - 1;
            s.blockedBy = {10140};
        }
        s.query = QStringLiteral("SELECT * FROM orders WHERE id = $1");
        pg.sessions.append(s);
    }
    analysis::summarizeSessions(pg);
    TargetSnapshot snap;
    snap.target = QStringLiteral("monitor@db:5432/app");
    snap.kind = TargetKind::Postgres;
    snap.ok = true;
    snap.sampledAtMs = qint64(now * 1000);
    snap.postgres = std::move(pg);
    return snap;
}

TargetSnapshot bouncer(int tick, bool incident)
{
    BouncerSample b;
    PoolStats p;
    p.database = QStringLiteral("app");
    p.user = QStringLiteral("app");
    p.poolMode = QStringLiteral("transaction");
    p.poolSize = 20;
    p.clActive = 20;
    p.clWaiting = incident && tick % 4 != 0 ? 3 : 0;
    p.svActive = 20;
    p.svIdle = p.svUsed = p.svTested = p.svLogin = 0;
    p.maxwaitSeconds = 0.2;
    b.pools = {p};
    TargetSnapshot snap;
    snap.target = QStringLiteral("monitor@db:6432/pgbouncer");
    snap.kind = TargetKind::PgBouncer;
    snap.ok = true;
    snap.sampledAtMs = qint64((T0 + tick) * 1000);
    snap.bouncer = b;
    return snap;
}

} // namespace

class BenchFindings : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void costPerSample_data()
    {
        QTest::addColumn<int>("sessions");
        QTest::addColumn<bool>("incident");
        QTest::addRow("1,000 sessions, quiet") << 1000 << false;
        QTest::addRow("1,000 sessions, incident") << 1000 << true;
        QTest::addRow("10,000 sessions, quiet") << 10000 << false;
        QTest::addRow("10,000 sessions, incident") << 10000 << true;
    }

    void costPerSample()
    {
        QFETCH(int, sessions);
        QFETCH(bool, incident);
        constexpr int kTicks = 60;
        QList<TargetSnapshot> samples;
        for (int tick = 0; tick < kTicks; ++tick)
            samples.append(postgres(sessions, tick, incident));
        std::vector<double> evaluate, read;
        int open = 0;
        for (int round = 0; round < 5; ++round) {
            findings::FindingsEngine engine;
            engine.setLinks(2, {1});
            for (int tick = 0; tick < kTicks; ++tick) {
                engine.addSample(2, QStringLiteral("bouncer"), bouncer(tick, incident));
                TargetSnapshot s = samples.at(tick);
                s.sampledAtMs += qint64(round) * kTicks * 1000; // later rounds continue the timeline
                const qint64 before = bench::threadCpuNs();
                engine.addSample(1, QStringLiteral("pg"), s);
                const qint64 evaluated = bench::threadCpuNs();
                open = int(engine.openFindings().size()); // what the dock or a JSON line reads: the words
                evaluate.push_back(double(evaluated - before) / 1000.0);
                read.push_back(double(bench::threadCpuNs() - evaluated) / 1000.0);
            }
        }
        QCOMPARE(open > 0, incident); // the rules found the incident, and nothing when quiet
        std::sort(evaluate.begin(), evaluate.end());
        std::sort(read.begin(), read.end());
        std::printf(
            "findings, %d sessions, %s (%s): evaluate per sample median %.1f us (p95 %.1f, max %.1f); "
            "reading the %d open findings' words median %.1f us; %zu samples\n",
            sessions, incident ? "incident" : "quiet", bench::buildType(), evaluate[evaluate.size() / 2],
            evaluate[evaluate.size() * 95 / 100], evaluate.back(), open, read[read.size() / 2],
            evaluate.size());
    }
};

QTEST_GUILESS_MAIN(BenchFindings)
#include "bench_findings.moc"
