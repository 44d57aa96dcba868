#pragma once

#include "targetsnapshot.h"

#include <QString>
#include <optional>

namespace poolscope {

/// A target reduced to the few figures the fleet overview compares across targets. Pure: computed from one
/// successful sample.
struct FleetFigures
{
    /// Percent. PostgreSQL: client backends (PoolScope's included) / usable connections. PgBouncer: the
    /// fullest pool's open server connections / pool_size.
    std::optional<double> occupancy;
    /// PostgreSQL: connections non-superusers can still open. PgBouncer: free slots of the fullest pool.
    std::optional<qint64> headroom;
    /// PostgreSQL: sessions waiting on a lock. PgBouncer: clients queued for a server, all pools.
    std::optional<qint64> waiting;
    /// PostgreSQL: sessions idle in transaction, aborted ones included.
    std::optional<qint64> idleInTransaction;
    /// What needs attention, worst first, "; "-separated; empty when nothing does.
    QString attention;
};

FleetFigures fleetFigures(const TargetSnapshot &snapshot);

/// "12.3 s", "3 min 5 s", "1.5 h": ages as every page and the fleet overview show them.
QString ageText(double seconds);

} // namespace poolscope
