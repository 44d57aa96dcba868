#include "engine.h"

#include "core/logging.h"
#include "db/pg.h"

#include <QThread>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <pthread.h>
#include <queue>
#include <random>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace poolscope::load {

namespace {

using Clock = std::chrono::steady_clock;

constexpr double HousekeepingS = 0.1;         // phases, connect timeouts, publishing counters
constexpr double DefaultConnectTimeoutS = 10; // PQconnectPoll ignores connect_timeout: we time connects
constexpr int MaxEvents = 256;
constexpr std::chrono::milliseconds CancelBudget{500}; // of the 1 s a stop may take

// Rounds of cancels at stop, this far apart. Behind PgBouncer a cancelled transaction frees a server that is
// handed at once to a client still queued (cl_waiting), whose query then starts after the first round; once
// its client is closed nothing would stop it (PgBouncer drops the server link, PostgreSQL keeps running).
// Later rounds cancel what started meanwhile.
constexpr int CancelRounds = 3;
constexpr std::chrono::milliseconds CancelRoundGap{60};

/// Cancel requests handed to a helper thread at shutdown, one list per round; it owns (and frees) them.
struct CancelBatch
{
    std::vector<std::vector<PGcancel *>> rounds;
    std::mutex mutex;
    std::condition_variable cv;
    bool done = false;
};

struct Shard;
struct Pool;
struct Worker;

struct Conn
{
    enum class Op
    {
        Connect,
        None, // established, nothing in flight (idle in the pool, or held by a worker between steps)
        Query,
        Ping,  // pre-ping before a checkout
        Reset, // ROLLBACK on return
    };

    PGconn *pg = nullptr;
    PGcancel *cancel = nullptr;
    Pool *pool = nullptr;
    Worker *user = nullptr; // the worker waiting on it or holding it
    Op op = Op::Connect;
    int fd = -1;
    uint32_t events = 0;
    size_t slot = 0; // index in Shard::conns
    double startedAt = 0;
    bool established = false;
    bool broken = false; // the server or pooler closed it; libpq only tells at the next use
    bool counted = true; // counts against its pool's capacity (a leaked pool-less connection does not)
    bool checkedOut = false;
    QString lastNotice;   // a FATAL sent to an idle connection arrives as a notice
    QString deathMessage; // why it broke, kept for the error its next user gets
    bool failed = false;  // the operation in flight got an error result
    QString errState;
    QString errMessage;
};

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
    std::deque<Conn *> idle;
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

struct Process
{
    const AppConfig *app = nullptr;
    Pool *pool = nullptr; // the process's app pool; null for pool-less apps
    double startAt = 0;
    bool started = false;
    std::vector<Worker *> workers;
};

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
    Conn *conn = nullptr;
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

void noticeProcessor(void *arg, const char *message)
{
    // Never to stderr (libpq's default): one "there is no transaction in progress" per request would flood
    // it.
    static_cast<Conn *>(arg)->lastNotice = db::cleanMessage(message);
}

/// What the threads share: the run's clock and bounds, and the connection count.
struct Core
{
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

struct Shard
{
    Core *e = nullptr;
    int index = 0;
    int ep = -1;
    int wakeFd = -1;
    std::vector<std::unique_ptr<Process>> processes;
    std::vector<std::unique_ptr<Pool>> pools;
    std::vector<std::unique_ptr<Worker>> workers;
    std::vector<Conn *> conns;
    std::vector<Conn *> graveyard;
    std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers;
    quint64 timerSeq = 0;
    std::deque<Worker *> runnable;
    std::mt19937_64 rng;
    double now = 0;
    Counters local;
    std::mutex publishMutex;
    Counters published;
    std::thread thread;
    std::atomic<bool> done{false};

    ~Shard()
    {
        for (Conn *c : graveyard)
            delete c;
        if (ep >= 0)
            ::close(ep);
        if (wakeFd >= 0)
            ::close(wakeFd);
    }

    double uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng); }

    // ---- the loop

