#pragma once

#include <QVector>
#include <QtGlobal>
#include <algorithm>
#include <array>
#include <cstddef>
#include <vector>

namespace poolscope {

/// The shape of the history each TimeSeries keeps: a ring of raw samples plus two rollup rings of fixed-width
/// buckets, each bounded. At the default 1 s interval the raw ring holds the 5 min and 1 h views, the 10 s
/// buckets 6 h and the 1 min buckets 24 h. A faster interval (0.1 s) shortens only the raw ring's span: the
/// charts then switch to the 10 s buckets sooner; the rollups always span 6 h and 24 h.
///
/// Memory, per series, once full (the rings grow up to their capacity, so young targets use less):
///   raw     3600 × 12 B (double time, float value)        =  43.2 kB
///           3600 × 16 B once a value is not exactly a float (rates, fractional seconds): 57.6 kB
///   10 s    2160 × 16 B (int slot, float min/max/mean)     =  34.6 kB
///   1 min   1440 × 16 B                                    =  23.0 kB
///   total   ≈ 101 kB for counts (most series), at most 115 kB (capacityBytes())
/// Values stay exact: a series stores floats only while every value it got is exactly a float (counts are),
/// and widens to doubles for good at the first value that is not. Rollups keep floats: they serve charts.
///
/// A PostgreSQL target records ~9 series plus its session groups (up to 11 per dimension; typically ~20 in
/// all), a PgBouncer target 1 + 9 per pool. tests/bench/bench_history_memory records 20 targets with 46
/// series each (PostgreSQL with groups and a two-pool PgBouncer apiece, more than a real fleet): 920 series,
/// ~95 MB of history, and measures the process RSS against the 200 MB budget for 20 targets × 24 h.
namespace history {

struct LevelSpec
{
    double widthS; // bucket width in seconds
    int capacity;  // buckets kept
};

inline constexpr int RawCapacity = 3600;                                               // 1 h at 1 s
inline constexpr std::array<LevelSpec, 2> DefaultRollups = {{{10, 2160}, {60, 1440}}}; // 6 h, 24 h

/// Bytes one series holds at most, once every ring is full and its values were widened to doubles (the bound
/// behind the memory budget above).
std::size_t capacityBytes(int rawCapacity = RawCapacity);

} // namespace history

/// A fixed-capacity ring that grows on demand up to its capacity, then overwrites its oldest element.
template <typename T> class Ring
{
public:
    explicit Ring(int capacity) : m_capacity(std::max(capacity, 2)) {}

    void push(const T &item)
    {
        if (int(m_items.size()) < m_capacity) {
            if (m_items.size() == m_items.capacity())
                m_items.reserve(size_t(std::min(m_capacity, std::max(64, int(m_items.size()) * 2))));
            m_items.push_back(item);
            return;
        }
        m_items[size_t(m_head)] = item;
        m_head = (m_head + 1) % m_capacity;
        m_evicted = true;
    }
    void clear()
    {
        m_items.clear();
        m_head = 0;
        m_evicted = false;
    }

    int size() const { return int(m_items.size()); }
    int capacity() const { return m_capacity; }
    bool isEmpty() const { return m_items.empty(); }
    /// true once the ring has overwritten anything: it no longer holds everything since the first push.
    bool hasEvicted() const { return m_evicted; }
    // i = 0 is the oldest element still held.
    const T &at(int i) const { return m_items[physical(i)]; }
    T &back() { return m_items[physical(size() - 1)]; }
    const T &back() const { return m_items[physical(size() - 1)]; }
    std::size_t memoryBytes() const { return m_items.capacity() * sizeof(T); }

    /// Index of the first element for which `before(element)` is false (size() when none); the ring must be
    /// partitioned by `before`, as sorted times are.
    template <typename Before> int partitionPoint(Before before) const
    {
        int lo = 0, hi = size();
        while (lo < hi) {
            const int mid = (lo + hi) / 2;
            if (before(at(mid)))
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }

private:
    size_t physical(int i) const { return size_t((m_head + i) % int(m_items.size())); }

    std::vector<T> m_items;
    int m_capacity;
    int m_head = 0; // physical index of the oldest element once full
    bool m_evicted = false;
};

/// One bucket of a rollup: the samples with time in [slot × width, (slot + 1) × width). Gaps are not counted:
/// a bucket whose samples were all gaps has a NaN mean and is itself a gap. Values are kept as float: the
/// rollups serve charts, and float halves their memory (counts stay exact up to 2^24).
struct Bucket
{
    qint32 slot = 0; // start / width: 32 bits reach the year 2650 for 10 s buckets
    float min = 0;
    float max = 0;
    float mean = 0;

    bool isGap() const { return mean != mean; } // NaN
};

/// A ring of fixed-width buckets, fed sample by sample in non-decreasing time order. Width: 10 s or more.
class RollupLevel
{
public:
    explicit RollupLevel(const history::LevelSpec &spec) : m_width(spec.widthS), m_buckets(spec.capacity) {}

    /// Adds a sample; NaN is a gap (creates the bucket, counts nothing).
    void add(double t, double v);
    void clear()
    {
        m_buckets.clear();
        m_count = 0;
        m_sum = 0;
    }

    double width() const { return m_width; }
    int size() const { return m_buckets.size(); }
    int capacity() const { return m_buckets.capacity(); }
    bool hasEvicted() const { return m_buckets.hasEvicted(); }
    const Bucket &at(int i) const { return m_buckets.at(i); }
    double startOf(const Bucket &b) const { return double(b.slot) * m_width; }
    /// Index of the first bucket that ends after t (size() when none).
    int firstEndingAfter(double t) const
    {
        return m_buckets.partitionPoint([&](const Bucket &b) { return startOf(b) + m_width <= t; });
    }
    /// Index of the first bucket that starts after t (size() when none).
    int firstStartingAfter(double t) const
    {
        return m_buckets.partitionPoint([&](const Bucket &b) { return startOf(b) <= t; });
    }
    std::size_t memoryBytes() const { return m_buckets.memoryBytes(); }

private:
    double m_width;
    Ring<Bucket> m_buckets;
    // The newest bucket's running count and sum (older buckets only need their mean).
    int m_count = 0;
    double m_sum = 0;
};

/// Points of one series over a time span at one resolution, as TimeSeries::sample() returns them.
/// Raw samples: min == max == mean == the value. Rollup buckets: the key is the bucket's middle (the newest,
/// still filling bucket's key is its newest sample's time, so the line never runs ahead of the data), and
/// min/max/mean summarise its samples; a bucket with only gaps is NaN in all three.
struct HistoryPoints
{
    double resolution = 0; // seconds per bucket; 0 for raw samples
    QVector<double> keys;
    QVector<double> min;
    QVector<double> max;
    QVector<double> mean;

    bool isRaw() const { return resolution == 0; }
    int size() const { return int(keys.size()); }
};

} // namespace poolscope
