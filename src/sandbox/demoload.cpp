#include "demoload.h"

#include "core/logging.h"
#include "core/ownedthread.h"
#include "db/asyncconnection.h"

#include <QDeadlineTimer>
#include <QRandomGenerator>
#include <algorithm>
#include <chrono>
#include <poll.h>

namespace poolscope::sandbox {

namespace {

constexpr int kQueryDeadlineMs = 10000; // a demo query is short; a hung server is let go of
constexpr int kCancelGraceMs = 1000;

} // namespace

struct DemoLoad::Shared
{
    db::Interrupt interrupt;
    std::atomic<quint64> transactions{0};

    /// Sleeps, unless stop() comes first.
    void sleepMs(int ms) const
    {
        pollfd pfd{interrupt.fd(), POLLIN, 0};
        ::poll(&pfd, 1, ms);
    }
    void run(const QString &conninfo, int index, int maxDurationS);
};

DemoLoad::DemoLoad(Options options) : m_options(std::move(options)) {}

DemoLoad::~DemoLoad()
{
    stop();
}

quint64 DemoLoad::transactions() const
{
    return m_shared ? m_shared->transactions.load() : 0;
}

void DemoLoad::start()
{
    if (!m_threads.empty() || m_options.conninfos.isEmpty())
        return;
    m_shared = std::make_shared<Shared>(); // an Interrupt is sticky: a new one per start
    for (int i = 0; i < m_options.workers; ++i) {
        const QString conninfo = m_options.conninfos.at(i % m_options.conninfos.size());
        auto thread =
            std::make_unique<OwnedThread>(QStringLiteral("demo load %1").arg(i),
                                          [shared = m_shared, conninfo, i, max = m_options.maxDurationS] {
                                              shared->run(conninfo, i, max);
                                          });
        thread->start();
        m_threads.push_back(std::move(thread));
    }
}

void DemoLoad::stop()
{
    if (m_shared)
        m_shared->interrupt.trigger();
    // One bound for them all (they were all interrupted at once): pausing the demo's load for a drill runs on
    // the GUI thread.
    const QDeadlineTimer deadline(OwnedThread::kRetireMs);
    for (auto &t : m_threads)
        t->retire(int(std::max<qint64>(0, deadline.remainingTime())));
    m_threads.clear();
}

void DemoLoad::Shared::run(const QString &conninfo, int index, int maxDurationS)
{
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + std::chrono::seconds(maxDurationS);
    const db::ConnSpec spec = db::parseConnInfo(conninfo);
    db::ConnectOptions co;
    co.applicationName = "poolscope-demo-" + QByteArray::number(index);
    auto *rng = QRandomGenerator::global();
    db::AsyncConnection conn(&interrupt);
    auto exec = [&](const QByteArray &sql, DbError *error) {
        const bool ok = bool(conn.run(sql, nullptr, QDeadlineTimer(kQueryDeadlineMs), kCancelGraceMs, error));
        // A cancel still on its way would hit the next query: a fresh connection instead.
        if (conn.lastRun().cancelSent && !conn.settleCancel(kCancelGraceMs))
            conn.drop();
        return ok;
    };
    while (!interrupt.isTriggered() && clock::now() < deadline) {
        if (!conn.isConnected()) {
            DbError error;
            conn.drop();
            if (!conn.connect(spec, co, &error)) {
                logging::get("demo")->debug("demo worker {}: {}", index, error.message.toStdString());
                sleepMs(1000);
                continue;
            }
        }
        // A slow wave over a minute so the stacked chart changes shape, not just noise.
        const double phase =
            double(std::chrono::duration_cast<std::chrono::milliseconds>(clock::now().time_since_epoch())
                       .count() %
                   60000) /
            60000.0;
        const int roll = int(rng->bounded(100));
        DbError error;
        bool ok = true;
        if (roll < 8 && index % 3 == 0) {
            // Hold a transaction open for a few seconds: shows as "idle in transaction".
            ok = exec("BEGIN", &error) && exec("SELECT txid_current()", &error);
            sleepMs(2000 + int(rng->bounded(3000)));
            ok = exec("COMMIT", &error) && ok;
        } else {
            const int sleepQueryMs = 20 + int(rng->bounded(200));
            ok = exec("SELECT pg_sleep(" + QByteArray::number(sleepQueryMs / 1000.0) + ")", &error);
        }
        if (ok)
            transactions.fetch_add(1);
        const int busy = phase < 0.5 ? 50 : 400; // think time: busier half of each minute
        sleepMs(busy + int(rng->bounded(300)));
    }
    conn.drop();
}

} // namespace poolscope::sandbox
