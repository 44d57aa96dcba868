// Integration: the load engine against a real PostgreSQL + PgBouncer sandbox. A run measures what it did;
// stop closes every connection within a second; `poolscope load` as a script uses it; no secrets leak.
#include "loadtest.h"
#include "support/sandboxtestcase.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>

using namespace poolscope;

namespace {

load::Scenario holdingScenario()
{
    // Connections busy in every way a stop must undo: idle in transaction, a query running for a minute,
    // queries back to back.
    QString error;
    auto s = load::scenarioFromJson(QByteArray(R"json({"name":"stop-test","duration_s":120,
        "apps":[{"name":"stop-test"}],
        "workloads":[
          {"name":"holders","workers":8,"steps":[{"step":"begin"},{"step":"query","sql":"SELECT txid_current()"},
                                                {"step":"hold","ms":60000},{"step":"commit"}]},
          {"name":"sleepers","workers":6,"steps":[{"step":"slow_query","ms":60000}]},
          {"name":"busy","workers":4,"steps":[{"step":"query","sql":"SELECT 1"}]}]})json"),
                                    &error);
    if (!s)
        qFatal("%s", qPrintable(error));
    return *s;
}

QByteArray appPassword(const QString &pgpassPath)
{
    QFile f(pgpassPath);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    for (const QByteArray &line : f.readAll().split('\n')) {
        const QList<QByteArray> fields = line.split(':');
        if (fields.size() == 5 && fields.at(3) == "app")
            return fields.at(4).trimmed();
    }
    return {};
}

} // namespace

class TestLoadEngine : public test::SandboxTestCase
{
    Q_OBJECT

private Q_SLOTS:
    void select1Measures_data()
    {
        QTest::addColumn<bool>("throughPgBouncer");
        QTest::addRow("PostgreSQL") << false;
        QTest::addRow("PgBouncer") << true;
    }

    void select1Measures()
    {
        QFETCH(bool, throughPgBouncer);
        db::PgConn monitor = test::connectOrDie(m_sandbox->uris().monitor, "tst-load-monitor");
        const QString target = throughPgBouncer ? m_sandbox->uris().pgbouncerApp : m_sandbox->uris().app;
        load::Overrides o;
        o.clients = 8;
        o.durationS = 2;
        test::RunDriver driver(target, load::applyOverrides(test::preset(QStringLiteral("select1"), 2), o));
        QVERIFY2(driver.start(), qPrintable(driver.failure));
        int seen = 0;
        driver.watch(1500, 100, [&] {
            seen =
                std::max(seen, test::total(test::sessionsByState(monitor.get(), "poolscope-load-select1")));
            return true;
        });
        QVERIFY2(driver.waitFinished(), qPrintable(driver.failure));
        const load::LoadSummary &s = driver.summary;
        QVERIFY2(s.totals.errorTotal() == 0, qPrintable(test::errorsText(s)));
        QVERIFY2(s.totals.transactions > 200, qPrintable(test::errorsText(s)));
        QCOMPARE(s.totals.failed, quint64(0));
        QCOMPARE(s.connectionsMax, 8);
        QCOMPARE(s.clients, 8);
        QVERIFY(!s.stoppedEarly);
        QVERIFY(s.durationS >= 1.9 && s.durationS <= 2.5);
        const load::Percentiles lat = load::percentiles(s.totals.latency);
        QVERIFY(lat.p50 > 0 && lat.p50 <= lat.p95 && lat.p95 <= lat.p99 && lat.p99 <= lat.max);
        QCOMPARE(s.totals.latency.count(), s.totals.transactions);
        QCOMPARE(s.totals.poolWait.count(), quint64(0)); // no app pool
        // What the server saw: the eight clients, under their application name (directly; PgBouncer's pool
        // of 10 servers carries them in transaction mode).
        if (!throughPgBouncer)
            QCOMPARE(seen, 8);
        QVERIFY(seen > 0);
        // The live samples end on the summary's total, with nothing open any more.
        QVERIFY(driver.samples.size() >= 3);
        QCOMPARE(driver.samples.last().transactions, s.totals.transactions);
        QCOMPARE(driver.samples.last().connectionsOpen, 0);
        // Nothing of ours stays connected: no session on the server (directly), no client at the pooler.
        if (throughPgBouncer) {
            db::PgConn console = test::connectOrDie(m_sandbox->uris().pgbouncerConsole, "tst-load-console");
            QTRY_COMPARE_WITH_TIMEOUT(test::showPool(console.get(), "app", "app").clActive.value_or(-1),
                                      qint64(0), 1000);
        } else {
            QTRY_COMPARE_WITH_TIMEOUT(
                test::total(test::sessionsByState(monitor.get(), "poolscope-load-select1")), 0, 1000);
        }
    }

