#pragma once

#include "postgressample.h"
#include "rateestimator.h"

#include <QList>
#include <optional>

namespace poolscope {

/// Sessions that turned idle after `since` (server clock, epoch seconds): each finished at least one
/// transaction since then. The evidence RateEstimator weighs the published counters against.
int sessionsFinishedSince(const QList<Session> &sessions, double since);

/// PostgreSQL's transaction rates from pg_stat_database (xact_commit + xact_rollback summed over databases),
/// without PoolScope's own polls, through a RateEstimator set for the server's version (PostgreSQL 15+
/// publishes late: see CounterPublication). One per sampled server; its history survives reconnects (the
/// counters are the server's), and restarts with the counters (pg_postmaster_start_time(), stats_reset).
class TransactionRates
{
public:
    /// `ownTransactions`: PoolScope's own transactions on this server that the counters include by now
    /// (cumulative). Sets pg.commitsPerSecond, pg.rollbacksPerSecond (own polls are commits, never
    /// rollbacks) and pg.transactionRate; returns commits + rollbacks per second (TargetSnapshot::tps),
    /// unknown unless the estimate is RateStatus::Ok.
    /// `sameSessions`: pg.sessions are the previous poll's, unchanged (ActivityCache::changed() false), so
    /// none of them went idle since it: the pass over every session is skipped.
    std::optional<double> update(PostgresSample &pg, quint64 ownTransactions, bool sameSessions = false);
    void reset();
    const RateEstimator &estimator() const { return m_estimator; }

private:
    RateEstimator m_estimator{RateEstimator::forPostgres(0)};
    std::optional<double> m_previousNow;
};

} // namespace poolscope
