// Reading a fleet back from Prometheus: targets from PoolScope's own export, postgres_exporter and both
// pgbouncer_exporter naming generations; a down exporter is a failed target, a missing series unknown.
#include "metrics/exposition.h"
#include "metrics/fleetexport.h"
#include "metrics/promdiscovery.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace poolscope;
using namespace poolscope::metrics;

namespace {

PromSeries series(const QString &name, double value, QHash<QString, QString> labels = {})
{
    labels.insert(QStringLiteral("__name__"), name);
    return PromSeries{labels, value};
}

QHash<QString, QString> exporterLabels(const char *job, const char *instance,
                                       QHash<QString, QString> more = {})
{
    more.insert(QStringLiteral("job"), QString::fromLatin1(job));
    more.insert(QStringLiteral("instance"), QString::fromLatin1(instance));
    return more;
}

/// A pgbouncer_exporter scrape of one pool app/app (3 active clients, 2 waiting, 4 active servers) in the
/// names of exporter generation `totalsPrefix` ("pgbouncer_stats_totals_" since 0.11, "pgbouncer_stats_"
/// before).
QList<PromSeries> bouncerExporter(const QString &totalsPrefix, bool withLogin = true)
{
    const auto pool = exporterLabels("pgbouncer", "10.0.0.7:9127", {{"database", "app"}, {"user", "app"}});
    const auto db = exporterLabels("pgbouncer", "10.0.0.7:9127",
                                   {{"name", "app"},
                                    {"host", "10.0.0.5"},
                                    {"port", "5432"},
                                    {"database", "app"},
                                    {"force_user", ""},
                                    {"pool_mode", "transaction"}});
    const auto stats = exporterLabels("pgbouncer", "10.0.0.7:9127", {{"database", "app"}});
    QList<PromSeries> out{
        series("up", 1, exporterLabels("pgbouncer", "10.0.0.7:9127")),
        series("pgbouncer_up", 1, exporterLabels("pgbouncer", "10.0.0.7:9127")),
        series("pgbouncer_version_info", 1,
               exporterLabels("pgbouncer", "10.0.0.7:9127", {{"version", "1.18.0"}})),
        series("pgbouncer_pools_client_active_connections", 3, pool),
        series("pgbouncer_pools_client_waiting_connections", 2, pool),
        series("pgbouncer_pools_server_active_connections", 4, pool),
        series("pgbouncer_pools_server_idle_connections", 0, pool),
        series("pgbouncer_pools_server_used_connections", 0, pool),
        series("pgbouncer_pools_server_testing_connections", 0, pool),
        series("pgbouncer_pools_client_maxwait_seconds", 7, pool),
        series("pgbouncer_databases_pool_size", 4, db),
        series("pgbouncer_databases_paused", 0, db),
        series(totalsPrefix + "sql_transactions_pooled_total", 1200, stats),
        series(totalsPrefix + "queries_duration_seconds_total", 2.5, stats),
    };
    if (withLogin)
        out.append(series("pgbouncer_pools_server_login_connections", 0, pool));
    return out;
}

} // namespace

