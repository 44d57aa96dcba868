#include "core/parsers.h"
#include "core/snapshotjson.h"

#include <QJsonArray>
#include <QTest>

using namespace poolscope;

class TestSnapshotJson : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void postgresShape()
    {
        TargetSnapshot s;
        s.target = "monitor@127.0.0.1:5432/app";
        s.kind = TargetKind::Postgres;
        s.ok = true;
        s.serverVersion = "15.18";
        PostgresSample pg;
        pg.serverNow = 100;
        pg.maxConnections = 100;
        pg.superuserReserved = 3;
        Session a;
        a.pid = 7;
        a.state = QString("idle in transaction");
        a.usename = "app";
        a.xactStart = 40;
        a.stateChange = 70;
        pg.sessions = {a};
        pg.counts = parsers::countStates(pg.sessions);
        s.postgres = pg;
        const QJsonObject o = toJson(QList<TargetSnapshot>{s})["targets"].toArray().at(0).toObject();
        QCOMPARE(o["target"].toString(), QString("monitor@127.0.0.1:5432/app"));
        QCOMPARE(o["kind"].toString(), QString("postgres"));
        QVERIFY(o["ok"].toBool());
        QVERIFY(o["error"].isNull());
        QCOMPARE(o["max_connections"].toInt(), 100);
        const QJsonObject sessions = o["sessions"].toObject();
        QCOMPARE(sessions["total"].toInt(), 1);
        const QJsonObject byState = sessions["by_state"].toObject();
        for (const char *k : {"active", "idle", "idle in transaction", "idle in transaction (aborted)"})
            QVERIFY2(byState.contains(QLatin1String(k)), k);
        QCOMPARE(byState["idle in transaction"].toInt(), 1);
        const QJsonObject row = sessions["list"].toArray().at(0).toObject();
        QCOMPARE(row["pid"].toInt(), 7);
        QCOMPARE(row["xact_age_s"].toDouble(), 60.0);
        QCOMPARE(row["state_age_s"].toDouble(), 30.0);
        for (const char *k : {"state", "usename", "datname", "application_name", "client_addr",
                              "wait_event_type", "wait_event", "query"})
            QVERIFY2(row.contains(QLatin1String(k)), k);
        QCOMPARE(o["oldest_xact_age_s"].toDouble(), 60.0);
        QVERIFY(!o.contains("pools"));
    }

    void bouncerShapeKeepsUnknownAsNull()
    {
        TargetSnapshot s;
        s.kind = TargetKind::PgBouncer;
        s.ok = true;
        PoolStats p;
        p.database = "app";
        p.user = "app";
        p.poolMode = QString("transaction");
        p.poolSize = 10;
        p.clActive = 4;
        p.clWaiting = 1;
        p.svActive = 3;
        p.maxwaitSeconds = 1.5;
        s.bouncer = BouncerSample{{p}, {}, {}};
        const QJsonObject pool = toJson(s)["pools"].toArray().at(0).toObject();
        QCOMPARE(pool["pool_size"].toInt(), 10);
        QCOMPARE(pool["cl_waiting"].toInt(), 1);
        QCOMPARE(pool["maxwait_s"].toDouble(), 1.5);
        QVERIFY(pool["sv_login"].isNull()); // unknown, not 0
        for (const char *k : {"database", "user", "pool_mode", "pool_size", "cl_active", "cl_waiting",
                              "sv_active", "sv_idle", "sv_used", "sv_tested", "sv_login", "maxwait_s"})
            QVERIFY2(pool.contains(QLatin1String(k)), k);
        QVERIFY(!toJson(s).contains("sessions"));
    }

    void failedTarget()
    {
        TargetSnapshot s;
        s.target = "app@127.0.0.1:1/app";
        s.error = DbError{ErrorKind::Connect, {}, "connection refused"};
        const QJsonObject o = toJson(s);
        QVERIFY(!o["ok"].toBool());
        QCOMPARE(o["error"].toString(), QString("connection refused"));
        QVERIFY(o["server_version"].isNull());
    }
};

QTEST_GUILESS_MAIN(TestSnapshotJson)
#include "tst_snapshotjson.moc"
