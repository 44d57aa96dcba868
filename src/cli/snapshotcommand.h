#pragma once

#include "exitcodes.h"

#include <QStringList>

namespace poolscope::cli {

/// `poolscope snapshot TARGET... [--json]`; args exclude the word "snapshot".
int snapshotCommand(const QStringList &args);

} // namespace poolscope::cli
