#pragma once

#include <QString>
#include <QStringList>
#include <atomic>
#include <memory>
#include <vector>

namespace poolscope {
class OwnedThread;
}

namespace poolscope::sandbox {

/// A gentle, bounded background load for the demo so its charts move: a handful of connections (direct and
/// through PgBouncer) running short transactions, now and then holding one open idle in transaction for a
/// few seconds. Not the load generator (src/load): no pools, no metrics, loopback demo sandboxes only.
///
/// Threads: one OwnedThread per worker (README, "Threads"), each on a db::AsyncConnection that a shared
/// db::Interrupt cuts short: stop() returns at once even when a server hangs, and closes every connection.
class DemoLoad
{
public:
    struct Options
    {
        QStringList conninfos; // each worker uses conninfos[i % size]
        int workers = 6;
        int maxDurationS = 3600; // hard stop even if nobody calls stop()
    };
    explicit DemoLoad(Options options);
    ~DemoLoad(); // stop()
    void start();
    void stop();
    bool isRunning() const { return !m_threads.empty(); }
    quint64 transactions() const;

private:
    struct Shared; // what the workers use: theirs as much as ours
    Options m_options;
    std::shared_ptr<Shared> m_shared;
    std::vector<std::unique_ptr<OwnedThread>> m_threads;
};

} // namespace poolscope::sandbox
