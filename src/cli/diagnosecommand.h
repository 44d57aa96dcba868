#pragma once

#include <QStringList>

namespace poolscope::cli {

/// `poolscope diagnose TARGET... [--duration 10s] [--interval 1s] [--set KEY=VALUE]... [--json]`; args
/// exclude the word "diagnose". Samples every target for the duration, runs the findings engine over the
/// samples (pooler consoles linked to the PostgreSQL targets they point at) and prints every finding seen.
/// Exit codes: 0 nothing at warning or above, 1 bad command line, 2 a target failed, 3 a finding at warning
/// or above. Needs a QCoreApplication.
int diagnoseCommand(const QStringList &args);

} // namespace poolscope::cli
