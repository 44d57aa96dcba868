#include "demoload.h"

#include "core/logging.h"
#include "db/pg.h"

#include <QRandomGenerator>
#include <chrono>

namespace poolscope::db {

DemoLoad::DemoLoad(Options options) : m_options(std::move(options)) {}

DemoLoad::~DemoLoad()
{
    stop();
}

void DemoLoad::start()
{
    if (!m_threads.empty() || m_options.conninfos.isEmpty())
        return;
    m_stop = false;
    for (int i = 0; i < m_options.workers; ++i)
        m_threads.emplace_back([this, i] { run(i); });
}

void DemoLoad::stop()
{
    m_stop = true;
    for (auto &t : m_threads) {
        if (t.joinable())
            t.join();
    }
    m_threads.clear();
}

void DemoLoad::run(int index)
{
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + std::chrono::seconds(m_options.maxDurationS);
    const ConnSpec spec = parseConnInfo(m_options.conninfos.at(index % m_options.conninfos.size()));
    ConnectOptions co;
    co.applicationName = "poolscope-demo-" + QByteArray::number(index);
    auto *rng = QRandomGenerator::global();
    auto sleepMs = [this](int ms) {
        // Sleep in slices so stop() is honoured quickly.
        for (int slept = 0; slept < ms && !m_stop; slept += 50)
            std::this_thread::sleep_for(std::chrono::milliseconds(std::min(50, ms - slept)));
    };
    PgConn conn;
    while (!m_stop && clock::now() < deadline) {
        if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
            DbError error;
            conn = connect(spec, co, &error);
            if (!conn) {
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
        if (roll < 8 && index % 3 == 0) {
            // Hold a transaction open for a few seconds: shows as "idle in transaction".
            exec(conn.get(), "BEGIN", &error);
            exec(conn.get(), "SELECT txid_current()", &error);
            sleepMs(2000 + int(rng->bounded(3000)));
            exec(conn.get(), "COMMIT", &error);
        } else {
            const int sleepQueryMs = 20 + int(rng->bounded(200));
            const QByteArray sql = "SELECT pg_sleep(" + QByteArray::number(sleepQueryMs / 1000.0) + ")";
            exec(conn.get(), sql, &error);
        }
        if (!error.isError())
            ++m_transactions;
        const int busy = phase < 0.5 ? 50 : 400; // think time: busier half of each minute
        sleepMs(busy + int(rng->bounded(300)));
    }
}

} // namespace poolscope::db
