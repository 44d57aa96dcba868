#include "mainwindow.h"
#include "mainwindow_p.h"

#include "core/auditlog.h"
#include "core/findingthresholds.h"
#include "core/logging.h"
#include "core/readonly.h"
#include "core/recorder.h"
#include "db/autoremediator.h"
#include "db/conninfo.h"
#include "db/targetcontroller.h"
#include "metrics/prometheusclient.h"
#include "models/firstcolumnmodel.h"
#include "models/targetlistmodel.h"
#include "record/recordingwriter.h"
#include "record/rollingrecording.h"
#include "sandbox/demosession.h"
#include "ui_mainwindow.h"
#include "widgets/actionmarks.h"
#include "widgets/drillpanel.h"
#include "widgets/findingscontroller.h"
#include "widgets/fleetview.h"
#include "widgets/loadpanel.h"
#include "widgets/monitorpage.h"
#include "widgets/palette.h"
#include "widgets/passwordstore.h"
#include "widgets/plannercontroller.h"
#include "widgets/plannerpage.h"
#include "widgets/poolerlinks.h"
#include "widgets/postgrespage.h"
#include "widgets/replaywindow.h"
#include "widgets/scrolling.h"
#include "widgets/sessionactions.h"
#include "widgets/sessionspage.h"
#include "widgets/targetpage.h"
#include "widgets/timechart.h"

#include <QAction>
#include <QDateTime>
#include <QDeadlineTimer>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFontDatabase>
#include <QLabel>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPointer>
#include <QScreen>
#include <QSettings>
#include <QStandardPaths>
#include <QStyle>
#include <QTimer>
#include <cmath>
#include <limits>
#include <mutex>

// Resources of a static library are registered explicitly (outside any namespace).
static void initPoolscopeWidgetResources()
{
    Q_INIT_RESOURCE(icons);
}

