#pragma once

#include "load/metrics.h"
#include "load/runstate.h"

#include <QString>

namespace poolscope::load {

struct Connection;
struct Shard;

/// The app-side pools of one shard, modelled on what the drivers do: psycopg2's ThreadedConnectionPool
/// (minconn opened at start, a list popped from the end, "connection pool exhausted" past maxconn),
/// psycopg_pool (min_size at start, grows one connection at a time in the background while requests queue,
/// max_waiting, reconnect backoff) and SQLAlchemy's QueuePool (size + max_overflow, FIFO, pool_timeout,
/// overflow closed on return, pre_ping, reset on return). A pool-less worker has a pool of one that opens
/// its connection on demand.
class AppPools
{
public:
    explicit AppPools(Shard &shard) : m_shard(shard) {}

    /// Takes a connection for `w`: true when it holds one now; false when it waits (it is resumed later) or
    /// failed (WorkerInterpreter::fail() already ran).
    bool checkout(Worker *w);
    /// Gives `w`'s connection back (reset with ROLLBACK when the pool does that and a transaction is open).
    void release(Worker *w);
    /// Closes a connection that does not go back to its pool (broken, pre-ping failed, disconnect step); the
    /// slot it frees may serve a waiter.
    void discard(Connection *c);
    /// A worker keeps its connection for good (a leak): the slot stays taken in an app pool; a pool-less
    /// worker just opens another one next time.
    void leak(Worker *w);
    /// Opens what the pool should have: its minimum (psycopg2 minconn, psycopg_pool min_size), and for
    /// psycopg_pool one more while requests wait.
    void topUp(Pool *p);

    // What the shard's connections report.
    void connected(Connection *c);
    void connectFailed(Connection *c, const QString &message);
    void pingDone(Connection *c, bool ok);
    void resetDone(Connection *c, bool ok);

    /// The driver's own words for a checkout that timed out.
    static QString poolTimeoutMessage(const Pool &p);

private:
    void give(Worker *w, Connection *c);
    /// Gives `c` to a worker that was waiting for a connection, and resumes it.
    void handOver(Worker *w, Connection *c);
    void enqueue(Pool *p, Worker *w);
    int liveWaiters(const Pool *p) const;
    Worker *popWaiter(Pool *p);
    /// Opens a connection the pool keeps for itself; when that fails, the error is counted and a retry with
    /// the pool's backoff scheduled.
    bool openForPool(Pool *p);
    void scheduleRetry(Pool *p);
    void grow(Pool *p);
    void makeIdle(Pool *p, Connection *c);
    /// A slot came free without a connection to hand over: serve a waiter with a new one.
    void slotFreed(Pool *p);

    Shard &m_shard;
};

} // namespace poolscope::load
