#include "timechart.h"

#include "core/timeseries.h"
#include "widgets/chartexport.h"
#include "widgets/chartparts.h"

#include <QDateTime>
#include <QEvent>
#include <QFontMetrics>
#include <algorithm>
#include <cmath>
#include <limits>

namespace poolscope::widgets {

namespace {

constexpr int ReplotDelayMs = 40;    // at most 25 replots per second
constexpr int MinLiveDelayMs = 500;  // live, at most two replots a second: each shows every sample
constexpr int MaxLiveDelayMs = 1000; // a live chart shows a new value within a second, whatever its range
// A live chart whose newest values did not change only scrolls (by a pixel or a few): every two seconds.
constexpr int MaxFlatDelayMs = 2000;
// A live replot due this soon is drawn with the sample that finds it due (at 10 Hz sampling, the one before
// its timer) instead of on a wake-up of the GUI thread of its own: at most this much early.
constexpr int DueWithSampleMs = 100;
constexpr double Nan = std::numeric_limits<double>::quiet_NaN();
constexpr double NearLimitFraction = 0.4;
constexpr double EmphasisWidth = 2.0;
constexpr int BandAlpha = 50;
constexpr int PointsPerPixel = 4;
constexpr int MinPointsPerGraph = 1000;
constexpr int MaxPointsPerGraph = 4000;

// Rounds an axis top up to 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten, so the range changes in
// visible steps rather than creeping with every sample.
double niceCeil(double v)
{
    if (!(v > 0))
        return 1;
    const double magnitude = std::pow(10.0, std::floor(std::log10(v)));
    for (double m : {1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0}) {
        if (m * magnitude >= v * (1 - 1e-9))
            return m * magnitude;
    }
    return 10 * magnitude;
}

double visibleMax(const QVector<double> &keys, const QVector<double> &values, const QCPRange &range,
                  double initial)
{
    double top = initial;
    for (qsizetype i = 0; i < keys.size(); ++i) {
        if (keys[i] >= range.lower && keys[i] <= range.upper && !std::isnan(values[i]))
            top = std::max(top, values[i]);
    }
    return top;
}

// Value of `points` at `key` (within `tolerance`), NaN when it has none: stacked layers whose keys differ
// from the base layer's (a series that started later, or a missing sample).
double meanAt(const HistoryPoints &points, double key, double tolerance)
{
    const auto it = std::lower_bound(points.keys.cbegin(), points.keys.cend(), key - tolerance);
    if (it == points.keys.cend() || *it > key + tolerance)
        return Nan;
    return points.mean[it - points.keys.cbegin()];
}

} // namespace

TimeChart::TimeChart(QWidget *parent) : QCustomPlot(parent), m_markers(std::make_unique<ChartMarkers>(this))
{
    setMinimumHeight(160);
    setNoAntialiasingOnDrag(true);
    installChartExport(this); // context menu: save as PNG or PDF, copy
    setMouseTracking(true);

    // Title and legend get rows of their own above the axis rect, so the legend never covers data.
    plotLayout()->insertRow(0);
    m_titleElement = new QCPTextElement(this, QString());
    QFont titleFont = font();
    titleFont.setBold(true);
    m_titleElement->setFont(titleFont);
    m_titleElement->setMargins(QMargins(6, 4, 6, 0));
    plotLayout()->addElement(0, 0, m_titleElement);

    // The legend sits compact at the left of its row; an empty element takes the rest of the width.
    plotLayout()->insertRow(1);
    auto *legendRow = new QCPLayoutGrid;
    plotLayout()->addElement(1, 0, legendRow);
    axisRect()->insetLayout()->take(legend);
    axisRect()->insetLayout()->simplify();
    legendRow->addElement(0, 0, legend);
    legendRow->addElement(0, 1, new QCPLayoutElement(this));
    legendRow->setColumnStretchFactor(0, 0.001);
    legendRow->setColumnStretchFactor(1, 1);
    legend->setVisible(true);
    legend->setBorderPen(Qt::NoPen);
    legend->setBrush(Qt::NoBrush);
    legend->setIconSize(22, 14);
    legend->setColumnSpacing(14);
    legend->setRowSpacing(0);
    legend->setMargins(QMargins(10, 0, 10, 2));
    legend->setFont(font());
    legend->setSelectableParts(QCPLegend::spNone);
    plotLayout()->setRowStretchFactor(0, 0.001);
    plotLayout()->setRowStretchFactor(1, 0.001);
    plotLayout()->setRowSpacing(0);

    // One paint buffer for every layer: the overlay layer (buffered by default, for selection rectangles,
    // which these charts do not use) would add a full-size buffer to clear and blend at every replot.
    if (QCPLayer *overlay = layer(QStringLiteral("overlay")))
        overlay->setMode(QCPLayer::lmLogical);
    // A replot repaints at the next paint of the window (one pass for every chart that changed) rather than
    // at once, chart by chart; the chart paints every pixel of its rectangle, so nothing under it is painted.
    setPlottingHint(QCP::phImmediateRefresh, false);
    setAttribute(Qt::WA_OpaquePaintEvent);
    // Emphasised lines (the queue) are drawn above the others, whatever their order in the legend.
    addLayer(QStringLiteral("emphasis"), layer(QStringLiteral("main")), QCustomPlot::limAbove);
    // Min–max bands of the rollups go under every line.
    addLayer(QStringLiteral("bands"), layer(QStringLiteral("main")), QCustomPlot::limBelow);

    auto timeTicker = QSharedPointer<QCPAxisTickerDateTime>::create();
    m_timeFormat = QStringLiteral("HH:mm:ss");
    timeTicker->setDateTimeFormat(m_timeFormat);
    timeTicker->setDateTimeSpec(Qt::LocalTime);
    timeTicker->setTickCount(6);
    xAxis->setTicker(timeTicker);
    yAxis->setRange(0, 1);
    // The axes stand a few pixels off the plot area, so a series sitting at zero (no clients waiting) stays
    // visible instead of hiding under the axis line.
    xAxis->setOffset(4);
    yAxis->setOffset(4);
    axisRect()->setRangeDrag(Qt::Horizontal);
    axisRect()->setRangeZoom(Qt::Horizontal);
    // Live or not, dragging and zooming look back in time; the first such move pauses the chart.
    setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);

