#pragma once

#include "historystore.h"

#include <QString>
#include <QVector>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <vector>

namespace poolscope {

/// The history of one value: a ring of raw (time, value) samples plus rollups of 10 s and 1 min buckets
/// (min, max, mean and a count each), all bounded; see history::RawCapacity and history::DefaultRollups in
/// historystore.h for the capacities and the memory they cost. Times are seconds (any epoch) and must be
/// appended in non-decreasing order. A NaN value marks a gap: charts must not draw across it, and a bucket
/// that saw only gaps is a gap.
///
/// The index-based accessors (size, timeAt, valueAt, lowerBound, valueNear, copyRange, lastValue) read the
/// raw ring. sample() picks the finest resolution that covers a span in a bounded number of points, for
/// charts of hours and days. Not thread-safe: owned by the GUI thread.
class TimeSeries
{
public:
    /// `capacity` is the raw ring's; the rollups keep their default capacities unless given.
    explicit TimeSeries(int capacity = history::RawCapacity);
    TimeSeries(int capacity, const std::vector<history::LevelSpec> &rollups);

    void append(double t, double v);
    void appendGap(double t) { append(t, std::numeric_limits<double>::quiet_NaN()); }
    void clear();

    int size() const { return m_times.size(); }
    int capacity() const { return m_times.capacity(); }
    bool isEmpty() const { return m_times.isEmpty(); }
    // i = 0 is the oldest point still held.
    double timeAt(int i) const { return m_times.at(i); }
    double valueAt(int i) const { return m_wide ? m_wideValues.at(i) : double(m_values.at(i)); }
    std::optional<double> lastValue() const;
    /// Index of the first point with time >= t (size() when none).
    int lowerBound(double t) const;
    /// Value of the point nearest to t, if it is no further away than maxDistance.
    std::optional<double> valueNear(double t, double maxDistance) const;

    /// Copies points with time in [from, to] into keys/values (gaps included as NaN).
    void copyRange(double from, double to, QVector<double> &keys, QVector<double> &values) const;

    // Resolutions: level 0 is the raw ring, levels 1.. the rollups from fine to coarse.
    int levelCount() const { return 1 + int(m_rollups.size()); }
    /// Seconds per bucket of `level`; 0 for the raw ring.
    double resolution(int level) const;
    /// Points (samples or buckets) `level` holds; raw: size().
    int levelSize(int level) const;
    /// The finest level that holds [from, to] (from its start, give or take one sample or bucket) in at most
    /// maxPoints points; the coarsest level when none does.
    int levelFor(double from, double to, int maxPoints) const;
    /// Samples or buckets of `level` that overlap [from, to].
    HistoryPoints points(int level, double from, double to) const;
    /// points(levelFor(from, to, maxPoints), from, to).
    HistoryPoints sample(double from, double to, int maxPoints) const;
    /// The sample nearest to t (level 0) or the bucket that contains t (rollups), as a one-point
    /// HistoryPoints; empty when nothing is within maxDistance.
    HistoryPoints pointNear(int level, double t, double maxDistance) const;

    /// Bytes held by the rings now (they grow up to their capacities).
    std::size_t memoryBytes() const;

private:
    bool levelCovers(int level, double from) const;
    int countIn(int level, double from, double to) const;
    int upperBound(double t) const; // first raw point with time > t

    // The raw ring, as parallel rings. Values are floats until one is not exactly a float (see
    // historystore.h).
    Ring<double> m_times;
    Ring<float> m_values;
    Ring<double> m_wideValues;
    bool m_wide = false;
    std::vector<RollupLevel> m_rollups;
};

/// Named series of one target, e.g. "state/active", "tps", "pool/app/app/cl_waiting".
class SeriesSet
{
public:
    explicit SeriesSet(int capacity = history::RawCapacity) : m_capacity(capacity) {}
    TimeSeries &operator[](const QString &name);
    const TimeSeries *find(const QString &name) const;
    /// Drops a series and its history (nothing when there is none).
    void remove(const QString &name) { m_series.erase(name); }
    QStringList names() const;
    /// The names that start with `prefix`, without it (a range of the sorted names, not a scan of all).
    QStringList namesAfter(const QString &prefix) const;
    /// f(name without `prefix`, series) for every series whose name starts with `prefix`, in name order.
    template <typename F> void forEachAfter(const QString &prefix, F f)
    {
        for (auto it = m_series.lower_bound(prefix); it != m_series.end() && it->first.startsWith(prefix);
             ++it)
            f(QStringView(it->first).mid(prefix.size()), it->second);
    }
    int size() const { return int(m_series.size()); }
    /// Bytes held by every series' rings now.
    std::size_t memoryBytes() const;
    double lastTime() const { return m_lastTime; }
    double firstTime() const { return m_firstTime; } // 0 until the first sample
    void noteTime(double t)
    {
        if (m_firstTime == 0)
            m_firstTime = t;
        m_lastTime = std::max(m_lastTime, t);
    }

private:
    int m_capacity;
    std::map<QString, TimeSeries> m_series;
    double m_firstTime = 0;
    double m_lastTime = 0;
};

/// Turns a monotonically increasing counter into a rate. A counter that goes backwards (server restart,
/// stats reset) restarts the rate instead of producing a negative spike. With a window, the rate is taken
/// over the oldest point still inside it, which smooths counters that are published in lumps (PostgreSQL 15
/// backends flush their transaction counts at most once a second, idle ones up to 10 s late).
class RateCalculator
{
public:
    explicit RateCalculator(double windowS = 0) : m_windowS(windowS) {}
    std::optional<double> update(double t, quint64 counter);
    void reset() { m_points.clear(); }

private:
    struct Point
    {
        double t;
        quint64 counter;
    };
    double m_windowS;
    QVector<Point> m_points; // oldest first; at most the window's worth plus one
};

} // namespace poolscope
