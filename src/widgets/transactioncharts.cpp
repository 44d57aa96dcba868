#include "transactioncharts.h"

#include "core/sessionanalysis.h"
#include "widgets/chartexport.h"
#include "widgets/chartparts.h"
#include "widgets/palette.h"

#include <QEvent>
#include <QFontMetrics>
#include <QHBoxLayout>
#include <algorithm>
#include <cmath>
#include <limits>

namespace poolscope::widgets {

namespace {

constexpr int ReplotDelayMs = 40;    // a resize, new colours, shown: replotted this soon (coalesced)
constexpr int BarsGapMs = 250;       // samples: the histogram and the bars at most four times a second
constexpr int AgesGapMs = 1000;      // and the ages line once a second (ten minutes on a few hundred pixels)
constexpr int DueWithSampleMs = 100; // a chart due this soon is replotted with the sample that finds it due

constexpr double Nan = std::numeric_limits<double>::quiet_NaN();
constexpr double BarWidth = 0.7;
// Upper bounds of the histogram buckets but the last, in seconds.
constexpr std::array<double, TransactionCharts::BucketCount - 1> BucketBounds = {1, 5, 30, 60, 300, 1800};
constexpr int MaxLabelChars = 24;

// An axis top with room above the highest value, in steps (1, 2, 5 × 10^n) so it does not creep each sample.
double niceTop(double v, double minimum)
{
    v = std::max(v * 1.15, minimum);
    const double magnitude = std::pow(10.0, std::floor(std::log10(v)));
    for (double f : {1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0}) {
        if (v <= f * magnitude)
            return f * magnitude;
    }
    return 10 * magnitude;
}

// Title row above the axis rect and the legend in a row of its own below it, compact at the left: the legend
// never covers bars (the TimeChart layout).
QCPTextElement *setupPlot(QCustomPlot *plot, const QString &title, bool legend)
{
    plot->setMinimumHeight(190);
    // As TimeChart: one paint buffer, repainted with the window, opaque.
    if (QCPLayer *overlay = plot->layer(QStringLiteral("overlay")))
        overlay->setMode(QCPLayer::lmLogical);
    plot->setPlottingHint(QCP::phImmediateRefresh, false);
    plot->setAttribute(Qt::WA_OpaquePaintEvent);
    plot->plotLayout()->insertRow(0);
    auto *titleElement = new QCPTextElement(plot, title);
    QFont titleFont = plot->font();
    titleFont.setBold(true);
    titleFont.setPointSizeF(titleFont.pointSizeF() * 0.95);
    titleElement->setFont(titleFont);
    plot->plotLayout()->addElement(0, 0, titleElement);
    plot->plotLayout()->setRowStretchFactor(0, 0.001);
    plot->plotLayout()->setRowSpacing(0);
    if (legend) {
        plot->plotLayout()->insertRow(1);
        auto *legendRow = new QCPLayoutGrid;
        plot->plotLayout()->addElement(1, 0, legendRow);
        plot->axisRect()->insetLayout()->take(plot->legend);
        legendRow->addElement(0, 0, plot->legend);
        legendRow->addElement(0, 1, new QCPLayoutElement(plot));
        legendRow->setColumnStretchFactor(0, 0.001);
        legendRow->setColumnStretchFactor(1, 1);
        plot->plotLayout()->setRowStretchFactor(1, 0.001);
        plot->legend->setVisible(true);
        plot->legend->setBorderPen(Qt::NoPen);
        plot->legend->setBrush(Qt::NoBrush);
        plot->legend->setIconSize(18, 12);
        plot->legend->setColumnSpacing(12);
        plot->legend->setRowSpacing(0);
        plot->legend->setMargins(QMargins(8, 0, 8, 2));
        plot->legend->setFont(plot->font());
        plot->legend->setSelectableParts(QCPLegend::spNone);
    }
    return titleElement;
}

// As many legend columns as fit in the plot's width.
void fitLegend(QCustomPlot *plot)
{
    QCPLegend *legend = plot->legend;
    QList<int> widths;
    const QFontMetrics fm(legend->font());
    for (int i = 0; i < legend->itemCount(); ++i) {
        auto *item = qobject_cast<QCPPlottableLegendItem *>(legend->item(i));
        if (!item)
            continue;
        // Room below the text for descenders, as in TimeChart.
        item->setMargins(QMargins(2, 1, 2, 3));
        widths.append(fm.horizontalAdvance(item->plottable()->name()) + legend->iconSize().width() +
                      legend->iconTextPadding() + 6);
    }
    if (widths.isEmpty())
        return;
    fitLegendColumns(legend, widths,
                     plot->width() - legend->margins().left() - legend->margins().right() - 8);
}

QCPItemText *emptyText(QCustomPlot *plot, const QString &text)
{
    auto *item = new QCPItemText(plot);
    item->position->setType(QCPItemPosition::ptAxisRectRatio);
    item->position->setCoords(0.5, 0.45);
    item->setPositionAlignment(Qt::AlignCenter);
    item->setText(text);
    item->setVisible(false);
    return item;
}

void styleAxes(QCustomPlot *plot, const QPalette &pal)
{
    const QColor fg = pal.color(QPalette::Text);
    QColor gridColor = fg;
    gridColor.setAlpha(45);
    plot->setBackground(pal.brush(QPalette::Base));
    plot->axisRect()->setBackground(pal.brush(QPalette::Base));
    for (QCPAxis *axis : {plot->xAxis, plot->yAxis, plot->yAxis2}) {
        axis->setBasePen(QPen(fg, 1));
        axis->setTickPen(QPen(fg, 1));
        axis->setSubTickPen(QPen(fg, 1));
        axis->setTickLabelColor(fg);
        axis->setLabelColor(fg);
        axis->grid()->setPen(QPen(gridColor, 1, Qt::DotLine));
        axis->grid()->setZeroLinePen(Qt::NoPen);
    }
    plot->legend->setTextColor(fg);
    for (int i = 0; i < plot->plotLayout()->elementCount(); ++i) {
        if (auto *title = qobject_cast<QCPTextElement *>(plot->plotLayout()->elementAt(i)))
            title->setTextColor(fg);
    }
    for (int i = 0; i < plot->itemCount(); ++i) {
        if (auto *text = qobject_cast<QCPItemText *>(plot->item(i)))
            text->setColor(fg);
    }
}

void styleBars(QCPBars *bars, const QColor &colour)
{
    bars->setPen(QPen(colour.darker(120), 1));
    bars->setBrush(colour);
}

} // namespace

QStringList TransactionCharts::bucketLabels()
{
    return {tr("<1 s"),    tr("1–5 s"),    tr("5–30 s"), tr("30–60 s"),
            tr("1–5 min"), tr("5–30 min"), tr("≥30 min")};
}

QStringList TransactionCharts::compactBucketLabels()
{
    return {tr("<1s"), tr("1–5s"), tr("5–30s"), tr("30–60s"), tr("1–5m"), tr("5–30m"), tr("≥30m")};
}

int TransactionCharts::bucketOf(double seconds)
{
    for (int i = 0; i < int(BucketBounds.size()); ++i) {
        if (seconds < BucketBounds[size_t(i)])
            return i;
    }
    return BucketCount - 1;
}

int TransactionCharts::Histogram::total() const
{
    int sum = 0;
    for (int i = 0; i < BucketCount; ++i)
        sum += idle[size_t(i)] + aborted[size_t(i)];
    return sum;
}

TransactionCharts::Histogram TransactionCharts::histogram(const PostgresSample &sample)
{
    Histogram h;
    for (const Session &s : sample.sessions) {
        const SessionState state = s.stateClass();
        if (state != SessionState::IdleInTransaction && state != SessionState::IdleInTransactionAborted)
            continue;
        // The visible row of an idle-in-transaction session always has state_change; a missing one counts as
        // just entered rather than disappearing from the count.
        const double age = s.stateChange ? std::max(0.0, sample.serverNow - *s.stateChange) : 0.0;
        const size_t bucket = size_t(bucketOf(age));
        if (state == SessionState::IdleInTransaction)
            ++h.idle[bucket];
        else
            ++h.aborted[bucket];
    }
    return h;
}

QList<TransactionCharts::ApplicationStates> TransactionCharts::topApplications(const PostgresSample &sample)
{
    // groupSessions() ranks by sessions, then name; recomputed here so a sample without summarizeSessions()
    // (tests, JSON) still draws.
    QList<ApplicationStates> out;
    for (const SessionGroup &g : analysis::groupSessions(sample.sessions, GroupDimension::Application)) {
        if (out.size() >= TopApplications)
            break;
        out.append({g.name, g.counts});
    }
    return out;
}

TransactionCharts::TransactionCharts(QWidget *parent) : QWidget(parent)
{
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(6);

    // Idle-in-transaction age histogram.
    m_histogramPlot = new QCustomPlot(this);
    installChartExport(m_histogramPlot);
    m_histogramPlot->setObjectName(QStringLiteral("idleHistogram"));
    setupPlot(m_histogramPlot, tr("Idle in transaction: time in state"), true);
    m_idleBars = new QCPBars(m_histogramPlot->xAxis, m_histogramPlot->yAxis);
    m_idleBars->setName(sessionStateName(SessionState::IdleInTransaction));
    m_abortedBars = new QCPBars(m_histogramPlot->xAxis, m_histogramPlot->yAxis);
    m_abortedBars->setName(tr("aborted"));
    for (QCPBars *bars : {m_idleBars, m_abortedBars}) {
        bars->setWidth(BarWidth);
        bars->setStackingGap(0);
    }
    m_abortedBars->moveAbove(m_idleBars);
    auto bucketTicker = QSharedPointer<QCPAxisTickerText>::create();
    for (int i = 0; i < BucketCount; ++i) {
        auto *total = new QCPItemText(m_histogramPlot);
        total->position->setCoords(i + 1, 0);
        total->setPositionAlignment(Qt::AlignHCenter | Qt::AlignBottom);
        total->setVisible(false);
        m_bucketTotals[size_t(i)] = total;
    }
    m_histogramPlot->xAxis->setTicker(bucketTicker);
    m_histogramPlot->xAxis->setSubTicks(false);
    m_histogramPlot->xAxis->setTickLength(0, 0);
    m_histogramPlot->xAxis->grid()->setVisible(false);
    m_histogramPlot->xAxis->setRange(0.4, BucketCount + 0.6);
    m_histogramPlot->yAxis->setTicker(QSharedPointer<IntegerTicker>::create());
    m_histogramPlot->yAxis->setLabel(tr("sessions"));
    m_histogramEmpty = emptyText(m_histogramPlot, tr("No session is idle in transaction"));

    // Sessions by state per application, as horizontal stacked bars.
    m_appsPlot = new QCustomPlot(this);
    installChartExport(m_appsPlot);
    m_appsPlot->setObjectName(QStringLiteral("applicationStates"));
    m_appsTitle =
        setupPlot(m_appsPlot, tr("Sessions by state, top %1 applications").arg(TopApplications), true);
    // As many bars as their labels fit the height (a label per line of text): a small chart shows the top
    // few rather than labels written over each other.
    connect(m_appsPlot, &QCustomPlot::afterLayout, this, [this] {
        if (!m_appsPlot->isVisible())
            return; // not laid out at its size yet
        const int line = QFontMetrics(m_appsPlot->yAxis->tickLabelFont()).height() + 1;
        const int fit =
            std::clamp(m_appsPlot->axisRect()->height() / std::max(1, line), 1, int(TopApplications));
        if (fit == m_appsFit)
            return;
        m_appsFit = fit;
        rebuildApplications();
        m_appsPlot->replot(QCustomPlot::rpQueuedReplot);
    });
    QCPBars *below = nullptr;
    for (SessionState state : AllSessionStates) {
        auto *bars = new QCPBars(m_appsPlot->yAxis, m_appsPlot->xAxis); // key axis vertical
        bars->setName(state == SessionState::IdleInTransactionAborted ? tr("aborted")
                                                                      : sessionStateName(state));
        bars->setWidth(BarWidth);
        bars->setStackingGap(0);
        if (below)
            bars->moveAbove(below);
        below = bars;
        m_stateBars[size_t(state)] = bars;
    }
    m_appsPlot->yAxis->setTicker(QSharedPointer<QCPAxisTickerText>::create());
    m_appsPlot->yAxis->setSubTicks(false);
    m_appsPlot->yAxis->setTickLength(0, 0); // category labels: tick marks would poke into the bars
    m_appsPlot->yAxis->grid()->setVisible(false);
    m_appsPlot->yAxis->setRangeReversed(true); // the application with the most sessions on top
    m_appsPlot->xAxis->setTicker(QSharedPointer<IntegerTicker>::create());
    m_appsPlot->xAxis->setLabel(tr("sessions"));
    m_appsEmpty = emptyText(m_appsPlot, tr("No client sessions"));

    // Oldest transaction and xmin horizon over time.
    m_agesPlot = new QCustomPlot(this);
    installChartExport(m_agesPlot);
    m_agesPlot->setObjectName(QStringLiteral("oldestAges"));
    setupPlot(m_agesPlot, tr("Oldest transaction and xmin horizon"), true);
    m_xactGraph = m_agesPlot->addGraph(m_agesPlot->xAxis, m_agesPlot->yAxis);
    m_xactGraph->setName(tr("oldest transaction (s)"));
    m_horizonGraph = m_agesPlot->addGraph(m_agesPlot->xAxis, m_agesPlot->yAxis2);
    m_horizonGraph->setName(tr("xmin horizon (xids)"));
    auto timeTicker = QSharedPointer<QCPAxisTickerDateTime>::create();
    timeTicker->setDateTimeFormat(QStringLiteral("HH:mm:ss"));
    timeTicker->setDateTimeSpec(Qt::LocalTime);
    timeTicker->setTickCount(2); // "HH:mm:ss" labels run together at 4 in a third of the page
    timeTicker->setTickStepStrategy(QCPAxisTicker::tssMeetTickCount);
    m_agesPlot->xAxis->setTicker(timeTicker);
    m_agesPlot->yAxis->setLabel(tr("seconds"));
    m_agesPlot->yAxis2->setVisible(true);
    m_agesPlot->yAxis2->setTickLabels(true);
    m_agesPlot->yAxis2->setLabel(tr("xids"));
    m_agesPlot->yAxis2->setTicker(QSharedPointer<IntegerTicker>::create());
    m_agesEmpty = emptyText(m_agesPlot, tr("Waiting for samples"));

    layout->addWidget(m_histogramPlot, 1);
    layout->addWidget(m_appsPlot, 1);
    layout->addWidget(m_agesPlot, 1);

    m_replotTimer.setSingleShot(true);
    connect(&m_replotTimer, &QTimer::timeout, this, [this] { replotDue(true); });
    updateColors();
    rebuild(AllCharts);
}

TransactionCharts::~TransactionCharts() = default;

void TransactionCharts::updateSample(const TargetSnapshot &snapshot)
{
    const double t = double(snapshot.sampledAtMs) / 1000.0;
    if (!m_history.isEmpty() && t < m_history.last().t)
        return; // out of order
    int changed = AgesChart;
    if (!snapshot.ok || !snapshot.postgres) {
        if (!m_history.isEmpty())
            m_history.append({t, Nan, Nan}); // a gap: the lines break instead of bridging the outage
    } else {
        const PostgresSample &pg = *snapshot.postgres;
        if (!isVisible() && window()->isVisible()) {
            m_pendingSample = pg; // shared, not copied: counted when shown
        } else {
            m_pendingSample.reset();
            Histogram counted = histogram(pg);
            if (counted != m_histogram) {
                m_histogram = counted;
                changed |= HistogramChart;
            }
            QList<ApplicationStates> applications = topApplications(pg);
            if (applications != m_applications) {
                m_applications = std::move(applications);
                changed |= ApplicationsChart;
            }
        }
        const SessionsGlance &glance = m_glance.of(pg);
        const Session *xmin = glance.oldestXmin();
        m_history.append(
            {t, glance.oldestXactAge(pg.serverNow).value_or(0.0), xmin ? double(*xmin->horizonAge()) : 0.0});
    }
    if (m_history.size() > MaxHistory)
        m_history.remove(0, m_history.size() - MaxHistory);
    markDirty(changed, false);
}

void TransactionCharts::clear()
{
    m_histogram = {};
    m_applications.clear();
    m_pendingSample.reset();
    m_history.clear();
    markDirty(AllCharts, true);
}

void TransactionCharts::markDirty(int charts, bool soon)
{
    if (!isVisible() && window()->isVisible()) {
        m_hiddenDirty = true; // behind the Charts tab: rebuilt when shown
        return;
    }
    m_dirty |= charts;
    if (soon)
        m_soon |= charts;
    replotDue();
}

std::array<TransactionCharts::Part, 3> TransactionCharts::parts()
{
    return {{{HistogramChart, m_histogramPlot, &TransactionCharts::rebuildHistogram, BarsGapMs},
             {ApplicationsChart, m_appsPlot, &TransactionCharts::rebuildApplications, BarsGapMs},
             {AgesChart, m_agesPlot, &TransactionCharts::rebuildAges, AgesGapMs}}};
}

void TransactionCharts::replotDue(bool timerFired)
{
    int due = 0;
    int nextMs = -1;
    const auto all = parts();
    for (size_t i = 0; i < all.size(); ++i) {
        const Part &part = all[i];
        if (!(m_dirty & part.chart))
            continue;
        const bool soon = m_soon & part.chart;
        const QElapsedTimer &drawn = m_drawn[i];
        int wait = 0; // never drawn: now
        if (soon)
            wait = ReplotDelayMs;
        else if (drawn.isValid())
            wait = int(std::max<qint64>(0, part.gapMs - drawn.elapsed()));
        if (soon ? timerFired : wait <= DueWithSampleMs) {
            due |= part.chart;
            continue;
        }
        const int inMs = std::max(wait, ReplotDelayMs);
        nextMs = nextMs < 0 ? inMs : std::min(nextMs, inMs);
    }
    if (due)
        rebuild(due);
    if (nextMs >= 0 && (!m_replotTimer.isActive() || m_replotTimer.remainingTime() > nextMs))
        m_replotTimer.start(nextMs);
}

void TransactionCharts::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (m_pendingSample) {
        m_histogram = histogram(*m_pendingSample);
        m_applications = topApplications(*m_pendingSample);
        m_pendingSample.reset();
    }
    if (std::exchange(m_hiddenDirty, false))
        markDirty(AllCharts, true);
}

