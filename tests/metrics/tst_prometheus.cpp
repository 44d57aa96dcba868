// End to end: PoolScope exports a PgBouncer pool with a waiting client (checked against PgBouncer's own SHOW
// POOLS); promtool accepts the page; the sandbox's Prometheus scrapes it (in OpenMetrics) and, from Debian's
// postgres_exporter, the idle-in-transaction sessions pg_stat_activity shows.
#include "cli/fleetwatch.h"
#include "metrics/prometheusclient.h"
#include "metrics/prometheushistory.h"
#include "support/fleetexport.h"
#include "support/prometheussupport.h"
#include "support/testsupport.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QScopeGuard>
#include <QTest>
#include <algorithm>
#include <cmath>
#include <libpq-fe.h>
#include <memory>

using namespace poolscope;

namespace {

/// One value of SHOW POOLS for app/app, read with libpq on the admin console; -1 when not found.
double showPools(const QString &console, const char *column)
{
    db::PgConn c(PQconnectdb(console.toUtf8().constData()));
    if (PQstatus(c.get()) != CONNECTION_OK)
        return -1;
    PGresult *r = PQexec(c.get(), "SHOW POOLS");
    double value = -1;
    const int col = PQfnumber(r, column);
    for (int i = 0; col >= 0 && i < PQntuples(r); ++i) {
        if (QByteArray(PQgetvalue(r, i, PQfnumber(r, "database"))) == "app" &&
            QByteArray(PQgetvalue(r, i, PQfnumber(r, "user"))) == "app")
            value = QByteArray(PQgetvalue(r, i, col)).toDouble();
    }
    PQclear(r);
    return value;
}

int idleInTransaction(const QString &uri)
{
    db::PgConn c(PQconnectdb(uri.toUtf8().constData()));
    PGresult *r = PQexec(c.get(), "SELECT count(*) FROM pg_stat_activity WHERE datname = 'app' AND "
                                  "state = 'idle in transaction'");
    const int n = PQresultStatus(r) == PGRES_TUPLES_OK ? QByteArray(PQgetvalue(r, 0, 0)).toInt() : -1;
    PQclear(r);
    return n;
}

} // namespace

class TestPrometheus : public QObject
{
    Q_OBJECT

    std::unique_ptr<sandbox::Sandbox> m_sandbox;
    test::FleetExport m_export; // bound before the sandbox starts: Prometheus scrapes its port

private Q_SLOTS:
    void initTestCase()
    {
        test::quietLogging();
        QString error;
        QVERIFY2(m_export.listen(&error), qPrintable(error));
        m_sandbox = test::startPrometheusSandbox(m_export, &error);
        QVERIFY2(m_sandbox, qPrintable(error));
    }
    void cleanupTestCase() { m_sandbox.reset(); }

