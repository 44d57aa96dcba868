#include "findingscontroller.h"

#include "core/logging.h"
#include "core/pooleractions.h"
#include "models/findingsmodel.h"
#include "models/targetlistmodel.h"
#include "widgets/bouncerpage.h"
#include "widgets/findingspanel.h"
#include "widgets/palette.h"
#include "widgets/sessionactions.h"
#include "widgets/sessionspage.h"
#include "widgets/targetpage.h"

#include <QAction>
#include <QDateTime>
#include <QDockWidget>
#include <QMainWindow>
#include <QPainter>
#include <QToolButton>
#include <memory>

namespace poolscope::widgets {

using findings::Finding;
using findings::Severity;

namespace {

constexpr int ClockMs = 1000;

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

QIcon dot(const QColor &color)
{
    QPixmap pixmap(12, 12);
    pixmap.fill(Qt::transparent);
    QPainter painter(&pixmap);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setPen(Qt::NoPen);
    painter.setBrush(color);
    painter.drawEllipse(QRectF(1, 1, 10, 10));
    return QIcon(pixmap);
}

/// Calls `slot` on the first emission of `signal` only: an action's outcome, once.
template <typename Sender, typename Signal, typename Slot>
std::shared_ptr<QMetaObject::Connection> connectOnce(Sender *sender, Signal signal, QObject *context,
                                                     Slot slot)
{
    auto connection = std::make_shared<QMetaObject::Connection>();
    *connection = QObject::connect(sender, signal, context, [connection, slot](auto &&...args) {
        QObject::disconnect(*connection);
        slot(std::forward<decltype(args)>(args)...);
    });
    return connection;
}

} // namespace

FindingsController::FindingsController(QMainWindow *window, models::TargetListModel *targets, Host host,
                                       const findings::Thresholds &thresholds)
    : QObject(window), m_engine(thresholds), m_targets(targets), m_host(std::move(host)),
      m_dock(new QDockWidget(tr("Findings"), window)), m_panel(new FindingsPanel(m_dock)),
      m_status(new QToolButton(window))
{
    m_dock->setObjectName(QStringLiteral("findingsDock"));
    m_dock->setWidget(m_panel);
    window->addDockWidget(Qt::BottomDockWidgetArea, m_dock);
    m_dock->hide(); // until something is found
    QAction *toggle = m_dock->toggleViewAction();
    toggle->setText(tr("&Findings"));
    toggle->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_F));
    toggle->setToolTip(tr("What PoolScope has diagnosed, worst first, with the evidence and what to do "
                          "(Ctrl+Shift+F)"));
    // Only the user's own closing keeps the dock closed (for all but new critical findings).
    connect(toggle, &QAction::toggled, this, [this](bool shown) {
        if (!shown)
            m_userClosed = true;
    });
    connect(toggle, &QAction::triggered, this, [this](bool shown) {
        if (shown)
            showDock();
    });

    m_status->setObjectName(QStringLiteral("findingsStatus"));
    m_status->setAutoRaise(true);
    m_status->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_status->setToolTip(tr("Open findings; click (or Ctrl+Shift+F) for the Findings dock"));
    connect(m_status, &QToolButton::clicked, this, &FindingsController::showDock);
    updateStatusButton({});

    connect(m_panel, &FindingsPanel::evidenceRequested, this, &FindingsController::goToEvidence);
    connect(m_panel, &FindingsPanel::actionRequested, this, &FindingsController::act);
    connect(m_panel, &FindingsPanel::planRequested, this, [this](quint64 findingId) {
        if (const std::optional<Finding> f = m_engine.finding(findingId))
            Q_EMIT planRequested(*f);
    });
    m_clock.setInterval(ClockMs);
    connect(&m_clock, &QTimer::timeout, this, [this] { m_panel->setNow(nowMs()); });
    m_clock.start();
}

FindingsController::~FindingsController() = default;

QAction *FindingsController::toggleAction() const
{
    return m_dock->toggleViewAction();
}

