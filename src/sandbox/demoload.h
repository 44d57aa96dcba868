#pragma once

#include <QString>
#include <QStringList>
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace poolscope::db {

/// A gentle, bounded background load for the demo so its charts move: a handful of connections (direct and
/// through PgBouncer) running short transactions, now and then holding one open idle in transaction for a
/// few seconds. Not the load generator (src/load): no pools, no metrics, loopback demo sandboxes only.
/// stop() returns within about a second and closes every connection.
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
    quint64 transactions() const { return m_transactions.load(); }

private:
    void run(int index);

    Options m_options;
    std::atomic<bool> m_stop{false};
    std::atomic<quint64> m_transactions{0};
    std::vector<std::thread> m_threads;
};

} // namespace poolscope::db
