#pragma once

#include <QStringList>

namespace poolscope::cli {

/// `poolscope sandbox start [--dir DIR] [--json]` / `poolscope sandbox stop --dir DIR`; `args` is what
/// follows `sandbox`. Needs a QCoreApplication: `start` runs its event loop until SIGINT/SIGTERM/SIGHUP.
/// Returns the process exit code.
int sandboxCommand(const QStringList &args);

} // namespace poolscope::cli
