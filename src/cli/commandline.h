#pragma once

#include <QCommandLineParser>
#include <QString>
#include <QStringList>
#include <optional>

namespace poolscope::cli {

/// Parses the arguments of `poolscope COMMAND` (everything after the command name). Returns std::nullopt when
/// the command should go on; otherwise the exit code: 0 after printing --help to stdout, `usageExit` after
/// printing "poolscope COMMAND: <error>" to stderr.
std::optional<int> parseCommandLine(QCommandLineParser &parser, const QString &command,
                                    const QStringList &args, int usageExit);

/// Prints "poolscope COMMAND: message" to stderr; returns `usageExit`.
int usageError(const QString &command, const QString &message, int usageExit);

} // namespace poolscope::cli
