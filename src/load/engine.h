#pragma once

#include "load/metrics.h"
#include "load/scenario.h"

#include <QString>
#include <memory>

namespace poolscope::load {

/// Hard bounds of a run, whatever the scenario asks for.
struct Limits
{
    int maxConnections = 10000; // opened by the engine at once; more attempts fail (class "other")
    double maxDurationS = 3600;
};

struct EngineOptions
{
    QString conninfo;  // may carry a password: kept in memory, never logged
    Scenario scenario; // validated
    Limits limits;
    int threads = 0;  // 0: the machine's cores, at most 4
    quint64 seed = 0; // 0: random
};

/// The load generator: simulated app processes (each with its pool and workers) spread over a few threads,
/// each thread (a Shard) driving all of its connections from one epoll loop, so thousands of clients need no
/// thread each. Every connection is a db::AsyncConnection driven step by step (the sampler's connection
/// class); AppPools models the app-side pools and WorkerInterpreter runs the workloads' steps.
///
/// An app process and its pool live on one thread (no locks on the hot path); workers of pool-less apps are
/// spread over all threads. Each thread keeps its own counters and merges them into a shared slot every
/// 100 ms; takeCounters() collects those.
///
/// Bounds: the run ends at the scenario's duration (capped by Limits::maxDurationS); connections beyond
/// Limits::maxConnections are refused. stop() ends the run within a second: queries in flight are cancelled,
/// then every connection is closed, before it returns.
///
/// Thread contract: construct, start, stop and read from one thread (any thread); the engine's own threads
/// (OwnedThread, README "Threads") never call back. They share ownership of the engine's state, so a thread
/// that stop() gave up waiting for ends on its own without touching freed memory.
class Engine
{
public:
    explicit Engine(EngineOptions options);
    ~Engine(); // stop()
    Engine(const Engine &) = delete;
    Engine &operator=(const Engine &) = delete;

    /// Starts the threads; false (with a reason) when the connection string does not parse or threads cannot
    /// be made. Returns at once: connections open asynchronously.
    bool start(QString *error);
    /// Asks every thread to end now (cancel in-flight queries, close every connection); does not wait.
    void requestStop();
    /// requestStop(), then waits for the threads, at most kStopBoundMs in all: every connection is closed
    /// when it returns (a thread still running then is left to end on its own, and logged).
    void stop();
    static constexpr int kStopBoundMs = 1500;
    /// Every thread has ended (the duration ran out, or stop).
    bool isFinished() const;

    double elapsedS() const;
    /// What happened since the previous call, over all threads.
    Counters takeCounters();
    /// Connections established now (attempts in progress not counted), and the most at any time.
    int openConnections() const;
    int maxOpenConnections() const;
    /// Workers running now (per the workloads' phases and the processes started).
    int activeWorkers() const;
    /// The connection cap in force (Limits::maxConnections, lowered to fit the open-files limit).
    int connectionCap() const;

private:
    struct Private;
    std::shared_ptr<Private> d; // shared with the threads
};

} // namespace poolscope::load
