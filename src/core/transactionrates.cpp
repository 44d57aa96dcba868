#include "transactionrates.h"

#include <algorithm>

namespace poolscope {

int sessionsFinishedSince(const QList<Session> &sessions, double since)
{
    int n = 0;
    for (const Session &s : sessions) {
        if (s.stateChange && *s.stateChange > since && s.stateClass() == SessionState::Idle)
            ++n;
    }
    return n;
}

void TransactionRates::reset()
{
    m_estimator.reset();
    m_previousNow.reset();
}

std::optional<double> TransactionRates::update(PostgresSample &pg, quint64 ownTransactions, bool sameSessions)
{
    pg.commitsPerSecond.reset();
    pg.rollbacksPerSecond.reset();
    if (!pg.xactCommit || !pg.xactRollback) {
        pg.transactionRate = RateEstimate{};
        return std::nullopt;
    }
    m_estimator.setOptions(RateEstimator::forPostgres(pg.serverVersionNum));
    CounterReading r;
    r.t = pg.serverNow;
    r.value = *pg.xactCommit + *pg.xactRollback;
    r.part = *pg.xactRollback;
    r.own = ownTransactions;
    r.restartedAt = pg.postmasterStart;
    r.resetAt = pg.statsReset;
    // An unchanged list was read before the previous poll's server time: none of it changed state after.
    r.finished = m_previousNow && !sameSessions ? sessionsFinishedSince(pg.sessions, *m_previousNow) : 0;
    m_previousNow = pg.serverNow;
    const RateEstimate e = m_estimator.update(r);
    pg.transactionRate = e;
    if (!e.perSecond)
        return std::nullopt;
    const double rollbacks = e.partPerSecond.value_or(0);
    pg.rollbacksPerSecond = rollbacks;
    pg.commitsPerSecond = std::max(0.0, *e.perSecond - rollbacks);
    return e.perSecond;
}

} // namespace poolscope
