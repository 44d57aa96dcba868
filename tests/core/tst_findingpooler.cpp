// The pooler rules on synthetic PgBouncer and Pgpool-II series: a full pool with a queue (transaction and
// session mode), the pooler busy while PostgreSQL idles (through the SHOW SERVERS/CLIENTS chain), servers
// stuck logging in; and their near misses.
#include "findingsupport.h"

#include <QtTest>

using namespace poolscope;
using namespace poolscope::test;
using findings::FindingsEngine;

namespace {

BouncerConnection client(const QString &ptr, const QString &addr, const QString &app, const QString &link)
{
    BouncerConnection c;
    c.type = QStringLiteral("C");
    c.user = QStringLiteral("app");
    c.database = QStringLiteral("app");
    c.state = QStringLiteral("active");
    c.addr = addr;
    c.port = 40000;
    c.ptr = ptr;
    c.link = link;
    c.applicationName = app;
    return c;
}

BouncerConnection server(const QString &ptr, qint64 remotePid, const QString &link)
{
    BouncerConnection s;
    s.type = QStringLiteral("S");
    s.user = QStringLiteral("app");
    s.database = QStringLiteral("app");
    s.state = link.isEmpty() ? QStringLiteral("idle") : QStringLiteral("active");
    s.addr = QStringLiteral("127.0.0.1");
    s.port = 5432;
    s.ptr = ptr;
    s.link = link;
    s.remotePid = remotePid;
    return s;
}

/// A PgBouncer sample whose pool app/app has `linked` servers handed to clients (pids 200..), with a fresh
/// SHOW CLIENTS/SERVERS round.
TargetSnapshot withChain(double now, int linked)
{
    TargetSnapshot snap = bouncerSnapshot(now, {pool("app/app", 10, linked, 10 - linked, 0)});
    QList<BouncerConnection> clients, servers;
    for (int i = 0; i < linked; ++i) {
        const QString c = QStringLiteral("0xc%1").arg(i), s = QStringLiteral("0xs%1").arg(i);
        clients.append(client(c, QStringLiteral("10.0.0.5"), QStringLiteral("worker"), s));
        servers.append(server(s, 200 + i, c));
    }
    snap.bouncer->clients = clients;
    snap.bouncer->servers = servers;
    snap.bouncer->connectionsFresh = true;
    return snap;
}

} // namespace