void TransactionCharts::refreshNow()
{
    m_replotTimer.stop();
    m_hiddenDirty = false;
    rebuild(AllCharts);
    for (QCustomPlot *plot : {m_histogramPlot, m_appsPlot, m_agesPlot})
        plot->replot(QCustomPlot::rpImmediateRefresh);
}

void TransactionCharts::rebuild(int charts)
{
    ++m_rebuilds;
    m_dirty &= ~charts;
    m_soon &= ~charts;
    if (!m_dirty)
        m_replotTimer.stop();
    const auto all = parts();
    for (size_t i = 0; i < all.size(); ++i) {
        const Part &part = all[i];
        if (!(charts & part.chart))
            continue;
        (this->*part.rebuild)();
        m_drawn[i].start();
        // Drawn now (the changes are coalesced already), shown at the window's next paint.
        part.plot->replot(QCustomPlot::rpRefreshHint);
    }
}

void TransactionCharts::rebuildHistogram()
{
    // Empty bars are left out: QCustomPlot draws a zero-height bar as a stray line along the axis.
    QVector<double> idleKeys, idle, abortedKeys, aborted;
    double top = 0;
    for (int i = 0; i < BucketCount; ++i) {
        const int a = m_histogram.idle[size_t(i)];
        const int b = m_histogram.aborted[size_t(i)];
        if (a > 0) {
            idleKeys.append(i + 1);
            idle.append(a);
        }
        if (b > 0) {
            abortedKeys.append(i + 1);
            aborted.append(b);
        }
        top = std::max(top, double(a + b));
        QCPItemText *total = m_bucketTotals[size_t(i)];
        total->setVisible(a + b > 0);
        total->setText(QString::number(a + b));
        total->position->setCoords(i + 1, a + b);
    }
    m_idleBars->setData(idleKeys, idle, true);
    m_abortedBars->setData(abortedKeys, aborted, true);
    m_histogramPlot->yAxis->setRange(0, niceTop(top, 4));
    m_histogramEmpty->setVisible(top == 0);

    // Compact labels ("5–30s", "1–5m") when the full ones would run into each other in a narrow chart.
    const QFontMetrics fm(m_histogramPlot->xAxis->tickLabelFont());
    const auto widest = [&fm](const QStringList &labels) {
        int w = 0;
        for (const QString &label : labels)
            w = std::max(w, fm.horizontalAdvance(label));
        return w;
    };
    const QStringList full = bucketLabels();
    const QStringList compact = compactBucketLabels();
    const int axisWidth = m_histogramPlot->axisRect()->width() > 0 ? m_histogramPlot->axisRect()->width()
                                                                   : m_histogramPlot->width() - 60;
    const int perBucket = axisWidth / BucketCount;
    const QStringList labels = perBucket >= widest(full) + 8 ? full : compact;
    // Narrower still: the compact labels slanted, rather than run together.
    m_histogramPlot->xAxis->setTickLabelRotation(perBucket >= widest(compact) + 6 ? 0 : -40);
    auto ticker = m_histogramPlot->xAxis->ticker().dynamicCast<QCPAxisTickerText>();
    if (ticker->ticks().size() != BucketCount || ticker->ticks().value(1) != labels.first()) {
        ticker->clear();
        for (int i = 0; i < BucketCount; ++i)
            ticker->addTick(i + 1, labels[i]);
    }
}

