#pragma once

#include "widgets/chartmarkers.h"
#include "widgets/qcp.h"

#include <QColor>
#include <QElapsedTimer>
#include <QImage>
#include <QList>
#include <QPalette>
#include <QString>
#include <QTimer>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <vector>

namespace poolscope {
class SeriesSet;
}

namespace poolscope::widgets {

/// A live chart over a target's SeriesSet (the core history, not a Qt model): the last few minutes up to a
/// day on a wall-clock x axis, as lines or as a stacked area, with an optional dashed stepped limit line.
///
/// Resolution: each rebuild asks the series for the finest level of their history (raw samples, 10 s or
/// 1 min buckets) that holds the visible range in at most maxPointsPerGraph() points, one level for the whole
/// chart so stacked layers line up. At 1 s sampling that is raw samples up to 1 h, 10 s buckets up to 6 h and
/// 1 min buckets beyond, so a 24 h chart hands QCustomPlot ~1,500 points per graph instead of 86,400 (a full
/// day of raw points with channel fills costs ~240 ms per replot; see tests/bench).
///
/// Spikes survive the rollups, by design:
/// - Lines draw each bucket's maximum, over a faint min–max band: a single second of clients waiting stays
///   visible at 24 h as a full-height peak, and the band shows how much the value moved within the bucket.
/// - Stacked areas draw each layer's per-bucket mean (the shares of a bucket; peaks of different layers in
///   different seconds do not add up), and a thin "peak total" line on top: the per-bucket maximum of the
///   series given to setStackPeakSeries() (the recorded total), so a burst of sessions shorter than a bucket
///   still shows how high the stack went. The y range includes that peak.
/// - The limit line draws its per-bucket maximum.
/// The title names the bucket width whenever the chart is not showing raw samples.
///
/// Updates are coalesced: markDirty() only arms a single-shot timer, which copies the visible window out of
/// the history and queues one replot. While live the timer waits until the time axis has moved a pixel
/// since the last rebuild, and at least 0.5 s (at most 1 s): sampling at 10 Hz does not redraw the charts
/// ten times a second (every replot still shows every sample); browsing, it waits 40 ms. Samples that change
/// no series' newest value (flat lines, only the time axis moves) wait two seconds; one that changes a
/// value brings the replot forward again (shown within a second). A chart hidden
/// behind another tab or page of a shown window rebuilds nothing until it is shown. NaN points in the series
/// are gaps: lines and areas break there (a bucket that only saw gaps is a gap).
///
/// Dragging or wheel-zooming the time axis switches the chart to browsing (paused) and emits
/// browsingStarted(); setPaused(false) returns to the live window.
///
/// Used as a promoted widget in the page .ui files. GUI thread only.
class TimeChart : public QCustomPlot
{
    Q_OBJECT
public:
    enum class Mode
    {
        Lines,
        StackedArea, // each series is drawn on top of the previous ones, filled down to them
    };
    Q_ENUM(Mode)

    /// Series colours are resolved against the widget palette each time it changes (dark themes).
    using ColorFunction = std::function<QColor(const QPalette &)>;

    explicit TimeChart(QWidget *parent = nullptr);
    ~TimeChart() override;

    void setTitle(const QString &title);
    /// The title as drawn: with the bucket width and the browsing hint.
    QString displayedTitle() const;
    QString title() const;
    /// The y axis label, with its unit: "sessions", "transactions/s", "seconds".
    void setValueLabel(const QString &label);
    void setMode(Mode mode);
    Mode mode() const { return m_mode; }
    /// Counts (sessions, connections): integer tick steps and integer values in the tooltip.
    void setIntegerValues(bool integer);
    /// The live window's width (the page's range: 5 min … 24 h). A young target's window grows from its first
    /// sample (at least a minute) up to this width. While paused, the visible range takes this width, keeping
    /// its right edge.
    void setWindowSeconds(double seconds);
    double windowSeconds() const { return m_windowSeconds; }
    /// Stacked mode: the series whose per-bucket maximum is drawn as a thin line over the layers when they
    /// are drawn from rollups (normally the recorded total of the stacked series).
    void setStackPeakSeries(const QString &seriesName, const QString &label, ColorFunction color);

