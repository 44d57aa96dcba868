#include "workerinterpreter.h"

#include "load/shard.h"

#include <algorithm>
#include <cmath>

namespace poolscope::load {

void WorkerInterpreter::activate()
{
    const double now = m_shard.now;
    for (auto &w : m_shard.workers) {
        const bool active = w->process->started && w->index < w->workload->workersAt(now);
        w->active = active;
        if (active && w->wait == Worker::Wait::Parked) {
            if (w->workload->rate > 0) {
                // The first arrival is random too, so workers started together do not arrive together.
                const double gap = arrivalGap(w.get());
                w->nextArrival = now + gap;
                sleep(w.get(), gap, Worker::Wake::Begin);
                continue;
            }
            w->wait = Worker::Wait::None;
            w->wake = Worker::Wake::Begin;
            m_shard.runnable.push_back(w.get());
        }
    }
}

void WorkerInterpreter::wakeUp(Worker *w)
{
    switch (w->wake) {
    case Worker::Wake::Continue:
        run(w);
        break;
    case Worker::Wake::Begin:
        beginRequest(w);
        break;
    case Worker::Wake::Retry:
        w->step = 0;
        w->wake = Worker::Wake::Continue;
        run(w);
        break;
    }
}

void WorkerInterpreter::resume(Worker *w)
{
    w->wait = Worker::Wait::None;
    w->wake = Worker::Wake::Continue;
    m_shard.runnable.push_back(w);
}

void WorkerInterpreter::beginRequest(Worker *w)
{
    w->iterStart = m_shard.now;
    w->thinkS = 0;
    w->step = 0;
    w->attempt = 0;
    w->sentQuery = false;
    w->wake = Worker::Wake::Continue;
    run(w);
}

double WorkerInterpreter::arrivalGap(Worker *w)
{
    const int active = std::max(1, w->workload->workersAt(m_shard.now) * w->process->app->processes);
    return -std::log(1.0 - m_shard.uniform()) * active / w->workload->rate;
}

void WorkerInterpreter::sleep(Worker *w, double seconds, Worker::Wake wake)
{
    w->wait = Worker::Wait::Timer;
    w->wake = wake;
    m_shard.addTimer(m_shard.now + seconds, Timer::Kind::WorkerWake, w, ++w->token);
}

void WorkerInterpreter::run(Worker *w)
{
    AppPools &pools = m_shard.appPools;
    const QList<Step> &steps = w->workload->steps;
    while (true) {
        if (w->step >= steps.size()) {
            endRequest(w, true);
            return;
        }
        const Step &s = steps.at(w->step);
        if (s.chance < 1.0 && m_shard.uniform() >= s.chance) {
            ++w->step;
            continue;
        }
        switch (s.kind) {
        case StepKind::Checkout:
            if (!w->conn && !pools.checkout(w))
                return;
            ++w->step;
            continue;
        case StepKind::Return:
            if (w->conn)
                pools.release(w);
            ++w->step;
            continue;
        case StepKind::Query:
            if (!w->conn && !pools.checkout(w))
                return;
            sendQuery(w, s.sql);
            return;
        case StepKind::Think: {
            double seconds = 0;
            if (s.exponential) {
                seconds = -std::log(1.0 - m_shard.uniform()) * s.ms / 1000.0; // mean ms, memoryless
            } else {
                const int jitter =
                    s.jitterMs > 0 ? int(std::lround((m_shard.uniform() * 2 - 1) * s.jitterMs)) : 0;
                seconds = std::max(0, s.ms + jitter) / 1000.0;
            }
            w->thinkS += seconds;
            ++w->step;
            sleep(w, seconds, Worker::Wake::Continue);
            return;
        }
        case StepKind::Leak:
            if (w->conn)
                pools.leak(w);
            ++w->step;
            continue;
        case StepKind::Disconnect:
            if (w->conn) {
                Connection *c = w->conn;
                w->conn = nullptr;
                pools.discard(c);
            }
            ++w->step;
            continue;
        case StepKind::RequireIdle:
            if (w->conn && !w->conn->broken) {
                const PGTransactionStatusType status = PQtransactionStatus(w->conn->pg.handle());
                if (status != PQTRANS_IDLE) {
                    fail(w, ErrorClass::InTransaction,
                         QStringLiteral("can't change 'autocommit' now: connection in transaction status %1")
                             .arg(status == PQTRANS_INERROR ? QStringLiteral("INERROR")
                                                            : QStringLiteral("INTRANS")),
                         false);
                    return;
                }
            }
            ++w->step;
            continue;
        }
    }
}

void WorkerInterpreter::sendQuery(Worker *w, const QByteArray &sql)
{
    Connection *c = w->conn;
    if (c->broken) {
        const QString message = c->deathMessage.isEmpty()
                                    ? QStringLiteral("server closed the connection unexpectedly")
                                    : c->deathMessage;
        fail(w, classifyError({}, message, false, true), message, true);
        return;
    }
    c->user = w;
    w->sentQuery = true;
    if (!m_shard.send(c, sql, Connection::Op::Query)) {
        const bool lost = !c->pg.isConnected();
        const QString message = c->pg.errorMessage();
        if (lost)
            m_shard.markBroken(c, message);
        fail(w, classifyError({}, lost ? c->deathMessage : message, false, lost), message, lost);
        return;
    }
    w->wait = Worker::Wait::Conn;
}

void WorkerInterpreter::queryDone(Worker *w, Connection *c, bool ok, bool lost)
{
    w->wait = Worker::Wait::None;
    if (!ok) {
        QString message = lost ? c->deathMessage : c->failure.message;
        if (message.isEmpty())
            message = QStringLiteral("query failed");
        fail(w, classifyError(c->failure.sqlState, message, false, lost), message, lost);
        return;
    }
    ++w->step;
    run(w);
}

void WorkerInterpreter::fail(Worker *w, ErrorClass cls, const QString &message, bool lost)
{
    m_shard.local.addError(cls, message);
    if (w->conn) {
        if (lost || w->conn->broken) {
            Connection *c = w->conn;
            w->conn = nullptr;
            c->checkedOut = false;
            --c->pool->checkedOut;
            m_shard.appPools.discard(c);
        } else {
            // A failed request still gives its connection back (the pool may reset it).
            m_shard.appPools.release(w);
        }
    }
    const RetryPolicy &retry = w->workload->retry;
    if (w->attempt < retry.attempts && w->active && !m_shard.stopping()) {
        ++w->attempt;
        ++m_shard.local.retries;
        sleep(w, retry.delayMs(w->attempt, m_shard.uniform()) / 1000.0, Worker::Wake::Retry);
        return;
    }
    endRequest(w, false);
}

void WorkerInterpreter::endRequest(Worker *w, bool ok)
{
    const double now = m_shard.now;
    if (ok) {
        ++m_shard.local.transactions;
        m_shard.local.latency.record(std::int64_t((now - w->iterStart - w->thinkS) * 1e6));
    } else {
        ++m_shard.local.failed;
    }
    if (w->conn)
        m_shard.appPools.release(w);
    w->attempt = 0;
    if (!w->active) {
        w->wait = Worker::Wait::Parked;
        return;
    }
    double at = ok ? now : now + w->workload->errorPauseMs / 1000.0;
    if (w->workload->rate > 0) {
        // Poisson arrivals on a schedule (a slow request delays the next, as pgbench -R's lag); a worker far
        // behind it does not burst to catch up.
        w->nextArrival = std::max(w->nextArrival + arrivalGap(w), now - 1.0);
        at = std::max(at, w->nextArrival);
    }
    if (at > now) {
        sleep(w, at - now, Worker::Wake::Begin);
        return;
    }
    w->wait = Worker::Wait::None;
    if (w->sentQuery) {
        // The request waited on the server at least once, so going straight on cannot starve the other
        // workers; it saves a pass of the loop per transaction, as pgbench sends the next command at once.
        beginRequest(w);
        return;
    }
    w->wake = Worker::Wake::Begin;
    m_shard.runnable.push_back(w);
}

} // namespace poolscope::load
