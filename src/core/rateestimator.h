#pragma once

#include <QString>
#include <QtGlobal>
#include <deque>
#include <optional>

// Rates from cumulative counters that a server publishes late and in lumps. Pure: readings in, estimates out.
namespace poolscope {

/// How a source publishes a cumulative counter: it decides how long a window must be for a rate to be true.
enum class CounterPublication
{
    // Counted as the events happen (PgBouncer's SHOW STATS totals): a window of a second is exact.
    Exact,
    // PostgreSQL 12-14, the statistics collector: a backend sends its counts at most every 500 ms
    // (PGSTAT_STAT_INTERVAL) when a transaction ends, and readers get a stats file up to 500 ms old.
    StatsCollector,
    // PostgreSQL 15+, shared-memory statistics: a backend flushes its counts when it goes idle, at most once
    // a second (PGSTAT_MIN_INTERVAL); one that went idle within that second flushes 10 s later
    // (PGSTAT_IDLE_INTERVAL); under lock contention up to 60 s (PGSTAT_MAX_INTERVAL). A session whose
    // transactions touch no table (SELECT 1) has nothing else pending and keeps its counts until it does,
    // or disconnects: measured on 15.18, 950 transactions of 4 pgbench clients published at disconnect.
    SharedMemory,
};

/// What an estimate is.
enum class RateStatus
{
    Filling,     // not enough history yet: the first samples, after a counter reset or a long gap
    Ok,          // perSecond is the average over windowS
    Unpublished, // sessions visibly finished transactions the counter does not show yet: unknown, not 0
};
/// "filling", "ok", "unpublished" (JSON values).
QString rateStatusName(RateStatus status);

/// One reading of a counter.
struct CounterReading
{
    double t = 0;      // seconds on the source's clock (PostgreSQL: clock_timestamp() of the read)
    quint64 value = 0; // the cumulative counter, e.g. xact_commit + xact_rollback
    quint64 part = 0;  // a part of `value` rated over the same window (rollbacks); 0 when unused
    quint64 own = 0;   // cumulative events of PoolScope's own that `value` includes by now: subtracted
    // The counter's origin: a change means it restarted (server restart, pg_stat_reset) even when it did not
    // go backwards (a reset of a quiet database while others grew).
    std::optional<double> restartedAt;
    std::optional<double> resetAt;
    // Sessions seen to finish at least one event since the previous reading (a session that turned idle
    // since then finished a transaction): a lower bound of what `value` must grow by. 0 when unknown.
    int finished = 0;
};

struct RateEstimate
{
    RateStatus status = RateStatus::Filling;
    std::optional<double> perSecond;     // (value - own) per second over windowS; unknown unless Ok
    std::optional<double> partPerSecond; // part per second over the same window
    double windowS = 0;                  // the span averaged over; 0 while unknown
    // The window the source needs now (the publication lag seen, over the error allowed): windowS once
    // enough history is there.
    double targetWindowS = 0;
};

/// Turns successive readings of a cumulative counter into a rate that is true for its source.
///
/// A counter published late is wrong over any window shorter than its lag: counts done inside the window
/// show up after it. Over a window W the error is at most (lag x rate) / W, so the window is the publication
/// lag divided by the error allowed (10 %), never shorter than the source's minimum (PostgreSQL 15+: 10 s,
/// PGSTAT_IDLE_INTERVAL) and never longer than its maximum (60 s, PGSTAT_MAX_INTERVAL). The lag is the
/// longest stretch seen in which sessions visibly finished transactions (CounterReading::finished) while the
/// counter stood still; without that evidence, the source's nominal lag (1 s).
///
/// The estimate is never a rate the source cannot back:
///  - no rate until the history spans the window (Filling): a short window of a lumpy counter reads 0
///    between lumps;
///  - no rate when the counter grew less over the window than sessions visibly finished, or has not grown
///    for longer than twice the nominal lag since sessions finished (Unpublished): PostgreSQL 15+ holds back
///    the counts of sessions that touch no table until they disconnect, and a burst's for 10 s;
///  - a counter that goes backwards or whose origin changed (restart, stats reset) restarts the history, as
///    does a gap longer than the maximum window. Shorter gaps (missed samples) are averaged over.
/// PoolScope's own events (CounterReading::own) are subtracted, so its polls make no sawtooth.
class RateEstimator
{
public:
    struct Options
    {
        CounterPublication publication = CounterPublication::Exact;
        double minWindowS = 1;  // never averages over less
        double maxWindowS = 60; // nor over more; older history is dropped
        double nominalLagS = 0; // the source's publication lag without evidence of a longer one
        double maxError = 0.1;  // relative error allowed: window = lag / maxError
    };
    /// PostgreSQL's pg_stat_database for this server_version_num (0: unknown, taken as 15+).
    static Options forPostgres(int serverVersionNum);
    /// A counter updated as events happen, averaged over `windowS`.
    static Options exact(double windowS = 1.0);

    RateEstimator();
    explicit RateEstimator(Options options) : m_options(options) {}

    RateEstimate update(const CounterReading &reading);
    void reset();
    const Options &options() const { return m_options; }
    void setOptions(const Options &options);
    const RateEstimate &last() const { return m_last; }

private:
    struct Point
    {
        double t;
        qint64 net; // value - own
        quint64 value;
        quint64 part;
        int finished;
    };
    struct Lag
    {
        double longestS = 0; // the longest stretch in the history of finished sessions without growth
        double pendingS = 0; // the one still going on: sessions finished, the counter has not grown since
    };
    Lag observedLag() const;

    Options m_options;
    std::deque<Point> m_points; // oldest first, within maxWindowS of the newest (plus one before)
    std::optional<double> m_restartedAt;
    std::optional<double> m_resetAt;
    RateEstimate m_last;
};

} // namespace poolscope