    void aProtectedPrometheusIsReadWithItsCredentials()
    {
        // A Prometheus behind basic auth (its own web config, the password as a bcrypt hash), scraping its
        // sandbox's postgres_exporter.
        sandbox::SandboxOptions o;
        o.withPostgresExporter = true;
        o.withPrometheus = true;
        o.prometheusBasicAuthUser = QStringLiteral("poolscope");
        o.prometheusBasicAuthPassword = QStringLiteral("s3cret:with-colon");
        QString error;
        const std::unique_ptr<sandbox::Sandbox> guarded = test::startSandbox(&error, o);
        QVERIFY2(guarded, qPrintable(error));
        const QString hostPort = guarded->uris().prometheus.mid(QStringLiteral("http://").size());
        auto endpoint = [&](const QString &userInfo, const QByteArray &secret = {}) {
            QString why;
            const auto e = metrics::parsePrometheusTarget(
                QStringLiteral("prometheus+http://%1%2").arg(userInfo, hostPort), &why, secret);
            if (!e)
                qFatal("%s", qPrintable(why));
            return *e;
        };
        // Without credentials, or with the wrong ones: refused, and said so.
        for (const QString &userInfo : {QString(), QStringLiteral("poolscope:wrong@")}) {
            const metrics::FleetRead refused = metrics::readFleet(endpoint(userInfo));
            QVERIFY(!refused.ok);
            QVERIFY2(refused.error.contains("HTTP 401") && refused.error.contains("not authorised"),
                     qPrintable(refused.error));
        }
        // With the user and password in the URL (percent-encoded), and with the password from the keychain
        // (the user in the URL, the secret beside it): postgres_exporter's PostgreSQL is discovered.
        for (const auto &e : {endpoint(QStringLiteral("poolscope:s3cret%3Awith-colon@")),
                              endpoint(QStringLiteral("poolscope@"), "s3cret:with-colon")}) {
            metrics::FleetRead read;
            QTRY_VERIFY_WITH_TIMEOUT((read = metrics::readFleet(e),
                                      read.ok && std::any_of(read.targets.cbegin(), read.targets.cend(),
                                                             [](const metrics::DiscoveredTarget &t) {
                                                                 return t.origin == "postgres_exporter";
                                                             })),
                                     15000);
            QVERIFY2(!e.display.contains("s3cret"), qPrintable(e.display));
        }
        // The command line reads it too, and never prints the password.
        const test::CliResult cli =
            test::runPoolscope({QStringLiteral("snapshot"),
                                QStringLiteral("prometheus+http://poolscope:s3cret%3Awith-colon@") + hostPort,
                                QStringLiteral("--json")});
        QCOMPARE(cli.exitCode, 0);
        QVERIFY(!cli.out.contains("s3cret") && !cli.err.contains("s3cret"));
        QVERIFY(cli.out.contains("postgres_exporter"));
    }

    void commandLine()
    {
        // Nobody listens on port 1: a failed entry named after the Prometheus, exit 2, never an empty
        // success.
        const test::CliResult down =
            test::runPoolscope({QStringLiteral("snapshot"), QStringLiteral("prometheus+http://127.0.0.1:1"),
                                QStringLiteral("--json")});
        QCOMPARE(down.exitCode, 2);
        const QJsonArray entries = test::jsonOf(down).value(QStringLiteral("targets")).toArray();
        QCOMPARE(entries.size(), 1);
        QCOMPARE(entries.at(0).toObject().value(QStringLiteral("ok")).toBool(), false);
        QVERIFY(entries.at(0)
                    .toObject()
                    .value(QStringLiteral("error"))
                    .toString()
                    .contains(QLatin1String("cannot reach")));
        // A bad --metrics-listen is a usage error, before anything is sampled.
        const test::CliResult bad =
            test::runPoolscope({QStringLiteral("watch"), m_sandbox->uris().monitor,
                                QStringLiteral("--metrics-listen"), QStringLiteral("db1.example:9187")});
        QCOMPARE(bad.exitCode, 1);
        QVERIFY(bad.err.contains("not an IP address"));
        // watch prints a malformed Prometheus target as a failed one, with the reason.
        const test::CliResult malformed = test::runPoolscope(
            {QStringLiteral("watch"), QStringLiteral("prometheus+http://"), QStringLiteral("--duration"),
             QStringLiteral("1s"), QStringLiteral("--json-lines")});
        QCOMPARE(malformed.exitCode, 0);
        const QJsonObject line = QJsonDocument::fromJson(malformed.out.split('\n').first()).object();
        QCOMPARE(line.value(QStringLiteral("ok")).toBool(true), false);
        QCOMPARE(line.value(QStringLiteral("source")).toString(), QStringLiteral("prometheus"));
        QVERIFY2(line.value(QStringLiteral("error")).toString().contains(QLatin1String("bad Prometheus URL")),
                 malformed.out.constData());
        // terminate refuses a Prometheus target: it is read-only.
        const test::CliResult terminate = test::runPoolscope(
            {QStringLiteral("terminate"), QStringLiteral("prometheus+http://127.0.0.1:1"),
             QStringLiteral("--older-than"), QStringLiteral("30s"), QStringLiteral("--dry-run")});
        QCOMPARE(terminate.exitCode, 1);
        QVERIFY(terminate.err.contains("read-only"));
    }

