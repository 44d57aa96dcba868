// Integration: `poolscope terminate` as an on-call engineer or a script runs it, against a real sandbox: the
// dry run lists exactly the old sessions, --yes ends exactly them, no terminal means no action, read-only
// mode refuses, superuser sessions are refused with a reason, exit codes, JSON and the audit log.
#include "actionsupport.h"
#include "support/sandboxtestcase.h"

#include <QDir>
#include <QJsonArray>
#include <QProcess>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <algorithm>

using namespace poolscope;
using poolscope::test::jsonOf;

namespace {

QList<qint64> candidatePids(const QJsonObject &o, const QString &result)
{
    QList<qint64> out;
    for (const QJsonValue &v : o["candidates"].toArray()) {
        if (v.toObject()["result"].toString() == result)
            out.append(v.toObject()["pid"].toInteger());
    }
    std::sort(out.begin(), out.end());
    return out;
}

QString shellQuote(const QString &s)
{
    QString q = s;
    q.replace("'", "'\\''");
    return "'" + q + "'";
}

} // namespace

class TestTerminateCli : public test::SandboxTestCase
{
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_audit;

    QString superuser() const { return m_sandbox->uris().postgres; }

    test::CliResult terminate(const QStringList &args)
    {
        return test::runPoolscope(QStringList{"terminate"} + args);
    }

private Q_SLOTS:
    void init()
    {
        // The child writes its audit log under XDG_DATA_HOME and reads its settings under XDG_CONFIG_HOME.
        static int n = 0;
        const QString base = m_dir.filePath(QString::number(++n));
        qputenv("XDG_DATA_HOME", (base + "/data").toUtf8());
        qputenv("XDG_CONFIG_HOME", (base + "/config").toUtf8());
        m_audit = base + "/data/poolscope/audit.jsonl";
    }

    void helpDocumentsExitCodes()
    {
        const auto r = terminate({"--help"});
        QCOMPARE(r.exitCode, 0);
        for (const char *needle :
             {"Exit codes", "0  done, or nothing to do", "1  bad command line",
              "2  the target could not be reached", "3  refused as a whole", "4  some sessions failed",
              "--older-than", "--dry-run", "--yes", "--read-only", "--allow-superuser"})
            QVERIFY2(r.out.contains(needle), needle);
        const auto top = test::runPoolscope({"--help"});
        QVERIFY(top.out.contains("poolscope terminate TARGET"));
    }

