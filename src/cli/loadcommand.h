#pragma once

#include <QStringList>

namespace poolscope::cli {

/// `poolscope load TARGET --scenario NAME|FILE [--clients N] [--duration 10s] [--rate R] [--json]
/// [--allow-remote]`, `poolscope load --list`, `poolscope load --show NAME`; args exclude the word "load".
/// Progress once a second on stderr; the summary on stdout (JSON with --json). Ctrl+C ends the run early
/// (every connection closed) and still prints the summary. Needs a QCoreApplication. Exit codes: 0 the run
/// happened (errors inside it are results, not failures), 1 bad command line or scenario, or a remote target
/// without --allow-remote, 2 the target could not be reached or the scenario's setup failed.
int loadCommand(const QStringList &args);

} // namespace poolscope::cli
