#include "monitorpage.h"

#include "widgets/timechart.h"

#include <QAbstractButton>
#include <QButtonGroup>
#include <QShortcut>

namespace poolscope::widgets {

MonitorPage::MonitorPage(const SeriesSet *set, QWidget *parent) : QWidget(parent), m_set(set) {}

const QList<double> &MonitorPage::timeRanges()
{
    static const QList<double> ranges = {5 * 60, 3600, 6 * 3600, 24 * 3600};
    return ranges;
}

void MonitorPage::setPaused(bool paused)
{
    m_paused = paused;
    for (TimeChart *chart : charts())
        chart->setPaused(paused);
    if (m_liveButton)
        m_liveButton->setVisible(paused && m_liveAvailable);
}

void MonitorPage::setLiveAvailable(bool available)
{
    m_liveAvailable = available;
    for (TimeChart *chart : charts())
        chart->setLiveAvailable(available);
    if (m_liveButton)
        m_liveButton->setVisible(m_paused && m_liveAvailable);
}

void MonitorPage::showRange(double lower, double upper)
{
    setPaused(true);
    for (TimeChart *chart : charts())
        chart->setVisibleRange(lower, upper);
    onRangeShown();
}

void MonitorPage::setTimeRange(double seconds)
{
    m_timeRange = seconds;
    for (TimeChart *chart : charts())
        chart->setWindowSeconds(seconds);
    if (m_rangeGroup) {
        const int index = int(timeRanges().indexOf(seconds));
        if (QAbstractButton *button = m_rangeGroup->button(index))
            button->setChecked(true);
    }
}

void MonitorPage::linkCharts()
{
    const QList<TimeChart *> all = charts();
    for (TimeChart *chart : all)
        chart->setWindowSeconds(m_timeRange);
    for (TimeChart *source : all) {
        connect(source, &TimeChart::visibleRangeChanged, this, [all, source](double lower, double upper) {
            for (TimeChart *other : all) {
                if (other != source)
                    other->setVisibleRange(lower, upper);
            }
        });
        // The chart paused itself; the rest of the page (and, through the signal, the window) follows.
        connect(source, &TimeChart::browsingStarted, this, [this] {
            setPaused(true);
            Q_EMIT browsingStarted();
        });
    }
}

void MonitorPage::setupTimeControls(const QList<QAbstractButton *> &rangeButtons, QAbstractButton *liveButton)
{
    m_rangeGroup = new QButtonGroup(this);
    m_rangeGroup->setExclusive(true);
    const QList<double> &ranges = timeRanges();
    for (int i = 0; i < rangeButtons.size() && i < ranges.size(); ++i) {
        rangeButtons[i]->setCheckable(true);
        m_rangeGroup->addButton(rangeButtons[i], i);
        // Keys 1–4: plain digits, clear of Ctrl+1…9 (targets) and Space (pause). A shortcut on a hidden page
        // does not fire, so only the page on screen answers.
        auto *shortcut = new QShortcut(QKeySequence(Qt::Key(Qt::Key_1 + i)), this);
        shortcut->setContext(Qt::WindowShortcut);
        const double seconds = ranges[i];
        connect(shortcut, &QShortcut::activated, this, [this, seconds] { setTimeRange(seconds); });
    }
    connect(m_rangeGroup, &QButtonGroup::idClicked, this, [this](int id) {
        if (id >= 0 && id < timeRanges().size())
            setTimeRange(timeRanges()[id]);
    });
    m_liveButton = liveButton;
    if (m_liveButton) {
        m_liveButton->setVisible(m_paused && m_liveAvailable);
        connect(m_liveButton, &QAbstractButton::clicked, this, [this] {
            setPaused(false);
            Q_EMIT liveRequested();
        });
    }
    setTimeRange(m_timeRange);
}

void MonitorPage::markChartsDirty()
{
    for (TimeChart *chart : charts())
        chart->markDirty();
}

void MonitorPage::replotDueCharts()
{
    for (TimeChart *chart : charts())
        chart->replotIfDue();
}

} // namespace poolscope::widgets
