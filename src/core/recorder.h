#pragma once

#include "snapshot.h"
#include "timeseries.h"

namespace poolscope {

/// Series names written by recordSnapshot(); charts read them back.
namespace series {
QString sessionState(SessionState state); // "sessions/<state name>"
inline QString usableLimit()
{
    return QStringLiteral("sessions/usable_limit");
}
inline QString tps()
{
    return QStringLiteral("tps");
}
QString pool(const QString &poolKey, const QString &metric); // "pool/<db>/<user>/<metric>"
/// Pool metrics recorded per pool, in chart order; "pool_size" and "maxwait_s" are recorded too.
const QStringList &poolMetrics();
} // namespace series

/// Appends one sample to the target's series (time key = sampledAtMs / 1000). A failed sample appends a gap
/// to every series already known, so charts break the line instead of drawing across missing data.
void recordSnapshot(SeriesSet &set, const TargetSnapshot &snapshot);

/// Pool keys ("db/user") for which series exist, in a stable order.
QStringList recordedPools(const SeriesSet &set);

} // namespace poolscope
