#pragma once

#include "exitcodes.h"

#include <QStringList>

namespace poolscope::cli {

/// Exit codes of `poolscope pooler`: the shared table (exitcodes.h).
enum PoolerExit
{
    PoolerOk = ExitOk,
    PoolerUsage = ExitUsage,        // bad command line
    PoolerError = ExitTargetFailed, // the console could not be reached or read
    PoolerRefused = ExitNo, // refused as a whole: read-only, unavailable (stats user, ...), no confirmation
    PoolerFailed = ExitPartial, // the console refused or failed a statement (a KILL whose RESUME failed)
};
/// `poolscope pooler TARGET reconnect|kill-client|kill|resume ARG [--yes] [--json] [--read-only]
/// [--timeout 5s]`; args exclude the word "pooler". Without --yes it prints what will be dropped and asks
/// y/N on a terminal; with no terminal on stdin it refuses. Every attempt leaves one audit line.
int poolerCommand(const QStringList &args);

} // namespace poolscope::cli