QString TransactionCharts::applicationLabel(const QString &name) const
{
    if (name.isEmpty())
        return tr("(no application_name)");
    if (name.size() <= MaxLabelChars)
        return name;
    return name.left(MaxLabelChars - 1) + QChar(0x2026);
}

void TransactionCharts::rebuildApplications()
{
    auto ticker = m_appsPlot->yAxis->ticker().dynamicCast<QCPAxisTickerText>();
    ticker->clear();
    // Per state only the applications that have sessions in it: a zero-length bar would draw a stray line.
    std::array<QVector<double>, SessionStateCount> keys;
    std::array<QVector<double>, SessionStateCount> values;
    double top = 0;
    const qsizetype shown = std::min<qsizetype>(m_applications.size(), m_appsFit);
    m_appsTitle->setText(
        tr("Sessions by state, top %1 applications").arg(std::min<int>(m_appsFit, TopApplications)));
    for (qsizetype i = 0; i < shown; ++i) {
        const ApplicationStates &app = m_applications[i];
        ticker->addTick(double(i + 1), applicationLabel(app.name));
        for (SessionState state : AllSessionStates) {
            if (app.counts[state] > 0) {
                keys[size_t(state)].append(double(i + 1));
                values[size_t(state)].append(app.counts[state]);
            }
        }
        top = std::max(top, double(app.counts.total()));
    }
    for (SessionState state : AllSessionStates)
        m_stateBars[size_t(state)]->setData(keys[size_t(state)], values[size_t(state)], true);
    // At least five bar slots, so one or two applications do not become slabs.
    m_appsPlot->yAxis->setRange(0.4, double(std::max<qsizetype>(std::min(5, m_appsFit), shown)) + 0.6);
    m_appsPlot->xAxis->setRange(0, niceTop(top, 4));
    m_appsEmpty->setVisible(m_applications.isEmpty());
}

