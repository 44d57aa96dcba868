#include "core/auditentry.h"
#include "core/auditlog.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>
#include <thread>
#include <vector>

using namespace poolscope;

class TestAuditLog : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    QList<QJsonObject> lines(const QString &path)
    {
        QFile f(path);
        if (!f.open(QIODevice::ReadOnly))
            return {};
        QList<QJsonObject> out;
        for (const QByteArray &l : f.readAll().split('\n')) {
            if (l.isEmpty())
                continue;
            QJsonParseError err{};
            const auto doc = QJsonDocument::fromJson(l, &err);
            if (err.error != QJsonParseError::NoError)
                return {}; // a torn line fails the caller's count check
            out.append(doc.object());
        }
        return out;
    }

private Q_SLOTS:
    void oneLinePerActionWithWhoWhatWhere()
    {
        const QString path = m_dir.filePath(QStringLiteral("a/audit.jsonl"));
        audit::setFilePath(path);
        QVERIFY(audit::record(QStringLiteral("terminate"), QStringLiteral("monitor@127.0.0.1:5432/app"),
                              {{QStringLiteral("pids"), QJsonArray{101, 102}},
                               {QStringLiteral("action"), QStringLiteral("ignored: reserved key")}}));
        const auto got = lines(path);
        QCOMPARE(got.size(), 1);
        QCOMPARE(got[0].value(QStringLiteral("action")).toString(), QStringLiteral("terminate"));
        QCOMPARE(got[0].value(QStringLiteral("target")).toString(),
                 QStringLiteral("monitor@127.0.0.1:5432/app"));
        QCOMPARE(got[0].value(QStringLiteral("os_user")).toString(), audit::osUser());
        QVERIFY(!audit::osUser().isEmpty());
        QCOMPARE(got[0].value(QStringLiteral("pids")).toArray().size(), 2);
        QVERIFY(QDateTime::fromString(got[0].value(QStringLiteral("time")).toString(), Qt::ISODateWithMs)
                    .isValid());
        QCOMPARE(QFile(path).permissions() & (QFile::ReadOther | QFile::ReadGroup), QFile::Permissions{});
    }

    void concurrentWritersNeverTearLines()
    {
        const QString path = m_dir.filePath(QStringLiteral("concurrent.jsonl"));
        audit::setFilePath(path);
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([t] {
                for (int i = 0; i < 50; ++i)
                    audit::record(QStringLiteral("cancel"), QStringLiteral("t%1").arg(t),
                                  {{QStringLiteral("i"), i}});
            });
        for (auto &th : threads)
            th.join();
        QCOMPARE(lines(path).size(), 200);
    }

    void unwritablePathReportsFailure()
    {
        audit::setFilePath(QStringLiteral("/proc/poolscope-cannot-write/audit.jsonl"));
        QVERIFY(!audit::record(QStringLiteral("terminate"), QStringLiteral("x")));
        audit::setFilePath({});
        QVERIFY(audit::filePath().endsWith(QStringLiteral("/poolscope/audit.jsonl")));
    }

    // What the Audit view shows of each kind of line: sessions as pids, a pool, a load run; the result with
    // the outcome and error; torn or foreign lines skipped.
    void linesReadBackForTheAuditView()
    {
        const auto terminate = audit::parseLine(
            R"({"time":"2026-11-23T06:20:00.123Z","target":"monitor@127.0.0.1:5432/app","action":"terminate",)"
            R"("source":"gui","pids":[{"pid":4242,"result":"terminated"},{"pid":4243,"result":"already gone"}],)"
            R"("result":"1 terminated, 1 already gone"})");
        QVERIFY(terminate);
        QCOMPARE(terminate->sessions, QStringLiteral("4242, 4243"));
        QCOMPARE(terminate->result, QStringLiteral("1 terminated, 1 already gone"));
        QCOMPARE(terminate->source, QStringLiteral("gui"));
        QCOMPARE(terminate->time, QDateTime(QDate(2026, 11, 23), QTime(6, 20, 0, 123), Qt::UTC));
        const auto pooler = audit::parseLine(
            R"({"action":"pooler.kill","target":"pgbadmin@127.0.0.1:6432/pgbouncer","argument":"app",)"
            R"("outcome":"failed","result":"KILL app failed","error":"timeout"})");
        QVERIFY(pooler);
        QCOMPARE(pooler->sessions, QStringLiteral("database app"));
        QCOMPARE(pooler->result, QStringLiteral("failed: KILL app failed — timeout"));
        const auto load = audit::parseLine(
            R"({"action":"load_stop","scenario":"spike","transactions":120,"errors":{"pool_timeout":3},)"
            R"("connections_max":15,"stopped_early":true})");
        QVERIFY(load);
        QCOMPARE(load->sessions, QStringLiteral("spike: up to 15 connections"));
        QCOMPARE(load->result, QStringLiteral("120 transactions, 3 errors, stopped early"));
        QVERIFY(!audit::parseLine(R"({"action":"terminate","pids":[1)"));
        QVERIFY(!audit::parseLine(R"({"time":"2026-11-23T06:20:00Z"})"));
    }
};

QTEST_GUILESS_MAIN(TestAuditLog)
#include "tst_auditlog.moc"
