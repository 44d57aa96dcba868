#pragma once

#include "exitcodes.h"

#include <QStringList>

namespace poolscope::cli {

/// Exit codes of `poolscope terminate`: the shared table (exitcodes.h).
enum TerminateExit
{
    TerminateOk = ExitOk,              // done, or nothing to do (dry runs too)
    TerminateUsage = ExitUsage,        // bad command line
    TerminateError = ExitTargetFailed, // the target could not be reached or read
    TerminateRefused = ExitNo,         // refused as a whole: read-only mode, or no confirmation
    TerminateProblems = ExitPartial,   // at least one session failed or was refused (permission denied, ...)
};
/// `poolscope terminate TARGET --state idle-in-transaction --older-than 30s [--application A] [--user U]
/// [--database D] [--client C] [--allow-superuser] [--cancel-first] [--dry-run | --yes] [--json]
/// [--read-only]`; args exclude the word "terminate". Without --yes or --dry-run it asks y/N on a terminal
/// and refuses when stdin is not one. Every run, dry runs and refusals included, leaves an audit line.
int terminateCommand(const QStringList &args);

} // namespace poolscope::cli
