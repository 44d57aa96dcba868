#pragma once

#include <QString>
#include <functional>

class QWidget;

namespace poolscope::widgets {

/// File → Incident report… of the main window (from its rolling recording) and of a replay window (from the
/// recording it shows). The report itself is drawn by poolscope_report, which sits above this library (it
/// renders these charts): the application installs the opener at start (app/main.cpp,
/// report::installReportOpener()); until one is installed the menu entries are disabled.
struct ReportRequest
{
    QString recording; // the file to read (a rolling recording may still be being written: fine)
    qint64 fromMs = 0; // the window offered first (client wall clock, ms since the epoch)
    qint64 toMs = 0;
    QString windowLabel; // what that window is, for the dialog ("the last 30 minutes", "the charts' range")
};
using ReportOpener = std::function<void(QWidget *parent, const ReportRequest &request)>;

void setReportOpener(ReportOpener opener);
/// Empty when none is installed.
const ReportOpener &reportOpener();

} // namespace poolscope::widgets
