#include "shard.h"

#include "core/logging.h"
#include "core/taskpool.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <pthread.h>
#include <sys/epoll.h>
#include <unistd.h>

namespace poolscope::load {

namespace {

using Io = db::AsyncConnection::Io;

constexpr double HousekeepingS = 0.1; // phases, connect timeouts, publishing counters
constexpr int MaxEvents = 256;
constexpr std::chrono::milliseconds CancelBudget{500}; // of the 1 s a stop may take

// Rounds of cancels at stop, this far apart. Behind PgBouncer a cancelled transaction frees a server that is
// handed at once to a client still queued (cl_waiting), whose query then starts after the first round; once
// its client is closed nothing would stop it (PgBouncer drops the server link, PostgreSQL keeps running).
// Later rounds cancel what started meanwhile.
constexpr int CancelRounds = 3;
constexpr std::chrono::milliseconds CancelRoundGap{60};

/// Cancel requests handed to one fire-and-forget task at shutdown, one list per round.
struct CancelBatch
{
    std::vector<std::vector<db::CancelRequest>> rounds;
    std::mutex mutex;
    std::condition_variable cv;
    bool done = false;
};

} // namespace

Shard::~Shard()
{
    freeGraveyard();
    if (ep >= 0)
        ::close(ep);
    if (wakeFd >= 0)
        ::close(wakeFd);
}

// ---- the loop

void Shard::loop()
{
    pthread_setname_np(pthread_self(), "poolscope-load");
    epoll_event wakeEvent{};
    wakeEvent.events = EPOLLIN;
    wakeEvent.data.ptr = nullptr;
    epoll_ctl(ep, EPOLL_CTL_ADD, wakeFd, &wakeEvent);
    now = run->nowS();
    for (auto &p : processes)
        addTimer(p->startAt, Timer::Kind::ProcessStart, p.get(), 0);
    double nextHousekeeping = now;
    epoll_event events[MaxEvents];
    while (true) {
        now = run->nowS();
        if (stopping() || now >= run->deadlineS)
            break;
        if (now >= nextHousekeeping) {
            housekeeping();
            nextHousekeeping = now + HousekeepingS;
        }
        runTimers();
        drainRunnable();
        double until = std::min(nextHousekeeping, run->deadlineS);
        if (!timers.empty())
            until = std::min(until, timers.top().at);
        const int timeoutMs =
            runnable.empty() ? std::clamp(int(std::ceil((until - now) * 1000.0)), 0, 100) : 0;
        const int n = epoll_wait(ep, events, MaxEvents, timeoutMs);
        now = run->nowS();
        for (int i = 0; i < n; ++i) {
            if (!events[i].data.ptr) {
                uint64_t v;
                [[maybe_unused]] auto r = ::read(wakeFd, &v, sizeof v);
                continue;
            }
            handle(static_cast<Connection *>(events[i].data.ptr), events[i].events);
        }
        drainRunnable();
        freeGraveyard();
    }
    shutdown();
    publish();
    done = true;
}

void Shard::housekeeping()
{
    interpreter.activate();
    std::vector<Connection *> late;
    for (Connection *c : conns) {
        if (c->op == Connection::Op::Connect && now - c->startedAt > run->connectTimeoutS)
            late.push_back(c);
    }
    for (Connection *c : late)
        appPools.connectFailed(
            c, QStringLiteral("timeout expired (no answer within %1 s)").arg(run->connectTimeoutS));
    publish();
}

void Shard::publish()
{
    std::lock_guard lock(publishMutex);
    published.merge(local);
    local.clear();
}

void Shard::addTimer(double at, Timer::Kind kind, void *target, quint64 token)
{
    timers.push(Timer{at, timerSeq++, kind, target, token});
}

void Shard::runTimers()
{
    while (!timers.empty() && timers.top().at <= now) {
        const Timer t = timers.top();
        timers.pop();
        switch (t.kind) {
        case Timer::Kind::WorkerWake: {
            auto *w = static_cast<Worker *>(t.target);
            if (w->wait == Worker::Wait::Timer && w->token == t.token) {
                w->wait = Worker::Wait::None;
                interpreter.wakeUp(w);
            }
            break;
        }
        case Timer::Kind::PoolWaitTimeout: {
            auto *w = static_cast<Worker *>(t.target);
            if (w->wait == Worker::Wait::Pool && w->token == t.token) {
                w->wait = Worker::Wait::None;
                ++w->token; // its queue entry is stale now
                interpreter.fail(w, ErrorClass::PoolTimeout, AppPools::poolTimeoutMessage(*w->pool), false);
            }
            break;
        }
        case Timer::Kind::PoolRetry: {
            auto *p = static_cast<Pool *>(t.target);
            if (p->retryArmed && p->retryToken == t.token) {
                p->retryArmed = false;
                appPools.topUp(p);
            }
            break;
        }
        case Timer::Kind::ProcessStart: {
            auto *proc = static_cast<Process *>(t.target);
            proc->started = true;
            if (proc->pool)
                appPools.topUp(proc->pool);
            housekeeping();
            break;
        }
        }
    }
}

void Shard::drainRunnable()
{
    // Only what is queued now: a worker that finishes a request at once queues itself again for the next
    // pass, so one worker cannot starve the others.
    for (size_t n = runnable.size(); n > 0 && !runnable.empty(); --n) {
        Worker *w = runnable.front();
        runnable.pop_front();
        if (w->wait == Worker::Wait::None)
            interpreter.wakeUp(w);
    }
}

void Shard::freeGraveyard()
{
    for (Connection *c : graveyard)
        delete c;
    graveyard.clear();
}

void Shard::shutdown()
{
    // A closed socket does not stop a running query (pg_sleep, a lock wait) on the server, and behind
    // PgBouncer the cancel key dies with the client: cancel first, then close. PQcancel blocks (it connects
    // afresh, with no timeout of its own), so the cancels run as one fire-and-forget task that gets
    // CancelBudget; past that the connections are closed anyway and the task finishes on its own.
    auto batch = std::make_shared<CancelBatch>();
    batch->rounds.resize(CancelRounds);
    size_t inFlight = 0;
    for (Connection *c : conns) {
        if (c->broken || (c->op != Connection::Op::Query && c->op != Connection::Op::Ping &&
                          c->op != Connection::Op::Reset))
            continue;
        const db::CancelRequest request = c->pg.cancelRequest();
        if (!request)
            continue;
        ++inFlight;
        for (auto &round : batch->rounds)
            round.push_back(request); // the same key serves every round
    }
    if (inFlight > 0) {
        TaskPool::post([batch] {
            for (size_t round = 0; round < batch->rounds.size(); ++round) {
                if (round > 0)
                    std::this_thread::sleep_for(CancelRoundGap);
                for (const db::CancelRequest &request : batch->rounds[round])
                    request.send(); // between queries a cancel is ignored
            }
            std::lock_guard lock(batch->mutex);
            batch->done = true;
            batch->cv.notify_all();
        });
        std::unique_lock lock(batch->mutex);
        if (!batch->cv.wait_for(lock, CancelBudget, [&] { return batch->done; }))
            logging::get("load")->warn("load: cancelling {} queries takes more than {} ms; closing anyway",
                                       inFlight, CancelBudget.count());
    }
    const std::vector<Connection *> all = conns;
    for (Connection *c : all)
        closeConn(c);
    freeGraveyard();
    runnable.clear();
}

// ---- connections

void Shard::watch(Connection *c, uint32_t events)
{
    const int fd = c->pg.socket();
    epoll_event ev{};
    ev.events = events;
    ev.data.ptr = c;
    if (fd != c->fd) {
        // libpq may switch sockets while connecting (another address, SSL retry).
        if (c->fd >= 0)
            epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, nullptr);
        c->fd = fd;
        c->events = events;
        if (fd >= 0)
            epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
        return;
    }
    if (events != c->events && fd >= 0) {
        c->events = events;
        epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
    }
}

