#pragma once

#include "bouncersample.h"

#include <QString>
#include <QStringList>

namespace poolscope {

/// The actions PoolScope offers on a PgBouncer console. Never PAUSE, SUSPEND, WAIT_CLOSE, SHUTDOWN or
/// DISABLE: they block the console or take the pooler down.
enum class PoolerCommand
{
    Reconnect,  // RECONNECT db: servers close when next released (graceful)
    KillClient, // KILL_CLIENT id (PgBouncer 1.24+): one client and its server
    Kill,       // KILL db, always followed by RESUME db: drops every client and server of the database
    Resume,     // RESUME db: after a PAUSE/KILL left the database paused
};
/// "reconnect", "kill-client", "kill", "resume" (CLI words and audit action names "pooler.<word>").
QString poolerCommandName(PoolerCommand command);
std::optional<PoolerCommand> poolerCommandFromName(const QString &name);

/// Whether an action can run against this console now, and if not, why (shown greyed with the reason).
struct ActionAvailability
{
    bool enabled = false;
    QString reason; // empty when enabled
};

/// Checks what the console knows: admin access (StatsOnly -> disabled "needs an admin_users login"), the
/// version (KILL_CLIENT needs 1.24+), the flavor (PgBouncer only), that the database or client id exists
/// in the sample, and for Resume that the database is paused (or the pause state is unknown).
ActionAvailability poolerActionAvailability(const BouncerSample &sample, PoolerCommand command,
                                            const QString &argument);

/// What the action will drop, in words, for the confirmation: "KILL app: drops 12 clients and 10 server
/// connections of database app (pools app/app, app/report), then RESUME app." Counts come from the sample.
QString poolerActionPreview(const BouncerSample &sample, PoolerCommand command, const QString &argument);

/// The console statements, in order: {"RECONNECT app"}, {"KILL app", "RESUME app"}, {"KILL_CLIENT 17"}.
/// The argument is validated (database names: letters, digits, _ - . ; client ids: digits) and quoted the
/// way the console parser accepts; an invalid argument gives an empty list and *error.
QStringList poolerStatements(PoolerCommand command, const QString &argument, QString *error);

} // namespace poolscope
