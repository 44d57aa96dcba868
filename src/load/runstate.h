#pragma once

#include "db/conninfo.h"
#include "load/scenario.h"

#include <QtGlobal>
#include <atomic>
#include <chrono>
#include <deque>
#include <vector>

// What a load run is made of, as the engine's threads (Shard) hold it: the state every thread shares, and
// per thread the simulated app processes, their pools, their workers and the timers that wake them.
namespace poolscope::load {

using Clock = std::chrono::steady_clock;

struct Connection;
struct Worker;

/// What the threads share: the run's clock and bounds, and the connection count.
struct RunState
{
    static constexpr double DefaultConnectTimeoutS = 10; // PQconnectPoll ignores connect_timeout: we time it

    Clock::time_point t0;
    double deadlineS = 0;
    std::atomic<bool> stopFlag{false};
    std::atomic<int> open{0}; // sockets, connecting ones included: what the cap bounds
    std::atomic<int> established{0};
    std::atomic<int> maxEstablished{0};
    int cap = 0;
    double connectTimeoutS = DefaultConnectTimeoutS; // the conninfo's connect_timeout when it has one

    double nowS() const { return std::chrono::duration<double>(Clock::now() - t0).count(); }
    bool reserveConnection()
    {
        const int n = open.fetch_add(1) + 1;
        if (n > cap) {
            open.fetch_sub(1);
            return false;
        }
        return true;
    }
    void noteEstablished()
    {
        const int n = established.fetch_add(1) + 1;
        int m = maxEstablished.load();
        while (n > m && !maxEstablished.compare_exchange_weak(m, n)) {
        }
    }
};

/// An app-side pool (psycopg2, psycopg_pool, SQLAlchemy QueuePool), or a pool-less worker's own connection
/// slot: what it holds and who waits for it. AppPools gives it its behaviour.
struct Pool
{
    struct Waiter
    {
        Worker *worker;
        quint64 token;
    };

    const PoolConfig *cfg = nullptr;
    const db::ConnSpec::Arrays *arrays = nullptr;
    const RetryPolicy *initRetry = nullptr;
    std::deque<Connection *> idle;
    std::deque<Waiter> waiters;
    int open = 0; // connecting + idle + checked out + resetting
    int checkedOut = 0;
    int capacity = 1;
    int keepIdle = 1;
    int minOpen = 0;
    bool pooled = false; // an app pool (not a pool-less worker's own connection)
    bool growing = false;
    int retryAttempt = 0;
    quint64 retryToken = 0;
    bool retryArmed = false;
};

/// One simulated app process: its pool and its workers, started at `startAt`.
struct Process
{
    const AppConfig *app = nullptr;
    Pool *pool = nullptr; // the process's app pool; null for pool-less apps
    double startAt = 0;
    bool started = false;
    std::vector<Worker *> workers;
};

/// One simulated client: runs its workload's steps request after request (WorkerInterpreter).
struct Worker
{
    enum class Wait
    {
        None,
        Pool,   // queued for a connection
        Conn,   // a connect, ping or query in flight
        Timer,  // think, backoff, next arrival
        Parked, // not among the workload's active workers now
    };
    enum class Wake
    {
        Continue, // after think: the next step
        Begin,    // a new request
        Retry,    // the same request again
    };

    Process *process = nullptr;
    Pool *pool = nullptr;
    const Workload *workload = nullptr;
    int index = 0; // within its process and workload: active while index < workersAt(t)
    Connection *conn = nullptr;
    qsizetype step = 0;
    Wait wait = Wait::Parked;
    Wake wake = Wake::Begin;
    quint64 token = 0;
    bool active = false;
    double iterStart = 0;
    double thinkS = 0;
    double checkoutStart = 0;
    int attempt = 0;
    double nextArrival = -1;
    bool sentQuery = false; // in this request
};

/// A wake-up at run time `at`. A stale one (its target's token moved on) is ignored when it fires.
struct Timer
{
    enum class Kind
    {
        WorkerWake,
        PoolWaitTimeout,
        PoolRetry,
        ProcessStart,
    };
    double at;
    quint64 seq;
    Kind kind;
    void *target;
    quint64 token;
    bool operator>(const Timer &o) const { return at != o.at ? at > o.at : seq > o.seq; }
};

} // namespace poolscope::load
