#include "bouncerpage.h"

#include "core/recorder.h"
#include "models/poolsmodel.h"
#include "ui_bouncerpage.h"
#include "widgets/palette.h"
#include "widgets/timechart.h"

#include <QHeaderView>
#include <QSignalBlocker>
#include <QSortFilterProxyModel>

namespace poolscope::widgets {

namespace {

bool isConsole(const QString &key)
{
    return key.startsWith(QLatin1String("pgbouncer/"));
}

} // namespace

BouncerPage::BouncerPage(const SeriesSet *set, QWidget *parent)
    : MonitorPage(set, parent), m_ui(std::make_unique<Ui::BouncerPage>()),
      m_pools(new models::PoolsModel(this)), m_proxy(new QSortFilterProxyModel(this))
{
    m_ui->setupUi(this);

    TimeChart *occupancy = m_ui->occupancyChart;
    occupancy->setTitle(tr("Pool occupancy"));
    occupancy->setValueLabel(tr("connections"));
    occupancy->setIntegerValues(true);
    occupancy->setSeriesSet(set);

    TimeChart *maxwait = m_ui->maxwaitChart;
    maxwait->setTitle(tr("Oldest client wait (maxwait)"));
    maxwait->setValueLabel(tr("seconds"));
    maxwait->setSeriesSet(set);

    m_proxy->setSourceModel(m_pools);
    m_proxy->setSortRole(models::PoolsModel::SortRole);
    m_ui->poolsTable->setModel(m_proxy);
    m_ui->poolsTable->sortByColumn(models::PoolsModel::Database, Qt::AscendingOrder);
    QHeaderView *header = m_ui->poolsTable->horizontalHeader();
    header->setSectionResizeMode(QHeaderView::ResizeToContents);
    header->setSectionResizeMode(models::PoolsModel::MaxWait, QHeaderView::Stretch);
    m_ui->poolsTable->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);

    m_ui->splitter->setStretchFactor(0, 4);
    m_ui->splitter->setStretchFactor(1, 2);
    m_ui->splitter->setStretchFactor(2, 2);
    m_ui->serverLabel->setText(tr("PgBouncer"));

    connect(m_ui->poolCombo, &QComboBox::currentIndexChanged, this, [this](int index) {
        if (index < 0)
            return;
        m_userChosePool = true;
        chartPool(m_ui->poolCombo->itemData(index).toString());
    });
    connect(m_ui->poolsTable, &QAbstractItemView::activated, this, [this](const QModelIndex &index) {
        setCurrentPool(index.data(models::PoolsModel::KeyRole).toString());
    });
    linkCharts();
    setupTimeControls({m_ui->range5mButton, m_ui->range1hButton, m_ui->range6hButton, m_ui->range24hButton},
                      m_ui->liveButton);
}

BouncerPage::~BouncerPage() = default;

QList<TimeChart *> BouncerPage::charts() const
{
    return {m_ui->occupancyChart, m_ui->maxwaitChart};
}

QString BouncerPage::currentPool() const
{
    return m_chartedPool;
}

void BouncerPage::setCurrentPool(const QString &key)
{
    const int index = m_ui->poolCombo->findData(key);
    if (index >= 0)
        m_ui->poolCombo->setCurrentIndex(index); // charts it through currentIndexChanged
}

void BouncerPage::showSnapshot(const TargetSnapshot &snapshot)
{
    markChartsDirty();
    if (!snapshot.ok || !snapshot.bouncer)
        return;
    const QList<PoolStats> &pools = snapshot.bouncer->pools;
    m_pools->merge(pools);
    updatePoolChoices(pools);

    // server_version reads "1.18.0/bouncer".
    const QString version =
        snapshot.serverVersion.section(QLatin1Char(' '), 0, 0).section(QLatin1Char('/'), 0, 0);
    m_ui->serverLabel->setText(tr("<b>PgBouncer %1</b>").arg(version));
    qint64 waiting = 0;
    double longest = 0;
    for (const PoolStats &p : pools) {
        waiting += p.clWaiting.value_or(0);
        longest = std::max(longest, p.maxwaitSeconds.value_or(0));
    }
    QString text = tr("Clients waiting in all pools: <b>%1</b>").arg(waiting);
    if (waiting > 0) {
        text += tr(", the longest for <b>%1 s</b>").arg(longest, 0, 'f', 2);
        const QColor queue = palette::poolMetric(QStringLiteral("cl_waiting"), palette());
        text = QStringLiteral("<span style=\"color:%1\">%2</span>").arg(queue.name(), text);
    }
    m_ui->waitingLabel->setText(text);
}

void BouncerPage::updatePoolChoices(const QList<PoolStats> &pools)
{
    QComboBox *combo = m_ui->poolCombo;
    {
        // Programmatic changes do not count as the user's choice.
        const QSignalBlocker blocker(combo);
        for (const PoolStats &p : pools) {
            const QString key = p.key();
            if (combo->findData(key) < 0)
                combo->addItem(p.database + QStringLiteral(" / ") + p.user, key);
        }
    }
    if (m_userChosePool && !m_chartedPool.isEmpty())
        return;
    // Default: the first application pool; the admin console only when there is nothing else.
    QString wanted;
    for (const PoolStats &p : pools) {
        if (!isConsole(p.key())) {
            wanted = p.key();
            break;
        }
    }
    if (wanted.isEmpty() && m_chartedPool.isEmpty() && !pools.isEmpty())
        wanted = pools.first().key();
    if (wanted.isEmpty() || wanted == m_chartedPool)
        return;
    {
        const QSignalBlocker blocker(combo);
        combo->setCurrentIndex(combo->findData(wanted));
    }
    chartPool(wanted);
}

void BouncerPage::chartPool(const QString &key)
{
    if (key == m_chartedPool)
        return;
    m_chartedPool = key;

    TimeChart *occupancy = m_ui->occupancyChart;
    occupancy->clearSeries();
    for (const QString &metric : series::poolMetrics()) {
        if (metric == QLatin1String("pool_size") || metric == QLatin1String("maxwait_s"))
            continue;
        occupancy->addSeries(
            series::pool(key, metric), metric,
            [metric](const QPalette &p) { return palette::poolMetric(metric, p); },
            palette::poolMetricWidth(metric));
    }
    occupancy->setLimitSeries(series::pool(key, QStringLiteral("pool_size")), QStringLiteral("pool_size"),
                              &palette::limitLine);
    occupancy->setTitle(tr("Pool occupancy: %1").arg(key));

    TimeChart *maxwait = m_ui->maxwaitChart;
    maxwait->clearSeries();
    maxwait->addSeries(
        series::pool(key, QStringLiteral("maxwait_s")), tr("oldest waiting client"),
        [](const QPalette &p) { return palette::poolMetric(QStringLiteral("maxwait_s"), p); },
        palette::poolMetricWidth(QStringLiteral("maxwait_s")));
    maxwait->setTitle(tr("Oldest client wait (maxwait): %1").arg(key));
}

} // namespace poolscope::widgets