void TransactionCharts::rebuildAges()
{
    QVector<double> keys, xact, horizon;
    keys.reserve(m_history.size());
    xact.reserve(m_history.size());
    horizon.reserve(m_history.size());
    double maxXact = 0, maxHorizon = 0;
    const double last = m_history.isEmpty() ? 0 : m_history.last().t;
    const double first = m_history.isEmpty() ? 0 : m_history.first().t;
    // A young history fills the chart from its first sample (at least a minute), up to the full window.
    const double window = std::clamp(last - first, 60.0, WindowSeconds);
    const double from = last - window;
    for (const AgePoint &p : m_history) {
        if (p.t < from)
            continue;
        keys.append(p.t);
        xact.append(p.xactAge);
        horizon.append(p.horizonAge);
        if (!std::isnan(p.xactAge))
            maxXact = std::max(maxXact, p.xactAge);
        if (!std::isnan(p.horizonAge))
            maxHorizon = std::max(maxHorizon, p.horizonAge);
    }
    m_xactGraph->setData(keys, xact, true);
    m_horizonGraph->setData(keys, horizon, true);
    m_agesPlot->xAxis->setRange(from, std::max(last, from + 1));
    m_agesPlot->yAxis->setRange(0, niceTop(maxXact, 10));
    m_agesPlot->yAxis2->setRange(0, niceTop(maxHorizon, 10));
    m_agesEmpty->setVisible(m_history.isEmpty());
}

