#pragma once

#include "plan.h"
#include "poolerchain.h"
#include "targetsnapshot.h"

#include <QHash>
#include <QList>
#include <QString>

/// "Plan from what is connected": a capacity plan pre-filled from live targets, for the Planner page and the
/// findings that open it with the numbers of the moment.
namespace poolscope::plan {

/// An application seen on a PostgreSQL target.
struct SeenApp
{
    QString name; // application_name
    int peakSessions = 0;
    QString via;      // the pooler its sessions come through (by the pooler chain), or "postgres"
    QString database; // the pool's database and user behind that pooler
    QString user;
};

struct LiveInputs
{
    const PostgresSample *postgres = nullptr; // nullopt max_connections etc. keep the defaults
    struct Pooler
    {
        QString name;
        const BouncerSample *sample = nullptr;
    };
    QList<Pooler> poolers;
    QList<SeenApp> apps;
};

/// The plan of what is connected: PostgreSQL's limits, each pooler's settings (SHOW CONFIG) and pools
/// (pool_size and pool_mode as it reports them), each application as one instance of one process whose pool
/// is its peak session count. Traffic, where a pooler counts it: the pool's transactions per second as the
/// arrival rate and its mean transaction time (SHOW STATS totals) as the hold time.
Plan planFromLive(const LiveInputs &inputs);

} // namespace poolscope::plan

namespace poolscope::plan {

/// The peak session count of each application over a sliding window, as "Plan from what is connected"
/// needs it: applications straight at PostgreSQL from its pg_stat_activity (client backends a linked
/// pooler holds are the pooler's, not an application's), applications behind a pooler from the pooler's
/// SHOW CLIENTS (application_name, database, user), each counted per sample and kept at its highest.
class AppPeaks
{
public:
    explicit AppPeaks(double windowS = 600) : m_windowS(windowS) {}

    /// A PostgreSQL sample of target `pgId` at `atS` (epoch seconds). `chains` are the chains of the poolers
    /// linked to it (a backend in one of them is a pooler's server connection, not a direct application).
    void addPostgres(int pgId, double atS, const QList<Session> &sessions,
                     const QList<const PoolerChain *> &chains);
    /// A pooler sample with a fresh SHOW CLIENTS round (clients of the console database are left out).
    void addPooler(int poolerId, const QString &poolerName, double atS,
                   const QList<BouncerConnection> &clients);
    void removeTarget(int id);

    /// The applications seen on `pgId` directly and through `poolerIds`, highest peak first; peaks older than
    /// the window (before `nowS - windowS`) no longer count.
    QList<SeenApp> appsFor(int pgId, const QList<int> &poolerIds, double nowS) const;

private:
    struct Key
    {
        int target = 0;
        QString name, via, database, user;
        bool operator==(const Key &) const = default;
        friend size_t qHash(const Key &k, size_t seed = 0)
        {
            return qHashMulti(seed, k.target, k.name, k.via, k.database, k.user);
        }
    };
    /// (time, count) per second at most (the highest count of that second), oldest first, within the window.
    using Samples = QList<QPair<double, int>>;
    void record(int target, double atS, const QHash<Key, int> &counts);

    // What a PostgreSQL target's sessions counted last time: a sampler that saw nothing change hands over the
    // same shared list (and a chain round the same links), so the count is not redone at every sample. Held
    // here, the lists cannot be freed and their address reused by another.
    struct Direct
    {
        QList<Session> sessions;
        QList<QHash<qint64, ChainLink>> chains;
        QHash<Key, int> counts;
    };

    double m_windowS;
    QHash<Key, Samples> m_peaks;
    QHash<int, Direct> m_direct;
};

} // namespace poolscope::plan
