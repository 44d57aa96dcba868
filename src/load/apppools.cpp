#include "apppools.h"

#include "load/shard.h"

namespace poolscope::load {

QString AppPools::poolTimeoutMessage(const Pool &p)
{
    const double s = p.cfg->timeoutMs / 1000.0;
    if (p.cfg->kind == PoolKind::QueuePool)
        return QStringLiteral(
                   "QueuePool limit of size %1 overflow %2 reached, connection timed out, timeout %3")
            .arg(p.cfg->size)
            .arg(p.cfg->maxOverflow)
            .arg(s, 0, 'f', 2);
    return QStringLiteral("couldn't get a connection after %1 sec").arg(s, 0, 'f', 2);
}

int AppPools::liveWaiters(const Pool *p) const
{
    int n = 0;
    for (const Pool::Waiter &w : p->waiters)
        n += (w.worker->wait == Worker::Wait::Pool && w.worker->token == w.token) ? 1 : 0;
    return n;
}

Worker *AppPools::popWaiter(Pool *p)
{
    while (!p->waiters.empty()) {
        const Pool::Waiter wt = p->waiters.front();
        p->waiters.pop_front();
        if (wt.worker->wait == Worker::Wait::Pool && wt.worker->token == wt.token)
            return wt.worker;
    }
    return nullptr;
}

void AppPools::give(Worker *w, Connection *c)
{
    c->checkedOut = true;
    c->user = w;
    ++c->pool->checkedOut;
    w->conn = c;
    if (c->pool->pooled)
        m_shard.local.poolWait.record(std::int64_t((m_shard.now - w->checkoutStart) * 1e6));
}

void AppPools::handOver(Worker *w, Connection *c)
{
    give(w, c);
    m_shard.interpreter.resume(w);
}

bool AppPools::checkout(Worker *w)
{
    Pool *p = w->pool;
    if (w->wait != Worker::Wait::Conn)
        w->checkoutStart = m_shard.now;
    while (!p->idle.empty()) {
        // psycopg2's pool is a list (pop from the end); QueuePool and psycopg_pool are FIFO queues.
        Connection *c;
        if (p->cfg->kind == PoolKind::Threaded) {
            c = p->idle.back();
            p->idle.pop_back();
        } else {
            c = p->idle.front();
            p->idle.pop_front();
        }
        if (!p->cfg->prePing) {
            give(w, c);
            return true;
        }
        if (c->broken) {
            discard(c);
            continue;
        }
        c->user = w;
        if (!m_shard.send(c, "SELECT 1", Connection::Op::Ping)) {
            discard(c);
            continue;
        }
        w->wait = Worker::Wait::Conn;
        return false;
    }
    if (p->open < p->capacity) {
        if (p->cfg->kind == PoolKind::PsycopgPool) {
            // psycopg_pool grows in the background, one connection at a time; the request queues.
            enqueue(p, w);
            grow(p);
            return false;
        }
        ErrorClass cls;
        QString error;
        if (!m_shard.openConn(p, w, &cls, &error)) {
            m_shard.interpreter.fail(w, cls, error, false);
            return false;
        }
        w->wait = Worker::Wait::Conn;
        return false;
    }
    if (p->cfg->kind == PoolKind::Threaded) {
        m_shard.interpreter.fail(w, ErrorClass::PoolExhausted, QStringLiteral("connection pool exhausted"),
                                 false);
        return false;
    }
    if (p->cfg->kind == PoolKind::PsycopgPool && p->cfg->maxWaiting > 0 &&
        liveWaiters(p) >= p->cfg->maxWaiting) {
        m_shard.interpreter.fail(
            w, ErrorClass::PoolExhausted,
            QStringLiteral("the pool has already %1 requests waiting").arg(p->cfg->maxWaiting), false);
        return false;
    }
    enqueue(p, w);
    return false;
}

void AppPools::enqueue(Pool *p, Worker *w)
{
    w->wait = Worker::Wait::Pool;
    ++w->token;
    p->waiters.push_back({w, w->token});
    if (p->pooled)
        m_shard.addTimer(m_shard.now + p->cfg->timeoutMs / 1000.0, Timer::Kind::PoolWaitTimeout, w, w->token);
}

void AppPools::connected(Connection *c)
{
    Pool *p = c->pool;
    if (Worker *w = c->user) {
        handOver(w, c);
        return;
    }
    p->growing = false;
    p->retryAttempt = 0;
    makeIdle(p, c);
    topUp(p);
}

void AppPools::connectFailed(Connection *c, const QString &message)
{
    Pool *p = c->pool;
    Worker *w = c->user;
    const ErrorClass cls = classifyError({}, message, true, true);
    m_shard.closeConn(c);
    if (w) {
        w->wait = Worker::Wait::None;
        m_shard.interpreter.fail(w, cls, message, false);
        return;
    }
    // The pool's own connect (at start, or growing): counted, and retried with its backoff.
    m_shard.local.addError(cls, message);
    p->growing = false;
    scheduleRetry(p);
}

void AppPools::scheduleRetry(Pool *p)
{
    if (p->retryArmed)
        return;
    ++p->retryAttempt;
    if (p->retryAttempt > p->initRetry->attempts + 1)
        return; // gave up, like psycopg_pool after reconnect_timeout
    p->retryArmed = true;
    const int ms = p->initRetry->delayMs(p->retryAttempt, m_shard.uniform());
    m_shard.addTimer(m_shard.now + ms / 1000.0, Timer::Kind::PoolRetry, p, ++p->retryToken);
}

bool AppPools::openForPool(Pool *p)
{
    ErrorClass cls;
    QString error;
    if (m_shard.openConn(p, nullptr, &cls, &error))
        return true;
    m_shard.local.addError(cls, error);
    scheduleRetry(p);
    return false;
}

void AppPools::topUp(Pool *p)
{
    if (p->retryArmed)
        return;
    while (p->open < p->minOpen) {
        if (!openForPool(p))
            return;
    }
    if (p->cfg->kind == PoolKind::PsycopgPool && liveWaiters(p) > 0)
        grow(p);
}

void AppPools::grow(Pool *p)
{
    if (p->growing || p->retryArmed || p->open >= p->capacity)
        return;
    if (openForPool(p))
        p->growing = true;
}

void AppPools::makeIdle(Pool *p, Connection *c)
{
    c->user = nullptr;
    if (Worker *w = popWaiter(p)) {
        ++w->token; // its timeout is stale now
        handOver(w, c);
        return;
    }
    if (int(p->idle.size()) < p->keepIdle)
        p->idle.push_back(c);
    else
        m_shard.closeConn(c); // QueuePool overflow, psycopg2 above minconn: closed on return
}

void AppPools::slotFreed(Pool *p)
{
    if (p->cfg->kind == PoolKind::PsycopgPool || !p->pooled) {
        topUp(p);
        if (!p->pooled && !p->waiters.empty() && p->open < p->capacity) {
            if (Worker *w = popWaiter(p)) {
                ++w->token;
                m_shard.interpreter.resume(w); // its checkout opens the connection
            }
        }
        return;
    }
    topUp(p);
    if (p->open >= p->capacity)
        return;
    if (Worker *w = popWaiter(p)) {
        ++w->token;
        ErrorClass cls;
        QString error;
        if (!m_shard.openConn(p, w, &cls, &error)) {
            w->wait = Worker::Wait::None;
            m_shard.interpreter.fail(w, cls, error, false);
            return;
        }
        w->wait = Worker::Wait::Conn;
    }
}

void AppPools::discard(Connection *c)
{
    Pool *p = c->pool;
    m_shard.closeConn(c);
    slotFreed(p);
}

void AppPools::release(Worker *w)
{
    Connection *c = w->conn;
    w->conn = nullptr;
    c->checkedOut = false;
    --c->pool->checkedOut;
    c->user = nullptr;
    if (c->broken || !c->pg.isConnected()) {
        discard(c);
        return;
    }
    if (c->pool->cfg->reset == ResetOnReturn::Rollback &&
        PQtransactionStatus(c->pg.handle()) != PQTRANS_IDLE) {
        if (!m_shard.send(c, "ROLLBACK", Connection::Op::Reset))
            discard(c);
        return;
    }
    makeIdle(c->pool, c);
}

void AppPools::leak(Worker *w)
{
    Connection *c = w->conn;
    w->conn = nullptr;
    c->user = nullptr;
    if (!c->pool->pooled) {
        // A pool-less worker just opens another one next time: its abandoned session stays on the server.
        --c->pool->open;
        c->counted = false;
        c->checkedOut = false;
        --c->pool->checkedOut;
    }
    // An app pool's slot stays taken for good (psycopg2's _used never forgets it).
}

void AppPools::pingDone(Connection *c, bool ok)
{
    Worker *w = c->user;
    if (ok) {
        handOver(w, c);
        return;
    }
    // pre_ping found a dead connection: replace it, invisibly to the request.
    c->user = nullptr;
    discard(c);
    if (w->wait == Worker::Wait::Conn && checkout(w))
        m_shard.interpreter.resume(w);
}

void AppPools::resetDone(Connection *c, bool ok)
{
    if (ok)
        makeIdle(c->pool, c);
    else
        discard(c);
}

} // namespace poolscope::load
