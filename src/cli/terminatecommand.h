#pragma once

#include <QStringList>

namespace poolscope::cli {

/// Exit codes of `poolscope terminate` (documented in its --help and the README).
enum TerminateExit
{
    TerminateOk = 0,       // done, or nothing to do (dry runs too)
    TerminateProblems = 1, // at least one session failed or was refused (permission denied, superuser-owned)
    TerminateError = 2,    // bad command line, or the target could not be reached or read
    TerminateRefused = 3,  // refused as a whole: read-only mode, or no confirmation
};

/// `poolscope terminate TARGET --state idle-in-transaction --older-than 30s [--application A] [--user U]
/// [--database D] [--client C] [--allow-superuser] [--cancel-first] [--dry-run | --yes] [--json]
/// [--read-only]`; args exclude the word "terminate". Without --yes or --dry-run it asks y/N on a terminal
/// and refuses when stdin is not one. Every run, dry runs and refusals included, leaves an audit line.
int terminateCommand(const QStringList &args);

} // namespace poolscope::cli
