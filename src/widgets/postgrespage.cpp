#include "postgrespage.h"

#include "core/fleetsummary.h"
#include "core/recorder.h"
#include "ui_postgrespage.h"
#include "widgets/chartparts.h"
#include "widgets/palette.h"
#include "widgets/timechart.h"

#include <QComboBox>
#include <QLocale>
#include <algorithm>
#include <cmath>

namespace poolscope::widgets {

namespace {

QString coloured(const QColor &colour, const QString &html)
{
    return QStringLiteral("<span style=\"color:%1\">%2</span>").arg(colour.name(), html);
}

// The group's peak within [from, to] (rollup maxima count too, so a short burst at 24 h does); 0 when none.
double peakIn(const TimeSeries &ts, double from, double to)
{
    const HistoryPoints p = ts.sample(from, to, 2000);
    double peak = 0;
    for (double v : p.max) {
        if (v > peak) // NaN (a gap) compares false
            peak = v;
    }
    return peak;
}

} // namespace

PostgresPage::PostgresPage(const SeriesSet *set, QWidget *parent)
    : MonitorPage(set, parent), m_ui(std::make_unique<Ui::PostgresPage>())
{
    m_ui->setupUi(this);

    TimeChart *sessions = m_ui->sessionsChart;
    sessions->setTitle(tr("Sessions by state"));
    sessions->setValueLabel(tr("sessions"));
    sessions->setMode(TimeChart::Mode::StackedArea);
    sessions->setIntegerValues(true);
    sessions->setSeriesSet(set);
    for (SessionState state : AllSessionStates) {
        sessions->addSeries(series::sessionState(state), sessionStateName(state),
                            [state](const QPalette &p) { return palette::sessionState(state, p); });
    }
    sessions->setLimitSeries(series::usableLimit(), tr("usable connections"), &palette::limitLine);
    sessions->setLimitAlwaysInRange(false);
    // Long ranges stack per-bucket means; this line keeps the peak of the total (see TimeChart).
    sessions->setStackPeakSeries(series::sessionsTotal(), tr("peak total"), [](const QPalette &p) {
        QColor c = p.color(QPalette::Text);
        c.setAlpha(190);
        return c;
    });

    TimeChart *tps = m_ui->tpsChart;
    tps->setTitle(tr("Transactions per second"));
    tps->setValueLabel(tr("transactions/s"));
    tps->setSeriesSet(set);
    setupTpsSeries();

    TimeChart *groups = m_ui->groupsChart;
    groups->setValueLabel(tr("sessions"));
    groups->setIntegerValues(true);
    groups->setSeriesSet(set);
    m_ui->groupByCombo->addItem(tr("application"), int(GroupDimension::Application));
    m_ui->groupByCombo->addItem(tr("user"), int(GroupDimension::User));
    m_ui->groupByCombo->addItem(tr("database"), int(GroupDimension::Database));
    m_ui->groupByCombo->addItem(tr("client address"), int(GroupDimension::Client));
    connect(m_ui->groupByCombo, &QComboBox::currentIndexChanged, this, [this] { updateGroupSeries(true); });
    connect(groups, &TimeChart::visibleRangeChanged, this, [this] { updateGroupSeries(false); });
    updateGroupSeries(true);

    m_ui->splitter->setStretchFactor(0, 3);
    m_ui->splitter->setStretchFactor(1, 2);
    m_ui->lowerSplitter->setStretchFactor(0, 1);
    m_ui->lowerSplitter->setStretchFactor(1, 1);
    m_ui->lowerSplitter->setSizes({1000, 1000}); // half each: scaled to the width the page gets
    m_ui->serverLabel->setText(tr("PostgreSQL"));
    linkCharts();
    setupTimeControls({m_ui->range5mButton, m_ui->range1hButton, m_ui->range6hButton, m_ui->range24hButton},
                      m_ui->liveButton);
}

PostgresPage::~PostgresPage() = default;

QString PostgresPage::tpsLabel(const RateEstimate &rate)
{
    // Short: the chart shares its row with the groups chart. README explains the windows (PostgreSQL 15+
    // publishes counts late, in lumps).
    switch (rate.status) {
    case RateStatus::Ok:
        return tr("commits + rollbacks, %1 s average").arg(std::lround(rate.windowS));
    case RateStatus::Unpublished:
        return tr("commits + rollbacks: not yet published by the server");
    case RateStatus::Filling:
        break;
    }
    return rate.targetWindowS > 0
               ? tr("commits + rollbacks: filling its %1 s window").arg(std::lround(rate.targetWindowS))
               : tr("commits + rollbacks");
}

void PostgresPage::setupTpsSeries()
{
    TimeChart *tps = m_ui->tpsChart;
    const QString label = tps->seriesLabel(series::tps());
    tps->clearSeries();
    tps->addSeries(series::tps(), label.isEmpty() ? tpsLabel(RateEstimate{}) : label,
                   &palette::transactionsPerSecond, 1.8);
    tps->addSeries(series::rollbacksPerSecond(), tr("rollbacks"), &palette::rollbacksPerSecond, 1.6);
    if (!m_poolerTraffic.isEmpty())
        tps->addSeries(
            series::poolerTps(), tr("through %1 (SHOW STATS, exact)").arg(m_poolerTraffic),
            [](const QPalette &p) { return palette::group(2, p); }, 1.4);
}

void PostgresPage::setPoolerTraffic(const QString &name)
{
    if (name == m_poolerTraffic)
        return;
    m_poolerTraffic = name;
    setupTpsSeries();
}

void PostgresPage::setSessionListAvailable(bool available, const QString &why)
{
    if (!available)
        setGroupDimension(GroupDimension::Database);
    m_ui->groupByCombo->setEnabled(available);
    m_ui->groupByCombo->setToolTip(available ? QString() : why);
}

void PostgresPage::showSnapshot(const TargetSnapshot &snapshot)
{
    markChartsDirty();
    if (!snapshot.ok || !snapshot.postgres)
        return; // keep the last known header; the page banner says what went wrong
    const PostgresSample &pg = *snapshot.postgres;

    m_ui->serverLabel->setText(
        tr("<b>PostgreSQL %1</b>").arg(snapshot.serverVersion.section(QLatin1Char(' '), 0, 0)));

    // The sessions charted, and PoolScope's own connections beside them: both take slots, so the two add
    // up with the headroom to the usable connections.
    const int total = pg.counts.total();
    const std::optional<int> usable = pg.usableConnections();
    QString sessions = tr("Sessions: <b>%1</b>").arg(total);
    if (pg.poolscopeSessions > 0)
        sessions += tr(" + %1 PoolScope").arg(pg.poolscopeSessions);
    if (usable)
        sessions += tr(" of %1 usable").arg(*usable);
    setTip(m_ui->sessionsLabel,
           tr("Client sessions (the chart) and PoolScope's own connections (left out of the chart): both use "
              "connection slots; with the headroom they add up to the connections usable by non-superusers"));
    if (usable && *usable > 0 && pg.clientBackends() >= *usable * 0.8) {
        const QColor warn = palette::sessionState(SessionState::IdleInTransactionAborted, palette());
        sessions = QStringLiteral("<span style=\"color:%1\">%2</span>").arg(warn.name(), sessions);
    }
    m_ui->sessionsLabel->setText(sessions);

    // Read back from Prometheus: the exporter's figure (postgres_exporter's max_tx_duration, PoolScope's
    // own), unknown when it has none; never a "none open" made up from the missing session list.
    const std::optional<double> oldest =
        pg.exported ? pg.exported->oldestXactAgeS : m_glance.of(pg).oldestXactAge(pg.serverNow);
    const bool noneOpen = !oldest ? !pg.exported : pg.exported && *oldest <= 0; // the exporter's 0: none
    QString oldestText = tr("Oldest transaction: <b>%1</b>")
                             .arg(noneOpen ? tr("none open")
                                  : oldest ? ageText(*oldest)
                                           : tr("not exported"));
    // A transaction open this long holds locks and blocks vacuum: the leak colour.
    if (oldest && *oldest >= 60) {
        const QColor warn = palette::sessionState(SessionState::IdleInTransaction, palette());
        oldestText = QStringLiteral("<span style=\"color:%1\">%2</span>").arg(warn.name(), oldestText);
    }
    m_ui->oldestLabel->setText(oldestText);

    m_ui->tpsChart->setSeriesLabel(
        series::tps(),
        pg.exported && pg.transactionRate.status == RateStatus::Ok
            ? tr("commits + rollbacks, %1 s rate()").arg(std::lround(pg.transactionRate.windowS))
            : tpsLabel(pg.transactionRate));
    showHeaderDetails(pg);
    // Which groups are charted is a question of peaks over the whole range: asked once a second (and when the
    // range or dimension changes), not at every sample, and not while the charts are not seen.
    const double t = double(snapshot.sampledAtMs) / 1000.0;
    const bool hidden = !m_ui->groupsChart->isVisible() && window()->isVisible();
    if (!hidden && std::abs(t - m_groupsCheckedAt) >= 1.0) {
        m_groupsCheckedAt = t;
        updateGroupSeries(false);
    }
    replotDueCharts();
}

void PostgresPage::showEvent(QShowEvent *event)
{
    MonitorPage::showEvent(event);
    updateGroupSeries(false);
}

void PostgresPage::showHeaderDetails(const PostgresSample &pg)
{
    const QLocale locale;
    const std::optional<int> usable = pg.usableConnections();
    const std::optional<int> headroom = pg.headroom();
    QString headroomText =
        tr("Headroom: <b>%1</b>").arg(headroom ? locale.toString(*headroom) : tr("unknown"));
    if (headroom && usable && *headroom <= std::max(1, *usable / 10))
        headroomText =
            coloured(palette::sessionState(SessionState::IdleInTransactionAborted, palette()), headroomText);
    m_ui->headroomLabel->setText(headroomText);
    const QString headroomTip = tr("Connections non-superusers can still open: %1 usable minus %2 client "
                                   "backends (PoolScope's own %3 included)");
    setTip(m_ui->headroomLabel,
           headroomTip.arg(usable ? locale.toString(*usable) : tr("unknown"),
                           locale.toString(pg.clientBackends()), locale.toString(pg.poolscopeSessions)));

    auto describe = [&pg](qint64 pid) -> QString {
        for (const Session &s : pg.sessions) {
            if (s.pid != pid)
                continue;
            QString text = QString::number(pid);
            if (!s.applicationName.isEmpty())
                text += QStringLiteral(" ") + s.applicationName;
            if (s.state)
                text += QStringLiteral(", ") + *s.state;
            if (s.stateChange)
                text += QStringLiteral(" ") + ageText(std::max(0.0, pg.serverNow - *s.stateChange));
            return text;
        }
        return QString::number(pid) + tr(" (not a client session PoolScope sees)");
    };
    QString locks;
    QStringList details;
    if (pg.exported) {
        // No session list behind it: the exported count (PoolScope's export) or nothing, and no xmin holder.
        const std::optional<int> waiting = pg.exported->lockWaiting;
        locks = tr("Lock waits: <b>%1</b>").arg(waiting ? QString::number(*waiting) : tr("not exported"));
        if (waiting.value_or(0) > 0)
            locks = coloured(palette::sessionState(SessionState::IdleInTransactionAborted, palette()), locks);
        m_ui->locksLabel->setText(locks);
        setTip(m_ui->locksLabel, tr("Read from Prometheus: sessions waiting on a lock as PoolScope's export "
                                    "counts them; postgres_exporter does not export them"));
        m_ui->xminLabel->setText(tr("Oldest xmin: <b>not exported</b>"));
        setTip(m_ui->xminLabel, tr("Read from Prometheus: which session holds the xmin horizon back needs "
                                   "the session list, which no exporter carries"));
        return;
    }
    if (pg.lockWaiting == 0) {
        locks = tr("Lock waits: <b>none</b>");
    } else {
        locks = tr("Lock waits: <b>%1</b>").arg(pg.lockWaiting);
        if (!pg.rootBlockers.isEmpty()) {
            const qint64 root = pg.rootBlockers.first();
            const QString rootText = tr(", root blocker <b>%1</b> (blocks %2)")
                                         .arg(QString::number(root), QString::number(pg.blockedBehind(root)));
            locks += pg.rootBlockers.size() == 1
                         ? rootText
                         : rootText + tr(" and %n more", nullptr, int(pg.rootBlockers.size() - 1));
        }
        locks = coloured(palette::sessionState(SessionState::IdleInTransactionAborted, palette()), locks);
        for (qint64 root : pg.rootBlockers)
            details.append(tr("root blocker %1: blocks %2")
                               .arg(describe(root), QString::number(pg.blockedBehind(root))));
    }
    m_ui->locksLabel->setText(locks);
    setTip(m_ui->locksLabel, details.isEmpty()
                                 ? tr("Sessions waiting on a heavyweight lock (wait_event_type Lock)")
                                 : details.join(QLatin1Char('\n')));

    const Session *xmin = m_glance.of(pg).oldestXmin();
    QString xminText;
    if (!xmin) {
        xminText = tr("Oldest xmin: <b>none held</b>");
        setTip(m_ui->xminLabel, tr("No client session holds back the xmin horizon"));
    } else {
        // Since its transaction began (unknown on a row hidden by privileges).
        const bool openKnown = xmin->xactStart.has_value();
        const double open = openKnown ? std::max(0.0, pg.serverNow - *xmin->xactStart) : 0.0;
        xminText = tr("Oldest xmin: <b>%1 xids</b> by pid %2, open %3")
                       .arg(locale.toString(*xmin->horizonAge()), QString::number(xmin->pid),
                            openKnown ? ageText(open) : tr("unknown"));
        // Held this long, it keeps vacuum from removing dead rows: the leak colour, as for the oldest
        // transaction.
        if (openKnown && open >= 60)
            xminText = coloured(palette::sessionState(SessionState::IdleInTransaction, palette()), xminText);
        setTip(m_ui->xminLabel, tr("Holds the xmin horizon back: %1 (%2, %3). Vacuum cannot remove rows "
                                   "deleted after its snapshot.")
                                    .arg(describe(xmin->pid), xmin->usename, xmin->datname));
    }
    m_ui->xminLabel->setText(xminText);
}

GroupDimension PostgresPage::groupDimension() const
{
    return GroupDimension(m_ui->groupByCombo->currentData().toInt());
}

void PostgresPage::setGroupDimension(GroupDimension dimension)
{
    m_ui->groupByCombo->setCurrentIndex(m_ui->groupByCombo->findData(int(dimension)));
}

void PostgresPage::updateGroupSeries(bool force)
{
    const GroupDimension d = groupDimension();
    TimeChart *chart = m_ui->groupsChart;
    const SeriesSet *set = seriesSet();
    QStringList shown;
    if (set) {
        // The top N now (at the right edge of the view): the GroupTopN recorded groups with the most sessions
        // there, then, for the places left, the highest peak in the visible range, so the legend stays short
        // however many groups ever made the top N and names what is largest now.
        const double upper = chart->isPaused() ? chart->xAxis->range().upper : set->lastTime();
        const double lower = chart->isPaused() ? chart->xAxis->range().lower : upper - chart->windowSeconds();
        struct Candidate
        {
            QString name;
            double peak;
            double now;
        };
        QList<Candidate> candidates;
        for (const QString &name : recordedGroups(*set, d)) {
            const TimeSeries *ts = set->find(series::group(d, name));
            if (!ts)
                continue;
            const double peak = peakIn(*ts, lower, upper);
            const double now = chart->isPaused() ? ts->valueNear(upper, upper - lower).value_or(0)
                                                 : ts->lastValue().value_or(0);
            if (peak > 0 || now > 0)
                candidates.append({name, peak, std::isnan(now) ? 0 : now});
        }
        std::stable_sort(candidates.begin(), candidates.end(), [](const Candidate &a, const Candidate &b) {
            return a.now != b.now ? a.now > b.now : a.peak > b.peak;
        });
        QHash<QString, int> &colours = m_groupColours[size_t(d)];
        for (const Candidate &c : candidates.mid(0, series::GroupTopN)) {
            if (!colours.contains(c.name))
                colours.insert(c.name, int(colours.size()));
            shown.append(c.name);
        }
        // Legend in first-seen order, the order of the colours: a group entering never reshuffles the others.
        std::sort(shown.begin(), shown.end(), [&colours](const QString &a, const QString &b) {
            return colours.value(a) < colours.value(b);
        });
    }
    if (!force && shown == m_shownGroups)
        return;
    m_shownGroups = shown;
    chart->clearSeries();
    chart->setTitle(tr("Sessions by %1, top %2")
                        .arg(m_ui->groupByCombo->currentText(), QString::number(series::GroupTopN)));
    const QHash<QString, int> &colours = m_groupColours[size_t(d)];
    for (const QString &name : shown) {
        const int index = colours.value(name);
        chart->addSeries(series::group(d, name), groupLabel(d, name, 40),
                         [index](const QPalette &p) { return palette::group(index, p); });
    }
    chart->addSeries(series::groupOthers(d), tr("others (outside the top %1)").arg(series::GroupTopN),
                     &palette::groupOthers, 1.2);
}

QList<TimeChart *> PostgresPage::charts() const
{
    return {m_ui->sessionsChart, m_ui->tpsChart, m_ui->groupsChart};
}

TimeChart *PostgresPage::groupsChart() const
{
    return m_ui->groupsChart;
}

TimeChart *PostgresPage::sessionsChart() const
{
    return m_ui->sessionsChart;
}

TimeChart *PostgresPage::tpsChart() const
{
    return m_ui->tpsChart;
}

} // namespace poolscope::widgets
