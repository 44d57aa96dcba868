// Integration: `poolscope watch` streams samples of several targets, one of them failing, then exits 0.
#include "cli/watchcommand.h"
#include "support/sandboxtestcase.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace poolscope;

class TestWatch : public test::SandboxTestCase
{
    Q_OBJECT

private Q_SLOTS:

    void durations_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("ms"); // -1: rejected
        QTest::addRow("milliseconds") << "500ms" << qint64(500);
        QTest::addRow("seconds") << "1s" << qint64(1000);
        QTest::addRow("minutes") << "2m" << qint64(120000);
        QTest::addRow("hours") << "1h" << qint64(3600000);
        QTest::addRow("plain number is seconds") << "3" << qint64(3000);
        QTest::addRow("fraction of a second") << "0.25" << qint64(250);
        QTest::addRow("fractional seconds with unit") << "1.5s" << qint64(1500);
        QTest::addRow("upper case unit") << "10S" << qint64(10000);
        QTest::addRow("zero") << "0s" << qint64(-1);
        QTest::addRow("negative") << "-1s" << qint64(-1);
        QTest::addRow("unknown unit") << "3d" << qint64(-1);
        QTest::addRow("empty") << "" << qint64(-1);
        QTest::addRow("words") << "soon" << qint64(-1);
    }
    void durations()
    {
        QFETCH(QString, text);
        QFETCH(qint64, ms);
        const auto parsed = cli::parseDurationMs(text);
        QCOMPARE(parsed.value_or(-1), ms);
    }

    void jsonLinesForAGoodAndABadTarget()
    {
        const QString good = m_sandbox->uris().monitor;
        const QString bad = QStringLiteral("host=127.0.0.1 port=1 user=nobody dbname=nowhere");
        const auto r = test::runPoolscope(
            {"watch", good, bad, "--duration", "3s", "--interval", "500ms", "--json-lines"}, 30000);
        QVERIFY2(!r.crashed, r.err.constData());
        QCOMPARE(r.exitCode, 0);
        const QString goodLabel = QString("monitor@127.0.0.1:%1/app").arg(m_sandbox->postgresPort());
        const QString badLabel = QStringLiteral("nobody@127.0.0.1:1/nowhere");
        int goodOk = 0, goodFailed = 0, badFailed = 0, badOk = 0;
        const QList<QByteArray> lines = r.out.trimmed().split('\n');
        for (const QByteArray &line : lines) {
            QJsonParseError pe;
            const QJsonDocument doc = QJsonDocument::fromJson(line, &pe);
            QVERIFY2(pe.error == QJsonParseError::NoError && doc.isObject(), line.constData());
            const QJsonObject o = doc.object();
            QVERIFY2(QDateTime::fromString(o["time"].toString(), Qt::ISODateWithMs).isValid(),
                     line.constData());
            QVERIFY2(o.contains("state") && o.contains("ok") && o.contains("kind"), line.constData());
            const QString target = o["target"].toString();
            if (target == goodLabel) {
                (o["ok"].toBool() ? goodOk : goodFailed)++;
                if (o["ok"].toBool()) {
                    QCOMPARE(o["state"].toString(), QString("live"));
                    QVERIFY(o["sessions"].isObject());
                }
            } else if (target == badLabel) {
                (o["ok"].toBool() ? badOk : badFailed)++;
                QVERIFY2(o["error"].toString().contains("refused"), line.constData());
                QCOMPARE(o["state"].toString(), QString("failed"));
                QVERIFY(o["next_retry_ms"].isDouble());
            } else {
                QFAIL(qPrintable("unexpected target " + target));
            }
        }
        qInfo("good: %d ok, bad: %d failed (backoff), %lld lines", goodOk, badFailed, qint64(lines.size()));
        QVERIFY2(goodOk >= 4, r.out.constData());
        QCOMPARE(goodFailed, 0);
        QVERIFY(badFailed >= 1);
        QCOMPARE(badOk, 0);
    }

    void jsonLinesCarryTheTargetsFindings()
    {
        // Two sessions of one application left idle in transaction: from the sample where they have been idle
        // two seconds (the threshold lowered for the test), each line of the target names the leak.
        test::HeldSessions held;
        QString error;
        QVERIFY2(held.open(m_sandbox->uris().app, 2, "tst-watch-leak", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        const auto r =
            test::runPoolscope({"watch", m_sandbox->uris().monitor, "--interval", "500ms", "--duration", "4s",
                                "--json-lines", "--set", "idle_in_transaction.min_age_s=2"},
                               30000);
        QCOMPARE(r.exitCode, 0);
        const QList<QByteArray> lines = r.out.trimmed().split('\n');
        const QJsonObject last = QJsonDocument::fromJson(lines.last()).object();
        const QJsonArray findings = last["findings"].toArray();
        QCOMPARE(findings.size(), 1);
        QCOMPARE(findings.first()["rule"].toString(), QString("idle-in-transaction-leak"));
        QCOMPARE(findings.first()["subject"].toString(), QString("tst-watch-leak"));
        QCOMPARE(findings.first()["pids"].toArray().size(), 2);
        QVERIFY(QJsonDocument::fromJson(lines.first()).object()["findings"].toArray().isEmpty());
    }

    void humanLines()
    {
        const auto r = test::runPoolscope(
            {"watch", "--interval", "200ms", "--duration", "1s", m_sandbox->uris().pgbouncerMonitor}, 30000);
        QCOMPARE(r.exitCode, 0);
        const QList<QByteArray> lines = r.out.trimmed().split('\n');
        QVERIFY2(lines.size() >= 3, r.out.constData());
        QVERIFY2(lines.first().contains("  live  pools "), r.out.constData());
        QVERIFY(lines.first().contains("cl_waiting"));
    }

    void usageErrors_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addRow("no target") << QStringList{"watch"};
        QTest::addRow("interval too short") << QStringList{"watch", "--interval", "50ms", "host=x"};
        QTest::addRow("interval too long") << QStringList{"watch", "--interval", "2m", "host=x"};
        QTest::addRow("bad duration") << QStringList{"watch", "--duration", "forever", "host=x"};
    }
    void usageErrors()
    {
        QFETCH(QStringList, args);
        const auto r = test::runPoolscope(args, 10000);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.startsWith("poolscope watch:"), r.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestWatch)
#include "tst_watch.moc"
