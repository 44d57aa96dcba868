#pragma once

#include "core/targetconfig.h"

#include <QHash>
#include <QList>
#include <QMainWindow>
#include <QPointer>
#include <functional>
#include <memory>
#include <spdlog/common.h>
#include <vector>

class QCustomPlot;
class QDockWidget;
class QLabel;
class QMenu;
class QTimer;

namespace Ui {
class MainWindow;
}

namespace poolscope {
class SeriesSet;
struct TargetSnapshot;
} // namespace poolscope

namespace poolscope::sandbox {
class DemoSession;
struct SandboxUris;
} // namespace poolscope::sandbox

namespace poolscope::record {
class RollingRecording;
}

namespace poolscope::models {
class TargetListModel;
}

namespace poolscope::widgets {

class ActionMarks;
class AuditView;
class DrillPanel;
class FindingsController;
class FleetView;
class PlannerController;
class PoolerLinks;
class ReplayWindow;
class SessionActions;
class TargetPage;
class LoadPanel;
class PasswordStore;

/// The PoolScope window: a "Targets" dock, one page per target, pause/resume, and a log dock.
///
/// Threads: every target samples on its own worker thread (db::TargetController); this window only receives
/// finished snapshots on the GUI thread, records them into the target's SeriesSet and refreshes its page. The
/// GUI thread never touches libpq.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override; // stops every target's worker thread before the pages go

    /// Starts sampling conninfo every intervalMs on its own worker thread; returns the target index.
    /// `kindOverride` other than Unknown samples it as that kind instead of the detected one. A Prometheus
    /// (`prometheus+http://HOST:PORT`) goes to addPrometheus().
    int addTarget(const QString &conninfo, int intervalMs = 1000,
                  poolscope::TargetKind kindOverride = poolscope::TargetKind::Unknown);
    /// Reads the Prometheus at `url` (prometheus+http(s)://…) every intervalMs (at least 1 s): every
    /// PostgreSQL and PgBouncer instance discovered in it becomes a target of its own, read from Prometheus's
    /// series (its charts' past from query_range when its page is first shown; actions that need a connection
    /// to the server disabled). Until something is discovered, a target named after the Prometheus says how
    /// reading it goes; its index is returned (-1 for a malformed URL, with a warning in the log). `secret`:
    /// a basic-auth password or a bearer token (prometheusclient.h).
    int addPrometheus(const QString &url, int intervalMs = 1000, const QByteArray &secret = {});
    /// For tests and the fleet overview: the Prometheus target `index` is read from (prometheus+http://…),
    /// empty for a target sampled directly.
    QString prometheusOf(int index) const;
    /// Stops target `index` (its worker, page and series go) and removes it from the window.
    void removeTarget(int index);

    /// Saved targets (QSettings; no passwords): starts them, reading remembered passwords from the keychain
    /// first. Targets given on the command line come in addition, through addTarget().
    void loadSavedTargets();
    /// File → Targets…: edit the saved targets; on OK they are saved and the running set is reconciled.
    void openTargetsDialog();
    /// Reconciles the running saved targets with `configs` (new ones start, removed ones stop, edited ones
    /// restart); `passwords` are for this session only.
    void applyTargetConfigs(const QList<poolscope::TargetConfig> &configs,
                            const QHash<QString, QByteArray> &passwords);
    /// Shows demo progress in the status bar; on ready adds uris.monitor and uris.pgbouncerMonitor as
    /// targets; on failure shows the error (message box and status bar). `demo` must outlive this window or
    /// be destroyed first (its signals are disconnected then).
    void attachDemo(poolscope::sandbox::DemoSession *demo);
    /// File → Open recording…: shows `path` in a replay window of its own (nullptr, and a warning that does
    /// not block, when it cannot be read; the live targets are not affected).
    ReplayWindow *openReplay(const QString &path);
    /// The always-on recording (README "Recording"): on unless the rollingHours setting is 0 or another
    /// PoolScope keeps it.
    bool isRollingRecording() const;
    /// File → Save the last 30 minutes…: the last `minutes` of the rolling recording into a new file, on the
    /// recording's thread; `done(ok, error)` on the GUI thread (also when the recording is off).
    void saveLastMinutes(const QString &path, int minutes, std::function<void(bool, const QString &)> done);

