#include "incidentreport.h"

#include "record/incidentdata.h"
#include "record/recordingreader.h"
#include "reporthtml.h"

#include <QDateTime>
#include <QDir>
#include <QPageLayout>
#include <QPageSize>
#include <QPdfWriter>
#include <QSaveFile>
#include <QTextDocument>
#include <QUrl>

namespace poolscope::report {

namespace {

// The PDF's page in document pixels: A4 less 15 mm margins (180 × 267 mm), 840 px wide (a pixel is 0.21 mm):
// the charts fit at their own 800 px. QTextDocument scales a paginated document's page to the printer's, so
// this only sets how large everything is on paper.
constexpr double kPageWidthPx = 840;
constexpr double kMarginMm = 15;
constexpr int kPdfFontPx = 12;

QString clock(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

QString nativePath(const QString &path)
{
    return QDir::toNativeSeparators(path);
}

} // namespace

bool writeReportPdf(const QString &html, const QList<ReportChart> &charts, const QString &title,
                    const QString &path, qint64 *bytes, QString *error)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        *error = QStringLiteral("%1 cannot be written: %2").arg(nativePath(path), file.errorString());
        return false;
    }
    {
        QPdfWriter pdf(&file);
        pdf.setCreator(QStringLiteral("PoolScope " POOLSCOPE_VERSION));
        pdf.setTitle(title);
        pdf.setPageLayout(QPageLayout(QPageSize(QPageSize::A4), QPageLayout::Portrait,
                                      QMarginsF(kMarginMm, kMarginMm, kMarginMm, kMarginMm),
                                      QPageLayout::Millimeter));
        const QSizeF paint = pdf.pageLayout().paintRect(QPageLayout::Millimeter).size();
        QTextDocument doc;
        for (int i = 0; i < charts.size(); ++i)
            doc.addResource(QTextDocument::ImageResource, QUrl(chartResourceName(i)), charts.at(i).image);
        doc.setDocumentMargin(20);
        doc.setPageSize(QSizeF(kPageWidthPx, kPageWidthPx * paint.height() / paint.width()));
        doc.setHtml(html);
        doc.print(&pdf);
    }
    *bytes = file.size();
    if (*bytes < 100 || !file.commit()) {
        *error = QStringLiteral("%1 cannot be written: %2")
                     .arg(nativePath(path),
                          *bytes < 100 ? QStringLiteral("the PDF could not be drawn") : file.errorString());
        return false;
    }
    return true;
}

ReportResult writeIncidentReport(const QString &recordingPath, const ReportOptions &options,
                                 const ReportProgress &progress)
{
    ReportResult result;
    auto step = [&](int percent, const QString &what) {
        if (progress && !progress(percent, what)) {
            result.failure = ReportFailure::Cancelled;
            result.error = QStringLiteral("cancelled");
            return false;
        }
        return true;
    };
    auto fail = [&](ReportFailure failure, const QString &error) {
        result.failure = failure;
        result.error = error;
        return result;
    };
    if (!step(0, QStringLiteral("Opening %1").arg(nativePath(recordingPath))))
        return result;
    record::RecordingReader reader;
    QString error;
    if (!reader.open(recordingPath, &error))
        return fail(ReportFailure::Recording, error);
    const auto [first, last] = reader.timeSpan();
    if (first == 0)
        return fail(ReportFailure::Window,
                    QStringLiteral("%1: the recording holds no sample").arg(recordingPath));
    result.fromMs = options.fromMs > 0 ? options.fromMs : first;
    result.toMs = options.toMs > 0 ? options.toMs : last;
    if (result.fromMs >= result.toMs)
        return fail(ReportFailure::Window, QStringLiteral("the window ends (%1) before it starts (%2)")
                                               .arg(clock(result.toMs), clock(result.fromMs)));
    if (result.fromMs > last || result.toMs < first)
        return fail(ReportFailure::Window,
                    QStringLiteral("the window %1 to %2 is outside the recording, which holds %3 to %4")
                        .arg(clock(result.fromMs), clock(result.toMs), clock(first), clock(last)));

    if (!step(5, QStringLiteral("Reading findings and actions")))
        return result;
    record::IncidentData data;
    if (!record::gatherIncident(reader, recordingPath, result.fromMs, result.toMs, &data, &error))
        return fail(ReportFailure::Recording, QStringLiteral("%1: %2").arg(recordingPath, error));
    result.findings = int(data.findings.size());
    result.actions = int(data.actions.size());
    result.loadRuns = int(data.loadRuns.size());

    QList<ReportChart> charts;
    QStringList notes;
    bool cancelled = false;
    const bool drawn =
        renderCharts(reader, data, options.charts, &charts, &notes, &error, [&](int done, int total) {
            cancelled = cancelled ||
                        !step(10 + 70 * done / std::max(1, total),
                              QStringLiteral("Drawing the charts of target %1 of %2").arg(done).arg(total));
        });
    if (cancelled)
        return result;
    if (!drawn)
        return fail(ReportFailure::Recording, error);
    result.charts = int(charts.size());

    if (!step(82, QStringLiteral("Writing %1").arg(nativePath(options.htmlPath))))
        return result;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const QByteArray html =
        reportHtml(data, charts, notes, now, HtmlLayout{ImageMode::DataUri, options.charts.size.width()})
            .toUtf8();
    QSaveFile file(options.htmlPath);
    if (!file.open(QIODevice::WriteOnly) || file.write(html) != html.size() || !file.commit())
        return fail(
            ReportFailure::Output,
            QStringLiteral("%1 cannot be written: %2").arg(nativePath(options.htmlPath), file.errorString()));
    result.htmlBytes = html.size();

    if (!options.pdfPath.isEmpty()) {
        if (!step(90, QStringLiteral("Writing %1").arg(nativePath(options.pdfPath))))
            return result;
        const QString pdfHtml =
            reportHtml(data, charts, notes, now,
                       HtmlLayout{ImageMode::Resource, options.charts.size.width(), kPdfFontPx, true});
        const QString title =
            QStringLiteral("Incident report %1 to %2").arg(clock(result.fromMs), clock(result.toMs));
        if (!writeReportPdf(pdfHtml, charts, title, options.pdfPath, &result.pdfBytes, &error))
            return fail(ReportFailure::Output, error);
    }
    step(100, QStringLiteral("Done"));
    result.failure = ReportFailure::None;
    result.error.clear();
    return result;
}

} // namespace poolscope::report