namespace poolscope::widgets {

namespace {

constexpr int MaxShortcutTargets = 9;
constexpr int CloseBoundMs = 1800; // what closing the window may take, whatever the servers do
constexpr int MinStopMs = 50;      // an interrupted worker ends within this

} // namespace

// Log lines arrive on any thread. The relay outlives the window (the logging callback holds it), and the
// window pointer is only read under the mutex, so a line logged while the window is being destroyed is
// dropped rather than posted to a dead object.
struct MainWindow::LogRelay
{
    std::mutex mutex;
    MainWindow *window = nullptr;
};

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent), m_ui(std::make_unique<Ui::MainWindow>()),
      m_targetsModel(new models::TargetListModel(this)), m_logRelay(std::make_shared<LogRelay>()),
      m_liveLabel(new QLabel(this)), m_targetsLabel(new QLabel(this)),
      m_actionMarks(std::make_unique<ActionMarks>()), m_links(std::make_unique<PoolerLinks>())
{
    initPoolscopeWidgetResources();
    m_ui->setupUi(this);
    setWindowIcon(QIcon(QStringLiteral(":/icons/poolscope.svg")));

    // Only the target's own column: the list is not laid out again when the fleet's figures change.
    auto *listModel = new models::FirstColumnModel(this);
    listModel->setSourceModel(m_targetsModel);
    m_ui->targetList->setModel(listModel);
    m_ui->targetList->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_ui->targetList->setIconSize(QSize(12, 12)); // the state colour
    connect(m_ui->targetList->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex &current) {
                const Target *t =
                    current.isValid() ? targetById(m_targetsModel->idAt(current.row())) : nullptr;
                if (t) {
                    m_ui->pages->setCurrentWidget(t->page);
                    requestHistory(t->id); // read from Prometheus: its charts' past, the first time
                }
                updateStatus();
            });

    // Pause / resume: a checkable action in the toolbar and the View menu, and a permanent indicator.
    connect(m_ui->actionPause, &QAction::toggled, this, &MainWindow::setPaused);
    connect(m_ui->actionQuit, &QAction::triggered, this, &QWidget::close);
    connect(m_ui->actionTargets, &QAction::triggered, this, &MainWindow::openTargetsDialog);
    setupRecording(); // File → Open recording…, Save the last 30 minutes…, Export, Incident report…
    m_passwordStore = new PasswordStore(this);

    // The fleet overview: a page of its own, before the targets' pages.
    m_fleet = new FleetView(m_targetsModel, m_ui->pages);
    m_ui->pages->addWidget(m_fleet);
    connect(m_fleet, &FleetView::targetActivated, this, [this](int id) { selectTarget(indexOfId(id)); });
    connect(m_fleet, &FleetView::retryRequested, this, [this](int id) { retryNow(indexOfId(id)); });
    auto *fleetAction = new QAction(tr("&Fleet overview"), this);
    fleetAction->setObjectName(QStringLiteral("actionFleet"));
    fleetAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_0));
    fleetAction->setToolTip(tr("Every target in one table, worst first (Ctrl+0)"));
    connect(fleetAction, &QAction::triggered, this, &MainWindow::showFleet);
    auto *retryAction = new QAction(tr("&Retry now"), this);
    retryAction->setObjectName(QStringLiteral("actionRetry"));
    retryAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    retryAction->setToolTip(
        tr("Poll the selected target now instead of waiting for its next retry (Ctrl+R)"));
    connect(retryAction, &QAction::triggered, this, [this] {
        if (isFleetShown())
            retryNow(indexOfId(m_fleet->currentId()));
        else
            retryNow(currentTarget());
    });
    QAction *firstTargetsAction =
        m_ui->menuTargets->actions().isEmpty() ? nullptr : m_ui->menuTargets->actions().constFirst();
    m_ui->menuTargets->insertActions(firstTargetsAction, {fleetAction, retryAction});
    m_ui->menuTargets->insertSeparator(firstTargetsAction);
    m_ui->mainToolBar->insertAction(m_ui->actionPause, fleetAction);
    m_ui->targetList->addAction(retryAction);
    // Edit… beside Retry: the target's entry in File → Targets….
    auto *editAction = new QAction(tr("&Edit…"), this);
    editAction->setObjectName(QStringLiteral("actionEditTarget"));
    connect(editAction, &QAction::triggered, this, [this] { editTarget(currentTarget()); });
    m_ui->targetList->addAction(editAction);
    connect(m_ui->targetList->selectionModel(), &QItemSelectionModel::currentChanged, editAction,
            [this, editAction] {
                const QString whyNot = whyNotEditable(currentTarget());
                editAction->setEnabled(whyNot.isEmpty());
                editAction->setToolTip(whyNot.isEmpty()
                                           ? tr("Change this target's connection, name, group or interval")
                                           : whyNot);
            });
    connect(m_fleet, &FleetView::editRequested, this, [this](int id) { editTarget(indexOfId(id)); });
    m_fleet->setEditCheck([this](int id) { return whyNotEditable(indexOfId(id)); });

    // Read-only mode: every action (terminate, cancel, auto-remediation) disabled, visibly; remembered.
    m_readOnlyAction = new QAction(tr("&Read-only mode"), this);
    m_readOnlyAction->setObjectName(QStringLiteral("actionReadOnly"));
    m_readOnlyAction->setCheckable(true);
    m_readOnlyAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R));
    m_readOnlyAction->setChecked(readonly::isReadOnly());
    m_readOnlyAction->setToolTip(tr("Watch only: terminate, cancel and auto-remediation are refused"));
    connect(m_readOnlyAction, &QAction::toggled, this, [](bool on) {
        if (on == readonly::isReadOnly())
            return;
        readonly::setReadOnly(on);
        readonly::setSetting(*openSettings(), on);
        logging::get("ui")->info(on ? "read-only mode on" : "read-only mode off");
    });
    connect(readonly::Notifier::instance(), &readonly::Notifier::changed, this, &MainWindow::applyReadOnly);
    m_ui->menuView->addAction(m_readOnlyAction);
    auto *sessionsAction = new QAction(tr("&Sessions of this target"), this);
    sessionsAction->setObjectName(QStringLiteral("actionSessions"));
    sessionsAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S));
    connect(sessionsAction, &QAction::triggered, this, [this] {
        if (const int i = currentTarget(); i >= 0)
            m_targets[size_t(i)]->page->showSessionsTab(true);
    });
    m_ui->menuView->addAction(sessionsAction);
    // Ctrl+F from anywhere in the window: the current target's sessions, the keyboard in their filter.
    auto *findAction = new QAction(tr("&Find sessions"), this);
    findAction->setObjectName(QStringLiteral("actionFindSessions"));
    findAction->setShortcut(QKeySequence::Find);
    connect(findAction, &QAction::triggered, this, [this] {
        const int i = currentTarget();
        if (i < 0 || !m_targets[size_t(i)]->page->showSessionsTab(true))
            return;
        if (SessionsPage *sessions = m_targets[size_t(i)]->page->sessions())
            sessions->focusFilter();
    });
    m_ui->menuView->addAction(findAction);

    m_ui->menuView->addAction(m_ui->targetsDock->toggleViewAction());
    QAction *logToggle = m_ui->logDock->toggleViewAction();
    logToggle->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    m_ui->menuView->addAction(logToggle);
    m_ui->logDock->hide();
    m_ui->logView->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    // Lines wrap: every line's start (its time) stays in view, nothing scrolls sideways.
    m_ui->logView->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    resizeDocks({m_ui->targetsDock}, {280}, Qt::Horizontal);
    resizeDocks({m_ui->logDock}, {180}, Qt::Vertical);

    m_liveLabel->setObjectName(QStringLiteral("liveIndicator"));
    m_liveLabel->setMargin(2);
    statusBar()->addPermanentWidget(m_targetsLabel);
    statusBar()->addPermanentWidget(m_liveLabel);
    m_statusTimer = new QTimer(this);
    m_statusTimer->setSingleShot(true);
    m_statusTimer->setInterval(1000);
    connect(m_statusTimer, &QTimer::timeout, this, &MainWindow::updateStatus);
    updateLiveIndicator();
    updateStatus();

    {
        std::lock_guard lock(m_logRelay->mutex);
        m_logRelay->window = this;
    }
    logging::setLineCallback([relay = m_logRelay](spdlog::level::level_enum level, const QString &line) {
        std::lock_guard lock(relay->mutex);
        if (!relay->window)
            return;
        QMetaObject::invokeMethod(
            relay->window, [w = relay->window, level, line] { w->appendLog(level, line); },
            Qt::QueuedConnection);
    });

    // The Load tab: a dock tabbed with the log, shown on demand.
    m_loadDock = new QDockWidget(tr("Load"), this);
    m_loadDock->setObjectName(QStringLiteral("loadDock"));
    m_loadPanel = new LoadPanel;
    m_loadDock->setWidget(scrollable(m_loadPanel, m_loadDock));
    addDockWidget(Qt::BottomDockWidgetArea, m_loadDock);
    tabifyDockWidget(m_ui->logDock, m_loadDock);
    m_loadDock->hide();
    QAction *loadToggle = m_loadDock->toggleViewAction();
    loadToggle->setText(tr("&Load (simulated clients)"));
    loadToggle->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_L));
    loadToggle->setToolTip(tr("Run simulated clients against a database you own and watch it run dry"));
    m_ui->menuView->addAction(loadToggle);
    m_ui->mainToolBar->addAction(loadToggle);
    setupAuditDock();
    // A preset's check reads PgBouncer's pool_mode from a console the window samples (the demo's admin).
    m_loadPanel->setPoolerConsoles([this] {
        QStringList consoles;
        for (const auto &t : m_targets)
            if (t->controller && t->kind() == TargetKind::PgBouncer)
                consoles.append(t->conninfo);
        return consoles;
    });
    connect(m_loadPanel, &LoadPanel::runStarted, this, [this](const QString &label, double startS) {
        m_loadMarkers.append({startS, std::numeric_limits<double>::quiet_NaN(), label});
        for (auto &t : m_targets)
            applyMarkers(*t);
    });
    connect(m_loadPanel, &LoadPanel::runFinished, this, [this](double endS) {
        if (!m_loadMarkers.isEmpty() && std::isnan(m_loadMarkers.last().end))
            m_loadMarkers.last().end = endS;
        for (auto &t : m_targets)
            applyMarkers(*t);
    });

    // Findings: every sample of every target goes into one engine; its dock, count and markers.
    FindingsController::Host host;
    host.page = [this](int id) {
        return pageFor(indexOfId(id));
    };
    host.sessionActions = [this](int id) {
        return sessionActionsFor(indexOfId(id));
    };
    host.selectTarget = [this](int id) {
        selectTarget(indexOfId(id));
    };
    m_findings = new FindingsController(this, m_targetsModel, std::move(host),
                                        findings::loadThresholds(*openSettings()));
    // The bottom docks (Findings, log, load) take the whole width: their tables need it more than the
    // targets list needs the height.
    setCorner(Qt::BottomLeftCorner, Qt::BottomDockWidgetArea);
    m_ui->menuView->addAction(m_findings->toggleAction());
    m_ui->mainToolBar->addAction(m_findings->toggleAction());
    statusBar()->insertPermanentWidget(0, m_findings->statusButton());
    m_findings->setActionsEnabled(!readonly::isReadOnly(), readOnlyReason());
    connect(m_findings, &FindingsController::findingsChanged, this, [this] {
        for (auto &t : m_targets)
            applyMarkers(*t);
    });
    setupDrills();

    // The capacity planner: a page of its own, filled from what is connected or from a finding.
    PlannerController::Host plannerHost;
    plannerHost.showPage = [this](QWidget *page) {
        m_ui->targetList->setCurrentIndex({});
        m_ui->pages->setCurrentWidget(page);
        updateStatus();
    };
    plannerHost.currentTargetId = [this] {
        const int i = currentTarget();
        return i >= 0 ? m_targets[size_t(i)]->id : 0;
    };
    m_planner = new PlannerController(m_links.get(), std::move(plannerHost), this);
    m_ui->pages->addWidget(m_planner->page());
    m_ui->menuView->addAction(m_planner->showAction());
    connect(m_findings, &FindingsController::planRequested, m_planner, &PlannerController::planFromFinding);

    setupHelpMenu();

    setTabOrder(m_ui->targetList, m_ui->pages);
    m_ui->targetList->setFocus();
}

