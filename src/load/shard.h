#pragma once

#include "core/ownedthread.h"
#include "load/apppools.h"
#include "load/connection.h"
#include "load/metrics.h"
#include "load/runstate.h"
#include "load/workerinterpreter.h"

#include <QByteArray>
#include <QString>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <random>
#include <vector>

namespace poolscope::load {

/// One engine thread: an epoll loop over its connections, the timers of its workers and pools, and the
/// queue of workers ready to go on. It owns its processes, pools, workers and connections; AppPools and
/// WorkerInterpreter give the pools and the workers their behaviour and reach each other through it.
///
/// The loop: housekeeping every 100 ms (workers in and out of their phases, connect timeouts, counters
/// published), due timers, runnable workers, then epoll_wait until the next of those. Each connection's
/// socket events go to its db::AsyncConnection (connect steps, query results), and what ended goes to the
/// pool (connected, ping, reset) or the worker (query done).
///
/// Thread contract: everything runs on the shard's thread except publish()'s counterpart (the engine reads
/// `published` under publishMutex) and `done`.
struct Shard
{
    RunState *run = nullptr;
    int index = 0;
    int ep = -1;
    int wakeFd = -1;
    std::vector<std::unique_ptr<Process>> processes;
    std::vector<std::unique_ptr<Pool>> pools;
    std::vector<std::unique_ptr<Worker>> workers;
    std::vector<Connection *> conns;
    std::vector<Connection *> graveyard;
    std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers;
    quint64 timerSeq = 0;
    std::deque<Worker *> runnable;
    std::mt19937_64 rng;
    double now = 0;
    Counters local;
    std::mutex publishMutex;
    Counters published;
    std::optional<OwnedThread> thread; // OwnedThread (README, "Threads"), running loop()
    std::atomic<bool> done{false};
    AppPools appPools{*this};
    WorkerInterpreter interpreter{*this};

    ~Shard();

    double uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng); }
    bool stopping() const { return run->stopFlag.load(std::memory_order_relaxed); }

    // ---- the loop
    void loop();
    void housekeeping();
    void publish();
    void addTimer(double at, Timer::Kind kind, void *target, quint64 token);

    // ---- connections
    /// Starts a connection for `pool`; `bound` gets it when it is up (or the error when it fails), otherwise
    /// the pool keeps it idle. Null when it could not even start; `error`/`cls` then say why.
    Connection *openConn(Pool *p, Worker *bound, ErrorClass *cls, QString *error);
    void closeConn(Connection *c);
    /// Sends a query; false when it could not be sent (the connection is then broken or busy).
    bool send(Connection *c, const QByteArray &sql, Connection::Op op);
    void markBroken(Connection *c, const QString &message);

private:
    void runTimers();
    void drainRunnable();
    void freeGraveyard();
    /// At the end: cancel what runs (a closed socket does not stop a query on the server), then close all.
    void shutdown();
    void watch(Connection *c, uint32_t events);
    void unwatch(Connection *c);
    void handle(Connection *c, uint32_t events);
    void advanceConnect(Connection *c);
    void finishOp(Connection *c);
};

} // namespace poolscope::load
