#include "snapshotjson.h"

#include "poolerchain.h"

#include <QJsonArray>
#include <cmath>

namespace poolscope {

namespace {

template <typename T> QJsonValue opt(const std::optional<T> &v)
{
    if (!v)
        return QJsonValue(QJsonValue::Null);
    if constexpr (std::is_same_v<T, QString> || std::is_same_v<T, bool>)
        return QJsonValue(*v);
    else
        return QJsonValue(double(*v));
}

QJsonValue age(double now, const std::optional<double> &since)
{
    if (!since)
        return QJsonValue(QJsonValue::Null);
    // Rounded to ms: the JSON is for people and scripts, not for sub-ms arithmetic.
    return std::round(std::max(0.0, now - *since) * 1000.0) / 1000.0;
}

QJsonArray pids(const QList<qint64> &list)
{
    QJsonArray a;
    for (qint64 pid : list)
        a.append(double(pid));
    return a;
}

QJsonObject byStateJson(const StateCounts &counts)
{
    QJsonObject byState;
    for (SessionState s : AllSessionStates)
        byState.insert(sessionStateName(s), counts[s]);
    return byState;
}

// The ten largest groups per dimension; "groups_distinct" says how many there are in all.
constexpr int JsonGroups = 10;

QJsonObject groupsJson(const PostgresSample &pg)
{
    QJsonObject groups;
    for (GroupDimension d : AllGroupDimensions) {
        QJsonArray list;
        for (const SessionGroup &g : pg.groupsBy(d).mid(0, JsonGroups)) {
            QJsonObject o{
                {QStringLiteral("name"), g.hidden ? QJsonValue(QJsonValue::Null) : QJsonValue(g.name)},
                {QStringLiteral("sessions"), g.sessions()},
                {QStringLiteral("by_state"), byStateJson(g.counts)}};
            if (g.hidden)
                o.insert(QStringLiteral("hidden"), true);
            list.append(o);
        }
        groups.insert(groupDimensionName(d), list);
    }
    return groups;
}

QJsonObject clientJson(const ChainLink &link)
{
    QJsonObject o{
        {QStringLiteral("addr"), link.clientAddr.isEmpty() ? QJsonValue() : QJsonValue(link.clientAddr)},
        {QStringLiteral("port"), opt(link.clientPort)},
        {QStringLiteral("application_name"), link.clientApplicationName},
        {QStringLiteral("id"), opt(link.clientId)},
        {QStringLiteral("state"), link.clientState},
        {QStringLiteral("text"), link.clientText()}};
    if (link.pgpoolChildPid)
        o.insert(QStringLiteral("pgpool_child_pid"), double(*link.pgpoolChildPid));
    return o;
}

QJsonValue rounded(const std::optional<double> &v, double scale = 1000.0)
{
    if (!v)
        return QJsonValue(QJsonValue::Null);
    return std::round(*v * scale) / scale;
}

QJsonObject sessionsJson(const PostgresSample &pg, const PoolerChain *chain)
{
    const QJsonObject byState = byStateJson(pg.counts);
    QJsonArray list;
    for (const Session &s : pg.sessions) {
        QJsonObject row{
            {QStringLiteral("pid"), double(s.pid)},
            {QStringLiteral("state"), opt(s.state)},
            {QStringLiteral("usename"), s.usename},
            {QStringLiteral("datname"), s.datname},
            {QStringLiteral("application_name"), s.applicationName},
            {QStringLiteral("client_addr"), s.clientAddr},
            {QStringLiteral("xact_age_s"), age(pg.serverNow, s.xactStart)},
            {QStringLiteral("state_age_s"), age(pg.serverNow, s.stateChange)},
            {QStringLiteral("wait_event_type"), s.waitEventType},
            {QStringLiteral("wait_event"), s.waitEvent},
            {QStringLiteral("query"), s.query},
            // A 64-bit hash: kept an exact integer (a double would round it), to match pg_stat_statements.
            {QStringLiteral("query_id"), s.queryId ? QJsonValue(*s.queryId) : QJsonValue()},
            {QStringLiteral("backend_xmin_age"), opt(s.backendXminAge)},
            {QStringLiteral("backend_xid_age"), opt(s.backendXidAge)},
            // Hidden rows do not say whether they wait on a lock: unknown, not "blocked by nobody".
            {QStringLiteral("blocked_by"), s.hidden ? QJsonValue(QJsonValue::Null) : pids(s.blockedBy)},
        };
        if (const ChainLink *link = chain ? chain->find(s.pid, s.backendStart) : nullptr) {
            row.insert(QStringLiteral("pool"),
                       QJsonObject{{QStringLiteral("database"), link->poolDatabase},
                                   {QStringLiteral("user"), link->poolUser},
                                   {QStringLiteral("server_state"), link->serverState}});
            if (link->hasClient)
                row.insert(QStringLiteral("client"), clientJson(*link));
        }
        list.append(row);
    }
    return QJsonObject{{QStringLiteral("total"), pg.counts.total()},
                       {QStringLiteral("hidden"), pg.counts.hidden},
                       {QStringLiteral("by_state"), byState},
                       {QStringLiteral("list"), list}};
}

QJsonArray poolsJson(const BouncerSample &b)
{
    QJsonArray pools;
    for (const PoolStats &p : b.pools) {
        pools.append(QJsonObject{
            {QStringLiteral("database"), p.database},
            {QStringLiteral("user"), p.user},
            {QStringLiteral("pool_mode"), opt(p.poolMode)},
            {QStringLiteral("pool_size"), opt(p.poolSize)},
            {QStringLiteral("cl_active"), opt(p.clActive)},
            {QStringLiteral("cl_waiting"), opt(p.clWaiting)},
            {QStringLiteral("sv_active"), opt(p.svActive)},
            {QStringLiteral("sv_idle"), opt(p.svIdle)},
            {QStringLiteral("sv_used"), opt(p.svUsed)},
            {QStringLiteral("sv_tested"), opt(p.svTested)},
            {QStringLiteral("sv_login"), opt(p.svLogin)},
            {QStringLiteral("maxwait_s"), opt(p.maxwaitSeconds)},
            {QStringLiteral("reserve_pool"), opt(p.reservePool)},
            {QStringLiteral("unlimited"), p.unlimited()},
            {QStringLiteral("server_count"), opt(p.serverCount())},
            {QStringLiteral("busy"), rounded(p.busyFraction())},
            {QStringLiteral("open"), rounded(p.openFraction())},
            {QStringLiteral("saturated"), p.saturated()},
            {QStringLiteral("tps"), rounded(p.tps)},
            {QStringLiteral("qps"), rounded(p.qps)},
            {QStringLiteral("idle_in_xact_ms"), rounded(p.idleInXactMs)},
            {QStringLiteral("cl_idle"), opt(p.clIdle)},
            {QStringLiteral("cl_cancel_req"), opt(p.clCancelReq)},
            {QStringLiteral("cl_active_cancel_req"), opt(p.clActiveCancelReq)},
            {QStringLiteral("cl_waiting_cancel_req"), opt(p.clWaitingCancelReq)},
            {QStringLiteral("sv_active_cancel"), opt(p.svActiveCancel)},
            {QStringLiteral("sv_being_canceled"), opt(p.svBeingCanceled)},
        });
    }
    return pools;
}

QString accessName(ConsoleAccess access)
{
    switch (access) {
    case ConsoleAccess::Admin:
        return QStringLiteral("admin");
    case ConsoleAccess::StatsOnly:
        return QStringLiteral("stats");
    case ConsoleAccess::Unknown:
        break;
    }
    return QStringLiteral("unknown");
}

QJsonObject poolerJson(const BouncerSample &b)
{
    QJsonArray databases;
    for (const BouncerDatabase &d : b.databases) {
        databases.append(QJsonObject{
            {QStringLiteral("name"), d.name},
            {QStringLiteral("host"), d.host.isEmpty() ? QJsonValue() : QJsonValue(d.host)},
            {QStringLiteral("port"), opt(d.port)},
            {QStringLiteral("database"), d.database},
            {QStringLiteral("pool_size"), opt(d.poolSize)},
            {QStringLiteral("reserve_pool"), opt(d.reservePool)},
            {QStringLiteral("paused"), opt(d.paused)},
            {QStringLiteral("disabled"), opt(d.disabled)},
        });
    }
    return QJsonObject{
        {QStringLiteral("flavor"), poolerFlavorName(b.flavor)},
        {QStringLiteral("version"), b.versionText.isEmpty() ? QJsonValue() : QJsonValue(b.versionText)},
        {QStringLiteral("version_num"), b.versionNum > 0 ? QJsonValue(b.versionNum) : QJsonValue()},
        {QStringLiteral("console_user"), b.consoleUser.isEmpty() ? QJsonValue() : QJsonValue(b.consoleUser)},
        {QStringLiteral("access"), accessName(b.access)},
        {QStringLiteral("paused"), opt(b.paused)},
        {QStringLiteral("suspended"), opt(b.suspended)},
        {QStringLiteral("clients"), b.clients ? QJsonValue(int(b.clients->size())) : QJsonValue()},
        {QStringLiteral("servers"), b.servers ? QJsonValue(int(b.servers->size())) : QJsonValue()},
        {QStringLiteral("connections_at_ms"),
         b.clients || b.servers ? QJsonValue(double(b.connectionsAtMs)) : QJsonValue()},
        {QStringLiteral("databases"), databases},
    };
}

QJsonObject pgpoolJson(const PgpoolSample &p)
{
    QJsonArray nodes;
    for (const PgpoolNode &n : p.nodes) {
        nodes.append(QJsonObject{
            {QStringLiteral("node_id"), double(n.nodeId)},
            {QStringLiteral("hostname"), n.hostname},
            {QStringLiteral("port"), opt(n.port)},
            {QStringLiteral("status"), n.status},
            {QStringLiteral("pg_status"), n.pgStatus.isEmpty() ? QJsonValue() : QJsonValue(n.pgStatus)},
            {QStringLiteral("role"), n.role},
            {QStringLiteral("select_cnt"), opt(n.selectCount)},
            {QStringLiteral("load_balance_node"), opt(n.loadBalanceNode)},
        });
    }
    int slotsWithBackend = 0;
    for (const PgpoolPoolSlot &s : p.pools)
        slotsWithBackend += s.backendPid ? 1 : 0;
    return QJsonObject{
        {QStringLiteral("version"), p.version.isEmpty() ? QJsonValue() : QJsonValue(p.version)},
        {QStringLiteral("nodes"), nodes},
        {QStringLiteral("children"),
         QJsonObject{{QStringLiteral("busy"), p.busyChildren()},
                     {QStringLiteral("num_init_children"), opt(p.numInitChildren)},
                     {QStringLiteral("utilisation"), rounded(p.childUtilisation())},
                     {QStringLiteral("own_child_pid"), opt(p.ownChildPid)}}},
        {QStringLiteral("processes"), int(p.processes.size())},
        {QStringLiteral("max_pool"), opt(p.maxPool)},
        {QStringLiteral("backend_connections"), slotsWithBackend},
    };
}

} // namespace

QJsonObject toJson(const TargetSnapshot &snapshot)
{
    return toJson(snapshot, nullptr);
}

QJsonObject toJson(const TargetSnapshot &snapshot, const PoolerChain *chain)
{
    QJsonObject o{
        {QStringLiteral("target"), snapshot.target},
        {QStringLiteral("kind"), targetKindName(snapshot.kind)},
        {QStringLiteral("ok"), snapshot.ok},
        {QStringLiteral("error"),
         snapshot.error.isError() ? QJsonValue(snapshot.error.message) : QJsonValue(QJsonValue::Null)},
        {QStringLiteral("server_version"), snapshot.serverVersion.isEmpty()
                                               ? QJsonValue(QJsonValue::Null)
                                               : QJsonValue(snapshot.serverVersion)},
    };
    if (snapshot.error.isError() && !snapshot.error.sqlState.isEmpty())
        o.insert(QStringLiteral("sqlstate"), snapshot.error.sqlState);
    if (snapshot.postgres) {
        const PostgresSample &pg = *snapshot.postgres;
        o.insert(QStringLiteral("max_connections"), opt(pg.maxConnections));
        o.insert(QStringLiteral("usable_connections"), opt(pg.usableConnections()));
        // A Pgpool-II target samples PostgreSQL through itself: its own POOL_POOLS is the chain.
        PoolerChain own;
        if (!chain && snapshot.kind == TargetKind::Pgpool && snapshot.pgpool) {
            own = chainOf(snapshot);
            chain = &own;
        }
        o.insert(QStringLiteral("sessions"), sessionsJson(pg, chain && !chain->isEmpty() ? chain : nullptr));
        const auto oldest = pg.oldestXactAge();
        o.insert(QStringLiteral("oldest_xact_age_s"),
                 oldest ? QJsonValue(std::round(*oldest * 1000.0) / 1000.0) : QJsonValue(QJsonValue::Null));
        o.insert(QStringLiteral("client_backends"), pg.clientBackends());
        o.insert(QStringLiteral("headroom"), opt(pg.headroom()));
        o.insert(QStringLiteral("lock_waiting"), pg.lockWaiting);
        o.insert(QStringLiteral("root_blockers"), pids(pg.rootBlockers));
        const Session *xmin = pg.oldestXminSession();
        o.insert(QStringLiteral("oldest_xmin_age_xids"), xmin ? opt(xmin->horizonAge()) : QJsonValue());
        o.insert(QStringLiteral("oldest_xmin_pid"), xmin ? QJsonValue(double(xmin->pid)) : QJsonValue());
        o.insert(QStringLiteral("oldest_xmin_xact_age_s"),
                 xmin ? age(pg.serverNow, xmin->xactStart) : QJsonValue());
        o.insert(QStringLiteral("groups"), groupsJson(pg));
        QJsonObject distinct;
        for (GroupDimension d : AllGroupDimensions)
            distinct.insert(groupDimensionName(d), int(pg.groupsBy(d).size()));
        o.insert(QStringLiteral("groups_distinct"), distinct);
        o.insert(QStringLiteral("commits_per_s"), opt(pg.commitsPerSecond));
        o.insert(QStringLiteral("rollbacks_per_s"), opt(pg.rollbacksPerSecond));
        // How the rates were estimated: over which window of pg_stat_database's counters, and why not when
        // they are null (TransactionRates).
        o.insert(QStringLiteral("transactions_per_s"), opt(snapshot.tps));
        o.insert(QStringLiteral("rate_window_s"),
                 pg.transactionRate.perSecond ? rounded(pg.transactionRate.windowS, 10.0) : QJsonValue());
        o.insert(QStringLiteral("rate_status"), rateStatusName(pg.transactionRate.status));
        o.insert(QStringLiteral("rate_source"), QStringLiteral("pg_stat_database"));
        o.insert(QStringLiteral("sessions_established"), opt(pg.sessionsTotal));
        o.insert(QStringLiteral("postmaster_start"), opt(pg.postmasterStart));
        o.insert(QStringLiteral("sessions_killed"), opt(pg.sessionsKilled));
        o.insert(QStringLiteral("sessions_fatal"), opt(pg.sessionsFatal));
        o.insert(QStringLiteral("sessions_abandoned"), opt(pg.sessionsAbandoned));
        o.insert(QStringLiteral("sessions_killed_delta"), opt(pg.sessionsKilledDelta));
        o.insert(QStringLiteral("sessions_fatal_delta"), opt(pg.sessionsFatalDelta));
        o.insert(QStringLiteral("sessions_abandoned_delta"), opt(pg.sessionsAbandonedDelta));
    }
    if (snapshot.bouncer) {
        o.insert(QStringLiteral("pools"), poolsJson(*snapshot.bouncer));
        o.insert(QStringLiteral("pooler"), poolerJson(*snapshot.bouncer));
        // The pools' tps, qps and idle_in_xact_ms compare SHOW STATS_TOTALS over this span (exact counters).
        o.insert(QStringLiteral("rate_window_s"), rounded(snapshot.bouncer->ratesWindowS));
        o.insert(QStringLiteral("rate_source"), QStringLiteral("SHOW STATS_TOTALS"));
    }
    if (snapshot.pgpool)
        o.insert(QStringLiteral("pgpool"), pgpoolJson(*snapshot.pgpool));
    return o;
}

QJsonObject toJson(const QList<TargetSnapshot> &snapshots)
{
    QJsonArray targets;
    for (const TargetSnapshot &s : snapshots)
        targets.append(toJson(s));
    return QJsonObject{{QStringLiteral("targets"), targets}};
}

QJsonObject toJson(const QList<TargetSnapshot> &snapshots, const QList<PoolerChain> &chains)
{
    QJsonArray targets;
    for (qsizetype i = 0; i < snapshots.size(); ++i)
        targets.append(toJson(snapshots[i], i < chains.size() ? &chains[i] : nullptr));
    return QJsonObject{{QStringLiteral("targets"), targets}};
}

} // namespace poolscope
