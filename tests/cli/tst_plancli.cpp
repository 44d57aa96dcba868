// `poolscope plan FILE`: the verdict in its exit code, JSON with the documented keys, and a bad plan file
// answered with the key and its line, exit 1 and nothing on stdout.
#include "support/testsupport.h"

#include <QJsonArray>
#include <QTemporaryDir>
#include <QTest>

using namespace poolscope;

class TestPlanCli : public QObject
{
    Q_OBJECT
    QTemporaryDir m_dir;

    QString write(const QString &name, const QByteArray &json)
    {
        QFile f(m_dir.filePath(name));
        if (!f.open(QIODevice::WriteOnly) || f.write(json) != json.size())
            qFatal("cannot write %s", qPrintable(f.fileName()));
        return f.fileName();
    }

private Q_SLOTS:
    void fitsAndSaysHowMuchIsLeft()
    {
        const QString file = write("fits.json", R"({"postgres": {"max_connections": 100},
 "apps": [{"name": "web", "instances": 3, "processes": 2, "pool_size": 5, "max_overflow": 10,
           "traffic": {"arrival_rate_per_s": 200, "mean_hold_ms": 20}}]})");
        auto r = test::runPoolscope({"plan", file, "--json"});
        QCOMPARE(r.exitCode, 0);
        const QJsonObject o = test::jsonOf(r);
        QCOMPARE(o["worst_case_backends"].toInt(), 90);
        QCOMPARE(o["usable_backends"].toInt(), 97);
        QVERIFY(o["fits"].toBool());
        QCOMPARE(o["first_limit"].toString(), QString("postgres.max_connections"));
        for (const char *key : {"layers", "scale_out", "queues"})
            QVERIFY2(o[key].isArray() && !o[key].toArray().isEmpty(), key);
        r = test::runPoolscope({"plan", file});
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains("The plan fits: PostgreSQL must accept up to 90 connections; 97 are usable."),
                 r.out.constData());
    }

    void doesNotFit()
    {
        const QString file = write("full.json", R"({"poolers": [{"name": "pgbouncer", "pool_mode": "session",
  "pools": [{"database": "app", "user": "app", "pool_size": 5}]}],
 "apps": [{"name": "score-sync", "instances": 3, "pool_size": 5, "max_overflow": 10, "via": "pgbouncer",
           "database": "app", "user": "app"}]})");
        const auto r = test::runPoolscope({"plan", file});
        QCOMPARE(r.exitCode, 3);
        QVERIFY(r.out.contains("First limit to break: pgbouncer.pool app/app"));
    }

    void badFiles()
    {
        const QString file = write("bad.json", "{\"apps\": [\n {\"name\": \"web\",\n  \"pool_szie\": 5}]}");
        auto r = test::runPoolscope({"plan", file});
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.out.isEmpty());
        QVERIFY2(r.err.contains("apps[0].pool_szie (line 3): unknown key"), r.err.constData());
        r = test::runPoolscope({"plan", m_dir.filePath("missing.json")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY(r.err.contains("cannot read"));
        r = test::runPoolscope({"plan"});
        QCOMPARE(r.exitCode, 1);
    }
};

QTEST_GUILESS_MAIN(TestPlanCli)
#include "tst_plancli.moc"
