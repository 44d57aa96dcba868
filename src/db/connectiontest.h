#pragma once

#include "core/dberror.h"
#include "core/targetkind.h"

#include <QString>
#include <QStringList>
#include <optional>

namespace poolscope::db {

/// What "Test connection" tells the user: the kind and version of what answered, the role's privileges that
/// matter to PoolScope, and what will not work without them.
struct ConnectionReport
{
    bool ok = false;
    DbError error;  // with a hint when the connection failed
    QString target; // user@host:port/db
    TargetKind kind = TargetKind::Unknown;
    QString serverVersion;
    // PostgreSQL
    std::optional<bool> superuser;
    std::optional<bool> readAllStats;  // pg_read_all_stats, directly or through pg_monitor
    std::optional<bool> signalBackend; // pg_signal_backend
    // PgBouncer console
    std::optional<bool> bouncerAdmin; // in admin_users (else a stats user)
    // Pgpool-II in front of PostgreSQL (kind Pgpool): SHOW POOL_VERSION
    QString pgpoolVersion;
    /// One line per limitation, e.g. "sessions of other roles are hidden: grant pg_monitor to monitor".
    QStringList missing;

    QString summary() const; // multi-line text for the dialog
};

/// Blocking (run it off the GUI thread): connects once, probes privileges, disconnects. Never uses the
/// extended protocol on a pooler console, never runs anything but SELECTs and SHOWs.
ConnectionReport testConnection(const QString &conninfo, int connectTimeoutS = 5);

} // namespace poolscope::db
