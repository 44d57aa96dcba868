// Integration: the session-mode incident needs its own sandbox: PgBouncer in session mode (pool_size 10),
// with a short query_wait_timeout so the pooler's own error shows within the test.
#include "loadtest.h"
#include "support/testsupport.h"

using namespace poolscope;
using load::ErrorClass;

class TestIncidentPooler : public QObject
{
    Q_OBJECT
    std::unique_ptr<sandbox::Sandbox> m_sandbox;

private Q_SLOTS:
    void initTestCase()
    {
        sandbox::SandboxOptions o;
        o.poolMode = QStringLiteral("session");
        o.defaultPoolSize = 10;
        o.extraBouncerSettings = {QStringLiteral("query_wait_timeout = 3")};
        QString error;
        m_sandbox = test::startSandbox(&error, o);
        QVERIFY2(m_sandbox, qPrintable(error));
    }

    void cleanupTestCase() { m_sandbox.reset(); }

    void sessionPoolerFullQueuesAtThePooler()
    {
        db::PgConn console = test::connectOrDie(m_sandbox->uris().pgbouncerConsole, "tst-incidents-console");
        test::RunDriver driver(m_sandbox->uris().pgbouncerApp,
                               test::preset(QStringLiteral("session-pooler-full"), 7));
        QVERIFY2(driver.start(), qPrintable(driver.failure));
        qint64 mostWaiting = 0;
        bool saturated = false; // clients waiting, every server handed to a client, none idle
        QString mode;
        driver.watch(6800, 100, [&] {
            const PoolStats p = test::showPool(console.get(), "app", "app");
            mostWaiting = std::max(mostWaiting, p.clWaiting.value_or(0));
            saturated = saturated || (p.clWaiting.value_or(0) > 0 && p.svActive.value_or(0) == 10 &&
                                      p.svIdle.value_or(-1) == 0);
            mode = p.poolMode.value_or(QString());
            return true;
        });
        QVERIFY2(driver.waitFinished(), qPrintable(driver.failure));
        const load::LoadSummary &s = driver.summary;
        // Pooler: clients queue while every server is pinned to a client (session mode) and none is idle.
        QVERIFY2(mostWaiting > 0, "no client ever waited");
        QVERIFY2(saturated, "never cl_waiting > 0 with sv_active = pool_size (10) and sv_idle = 0");
        QCOMPARE(mode, QString("session"));
        // Client: PgBouncer's query_wait_timeout, which also closes the connection.
        QVERIFY2(test::errorsOf(s, ErrorClass::QueryWaitTimeout) > 0, qPrintable(test::errorsText(s)));
        QVERIFY(s.totals.examples[size_t(ErrorClass::QueryWaitTimeout)].contains("query_wait_timeout"));
        QVERIFY(s.totals.transactions > 0); // the clients holding servers go on working
        QVERIFY(s.connectionsMax > 10);     // more client connections than the pooler has servers
    }
};

QTEST_GUILESS_MAIN(TestIncidentPooler)
#include "tst_incident_pooler.moc"
