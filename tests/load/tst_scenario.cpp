// Unit: scenarios as users write them (JSON, presets, overrides), error classification, the latency
// histogram and the loopback check. No server needed.
#include "load/metrics.h"
#include "load/presets.h"
#include "load/scenario.h"
#include "load/target.h"

#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>
#include <climits>
#include <cmath>
#include <random>

using namespace poolscope;
using namespace poolscope::load;

namespace {

QByteArray minimal(const QByteArray &workloadExtra = {}, const QByteArray &top = {})
{
    return "{\"name\":\"t\"," + top + "\"workloads\":[{\"workers\":3," + workloadExtra +
           "\"steps\":[{\"step\":\"query\",\"sql\":\"SELECT 1\"}]}]}";
}

} // namespace

class TestScenario : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void everyPresetParsesAndRoundTrips()
    {
        const QStringList names = presetNames();
        QCOMPARE(names.size(), 15);
        for (const char *incident : {"psycopg2-leak", "startup-storm", "session-pooler-full", "intrans-leak",
                                     "tenant-spike", "select1"})
            QVERIFY2(names.contains(QLatin1String(incident)), incident);
        for (const QString &name : names) {
            QString error;
            const auto s = loadScenario(name, &error);
            QVERIFY2(s, qPrintable(name + QStringLiteral(": ") + error));
            QCOMPARE(s->name, name);
            QVERIFY2(!s->title.isEmpty() && !s->expect.isEmpty(), qPrintable(name));
            // Saved and read back, it is the same scenario (what "edit and save as" relies on).
            const QJsonObject json = toJson(*s);
            const auto again = scenarioFromJson(QJsonDocument(json).toJson(), &error);
            QVERIFY2(again, qPrintable(name + QStringLiteral(" round trip: ") + error));
            QCOMPARE(QJsonDocument(toJson(*again)).toJson(), QJsonDocument(json).toJson());
        }
    }

    void poolVocabularyOfEachLibrary()
    {
        QString error;
        const auto s = scenarioFromJson(QByteArray(R"({"name":"p","apps":[
                {"name":"a","pool":{"kind":"queuepool","pool_size":5,"max_overflow":10,"timeout":2.5,"pre_ping":true}},
                {"name":"b","pool":{"kind":"psycopg2","minconn":2,"maxconn":8}},
                {"name":"c","pool":{"kind":"psycopg_pool","min_size":4,"max_waiting":3,"reset":"none"}},
                {"name":"d"}],
              "workloads":[{"app":"a","steps":[{"step":"checkout"}]}]})"),
                                        &error);
        QVERIFY2(s, qPrintable(error));
        const PoolConfig &qp = s->apps.at(0).pool;
        QCOMPARE(qp.kind, PoolKind::QueuePool);
        QCOMPARE(qp.capacity(), 15);
        QCOMPARE(qp.keepIdle(), 5);
        QCOMPARE(qp.openAtStart(), 0);
        QCOMPARE(qp.timeoutMs, 2500);
        QVERIFY(qp.prePing);
        const PoolConfig &t = s->apps.at(1).pool;
        QCOMPARE(t.kind, PoolKind::Threaded);
        QCOMPARE(t.capacity(), 8);
        QCOMPARE(t.openAtStart(), 2);
        QCOMPARE(t.keepIdle(), 2); // psycopg2 closes connections above minconn on putconn
        QVERIFY(!t.waits());
        const PoolConfig &pp = s->apps.at(2).pool;
        QCOMPARE(pp.kind, PoolKind::PsycopgPool);
        QCOMPARE(pp.capacity(), 4); // max_size defaults to min_size, as in psycopg_pool
        QCOMPARE(pp.maxWaiting, 3);
        QCOMPARE(pp.reset, ResetOnReturn::None);
        QCOMPARE(s->apps.at(3).pool.kind, PoolKind::None);
        QCOMPARE(s->apps.at(3).applicationName(), QByteArray("poolscope-load-d"));
    }

    void stepAliases()
    {
        QString error;
        const auto s = scenarioFromJson(QByteArray(R"({"workloads":[{"steps":[
            {"step":"begin"},{"step":"slow_query","ms":250},{"step":"hold","ms":100,"jitter_ms":10},
            {"step":"commit","chance":0.5},{"step":"leak"},{"step":"require_idle"},
            {"step":"hold","ms":20,"distribution":"exponential"}]}]})"),
                                        &error);
        QVERIFY2(s, qPrintable(error));
        const QList<Step> &steps = s->workloads.first().steps;
        QCOMPARE(steps.at(0).sql, QByteArray("BEGIN"));
        QCOMPARE(steps.at(1).sql, QByteArray("SELECT pg_sleep(0.250)"));
        QCOMPARE(steps.at(2).kind, StepKind::Think);
        QCOMPARE(steps.at(2).jitterMs, 10);
        QCOMPARE(steps.at(3).chance, 0.5);
        QCOMPARE(steps.at(4).kind, StepKind::Leak);
        QCOMPARE(steps.at(5).kind, StepKind::RequireIdle);
        QVERIFY(!steps.at(2).exponential);
        QVERIFY(steps.at(6).exponential);
        QCOMPARE(steps.at(6).ms, 20);
        // No apps given: one pool-less app, used by every workload.
        QCOMPARE(s->apps.size(), 1);
        QCOMPARE(s->workloads.first().app, s->apps.first().name);
    }

    void mistakesAreReportedWithTheirPlace_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("expected");
        QTest::addRow("not JSON") << QByteArray("{\n  \"name\": \"x\",\n  oops\n}") << "line 3";
        QTest::addRow("typo in a step") << QByteArray(R"({"workloads":[{"steps":[{"step":"qurey"}]}]})")
                                        << "workloads[0].steps[0].step: unknown step \"qurey\"";
        QTest::addRow("typo in a key") << minimal("\"wrokers\":2,") << "workloads[0].wrokers: unknown key";
        QTest::addRow("query without SQL")
            << QByteArray(R"({"workloads":[{"steps":[{"step":"query"}]}]})") << "workloads[0].steps[0].sql";
        QTest::addRow("unknown app") << minimal("\"app\":\"nope\",") << "no app named \"nope\"";
        QTest::addRow("negative think")
            << QByteArray(R"({"workloads":[{"steps":[{"step":"think","ms":-5}]}]})") << "ms: must be from 0";
        QTest::addRow("chance above 1")
            << QByteArray(R"({"workloads":[{"steps":[{"step":"leak","chance":2}]}]})")
            << "chance: must be from 0 to 1";
        QTest::addRow("unknown pool") << QByteArray(R"({"apps":[{"name":"a","pool":{"kind":"hikari"}}],
            "workloads":[{"steps":[{"step":"checkout"}]}]})")
                                      << "unknown pool \"hikari\"";
        QTest::addRow("pool key of another library")
            << QByteArray(R"({"apps":[{"name":"a","pool":{"kind":"psycopg2","pool_size":5}}],
            "workloads":[{"steps":[{"step":"checkout"}]}]})")
            << "apps[0].pool.pool_size: unknown key";
        QTest::addRow("minconn above maxconn")
            << QByteArray(R"({"apps":[{"name":"a","pool":{"kind":"psycopg2","minconn":9,"maxconn":8}}],
            "workloads":[{"steps":[{"step":"checkout"}]}]})")
            << "must not exceed maxconn";
        QTest::addRow("no workloads") << QByteArray(R"({"name":"x"})") << "workloads: at least one";
        QTest::addRow("no steps") << QByteArray(R"({"workloads":[{"workers":2}]})")
                                  << "needs at least one step";
        QTest::addRow("duration zero") << minimal({}, "\"duration_s\":0,") << "duration_s";
        QTest::addRow("too many workers") << minimal("\"workers\":200000,") << "workers";
        QTest::addRow("phases out of order")
            << minimal("\"phases\":[{\"at_s\":5,\"workers\":1},{\"at_s\":2,\"workers\":2}],") << "time order";
        QTest::addRow("phase above workers")
            << minimal("\"phases\":[{\"at_s\":0,\"workers\":9}],") << "more than the workload's 3 workers";
        QTest::addRow("fractional workers") << minimal("\"workers\":1.5,") << "whole number";
        QTest::addRow("unknown hold distribution")
            << QByteArray(R"({"workloads":[{"steps":[{"step":"hold","ms":5,"distribution":"gauss"}]}]})")
            << "distribution: \"uniform\"";
        QTest::addRow("jitter on an exponential hold")
            << QByteArray(
                   R"({"workloads":[{"steps":[{"step":"hold","ms":5,"jitter_ms":2,"distribution":"exponential"}]}]})")
            << "jitter_ms: an exponential hold";
        QTest::addRow("unknown requirement")
            << QByteArray(
                   R"({"requires":{"pool_mod":"session"},"workloads":[{"steps":[{"step":"checkout"}]}]})")
            << "requires.pool_mod: unknown key";
        QTest::addRow("unknown pool mode")
            << QByteArray(
                   R"({"requires":{"pool_mode":"sesion"},"workloads":[{"steps":[{"step":"checkout"}]}]})")
            << "requires.pool_mode";
    }

    // What the presets need of their target, and what a scenario can open (the max_connections check).
    void requirementsAndReach()
    {
        QString error;
        const auto session = loadScenario(QStringLiteral("session-pooler-full"), &error);
        QVERIFY2(session, qPrintable(error));
        QCOMPARE(session->needs.server, QStringLiteral("pgbouncer"));
        QCOMPARE(session->needs.poolMode, QStringLiteral("session"));
        QVERIFY(!session->needs.reachMaxConnections);
        QCOMPARE(session->maxConnections(), 3 * 8); // 3 processes, 8 workers each under a QueuePool of 15
        for (const char *name : {"startup-storm", "max-connections-flood"}) {
            const auto s = loadScenario(QLatin1String(name), &error);
            QVERIFY2(s, qPrintable(error));
            QCOMPARE(s->needs.server, QStringLiteral("postgres"));
            QVERIFY(s->needs.reachMaxConnections);
        }
        QCOMPARE(loadScenario(QStringLiteral("startup-storm"), &error)->maxConnections(), 40 * 4);
        QCOMPARE(loadScenario(QStringLiteral("max-connections-flood"), &error)->maxConnections(), 200);
        QVERIFY(loadScenario(QStringLiteral("select1"), &error)->needs.isEmpty());
        // A leak without a pool opens connections without end.
        QCOMPARE(loadScenario(QStringLiteral("leaker"), &error)->maxConnections(), INT_MAX);
    }

    void mistakesAreReportedWithTheirPlace()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, expected);
        QString error;
        QVERIFY(!scenarioFromJson(json, &error));
        QVERIFY2(error.contains(expected), qPrintable(error));
    }

    void workersOverTime()
    {
        Workload w;
        w.workers = 100;
        QCOMPARE(w.workersAt(0), 100);
        w.phases = {{0, 10, 0}, {10, 80, 0}, {20, 10, 0}};
        QCOMPARE(w.workersAt(0), 10);
        QCOMPARE(w.workersAt(9.9), 10);
        QCOMPARE(w.workersAt(10), 80);
        QCOMPARE(w.workersAt(25), 10);
        w.phases = {{0, 0, 0}, {0, 100, 30}}; // the ramp preset
        QCOMPARE(w.workersAt(0), 0);
        QCOMPARE(w.workersAt(15), 50);
        QCOMPARE(w.workersAt(30), 100);
        w.phases = {{5, 20, 0}};
        QCOMPARE(w.workersAt(1), 0); // nobody before the first phase
    }

    void overridesFromTheCommandLine()
    {
        QString error;
        auto s = loadScenario(QStringLiteral("spike"), &error);
        QVERIFY2(s, qPrintable(error));
        Overrides o;
        o.clients = 40; // the spike preset: 80 workers, phases 10 / 80 / 10
        o.rate = 25;
        o.durationS = 7;
        const Scenario t = applyOverrides(*s, o);
        QCOMPARE(t.durationS, 7.0);
        QCOMPARE(t.workloads.first().workers, 40);
        QCOMPARE(t.workloads.first().rate, 25.0);
        QCOMPARE(t.workloads.first().phases.at(0).workers, 5);
        QCOMPARE(t.workloads.first().phases.at(1).workers, 40);
        QVERIFY(validate(t, &error));
        // Several processes share the clients: 10 over 3 processes is 4 each.
        auto storm = loadScenario(QStringLiteral("session-pooler-full"), &error);
        QVERIFY(storm);
        Overrides c;
        c.clients = 10;
        QCOMPARE(applyOverrides(*storm, c).workloads.first().workers, 4);
    }

    void retryBackoffDoublesWithJitterUpToTheCap()
    {
        const RetryPolicy p{5, 100, 1000, 0.5};
        QCOMPARE(p.delayMs(1, 0), 100);
        QCOMPARE(p.delayMs(2, 0), 200);
        QCOMPARE(p.delayMs(3, 0), 400);
        QCOMPARE(p.delayMs(5, 0), 1000);    // capped
        QCOMPARE(p.delayMs(3, 0.999), 200); // jitter takes off up to half
        const RetryPolicy none{5, 100, 1000, 0};
        QCOMPARE(none.delayMs(3, 0.9), 400);
    }

    void savedScenariosAreFoundByName()
    {
        QTemporaryDir home;
        qputenv("XDG_DATA_HOME", home.path().toUtf8());
        QString error;
        QVERIFY(saveUserScenario(QStringLiteral("../evil"), minimal(), &error).isEmpty());
        QVERIFY(saveUserScenario(QStringLiteral("bad"), QByteArray("{\"workloads\":[]}"), &error).isEmpty());
        QVERIFY(error.contains(QLatin1String("workloads")));
        const QString path = saveUserScenario(QStringLiteral("my-test"), minimal(), &error);
        QVERIFY2(!path.isEmpty(), qPrintable(error));
        QVERIFY(path.startsWith(home.path()));
        QCOMPARE(userScenarioNames(), QStringList{QStringLiteral("my-test")});
        const auto s = loadScenario(QStringLiteral("my-test"), &error);
        QVERIFY2(s, qPrintable(error));
        QCOMPARE(s->workloads.first().workers, 3);
        const auto f = loadScenario(path, &error); // and as a file
        QVERIFY2(f, qPrintable(error));
        QVERIFY(!loadScenario(QStringLiteral("no-such-thing"), &error));
        QVERIFY2(error.contains(QLatin1String("select1")), qPrintable(error)); // the message lists presets
        qunsetenv("XDG_DATA_HOME");
    }

    void classifiesServerAndPoolerErrors_data()
    {
        QTest::addColumn<QString>("sqlState");
        QTest::addColumn<QString>("message");
        QTest::addColumn<bool>("connecting");
        QTest::addColumn<bool>("lost");
        QTest::addColumn<QString>("expected");
        // Messages as PostgreSQL 15, PgBouncer 1.18 and libpq 15 word them (reference,
        // sections 1.7, 4.3-4.5).
        QTest::addRow("too many clients")
            << "53300"
            << "connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  "
               "sorry, too many clients already"
            << true << true << "too_many_clients";
        QTest::addRow("reserved slots, text only")
            << ""
            << "FATAL:  remaining connection slots are reserved for non-replication superuser connections"
            << true << true << "too_many_clients";
        QTest::addRow("pgbouncer max_client_conn")
            << "08P01"
            << "ERROR:  no more connections allowed (max_client_conn)" << true << true << "too_many_clients";
        QTest::addRow("query_wait_timeout")
            << "08P01"
            << "FATAL:  query_wait_timeout server closed the connection unexpectedly" << false << true
            << "query_wait_timeout";
        QTest::addRow("password") << "28P01"
                                  << "FATAL:  password authentication failed for user \"app\"" << true << true
                                  << "auth";
        QTest::addRow("refused") << ""
                                 << "connection to server at \"127.0.0.1\", port 1 failed: Connection refused"
                                 << true << true << "connect";
        QTest::addRow("terminated") << "57P01"
                                    << "FATAL:  terminating connection due to administrator command" << false
                                    << true << "server_closed";
        QTest::addRow("idle in transaction timeout")
            << "25P03"
            << "FATAL:  terminating connection due to idle-in-transaction timeout" << false << true
            << "server_closed";
        QTest::addRow("bare EOF")
            << ""
            << "server closed the connection unexpectedly This probably means the server "
               "terminated abnormally before or while processing the request."
            << false << true << "server_closed";
        QTest::addRow("pgbouncer server conn crashed")
            << "08P01"
            << "FATAL:  server conn crashed?" << false << true << "server_closed";
        QTest::addRow("deadlock") << "40P01"
                                  << "ERROR:  deadlock detected" << false << false << "query";
        QTest::addRow("lock timeout")
            << "55P03"
            << "ERROR:  canceling statement due to lock timeout" << false << false << "query";
        QTest::addRow("nothing known") << ""
                                       << "out of memory" << false << false << "other";
    }

    void classifiesServerAndPoolerErrors()
    {
        QFETCH(QString, sqlState);
        QFETCH(QString, message);
        QFETCH(bool, connecting);
        QFETCH(bool, lost);
        QFETCH(QString, expected);
        QCOMPARE(errorClassName(classifyError(sqlState, message, connecting, lost)), expected);
    }

    void histogramPercentilesAreClose()
    {
        Histogram h;
        QCOMPARE(h.percentileMs(99), 0.0);
        std::mt19937 rng(7);
        std::vector<std::int64_t> values;
        std::exponential_distribution<double> exp(1.0 / 2000.0); // mean 2 ms
        for (int i = 0; i < 100000; ++i) {
            values.push_back(std::int64_t(exp(rng)) + 50);
            h.record(values.back());
        }
        std::sort(values.begin(), values.end());
        for (double p : {50.0, 95.0, 99.0}) {
            const double truth = double(values[size_t(p / 100.0 * double(values.size())) - 1]) / 1000.0;
            const double got = h.percentileMs(p);
            QVERIFY2(std::abs(got - truth) / truth < 0.02,
                     qPrintable(QStringLiteral("p%1: %2 vs %3").arg(p).arg(got).arg(truth)));
        }
        QCOMPARE(h.maxMs(), double(values.back()) / 1000.0);
        QVERIFY(h.percentileMs(100) <= h.maxMs());
        Histogram other;
        other.record(5'000'000); // 5 s
        h.merge(other);
        QCOMPARE(h.count(), quint64(100001));
        QCOMPARE(h.maxMs(), 5000.0);
    }

    void summaryJsonHasEveryErrorClass()
    {
        LoadSummary s;
        s.scenario = QStringLiteral("x");
        s.durationS = 2;
        s.totals.transactions = 10;
        s.totals.addError(ErrorClass::PoolExhausted, QStringLiteral("connection pool exhausted"));
        s.totals.latency.record(1500);
        const QJsonObject o = toJson(s);
        QCOMPARE(o["tps"].toDouble(), 5.0);
        QCOMPARE(o["transactions"].toInt(), 10);
        const QJsonObject errors = o["errors"].toObject();
        QCOMPARE(errors.size(), ErrorClassCount);
        QCOMPARE(errors["pool_exhausted"].toInt(), 1);
        QCOMPARE(errors["too_many_clients"].toInt(), 0);
        QCOMPARE(o["error_examples"].toObject()["pool_exhausted"].toString(),
                 QString("connection pool exhausted"));
        for (const char *k : {"p50", "p95", "p99", "max"})
            QVERIFY2(o["latency_ms"].toObject().contains(k), k);
        for (const char *k : {"p50", "p99"})
            QVERIFY2(o["pool_wait_ms"].toObject().contains(k), k);
        QVERIFY(o.contains("connections_max"));
    }

    void loopbackCheck_data()
    {
        QTest::addColumn<QString>("conninfo");
        QTest::addColumn<bool>("loopback");
        QTest::addRow("ipv4 loopback") << "host=127.0.0.1 port=5432" << true;
        QTest::addRow("other 127 address") << "postgresql://u@127.8.9.10/db" << true;
        QTest::addRow("ipv6 loopback") << "host=::1" << true;
        QTest::addRow("localhost") << "host=localhost" << true;
        QTest::addRow("socket directory") << "host=/var/run/postgresql" << true;
        QTest::addRow("private network") << "host=10.1.2.3" << false;
        QTest::addRow("documentation network") << "postgresql://u@192.0.2.10:6432/db" << false;
        QTest::addRow("hostaddr decides") << "host=localhost hostaddr=192.0.2.1" << false;
        QTest::addRow("one remote of a list") << "host=127.0.0.1,192.0.2.7" << false;
    }

    void loopbackCheck()
    {
        QFETCH(QString, conninfo);
        QFETCH(bool, loopback);
        const TargetCheck c = checkTarget(db::parseConnInfo(conninfo));
        QVERIFY2(c.error.isEmpty(), qPrintable(c.error));
        QCOMPARE(c.loopback, loopback);
        if (!loopback)
            QVERIFY(!c.remoteHost.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestScenario)
#include "tst_scenario.moc"
