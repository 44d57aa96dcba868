#pragma once

#include "reportcharts.h"

#include <QList>
#include <QString>
#include <QStringList>

namespace poolscope::record {
struct IncidentData;
}

namespace poolscope::report {

/// How the report's charts are referenced: embedded (a self-contained HTML file) or by resource name (the
/// PDF, drawn by QTextDocument, which gets the images as resources: chartResourceName()).
enum class ImageMode
{
    DataUri,  // <img src="data:image/png;base64,...">
    Resource, // <img src="chart-3.png">
};

struct HtmlLayout
{
    ImageMode images = ImageMode::DataUri;
    int imageWidth = 800; // logical pixels the charts are shown at (ChartOptions::size)
    int fontPx = 14;
    bool paged = false; // the PDF: no page margins of the body's own
};

/// The name the PDF's document knows chart `index` by.
QString chartResourceName(int index);

/// The incident report as one HTML document, no external resource of any kind (inline CSS, images embedded
/// or named as resources): a header (recording, window, targets, generated when and by which PoolScope),
/// what happened (the findings in the order they were raised: first and last seen, severity, rule, target,
/// summary), the targets' figures, the charts, every finding in detail (evidence, advice, action taken),
/// the actions taken (time, who, what, target, sessions, outcome), load runs and the recording's own gaps.
/// Every text from the recording is escaped.
QString reportHtml(const record::IncidentData &data, const QList<ReportChart> &charts,
                   const QStringList &notes, qint64 generatedAtMs, const HtmlLayout &layout);

} // namespace poolscope::report
