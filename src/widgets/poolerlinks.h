#pragma once

#include "core/poolerchain.h"
#include "core/targetsnapshot.h"

#include <QHash>
#include <QList>
#include <QString>
#include <optional>

namespace poolscope::widgets {

/// Which pooler targets sit in front of which PostgreSQL targets, and the latest chain (backend pid -> pool
/// and client) of each pooler. The main window feeds it targets and snapshots and asks it what to show.
///
/// A pooler (a PgBouncer-shaped console) is linked:
/// - manually, when its saved TargetConfig::linkedTarget names a running target (by config id);
/// - otherwise automatically, to every PostgreSQL target whose host/port (from its conninfo, libpq's
///   defaults for what it leaves out: db::hostPort) one of the pooler's SHOW DATABASES entries points at
///   (poolerPointsAt). Re-evaluated on each pooler sample and whenever targets come and go.
/// A Pgpool-II target is its own pooler: it samples PostgreSQL through itself, so its sessions are chained
/// through its own SHOW POOL_POOLS.
///
/// Chains are kept per pooler from samples that carry a fresh SHOW CLIENTS / SHOW SERVERS round
/// (BouncerSample::connectionsFresh, every 5 s) or a Pgpool-II sample. GUI thread only; no Qt object.
class PoolerLinks
{
public:
    /// A target the window runs. `conninfo` gives its host and port (never stored, never logged).
    void addTarget(int id, const QString &conninfo, const QString &name);
    /// Saved targets: their config id, and for poolers the config id of the PostgreSQL target they are
    /// manually linked to (empty = automatic).
    void setConfig(int id, const QString &configId, const QString &linkedConfigId);
    void setName(int id, const QString &name);
    void removeTarget(int id);
    /// Records the target's kind, its pooler databases and (when fresh) its chain. True when what a
    /// PostgreSQL target shows changed: a link, or a chain it uses.
    bool onSnapshot(int id, const TargetSnapshot &snapshot, TargetKind kind);

    /// Pooler targets linked to PostgreSQL target `pgId`, in target order.
    QList<int> poolersOf(int pgId) const;
    /// PostgreSQL targets pooler `poolerId` is linked to.
    QList<int> postgresOf(int poolerId) const;
    /// True when `poolerId` is linked by its saved setting rather than by SHOW DATABASES.
    bool isManual(int poolerId) const;

    /// The chain for the sessions of PostgreSQL (or Pgpool-II) target `id`: the latest chains of its linked
    /// poolers merged (a backend pid belongs to one of them), or its own for Pgpool-II. nullopt when no
    /// pooler is linked; an empty chain with takenAtMs 0 while no round arrived yet.
    std::optional<PoolerChain> chainFor(int id) const;

    /// Transactions per second pooler `poolerId` (whose latest sample is `sample`) passed to PostgreSQL
    /// target `pgId` (poolerTrafficTo: its databases pointing at that server, every one for a manual link);
    /// unknown when they are not linked or no rate is known yet.
    std::optional<double> trafficTo(int poolerId, int pgId, const BouncerSample &sample) const;

    /// The line shown on target `id`'s page about its links; empty when there is nothing to say.
    QString linkText(int id) const;
    /// The "Pooler chain" section of the sessions detail pane for session `s` of target `id` (HTML).
    QString detailHtml(int id, const Session &s, qint64 nowMs) const;

private:
    struct Target
    {
        int id = 0;
        QString name;
        QString configId;
        QString linkedConfigId;
        QString host;
        int port = 0;
        TargetKind kind = TargetKind::Unknown;
        std::optional<BouncerSample> databases; // the pooler's last sample (pools, databases)
        std::optional<PoolerChain> chain;       // latest chain round
        bool sawRound = false;                  // a connections round arrived (maybe refused: no lists)
        bool roundRefused = false;              // the console returned no SHOW CLIENTS / SERVERS
    };
    const Target *find(int id) const;
    Target *find(int id);
    /// Recomputes m_links (pooler id -> PostgreSQL ids); true when it changed.
    bool relink();
    static bool isPooler(const Target &t) { return t.kind == TargetKind::PgBouncer; }

    QList<Target> m_targets;
    QHash<int, QList<int>> m_links;
    QHash<int, bool> m_manual;
};

} // namespace poolscope::widgets
