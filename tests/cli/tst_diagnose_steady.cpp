// Integration: a healthy steady load names nothing. steady-oltp through PgBouncer (transaction mode, a
// short transaction at a time) and steady-rate straight at PostgreSQL, 30 s each, watched by `poolscope
// diagnose` on both the server and the pooler: not one finding, of any severity, and exit code 0.
#include "load/loadtest.h"
#include "support/sandboxtestcase.h"

#include <QJsonArray>

using namespace poolscope;

class TestDiagnoseSteady : public test::SandboxTestCase
{
    Q_OBJECT

private Q_SLOTS:
    void steadyLoadNamesNothing_data()
    {
        QTest::addColumn<QString>("preset");
        QTest::addColumn<bool>("throughPooler");
        QTest::addRow("steady-oltp through PgBouncer") << "steady-oltp" << true;
        QTest::addRow("steady-rate straight at PostgreSQL") << "steady-rate" << false;
    }

    void steadyLoadNamesNothing()
    {
        QFETCH(QString, preset);
        QFETCH(bool, throughPooler);
        const sandbox::SandboxUris &u = m_sandbox->uris();
        test::RunDriver driver(throughPooler ? u.pgbouncerApp : u.app, test::preset(preset, 36));
        QVERIFY2(driver.start(), qPrintable(driver.failure));
        test::PoolscopeProcess diagnose;
        QString error;
        QVERIFY2(diagnose.start({"diagnose", u.monitor, u.pgbouncerMonitor, "--duration", "30s", "--json"},
                                &error),
                 qPrintable(error));
        driver.watch(31000, 200, {});
        const test::CliResult r = diagnose.finish(10000);
        driver.run->stop();
        QVERIFY(driver.waitFinished());
        QVERIFY2(!r.crashed, r.err.constData());
        const QJsonObject o = test::jsonOf(r);
        QStringList named;
        for (const QJsonValue &v : o["findings"].toArray())
            named.append(v["rule"].toString() + ": " + v["summary"].toString());
        QVERIFY2(named.isEmpty(), qPrintable(named.join("\n")));
        QCOMPARE(r.exitCode, 0);
        // The load really ran all along.
        QVERIFY(driver.summary.totals.transactions > 1000);
    }
};

QTEST_GUILESS_MAIN(TestDiagnoseSteady)
#include "tst_diagnose_steady.moc"
