#include "liveplan.h"

#include <algorithm>

namespace poolscope::plan {

namespace {

int configInt(const BouncerSample &b, const char *key, int fallback)
{
    bool ok = false;
    const int v = b.config.value(QString::fromLatin1(key)).toInt(&ok);
    return ok && v >= 0 ? v : fallback;
}

} // namespace

Plan planFromLive(const LiveInputs &in)
{
    Plan plan;
    if (const PostgresSample *pg = in.postgres) {
        plan.postgres.maxConnections = pg->maxConnections.value_or(plan.postgres.maxConnections);
        plan.postgres.superuserReserved = pg->superuserReserved.value_or(plan.postgres.superuserReserved);
        plan.postgres.reserved = pg->reservedConnections.value_or(0);
        // PoolScope's own monitoring connections take slots too.
        plan.postgres.otherSessions = pg->poolscopeSessions;
    }
    for (const LiveInputs::Pooler &p : in.poolers) {
        if (!p.sample)
            continue;
        const BouncerSample &b = *p.sample;
        PoolerSpec spec;
        spec.name = p.name;
        const QString mode = b.config.value(QStringLiteral("pool_mode"));
        if (!mode.isEmpty())
            spec.poolMode = mode;
        spec.defaultPoolSize = configInt(b, "default_pool_size", spec.defaultPoolSize);
        spec.reservePoolSize = configInt(b, "reserve_pool_size", spec.reservePoolSize);
        spec.maxClientConn = std::max(1, configInt(b, "max_client_conn", spec.maxClientConn));
        spec.maxDbConnections = configInt(b, "max_db_connections", 0);
        spec.maxUserConnections = configInt(b, "max_user_connections", 0);
        for (const PoolStats &pool : b.pools) {
            if (pool.database == QLatin1String("pgbouncer"))
                continue; // the console
            PoolSpec ps{pool.database, pool.user};
            if (pool.poolSize)
                ps.poolSize = int(*pool.poolSize);
            if (pool.poolMode && *pool.poolMode != spec.poolMode)
                ps.poolMode = *pool.poolMode;
            spec.pools.append(ps);
        }
        plan.poolers.append(spec);
    }
    for (const SeenApp &seen : in.apps) {
        AppSpec a;
        a.name = seen.name.isEmpty() ? QStringLiteral("(no application_name)") : seen.name;
        a.poolSize = std::max(1, seen.peakSessions);
        const bool pooled = std::any_of(in.poolers.cbegin(), in.poolers.cend(),
                                        [&](const LiveInputs::Pooler &p) { return p.name == seen.via; });
        if (pooled && !seen.database.isEmpty() && !seen.user.isEmpty()) {
            a.via = seen.via;
            a.database = seen.database;
            a.user = seen.user;
        }
        plan.apps.append(a);
    }
    // Traffic from the poolers' counters, split over the applications sharing a pool by their peaks.
    for (const LiveInputs::Pooler &p : in.poolers) {
        if (!p.sample)
            continue;
        for (const PoolStats &pool : p.sample->pools) {
            if (!pool.tps || *pool.tps <= 0)
                continue;
            std::optional<double> holdMs;
            for (const BouncerStatsTotals &t : p.sample->totals) {
                if (t.database == pool.database && t.xactCount && *t.xactCount > 0 && t.xactTime)
                    holdMs = double(*t.xactTime) / double(*t.xactCount) / 1000.0; // µs → ms
            }
            if (!holdMs || *holdMs <= 0)
                continue;
            int peaks = 0;
            for (const AppSpec &a : plan.apps) {
                if (a.via == p.name && a.database == pool.database && a.user == pool.user)
                    peaks += a.poolSize;
            }
            for (AppSpec &a : plan.apps) {
                if (a.via == p.name && a.database == pool.database && a.user == pool.user && peaks > 0)
                    a.traffic = Traffic{*pool.tps * a.poolSize / peaks, *holdMs};
            }
        }
    }
    return plan;
}

} // namespace poolscope::plan
