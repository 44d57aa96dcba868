#pragma once

#include <QStringList>

namespace poolscope::cli {

/// Exit codes of `poolscope pooler` (the same meanings as `poolscope terminate`).
enum PoolerExit
{
    PoolerOk = 0,     // done
    PoolerFailed = 1, // the console refused or failed a statement (KILL whose RESUME failed included)
    PoolerError = 2,  // bad command line, or the console could not be reached or read
    PoolerRefused =
        3, // refused as a whole: read-only, unavailable (stats user, version, ...), no confirmation
};

/// `poolscope pooler TARGET reconnect|kill-client|kill|resume ARG [--yes] [--json] [--read-only]
/// [--timeout 5s]`; args exclude the word "pooler". Without --yes it prints what will be dropped and asks
/// y/N on a terminal; with no terminal on stdin it refuses. Every attempt leaves one audit line.
int poolerCommand(const QStringList &args);

} // namespace poolscope::cli
