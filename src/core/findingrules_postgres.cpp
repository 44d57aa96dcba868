// PostgreSQL rules that read the sessions of one sample: idle-in-transaction leaks, application pools at
// their ceiling, the server's connection ceiling, lock pile-ups and long transactions.
#include "findingrules.h"
#include "fleetsummary.h"

#include <QJsonArray>
#include <algorithm>
#include <cmath>

namespace poolscope::findings {

namespace {

double ageOf(double now, const std::optional<double> &t)
{
    return t ? std::max(0.0, now - *t) : 0.0;
}

bool isIdleInTransaction(SessionState s)
{
    return s == SessionState::IdleInTransaction || s == SessionState::IdleInTransactionAborted;
}

const SessionGroup *appGroup(const PostgresSample &pg, const QString &app)
{
    for (const SessionGroup &g : pg.groupsBy(GroupDimension::Application)) {
        if (g.name == app && !g.hidden)
            return &g;
    }
    return nullptr;
}

int busyOf(const StateCounts &c)
{
    return c[SessionState::Active] + c[SessionState::IdleInTransaction] +
           c[SessionState::IdleInTransactionAborted];
}

qint64 msBefore(qint64 atMs, double seconds)
{
    return atMs - qint64(std::llround(seconds * 1000.0));
}

/// The linked poolers' queue: clients waiting, all pools of all linked poolers.
qint64 poolerWaiting(const PostgresContext &c)
{
    qint64 waiting = 0;
    for (const Linked &l : c.poolers) {
        if (l.snapshot->ok && l.snapshot->bouncer) {
            for (const PoolStats &p : l.snapshot->bouncer->pools)
                waiting += p.clWaiting.value_or(0);
        }
    }
    return waiting;
}

struct AppCount
{
    QString name;
    int sessions = 0;
    int idle = 0;
};

/// The five largest applications.
QList<AppCount> topApplications(const PostgresSample &pg)
{
    QList<AppCount> top;
    const QList<SessionGroup> &groups = pg.groupsBy(GroupDimension::Application);
    for (int i = 0; i < groups.size() && i < 5; ++i)
        top.append({groups.at(i).name, groups.at(i).sessions(), groups.at(i).counts[SessionState::Idle]});
    return top;
}

/// A pooler in front, as the server's ceiling sees it: how many server connections it may open.
struct PoolerCapacity
{
    QString name;
    qint64 possible = 0;    // pool_size + reserve over its pools
    bool unlimited = false; // a pool without a size limit
};

} // namespace

SessionDigest digestSessions(const PostgresSample &pg, const Thresholds &t, DigestCandidates *candidates)
{
    SessionDigest d;
    const double now = pg.serverNow;
    const Session *oldestRunning = nullptr;
    double oldestRunningS = 0;
    // Only the few the rules look at closely are copied.
    auto take = [&](const Session &s) {
        const SessionState st = s.stateClass();
        const double xactS = ageOf(now, s.xactStart);
        if (isIdleInTransaction(st)) {
            const double idleS = ageOf(now, s.stateChange);
            if (idleS >= t.leakMinAgeS)
                d.idleInTransaction.append({s.pid, s.applicationName, s.usename, s.datname, idleS, xactS,
                                            s.horizonAge(), st == SessionState::IdleInTransactionAborted,
                                            s.query});
        } else if (s.xactStart && (!oldestRunning || xactS > oldestRunningS)) {
            oldestRunning = &s;
            oldestRunningS = xactS;
        }
        if (s.xactStart && xactS >= t.leakMinAgeS && st != SessionState::Idle)
            d.longTransactions[s.applicationName].append(s.pid);
        if (s.waitingOnLock()) {
            ++d.lockWaitingByApp[s.applicationName];
            d.oldestLockWaitS = std::max(d.oldestLockWaitS, ageOf(now, s.queryStart));
        }
        if (s.backendStart && now - *s.backendStart < t.churnYoungS) {
            ++d.young;
            ++d.youngByApp[s.applicationName];
        }
    };
    if (!candidates) {
        for (const Session &s : pg.sessions)
            take(s);
    } else {
        DigestCandidates &c = *candidates;
        if (!isHeldList(c.of, pg.sessions) || now < c.at || c.churnYoungS != t.churnYoungS) {
            c.of = pg.sessions;
            c.at = now;
            c.churnYoungS = t.churnYoungS;
            c.indexes.clear();
            for (qsizetype i = 0; i < c.of.size(); ++i) {
                const Session &s = c.of.at(i);
                if (s.xactStart || isIdleInTransaction(s.stateClass()) || s.waitingOnLock() ||
                    (s.backendStart && now - *s.backendStart < t.churnYoungS))
                    c.indexes.push_back(i);
            }
        }
        for (const qsizetype i : c.indexes)
            take(c.of.at(i));
    }
    if (oldestRunning) {
        const Session &s = *oldestRunning;
        d.oldestRunning = SessionDigest::Held{
            s.pid,          s.applicationName, s.usename, s.datname, ageOf(now, s.stateChange),
            oldestRunningS, s.horizonAge(),    false,     s.query};
        d.oldestRunningState = s.state.value_or(QStringLiteral("hidden"));
    }
    std::sort(d.idleInTransaction.begin(), d.idleInTransaction.end(),
              [](const SessionDigest::Held &a, const SessionDigest::Held &b) { return a.idleS > b.idleS; });
    return d;
}

void idleInTransactionLeak(const PostgresContext &c, LeakMemory &m, QList<Observation> &out)
{
    const Thresholds &t = c.t;
    QHash<QString, QList<const SessionDigest::Held *>> byApp;
    for (const SessionDigest::Held &h : c.digest.idleInTransaction)
        byApp[h.application].append(&h); // oldest idle first, as the digest is sorted
    for (auto it = m.apps.begin(); it != m.apps.end();) {
        if (!byApp.contains(it.key()))
            it = m.apps.erase(it);
        else
            ++it;
    }
    for (auto it = byApp.cbegin(); it != byApp.cend(); ++it) {
        const QString &app = it.key();
        const QList<const SessionDigest::Held *> &held = it.value();
        LeakMemory::Track &track = m.apps[app];
        if (track.firstHeldMs == 0) {
            track.firstHeldMs = c.atMs;
            track.firstHeld = int(held.size());
        }
        track.mostHeld = std::max(track.mostHeld, int(held.size()));
        track.seenAtMs = c.atMs;

        const SessionDigest::Held &oldest = *held.first();
        const int n = int(held.size());
        if (n < t.leakMinSessions && oldest.idleS < t.leakWarnAgeS)
            continue; // one short idle-in-transaction session is an application thinking, not a leak
        const SessionGroup *group = appGroup(c.pg, app);
        const int appSessions = group ? group->sessions() : n;
        QList<qint64> pids;
        std::optional<qint64> horizon;
        for (const SessionDigest::Held *h : held) {
            pids.append(h->pid);
            if (h->horizonAge && (!horizon || *h->horizonAge > *horizon))
                horizon = h->horizonAge;
        }
        // Lock waiters behind the holders: they are root blockers of the sample.
        int blocked = 0;
        const QList<qint64> roots = c.pg.rootBlockers;
        QList<qint64> blocking;
        for (qint64 pid : pids) {
            if (roots.contains(pid))
                blocking.append(pid);
        }
        if (!blocking.isEmpty()) {
            const QHash<qint64, int> behind = c.pg.blockedBehind(blocking);
            for (int b : behind)
                blocked += b;
        }
        // The pooler's side: servers held for these clients.
        int pooled = 0;
        QString pool;
        if (c.chain) {
            for (qint64 pid : pids) {
                if (const ChainLink *link = c.chain->find(pid)) {
                    ++pooled;
                    pool = link->poolDatabase + QLatin1Char('/') + link->poolUser;
                }
            }
        }
        const bool whole = n >= t.leakMinSessions && n >= appSessions;
        Observation o;
        o.rule = rule::IdleInTransactionLeak;
        o.subject = app;
        o.layer = Layer::App;
        o.severity = (oldest.idleS >= t.leakCriticalAgeS || whole || blocked > 0) ? Severity::Critical
                                                                                  : Severity::Warning;
        o.sinceMs = msBefore(c.atMs, oldest.idleS);
        o.pids = pids;
        if (pooled > 0)
            o.pools.append(pool);
        o.action.kind = Action::Kind::Terminate;
        o.action.targetId = c.id;
        o.action.pids = pids;
        o.describe = [app, n, appSessions, youngestS = held.last()->idleS, oldest = oldest, pids, whole,
                      blocked, pooled, pool, hasChain = c.chain != nullptr, warnAgeS = t.leakWarnAgeS,
                      firstHeld = track.firstHeld, mostHeld = track.mostHeld, horizon](Observation &o) {
            const QString name = text::appName(app);
            if (whole)
                o.summary =
                    QStringLiteral("%1: all %2 of its sessions are idle in transaction, the oldest for %3: "
                                   "its connections were taken and never given back with the transaction "
                                   "closed (a leaked getconn, a missing commit or rollback).")
                        .arg(name)
                        .arg(n)
                        .arg(ageText(oldest.idleS));
            else
                o.summary =
                    QStringLiteral("%1: %2 idle in transaction for %3 to %4 (of its %5): connections went "
                                   "back to the pool, or were abandoned, with a transaction open.")
                        .arg(name, text::count(n, QStringLiteral("session"), QStringLiteral("sessions")),
                             ageText(youngestS), ageText(oldest.idleS))
                        .arg(appSessions);
            QString end = QStringLiteral("Terminate the %1 (pids %2): their transactions roll back and their "
                                         "connection slots free up.")
                              .arg(n == 1 ? QStringLiteral("holder") : QStringLiteral("%1 holders").arg(n),
                                   text::pidList(pids));
            if (whole)
                end +=
                    QStringLiteral(" The application's own pool still counts them as checked out (psycopg2 "
                                   "getconn without putconn): it recovers only when the process returns "
                                   "them or restarts.");
            if (blocked > 0)
                o.advice.append(
                    QStringLiteral("%1 wait on their locks: the leak is stopping other work.")
                        .arg(text::count(blocked, QStringLiteral("session"), QStringLiteral("sessions"))));
            o.advice.append(end);
            o.advice.append(QStringLiteral(
                "Fix the code path that keeps them: return connections in a finally block or a context "
                "manager "
                "(psycopg2: pool.putconn(conn) in finally; SQLAlchemy: with Session() as session; "
                "pool_reset_on_return='rollback'); psycopg_pool rolls back connections returned in a "
                "transaction."));
            o.advice.append(
                QStringLiteral("Safety net: ALTER ROLE %1 SET idle_in_transaction_session_timeout = "
                               "'%2s' makes PostgreSQL end such sessions itself.")
                    .arg(oldest.user.isEmpty() ? QStringLiteral("app_role") : oldest.user)
                    .arg(int(std::max(60.0, warnAgeS))));
            if (pooled > 0)
                o.advice.append(
                    QStringLiteral("Through the pooler they hold %1 of pool %2: clients that sent "
                                   "nothing keep them from everyone else.")
                        .arg(text::count(pooled, QStringLiteral("server connection"),
                                         QStringLiteral("server connections")),
                             pool));
            o.action.label = n == 1 ? QStringLiteral("Terminate the holder (pid %1)").arg(pids.first())
                                    : QStringLiteral("Terminate the %1 holders").arg(n);
            Evidence &e = o.evidence;
            e.insert("application", app);
            e.insert("user", oldest.user);
            e.insert("database", oldest.database);
            e.insert("idle_in_transaction", n);
            e.insert("app_sessions", appSessions);
            e.insert("oldest_idle_s", oldest.idleS);
            e.insert("oldest_xact_s", oldest.xactS);
            e.insert("oldest_pid", double(oldest.pid));
            e.insert("oldest_query", oldest.query);
            e.insert("held_at_first_sample", firstHeld);
            e.insert("most_held", mostHeld);
            e.insert("blocked_behind", blocked);
            e.insert("horizon_age_xids", horizon ? QJsonValue(double(*horizon)) : QJsonValue());
            e.insert("pids", text::pidArray(pids));
            if (hasChain)
                e.insert("pooler_servers_held", pooled);
        };
        out.append(o);
    }
}

void appPoolCeiling(const PostgresContext &c, AppPoolMemory &m, QList<Observation> &out)
{
    const Thresholds &t = c.t;
    const QList<SessionGroup> &groups = c.pg.groupsBy(GroupDimension::Application);
    for (const SessionGroup &g : groups) {
        if (g.hidden)
            continue;
        const int n = g.sessions();
        const double busy = n > 0 ? double(busyOf(g.counts)) / n : 0;
        AppPoolMemory::Track &track = m.apps[g.name];
        if (track.sessions != n || track.seenAtMs != c.previousAtMs || track.seenAtMs == 0) {
            track = AppPoolMemory::Track{n, 1, c.atMs, busy, busy, c.atMs};
        } else {
            ++track.samples;
            track.busySum += busy;
            track.busyMin = std::min(track.busyMin, busy);
            track.seenAtMs = c.atMs;
        }
    }
    for (auto it = m.apps.begin(); it != m.apps.end();) {
        if (it->seenAtMs != c.atMs)
            it = m.apps.erase(it);
        else
            ++it;
    }
    // Not raised while the plateau is the server's clamp (server-connection-ceiling names it) or while the
    // queue is at the pooler (pooler-saturation names it); an open finding stays open through them.
    const std::optional<int> headroom = c.pg.headroom();
    const qint64 queued = poolerWaiting(c);
    const bool confirmed = !(headroom && *headroom <= 0) && queued == 0;
    for (const SessionGroup &g : groups) {
        const auto it = m.apps.constFind(g.name);
        if (g.hidden || it == m.apps.cend())
            continue;
        const AppPoolMemory::Track &track = *it;
        const int n = track.sessions;
        if (n < t.appPoolMinSessions || track.samples < t.appPoolPlateauSamples)
            continue;
        const double meanBusy = track.busySum / track.samples;
        if (meanBusy < t.appPoolBusyFraction || track.busyMin < t.appPoolBusyFraction - 0.25)
            continue; // idle connections in the pool: demand fits in it
        const int lockWaiting = c.digest.lockWaitingByApp.value(g.name);
        if (2 * lockWaiting >= n)
            continue; // they wait on each other's locks: lock-pileup names it
        const QList<qint64> longXacts = c.digest.longTransactions.value(g.name);
        const int idleInTx =
            g.counts[SessionState::IdleInTransaction] + g.counts[SessionState::IdleInTransactionAborted];
        const double plateauS = double(c.atMs - track.sinceMs) / 1000.0;
        Observation o;
        o.rule = rule::AppPoolCeiling;
        o.subject = g.name;
        o.confirmed = confirmed;
        o.layer = Layer::App;
        o.severity = plateauS >= t.appPoolCriticalS ? Severity::Critical : Severity::Warning;
        o.sinceMs = track.sinceMs;
        o.pids = longXacts;
        o.describe = [app = g.name, counts = g.counts, n, samples = track.samples, plateauS, meanBusy,
                      idleInTx, longXacts, headroom, lockWaiting, minAgeS = t.leakMinAgeS, queued,
                      hasPoolers = !c.poolers.isEmpty()](Observation &o) {
            const QString name = text::appName(app);
            o.summary =
                QStringLiteral("%1's sessions have sat at exactly %2 for %3 (%4 samples), %5 % of them busy: "
                               "its connection pool is full and requests queue inside the application, "
                               "where neither the pooler nor PostgreSQL sees them.")
                    .arg(name)
                    .arg(n)
                    .arg(ageText(plateauS))
                    .arg(samples)
                    .arg(int(std::lround(meanBusy * 100)));
            o.advice.append(
                QStringLiteral("Expect the pool's own errors in %1's logs: psycopg_pool \"PoolTimeout: "
                               "couldn't get a connection\", SQLAlchemy \"QueuePool limit of size … "
                               "reached\", psycopg2 \"connection pool exhausted\".")
                    .arg(name));
            if (2 * idleInTx >= n)
                o.advice.append(
                    QStringLiteral("%1 of the %2 are idle in transaction: they are leaked, not busy "
                                   "(see idle-in-transaction-leak); a bigger pool only delays the next "
                                   "outage.")
                        .arg(idleInTx)
                        .arg(n));
            else if (!longXacts.isEmpty())
                o.advice.append(
                    QStringLiteral("%1 of the %2 connections are held by transactions older than %3 s "
                                   "(pids %4): long jobs share the pool with short requests. Give "
                                   "background work its own pool (or process) so requests keep theirs.")
                        .arg(longXacts.size())
                        .arg(n)
                        .arg(minAgeS)
                        .arg(text::pidList(longXacts)));
            if (headroom && 2 * idleInTx < n) {
                if (*headroom >= n)
                    o.advice.append(
                        QStringLiteral("PostgreSQL has room for %1 more connections: a pool of %2 "
                                       "instead of %3 fits this server; check every instance of "
                                       "the application against that limit before raising it.")
                            .arg(*headroom)
                            .arg(n + std::min(*headroom / 2, n))
                            .arg(n));
                else
                    o.advice.append(
                        QStringLiteral("PostgreSQL has only %1 free connections: a bigger pool would move "
                                       "the queue to the server. Shorten what holds the connections.")
                            .arg(*headroom));
            }
            o.advice.append(QStringLiteral("Fail fast: a pool timeout of a few seconds with a cached or "
                                           "default answer beats requests piling up behind the pool."));
            Evidence &e = o.evidence;
            e.insert("application", app);
            e.insert("sessions", n);
            e.insert("plateau_samples", samples);
            e.insert("plateau_s", plateauS);
            e.insert("busy_fraction", meanBusy);
            e.insert("active", counts[SessionState::Active]);
            e.insert("idle_in_transaction", idleInTx);
            e.insert("idle", counts[SessionState::Idle]);
            e.insert("long_transactions", int(longXacts.size()));
            e.insert("lock_waiting", lockWaiting);
            e.insert("server_headroom", headroom ? QJsonValue(*headroom) : QJsonValue());
            e.insert("pooler_waiting", hasPoolers ? QJsonValue(double(queued)) : QJsonValue());
        };
        out.append(o);
    }
}

void serverConnectionCeiling(const PostgresContext &c, ServerCeilingMemory &m, QList<Observation> &out)
{
    const Thresholds &t = c.t;
    const std::optional<int> usable = c.pg.usableConnections();
    if (!usable || *usable <= 0) {
        m = {};
        return;
    }
    const int used = c.pg.clientBackends();
    const double fraction = double(used) / *usable;
    if (fraction >= t.serverWarnFraction) {
        if (m.aboveSamples++ == 0) {
            m.aboveSinceMs = c.atMs;
            m.peak = 0;
        }
        m.peak = std::max(m.peak, used);
    } else {
        m.aboveSamples = 0;
    }
    m.clampSamples = used >= *usable ? m.clampSamples + 1 : 0;
    if (m.aboveSamples == 0)
        return;
    const bool clamp = m.clampSamples >= t.serverClampSamples;
    Observation o;
    o.rule = rule::ServerConnectionCeiling;
    o.subject = QStringLiteral("connections");
    o.confirmed = m.aboveSamples >= t.serverSamples;
    o.layer = Layer::Postgres;
    o.severity = (fraction >= t.serverCriticalFraction || clamp) ? Severity::Critical : Severity::Warning;
    o.sinceMs = m.aboveSinceMs;
    QList<PoolerCapacity> poolers;
    for (const Linked &l : c.poolers) {
        if (!l.snapshot->bouncer)
            continue;
        PoolerCapacity cap{l.name};
        for (const PoolStats &p : l.snapshot->bouncer->pools) {
            if (!p.poolSize || *p.poolSize == 0)
                cap.unlimited = true;
            else
                cap.possible += *p.poolSize + p.reservePool.value_or(0);
        }
        poolers.append(cap);
        o.otherTargetIds.append(l.id);
    }
    o.describe = [used, usable = *usable, maxConn = c.pg.maxConnections.value_or(0), fraction, clamp,
                  forS = double(c.atMs - m.aboveSinceMs) / 1000.0, peak = m.peak,
                  clampSamples = m.clampSamples, idle = c.pg.counts[SessionState::Idle],
                  top = topApplications(c.pg), poolers](Observation &o) {
        const int reserved = maxConn - usable;
        if (clamp)
            o.summary =
                QStringLiteral("PostgreSQL's connection slots are full: %1 of %2 usable (max_connections %3 "
                               "minus %4 reserved), flat at the limit for %5. A flat count at the limit is a "
                               "clamp, not demand: new connections are refused with 53300 \"sorry, too many "
                               "clients already\".")
                    .arg(used)
                    .arg(usable)
                    .arg(maxConn)
                    .arg(reserved)
                    .arg(ageText(forS));
        else
            o.summary = QStringLiteral("%1 of %2 usable connections are in use (%3 %): at %2 PostgreSQL "
                                       "refuses new connections (53300 too many clients).")
                            .arg(used)
                            .arg(usable)
                            .arg(int(std::lround(fraction * 100)));
        QStringList who;
        QJsonArray byApp;
        for (const AppCount &a : top) {
            if (who.size() < 3)
                who.append(QStringLiteral("%1 %2").arg(text::appName(a.name)).arg(a.sessions) +
                           (a.idle > 0 ? QStringLiteral(" (%1 idle)").arg(a.idle) : QString()));
            byApp.append(QJsonObject{{QStringLiteral("application"), a.name},
                                     {QStringLiteral("sessions"), a.sessions},
                                     {QStringLiteral("idle"), a.idle}});
        }
        if (!who.isEmpty())
            o.advice.append(QStringLiteral("Who holds them: %1.").arg(who.join(QStringLiteral(", "))));
        if (used > 0 && idle * 10 >= used * 3)
            o.advice.append(
                QStringLiteral("%1 of them are idle: connections kept open for nothing. A pooler in "
                               "transaction mode in front lets them share a few server connections; or "
                               "lower the applications' pool minimums and idle timeouts.")
                    .arg(idle));
        for (const PoolerCapacity &p : poolers) {
            if (p.unlimited)
                o.advice.append(
                    QStringLiteral("%1 has pools without a size limit: it can open as many server "
                                   "connections as it has clients. Give every pool a pool_size.")
                        .arg(p.name));
            else if (p.possible > usable)
                o.advice.append(
                    QStringLiteral("%1 alone may open %2 server connections (pool_size + reserve over "
                                   "its pools), more than the %3 usable: lower its pool sizes or set "
                                   "max_db_connections.")
                        .arg(p.name)
                        .arg(p.possible)
                        .arg(usable));
        }
        o.advice.append(
            QStringLiteral("Raise max_connections only with memory to spare (each backend costs several "
                           "MB, more with work_mem) and a restart; superusers keep %1 reserved slots to "
                           "get in.")
                .arg(reserved));
        Evidence &e = o.evidence;
        e.insert("client_backends", used);
        e.insert("usable", usable);
        e.insert("max_connections", maxConn);
        e.insert("reserved", reserved);
        e.insert("fraction", fraction);
        e.insert("peak", peak);
        e.insert("clamped", clamp);
        e.insert("clamp_samples", clampSamples);
        e.insert("idle", idle);
        e.insert("by_application", byApp);
    };
    out.append(o);
}

void lockPileup(const PostgresContext &c, LockMemory &m, QList<Observation> &out)
{
    const Thresholds &t = c.t;
    const int waiting = c.pg.lockWaiting;
    const double oldest = c.digest.oldestLockWaitS;
    if (waiting >= t.lockMinWaiting) {
        if (m.samples++ == 0) {
            m.sinceMs = msBefore(c.atMs, oldest);
            m.roots.clear();
            m.sameRootSamples = 0;
        }
    } else {
        m.samples = 0;
    }
    if (waiting == 0 || c.pg.rootBlockers.isEmpty()) {
        m.roots.clear();
        m.lastRoot = 0;
        m.sameRootSamples = 0;
        return;
    }
    const qint64 root = c.pg.rootBlockers.first();
    m.roots.insert(root);
    m.sameRootSamples = root == m.lastRoot ? m.sameRootSamples + 1 : 1;
    m.lastRoot = root;
    const bool pileup = m.samples >= t.lockSamples;
    if (waiting < t.lockMinWaiting && oldest < t.lockWarnWaitS)
        return; // a short wait on a lock is how locks work
    const Session *r = c.pg.session(root);
    const int behind = c.pg.blockedBehind(root);
    const bool hot = m.roots.size() >= 3;
    Observation o;
    o.rule = rule::LockPileup;
    o.subject = QStringLiteral("locks");
    o.confirmed = pileup || oldest >= t.lockWarnWaitS;
    o.layer = Layer::Postgres;
    o.severity = ((pileup && waiting >= t.lockCriticalWaiting) || oldest >= t.lockCriticalWaitS)
                     ? Severity::Critical
                     : Severity::Warning;
    o.sinceMs = pileup ? m.sinceMs : msBefore(c.atMs, oldest);
    o.pids = {root};
    const bool rootIdleInTx = r && isIdleInTransaction(r->stateClass());
    if (!hot && rootIdleInTx) {
        o.action.kind = Action::Kind::Terminate;
        o.action.targetId = c.id;
        o.action.pids = {root};
    }
    struct Root
    {
        qint64 pid = 0;
        bool visible = false;
        QString state, application, query;
        std::optional<double> xactS;
        double idleS = 0;
    };
    Root rootInfo{root, r != nullptr};
    if (r) {
        rootInfo.state = r->state.value_or(QStringLiteral("hidden"));
        rootInfo.application = r->applicationName;
        rootInfo.query = r->query;
        if (r->xactStart)
            rootInfo.xactS = ageOf(c.pg.serverNow, r->xactStart);
        rootInfo.idleS = ageOf(c.pg.serverNow, r->stateChange);
    }
    o.describe = [waiting, oldest, behind, hot, rootIdleInTx, rootInfo, samples = m.samples,
                  rootsSeen = int(m.roots.size())](Observation &o) {
        const Root &r = rootInfo;
        const QString state = r.visible ? r.state : QStringLiteral("not visible");
        o.summary =
            QStringLiteral("%1 wait on locks (the longest for %2), %3 of them behind pid %4 (%5, %6%7).")
                .arg(text::count(waiting, QStringLiteral("session"), QStringLiteral("sessions")),
                     ageText(oldest))
                .arg(behind)
                .arg(r.pid)
                .arg(r.visible ? text::appName(r.application) : QStringLiteral("unknown application"), state,
                     r.xactS ? QStringLiteral(", in a transaction open for %1").arg(ageText(*r.xactS))
                             : QString());
        const QString lockTimeout =
            QStringLiteral("Set lock_timeout for the waiting role so requests fail fast "
                           "instead of piling up and holding their connections.");
        if (hot) {
            o.summary += QStringLiteral(
                             " The blocker keeps changing (%1 different ones): the sessions queue on one hot "
                             "row or lock, not behind one stuck session.")
                             .arg(rootsSeen);
            o.advice.append(
                QStringLiteral("Shorten the transactions that take the lock: do the slow work before the "
                               "UPDATE and commit right after it, or spread the writes (no single counter "
                               "row)."));
            o.advice.append(lockTimeout);
        } else if (rootIdleInTx) {
            o.advice.append(
                QStringLiteral("pid %1 holds the lock while idle in transaction for %2: terminate it "
                               "to release the queue, then find why it did not commit.")
                    .arg(r.pid)
                    .arg(ageText(r.idleS)));
            o.action.label = QStringLiteral("Terminate the blocker (pid %1)").arg(r.pid);
        } else {
            o.advice.append(
                QStringLiteral("pid %1 runs \"%2\" while holding the lock: cancel its query first "
                               "(Sessions tab, Cancel), terminate only if that does not help.")
                    .arg(r.pid)
                    .arg(r.query.left(80)));
            o.advice.append(lockTimeout);
        }
        Evidence &e = o.evidence;
        e.insert("waiting", waiting);
        e.insert("oldest_wait_s", oldest);
        e.insert("samples", samples);
        e.insert("root_pid", double(r.pid));
        e.insert("root_state", state);
        e.insert("root_application", r.application);
        e.insert("root_query", r.query);
        e.insert("root_xact_age_s", r.xactS.value_or(0));
        e.insert("root_blocked_behind", behind);
        e.insert("root_blockers_seen", rootsSeen);
    };
    out.append(o);
}

void longTransaction(const PostgresContext &c, QList<Observation> &out)
{
    const Thresholds &t = c.t;
    if (!c.digest.oldestRunning || c.digest.oldestRunning->xactS < t.longXactWarnS)
        return;
    const SessionDigest::Held &h = *c.digest.oldestRunning;
    Observation o;
    o.rule = rule::LongTransaction;
    o.subject = QString::number(h.pid);
    o.layer = Layer::Postgres;
    o.severity = h.xactS >= t.longXactCriticalS ? Severity::Critical : Severity::Warning;
    o.sinceMs = msBefore(c.atMs, h.xactS);
    o.pids = {h.pid};
    o.action.kind = Action::Kind::Terminate;
    o.action.targetId = c.id;
    o.action.pids = {h.pid};
    o.describe = [h, state = c.digest.oldestRunningState, warnS = t.longXactWarnS](Observation &o) {
        o.summary =
            QStringLiteral(
                "pid %1 (%2) has been in one transaction for %3, %4 now: vacuum cannot remove rows "
                "deleted after it began%5.")
                .arg(h.pid)
                .arg(text::appName(h.application), ageText(h.xactS),
                     state == QLatin1String("active") ? QStringLiteral("running \"%1\"").arg(h.query.left(80))
                                                      : state,
                     h.horizonAge ? QStringLiteral(" (it holds the xmin horizon %1 transactions back)")
                                        .arg(*h.horizonAge)
                                  : QString());
        o.advice.append(
            QStringLiteral("If it is stuck, cancel its query (Sessions tab, Cancel) or end it; if it is "
                           "a report or a migration, run it on a replica or in smaller transactions."));
        o.advice.append(
            QStringLiteral("Bound it for the role: ALTER ROLE %1 SET statement_timeout = '%2s' (and "
                           "transaction_timeout on PostgreSQL 17).")
                .arg(h.user.isEmpty() ? QStringLiteral("app_role") : h.user)
                .arg(int(std::max(30.0, warnS))));
        o.action.label = QStringLiteral("Terminate pid %1").arg(h.pid);
        Evidence &e = o.evidence;
        e.insert("pid", double(h.pid));
        e.insert("application", h.application);
        e.insert("user", h.user);
        e.insert("state", state);
        e.insert("xact_age_s", h.xactS);
        e.insert("query", h.query);
        e.insert("horizon_age_xids", h.horizonAge ? QJsonValue(double(*h.horizonAge)) : QJsonValue());
    };
    out.append(o);
}

} // namespace poolscope::findings
