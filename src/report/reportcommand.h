#pragma once

#include <QString>
#include <QStringList>
#include <optional>

namespace poolscope::report {

/// `poolscope report RECORDING --out report.html [--pdf report.pdf] [--from TIME] [--to TIME] [--last
/// DURATION]`; args exclude the word "report". Needs a QApplication (app/main.cpp makes one on the offscreen
/// platform: no display is needed). Exit codes: 0 written; 1 bad command line, RECORDING is not a readable
/// recording (missing, not a recording, damaged, a newer format), the window is outside it, or a file
/// cannot be written.
int reportCommand(const QStringList &args);

/// A TIME of --from/--to against a recording whose samples span [startMs, endMs]: ISO 8601
/// ("2026-05-01T14:05:00", local time unless it ends in Z or an offset; a space instead of the T works),
/// a clock time on the recording's last day ("14:05", "14:05:30"; the day before when that is after the
/// end), or relative: "-10m" before the recording's end, "+5m" after its start (units ms, s, m, h).
/// nullopt for anything else.
std::optional<qint64> parseReportTime(const QString &text, qint64 startMs, qint64 endMs);

} // namespace poolscope::report
