#pragma once

#include <QStringList>

namespace poolscope::cli {

/// Exit codes shared by the headless commands.
enum ExitCode
{
    ExitOk = 0,
    ExitUsage = 1,        // bad command line
    ExitTargetFailed = 2, // at least one target could not be sampled
    ExitFindings = 3,     // diagnose: a finding at warning or above
};

/// `poolscope snapshot TARGET... [--json]`; args exclude the word "snapshot".
int snapshotCommand(const QStringList &args);

} // namespace poolscope::cli