void MainWindow::showLoadPanel()
{
    m_loadDock->show();
    m_loadDock->raise();
    resizeDocks({m_loadDock}, {height() / 2}, Qt::Vertical);
}

void MainWindow::applyMarkers(Target &t)
{
    if (!t.page->content())
        return; // the page's charts do not exist before its kind is known; the first snapshot applies them
    QList<TimeChart::Marker> markers;
    for (const LoadMarker &m : std::as_const(m_loadMarkers))
        markers.append({m.start, m.end, m.label});
    markers += m_findings->markersFor(t.id);
    markers += m_actionMarks->markers();
    for (TimeChart *chart : t.page->content()->charts())
        chart->setMarkers(markers);
}

void MainWindow::setupDrills()
{
    // The incident drills run against the demo sandbox: the menu is enabled once it is ready.
    m_drillsMenu = menuBar()->addMenu(tr("&Drills"));
    m_drillsMenu->setObjectName(QStringLiteral("menuDrills"));
    m_drillsMenu->setToolTipsVisible(true);
    m_drillsMenu->setEnabled(false);
    m_drillsMenu->setToolTip(tr("Incident drills need the demo sandbox (poolscope --demo)"));
    m_drillDock = new QDockWidget(tr("Drill"), this);
    m_drillDock->setObjectName(QStringLiteral("drillDock"));
    m_drillPanel = new DrillPanel(m_loadPanel, m_findings, m_drillDock);
    m_drillDock->setWidget(m_drillPanel);
    // Beside the targets list (a tab of its own): the charts keep their width, the Findings dock its place.
    addDockWidget(Qt::LeftDockWidgetArea, m_drillDock);
    tabifyDockWidget(m_ui->targetsDock, m_drillDock);
    m_drillDock->hide();
    // While a drill runs, the demo's gentle load pauses: the charts and the pools show the incident alone.
    connect(m_drillPanel, &DrillPanel::runningChanged, this, [this](bool running) {
        if (running && m_demo)
            m_demo->setLoadPaused(true);
        else if (!running) // not between the incident's run and the fixed application's
            QTimer::singleShot(2000, this, [this] {
                if (m_demo && !m_drillPanel->isRunning())
                    m_demo->setLoadPaused(false);
            });
    });
    for (const Drill &drill : drills()) {
        QAction *action = m_drillsMenu->addAction(drill.title);
        action->setToolTip(drill.reproduces);
        connect(action, &QAction::triggered, this, [this, preset = drill.preset] { openDrill(preset); });
    }
}

