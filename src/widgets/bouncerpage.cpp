#include "bouncerpage.h"

#include "core/logging.h"
#include "core/readonly.h"
#include "core/recorder.h"
#include "core/taskpool.h"
#include "db/pooleraction.h"
#include "models/bouncerconnectionsmodel.h"
#include "models/poolsmodel.h"
#include "ui_bouncerpage.h"
#include "widgets/nowrap.h"
#include "widgets/palette.h"
#include "widgets/tableexport.h"
#include "widgets/timechart.h"

#include <QAction>
#include <QDateTime>
#include <QHeaderView>
#include <QJsonObject>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSortFilterProxyModel>
#include <tuple>

namespace poolscope::widgets {

namespace {

bool isConsole(const QString &key)
{
    return key.startsWith(QLatin1String("pgbouncer/"));
}

// How bad a pool is, for the default choice: saturated, then the queue, its age, then how busy.
std::tuple<int, qint64, double, double> badness(const PoolStats &p)
{
    return {p.saturated() ? 1 : 0, p.clWaiting.value_or(0), p.maxwaitSeconds.value_or(0),
            p.busyFraction().value_or(0)};
}

// The stacked server states: series metric, legend label, and whether the pool's shape reports it.
struct ServerState
{
    const char *metric;
    const char *label;
    bool (*known)(const PoolStats &);
};
const ServerState ServerStates[] = {
    {"sv_active", QT_TRANSLATE_NOOP("BouncerPage", "active"),
     [](const PoolStats &p) {
         return bool(p.svActive);
     }},
    {"sv_idle", QT_TRANSLATE_NOOP("BouncerPage", "idle"),
     [](const PoolStats &p) {
         return bool(p.svIdle);
     }},
    {"sv_used", QT_TRANSLATE_NOOP("BouncerPage", "used"),
     [](const PoolStats &p) {
         return bool(p.svUsed);
     }},
    {"sv_tested", QT_TRANSLATE_NOOP("BouncerPage", "tested"),
     [](const PoolStats &p) {
         return bool(p.svTested);
     }},
    {"sv_login", QT_TRANSLATE_NOOP("BouncerPage", "login"),
     [](const PoolStats &p) {
         return bool(p.svLogin);
     }},
    {"sv_cancel", QT_TRANSLATE_NOOP("BouncerPage", "cancel"),
     [](const PoolStats &p) {
         return p.svActiveCancel || p.svBeingCanceled;
     }},
};

TimeChart::ColorFunction metricColor(const QString &metric)
{
    return [metric](const QPalette &p) {
        return palette::poolMetric(metric, p);
    };
}

QString figure(const QString &name, const QString &value)
{
    return QStringLiteral("%1 <b>%2</b>").arg(name.toHtmlEscaped(), value.toHtmlEscaped());
}

QString percent(const std::optional<double> &fraction)
{
    return fraction ? QStringLiteral("%1 %").arg(*fraction * 100, 0, 'f', 0)
                    : models::PoolsModel::unknownText();
}

QString rate(const std::optional<double> &v, const QString &unit = {})
{
    if (!v)
        return models::PoolsModel::unknownText();
    const QString n = QString::number(*v, 'f', std::abs(*v) >= 100 ? 0 : 1);
    return unit.isEmpty() ? n : n + QLatin1Char(' ') + unit;
}

QString commandTitle(PoolerCommand command)
{
    switch (command) {
    case PoolerCommand::Reconnect:
        return BouncerPage::tr("Reconnect");
    case PoolerCommand::KillClient:
        return BouncerPage::tr("Kill client");
    case PoolerCommand::Kill:
        return BouncerPage::tr("Kill");
    case PoolerCommand::Resume:
        return BouncerPage::tr("Resume");
    }
    return {};
}

} // namespace

BouncerPage::BouncerPage(const SeriesSet *set, QWidget *parent)
    : MonitorPage(set, parent), m_ui(std::make_unique<Ui::BouncerPage>()),
      m_pools(new models::PoolsModel(this)), m_proxy(new QSortFilterProxyModel(this)),
      m_clients(new models::BouncerConnectionsModel(models::BouncerConnectionsModel::Side::Clients, this)),
      m_servers(new models::BouncerConnectionsModel(models::BouncerConnectionsModel::Side::Servers, this)),
      m_clientsProxy(new QSortFilterProxyModel(this)), m_serversProxy(new QSortFilterProxyModel(this)),
      m_reconnectAction(new QAction(tr("Reconnect"), this)), m_killAction(new QAction(tr("Kill…"), this)),
      m_resumeAction(new QAction(tr("Resume"), this)),
      m_killClientAction(new QAction(tr("Kill client…"), this))
{
    m_ui->setupUi(this);

    TimeChart *servers = m_ui->serversChart;
    servers->setTitle(tr("Server connections"));
    servers->setValueLabel(tr("connections"));
    servers->setMode(TimeChart::Mode::StackedArea);
    servers->setIntegerValues(true);
    servers->setSeriesSet(set);

    TimeChart *clients = m_ui->clientsChart;
    clients->setTitle(tr("Clients"));
    clients->setValueLabel(tr("clients"));
    clients->setIntegerValues(true);
    clients->setSeriesSet(set);

    TimeChart *queue = m_ui->queueChart;
    queue->setTitle(tr("Queue age"));
    queue->setValueLabel(tr("seconds"));
    // query_wait_timeout (120 s by default) would flatten a queue of a few seconds: it joins the range
    // only once the queue gets near it; the legend says it is above the chart otherwise.
    queue->setLimitAlwaysInRange(false);
    queue->setSeriesSet(set);

    m_pools->setHighlightColors(palette::poolSaturated(palette()), palette::onPoolSaturated(palette()),
                                palette::poolMetric(QStringLiteral("cl_waiting"), palette()), Qt::white);
    m_proxy->setSourceModel(m_pools);
    m_proxy->setSortRole(models::PoolsModel::SortRole);
    m_ui->poolsTable->setModel(m_proxy);
    m_ui->poolsTable->sortByColumn(models::PoolsModel::Database, Qt::AscendingOrder);
    QHeaderView *header = m_ui->poolsTable->horizontalHeader();
    header->setSectionResizeMode(QHeaderView::ResizeToContents);
    header->setStretchLastSection(true);
    m_ui->poolsTable->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);

