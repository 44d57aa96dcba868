// TimeChart on synthetic series: stacking, gaps, ranges, pause, replot coalescing and the tooltip text.
#include "core/timeseries.h"
#include "widgets/qcp.h"
#include "widgets/timechart.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QtTest>
#include <cmath>

using poolscope::SeriesSet;
using poolscope::widgets::TimeChart;

namespace {

constexpr double T0 = 1'700'000'000; // seconds since the epoch

QColor grey(const QPalette &)
{
    return Qt::gray;
}

// "a" = 1, 2, 3, ...; "b" = 10 each second; a gap (NaN in both) at the given seconds.
void fill(SeriesSet &set, int seconds, const QList<int> &gaps = {})
{
    for (int i = 0; i < seconds; ++i) {
        const double t = T0 + i;
        if (gaps.contains(i)) {
            set[QStringLiteral("a")].appendGap(t);
            set[QStringLiteral("b")].appendGap(t);
        } else {
            set[QStringLiteral("a")].append(t, i + 1);
            set[QStringLiteral("b")].append(t, 10);
        }
        set[QStringLiteral("limit")].append(t, 100);
        set.noteTime(t);
    }
}

QList<double> values(const QCPGraph *g)
{
    QList<double> out;
    for (auto it = g->data()->constBegin(); it != g->data()->constEnd(); ++it)
        out.append(it->value);
    return out;
}

} // namespace

class TestTimeChart : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void stackedLayersAreCumulative();
    void gapsBreakTheArea();
    void valueRange_data();
    void valueRange();
    void windowFollowsTheLatestSample();
    void youngTargetWindowGrows_data();
    void youngTargetWindowGrows();
    void pauseFreezesAndAllowsDragging();
    void replotsAreCoalesced();
    void tooltipListsEverySeries();
};

void TestTimeChart::stackedLayersAreCumulative()
{
    SeriesSet set;
    fill(set, 5);
    TimeChart chart;
    chart.setMode(TimeChart::Mode::StackedArea);
    chart.setSeriesSet(&set);
    chart.addSeries(QStringLiteral("a"), QStringLiteral("A"), grey);
    chart.addSeries(QStringLiteral("b"), QStringLiteral("B"), grey);
    chart.refreshNow();

    QCOMPARE(values(chart.graph(0)), (QList<double>{1, 2, 3, 4, 5}));
    QCOMPARE(values(chart.graph(1)), (QList<double>{11, 12, 13, 14, 15}));
    // Each layer is filled down to the one below it; the bottom one down to zero.
    QCOMPARE(chart.graph(0)->channelFillGraph(), nullptr);
    QCOMPARE(chart.graph(1)->channelFillGraph(), chart.graph(0));
    QVERIFY(chart.graph(1)->brush().style() != Qt::NoBrush);
    QCOMPARE(chart.visibleTop(), 15.0);

    chart.setMode(TimeChart::Mode::Lines);
    chart.refreshNow();
    QCOMPARE(values(chart.graph(1)), (QList<double>{10, 10, 10, 10, 10}));
    QCOMPARE(chart.graph(1)->channelFillGraph(), nullptr);
    QCOMPARE(chart.visibleTop(), 10.0);
}

void TestTimeChart::gapsBreakTheArea()
{
    SeriesSet set;
    fill(set, 6, {2, 3});
    // Missing samples make the whole stack unknown there: the area breaks instead of bridging the gap.
    TimeChart chart;
    chart.setMode(TimeChart::Mode::StackedArea);
    chart.setSeriesSet(&set);
    chart.addSeries(QStringLiteral("a"), QStringLiteral("A"), grey);
    chart.addSeries(QStringLiteral("b"), QStringLiteral("B"), grey);
    chart.refreshNow();

    const QList<double> top = values(chart.graph(1));
    QCOMPARE(top.size(), 6);
    QCOMPARE(top[1], 12.0);
    QVERIFY(std::isnan(top[2]));
    QVERIFY(std::isnan(top[3]));
    QCOMPARE(top[4], 15.0);
}