bool MainWindow::openDrill(const QString &preset)
{
    if (!m_drillsMenu->isEnabled() || !m_drillPanel->setDrill(preset))
        return false;
    m_drillDock->show();
    m_drillDock->raise();
    resizeDocks({m_drillDock}, {std::min(360, width() / 3)}, Qt::Horizontal);
    m_drillPanel->setFocus();
    return true;
}

SessionActions *MainWindow::sessionActionsFor(int index) const
{
    return index >= 0 && index < targetCount() ? m_targets[size_t(index)]->actions.get() : nullptr;
}

MainWindow::~MainWindow()
{
    {
        std::lock_guard lock(m_logRelay->mutex);
        m_logRelay->window = nullptr;
    }
    logging::setLineCallback(nullptr);
    // Closing returns within CloseBoundMs whatever the servers do: every worker is interrupted at once, the
    // load run stops (its setup cancelled, its engine given Engine::kStopBoundMs), then the workers' threads
    // end in what is left of the bound (README, "Threads").
    const QDeadlineTimer deadline(CloseBoundMs);
    for (auto &t : m_targets)
        if (t->controller)
            t->controller->interrupt();
    m_promSources.clear(); // their reads in flight are aborted
    delete m_loadPanel;
    m_loadPanel = nullptr;
    // Workers first, then the pages that read the series, then the series.
    for (auto &t : m_targets) {
        if (t->controller)
            t->controller->stop(int(std::max<qint64>(MinStopMs, deadline.remainingTime())));
        t->controller.reset();
    }
    // Never the current page: deleting it makes the next one current (shown, laid out), for each of
    // hundreds of pages.
    m_ui->pages->hide();
    m_ui->pages->setCurrentWidget(m_ui->emptyPage);
    for (auto &t : m_targets)
        delete t->page;
    m_targets.clear();
}

