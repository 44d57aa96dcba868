#include "findingsengine.h"

#include "findingrules.h"
#include "poolerchain.h"

#include <QElapsedTimer>
#include <QSet>
#include <algorithm>

namespace poolscope::findings {

namespace {

constexpr int kMaxEnded = 500; // ended findings kept at most, whatever historyS says

} // namespace

struct FindingsEngine::TargetState
{
    QString name;
    std::optional<TargetSnapshot> last; // the newest successful sample
    qint64 lastOkAtMs = 0;
    std::optional<PoolerChain> chain; // a pooler's newest SHOW SERVERS/CLIENTS round; Pgpool-II's own
    qint64 chainAtMs = 0;
    QList<int> postgresLinks; // poolers: the PostgreSQL targets behind them
    RuleMemory memory;
    DigestCandidates digestCandidates;
};

FindingsEngine::FindingsEngine(Thresholds thresholds) : m_t(thresholds) {}

FindingsEngine::~FindingsEngine() = default;

void FindingsEngine::setThresholds(const Thresholds &thresholds)
{
    m_t = thresholds;
}

FindingsEngine::TargetState &FindingsEngine::state(int id)
{
    auto it = m_targets.find(id);
    if (it == m_targets.end())
        it = m_targets.insert(id, std::make_shared<TargetState>());
    return **it;
}

QString FindingsEngine::nameOf(int id) const
{
    const auto it = m_targets.constFind(id);
    return it == m_targets.cend() ? QString() : (*it)->name;
}

void FindingsEngine::setName(int id, const QString &name)
{
    if (auto it = m_targets.find(id); it != m_targets.end())
        (*it)->name = name;
}

void FindingsEngine::setLinks(int poolerId, const QList<int> &postgresIds)
{
    state(poolerId).postgresLinks = postgresIds;
}

void FindingsEngine::removeTarget(int id)
{
    m_targets.remove(id);
    for (auto &t : m_targets)
        t->postgresLinks.removeAll(id);
    const auto before = m_open.size() + qsizetype(m_ended.size());
    m_open.erase(std::remove_if(m_open.begin(), m_open.end(),
                                [id](const Slot &s) { return s.finding.targetId == id; }),
                 m_open.end());
    m_ended.erase(
        std::remove_if(m_ended.begin(), m_ended.end(), [id](const Finding &f) { return f.targetId == id; }),
        m_ended.end());
    if (before != m_open.size() + qsizetype(m_ended.size()))
        ++m_revision;
}

void FindingsEngine::addSample(int id, const QString &name, const TargetSnapshot &snapshot)
{
    QElapsedTimer timer;
    timer.start();
    TargetState &s = state(id);
    s.name = name;
    if (!snapshot.ok) {
        m_lastNs = timer.nsecsElapsed();
        return;
    }
    QList<Observation> observations;
    if (snapshot.postgres)
        evaluatePostgres(id, s, snapshot, observations);
    else if (snapshot.bouncer)
        evaluatePooler(id, s, snapshot, observations);
    s.last = snapshot;
    s.lastOkAtMs = snapshot.sampledAtMs;
    apply(id, snapshot.sampledAtMs, observations);
    m_lastNs = timer.nsecsElapsed();
}

void FindingsEngine::evaluatePostgres(int id, TargetState &s, const TargetSnapshot &snapshot,
                                      QList<Observation> &out)
{
    // The poolers in front of this target, and the chain of backends to their clients.
    QList<Linked> poolers;
    QList<const PoolerChain *> chains;
    for (auto it = m_targets.cbegin(); it != m_targets.cend(); ++it) {
        const TargetState &p = **it;
        if (it.key() == id || !p.postgresLinks.contains(id) || !p.last)
            continue;
        poolers.append({it.key(), p.name, &*p.last});
        if (p.chain && !p.chain->isEmpty())
            chains.append(&*p.chain);
    }
    if (snapshot.pgpool) {
        s.chain = joinPgpoolChain(*snapshot.pgpool);
        s.chainAtMs = snapshot.sampledAtMs;
        chains = {&*s.chain};
    }
    PoolerChain merged;
    const PoolerChain *chain = nullptr;
    if (chains.size() == 1) {
        chain = chains.first();
    } else if (chains.size() > 1) {
        for (const PoolerChain *c : chains)
            merged.byBackendPid.insert(c->byBackendPid);
        chain = &merged;
    }
    const PostgresSample &pg = *snapshot.postgres;
    const SessionDigest digest = digestSessions(pg, m_t, &s.digestCandidates);
    const PostgresContext c{id, s.name, snapshot.sampledAtMs, pg, digest, s.lastOkAtMs, poolers, chain, m_t};
    RuleMemory &m = s.memory;
    idleInTransactionLeak(c, m.leak, out);
    appPoolCeiling(c, m.appPool, out);
    serverConnectionCeiling(c, m.server, out);
    deadConnections(c, m.dead, out);
    connectionChurn(c, m.churn, out);
    lockPileup(c, m.lock, out);
    longTransaction(c, out);
    if (snapshot.pgpool)
        pgpoolSaturation(c, *snapshot.pgpool, m.pooler, out);
}

void FindingsEngine::evaluatePooler(int id, TargetState &s, const TargetSnapshot &snapshot,
                                    QList<Observation> &out)
{
    const BouncerSample &b = *snapshot.bouncer;
    if (b.connectionsFresh && b.clients && b.servers) {
        s.chain = joinBouncerChain(*b.clients, *b.servers);
        s.chainAtMs = snapshot.sampledAtMs;
    }
    QList<Linked> postgres;
    for (int pgId : std::as_const(s.postgresLinks)) {
        const auto it = m_targets.constFind(pgId);
        if (it != m_targets.cend() && (*it)->last)
            postgres.append({pgId, (*it)->name, &*(*it)->last});
    }
    const PoolerContext c{
        id, s.name, snapshot.sampledAtMs, b, postgres, s.chain ? &*s.chain : nullptr, s.chainAtMs, m_t};
    poolerSaturation(c, s.memory.pooler, out);
    poolerDbMismatch(c, s.memory.pooler, out);
    poolerDeadConnections(c, s.memory.dead, out);
}

void FindingsEngine::apply(int id, qint64 atMs, const QList<Observation> &observations)
{
    // The revision moves only when a finding of this target was raised, updated, ended or forgotten: a
    // quiet target's samples leave it alone, so the window redraws nothing for them.
    bool touched = false;
    QSet<QString> seen;
    for (const Observation &o : observations) {
        const QString key = o.rule + QLatin1Char('|') + QString::number(id) + QLatin1Char('|') + o.subject;
        seen.insert(key);
        auto slot = std::find_if(m_open.begin(), m_open.end(), [&](const Slot &s) { return s.key == key; });
        if (slot == m_open.end()) {
            if (!o.confirmed)
                continue;
            Slot fresh;
            fresh.key = key;
            Finding &f = fresh.finding;
            f.id = m_nextId++;
            f.rule = o.rule;
            f.subject = o.subject;
            f.targetId = id;
            f.sinceMs = o.sinceMs > 0 ? std::min(o.sinceMs, atMs) : atMs;
            f.raisedAtMs = atMs;
            f.severity = o.severity;
            m_open.append(fresh);
            slot = m_open.end() - 1;
        }
        Finding &f = slot->finding;
        touched = true;
        slot->misses = 0;
        // Escalate at once; step down only after clearSamples samples below.
        if (o.severity > f.severity) {
            f.severity = o.severity;
            slot->lowerSamples = 0;
        } else if (o.severity < f.severity) {
            if (++slot->lowerSamples >= m_t.clearSamples) {
                f.severity = o.severity;
                slot->lowerSamples = 0;
            }
        } else {
            slot->lowerSamples = 0;
        }
        f.layer = o.layer;
        f.lastSeenMs = atMs;
        f.pids = o.pids;
        f.pools = o.pools;
        f.action = o.action;
        if (o.describe) {
            slot->describe = o.describe;
        } else {
            slot->describe = nullptr;
            f.summary = o.summary;
            f.advice = o.advice;
            f.evidence = o.evidence;
        }
        f.targetIds = QList<int>{id} + o.otherTargetIds;
        f.target = nameOf(id);
        f.targets.clear();
        for (int t : std::as_const(f.targetIds))
            f.targets.append(nameOf(t));
    }
    const qint64 watchMs = qint64(m_t.actionWatchS * 1000);
    const qint64 clearMs = qint64(m_t.clearS * 1000);
    for (auto it = m_open.begin(); it != m_open.end();) {
        Finding &f = it->finding;
        if (f.targetId != id) {
            ++it;
            continue;
        }
        touched = true;
        if (!seen.contains(it->key)) {
            if (it->misses++ == 0)
                it->firstMissMs = atMs;
            if (it->misses >= m_t.clearSamples && atMs - f.lastSeenMs >= clearMs) {
                describe(*it); // its last words, as of the last sample that showed it
                f.endedAtMs = it->firstMissMs;
                f.status = (f.actionAtMs && *f.endedAtMs - *f.actionAtMs <= watchMs) ? Status::Recovered
                                                                                     : Status::Resolved;
                m_ended.push_front(f);
                it = m_open.erase(it);
                continue;
            }
        }
        if (f.status == Status::ActionTaken && atMs - *f.actionAtMs >= watchMs)
            f.status = Status::StillPresent;
        ++it;
    }
    const qint64 keepMs = qint64(m_t.historyS * 1000);
    while (!m_ended.empty() &&
           (int(m_ended.size()) > kMaxEnded || atMs - *m_ended.back().endedAtMs > keepMs)) {
        m_ended.pop_back();
        touched = true;
    }
    if (touched)
        ++m_revision;
}

void FindingsEngine::describe(Slot &slot)
{
    if (!slot.describe)
        return;
    Observation o;
    o.action = slot.finding.action;
    slot.describe(o);
    slot.describe = nullptr;
    Finding &f = slot.finding;
    f.summary = std::move(o.summary);
    f.advice = std::move(o.advice);
    f.evidence = std::move(o.evidence);
    f.action.label = o.action.label;
}

void FindingsEngine::describePending() const
{
    for (Slot &s : m_open)
        describe(s);
}

QList<Finding> FindingsEngine::findings() const
{
    QList<Finding> out = openFindings();
    for (const Finding &f : m_ended)
        out.append(f);
    std::stable_sort(out.begin(), out.end(), worseFirst);
    return out;
}

QList<Finding> FindingsEngine::openFindings() const
{
    describePending();
    QList<Finding> out;
    out.reserve(m_open.size());
    for (const Slot &s : m_open)
        out.append(s.finding);
    std::stable_sort(out.begin(), out.end(), worseFirst);
    return out;
}

QList<Finding> FindingsEngine::openFindingsOf(int id) const
{
    describePending();
    QList<Finding> out;
    for (const Slot &s : m_open) {
        if (s.finding.targetIds.contains(id))
            out.append(s.finding);
    }
    std::stable_sort(out.begin(), out.end(), worseFirst);
    return out;
}

QList<Finding> FindingsEngine::findingsOf(int id) const
{
    describePending();
    QList<Finding> out;
    for (const Slot &s : m_open) {
        if (s.finding.targetId == id)
            out.append(s.finding);
    }
    for (const Finding &f : m_ended) {
        if (f.targetId == id)
            out.append(f);
    }
    std::stable_sort(out.begin(), out.end(), worseFirst);
    return out;
}

std::optional<Finding> FindingsEngine::finding(quint64 findingId) const
{
    describePending();
    for (const Slot &s : m_open) {
        if (s.finding.id == findingId)
            return s.finding;
    }
    for (const Finding &f : m_ended) {
        if (f.id == findingId)
            return f;
    }
    return std::nullopt;
}

void FindingsEngine::noteTerminated(int id, qint64 atMs, int count)
{
    if (count <= 0)
        return;
    DeadMemory &dead = state(id).memory.dead;
    // The sample that shows the kills may come in before the terminator's report: kills counted within the
    // last seconds and not yet attributed are PoolScope's; the rest waits for the counter.
    constexpr qint64 kRecentMs = 10'000;
    qint64 remaining = count;
    if (dead.lastEventMs != 0 && atMs - dead.lastEventMs <= kRecentMs) {
        const qint64 unattributed = dead.killedSum - dead.ownKilledSum;
        const qint64 now = std::min<qint64>(remaining, unattributed);
        if (now > 0) {
            dead.ownKilledSum += now;
            dead.ownLastMs = atMs;
            dead.reword = true;
            remaining -= now;
        }
    }
    dead.ownPending += remaining;
    dead.ownPendingAtMs = atMs;
}

bool FindingsEngine::noteAction(quint64 findingId, qint64 atMs, const QString &what)
{
    for (Slot &s : m_open) {
        if (s.finding.id != findingId)
            continue;
        s.finding.actionAtMs = atMs;
        s.finding.actionTaken = what;
        s.finding.status = Status::ActionTaken;
        ++m_revision;
        return true;
    }
    return false;
}

} // namespace poolscope::findings
