#pragma once

#include "core/pooleractions.h"
#include "widgets/monitorpage.h"

#include <QTimer>
#include <memory>
#include <optional>

class QAction;
class QSortFilterProxyModel;

namespace Ui {
class BouncerPage;
}

namespace poolscope::db {
struct PoolerActionResult;
}

namespace poolscope::models {
class PoolsModel;
class BouncerConnectionsModel;
} // namespace poolscope::models

namespace poolscope::widgets {

/// A PgBouncer console target, for the engineer whose pool runs dry.
///
/// One pool at a time is charted (a combo box picks it; by default the worst pool: saturated first, then the
/// longest queue, kept until another pool is strictly worse; once the user picks one it stays): server
/// connections stacked by state (active, idle, used, tested, login, cancel) against the dashed pool_size and
/// the dotted pool_size + reserve ("unlimited" in the title and no line for pool_size 0), clients active vs
/// waiting, and the queue age against query_wait_timeout. A strip of figures (busy, open, TPS, QPS, idle in
/// transaction per transaction, paused/disabled) sits above. The Pools tab lists every pool (saturated rows
/// highlighted, sortable); the Clients / Servers tab shows SHOW CLIENTS / SHOW SERVERS with a filter and
/// "Refresh now" (connectionsRefreshRequested()).
///
/// Actions (RECONNECT, KILL + RESUME, RESUME on a pool's database; KILL_CLIENT on a client) are offered on
/// buttons and context menus, greyed with the reason poolerActionAvailability() gives (stats-only console
/// user, version, flavor) or read-only mode. Each asks first, naming what will be dropped
/// (poolerActionPreview(), No by default), then runs db::runPoolerAction() on a console connection of its
/// own off the GUI thread, and reports through statusMessage() and the "ui" log. Never PAUSE, SUSPEND or
/// WAIT_CLOSE. GUI thread only.
class BouncerPage : public MonitorPage
{
    Q_OBJECT
public:
    explicit BouncerPage(const SeriesSet *set, QWidget *parent = nullptr);
    ~BouncerPage() override;

    void showSnapshot(const TargetSnapshot &snapshot) override;
    /// Without live (a replay) there is no round to refresh: the recorded one is shown.
    void setLiveAvailable(bool available) override;
    /// Server connections by state, clients, queue age.
    QList<TimeChart *> charts() const override;

    /// "db/user" of the charted pool; empty before the first sample.
    QString currentPool() const;
    /// Charts `key` as the user's choice (kept over the automatic worst-pool pick).
    void setCurrentPool(const QString &key);
    const models::PoolsModel *poolsModel() const { return m_pools; }
    const models::BouncerConnectionsModel *clientsModel() const { return m_clients; }
    const models::BouncerConnectionsModel *serversModel() const { return m_servers; }
    /// The last successful sample's console data; nullopt before it.
    const std::optional<BouncerSample> &lastSample() const { return m_sample; }

    /// The console actions connect with (a connection of their own, never the sampler's). May carry a
    /// password: kept in memory, never shown or logged. Empty: actions are greyed.
    void setActionConnInfo(const QString &conninfo, const QString &target = {});
    /// Off (read-only mode) greys every action with `reason`.
    void setActionsEnabled(bool enabled, const QString &reason = {});
    /// Read back from Prometheus: no SHOW CLIENTS / SERVERS behind it; their tables and Refresh are disabled
    /// and `why` says so in their place.
    void setConnectionsUnavailable(const QString &why);
    /// What the buttons and menus show for `command` on `argument` (database name or client id) now.
    ActionAvailability actionAvailability(PoolerCommand command, const QString &argument) const;
    /// The database the pool actions apply to: the selected row's, else the charted pool's.
    QString actionDatabase() const;
    /// The selected client's id as text; empty when none is selected or the version has no ids.
    QString selectedClientId() const;
    /// Asks (naming what will be dropped), then runs the action off the GUI thread. Does nothing while
    /// another action runs, in read-only mode (audited refusal) or when the action is unavailable.
    void requestAction(PoolerCommand command, const QString &argument);
    bool isActionRunning() const { return m_running; }

Q_SIGNALS:
    /// "Refresh now" (and after an action): take SHOW CLIENTS / SHOW SERVERS at the next poll.
    void connectionsRefreshRequested();
    /// One line for the status bar: an action's outcome, a refusal.
    void statusMessage(const QString &text);
    /// An action ran (whatever its outcome); tests wait for it.
    void actionFinished(bool ok, const QString &message);

private:
    void updatePoolChoices(const QList<PoolStats> &pools);
    void chartPool(const QString &key, bool force = false);
    QString chartShape(const PoolStats *pool) const;
    const PoolStats *pool(const QString &key) const;
    void updateFigures();
    void updateConnections(const BouncerSample &sample);
    void updateTakenLabel();
    void updateActions();
    void applyAvailability(QAction *action, const ActionAvailability &a, const QString &what);
    void showPoolMenu(const QPoint &pos);
    void showClientMenu(const QPoint &pos);
    void onActionDone(PoolerCommand command, const QString &argument, const db::PoolerActionResult &result);

    std::unique_ptr<Ui::BouncerPage> m_ui;
    models::PoolsModel *m_pools;
    QSortFilterProxyModel *m_proxy;
    models::BouncerConnectionsModel *m_clients;
    models::BouncerConnectionsModel *m_servers;
    QSortFilterProxyModel *m_clientsProxy;
    QSortFilterProxyModel *m_serversProxy;
    QAction *m_reconnectAction;
    QAction *m_killAction;
    QAction *m_resumeAction;
    QAction *m_killClientAction;
    QTimer m_takenTimer;
    std::optional<BouncerSample> m_sample;
    qint64 m_sampledAtMs = 0; // when m_sample was taken
    QString m_chartedPool;
    QString m_chartedShape;
    bool m_userChosePool = false;
    QString m_conninfo;
    QString m_target;
    bool m_actionsEnabled = true;
    QString m_actionsReason;
    bool m_running = false;
    bool m_refreshing = false;
    QString m_noConnectionsWhy; // read from Prometheus: why there are no SHOW CLIENTS / SERVERS
};

} // namespace poolscope::widgets
