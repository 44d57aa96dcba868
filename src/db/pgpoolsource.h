#pragma once

#include "core/dberror.h"
#include "core/targetsnapshot.h"

#include <QString>
#include <optional>

namespace poolscope::db {

class SampleQueries;

/// Pgpool-II's own part of a sample (after PostgreSQL's, sampled through it like a direct server): SHOW
/// POOL_NODES, POOL_PROCESSES and POOL_POOLS, its settings once per connection, and which child serves
/// PoolScope itself. Simple protocol: Pgpool-II intercepts SHOW POOL_* only there.
class PgpoolSource
{
public:
    /// After connecting to something that is not PgBouncer: SHOW POOL_VERSION, answered by Pgpool-II and
    /// refused by PostgreSQL (42704, the expected "no"). False only when the connection itself failed.
    bool probe(SampleQueries &queries, const QString &target, bool *isPgpool, DbError *error);
    /// Fills out.pgpool. False with `error` when a command failed.
    bool sample(SampleQueries &queries, TargetSnapshot &out, DbError *error);
    /// A new connection: its settings are read again.
    void reset() { m_state = State{}; }

private:
    // Decided once per connection; its settings read once.
    struct State
    {
        QString version;
        std::optional<qint64> numInitChildren;
        std::optional<qint64> maxPool;
        bool settingsRead = false;
    };
    State m_state;
};

} // namespace poolscope::db
