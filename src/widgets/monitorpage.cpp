#include "monitorpage.h"

#include "widgets/timechart.h"

namespace poolscope::widgets {

MonitorPage::MonitorPage(const SeriesSet *set, QWidget *parent) : QWidget(parent), m_set(set) {}

void MonitorPage::setPaused(bool paused)
{
    m_paused = paused;
    for (TimeChart *chart : charts())
        chart->setPaused(paused);
}

void MonitorPage::linkCharts()
{
    const QList<TimeChart *> all = charts();
    for (TimeChart *source : all) {
        connect(source, &TimeChart::visibleRangeChanged, this, [all, source](double lower, double upper) {
            for (TimeChart *other : all) {
                if (other != source)
                    other->setVisibleRange(lower, upper);
            }
        });
    }
}

void MonitorPage::markChartsDirty()
{
    for (TimeChart *chart : charts())
        chart->markDirty();
}

} // namespace poolscope::widgets
