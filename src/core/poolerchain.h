#pragma once

#include "targetsnapshot.h"

#include <QHash>
#include <QString>
#include <optional>

namespace poolscope {

/// Who holds a PostgreSQL backend through a pooler: the pool (database, user) and the client at the other
/// end. Built from PgBouncer's SHOW SERVERS (remote_pid -> link) and SHOW CLIENTS (ptr), or from Pgpool-II's
/// SHOW POOL_POOLS (pool_backendpid -> child).
struct ChainLink
{
    qint64 backendPid = 0;
    QString poolDatabase;
    QString poolUser;
    QString serverState; // PgBouncer server state (active, idle, used, ...); Pgpool: "connected"/"idle"
    // The client; empty when the server is not linked (an idle pooled connection held by nobody).
    bool hasClient = false;
    QString clientAddr;
    std::optional<qint64> clientPort;
    QString clientApplicationName;
    std::optional<qint64> clientId; // PgBouncer 1.24+
    QString clientState;
    std::optional<double> clientConnectTime; // epoch seconds
    std::optional<qint64> pgpoolChildPid;    // Pgpool-II: the child serving the client
    // The server connection's own start (PgBouncer connect_time), to tell a reused pid apart.
    std::optional<double> serverConnectTime;

    /// True when the server is parked in the pool: no client, and neither the pooler (a server state of
    /// active, active_cancel or being_canceled) nor PostgreSQL (`backend` running a query, or in a
    /// transaction) says it is at work. A busy server whose client is missing lost it between SHOW CLIENTS
    /// and SHOW SERVERS, or the chain (every 5 s) is older than the backend's state: not idle in the pool.
    bool idleInPool(std::optional<SessionState> backend = std::nullopt) const;
    /// "10.0.0.5:51234 app=billing id=17", "no client (idle in pool)", "client not listed (server active)",
    /// "no client in the pooler's last list (backend active)".
    QString clientText(std::optional<SessionState> backend = std::nullopt) const;
};

/// backend pid -> link, for one pooler at one moment.
struct PoolerChain
{
    QString pooler; // the pooler target's description
    qint64 takenAtMs = 0;
    QHash<qint64, ChainLink> byBackendPid;

    bool isEmpty() const { return byBackendPid.isEmpty(); }
    /// The link of a backend, or nullptr. When `backendStart` is known and the pooler reported the server's
    /// connect time, a link more than a few seconds off is rejected (the pid was reused).
    const ChainLink *find(qint64 backendPid, std::optional<double> backendStart = std::nullopt) const;
};

/// Joins SHOW SERVERS.link to SHOW CLIENTS.ptr and keys the result by SHOW SERVERS.remote_pid. Both lists
/// must come from one round (pointers are reused after a disconnect). Servers without a remote_pid are
/// skipped.
PoolerChain joinBouncerChain(const QList<BouncerConnection> &clients,
                             const QList<BouncerConnection> &servers);
/// Pgpool-II: POOL_POOLS slots with a backend pid, keyed by it; the client is the child (4.7+ also host
/// and port).
PoolerChain joinPgpoolChain(const PgpoolSample &sample);
/// The chain a sample carries (PgBouncer with a connections round, or Pgpool-II); empty otherwise.
PoolerChain chainOf(const TargetSnapshot &pooler);

/// True when the pooler forwards `database` to this PostgreSQL server: a SHOW DATABASES host/port equal to
/// `host`/`port` (loopback names 127.0.0.1, ::1, localhost are one host; an empty host or a path is the
/// local Unix socket).
bool poolerPointsAt(const BouncerSample &pooler, const QString &host, int port);
/// Transactions per second the pooler passed to the PostgreSQL server at `host`/`port` (its databases that
/// point there, as poolerPointsAt; all of them when `everyDatabase`, for a manual link) since its previous
/// sample: PoolStats::tps, from SHOW STATS_TOTALS (exact counters), once per database (PgBouncer keeps its
/// totals per database) or per pool (PgCat: per database and user). Unknown when no pool has a rate yet.
std::optional<double> poolerTrafficTo(const BouncerSample &pooler, const QString &host, int port,
                                      bool everyDatabase);

} // namespace poolscope