    for (auto [table, proxy, model] : {std::tuple{m_ui->clientsTable, m_clientsProxy, m_clients},
                                       std::tuple{m_ui->serversTable, m_serversProxy, m_servers}}) {
        proxy->setSourceModel(model);
        proxy->setSortRole(models::BouncerConnectionsModel::SortRole);
        proxy->setFilterKeyColumn(-1);
        proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
        table->setModel(proxy);
        table->sortByColumn(models::BouncerConnectionsModel::ConnectTime, Qt::AscendingOrder);
        table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
        // The link (the other side's address or backend) takes the spare width, not the short id.
        table->horizontalHeader()->setSectionResizeMode(models::BouncerConnectionsModel::Link,
                                                        QHeaderView::Stretch);
        table->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    }
    connect(m_ui->filterEdit, &QLineEdit::textChanged, this, [this](const QString &text) {
        m_clientsProxy->setFilterFixedString(text);
        m_serversProxy->setFilterFixedString(text);
    });

    // Server connections get the most room; the clients and queue charts enough for readable integer
    // ticks; the pools table a few rows (it scrolls). setSizes() is proportional until the first layout.
    m_ui->splitter->setStretchFactor(0, 5);
    m_ui->splitter->setStretchFactor(1, 4);
    m_ui->splitter->setStretchFactor(2, 2);
    m_ui->splitter->setSizes({450, 330, 170});
    m_ui->lowerCharts->setSizes({500, 500});
    m_ui->clientsChart->setMinimumHeight(200);
    m_ui->queueChart->setMinimumHeight(200);
    m_ui->poolsTable->setMinimumHeight(110);
    m_ui->serverLabel->setText(tr("PgBouncer"));
    m_ui->clientsLabel->setText(tr("<b>Clients</b>"));
    m_ui->serversLabel->setText(tr("<b>Servers</b>"));
    m_ui->takenLabel->setText(tr("not taken yet"));

