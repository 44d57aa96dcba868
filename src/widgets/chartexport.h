#pragma once

#include <QImage>
#include <QString>

class QAction;
class QCustomPlot;
class QWidget;

namespace poolscope::widgets {

/// Saving and copying a chart, the same for every chart of every window (target pages, the Sessions tab's
/// transaction charts, the Load tab, replay): the chart's context menu holds "Save chart as PNG…", "Save
/// chart as PDF…" and "Copy chart image", and File → Export reaches the same code (exportmenu.h). The image
/// is the chart as it is drawn now, at its size; the PDF is vector graphics of the same. Files are written
/// whole or not at all (QSaveFile); a file that cannot be written is said in a dialog, with the reason.
enum class ChartFormat
{
    Png,
    Pdf,
};

/// Adds the three actions to `plot` (children of it, object names actionSaveChartPng, actionSaveChartPdf,
/// actionCopyChart) and makes them its context menu (Qt::ActionsContextMenu; the Menu key opens it too).
/// Called once per chart: TimeChart does it for itself.
void installChartExport(QCustomPlot *plot);
/// The chart's action of that object name; nullptr when the chart has none.
QAction *chartExportAction(const QCustomPlot *plot, const char *objectName);

/// The chart's title ("Sessions by state"), for file names and choosers; "chart" when it has none.
QString chartTitle(const QCustomPlot *plot);
/// The chart drawn now at its own size (device pixel ratio applied): what "Copy chart image" copies.
QImage chartImage(QCustomPlot *plot);
/// Writes the chart to `path`: a PNG of chartImage(), or a one-page PDF of the chart's size in points.
/// False, with the reason in `error`, when the file cannot be written (nothing is left behind then).
bool saveChart(QCustomPlot *plot, const QString &path, ChartFormat format, QString *error);
/// Asks for a file (suggesting "<title>-<time>.png" in the last directory used), saves, and shows a warning
/// with the reason when it fails.
void saveChartInteractive(QCustomPlot *plot, ChartFormat format, QWidget *dialogParent);

} // namespace poolscope::widgets
