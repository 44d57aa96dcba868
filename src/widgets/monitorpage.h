#pragma once

#include "core/targetsnapshot.h"

#include <QList>
#include <QWidget>

class QAbstractButton;
class QButtonGroup;

namespace poolscope {
class SeriesSet;
}

namespace poolscope::widgets {

class TimeChart;

/// What a target's page shows once its kind is known (PostgresPage, BouncerPage). The charts read the
/// target's SeriesSet, which the owner records into before calling showSnapshot(). GUI thread only.
///
/// Time range: 5 min, 1 h, 6 h or 24 h (buttons in the page header, keys 1–4 while the page is shown). Live,
/// the charts follow the newest sample over that range; dragging or wheel-zooming a chart starts browsing:
/// the page pauses (browsingStarted(), which the main window turns into its global pause) and a "Back to
/// live" button appears (liveRequested()). The charts of a page keep the same x range while browsing.
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
    /// False where there is no live to return to (a replay): no "Back to live", and the charts' titles do
    /// not offer it.
    virtual void setLiveAvailable(bool available);
    /// Pauses the page on [lower, upper] (seconds since the epoch) on every chart, as a replay or a report
    /// shows a moment; what depends on the visible range follows (the groups chart's top groups).
    void showRange(double lower, double upper);

    /// The ranges offered, in seconds: 5 min, 1 h, 6 h, 24 h.
    static const QList<double> &timeRanges();
    /// Live: the charts' window. Browsing: the visible width, keeping the right edge.
    void setTimeRange(double seconds);
    double timeRange() const { return m_timeRange; }

Q_SIGNALS:
    /// The user dragged or zoomed a chart while live; the page is paused now.
    void browsingStarted();
    /// The user asked to return to the live view ("Back to live").
    void liveRequested();

protected:
    /// Keeps the charts' x ranges together while the user drags or zooms one of them, and turns a drag or
    /// zoom while live into browsing. Call once the charts exist.
    void linkCharts();
    /// Wires the header's range buttons (in timeRanges() order) and the "Back to live" button, and keys 1–4.
    void setupTimeControls(const QList<QAbstractButton *> &rangeButtons, QAbstractButton *liveButton);
    void markChartsDirty();
    /// At the end of a sample's handling: the charts whose replot is due draw now (TimeChart::replotIfDue).
    void replotDueCharts();
    /// Sets `widget`'s tooltip when it differs (setToolTip sends an event every time): header labels are
    /// set at every sample.
    static void setTip(QWidget *widget, const QString &tip)
    {
        if (widget->toolTip() != tip)
            widget->setToolTip(tip);
    }
    const SeriesSet *seriesSet() const { return m_set; }
    /// showRange() set the charts' range.
    virtual void onRangeShown() {}

private:
    const SeriesSet *m_set;
    bool m_paused = false;
    bool m_liveAvailable = true;
    double m_timeRange = 300;
    QButtonGroup *m_rangeGroup = nullptr;
    QAbstractButton *m_liveButton = nullptr;
};

} // namespace poolscope::widgets