    m_replotTimer.setSingleShot(true);
    m_replotTimer.setInterval(ReplotDelayMs);
    connect(&m_replotTimer, &QTimer::timeout, this, &TimeChart::replotLive);
    // Whatever asks for a replot (a new title, a resize), graphs added since the last rebuild get their data
    // first: a chart whose series were just replaced is never drawn empty until its timer fires.
    connect(this, &QCustomPlot::beforeReplot, this, [this] {
        if (m_stale)
            rebuild();
    });
    connect(this, &QCustomPlot::mouseMove, this, &TimeChart::onMouseMove);
    connect(xAxis, qOverload<const QCPRange &>(&QCPAxis::rangeChanged), this, &TimeChart::onRangeChanged);

    updateColors();
    updateTitle();
    rebuild();
}

TimeChart::~TimeChart() = default;

void TimeChart::setTitle(const QString &title)
{
    m_title = title;
    updateTitle();
}

QString TimeChart::title() const
{
    return m_title;
}

QString TimeChart::displayedTitle() const
{
    return m_titleElement->text();
}

void TimeChart::setValueLabel(const QString &label)
{
    yAxis->setLabel(label);
}

void TimeChart::setMode(Mode mode)
{
    if (mode == m_mode)
        return;
    m_mode = mode;
    removeEnvelopeGraphs();
    applySeriesStyles();
    markDirty();
}

void TimeChart::setIntegerValues(bool integer)
{
    m_integer = integer;
    if (integer)
        yAxis->setTicker(QSharedPointer<IntegerTicker>::create());
    else
        yAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
    markDirty();
}

void TimeChart::setWindowSeconds(double seconds)
{
    m_windowSeconds = std::clamp(seconds, MinVisibleSeconds, MaxVisibleSeconds);
    if (m_paused) {
        double upper = xAxis->range().upper;
        if (m_set && m_set->lastTime() > 0)
            upper = std::min(upper, m_set->lastTime());
        m_settingRange = true;
        xAxis->setRange(upper - m_windowSeconds, upper);
        m_settingRange = false;
    }
    markDirty();
}

void TimeChart::setStackPeakSeries(const QString &seriesName, const QString &label, ColorFunction color)
{
    removeEnvelopeGraphs();
    m_peak = Series{seriesName, label, std::move(color), 1.2, nullptr, nullptr};
    markDirty();
}

void TimeChart::setSeriesSet(const SeriesSet *set)
{
    m_set = set;
    m_stale = true;
    markDirty();
}

