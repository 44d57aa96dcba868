#pragma once

#include <QFutureWatcher>
#include <QObject>
#include <QPromise>
#include <QThreadPool>
#include <functional>
#include <memory>
#include <type_traits>

namespace poolscope {

/// Concurrency idiom 2 of 2 (README, "Threads"): one-shot work off the calling thread, on a pool, whose
/// result comes back to a QObject on that object's thread. Nobody ever waits for a task: closing a dialog or
/// a window destroys the context object and with it the delivery; the task finishes on its own and its result
/// is dropped. So a task owns what it uses (copies, shared_ptr), never `this` of the object that started it.
///
/// Used for a connection test, a pooler console command, a terminate preview or run (dialogs and
/// auto-remediation), the load run's preflight, and fire-and-forget cancel requests (post()).
///
/// The pools are PoolScope's own, not QThreadPool::globalInstance(): Qt waits for the global pool, without
/// a bound, when the application object is destroyed. Ours are waited for only by drain(), with a bound, at
/// the end of main(); tasks still running then (a cancel to a server that never answers) end with the
/// process.
///
/// The other idiom is OwnedThread (a long-lived thread one object owns).
class TaskPool
{
public:
    /// Runs `task()` on the pool, then `done(result)` (or `done()` for a void task) on `context`'s thread,
    /// unless `context` is gone by then. Call it on `context`'s thread. Never blocks.
    template <typename Task, typename Done> static void run(QObject *context, Task task, Done done);
    /// Fire and forget, on a pool of its own so that tasks which may block without end (PQcancel to a stopped
    /// server) never hold up run()'s tasks.
    static void post(std::function<void()> task);
    /// End of main(): waits at most `boundMs` for run()'s tasks in flight (a terminate finishing its audit
    /// line); post()'s tasks are never waited for. True when none is left.
    static bool drain(int boundMs);
    /// Tasks started and not yet finished, both pools (for tests).
    static int activeTasks();

private:
    static QThreadPool *resultPool();
    static QThreadPool *postPool();
};

template <typename Task, typename Done> void TaskPool::run(QObject *context, Task task, Done done)
{
    using Result = std::invoke_result_t<Task &>;
    auto promise = std::make_shared<QPromise<Result>>();
    auto *watcher = new QFutureWatcher<Result>(context);
    QObject::connect(watcher, &QFutureWatcherBase::finished, context,
                     [watcher, done = std::move(done)]() mutable {
                         watcher->deleteLater();
                         if constexpr (std::is_void_v<Result>)
                             done();
                         else
                             done(watcher->result());
                     });
    watcher->setFuture(promise->future());
    promise->start();
    // std::function wants a copyable callable: the task is shared, not copied.
    auto shared = std::make_shared<Task>(std::move(task));
    resultPool()->start([promise, shared] {
        if constexpr (std::is_void_v<Result>)
            (*shared)();
        else
            promise->addResult((*shared)());
        promise->finish();
    });
}

} // namespace poolscope
