#pragma once

#include <QJsonObject>
#include <QMetaType>
#include <QString>
#include <array>
#include <cstdint>

namespace poolscope::load {

/// What a simulated client saw go wrong, in the classes an on-call engineer tells apart.
enum class ErrorClass
{
    PoolExhausted,    // the app's pool refused at once: psycopg2 "connection pool exhausted", TooManyRequests
    PoolTimeout,      // the app's pool had no connection within its timeout (QueuePool, psycopg_pool)
    InTransaction,    // a connection came back from the pool inside a transaction (psycopg INTRANS)
    TooManyClients,   // 53300 "sorry, too many clients already", reserved slots, PgBouncer max_client_conn
    QueryWaitTimeout, // PgBouncer query_wait_timeout: queued at the pooler too long
    ServerClosed,     // the server or pooler closed the connection (terminated, timeouts, crash, network)
    Auth,             // password or role rejected
    Connect,          // any other failure to connect: refused, timeout, pooler login failing
    Query,            // an SQL error: lock timeout, deadlock, statement timeout, syntax...
    Other,            // PoolScope's own connection cap, out of memory
};
inline constexpr int ErrorClassCount = int(ErrorClass::Other) + 1;

/// "pool_exhausted", "pool_timeout", "intrans", "too_many_clients", "query_wait_timeout", "server_closed",
/// "auth", "connect", "query", "other": the keys of the JSON summary.
QString errorClassName(ErrorClass c);
/// For legends: "app pool exhausted", "too many clients (53300)"...
QString errorClassLabel(ErrorClass c);

/// Classifies a libpq or server error. `connecting`: the error ended a connection attempt; `connectionLost`:
/// the connection is unusable afterwards (PQstatus is CONNECTION_BAD).
ErrorClass classifyError(const QString &sqlState, const QString &message, bool connecting,
                         bool connectionLost);

/// Durations in microseconds, in log-spaced buckets 2 % wide (so percentiles are within about 1 % of the
/// truth) from 1 µs to over a day; the maximum is kept exactly. Fixed size, no allocation after
/// construction: record() is cheap enough for every transaction.
class Histogram
{
public:
    void record(std::int64_t us);
    void merge(const Histogram &other);
    void clear();
    std::uint64_t count() const { return m_count; }
    /// p in [0, 100]; 0 when empty. Never above max().
    double percentileMs(double p) const;
    double maxMs() const { return double(m_maxUs) / 1000.0; }
    /// The exact mean (a running sum); 0 when empty.
    double meanMs() const { return m_count ? double(m_sumUs) / double(m_count) / 1000.0 : 0; }

    static constexpr int BucketCount = 1300;

private:
    std::array<std::uint64_t, BucketCount> m_buckets{};
    std::uint64_t m_count = 0;
    std::int64_t m_sumUs = 0;
    std::int64_t m_maxUs = 0;
};

/// What happened over a stretch of a run; the engine's threads each keep one and merge it into a shared one.
struct Counters
{
    std::uint64_t transactions = 0; // requests where every step succeeded
    std::uint64_t failed = 0;       // requests that failed after their retries
    std::uint64_t retries = 0;
    std::uint64_t connects = 0; // connections established
    std::array<std::uint64_t, ErrorClassCount> errors{};
    std::array<QString, ErrorClassCount> examples; // the first message of each class
    Histogram latency;  // request time without think steps: pool wait + connect + queries
    Histogram poolWait; // checkouts from an app pool (pool "none" excluded), connecting time included

    void addError(ErrorClass c, const QString &message);
    void merge(const Counters &other);
    void clear();
    std::uint64_t errorTotal() const;
};

struct Percentiles
{
    double p50 = 0, p95 = 0, p99 = 0, max = 0; // milliseconds
};
Percentiles percentiles(const Histogram &h);

/// One second of a run, for the live charts and the CLI's progress line.
struct LoadSample
{
    qint64 timeMs = 0; // wall clock at the end of the interval
    double elapsedS = 0;
    double durationS = 0;
    double tps = 0;                 // transactions per second over the interval
    std::uint64_t transactions = 0; // since the start
    std::uint64_t failed = 0;
    Percentiles latency; // over the interval (zeros when nothing completed)
    Percentiles poolWait;
    bool hasLatency = false; // something completed in the interval
    bool hasPoolWait = false;
    int connectionsOpen = 0;
    int connectionsMax = 0;
    int workersActive = 0;
    std::array<double, ErrorClassCount> errorsPerSecond{};
    std::array<std::uint64_t, ErrorClassCount> errorsTotal{};
};

/// The whole run: what `poolscope load --json` prints.
struct LoadSummary
{
    QString scenario;
    QString target; // user@host:port/db
    int clients = 0;
    double durationS = 0; // as run
    bool stoppedEarly = false;
    Counters totals;
    int connectionsMax = 0;
    double tps() const { return durationS > 0 ? double(totals.transactions) / durationS : 0; }
};

/// {"tps":X,"transactions":N,"latency_ms":{"p50","p95","p99","max"},"pool_wait_ms":{"p50","p99"},
///  "errors":{"<class>":N},"connections_max":N, ...}; every error class is present, zero or not.
QJsonObject toJson(const LoadSummary &summary);

} // namespace poolscope::load

Q_DECLARE_METATYPE(poolscope::load::LoadSample)
Q_DECLARE_METATYPE(poolscope::load::LoadSummary)
