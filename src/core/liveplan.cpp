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
        // One name seen directly and through a pooler (or two pools) is two entries of the plan.
        const auto sameName = [&](const AppSpec &other) {
            return other.name == a.name;
        };
        if (std::any_of(plan.apps.cbegin(), plan.apps.cend(), sameName))
            a.name += QStringLiteral(" via %1 %2/%3").arg(seen.via, seen.database, seen.user);
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

namespace poolscope::plan {

void AppPeaks::record(int target, double atS, const QHash<QString, QPair<Key, int>> &counts)
{
    // Every application this target had, counted this sample (0 when it is gone), then trimmed to the window.
    for (Peak &p : m_peaks) {
        if (p.key.target != target)
            continue;
        const QString id =
            p.key.name + QChar(0) + p.key.via + QChar(0) + p.key.database + QChar(0) + p.key.user;
        p.samples.append({atS, counts.contains(id) ? counts.value(id).second : 0});
    }
    for (auto it = counts.cbegin(); it != counts.cend(); ++it) {
        const bool known = std::any_of(m_peaks.cbegin(), m_peaks.cend(),
                                       [&](const Peak &p) { return p.key == it.value().first; });
        if (!known)
            m_peaks.append(Peak{it.value().first, {{atS, it.value().second}}});
    }
    for (Peak &p : m_peaks) {
        while (!p.samples.isEmpty() && p.samples.constFirst().first < atS - m_windowS)
            p.samples.removeFirst();
    }
    m_peaks.removeIf([](const Peak &p) {
        return std::all_of(p.samples.cbegin(), p.samples.cend(), [](const auto &s) { return s.second == 0; });
    });
}

void AppPeaks::addPostgres(int pgId, double atS, const QList<Session> &sessions,
                           const QList<const PoolerChain *> &chains)
{
    QHash<QString, QPair<Key, int>> counts;
    for (const Session &s : sessions) {
        if (s.backendType != QLatin1String("client backend"))
            continue;
        const bool pooled = std::any_of(chains.cbegin(), chains.cend(), [&](const PoolerChain *c) {
            return c && c->byBackendPid.contains(s.pid);
        });
        if (pooled)
            continue;
        const QString id = s.applicationName + QChar(0) + QStringLiteral("postgres") + QChar(0) + QChar(0);
        auto &entry = counts[id];
        entry.first = Key{pgId, s.applicationName, QStringLiteral("postgres"), {}, {}};
        ++entry.second;
    }
    record(pgId, atS, counts);
}

void AppPeaks::addPooler(int poolerId, const QString &poolerName, double atS,
                         const QList<BouncerConnection> &clients)
{
    QHash<QString, QPair<Key, int>> counts;
    for (const BouncerConnection &c : clients) {
        if (c.database == QLatin1String("pgbouncer"))
            continue; // the console: PoolScope itself, admins
        const QString id =
            c.applicationName + QChar(0) + poolerName + QChar(0) + c.database + QChar(0) + c.user;
        auto &entry = counts[id];
        entry.first = Key{poolerId, c.applicationName, poolerName, c.database, c.user};
        ++entry.second;
    }
    record(poolerId, atS, counts);
}

void AppPeaks::removeTarget(int id)
{
    m_peaks.removeIf([id](const Peak &p) { return p.key.target == id; });
}

QList<SeenApp> AppPeaks::appsFor(int pgId, const QList<int> &poolerIds, double nowS) const
{
    QList<SeenApp> apps;
    for (const Peak &p : m_peaks) {
        if (p.key.target != pgId && !poolerIds.contains(p.key.target))
            continue;
        int peak = 0;
        for (const auto &[t, n] : p.samples) {
            if (t >= nowS - m_windowS)
                peak = std::max(peak, n);
        }
        if (peak > 0)
            apps.append(SeenApp{p.key.name, peak, p.key.via, p.key.database, p.key.user});
    }
    std::stable_sort(apps.begin(), apps.end(),
                     [](const SeenApp &a, const SeenApp &b) { return a.peakSessions > b.peakSessions; });
    return apps;
}

} // namespace poolscope::plan