void TimeChart::clearSeries()
{
    removeEnvelopeGraphs();
    clearGraphs();
    m_series.clear();
    m_limits.clear();
    m_peak.reset();
    updateLegendLayout();
    markDirty();
}

void TimeChart::addSeries(const QString &seriesName, const QString &label, ColorFunction color, double width)
{
    removeEnvelopeGraphs();
    // The limit lines stay last, drawn above the data and listed last in the legend.
    for (Series &l : m_limits) {
        removeGraph(l.graph);
        l.graph = nullptr;
    }
    Series s{seriesName, label, std::move(color), width, addGraph(), nullptr};
    s.graph->setName(label);
    m_series.push_back(std::move(s));
    for (Series &l : m_limits) {
        l.graph = addGraph();
        l.graph->setName(l.label);
    }
    applySeriesStyles();
    updateLegendLayout();
    markDirty();
}

void TimeChart::setSeriesLabel(const QString &seriesName, const QString &label)
{
    for (Series &s : m_series) {
        if (s.name != seriesName || s.label == label)
            continue;
        s.label = label;
        s.graph->setName(label);
        updateLegendLayout();
        markDirty();
    }
}

QString TimeChart::seriesLabel(const QString &seriesName) const
{
    for (const Series &s : m_series) {
        if (s.name == seriesName)
            return s.label;
    }
    return {};
}

void TimeChart::setLimitSeries(const QString &seriesName, const QString &label, ColorFunction color)
{
    for (Series &l : m_limits)
        removeGraph(l.graph);
    m_limits.clear();
    addLimitSeries(seriesName, label, std::move(color), Qt::DashLine);
}

void TimeChart::addLimitSeries(const QString &seriesName, const QString &label, ColorFunction color,
                               Qt::PenStyle style)
{
    removeEnvelopeGraphs();
    m_limits.push_back(Series{seriesName, label, std::move(color), 1.5, addGraph(), nullptr, style});
    m_limits.back().graph->setName(label);
    applySeriesStyles();
    updateLegendLayout();
    markDirty();
}

void TimeChart::setLimitAlwaysInRange(bool always)
{
    m_limitAlwaysInRange = always;
    markDirty();
}

void TimeChart::setPaused(bool paused)
{
    if (paused == m_paused)
        return;
    m_paused = paused;
    updateTitle();
    markDirty();
}

void TimeChart::setLiveAvailable(bool available)
{
    if (std::exchange(m_liveAvailable, available) != available)
        updateTitle();
}

void TimeChart::setVisibleRange(double lower, double upper)
{
    if (!m_paused)
        return;
    m_settingRange = true;
    xAxis->setRange(lower, upper);
    m_settingRange = false;
    markDirty();
}

void TimeChart::markDirty()
{
    // Behind another tab or page of a shown window there is nothing to draw: catch up when shown.
    if (!isVisible() && window()->isVisible()) {
        m_hiddenDirty = true;
        return;
    }
    if (!m_replotTimer.isActive()) {
        m_armedFlat = !m_paused && m_sinceRebuild.isValid() && !newestValuesChanged();
        m_replotTimer.start(replotDelayMs());
    } else if (m_armedFlat && newestValuesChanged()) {
        m_armedFlat = false; // something moved: show it as soon as a flat chart would have
        const int wanted = replotDelayMs();
        if (wanted < m_replotTimer.remainingTime())
            m_replotTimer.start(wanted);
    }
}

void TimeChart::replotIfDue()
{
    if (m_replotTimer.isActive() && !m_paused && m_sinceRebuild.isValid() &&
        m_replotTimer.remainingTime() <= DueWithSampleMs)
        replotLive();
}

void TimeChart::replotLive()
{
    m_replotTimer.stop();
    m_sinceRebuild.start();
    rebuild();
    // Drawn now (the timer or the sample already coalesced the changes), shown at the window's next paint; a
    // queued replot would cost one more pass of the event loop.
    replot(QCustomPlot::rpRefreshHint);
}

std::vector<double> TimeChart::newestValues() const
{
    std::vector<double> values;
    if (!m_set)
        return values;
    values.reserve(m_series.size() + m_limits.size());
    for (const auto *list : {&m_series, &m_limits}) {
        for (const Series &s : *list) {
            const TimeSeries *ts = m_set->find(s.name);
            const std::optional<double> v = ts ? ts->lastValue() : std::nullopt;
            values.push_back(v ? *v : std::numeric_limits<double>::quiet_NaN());
        }
    }
    return values;
}

