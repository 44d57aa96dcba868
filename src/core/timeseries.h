#pragma once

#include <QString>
#include <QVector>
#include <cmath>
#include <limits>
#include <map>
#include <optional>

namespace poolscope {

/// Fixed-capacity ring of (time, value) points, oldest overwritten first. Times are seconds (any epoch)
/// and must be appended in non-decreasing order. A NaN value marks a gap: charts must not draw across it.
/// Not thread-safe: owned by the GUI thread.
class TimeSeries
{
public:
    explicit TimeSeries(int capacity = 3600);

    void append(double t, double v);
    void appendGap(double t) { append(t, std::numeric_limits<double>::quiet_NaN()); }
    void clear();

    int size() const { return m_size; }
    int capacity() const { return int(m_t.size()); }
    bool isEmpty() const { return m_size == 0; }
    // i = 0 is the oldest point still held.
    double timeAt(int i) const { return m_t[physical(i)]; }
    double valueAt(int i) const { return m_v[physical(i)]; }
    std::optional<double> lastValue() const;
    /// Index of the first point with time >= t (size() when none).
    int lowerBound(double t) const;
    /// Value of the point nearest to t, if it is no further away than maxDistance.
    std::optional<double> valueNear(double t, double maxDistance) const;

    /// Copies points with time in [from, to] into keys/values (gaps included as NaN).
    void copyRange(double from, double to, QVector<double> &keys, QVector<double> &values) const;

private:
    int physical(int i) const { return (m_head + i) % int(m_t.size()); }

    QVector<double> m_t;
    QVector<double> m_v;
    int m_head = 0; // physical index of the oldest point
    int m_size = 0;
};

/// Named series of one target, e.g. "state/active", "tps", "pool/app/app/cl_waiting".
class SeriesSet
{
public:
    explicit SeriesSet(int capacity = 3600) : m_capacity(capacity) {}
    TimeSeries &operator[](const QString &name);
    const TimeSeries *find(const QString &name) const;
    QStringList names() const;
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
