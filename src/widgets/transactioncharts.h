#pragma once

#include "core/sessionsglance.h"
#include "core/targetsnapshot.h"
#include "widgets/qcp.h"

#include <QElapsedTimer>
#include <QList>
#include <QStringList>
#include <QTimer>
#include <QWidget>
#include <array>
#include <optional>

namespace poolscope::widgets {

/// Transaction-state views of one PostgreSQL target, side by side:
/// - how long the sessions idle in transaction have been so (time in state, since state_change: what
///   idle_in_transaction_session_timeout and the bulk terminate predicate measure), as a histogram over fixed
///   buckets, aborted transactions stacked on top;
/// - the oldest open transaction (seconds, left axis) and the xmin horizon age of the session holding it back
///   furthest (xids, right axis) over the last minutes. The widget keeps this small history itself
///   (MaxHistory samples), since the recorder's series do not include these two values;
/// - per application (the TopApplications with the most sessions) a horizontal bar of its sessions stacked by
///   state: a leaking application shows as one growing idle-in-transaction bar.
/// updateSample() stores the values and marks the charts whose picture changed: the histogram and the bars
/// only when their counts did, the ages at every sample. A chart is replotted at most every 250 ms (the bars)
/// or every second (the ages, about a pixel of its ten minutes), in the wake-up of the sample that finds it
/// due (up to 100 ms early) or else on a timer: at 10 Hz an idle server's Sessions tab replots one chart a
/// second, not three charts ten times. A resize, a palette or font change, clear() and being shown replot
/// every chart within 40 ms. Hidden behind the Charts tab of a shown window, it keeps the history and
/// rebuilds when shown. GUI thread only.
class TransactionCharts : public QWidget
{
    Q_OBJECT
public:
    static constexpr int BucketCount = 7;
    static constexpr int TopApplications = 10;
    static constexpr int MaxHistory = 3600;
    static constexpr double WindowSeconds = 600;

    /// "<1 s", "1–5 s", "5–30 s", "30–60 s", "1–5 min", "5–30 min", "≥30 min".
    static QStringList bucketLabels();
    /// The same for narrow charts: "<1s", "1–5s", ..., "5–30m", "≥30m".
    static QStringList compactBucketLabels();
    /// The bucket of an age in seconds (upper bounds are exclusive: 5 s falls in "5–30 s").
    static int bucketOf(double seconds);

    struct Histogram
    {
        std::array<int, BucketCount> idle{};    // idle in transaction
        std::array<int, BucketCount> aborted{}; // idle in transaction (aborted)
        int total() const;
        bool operator==(const Histogram &) const = default;
    };
    static Histogram histogram(const PostgresSample &sample);

    struct ApplicationStates
    {
        QString name; // application_name; empty when the session set none
        StateCounts counts;
        bool operator==(const ApplicationStates &) const = default;
    };
    /// The applications with the most sessions, most first (ties by name), at most TopApplications.
    static QList<ApplicationStates> topApplications(const PostgresSample &sample);

    struct AgePoint
    {
        double t = 0;          // client wall clock, seconds since the epoch (as the recorder's series)
        double xactAge = 0;    // seconds; 0 when no transaction is open; NaN for a failed sample (a gap)
        double horizonAge = 0; // xids; 0 when no session holds the horizon; NaN for a gap
    };

    explicit TransactionCharts(QWidget *parent = nullptr);
    ~TransactionCharts() override;

    void updateSample(const TargetSnapshot &snapshot);
    /// Back to no data (the target changed).
    void clear();
    /// Rebuilds and replots synchronously (tests, screenshots).
    void refreshNow();

    const Histogram &currentHistogram() const { return m_histogram; }
    const QList<ApplicationStates> &applications() const { return m_applications; }
    const QList<AgePoint> &history() const { return m_history; }

    QCustomPlot *histogramPlot() const { return m_histogramPlot; }
    QCustomPlot *applicationsPlot() const { return m_appsPlot; }
    QCustomPlot *agesPlot() const { return m_agesPlot; }
    /// Rebuilds (of one chart or more) done so far (the coalescing tests count them).
    int rebuildCount() const { return m_rebuilds; }

protected:
    void changeEvent(QEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void showEvent(QShowEvent *event) override;

private:
    enum Chart
    {
        HistogramChart = 1,
        ApplicationsChart = 2,
        AgesChart = 4,
        AllCharts = 7
    };
    /// `charts` changed; `soon`: replot within 40 ms (not a sample: a resize, colours, shown, cleared).
    void markDirty(int charts, bool soon);
    /// Replots the dirty charts that are due (within 100 ms; a `soon` one when the timer fired), and arms the
    /// timer for the others.
    void replotDue(bool timerFired = false);
    void rebuild(int charts);
    /// Each chart: its flag, its plot, how it is rebuilt, and how often a sample may replot it (m_drawn's
    /// order).
    struct Part
    {
        int chart;
        QCustomPlot *plot;
        void (TransactionCharts::*rebuild)();
        int gapMs;
    };
    std::array<Part, 3> parts();
    void rebuildHistogram();
    void rebuildApplications();
    void rebuildAges();
    void updateColors();
    QString applicationLabel(const QString &name) const;

    QCustomPlot *m_histogramPlot = nullptr;
    QCustomPlot *m_appsPlot = nullptr;
    QCustomPlot *m_agesPlot = nullptr;
    QCPBars *m_idleBars = nullptr;
    QCPBars *m_abortedBars = nullptr;
    std::array<QCPItemText *, BucketCount> m_bucketTotals{};
    QCPItemText *m_histogramEmpty = nullptr;
    std::array<QCPBars *, SessionStateCount> m_stateBars{};
    QCPItemText *m_appsEmpty = nullptr;
    QCPTextElement *m_appsTitle = nullptr;
    int m_appsFit = TopApplications; // the bars whose labels fit the chart's height
    QCPGraph *m_xactGraph = nullptr;
    QCPGraph *m_horizonGraph = nullptr;
    QCPItemText *m_agesEmpty = nullptr;

    Histogram m_histogram;
    QList<ApplicationStates> m_applications;
    QList<AgePoint> m_history;
    SessionsGlance m_glance; // the ages' figures, once per sessions list
    QTimer m_replotTimer;
    int m_dirty = 0;                      // Chart flags
    int m_soon = 0;                       // dirty charts that replot within 40 ms whatever their last replot
    std::array<QElapsedTimer, 3> m_drawn; // since each chart's last replot
    int m_rebuilds = 0;
    bool m_hiddenDirty = false;
    // The last sample while hidden: histogram and applications are computed from it when shown.
    std::optional<PostgresSample> m_pendingSample;
};

} // namespace poolscope::widgets