bool TimeChart::newestValuesChanged() const
{
    const std::vector<double> now = newestValues();
    if (now.size() != m_drawnNewest.size())
        return true;
    const bool stacked = m_mode == Mode::StackedArea;
    double stackNow = 0, stackDrawn = 0;
    for (size_t i = 0; i < now.size(); ++i) {
        double a = now[i], b = m_drawnNewest[i];
        const bool limit = i >= m_series.size();
        if (stacked && !limit) { // drawn at the top of the layers below
            a = stackNow += a;
            b = stackDrawn += b;
        }
        if (std::isnan(a) || std::isnan(b)) {
            if (std::isnan(a) != std::isnan(b))
                return true;
            continue;
        }
        if (a == b)
            continue;
        // A limit's legend shows its value; a series' newest point moved by less than half a pixel is a
        // change nobody can see (a rate's last digits).
        if (limit || std::abs(yAxis->coordToPixel(a) - yAxis->coordToPixel(b)) >= 0.5)
            return true;
    }
    return false;
}

int TimeChart::replotDelayMs() const
{
    if (m_paused || !m_sinceRebuild.isValid())
        return ReplotDelayMs;
    // Live, the axis scrolls by its range per plot width: wait for a whole pixel, and half a second at least
    // (a replot of a 1,000 px chart costs about a millisecond: ten a second would be most of the window's
    // CPU at 10 Hz sampling).
    const double pixelMs = liveRange().size() * 1000.0 / std::max(1, axisRect()->width());
    const double waitMs = m_armedFlat ? double(MaxFlatDelayMs)
                                      : std::clamp(pixelMs, double(MinLiveDelayMs), double(MaxLiveDelayMs));
    return int(std::clamp<qint64>(qint64(waitMs) - m_sinceRebuild.elapsed(), ReplotDelayMs, qint64(waitMs)));
}

void TimeChart::showEvent(QShowEvent *event)
{
    QCustomPlot::showEvent(event);
    if (std::exchange(m_hiddenDirty, false)) {
        m_replotTimer.stop();
        m_sinceRebuild.start();
        rebuild();
        replot(QCustomPlot::rpQueuedReplot);
    }
}

void TimeChart::refreshNow()
{
    m_replotTimer.stop();
    m_hiddenDirty = false;
    m_sinceRebuild.start();
    rebuild();
    replot(QCustomPlot::rpImmediateRefresh);
}

QImage TimeChart::renderStill(double lower, double upper, const QSize &size, double scale)
{
    m_still = true;
    setPaused(true);
    setVisibleRange(lower, upper);
    m_replotTimer.stop();
    // Not shown: the size is taken at once, without a resize event; do what that event would.
    resize(size);
    setViewport(rect());
    if (auto ticker = xAxis->ticker().dynamicCast<QCPAxisTickerDateTime>())
        ticker->setTickCount(std::clamp(width() / 120, 2, 6));
    updateTitle();
    updateLegendLayout();
    // Twice: the first replot lays out the axis rect at this size; the points per graph and the marker
    // labels' rows are computed from it by the second.
    refreshNow();
    refreshNow();
    return toPixmap(size.width(), size.height(), scale).toImage();
}

bool TimeChart::hasVisibleData() const
{
    if (!m_set)
        return false;
    const QCPRange range = xAxis->range();
    for (const Series &s : m_series) {
        const TimeSeries *ts = m_set->find(s.name);
        if (!ts)
            continue;
        const HistoryPoints p = ts->sample(range.lower, range.upper, 100);
        for (const double v : p.max) {
            if (!std::isnan(v))
                return true;
        }
    }
    return false;
}

QCPRange TimeChart::liveRange() const
{
    double last = m_set ? m_set->lastTime() : 0;
    if (last <= 0)
        last = double(QDateTime::currentMSecsSinceEpoch()) / 1000.0;
    // A target added a minute ago fills its chart instead of hugging the right edge of an empty window:
    // the window grows from the first sample (at least a minute wide) until it reaches its full width.
    const double first = m_set && m_set->firstTime() > 0 ? m_set->firstTime() : last;
    const double width = std::clamp(last - first, std::min(60.0, m_windowSeconds), m_windowSeconds);
    return QCPRange(last - width, last);
}

