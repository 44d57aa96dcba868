#include "poolerchain.h"

#include <QSet>
#include <cmath>

namespace poolscope {

namespace {

// A pid reused by a new backend: the pooler's server connection is older or newer than the backend by more
// than a connect round trip and the clocks' disagreement.
constexpr double ReuseToleranceSeconds = 5.0;

// Hosts compared by poolerPointsAt(): every loopback name is one host, every socket path the local socket.
QString normalizedHost(QString host)
{
    host = host.trimmed().toLower();
    if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']')))
        host = host.mid(1, host.size() - 2);
    if (host.isEmpty() || host.startsWith(QLatin1Char('/')) || host.startsWith(QLatin1Char('@')))
        return QStringLiteral("<local socket>");
    if (host == QLatin1String("localhost") || host == QLatin1String("127.0.0.1") ||
        host == QLatin1String("::1") || host == QLatin1String("0:0:0:0:0:0:0:1") ||
        host == QLatin1String("localhost.localdomain"))
        return QStringLiteral("<loopback>");
    return host;
}

} // namespace

namespace {

bool serverBusy(const QString &state)
{
    return state == QLatin1String("active") || state == QLatin1String("active_cancel") ||
           state == QLatin1String("being_canceled");
}

bool backendBusy(std::optional<SessionState> backend)
{
    return backend && (*backend == SessionState::Active || *backend == SessionState::IdleInTransaction ||
                       *backend == SessionState::IdleInTransactionAborted);
}

} // namespace

bool ChainLink::idleInPool(std::optional<SessionState> backend) const
{
    return !hasClient && !serverBusy(serverState) && !backendBusy(backend);
}

QString ChainLink::clientText(std::optional<SessionState> backend) const
{
    if (!hasClient && serverBusy(serverState))
        return QStringLiteral("client not listed (server %1)").arg(serverState);
    if (!hasClient && backendBusy(backend))
        return QStringLiteral("no client in the pooler's last list (backend %1)")
            .arg(sessionStateName(*backend));
    if (!hasClient)
        return QStringLiteral("no client (idle in pool)");
    QStringList parts;
    const QString addr = hostPortText(clientAddr, clientPort);
    if (!addr.isEmpty())
        parts.append(addr);
    if (!clientApplicationName.isEmpty())
        parts.append(QStringLiteral("app=") + clientApplicationName);
    if (clientId)
        parts.append(QStringLiteral("id=%1").arg(*clientId));
    if (pgpoolChildPid)
        parts.append(QStringLiteral("child=%1").arg(*pgpoolChildPid));
    if (parts.isEmpty())
        return QStringLiteral("client (address unknown)");
    return parts.join(QLatin1Char(' '));
}

const ChainLink *PoolerChain::find(qint64 backendPid, std::optional<double> backendStart) const
{
    const auto it = byBackendPid.constFind(backendPid);
    if (it == byBackendPid.constEnd())
        return nullptr;
    if (backendStart && it->serverConnectTime &&
        std::abs(*it->serverConnectTime - *backendStart) > ReuseToleranceSeconds)
        return nullptr;
    return &*it;
}

PoolerChain joinBouncerChain(const QList<BouncerConnection> &clients, const QList<BouncerConnection> &servers)
{
    QHash<QString, const BouncerConnection *> clientByPtr;
    clientByPtr.reserve(clients.size());
    for (const BouncerConnection &c : clients) {
        if (!c.ptr.isEmpty())
            clientByPtr.insert(c.ptr, &c);
    }
    PoolerChain chain;
    chain.byBackendPid.reserve(servers.size());
    for (const BouncerConnection &s : servers) {
        if (!s.remotePid || chain.byBackendPid.contains(*s.remotePid))
            continue; // no backend, or a pid seen twice (a pooler behind the pooler reports made-up pids)
        ChainLink link;
        link.backendPid = *s.remotePid;
        link.poolDatabase = s.database;
        link.poolUser = s.user;
        link.serverState = s.state;
        link.serverConnectTime = s.connectTime;
        const BouncerConnection *c = s.link.isEmpty() ? nullptr : clientByPtr.value(s.link);
        // The client must point back at this server: a pointer freed and reused between the two SHOWs
        // would otherwise name a stranger.
        if (c && (c->link.isEmpty() || c->link == s.ptr)) {
            link.hasClient = true;
            link.clientAddr = c->addr;
            link.clientPort = c->port;
            link.clientApplicationName = c->applicationName;
            link.clientId = c->id;
            link.clientState = c->state;
            link.clientConnectTime = c->connectTime;
        }
        chain.byBackendPid.insert(link.backendPid, link);
    }
    return chain;
}

