// Integration: `poolscope diagnose` against a real PostgreSQL 15 + PgBouncer 1.18 sandbox while each incident
// preset of the load engine runs: the fitting rule is named within 10 s of the load starting, with its
// evidence and advice, and the exit code says so. Also the command line's own errors.
#include "load/loadtest.h"
#include "support/sandboxtestcase.h"

#include <QDateTime>
#include <QJsonArray>

using namespace poolscope;

namespace {

constexpr double kNamedWithinS = 10;

qint64 msOf(const QString &iso)
{
    return QDateTime::fromString(iso, Qt::ISODateWithMs).toMSecsSinceEpoch();
}

} // namespace

class TestDiagnose : public test::SandboxTestCase
{
    Q_OBJECT

    QString uri(const QString &kind) const
    {
        const sandbox::SandboxUris &u = m_sandbox->uris();
        if (kind == "pgbouncer_app")
            return u.pgbouncerApp;
        if (kind == "pgbouncer_session_app")
            return u.pgbouncerSessionApp;
        return u.app;
    }

private Q_SLOTS:
    void badCommandLines()
    {
        auto r = test::runPoolscope({"diagnose"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.err.contains("at least one TARGET"));
        r = test::runPoolscope({"diagnose", m_sandbox->uris().monitor, "--set", "lock.min_waiting=-3"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("lock.min_waiting needs a number >= 0"), r.err.constData());
        r = test::runPoolscope({"diagnose", m_sandbox->uris().monitor, "--set", "nonsense=1"});
        QCOMPARE(r.exitCode, 1);
        r = test::runPoolscope({"diagnose", m_sandbox->uris().monitor, "--until", "idle-in-transaction-lek"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("unknown rule 'idle-in-transaction-lek'"), r.err.constData());
        r = test::runPoolscope({"diagnose", "--help"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains("idle-in-transaction-leak"));
        QVERIFY(r.out.contains("idle_in_transaction.min_age_s (default 5)"));
    }

    void quietServerAndAFailedTarget()
    {
        const QString bad =
            QStringLiteral("host=127.0.0.1 port=1 user=nobody dbname=nowhere connect_timeout=2");
        auto r =
            test::runPoolscope({"diagnose", m_sandbox->uris().monitor, "--duration", "2s", "--json"}, 30000);
        QCOMPARE(r.exitCode, 0);
        QJsonObject o = test::jsonOf(r);
        QCOMPARE(o["findings"].toArray().size(), 0);
        QCOMPARE(o["targets"].toArray().first()["state"].toString(), QString("live"));
        r = test::runPoolscope({"diagnose", m_sandbox->uris().monitor, bad, "--duration", "2s", "--json"},
                               30000);
        QCOMPARE(r.exitCode, 2);
        o = test::jsonOf(r);
        QVERIFY(!o["targets"].toArray().at(1)["ok"].toBool());
        QVERIFY(!o["targets"].toArray().at(1)["error"].toString().isEmpty());
    }

    void incidentIsNamed_data()
    {
        QTest::addColumn<QString>("preset");
        QTest::addColumn<QString>("through"); // the sandbox URI the load connects with
        QTest::addColumn<QString>("rule");    // the rule that must be named
        QTest::addRow("psycopg2-leak") << "psycopg2-leak"
                                       << "app"
                                       << "idle-in-transaction-leak";
        QTest::addRow("intrans-leak") << "intrans-leak"
                                      << "app"
                                      << "idle-in-transaction-leak";
        QTest::addRow("intrans-leak through PgBouncer") << "intrans-leak"
                                                        << "pgbouncer_app"
                                                        << "pooler-db-mismatch";
        QTest::addRow("tenant-spike") << "tenant-spike"
                                      << "app"
                                      << "app-pool-ceiling";
        QTest::addRow("session-pooler-full") << "session-pooler-full"
                                             << "pgbouncer_session_app"
                                             << "pooler-saturation";
        QTest::addRow("leaker") << "leaker"
                                << "app"
                                << "idle-in-transaction-leak";
        QTest::addRow("lock-pileup") << "lock-pileup"
                                     << "app"
                                     << "lock-pileup";
        QTest::addRow("churn") << "churn"
                               << "app"
                               << "connection-churn";
        // Last: they fill the server's connection slots.
        QTest::addRow("startup-storm") << "startup-storm"
                                       << "app"
                                       << "server-connection-ceiling";
        QTest::addRow("max-connections-flood") << "max-connections-flood"
                                               << "app"
                                               << "server-connection-ceiling";
    }

    void incidentIsNamed()
    {
        QFETCH(QString, preset);
        QFETCH(QString, through);
        QFETCH(QString, rule);
        // diagnose connects first (a flood would leave it no slot), then the load starts; diagnose stops once
        // the rule is named (--until), at the latest 12 s into the load.
        test::PoolscopeProcess diagnose;
        QString error;
        QVERIFY2(diagnose.start({"diagnose", m_sandbox->uris().monitor, m_sandbox->uris().pgbouncerMonitor,
                                 "--duration", "13s", "--until", rule, "--json"},
                                &error),
                 qPrintable(error));
        QTest::qWait(1000);
        test::RunDriver driver(uri(through), test::preset(preset, 20));
        QVERIFY2(driver.start(), qPrintable(driver.failure));
        const qint64 loadStartedMs = QDateTime::currentMSecsSinceEpoch();
        driver.watch(12500, 100, [&] { return diagnose.running(); });
        const test::CliResult r = diagnose.finish(15000);
        driver.run->stop();
        QVERIFY(driver.waitFinished());
        QVERIFY2(!r.crashed, r.err.constData());
        QCOMPARE(r.exitCode, 3);
        const QJsonObject o = test::jsonOf(r);
        QStringList seen;
        std::optional<QJsonObject> named;
        for (const QJsonValue &v : o["findings"].toArray()) {
            const QJsonObject f = v.toObject();
            seen.append(
                f["rule"].toString() + " at +" +
                QString::number(double(msOf(f["raised_at"].toString()) - loadStartedMs) / 1000.0, 'f', 1) +
                " s");
            if (f["rule"].toString() == rule && !named)
                named = f;
        }
        QVERIFY2(named, qPrintable(rule + " not named; seen: " + seen.join(", ")));
        const double afterS = double(msOf((*named)["raised_at"].toString()) - loadStartedMs) / 1000.0;
        QVERIFY2(afterS <= kNamedWithinS, qPrintable(QString("%1 named %2 s after the load started; seen: %3")
                                                         .arg(rule)
                                                         .arg(afterS)
                                                         .arg(seen.join(", "))));
        // What the engineer reads: a sentence, advice with figures, evidence.
        QVERIFY(!(*named)["summary"].toString().isEmpty());
        QVERIFY(!(*named)["advice"].toArray().isEmpty());
        QVERIFY(!(*named)["evidence"].toObject().isEmpty());
        QVERIFY(QStringList({"warning", "critical"}).contains((*named)["severity"].toString()));
        // Settle: the load's sessions are gone before the next preset.
        QTRY_VERIFY_WITH_TIMEOUT(
            test::runPoolscope({"diagnose", m_sandbox->uris().monitor, "--duration", "1s"}).exitCode == 0,
            20000);
    }
};

QTEST_GUILESS_MAIN(TestDiagnose)
#include "tst_diagnose.moc"
