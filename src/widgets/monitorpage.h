#pragma once

#include "core/snapshot.h"

#include <QList>
#include <QWidget>

namespace poolscope {
class SeriesSet;
}

namespace poolscope::widgets {

class TimeChart;

/// What a target's page shows once its kind is known (PostgresPage, BouncerPage). The charts read the
/// target's SeriesSet, which the owner records into before calling showSnapshot(). GUI thread only.
class MonitorPage : public QWidget
{
    Q_OBJECT
public:
    /// Lifetime: `set` must outlive the page.
    explicit MonitorPage(const SeriesSet *set, QWidget *parent = nullptr);

    /// The snapshot was just recorded into the series set (failed ones included: the charts show the gap).
    virtual void showSnapshot(const TargetSnapshot &snapshot) = 0;
    virtual QList<TimeChart *> charts() const = 0;

    void setPaused(bool paused);
    bool isPaused() const { return m_paused; }

protected:
    /// Keeps the charts' x ranges together while the user drags or zooms one of them (paused only).
    void linkCharts();
    void markChartsDirty();
    const SeriesSet *seriesSet() const { return m_set; }

private:
    const SeriesSet *m_set;
    bool m_paused = false;
};

} // namespace poolscope::widgets