void FindingsController::addSample(int id, const QString &name, const TargetSnapshot &snapshot)
{
    m_ids.insert(id);
    const quint64 before = m_engine.revision();
    m_engine.addSample(id, name, snapshot);
    if (m_engine.revision() != before)
        refresh();
}

void FindingsController::setLinks(int poolerId, const QList<int> &postgresIds)
{
    m_engine.setLinks(poolerId, postgresIds);
}

void FindingsController::removeTarget(int id)
{
    m_ids.remove(id);
    m_engine.removeTarget(id);
    refresh();
}

void FindingsController::setActionsEnabled(bool enabled, const QString &reason)
{
    m_panel->setActionsEnabled(enabled, reason);
}

QString FindingsController::statusText() const
{
    return m_status->text();
}

void FindingsController::updateStatusButton(const QList<Finding> &open)
{
    if (open.isEmpty()) {
        m_status->setText(tr("No findings"));
        m_status->setIcon(dot(palette::targetLive(m_status->palette())));
        return;
    }
    QStringList parts;
    for (Severity s : {Severity::Critical, Severity::Warning, Severity::Info}) {
        const auto n =
            std::count_if(open.cbegin(), open.cend(), [s](const Finding &f) { return f.severity == s; });
        if (n > 0)
            parts.append(models::FindingsModel::severityCount(s, int(n)));
    }
    m_status->setText((open.size() == 1 ? tr("1 finding: ") : tr("%1 findings: ").arg(open.size())) +
                      parts.join(QStringLiteral(", ")));
    m_status->setIcon(dot(palette::severity(open.first().severity, m_status->palette())));
}

void FindingsController::refresh()
{
    const qint64 now = nowMs();
    const QList<Finding> all = m_engine.findings();
    const QList<Finding> open = m_engine.openFindings();
    m_panel->setFindings(all, now, m_engine.thresholds().actionWatchS);
    updateMarkers(all);
    updateStatusButton(open);
    for (int id : std::as_const(m_ids))
        m_targets->setFindings(id, m_engine.openFindingsOf(id));

    bool fresh = false;
    bool freshCritical = false;
    for (const Finding &f : open) {
        if (!m_seen.contains(f.id)) {
            m_seen.insert(f.id);
            fresh = true;
            logging::get("findings")
                ->warn("{} {} on {}: {}", findings::severityName(f.severity).toStdString(),
                       f.rule.toStdString(), f.target.toStdString(), f.summary.toStdString());
        }
        if (f.severity == Severity::Critical && !m_seenCritical.contains(f.id)) {
            m_seenCritical.insert(f.id);
            freshCritical = true;
        }
    }
    // Forget what the engine forgot.
    QSet<quint64> known;
    for (const Finding &f : all)
        known.insert(f.id);
    m_seen.intersect(known);
    m_seenCritical.intersect(known);
    if ((fresh && !m_userClosed) || freshCritical) {
        m_dock->show(); // the keyboard stays where the user is
        m_dock->raise();
    }
    Q_EMIT findingsChanged();
}

QList<ChartMarker> FindingsController::markersFor(int id) const
{
    return m_markers.value(id);
}

void FindingsController::updateMarkers(const QList<Finding> &all)
{
    // Computed once per change for every target (the window asks per target and per sample). The tooltip
    // says what does not change every sample, so unchanged findings leave the charts' items alone.
    m_markers.clear();
    const QPalette pal = m_panel->palette();
    for (const Finding &f : all) {
        ChartMarker m;
        m.kind = ChartMarker::Kind::Event;
        m.start = double(f.sinceMs) / 1000.0;
        if (f.endedAtMs)
            m.end = double(*f.endedAtMs) / 1000.0;
        m.label = f.rule;
        m.color = palette::severity(f.severity, pal);
        m.toolTip =
            tr("%1 %2 since %3, %4\n%5")
                .arg(findings::severityName(f.severity), f.rule, models::FindingsModel::clockTime(f.sinceMs),
                     models::FindingsModel::statusWords(f, m_engine.thresholds().actionWatchS),
                     models::FindingsModel::ruleMeaning(f.rule));
        for (int id : f.targetIds)
            m_markers[id].append(m);
    }
    // Oldest first, so labels keep their rows as findings come and go.
    for (QList<ChartMarker> &markers : m_markers)
        std::stable_sort(markers.begin(), markers.end(),
                         [](const ChartMarker &a, const ChartMarker &b) { return a.start < b.start; });
}

