#pragma once

#include "load/metrics.h"
#include "load/runstate.h"

#include <QByteArray>
#include <QString>

namespace poolscope::load {

struct Connection;
struct Shard;

/// Runs the workers of one shard through their workload's steps (checkout, query, think, return, leak,
/// disconnect, require-idle), request after request: arrivals at the workload's rate (Poisson) or back to
/// back, retries with the workload's backoff, the error pause, and the counters and latencies of each
/// request. Waiting for a connection, a query or a timer hands control back to the shard's loop, which wakes
/// the worker up again.
class WorkerInterpreter
{
public:
    explicit WorkerInterpreter(Shard &shard) : m_shard(shard) {}

    /// Housekeeping: workers enter or leave their workload's phase (and their process's start).
    void activate();
    /// A worker's timer fired, or it was queued to run: go on as its wake-up says.
    void wakeUp(Worker *w);
    /// Queues a waiting worker to go on with its request at the next pass of the loop.
    void resume(Worker *w);
    void queryDone(Worker *w, Connection *c, bool ok, bool lost);
    /// The request failed: counted, the connection given back (or discarded when lost), then a retry or the
    /// next request.
    void fail(Worker *w, ErrorClass cls, const QString &message, bool lost);

private:
    void beginRequest(Worker *w);
    /// Time to a worker's next request at its share of the workload's rate (exponential: Poisson arrivals).
    double arrivalGap(Worker *w);
    void sleep(Worker *w, double seconds, Worker::Wake wake);
    void run(Worker *w);
    void sendQuery(Worker *w, const QByteArray &sql);
    void endRequest(Worker *w, bool ok);

    Shard &m_shard;
};

} // namespace poolscope::load