void TestTimeChart::valueRange_data()
{
    QTest::addColumn<bool>("integer");
    QTest::addColumn<bool>("limitAlways");
    QTest::addColumn<double>("limit");
    QTest::addColumn<double>("minUpper");
    QTest::addColumn<double>("maxUpper");
    QTest::addColumn<QString>("legendSuffix");

    // Data top is 15 (stacked a + b after 5 s).
    QTest::addRow("headroom above the data")
        << true << false << 100.0 << 16.0 << 25.0 << QStringLiteral("above the chart");
    QTest::addRow("a far limit stays in range when asked")
        << true << true << 100.0 << 100.0 << 150.0 << QString();
    QTest::addRow("a near limit is always shown") << true << false << 30.0 << 30.0 << 40.0 << QString();
}

void TestTimeChart::valueRange()
{
    QFETCH(bool, integer);
    QFETCH(bool, limitAlways);
    QFETCH(double, limit);
    QFETCH(double, minUpper);
    QFETCH(double, maxUpper);
    QFETCH(QString, legendSuffix);

    SeriesSet set;
    for (int i = 0; i < 5; ++i) {
        set[QStringLiteral("a")].append(T0 + i, i + 1);
        set[QStringLiteral("b")].append(T0 + i, 10);
        set[QStringLiteral("limit")].append(T0 + i, limit);
        set.noteTime(T0 + i);
    }
    TimeChart chart;
    chart.setMode(TimeChart::Mode::StackedArea);
    chart.setIntegerValues(integer);
    chart.setSeriesSet(&set);
    chart.addSeries(QStringLiteral("a"), QStringLiteral("A"), grey);
    chart.addSeries(QStringLiteral("b"), QStringLiteral("B"), grey);
    chart.setLimitSeries(QStringLiteral("limit"), QStringLiteral("limit"), grey);
    chart.setLimitAlwaysInRange(limitAlways);
    chart.refreshNow();

    const QCPRange y = chart.yAxis->range();
    QCOMPARE(y.lower, 0.0);
    QVERIFY2(y.upper >= minUpper && y.upper <= maxUpper, qPrintable(QString::number(y.upper)));
    QCOMPARE(chart.graphCount(), 3);
    QCOMPARE(chart.graph(2)->lineStyle(), QCPGraph::lsStepLeft);
    QCOMPARE(chart.graph(2)->pen().style(), Qt::DashLine);
    const QString name = chart.graph(2)->name();
    QVERIFY2(name.startsWith(QStringLiteral("limit: ") + QString::number(limit)), qPrintable(name));
    QCOMPARE(name.contains(QStringLiteral("above the chart")), !legendSuffix.isEmpty());
}

void TestTimeChart::windowFollowsTheLatestSample()
{
    SeriesSet set;
    fill(set, 600);
    TimeChart chart;
    chart.setSeriesSet(&set);
    chart.addSeries(QStringLiteral("a"), QStringLiteral("A"), grey);
    chart.refreshNow();
    const double last = T0 + 599;
    QCOMPARE(chart.xAxis->range().upper, last);
    QCOMPARE(chart.xAxis->range().lower, last - 300);
    // Only the window (plus a point beyond each edge) is copied out of the ring buffer.
    QVERIFY(chart.graph(0)->data()->size() <= 310);
    QVERIFY(chart.graph(0)->data()->size() >= 300);
}

void TestTimeChart::youngTargetWindowGrows_data()
{
    QTest::addColumn<int>("samples");
    QTest::addColumn<double>("width");
    QTest::addRow("20 s of data: one-minute minimum") << 20 << 60.0;
    QTest::addRow("2 min of data: from the first sample") << 121 << 120.0;
    QTest::addRow("10 min of data: the full 5 min window") << 600 << 300.0;
}

void TestTimeChart::youngTargetWindowGrows()
{
    QFETCH(int, samples);
    QFETCH(double, width);
    SeriesSet set;
    fill(set, samples);
    TimeChart chart;
    chart.setSeriesSet(&set);
    chart.addSeries(QStringLiteral("a"), QStringLiteral("A"), grey);
    chart.refreshNow();
    QCOMPARE(chart.xAxis->range().upper, T0 + samples - 1);
    QCOMPARE(chart.xAxis->range().size(), width);
}

