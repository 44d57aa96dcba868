#include "snapshotjson.h"

#include <QJsonArray>
#include <cmath>

namespace poolscope {

namespace {

template <typename T> QJsonValue opt(const std::optional<T> &v)
{
    if (!v)
        return QJsonValue(QJsonValue::Null);
    if constexpr (std::is_same_v<T, QString>)
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

QJsonObject sessionsJson(const PostgresSample &pg)
{
    QJsonObject byState;
    for (SessionState s : AllSessionStates)
        byState.insert(sessionStateName(s), pg.counts[s]);
    QJsonArray list;
    for (const Session &s : pg.sessions) {
        list.append(QJsonObject{
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
        });
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
        });
    }
    return pools;
}

} // namespace

QJsonObject toJson(const TargetSnapshot &snapshot)
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
        o.insert(QStringLiteral("sessions"), sessionsJson(pg));
        const auto oldest = pg.oldestXactAge();
        o.insert(QStringLiteral("oldest_xact_age_s"),
                 oldest ? QJsonValue(std::round(*oldest * 1000.0) / 1000.0) : QJsonValue(QJsonValue::Null));
    }
    if (snapshot.bouncer)
        o.insert(QStringLiteral("pools"), poolsJson(*snapshot.bouncer));
    return o;
}

QJsonObject toJson(const QList<TargetSnapshot> &snapshots)
{
    QJsonArray targets;
    for (const TargetSnapshot &s : snapshots)
        targets.append(toJson(s));
    return QJsonObject{{QStringLiteral("targets"), targets}};
}

} // namespace poolscope
