#pragma once

#include "targetsnapshot.h"
#include "timeseries.h"

namespace poolscope {

/// Series names written by recordSnapshot(); charts read them back.
namespace series {
QString sessionState(SessionState state); // "sessions/<state name>"
/// Sum of every state's sessions: its rollups keep the peak of the total, which the sessions chart draws over
/// the per-state means at long ranges (a spike of the total is not the sum of the states' peaks).
inline QString sessionsTotal()
{
    return QStringLiteral("sessions/total");
}
inline QString usableLimit()
{
    return QStringLiteral("sessions/usable_limit");
}
inline QString tps()
{
    return QStringLiteral("tps");
}
/// Transactions per second a linked pooler passed to this PostgreSQL target (poolerTrafficTo), recorded
/// into the PostgreSQL target's series at the pooler's sample times.
inline QString poolerTps()
{
    return QStringLiteral("tps/pooler");
}
inline QString rollbacksPerSecond()
{
    return QStringLiteral("rollbacks_per_s");
}
/// Sessions of one group: "group/<dimension>/<name>" (SessionGroup::name; "<insufficient privilege>" for
/// client addresses hidden by privileges). Recorded for every group among the GroupTopN largest of its
/// dimension at a sample, always, and kept at 0 while such a group has no sessions, so its line does not
/// vanish. At most MaxRecordedGroups per dimension: a group entering the top N when that many have series
/// takes the place of the recorded group outside the top N with the lowest peak over the last
/// EvictionLookbackS (its history goes). Each series costs up to ~144 kB of history (historystore.h): 4
/// dimensions x (10 + others) is ~6 MB per PostgreSQL target at worst; typically a third of that.
QString group(GroupDimension dimension, const QString &name);
/// Sessions outside the GroupTopN largest groups of a dimension at each sample: "group_others/<dimension>".
QString groupOthers(GroupDimension dimension);
inline constexpr int GroupTopN = 5;
inline constexpr int MaxRecordedGroups = 10;
inline constexpr double EvictionLookbackS = 300;             // the chart's default window (5 min)
QString pool(const QString &poolKey, const QString &metric); // "pool/<db>/<user>/<metric>"
/// Pool metrics recorded per pool, in chart order; "pool_size" and "maxwait_s" are recorded too.
const QStringList &poolMetrics();
/// Also recorded per pool for the PgBouncer page: "sv_cancel" (sv_active_cancel + sv_being_canceled),
/// "sv_total" (PoolStats::serverCount()), "pool_reserve_limit" (pool_size + reserve; a gap when pool_size is
/// unknown or 0 = unlimited).
/// A PgBouncer target's query_wait_timeout in seconds (SHOW CONFIG, 120 when a PgBouncer does not say).
inline QString queryWaitTimeout()
{
    return QStringLiteral("bouncer/query_wait_timeout");
}
} // namespace series

/// Appends one sample to the target's series (time key = sampledAtMs / 1000). A failed sample appends a gap
/// to every series already known, so charts break the line instead of drawing across missing data.
void recordSnapshot(SeriesSet &set, const TargetSnapshot &snapshot);

/// Pool keys ("db/user") for which series exist, in a stable order.
QStringList recordedPools(const SeriesSet &set);

/// Names of the groups of `dimension` for which series exist, in name order.
QStringList recordedGroups(const SeriesSet &set, GroupDimension dimension);

} // namespace poolscope
