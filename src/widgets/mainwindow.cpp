#include "mainwindow.h"

#include "core/logging.h"
#include "core/recorder.h"
#include "db/demosession.h"
#include "db/targetcontroller.h"
#include "models/targetlistmodel.h"
#include "ui_mainwindow.h"
#include "widgets/palette.h"
#include "widgets/targetpage.h"

#include <QAction>
#include <QFontDatabase>
#include <QLabel>
#include <QMessageBox>
#include <QPointer>
#include <QStyle>
#include <mutex>

// Resources of a static library are registered explicitly (outside any namespace).
static void initPoolscopeWidgetResources()
{
    Q_INIT_RESOURCE(icons);
}

namespace poolscope::widgets {

namespace {

constexpr int SeriesCapacity = 3600; // one hour at one sample per second
constexpr int MaxShortcutTargets = 9;

models::TargetListModel::State modelState(db::TargetState state)
{
    switch (state) {
    case db::TargetState::Connecting:
        return models::TargetListModel::State::Connecting;
    case db::TargetState::Live:
        return models::TargetListModel::State::Live;
    case db::TargetState::Failed:
        break;
    }
    return models::TargetListModel::State::Failed;
}

} // namespace

struct MainWindow::Target
{
    int id = 0;
    std::unique_ptr<db::TargetController> controller;
    std::unique_ptr<SeriesSet> series;
    TargetPage *page = nullptr; // owned by the page stack
    QAction *select = nullptr;  // in the Targets menu
};

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
      m_liveLabel(new QLabel(this)), m_targetsLabel(new QLabel(this))
{
    initPoolscopeWidgetResources();
    m_ui->setupUi(this);
    setWindowIcon(QIcon(QStringLiteral(":/icons/poolscope.svg")));

    m_ui->targetList->setModel(m_targetsModel);
    m_ui->targetList->setIconSize(QSize(12, 12)); // the state colour
    connect(m_ui->targetList->selectionModel(), &QItemSelectionModel::currentChanged, this,
            [this](const QModelIndex &current) {
                const Target *t =
                    current.isValid() ? targetById(m_targetsModel->idAt(current.row())) : nullptr;
                if (t)
                    m_ui->pages->setCurrentWidget(t->page);
                updateStatus();
            });

    // Pause / resume: a checkable action in the toolbar and the View menu, and a permanent indicator.
    connect(m_ui->actionPause, &QAction::toggled, this, &MainWindow::setPaused);
    connect(m_ui->actionQuit, &QAction::triggered, this, &QWidget::close);

    m_ui->menuView->addAction(m_ui->targetsDock->toggleViewAction());
    QAction *logToggle = m_ui->logDock->toggleViewAction();
    logToggle->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    m_ui->menuView->addAction(logToggle);
    m_ui->logDock->hide();
    m_ui->logView->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    resizeDocks({m_ui->targetsDock}, {280}, Qt::Horizontal);
    resizeDocks({m_ui->logDock}, {180}, Qt::Vertical);

    m_liveLabel->setObjectName(QStringLiteral("liveIndicator"));
    m_liveLabel->setMargin(2);
    statusBar()->addPermanentWidget(m_targetsLabel);
    statusBar()->addPermanentWidget(m_liveLabel);
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

    setTabOrder(m_ui->targetList, m_ui->pages);
    m_ui->targetList->setFocus();
}

MainWindow::~MainWindow()
{
    {
        std::lock_guard lock(m_logRelay->mutex);
        m_logRelay->window = nullptr;
    }
    logging::setLineCallback(nullptr);
    // Workers first (cancel, quit, wait), then the pages that read the series, then the series.
    for (auto &t : m_targets)
        t->controller.reset();
    for (auto &t : m_targets)
        delete t->page;
    m_targets.clear();
}

int MainWindow::addTarget(const QString &conninfo, int intervalMs)
{
    auto t = std::make_unique<Target>();
    t->id = m_nextId++;
    t->controller = std::make_unique<db::TargetController>(conninfo);
    t->controller->setIntervalMs(intervalMs);
    t->series = std::make_unique<SeriesSet>(SeriesCapacity);
    const QString label = t->controller->target();
    t->page = new TargetPage(label, t->series.get(), m_ui->pages);
    t->page->setPaused(m_paused);
    m_ui->pages->addWidget(t->page);

    const int index = int(m_targets.size());
    t->select = m_ui->menuTargets->addAction(label);
    if (index < MaxShortcutTargets)
        t->select->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + index)));
    connect(t->select, &QAction::triggered, this, [this, index] { selectTarget(index); });

    const int id = t->id;
    connect(t->controller.get(), &db::TargetController::snapshotReady, this,
            [this, id](const TargetSnapshot &snapshot) { onSnapshot(id, snapshot); });
    connect(t->controller.get(), &db::TargetController::stateChanged, this,
            [this, id](db::TargetState state) {
                if (const Target *t = targetById(id))
                    m_targetsModel->setState(id, modelState(state), t->controller->lastError());
                updateStatus();
            });

    m_targetsModel->addTarget(id, label);
    db::TargetController *controller = t->controller.get();
    m_targets.push_back(std::move(t));
    logging::get("ui")->info("monitoring {} every {} ms", label.toStdString(), controller->intervalMs());
    controller->start();

    if (index == 0)
        selectTarget(0);
    updateStatus();
    return index;
}