MainWindow::Target &MainWindow::createTarget(const QString &label, const QString &conninfo)
{
    auto t = std::make_unique<Target>();
    t->id = m_nextId++;
    t->conninfo = conninfo;
    t->series = std::make_unique<SeriesSet>(SeriesCapacity);
    t->page = new TargetPage(label, t->series.get(), m_ui->pages);
    t->page->setPaused(m_paused);
    // Dragging or zooming a chart browses history: the whole window pauses; "Back to live" resumes it.
    connect(t->page, &TargetPage::browsingStarted, this, [this] { setPaused(true); });
    connect(t->page, &TargetPage::liveRequested, this, [this] { setPaused(false); });
    connect(t->page, &TargetPage::poolerActionFinished, this, [this, label](bool ok, const QString &message) {
        m_actionMarks->add(message, label, ok ? tr("done") : tr("failed"));
        for (auto &each : m_targets)
            applyMarkers(*each);
    });
    connect(t->page, &TargetPage::statusMessage, this,
            [this](const QString &m) { statusBar()->showMessage(m, 15000); });
    m_ui->pages->addWidget(t->page);

    const int index = int(m_targets.size());
    const int id = t->id;
    t->select = m_ui->menuTargets->addAction(label);
    if (index < MaxShortcutTargets)
        t->select->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + index)));
    connect(t->select, &QAction::triggered, this, [this, id] { selectTarget(indexOfId(id)); });
    m_targetsModel->addTarget(id, label);
    // Links go by the host and port a connection reaches: a target read from Prometheus has none (an
    // exporter's instance is the exporter's address).
    if (!conninfo.isEmpty())
        m_links->addTarget(id, conninfo, label);
    m_targets.push_back(std::move(t));
    return *m_targets.back();
}

void MainWindow::targetAdded(Target &t, int intervalMs)
{
    logging::get("ui")->info("monitoring {} every {} ms", t.address().toStdString(), intervalMs);
    if (t.controller)
        t.controller->start();
    if (m_targets.size() == 1)
        selectTarget(0);
    updateStatus();
}