    int targetCount() const;
    /// (keys, what they do) for every action of the window that has a shortcut, by name (Help → Keyboard
    /// shortcuts).
    QList<QPair<QString, QString>> shortcutList() const;
    /// The size, place and docks of the last session (window/geometry, window/state); the first time
    /// 1280×800 centred on the screen.
    void restoreWindowLayout();
    void saveWindowLayout() const;
    /// For tests: the series of target `index`; null when out of range.
    const poolscope::SeriesSet *seriesFor(int index) const;
    /// For tests: the plots on target `index`'s page; empty until its kind is known.
    QList<QCustomPlot *> chartsFor(int index) const;

    /// The Load tab (a dock beside the log; View → Load, Ctrl+Shift+L). Its runs are marked on every target's
    /// charts.
    LoadPanel *loadPanel() const { return m_loadPanel; }
    void showLoadPanel();
    /// The Audit trail (a dock tabbed with the log; View → Audit trail, Ctrl+Shift+A): the audit log's lines.
    AuditView *auditView() const { return m_auditView; }
    void showAuditView();

    void setPaused(bool paused);
    bool isPaused() const { return m_paused; }
    /// Selects target `index` (list and page), as Ctrl+1..9 do.
    void selectTarget(int index);
    /// -1 while the fleet overview (or nothing) is shown.
    int currentTarget() const;
    /// The fleet overview (Ctrl+0): every target in one table, worst first.
    void showFleet();
    bool isFleetShown() const;
    FleetView *fleetView() const { return m_fleet; }
    /// "Retry now" (Ctrl+R): polls the target at once instead of waiting for its backoff. Acts on the
    /// current target, or on the current row of the fleet overview.
    void retryNow(int index);
    /// "Edit…" (target list and fleet context menus): File → Targets… on target `index`, when it is a saved
    /// target. whyNotEditable() says why not (started from the command line or the demo).
    void editTarget(int index);
    QString whyNotEditable(int index) const;
    /// The `--read-only` flag: read-only mode on, and the menu toggle disabled.
    void lockReadOnly();
    /// For tests: target `index`'s page; null when out of range.
    TargetPage *pageFor(int index) const;
    /// Pooler targets linked to PostgreSQL target `index` (indexes); see PoolerLinks for the rules.
    QList<int> linkedPoolers(int index) const;
    /// The findings of every target: the engine, the Findings dock (View → Findings, Ctrl+Shift+F), the
    /// status-bar count, the markers on the charts and the findings' actions.
    FindingsController *findings() const { return m_findings; }
    PlannerController *planner() const { return m_planner; }
    /// For tests: the session actions (terminate, cancel) of target `index`; null when out of range.
    SessionActions *sessionActionsFor(int index) const;
    /// The Drills menu's panel (a dock, shown by a drill); its drills run once a demo sandbox is ready.
    DrillPanel *drillPanel() const { return m_drillPanel; }
    /// Opens the drill panel on the drill of incident preset `preset` (Drills menu); false when the demo is
    /// not ready or there is no such drill.
    bool openDrill(const QString &preset);

private:
    struct Target;
    struct PromTarget;
    struct PromSource;
    struct LogRelay;

