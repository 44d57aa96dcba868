#pragma once

#include "core/pooleractions.h"
#include "core/targetsnapshot.h"

#include <QString>
#include <QStringList>

namespace poolscope::db {

struct PoolerActionResult
{
    bool ok = false;
    QStringList executed; // statements the console accepted, in order
    DbError error;        // the first failure (a KILL whose RESUME failed is a failure: the db stays paused)
    QString message;      // one line for people: "KILL app and RESUME app done", the console's error
    // Nothing was sent: read-only mode, an invalid argument, or the console says the action is unavailable
    // (stats user, version, unknown database, not paused); `message` says why ("refused: ...").
    bool refused = false;
};

/// Runs a pooler action on its own short-lived console connection (never the sampler's), simple protocol
/// only, bounded by `timeoutMs` per statement (cancelled past it). KILL is always followed by RESUME, even
/// when KILL failed half way. Refuses a command the sample says is unavailable (read it first with
/// inspectConsole()). Writes one audit record ("pooler.<command>") with target, argument, statements and
/// outcome. Blocking: call it off the GUI thread.
PoolerActionResult runPoolerAction(const QString &conninfo, PoolerCommand command, const QString &argument,
                                   int timeoutMs = 5000);

/// One short sample of a console for the CLI and the availability check: SHOW VERSION, DATABASES, POOLS,
/// CONFIG, STATE (+ CLIENTS for kill-client). Blocking.
TargetSnapshot inspectConsole(const QString &conninfo, bool withClients, int timeoutMs = 5000);

} // namespace poolscope::db
