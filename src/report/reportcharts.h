#pragma once

#include <QByteArray>
#include <QImage>
#include <QList>
#include <QSize>
#include <QString>
#include <functional>

namespace poolscope::record {
class RecordingReader;
struct IncidentData;
} // namespace poolscope::record

namespace poolscope::report {

struct ReportChart
{
    QString target; // the target's name in the recording
    QString title;  // "Sessions by state", "Clients of app/app: active vs waiting"
    QImage image;
    QByteArray png;
};

struct ChartOptions
{
    QSize size{800, 280}; // logical pixels, as laid out in the report (and in the PDF, at full width)
    double scale = 2;     // image pixels per logical pixel: sharp on high-density screens and in the PDF
    int maxPools = 4;     // a PgBouncer target's pools charted, the busiest first
};

/// The charts of the window, drawn by the window's own charts: for every target of the recording a target
/// page (never shown) is filled with its samples of the window (and the frames before them it needs) and its
/// charts are drawn paused on [fromMs, toMs] with the findings, load runs and actions marked, in a light
/// palette whatever the desktop's theme. PostgreSQL: sessions by state, transactions per second, sessions
/// by application; PgBouncer: server connections, clients active vs waiting and queue age of its busiest
/// pools. A chart none of whose series has a value in the window is left out. `notes` receives what was
/// left out ("3 quieter pools of pgbouncer not charted"). Needs a QApplication (the offscreen platform does).
/// `progress(done, total)` after each target. False with `error` when the recording cannot be read.
bool renderCharts(const record::RecordingReader &reader, const record::IncidentData &data,
                  const ChartOptions &options, QList<ReportChart> *charts, QStringList *notes, QString *error,
                  const std::function<void(int done, int total)> &progress = {});

} // namespace poolscope::report
