#pragma once

#include "exitcodes.h"

#include <QStringList>

namespace poolscope::cli {

/// `poolscope export FILE --format csv|json --out DIR`; args exclude the word "export". One file per table of
/// the recording (README "Recording"). Exit codes: 0 written, 1 bad command line, or FILE is not a readable
/// recording (missing, not a recording, damaged, a newer format), or DIR cannot be written.
int exportCommand(const QStringList &args);

} // namespace poolscope::cli
