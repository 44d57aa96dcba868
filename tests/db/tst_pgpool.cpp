// Integration: a real Pgpool-II 4.3 in front of the sandbox PostgreSQL, sampled as TargetKind::Pgpool.
#include "core/poolerchain.h"
#include "db/connectiontest.h"
#include "db/sampler.h"
#include "support/testsupport.h"

#include <QJsonObject>
#include <QTest>

using namespace poolscope;

class TestPgpool : public QObject
{
    Q_OBJECT

    std::unique_ptr<sandbox::Sandbox> m_sandbox;

private Q_SLOTS:
    void initTestCase()
    {
        sandbox::SandboxOptions options;
        options.withPgBouncer = false;
        options.withPgpool = true;
        QString error;
        m_sandbox = test::startSandbox(&error, options);
        QVERIFY2(m_sandbox, qPrintable(error));
    }
    void cleanupTestCase() { m_sandbox.reset(); }

    void sandboxDescribesPgpool()
    {
        QVERIFY(m_sandbox->pgpoolPort() > 0);
        QVERIFY(m_sandbox->pgpoolPid() > 0);
        QVERIFY(m_sandbox->isRunning());
        const QJsonObject json = m_sandbox->toJson();
        QCOMPARE(json.value(QStringLiteral("pgpool_port")).toInt(), m_sandbox->pgpoolPort());
        const QJsonObject uris = json.value(QStringLiteral("uris")).toObject();
        QCOMPARE(uris.value(QStringLiteral("pgpool_app")).toString(), m_sandbox->uris().pgpoolApp);
        QCOMPARE(uris.value(QStringLiteral("pgpool_monitor")).toString(), m_sandbox->uris().pgpoolMonitor);
        QVERIFY(!m_sandbox->uris().pgpoolApp.contains(QLatin1String("password")));
        // PostgreSQL itself still wants a password: pgpool's pool_passwd does not open the backend.
        DbError e;
        db::ConnSpec direct = db::parseConnInfo(m_sandbox->uris().app);
        direct.set("passfile", "/nonexistent");
        QVERIFY(!db::connect(direct, {}, &e));
    }

