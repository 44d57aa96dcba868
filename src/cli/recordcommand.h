#pragma once

#include "exitcodes.h"

#include <QString>
#include <QStringList>
#include <optional>

namespace poolscope::cli {

/// "64KiB", "500MiB", "2GiB", "1000000" (bytes); K/M/G mean the binary units too. nullopt for anything else.
std::optional<qint64> parseSizeBytes(const QString &text);

/// `poolscope record TARGET... --out FILE [--interval 1s] [--duration 1h] [--max-size SIZE]`; args exclude
/// the word "record". Samples every target (as `watch` does) and writes every sample, the findings and the
/// audited actions into FILE (README "Recording"), until the duration is over or SIGINT/SIGTERM. Progress on
/// stderr when it is a terminal. Exit codes: 0 recorded, 1 bad command line or FILE cannot be created, 2 a
/// target never answered (its failures are recorded), 4 part of the recording was not written (disk full or
/// --max-size reached: the recording paused while sampling went on).
int recordCommand(const QStringList &args);

} // namespace poolscope::cli
