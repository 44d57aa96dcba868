// The capacity planner's arithmetic on hand-checked plans, Erlang C against values computed here by another
// route (the textbook sum with factorials, in long double), and bad plan files named by key and line.
#include "core/capacity.h"
#include "core/erlang.h"
#include "core/jsonlocator.h"
#include "core/liveplan.h"
#include "core/plan.h"

#include <QJsonArray>
#include <QtTest>
#include <cmath>

using namespace poolscope;

namespace {

plan::Plan parse(const QByteArray &json)
{
    plan::ParseError e;
    const auto p = plan::parsePlan(json, &e);
    if (!p)
        qFatal("test plan does not parse: %s", qPrintable(e.text()));
    return *p;
}

const capacity::Layer *layer(const capacity::Result &r, const QString &id)
{
    for (const capacity::Layer &l : r.layers) {
        if (l.id == id)
            return &l;
    }
    return nullptr;
}

/// Erlang C from its definition: (a^c/c! · c/(c−a)) / (Σ_{k<c} a^k/k! + a^c/c! · c/(c−a)).
long double erlangCByDefinition(int c, long double a)
{
    long double term = 1, sum = 0; // term = a^k / k!
    for (int k = 0; k < c; ++k) {
        sum += term;
        term = term * a / (k + 1);
    }
    const long double top = term * c / (c - a);
    return top / (sum + top);
}

constexpr const char *kWeb = R"({"postgres": {"max_connections": 100, "superuser_reserved_connections": 3},
 "apps": [{"name": "web", "instances": 3, "processes": 2, "pool_size": 5, "max_overflow": 10}]})";

} // namespace