int MainWindow::addTarget(const QString &conninfo, int intervalMs, TargetKind kindOverride)
{
    if (metrics::isPrometheusTarget(conninfo))
        return addPrometheus(conninfo, intervalMs);
    auto controller = std::make_unique<db::TargetController>(conninfo, nullptr, kindOverride);
    controller->setIntervalMs(intervalMs);
    const QString label = controller->target();
    Target &t = createTarget(label, conninfo);
    t.controller = std::move(controller);
    // Session actions: confirmed, run on a connection of their own, audited.
    t.actions = std::make_unique<SessionActions>(this, conninfo, label);
    {
        SessionActions *actions = t.actions.get();
        TargetPage *page = t.page;
        const auto sample = [page] {
            return page->sessions() ? page->sessions()->lastSample() : std::optional<PostgresSample>{};
        };
        connect(page, &TargetPage::cancelRequested, actions,
                [actions, sample](const QList<qint64> &pids) { actions->cancel(pids, sample()); });
        connect(page, &TargetPage::terminateRequested, actions,
                [actions, sample](const QList<qint64> &pids) { actions->terminate(pids, sample()); });
        connect(page, &TargetPage::bulkTerminateRequested, actions, &SessionActions::bulkTerminate);
        // Each action done is marked on every target's charts, as load runs are.
        connect(actions, &SessionActions::finished, this, [this, id = t.id](const terminate::Report &r) {
            if (!r.connected && r.results.isEmpty())
                return; // refused before anything was sent
            m_findings->noteTerminated(id, r.count(terminate::Outcome::Terminated));
            m_actionMarks->add(r.action + QStringLiteral(": ") + r.summary(), r.target, r.summary());
            for (auto &each : m_targets)
                applyMarkers(*each);
        });
    }
    t.page->setActionsEnabled(!readonly::isReadOnly(), readOnlyReason());
    // PgBouncer page: pooler actions on a console connection of their own, their outcome in the status bar.
    t.page->setActionConnInfo(conninfo);
    connect(t.page, &TargetPage::connectionsRefreshRequested, t.controller.get(),
            &db::TargetController::refreshConnections);

    const int id = t.id;
    connect(t.controller.get(), &db::TargetController::snapshotReady, this,
            [this, id](const TargetSnapshot &snapshot) { onSnapshot(id, snapshot); });
    connect(t.controller.get(), &db::TargetController::stateChanged, this, [this, id](TargetState state) {
        if (const Target *t = targetById(id)) {
            m_targetsModel->setState(id, state, t->lastError(), t->attemptCount(), t->nextRetryAtMs());
            m_targetsModel->setHint(id, t->lastHint());
        }
        updateStatus();
    });
    // Every failed attempt: the page and the fleet say when the next one is (not only on a state change).
    connect(t.controller.get(), &db::TargetController::retryScheduled, this,
            [this, id](int attempts, qint64 inMs) {
                if (const Target *t = targetById(id)) {
                    t->page->setRetry(attempts, inMs);
                    m_targetsModel->setState(id, t->state(), t->lastError(), attempts, t->nextRetryAtMs());
                    m_targetsModel->setHint(id, t->lastHint());
                }
            });
    const int index = indexOfId(id);
    targetAdded(t, intervalMs);
    return index;
}

void MainWindow::attachDemo(sandbox::DemoSession *demo)
{
    if (!demo)
        return;
    m_demo = demo;
    updateTitle();
    connect(demo, &sandbox::DemoSession::progress, this, [this](const QString &message) {
        statusBar()->showMessage(message);
        m_ui->emptyPage->setText(QStringLiteral("<h3>") + message.toHtmlEscaped() + QStringLiteral("</h3>"));
    });
    connect(demo, &sandbox::DemoSession::ready, this, [this](const sandbox::SandboxUris &uris) {
        statusBar()->showMessage(tr("Demo ready: sampling the sandbox's PostgreSQL and PgBouncer"), 10000);
        startDemoTargets(uris);
    });
    connect(demo, &sandbox::DemoSession::failed, this, [this](const QString &error) {
        const QString firstLine = error.section(QLatin1Char('\n'), 0, 0);
        statusBar()->showMessage(tr("Demo failed: %1").arg(firstLine));
        m_ui->emptyPage->setText(
            tr("<h3>The demo could not start</h3><p>%1</p>").arg(firstLine.toHtmlEscaped()));
        // Not modal-blocking: the window stays usable (and tests do not hang on an exec()).
        auto *box = new QMessageBox(QMessageBox::Critical, tr("PoolScope demo"),
                                    tr("The demo sandbox (PostgreSQL + PgBouncer) could not start."),
                                    QMessageBox::Ok, this);
        box->setInformativeText(firstLine);
        box->setDetailedText(error);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    });
    if (demo->isReady())
        startDemoTargets(demo->uris());
}

