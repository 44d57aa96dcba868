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
};

QTEST_GUILESS_MAIN(TestAuditLog)
#include "tst_auditlog.moc"