    connect(m_ui->poolCombo, &QComboBox::currentIndexChanged, this, [this](int index) {
        if (index < 0)
            return;
        m_userChosePool = true;
        chartPool(m_ui->poolCombo->itemData(index).toString());
    });
    connect(m_ui->poolsTable, &QAbstractItemView::activated, this, [this](const QModelIndex &index) {
        setCurrentPool(index.data(models::PoolsModel::KeyRole).toString());
    });
    connect(m_ui->poolsTable->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &BouncerPage::updateActions);
    connect(m_ui->clientsTable->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &BouncerPage::updateActions);
    connect(m_ui->poolsTable, &QWidget::customContextMenuRequested, this, &BouncerPage::showPoolMenu);
    connect(m_ui->clientsTable, &QWidget::customContextMenuRequested, this, &BouncerPage::showClientMenu);
    m_ui->serversTable->setContextMenuPolicy(Qt::DefaultContextMenu); // no actions of its own: export only
    installTableExport(m_ui->poolsTable, tr("pools"));
    installTableExport(m_ui->clientsTable, tr("pooler-clients"));
    installTableExport(m_ui->serversTable, tr("pooler-servers"));

    connect(m_reconnectAction, &QAction::triggered, this,
            [this] { requestAction(PoolerCommand::Reconnect, actionDatabase()); });
    connect(m_killAction, &QAction::triggered, this,
            [this] { requestAction(PoolerCommand::Kill, actionDatabase()); });
    connect(m_resumeAction, &QAction::triggered, this,
            [this] { requestAction(PoolerCommand::Resume, actionDatabase()); });
    connect(m_killClientAction, &QAction::triggered, this,
            [this] { requestAction(PoolerCommand::KillClient, selectedClientId()); });
    connect(m_ui->reconnectButton, &QPushButton::clicked, m_reconnectAction, &QAction::trigger);
    connect(m_ui->killButton, &QPushButton::clicked, m_killAction, &QAction::trigger);
    connect(m_ui->resumeButton, &QPushButton::clicked, m_resumeAction, &QAction::trigger);
    connect(m_ui->killClientButton, &QPushButton::clicked, m_killClientAction, &QAction::trigger);

    connect(m_ui->refreshButton, &QPushButton::clicked, this, [this] {
        m_refreshing = true;
        updateTakenLabel();
        Q_EMIT connectionsRefreshRequested();
    });
    m_takenTimer.setInterval(1000);
    connect(&m_takenTimer, &QTimer::timeout, this, &BouncerPage::updateTakenLabel);
    m_takenTimer.start();

    linkCharts();
    setupTimeControls({m_ui->range5mButton, m_ui->range1hButton, m_ui->range6hButton, m_ui->range24hButton},
                      m_ui->liveButton);
    updateFigures();
    updateActions();
}

BouncerPage::~BouncerPage() = default;

QList<TimeChart *> BouncerPage::charts() const
{
    return {m_ui->serversChart, m_ui->clientsChart, m_ui->queueChart};
}

QString BouncerPage::currentPool() const
{
    return m_chartedPool;
}

void BouncerPage::setCurrentPool(const QString &key)
{
    const int index = m_ui->poolCombo->findData(key);
    if (index < 0)
        return;
    if (index == m_ui->poolCombo->currentIndex()) {
        m_userChosePool = true;
        chartPool(key);
    } else {
        m_ui->poolCombo->setCurrentIndex(index); // charts it through currentIndexChanged
    }
}

const PoolStats *BouncerPage::pool(const QString &key) const
{
    if (!m_sample)
        return nullptr;
    for (const PoolStats &p : m_sample->pools) {
        if (p.key() == key)
            return &p;
    }
    return nullptr;
}

