// Pooler rules: a full pool with clients queueing (PgBouncer-shaped consoles and Pgpool-II), the pooler
// busy while PostgreSQL idles, and server connections that cannot log in.
#include "findingrules.h"
#include "fleetsummary.h"

#include <QJsonArray>
#include <QMap>
#include <algorithm>
#include <cmath>

namespace poolscope::findings {

namespace {

/// query_wait_timeout in seconds (SHOW CONFIG); PgBouncer's default when a PgBouncer does not say.
std::optional<double> queryWaitTimeoutS(const BouncerSample &b)
{
    bool ok = false;
    const double v = b.config.value(QStringLiteral("query_wait_timeout")).toDouble(&ok);
    if (ok)
        return v;
    if (b.flavor == PoolerFlavor::PgBouncer)
        return 120.0;
    return std::nullopt;
}

bool poolFull(const PoolStats &p)
{
    const std::optional<qint64> open = p.serverCount();
    if (p.poolSize && *p.poolSize > 0 && open)
        return *open >= *p.poolSize;
    // Size unknown or unlimited: full when no server is free and none is on its way.
    return p.svActive.value_or(0) > 0 && p.svIdle.value_or(0) == 0 && p.svLogin.value_or(0) == 0;
}

/// The clients of one pool from the last SHOW CLIENTS round, by host and by application.
struct ClientSpread
{
    int clients = 0;
    QMap<QString, int> byHost;
    QMap<QString, int> byApp;
};

ClientSpread clientsOf(const BouncerSample &b, const PoolStats &p)
{
    ClientSpread s;
    if (!b.clients)
        return s;
    for (const BouncerConnection &cl : *b.clients) {
        if (cl.database != p.database || cl.user != p.user)
            continue;
        ++s.clients;
        ++s.byHost[cl.addr.isEmpty() ? QStringLiteral("unix") : cl.addr];
        ++s.byApp[cl.applicationName];
    }
    return s;
}

QString spreadText(const QMap<QString, int> &counts, bool apps)
{
    QList<std::pair<int, QString>> items;
    for (auto it = counts.cbegin(); it != counts.cend(); ++it)
        items.append({it.value(), it.key()});
    std::stable_sort(items.begin(), items.end(),
                     [](const auto &a, const auto &b) { return a.first > b.first; });
    QStringList parts;
    for (int i = 0; i < items.size() && i < 4; ++i)
        parts.append(QStringLiteral("%1 %2")
                         .arg(apps ? text::appName(items.at(i).second) : items.at(i).second)
                         .arg(items.at(i).first));
    if (items.size() > 4)
        parts.append(QStringLiteral("%1 more").arg(items.size() - 4));
    return parts.join(QStringLiteral(", "));
}

/// Connections the PostgreSQL targets behind the pooler can still accept (the smallest headroom).
std::optional<int> serverHeadroom(const QList<Linked> &postgres)
{
    std::optional<int> least;
    for (const Linked &l : postgres) {
        if (!l.snapshot->postgres)
            continue;
        if (const auto h = l.snapshot->postgres->headroom(); h && (!least || *h < *least))
            least = *h;
    }
    return least;
}

} // namespace

void poolerSaturation(const PoolerContext &c, PoolerMemory &m, QList<Observation> &out)
{
    const Thresholds &t = c.t;
    const BouncerSample &b = c.bouncer;
    const std::optional<double> qwt = queryWaitTimeoutS(b);
    QSet<QString> seen;
    for (const PoolStats &p : b.pools) {
        const QString key = p.key();
        seen.insert(key);
        const qint64 waiting = p.clWaiting.value_or(0);
        if (waiting <= 0 || !poolFull(p)) {
            m.waitingSamples.remove(key);
            m.waitingSince.remove(key);
            continue;
        }
        const double maxwait = p.maxwaitSeconds.value_or(0);
        if (m.waitingSamples[key]++ == 0)
            m.waitingSince.insert(key, c.atMs - qint64(maxwait * 1000));
        // A queue for an instant is a burst, not a full pool: named after poolerWaitSamples in a row, once
        // the oldest client has waited long enough to be felt (a pool queueing for microseconds is busy, not
        // full).
        const bool confirmed =
            m.waitingSamples.value(key) >= t.poolerWaitSamples && maxwait >= t.poolerMinWaitS;
        const qint64 size = p.poolSize.value_or(0);
        const bool session = p.poolMode.value_or(QString()) == QLatin1String("session");
        const bool nearTimeout = qwt && *qwt > 0 && maxwait >= t.poolerCriticalTimeoutShare * *qwt;
        Observation o;
        o.rule = rule::PoolerSaturation;
        o.subject = key;
        o.confirmed = confirmed;
        o.layer = Layer::Pooler;
        o.severity = (maxwait >= t.poolerCriticalWaitS || nearTimeout || (size > 0 && waiting >= size))
                         ? Severity::Critical
                         : Severity::Warning;
        o.sinceMs = m.waitingSince.value(key);
        o.pools = {key};
        for (const Linked &l : c.postgres)
            o.otherTargetIds.append(l.id);
        o.describe = [b, p, key, waiting, maxwait, qwt, session, size, headroom = serverHeadroom(c.postgres),
                      samples = m.waitingSamples.value(key)](Observation &o) {
            const ClientSpread spread = clientsOf(b, p);
            const QString sizeText = size > 0 ? QString::number(size) : QStringLiteral("unlimited");
            if (session)
                o.summary = QStringLiteral(
                                "Pool %1 (session mode) is full: its %2 server connections are each pinned "
                                "to one client for that client's whole connection; %3 (the oldest for %4).")
                                .arg(key, sizeText,
                                     waiting == 1 ? QStringLiteral("1 more client waits")
                                                  : QStringLiteral("%1 more clients wait").arg(waiting),
                                     ageText(maxwait));
            else
                o.summary =
                    QStringLiteral("Pool %1 is full: all %2 server connections are busy; %3 for one (the "
                                   "oldest for %4).")
                        .arg(key, sizeText,
                             waiting == 1 ? QStringLiteral("1 client waits")
                                          : QStringLiteral("%1 clients wait").arg(waiting),
                             ageText(maxwait));
            if (qwt && *qwt > 0)
                o.summary += QStringLiteral(" At query_wait_timeout (%1 s) PgBouncer drops them with "
                                            "\"query_wait_timeout\".")
                                 .arg(*qwt);
            if (session) {
                const int clients =
                    spread.clients > 0 ? spread.clients : int(p.clActive.value_or(0) + waiting);
                const int hosts = std::max(1, int(spread.byHost.size()));
                QString advice = QStringLiteral("%1 clients want this pool").arg(clients);
                if (!spread.byHost.isEmpty())
                    advice += QStringLiteral(" (%1; by application: %2)")
                                  .arg(spreadText(spread.byHost, false), spreadText(spread.byApp, true));
                advice += QStringLiteral(" against pool_size %1. In session mode every client connection of "
                                         "every instance needs its own server: instances × (pool_size + "
                                         "max_overflow) of the applications must stay at or under %1.")
                              .arg(sizeText);
                o.advice.append(advice);
                if (hosts > 1 && size > 0)
                    o.advice.append(
                        QStringLiteral("Use transaction mode for this pool (a server is then held only for "
                                       "a transaction), or cap each of the %1 client hosts' pools at %2.")
                            .arg(hosts)
                            .arg(std::max<qint64>(1, size / hosts)));
                else
                    o.advice.append(
                        QStringLiteral("Use transaction mode for this pool (a server is then held only for "
                                       "a transaction), or size the applications' pools so that all their "
                                       "connections together stay at or under %1.")
                            .arg(sizeText));
            } else {
                if (headroom && *headroom > 0 && size > 0)
                    o.advice.append(
                        QStringLiteral("PostgreSQL has room for %1 more connections: raise pool_size of "
                                       "%2 from %3 to %4, or find what makes transactions slow.")
                            .arg(*headroom)
                            .arg(key)
                            .arg(size)
                            .arg(size + std::min<qint64>(*headroom / 2, size)));
                else if (headroom)
                    o.advice.append(
                        QStringLiteral("PostgreSQL has no room for more connections: the database's work "
                                       "per transaction is the bottleneck. Shorten transactions; a bigger "
                                       "pool only moves the queue."));
                o.advice.append(
                    QStringLiteral("Servers held by clients that are idle in a transaction do no work: "
                                   "see pooler-db-mismatch and idle-in-transaction-leak when they show."));
                if (p.reservePool.value_or(0) == 0)
                    o.advice.append(QStringLiteral("reserve_pool_size is 0: a small reserve (e.g. 5, with "
                                                   "reserve_pool_timeout 3) absorbs short bursts."));
                if (!spread.byApp.isEmpty())
                    o.advice.append(
                        QStringLiteral("Clients by application: %1.").arg(spreadText(spread.byApp, true)));
            }
            Evidence &e = o.evidence;
            e.insert("pool", key);
            e.insert("pool_mode", p.poolMode.value_or(QString()));
            e.insert("pool_size", p.poolSize ? QJsonValue(double(*p.poolSize)) : QJsonValue());
            e.insert("reserve_pool", p.reservePool ? QJsonValue(double(*p.reservePool)) : QJsonValue());
            e.insert("cl_active", double(p.clActive.value_or(0)));
            e.insert("cl_waiting", double(waiting));
            e.insert("sv_active", double(p.svActive.value_or(0)));
            e.insert("sv_idle", double(p.svIdle.value_or(0)));
            e.insert("sv_used", double(p.svUsed.value_or(0)));
            e.insert("maxwait_s", maxwait);
            e.insert("waiting_samples", samples);
            e.insert("query_wait_timeout_s", qwt ? QJsonValue(*qwt) : QJsonValue());
            e.insert("clients_seen", spread.clients);
        };
        out.append(o);
    }
    for (auto it = m.waitingSamples.begin(); it != m.waitingSamples.end();) {
        if (!seen.contains(it.key())) {
            m.waitingSince.remove(it.key());
            it = m.waitingSamples.erase(it);
        } else {
            ++it;
        }
    }
}

void pgpoolSaturation(const PostgresContext &c, const PgpoolSample &pgpool, PoolerMemory &m,
                      QList<Observation> &out)
{
    const Thresholds &t = c.t;
    if (!pgpool.numInitChildren || *pgpool.numInitChildren <= 0) {
        m.pgpoolFullSamples = 0;
        return;
    }
    const int busy = pgpool.busyChildren();
    // PoolScope's own child is not free either: every child serves someone.
    const qint64 capacity = *pgpool.numInitChildren - (pgpool.ownChildPid ? 1 : 0);
    if (busy < capacity) {
        m.pgpoolFullSamples = 0;
        return;
    }
    if (m.pgpoolFullSamples++ == 0)
        m.pgpoolFullSinceMs = c.atMs;
    Observation o;
    o.rule = rule::PoolerSaturation;
    o.subject = QStringLiteral("pgpool children");
    o.confirmed = m.pgpoolFullSamples >= t.poolerWaitSamples;
    o.layer = Layer::Pooler;
    o.severity = Severity::Critical;
    o.sinceMs = m.pgpoolFullSinceMs;
    o.summary =
        QStringLiteral("Pgpool-II: all %1 children (num_init_children) serve a client: new clients wait "
                       "in the kernel's listen queue, where no counter shows them, until their "
                       "connect_timeout.")
            .arg(*pgpool.numInitChildren);
    o.advice.append(
        QStringLiteral("num_init_children bounds the clients Pgpool-II serves at once: raise it "
                       "(PostgreSQL must accept num_init_children × max_pool = %1 connections) or "
                       "put fewer clients in front.")
            .arg(*pgpool.numInitChildren * pgpool.maxPool.value_or(1)));
    Evidence e;
    e.insert("busy_children", busy);
    e.insert("num_init_children", double(*pgpool.numInitChildren));
    e.insert("max_pool", pgpool.maxPool ? QJsonValue(double(*pgpool.maxPool)) : QJsonValue());
    e.insert("samples", m.pgpoolFullSamples);
    o.evidence = e;
    out.append(o);
}

void poolerDbMismatch(const PoolerContext &c, PoolerMemory &m, QList<Observation> &out)
{
    const Thresholds &t = c.t;
    // Per pool: servers handed to a client (SHOW SERVERS state active, linked), split by what PostgreSQL says
    // their backend does.
    struct Split
    {
        int busy = 0;
        int running = 0;
        int idleInTx = 0;
        int idle = 0;
        QList<qint64> idleInTxPids;
        int postgresId = 0;
    };
    QHash<QString, Split> splits;
    const bool chainFresh = c.chain && !c.chain->isEmpty() && c.atMs - c.chainAtMs <= 10000;
    if (chainFresh) {
        for (const Linked &l : c.postgres) {
            if (!l.snapshot->ok || !l.snapshot->postgres)
                continue;
            const PostgresSample &pg = *l.snapshot->postgres;
            // The round and the PostgreSQL sample are not taken at the same instant: a backend counts as not
            // running only when it was already idle when the round was taken, with a margin.
            const double lagS = std::max(0.0, double(l.snapshot->sampledAtMs - c.chainAtMs) / 1000.0);
            const double minIdleS = lagS + t.mismatchMinIdleS;
            for (const Session &s : pg.sessions) {
                const ChainLink *link = c.chain->find(s.pid, s.backendStart);
                if (!link || !link->hasClient || link->serverState != QLatin1String("active"))
                    continue;
                Split &sp = splits[link->poolDatabase + QLatin1Char('/') + link->poolUser];
                sp.postgresId = l.id;
                ++sp.busy;
                const bool settled = s.stateChange && pg.serverNow - *s.stateChange >= minIdleS;
                switch (settled ? s.stateClass() : SessionState::Active) {
                case SessionState::Active:
                    ++sp.running;
                    break;
                case SessionState::IdleInTransaction:
                case SessionState::IdleInTransactionAborted:
                    ++sp.idleInTx;
                    sp.idleInTxPids.append(s.pid);
                    break;
                case SessionState::Idle:
                    ++sp.idle;
                    break;
                case SessionState::Other:
                    break;
                }
            }
        }
    }
    for (const PoolStats &p : c.bouncer.pools) {
        const QString key = p.key();
        const Split sp = splits.value(key);
        const int notRunning = sp.idleInTx + sp.idle;
        if (!chainFresh || notRunning < t.mismatchMinServers || notRunning < t.mismatchFraction * sp.busy) {
            m.mismatchSamples.remove(key);
            m.mismatchSince.remove(key);
            continue;
        }
        if (m.mismatchSamples[key]++ == 0)
            m.mismatchSince.insert(key, c.atMs);
        const bool session = p.poolMode.value_or(QString()) == QLatin1String("session");
        Observation o;
        o.rule = rule::PoolerDbMismatch;
        o.subject = key;
        o.confirmed = m.mismatchSamples.value(key) >= t.mismatchSamples;
        o.layer = Layer::Pooler;
        o.severity = Severity::Warning;
        o.sinceMs = m.mismatchSince.value(key);
        o.pools = {key};
        o.pids = sp.idleInTxPids;
        o.otherTargetIds.append(sp.postgresId);
        o.summary =
            QStringLiteral("Pool %1: PgBouncer has %2 servers handed to clients, but PostgreSQL shows %3 of "
                           "their backends idle in transaction and %4 idle; only %5 run anything. "
                           "Clients hold servers without using them.")
                .arg(key)
                .arg(sp.busy)
                .arg(sp.idleInTx)
                .arg(sp.idle)
                .arg(sp.running);
        if (session)
            o.advice.append(
                QStringLiteral("Session mode pins a server to every connected client, idle or not: "
                               "transaction mode lets them share (if the application keeps no "
                               "session state: SET, LISTEN, advisory locks, WITH HOLD cursors), or "
                               "client_idle_timeout closes idle clients."));
        else
            o.advice.append(QStringLiteral("In transaction mode a server stays with its client until the "
                                           "transaction ends: these clients keep transactions open between "
                                           "statements (see idle-in-transaction-leak). PgBouncer's "
                                           "idle_transaction_timeout closes such clients."));
        if (!sp.idleInTxPids.isEmpty()) {
            o.action.kind = Action::Kind::Terminate;
            o.action.targetId = sp.postgresId;
            o.action.pids = sp.idleInTxPids;
            o.action.label =
                QStringLiteral("Terminate the %1 idle-in-transaction backends").arg(sp.idleInTxPids.size());
        }
        Evidence e;
        e.insert("pool", key);
        e.insert("pool_mode", p.poolMode.value_or(QString()));
        e.insert("servers_busy", sp.busy);
        e.insert("backends_active", sp.running);
        e.insert("backends_idle_in_transaction", sp.idleInTx);
        e.insert("backends_idle", sp.idle);
        e.insert("sv_active", double(p.svActive.value_or(0)));
        e.insert("chain_age_s", double(c.atMs - c.chainAtMs) / 1000.0);
        e.insert("pids", text::pidArray(sp.idleInTxPids));
        o.evidence = e;
        out.append(o);
    }
}

void poolerDeadConnections(const PoolerContext &c, DeadMemory &m, QList<Observation> &out)
{
    const Thresholds &t = c.t;
    for (const PoolStats &p : c.bouncer.pools) {
        const QString key = p.key();
        if (p.svLogin.value_or(0) <= 0) {
            m.loginSamples.remove(key);
            m.loginSince.remove(key);
            continue;
        }
        if (m.loginSamples[key]++ == 0)
            m.loginSince.insert(key, c.atMs);
        Observation o;
        o.rule = rule::DeadConnections;
        o.subject = key;
        o.confirmed = m.loginSamples.value(key) >= t.deadLoginStuckSamples;
        o.layer = Layer::Pooler;
        o.severity = Severity::Warning;
        o.sinceMs = m.loginSince.value(key);
        o.pools = {key};
        o.summary =
            QStringLiteral("Pool %1: %2 stuck logging in to PostgreSQL for %3 samples: PgBouncer cannot "
                           "reach the server or log in, so clients queue and then fail.")
                .arg(key, text::count(*p.svLogin, QStringLiteral("server connection"),
                                      QStringLiteral("server connections")))
                .arg(m.loginSamples.value(key));
        o.advice.append(
            QStringLiteral("Check PgBouncer's log (\"closing because: …\", \"server login failed\"): "
                           "the server may be down, full (53300), or reject PgBouncer's credentials."));
        for (const Linked &l : c.postgres)
            o.otherTargetIds.append(l.id);
        Evidence e;
        e.insert("pool", key);
        e.insert("sv_login", double(*p.svLogin));
        e.insert("samples", m.loginSamples.value(key));
        o.evidence = e;
        out.append(o);
    }
}

} // namespace poolscope::findings