    void loop()
    {
        pthread_setname_np(pthread_self(), "poolscope-load");
        epoll_event wakeEvent{};
        wakeEvent.events = EPOLLIN;
        wakeEvent.data.ptr = nullptr;
        epoll_ctl(ep, EPOLL_CTL_ADD, wakeFd, &wakeEvent);
        now = e->nowS();
        for (auto &p : processes)
            addTimer(p->startAt, Timer::Kind::ProcessStart, p.get(), 0);
        double nextHousekeeping = now;
        epoll_event events[MaxEvents];
        while (true) {
            now = e->nowS();
            if (e->stopFlag.load(std::memory_order_relaxed) || now >= e->deadlineS)
                break;
            if (now >= nextHousekeeping) {
                housekeeping();
                nextHousekeeping = now + HousekeepingS;
            }
            runTimers();
            drainRunnable();
            double until = std::min(nextHousekeeping, e->deadlineS);
            if (!timers.empty())
                until = std::min(until, timers.top().at);
            const int timeoutMs =
                runnable.empty() ? std::clamp(int(std::ceil((until - now) * 1000.0)), 0, 100) : 0;
            const int n = epoll_wait(ep, events, MaxEvents, timeoutMs);
            now = e->nowS();
            for (int i = 0; i < n; ++i) {
                if (!events[i].data.ptr) {
                    uint64_t v;
                    [[maybe_unused]] auto r = ::read(wakeFd, &v, sizeof v);
                    continue;
                }
                handle(static_cast<Conn *>(events[i].data.ptr), events[i].events);
            }
            drainRunnable();
            freeGraveyard();
        }
        shutdown();
        publish();
        done = true;
    }

