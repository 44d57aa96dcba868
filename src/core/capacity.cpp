#include "capacity.h"

#include <QHash>
#include <QJsonArray>
#include <algorithm>
#include <limits>

namespace poolscope::capacity {

namespace {

constexpr int kMaxScaleOut = 100000; // an application "fits at any count" past this
constexpr int kMaxPoolerInstances = 2000;

/// One (database, user) pool of a pooler, as the plan's applications use it.
struct PoolUse
{
    QString database;
    QString user;
    int size = 0; // per instance; 0: unlimited
    QString mode;
    qint64 clients = 0;
    QStringList apps;
    QList<std::pair<QString, qint64>> parts; // clients per application

    QString key() const { return database + QLatin1Char('/') + user; }
    /// Server connections one pooler instance may open for it: pool_size + reserve; nullopt: unlimited.
    std::optional<qint64> capPerInstance(int reserve) const
    {
        if (size == 0)
            return std::nullopt;
        return qint64(size) + reserve;
    }
};

QList<PoolUse> poolsOf(const plan::Plan &plan, const plan::PoolerSpec &pooler)
{
    QList<PoolUse> pools;
    for (const plan::AppSpec &a : plan.apps) {
        if (a.via != pooler.name)
            continue;
        auto it = std::find_if(pools.begin(), pools.end(), [&](const PoolUse &p) {
            return p.database == a.database && p.user == a.user;
        });
        if (it == pools.end()) {
            PoolUse use{a.database, a.user, pooler.defaultPoolSize, pooler.poolMode};
            for (const plan::PoolSpec &spec : pooler.pools) {
                if (spec.database == a.database && spec.user == a.user) {
                    use.size = spec.poolSize.value_or(pooler.defaultPoolSize);
                    use.mode = spec.poolMode.value_or(pooler.poolMode);
                }
            }
            pools.append(use);
            it = pools.end() - 1;
        }
        it->clients += a.clients();
        it->apps.append(a.name);
        it->parts.append({a.name, a.clients()});
    }
    return pools;
}

/// The server connections a pool's instances may open at worst: each client holds at most one.
qint64 poolServers(const PoolUse &p, const plan::PoolerSpec &pooler)
{
    const std::optional<qint64> cap = p.capPerInstance(pooler.reservePoolSize);
    return cap ? std::min(p.clients, qint64(pooler.instances) * *cap) : p.clients;
}

/// A pooler's server connections at worst, capped per database and per user where those caps are set.
qint64 poolerServers(const QList<PoolUse> &pools, const plan::PoolerSpec &pooler)
{
    QHash<QString, qint64> byDb, byUser;
    qint64 total = 0;
    for (const PoolUse &p : pools) {
        const qint64 s = poolServers(p, pooler);
        byDb[p.database] += s;
        byUser[p.user] += s;
        total += s;
    }
    auto capped = [&](const QHash<QString, qint64> &groups, int capPerInstance) {
        if (capPerInstance <= 0)
            return total;
        qint64 sum = 0;
        for (qint64 s : groups)
            sum += std::min(s, qint64(pooler.instances) * capPerInstance);
        return sum;
    };
    return std::min(capped(byDb, pooler.maxDbConnections), capped(byUser, pooler.maxUserConnections));
}

QString instancesText(int n)
{
    return n == 1 ? QStringLiteral("1 instance") : QStringLiteral("%1 instances").arg(n);
}

double ratio(const Layer &l)
{
    if (!l.limit)
        return 0;
    if (*l.limit <= 0)
        return l.worstCase > 0 ? std::numeric_limits<double>::infinity() : 0;
    return double(l.worstCase) / double(*l.limit);
}

bool fitsAll(const plan::Plan &plan)
{
    return layers(plan).fits;
}

/// The largest count of `count` (an instance count in `plan`) that fits, searched by doubling then halving:
/// more instances of an application only add connections.
ScaleOut scaleApp(const plan::Plan &plan, int index)
{
    plan::Plan p = plan;
    int &n = p.apps[index].instances;
    ScaleOut s{QStringLiteral("app"), plan.apps.at(index).name, plan.apps.at(index).instances};
    n = 0;
    if (!fitsAll(p))
        return s; // the others do not fit even without it
    int good = 0, bad = -1;
    for (int probe = 1; probe <= kMaxScaleOut; probe *= 2) {
        n = probe;
        if (!fitsAll(p)) {
            bad = probe;
            break;
        }
        good = probe;
    }
    if (bad < 0) {
        n = kMaxScaleOut;
        if (fitsAll(p)) {
            s.unbounded = true;
            s.maxInstances = kMaxScaleOut;
            return s;
        }
        bad = kMaxScaleOut;
    }
    while (bad - good > 1) {
        n = good + (bad - good) / 2;
        (fitsAll(p) ? good : bad) = n;
    }
    s.maxInstances = good;
    return s;
}

/// Pooler instances add client capacity and server connections both: not monotonic, so every count is tried.
ScaleOut scalePooler(const plan::Plan &plan, int index)
{
    plan::Plan p = plan;
    ScaleOut s{QStringLiteral("pooler"), plan.poolers.at(index).name, plan.poolers.at(index).instances};
    for (int k = 1; k <= kMaxPoolerInstances; ++k) {
        p.poolers[index].instances = k;
        if (fitsAll(p)) {
            s.maxInstances = k;
            if (!s.minInstances)
                s.minInstances = k;
        }
    }
    s.unbounded = s.maxInstances == kMaxPoolerInstances;
    return s;
}

Level levelOf(const erlang::Queue &q)
{
    if (!q.stable() || q.utilisation >= 0.95)
        return Level::Critical;
    return q.utilisation >= 0.85 ? Level::Warning : Level::Ok;
}

QList<QueueResult> queues(const plan::Plan &plan)
{
    QList<QueueResult> out;
    for (const plan::AppSpec &a : plan.apps) {
        if (!a.traffic || a.instances == 0)
            continue;
        const plan::Traffic &t = *a.traffic;
        // Each process queues on its own pool: arrivals split evenly over the processes.
        const int perProcess = a.poolSize + a.maxOverflow;
        const int processes = a.instances * a.processes;
        QueueResult r{a.name, perProcess,
                      QStringLiteral("each of %1 processes' pool of %2").arg(processes).arg(perProcess)};
        r.queue = erlang::mmc(perProcess, t.arrivalRatePerS / processes, t.meanHoldMs);
        // Behind a pooler, the pool there is a second queue, shared by every application using it.
        if (const plan::PoolerSpec *pooler = plan.pooler(a.via)) {
            for (const PoolUse &p : poolsOf(plan, *pooler)) {
                if (p.database != a.database || p.user != a.user)
                    continue;
                double lambda = 0;
                for (const plan::AppSpec &other : plan.apps) {
                    if (other.via == a.via && other.database == a.database && other.user == a.user)
                        lambda += other.traffic ? other.traffic->arrivalRatePerS : 0;
                }
                const qint64 servers =
                    std::min<qint64>(poolServers(p, *pooler), std::numeric_limits<int>::max());
                const erlang::Queue atPooler = erlang::mmc(int(servers), lambda, t.meanHoldMs);
                if (atPooler.utilisation > r.queue.utilisation) {
                    r.servers = int(servers);
                    r.serversDetail = QStringLiteral("%1 pool %2: %3 server connections for %4")
                                          .arg(pooler->name, p.key())
                                          .arg(servers)
                                          .arg(p.apps.join(QStringLiteral(", ")));
                    r.queue = atPooler;
                }
            }
        }
        r.level = levelOf(r.queue);
        out.append(r);
    }
    return out;
}

} // namespace

std::optional<double> Layer::utilisation() const
{
    if (!limit)
        return std::nullopt;
    return ratio(*this);
}

Result layers(const plan::Plan &plan)
{
    Result r;
    r.usableBackends = plan.postgres.usable();
    qint64 direct = 0;
    QStringList directApps;
    QList<std::pair<QString, qint64>> directParts;
    for (const plan::AppSpec &a : plan.apps) {
        Layer l{QStringLiteral("app ") + a.name, QStringLiteral("connections %1 can open").arg(a.name),
                a.clients(), std::nullopt, false};
        l.detail = QStringLiteral("%1 × %2 × (pool_size %3 + max_overflow %4)")
                       .arg(instancesText(a.instances), a.processes == 1
                                                            ? QStringLiteral("1 process")
                                                            : QStringLiteral("%1 processes").arg(a.processes))
                       .arg(a.poolSize)
                       .arg(a.maxOverflow);
        r.layers.append(l);
        if (a.direct()) {
            direct += a.clients();
            directApps.append(QStringLiteral("%1 %2").arg(a.name).arg(a.clients()));
            directParts.append({a.name, a.clients()});
        }
    }
    qint64 pooled = 0;
    QStringList pooledText;
    for (const plan::PoolerSpec &p : plan.poolers) {
        const QList<PoolUse> pools = poolsOf(plan, p);
        qint64 clients = 0;
        QList<std::pair<QString, qint64>> clientParts;
        for (const PoolUse &use : pools) {
            clients += use.clients;
            clientParts += use.parts;
        }
        Layer conn{p.name + QStringLiteral(".max_client_conn"),
                   QStringLiteral("client connections to %1").arg(p.name), clients,
                   qint64(p.instances) * p.maxClientConn};
        conn.detail =
            QStringLiteral("%1 × max_client_conn %2").arg(instancesText(p.instances)).arg(p.maxClientConn);
        conn.parts = clientParts;
        r.layers.append(conn);
        for (const PoolUse &use : pools) {
            const std::optional<qint64> cap = use.capPerInstance(p.reservePoolSize);
            const bool session = use.mode == QLatin1String("session");
            Layer pool{
                p.name + QStringLiteral(".pool ") + use.key(),
                session
                    ? QStringLiteral("clients of session-mode pool %1, each pinning a server").arg(use.key())
                    : QStringLiteral("clients of %1-mode pool %2, sharing its servers")
                          .arg(use.mode, use.key()),
                use.clients, cap ? std::optional<qint64>(qint64(p.instances) * *cap) : std::nullopt, session};
            pool.detail = cap ? QStringLiteral("%1 × (pool_size %2 + reserve_pool_size %3); clients of %4")
                                    .arg(instancesText(p.instances))
                                    .arg(use.size)
                                    .arg(p.reservePoolSize)
                                    .arg(use.apps.join(QStringLiteral(", ")))
                              : QStringLiteral("pool_size 0: unlimited; clients of %1")
                                    .arg(use.apps.join(QStringLiteral(", ")));
            pool.parts = use.parts;
            r.layers.append(pool);
        }
        const qint64 servers = poolerServers(pools, p);
        Layer sv{p.name + QStringLiteral(".server_connections"),
                 QStringLiteral("server connections %1 may open").arg(p.name), servers, std::nullopt, false};
        sv.detail = QStringLiteral("each pool at most its clients and %1 × its pool_size + reserve%2%3")
                        .arg(instancesText(p.instances))
                        .arg(p.maxDbConnections > 0
                                 ? QStringLiteral(", max_db_connections %1").arg(p.maxDbConnections)
                                 : QString())
                        .arg(p.maxUserConnections > 0
                                 ? QStringLiteral(", max_user_connections %1").arg(p.maxUserConnections)
                                 : QString());
        r.layers.append(sv);
        pooled += servers;
        pooledText.append(QStringLiteral("%1 %2").arg(p.name).arg(servers));
        directParts.append({p.name, servers});
    }
    r.worstCaseBackends = direct + pooled;
    Layer pg{QStringLiteral("postgres.max_connections"), QStringLiteral("connections PostgreSQL must accept"),
             r.worstCaseBackends, qint64(r.usableBackends)};
    pg.detail =
        QStringLiteral("direct: %1; through poolers: %2; usable: max_connections %3 − superuser_reserved "
                       "%4 − reserved %5 − other sessions %6")
            .arg(directApps.isEmpty() ? QStringLiteral("none") : directApps.join(QStringLiteral(", ")),
                 pooledText.isEmpty() ? QStringLiteral("none") : pooledText.join(QStringLiteral(", ")))
            .arg(plan.postgres.maxConnections)
            .arg(plan.postgres.superuserReserved)
            .arg(plan.postgres.reserved)
            .arg(plan.postgres.otherSessions);
    pg.parts = directParts;
    r.layers.append(pg);

    const Layer *tightest = nullptr;
    for (const Layer &l : std::as_const(r.layers)) {
        if (!l.hard || !l.limit)
            continue;
        r.fits = r.fits && l.fits();
        if (!tightest || ratio(l) > ratio(*tightest))
            tightest = &l;
    }
    r.firstLimit = tightest ? tightest->id : QString();
    return r;
}

Result evaluate(const plan::Plan &plan)
{
    Result r = layers(plan);
    for (int i = 0; i < plan.apps.size(); ++i)
        r.scaleOut.append(scaleApp(plan, i));
    for (int i = 0; i < plan.poolers.size(); ++i)
        r.scaleOut.append(scalePooler(plan, i));
    r.queues = queues(plan);
    return r;
}

QString levelName(Level level)
{
    switch (level) {
    case Level::Ok:
        return QStringLiteral("ok");
    case Level::Warning:
        return QStringLiteral("warning");
    case Level::Critical:
        break;
    }
    return QStringLiteral("critical");
}

QJsonObject toJson(const Result &r)
{
    auto optional = [](const auto &v) {
        return v ? QJsonValue(double(*v)) : QJsonValue();
    };
    QJsonArray layers;
    for (const Layer &l : r.layers) {
        const std::optional<double> u = l.utilisation();
        layers.append(QJsonObject{
            {QStringLiteral("id"), l.id},
            {QStringLiteral("what"), l.what},
            {QStringLiteral("worst_case"), double(l.worstCase)},
            {QStringLiteral("limit"), optional(l.limit)},
            {QStringLiteral("fits"), l.fits()},
            {QStringLiteral("hard"), l.hard},
            {QStringLiteral("utilisation"), u && std::isfinite(*u) ? QJsonValue(*u) : QJsonValue()},
            {QStringLiteral("detail"), l.detail}});
    }
    QJsonArray scale;
    for (const ScaleOut &s : r.scaleOut)
        scale.append(QJsonObject{{QStringLiteral("kind"), s.kind},
                                 {QStringLiteral("name"), s.name},
                                 {QStringLiteral("instances"), s.instances},
                                 {QStringLiteral("max_instances"), optional(s.maxInstances)},
                                 {QStringLiteral("min_instances"), optional(s.minInstances)},
                                 {QStringLiteral("unbounded"), s.unbounded}});
    QJsonArray queues;
    for (const QueueResult &q : r.queues)
        queues.append(QJsonObject{{QStringLiteral("app"), q.app},
                                  {QStringLiteral("servers"), q.servers},
                                  {QStringLiteral("servers_detail"), q.serversDetail},
                                  {QStringLiteral("utilisation"), q.queue.utilisation},
                                  {QStringLiteral("p_wait"), q.queue.pWait},
                                  {QStringLiteral("mean_wait_ms"), optional(q.queue.meanWaitMs)},
                                  {QStringLiteral("p99_wait_ms"), optional(q.queue.p99WaitMs)},
                                  {QStringLiteral("level"), levelName(q.level)}});
    return QJsonObject{{QStringLiteral("worst_case_backends"), double(r.worstCaseBackends)},
                       {QStringLiteral("usable_backends"), r.usableBackends},
                       {QStringLiteral("fits"), r.fits},
                       {QStringLiteral("first_limit"), r.firstLimit},
                       {QStringLiteral("layers"), layers},
                       {QStringLiteral("scale_out"), scale},
                       {QStringLiteral("queues"), queues}};
}

} // namespace poolscope::capacity
