#pragma once

#include "db/conninfo.h"
#include "load/scenario.h"

#include <QString>
#include <QStringList>
#include <optional>

namespace poolscope::db {
class AsyncConnection;
class Interrupt;
} // namespace poolscope::db

namespace poolscope::load {

/// What a load target is, as far as a scenario's requirements (Scenario::needs) care.
struct TargetFacts
{
    QString serverKind;                // "postgres" or "pgbouncer"
    std::optional<int> maxConnections; // PostgreSQL, when the load goes to it directly
    std::optional<int> reserved;       // superuser_reserved_connections (+ reserved_connections, 16+)
    std::optional<int> inUse;          // client backends already connected
    std::optional<QString> poolMode;   // PgBouncer: pool_mode of the target's database
    QString poolModeUnknown;           // why poolMode could not be read
};

/// The scenario's requirements against its target, one sentence each.
struct RequirementCheck
{
    QStringList wontHappen; // not met: what will not happen there (a run is refused unless forced)
    QStringList unchecked;  // could not be checked (a warning; the run goes ahead)
};
RequirementCheck checkRequirements(const Scenario &scenario, const TargetFacts &facts);

/// Blocking (the load run's preflight task): reads the facts the scenario's requirements need on the setup
/// connection `conn` (max_connections, reserved slots, client backends) and on a PgBouncer console: the first
/// of `consoles` on the same host and port as `target`, else `target` itself with dbname=pgbouncer. PgBouncer
/// passes PostgreSQL's server_version to its clients, so `serverKind` (the setup connection's guess) becomes
/// "pgbouncer" when such a console answers or refuses the login as PgBouncer does ("not allowed"); its
/// pool_mode comes from there too. Each statement and connect is bounded by `timeoutMs` and `interrupt`.
TargetFacts readTargetFacts(const Scenario &scenario, db::AsyncConnection &conn, const QString &serverKind,
                            const db::ConnSpec &target, const QStringList &consoles,
                            const db::Interrupt *interrupt, int timeoutMs);

} // namespace poolscope::load
