#include "taskpool.h"

namespace poolscope {

namespace {

// Created on first use and never destroyed, deliberately: a destroyed QThreadPool waits for its tasks.
QThreadPool *makePool(int maxThreads)
{
    auto *pool = new QThreadPool;
    pool->setMaxThreadCount(maxThreads);
    pool->setExpiryTimeout(30000);
    return pool;
}

} // namespace

QThreadPool *TaskPool::resultPool()
{
    // Tasks wait on the network: more threads than cores.
    static QThreadPool *const pool = makePool(16);
    return pool;
}

QThreadPool *TaskPool::postPool()
{
    // At most one cancel per connection is outstanding (db::AsyncConnection), but a load run has thousands.
    static QThreadPool *const pool = makePool(64);
    return pool;
}

void TaskPool::post(std::function<void()> task)
{
    postPool()->start(std::move(task));
}

bool TaskPool::drain(int boundMs)
{
    return resultPool()->waitForDone(boundMs);
}

int TaskPool::activeTasks()
{
    return resultPool()->activeThreadCount() + postPool()->activeThreadCount();
}

} // namespace poolscope