void MainWindow::startDemoTargets(const sandbox::SandboxUris &uris)
{
    addTarget(uris.monitor);
    // The console as its admin user (pgbadmin), so RECONNECT and the other pooler actions are enabled.
    addTarget(uris.pgbouncerConsole);
    m_loadPanel->setTargets({uris.pgbouncerApp, uris.pgbouncerSessionApp, uris.app});
    m_drillPanel->setUris(uris);
    m_drillsMenu->setEnabled(true);
    m_drillsMenu->setToolTip({});
}

int MainWindow::targetCount() const
{
    return int(m_targets.size());
}

const SeriesSet *MainWindow::seriesFor(int index) const
{
    if (index < 0 || index >= targetCount())
        return nullptr;
    return m_targets[size_t(index)]->series.get();
}

QList<QCustomPlot *> MainWindow::chartsFor(int index) const
{
    if (index < 0 || index >= targetCount())
        return {};
    return m_targets[size_t(index)]->page->charts();
}

void MainWindow::setPaused(bool paused)
{
    if (paused != m_ui->actionPause->isChecked())
        m_ui->actionPause->setChecked(paused); // comes back here through toggled
    if (paused == m_paused)
        return;
    m_paused = paused;
    for (auto &t : m_targets)
        t->page->setPaused(paused);
    updateLiveIndicator();
    logging::get("ui")->debug(paused ? "charts paused" : "charts live");
}

void MainWindow::selectTarget(int index)
{
    if (index < 0 || index >= targetCount())
        return;
    const int row = m_targetsModel->rowOf(m_targets[size_t(index)]->id);
    m_ui->targetList->setCurrentIndex(m_ui->targetList->model()->index(row, 0));
    m_ui->pages->setCurrentWidget(m_targets[size_t(index)]->page);
}

QString MainWindow::readOnlyReason() const
{
    return m_readOnlyLocked ? tr("started with --read-only") : tr("read-only mode (View → Read-only mode)");
}

void MainWindow::applyReadOnly(bool readOnly)
{
    m_readOnlyAction->setChecked(readOnly);
    for (auto &t : m_targets) {
        const QString blocked = actionsBlockedReason(*t);
        t->page->setActionsEnabled(blocked.isEmpty(), blocked);
    }
    m_findings->setActionsEnabled(!readOnly, readOnlyReason());
    updateStatus();
}

void MainWindow::lockReadOnly()
{
    m_readOnlyLocked = true;
    readonly::setReadOnly(true);
    m_readOnlyAction->setEnabled(false);
    m_readOnlyAction->setToolTip(tr("Started with --read-only: actions stay disabled"));
    applyReadOnly(true);
}

void MainWindow::showFleet()
{
    if (m_targets.empty())
        return; // the empty page says how to add one
    m_ui->targetList->setCurrentIndex({});
    m_ui->pages->setCurrentWidget(m_fleet);
    m_fleet->focusTable();
    updateStatus();
}

TargetPage *MainWindow::pageFor(int index) const
{
    return index >= 0 && index < targetCount() ? m_targets[size_t(index)]->page : nullptr;
}

bool MainWindow::isFleetShown() const
{
    return m_ui->pages->currentWidget() == m_fleet;
}