void MainWindow::attachDemo(db::DemoSession *demo)
{
    if (!demo)
        return;
    connect(demo, &db::DemoSession::progress, this, [this](const QString &message) {
        statusBar()->showMessage(message);
        m_ui->emptyPage->setText(QStringLiteral("<h3>") + message.toHtmlEscaped() + QStringLiteral("</h3>"));
    });
    connect(demo, &db::DemoSession::ready, this, [this](const db::SandboxUris &uris) {
        statusBar()->showMessage(tr("Demo ready: sampling the sandbox's PostgreSQL and PgBouncer"), 10000);
        addTarget(uris.monitor);
        addTarget(uris.pgbouncerMonitor);
    });
    connect(demo, &db::DemoSession::failed, this, [this](const QString &error) {
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
    if (demo->isReady()) {
        const db::SandboxUris uris = demo->uris();
        addTarget(uris.monitor);
        addTarget(uris.pgbouncerMonitor);
    }
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
    m_ui->targetList->setCurrentIndex(m_targetsModel->index(row));
    m_ui->pages->setCurrentWidget(m_targets[size_t(index)]->page);
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
    const db::TargetController &c = *t->controller;
    m_targetsModel->setLabel(id, c.target());
    m_targetsModel->setKind(id, c.kind());
    m_targetsModel->setState(id, modelState(c.state()), c.lastError());
    t->select->setText(c.target());
    t->page->setLabel(c.target());
    t->page->showSnapshot(snapshot, c.kind());
    updateStatus();
}

MainWindow::Target *MainWindow::targetById(int id) const
{
    for (const auto &t : m_targets) {
        if (t->id == id)
            return t.get();
    }
    return nullptr;
}

void MainWindow::appendLog(spdlog::level::level_enum level, const QString &line)
{
    QColor color;
    if (level >= spdlog::level::err)
        color = palette::targetFailed(palette());
    else if (level == spdlog::level::warn)
        color = palette::targetConnecting(palette());
    if (!color.isValid()) {
        m_ui->logView->appendPlainText(line);
        return;
    }
    m_ui->logView->appendHtml(
        QStringLiteral("<span style=\"color:%1\">%2</span>").arg(color.name(), line.toHtmlEscaped()));
}

void MainWindow::updateLiveIndicator()
{
    // Both the action and the status bar say which state we are in, in words and colour.
    QAction *pause = m_ui->actionPause;
    if (m_paused) {
        pause->setText(tr("Resume live"));
        pause->setIcon(style()->standardIcon(QStyle::SP_MediaPlay));
        m_liveLabel->setText(
            tr("<b style=\"color:%1\">❚❚ PAUSED</b>").arg(palette::targetConnecting(palette()).name()));
        m_liveLabel->setToolTip(tr("Charts are frozen; sampling goes on. Press Space to resume."));
    } else {
        pause->setText(tr("Pause live"));
        pause->setIcon(style()->standardIcon(QStyle::SP_MediaPause));
        m_liveLabel->setText(
            tr("<b style=\"color:%1\">● LIVE</b>").arg(palette::targetLive(palette()).name()));
        m_liveLabel->setToolTip(tr("Charts follow the latest samples. Press Space to pause."));
    }
}

void MainWindow::updateStatus()
{
    int live = 0;
    int failed = 0;
    for (const auto &t : m_targets) {
        switch (t->controller->state()) {
        case db::TargetState::Live:
            ++live;
            break;
        case db::TargetState::Failed:
            ++failed;
            break;
        case db::TargetState::Connecting:
            break;
        }
    }
    QString text = tr("%1 live of %2 targets").arg(live).arg(targetCount());
    if (failed > 0)
        text += tr(", <b style=\"color:%1\">%2 failing</b>")
                    .arg(palette::targetFailed(palette()).name())
                    .arg(failed);
    m_targetsLabel->setText(text);
}

} // namespace poolscope::widgets