    void samplesChildrenPoolsAndNodes()
    {
        test::HeldSessions inXact;
        test::HeldSessions idle;
        QString error;
        QVERIFY2(inXact.open(m_sandbox->uris().pgpoolApp, 1, "pgpool-in-xact", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        QVERIFY2(idle.open(m_sandbox->uris().pgpoolApp, 1, "pgpool-idle", {"SELECT 1"}, &error),
                 qPrintable(error));
        // Through Pgpool-II 4.3 PQbackendPID() is the PostgreSQL backend's pid.
        const qint64 inXactPid = PQbackendPID(inXact.at(0));
        const qint64 idlePid = PQbackendPID(idle.at(0));

        db::Sampler sampler(m_sandbox->uris().pgpoolMonitor);
        TargetSnapshot s = sampler.sample();
        QVERIFY2(s.ok, qPrintable(s.error.message));
        QCOMPARE(s.kind, TargetKind::Pgpool);
        QVERIFY(s.postgres);
        QVERIFY(s.pgpool);
        const PgpoolSample &p = *s.pgpool;
        QVERIFY2(p.version.startsWith(QLatin1String("4.")), qPrintable(p.version));
        QCOMPARE(p.numInitChildren, std::optional<qint64>(4));
        QCOMPARE(p.maxPool, std::optional<qint64>(2));
        QCOMPARE(p.processes.size(), 4);
        QVERIFY(p.ownChildPid.has_value());
        QCOMPARE(p.busyChildren(), 2); // the two held clients; the sampler's own child is not counted
        QCOMPARE(p.childUtilisation(), std::optional<double>(0.5));
        QCOMPARE(p.nodes.size(), 1);
        QCOMPARE(p.nodes.first().nodeId, 0);
        QCOMPARE(p.nodes.first().status, QStringLiteral("up"));
        QCOMPARE(p.nodes.first().port, std::optional<qint64>(m_sandbox->postgresPort()));

        // The held clients' backends: in POOL_POOLS under children other than ours, and in the PostgreSQL
        // sample taken through the same pgpool.
        for (const qint64 pid : {inXactPid, idlePid}) {
            const PgpoolPoolSlot *slot = nullptr;
            for (const PgpoolPoolSlot &x : p.pools) {
                if (x.backendPid == pid)
                    slot = &x;
            }
            QVERIFY2(slot, qPrintable(QStringLiteral("backend %1 not in SHOW POOL_POOLS").arg(pid)));
            QVERIFY(slot->connected);
            QVERIFY(slot->pid != *p.ownChildPid);
            QCOMPARE(slot->database, QStringLiteral("app"));
            QVERIFY2(s.postgres->session(pid), qPrintable(QStringLiteral("backend %1 not sampled").arg(pid)));
        }
        QCOMPARE(s.postgres->session(inXactPid)->stateClass(), SessionState::IdleInTransaction);
        QCOMPARE(s.postgres->session(idlePid)->stateClass(), SessionState::Idle);
        // The chain names the child serving each backend.
        const PoolerChain chain = joinPgpoolChain(p);
        const ChainLink *link = chain.find(inXactPid);
        QVERIFY(link);
        QVERIFY(link->pgpoolChildPid.has_value());
        QVERIFY(*link->pgpoolChildPid != *p.ownChildPid);
        QCOMPARE(link->poolDatabase, QStringLiteral("app"));

        inXact.closeAll();
        idle.closeAll();
        QTRY_COMPARE_WITH_TIMEOUT((s = sampler.sample(), s.ok ? s.pgpool->busyChildren() : -1), 0, 5000);
        // A later sample of the same connection still knows the settings read once.
        QCOMPARE(s.pgpool->numInitChildren, std::optional<qint64>(4));
    }

    void connectionTestNamesPgpool()
    {
        const db::ConnectionReport through = db::testConnection(m_sandbox->uris().pgpoolMonitor);
        QVERIFY2(through.ok, qPrintable(through.error.message));
        QCOMPARE(through.kind, TargetKind::Pgpool);
        QVERIFY2(through.summary().contains(QLatin1String("Pgpool-II 4.")), qPrintable(through.summary()));
        QCOMPARE(through.readAllStats, std::optional<bool>(true)); // monitor has pg_monitor
        const db::ConnectionReport direct = db::testConnection(m_sandbox->uris().monitor);
        QVERIFY2(direct.ok, qPrintable(direct.error.message));
        QCOMPARE(direct.kind, TargetKind::Postgres);
    }

    void startFailureNamesPgpoolAndItsLog()
    {
        sandbox::SandboxOptions options;
        options.withPgBouncer = false;
        options.withPgpool = true;
        options.pgpoolNumInitChildren = 0; // pgpool refuses to start with no children
        sandbox::Sandbox broken(options);
        QString error;
        QVERIFY(!broken.start(&error));
        QVERIFY2(error.contains(QLatin1String("Pgpool-II")), qPrintable(error));
        QVERIFY2(error.contains(QLatin1String("pgpool.log")), qPrintable(error));
        QVERIFY2(error.contains(QLatin1String("num_init_children")), qPrintable(error));
        QVERIFY(!broken.isRunning());
        QCOMPARE(broken.pgpoolPid(), 0);
    }

    void kindOverrideOnPlainPostgresFailsClearly()
    {
        db::Sampler::Options asPgpool;
        asPgpool.kindOverride = TargetKind::Pgpool;
        db::Sampler sampler(m_sandbox->uris().monitor, asPgpool);
        const TargetSnapshot s = sampler.sample();
        QCOMPARE(s.kind, TargetKind::Pgpool);
        QVERIFY(!s.ok);
        QVERIFY2(s.error.message.contains(QLatin1String("pool_")), qPrintable(s.error.message));
        // Detected, the same server is PostgreSQL.
        QCOMPARE(db::Sampler(m_sandbox->uris().monitor).sample().kind, TargetKind::Postgres);
    }
};

QTEST_GUILESS_MAIN(TestPgpool)
#include "tst_pgpool.moc"