    void stopClosesEveryConnectionWithinOneSecond()
    {
        db::PgConn monitor = test::connectOrDie(m_sandbox->uris().monitor, "tst-load-monitor");
        test::RunDriver driver(m_sandbox->uris().app, holdingScenario());
        QVERIFY2(driver.start(), qPrintable(driver.failure));
        QMap<QString, int> before;
        driver.watch(15000, 50, [&] {
            before = test::sessionsByState(monitor.get(), "poolscope-load-stop-test");
            return !(test::total(before) == 18 && before.value("idle in transaction") == 8 &&
                     before.value("active") >= 6);
        });
        QVERIFY2(test::total(before) == 18 && before.value("idle in transaction") == 8 &&
                     before.value("active") >= 6,
                 qPrintable(QStringLiteral("not all busy yet: %1 sessions").arg(test::total(before))));

        QElapsedTimer t;
        t.start();
        driver.run->stop();
        int left = -1;
        while (t.elapsed() < 3000) {
            QTest::qWait(10);
            left = test::total(test::sessionsByState(monitor.get(), "poolscope-load-stop-test"));
            if (left == 0)
                break;
        }
        const qint64 gone = t.elapsed();
        QCOMPARE(left, 0);
        qInfo("all %d sessions gone from pg_stat_activity %lld ms after stop()", test::total(before), gone);
        QVERIFY2(gone <= 1000, qPrintable(QStringLiteral("took %1 ms").arg(gone)));
        QVERIFY(driver.waitFinished(2000));
        QVERIFY(driver.summary.stoppedEarly);
        QCOMPARE(driver.summary.connectionsMax, 18);
    }

    void stopThroughPgBouncerLeavesNoClientAndNoBusyServer()
    {
        db::PgConn monitor = test::connectOrDie(m_sandbox->uris().monitor, "tst-load-monitor");
        db::PgConn console = test::connectOrDie(m_sandbox->uris().pgbouncerConsole, "tst-load-console");
        test::RunDriver driver(m_sandbox->uris().pgbouncerApp, holdingScenario());
        QVERIFY2(driver.start(), qPrintable(driver.failure));
        PoolStats pool;
        driver.watch(15000, 50, [&] {
            pool = test::showPool(console.get(), "app", "app");
            return pool.clActive.value_or(0) + pool.clWaiting.value_or(0) < 18;
        });
        QCOMPARE(pool.clActive.value_or(0) + pool.clWaiting.value_or(0), qint64(18));
        QVERIFY(pool.clWaiting.value_or(0) > 0); // 8 holders + 6 sleepers want more than its 10 servers

        // The server sessions PgBouncer keeps for itself may stay, idle: nothing of ours may keep running or
        // holding a transaction there.
        auto busyOnServer = [&] {
            const QMap<QString, int> m = test::sessionsByState(monitor.get(), "poolscope-load-stop-test");
            return m.value("active") + m.value("idle in transaction");
        };
        QElapsedTimer t;
        t.start();
        driver.run->stop();
        while (t.elapsed() < 3000) {
            QTest::qWait(10);
            pool = test::showPool(console.get(), "app", "app");
            if (pool.clActive.value_or(0) + pool.clWaiting.value_or(0) == 0 && busyOnServer() == 0)
                break;
        }
        const qint64 gone = t.elapsed();
        QCOMPARE(pool.clActive.value_or(-1), qint64(0));
        QCOMPARE(pool.clWaiting.value_or(-1), qint64(0));
        QCOMPARE(busyOnServer(), 0);
        qInfo("PgBouncer clients gone and server sessions released %lld ms after stop()", gone);
        QVERIFY2(gone <= 1000, qPrintable(QStringLiteral("took %1 ms").arg(gone)));
        QVERIFY(driver.waitFinished(2000));
    }

