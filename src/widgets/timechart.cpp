#include "timechart.h"

#include "core/timeseries.h"

#include <QDateTime>
#include <QEvent>
#include <QFontMetrics>
#include <QMouseEvent>
#include <QToolTip>
#include <algorithm>
#include <cmath>
#include <limits>

namespace poolscope::widgets {

namespace {

constexpr int ReplotDelayMs = 40; // at most 25 replots per second
constexpr double Nan = std::numeric_limits<double>::quiet_NaN();
constexpr double NearLimitFraction = 0.4;
constexpr double EmphasisWidth = 2.0;

// Counts never have fractional ticks, and 2.5-steps read badly for them.
class IntegerTicker : public QCPAxisTicker
{
protected:
    double getTickStep(const QCPRange &range) override
    {
        const double step = QCPAxisTicker::getTickStep(range);
        if (step < 1)
            return 1;
        return step == 2.5 ? 2 : step;
    }
    int getSubTickCount(double tickStep) override
    {
        return tickStep <= 1 ? 0 : std::min(QCPAxisTicker::getSubTickCount(tickStep), int(tickStep) - 1);
    }
};

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

QString timeText(double t)
{
    return QDateTime::fromMSecsSinceEpoch(qint64(std::llround(t * 1000)))
        .toString(QStringLiteral("HH:mm:ss"));
}

} // namespace

TimeChart::TimeChart(QWidget *parent) : QCustomPlot(parent)
{
    setMinimumHeight(160);
    setNoAntialiasingOnDrag(true);
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

    // Emphasised lines (the queue) are drawn above the others, whatever their order in the legend.
    addLayer(QStringLiteral("emphasis"), layer(QStringLiteral("main")), QCustomPlot::limAbove);

    auto timeTicker = QSharedPointer<QCPAxisTickerDateTime>::create();
    timeTicker->setDateTimeFormat(QStringLiteral("HH:mm:ss"));
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

    m_replotTimer.setSingleShot(true);
    m_replotTimer.setInterval(ReplotDelayMs);
    connect(&m_replotTimer, &QTimer::timeout, this, [this] {
        rebuild();
        replot(QCustomPlot::rpQueuedReplot);
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

void TimeChart::setValueLabel(const QString &label)
{
    yAxis->setLabel(label);
}

void TimeChart::setMode(Mode mode)
{
    if (mode == m_mode)
        return;
    m_mode = mode;
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
    m_windowSeconds = std::max(10.0, seconds);
    markDirty();
}

void TimeChart::setSeriesSet(const SeriesSet *set)
{
    m_set = set;
    markDirty();
}

void TimeChart::clearSeries()
{
    clearGraphs();
    m_series.clear();
    m_limit.reset();
    updateLegendLayout();
    markDirty();
}

void TimeChart::addSeries(const QString &seriesName, const QString &label, ColorFunction color, double width)
{
    // The limit line stays last, drawn above the data and listed last in the legend.
    if (m_limit) {
        removeGraph(m_limit->graph);
        m_limit->graph = nullptr;
    }
    Series s{seriesName, label, std::move(color), width, addGraph()};
    s.graph->setName(label);
    m_series.push_back(std::move(s));
    if (m_limit) {
        m_limit->graph = addGraph();
        m_limit->graph->setName(m_limit->label);
    }
    applySeriesStyles();
    updateLegendLayout();
    markDirty();
}

void TimeChart::setLimitSeries(const QString &seriesName, const QString &label, ColorFunction color)
{
    if (m_limit)
        removeGraph(m_limit->graph);
    m_limit = Series{seriesName, label, std::move(color), 1.5, addGraph()};
    m_limit->graph->setName(label);
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
    if (paused)
        setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    else
        setInteractions(QCP::Interactions());
    updateTitle();
    markDirty();
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
    if (!m_replotTimer.isActive())
        m_replotTimer.start();
}

void TimeChart::refreshNow()
{
    m_replotTimer.stop();
    rebuild();
    replot(QCustomPlot::rpImmediateRefresh);
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

void TimeChart::rebuild()
{
    QCPRange range = m_paused ? xAxis->range() : liveRange();
    if (!m_paused) {
        m_settingRange = true;
        xAxis->setRange(range);
        m_settingRange = false;
    }
    // Copy one point beyond each edge so lines run to the edges instead of stopping short of them.
    const double pad = std::max(2.0, range.size() * 0.02);
    const double from = range.lower - pad;
    const double to = range.upper + pad;

    QVector<double> keys;
    QVector<double> values;
    QVector<double> baseKeys;
    QVector<double> stack;
    bool haveBase = false;
    double top = 0;
    for (Series &s : m_series) {
        const TimeSeries *ts = m_set ? m_set->find(s.name) : nullptr;
        keys.clear();
        values.clear();
        if (ts)
            ts->copyRange(from, to, keys, values);
        if (m_mode == Mode::Lines) {
            s.graph->setData(keys, values, true);
            top = visibleMax(keys, values, range, top);
            continue;
        }
        // Stacked: cumulative sums on the time keys of the first series. A NaN anywhere below makes the whole
        // stack unknown at that time, so the area breaks there instead of being drawn across the gap.
        if (!haveBase) {
            if (ts) {
                baseKeys = keys;
                stack = values;
                haveBase = true;
            }
        } else if (ts && keys == baseKeys) {
            for (qsizetype i = 0; i < stack.size(); ++i)
                stack[i] += values[i];
        } else if (ts) {
            for (qsizetype i = 0; i < stack.size(); ++i) {
                const std::optional<double> v = ts->valueNear(baseKeys[i], 1e-3);
                stack[i] = v ? stack[i] + *v : Nan;
            }
        }
        s.graph->setData(baseKeys, stack, true);
    }
    if (m_mode == Mode::StackedArea)
        top = visibleMax(baseKeys, stack, range, 0);
    m_visibleTop = top;

    double axisTop = top;
    if (m_limit) {
        const TimeSeries *ts = m_set ? m_set->find(m_limit->name) : nullptr;
        keys.clear();
        values.clear();
        if (ts)
            ts->copyRange(from, to, keys, values);
        m_limit->graph->setData(keys, values, true);
        const double limitTop = visibleMax(keys, values, range, 0);
        // A far-away limit would flatten the data into the bottom strip: it joins the range once the data
        // reaches a good part of it (or always, for small limits such as pool_size).
        const bool inRange = m_limitAlwaysInRange || top >= limitTop * NearLimitFraction;
        if (inRange)
            axisTop = std::max(axisTop, limitTop);
        const std::optional<double> last = ts ? ts->lastValue() : std::nullopt;
        QString name = m_limit->label;
        if (last) {
            name += QStringLiteral(": ") + QString::number(*last);
            if (!inRange && *last > 0)
                name += tr(" (above the chart)");
        }
        m_limit->graph->setName(name);
    }
    yAxis->setRange(0, niceCeil(std::max(axisTop * 1.1, m_integer ? 4.0 : 1.0)));
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
            // Each layer fills down to the one below it; the first fills down to zero.
            g->setChannelFillGraph(below);
        } else {
            g->setPen(QPen(color, s.width));
            g->setBrush(Qt::NoBrush);
            g->setChannelFillGraph(nullptr);
        }
        below = g;
    }
    if (m_limit && m_limit->graph) {
        m_limit->graph->setPen(QPen(m_limit->color(pal), m_limit->width, Qt::DashLine));
        m_limit->graph->setBrush(Qt::NoBrush);
        m_limit->graph->setLineStyle(QCPGraph::lsStepLeft);
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
        // The limit's name carries its value, which changes with the data.
        if (m_limit && plottableItem && plottableItem->plottable() == m_limit->graph)
            w = fm.horizontalAdvance(m_limit->label + tr(": 99999 (above the chart)")) +
                legend->iconSize().width() + legend->iconTextPadding() + 4;
        widths.append(w);
    }
    // As many columns as fit in one row; fewer when the widest items of each column do not fit.
    const int available = width() - legend->margins().left() - legend->margins().right() - 8;
    int columns = 1;
    for (int n = int(items.size()); n > 1; --n) {
        int total = (n - 1) * legend->columnSpacing();
        for (int c = 0; c < n; ++c) {
            int columnWidth = 0;
            for (int i = c; i < items.size(); i += n)
                columnWidth = std::max(columnWidth, widths[i]);
            total += columnWidth;
        }
        if (total <= available) {
            columns = n;
            break;
        }
    }
    legend->setWrap(columns);
    legend->setFillOrder(QCPLayoutGrid::foColumnsFirst, true);
}

void TimeChart::updateTitle()
{
    m_titleElement->setText(m_paused ? m_title + tr("  (paused: drag or scroll to look back)") : m_title);
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
    updateLegendLayout();
    replot(QCustomPlot::rpQueuedReplot);
}

void TimeChart::leaveEvent(QEvent *event)
{
    QToolTip::hideText();
    QCustomPlot::leaveEvent(event);
}

void TimeChart::onMouseMove(QMouseEvent *event)
{
    const QPoint pos = event->position().toPoint();
    if (!axisRect()->rect().contains(pos)) {
        QToolTip::hideText();
        return;
    }
    const double key = xAxis->pixelToCoord(pos.x());
    const double tolerance = std::abs(xAxis->pixelToCoord(pos.x() + 12) - key);
    const QString text = valuesText(key, tolerance);
    if (text.isEmpty())
        QToolTip::hideText();
    else
        QToolTip::showText(event->globalPosition().toPoint() + QPoint(14, 14), text, this);
}

QString TimeChart::valuesText(double key, double maxDistance) const
{
    if (!m_set)
        return {};
    // The sample time nearest to the cursor, taken from the first series that has data.
    const TimeSeries *reference = nullptr;
    for (const Series &s : m_series) {
        reference = m_set->find(s.name);
        if (reference && !reference->isEmpty())
            break;
    }
    if (!reference || reference->isEmpty())
        return {};
    const int i = reference->lowerBound(key);
    int best = -1;
    for (int j : {i - 1, i}) {
        if (j >= 0 && j < reference->size() &&
            (best < 0 || std::abs(reference->timeAt(j) - key) < std::abs(reference->timeAt(best) - key)))
            best = j;
    }
    const double t = reference->timeAt(best);
    // Sparse samples: accept anything within half the spacing to the neighbouring sample.
    double spacing = 0;
    if (best > 0)
        spacing = t - reference->timeAt(best - 1);
    else if (best + 1 < reference->size())
        spacing = reference->timeAt(best + 1) - t;
    if (std::abs(t - key) > std::max(maxDistance, spacing * 0.5))
        return {};

    auto format = [this](std::optional<double> v) {
        if (!v)
            return QStringLiteral("—");
        if (m_integer)
            return QString::number(std::llround(*v));
        const double a = std::abs(*v);
        return QString::number(*v, 'f', a >= 100 ? 0 : (a >= 10 ? 1 : 2));
    };
    auto row = [](const QColor &color, const QString &label, const QString &value) {
        const QString swatch =
            color.alpha() == 0 ? QStringLiteral("&nbsp;&nbsp;")
                               : QStringLiteral("<span style=\"color:%1\">&#9632;</span>").arg(color.name());
        return QStringLiteral("<tr><td>%1 %2</td><td align=\"right\">&nbsp;&nbsp;<b>%3</b></td></tr>")
            .arg(swatch, label.toHtmlEscaped(), value);
    };

    QString html = QStringLiteral("<b>") + timeText(t) + QStringLiteral("</b><table cellspacing=\"0\">");
    double total = 0;
    bool totalKnown = true;
    // Stacked charts list the top layer first, as drawn.
    std::vector<const Series *> order;
    for (const Series &s : m_series)
        order.push_back(&s);
    if (m_mode == Mode::StackedArea)
        std::reverse(order.begin(), order.end());
    for (const Series *s : order) {
        const TimeSeries *ts = m_set->find(s->name);
        const std::optional<double> v = ts ? ts->valueNear(t, 1e-3) : std::nullopt;
        if (v)
            total += *v;
        else
            totalKnown = false;
        html += row(s->color(palette()), s->label, format(v));
    }
    if (m_mode == Mode::StackedArea && m_series.size() > 1)
        html += row(QColor(Qt::transparent), tr("total"),
                    format(totalKnown ? std::optional(total) : std::nullopt));
    if (m_limit) {
        const TimeSeries *ts = m_set->find(m_limit->name);
        html += row(m_limit->color(palette()), m_limit->label,
                    format(ts ? ts->valueNear(t, 1e-3) : std::nullopt));
    }
    html += QStringLiteral("</table>");
    return html;
}

void TimeChart::onRangeChanged(const QCPRange &range)
{
    if (m_settingRange || !m_paused)
        return;
    markDirty();
    Q_EMIT visibleRangeChanged(range.lower, range.upper);
}

} // namespace poolscope::widgets
