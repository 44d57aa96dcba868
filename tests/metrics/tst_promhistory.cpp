// A target's history read back from Prometheus: query_range matrices parsed, the step that keeps every series
// within 11,000 points, the matrix turned back into samples (gaps where the exporter was down or silent,
// never zeros); and what the discovery adds for the window: transaction rates, sessions by database, the
// figures an exporter reports instead of the session list's, and the connection test's summary.
#include "core/fleetsummary.h"
#include "core/recorder.h"
#include "metrics/promdiscovery.h"
#include "metrics/promhistory.h"

#include <QTest>
#include <cmath>

using namespace poolscope;
using namespace poolscope::metrics;

namespace {

QHash<QString, QString> labelsOf(const QString &name, QHash<QString, QString> more = {})
{
    more.insert(QStringLiteral("__name__"), name);
    more.insert(QStringLiteral("job"), QStringLiteral("postgres_exporter"));
    more.insert(QStringLiteral("instance"), QStringLiteral("db1:9187"));
    return more;
}

PromSeries promSeries(const QString &name, double value, QHash<QString, QString> more = {})
{
    return PromSeries{labelsOf(name, std::move(more)), value};
}

QHash<QString, QString> activity(const char *datname, const char *state)
{
    return {{QStringLiteral("datname"), QString::fromLatin1(datname)},
            {QStringLiteral("state"), QString::fromLatin1(state)}};
}

/// A matrix as Prometheus answers it: "values" of [time, "value"] per series.
QByteArray matrixJson(const QList<std::pair<QHash<QString, QString>, QList<std::pair<double, QString>>>> &all)
{
    QStringList results;
    for (const auto &[labels, points] : all) {
        QStringList metric, values;
        for (auto it = labels.cbegin(); it != labels.cend(); ++it)
            metric.append(QStringLiteral("\"%1\":\"%2\"").arg(it.key(), it.value()));
        for (const auto &[t, v] : points)
            values.append(QStringLiteral("[%1,\"%2\"]").arg(t, 0, 'f', 3).arg(v));
        results.append(QStringLiteral("{\"metric\":{%1},\"values\":[%2]}")
                           .arg(metric.join(QLatin1Char(',')), values.join(QLatin1Char(','))));
    }
    return QStringLiteral("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[%1]}}")
        .arg(results.join(QLatin1Char(',')))
        .toUtf8();
}

} // namespace

