#include "core/recorder.h"
#include "core/timeseries.h"

#include <QTest>
#include <cmath>

using namespace poolscope;

namespace {

constexpr double T0 = 1'700'000'040; // a multiple of 60: buckets start at T0
constexpr double Nan = std::numeric_limits<double>::quiet_NaN();

// Small rings, so each level wraps within a few hundred samples.
TimeSeries smallSeries()
{
    return TimeSeries(20, {{10, 5}, {60, 3}});
}

// "start min max mean" per bucket ("gap" for a gap bucket), for readable comparisons.
QStringList flatten(const HistoryPoints &p)
{
    QStringList out;
    for (int i = 0; i < p.size(); ++i) {
        const double start = std::floor(p.keys[i] / p.resolution) * p.resolution - T0;
        if (std::isnan(p.mean[i]))
            out.append(QString::number(start) + " gap");
        else
            out.append(QStringLiteral("%1 %2 %3 %4").arg(start).arg(p.min[i]).arg(p.max[i]).arg(p.mean[i]));
    }
    return out;
}

// A day of 1 s samples of 0 with one 1 s spike, shared by the resolution tests (filled once).
const TimeSeries &day()
{
    static const TimeSeries series = [] {
        TimeSeries s;
        for (int i = 0; i < 86400; ++i)
            s.append(T0 + i, i == 50000 ? 42 : 0);
        return s;
    }();
    return series;
}

} // namespace