PoolerChain joinPgpoolChain(const PgpoolSample &sample)
{
    QHash<qint64, const PgpoolProcess *> processByPid;
    for (const PgpoolProcess &p : sample.processes)
        processByPid.insert(p.pid, &p);
    PoolerChain chain;
    for (const PgpoolPoolSlot &slot : sample.pools) {
        if (!slot.backendPid || chain.byBackendPid.contains(*slot.backendPid))
            continue;
        ChainLink link;
        link.backendPid = *slot.backendPid;
        link.poolDatabase = slot.database;
        link.poolUser = slot.username;
        link.serverState = slot.connected ? QStringLiteral("connected") : QStringLiteral("idle");
        link.pgpoolChildPid = slot.pid;
        // A cached backend of a child whose frontend uses another slot is held by nobody.
        if (slot.connected) {
            link.hasClient = true;
            link.clientAddr = slot.clientHost;
            link.clientPort = slot.clientPort;
            if (const PgpoolProcess *p = processByPid.value(slot.pid))
                link.clientState = p->status;
        }
        chain.byBackendPid.insert(link.backendPid, link);
    }
    return chain;
}

PoolerChain chainOf(const TargetSnapshot &pooler)
{
    PoolerChain chain;
    if (pooler.bouncer && pooler.bouncer->clients && pooler.bouncer->servers) {
        chain = joinBouncerChain(*pooler.bouncer->clients, *pooler.bouncer->servers);
        chain.takenAtMs = pooler.bouncer->connectionsAtMs;
    } else if (pooler.pgpool) {
        chain = joinPgpoolChain(*pooler.pgpool);
        chain.takenAtMs = pooler.sampledAtMs;
    } else {
        return chain;
    }
    chain.pooler = pooler.target;
    return chain;
}

namespace {

bool databasePointsAt(const BouncerDatabase &d, const QString &want, int port)
{
    if (d.port.value_or(5432) != port)
        return false;
    // 1.24+ accepts a comma-separated host list (load_balance_hosts): any of them counts.
    const QStringList hosts = d.host.isEmpty() ? QStringList{QString()} : d.host.split(QLatin1Char(','));
    for (const QString &h : hosts) {
        if (normalizedHost(h) == want)
            return true;
    }
    return false;
}

} // namespace

bool poolerPointsAt(const BouncerSample &pooler, const QString &host, int port)
{
    const QString want = normalizedHost(host);
    for (const BouncerDatabase &d : pooler.databases) {
        if (databasePointsAt(d, want, port))
            return true;
    }
    return false;
}

std::optional<double> poolerTrafficTo(const BouncerSample &pooler, const QString &host, int port,
                                      bool everyDatabase)
{
    const QString want = normalizedHost(host);
    QSet<QString> forwarded;
    for (const BouncerDatabase &d : pooler.databases) {
        if (everyDatabase || databasePointsAt(d, want, port))
            forwarded.insert(d.name);
    }
    bool perUser = false; // PgCat keeps its totals per database and user: every pool has its own
    for (const BouncerStatsTotals &t : pooler.totals)
        perUser = perUser || !t.user.isEmpty();
    std::optional<double> sum;
    QSet<QString> counted;
    for (const PoolStats &p : pooler.pools) {
        if (!p.tps || !forwarded.contains(p.database))
            continue;
        const QString key = perUser ? p.key() : p.database; // PgBouncer: the pools of a database share it
        if (counted.contains(key))
            continue;
        counted.insert(key);
        sum = sum.value_or(0) + *p.tps;
    }
    return sum;
}

} // namespace poolscope
