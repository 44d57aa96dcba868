#include "metrics.h"

#include "db/pg.h"

#include <QJsonArray>
#include <algorithm>
#include <cmath>

namespace poolscope::load {

namespace {

constexpr double BucketsPerE = 50.0; // e^(1/50): buckets 2 % wide

struct ClassName
{
    const char *key;
    const char *label;
};
constexpr ClassName kClasses[ErrorClassCount] = {
    {"pool_exhausted", "app pool exhausted"},
    {"pool_timeout", "app pool timeout"},
    {"intrans", "returned in transaction"},
    {"too_many_clients", "too many clients (53300)"},
    {"query_wait_timeout", "pooler query_wait_timeout"},
    {"server_closed", "server closed the connection"},
    {"auth", "authentication"},
    {"connect", "connect failed"},
    {"query", "SQL error"},
    {"other", "other"},
};

double round3(double v)
{
    return std::round(v * 1000.0) / 1000.0;
}

} // namespace

QString errorClassName(ErrorClass c)
{
    return QLatin1String(kClasses[int(c)].key);
}

QString errorClassLabel(ErrorClass c)
{
    return QLatin1String(kClasses[int(c)].label);
}

ErrorClass classifyError(const QString &sqlState, const QString &message, bool connecting,
                         bool connectionLost)
{
    auto has = [&message](const char *needle) {
        return message.contains(QLatin1String(needle), Qt::CaseInsensitive);
    };
    if (sqlState == QLatin1String("53300") || has("too many clients") ||
        has("remaining connection slots are reserved") || has("no more connections allowed") ||
        has("too many connections for"))
        return ErrorClass::TooManyClients;
    if (has("query_wait_timeout"))
        return ErrorClass::QueryWaitTimeout;
    const db::ConnectFailure failure = db::classifyConnectMessage(message);
    if (sqlState.startsWith(QLatin1String("28")) || failure == db::ConnectFailure::AuthFailed ||
        failure == db::ConnectFailure::PasswordRequired)
        return ErrorClass::Auth;
    if (connecting)
        return ErrorClass::Connect;
    static const char *const lostStates[] = {"57P01", "57P02", "57P03", "57P05",
                                             "25P03", "25P04", "08006", "08003"};
    const bool lostState = std::any_of(std::begin(lostStates), std::end(lostStates),
                                       [&](const char *s) { return sqlState == QLatin1String(s); });
    if (connectionLost || lostState || has("server closed the connection") || has("terminating connection") ||
        has("server conn crashed") || has("no connection to the server") ||
        has("connection to server was lost") || has("client_idle_timeout") || has("idle transaction timeout"))
        return ErrorClass::ServerClosed;
    if (!sqlState.isEmpty())
        return ErrorClass::Query;
    return ErrorClass::Other;
}

void Histogram::record(std::int64_t us)
{
    if (us < 0)
        us = 0;
    int index = 0;
    if (us > 0)
        index = std::min(BucketCount - 1, 1 + int(std::log(double(us)) * BucketsPerE));
    ++m_buckets[size_t(index)];
    ++m_count;
    m_sumUs += us;
    m_maxUs = std::max(m_maxUs, us);
}

void Histogram::merge(const Histogram &other)
{
    if (other.m_count == 0)
        return;
    for (size_t i = 0; i < m_buckets.size(); ++i)
        m_buckets[i] += other.m_buckets[i];
    m_count += other.m_count;
    m_sumUs += other.m_sumUs;
    m_maxUs = std::max(m_maxUs, other.m_maxUs);
}

void Histogram::clear()
{
    if (m_count == 0)
        return;
    m_buckets.fill(0);
    m_count = 0;
    m_sumUs = 0;
    m_maxUs = 0;
}

double Histogram::percentileMs(double p) const
{
    if (m_count == 0)
        return 0;
    const double rank = std::clamp(p, 0.0, 100.0) / 100.0 * double(m_count);
    const std::uint64_t wanted = std::max<std::uint64_t>(1, std::uint64_t(std::ceil(rank)));
    std::uint64_t seen = 0;
    for (size_t i = 0; i < m_buckets.size(); ++i) {
        seen += m_buckets[i];
        if (seen >= wanted) {
            if (i == 0)
                return 0;
            // The bucket's geometric middle, never above the largest value seen.
            const double us = std::exp((double(i - 1) + 0.5) / BucketsPerE);
            return std::min(us, double(m_maxUs)) / 1000.0;
        }
    }
    return maxMs();
}

void Counters::addError(ErrorClass c, const QString &message)
{
    ++errors[size_t(c)];
    if (examples[size_t(c)].isEmpty())
        examples[size_t(c)] = message;
}

void Counters::merge(const Counters &o)
{
    transactions += o.transactions;
    failed += o.failed;
    retries += o.retries;
    connects += o.connects;
    for (size_t i = 0; i < errors.size(); ++i) {
        errors[i] += o.errors[i];
        if (examples[i].isEmpty())
            examples[i] = o.examples[i];
    }
    latency.merge(o.latency);
    poolWait.merge(o.poolWait);
}

void Counters::clear()
{
    transactions = failed = retries = connects = 0;
    errors.fill(0);
    for (QString &e : examples)
        e.clear();
    latency.clear();
    poolWait.clear();
}

std::uint64_t Counters::errorTotal() const
{
    std::uint64_t n = 0;
    for (const auto e : errors)
        n += e;
    return n;
}

Percentiles percentiles(const Histogram &h)
{
    return {h.percentileMs(50), h.percentileMs(95), h.percentileMs(99), h.maxMs()};
}

QJsonObject toJson(const LoadSummary &s)
{
    const Percentiles lat = percentiles(s.totals.latency);
    const Percentiles wait = percentiles(s.totals.poolWait);
    QJsonObject errors;
    QJsonObject examples;
    for (int i = 0; i < ErrorClassCount; ++i) {
        errors.insert(errorClassName(ErrorClass(i)), double(s.totals.errors[size_t(i)]));
        if (!s.totals.examples[size_t(i)].isEmpty())
            examples.insert(errorClassName(ErrorClass(i)), s.totals.examples[size_t(i)]);
    }
    return {
        {QStringLiteral("scenario"), s.scenario},
        {QStringLiteral("target"), s.target},
        {QStringLiteral("clients"), s.clients},
        {QStringLiteral("duration_s"), round3(s.durationS)},
        {QStringLiteral("stopped_early"), s.stoppedEarly},
        {QStringLiteral("tps"), round3(s.tps())},
        {QStringLiteral("transactions"), double(s.totals.transactions)},
        {QStringLiteral("failed"), double(s.totals.failed)},
        {QStringLiteral("retries"), double(s.totals.retries)},
        {QStringLiteral("latency_ms"), QJsonObject{{QStringLiteral("p50"), round3(lat.p50)},
                                                   {QStringLiteral("p95"), round3(lat.p95)},
                                                   {QStringLiteral("p99"), round3(lat.p99)},
                                                   {QStringLiteral("max"), round3(lat.max)}}},
        {QStringLiteral("pool_wait_ms"),
         QJsonObject{{QStringLiteral("p50"), round3(wait.p50)}, {QStringLiteral("p99"), round3(wait.p99)}}},
        {QStringLiteral("errors"), errors},
        {QStringLiteral("error_examples"), examples},
        {QStringLiteral("connections_max"), s.connectionsMax},
        {QStringLiteral("connections_opened"), double(s.totals.connects)},
    };
}

} // namespace poolscope::load
