#pragma once

#include "widgets/qcp.h"

#include <QColor>
#include <QPalette>
#include <QString>
#include <QTimer>
#include <functional>
#include <optional>
#include <vector>

namespace poolscope {
class SeriesSet;
}

namespace poolscope::widgets {

/// A live chart over a target's SeriesSet (the core ring buffers, not a Qt model): the last few minutes on a
/// wall-clock x axis, as lines or as a stacked area, with an optional dashed stepped limit line.
///
/// Updates are coalesced: markDirty() only arms a 40 ms single-shot timer, which copies the visible window
/// out of the ring buffers and queues one replot, so a chart never replots more than 25 times a second
/// however many samples arrive. NaN points in the series are gaps: lines and areas break there.
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
    QString title() const;
    /// The y axis label, with its unit: "sessions", "transactions/s", "seconds".
    void setValueLabel(const QString &label);
    void setMode(Mode mode);
    Mode mode() const { return m_mode; }
    /// Counts (sessions, connections): integer tick steps and integer values in the tooltip.
    void setIntegerValues(bool integer);
    void setWindowSeconds(double seconds);
    double windowSeconds() const { return m_windowSeconds; }

    /// Lifetime: the chart only reads the set; it must outlive the chart or be unset first.
    void setSeriesSet(const SeriesSet *set);
    /// Removes every series and the limit line.
    void clearSeries();
    /// In Lines mode a series at least 2 px wide is emphasised: drawn above the others (the queue).
    void addSeries(const QString &seriesName, const QString &label, ColorFunction color, double width = 1.6);
    /// A dashed, stepped horizontal limit (usable connections, pool_size). Its current value is shown in the
    /// legend.
    void setLimitSeries(const QString &seriesName, const QString &label, ColorFunction color);
    /// true (default): the y range always includes the limit. false: only once the data reaches 40 % of it,
    /// so 6 sessions under a limit of 97 are not flattened into the bottom strip; the legend then says the
    /// limit is above the chart.
    void setLimitAlwaysInRange(bool always);
    int seriesCount() const { return int(m_series.size()); }

    /// Paused: the x range stops following new samples (they are still recorded) and the user can drag
    /// and wheel-zoom horizontally. Resuming snaps back to the live window.
    void setPaused(bool paused);
    bool isPaused() const { return m_paused; }
    /// Shows the given x range (seconds since the epoch); only honoured while paused (keeps a page's charts
    /// in step when the user drags one of them).
    void setVisibleRange(double lower, double upper);

    /// New data is in the series set: rebuild and replot within 40 ms.
    void markDirty();
    /// Rebuilds and replots synchronously (tests, screenshots).
    void refreshNow();

    /// Highest visible value: the top of the stack (StackedArea) or the highest line, the limit excluded.
    double visibleTop() const { return m_visibleTop; }
    /// Text of the tooltip shown for x position `key` (seconds since the epoch); empty when no sample is
    /// near.
    QString valuesText(double key, double maxDistance) const;

Q_SIGNALS:
    /// The user dragged or zoomed the x axis while paused.
    void visibleRangeChanged(double lower, double upper);

protected:
    void changeEvent(QEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void leaveEvent(QEvent *event) override;

private:
    struct Series
    {
        QString name;
        QString label;
        ColorFunction color;
        double width = 1.6;
        QCPGraph *graph = nullptr;
    };

    void rebuild();
    void applySeriesStyles();
    void updateColors();
    void updateLegendLayout();
    void updateTitle();
    void onMouseMove(QMouseEvent *event);
    void onRangeChanged(const QCPRange &range);
    QCPRange liveRange() const;

    const SeriesSet *m_set = nullptr;
    std::vector<Series> m_series;
    std::optional<Series> m_limit;
    Mode m_mode = Mode::Lines;
    bool m_integer = false;
    bool m_paused = false;
    bool m_limitAlwaysInRange = true;
    bool m_settingRange = false; // our own setRange calls, as opposed to the user's drag/zoom
    double m_windowSeconds = 300;
    double m_visibleTop = 0;
    QString m_title;
    QCPTextElement *m_titleElement = nullptr;
    QTimer m_replotTimer;
};

} // namespace poolscope::widgets
