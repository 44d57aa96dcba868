#pragma once

#include <QStringList>

namespace poolscope::cli {

/// `poolscope plan FILE [--json]`; args exclude the word "plan". Reads the capacity plan (README "Capacity
/// planner") and prints each layer's worst case against its limit, the first limit to break, how far each
/// application and pooler can scale out, and each application's queueing for connections. Exit codes: 0 the
/// plan fits, 1 bad command line or plan file (the error names the key and its line; nothing printed on
/// stdout), 3 the plan does not fit or a queue is critical. Needs a QCoreApplication.
int planCommand(const QStringList &args);

} // namespace poolscope::cli
