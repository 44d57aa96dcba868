#include "timeseries.h"

#include <QStringList>
#include <algorithm>

namespace poolscope {

TimeSeries::TimeSeries(int capacity) : m_t(std::max(capacity, 2)), m_v(std::max(capacity, 2)) {}

void TimeSeries::append(double t, double v)
{
    const int cap = int(m_t.size());
    if (m_size < cap) {
        const int at = physical(m_size);
        m_t[at] = t;
        m_v[at] = v;
        ++m_size;
    } else {
        m_t[m_head] = t;
        m_v[m_head] = v;
        m_head = (m_head + 1) % cap;
    }
}

void TimeSeries::clear()
{
    m_head = 0;
    m_size = 0;
}

std::optional<double> TimeSeries::lastValue() const
{
    if (m_size == 0)
        return std::nullopt;
    const double v = valueAt(m_size - 1);
    return std::isnan(v) ? std::nullopt : std::optional<double>(v);
}

int TimeSeries::lowerBound(double t) const
{
    int lo = 0, hi = m_size;
    while (lo < hi) {
        const int mid = (lo + hi) / 2;
        if (timeAt(mid) < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

std::optional<double> TimeSeries::valueNear(double t, double maxDistance) const
{
    if (m_size == 0)
        return std::nullopt;
    const int i = lowerBound(t);
    int best = -1;
    double bestDist = maxDistance;
    for (int j : {i - 1, i}) {
        if (j < 0 || j >= m_size)
            continue;
        const double d = std::abs(timeAt(j) - t);
        if (d <= bestDist) {
            best = j;
            bestDist = d;
        }
    }
    if (best < 0 || std::isnan(valueAt(best)))
        return std::nullopt;
    return valueAt(best);
}

void TimeSeries::copyRange(double from, double to, QVector<double> &keys, QVector<double> &values) const
{
    keys.clear();
    values.clear();
    for (int i = lowerBound(from); i < m_size; ++i) {
        const double t = timeAt(i);
        if (t > to)
            break;
        keys.append(t);
        values.append(valueAt(i));
    }
}

TimeSeries &SeriesSet::operator[](const QString &name)
{
    auto it = m_series.find(name);
    if (it == m_series.end())
        it = m_series.emplace(name, TimeSeries(m_capacity)).first;
    return it->second;
}

const TimeSeries *SeriesSet::find(const QString &name) const
{
    const auto it = m_series.find(name);
    return it == m_series.end() ? nullptr : &it->second;
}

QStringList SeriesSet::names() const
{
    QStringList out;
    for (const auto &[name, _] : m_series)
        out.append(name);
    return out;
}

std::optional<double> RateCalculator::update(double t, quint64 counter)
{
    if (!m_points.isEmpty() && (t <= m_points.last().t || counter < m_points.last().counter)) {
        if (counter < m_points.last().counter)
            m_points.clear(); // reset or restart: start over rather than report a negative rate
        else
            return std::nullopt; // same timestamp: no new information
    }
    m_points.append(Point{t, counter});
    // Keep exactly one point at or beyond the window's start as the base of the rate.
    while (m_points.size() > 2 && m_points.at(1).t <= t - m_windowS)
        m_points.removeFirst();
    if (m_points.size() < 2)
        return std::nullopt;
    const Point &base = m_points.first();
    return double(counter - base.counter) / (t - base.t);
}

} // namespace poolscope