class TestCapacity : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void threeInstancesFitWithSevenLeft()
    {
        const capacity::Result r = capacity::evaluate(parse(kWeb));
        QCOMPARE(r.worstCaseBackends, qint64(90)); // 3 × 2 × (5 + 10)
        QCOMPARE(r.usableBackends, 97);            // 100 − 3
        QVERIFY(r.fits);
        QCOMPARE(r.firstLimit, QString("postgres.max_connections"));
        QCOMPARE(*layer(r, "postgres.max_connections")->limit - r.worstCaseBackends, qint64(7));
        QCOMPARE(r.scaleOut.size(), 1);
        QCOMPARE(r.scaleOut.first().maxInstances.value_or(-1), 3);
        const QJsonObject o = capacity::toJson(r);
        QCOMPARE(o["worst_case_backends"].toInt(), 90);
        QCOMPARE(o["usable_backends"].toInt(), 97);
        QCOMPARE(o["fits"].toBool(), true);
        QCOMPARE(o["first_limit"].toString(), QString("postgres.max_connections"));
    }

    void sessionPoolOfFiveIsTheFirstLimit()
    {
        const capacity::Result r = capacity::evaluate(parse(R"({
 "postgres": {"max_connections": 100, "superuser_reserved_connections": 3},
 "poolers": [{"name": "pgbouncer", "pool_mode": "session", "pools": [{"database": "app", "user": "app", "pool_size": 5}]}],
 "apps": [{"name": "web", "instances": 3, "processes": 2, "pool_size": 5, "max_overflow": 10,
           "via": "pgbouncer", "database": "app", "user": "app"}]})"));
        QVERIFY(!r.fits);
        QCOMPARE(r.firstLimit, QString("pgbouncer.pool app/app"));
        const capacity::Layer *pool = layer(r, "pgbouncer.pool app/app");
        QCOMPARE(pool->worstCase, qint64(90));
        QCOMPARE(*pool->limit, qint64(5));
        QVERIFY(pool->hard);
        QCOMPARE(r.worstCaseBackends, qint64(5));               // PostgreSQL only sees the pool's five
        QVERIFY(layer(r, "pgbouncer.max_client_conn")->fits()); // 90 of 100
        // Not even one instance of web fits that pool; 18 PgBouncers would hold the 90 clients.
        QCOMPARE(r.scaleOut.at(0).maxInstances.value_or(-1), 0);
        QCOMPARE(r.scaleOut.at(1).minInstances.value_or(-1), 18);
    }

    void transactionPoolQueuesInsteadOfBreaking()
    {
        const capacity::Result r = capacity::evaluate(parse(R"({
 "poolers": [{"name": "pgbouncer", "pool_mode": "transaction", "default_pool_size": 20}],
 "apps": [{"name": "web", "instances": 3, "processes": 2, "pool_size": 5, "max_overflow": 10,
           "via": "pgbouncer", "database": "app", "user": "app"}]})"));
        QVERIFY(r.fits);
        QVERIFY(!layer(r, "pgbouncer.pool app/app")->hard);
        QCOMPARE(r.worstCaseBackends, qint64(20));
    }

    void unlimitedCapsNeverDivideByZero()
    {
        const capacity::Result r = capacity::evaluate(parse(R"({
 "poolers": [{"name": "pgb", "pool_mode": "transaction", "default_pool_size": 0, "max_db_connections": 0,
              "max_user_connections": 0, "max_client_conn": 1000}],
 "apps": [{"name": "web", "instances": 4, "pool_size": 10, "via": "pgb", "database": "app", "user": "app"}]})"));
        const capacity::Layer *pool = layer(r, "pgb.pool app/app");
        QVERIFY(!pool->limit);
        QVERIFY(!pool->utilisation());
        QCOMPARE(r.worstCaseBackends, qint64(40)); // every client may get its own server
        const QJsonObject o = capacity::toJson(r);
        for (const QJsonValue &l : o["layers"].toArray()) {
            const QJsonValue u = l.toObject()["utilisation"];
            QVERIFY(u.isNull() || std::isfinite(u.toDouble()));
        }
    }

    void fleetOfPoolersAgainstTheServer()
    {
        // Six PgBouncer pods, each allowed 1,500 server connections, against 5,000 − 3 − 2 − 6 = 4,989.
        const capacity::Result r = capacity::evaluate(parse(R"({
 "postgres": {"max_connections": 5000, "superuser_reserved_connections": 3, "reserved_connections": 2,
              "other_sessions": 6},
 "poolers": [{"name": "pgbouncer", "instances": 6, "pool_mode": "transaction", "default_pool_size": 1000,
              "reserve_pool_size": 500, "max_client_conn": 5000}],
 "apps": [{"name": "api", "instances": 40, "processes": 10, "pool_size": 50,
           "via": "pgbouncer", "database": "app", "user": "app"}]})"));
        QCOMPARE(r.usableBackends, 4989);
        QCOMPARE(r.worstCaseBackends, qint64(9000));
        QVERIFY(!r.fits);
        QCOMPARE(r.firstLimit, QString("postgres.max_connections"));
        // At most nine instances of api fit (9 × 500 = 4,500 server connections). No pod count fits: three
        // pods keep PostgreSQL under its limit (4,500) but hold 15,000 of the 20,000 clients; four hold the
        // clients and may open 6,000.
        QCOMPARE(r.scaleOut.at(0).maxInstances.value_or(-1), 9);
        const capacity::ScaleOut &pods = r.scaleOut.at(1);
        QCOMPARE(pods.kind, QString("pooler"));
        QVERIFY(!pods.maxInstances);
        QVERIFY(!pods.minInstances);
    }

    void capsPerDatabaseAndUser()
    {
        const capacity::Result r = capacity::evaluate(parse(R"({
 "poolers": [{"name": "pgb", "instances": 3, "pool_mode": "transaction", "default_pool_size": 20,
              "max_db_connections": 10, "max_client_conn": 1000}],
 "apps": [{"name": "web", "instances": 10, "pool_size": 10, "via": "pgb", "database": "app", "user": "app"}]})"));
        QCOMPARE(layer(r, "pgb.server_connections")->worstCase, qint64(30)); // 3 × max_db_connections 10
    }

    void scaleOutAtTheBoundary_data()
    {
        QTest::addColumn<int>("otherSessions");
        QTest::addColumn<int>("expected");
        QTest::addRow("usable 90: exactly three instances") << 7 << 3;
        QTest::addRow("usable 89: two") << 8 << 2;
        QTest::addRow("usable 30: one") << 67 << 1;
        QTest::addRow("usable 29: none") << 68 << 0;
    }

    void scaleOutAtTheBoundary()
    {
        QFETCH(int, otherSessions);
        QFETCH(int, expected);
        plan::Plan p = parse(kWeb);
        p.postgres.otherSessions = otherSessions;
        const capacity::Result r = capacity::evaluate(p);
        QCOMPARE(r.scaleOut.first().maxInstances.value_or(-1), expected);
        QCOMPARE(r.fits, expected >= 3);
    }

    void erlangCAgainstTheDefinition_data()
    {
        QTest::addColumn<int>("servers");
        QTest::addColumn<double>("load");
        QTest::addRow("c=1, a=0.5 (M/M/1: P_wait = ρ)") << 1 << 0.5;
        QTest::addRow("c=5, a=4") << 5 << 4.0;
        QTest::addRow("c=10, a=2") << 10 << 2.0;
        QTest::addRow("c=20, a=19.9 (ρ → 1)") << 20 << 19.9;
        QTest::addRow("c=20, a=19.999") << 20 << 19.999;
        QTest::addRow("c=150, a=120") << 150 << 120.0;
    }

    void erlangCAgainstTheDefinition()
    {
        QFETCH(int, servers);
        QFETCH(double, load);
        const double expected = double(erlangCByDefinition(servers, load));
        QVERIFY2(std::abs(erlang::erlangC(servers, load) - expected) < 1e-9,
                 qPrintable(QString("%1 vs %2")
                                .arg(erlang::erlangC(servers, load), 0, 'g', 12)
                                .arg(expected, 0, 'g', 12)));
    }

    void waitsOfATextbookPool()
    {
        // 200 requests/s holding a connection 20 ms on average (μ = 50/s, a = 4) over 5 connections.
        const erlang::Queue q = erlang::mmc(5, 200, 20);
        const double pWait = double(erlangCByDefinition(5, 4));
        QCOMPARE(q.utilisation, 0.8);
        QVERIFY(std::abs(q.pWait - pWait) < 1e-12);
        QVERIFY(std::abs(*q.meanWaitMs - 1000 * pWait / (250 - 200)) < 1e-9);
        QVERIFY(std::abs(*q.p99WaitMs - 1000 * std::log(pWait / 0.01) / 50) < 1e-9);
        QVERIFY(*q.p99WaitMs > 80 && *q.p99WaitMs < 81); // 80.3 ms
        // Plenty of connections: nobody waits at the 99th percentile.
        QCOMPARE(*erlang::mmc(20, 200, 20).p99WaitMs, 0.0);
        // Saturated: no finite wait.
        const erlang::Queue full = erlang::mmc(4, 200, 20);
        QVERIFY(!full.stable());
        QCOMPARE(full.pWait, 1.0);
        QVERIFY(!full.meanWaitMs && !full.p99WaitMs);
    }

    void queuesNameTheBindingPool()
    {
        const capacity::Result r = capacity::evaluate(parse(R"({
 "poolers": [{"name": "pgb", "pool_mode": "transaction", "pools": [{"database": "app", "user": "app", "pool_size": 5}]}],
 "apps": [{"name": "web", "instances": 3, "processes": 2, "pool_size": 5, "max_overflow": 10,
           "via": "pgb", "database": "app", "user": "app",
           "traffic": {"arrival_rate_per_s": 200, "mean_hold_ms": 20}}]})"));
        QCOMPARE(r.queues.size(), 1);
        const capacity::QueueResult &q = r.queues.first();
        QCOMPARE(q.servers, 5); // the pooler's pool, not the applications' 90 connections
        QCOMPARE(q.queue.utilisation, 0.8);
        QCOMPARE(q.level, capacity::Level::Ok);
        QVERIFY(q.serversDetail.startsWith("pgb pool app/app"));
        const QJsonObject j = capacity::toJson(r)["queues"].toArray().first().toObject();
        for (const char *key : {"app", "servers", "utilisation", "p_wait", "mean_wait_ms", "p99_wait_ms"})
            QVERIFY2(j.contains(key), key);
    }

    void queueLevels_data()
    {
        QTest::addColumn<double>("rate");
        QTest::addColumn<QString>("level");
        QTest::addRow("ρ 0.80") << 400.0 << "ok";
        QTest::addRow("ρ 0.86") << 430.0 << "warning";
        QTest::addRow("ρ 0.96") << 480.0 << "critical";
        QTest::addRow("ρ 1.2") << 600.0 << "critical";
    }

    void queueLevels()
    {
        QFETCH(double, rate);
        QFETCH(QString, level);
        plan::Plan p = parse(
            R"({"apps": [{"name": "w", "pool_size": 10, "traffic": {"arrival_rate_per_s": 1, "mean_hold_ms": 20}}]})");
        p.apps[0].traffic->arrivalRatePerS = rate;
        QCOMPARE(capacity::levelName(capacity::evaluate(p).queues.first().level), level);
    }

    void badPlanFiles_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("error");
        QTest::addRow("syntax") << QByteArray("{\"apps\": [\n  {\"name\": \"web\",,}\n]}")
                                << "line 2: not valid JSON";
        QTest::addRow("unknown key") << QByteArray(
                                            "{\"apps\": [\n {\"name\": \"web\",\n  \"pool_szie\": 5}]}")
                                     << "apps[0].pool_szie (line 3): unknown key";
        QTest::addRow("a string for a number")
            << QByteArray("{\n\"postgres\": {\n  \"max_connections\": \"100\"}}")
            << "postgres.max_connections (line 3): needs a whole number >= 1";
        QTest::addRow("negative")
            << QByteArray("{\"apps\": [{\"name\": \"w\", \"pool_size\": 5,\n \"instances\": -2}]}")
            << "apps[0].instances (line 2): needs a whole number >= 0";
        QTest::addRow("no pool_size")
            << QByteArray("{\"apps\": [{\"name\": \"w\"}]}") << "apps[0].pool_size: is required";
        QTest::addRow("unknown pooler")
            << QByteArray("{\"apps\": [{\"name\": \"w\", \"pool_size\": 5,\n \"via\": \"pgbouncr\", "
                          "\"database\": \"a\", \"user\": \"a\"}]}")
            << "apps[0].via (line 2): names no pooler";
        QTest::addRow("pool mode") << QByteArray(
                                          "{\"poolers\": [{\"name\": \"p\",\n \"pool_mode\": \"sessions\"}]}")
                                   << "poolers[0].pool_mode (line 2): needs \"session\"";
        QTest::addRow("reserved beyond max") << QByteArray("{\"postgres\": {\"max_connections\": 3}}")
                                             << "postgres.superuser_reserved_connections: superuser_reserved";
        QTest::addRow("not an object") << QByteArray("[1, 2]") << "a plan is a JSON object";
        QTest::addRow("zero hold") << QByteArray(
                                          "{\"apps\": [{\"name\": \"w\", \"pool_size\": 5, \"traffic\": "
                                          "{\"arrival_rate_per_s\": 5,\n \"mean_hold_ms\": 0}}]}")
                                   << "apps[0].traffic.mean_hold_ms (line 2): needs a number > 0";
    }

    void badPlanFiles()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, error);
        plan::ParseError e;
        QVERIFY(!plan::parsePlan(json, &e));
        QVERIFY2(e.text().startsWith(error), qPrintable(e.text()));
    }

    void roundTrip()
    {
        const plan::Plan p = parse(R"({
 "postgres": {"max_connections": 200, "other_sessions": 4},
 "poolers": [{"name": "pgb", "instances": 2, "pool_mode": "transaction",
              "pools": [{"database": "app", "user": "app", "pool_size": 7, "pool_mode": "session"}]}],
 "apps": [{"name": "web", "pool_size": 5, "via": "pgb", "database": "app", "user": "app",
           "traffic": {"arrival_rate_per_s": 12.5, "mean_hold_ms": 3}}]})");
        plan::ParseError e;
        const auto again = plan::parsePlan(QJsonDocument(plan::toJson(p)).toJson(), &e);
        QVERIFY2(again, qPrintable(e.text()));
        QVERIFY(*again == p);
    }

    void planFromWhatIsConnected()
    {
        PostgresSample pg;
        pg.maxConnections = 120;
        pg.superuserReserved = 5;
        pg.poolscopeSessions = 2;
        BouncerSample b;
        b.config = {{"pool_mode", "transaction"},
                    {"default_pool_size", "20"},
                    {"reserve_pool_size", "5"},
                    {"max_client_conn", "500"},
                    {"max_db_connections", "0"}};
        PoolStats pool;
        pool.database = "app";
        pool.user = "app";
        pool.poolSize = 10;
        pool.poolMode = "transaction";
        pool.tps = 150;
        b.pools = {pool};
        BouncerStatsTotals totals;
        totals.database = "app";
        totals.xactCount = 1000;
        totals.xactTime = 30'000'000; // µs: 30 ms per transaction
        b.totals = {totals};
        plan::LiveInputs in;
        in.postgres = &pg;
        in.poolers = {{"pgbouncer", &b}};
        in.apps = {{"web", 12, "pgbouncer", "app", "app"},
                   {"web2", 3, "pgbouncer", "app", "app"},
                   {"cron", 2, "postgres", {}, {}},
                   {"", 1, "postgres", {}, {}}};
        const plan::Plan p = plan::planFromLive(in);
        QCOMPARE(p.postgres.maxConnections, 120);
        QCOMPARE(p.postgres.superuserReserved, 5);
        QCOMPARE(p.postgres.otherSessions, 2);
        QCOMPARE(p.poolers.size(), 1);
        QCOMPARE(p.poolers.first().poolMode, QString("transaction"));
        QCOMPARE(p.poolers.first().reservePoolSize, 5);
        QCOMPARE(p.poolers.first().maxClientConn, 500);
        QCOMPARE(p.poolers.first().pools.first().poolSize.value_or(-1), 10);
        QCOMPARE(p.apps.size(), 4);
        QCOMPARE(p.apps.at(0).poolSize, 12);
        QCOMPARE(p.apps.at(0).via, QString("pgbouncer"));
        // 150 transactions/s split over web and web2 by their peaks (12 : 3), each held 30 ms.
        QCOMPARE(p.apps.at(0).traffic->arrivalRatePerS, 120.0);
        QCOMPARE(p.apps.at(1).traffic->arrivalRatePerS, 30.0);
        QCOMPARE(p.apps.at(0).traffic->meanHoldMs, 30.0);
        QVERIFY(!p.apps.at(2).traffic);
        QCOMPARE(p.apps.at(3).name, QString("(no application_name)"));
        // It is a valid plan: it writes out and reads back.
        plan::ParseError e;
        QVERIFY2(plan::parsePlan(QJsonDocument(plan::toJson(p)).toJson(), &e), qPrintable(e.text()));
        const capacity::Result r = capacity::evaluate(p);
        QCOMPARE(r.worstCaseBackends, qint64(15 + 2 + 1)); // the pool's 15 clients fit its 10 + 5 servers
        QCOMPARE(r.usableBackends, 120 - 5 - 2);
    }

    // At 10 Hz an application's count is kept once a second, at that second's highest: a peak of a tenth of a
    // second still counts, and ten samples a second do not pile up.
    void appPeaksKeepTheHighestOfEachSecond()
    {
        auto sessions = [](int n) {
            QList<Session> list;
            for (int i = 0; i < n; ++i) {
                Session s;
                s.pid = 100 + i;
                s.applicationName = "web";
                s.backendType = "client backend";
                list.append(s);
            }
            return list;
        };
        plan::AppPeaks peaks(60);
        for (int tenth = 0; tenth < 30; ++tenth) // 3 s at 10 Hz: 2 sessions, 7 for one tenth at 1001.4
            peaks.addPostgres(1, 1000 + tenth / 10.0, sessions(tenth == 14 ? 7 : 2), {});
        QList<plan::SeenApp> apps = peaks.appsFor(1, {}, 1003);
        QCOMPARE(apps.size(), 1);
        QCOMPARE(apps.at(0).peakSessions, 7);
        // 61 s later the second of 1001 is out of the window: the peak is the latest count.
        peaks.addPostgres(1, 1062.5, sessions(3), {});
        apps = peaks.appsFor(1, {}, 1062.5);
        QCOMPARE(apps.at(0).peakSessions, 3);
        // Gone for a whole window: forgotten.
        peaks.addPostgres(1, 1130, {}, {});
        QVERIFY(peaks.appsFor(1, {}, 1130).isEmpty());
        // The same shared list again (a sampler that saw nothing change) is not counted again, but a new chain
        // round that claims two of its sessions for the pooler is.
        const QList<Session> same = sessions(4);
        PoolerChain chain;
        chain.byBackendPid.insert(100, ChainLink{100, "app", "app"});
        chain.byBackendPid.insert(101, ChainLink{101, "app", "app"});
        plan::AppPeaks recent(1);
        recent.addPostgres(1, 2000, same, {});
        QCOMPARE(recent.appsFor(1, {}, 2000).at(0).peakSessions, 4);
        recent.addPostgres(1, 2002, same, {&chain});
        QCOMPARE(recent.appsFor(1, {}, 2002).at(0).peakSessions, 2);
        recent.addPostgres(1, 2004, same, {&chain});
        QCOMPARE(recent.appsFor(1, {}, 2004).at(0).peakSessions, 2);
        recent.addPostgres(1, 2006, same, {});
        QCOMPARE(recent.appsFor(1, {}, 2006).at(0).peakSessions, 4);
    }

    void appPeaksSplitDirectFromPooled()
    {
        auto session = [](qint64 pid, const char *app) {
            Session s;
            s.pid = pid;
            s.applicationName = app;
            s.backendType = "client backend";
            return s;
        };
        auto client = [](const char *app, const char *db) {
            BouncerConnection c;
            c.type = "C";
            c.applicationName = app;
            c.database = db;
            c.user = "app";
            return c;
        };
        PoolerChain chain;
        chain.byBackendPid.insert(200, ChainLink{200, "app", "app"});
        chain.byBackendPid.insert(201, ChainLink{201, "app", "app"});
        plan::AppPeaks peaks(60);
        // PostgreSQL: two cron sessions straight in, two backends the pooler holds (not an application's).
        peaks.addPostgres(1, 1000,
                          {session(100, "cron"), session(101, "cron"), session(200, ""), session(201, "")},
                          {&chain});
        peaks.addPostgres(1, 1001, {session(100, "cron")}, {&chain});
        // The pooler: web peaks at 3 clients, the console's client does not count.
        peaks.addPooler(2, "pgbouncer", 1000,
                        {client("web", "app"), client("web", "app"), client("", "pgbouncer")});
        peaks.addPooler(
            2, "pgbouncer", 1005,
            {client("web", "app"), client("web", "app"), client("web", "app"), client("cron", "app")});
        peaks.addPooler(2, "pgbouncer", 1010, {client("web", "app")});
        QList<plan::SeenApp> apps = peaks.appsFor(1, {2}, 1010);
        QCOMPARE(apps.size(), 3);
        QCOMPARE(apps.at(0).name, QString("web"));
        QCOMPARE(apps.at(0).peakSessions, 3);
        QCOMPARE(apps.at(0).via, QString("pgbouncer"));
        QCOMPARE(apps.at(0).database, QString("app"));
        QCOMPARE(apps.at(1).name, QString("cron"));
        QCOMPARE(apps.at(1).peakSessions, 2);
        QCOMPARE(apps.at(1).via, QString("postgres"));
        QCOMPARE(apps.at(2).name, QString("cron"));
        QCOMPARE(apps.at(2).via, QString("pgbouncer"));
        // Without the pooler only the direct application; the pooler's own view alone has no PostgreSQL apps.
        QCOMPARE(peaks.appsFor(1, {}, 1010).size(), 1);
        // The window moves on: the peaks of 1000..1005 are forgotten, web's latest is 1, cron through the
        // pooler left.
        peaks.addPostgres(1, 1070, {session(100, "cron")}, {&chain});
        peaks.addPooler(2, "pgbouncer", 1070, {client("web", "app")});
        apps = peaks.appsFor(1, {2}, 1070);
        QCOMPARE(apps.size(), 2);
        QCOMPARE(apps.at(0).peakSessions, 1);
        QCOMPARE(apps.at(1).peakSessions, 1);
        // Two entries of one name become two names in the plan.
        PostgresSample pg;
        plan::LiveInputs in;
        in.postgres = &pg;
        BouncerSample b;
        in.poolers = {{"pgbouncer", &b}};
        in.apps = peaks.appsFor(1, {2}, 1070);
        in.apps.append({"cron", 4, "pgbouncer", "app", "app"});
        const plan::Plan p = plan::planFromLive(in);
        QCOMPARE(p.apps.size(), 3);
        QVERIFY(p.apps.at(0).name != p.apps.at(2).name);
        peaks.removeTarget(2);
        QCOMPARE(peaks.appsFor(1, {2}, 1070).size(), 1);
    }

    void locatorFindsNestedKeys()
    {
        const QByteArray json =
            "{\n \"a\": [\n  {\"b\": 1},\n  {\"b\": [2,\n 3]}\n ],\n \"c\": {\"d\": \"x\"}\n}";
        const JsonLocator l(json);
        QCOMPARE(l.line("a"), 2);
        QCOMPARE(l.line("a[0].b"), 3);
        QCOMPARE(l.line("a[1].b"), 4);
        QCOMPARE(l.line("a[1].b[1]"), 5);
        QCOMPARE(l.line("c.d"), 7);
        QCOMPARE(l.line("nowhere"), 0);
    }
};

QTEST_GUILESS_MAIN(TestCapacity)
#include "tst_capacity.moc"
