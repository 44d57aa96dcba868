// Integration: the sampler and the per-target controller against a real PostgreSQL + PgBouncer sandbox.
#include "db/sampler.h"
#include "db/targetcontroller.h"
#include "support/sandboxtestcase.h"

#include <QElapsedTimer>
#include <QMap>
#include <QSignalSpy>
#include <QTest>
#include <QThread>

using namespace poolscope;

class TestSampler : public test::SandboxTestCase
{
    Q_OBJECT

private Q_SLOTS:

    void countsIdleInTransactionAsMonitor()
    {
        test::HeldSessions held;
        QString error;
        QVERIFY2(held.open(m_sandbox->uris().app, 3, "tst-holder", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        db::Sampler sampler(m_sandbox->uris().monitor);
        const TargetSnapshot s = sampler.sample();
        QVERIFY2(s.ok, qPrintable(s.error.message));
        QCOMPARE(s.kind, TargetKind::Postgres);
        QVERIFY(s.postgres);
        QCOMPARE(s.postgres->counts[SessionState::IdleInTransaction], 3);
        int holders = 0;
        for (const Session &x : s.postgres->sessions) {
            QVERIFY2(x.applicationName != QLatin1String("poolscope"), "the sampler must not see itself");
            QVERIFY(!x.hidden); // monitor has pg_monitor
            if (x.applicationName == QLatin1String("tst-holder")) {
                ++holders;
                QCOMPARE(x.usename, QString("app"));
                QVERIFY(x.xactStart.has_value());
            }
        }
        QCOMPARE(holders, 3);
        QCOMPARE(s.postgres->maxConnections, std::optional<int>(100));
        QVERIFY(s.postgres->usableConnections().value_or(0) > 0);
        QVERIFY(s.postgres->oldestXactAge().has_value());
        held.closeAll();
        QTRY_COMPARE_WITH_TIMEOUT(sampler.sample().postgres->counts[SessionState::IdleInTransaction], 0,
                                  5000);
    }

    void kindOverrideWinsOverDetection()
    {
        // Detected: the console is PgBouncer, the server PostgreSQL.
        QCOMPARE(db::Sampler(m_sandbox->uris().pgbouncerConsole).sample().kind, TargetKind::PgBouncer);
        // Forced to PgBouncer, a PostgreSQL server is asked SHOW POOLS and says what is wrong.
        db::Sampler::Options asBouncer;
        asBouncer.kindOverride = TargetKind::PgBouncer;
        const TargetSnapshot forced = db::Sampler(m_sandbox->uris().monitor, asBouncer).sample();
        QCOMPARE(forced.kind, TargetKind::PgBouncer);
        QVERIFY(!forced.ok);
        QVERIFY2(forced.error.message.contains(QLatin1String("pools")), qPrintable(forced.error.message));
        // Forced to PostgreSQL on the console: the PostgreSQL queries fail there, never a crash or a hang.
        db::Sampler::Options asPostgres;
        asPostgres.kindOverride = TargetKind::Postgres;
        const TargetSnapshot wrong = db::Sampler(m_sandbox->uris().pgbouncerConsole, asPostgres).sample();
        QCOMPARE(wrong.kind, TargetKind::Postgres);
        QVERIFY(!wrong.ok);
        QVERIFY(!wrong.error.message.isEmpty());
        // And the controller passes the override down to its worker.
        db::TargetController controller(m_sandbox->uris().monitor, nullptr, TargetKind::PgBouncer);
        QSignalSpy spy(&controller, &db::TargetController::snapshotReady);
        controller.start();
        QVERIFY(spy.wait(10000));
        QCOMPARE(spy.first().first().value<TargetSnapshot>().kind, TargetKind::PgBouncer);
    }

    // Between whole reads the sampler asks only for what changed (short rows for sessions idle since before
    // its previous poll, ActivityCache): what it shows must be what a fresh sampler reads whole, after
    // sessions went idle in transaction, ended and started.
    void shortRowsAgreeWithAWholeRead()
    {
        test::HeldSessions held;
        QString error;
        QVERIFY2(held.open(m_sandbox->uris().app, 4, "tst-delta", {"SELECT 1"}, &error), qPrintable(error));
        test::HeldSessions ending;
        QVERIFY2(ending.open(m_sandbox->uris().app, 1, "tst-delta", {}, &error), qPrintable(error));
        db::Sampler sampler(m_sandbox->uris().monitor);
        QVERIFY(sampler.sample().ok);
        QTest::qWait(1500); // past the cutoff's margin: these sessions come as short rows now
        QVERIFY(sampler.sample().ok);
        QTest::qWait(1500);
        DbError e;
        QVERIFY(db::exec(held.at(0), "BEGIN", &e));
        QVERIFY(db::exec(held.at(0), "SELECT txid_current()", &e)); // idle in transaction, with an xid
        QVERIFY(db::exec(held.at(1), "SET application_name = 'tst-delta-renamed'", &e));
        ending.closeAll();
        test::HeldSessions started;
        QVERIFY2(started.open(m_sandbox->uris().app, 1, "tst-delta", {}, &error), qPrintable(error));
        auto mine = [](const TargetSnapshot &s) {
            QMap<qint64, Session> out;
            for (const Session &x : s.postgres->sessions) {
                if (x.applicationName.startsWith(QLatin1String("tst-delta")))
                    out.insert(x.pid, x);
            }
            return out;
        };
        // The ended session may take a moment to leave pg_stat_activity.
        QMap<qint64, Session> seen;
        QTRY_COMPARE_WITH_TIMEOUT((seen = mine(sampler.sample())).size(), 5, 5000);
        QTest::qWait(1500);
        const TargetSnapshot delta = sampler.sample(); // short rows again for most
        const TargetSnapshot whole = db::Sampler(m_sandbox->uris().monitor).sample();
        QVERIFY(delta.ok && whole.ok);
        const QMap<qint64, Session> a = mine(delta);
        const QMap<qint64, Session> b = mine(whole);
        QCOMPARE(a.keys(), b.keys());
        for (qint64 pid : a.keys()) {
            QCOMPARE(a[pid].state, b[pid].state);
            QCOMPARE(a[pid].applicationName, b[pid].applicationName);
            QCOMPARE(a[pid].stateChange, b[pid].stateChange);
            QCOMPARE(a[pid].xactStart, b[pid].xactStart);
            QCOMPARE(a[pid].backendXidAge.has_value(), b[pid].backendXidAge.has_value());
            QCOMPARE(a[pid].query, b[pid].query);
        }
        QCOMPARE(a[PQbackendPID(held.at(0))].stateClass(), SessionState::IdleInTransaction);
        QCOMPARE(a[PQbackendPID(held.at(1))].applicationName, QStringLiteral("tst-delta-renamed"));
        QVERIFY(a.contains(PQbackendPID(started.at(0))));
        QCOMPARE(delta.postgres->counts[SessionState::IdleInTransaction],
                 whole.postgres->counts[SessionState::IdleInTransaction]);
    }

    // PostgreSQL's TPS averages over a window long enough for its late counters (10 s on 15+): no rate until
    // it filled, never a 0 meanwhile, then the worker's rate. Each transaction reads a table, so PostgreSQL
    // 15 publishes it within a second (a bare SELECT 1 is published only at disconnect: tst_throughput).
    void tpsFromSuccessiveSamples()
    {
        db::Sampler sampler(m_sandbox->uris().monitor);
        QVERIFY(sampler.sample().ok);
        test::HeldSessions worker;
        QString error;
        QVERIFY2(worker.open(m_sandbox->uris().app, 1, "tst-tps", {}, &error), qPrintable(error));
        QElapsedTimer busy;
        busy.start();
        int done = 0;
        qint64 next = 1000;
        TargetSnapshot s;
        while (busy.elapsed() < 11500) {
            DbError e;
            QVERIFY(db::exec(worker.at(0), "SELECT count(*) FROM pg_database", &e));
            ++done;
            if (busy.elapsed() >= next) {
                next += 1000;
                s = sampler.sample();
                QVERIFY(s.ok);
                QVERIFY2(!s.tps || *s.tps > 50, qPrintable(QString::number(*s.tps)));
            }
        }
        QVERIFY(done > 1000);
        QCOMPARE(s.postgres->transactionRate.status, RateStatus::Ok);
        QVERIFY(s.postgres->transactionRate.windowS >= 9.5);
        QVERIFY2(*s.tps > 50, qPrintable(QString::number(*s.tps)));
    }

    void bouncerPoolShowsHeldTransactions()
    {
        test::HeldSessions held;
        QString error;
        QVERIFY2(held.open(m_sandbox->uris().pgbouncerApp, 3, "tst-bouncer", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        db::Sampler sampler(m_sandbox->uris().pgbouncerMonitor);
        const TargetSnapshot s = sampler.sample();
        QVERIFY2(s.ok, qPrintable(s.error.message));
        QCOMPARE(s.kind, TargetKind::PgBouncer);
        QVERIFY(s.serverVersion.endsWith(QLatin1String("/bouncer")));
        QVERIFY(s.bouncer);
        const PoolStats *app = nullptr;
        for (const PoolStats &p : s.bouncer->pools) {
            QVERIFY2(p.database != QLatin1String("pgbouncer"), "console pool must be filtered out");
            if (p.database == QLatin1String("app") && p.user == QLatin1String("app"))
                app = &p;
        }
        QVERIFY(app);
        QVERIFY(app->svActive.value_or(0) >= 3);
        QCOMPARE(app->poolSize, std::optional<qint64>(10));
        QCOMPARE(app->poolMode, std::optional<QString>(QStringLiteral("transaction")));
        QCOMPARE(app->clWaiting, std::optional<qint64>(0));
    }

    void badTargets_data()
    {
        QTest::addColumn<QString>("conninfo");
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("messagePart");
        QTest::addRow("malformed conninfo") << "host=127.0.0.1 bogus=1" << int(ErrorKind::BadConnInfo)
                                            << "invalid connection option \"bogus\"";
        QTest::addRow("closed port") << "host=127.0.0.1 port=1 user=app dbname=app" << int(ErrorKind::Connect)
                                     << "Connection refused";
    }
    void badTargets()
    {
        QFETCH(QString, conninfo);
        QFETCH(int, kind);
        QFETCH(QString, messagePart);
        db::Sampler sampler(conninfo);
        const TargetSnapshot s = sampler.sample();
        QVERIFY(!s.ok);
        QCOMPARE(int(s.error.kind), kind);
        QVERIFY2(s.error.message.contains(messagePart), qPrintable(s.error.message));
    }

    void wrongPasswordIsAnAuthError()
    {
        const QString uri = QStringLiteral("host=127.0.0.1 port=%1 user=app dbname=app password=Wr0ngSecret")
                                .arg(m_sandbox->postgresPort());
        db::Sampler sampler(uri);
        const TargetSnapshot s = sampler.sample();
        QVERIFY(!s.ok);
        QCOMPARE(s.error.kind, ErrorKind::Auth);
        QVERIFY(!s.error.message.contains(QLatin1String("Wr0ngSecret")));
        QVERIFY(!s.target.contains(QLatin1String("Wr0ngSecret")));
    }

    void controllerPollsOnItsOwnThread()
    {
        db::TargetController controller(m_sandbox->uris().monitor);
        controller.setIntervalMs(200);
        QList<TargetSnapshot> got;
        connect(&controller, &db::TargetController::snapshotReady, this, [&](const TargetSnapshot &s) {
            QCOMPARE(QThread::currentThread(), thread()); // delivered on the GUI thread
            got.append(s);
        });
        controller.start();
        QTRY_VERIFY_WITH_TIMEOUT(got.size() >= 3, 10000);
        QCOMPARE(controller.state(), TargetState::Live);
        QCOMPARE(controller.kind(), TargetKind::Postgres);
        for (const TargetSnapshot &s : got)
            QVERIFY(s.ok);
        // Samples are spaced by the interval, not piled up.
        QVERIFY(got.last().sampledAtMs - got.first().sampledAtMs >= 2 * 150);
    }

    void controllerReportsFailure()
    {
        db::TargetController controller(QStringLiteral("host=127.0.0.1 port=1 user=x dbname=x"));
        QSignalSpy states(&controller, &db::TargetController::stateChanged);
        controller.start();
        QTRY_COMPARE_WITH_TIMEOUT(controller.state(), TargetState::Failed, 10000);
        QVERIFY(controller.lastError().contains(QLatin1String("refused")));
    }
};

QTEST_GUILESS_MAIN(TestSampler)
#include "tst_sampler.moc"