    void badCommandLines_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QTest::addRow("no target") << QStringList{"--older-than", "30s", "--dry-run"} << "exactly one TARGET";
        QTest::addRow("no age") << QStringList{"TARGET", "--dry-run"} << "--older-than is required";
        QTest::addRow("bad age") << QStringList{"TARGET", "--older-than", "soon", "--dry-run"} << "duration";
        QTest::addRow("bad state") << QStringList{"TARGET", "--older-than", "1s", "--state", "sleepy"}
                                   << "unknown --state \"sleepy\"";
        QTest::addRow("dry run and yes")
            << QStringList{"TARGET", "--older-than", "1s", "--dry-run", "--yes"} << "exclude each other";
        QTest::addRow("bad client") << QStringList{"TARGET", "--older-than", "1s", "--client", "10.0.0.0/99"}
                                    << "prefix length";
    }
    void badCommandLines()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const auto r = terminate(args);
        QCOMPARE(r.exitCode, 1); // the shared table: a bad command line is 1 in every command
        QVERIFY2(r.err.contains(message.toUtf8()), r.err.constData());
        QVERIFY(!QFile::exists(m_audit)); // nothing was attempted
    }

    void unreachableTarget()
    {
        const auto r = terminate(
            {"host=127.0.0.1 port=1 dbname=app user=app connect_timeout=2", "--older-than", "1s", "--yes"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("Connection refused"), r.err.constData());
        const auto lines = test::auditLines(m_audit);
        QCOMPARE(lines.size(), 1);
        QVERIFY(lines[0]["result"].toString().startsWith("failed: "));
    }

    void dryRunThenYesEndExactlyTheOldSessions()
    {
        test::HeldSessions held;
        QString error;
        QVERIFY2(held.open(m_sandbox->uris().app, 2, "tst-cli-five", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        QTest::qWait(3000);
        QVERIFY2(held.open(m_sandbox->uris().app, 3, "tst-cli-five", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        QList<qint64> old = {PQbackendPID(held.at(0)), PQbackendPID(held.at(1))};
        std::sort(old.begin(), old.end());
        const QStringList args = {m_sandbox->uris().monitor,
                                  "--state",
                                  "idle-in-transaction",
                                  "--older-than",
                                  "2s",
                                  "--application",
                                  "tst-cli-five",
                                  "--json"};

        const auto dry = terminate(args + QStringList{"--dry-run"});
        QVERIFY2(dry.exitCode == 0, dry.err.constData());
        const QJsonObject d = jsonOf(dry);
        QCOMPARE(d.keys(), (QStringList{"candidates", "dry_run", "target"}));
        QCOMPARE(d["target"].toString(), QString("monitor@127.0.0.1:%1/app").arg(m_sandbox->postgresPort()));
        QCOMPARE(d["dry_run"].toBool(), true);
        QCOMPARE(d["candidates"].toArray().size(), 2);
        QCOMPARE(candidatePids(d, "would terminate"), old);
        const QJsonObject first = d["candidates"].toArray().at(0).toObject();
        QCOMPARE(first["usename"].toString(), QString("app"));
        QCOMPARE(first["application_name"].toString(), QString("tst-cli-five"));
        QCOMPARE(first["state"].toString(), QString("idle in transaction"));
        QVERIFY(first["state_age_s"].toDouble() > 2.0);
        for (qint64 pid : old)
            QVERIFY(test::stateOf(superuser(), pid));

        const auto real = terminate(args + QStringList{"--yes"});
        QVERIFY2(real.exitCode == 0, real.err.constData());
        const QJsonObject o = jsonOf(real);
        QCOMPARE(o["dry_run"].toBool(), false);
        QCOMPARE(candidatePids(o, "terminated"), old);
        QCOMPARE(o["candidates"].toArray().size(), 2);
        for (qint64 pid : old)
            QVERIFY(!test::stateOf(superuser(), pid));
        for (int i = 0; i < 2; ++i) {
            const QString e = test::queryError(held.at(i));
            QVERIFY2(e.contains("terminating connection due to administrator command"), qPrintable(e));
        }
        for (int i = 2; i < 5; ++i) {
            QCOMPARE(test::stateOf(superuser(), PQbackendPID(held.at(i))).value_or("gone"),
                     QString("idle in transaction"));
            QCOMPARE(test::queryError(held.at(i)), QString());
        }

        const auto lines = test::auditLines(m_audit);
        QCOMPARE(lines.size(), 2);
        QCOMPARE(lines[0]["dry_run"].toBool(), true);
        QCOMPARE(lines[1]["result"].toString(), QString("2 terminated"));
        QCOMPARE(lines[1]["source"].toString(), QString("cli"));
        QVERIFY(!test::auditText(m_audit).isEmpty());
        QVERIFY(!test::auditText(m_audit).contains("passfile"));

        // Human output of a run with nothing left to do.
        const auto again =
            terminate(QStringList{m_sandbox->uris().monitor, "--older-than", "2s", "--application",
                                  "tst-cli-five", "--state", "idle-in-transaction", "--yes"});
        QCOMPARE(again.exitCode, 0);
        QVERIFY2(again.out.contains("nothing to do"), again.out.constData());
    }

    void noTerminalNoConfirmationNoAction()
    {
        test::HeldSessions held;
        QString error;
        QVERIFY2(held.open(m_sandbox->uris().app, 1, "tst-cli-notty", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        QTest::qWait(1200);
        const auto r =
            terminate({m_sandbox->uris().monitor, "--older-than", "1s", "--application", "tst-cli-notty"});
        QCOMPARE(r.exitCode, 3);
        QVERIFY2(r.err.contains("refused: no confirmation (stdin is not a terminal"), r.err.constData());
        QCOMPARE(test::queryError(held.at(0)), QString());
        const auto lines = test::auditLines(m_audit);
        QCOMPARE(lines.size(), 1);
        QVERIFY(lines[0]["result"].toString().startsWith("refused: no confirmation"));
    }

    void terminalAsksYesOrNo()
    {
        const QString script = QStandardPaths::findExecutable("script");
        if (script.isEmpty())
            QSKIP("util-linux script(1) is needed to give the command a terminal");
        test::HeldSessions held;
        QString error;
        QVERIFY2(held.open(m_sandbox->uris().app, 1, "tst-cli-tty", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        QTest::qWait(1200);
        const QString bin = qEnvironmentVariable("POOLSCOPE_BIN");
        const QString command = shellQuote(bin) + " terminate " + shellQuote(m_sandbox->uris().monitor) +
                                " --older-than 1s --application tst-cli-tty";
        auto runWithAnswer = [&](const QByteArray &answer) {
            QProcess p;
            p.start(script, {"-qec", command, "/dev/null"});
            p.waitForStarted();
            QTest::qWait(1500); // let it list and ask before answering
            p.write(answer);
            p.waitForFinished(20000);
            return std::make_pair(p.exitCode(), p.readAll());
        };
        const auto [noCode, noOut] = runWithAnswer("n\n");
        QVERIFY2(noOut.contains("Terminate 1 session on monitor@127.0.0.1:"), noOut.constData());
        QVERIFY2(noOut.contains("[y/N]"), noOut.constData());
        QVERIFY2(noOut.contains("tst-cli-tty"), noOut.constData()); // the list is shown before the question
        QCOMPARE(noCode, 3);
        // Still there (checked from outside: a query on it would reset its idle time).
        QCOMPARE(test::stateOf(superuser(), PQbackendPID(held.at(0))).value_or("gone"),
                 QString("idle in transaction"));
        const auto [yesCode, yesOut] = runWithAnswer("y\n");
        QVERIFY2(yesCode == 0, yesOut.constData());
        QVERIFY2(yesOut.contains("1 terminated"), yesOut.constData());
        QVERIFY(test::queryError(held.at(0)).contains("terminating connection due to administrator command"));
        const auto lines = test::auditLines(m_audit);
        QCOMPARE(lines.size(), 2);
        QCOMPARE(lines[0]["result"].toString(), QString("refused: not confirmed"));
        QCOMPARE(lines[1]["result"].toString(), QString("1 terminated"));
    }

    void readOnlyRefuses()
    {
        test::HeldSessions held;
        QString error;
        QVERIFY2(held.open(m_sandbox->uris().app, 1, "tst-cli-ro", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        QTest::qWait(1200);
        const QStringList args = {m_sandbox->uris().monitor, "--older-than", "1s", "--application",
                                  "tst-cli-ro"};
        const auto flag = terminate(args + QStringList{"--read-only", "--yes"});
        QCOMPARE(flag.exitCode, 3);
        QVERIFY2(flag.err.contains("refused: read-only"), flag.err.constData());
        // The setting does the same.
        {
            QSettings s(qEnvironmentVariable("XDG_CONFIG_HOME") + "/poolscope/poolscope.conf",
                        QSettings::NativeFormat);
            s.setValue("readOnly", true);
        }
        const auto setting = terminate(args + QStringList{"--yes", "--json"});
        QCOMPARE(setting.exitCode, 3);
        QCOMPARE(jsonOf(setting)["candidates"].toArray().size(), 0);
        // A dry run changes nothing, so it is allowed.
        const auto dry = terminate(args + QStringList{"--dry-run", "--json"});
        QCOMPARE(dry.exitCode, 0);
        QCOMPARE(candidatePids(jsonOf(dry), "would terminate"), QList<qint64>{PQbackendPID(held.at(0))});
        QCOMPARE(test::queryError(held.at(0)), QString());
        const auto lines = test::auditLines(m_audit);
        QCOMPARE(lines.size(), 3);
        QCOMPARE(lines[0]["result"].toString(), QString("refused: read-only"));
        QCOMPARE(lines[1]["result"].toString(), QString("refused: read-only"));
        QCOMPARE(lines[2]["result"].toString(), QString("1 would terminate"));
    }

    void superuserSessionRefusedWithReason()
    {
        test::HeldSessions su;
        QString error;
        QVERIFY2(su.open(superuser(), 1, "tst-cli-super", {"BEGIN", "SELECT 1"}, &error), qPrintable(error));
        QTest::qWait(1200);
        const QStringList args = {m_sandbox->uris().monitor, "--older-than", "1s",    "--application",
                                  "tst-cli-super",           "--yes",        "--json"};
        const auto guarded = terminate(args);
        QCOMPARE(guarded.exitCode, 4); // ran, part of it failed
        QJsonObject c = jsonOf(guarded)["candidates"].toArray().at(0).toObject();
        QCOMPARE(c["result"].toString(), QString("permission denied"));
        QVERIFY2(c["reason"].toString().contains("superuser-owned session (postgres)"),
                 qPrintable(c["reason"].toString()));
        const auto allowed = terminate(args + QStringList{"--allow-superuser"});
        QCOMPARE(allowed.exitCode, 4);
        c = jsonOf(allowed)["candidates"].toArray().at(0).toObject();
        QCOMPARE(c["result"].toString(), QString("permission denied"));
        QCOMPARE(
            c["reason"].toString(),
            QString("superuser-owned session (postgres): only a superuser may terminate it, and monitor is "
                    "not one"));
        QCOMPARE(test::queryError(su.at(0)), QString());
    }
};

QTEST_GUILESS_MAIN(TestTerminateCli)
#include "tst_terminatecli.moc"