    /// Lifetime: the chart only reads the set; it must outlive the chart or be unset first.
    void setSeriesSet(const SeriesSet *set);
    /// Removes every series and the limit line.
    void clearSeries();
    /// In Lines mode a series at least 2 px wide is emphasised: drawn above the others (the queue).
    void addSeries(const QString &seriesName, const QString &label, ColorFunction color, double width = 1.6);
    /// A new legend label for a series added before (a window that changed, say); nothing when it is the
    /// same.
    void setSeriesLabel(const QString &seriesName, const QString &label);
    /// The legend label of a series; empty when there is none of that name.
    QString seriesLabel(const QString &seriesName) const;
    /// A dashed, stepped horizontal limit (usable connections, pool_size). Its current value is shown in the
    /// legend.
    void setLimitSeries(const QString &seriesName, const QString &label, ColorFunction color);
    /// A further limit line next to the first (pool_size + reserve, dotted; a timeout), drawn the same way in
    /// `style`. setLimitSeries() replaces them all.
    void addLimitSeries(const QString &seriesName, const QString &label, ColorFunction color,
                        Qt::PenStyle style = Qt::DotLine);
    int limitCount() const { return int(m_limits.size()); }
    /// true (default): the y range always includes the limit. false: only once the data reaches 40 % of it,
    /// so 6 sessions under a limit of 97 are not flattened into the bottom strip; the legend then says the
    /// limit is above the chart.
    void setLimitAlwaysInRange(bool always);
    int seriesCount() const { return int(m_series.size()); }

    /// Paused (browsing): the x range stops following new samples (they are still recorded). The user can
    /// drag and wheel-zoom horizontally in either state; doing so while live pauses the chart. Resuming snaps
    /// back to the live window.
    void setPaused(bool paused);
    /// False where there is no live to return to (a replay): the title does not offer it.
    void setLiveAvailable(bool available);
    bool isPaused() const { return m_paused; }
    /// Shows the given x range (seconds since the epoch); only honoured while paused (keeps a page's charts
    /// in step when the user drags one of them).
    void setVisibleRange(double lower, double upper);

    /// The chart over [lower, upper] drawn at `size` (times `scale` pixels) as a still picture, for reports:
    /// paused there for good, its title without the browsing hint. Only for a chart that is not shown (a
    /// report's page is never shown): it takes `size` as its own.
    QImage renderStill(double lower, double upper, const QSize &size, double scale = 1);
    /// Whether a series (the limits aside) has a value in the visible range; a chart of series that were
    /// never recorded (no pooler traffic) has none.
    bool hasVisibleData() const;

    /// New data is in the series set: rebuild and replot, within 40 ms when paused; live, when the axis has
    /// moved a pixel (0.5-1 s; 2 s when the newest values did not change).
    void markDirty();
    /// A page has handled a whole sample (its series, labels and lines all set): a live replot due within
    /// 100 ms is made now, in the sample's wake-up, rather than on a timer's wake-up of its own. Not from the
    /// middle of a change (markDirty() there): a replot between clearSeries() and addSeries() would draw
    /// none of them.
    void replotIfDue();
    /// Rebuilds and replots synchronously (tests, screenshots).
    void refreshNow();

    /// Resolution of the drawn data: 0 for raw samples, else seconds per bucket.
    double resolution() const { return m_resolution; }
    /// Upper bound on the points handed to QCustomPlot per graph: about four per pixel of width, at least
    /// 1,000 and at most 4,000 (an hour of 1 s samples fits).
    int maxPointsPerGraph() const;

