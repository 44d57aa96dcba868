#include "historystore.h"

#include <cmath>
#include <limits>

namespace poolscope {

namespace history {

std::size_t capacityBytes(int rawCapacity)
{
    std::size_t bytes = std::size_t(rawCapacity) * 2 * sizeof(double);
    for (const LevelSpec &level : DefaultRollups)
        bytes += std::size_t(level.capacity) * sizeof(Bucket);
    return bytes;
}

} // namespace history

void RollupLevel::add(double t, double v)
{
    const auto slot = qint32(std::floor(t / m_width));
    if (m_buckets.isEmpty() || slot > m_buckets.back().slot) {
        Bucket b;
        b.slot = slot;
        b.mean = std::numeric_limits<float>::quiet_NaN();
        m_buckets.push(b);
        m_count = 0;
        m_sum = 0;
    }
    // Times never go back, so a sample always belongs to the newest bucket.
    Bucket &b = m_buckets.back();
    if (std::isnan(v))
        return;
    const float f = float(v);
    if (m_count == 0) {
        b.min = f;
        b.max = f;
    } else {
        b.min = std::min(b.min, f);
        b.max = std::max(b.max, f);
    }
    m_sum += v;
    ++m_count;
    b.mean = float(m_sum / m_count);
}

} // namespace poolscope
