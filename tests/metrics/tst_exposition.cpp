// The exposition formats (text 0.0.4, OpenMetrics 1.0) and what `watch --metrics-listen` exports from
// samples: names and labels as pgbouncer_exporter and postgres_exporter spell them, nothing for a target
// that does not answer.
#include "metrics/exposition.h"
#include "metrics/fleetexport.h"

#include <QTest>

using namespace poolscope;
using namespace poolscope::metrics;

namespace {

QStringList lines(const QByteArray &text)
{
    return QString::fromUtf8(text).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
}

TargetSnapshot bouncerSnapshot()
{
    TargetSnapshot s;
    s.target = QStringLiteral("monitor@127.0.0.1:6432/pgbouncer");
    s.kind = TargetKind::PgBouncer;
    s.ok = true;
    s.sampledAtMs = 1765000000123;
    BouncerSample b;
    b.versionText = QStringLiteral("PgBouncer 1.18.0");
    PoolStats p;
    p.database = QStringLiteral("app");
    p.user = QStringLiteral("app");
    p.clActive = 3;
    p.clWaiting = 1;
    p.svActive = 3;
    p.svIdle = 0;
    p.maxwaitSeconds = 2.000345; // maxwait 2, maxwait_us 345
    p.poolSize = 3;
    b.pools.append(p);
    BouncerDatabase d;
    d.name = QStringLiteral("app");
    d.host = QStringLiteral("127.0.0.1");
    d.port = 5432;
    d.database = QStringLiteral("app");
    d.poolSize = 3;
    d.poolMode = QStringLiteral("transaction");
    d.paused = false;
    b.databases.append(d);
    BouncerStatsTotals t;
    t.database = QStringLiteral("app");
    t.xactCount = 100;
    t.queryTime = 1500000; // microseconds
    b.totals.append(t);
    s.bouncer = b;
    return s;
}

TargetSnapshot postgresSnapshot()
{
    TargetSnapshot s;
    s.target = QStringLiteral("monitor@127.0.0.1:5432/app");
    s.kind = TargetKind::Postgres;
    s.ok = true;
    PostgresSample pg;
    pg.serverNow = 1000;
    pg.maxConnections = 100;
    pg.superuserReserved = 3;
    auto add = [&](const char *state, double stateChange, std::optional<double> xactStart) {
        Session x;
        x.pid = 100 + pg.sessions.size();
        x.datname = QStringLiteral("app");
        x.state = QString::fromLatin1(state);
        x.stateChange = stateChange;
        x.xactStart = xactStart;
        pg.sessions.append(x);
        ++pg.counts[x.stateClass()];
    };
    add("idle in transaction", 988, 980);
    add("idle in transaction", 995, 990);
    add("active", 999, 999.5);
    add("idle", 900, std::nullopt);
    pg.poolscopeSessions = 1;
    s.postgres = pg;
    return s;
}

} // namespace

