#include "rateestimator.h"

#include <algorithm>

namespace poolscope {

namespace {

// Spans within this share of the window count as the window: sampling times jitter by a few milliseconds.
constexpr double kSpanTolerance = 0.95;

} // namespace

QString rateStatusName(RateStatus status)
{
    switch (status) {
    case RateStatus::Ok:
        return QStringLiteral("ok");
    case RateStatus::Unpublished:
        return QStringLiteral("unpublished");
    case RateStatus::Filling:
        break;
    }
    return QStringLiteral("filling");
}

RateEstimator::RateEstimator() : m_options(Options{}) {}

RateEstimator::Options RateEstimator::forPostgres(int serverVersionNum)
{
    Options o;
    if (serverVersionNum > 0 && serverVersionNum < 150000) {
        o.publication = CounterPublication::StatsCollector;
        o.minWindowS = 5;
        o.nominalLagS = 0.5; // PGSTAT_STAT_INTERVAL
    } else {
        o.publication = CounterPublication::SharedMemory;
        o.minWindowS = 10; // PGSTAT_IDLE_INTERVAL: an idle backend publishes within it
        o.nominalLagS = 1; // PGSTAT_MIN_INTERVAL: a busy one at most once a second
    }
    o.maxWindowS = 60; // PGSTAT_MAX_INTERVAL
    return o;
}

RateEstimator::Options RateEstimator::exact(double windowS)
{
    Options o;
    o.publication = CounterPublication::Exact;
    o.minWindowS = windowS;
    o.maxWindowS = std::max(60.0, windowS);
    o.nominalLagS = 0;
    return o;
}

void RateEstimator::reset()
{
    m_points.clear();
    m_restartedAt.reset();
    m_resetAt.reset();
    m_last = RateEstimate{};
}

void RateEstimator::setOptions(const Options &options)
{
    if (options.publication == m_options.publication && options.minWindowS == m_options.minWindowS &&
        options.maxWindowS == m_options.maxWindowS && options.nominalLagS == m_options.nominalLagS &&
        options.maxError == m_options.maxError)
        return;
    m_options = options;
    reset();
}

RateEstimator::Lag RateEstimator::observedLag() const
{
    Lag lag;
    std::optional<double> silentSince; // the first reading with finished sessions since the last growth
    for (size_t i = 1; i < m_points.size(); ++i) {
        const Point &p = m_points[i];
        if (p.finished > 0 && !silentSince)
            silentSince = p.t;
        // Growth, beyond the one own event that may or may not have been published yet at either reading.
        const Point &q = m_points[i - 1];
        const qint64 noise = (p.value - q.value) != quint64(p.net - q.net) ? 1 : 0;
        if (p.net > q.net + noise) {
            if (silentSince)
                lag.longestS = std::max(lag.longestS, p.t - *silentSince);
            silentSince.reset();
        }
    }
    if (silentSince) { // still waiting for the counts of sessions that finished
        lag.pendingS = m_points.back().t - *silentSince;
        lag.longestS = std::max(lag.longestS, lag.pendingS);
    }
    return lag;
}

RateEstimate RateEstimator::update(const CounterReading &r)
{
    const Options &o = m_options;
    const qint64 net = qint64(r.value) - qint64(r.own);
    if (!m_points.empty()) {
        const Point &prev = m_points.back();
        const bool restarted = r.restartedAt != m_restartedAt || r.resetAt != m_resetAt ||
                               r.value < prev.value || r.part < prev.part;
        if (restarted || r.t - prev.t > o.maxWindowS)
            m_points.clear(); // a new counter, or a gap longer than any window: start over
        else if (r.t <= prev.t)
            return m_last; // the same reading again: nothing new
    }
    m_restartedAt = r.restartedAt;
    m_resetAt = r.resetAt;
    // The first reading's `finished` is about the time before the history: not counted.
    m_points.push_back(Point{r.t, net, r.value, r.part, m_points.empty() ? 0 : r.finished});
    while (m_points.size() > 2 && m_points[1].t <= r.t - o.maxWindowS)
        m_points.pop_front();

    RateEstimate e;
    const bool exact = o.publication == CounterPublication::Exact;
    const Lag lag = exact ? Lag{} : observedLag();
    e.targetWindowS =
        std::clamp(std::max(o.nominalLagS, lag.longestS) / o.maxError, o.minWindowS, o.maxWindowS);
    m_last = e;
    if (m_points.size() < 2)
        return e; // Filling
    // Sessions finished transactions and the counter has not grown since, for longer than the source's
    // nominal lag (twice, for jitter): their counts are pending, and any rate would leave them out.
    if (!exact && lag.pendingS > 2 * o.nominalLagS) {
        e.status = RateStatus::Unpublished;
        m_last = e;
        return e;
    }
    const Point &now = m_points.back();
    // The base: the newest reading at least the window before now; else the oldest, when it is within the
    // sampling jitter of the window.
    size_t base = 0;
    bool full = false;
    for (size_t i = m_points.size() - 1; i-- > 0;) {
        if (now.t - m_points[i].t >= e.targetWindowS) {
            base = i;
            full = true;
            break;
        }
    }
    const double span = now.t - m_points[base].t;
    full = full || span >= e.targetWindowS * kSpanTolerance;
    if (span < o.minWindowS * kSpanTolerance)
        return e; // Filling
    int finished = 0;
    for (size_t i = base + 1; i < m_points.size(); ++i)
        finished += m_points[i].finished;
    const qint64 grown = now.net - m_points[base].net;
    // Own events are counted here before the server publishes them: one may still be missing.
    const qint64 ownSlack = (now.value - m_points[base].value) != quint64(grown) ? 1 : 0;
    if (!exact && grown + ownSlack < finished) {
        e.status = RateStatus::Unpublished; // sessions finished more than the counter shows: unknown
    } else if (full) {
        e.status = RateStatus::Ok;
        e.windowS = span;
        e.perSecond = double(std::max<qint64>(0, grown)) / span;
        e.partPerSecond = double(now.part - m_points[base].part) / span;
    }
    m_last = e;
    return e;
}

} // namespace poolscope