void TransactionCharts::updateColors()
{
    const QPalette pal = palette();
    for (QCustomPlot *plot : {m_histogramPlot, m_appsPlot, m_agesPlot})
        styleAxes(plot, pal);
    styleBars(m_idleBars, palette::sessionState(SessionState::IdleInTransaction, pal));
    styleBars(m_abortedBars, palette::sessionState(SessionState::IdleInTransactionAborted, pal));
    for (SessionState state : AllSessionStates)
        styleBars(m_stateBars[size_t(state)], palette::sessionState(state, pal));
    m_xactGraph->setPen(QPen(palette::sessionState(SessionState::IdleInTransaction, pal), 2));
    m_horizonGraph->setPen(QPen(palette::transactionsPerSecond(pal), 1.6, Qt::DashLine));
}

void TransactionCharts::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange) {
        updateColors();
        markDirty(AllCharts, true);
    } else if (event->type() == QEvent::FontChange) {
        for (QCustomPlot *plot : {m_histogramPlot, m_appsPlot, m_agesPlot})
            plot->legend->setFont(font());
        markDirty(AllCharts, true);
    }
    QWidget::changeEvent(event);
}

void TransactionCharts::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    for (QCustomPlot *plot : {m_histogramPlot, m_appsPlot, m_agesPlot})
        fitLegend(plot);
    markDirty(AllCharts, true);
}

} // namespace poolscope::widgets