void FindingsController::showDock()
{
    m_userClosed = false;
    m_dock->show();
    m_dock->raise();
    m_panel->focusList();
}

void FindingsController::goToEvidence(quint64 findingId)
{
    const std::optional<Finding> f = m_engine.finding(findingId);
    if (!f)
        return;
    m_host.selectTarget(f->targetId);
    TargetPage *page = m_host.page(f->targetId);
    if (!page)
        return;
    if (!f->pids.isEmpty() && page->sessions()) {
        page->showSessionsTab(true);
        page->sessions()->selectPids(f->pids);
    } else if (!f->pools.isEmpty()) {
        if (auto *bouncer = qobject_cast<BouncerPage *>(page->content()))
            bouncer->setCurrentPool(f->pools.first());
    } else {
        page->showSessionsTab(false); // the charts, where its marker is
    }
}

void FindingsController::act(quint64 findingId)
{
    const std::optional<Finding> f = m_engine.finding(findingId);
    if (!f || !f->isOpen() || f->action.isNone() || m_running != 0)
        return;
    const findings::Action &a = f->action;
    TargetPage *page = m_host.page(a.targetId);
    const auto notDone = [this, findingId](const QString &why) {
        m_panel->setActionState(findingId, false, why);
    };
    if (!page) {
        notDone(tr("Its target is no longer monitored."));
        return;
    }
    if (a.kind == findings::Action::Kind::Terminate) {
        SessionActions *actions = m_host.sessionActions(a.targetId);
        if (!actions || !page->sessions()) {
            notDone(tr("Its target is not a PostgreSQL target with sessions."));
            return;
        }
        const auto connection = connectOnce(
            actions, &SessionActions::finished, this, [this, findingId](const terminate::Report &report) {
                actionDone(findingId, report.count(terminate::Outcome::Terminated) > 0, report.summary());
            });
        m_running = findingId;
        m_panel->setActionState(findingId, true, tr("Terminating…"));
        actions->terminate(a.pids, page->sessions()->lastSample());
        if (!actions->isBusy()) { // refused (read-only) or not confirmed: nothing runs
            QObject::disconnect(*connection);
            m_running = 0;
            notDone(tr("Not done: nothing was terminated."));
        }
        return;
    }
    auto *bouncer = qobject_cast<BouncerPage *>(page->content());
    if (!bouncer) {
        notDone(tr("Its pooler target has no PgBouncer page yet."));
        return;
    }
    const auto connection = connectOnce(
        bouncer, &BouncerPage::actionFinished, this,
        [this, findingId](bool ok, const QString &message) { actionDone(findingId, ok, message); });
    m_running = findingId;
    m_panel->setActionState(findingId, true, tr("RECONNECT %1…").arg(a.argument));
    bouncer->requestAction(PoolerCommand::Reconnect, a.argument);
    if (!bouncer->isActionRunning()) { // refused, unavailable or cancelled: the status bar said why
        QObject::disconnect(*connection);
        m_running = 0;
        notDone(tr("Not done: RECONNECT was not sent."));
    }
}

void FindingsController::noteTerminated(int id, int count)
{
    m_engine.noteTerminated(id, nowMs(), count);
}

void FindingsController::actionDone(quint64 findingId, bool done, const QString &what)
{
    m_running = 0;
    if (done && m_engine.noteAction(findingId, nowMs(), what))
        refresh();
    m_panel->setActionState(findingId, false, done ? QString() : tr("Not done: %1").arg(what));
    Q_EMIT actionFinished(findingId, done, what);
}

} // namespace poolscope::widgets
