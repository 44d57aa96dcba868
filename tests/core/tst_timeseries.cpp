#include "core/recorder.h"
#include "core/timeseries.h"

#include <QTest>
#include <cmath>

using namespace poolscope;

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
        QCOMPARE(recordedPools(set), QStringList{"app/app"});
        const TimeSeries *svActive = set.find(series::pool("app/app", "sv_active"));
        QVERIFY(svActive);
        QVERIFY(std::isnan(svActive->valueAt(0))); // unknown is not 0
        QCOMPARE(set.find(series::pool("app/app", "cl_waiting"))->valueAt(0), 2.0);
    }
};

QTEST_GUILESS_MAIN(TestTimeSeries)
#include "tst_timeseries.moc"
