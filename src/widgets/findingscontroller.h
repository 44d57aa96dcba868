#pragma once

#include "core/findingsengine.h"
#include "widgets/chartmarkers.h"

#include <QHash>
#include <QObject>
#include <QSet>
#include <QTimer>
#include <functional>

class QAction;
class QDockWidget;
class QMainWindow;
class QToolButton;

namespace poolscope::models {
class TargetListModel;
}

namespace poolscope::widgets {

class FindingsPanel;
class SessionActions;
class TargetPage;

/// The window's findings: one FindingsEngine fed with every sample of every target (and the pooler links),
/// the Findings dock (FindingsPanel), the status-bar count, the fleet's "Needs attention" words and the
/// markers on the targets' charts; and each finding's one-click action, run through the window's usual safe
/// paths (SessionActions::terminate, BouncerPage::requestAction: both ask first and audit), after which the
/// engine watches whether the finding goes away ("recovered at …" or "still present after 30 s").
///
/// The dock stays hidden until something is found, then shows itself whenever a finding opens; once the
/// user closed it, only a new critical finding brings it back. GUI thread only.
class FindingsController : public QObject
{
    Q_OBJECT
public:
    /// How the controller reaches the window's targets, by target id (null when there is no such target).
    struct Host
    {
        std::function<TargetPage *(int id)> page;
        std::function<SessionActions *(int id)> sessionActions;
        std::function<void(int id)> selectTarget;
    };

    /// Adds the dock to `window` (bottom area, hidden) and fills the `targets` model's attention column.
    FindingsController(QMainWindow *window, models::TargetListModel *targets, Host host,
                       const findings::Thresholds &thresholds);
    ~FindingsController() override;

    /// A sample of target `id`, named `name` (its saved name or its label), for the engine.
    void addSample(int id, const QString &name, const TargetSnapshot &snapshot);
    /// The PostgreSQL targets pooler `poolerId` forwards to (PoolerLinks::postgresOf()).
    void setLinks(int poolerId, const QList<int> &postgresIds);
    void removeTarget(int id);
    /// PoolScope terminated `count` sessions of target `id` (any path: a page, bulk, a finding, auto-
    /// remediation): dead-connections says they were PoolScope's.
    void noteTerminated(int id, int count);
    /// Read-only mode: the action buttons disabled with the reason.
    void setActionsEnabled(bool enabled, const QString &reason);

    /// Where each finding that involves target `id` started and ended, coloured by severity, labelled by
    /// its rule id (as of the last change).
    QList<ChartMarker> markersFor(int id) const;
    const findings::FindingsEngine &engine() const { return m_engine; }
    FindingsPanel *panel() const { return m_panel; }
    QDockWidget *dock() const { return m_dock; }
    /// View → Findings (Ctrl+Shift+F), the dock's toggle.
    QAction *toggleAction() const;
    /// The status bar's count; a click shows the dock.
    QToolButton *statusButton() const { return m_status; }
    /// "No findings", "2 findings: 1 critical".
    QString statusText() const;

    /// Shows and raises the dock, the keyboard in its list.
    void showDock();
    /// Selects the finding's target and its evidence: its sessions on the Sessions tab, or its pool on the
    /// PgBouncer page.
    void goToEvidence(quint64 findingId);
    /// Runs the finding's action (after the usual confirmation); noted on the finding once it ran.
    void act(quint64 findingId);

Q_SIGNALS:
    /// The findings changed (after a sample, an action, a removed target): markers, drills.
    void findingsChanged();
    /// An action of a finding ended: `done` when something was done (sessions terminated, RECONNECT
    /// sent), with what in words.
    void actionFinished(quint64 findingId, bool done, const QString &what);
    /// "Open the planner" on a finding about a capacity limit: the planner, filled from its targets.
    void planRequested(const poolscope::findings::Finding &finding);

private:
    void refresh();
    void actionDone(quint64 findingId, bool done, const QString &what);
    void updateStatusButton(const QList<findings::Finding> &open);
    void updateMarkers(const QList<findings::Finding> &all);

    findings::FindingsEngine m_engine;
    models::TargetListModel *m_targets;
    Host m_host;
    QDockWidget *m_dock;
    FindingsPanel *m_panel;
    QToolButton *m_status;
    QTimer m_clock; // ages in the dock move on between samples
    QSet<int> m_ids;
    QHash<int, QList<ChartMarker>> m_markers; // by target id
    QSet<quint64> m_seen;                     // findings already announced (the dock shown for them)
    QSet<quint64> m_seenCritical;             // ... and those announced as critical
    bool m_userClosed = false;
    quint64 m_running = 0; // the finding whose action runs
};

} // namespace poolscope::widgets