    /// A target's page, series, menu entry and row; the caller adds how it is sampled.
    Target &createTarget(const QString &label, const QString &conninfo);
    /// Starts its first poll (or read) and selects it when it is the only one.
    void targetAdded(Target &target, int intervalMs);
    // Prometheus targets (mainwindowprometheus.cpp).
    int startPrometheus(const QString &url, int intervalMs, const QByteArray &secret,
                        const poolscope::TargetConfig *config);
    void removePrometheusSource(int sourceId);
    PromSource *sourceById(int sourceId) const;
    int addPromRow(PromSource &source, int entry, const QString &name);
    void onPromSample(int sourceId, int entry, const poolscope::TargetSnapshot &snapshot);
    void onPromReadDone(int sourceId, const QString &error);
    /// Its charts' past from query_range, once, when its page is first shown.
    void requestHistory(int id);
    void readNextHistory(PromSource &source);
    /// Why actions are disabled on target `t` (read from Prometheus, or read-only mode); empty when enabled.
    QString actionsBlockedReason(const Target &t) const;
    void onSnapshot(int id, const poolscope::TargetSnapshot &snapshot);
    /// A pooler's sample: the traffic it passed to each linked PostgreSQL target, into that target's series.
    void recordPoolerTraffic(int poolerId, const poolscope::TargetSnapshot &snapshot);
    void startConfig(const poolscope::TargetConfig &config, const QByteArray &password);
    void promptForPassword(int id);
    int indexOfId(int id) const;
    void renumberTargetActions();
    Target *targetById(int id) const;
    void appendLog(spdlog::level::level_enum level, const QString &line);
    void updateLiveIndicator();
    void updateStatus();
    /// The title says what the window shows: the target, the fleet, the planner; demo, read-only.
    void updateTitle();
    /// Help: the keyboard shortcuts (F1), listed from the window's own actions, and About.
    void setupHelpMenu();
    void setupAuditDock();
    /// File → Open recording…, the rolling recording, Save the last 30 minutes…, Export, Incident report….
    void setupRecording();
    void showShortcuts();
    void applyReadOnly(bool readOnly);
    QString readOnlyReason() const;
    /// The load runs and the findings of the target, on its charts.
    void applyMarkers(Target &target);
    void setupDrills();
    /// The demo's targets (PostgreSQL, the PgBouncer console as its admin), load targets and drills.
    void startDemoTargets(const poolscope::sandbox::SandboxUris &uris);
    /// Shows the pooler links and chains on every target's page (after a link or a chain changed).
    void applyPoolerLinks();

    std::unique_ptr<Ui::MainWindow> m_ui;
    models::TargetListModel *m_targetsModel;
    std::vector<std::unique_ptr<Target>> m_targets;
    std::vector<std::unique_ptr<PromSource>> m_promSources;
    int m_nextSourceId = 1;
    std::shared_ptr<LogRelay> m_logRelay;
    QLabel *m_liveLabel;
    QLabel *m_targetsLabel;
    QTimer *m_statusTimer = nullptr; // updateStatus() after samples, at most every 250 ms
    int m_nextId = 1;
    QList<poolscope::TargetConfig> m_configs;      // as saved
    QHash<QString, QByteArray> m_sessionPasswords; // by config id, memory only
    PasswordStore *m_passwordStore = nullptr;
    FleetView *m_fleet = nullptr;
    QAction *m_readOnlyAction = nullptr;
    bool m_readOnlyLocked = false;
    bool m_paused = false;
    QDockWidget *m_loadDock = nullptr;
    QDockWidget *m_auditDock = nullptr;
    AuditView *m_auditView = nullptr;
    LoadPanel *m_loadPanel = nullptr;
    struct LoadMarker
    {
        double start;
        double end; // NaN while running
        QString label;
    };
    QList<LoadMarker> m_loadMarkers;
    std::unique_ptr<ActionMarks> m_actionMarks; // terminate, cancel, pooler commands on every chart
    std::unique_ptr<PoolerLinks> m_links;
    std::unique_ptr<record::RollingRecording> m_rolling;
    FindingsController *m_findings = nullptr;
    PlannerController *m_planner = nullptr;
    QDockWidget *m_drillDock = nullptr;
    DrillPanel *m_drillPanel = nullptr;
    QMenu *m_drillsMenu = nullptr;
    QPointer<sandbox::DemoSession> m_demo;
};

} // namespace poolscope::widgets
