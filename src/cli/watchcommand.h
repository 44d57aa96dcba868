#pragma once

#include <QString>
#include <QStringList>
#include <optional>

namespace poolscope::cli {

/// "500ms", "1s", "2m", "1h", or a plain number of seconds ("1.5") -> milliseconds. nullopt for anything
/// else, zero or negative.
std::optional<qint64> parseDurationMs(const QString &text);
/// A sampling interval (--interval of watch, diagnose, record): a duration from 100 ms to 60 s. nullopt,
/// with the usage message in `error`, for anything else.
std::optional<qint64> parseIntervalMs(const QString &text, QString *error);

/// `poolscope watch TARGET... [--interval 1s] [--duration 60s] [--json-lines]`; args exclude the word
/// "watch". Samples every target on its own thread (one TargetController each) and prints one line per
/// target per sample, until the duration is over or SIGINT/SIGTERM. A failing target keeps being retried
/// (and printed) while the others go on. Needs a QCoreApplication. Exit code 0 at the end, 1 for a bad
/// command line.
int watchCommand(const QStringList &args);

} // namespace poolscope::cli