class TestFindingPooler : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void saturation_data()
    {
        QTest::addColumn<QList<PoolStats>>("pools");
        QTest::addColumn<int>("samples");
        QTest::addColumn<QStringList>("expected");
        QTest::addRow("full, 5 waiting, 3 samples") << QList<PoolStats>{pool("app/app", 10, 10, 0, 5, 1.4)}
                                                    << 3 << QStringList{"pooler-saturation:app/app:warning"};
        QTest::addRow("full, 5 waiting, 2 samples: a burst")
            << QList<PoolStats>{pool("app/app", 10, 10, 0, 5, 1.4)} << 2 << QStringList{};
        QTest::addRow("near miss: a busy pool whose queue lasts milliseconds")
            << QList<PoolStats>{pool("app/app", 10, 10, 0, 3, 0.004)} << 30 << QStringList{};
        QTest::addRow("near miss: full and nobody waits")
            << QList<PoolStats>{pool("app/app", 10, 10, 0, 0)} << 10 << QStringList{};
        QTest::addRow("near miss: waiting while servers are still free")
            << QList<PoolStats>{pool("app/app", 10, 6, 0, 2, 0.01)} << 10 << QStringList{};
        QTest::addRow("oldest wait 6 s is critical")
            << QList<PoolStats>{pool("app/app", 10, 10, 0, 3, 6)} << 3
            << QStringList{"pooler-saturation:app/app:critical"};
        QTest::addRow("as many waiting as served is critical")
            << QList<PoolStats>{pool("app/app", 10, 10, 0, 12, 1.2)} << 3
            << QStringList{"pooler-saturation:app/app:critical"};
        QTest::addRow("session mode, 3 s of a 10 s query_wait_timeout")
            << QList<PoolStats>{pool("app/app", 5, 5, 0, 4, 3.0, "session")} << 3
            << QStringList{"pooler-saturation:app/app:critical"};
        QTest::addRow("two pools, one full")
            << QList<PoolStats>{pool("app/app", 10, 10, 0, 2, 1.5), pool("app/report", 5, 1, 4, 0)} << 4
            << QStringList{"pooler-saturation:app/app:warning"};
    }

    void saturation()
    {
        QFETCH(QList<PoolStats>, pools);
        QFETCH(int, samples);
        QFETCH(QStringList, expected);
        FindingsEngine engine;
        for (int i = 0; i < samples; ++i)
            engine.addSample(
                2, "bouncer",
                bouncerSnapshot(kStart + i, pools, {{"query_wait_timeout", QStringLiteral("10")}}));
        QCOMPARE(named(engine), expected);
    }

    void aQueueThatDropsOutForASampleIsOneFinding()
    {
        FindingsEngine engine;
        for (int i = 0; i < 16; ++i) // waiting 3 samples out of 4: the pool stays full all along
            engine.addSample(2, "bouncer",
                             bouncerSnapshot(kStart + i, {pool("app/app", 10, 10, 0, i % 4 ? 3 : 0, 1.4)}));
        QCOMPARE(engine.findings().size(), 1);
        QVERIFY(engine.findings().first().isOpen());
        QCOMPARE(engine.findings().first().raisedAtMs, qint64((kStart + 3) * 1000));
    }

    void sessionModeSaysHowManyClientsAgainstWhat()
    {
        FindingsEngine engine;
        for (int i = 0; i < 3; ++i) {
            TargetSnapshot snap = bouncerSnapshot(kStart + i, {pool("app/app", 5, 5, 0, 40, 2, "session")});
            QList<BouncerConnection> clients;
            for (int k = 0; k < 45; ++k)
                clients.append(client(QStringLiteral("0x%1").arg(k), QStringLiteral("10.0.0.%1").arg(k % 3),
                                      QStringLiteral("score-sync"), QString()));
            snap.bouncer->clients = clients;
            engine.addSample(2, "bouncer", snap);
        }
        const auto open = engine.openFindings();
        QCOMPARE(open.size(), 1);
        const QString advice = open.first().advice.join("\n");
        QVERIFY2(advice.contains("45 clients want this pool (10.0.0.0 15, 10.0.0.1 15, 10.0.0.2 15; by "
                                 "application: score-sync 45) against pool_size 5"),
                 qPrintable(advice));
        QVERIFY2(advice.contains("cap each of the 3 client hosts' pools at 1"), qPrintable(advice));
        QVERIFY(open.first().summary.contains("session mode"));
        QCOMPARE(open.first().evidence.value("query_wait_timeout_s").toDouble(), 120.0);
    }

    void transactionModeSizesFromTheServersHeadroom()
    {
        FindingsEngine engine;
        engine.setLinks(2, {1});
        for (int i = 0; i < 3; ++i) {
            engine.addSample(1, "pg", pgSnapshot(kStart + i, many(20, "web", "idle", 1, 100)));
            engine.addSample(2, "bouncer", bouncerSnapshot(kStart + i, {pool("app/app", 10, 10, 0, 4, 1.5)}));
        }
        const auto open = engine.openFindings();
        QCOMPARE(open.size(), 1);
        QCOMPARE(open.first().targetIds, (QList<int>{2, 1}));
        QVERIFY2(open.first().advice.first().contains("PostgreSQL has room for 76 more connections: raise "
                                                      "pool_size of app/app from 10 to 20"),
                 qPrintable(open.first().advice.first()));
    }

    void mismatchThroughTheChain()
    {
        FindingsEngine engine;
        engine.setLinks(2, {1});
        for (int i = 0; i < 4; ++i) {
            const double now = kStart + i;
            // 8 of the 10 linked backends sit idle in transaction: the clients hold their servers.
            engine.addSample(1, "pg",
                             pgSnapshot(now, many(8, "worker", "idle in transaction", 2, 200) +
                                                 many(2, "worker", "active", 0.1, 208)));
            engine.addSample(2, "bouncer", withChain(now, 10));
        }
        const auto open = engine.openFindingsOf(2);
        QCOMPARE(open.size(), 1);
        const findings::Finding &f = open.first();
        QCOMPARE(f.rule, findings::rule::PoolerDbMismatch);
        QCOMPARE(f.evidence.value("backends_idle_in_transaction").toInt(), 8);
        QCOMPARE(f.evidence.value("backends_active").toInt(), 2);
        QCOMPARE(f.action.targetId, 1); // the holders are ended on PostgreSQL
        QCOMPARE(f.action.pids.size(), 8);
        QVERIFY(f.summary.contains("PgBouncer has 10 servers handed to clients"));
    }

    void noMismatchWhenTheBackendsWork()
    {
        FindingsEngine engine;
        engine.setLinks(2, {1});
        for (int i = 0; i < 6; ++i) {
            const double now = kStart + i;
            engine.addSample(1, "pg", pgSnapshot(now, many(10, "worker", "active", 0.1, 200)));
            engine.addSample(2, "bouncer", withChain(now, 10));
        }
        // (The flat count of busy workers is app-pool-ceiling's business, on PostgreSQL.)
        QCOMPARE(named(engine), QStringList{"app-pool-ceiling:worker:warning"});
    }

    void leakShowsThePoolerServersItHolds()
    {
        FindingsEngine engine;
        engine.setLinks(2, {1});
        for (int i = 0; i < 2; ++i) {
            const double now = kStart + i;
            engine.addSample(2, "bouncer", withChain(now, 4));
            engine.addSample(1, "pg",
                             pgSnapshot(now, many(4, "worker", "idle in transaction", 8, 200) +
                                                 many(6, "worker", "idle", 1, 300)));
        }
        const auto open = engine.openFindingsOf(1);
        QCOMPARE(open.size(), 1);
        QCOMPARE(open.first().evidence.value("pooler_servers_held").toInt(), 4);
        QCOMPARE(open.first().pools, QStringList{"app/app"});
    }

    void serversStuckLoggingIn()
    {
        FindingsEngine engine;
        for (int i = 0; i < 5; ++i) {
            PoolStats p = pool("app/app", 10, 0, 0, 3, 2);
            p.svLogin = 1;
            engine.addSample(2, "bouncer", bouncerSnapshot(kStart + i, {p}));
        }
        QVERIFY(named(engine).contains("dead-connections:app/app:warning"));
    }

    void pgpoolChildrenAllBusy()
    {
        FindingsEngine engine;
        for (int i = 0; i < 3; ++i) {
            TargetSnapshot snap = pgSnapshot(kStart + i, many(3, "web", "idle", 1, 100));
            snap.kind = TargetKind::Pgpool;
            PgpoolSample pp;
            pp.numInitChildren = 4;
            pp.maxPool = 2;
            pp.ownChildPid = 4;
            for (int k = 1; k <= 4; ++k) {
                PgpoolProcess proc;
                proc.pid = k;
                proc.database = QStringLiteral("app");
                proc.status = QStringLiteral("Idle");
                pp.processes.append(proc);
            }
            snap.pgpool = pp;
            engine.addSample(3, "pgpool", snap);
        }
        QCOMPARE(named(engine), QStringList{"pooler-saturation:pgpool children:critical"});
    }
};

QTEST_GUILESS_MAIN(TestFindingPooler)
#include "tst_findingpooler.moc"