class TestPromHistory : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void parsesRangeAnswers()
    {
        QString error;
        const QByteArray ok = matrixJson({{labelsOf(QStringLiteral("pg_up")), {{100, "1"}, {101, "1"}}},
                                          {labelsOf(QStringLiteral("pg_read_tps")), {{101, "NaN"}}}});
        const auto matrix = parseRangeMatrix(ok, &error);
        QVERIFY2(matrix, qPrintable(error));
        QCOMPARE(matrix->size(), 2);
        QCOMPARE(matrix->at(0).labels.value("__name__"), QStringLiteral("pg_up"));
        QCOMPARE(matrix->at(0).times, (QVector<double>{100, 101}));
        QCOMPARE(matrix->at(0).values, (QVector<double>{1, 1}));
        QVERIFY(std::isnan(matrix->at(1).values.at(0)));
        // Prometheus's refusal of too many points comes back in its own words.
        const QByteArray refused =
            "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"exceeded maximum resolution of "
            "11,000 points per timeseries. Try decreasing the query resolution (?step=XX)\"}";
        QVERIFY(!parseRangeMatrix(refused, &error));
        QVERIFY2(error.contains(QLatin1String("11,000 points")), qPrintable(error));
        // An instant vector is not a range answer.
        QVERIFY(!parseRangeMatrix(
            "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}", &error));
        QVERIFY(error.contains(QLatin1String("vector")));
        QVERIFY(!parseRangeMatrix("not json", &error));
    }

    void stepKeepsEverySeriesWithinTheLimit_data()
    {
        QTest::addColumn<double>("rangeS");
        QTest::addColumn<double>("intervalS");
        QTest::addColumn<int>("step");
        QTest::addRow("1 h at 1 s") << 3600.0 << 1.0 << 1;
        QTest::addRow("1 h at 15 s") << 3600.0 << 15.0 << 15;
        QTest::addRow("sub-second interval") << 300.0 << 0.1 << 1;
        QTest::addRow("fractional interval rounds up") << 300.0 << 2.5 << 3;
        QTest::addRow("10999 s at 1 s: 11,000 points") << 10999.0 << 1.0 << 1;
        QTest::addRow("11000 s at 1 s: coarser") << 11000.0 << 1.0 << 2;
        QTest::addRow("24 h at 1 s") << 86400.0 << 1.0 << 8;
        QTest::addRow("7 d at 15 s") << 604800.0 << 15.0 << 55;
        QTest::addRow("24 h at 60 s") << 86400.0 << 60.0 << 60;
    }
    void stepKeepsEverySeriesWithinTheLimit()
    {
        QFETCH(double, rangeS);
        QFETCH(double, intervalS);
        QFETCH(int, step);
        QCOMPARE(rangeStepSeconds(rangeS, intervalS), step);
        // The points a series gets at that step: never more than Prometheus's limit.
        QVERIFY(std::floor(rangeS / step) + 1 <= kMaxPointsPerSeries);
        QVERIFY(step >= intervalS);
    }

    void slicesByTimestamp()
    {
        QList<PromRangeSeries> matrix;
        matrix.append({labelsOf(QStringLiteral("pg_up")), {10, 20, 30}, {1, 1, 1}});
        matrix.append({labelsOf(QStringLiteral("up")), {20, 30}, {1, 0}});
        const auto slices = instantSlices(matrix);
        QCOMPARE(slices.size(), 3);
        QCOMPARE(slices.at(0).first, 10.0);
        QCOMPARE(slices.at(0).second.size(), 1);
        QCOMPARE(slices.at(2).second.size(), 2);
        QCOMPARE(slices.at(2).second.at(1).name(), QStringLiteral("up"));
        QCOMPARE(slices.at(2).second.at(1).value, 0.0);
    }

    void historyOfAnExporterTarget()
    {
        // postgres_exporter for db1: 3 then 5 idle-in-transaction sessions, then its scrape fails (up 0),
        // then nothing at all for one step, then back.
        const auto idleInTx =
            labelsOf(QStringLiteral("pg_stat_activity_count"), activity("app", "idle in transaction"));
        QList<PromRangeSeries> matrix;
        matrix.append({labelsOf(QStringLiteral("up")), {100, 101, 102, 104}, {1, 1, 0, 1}});
        matrix.append({labelsOf(QStringLiteral("pg_up")), {100, 101, 102, 104}, {1, 1, 1, 1}});
        matrix.append({idleInTx, {100, 101, 102, 104}, {3, 5, 5, 2}});
        matrix.append({labelsOf(QStringLiteral("pg_settings_max_connections")),
                       {100, 101, 102, 104},
                       {100, 100, 100, 100}});
        // Another instance's series in the same answer are not this target's.
        auto other = labelsOf(QStringLiteral("pg_up"));
        other.insert(QStringLiteral("instance"), QStringLiteral("db2:9187"));
        matrix.append({other, {103}, {1}});

        const QList<DiscoveredTarget> now = discoverTargets(instantSlices(matrix).first().second, {}, 0);
        QCOMPARE(now.size(), 1);
        const QList<TargetSnapshot> history = historyOf(matrix, now.first());
        QCOMPARE(history.size(), 5); // 100..104: 103 only has db2
        QCOMPARE(history.at(0).sampledAtMs, qint64(100000));
        QVERIFY(history.at(0).ok);
        QCOMPARE(history.at(0).postgres->counts[SessionState::IdleInTransaction], 3);
        QCOMPARE(history.at(1).postgres->counts[SessionState::IdleInTransaction], 5);
        QCOMPARE(history.at(1).postgres->maxConnections, std::optional<int>(100));
        QVERIFY(!history.at(2).ok); // up 0: failed, no figures
        QVERIFY(!history.at(2).postgres);
        QVERIFY(history.at(2).error.message.contains(QLatin1String("up 0")));
        QVERIFY(!history.at(3).ok); // nothing of db1 at 103: a gap
        QVERIFY(!history.at(3).postgres);
        QCOMPARE(history.at(3).kind, TargetKind::Postgres);
        QVERIFY(history.at(4).ok);
        QCOMPARE(history.at(4).postgres->counts[SessionState::IdleInTransaction], 2);

        // Recorded as the window records live samples: the failed ones are gaps in the charts.
        SeriesSet set;
        for (const TargetSnapshot &s : history)
            recordSnapshot(set, s);
        const TimeSeries *ts = set.find(series::sessionState(SessionState::IdleInTransaction));
        QVERIFY(ts);
        QCOMPARE(ts->size(), 5);
        QCOMPARE(ts->valueAt(1), 5.0);
        QVERIFY(std::isnan(ts->valueAt(2)));
        QVERIFY(std::isnan(ts->valueAt(3)));
        QCOMPARE(ts->valueAt(4), 2.0);
    }

    void historyOfAPoolScopeExportedPooler()
    {
        // PoolScope's export: the `target` label names it; the waiting client shows at every step.
        QHash<QString, QString> pool{
            {QStringLiteral("job"), QStringLiteral("poolscope")},
            {QStringLiteral("instance"), QStringLiteral("10.0.0.9:9187")},
            {QStringLiteral("target"), QStringLiteral("monitor@10.0.0.7:6432/pgbouncer")},
            {QStringLiteral("database"), QStringLiteral("app")},
            {QStringLiteral("user"), QStringLiteral("app")}};
        auto named = [](QHash<QString, QString> l, const char *name) {
            l.insert(QStringLiteral("__name__"), QString::fromLatin1(name));
            return l;
        };
        QHash<QString, QString> target = pool;
        target.remove(QStringLiteral("database"));
        target.remove(QStringLiteral("user"));
        target.insert(QStringLiteral("kind"), QStringLiteral("pgbouncer"));
        QList<PromRangeSeries> matrix;
        matrix.append({named(target, "poolscope_target_up"), {200, 201}, {1, 1}});
        matrix.append({named(pool, "pgbouncer_pools_client_waiting_connections"), {200, 201}, {0, 1}});
        matrix.append({named(pool, "pgbouncer_pools_server_active_connections"), {200, 201}, {2, 2}});
        const QList<DiscoveredTarget> now = discoverTargets(instantSlices(matrix).last().second, {}, 0);
        QCOMPARE(now.size(), 1);
        QCOMPARE(now.first().origin, QStringLiteral("poolscope"));
        QCOMPARE(selectorOf(now.first()).target, QStringLiteral("monitor@10.0.0.7:6432/pgbouncer"));
        const QList<TargetSnapshot> history = historyOf(matrix, now.first());
        QCOMPARE(history.size(), 2);
        QCOMPARE(history.at(0).bouncer->pools.first().clWaiting, std::optional<qint64>(0));
        QCOMPARE(history.at(1).bouncer->pools.first().clWaiting, std::optional<qint64>(1));
    }

    void queryOfOneTarget()
    {
        DiscoveredTarget exporter;
        exporter.origin = QStringLiteral("postgres_exporter");
        exporter.job = QStringLiteral("pg \"prod\"");
        exporter.instance = QStringLiteral("db1:9187");
        exporter.snapshot.target = QStringLiteral("pg \"prod\"@db1:9187");
        const QString q = seriesQuery(selectorOf(exporter));
        // Quotes escaped; an exporter's series have no target label (target="" matches that).
        QVERIFY2(q.contains(QLatin1String("job=\"pg \\\"prod\\\"\", instance=\"db1:9187\", target=\"\"")),
                 qPrintable(q));
        QVERIFY(q.contains(QLatin1String("rate(pg_stat_database_xact_commit{job=")));
        QVERIFY(!q.contains(QLatin1String(" or up{"))); // `up` has no target label: in the first selector
        DiscoveredTarget own = exporter;
        own.origin = QStringLiteral("poolscope");
        own.snapshot.target = QStringLiteral("monitor@db1:5432/app");
        const QString ownQuery = seriesQuery(selectorOf(own));
        QVERIFY(ownQuery.contains(QLatin1String("target=\"monitor@db1:5432/app\"")));
        QVERIFY(ownQuery.contains(QLatin1String(" or up{job=\"pg \\\"prod\\\"\", instance=\"db1:9187\"}")));
        // The whole fleet's query selects nothing more than the names.
        QVERIFY(currentSeriesQuery().startsWith(QLatin1String("{__name__=~\"up|pg_up|")));
        QVERIFY(!currentSeriesQuery().contains(QLatin1String("target=")));
    }

    void ratesDatabasesAndExportedFigures()
    {
        const QList<DiscoveredTarget> found = discoverTargets(
            {promSeries("up", 1), promSeries("pg_up", 1), promSeries("pg_settings_max_connections", 20),
             promSeries("pg_stat_activity_count", 4, activity("app", "idle in transaction")),
             promSeries("pg_stat_activity_count", 2, activity("app", "active")),
             promSeries("pg_stat_activity_count", 3, activity("billing", "idle")),
             promSeries("pg_stat_activity_max_tx_duration", 75, activity("app", "idle in transaction")),
             promSeries("pg_read_tps", 12.5, {{QStringLiteral("poolscope_read"), QStringLiteral("tps")}}),
             promSeries("pg_read_rollbacks_per_second", 0.5,
                        {{QStringLiteral("poolscope_read"), QStringLiteral("rollbacks")}})},
            {}, 1765000000000);
        QCOMPARE(found.size(), 1);
        const TargetSnapshot &s = found.first().snapshot;
        QVERIFY(s.ok);
        QCOMPARE(s.tps, std::optional<double>(12.5));
        const PostgresSample &pg = *s.postgres;
        QCOMPARE(pg.rollbacksPerSecond, std::optional<double>(0.5));
        QCOMPARE(pg.commitsPerSecond, std::optional<double>(12.0));
        QCOMPARE(pg.transactionRate.status, RateStatus::Ok);
        QCOMPARE(pg.transactionRate.windowS, double(kRateWindowS));
        const QList<SessionGroup> &dbs = pg.groupsBy(GroupDimension::Database);
        QCOMPARE(dbs.size(), 2);
        QCOMPARE(dbs.at(0).name, QStringLiteral("app")); // most sessions first
        QCOMPARE(dbs.at(0).sessions(), 6);
        QCOMPARE(dbs.at(1).sessions(), 3);
        // What the exporter does not report stays unknown: lock waiters are not 0.
        QVERIFY(pg.exported);
        QCOMPARE(pg.exported->oldestXactAgeS, std::optional<double>(75));
        QVERIFY(!pg.exported->lockWaiting);
        const FleetFigures f = fleetFigures(s);
        QVERIFY(!f.waiting);
        QCOMPARE(f.idleInTransaction, std::optional<qint64>(4));
        // Recorded: the TPS and the rollbacks chart.
        SeriesSet set;
        recordSnapshot(set, s);
        QCOMPARE(set.find(series::tps())->lastValue(), std::optional<double>(12.5));
        QCOMPARE(set.find(series::rollbacksPerSecond())->lastValue(), std::optional<double>(0.5));
        QCOMPARE(recordedGroups(set, GroupDimension::Database).size(), 2);

        // pgbouncer_exporter: its pooled transactions' rate.
        QHash<QString, QString> bouncer{{QStringLiteral("job"), QStringLiteral("pgbouncer")},
                                        {QStringLiteral("instance"), QStringLiteral("pool1:9127")}};
        auto b = [&](const char *name, double v, QHash<QString, QString> more = {}) {
            more.insert(bouncer);
            more.insert(QStringLiteral("__name__"), QString::fromLatin1(name));
            return PromSeries{more, v};
        };
        const QList<DiscoveredTarget> pooler = discoverTargets(
            {b("up", 1), b("pgbouncer_up", 1),
             b("pgbouncer_read_tps", 40, {{QStringLiteral("poolscope_read"), QStringLiteral("tps")}})},
            {}, 0);
        QCOMPARE(pooler.size(), 1);
        QCOMPARE(pooler.first().snapshot.tps, std::optional<double>(40));
    }

    void connectionTestSummary()
    {
        QVERIFY(fleetSummary({}).startsWith(QLatin1String("No PostgreSQL or PgBouncer instance found")));
        const auto labels = [](const char *instance) {
            return QHash<QString, QString>{{QStringLiteral("job"), QStringLiteral("pg")},
                                           {QStringLiteral("instance"), QString::fromLatin1(instance)}};
        };
        auto named = [](QHash<QString, QString> l, const char *name) {
            l.insert(QStringLiteral("__name__"), QString::fromLatin1(name));
            return PromSeries{l, 1};
        };
        PromSeries down = named(labels("db2:9187"), "up");
        down.value = 0;
        auto known = labels("db2:9187");
        known.insert(QStringLiteral("series"), QStringLiteral("pg_up"));
        const QList<DiscoveredTarget> found =
            discoverTargets({named(labels("db1:9187"), "up"), named(labels("db1:9187"), "pg_up"), down},
                            {PromSeries{known, 1}}, 0);
        QCOMPARE(found.size(), 2);
        const QString text = fleetSummary(found);
        QVERIFY2(text.startsWith(QLatin1String("2 instances discovered: 2 PostgreSQL; 1 failed.")),
                 qPrintable(text));
        // The failed one first, with its reason.
        const QStringList lines = text.split(QLatin1Char('\n'));
        QCOMPARE(lines.size(), 3);
        QVERIFY2(lines.at(1).contains(QLatin1String("db2:9187")) &&
                     lines.at(1).contains(QLatin1String("up 0")),
                 qPrintable(lines.at(1)));
        QVERIFY(lines.at(2).endsWith(QLatin1String(": ok")));
        QVERIFY(fleetSummary(found, 1).endsWith(QStringLiteral("… and 1 more")));
    }
};

QTEST_GUILESS_MAIN(TestPromHistory)
#include "tst_promhistory.moc"
