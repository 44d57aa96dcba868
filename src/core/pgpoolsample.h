#pragma once

#include <QList>
#include <QString>
#include <optional>

namespace poolscope {

/// Pgpool-II: SHOW POOL_NODES, one row per backend node.
struct PgpoolNode
{
    qint64 nodeId = 0;
    QString hostname;
    std::optional<qint64> port;
    QString status;   // up, waiting, down, unused, quarantine
    QString pgStatus; // 4.3+: up, down, unknown
    QString role;     // primary/standby (streaming) or main/replica
    std::optional<qint64> selectCount;
    std::optional<bool> loadBalanceNode;
    QString replicationDelay;
    QString lastStatusChange;
};

/// Pgpool-II: SHOW POOL_PROCESSES, one row per child process.
struct PgpoolProcess
{
    qint64 pid = 0;
    QString startTime;
    QString database; // empty when the child serves nobody
    QString username;
    QString status; // "Execute command", "Idle", "Idle in transaction", "Wait for connection"
    std::optional<qint64> clientConnectionCount;
    std::optional<qint64> poolCounter;

    /// Serving a client: a database is set, or the status is other than "Wait for connection".
    bool busy() const;
};

/// Pgpool-II: SHOW POOL_POOLS, one row per (child, pool slot, backend node).
struct PgpoolPoolSlot
{
    qint64 pid = 0; // the child
    qint64 poolId = 0;
    qint64 backendId = 0;
    QString database;
    QString username;
    std::optional<qint64> backendPid;        // pool_backendpid: the PostgreSQL backend; nullopt when 0/empty
    bool connected = false;                  // pool_connected = 1: a frontend is attached
    std::optional<double> clientIdleSeconds; // client_idle_duration
    QString clientHost;                      // 4.7+
    std::optional<qint64> clientPort;        // 4.7+
};

struct PgpoolSample
{
    QString version; // SHOW POOL_VERSION
    QList<PgpoolNode> nodes;
    QList<PgpoolProcess> processes;
    QList<PgpoolPoolSlot> pools;
    std::optional<qint64> numInitChildren; // PGPOOL SHOW num_init_children
    std::optional<qint64> maxPool;         // PGPOOL SHOW max_pool
    // The child serving PoolScope's own sampling connection (its backend pid is the sampler's backend pid);
    // counted apart from busy children.
    std::optional<qint64> ownChildPid;

    /// Children serving a client, PoolScope's own excluded.
    int busyChildren() const;
    /// busyChildren() / numInitChildren; unknown without num_init_children.
    std::optional<double> childUtilisation() const;
};

} // namespace poolscope