void Shard::unwatch(Connection *c)
{
    if (c->fd >= 0)
        epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, nullptr);
    c->fd = -1;
    c->events = 0;
}

Connection *Shard::openConn(Pool *p, Worker *bound, ErrorClass *cls, QString *error)
{
    if (!run->reserveConnection()) {
        *cls = ErrorClass::Other;
        *error = QStringLiteral("PoolScope's connection cap (%1) reached").arg(run->cap);
        return nullptr;
    }
    auto *c = new Connection;
    c->pool = p;
    c->user = bound;
    c->startedAt = now;
    DbError failed;
    if (!c->pg.startConnect(*p->arrays, &failed)) {
        *error = failed.message;
        *cls = classifyError({}, *error, true, true);
        delete c;
        run->open.fetch_sub(1);
        return nullptr;
    }
    ++p->open;
    c->slot = conns.size();
    conns.push_back(c);
    watch(c, EPOLLOUT); // as if PQconnectPoll had said PGRES_POLLING_WRITING
    return c;
}

void Shard::closeConn(Connection *c)
{
    if (!c->pg.isOpen())
        return;
    unwatch(c);
    if (c->counted)
        --c->pool->open;
    if (c->checkedOut)
        --c->pool->checkedOut;
    Connection *last = conns.back();
    conns[c->slot] = last;
    last->slot = c->slot;
    conns.pop_back();
    c->pg.drop();
    run->open.fetch_sub(1);
    if (c->established)
        run->established.fetch_sub(1);
    graveyard.push_back(c); // events for it may still be in this epoll batch
}