    void exportsAWaitingClientThatPrometheusScrapes()
    {
        const sandbox::SandboxUris &uris = m_sandbox->uris();
        // Two clients hold the pool's two server connections in open transactions; a third one queues.
        test::FullPool full;
        QString error;
        QVERIFY2(full.open(uris.pgbouncerApp, &error), qPrintable(error));
        // PgBouncer's own word: one client waiting, both servers active.
        QTRY_COMPARE_WITH_TIMEOUT(showPools(uris.pgbouncerConsole, "cl_waiting"), 1.0, 5000);
        QCOMPARE(showPools(uris.pgbouncerConsole, "sv_active"), 2.0);

        cli::FleetWatch fleet({uris.pgbouncerMonitor, uris.monitor}, 500, std::nullopt, {});
        m_export.serve(&fleet);
        const auto unserve = qScopeGuard([this] { m_export.serve(nullptr); });
        fleet.start();

        const QString page = QStringLiteral("http://127.0.0.1:%1/metrics").arg(m_export.port());
        const QString pool =
            QStringLiteral("{target=\"monitor@127.0.0.1:%1/pgbouncer\",database=\"app\",user=\"app\"}")
                .arg(m_sandbox->bouncerPort());
        test::HttpResult text;
        QTRY_VERIFY_WITH_TIMEOUT(
            (text = test::fetch(page),
             test::sampleValue(text.body,
                               QStringLiteral("pgbouncer_pools_client_waiting_connections") + pool) == 1.0),
            10000);
        QVERIFY2(text.contentType.startsWith("text/plain; version=0.0.4"), text.contentType.constData());
        QCOMPARE(
            test::sampleValue(text.body, QStringLiteral("pgbouncer_pools_server_active_connections") + pool),
            std::optional<double>(showPools(uris.pgbouncerConsole, "sv_active")));
        // maxwait with its microseconds: a fraction of a second, not PgBouncer's whole seconds only.
        const auto maxwait =
            test::sampleValue(text.body, QStringLiteral("pgbouncer_pools_client_maxwait_seconds") + pool);
        QVERIFY(maxwait && *maxwait > 0 && *maxwait < 60 && *maxwait != std::floor(*maxwait));
        QVERIFY(test::sampleValue(text.body, QStringLiteral("pg_up{target=\"monitor@127.0.0.1:%1/app\"}")
                                                 .arg(m_sandbox->postgresPort())) == 1.0);

        // promtool parses the page (exit 1 would be a format error). Its naming lint (exit 3) may only object
        // to what it objects to on postgres_exporter's own page: the names PoolScope keeps for compatibility
        // (pg_stat_activity_count's "_count" suffix).
        QString promtool, exporterLint;
        const int verdict = test::promtoolCheckMetrics(text.body, &promtool);
        QVERIFY2(verdict == 0 || verdict == 3, qPrintable(promtool));
        if (verdict == 3) {
            const test::HttpResult exporterPage =
                test::fetch(uris.postgresExporter + QStringLiteral("/metrics"));
            QCOMPARE(exporterPage.status, 200);
            QCOMPARE(test::promtoolCheckMetrics(exporterPage.body, &exporterLint), 3);
            const QStringList exporterProblems = exporterLint.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
            for (const QString &problem : promtool.split(QLatin1Char('\n'), Qt::SkipEmptyParts))
                QVERIFY2(exporterProblems.contains(problem), qPrintable(problem));
        }

        const test::HttpResult om = test::fetch(page, "application/openmetrics-text;version=1.0.0");
        QVERIFY2(om.contentType.startsWith("application/openmetrics-text; version=1.0.0"),
                 om.contentType.constData());
        QVERIFY(om.body.endsWith("# EOF\n"));
        QVERIFY(om.body.contains("\n# TYPE pgbouncer_stats_totals_sql_transactions_pooled counter\n"));
        QVERIFY(om.body.contains("\n# UNIT pgbouncer_pools_client_maxwait_seconds seconds\n"));
        QVERIFY(test::fetch(QStringLiteral("http://127.0.0.1:%1/other").arg(m_export.port())).status == 404);

        // Prometheus scraped it (asking for OpenMetrics, as 2.42 does) and stores the waiting client.
        const QString prometheus = uris.prometheus;
        std::optional<QList<test::PromSeries>> waiting;
        QTRY_VERIFY_WITH_TIMEOUT(
            (waiting = test::promQuery(
                 prometheus,
                 QStringLiteral("pgbouncer_pools_client_waiting_connections{job=\"poolscope\","
                                "database=\"app\",user=\"app\"}"),
                 &error),
             waiting && waiting->size() == 1 && waiting->first().value == 1.0),
            15000);
        const auto up = test::promQuery(prometheus, QStringLiteral("up{job=\"poolscope\"}"), &error);
        QVERIFY2(up && up->size() == 1 && up->first().value == 1.0, qPrintable(error));
        QVERIFY(m_export.server().openMetricsScrapes() > 0);

        // postgres_exporter, scraped by the same Prometheus, sees the two held transactions as PostgreSQL
        // does.
        const int truth = idleInTransaction(uris.monitor);
        QVERIFY(truth >= 2);
        std::optional<QList<test::PromSeries>> idle;
        QTRY_VERIFY_WITH_TIMEOUT(
            (idle = test::promQuery(
                 prometheus,
                 QStringLiteral("pg_stat_activity_count{job=\"postgres_exporter\",datname=\"app\","
                                "state=\"idle in transaction\"}"),
                 &error),
             idle && idle->size() == 1 && int(idle->first().value) == truth),
            15000);

        // Read back: a Prometheus target shows the waiting client (from PoolScope's export) and
        // postgres_exporter's idle-in-transaction sessions.
        const auto endpoint =
            metrics::parsePrometheusTarget(QStringLiteral("prometheus+") + prometheus, &error);
        QVERIFY2(endpoint, qPrintable(error));
        const metrics::FleetRead read = metrics::readFleet(*endpoint);
        QVERIFY2(read.ok, qPrintable(read.error));
        const metrics::DiscoveredTarget *bouncer = nullptr, *exporter = nullptr;
        for (const metrics::DiscoveredTarget &t : read.targets) {
            if (t.snapshot.target ==
                QStringLiteral("monitor@127.0.0.1:%1/pgbouncer").arg(m_sandbox->bouncerPort()))
                bouncer = &t;
            if (t.origin == QLatin1String("postgres_exporter"))
                exporter = &t;
        }
        QVERIFY(bouncer && exporter);
        QVERIFY2(bouncer->snapshot.ok && bouncer->snapshot.bouncer,
                 qPrintable(bouncer->snapshot.error.message));
        QCOMPARE(bouncer->origin, QStringLiteral("poolscope"));
        const PoolStats *app = nullptr;
        for (const PoolStats &p : bouncer->snapshot.bouncer->pools)
            if (p.key() == QLatin1String("app/app"))
                app = &p;
        QVERIFY(app);
        QCOMPARE(double(app->clWaiting.value_or(-1)), showPools(uris.pgbouncerConsole, "cl_waiting"));
        QCOMPARE(app->poolSize, std::optional<qint64>(2));
        QVERIFY2(exporter->snapshot.ok && exporter->snapshot.postgres,
                 qPrintable(exporter->snapshot.error.message));
        QCOMPARE(exporter->snapshot.postgres->counts[SessionState::IdleInTransaction],
                 idleInTransaction(uris.monitor));

        // Its history from query_range: the held transactions at every step Prometheus has, the step within
        // the 11,000 points Prometheus allows even over two days (it refuses more).
        // (Prometheus has scraped for a few seconds: as many steps as it has samples.)
        QTRY_VERIFY_WITH_TIMEOUT(
            (idle = test::promQuery(prometheus,
                                    QStringLiteral("count_over_time(up{job=\"postgres_exporter\"}[1m]) >= 7"),
                                    &error),
             idle && idle->size() == 1),
            15000);
        const metrics::HistoryRead history = metrics::readHistory(*endpoint, *exporter, 60, 1);
        QVERIFY2(history.ok, qPrintable(history.error));
        QCOMPARE(history.stepS, 1);
        QVERIFY2(history.samples.size() >= 5,
                 qPrintable(QStringLiteral("%1 samples from %2, now %3, error of the first: %4")
                                .arg(history.samples.size())
                                .arg(history.samples.isEmpty() ? 0 : history.samples.first().sampledAtMs)
                                .arg(QDateTime::currentMSecsSinceEpoch())
                                .arg(history.samples.isEmpty() ? QString()
                                                               : history.samples.first().error.message)));
        QVERIFY(history.samples.last().ok);
        QCOMPARE(history.samples.last().postgres->counts[SessionState::IdleInTransaction], truth);
        // The rates Prometheus computes from pg_stat_database's counters come with it.
        QVERIFY(history.samples.last().tps);
        const metrics::HistoryRead twoDays = metrics::readHistory(*endpoint, *bouncer, 2 * 86400, 1);
        QVERIFY2(twoDays.ok, qPrintable(twoDays.error));
        QCOMPARE(twoDays.stepS, 16);
        QVERIFY(!twoDays.samples.isEmpty() && twoDays.samples.last().ok);

        // watch and diagnose on the Prometheus target: the pooler read back is a target of its own, and the
        // findings engine names the saturated pool from Prometheus's figures alone.
        cli::FleetWatch remote({QStringLiteral("prometheus+") + prometheus}, 1000, std::nullopt, {});
        remote.start();
        auto saturated = [&] {
            for (const findings::Finding &f : remote.engine().findings())
                if (f.rule == findings::rule::PoolerSaturation && f.target == bouncer->snapshot.target)
                    return true;
            return false;
        };
        QTRY_VERIFY_WITH_TIMEOUT(saturated(), 15000);
        int remoteBouncer = -1;
        for (int i = 0; i < remote.count(); ++i)
            if (remote.name(i) == bouncer->snapshot.target)
                remoteBouncer = i;
        QVERIFY(remoteBouncer >= 0);
        QCOMPARE(remote.source(remoteBouncer), QStringLiteral("prometheus"));
        QCOMPARE(remote.state(remoteBouncer), TargetState::Live);
        QCOMPARE(remote.kind(remoteBouncer), TargetKind::PgBouncer);

        // The same through the command line: `poolscope snapshot prometheus+http://... --json`.
        const test::CliResult cli =
            test::runPoolscope({QStringLiteral("snapshot"), QStringLiteral("prometheus+") + prometheus,
                                QStringLiteral("--json")});
        QVERIFY2(cli.exitCode == 0, cli.err.constData());
        bool cliSawWaiting = false;
        for (const QJsonValue &v : test::jsonOf(cli).value(QStringLiteral("targets")).toArray()) {
            const QJsonObject o = v.toObject();
            QCOMPARE(o.value(QStringLiteral("source")).toString(), QStringLiteral("prometheus"));
            if (o.value(QStringLiteral("target")).toString() != bouncer->snapshot.target)
                continue;
            for (const QJsonValue &p : o.value(QStringLiteral("pools")).toArray())
                cliSawWaiting =
                    cliSawWaiting ||
                    (p.toObject().value(QStringLiteral("database")).toString() == QLatin1String("app") &&
                     p.toObject().value(QStringLiteral("cl_waiting")).toInt() == 1);
        }
        QVERIFY2(cliSawWaiting, cli.out.constData());

        full.close();
    }
};

QTEST_GUILESS_MAIN(TestPrometheus)
#include "tst_prometheus.moc"