class TestExposition : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void valuesAndEscapes()
    {
        QCOMPARE(formatValue(3), QByteArray("3"));
        QCOMPARE(formatValue(-0.0), QByteArray("0"));
        QCOMPARE(formatValue(2.000345), QByteArray("2.000345"));
        QCOMPARE(formatValue(0.1), QByteArray("0.1"));
        QCOMPARE(formatValue(1e300), QByteArray("1e+300"));
        QCOMPARE(formatValue(qQNaN()), QByteArray("NaN"));
        QCOMPARE(formatValue(qInf()), QByteArray("+Inf"));
        QCOMPARE(formatValue(-qInf()), QByteArray("-Inf"));
        QCOMPARE(escapeLabelValue(QStringLiteral("a\"b\\c\nd")), QByteArray("a\\\"b\\\\c\\nd"));
    }

    void textFormat()
    {
        Exposition e;
        e.counter(QStringLiteral("x_seconds"), QStringLiteral("Time \"spent\"\\here"),
                  {{QStringLiteral("target"), QStringLiteral("t1")}}, 1.5, QStringLiteral("seconds"));
        e.gauge(QStringLiteral("y"), QStringLiteral("A gauge"), {}, 7);
        e.counter(QStringLiteral("x_seconds"), QStringLiteral("ignored"),
                  {{QStringLiteral("target"), QStringLiteral("t2")}}, 2);
        e.gauge(QStringLiteral("empty"), QStringLiteral("no samples"), {}, 0);
        e.family(QStringLiteral("never"), MetricType::Gauge, QStringLiteral("never sampled"));
        const QStringList expected{
            QStringLiteral("# HELP x_seconds_total Time \"spent\"\\\\here"),
            QStringLiteral("# TYPE x_seconds_total counter"),
            QStringLiteral("x_seconds_total{target=\"t1\"} 1.5"),
            QStringLiteral("x_seconds_total{target=\"t2\"} 2"),
            QStringLiteral("# HELP y A gauge"),
            QStringLiteral("# TYPE y gauge"),
            QStringLiteral("y 7"),
            QStringLiteral("# HELP empty no samples"),
            QStringLiteral("# TYPE empty gauge"),
            QStringLiteral("empty 0"),
        };
        QCOMPARE(lines(e.render(Format::Text004)), expected);
    }

    void openMetrics()
    {
        Exposition e;
        e.counter(QStringLiteral("x_seconds"), QStringLiteral("Time \"spent\""),
                  {{QStringLiteral("target"), QStringLiteral("t1")}}, 1.5, QStringLiteral("seconds"));
        e.gauge(QStringLiteral("y"), QStringLiteral("A gauge"), {}, 7);
        const QByteArray text = e.render(Format::OpenMetrics10);
        const QStringList expected{
            QStringLiteral("# TYPE x_seconds counter"),
            QStringLiteral("# UNIT x_seconds seconds"),
            QStringLiteral("# HELP x_seconds Time \\\"spent\\\""),
            QStringLiteral("x_seconds_total{target=\"t1\"} 1.5"),
            QStringLiteral("# TYPE y gauge"),
            QStringLiteral("# HELP y A gauge"),
            QStringLiteral("y 7"),
            QStringLiteral("# EOF"),
        };
        QCOMPARE(lines(text), expected);
        QVERIFY(text.endsWith("# EOF\n"));
    }

    void negotiation()
    {
        // What Prometheus 2.42 sends by default.
        QCOMPARE(negotiate("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                           "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
                 Format::OpenMetrics10);
        QCOMPARE(negotiate(""), Format::Text004);
        QCOMPARE(negotiate("*/*"), Format::Text004);
        QCOMPARE(negotiate("text/plain;version=0.0.4"), Format::Text004);
        QCOMPARE(negotiate("application/openmetrics-text"), Format::OpenMetrics10);
        QCOMPARE(negotiate("application/openmetrics-text;version=0.0.1"), Format::Text004);
        QCOMPARE(negotiate("text/plain;q=0.9, application/openmetrics-text;q=0.5"), Format::Text004);
        QCOMPARE(negotiate("application/openmetrics-text;q=0"), Format::Text004);
        QVERIFY(contentType(Format::OpenMetrics10).startsWith("application/openmetrics-text; version=1.0.0"));
        QVERIFY(contentType(Format::Text004).startsWith("text/plain; version=0.0.4"));
    }

    void bouncerNames()
    {
        TargetExport t;
        t.target = QStringLiteral("monitor@127.0.0.1:6432/pgbouncer");
        t.kind = TargetKind::PgBouncer;
        t.state = TargetState::Live;
        t.last = bouncerSnapshot();
        t.samplesOk = 5;
        t.linkedPostgres = {QStringLiteral("monitor@127.0.0.1:5432/app")};
        findings::Finding f;
        f.rule = findings::rule::PoolerSaturation;
        f.severity = findings::Severity::Critical;
        t.openFindings = {f, f};
        const QStringList text = lines(buildExposition({t}).render(Format::Text004));
        const QString tl = QStringLiteral("target=\"monitor@127.0.0.1:6432/pgbouncer\"");
        const QString pool = tl + QStringLiteral(",database=\"app\",user=\"app\"}");
        for (const QString &expected : QStringList{
                 QStringLiteral("pgbouncer_up{") + tl + QStringLiteral("} 1"),
                 QStringLiteral("pgbouncer_pools_client_waiting_connections{") + pool + QStringLiteral(" 1"),
                 QStringLiteral("pgbouncer_pools_client_active_connections{") + pool + QStringLiteral(" 3"),
                 QStringLiteral("pgbouncer_pools_server_active_connections{") + pool + QStringLiteral(" 3"),
                 QStringLiteral("pgbouncer_pools_server_idle_connections{") + pool + QStringLiteral(" 0"),
                 QStringLiteral("pgbouncer_pools_client_maxwait_seconds{") + pool +
                     QStringLiteral(" 2.000345"),
                 QStringLiteral("poolscope_pool_headroom_connections{") + pool + QStringLiteral(" 0"),
                 QStringLiteral("pgbouncer_databases_pool_size{") + tl +
                     QStringLiteral(",name=\"app\",host=\"127.0.0.1\",port=\"5432\",database=\"app\","
                                    "force_user=\"\",pool_mode=\"transaction\"} 3"),
                 QStringLiteral("pgbouncer_databases_paused{") + tl +
                     QStringLiteral(",name=\"app\",host=\"127.0.0.1\",port=\"5432\",database=\"app\","
                                    "force_user=\"\",pool_mode=\"transaction\"} 0"),
                 QStringLiteral("# TYPE pgbouncer_stats_totals_sql_transactions_pooled_total counter"),
                 QStringLiteral("pgbouncer_stats_totals_sql_transactions_pooled_total{") + tl +
                     QStringLiteral(",database=\"app\"} 100"),
                 QStringLiteral("pgbouncer_stats_totals_queries_duration_seconds_total{") + tl +
                     QStringLiteral(",database=\"app\"} 1.5"),
                 QStringLiteral("poolscope_finding{") + tl +
                     QStringLiteral(",rule=\"pooler-saturation\",severity=\"critical\"} 2"),
                 QStringLiteral("poolscope_chain_link{") + tl +
                     QStringLiteral(",postgres_target=\"monitor@127.0.0.1:5432/app\"} 1"),
                 QStringLiteral("poolscope_sampler_samples_total{") + tl +
                     QStringLiteral(",result=\"ok\"} 5"),
                 QStringLiteral("poolscope_target_state{") + tl + QStringLiteral(",state=\"live\"} 1"),
                 QStringLiteral("poolscope_target_state{") + tl + QStringLiteral(",state=\"failed\"} 0"),
             })
            QVERIFY2(text.contains(expected), qPrintable(expected));
        // A counter the version does not report is left out, not 0.
        QVERIFY(!text.join(QLatin1Char('\n'))
                     .contains(QLatin1String("pgbouncer_stats_totals_server_assignments")));
        // Each family once: TYPE lines are unique.
        QStringList types;
        for (const QString &l : text)
            if (l.startsWith(QLatin1String("# TYPE ")))
                types.append(l);
        QCOMPARE(types.size(), QSet<QString>(types.begin(), types.end()).size());
    }

    void postgresNames()
    {
        TargetExport t;
        t.target = QStringLiteral("monitor@127.0.0.1:5432/app");
        t.kind = TargetKind::Postgres;
        t.state = TargetState::Live;
        t.last = postgresSnapshot();
        const QStringList text = lines(buildExposition({t}).render(Format::Text004));
        const QString tl = QStringLiteral("target=\"monitor@127.0.0.1:5432/app\"");
        for (const QString &expected : QStringList{
                 QStringLiteral("pg_up{") + tl + QStringLiteral("} 1"),
                 QStringLiteral("pg_settings_max_connections{") + tl + QStringLiteral("} 100"),
                 QStringLiteral("pg_stat_activity_count{") + tl +
                     QStringLiteral(",datname=\"app\",state=\"idle in transaction\"} 2"),
                 QStringLiteral("pg_stat_activity_count{") + tl +
                     QStringLiteral(",datname=\"app\",state=\"idle in transaction (aborted)\"} 0"),
                 QStringLiteral("pg_stat_activity_max_tx_duration{") + tl +
                     QStringLiteral(",datname=\"app\",state=\"idle in transaction\"} 20"),
                 QStringLiteral("poolscope_sessions{") + tl +
                     QStringLiteral(",state=\"idle in transaction\"} 2"),
                 QStringLiteral("poolscope_sessions{") + tl + QStringLiteral(",state=\"active\"} 1"),
                 QStringLiteral("poolscope_client_backends{") + tl + QStringLiteral("} 5"),
                 QStringLiteral("poolscope_usable_connections{") + tl + QStringLiteral("} 97"),
                 QStringLiteral("poolscope_headroom_connections{") + tl + QStringLiteral("} 92"),
                 QStringLiteral("poolscope_idle_in_transaction_oldest_seconds{") + tl +
                     QStringLiteral("} 12"),
                 QStringLiteral("poolscope_oldest_transaction_seconds{") + tl + QStringLiteral("} 20"),
             })
            QVERIFY2(text.contains(expected), qPrintable(expected));
        const QStringList om = lines(buildExposition({t}).render(Format::OpenMetrics10));
        QVERIFY(om.contains(QStringLiteral("# UNIT poolscope_idle_in_transaction_oldest_seconds seconds")));
        QCOMPARE(om.last(), QStringLiteral("# EOF"));
    }

    void failedTargetExportsNoData()
    {
        TargetExport t;
        t.target = QStringLiteral("monitor@127.0.0.1:6432/pgbouncer");
        t.kind = TargetKind::PgBouncer;
        t.state = TargetState::Reconnecting;
        TargetSnapshot s = bouncerSnapshot();
        s.ok = false;
        t.last = s;
        t.samplesOk = 3;
        t.samplesFailed = 2;
        const QString text = QString::fromUtf8(buildExposition({t}).render(Format::Text004));
        QVERIFY(text.contains(QLatin1String("pgbouncer_up{target=\"monitor@127.0.0.1:6432/pgbouncer\"} 0")));
        QVERIFY(text.contains(QLatin1String(
            "poolscope_target_up{target=\"monitor@127.0.0.1:6432/pgbouncer\",kind=\"pgbouncer\"} 0")));
        QVERIFY(text.contains(QLatin1String(
            "poolscope_target_state{target=\"monitor@127.0.0.1:6432/pgbouncer\",state=\"reconnecting\"} 1")));
        QVERIFY(text.contains(QLatin1String("poolscope_sampler_samples_total{target=\"monitor@127.0.0.1:6432/"
                                            "pgbouncer\",result=\"failed\"} 2")));
        QVERIFY(!text.contains(QLatin1String("pgbouncer_pools_")));
        QVERIFY(!text.contains(QLatin1String("pgbouncer_databases_")));
    }
};

QTEST_GUILESS_MAIN(TestExposition)
#include "tst_exposition.moc"