int TimeChart::maxPointsPerGraph() const
{
    const int pixels = axisRect()->width() > 0 ? axisRect()->width() : width();
    return std::clamp(PointsPerPixel * pixels, MinPointsPerGraph, MaxPointsPerGraph);
}

void TimeChart::rebuild()
{
    m_stale = false;
    m_drawnNewest = newestValues();
    m_armedFlat = false;
    QCPRange range = m_paused ? xAxis->range() : liveRange();
    if (!m_paused) {
        m_settingRange = true;
        xAxis->setRange(range);
        m_settingRange = false;
    }
    updateTimeFormat(range.size());

    // One resolution for the whole chart (stacked layers must line up): the coarsest any series needs.
    int level = 0;
    double resolution = 0;
    const int maxPoints = maxPointsPerGraph();
    if (m_set) {
        for (const Series &s : m_series) {
            if (const TimeSeries *ts = m_set->find(s.name)) {
                const int l = ts->levelFor(range.lower, range.upper, maxPoints);
                if (l >= level) {
                    level = l;
                    resolution = ts->resolution(l);
                }
            }
        }
    }
    setLevel(level, resolution);
    const bool raw = level == 0;

    // Copy one point beyond each edge so lines run to the edges instead of stopping short of them.
    const double pad = std::max({2.0, range.size() * 0.02, resolution});
    const double from = range.lower - pad;
    const double to = range.upper + pad;
    auto pointsOf = [&](const QString &name) {
        const TimeSeries *ts = m_set ? m_set->find(name) : nullptr;
        return ts ? ts->points(level, from, to) : HistoryPoints{};
    };

    QVector<double> baseKeys;
    QVector<double> stack;
    bool haveBase = false;
    double top = 0;
    // Matching keys across layers: raw samples share their times; buckets their middles.
    const double tolerance = raw ? 1e-3 : resolution / 2 - 1e-6;
    for (Series &s : m_series) {
        const bool known = m_set && m_set->find(s.name);
        const HistoryPoints p = pointsOf(s.name);
        if (m_mode == Mode::Lines) {
            // Raw: the samples. Rollups: the per-bucket maximum, so short spikes keep their height.
            const QVector<double> &line = raw ? p.mean : p.max;
            s.graph->setData(p.keys, line, true);
            if (s.band)
                s.band->setData(p.keys, p.min, true);
            top = visibleMax(p.keys, line, range, top);
            continue;
        }
        // Stacked: cumulative sums on the time keys of the first series. A NaN anywhere below makes the whole
        // stack unknown at that time, so the area breaks there instead of being drawn across the gap.
        if (!haveBase) {
            if (known) {
                baseKeys = p.keys;
                stack = p.mean;
                haveBase = true;
            }
        } else if (known && p.keys == baseKeys) {
            for (qsizetype i = 0; i < stack.size(); ++i)
                stack[i] += p.mean[i];
        } else if (known) {
            for (qsizetype i = 0; i < stack.size(); ++i)
                stack[i] += meanAt(p, baseKeys[i], tolerance);
        }
        s.graph->setData(baseKeys, stack, true);
    }
    if (m_mode == Mode::StackedArea) {
        top = visibleMax(baseKeys, stack, range, 0);
        if (m_peak && m_peak->graph) {
            const HistoryPoints p = pointsOf(m_peak->name);
            m_peak->graph->setData(p.keys, p.max, true);
            top = visibleMax(p.keys, p.max, range, top);
        }
    }
    m_visibleTop = top;

    double axisTop = top;
    for (Series &limit : m_limits) {
        const TimeSeries *ts = m_set ? m_set->find(limit.name) : nullptr;
        const HistoryPoints p = pointsOf(limit.name);
        const QVector<double> &line = raw ? p.mean : p.max;
        limit.graph->setData(p.keys, line, true);
        const double limitTop = visibleMax(p.keys, line, range, 0);
        // A far-away limit would flatten the data into the bottom strip: it joins the range once the data
        // reaches a good part of it (or always, for small limits such as pool_size).
        const bool inRange = m_limitAlwaysInRange || top >= limitTop * NearLimitFraction;
        if (inRange)
            axisTop = std::max(axisTop, limitTop);
        const std::optional<double> last = ts ? ts->lastValue() : std::nullopt;
        QString name = limit.label;
        if (last) {
            name += QStringLiteral(": ") + QString::number(*last);
            if (!inRange && *last > 0)
                name += tr(" (above the chart)");
        }
        limit.graph->setName(name);
    }
    yAxis->setRange(0, niceCeil(std::max(axisTop * 1.1, m_integer ? 4.0 : 1.0)));
    m_markers->update(range, palette());
}