    /// Highest visible value: the top of the stack (StackedArea) or the highest line, the limit excluded.
    double visibleTop() const { return m_visibleTop; }
    /// Text of the tooltip shown for x position `key` (seconds since the epoch); empty when no sample is
    /// near.
    QString valuesText(double key, double maxDistance) const;

    /// Marks on the time axis: simulated load runs (shaded spans) and findings (a line where each started,
    /// a dashed one where it ended, in its severity's colour). Labels never cover one another: findings'
    /// take rows from the top of the plot, load runs' from the bottom (ChartMarkers).
    using Marker = ChartMarker;
    void setMarkers(const QList<Marker> &markers);
    const QList<Marker> &markers() const { return m_markers->markers(); }
    /// Where the marker labels were drawn at the last rebuild (tests).
    QList<QRectF> markerLabelRects() const { return m_markers->labelRects(); }

    /// Narrowest and widest visible range the user can zoom to.
    static constexpr double MinVisibleSeconds = 10;
    static constexpr double MaxVisibleSeconds = 2 * 86400;

Q_SIGNALS:
    /// The user dragged or zoomed the x axis (the chart is paused by then).
    void visibleRangeChanged(double lower, double upper);
    /// The user dragged or zoomed while the chart was live: it is now paused.
    void browsingStarted();

protected:
    void changeEvent(QEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void leaveEvent(QEvent *event) override;
    void showEvent(QShowEvent *event) override;

private:
    void replotLive();
    struct Series
    {
        QString name;
        QString label;
        ColorFunction color;
        double width = 1.6;
        QCPGraph *graph = nullptr;
        QCPGraph *band = nullptr;           // lower edge of the min–max band (Lines mode, rollups only)
        Qt::PenStyle style = Qt::SolidLine; // limit lines only
    };

    void rebuild();
    /// How long markDirty() waits: see the class comment.
    int replotDelayMs() const;
    /// The newest value of each series drawn, NaN for none.
    std::vector<double> newestValues() const;
    /// A sample came in that changes some series' newest value since the last rebuild (not only the time).
    bool newestValuesChanged() const;
    void setLevel(int level, double resolution);
    void removeEnvelopeGraphs();
    void updateTimeFormat(double visibleSeconds);
    void applySeriesStyles();
    void updateColors();
    void updateLegendLayout();
    void updateTitle();
    void onMouseMove(QMouseEvent *event);
    void onRangeChanged(const QCPRange &range);
    QCPRange liveRange() const;
    /// "10 s", "1 min": a rollup's bucket width.
    static QString resolutionText(double seconds);

    const SeriesSet *m_set = nullptr;
    std::vector<Series> m_series;
    std::vector<Series> m_limits; // dashed, stepped; drawn above the data, listed last
    std::optional<Series> m_peak; // graph only while drawing rollups
    int m_level = 0;              // history level drawn: 0 raw, 1.. rollups
    double m_resolution = 0;
    Mode m_mode = Mode::Lines;
    bool m_integer = false;
    bool m_paused = false;
    bool m_still = false; // renderStill(): no browsing hint
    bool m_liveAvailable = true;
    bool m_limitAlwaysInRange = true;
    bool m_settingRange = false; // our own setRange calls, as opposed to the user's drag/zoom
    double m_windowSeconds = 300;
    double m_visibleTop = 0;
    QString m_title;
    QString m_timeFormat;
    QCPTextElement *m_titleElement = nullptr;
    QTimer m_replotTimer;
    QElapsedTimer m_sinceRebuild;
    bool m_hiddenDirty = false;        // marked dirty while hidden: rebuilt when shown
    std::vector<double> m_drawnNewest; // newestValues() at the last rebuild
    bool m_armedFlat = false;          // the replot timer waits for a sample that only scrolls the chart
    bool m_stale = true;               // graphs or the series set changed since the last rebuild
    std::unique_ptr<ChartMarkers> m_markers;
};

} // namespace poolscope::widgets