class TestTimeSeries : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void ringKeepsNewest_data()
    {
        QTest::addColumn<int>("capacity");
        QTest::addColumn<int>("appended");
        QTest::addColumn<double>("oldest");
        QTest::addColumn<double>("newest");
        QTest::addRow("not full") << 10 << 4 << 0.0 << 3.0;
        QTest::addRow("exactly full") << 10 << 10 << 0.0 << 9.0;
        QTest::addRow("wrapped once") << 10 << 13 << 3.0 << 12.0;
        QTest::addRow("wrapped many times") << 7 << 100 << 93.0 << 99.0;
    }
    void ringKeepsNewest()
    {
        QFETCH(int, capacity);
        QFETCH(int, appended);
        QFETCH(double, oldest);
        QFETCH(double, newest);
        TimeSeries s(capacity);
        for (int i = 0; i < appended; ++i)
            s.append(i, i * 10.0);
        QCOMPARE(s.size(), std::min(capacity, appended));
        QCOMPARE(s.timeAt(0), oldest);
        QCOMPARE(s.timeAt(s.size() - 1), newest);
        QCOMPARE(s.valueAt(s.size() - 1), newest * 10.0);
        for (int i = 1; i < s.size(); ++i)
            QVERIFY(s.timeAt(i) > s.timeAt(i - 1));
    }

    void rollupAggregates_data()
    {
        // Samples as (seconds after T0, value); NaN is a failed sample. Expected 10 s buckets, flattened.
        QTest::addColumn<QList<QPointF>>("samples");
        QTest::addColumn<QStringList>("buckets");
        QTest::addRow("one bucket") << QList<QPointF>{{0, 4}, {1, 2}, {2, 6}} << QStringList{"0 2 6 4"};
        QTest::addRow("across a bucket boundary")
            << QList<QPointF>{{8, 1}, {9, 3}, {10, 10}, {11, 20}} << QStringList{"0 1 3 2", "10 10 20 15"};
        QTest::addRow("boundary sample starts the next bucket")
            << QList<QPointF>{{9.999, 1}, {10, 5}} << QStringList{"0 1 1 1", "10 5 5 5"};
        QTest::addRow("gaps inside a bucket are not counted")
            << QList<QPointF>{{0, 2}, {1, Nan}, {2, 4}} << QStringList{"0 2 4 3"};
        QTest::addRow("a bucket of only gaps is a gap")
            << QList<QPointF>{{5, 1}, {10, Nan}, {15, Nan}, {20, 3}}
            << QStringList{"0 1 1 1", "10 gap", "20 3 3 3"};
        QTest::addRow("sparse samples leave no empty buckets")
            << QList<QPointF>{{0, 1}, {35, 2}} << QStringList{"0 1 1 1", "30 2 2 2"};
        QTest::addRow("fractional values")
            << QList<QPointF>{{0, 0.5}, {1, 1.25}} << QStringList{"0 0.5 1.25 0.875"};
    }
    void rollupAggregates()
    {
        QFETCH(QList<QPointF>, samples);
        QFETCH(QStringList, buckets);
        TimeSeries s = smallSeries();
        for (const QPointF &p : samples)
            s.append(T0 + p.x(), p.y());
        QCOMPARE(s.resolution(1), 10.0);
        QCOMPARE(flatten(s.points(1, T0 - 100, T0 + 100)), buckets);
    }

    void ringWrapsAtEveryLevel_data()
    {
        QTest::addColumn<int>("level");
        QTest::addColumn<int>("seconds"); // 1 s samples from T0
        QTest::addColumn<int>("size");
        QTest::addColumn<double>("oldest"); // raw: oldest time; rollups: oldest bucket start (after T0)
        QTest::addRow("raw, not full") << 0 << 15 << 15 << 0.0;
        QTest::addRow("raw, wrapped") << 0 << 400 << 20 << 380.0;
        QTest::addRow("10 s, not full") << 1 << 45 << 5 << 0.0;
        QTest::addRow("10 s, wrapped") << 1 << 400 << 5 << 350.0;
        QTest::addRow("1 min, not full") << 2 << 150 << 3 << 0.0;
        QTest::addRow("1 min, wrapped") << 2 << 400 << 3 << 240.0;
    }
    void ringWrapsAtEveryLevel()
    {
        QFETCH(int, level);
        QFETCH(int, seconds);
        QFETCH(int, size);
        QFETCH(double, oldest);
        TimeSeries s = smallSeries();
        for (int i = 0; i < seconds; ++i)
            s.append(T0 + i, i);
        QCOMPARE(s.levelSize(level), size);
        const HistoryPoints all = s.points(level, 0, T0 * 2);
        QCOMPARE(all.size(), size);
        const double first =
            level == 0 ? all.keys[0] : std::floor(all.keys[0] / s.resolution(level)) * s.resolution(level);
        QCOMPARE(first - T0, oldest);
        // The newest data is always there, and a rollup's mean is still right after wrapping.
        QCOMPARE(all.max.last(), double(seconds - 1));
        if (level > 0) {
            const double width = s.resolution(level);
            const double start = std::floor((seconds - 1) / width) * width;
            QCOMPARE(all.min.last(), start);
            QCOMPARE(all.mean.last(), (start + seconds - 1) / 2);
        }
    }

    void defaultCapacities()
    {
        // The default layout: an hour of raw samples, 6 h of 10 s buckets, 24 h of 1 min buckets, and a
        // little more of each after wrapping.
        TimeSeries s;
        QCOMPARE(s.capacity(), history::RawCapacity);
        QCOMPARE(s.levelCount(), 3);
        for (int i = 0; i < 90'000; ++i)
            s.append(T0 + i, 1);
        QCOMPARE(s.levelSize(0), 3600);
        QCOMPARE(s.levelSize(1), 2160);
        QCOMPARE(s.levelSize(2), 1440);
        QCOMPARE(s.timeAt(0), T0 + 90'000 - 3600);
        QCOMPARE(s.points(1, 0, T0 * 2).keys.first(), T0 + 90'000 - 21'600 + 5);
        QCOMPARE(s.points(2, 0, T0 * 2).keys.first(), T0 + 3600 + 30); // 1,500 minutes, the last 1,440 kept
    }

    void resolutionFollowsTheRange_data()
    {
        QTest::addColumn<double>("span");    // seconds, ending at the newest sample
        QTest::addColumn<double>("endsAgo"); // seconds before the newest sample
        QTest::addColumn<int>("maxPoints");
        QTest::addColumn<double>("resolution");
        QTest::addRow("5 min: raw") << 300.0 << 0.0 << 4000 << 0.0;
        QTest::addRow("1 h: raw") << 3600.0 << 0.0 << 4000 << 0.0;
        QTest::addRow("1 h on a narrow chart: 10 s") << 3600.0 << 0.0 << 1000 << 10.0;
        QTest::addRow("6 h: 10 s") << 21600.0 << 0.0 << 4000 << 10.0;
        QTest::addRow("24 h: 1 min") << 86400.0 << 0.0 << 4000 << 60.0;
        QTest::addRow("5 min, 3 h ago: 10 s") << 300.0 << 3.0 * 3600 << 4000 << 10.0;
        QTest::addRow("5 min, 20 h ago: 1 min") << 300.0 << 20.0 * 3600 << 4000 << 60.0;
        QTest::addRow("too many points everywhere: the coarsest") << 86400.0 << 0.0 << 100 << 60.0;
    }
    void resolutionFollowsTheRange()
    {
        QFETCH(double, span);
        QFETCH(double, endsAgo);
        QFETCH(int, maxPoints);
        QFETCH(double, resolution);
        const TimeSeries &s = day();
        const double to = T0 + 86399 - endsAgo;
        const HistoryPoints p = s.sample(to - span, to, maxPoints);
        QCOMPARE(p.resolution, resolution);
        QVERIFY(p.size() > 0);
        if (p.resolution > 0 && maxPoints >= 1000)
            QVERIFY2(p.size() <= maxPoints, qPrintable(QString::number(p.size())));
    }

    void fastSamplingUsesRollupsSooner()
    {
        // At 10 samples a second the raw ring spans 6 minutes: an hour comes from the 10 s buckets.
        TimeSeries s;
        for (int i = 0; i < 36'000; ++i)
            s.append(T0 + i * 0.1, 1);
        const double last = T0 + 3599.9;
        QCOMPARE(s.sample(last - 300, last, 4000).resolution, 0.0);
        QCOMPARE(s.sample(last - 3600, last, 4000).resolution, 10.0);
    }

    void youngSeriesUsesRawSamples()
    {
        // Ten minutes of data under a 24 h range: nothing was evicted, so raw samples cover it.
        TimeSeries s;
        for (int i = 0; i < 600; ++i)
            s.append(T0 + i, i);
        QCOMPARE(s.sample(T0 + 599 - 86400, T0 + 599, 4000).resolution, 0.0);
    }

    void spikeSurvivesTheDayView()
    {
        const TimeSeries &s = day();
        const HistoryPoints p = s.sample(T0, T0 + 86399, 4000);
        QCOMPARE(p.resolution, 60.0);
        QVERIFY(p.size() <= 1441);
        const auto peak = std::max_element(p.max.cbegin(), p.max.cend());
        QCOMPARE(*peak, 42.0);
        const qsizetype i = peak - p.max.cbegin();
        QCOMPARE(p.min[i], 0.0);
        QCOMPARE(p.mean[i], double(float(42.0 / 60))); // rollups keep floats
        // The bucket holding the spike is the one containing second 50000.
        QVERIFY(p.keys[i] - 30 <= T0 + 50000 && T0 + 50000 < p.keys[i] + 30);
        // The tooltip lookup finds the same bucket.
        const HistoryPoints near = s.pointNear(2, T0 + 50000, 1);
        QCOMPARE(near.size(), 1);
        QCOMPARE(near.max[0], 42.0);
    }

    void newestBucketKeyIsTheNewestSample()
    {
        TimeSeries s = smallSeries();
        for (int i = 0; i < 13; ++i)
            s.append(T0 + i, i);
        const HistoryPoints p = s.points(1, T0, T0 + 12);
        QCOMPARE(p.keys, (QVector<double>{T0 + 5, T0 + 12}));
    }

    void memoryIsBounded()
    {
        // The budget: 20 targets × 46 series (PostgreSQL with session groups and a two-pool PgBouncer each)
        // within 110 MB of history, about half the 200 MB process budget.
        QCOMPARE(history::capacityBytes(), std::size_t(3600 * 16 + (2160 + 1440) * 16));
        QVERIFY(20 * 46 * history::capacityBytes() <= 110'000'000);
        TimeSeries s;
        for (int i = 0; i < 60; ++i)
            s.append(T0 + i, i);
        QVERIFY2(s.memoryBytes() < 6'000, "young series grow their rings on demand");
        for (int i = 60; i < 200'000; ++i)
            s.append(T0 + i, i % 1000);
        // Counts are stored as floats: 12 bytes per raw sample.
        QCOMPARE(s.memoryBytes(), std::size_t(3600 * 12 + (2160 + 1440) * 16));
        TimeSeries rate;
        for (int i = 0; i < 200'000; ++i)
            rate.append(T0 + i, i * 0.1);
        QCOMPARE(rate.memoryBytes(), history::capacityBytes());
        SeriesSet set;
        set["a"].append(T0, 1);
        set["b"].append(T0, 1);
        QCOMPARE(set.memoryBytes(), set.find("a")->memoryBytes() + set.find("b")->memoryBytes());
    }

    void valuesStayExact()
    {
        // Floats while every value is one; doubles, for good, from the first that is not: nothing is rounded.
        TimeSeries s(5);
        for (int i = 0; i < 7; ++i) // holds t = 2..6 after wrapping
            s.append(T0 + i, i);
        s.append(T0 + 7, 0.1);
        s.append(T0 + 8, 16'777'217); // 2^24 + 1: not a float
        s.appendGap(T0 + 9);
        QCOMPARE(s.size(), 5);
        const QList<double> expected = {5, 6, 0.1, 16'777'217};
        for (int i = 0; i < 4; ++i) {
            QVERIFY2(s.valueAt(i) == expected[i], qPrintable(QString::number(s.valueAt(i), 'g', 17)));
            QCOMPARE(s.timeAt(i), T0 + 5 + i);
        }
        QVERIFY(std::isnan(s.valueAt(4)));
        TimeSeries big;
        big.append(T0, 16'777'217);
        QVERIFY(big.valueAt(0) == 16'777'217);
        QVERIFY(big.lastValue() == 16'777'217.0);
    }

    void clearEmptiesEveryLevel()
    {
        TimeSeries s = smallSeries();
        for (int i = 0; i < 100; ++i)
            s.append(T0 + i, i);
        s.clear();
        for (int level = 0; level < s.levelCount(); ++level)
            QCOMPARE(s.levelSize(level), 0);
        QCOMPARE(s.sample(T0, T0 + 100, 10).size(), 0);
    }

    void rangeCopyAndLookup()
    {
        TimeSeries s(5);
        for (int i = 0; i < 8; ++i) // holds t = 3..7
            s.append(i, i);
        QVector<double> k, v;
        s.copyRange(4.5, 6.0, k, v);
        QCOMPARE(k, (QVector<double>{5, 6}));
        QCOMPARE(s.lowerBound(0), 0);
        QCOMPARE(s.lowerBound(100), 5);
        QCOMPARE(s.valueNear(5.4, 0.5), std::optional<double>(5));
        QVERIFY(!s.valueNear(20, 0.5).has_value());
    }

    void gapsStayGaps()
    {
        TimeSeries s(10);
        s.append(1, 5);
        s.appendGap(2);
        s.append(3, 7);
        QVERIFY(std::isnan(s.valueAt(1)));
        QVERIFY(!s.valueNear(2, 0.1).has_value());
        QCOMPARE(s.lastValue(), std::optional<double>(7));
        s.appendGap(4);
        QVERIFY(!s.lastValue().has_value());
    }

    void rate_data()
    {
        QTest::addColumn<QList<double>>("times");
        QTest::addColumn<QList<double>>("counters");
        QTest::addColumn<QList<double>>("rates"); // -1 = no rate
        QTest::addRow("steady") << QList<double>{0, 1, 2} << QList<double>{100, 150, 250}
                                << QList<double>{-1, 50, 100};
        QTest::addRow("counter reset after restart")
            << QList<double>{0, 1, 2, 3} << QList<double>{100, 200, 5, 25} << QList<double>{-1, 100, -1, 20};
        QTest::addRow("same timestamp")
            << QList<double>{0, 0} << QList<double>{1, 2} << QList<double>{-1, -1};
    }
    void rate()
    {
        QFETCH(QList<double>, times);
        QFETCH(QList<double>, counters);
        QFETCH(QList<double>, rates);
        RateCalculator r;
        for (int i = 0; i < times.size(); ++i) {
            const auto got = r.update(times[i], quint64(counters[i]));
            QCOMPARE(got.value_or(-1), rates[i]);
        }
    }

    void recorderWritesGapsOnFailure()
    {
        SeriesSet set(100);
        TargetSnapshot ok;
        ok.ok = true;
        ok.sampledAtMs = 1000;
        ok.postgres = PostgresSample{};
        ok.postgres->maxConnections = 100;
        ok.postgres->superuserReserved = 3;
        ok.postgres->counts[SessionState::IdleInTransaction] = 3;
        PoolStats p;
        p.database = "app";
        p.user = "app";
        p.clWaiting = 2;
        ok.bouncer = BouncerSample{};
        ok.bouncer->pools = {p};
        recordSnapshot(set, ok);
        TargetSnapshot failed;
        failed.sampledAtMs = 2000;
        recordSnapshot(set, failed);
        const TimeSeries *iit = set.find(series::sessionState(SessionState::IdleInTransaction));
        QVERIFY(iit);
        QCOMPARE(iit->size(), 2);
        QCOMPARE(iit->valueAt(0), 3.0);
        QVERIFY(std::isnan(iit->valueAt(1))); // a gap, not a line to the next sample
        QCOMPARE(set.find(series::usableLimit())->valueAt(0), 97.0);
        QCOMPARE(set.find(series::sessionsTotal())->valueAt(0), 3.0);
        QVERIFY(std::isnan(set.find(series::sessionsTotal())->valueAt(1)));
        QCOMPARE(recordedPools(set), QStringList{"app/app"});
        const TimeSeries *svActive = set.find(series::pool("app/app", "sv_active"));
        QVERIFY(svActive);
        QVERIFY(std::isnan(svActive->valueAt(0))); // unknown is not 0
        QCOMPARE(set.find(series::pool("app/app", "cl_waiting"))->valueAt(0), 2.0);
    }
};

QTEST_GUILESS_MAIN(TestTimeSeries)
#include "tst_timeseries.moc"
