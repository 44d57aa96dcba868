// Integration: the `poolscope` binary as a script would use it, against a real sandbox.
#include "support/sandboxtestcase.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcessEnvironment>
#include <QTest>

using namespace poolscope;

namespace {

QJsonArray targetsOf(const test::CliResult &r)
{
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(r.out, &pe);
    if (pe.error != QJsonParseError::NoError)
        qWarning("stdout is not JSON (%s): %s", qPrintable(pe.errorString()), r.out.constData());
    return doc.object().value("targets").toArray();
}

} // namespace

class TestCli : public test::SandboxTestCase
{
    Q_OBJECT

private Q_SLOTS:

    void version()
    {
        const auto r = test::runPoolscope({"--version"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.startsWith("poolscope " POOLSCOPE_VERSION), r.out.constData());
        QVERIFY(r.out.contains("libpq"));
    }

    void help()
    {
        const auto r = test::runPoolscope({"--help"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains("snapshot"));
        QVERIFY(r.out.contains("sandbox"));
        const auto s = test::runPoolscope({"snapshot", "--help"});
        QCOMPARE(s.exitCode, 0);
        QVERIFY(s.out.contains("Exit codes"));
    }

    void snapshotCountsIdleInTransaction()
    {
        test::HeldSessions held;
        QString error;
        QVERIFY2(held.open(m_sandbox->uris().app, 3, "tst-cli", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        const auto r = test::runPoolscope({"snapshot", m_sandbox->uris().monitor, "--json"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QJsonArray targets = targetsOf(r);
        QCOMPARE(targets.size(), 1);
        const QJsonObject t = targets.at(0).toObject();
        QCOMPARE(t["kind"].toString(), QString("postgres"));
        QVERIFY(t["ok"].toBool());
        QVERIFY(t["error"].isNull());
        QCOMPARE(t["target"].toString(), QString("monitor@127.0.0.1:%1/app").arg(m_sandbox->postgresPort()));
        const QJsonObject sessions = t["sessions"].toObject();
        QCOMPARE(sessions["by_state"].toObject()["idle in transaction"].toInt(), 3);
        int fromTest = 0;
        for (const QJsonValue &v : sessions["list"].toArray()) {
            const QJsonObject s = v.toObject();
            QVERIFY(s["application_name"].toString() != QLatin1String("poolscope"));
            if (s["application_name"].toString() == QLatin1String("tst-cli")) {
                ++fromTest;
                QCOMPARE(s["state"].toString(), QString("idle in transaction"));
                QCOMPARE(s["usename"].toString(), QString("app"));
                QVERIFY(s["xact_age_s"].toDouble() >= 0);
            }
        }
        QCOMPARE(fromTest, 3);
        QCOMPARE(t["max_connections"].toInt(), 100);
        QVERIFY(t["oldest_xact_age_s"].isDouble());
    }

    void snapshotBouncerPool()
    {
        test::HeldSessions held;
        QString error;
        QVERIFY2(held.open(m_sandbox->uris().pgbouncerApp, 3, "tst-cli-pool", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        const auto r = test::runPoolscope({"snapshot", "--json", m_sandbox->uris().pgbouncerMonitor});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QJsonObject t = targetsOf(r).at(0).toObject();
        QCOMPARE(t["kind"].toString(), QString("pgbouncer"));
        QVERIFY(t["server_version"].toString().endsWith("/bouncer"));
        bool found = false;
        for (const QJsonValue &v : t["pools"].toArray()) {
            const QJsonObject p = v.toObject();
            QVERIFY(p["database"].toString() != QLatin1String("pgbouncer"));
            if (p["database"].toString() == QLatin1String("app") &&
                p["user"].toString() == QLatin1String("app")) {
                found = true;
                QVERIFY2(p["sv_active"].toInt() >= 3, QJsonDocument(p).toJson().constData());
                QCOMPARE(p["pool_size"].toInt(), 10);
                QCOMPARE(p["pool_mode"].toString(), QString("transaction"));
            }
        }
        QVERIFY(found);
    }

    void humanOutput()
    {
        const auto r =
            test::runPoolscope({"snapshot", m_sandbox->uris().monitor, m_sandbox->uris().pgbouncerMonitor});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QVERIFY(r.out.contains("idle in transaction"));
        QVERIFY(r.out.contains("app/app"));
    }

    void badInput_data()
    {
        QTest::addColumn<QString>("target");
        QTest::addColumn<QString>("expectedError");
        QTest::addRow("malformed conninfo") << "host=127.0.0.1 password=Sup3rSecretPw bogus=1"
                                            << "invalid connection option \"bogus\"";
        QTest::addRow("malformed URI") << "postgresql://app:Sup3rSecretPw@127.0.0.1:notaport/app"
                                       << "invalid integer value \"notaport\"";
        QTest::addRow("closed port") << "postgresql://app:Sup3rSecretPw@127.0.0.1:1/app"
                                     << "Connection refused";
        QTest::addRow("wrong password") << "WRONGPW"
                                        << "password authentication failed";
    }
    void badInput()
    {
        QFETCH(QString, target);
        QFETCH(QString, expectedError);
        if (target == QLatin1String("WRONGPW"))
            target =
                QString("postgresql://app:Sup3rSecretPw@127.0.0.1:%1/app").arg(m_sandbox->postgresPort());
        // A failing target must not hide the good one next to it.
        const auto r = test::runPoolscope({"snapshot", "--json", target, m_sandbox->uris().monitor});
        QVERIFY(!r.crashed);
        QCOMPARE(r.exitCode, 2);
        const QJsonArray targets = targetsOf(r);
        QCOMPARE(targets.size(), 2);
        const QJsonObject bad = targets.at(0).toObject();
        QVERIFY(!bad["ok"].toBool());
        QVERIFY2(bad["error"].toString().contains(expectedError), qPrintable(bad["error"].toString()));
        QVERIFY(targets.at(1).toObject()["ok"].toBool());
        QVERIFY2(!r.out.contains("Sup3rSecretPw"), "password on stdout");
        QVERIFY2(!r.err.contains("Sup3rSecretPw"), "password on stderr");
        // The failure was logged (so the file is really written), without the password.
        QFile log(QProcessEnvironment::systemEnvironment().value("XDG_DATA_HOME") +
                  "/poolscope/poolscope.log");
        QVERIFY2(log.open(QIODevice::ReadOnly), qPrintable(log.fileName()));
        const QByteArray text = log.readAll();
        QVERIFY(text.contains(bad["error"].toString().toUtf8()));
        QVERIFY2(!text.contains("Sup3rSecretPw"), "password in the log file");
    }

    void usageErrors()
    {
        const auto none = test::runPoolscope({"snapshot"});
        QCOMPARE(none.exitCode, 1);
        QVERIFY(none.err.contains("TARGET"));
        const auto unknown = test::runPoolscope({"snapshot", "--frobnicate", "x"});
        QCOMPARE(unknown.exitCode, 1);
    }

    void everyCommandAnswersABadCommandLineWithExit1_data()
    {
        QTest::addColumn<QString>("command");
        for (const char *c : {"snapshot", "watch", "diagnose", "plan", "terminate", "pooler", "load",
                              "sandbox", "record", "export", "replay"})
            QTest::addRow("%s", c) << QString(c);
    }
    void everyCommandAnswersABadCommandLineWithExit1()
    {
        QFETCH(QString, command);
        const auto bad = test::runPoolscope({command, "--frobnicate"});
        QCOMPARE(bad.exitCode, 1);
        QVERIFY(!bad.crashed);
        QVERIFY2(bad.err.contains("frobnicate"), bad.err.constData());
        // Its help names the command, never the binary's path, and lists the exit codes.
        const auto help = test::runPoolscope({command, "--help"});
        QCOMPARE(help.exitCode, 0);
        QVERIFY2(help.out.contains(QByteArray("Usage: poolscope " + command.toUtf8())), help.out.constData());
        QVERIFY2(!help.out.contains(qgetenv("POOLSCOPE_BIN")), help.out.constData());
        QVERIFY2(help.out.contains("Exit codes"), help.out.constData());
    }

    void theTableOfExitCodesIsInTheHelp()
    {
        const auto help = test::runPoolscope({"--help"});
        QCOMPARE(help.exitCode, 0);
        for (const char *needle :
             {"Exit codes (every command)", "  1  bad command line", "  4  an action ran"})
            QVERIFY2(help.out.contains(needle), needle);
    }

    void aMistypedCommandOpensNoWindow()
    {
        // Under the offscreen platform a window would run until killed: an exit at all means none opened.
        const auto typo = test::runPoolscope({"snapshto", "postgresql://x@127.0.0.1:1/db"}, 10000);
        QCOMPARE(typo.exitCode, 1);
        QVERIFY(!typo.crashed);
        QVERIFY2(typo.err.contains("unknown command \"snapshto\" (did you mean \"snapshot\"?)"),
                 typo.err.constData());
        const auto word = test::runPoolscope({"--read-only", "nonsense"}, 10000);
        QCOMPARE(word.exitCode, 1);
        QVERIFY2(word.err.contains("unknown command \"nonsense\""), word.err.constData());
    }

    void noDisplayIsAClearMessageNotACoreDump()
    {
        const QByteArray platform = qgetenv("QT_QPA_PLATFORM");
        const QByteArray display = qgetenv("DISPLAY");
        const QByteArray wayland = qgetenv("WAYLAND_DISPLAY");
        qunsetenv("QT_QPA_PLATFORM");
        qunsetenv("DISPLAY");
        qunsetenv("WAYLAND_DISPLAY");
        const auto r = test::runPoolscope({"postgresql://x@127.0.0.1:1/db"}, 10000);
        qputenv("QT_QPA_PLATFORM", platform);
        if (!display.isEmpty())
            qputenv("DISPLAY", display);
        if (!wayland.isEmpty())
            qputenv("WAYLAND_DISPLAY", wayland);
        QVERIFY(!r.crashed);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("no display") && r.err.contains("poolscope snapshot TARGET"),
                 r.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