void TestTimeChart::pauseFreezesAndAllowsDragging()
{
    SeriesSet set;
    fill(set, 100);
    TimeChart chart;
    chart.setSeriesSet(&set);
    chart.addSeries(QStringLiteral("a"), QStringLiteral("A"), grey);
    chart.refreshNow();
    QVERIFY(!chart.interactions().testFlag(QCP::iRangeDrag));

    chart.setPaused(true);
    QVERIFY(chart.interactions().testFlag(QCP::iRangeDrag));
    const QCPRange frozen = chart.xAxis->range();
    for (int i = 100; i < 110; ++i) {
        set[QStringLiteral("a")].append(T0 + i, 1);
        set.noteTime(T0 + i);
    }
    chart.markDirty();
    QTest::qWait(80);
    QCOMPARE(chart.xAxis->range(), frozen);

    // The user drags back in time: the chart tells its page, and rebuilds the data for the new window.
    QSignalSpy moved(&chart, &TimeChart::visibleRangeChanged);
    chart.xAxis->setRange(frozen.lower - 60, frozen.upper - 60);
    QCOMPARE(moved.size(), 1);
    // Ranges set by the page to keep charts in step do not echo back.
    chart.setVisibleRange(frozen.lower - 30, frozen.upper - 30);
    QCOMPARE(moved.size(), 1);

    chart.setPaused(false);
    chart.refreshNow();
    QCOMPARE(chart.xAxis->range().upper, T0 + 109);
    chart.setVisibleRange(0, 10); // ignored while live
    QCOMPARE(chart.xAxis->range().upper, T0 + 109);
}

void TestTimeChart::replotsAreCoalesced()
{
    SeriesSet set;
    fill(set, 10);
    TimeChart chart;
    chart.resize(400, 300);
    chart.show();
    QVERIFY(QTest::qWaitForWindowExposed(&chart));
    chart.setSeriesSet(&set);
    chart.addSeries(QStringLiteral("a"), QStringLiteral("A"), grey);
    QTest::qWait(100);

    QSignalSpy replots(&chart, &QCustomPlot::afterReplot);
    QElapsedTimer timer;
    timer.start();
    int marks = 0;
    while (timer.elapsed() < 400) {
        chart.markDirty();
        ++marks;
        QTest::qWait(2);
    }
    QTest::qWait(100);
    const double seconds = double(timer.elapsed()) / 1000.0;
    QVERIFY(marks > 50);
    QVERIFY2(replots.size() >= 1, "data changes must reach the screen");
    QVERIFY2(replots.size() <= int(seconds * 25) + 2, qPrintable(QString::number(replots.size())));
}

void TestTimeChart::tooltipListsEverySeries()
{
    SeriesSet set;
    fill(set, 10, {5});
    TimeChart chart;
    chart.setMode(TimeChart::Mode::StackedArea);
    chart.setIntegerValues(true);
    chart.setSeriesSet(&set);
    chart.addSeries(QStringLiteral("a"), QStringLiteral("active"), grey);
    chart.addSeries(QStringLiteral("b"), QStringLiteral("idle"), grey);
    chart.setLimitSeries(QStringLiteral("limit"), QStringLiteral("usable"), grey);

    const QString text = chart.valuesText(T0 + 3.2, 0.5);
    const QString time = QDateTime::fromSecsSinceEpoch(qint64(T0) + 3).toString(QStringLiteral("HH:mm:ss"));
    QVERIFY2(text.contains(time), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("active</td><td align=\"right\">&nbsp;&nbsp;<b>4</b>")),
             qPrintable(text));
    QVERIFY(text.contains(QStringLiteral("idle</td><td align=\"right\">&nbsp;&nbsp;<b>10</b>")));
    QVERIFY(text.contains(QStringLiteral("total</td><td align=\"right\">&nbsp;&nbsp;<b>14</b>")));
    QVERIFY(text.contains(QStringLiteral("usable</td><td align=\"right\">&nbsp;&nbsp;<b>100</b>")));
    // Top of the stack first, as drawn.
    QVERIFY(text.indexOf(QStringLiteral("idle")) < text.indexOf(QStringLiteral("active")));

    // In a gap the values are unknown, not zero.
    const QString gap = chart.valuesText(T0 + 5, 0.5);
    QVERIFY2(gap.contains(QStringLiteral("active</td><td align=\"right\">&nbsp;&nbsp;<b>—</b>")),
             qPrintable(gap));
    // Far from any sample: no tooltip.
    QVERIFY(chart.valuesText(T0 + 100, 0.5).isEmpty());
}

QTEST_MAIN(TestTimeChart)
#include "tst_timechart.moc"