void TimeChart::setMarkers(const QList<Marker> &markers)
{
    if (m_markers->set(markers))
        markDirty();
}

void TimeChart::setLevel(int level, double resolution)
{
    if (level == m_level && resolution == m_resolution)
        return;
    removeEnvelopeGraphs();
    m_level = level;
    m_resolution = resolution;
    if (level > 0) {
        if (m_mode == Mode::Lines) {
            for (Series &s : m_series) {
                s.band = addGraph();
                s.band->removeFromLegend();
            }
        } else if (m_peak) {
            m_peak->graph = addGraph();
            m_peak->graph->setName(m_peak->label);
        }
    }
    applySeriesStyles();
    updateLegendLayout();
    updateTitle();
}

void TimeChart::removeEnvelopeGraphs()
{
    // Bands and the peak line exist only while rollups are drawn, so raw charts keep one graph per series.
    for (Series &s : m_series) {
        if (s.band)
            removeGraph(s.band);
        s.band = nullptr;
    }
    if (m_peak && m_peak->graph) {
        removeGraph(m_peak->graph);
        m_peak->graph = nullptr;
    }
    // Forces setLevel() to recreate what the next rebuild needs.
    m_level = 0;
    m_resolution = 0;
    m_stale = true; // every change of the graphs passes here
}

void TimeChart::updateTimeFormat(double visibleSeconds)
{
    const QString format = visibleSeconds <= 15 * 60 ? QStringLiteral("HH:mm:ss") : QStringLiteral("HH:mm");
    if (format == m_timeFormat)
        return;
    m_timeFormat = format;
    if (auto ticker = xAxis->ticker().dynamicCast<QCPAxisTickerDateTime>())
        ticker->setDateTimeFormat(format);
}

void TimeChart::applySeriesStyles()
{
    const QPalette pal = palette();
    QCPGraph *below = nullptr;
    for (Series &s : m_series) {
        const QColor color = s.color(pal);
        QCPGraph *g = s.graph;
        g->setLineStyle(QCPGraph::lsLine);
        g->setLayer(m_mode == Mode::Lines && s.width >= EmphasisWidth ? QStringLiteral("emphasis")
                                                                      : QStringLiteral("main"));
        if (m_mode == Mode::StackedArea) {
            QColor fill = color;
            fill.setAlpha(215);
            // No outline: a layer that is zero would otherwise leave its colour along the top of the stack.
            g->setPen(Qt::NoPen);
            g->setBrush(fill);
            // Aliased fills: layers meet without antialiasing seams, and a replot of 12 noisy layers costs
            // a third (measured in tests/bench/bench_chart).
            g->setAntialiasedFill(false);
            // Each layer fills down to the one below it; the first fills down to zero.
            g->setChannelFillGraph(below);
        } else {
            g->setPen(QPen(color, s.width));
            g->setBrush(Qt::NoBrush);
            g->setChannelFillGraph(nullptr);
        }
        if (s.band) {
            // The band is the lower edge's graph filled up to the line (the maximum), under every line.
            QColor fill = color;
            fill.setAlpha(BandAlpha);
            s.band->setLayer(QStringLiteral("bands"));
            s.band->setPen(Qt::NoPen);
            s.band->setBrush(fill);
            s.band->setChannelFillGraph(g);
            s.band->setAntialiasedFill(false);
        }
        below = g;
    }
    if (m_peak && m_peak->graph) {
        m_peak->graph->setLayer(QStringLiteral("emphasis"));
        m_peak->graph->setPen(QPen(m_peak->color(pal), m_peak->width));
        m_peak->graph->setBrush(Qt::NoBrush);
        m_peak->graph->setLineStyle(QCPGraph::lsLine);
    }
    for (Series &l : m_limits) {
        if (!l.graph)
            continue;
        l.graph->setPen(QPen(l.color(pal), l.width, l.style));
        l.graph->setBrush(Qt::NoBrush);
        l.graph->setLineStyle(QCPGraph::lsStepLeft);
    }
}