    void housekeeping()
    {
        const double elapsed = now;
        for (auto &w : workers) {
            const bool active = w->process->started && w->index < w->workload->workersAt(elapsed);
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
                runnable.push_back(w.get());
            }
        }
        std::vector<Conn *> late;
        for (Conn *c : conns) {
            if (c->op == Conn::Op::Connect && now - c->startedAt > e->connectTimeoutS)
                late.push_back(c);
        }
        for (Conn *c : late)
            connectFailed(c,
                          QStringLiteral("timeout expired (no answer within %1 s)").arg(e->connectTimeoutS));
        publish();
    }

    void publish()
    {
        std::lock_guard lock(publishMutex);
        published.merge(local);
        local.clear();
    }

    void addTimer(double at, Timer::Kind kind, void *target, quint64 token)
    {
        timers.push(Timer{at, timerSeq++, kind, target, token});
    }

    void runTimers()
    {
        while (!timers.empty() && timers.top().at <= now) {
            const Timer t = timers.top();
            timers.pop();
            switch (t.kind) {
            case Timer::Kind::WorkerWake: {
                auto *w = static_cast<Worker *>(t.target);
                if (w->wait == Worker::Wait::Timer && w->token == t.token) {
                    w->wait = Worker::Wait::None;
                    wakeUp(w);
                }
                break;
            }
            case Timer::Kind::PoolWaitTimeout: {
                auto *w = static_cast<Worker *>(t.target);
                if (w->wait == Worker::Wait::Pool && w->token == t.token) {
                    w->wait = Worker::Wait::None;
                    ++w->token; // its queue entry is stale now
                    fail(w, ErrorClass::PoolTimeout, poolTimeoutMessage(*w->pool), false);
                }
                break;
            }
            case Timer::Kind::PoolRetry: {
                auto *p = static_cast<Pool *>(t.target);
                if (p->retryArmed && p->retryToken == t.token) {
                    p->retryArmed = false;
                    topUp(p);
                }
                break;
            }
            case Timer::Kind::ProcessStart: {
                auto *proc = static_cast<Process *>(t.target);
                proc->started = true;
                if (proc->pool)
                    topUp(proc->pool);
                housekeeping();
                break;
            }
            }
        }
    }

    void drainRunnable()
    {
        // Only what is queued now: a worker that finishes a request at once queues itself again for the next
        // pass, so one worker cannot starve the others.
        for (size_t n = runnable.size(); n > 0 && !runnable.empty(); --n) {
            Worker *w = runnable.front();
            runnable.pop_front();
            if (w->wait == Worker::Wait::None)
                wakeUp(w);
        }
    }

    void wakeUp(Worker *w)
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

    void freeGraveyard()
    {
        for (Conn *c : graveyard)
            delete c;
        graveyard.clear();
    }

    void shutdown()
    {
        // A closed socket does not stop a running query (pg_sleep, a lock wait) on the server, and behind
        // PgBouncer the cancel key dies with the client: cancel first, then close. PQcancel blocks (it
        // connects afresh, with no timeout of its own), so the cancels run on a helper thread that gets
        // CancelBudget; past that the connections are closed anyway and the helper finishes on its own.
        auto batch = std::make_shared<CancelBatch>();
        batch->rounds.resize(CancelRounds);
        size_t inFlight = 0;
        for (Conn *c : conns) {
            if (c->cancel && !c->broken &&
                (c->op == Conn::Op::Query || c->op == Conn::Op::Ping || c->op == Conn::Op::Reset)) {
                ++inFlight;
                batch->rounds[0].push_back(c->cancel);
                c->cancel = nullptr; // the batch frees it
                for (int round = 1; round < CancelRounds; ++round) {
                    if (PGcancel *again = PQgetCancel(c->pg))
                        batch->rounds[size_t(round)].push_back(again);
                }
            }
        }
        if (inFlight > 0) {
            std::thread([batch] {
                char buf[256];
                for (size_t round = 0; round < batch->rounds.size(); ++round) {
                    if (round > 0)
                        std::this_thread::sleep_for(CancelRoundGap);
                    for (PGcancel *c : batch->rounds[round]) {
                        PQcancel(c, buf, int(sizeof buf)); // between queries a cancel is ignored
                        PQfreeCancel(c);
                    }
                }
                std::lock_guard lock(batch->mutex);
                batch->done = true;
                batch->cv.notify_all();
            }).detach();
            std::unique_lock lock(batch->mutex);
            if (!batch->cv.wait_for(lock, CancelBudget, [&] { return batch->done; }))
                logging::get("load")->warn(
                    "load: cancelling {} queries takes more than {} ms; closing anyway", inFlight,
                    CancelBudget.count());
        }
        const std::vector<Conn *> all = conns;
        for (Conn *c : all)
            closeConn(c);
        freeGraveyard();
        runnable.clear();
    }

    // ---- connections

    void watch(Conn *c, uint32_t events)
    {
        const int fd = PQsocket(c->pg);
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

    void unwatch(Conn *c)
    {
        if (c->fd >= 0)
            epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, nullptr);
        c->fd = -1;
        c->events = 0;
    }

    /// Starts a connection for `pool`; `bound` gets it when it is up (or the error when it fails), otherwise
    /// the pool keeps it idle. Null when it could not even start; `error`/`cls` then say why.
    Conn *openConn(Pool *p, Worker *bound, ErrorClass *cls, QString *error)
    {
        if (!e->reserveConnection()) {
            *cls = ErrorClass::Other;
            *error = QStringLiteral("PoolScope's connection cap (%1) reached").arg(e->cap);
            return nullptr;
        }
        auto *c = new Conn;
        c->pool = p;
        c->user = bound;
        c->startedAt = now;
        c->pg = PQconnectStartParams(p->arrays->keys.data(), p->arrays->values.data(), 0);
        if (!c->pg || PQstatus(c->pg) == CONNECTION_BAD) {
            *error = c->pg ? db::cleanMessage(PQerrorMessage(c->pg)) : QStringLiteral("out of memory");
            *cls = classifyError({}, *error, true, true);
            if (c->pg)
                PQfinish(c->pg);
            delete c;
            e->open.fetch_sub(1);
            return nullptr;
        }
        PQsetNoticeProcessor(c->pg, noticeProcessor, c);
        ++p->open;
        c->slot = conns.size();
        conns.push_back(c);
        watch(c, EPOLLOUT); // as if PQconnectPoll had said PGRES_POLLING_WRITING
        return c;
    }

    void closeConn(Conn *c)
    {
        if (!c->pg)
            return;
        unwatch(c);
        if (c->counted)
            --c->pool->open;
        if (c->checkedOut)
            --c->pool->checkedOut;
        Conn *last = conns.back();
        conns[c->slot] = last;
        last->slot = c->slot;
        conns.pop_back();
        if (c->cancel)
            PQfreeCancel(c->cancel);
        c->cancel = nullptr;
        PQfinish(c->pg);
        c->pg = nullptr;
        e->open.fetch_sub(1);
        if (c->established)
            e->established.fetch_sub(1);
        graveyard.push_back(c); // events for it may still be in this epoll batch
    }

    bool send(Conn *c, const QByteArray &sql, Conn::Op op)
    {
        c->failed = false;
        c->errState.clear();
        c->errMessage.clear();
        if (!PQsendQuery(c->pg, sql.constData()))
            return false;
        c->op = op;
        const int f = PQflush(c->pg);
        if (f < 0) {
            c->op = Conn::Op::None;
            return false;
        }
        watch(c, f == 1 ? (EPOLLIN | EPOLLOUT) : EPOLLIN);
        return true;
    }

    void markBroken(Conn *c, const QString &message)
    {
        c->broken = true;
        if (c->deathMessage.isEmpty()) {
            c->deathMessage = message;
            if (!c->lastNotice.isEmpty() && !message.contains(c->lastNotice))
                c->deathMessage = c->lastNotice + QLatin1Char(' ') + message;
        }
        unwatch(c);
    }

    void handle(Conn *c, uint32_t events)
    {
        if (!c->pg)
            return; // closed earlier in this batch
        switch (c->op) {
        case Conn::Op::Connect:
            advanceConnect(c);
            return;
        case Conn::Op::None:
            // Idle: only a server-side close (a FATAL, EOF) or a stray notice arrives here.
            if (!PQconsumeInput(c->pg) || PQstatus(c->pg) == CONNECTION_BAD) {
                markBroken(c, db::cleanMessage(PQerrorMessage(c->pg)));
                return;
            }
            while (!PQisBusy(c->pg)) {
                PGresult *r = PQgetResult(c->pg);
                if (!r)
                    break;
                PQclear(r);
            }
            return;
        case Conn::Op::Query:
        case Conn::Op::Ping:
        case Conn::Op::Reset:
            break;
        }
        if (events & EPOLLOUT) {
            const int f = PQflush(c->pg);
            if (f < 0) {
                finishOp(c);
                return;
            }
            if (f == 0)
                watch(c, EPOLLIN);
        }
        if (!(events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
            return;
        if (!PQconsumeInput(c->pg)) {
            finishOp(c);
            return;
        }
        while (!PQisBusy(c->pg)) {
            PGresult *r = PQgetResult(c->pg);
            if (!r) {
                finishOp(c);
                return;
            }
            const ExecStatusType st = PQresultStatus(r);
            if ((st == PGRES_FATAL_ERROR || st == PGRES_COPY_IN || st == PGRES_COPY_OUT ||
                 st == PGRES_COPY_BOTH) &&
                !c->failed) {
                c->failed = true;
                c->errState = QString::fromLatin1(PQresultErrorField(r, PG_DIAG_SQLSTATE));
                c->errMessage = st == PGRES_FATAL_ERROR
                                    ? db::cleanMessage(PQresultErrorMessage(r))
                                    : QStringLiteral("COPY is not supported in scenarios");
            }
            PQclear(r);
            if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
                markBroken(c, c->errMessage);
                finishOp(c);
                return;
            }
        }
    }

    void advanceConnect(Conn *c)
    {
        switch (PQconnectPoll(c->pg)) {
        case PGRES_POLLING_READING:
            watch(c, EPOLLIN);
            return;
        case PGRES_POLLING_WRITING:
            watch(c, EPOLLOUT);
            return;
        case PGRES_POLLING_OK:
            PQsetnonblocking(c->pg, 1);
            c->cancel = PQgetCancel(c->pg);
            c->op = Conn::Op::None;
            c->established = true;
            e->noteEstablished();
            watch(c, EPOLLIN);
            ++local.connects;
            connected(c);
            return;
        case PGRES_POLLING_FAILED:
        case PGRES_POLLING_ACTIVE:
            break;
        }
        QString message = db::cleanMessage(PQerrorMessage(c->pg));
        if (message.isEmpty())
            message = QStringLiteral("connection failed");
        connectFailed(c, message);
    }

    void finishOp(Conn *c)
    {
        const Conn::Op op = c->op;
        c->op = Conn::Op::None;
        const bool lost = PQstatus(c->pg) == CONNECTION_BAD;
        if (lost) {
            QString message = c->errMessage;
            const QString libpq = db::cleanMessage(PQerrorMessage(c->pg));
            if (!libpq.isEmpty() && !message.contains(libpq))
                message = message.isEmpty() ? libpq : message + QLatin1Char(' ') + libpq;
            markBroken(c, message);
        }
        const bool ok = !c->failed && !lost;
        switch (op) {
        case Conn::Op::Query:
            queryDone(c->user, c, ok, lost);
            return;
        case Conn::Op::Ping:
            pingDone(c, ok);
            return;
        case Conn::Op::Reset:
            if (ok)
                makeIdle(c->pool, c);
            else
                discard(c);
            return;
        case Conn::Op::Connect:
        case Conn::Op::None:
            return;
        }
    }

    // ---- pools

    static QString poolTimeoutMessage(const Pool &p)
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

    int liveWaiters(const Pool *p) const
    {
        int n = 0;
        for (const Pool::Waiter &w : p->waiters)
            n += (w.worker->wait == Worker::Wait::Pool && w.worker->token == w.token) ? 1 : 0;
        return n;
    }

    Worker *popWaiter(Pool *p)
    {
        while (!p->waiters.empty()) {
            const Pool::Waiter wt = p->waiters.front();
            p->waiters.pop_front();
            if (wt.worker->wait == Worker::Wait::Pool && wt.worker->token == wt.token)
                return wt.worker;
        }
        return nullptr;
    }

    void give(Worker *w, Conn *c)
    {
        c->checkedOut = true;
        c->user = w;
        ++c->pool->checkedOut;
        w->conn = c;
        if (c->pool->pooled)
            local.poolWait.record(std::int64_t((now - w->checkoutStart) * 1e6));
    }

    /// Queues a waiting worker to go on with its request at the next pass of the loop.
    void resume(Worker *w)
    {
        w->wait = Worker::Wait::None;
        w->wake = Worker::Wake::Continue;
        runnable.push_back(w);
    }

    /// Gives `c` to a worker that was waiting for a connection, and resumes it.
    void handOver(Worker *w, Conn *c)
    {
        give(w, c);
        resume(w);
    }

    /// Takes a connection for `w`: true when it holds one now; false when it waits (it is resumed later) or
    /// failed (fail() already ran).
    bool checkout(Worker *w)
    {
        Pool *p = w->pool;
        if (w->wait != Worker::Wait::Conn)
            w->checkoutStart = now;
        while (!p->idle.empty()) {
            // psycopg2's pool is a list (pop from the end); QueuePool and psycopg_pool are FIFO queues.
            Conn *c;
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
            if (!send(c, "SELECT 1", Conn::Op::Ping)) {
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
            if (!openConn(p, w, &cls, &error)) {
                fail(w, cls, error, false);
                return false;
            }
            w->wait = Worker::Wait::Conn;
            return false;
        }
        if (p->cfg->kind == PoolKind::Threaded) {
            fail(w, ErrorClass::PoolExhausted, QStringLiteral("connection pool exhausted"), false);
            return false;
        }
        if (p->cfg->kind == PoolKind::PsycopgPool && p->cfg->maxWaiting > 0 &&
            liveWaiters(p) >= p->cfg->maxWaiting) {
            fail(w, ErrorClass::PoolExhausted,
                 QStringLiteral("the pool has already %1 requests waiting").arg(p->cfg->maxWaiting), false);
            return false;
        }
        enqueue(p, w);
        return false;
    }

    void enqueue(Pool *p, Worker *w)
    {
        w->wait = Worker::Wait::Pool;
        ++w->token;
        p->waiters.push_back({w, w->token});
        if (p->pooled)
            addTimer(now + p->cfg->timeoutMs / 1000.0, Timer::Kind::PoolWaitTimeout, w, w->token);
    }

    void connected(Conn *c)
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

    void connectFailed(Conn *c, const QString &message)
    {
        Pool *p = c->pool;
        Worker *w = c->user;
        const ErrorClass cls = classifyError({}, message, true, true);
        closeConn(c);
        if (w) {
            w->wait = Worker::Wait::None;
            fail(w, cls, message, false);
            return;
        }
        // The pool's own connect (at start, or growing): counted, and retried with its backoff.
        local.addError(cls, message);
        p->growing = false;
        scheduleRetry(p);
    }

    void scheduleRetry(Pool *p)
    {
        if (p->retryArmed)
            return;
        ++p->retryAttempt;
        if (p->retryAttempt > p->initRetry->attempts + 1)
            return; // gave up, like psycopg_pool after reconnect_timeout
        p->retryArmed = true;
        const int ms = p->initRetry->delayMs(p->retryAttempt, uniform());
        addTimer(now + ms / 1000.0, Timer::Kind::PoolRetry, p, ++p->retryToken);
    }

    /// Opens what the pool should have: its minimum (psycopg2 minconn, psycopg_pool min_size), and for
    /// psycopg_pool one more while requests wait.
    void topUp(Pool *p)
    {
        if (p->retryArmed)
            return;
        while (p->open < p->minOpen) {
            ErrorClass cls;
            QString error;
            if (!openConn(p, nullptr, &cls, &error)) {
                local.addError(cls, error);
                scheduleRetry(p);
                return;
            }
        }
        if (p->cfg->kind == PoolKind::PsycopgPool && liveWaiters(p) > 0)
            grow(p);
    }

    void grow(Pool *p)
    {
        if (p->growing || p->retryArmed || p->open >= p->capacity)
            return;
        ErrorClass cls;
        QString error;
        if (!openConn(p, nullptr, &cls, &error)) {
            local.addError(cls, error);
            scheduleRetry(p);
            return;
        }
        p->growing = true;
    }

    void makeIdle(Pool *p, Conn *c)
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
            closeConn(c); // QueuePool overflow, psycopg2 above minconn: closed on return
    }

    /// A slot came free without a connection to hand over: serve a waiter with a new one.
    void slotFreed(Pool *p)
    {
        if (p->cfg->kind == PoolKind::PsycopgPool || !p->pooled) {
            topUp(p);
            if (!p->pooled && !p->waiters.empty() && p->open < p->capacity) {
                if (Worker *w = popWaiter(p)) {
                    ++w->token;
                    resume(w); // its checkout opens the connection
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
            if (!openConn(p, w, &cls, &error)) {
                w->wait = Worker::Wait::None;
                fail(w, cls, error, false);
                return;
            }
            w->wait = Worker::Wait::Conn;
        }
    }

    /// Closes a connection that does not go back to its pool (broken, pre-ping failed, disconnect step); the
    /// slot it frees may serve a waiter.
    void discard(Conn *c)
    {
        Pool *p = c->pool;
        closeConn(c);
        slotFreed(p);
    }

    void release(Worker *w)
    {
        Conn *c = w->conn;
        w->conn = nullptr;
        c->checkedOut = false;
        --c->pool->checkedOut;
        c->user = nullptr;
        if (c->broken || PQstatus(c->pg) == CONNECTION_BAD) {
            discard(c);
            return;
        }
        if (c->pool->cfg->reset == ResetOnReturn::Rollback && PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
            if (!send(c, "ROLLBACK", Conn::Op::Reset))
                discard(c);
            return;
        }
        makeIdle(c->pool, c);
    }

    void pingDone(Conn *c, bool ok)
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
            resume(w);
    }

    // ---- workers

    void beginRequest(Worker *w)
    {
        w->iterStart = now;
        w->thinkS = 0;
        w->step = 0;
        w->attempt = 0;
        w->sentQuery = false;
        w->wake = Worker::Wake::Continue;
        run(w);
    }

    /// Time to a worker's next request at its share of the workload's rate (exponential: Poisson arrivals).
    double arrivalGap(Worker *w)
    {
        const int active = std::max(1, w->workload->workersAt(now) * w->process->app->processes);
        return -std::log(1.0 - uniform()) * active / w->workload->rate;
    }

    void sleep(Worker *w, double seconds, Worker::Wake wake)
    {
        w->wait = Worker::Wait::Timer;
        w->wake = wake;
        addTimer(now + seconds, Timer::Kind::WorkerWake, w, ++w->token);
    }

    void run(Worker *w)
    {
        const QList<Step> &steps = w->workload->steps;
        while (true) {
            if (w->step >= steps.size()) {
                endRequest(w, true);
                return;
            }
            const Step &s = steps.at(w->step);
            if (s.chance < 1.0 && uniform() >= s.chance) {
                ++w->step;
                continue;
            }
            switch (s.kind) {
            case StepKind::Checkout:
                if (!w->conn && !checkout(w))
                    return;
                ++w->step;
                continue;
            case StepKind::Return:
                if (w->conn)
                    release(w);
                ++w->step;
                continue;
            case StepKind::Query:
                if (!w->conn && !checkout(w))
                    return;
                sendQuery(w, s.sql);
                return;
            case StepKind::Think: {
                const int jitter = s.jitterMs > 0 ? int(std::lround((uniform() * 2 - 1) * s.jitterMs)) : 0;
                const double seconds = std::max(0, s.ms + jitter) / 1000.0;
                w->thinkS += seconds;
                ++w->step;
                sleep(w, seconds, Worker::Wake::Continue);
                return;
            }
            case StepKind::Leak:
                if (w->conn)
                    leak(w);
                ++w->step;
                continue;
            case StepKind::Disconnect:
                if (w->conn) {
                    Conn *c = w->conn;
                    w->conn = nullptr;
                    discard(c);
                }
                ++w->step;
                continue;
            case StepKind::RequireIdle:
                if (w->conn && !w->conn->broken && PQtransactionStatus(w->conn->pg) != PQTRANS_IDLE) {
                    fail(w, ErrorClass::InTransaction,
                         QStringLiteral("can't change 'autocommit' now: connection in transaction status %1")
                             .arg(PQtransactionStatus(w->conn->pg) == PQTRANS_INERROR
                                      ? QStringLiteral("INERROR")
                                      : QStringLiteral("INTRANS")),
                         false);
                    return;
                }
                ++w->step;
                continue;
            }
        }
    }

    void sendQuery(Worker *w, const QByteArray &sql)
    {
        Conn *c = w->conn;
        if (c->broken) {
            const QString message = c->deathMessage.isEmpty()
                                        ? QStringLiteral("server closed the connection unexpectedly")
                                        : c->deathMessage;
            fail(w, classifyError({}, message, false, true), message, true);
            return;
        }
        c->user = w;
        w->sentQuery = true;
        if (!send(c, sql, Conn::Op::Query)) {
            const bool lost = PQstatus(c->pg) == CONNECTION_BAD;
            const QString message = db::cleanMessage(PQerrorMessage(c->pg));
            if (lost)
                markBroken(c, message);
            fail(w, classifyError({}, lost ? c->deathMessage : message, false, lost), message, lost);
            return;
        }
        w->wait = Worker::Wait::Conn;
    }

    void queryDone(Worker *w, Conn *c, bool ok, bool lost)
    {
        w->wait = Worker::Wait::None;
        if (!ok) {
            QString message = lost ? c->deathMessage : c->errMessage;
            if (message.isEmpty())
                message = QStringLiteral("query failed");
            fail(w, classifyError(c->errState, message, false, lost), message, lost);
            return;
        }
        ++w->step;
        run(w);
    }

    void leak(Worker *w)
    {
        Conn *c = w->conn;
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

    void fail(Worker *w, ErrorClass cls, const QString &message, bool lost)
    {
        local.addError(cls, message);
        if (w->conn) {
            if (lost || w->conn->broken) {
                Conn *c = w->conn;
                w->conn = nullptr;
                c->checkedOut = false;
                --c->pool->checkedOut;
                discard(c);
            } else {
                release(w); // a failed request still gives its connection back (the pool may reset it)
            }
        }
        const RetryPolicy &retry = w->workload->retry;
        if (w->attempt < retry.attempts && w->active && !e->stopFlag.load(std::memory_order_relaxed)) {
            ++w->attempt;
            ++local.retries;
            sleep(w, retry.delayMs(w->attempt, uniform()) / 1000.0, Worker::Wake::Retry);
            return;
        }
        endRequest(w, false);
    }

    void endRequest(Worker *w, bool ok)
    {
        if (ok) {
            ++local.transactions;
            local.latency.record(std::int64_t((now - w->iterStart - w->thinkS) * 1e6));
        } else {
            ++local.failed;
        }
        if (w->conn)
            release(w);
        w->attempt = 0;
        if (!w->active) {
            w->wait = Worker::Wait::Parked;
            return;
        }
        double at = ok ? now : now + w->workload->errorPauseMs / 1000.0;
        if (w->workload->rate > 0) {
            // Poisson arrivals on a schedule (a slow request delays the next, as pgbench -R's lag); a worker
            // far behind it does not burst to catch up.
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
            // workers; it saves a pass of the loop per transaction, as pgbench sends the next command at
            // once.
            beginRequest(w);
            return;
        }
        w->wake = Worker::Wake::Begin;
        runnable.push_back(w);
    }
};

} // namespace

struct Engine::Private : Core
{
    EngineOptions options;
    std::vector<db::ConnSpec> appSpecs;
    std::vector<db::ConnSpec::Arrays> appArrays;
    std::vector<std::unique_ptr<Shard>> shards;
    bool started = false;
};

Engine::Engine(EngineOptions options) : d(std::make_unique<Private>())
{
    d->options = std::move(options);
}

Engine::~Engine()
{
    stop();
}

bool Engine::start(QString *error)
{
    if (d->started) {
        *error = QStringLiteral("already started");
        return false;
    }
    const Scenario &sc = d->options.scenario;
    if (!validate(sc, error))
        return false;
    const db::ConnSpec base = db::parseConnInfo(d->options.conninfo);
    if (!base.isValid()) {
        *error = base.parseError;
        return false;
    }

    // One descriptor per connection: raise the soft limit as far as the hard one allows, and keep the cap
    // below it (epoll, the log file and Qt need a few).
    struct rlimit rl;
    int cap = std::max(1, d->options.limits.maxConnections);
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        const rlim_t want = rlim_t(cap) + 256;
        if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
            rl.rlim_cur = (rl.rlim_max == RLIM_INFINITY) ? want : std::min(want, rl.rlim_max);
            ::setrlimit(RLIMIT_NOFILE, &rl);
            ::getrlimit(RLIMIT_NOFILE, &rl);
        }
        if (rl.rlim_cur != RLIM_INFINITY)
            cap = int(std::min<rlim_t>(rlim_t(cap), rl.rlim_cur > 256 ? rl.rlim_cur - 256 : 1));
    }
    d->cap = cap;
    // libpq's own rule: connect_timeout in seconds, values under 2 mean 2, 0 or none means wait forever (we
    // keep a bound).
    if (const int ct = base.value("connect_timeout").toInt(); ct > 0)
        d->connectTimeoutS = std::max(2, ct);

    d->appSpecs.clear();
    for (const AppConfig &app : sc.apps) {
        db::ConnSpec spec = base;
        spec.set("application_name", app.applicationName());
        d->appSpecs.push_back(spec);
    }
    d->appArrays.clear();
    for (const db::ConnSpec &spec : d->appSpecs)
        d->appArrays.push_back(spec.arrays());

    int threads = d->options.threads;
    if (threads <= 0)
        threads = std::clamp(QThread::idealThreadCount(), 1, 4);
    std::mt19937_64 seeder(d->options.seed ? d->options.seed : std::random_device{}());
    for (int i = 0; i < threads; ++i) {
        auto s = std::make_unique<Shard>();
        s->e = d.get();
        s->index = i;
        s->rng.seed(seeder());
        s->ep = epoll_create1(EPOLL_CLOEXEC);
        s->wakeFd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (s->ep < 0 || s->wakeFd < 0) {
            *error = QStringLiteral("cannot create an event loop: %1")
                         .arg(QString::fromLocal8Bit(std::strerror(errno)));
            return false;
        }
        d->shards.push_back(std::move(s));
    }

    // Place the processes: a pooled one whole on the least loaded thread; a pool-less one's workers spread.
    std::vector<qint64> load(size_t(threads), 0);
    std::uniform_real_distribution<double> spread(0.0, 1.0);
    for (size_t ai = 0; ai < size_t(sc.apps.size()); ++ai) {
        const AppConfig &app = sc.apps.at(qsizetype(ai));
        const bool pooled = app.pool.kind != PoolKind::None;
        qint64 workersPerProcess = 0;
        for (const Workload &w : sc.workloads)
            workersPerProcess += w.app == app.name ? w.workers : 0;
        for (int p = 0; p < app.processes; ++p) {
            const double startAt = app.startSpreadMs > 0 ? spread(seeder) * app.startSpreadMs / 1000.0 : 0;
            auto newPool = [&](Shard &s, const PoolConfig *cfg) {
                auto pool = std::make_unique<Pool>();
                pool->cfg = cfg;
                pool->arrays = &d->appArrays[ai];
                pool->initRetry = &app.initRetry;
                pool->pooled = cfg->kind != PoolKind::None;
                pool->capacity = cfg->capacity();
                pool->keepIdle = cfg->keepIdle();
                pool->minOpen = cfg->openAtStart();
                Pool *raw = pool.get();
                s.pools.push_back(std::move(pool));
                return raw;
            };
            if (pooled) {
                const size_t target = size_t(std::min_element(load.begin(), load.end()) - load.begin());
                load[target] += std::max<qint64>(1, workersPerProcess);
                Shard &s = *d->shards[target];
                auto proc = std::make_unique<Process>();
                proc->app = &app;
                proc->startAt = startAt;
                proc->pool = newPool(s, &app.pool);
                for (const Workload &wl : sc.workloads) {
                    if (wl.app != app.name)
                        continue;
                    for (int i = 0; i < wl.workers; ++i) {
                        auto w = std::make_unique<Worker>();
                        w->process = proc.get();
                        w->pool = proc->pool;
                        w->workload = &wl;
                        w->index = i;
                        proc->workers.push_back(w.get());
                        s.workers.push_back(std::move(w));
                    }
                }
                s.processes.push_back(std::move(proc));
                continue;
            }
            std::vector<Process *> perShard(size_t(threads), nullptr);
            for (int t = 0; t < threads; ++t) {
                auto proc = std::make_unique<Process>();
                proc->app = &app;
                proc->startAt = startAt;
                perShard[size_t(t)] = proc.get();
                d->shards[size_t(t)]->processes.push_back(std::move(proc));
            }
            int next = 0;
            for (const Workload &wl : sc.workloads) {
                if (wl.app != app.name)
                    continue;
                for (int i = 0; i < wl.workers; ++i) {
                    const size_t t = size_t(next++ % threads);
                    Shard &s = *d->shards[t];
                    auto w = std::make_unique<Worker>();
                    w->process = perShard[t];
                    w->pool = newPool(s, &app.pool);
                    w->workload = &wl;
                    w->index = i;
                    perShard[t]->workers.push_back(w.get());
                    s.workers.push_back(std::move(w));
                    ++load[t];
                }
            }
        }
    }

    d->t0 = Clock::now();
    d->deadlineS = std::min(sc.durationS, d->options.limits.maxDurationS);
    d->started = true;
    for (auto &s : d->shards) {
        Shard *raw = s.get();
        s->thread = std::thread([raw] { raw->loop(); });
    }
    logging::get("load")->info("load: {} workers of \"{}\" on {} threads for {} s, connection cap {}",
                               sc.totalWorkers(), sc.name.toStdString(), threads, d->deadlineS, d->cap);
    return true;
}