    void cliPrintsTheSummaryAsJson()
    {
        const auto r = test::runPoolscope({"load", m_sandbox->uris().app, "--scenario", "select1",
                                           "--clients", "4", "--duration", "2s", "--json"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QJsonParseError pe;
        const QJsonObject o = QJsonDocument::fromJson(r.out, &pe).object();
        QVERIFY2(pe.error == QJsonParseError::NoError, r.out.constData());
        QVERIFY(o["tps"].toDouble() > 0);
        QVERIFY(o["transactions"].toDouble() > 0);
        QCOMPARE(o["connections_max"].toInt(), 4);
        QCOMPARE(o["clients"].toInt(), 4);
        QCOMPARE(o["scenario"].toString(), QString("select1"));
        QCOMPARE(o["target"].toString(), QString("app@127.0.0.1:%1/app").arg(m_sandbox->postgresPort()));
        for (const char *k : {"p50", "p95", "p99", "max"})
            QVERIFY2(o["latency_ms"].toObject()[k].isDouble(), k);
        for (const char *k : {"p50", "p99"})
            QVERIFY2(o["pool_wait_ms"].toObject()[k].isDouble(), k);
        const QJsonObject errors = o["errors"].toObject();
        for (const char *k : {"pool_exhausted", "pool_timeout", "too_many_clients", "query_wait_timeout",
                              "server_closed", "auth", "other"}) {
            QVERIFY2(errors.contains(k), k);
            QCOMPARE(errors[k].toInt(), 0);
        }
        // Progress on stderr, about once a second.
        static const QRegularExpression progress(QStringLiteral("^load [0-9.]+/2 s  tps [0-9.]+"),
                                                 QRegularExpression::MultilineOption);
        QVERIFY2(QString::fromUtf8(r.err).count(progress) >= 1, r.err.constData());
    }

    void cliHumanSummaryNamesTheErrors()
    {
        // psycopg2's pool with 8 connections for 12 workers that leak: exhaustion within the run.
        const auto r = test::runPoolscope(
            {"load", m_sandbox->uris().app, "--scenario", "psycopg2-leak", "--duration", "3s", "--quiet"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(r.err.isEmpty(), r.err.constData());
        QVERIFY2(r.out.contains("scenario psycopg2-leak against app@127.0.0.1"), r.out.constData());
        QVERIFY2(r.out.contains("pool_exhausted") && r.out.contains("connection pool exhausted"),
                 r.out.constData());
    }

    void cliExitCodes()
    {
        const auto help = test::runPoolscope({"load", "--help"});
        QCOMPARE(help.exitCode, 0);
        QVERIFY(help.out.contains("Exit codes"));
        QVERIFY(help.out.contains("--allow-remote"));
        const auto list = test::runPoolscope({"load", "--list"});
        QCOMPARE(list.exitCode, 0);
        for (const char *name : {"select1", "psycopg2-leak", "startup-storm", "session-pooler-full",
                                 "intrans-leak", "tenant-spike"})
            QVERIFY2(list.out.contains(name), name);
        const auto show = test::runPoolscope({"load", "--show", "tenant-spike"});
        QCOMPARE(show.exitCode, 0);
        QString error;
        QVERIFY2(load::scenarioFromJson(show.out, &error), qPrintable(error));

        const auto unknown = test::runPoolscope({"load", m_sandbox->uris().app, "--scenario", "nope"});
        QCOMPARE(unknown.exitCode, 1);
        QVERIFY2(unknown.err.contains("select1"), unknown.err.constData());
        const auto badDuration =
            test::runPoolscope({"load", m_sandbox->uris().app, "--scenario", "select1", "--duration", "2h"});
        QCOMPARE(badDuration.exitCode, 1);
        QVERIFY(badDuration.err.contains("--duration"));
        const auto noScenario = test::runPoolscope({"load", m_sandbox->uris().app});
        QCOMPARE(noScenario.exitCode, 1);
        // Nothing listens on port 1: the target cannot be reached.
        const auto refused =
            test::runPoolscope({"load", "postgresql://app@127.0.0.1:1/app", "--scenario", "select1"});
        QCOMPARE(refused.exitCode, 2);
        QVERIFY2(refused.err.contains("refused"), refused.err.constData());
        QVERIFY(refused.out.isEmpty());
        // A preset where it cannot reproduce: refused (exit 3), saying what will not happen; nothing ran.
        const auto wrongPool =
            test::runPoolscope({"load", m_sandbox->uris().pgbouncerApp, "--scenario", "session-pooler-full",
                                "--console", m_sandbox->uris().pgbouncerMonitor, "--duration", "2s"});
        QCOMPARE(wrongPool.exitCode, 3);
        QVERIFY2(wrongPool.err.contains("will not reproduce") && wrongPool.err.contains("transaction mode") &&
                     wrongPool.err.contains("--force"),
                 wrongPool.err.constData());
        QVERIFY(wrongPool.out.isEmpty());
    }

    void remoteTargetsNeedAllowRemote()
    {
        // 192.0.2.0/24 is reserved for documentation: a connection attempt would hang, so a prompt refusal
        // also shows that nothing was tried.
        QElapsedTimer t;
        t.start();
        const auto r = test::runPoolscope(
            {"load", "postgresql://app@192.0.2.1:5432/app", "--scenario", "select1", "--duration", "1s"});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("--allow-remote") && r.err.contains("192.0.2.1"), r.err.constData());
        QVERIFY(r.out.isEmpty());
        QVERIFY2(t.elapsed() < 4000, "refused without trying to connect");
    }

    void noSecretsInOutputLogsOrAuditLog()
    {
        const QByteArray password = appPassword(m_sandbox->dir() + "/pgpass");
        QVERIFY(password.size() >= 8);
        const QString conninfo = QString("host=127.0.0.1 port=%1 dbname=app user=app password=%2")
                                     .arg(m_sandbox->postgresPort())
                                     .arg(QString::fromUtf8(password));
        // Its own data directory: other test binaries running alongside write audit lines too.
        QTemporaryDir data;
        const QByteArray sharedData = qgetenv("XDG_DATA_HOME");
        qputenv("XDG_DATA_HOME", data.path().toUtf8());
        const auto r = test::runPoolscope(
            {"load", conninfo, "--scenario", "select1", "--clients", "2", "--duration", "1s", "--json"});
        qputenv("XDG_DATA_HOME", sharedData);
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY2(!r.out.contains(password) && !r.err.contains(password), "password printed");
        QFile audit(data.filePath("poolscope/audit.jsonl"));
        QVERIFY2(audit.open(QIODevice::ReadOnly), qPrintable(audit.fileName()));
        const QList<QByteArray> lines = audit.readAll().trimmed().split('\n');
        QVERIFY(!lines.join().contains(password));
        QCOMPARE(lines.size(), 2);
        const QJsonObject start = QJsonDocument::fromJson(lines.at(0)).object();
        const QJsonObject stop = QJsonDocument::fromJson(lines.at(1)).object();
        QCOMPARE(start["action"].toString(), QString("load_start"));
        QCOMPARE(start["target"].toString(), QString("app@127.0.0.1:%1/app").arg(m_sandbox->postgresPort()));
        QCOMPARE(start["scenario"].toString(), QString("select1"));
        QCOMPARE(start["clients"].toInt(), 2);
        QCOMPARE(stop["action"].toString(), QString("load_stop"));
        QVERIFY(stop["transactions"].toDouble() > 0);
        // The run was logged (so the file is really written), without the password.
        QFile log(data.filePath("poolscope/poolscope.log"));
        QVERIFY2(log.open(QIODevice::ReadOnly), qPrintable(log.fileName()));
        const QByteArray logText = log.readAll();
        QVERIFY2(logText.contains("load on app@127.0.0.1"), logText.constData());
        QVERIFY2(!logText.contains(password), "password in the log file");
    }
};

QTEST_GUILESS_MAIN(TestLoadEngine)
#include "tst_loadengine.moc"
