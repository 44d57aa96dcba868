#include "core/bouncerparsers.h"
#include "core/pgpoolparsers.h"
#include "core/poolerchain.h"
#include "core/sessionanalysis.h"
#include "core/snapshotjson.h"

#include <QJsonArray>
#include <QTest>

#include "support/fixture.h"

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
        pg.counts = analysis::countStates(pg.sessions);
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

    void poolKeys()
    {
        TargetSnapshot s;
        s.kind = TargetKind::PgBouncer;
        s.ok = true;
        BouncerSample b;
        b.pools = parsers::parseShowPools(test::fixture("pgbouncer/show_pools_1.23.txt"));
        b.databases = parsers::parseShowDatabases(test::fixture("pgbouncer/show_databases_1.23.txt"));
        b.users = parsers::parseShowUsers(test::fixture("pgbouncer/show_users_1.23.txt"));
        parsers::joinPoolSizes(b.pools, b.databases, b.users);
        b.pools[0].tps = 123.4567;
        b.pools[0].qps = 200;
        b.pools[0].idleInXactMs = 2.5;
        b.versionText = "PgBouncer 1.23.1";
        b.versionNum = 12301;
        b.access = ConsoleAccess::StatsOnly;
        b.consoleUser = "monitor";
        b.paused = false;
        s.bouncer = b;
        const QJsonObject o = toJson(s);
        const QJsonObject app = o["pools"].toArray().at(0).toObject();
        QCOMPARE(app["reserve_pool"].toInt(), 2);
        QCOMPARE(app["server_count"].toInt(), 11); // 10 active + 1 sending a cancel
        QCOMPARE(app["busy"].toDouble(), 1.0);
        QCOMPARE(app["open"].toDouble(), 1.1);
        QVERIFY(app["saturated"].toBool());
        QCOMPARE(app["tps"].toDouble(), 123.457);
        QCOMPARE(app["qps"].toDouble(), 200.0);
        QCOMPARE(app["idle_in_xact_ms"].toDouble(), 2.5);
        QCOMPARE(app["cl_active_cancel_req"].toInt(), 1);
        QCOMPARE(app["cl_waiting_cancel_req"].toInt(), 2);
        QVERIFY(app["cl_cancel_req"].isNull()); // a 1.17 column: unknown on 1.23
        QVERIFY(!app["unlimited"].toBool());
        for (const char *k :
             {"database", "user", "pool_mode", "pool_size", "cl_active", "cl_waiting", "sv_active", "sv_idle",
              "sv_used", "sv_tested", "sv_login", "maxwait_s"}) // the old keys stay
            QVERIFY2(app.contains(QLatin1String(k)), k);
        const QJsonObject report = o["pools"].toArray().at(1).toObject();
        QCOMPARE(report["pool_size"].toInt(), 4); // SHOW USERS wins
        QVERIFY(report["tps"].isNull());
        const QJsonObject pooler = o["pooler"].toObject();
        QCOMPARE(pooler["flavor"].toString(), QString("pgbouncer"));
        QCOMPARE(pooler["version_num"].toInt(), 12301);
        QCOMPARE(pooler["access"].toString(), QString("stats"));
        QCOMPARE(pooler["console_user"].toString(), QString("monitor"));
        QCOMPARE(pooler["paused"].toBool(true), false);
        QVERIFY(pooler["suspended"].isNull());
        QVERIFY(pooler["clients"].isNull()); // no connections round yet
        QCOMPARE(pooler["databases"].toArray().size(), 1);
    }

    void unlimitedPool()
    {
        TargetSnapshot s;
        s.kind = TargetKind::PgBouncer;
        BouncerSample b;
        b.pools = parsers::parseShowPools(test::fixture("pgbouncer/show_pools_1.25.txt"));
        parsers::joinPoolSizes(
            b.pools, parsers::parseShowDatabases(test::fixture("pgbouncer/show_databases_1.25.txt")));
        s.bouncer = b;
        const QJsonObject pool = toJson(s)["pools"].toArray().at(0).toObject();
        QCOMPARE(pool["pool_size"].toInt(-1), 0);
        QVERIFY(pool["unlimited"].toBool());
        QVERIFY(pool["busy"].isNull()); // no fraction of "no limit"
        QVERIFY(pool["open"].isNull());
        QVERIFY(!pool["saturated"].toBool());
    }

    void sessionsWithChain()
    {
        TargetSnapshot pg;
        pg.target = "monitor@127.0.0.1:5432/app";
        pg.kind = TargetKind::Postgres;
        pg.ok = true;
        PostgresSample sample;
        sample.serverNow = 1795404010;
        for (qint64 pid : {4242, 4243, 4244, 5000}) {
            Session s;
            s.pid = pid;
            s.state = QString(pid == 4242 ? "idle in transaction" : "idle");
            s.backendStart = 1795403400.5;
            sample.sessions.append(s);
        }
        sample.sessions[2].backendStart = 1795403700; // 4244 is a newer backend that reused the pid
        sample.counts = analysis::countStates(sample.sessions);
        pg.postgres = sample;

        TargetSnapshot bouncer;
        bouncer.kind = TargetKind::PgBouncer;
        bouncer.bouncer = BouncerSample{};
        bouncer.bouncer->clients =
            parsers::parseShowConnections(test::fixture("pgbouncer/show_clients_1.24.txt"));
        bouncer.bouncer->servers =
            parsers::parseShowConnections(test::fixture("pgbouncer/show_servers_1.24.txt"));
        const PoolerChain chain = chainOf(bouncer);

        const QJsonArray list = toJson(QList<TargetSnapshot>{pg, pg}, QList<PoolerChain>{chain})["targets"]
                                    .toArray()
                                    .at(0)["sessions"]["list"]
                                    .toArray();
        QCOMPARE(list.size(), 4);
        const QJsonObject held = list.at(0).toObject();
        QCOMPARE(held["pool"]["database"].toString(), QString("app"));
        QCOMPARE(held["pool"]["user"].toString(), QString("app"));
        QCOMPARE(held["client"]["addr"].toString(), QString("10.0.0.5"));
        QCOMPARE(held["client"]["port"].toInt(), 51234);
        QCOMPARE(held["client"]["application_name"].toString(), QString("billing"));
        QCOMPARE(held["client"]["id"].toInt(), 17);
        const QJsonObject idle = list.at(1).toObject();
        QCOMPARE(idle["pool"]["database"].toString(), QString("app"));
        QVERIFY(!idle.contains("client"));                // held by the pool, by no client
        QVERIFY(!list.at(2).toObject().contains("pool")); // pid reused: not the pooler's connection
        QVERIFY(!list.at(3).toObject().contains("pool")); // not through the pooler
        QCOMPARE(list.at(3).toObject()["pid"].toInt(), 5000);

        // chains[1] missing: the second target has no chain; the old overloads mean "no chain".
        const QJsonArray second = toJson(QList<TargetSnapshot>{pg, pg}, QList<PoolerChain>{chain})["targets"]
                                      .toArray()
                                      .at(1)["sessions"]["list"]
                                      .toArray();
        QVERIFY(!second.at(0).toObject().contains("pool"));
        const QJsonObject plain = toJson(pg);
        const QJsonObject noChain = toJson(pg, nullptr);
        const QJsonObject listOfOne = toJson(QList<TargetSnapshot>{pg});
        QVERIFY(!plain["sessions"]["list"][0].toObject().contains("pool"));
        QVERIFY(!noChain["sessions"]["list"][0].toObject().contains("pool"));
        QVERIFY(!listOfOne["targets"][0]["sessions"]["list"][0].toObject().contains("pool"));
    }

    void clientIdNullBefore124()
    {
        TargetSnapshot pg;
        pg.kind = TargetKind::Postgres;
        PostgresSample sample;
        Session s;
        s.pid = 4242;
        sample.sessions = {s};
        pg.postgres = sample;
        const PoolerChain chain =
            joinBouncerChain(parsers::parseShowConnections(test::fixture("pgbouncer/show_clients_1.18.txt")),
                             parsers::parseShowConnections(test::fixture("pgbouncer/show_servers_1.18.txt")));
        const QJsonObject o = toJson(pg, &chain);
        const QJsonObject client = o["sessions"]["list"][0]["client"].toObject();
        QCOMPARE(client["addr"].toString(), QString("10.0.0.5"));
        QVERIFY(client.contains("id"));
        QVERIFY(client["id"].isNull());
    }

    void pgpoolTarget()
    {
        TargetSnapshot s;
        s.target = "app@127.0.0.1:9999/app";
        s.kind = TargetKind::Pgpool;
        s.ok = true;
        PostgresSample pg;
        Session a;
        a.pid = 7001;
        a.state = QString("idle in transaction");
        Session b;
        b.pid = 7099;
        pg.sessions = {a, b};
        s.postgres = pg;
        PgpoolSample pool;
        pool.version = "4.7.0 (mitsukakeboshi)";
        pool.nodes = parsers::parsePoolNodes(test::fixture("pgpool/pool_nodes_4.3.txt"));
        pool.processes = parsers::parsePoolProcesses(test::fixture("pgpool/pool_processes_4.3.txt"));
        pool.pools = parsers::parsePoolPools(test::fixture("pgpool/pool_pools_4.7.txt"));
        pool.numInitChildren = 4;
        pool.maxPool = 2;
        pool.ownChildPid = 5003;
        s.pgpool = pool;
        const QJsonObject o = toJson(s);
        QCOMPARE(o["kind"].toString(), QString("pgpool"));
        const QJsonObject p = o["pgpool"].toObject();
        QCOMPARE(p["nodes"].toArray().size(), 2);
        QCOMPARE(p["nodes"][1]["status"].toString(), QString("down"));
        QCOMPARE(p["children"]["busy"].toInt(), 2);
        QCOMPARE(p["children"]["num_init_children"].toInt(), 4);
        QCOMPARE(p["children"]["utilisation"].toDouble(), 0.5);
        QCOMPARE(p["processes"].toInt(), 4);
        QCOMPARE(p["max_pool"].toInt(), 2);
        QCOMPARE(p["backend_connections"].toInt(), 4);
        // Sampled through Pgpool-II: its own POOL_POOLS tells which client holds each backend.
        const QJsonObject held = o["sessions"]["list"][0].toObject();
        QCOMPARE(held["pool"]["user"].toString(), QString("app"));
        QCOMPARE(held["client"]["addr"].toString(), QString("10.0.0.5"));
        QCOMPARE(held["client"]["pgpool_child_pid"].toInt(), 5001);
        QVERIFY(!o["sessions"]["list"][1].toObject().contains("pool"));
        QVERIFY(!o.contains("pools"));
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