void TimeChart::updateColors()
{
    const QPalette pal = palette();
    const QColor fg = pal.color(QPalette::Text);
    QColor gridColor = fg;
    gridColor.setAlpha(45);
    setBackground(pal.brush(QPalette::Base));
    axisRect()->setBackground(pal.brush(QPalette::Base));
    for (QCPAxis *axis : {xAxis, yAxis}) {
        axis->setBasePen(QPen(fg, 1));
        axis->setTickPen(QPen(fg, 1));
        axis->setSubTickPen(QPen(fg, 1));
        axis->setTickLabelColor(fg);
        axis->setLabelColor(fg);
        axis->grid()->setPen(QPen(gridColor, 1, Qt::DotLine));
        axis->grid()->setZeroLinePen(Qt::NoPen);
    }
    legend->setTextColor(fg);
    m_titleElement->setTextColor(fg);
    applySeriesStyles();
}

void TimeChart::updateLegendLayout()
{
    // The grid may hold empty cells after wrapping; collect the items in fill order.
    QList<QCPAbstractLegendItem *> items;
    for (int i = 0; i < legend->elementCount(); ++i) {
        if (QCPAbstractLegendItem *item = legend->item(i))
            items.append(item);
    }
    if (items.isEmpty())
        return;
    const QFontMetrics fm(legend->font());
    QList<int> widths;
    for (QCPAbstractLegendItem *item : items) {
        // Room below the text: underscores ("cl_waiting") sit below the font's descent in common fonts and
        // would be clipped by the item's rectangle.
        item->setMargins(QMargins(2, 1, 2, 4));
        auto *plottableItem = qobject_cast<QCPPlottableLegendItem *>(item);
        const QString text = plottableItem ? plottableItem->plottable()->name() : QString();
        int w = fm.horizontalAdvance(text) + legend->iconSize().width() + legend->iconTextPadding() + 4;
        // A limit's name carries its value, which changes with the data.
        for (const Series &l : m_limits) {
            if (plottableItem && plottableItem->plottable() == l.graph)
                w = fm.horizontalAdvance(l.label + tr(": 99999 (above the chart)")) +
                    legend->iconSize().width() + legend->iconTextPadding() + 4;
        }
        widths.append(w);
    }
    // As many columns as fit in one row; fewer when the widest items of each column do not fit.
    fitLegendColumns(legend, widths, width() - legend->margins().left() - legend->margins().right() - 8);
}

void TimeChart::updateTitle()
{
    QString text = m_title;
    if (m_resolution > 0) {
        const QString per = TimeChart::resolutionText(m_resolution);
        text += m_mode == Mode::StackedArea ? tr("  · per %1: means, line = peak").arg(per)
                                            : tr("  · per %1: peaks").arg(per);
    }
    if (m_paused && !m_still && m_liveAvailable)
        text += tr("  (browsing — Space returns to live)");
    m_titleElement->setText(text);
    replot(QCustomPlot::rpQueuedReplot);
}

void TimeChart::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange) {
        updateColors();
        replot(QCustomPlot::rpQueuedReplot);
    } else if (event->type() == QEvent::FontChange) {
        legend->setFont(font());
        updateLegendLayout();
    }
    QCustomPlot::changeEvent(event);
}

void TimeChart::resizeEvent(QResizeEvent *event)
{
    QCustomPlot::resizeEvent(event);
    // About one time label per 120 px, so narrow charts do not run their labels together.
    if (auto ticker = xAxis->ticker().dynamicCast<QCPAxisTickerDateTime>())
        ticker->setTickCount(std::clamp(width() / 120, 2, 6));
    updateLegendLayout();
    replot(QCustomPlot::rpQueuedReplot);
}

void TimeChart::onRangeChanged(const QCPRange &range)
{
    if (m_settingRange)
        return;
    // The user dragged or zoomed. Zoom stops at 10 s and two days, around the middle of the range.
    QCPRange visible = range;
    const double width = std::clamp(range.size(), MinVisibleSeconds, MaxVisibleSeconds);
    if (width != range.size()) {
        visible = QCPRange(range.center() - width / 2, range.center() + width / 2);
        m_settingRange = true;
        xAxis->setRange(visible);
        m_settingRange = false;
    }
    if (!m_paused) {
        setPaused(true);
        Q_EMIT browsingStarted();
    }
    markDirty();
    Q_EMIT visibleRangeChanged(visible.lower, visible.upper);
}

QString TimeChart::resolutionText(double seconds)
{
    if (seconds >= 60 && std::fmod(seconds, 60) == 0)
        return tr("%1 min").arg(seconds / 60);
    return tr("%1 s").arg(seconds);
}

} // namespace poolscope::widgets
