// Integration: the incident presets, run as shipped (shortened) against a real PostgreSQL 15 sandbox, each
// giving the client-side error class and the server-side signature an engineer would look for.
#include "loadtest.h"
#include "support/sandboxtestcase.h"

#include <algorithm>

using namespace poolscope;
using load::ErrorClass;

class TestIncidents : public test::SandboxTestCase
{
    Q_OBJECT

private Q_SLOTS:
    void psycopg2LeakExhaustsThePoolWhileTheServerIdles()
    {
        db::PgConn monitor = test::connectOrDie(m_sandbox->uris().monitor, "tst-incidents-monitor");
        test::RunDriver driver(m_sandbox->uris().app, test::preset(QStringLiteral("psycopg2-leak"), 5));
        QVERIFY2(driver.start(), qPrintable(driver.failure));
        QMap<QString, int> last;
        int mostSessions = 0;
        driver.watch(4700, 100, [&] {
            last = test::sessionsByState(monitor.get(), "poolscope-load-billing");
            mostSessions = std::max(mostSessions, test::total(last));
            return true;
        });
        QVERIFY2(driver.waitFinished(), qPrintable(driver.failure));
        const load::LoadSummary &s = driver.summary;
        // Client: psycopg2's own words, at once (no wait), for request after request.
        QVERIFY2(test::errorsOf(s, ErrorClass::PoolExhausted) > 20, qPrintable(test::errorsText(s)));
        QCOMPARE(s.totals.examples[size_t(ErrorClass::PoolExhausted)], QString("connection pool exhausted"));
        QCOMPARE(s.totals.errorTotal(), test::errorsOf(s, ErrorClass::PoolExhausted));
        // Server: maxconn sessions, every one leaked inside its transaction; nothing runs.
        QCOMPARE(mostSessions, 8);
        QCOMPARE(last.value("idle in transaction"), 8);
        QCOMPARE(last.value("active"), 0);
        QCOMPARE(s.connectionsMax, 8);
        // No transaction completes any more by the end.
        QVERIFY(driver.samples.size() >= 4);
        QCOMPARE(driver.samples.at(driver.samples.size() - 2).tps, 0.0);
    }

    void intransLeakGrowsIdleInTransaction()
    {
        db::PgConn monitor = test::connectOrDie(m_sandbox->uris().monitor, "tst-incidents-monitor");
        test::RunDriver driver(m_sandbox->uris().app, test::preset(QStringLiteral("intrans-leak"), 9));
        QVERIFY2(driver.start(), qPrintable(driver.failure));
        QList<int> idleInTx; // every 250 ms
        driver.watch(8800, 250, [&] {
            idleInTx.append(
                test::sessionsByState(monitor.get(), "poolscope-load-worker").value("idle in transaction"));
            return true;
        });
        QVERIFY2(driver.waitFinished(), qPrintable(driver.failure));
        const load::LoadSummary &s = driver.summary;
        QVERIFY2(test::errorsOf(s, ErrorClass::InTransaction) > 0, qPrintable(test::errorsText(s)));
        QVERIFY(s.totals.examples[size_t(ErrorClass::InTransaction)].contains(
            "can't change 'autocommit' now: connection in transaction status INTRANS"));
        QVERIFY(s.totals.transactions > 0); // healthy connections still work while it spreads
        // Server: the application's idle-in-transaction sessions grow (a committing job shows for an instant
        // too, hence maxima over a second at each end).
        QVERIFY(idleInTx.size() >= 30);
        const int early = *std::max_element(idleInTx.begin(), idleInTx.begin() + 4);
        const int late = *std::max_element(idleInTx.end() - 4, idleInTx.end());
        QVERIFY2(late >= 3 && late > early,
                 qPrintable(QStringLiteral("idle in transaction: %1 early, %2 late; %3")
                                .arg(early)
                                .arg(late)
                                .arg(test::errorsText(s))));
        QVERIFY(late <= 10); // the pool's size
    }

    void tenantSpikeTimesOutInTheAppPoolAtItsCeiling()
    {
        db::PgConn monitor = test::connectOrDie(m_sandbox->uris().monitor, "tst-incidents-monitor");
        test::RunDriver driver(m_sandbox->uris().app, test::preset(QStringLiteral("tenant-spike"), 9));
        QVERIFY2(driver.start(), qPrintable(driver.failure));
        int most = 0;
        int atCeiling = 0;
        driver.watch(8800, 200, [&] {
            const int n = test::total(test::sessionsByState(monitor.get(), "poolscope-load-web"));
            most = std::max(most, n);
            atCeiling += n == 15 ? 1 : 0;
            return true;
        });
        QVERIFY2(driver.waitFinished(), qPrintable(driver.failure));
        const load::LoadSummary &s = driver.summary;
        // Client: SQLAlchemy's QueuePool timeout, after its 2 s wait.
        QVERIFY2(test::errorsOf(s, ErrorClass::PoolTimeout) > 0, qPrintable(test::errorsText(s)));
        QVERIFY(s.totals.examples[size_t(ErrorClass::PoolTimeout)].startsWith(
            "QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 2.00"));
        QVERIFY(load::percentiles(s.totals.poolWait).p99 >= 1900);
        // Server: a constant ceiling of pool_size + max_overflow, never more.
        QCOMPARE(most, 15);
        QVERIFY2(atCeiling >= 20, qPrintable(QString::number(atCeiling)));
        QCOMPARE(s.connectionsMax, 15);
    }

    // Last: it fills the server's connection slots.
    void startupStormHitsMaxConnections()
    {
        db::PgConn monitor = test::connectOrDie(m_sandbox->uris().monitor, "tst-incidents-monitor");
        test::RunDriver driver(m_sandbox->uris().app, test::preset(QStringLiteral("startup-storm"), 7));
        QVERIFY2(driver.start(), qPrintable(driver.failure));
        int mostApp = 0;
        int mostAll = 0;
        driver.watch(6800, 200, [&] {
            mostApp =
                std::max(mostApp, test::total(test::sessionsByState(monitor.get(), "poolscope-load-api")));
            DbError e;
            db::PgResult r =
                db::exec(monitor.get(),
                         "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'", &e);
            if (r)
                mostAll = std::max(mostAll, QByteArray(PQgetvalue(r.get(), 0, 0)).toInt());
            return true;
        });
        QVERIFY2(driver.waitFinished(), qPrintable(driver.failure));
        const load::LoadSummary &s = driver.summary;
        // Client: 53300 in waves: the pools keep retrying with backoff after the first refusal.
        QVERIFY2(test::errorsOf(s, ErrorClass::TooManyClients) >= 100, qPrintable(test::errorsText(s)));
        QVERIFY(s.totals.examples[size_t(ErrorClass::TooManyClients)].contains("too many clients") ||
                s.totals.examples[size_t(ErrorClass::TooManyClients)].contains("reserved"));
        // Server: full, max_connections (100) minus superuser_reserved_connections (3), mostly the app's.
        QCOMPARE(mostAll, 97);
        QVERIFY2(mostApp >= 85, qPrintable(QString::number(mostApp)));
        QVERIFY(s.totals.transactions > 0); // the processes that got connections serve requests
    }
};

QTEST_GUILESS_MAIN(TestIncidents)
#include "tst_incidents.moc"
