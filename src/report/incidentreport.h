#pragma once

#include "reportcharts.h"

#include <QString>
#include <functional>

namespace poolscope::report {

/// The incident report of a window of a recording (README "Incident report"): one self-contained HTML file
/// (charts embedded as PNG, inline CSS, nothing loaded from anywhere) and, optionally, a PDF of the same
/// (A4). The one piece both `poolscope report` and File → Incident report… use. GUI thread (it draws
/// charts): needs a QApplication, which the offscreen platform provides without a display.
struct ReportOptions
{
    qint64 fromMs = 0; // 0: the recording's first sample
    qint64 toMs = 0;   // 0: its last sample
    QString htmlPath;  // written whole or not at all (an existing file is replaced)
    QString pdfPath;   // empty: no PDF
    ChartOptions charts;
};

enum class ReportFailure
{
    None,
    Recording, // missing, unreadable, not a recording, damaged
    Window,    // outside the recording, or empty
    Output,    // a file could not be written
    Cancelled,
};

struct ReportResult
{
    ReportFailure failure = ReportFailure::None;
    QString error; // "FILE: damaged: ...", "report.html cannot be written: Permission denied"
    qint64 fromMs = 0;
    qint64 toMs = 0;
    int charts = 0;
    int findings = 0;
    int actions = 0;
    int loadRuns = 0;
    qint64 htmlBytes = 0;
    qint64 pdfBytes = 0;
    bool ok() const { return failure == ReportFailure::None; }
};

/// Called as the work goes: `percent` 0–100 and what is being done; returning false cancels.
using ReportProgress = std::function<bool(int percent, const QString &step)>;

ReportResult writeIncidentReport(const QString &recordingPath, const ReportOptions &options,
                                 const ReportProgress &progress = {});

/// The PDF of `html` (as reportHtml() writes it with ImageMode::Resource) with `charts` as its images, A4
/// pages, into `path`. False with the reason in `error`.
bool writeReportPdf(const QString &html, const QList<ReportChart> &charts, const QString &title,
                    const QString &path, qint64 *bytes, QString *error);

} // namespace poolscope::report