class TestPromDiscovery : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void parsesPrometheusAnswers()
    {
        QString error;
        const QByteArray ok = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
                              "            "
                              "{\"metric\":{\"__name__\":\"pg_up\",\"job\":\"pg\",\"instance\":\"db1:9187\"},"
                              "\"value\":[1765000000.5,\"1\"]},"
                              "            "
                              "{\"metric\":{\"__name__\":\"pg_stat_activity_max_tx_duration\",\"job\":\"pg\","
                              "\"instance\":\"db1:9187\"},\"value\":[1765000000.5,\"NaN\"]}]}}";
        const auto parsed = parseInstantVector(ok, &error);
        QVERIFY2(parsed, qPrintable(error));
        QCOMPARE(parsed->size(), 2);
        QCOMPARE(parsed->at(0).name(), QStringLiteral("pg_up"));
        QCOMPARE(parsed->at(0).value, 1.0);
        QVERIFY(qIsNaN(parsed->at(1).value));
        const QByteArray bad =
            "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"invalid parameter \\\"query\\\"\"}";
        QVERIFY(!parseInstantVector(bad, &error));
        QVERIFY2(error.contains(QLatin1String("bad_data")) &&
                     error.contains(QLatin1String("invalid parameter")),
                 qPrintable(error));
        QVERIFY(!parseInstantVector("<html>proxy error</html>", &error));
        QVERIFY(!parseInstantVector(
            "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}", &error));
    }

    void bouncerExporterBothGenerations_data()
    {
        QTest::addColumn<QString>("prefix");
        QTest::addRow("0.11+ stats_totals") << QStringLiteral("pgbouncer_stats_totals_");
        QTest::addRow("before 0.11 stats") << QStringLiteral("pgbouncer_stats_");
    }
    void bouncerExporterBothGenerations()
    {
        QFETCH(QString, prefix);
        const QList<DiscoveredTarget> found = discoverTargets(bouncerExporter(prefix), {}, 1765000000000);
        QCOMPARE(found.size(), 1);
        const DiscoveredTarget &t = found.first();
        QCOMPARE(t.origin, QStringLiteral("pgbouncer_exporter"));
        QCOMPARE(t.snapshot.target, QStringLiteral("pgbouncer@10.0.0.7:9127"));
        QCOMPARE(t.snapshot.kind, TargetKind::PgBouncer);
        QVERIFY(t.snapshot.ok);
        QVERIFY(t.snapshot.bouncer);
        const BouncerSample &b = *t.snapshot.bouncer;
        QCOMPARE(b.pools.size(), 1);
        const PoolStats &p = b.pools.first();
        QCOMPARE(p.key(), QStringLiteral("app/app"));
        QCOMPARE(p.clActive, std::optional<qint64>(3));
        QCOMPARE(p.clWaiting, std::optional<qint64>(2));
        QCOMPARE(p.svActive, std::optional<qint64>(4));
        QCOMPARE(p.poolSize, std::optional<qint64>(4)); // joined from pgbouncer_databases_pool_size
        QCOMPARE(p.poolMode, std::optional<QString>(QStringLiteral("transaction")));
        QCOMPARE(p.maxwaitSeconds, std::optional<double>(7));
        QVERIFY(p.saturated());
        QCOMPARE(b.totals.size(), 1);
        QCOMPARE(b.totals.first().xactCount, std::optional<quint64>(1200));
        QCOMPARE(b.totals.first().queryTime, std::optional<quint64>(2500000)); // back to microseconds
        QCOMPARE(b.versionText, QStringLiteral("1.18.0"));
        const QJsonObject json = toJson(t);
        QCOMPARE(json.value("source").toString(), QStringLiteral("prometheus"));
        QCOMPARE(json.value("kind").toString(), QStringLiteral("pgbouncer"));
        QCOMPARE(json.value("pools").toArray().at(0).toObject().value("cl_waiting").toInt(), 2);
    }

    void missingSeriesStayUnknown()
    {
        QList<PromSeries> s = bouncerExporter(QStringLiteral("pgbouncer_stats_totals_"), false);
        const QList<DiscoveredTarget> found = discoverTargets(s, {}, 0);
        QCOMPARE(found.size(), 1);
        const PoolStats &p = found.first().snapshot.bouncer->pools.first();
        QVERIFY(!p.svLogin); // no pgbouncer_pools_server_login_connections: unknown
        QVERIFY(!p.clActiveCancelReq);
        QVERIFY(toJson(found.first()).value("pools").toArray().at(0).toObject().value("sv_login").isNull());
        QVERIFY(!found.first().snapshot.bouncer->totals.first().serverAssignmentCount);

        // A PostgreSQL without pg_settings_max_connections: usable connections unknown, not 0.
        const auto labels = exporterLabels("pg", "db1:9187");
        auto with = [&](const char *state) {
            auto l = labels;
            l.insert(QStringLiteral("datname"), QStringLiteral("app"));
            l.insert(QStringLiteral("state"), QString::fromLatin1(state));
            return l;
        };
        const QList<DiscoveredTarget> pg =
            discoverTargets({series("up", 1, labels), series("pg_up", 1, labels),
                             series("pg_stat_activity_count", 3, with("idle in transaction")),
                             series("pg_stat_activity_count", 5, with("idle")),
                             series("pg_stat_activity_max_tx_duration", 42.5, with("idle in transaction"))},
                            {}, 0);
        QCOMPARE(pg.size(), 1);
        QVERIFY(pg.first().snapshot.ok);
        const PostgresSample &sample = *pg.first().snapshot.postgres;
        QCOMPARE(sample.counts[SessionState::IdleInTransaction], 3);
        QCOMPARE(sample.counts[SessionState::Idle], 5);
        QVERIFY(!sample.maxConnections);
        QVERIFY(!sample.usableConnections());
        const QJsonObject json = toJson(pg.first());
        QVERIFY(json.value("max_connections").isNull());
        QCOMPARE(json.value("oldest_xact_age_s").toDouble(), 42.5);
        QCOMPARE(json.value("sessions")
                     .toObject()
                     .value("by_state")
                     .toObject()
                     .value("idle in transaction")
                     .toInt(),
                 3);
    }

    void downExporterIsAFailedTarget()
    {
        // The exporter stopped answering: Prometheus has only up 0 for it now; the last hour knew its pg_up.
        const auto labels = exporterLabels("pg", "db1:9187");
        auto knownLabels = labels;
        knownLabels.insert(QStringLiteral("series"), QStringLiteral("pg_up"));
        const QList<DiscoveredTarget> found =
            discoverTargets({series("up", 0, labels)}, {PromSeries{knownLabels, 1}}, 0);
        QCOMPARE(found.size(), 1);
        QVERIFY(!found.first().snapshot.ok);
        QVERIFY(!found.first().snapshot.postgres);                   // no zeros
        QCOMPARE(found.first().snapshot.kind, TargetKind::Postgres); // what it was while it answered
        QVERIFY2(found.first().snapshot.error.message.contains(QLatin1String("up 0")),
                 qPrintable(found.first().snapshot.error.message));
        const QJsonObject json = toJson(found.first());
        QCOMPARE(json.value("ok").toBool(), false);
        QVERIFY(!json.contains("sessions"));

        // The exporter answers but cannot reach its server.
        const QList<DiscoveredTarget> noDb =
            discoverTargets({series("up", 1, labels), series("pg_up", 0, labels)}, {}, 0);
        QCOMPARE(noDb.size(), 1);
        QVERIFY(!noDb.first().snapshot.ok);
        QVERIFY(noDb.first().snapshot.error.message.contains(QLatin1String("pg_up 0")));

        // Gone from Prometheus altogether (series stale), still expected from the last hour.
        const QList<DiscoveredTarget> stale = discoverTargets({}, {PromSeries{knownLabels, 1}}, 0);
        QCOMPARE(stale.size(), 1);
        QVERIFY(!stale.first().snapshot.ok);
        QVERIFY(stale.first().snapshot.error.message.contains(QLatin1String("no current series")));
    }

    void readsPoolScopesOwnExport()
    {
        // Round trip through the exposition: PoolScope exports a pooler it cannot reach and a live
        // PostgreSQL.
        TargetExport bouncer;
        bouncer.target = QStringLiteral("monitor@10.0.0.7:6432/pgbouncer");
        bouncer.kind = TargetKind::PgBouncer;
        bouncer.state = TargetState::Reconnecting;
        TargetSnapshot failed;
        failed.target = bouncer.target;
        bouncer.last = failed;
        TargetExport pg;
        pg.target = QStringLiteral("monitor@10.0.0.5:5432/app");
        pg.kind = TargetKind::Postgres;
        pg.state = TargetState::Live;
        TargetSnapshot live;
        live.target = pg.target;
        live.ok = true;
        PostgresSample sample;
        sample.maxConnections = 100;
        sample.superuserReserved = 3;
        sample.counts[SessionState::IdleInTransaction] = 4;
        sample.counts[SessionState::Active] = 2;
        sample.poolscopeSessions = 1;
        live.postgres = sample;
        pg.last = live;
        // Read the 0.0.4 text back as Prometheus would store it, with the scrape's job and instance.
        QList<PromSeries> scraped{series("up", 1, exporterLabels("poolscope", "10.0.0.9:9187"))};
        for (const QByteArray &line : buildExposition({bouncer, pg}).render(Format::Text004).split('\n')) {
            if (line.isEmpty() || line.startsWith('#'))
                continue;
            const qsizetype brace = line.indexOf('{');
            const qsizetype space = line.lastIndexOf(' ');
            PromSeries s = series(QString::fromUtf8(line.left(brace)), line.mid(space + 1).toDouble(),
                                  exporterLabels("poolscope", "10.0.0.9:9187"));
            for (const QByteArray &pair : line.mid(brace + 1, line.indexOf('}') - brace - 1).split(',')) {
                const qsizetype eq = pair.indexOf('=');
                s.labels.insert(QString::fromUtf8(pair.left(eq)),
                                QString::fromUtf8(pair.mid(eq + 2).chopped(1)));
            }
            scraped.append(s);
        }
        const QList<DiscoveredTarget> found = discoverTargets(scraped, {}, 0);
        QCOMPARE(found.size(), 2);
        const DiscoveredTarget &p = found.at(0);
        QCOMPARE(p.snapshot.target, pg.target);
        QCOMPARE(p.origin, QStringLiteral("poolscope"));
        QVERIFY(p.snapshot.ok);
        QCOMPARE(p.snapshot.postgres->counts[SessionState::IdleInTransaction], 4);
        QCOMPARE(p.snapshot.postgres->usableConnections(), std::optional<int>(97));
        QCOMPARE(p.snapshot.postgres->headroom(), std::optional<int>(90));
        const DiscoveredTarget &b = found.at(1);
        QCOMPARE(b.snapshot.target, bouncer.target);
        QCOMPARE(b.snapshot.kind, TargetKind::PgBouncer);
        QVERIFY(!b.snapshot.ok);
        QVERIFY(!b.snapshot.bouncer);
        QVERIFY2(b.snapshot.error.message.contains(QLatin1String("reconnecting")),
                 qPrintable(b.snapshot.error.message));
    }
};

QTEST_GUILESS_MAIN(TestPromDiscovery)
#include "tst_promdiscovery.moc"