void MainWindow::retryNow(int index)
{
    if (index < 0 || index >= targetCount())
        return;
    Target &t = *m_targets[size_t(index)];
    logging::get("ui")->info("retrying {} now, as asked", t.address().toStdString());
    if (t.controller)
        t.controller->retryNow();
    else if (PromSource *source = sourceById(t.prom->sourceId))
        source->fleet->readNow();
}

int MainWindow::currentTarget() const
{
    for (size_t i = 0; i < m_targets.size(); ++i) {
        if (m_ui->pages->currentWidget() == m_targets[i]->page)
            return int(i);
    }
    return -1;
}

void MainWindow::onSnapshot(int id, const TargetSnapshot &snapshot)
{
    Target *t = targetById(id);
    if (!t)
        return;
    recordSnapshot(*t->series, snapshot);
    if (!snapshot.ok && snapshot.error.needsPassword && !t->passwordPrompted) {
        t->passwordPrompted = true;
        // Not from inside this slot: the prompt runs its own event loop.
        QTimer::singleShot(0, this, [this, id] { promptForPassword(id); });
    }
    const TargetKind kind = t->kind();
    m_targetsModel->setLabel(id, t->address());
    m_targetsModel->setKind(id, kind);
    m_targetsModel->setState(id, t->state(), t->lastError(), t->attemptCount(), t->nextRetryAtMs());
    m_targetsModel->setSample(id, snapshot);
    // A saved target's name wherever it is named (menu, title, findings); its address on its page.
    const QString name = t->name();
    t->select->setText(name);
    t->page->setLabel(t->address());
    t->page->showSnapshot(snapshot, kind);
    m_links->setName(id, name);
    if (m_links->onSnapshot(id, snapshot, kind))
        applyPoolerLinks();
    recordPoolerTraffic(id, snapshot);
    m_findings->addSample(id, name, snapshot);
    if (m_rolling) // its address, never a saved name's password-bearing connection string
        m_rolling->addSample(id, t->address(), snapshot, m_findings->engine().findingsOf(id),
                             QDateTime::currentMSecsSinceEpoch());
    m_planner->addSample(id, name, kind, snapshot);
    applyMarkers(*t); // unchanged markers cost a comparison
    // At most once a second: ten samples a second (or a Prometheus read's hundreds) rarely change it.
    if (!m_statusTimer->isActive())
        m_statusTimer->start();
}

MainWindow::Target *MainWindow::targetById(int id) const
{
    for (const auto &t : m_targets) {
        if (t->id == id)
            return t.get();
    }
    return nullptr;
}

int MainWindow::indexOfId(int id) const
{
    for (size_t i = 0; i < m_targets.size(); ++i) {
        if (m_targets[i]->id == id)
            return int(i);
    }
    return -1;
}

void MainWindow::renumberTargetActions()
{
    for (size_t i = 0; i < m_targets.size(); ++i)
        m_targets[i]->select->setShortcut(i < size_t(MaxShortcutTargets)
                                              ? QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + int(i)))
                                              : QKeySequence());
}

void MainWindow::removeTarget(int index)
{
    if (index < 0 || index >= int(m_targets.size()))
        return;
    const bool fleetShown = isFleetShown();
    std::unique_ptr<Target> t = std::move(m_targets[size_t(index)]);
    m_targets.erase(m_targets.begin() + index);
    logging::get("ui")->info("stopped monitoring {}", t->address().toStdString());
    t->controller.reset(); // cancel, quit, wait: nothing reads the series after this
    if (t->prom) {
        if (PromSource *source = sourceById(t->prom->sourceId)) {
            source->historyQueue.removeAll(t->id);
            if (source->selfId == t->id)
                source->selfId = 0;
        }
    }
    m_targetsModel->removeTarget(t->id);
    m_links->removeTarget(t->id);
    m_planner->removeTarget(t->id);
    m_findings->removeTarget(t->id);
    delete t->select;
    m_ui->pages->removeWidget(t->page);
    delete t->page;
    renumberTargetActions();
    if (m_targets.empty())
        m_ui->pages->setCurrentWidget(m_ui->emptyPage);
    else if (fleetShown)
        showFleet();
    else
        selectTarget(std::min(index, int(m_targets.size()) - 1));
    applyPoolerLinks();
    updateStatus();
}

} // namespace poolscope::widgets
