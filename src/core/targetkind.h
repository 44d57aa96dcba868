#pragma once

#include <QString>

namespace poolscope {

/// What a target is: detected from the server, or configured.
enum class TargetKind
{
    Unknown,
    Postgres,
    PgBouncer, // a PgBouncer-shaped console: PgBouncer, PgCat, Odyssey (BouncerSample::flavor)
    Pgpool,    // a Pgpool-II listener: PostgreSQL sampled through it, plus its SHOW POOL_* commands
};
QString targetKindName(TargetKind kind); // "postgres", "pgbouncer", "pgpool", "unknown"

} // namespace poolscope
