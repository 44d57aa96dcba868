#include "engine.h"

#include "core/logging.h"
#include "load/shard.h"

#include <QDeadlineTimer>
#include <QThread>
#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <random>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>
#include <vector>

namespace poolscope::load {

struct Engine::Private : RunState
{
    EngineOptions options;
    std::vector<db::ConnSpec> appSpecs;
    std::vector<db::ConnSpec::Arrays> appArrays;
    std::vector<std::unique_ptr<Shard>> shards;
    bool started = false;
};

Engine::Engine(EngineOptions options) : d(std::make_shared<Private>())
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
        s->run = d.get();
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
        s->thread.emplace(QStringLiteral("load shard %1").arg(s->index), [state = d, raw] { raw->loop(); });
        s->thread->start();
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
    // One bound for all threads: they stop in parallel (each cancels, then closes its connections).
    const QDeadlineTimer deadline(kStopBoundMs);
    for (auto &s : d->shards) {
        if (s->thread)
            s->thread->retire(int(std::max<qint64>(0, deadline.remainingTime())));
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
