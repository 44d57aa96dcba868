#include "postgrespage.h"

#include "core/recorder.h"
#include "ui_postgrespage.h"
#include "widgets/palette.h"
#include "widgets/timechart.h"

namespace poolscope::widgets {

namespace {

QString ageText(double seconds)
{
    if (seconds < 60)
        return QString::number(seconds, 'f', 1) + QStringLiteral(" s");
    if (seconds < 3600)
        return QString::number(int(seconds / 60)) + QStringLiteral(" min ") +
               QString::number(int(seconds) % 60) + QStringLiteral(" s");
    return QString::number(seconds / 3600, 'f', 1) + QStringLiteral(" h");
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

    TimeChart *tps = m_ui->tpsChart;
    tps->setTitle(tr("Transactions per second"));
    tps->setValueLabel(tr("transactions/s"));
    tps->setSeriesSet(set);
    tps->addSeries(series::tps(),
                   tr("commits + rollbacks per second, 10 s average (PostgreSQL 15+ publishes busy sessions' "
                      "counts late)"),
                   &palette::transactionsPerSecond, 1.8);

    m_ui->splitter->setStretchFactor(0, 3);
    m_ui->splitter->setStretchFactor(1, 2);
    m_ui->serverLabel->setText(tr("PostgreSQL"));
    linkCharts();
}

PostgresPage::~PostgresPage() = default;

void PostgresPage::showSnapshot(const TargetSnapshot &snapshot)
{
    markChartsDirty();
    if (!snapshot.ok || !snapshot.postgres)
        return; // keep the last known header; the page banner says what went wrong
    const PostgresSample &pg = *snapshot.postgres;

    m_ui->serverLabel->setText(
        tr("<b>PostgreSQL %1</b>").arg(snapshot.serverVersion.section(QLatin1Char(' '), 0, 0)));

    const int total = pg.counts.total();
    const std::optional<int> usable = pg.usableConnections();
    QString sessions = tr("Sessions: <b>%1</b>").arg(total);
    if (usable)
        sessions += tr(" of %1 usable").arg(*usable);
    if (usable && *usable > 0 && total >= *usable * 0.8) {
        const QColor warn = palette::sessionState(SessionState::IdleInTransactionAborted, palette());
        sessions = QStringLiteral("<span style=\"color:%1\">%2</span>").arg(warn.name(), sessions);
    }
    m_ui->sessionsLabel->setText(sessions);

    const std::optional<double> oldest = pg.oldestXactAge();
    QString oldestText = tr("Oldest transaction: <b>%1</b>").arg(oldest ? ageText(*oldest) : tr("none open"));
    // A transaction open this long holds locks and blocks vacuum: the leak colour.
    if (oldest && *oldest >= 60) {
        const QColor warn = palette::sessionState(SessionState::IdleInTransaction, palette());
        oldestText = QStringLiteral("<span style=\"color:%1\">%2</span>").arg(warn.name(), oldestText);
    }
    m_ui->oldestLabel->setText(oldestText);
}

QList<TimeChart *> PostgresPage::charts() const
{
    return {m_ui->sessionsChart, m_ui->tpsChart};
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