void BouncerPage::showSnapshot(const TargetSnapshot &snapshot)
{
    markChartsDirty();
    if (!snapshot.ok || !snapshot.bouncer)
        return;
    m_sample = *snapshot.bouncer;
    m_sampledAtMs = snapshot.sampledAtMs;
    const QList<PoolStats> &pools = m_sample->pools;
    m_pools->merge(pools);
    updatePoolChoices(pools);
    // The pool's shape (states it reports, unlimited, reserve) can change with a reload.
    chartPool(m_chartedPool);

    QString version = m_sample->versionText;
    if (version.isEmpty()) // server_version reads "1.18.0/bouncer"
        version = QStringLiteral("PgBouncer ") +
                  snapshot.serverVersion.section(QLatin1Char(' '), 0, 0).section(QLatin1Char('/'), 0, 0);
    QString server = QStringLiteral("<b>%1</b>").arg(version.toHtmlEscaped());
    if (m_sample->access == ConsoleAccess::StatsOnly)
        server += tr(" · stats user %1").arg(m_sample->consoleUser.toHtmlEscaped());
    if (m_sample->paused.value_or(false))
        server += tr(" · <b>paused</b>");
    m_ui->serverLabel->setText(server);

    qint64 waiting = 0;
    double longest = 0;
    int saturated = 0;
    for (const PoolStats &p : pools) {
        waiting += p.clWaiting.value_or(0);
        longest = std::max(longest, p.maxwaitSeconds.value_or(0));
        saturated += p.saturated() ? 1 : 0;
    }
    QString text = tr("Clients waiting in all pools: <b>%1</b>").arg(waiting);
    if (waiting > 0) {
        text += tr(", the longest for <b>%1 s</b>").arg(longest, 0, 'f', 1);
        if (saturated > 0)
            text += saturated == 1 ? tr(" · <b>1 pool saturated</b>")
                                   : tr(" · <b>%1 pools saturated</b>").arg(saturated);
        const QColor queue = palette::poolMetric(QStringLiteral("cl_waiting"), palette());
        text = QStringLiteral("<span style=\"color:%1\">%2</span>").arg(queue.name(), text);
    }
    m_ui->waitingLabel->setText(text);

    updateConnections(*m_sample);
    updateFigures();
    updateActions();
    replotDueCharts();
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
    // Default: the worst application pool; it changes only when another one is strictly worse, so equal
    // pools do not take turns. The admin console only when there is nothing else.
    const PoolStats *current = pool(m_chartedPool);
    const PoolStats *worst = current && !isConsole(current->key()) ? current : nullptr;
    for (const PoolStats &p : pools) {
        if (isConsole(p.key()))
            continue;
        if (!worst || badness(p) > badness(*worst))
            worst = &p;
    }
    QString wanted = worst ? worst->key() : QString();
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

QString BouncerPage::chartShape(const PoolStats *p) const
{
    if (!p)
        return QStringLiteral("?");
    QString shape;
    for (const ServerState &s : ServerStates)
        shape += s.known(*p) ? QLatin1Char('1') : QLatin1Char('0');
    shape += p->unlimited() ? QStringLiteral(" unlimited") : QString();
    shape += p->poolSize ? QStringLiteral(" sized") : QString();
    shape += p->reservePool.value_or(0) > 0 ? QStringLiteral(" reserve") : QString();
    return shape;
}

void BouncerPage::chartPool(const QString &key, bool force)
{
    if (key.isEmpty())
        return;
    const PoolStats *p = pool(key);
    const QString shape = chartShape(p);
    if (!force && key == m_chartedPool && shape == m_chartedShape)
        return;
    m_chartedPool = key;
    m_chartedShape = shape;

    TimeChart *servers = m_ui->serversChart;
    servers->clearSeries();
    for (const ServerState &s : ServerStates) {
        // A state the pooler does not report (sv_used on Odyssey, cancels before 1.18) would break the
        // stack above it: it is left out rather than drawn as a gap.
        if (p && !s.known(*p))
            continue;
        const QString metric = QString::fromLatin1(s.metric);
        servers->addSeries(series::pool(key, metric), tr(s.label), metricColor(metric));
    }
    servers->setStackPeakSeries(series::pool(key, QStringLiteral("sv_total")), tr("peak total"),
                                &palette::limitLine);
    QString title = tr("Server connections of %1").arg(key);
    if (p && p->unlimited()) {
        title += tr("  · pool_size unlimited");
    } else {
        servers->setLimitSeries(series::pool(key, QStringLiteral("pool_size")), QStringLiteral("pool_size"),
                                &palette::limitLine);
        if (p && p->reservePool.value_or(0) > 0)
            servers->addLimitSeries(series::pool(key, QStringLiteral("pool_reserve_limit")),
                                    tr("pool_size + reserve"), &palette::limitLine, Qt::DotLine);
    }
    servers->setTitle(title);

    TimeChart *clients = m_ui->clientsChart;
    clients->clearSeries();
    for (const QString &metric : {QStringLiteral("cl_active"), QStringLiteral("cl_waiting")})
        clients->addSeries(series::pool(key, metric), metric, metricColor(metric),
                           palette::poolMetricWidth(metric));
    clients->setTitle(tr("Clients of %1: active vs waiting").arg(key));

    TimeChart *queue = m_ui->queueChart;
    queue->clearSeries();
    const QString maxwait = QStringLiteral("maxwait_s");
    queue->addSeries(series::pool(key, maxwait), tr("oldest waiting client"), metricColor(maxwait),
                     palette::poolMetricWidth(maxwait));
    queue->setLimitSeries(series::queryWaitTimeout(), QStringLiteral("query_wait_timeout"),
                          &palette::limitLine);
    queue->setTitle(tr("Queue age (maxwait) of %1").arg(key));
    updateFigures();
    updateActions();
}

void BouncerPage::updateFigures()
{
    const PoolStats *p = pool(m_chartedPool);
    const QString unknown = models::PoolsModel::unknownText();
    m_ui->busyLabel->setText(figure(tr("Busy"), p ? percent(p->busyFraction()) : unknown));
    m_ui->openLabel->setText(figure(tr("Open"), p ? percent(p->openFraction()) : unknown));
    m_ui->tpsLabel->setText(figure(tr("TPS"), p ? rate(p->tps) : unknown));
    m_ui->qpsLabel->setText(figure(tr("QPS"), p ? rate(p->qps) : unknown));
    // PgBouncer credits a transaction's times when it ends: this is about finished transactions only, and
    // says nothing of those still held open (the PostgreSQL page shows those, idle in transaction).
    m_ui->idleXactLabel->setText(
        figure(tr("Idle in finished xacts"), p ? rate(p->idleInXactMs, tr("ms each")) : unknown));
    QString state = unknown;
    if (p && m_sample) {
        if (const BouncerDatabase *db = m_sample->database(p->database)) {
            QStringList flags;
            if (db->paused.value_or(false))
                flags.append(tr("paused"));
            if (db->disabled.value_or(false))
                flags.append(tr("disabled"));
            if (flags.isEmpty() && (db->paused || db->disabled))
                flags.append(tr("running"));
            if (!flags.isEmpty())
                state = flags.join(QStringLiteral(", "));
        }
    }
    const bool alarming = state.contains(tr("paused")) || state.contains(tr("disabled"));
    QString stateText = figure(tr("Database"), state);
    if (alarming)
        stateText = QStringLiteral("<span style=\"color:%1\">%2</span>")
                        .arg(palette::poolMetric(QStringLiteral("cl_waiting"), palette()).name(), stateText);
    m_ui->dbStateLabel->setText(stateText);
}

void BouncerPage::setLiveAvailable(bool available)
{
    MonitorPage::setLiveAvailable(available);
    m_ui->refreshButton->setVisible(available);
}

void BouncerPage::updateConnections(const BouncerSample &sample)
{
    if (sample.clients)
        m_clients->merge(*sample.clients, sample.servers.value_or(QList<BouncerConnection>{}));
    if (sample.servers)
        m_servers->merge(*sample.servers, sample.clients.value_or(QList<BouncerConnection>{}));
    if (sample.connectionsFresh)
        m_refreshing = false;
    m_ui->clientsLabel->setText(sample.clients ? tr("<b>Clients</b> (%1)").arg(sample.clients->size())
                                               : tr("<b>Clients</b>"));
    m_ui->serversLabel->setText(sample.servers ? tr("<b>Servers</b> (%1)").arg(sample.servers->size())
                                               : tr("<b>Servers</b>"));
    updateTakenLabel();
}

void BouncerPage::setConnectionsUnavailable(const QString &why)
{
    m_noConnectionsWhy = why;
    for (QWidget *w :
         {static_cast<QWidget *>(m_ui->refreshButton), static_cast<QWidget *>(m_ui->clientsTable),
          static_cast<QWidget *>(m_ui->serversTable), static_cast<QWidget *>(m_ui->filterEdit)})
        w->setEnabled(why.isEmpty());
    updateTakenLabel();
}

void BouncerPage::updateTakenLabel()
{
    QString text;
    if (!m_noConnectionsWhy.isEmpty()) {
        m_ui->takenLabel->setText(m_noConnectionsWhy);
        return;
    }
    if (!m_sample || (!m_sample->clients && m_sample->connectionsAtMs == 0)) {
        text = m_sample ? tr("SHOW CLIENTS / SERVERS not taken yet") : tr("not taken yet");
    } else {
        // Before the sample shown (live: now; in a replay: the moment shown).
        const qint64 shownAt = m_sampledAtMs > 0 ? m_sampledAtMs : QDateTime::currentMSecsSinceEpoch();
        const qint64 ago = std::max<qint64>(0, shownAt - m_sample->connectionsAtMs);
        text = tr("taken at %1 (%2 s before this sample)")
                   .arg(QDateTime::fromMSecsSinceEpoch(m_sample->connectionsAtMs)
                            .toString(QStringLiteral("HH:mm:ss")))
                   .arg(ago / 1000);
    }
    if (m_refreshing)
        text += tr(" · refreshing…");
    m_ui->takenLabel->setText(text);
}

ActionAvailability BouncerPage::actionAvailability(PoolerCommand command, const QString &argument) const
{
    if (!m_actionsEnabled)
        return {false, m_actionsReason.isEmpty() ? tr("read-only mode") : m_actionsReason};
    if (m_conninfo.isEmpty())
        return {false, tr("no console connection to act on")};
    if (!m_sample)
        return {false, tr("no sample of the console yet")};
    if (m_running)
        return {false, tr("another pooler action is running")};
    ActionAvailability a = poolerActionAvailability(*m_sample, command, argument);
    if (a.enabled && argument.isEmpty())
        a = {false, command == PoolerCommand::KillClient ? tr("select a client") : tr("select a pool")};
    return a;
}

QString BouncerPage::actionDatabase() const
{
    const QModelIndexList rows = m_ui->poolsTable->selectionModel()->selectedRows();
    if (!rows.isEmpty())
        return rows.first().data(models::PoolsModel::SortRole).toString(); // column 0: the database
    const PoolStats *p = pool(m_chartedPool);
    return p ? p->database : QString();
}

QString BouncerPage::selectedClientId() const
{
    const QModelIndexList rows = m_ui->clientsTable->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return {};
    const QVariant id = rows.first().data(models::BouncerConnectionsModel::IdRole);
    return id.isValid() ? QString::number(id.toLongLong()) : QString();
}

void BouncerPage::applyAvailability(QAction *action, const ActionAvailability &a, const QString &what)
{
    action->setEnabled(a.enabled);
    const QString tip = a.enabled ? what : tr("Unavailable: %1").arg(a.reason);
    action->setToolTip(tip);
    action->setStatusTip(tip);
}

void BouncerPage::updateActions()
{
    const QString db = actionDatabase();
    const QString client = selectedClientId();
    applyAvailability(
        m_reconnectAction, actionAvailability(PoolerCommand::Reconnect, db),
        tr("RECONNECT %1: each server connection closes when next released (graceful)").arg(db));
    applyAvailability(m_killAction, actionAvailability(PoolerCommand::Kill, db),
                      tr("KILL %1, then RESUME %1: drops every client and server connection of it").arg(db));
    applyAvailability(m_resumeAction, actionAvailability(PoolerCommand::Resume, db),
                      tr("RESUME %1 after a PAUSE or KILL left it paused").arg(db));
    // Without a selection the reason is the version's on 1.18-1.23, "a client id is needed" on 1.24+.
    applyAvailability(m_killClientAction, actionAvailability(PoolerCommand::KillClient, client),
                      tr("KILL_CLIENT %1: drops this client and its server connection").arg(client));

    const QString shown = db.isEmpty() ? QString() : QStringLiteral(" ") + db;
    m_reconnectAction->setText(tr("Reconnect%1").arg(shown));
    m_killAction->setText(tr("Kill%1…").arg(shown));
    m_resumeAction->setText(tr("Resume%1").arg(shown));
    for (auto [button, action] :
         {std::pair{m_ui->reconnectButton, m_reconnectAction}, std::pair{m_ui->killButton, m_killAction},
          std::pair{m_ui->resumeButton, m_resumeAction},
          std::pair{m_ui->killClientButton, m_killClientAction}}) {
        button->setText(action->text());
        button->setEnabled(action->isEnabled());
        button->setToolTip(action->toolTip());
        button->setStatusTip(action->statusTip());
    }
}

void BouncerPage::showPoolMenu(const QPoint &pos)
{
    const QModelIndex index = m_ui->poolsTable->indexAt(pos);
    if (index.isValid())
        m_ui->poolsTable->selectRow(index.row());
    updateActions();
    QMenu menu(this);
    menu.setToolTipsVisible(true);
    menu.addAction(m_reconnectAction);
    menu.addAction(m_killAction);
    menu.addAction(m_resumeAction);
    addTableExport(menu, m_ui->poolsTable);
    menu.exec(m_ui->poolsTable->viewport()->mapToGlobal(pos));
}

void BouncerPage::showClientMenu(const QPoint &pos)
{
    const QModelIndex index = m_ui->clientsTable->indexAt(pos);
    if (index.isValid())
        m_ui->clientsTable->selectRow(index.row());
    updateActions();
    QMenu menu(this);
    menu.setToolTipsVisible(true);
    menu.addAction(m_killClientAction);
    addTableExport(menu, m_ui->clientsTable);
    menu.exec(m_ui->clientsTable->viewport()->mapToGlobal(pos));
}

void BouncerPage::setActionConnInfo(const QString &conninfo, const QString &target)
{
    m_conninfo = conninfo;
    m_target = target;
    updateActions();
}

void BouncerPage::setActionsEnabled(bool enabled, const QString &reason)
{
    m_actionsEnabled = enabled;
    m_actionsReason = reason;
    updateActions();
}

void BouncerPage::requestAction(PoolerCommand command, const QString &argument)
{
    const QString name = poolerCommandName(command);
    if (m_running)
        return;
    if (readonly::isReadOnly() || !m_actionsEnabled) {
        QJsonObject fields;
        fields.insert(QStringLiteral("argument"), argument);
        readonly::recordRefusal(QStringLiteral("pooler.") + name, m_target, fields);
        Q_EMIT statusMessage(tr("%1 %2 refused: %3")
                                 .arg(commandTitle(command), argument,
                                      m_actionsReason.isEmpty() ? tr("read-only mode") : m_actionsReason));
        return;
    }
    const ActionAvailability a = actionAvailability(command, argument);
    if (!a.enabled) {
        Q_EMIT statusMessage(tr("%1 %2 is unavailable: %3").arg(commandTitle(command), argument, a.reason));
        return;
    }

    const QString preview = poolerActionPreview(*m_sample, command, argument);
    QMessageBox box(QMessageBox::Warning, tr("%1 %2 on %3?").arg(commandTitle(command), argument, m_target),
                    keepValuesTogether(preview), QMessageBox::Yes | QMessageBox::No, this);
    box.setInformativeText(command == PoolerCommand::Kill
                               ? tr("The clients lose their connections and open transactions roll back. "
                                    "RESUME follows at once, so new clients can connect again.")
                               : QString());
    box.setDefaultButton(QMessageBox::No);
    box.button(QMessageBox::Yes)->setText(commandTitle(command));
    if (box.exec() != QMessageBox::Yes) {
        logging::get("ui")->info("pooler {} {} on {} not confirmed", name.toStdString(),
                                 argument.toStdString(), m_target.toStdString());
        Q_EMIT statusMessage(tr("%1 %2: cancelled, nothing was sent").arg(commandTitle(command), argument));
        return;
    }

    m_running = true;
    updateActions();
    m_ui->actionStatusLabel->setText(tr("%1 %2 running…").arg(commandTitle(command), argument));
    TaskPool::run(
        this,
        [conninfo = m_conninfo, command, argument] {
            return db::runPoolerAction(conninfo, command, argument);
        },
        [this, command, argument](const db::PoolerActionResult &result) {
            onActionDone(command, argument, result);
        });
}

void BouncerPage::onActionDone(PoolerCommand command, const QString &argument,
                               const db::PoolerActionResult &result)
{
    m_running = false;
    QString message = result.message;
    if (message.isEmpty())
        message = result.ok
                      ? tr("%1 %2 done").arg(commandTitle(command), argument)
                      : tr("%1 %2 failed: %3").arg(commandTitle(command), argument, result.error.message);
    const QString line = m_target.isEmpty() ? message : tr("%1 on %2").arg(message, m_target);
    if (result.ok)
        logging::get("ui")->info("pooler: {}", line.toStdString());
    else
        logging::get("ui")->warn("pooler: {}", line.toStdString());
    m_ui->actionStatusLabel->setText(message);
    updateActions();
    Q_EMIT statusMessage(line);
    // What the action dropped shows in SHOW CLIENTS / SERVERS at once rather than at the next round.
    m_refreshing = true;
    updateTakenLabel();
    Q_EMIT connectionsRefreshRequested();
    Q_EMIT actionFinished(result.ok, message);
}

} // namespace poolscope::widgets
