#include "liveplan.h"

#include <algorithm>
#include <cmath>
#include <tuple>

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

void AppPeaks::record(int target, double atS, const QHash<Key, int> &counts)
{
    // Every application this target had, counted this sample (0 when it is gone), at most one point a
    // second (a 10 Hz sampler would otherwise keep 6,000 points per application), trimmed to the window.
    const double second = std::floor(atS);
    for (auto it = m_peaks.begin(); it != m_peaks.end();) {
        if (it.key().target != target) {
            ++it;
            continue;
        }
        Samples &samples = it.value();
        const int n = counts.value(it.key(), 0);
        if (!samples.isEmpty() && std::floor(samples.constLast().first) == second)
            samples.last().second = std::max(samples.constLast().second, n);
        else
            samples.append({atS, n});
        while (!samples.isEmpty() && samples.constFirst().first < atS - m_windowS)
            samples.removeFirst();
        const bool gone =
            std::all_of(samples.cbegin(), samples.cend(), [](const auto &x) { return x.second == 0; });
        it = gone ? m_peaks.erase(it) : std::next(it);
    }
    for (auto it = counts.cbegin(); it != counts.cend(); ++it) {
        if (!m_peaks.contains(it.key()))
            m_peaks.insert(it.key(), Samples{{atS, it.value()}});
    }
}

void AppPeaks::addPostgres(int pgId, double atS, const QList<Session> &sessions,
                           const QList<const PoolerChain *> &chains)
{
    Direct &last = m_direct[pgId];
    bool same = last.sessions.isSharedWith(sessions) && last.chains.size() == chains.size();
    for (qsizetype i = 0; same && i < chains.size(); ++i)
        same = chains.at(i) ? last.chains.at(i).isSharedWith(chains.at(i)->byBackendPid)
                            : last.chains.at(i).isEmpty();
    if (!same) {
        // Counted by name first: one hash of the name per session, no key built per session.
        QHash<QString, int> byName;
        for (const Session &s : sessions) {
            if (s.backendType != QLatin1String("client backend"))
                continue;
            const bool pooled = std::any_of(chains.cbegin(), chains.cend(), [&](const PoolerChain *c) {
                return c && c->byBackendPid.contains(s.pid);
            });
            if (!pooled)
                ++byName[s.applicationName];
        }
        last.counts.clear();
        for (auto it = byName.cbegin(); it != byName.cend(); ++it)
            last.counts.insert(Key{pgId, it.key(), QStringLiteral("postgres"), {}, {}}, it.value());
        last.sessions = sessions;
        last.chains.clear();
        for (const PoolerChain *c : chains)
            last.chains.append(c ? c->byBackendPid : QHash<qint64, ChainLink>());
    }
    record(pgId, atS, last.counts);
}

void AppPeaks::addPooler(int poolerId, const QString &poolerName, double atS,
                         const QList<BouncerConnection> &clients)
{
    QHash<Key, int> counts;
    for (const BouncerConnection &c : clients) {
        if (c.database == QLatin1String("pgbouncer"))
            continue; // the console: PoolScope itself, admins
        ++counts[Key{poolerId, c.applicationName, poolerName, c.database, c.user}];
    }
    record(poolerId, atS, counts);
}

void AppPeaks::removeTarget(int id)
{
    m_peaks.removeIf([id](const auto &entry) { return entry.key().target == id; });
    m_direct.remove(id);
}

QList<SeenApp> AppPeaks::appsFor(int pgId, const QList<int> &poolerIds, double nowS) const
{
    QList<SeenApp> apps;
    for (auto it = m_peaks.cbegin(); it != m_peaks.cend(); ++it) {
        const Key &k = it.key();
        if (k.target != pgId && !poolerIds.contains(k.target))
            continue;
        int peak = 0;
        for (const auto &[t, n] : it.value()) {
            if (t >= nowS - m_windowS)
                peak = std::max(peak, n);
        }
        if (peak > 0)
            apps.append(SeenApp{k.name, peak, k.via, k.database, k.user});
    }
    // Highest peak first; ties in a fixed order (the hash's is not).
    std::sort(apps.begin(), apps.end(), [](const SeenApp &a, const SeenApp &b) {
        return std::tie(b.peakSessions, a.via, a.name, a.database, a.user) <
               std::tie(a.peakSessions, b.via, b.name, b.database, b.user);
    });
    return apps;
}

} // namespace poolscope::plan