void Engine::requestStop()
{
    d->stopFlag = true;
    for (auto &s : d->shards) {
        const uint64_t one = 1;
        [[maybe_unused]] auto r = ::write(s->wakeFd, &one, sizeof one);
    }
}

void Engine::stop()
{
    requestStop();
    for (auto &s : d->shards) {
        if (s->thread.joinable())
            s->thread.join();
    }
}

bool Engine::isFinished() const
{
    if (!d->started)
        return false;
    return std::all_of(d->shards.begin(), d->shards.end(), [](const auto &s) { return s->done.load(); });
}

double Engine::elapsedS() const
{
    return d->started ? std::min(d->nowS(), d->deadlineS) : 0;
}

Counters Engine::takeCounters()
{
    Counters out;
    for (auto &s : d->shards) {
        std::lock_guard lock(s->publishMutex);
        out.merge(s->published);
        s->published.clear();
    }
    return out;
}

int Engine::openConnections() const
{
    return d->established.load();
}

int Engine::maxOpenConnections() const
{
    return d->maxEstablished.load();
}

int Engine::activeWorkers() const
{
    if (!d->started || isFinished())
        return 0;
    const double t = d->nowS();
    const Scenario &sc = d->options.scenario;
    qint64 n = 0;
    for (const Workload &w : sc.workloads) {
        const AppConfig *app = sc.app(w.app);
        n += qint64(w.workersAt(t)) * (app ? app->processes : 1);
    }
    return int(std::min<qint64>(n, INT_MAX));
}

int Engine::connectionCap() const
{
    return d->cap;
}

} // namespace poolscope::load