bool Shard::send(Connection *c, const QByteArray &sql, Connection::Op op)
{
    c->failure = DbError{};
    const Io io = c->pg.sendQuery(sql, nullptr, db::AsyncConnection::Results::Discard);
    if (io == Io::Failed)
        return false;
    c->op = op;
    watch(c, io == Io::ReadWrite ? (EPOLLIN | EPOLLOUT) : EPOLLIN);
    return true;
}

void Shard::markBroken(Connection *c, const QString &message)
{
    c->broken = true;
    if (c->deathMessage.isEmpty()) {
        // A FATAL sent to an idle connection arrives as a notice before the connection closes.
        const QString &notice = c->pg.lastNotice();
        c->deathMessage = message;
        if (!notice.isEmpty() && !message.contains(notice))
            c->deathMessage = notice + QLatin1Char(' ') + message;
    }
    unwatch(c);
}

void Shard::handle(Connection *c, uint32_t events)
{
    if (!c->pg.isOpen())
        return; // closed earlier in this batch
    switch (c->op) {
    case Connection::Op::Connect:
        advanceConnect(c);
        return;
    case Connection::Op::None:
        // Idle: only a server-side close (a FATAL, EOF) or a stray notice arrives here.
        if (!c->pg.consumeIdle())
            markBroken(c, c->pg.errorMessage());
        return;
    case Connection::Op::Query:
    case Connection::Op::Ping:
    case Connection::Op::Reset:
        break;
    }
    switch (c->pg.continueQuery(events & (EPOLLIN | EPOLLERR | EPOLLHUP), events & EPOLLOUT)) {
    case Io::Read:
        watch(c, EPOLLIN);
        return;
    case Io::Write:
    case Io::ReadWrite:
        watch(c, EPOLLIN | EPOLLOUT);
        return;
    case Io::Done:
    case Io::Failed:
        finishOp(c);
        return;
    }
}

void Shard::advanceConnect(Connection *c)
{
    switch (c->pg.continueConnect()) {
    case Io::Read:
        watch(c, EPOLLIN);
        return;
    case Io::Write:
    case Io::ReadWrite:
        watch(c, EPOLLOUT);
        return;
    case Io::Done:
        c->op = Connection::Op::None;
        c->established = true;
        run->noteEstablished();
        watch(c, EPOLLIN);
        ++local.connects;
        appPools.connected(c);
        return;
    case Io::Failed:
        break;
    }
    QString message = c->pg.errorMessage();
    if (message.isEmpty())
        message = QStringLiteral("connection failed");
    appPools.connectFailed(c, message);
}

void Shard::finishOp(Connection *c)
{
    const Connection::Op op = c->op;
    c->op = Connection::Op::None;
    if (c->pg.queryFailed()) {
        c->failure = c->pg.queryError();
        if (!c->pg.isUsable()) {
            c->failure = DbError{ErrorKind::Query, {}, QStringLiteral("COPY is not supported in scenarios")};
            markBroken(c, c->failure.message);
        }
    }
    const bool lost = !c->pg.isConnected();
    if (lost) {
        QString message = c->failure.message;
        const QString libpq = c->pg.errorMessage();
        if (!libpq.isEmpty() && !message.contains(libpq))
            message = message.isEmpty() ? libpq : message + QLatin1Char(' ') + libpq;
        markBroken(c, message);
    }
    const bool ok = !c->pg.queryFailed() && !lost;
    switch (op) {
    case Connection::Op::Query:
        interpreter.queryDone(c->user, c, ok, lost);
        return;
    case Connection::Op::Ping:
        appPools.pingDone(c, ok);
        return;
    case Connection::Op::Reset:
        appPools.resetDone(c, ok);
        return;
    case Connection::Op::Connect:
    case Connection::Op::None:
        return;
    }
}

} // namespace poolscope::load
