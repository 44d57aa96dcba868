#include "timeseries.h"

#include <QStringList>
#include <algorithm>

namespace poolscope {

namespace {

constexpr double Nan = std::numeric_limits<double>::quiet_NaN();

std::vector<history::LevelSpec> defaultRollups()
{
    return {history::DefaultRollups.begin(), history::DefaultRollups.end()};
}

} // namespace

TimeSeries::TimeSeries(int capacity) : TimeSeries(capacity, defaultRollups()) {}

TimeSeries::TimeSeries(int capacity, const std::vector<history::LevelSpec> &rollups)
    : m_times(capacity), m_values(capacity), m_wideValues(capacity)
{
    m_rollups.reserve(rollups.size());
    for (const history::LevelSpec &spec : rollups)
        m_rollups.emplace_back(spec);
}

void TimeSeries::append(double t, double v)
{
    m_times.push(t);
    if (!m_wide && !std::isnan(v) && double(float(v)) != v) {
        // The first value a float cannot hold exactly (a rate, fractional seconds): doubles from now on.
        for (int i = 0; i < m_values.size(); ++i)
            m_wideValues.push(double(m_values.at(i)));
        m_values = Ring<float>(m_values.capacity());
        m_wide = true;
    }
    if (m_wide)
        m_wideValues.push(v);
    else
        m_values.push(float(v));
    for (RollupLevel &level : m_rollups)
        level.add(t, v);
}

void TimeSeries::clear()
{
    m_times.clear();
    m_values = Ring<float>(m_values.capacity());
    m_wideValues = Ring<double>(m_wideValues.capacity());
    m_wide = false;
    for (RollupLevel &level : m_rollups)
        level.clear();
}

std::optional<double> TimeSeries::lastValue() const
{
    if (isEmpty())
        return std::nullopt;
    const double v = valueAt(size() - 1);
    return std::isnan(v) ? std::nullopt : std::optional<double>(v);
}

int TimeSeries::lowerBound(double t) const
{
    return m_times.partitionPoint([t](double x) { return x < t; });
}

int TimeSeries::upperBound(double t) const
{
    return m_times.partitionPoint([t](double x) { return x <= t; });
}

std::optional<double> TimeSeries::valueNear(double t, double maxDistance) const
{
    if (isEmpty())
        return std::nullopt;
    const int i = lowerBound(t);
    int best = -1;
    double bestDist = maxDistance;
    for (int j : {i - 1, i}) {
        if (j < 0 || j >= size())
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
    const int last = upperBound(to);
    for (int i = lowerBound(from); i < last; ++i) {
        keys.append(timeAt(i));
        values.append(valueAt(i));
    }
}

double TimeSeries::resolution(int level) const
{
    return level <= 0 ? 0.0 : m_rollups[size_t(level - 1)].width();
}

int TimeSeries::levelSize(int level) const
{
    return level <= 0 ? size() : m_rollups[size_t(level - 1)].size();
}

bool TimeSeries::levelCovers(int level, double from) const
{
    if (level == 0) {
        // A full ring of exactly one hour starts one sample after "an hour ago": allow one sample spacing.
        if (!m_times.hasEvicted() || size() < 2)
            return true;
        return timeAt(0) <= from + (timeAt(1) - timeAt(0));
    }
    const RollupLevel &r = m_rollups[size_t(level - 1)];
    return !r.hasEvicted() || r.startOf(r.at(0)) <= from + r.width();
}

int TimeSeries::countIn(int level, double from, double to) const
{
    if (level == 0)
        return upperBound(to) - lowerBound(from);
    const RollupLevel &r = m_rollups[size_t(level - 1)];
    return r.firstStartingAfter(to) - r.firstEndingAfter(from);
}

int TimeSeries::levelFor(double from, double to, int maxPoints) const
{
    for (int level = 0; level < levelCount(); ++level) {
        if (levelCovers(level, from) && countIn(level, from, to) <= maxPoints)
            return level;
    }
    return levelCount() - 1;
}

HistoryPoints TimeSeries::points(int level, double from, double to) const
{
    HistoryPoints out;
    level = std::clamp(level, 0, levelCount() - 1);
    out.resolution = resolution(level);
    auto push = [&out](double key, double min, double max, double mean) {
        out.keys.append(key);
        out.min.append(min);
        out.max.append(max);
        out.mean.append(mean);
    };
    if (level == 0) {
        const int first = lowerBound(from);
        const int last = upperBound(to);
        out.keys.reserve(last - first);
        out.min.reserve(last - first);
        out.max.reserve(last - first);
        out.mean.reserve(last - first);
        for (int i = first; i < last; ++i) {
            const double v = valueAt(i);
            push(timeAt(i), v, v, v);
        }
        return out;
    }
    const RollupLevel &r = m_rollups[size_t(level - 1)];
    const int first = r.firstEndingAfter(from);
    const int last = r.firstStartingAfter(to);
    out.keys.reserve(last - first);
    out.min.reserve(last - first);
    out.max.reserve(last - first);
    out.mean.reserve(last - first);
    const double newest = isEmpty() ? Nan : m_times.back();
    for (int i = first; i < last; ++i) {
        const Bucket &b = r.at(i);
        const double start = r.startOf(b);
        // The newest bucket is still filling: its key is the newest sample, not a middle still to come.
        const double key = std::min(start + r.width() / 2, std::max(newest, start));
        if (b.isGap())
            push(key, Nan, Nan, Nan);
        else
            push(key, b.min, b.max, b.mean);
    }
    return out;
}

HistoryPoints TimeSeries::sample(double from, double to, int maxPoints) const
{
    return points(levelFor(from, to, maxPoints), from, to);
}

HistoryPoints TimeSeries::pointNear(int level, double t, double maxDistance) const
{
    level = std::clamp(level, 0, levelCount() - 1);
    if (level == 0) {
        HistoryPoints out;
        const int i = lowerBound(t);
        int best = -1;
        for (int j : {i - 1, i}) {
            if (j >= 0 && j < size() && std::abs(timeAt(j) - t) <= maxDistance &&
                (best < 0 || std::abs(timeAt(j) - t) < std::abs(timeAt(best) - t)))
                best = j;
        }
        if (best >= 0) {
            const double v = valueAt(best);
            out.keys = {timeAt(best)};
            out.min = out.max = out.mean = {v};
        }
        return out;
    }
    const double width = resolution(level);
    HistoryPoints around = points(level, t - width - maxDistance, t + width + maxDistance);
    HistoryPoints out;
    out.resolution = width;
    int best = -1;
    double bestDistance = 0;
    for (int i = 0; i < around.size(); ++i) {
        const double start = std::floor(around.keys[i] / width) * width;
        const double d = t >= start && t < start + width ? 0.0 : std::abs(around.keys[i] - t);
        if (d <= maxDistance && (best < 0 || d < bestDistance)) {
            best = i;
            bestDistance = d;
        }
    }
    if (best >= 0) {
        out.keys = {around.keys[best]};
        out.min = {around.min[best]};
        out.max = {around.max[best]};
        out.mean = {around.mean[best]};
    }
    return out;
}

std::size_t TimeSeries::memoryBytes() const
{
    std::size_t bytes = m_times.memoryBytes() + m_values.memoryBytes() + m_wideValues.memoryBytes();
    for (const RollupLevel &r : m_rollups)
        bytes += r.memoryBytes();
    return bytes;
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

std::size_t SeriesSet::memoryBytes() const
{
    std::size_t bytes = 0;
    for (const auto &[_, series] : m_series)
        bytes += series.memoryBytes();
    return bytes;
}

QStringList SeriesSet::names() const
{
    QStringList out;
    for (const auto &[name, _] : m_series)
        out.append(name);
    return out;
}

QStringList SeriesSet::namesAfter(const QString &prefix) const
{
    QStringList out;
    for (auto it = m_series.lower_bound(prefix); it != m_series.end() && it->first.startsWith(prefix); ++it)
        out.append(it->first.mid(prefix.size()));
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
