#include "chartexport.h"

#include "widgets/qcp.h"
#include "widgets/timechart.h"

#include <QAction>
#include <QClipboard>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QGuiApplication>
#include <QImageWriter>
#include <QMessageBox>
#include <QPageLayout>
#include <QPageSize>
#include <QPdfWriter>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSettings>

namespace poolscope::widgets {

namespace {

const char *const kSavePng = "actionSaveChartPng";
const char *const kSavePdf = "actionSaveChartPdf";
const char *const kCopy = "actionCopyChart";
const char *const kDirKey = "export/lastDirectory";

QString fileStem(const QString &title)
{
    static const QRegularExpression unsafe(QStringLiteral("[^A-Za-z0-9._-]+"));
    QString stem = title.left(60).toLower().replace(unsafe, QStringLiteral("-"));
    while (stem.endsWith(QLatin1Char('-')))
        stem.chop(1);
    while (stem.startsWith(QLatin1Char('-')))
        stem.remove(0, 1);
    return stem.isEmpty() ? QStringLiteral("chart") : stem;
}

bool writePdf(QCustomPlot *plot, QIODevice *device)
{
    const int w = std::max(1, plot->width());
    const int h = std::max(1, plot->height());
    QPdfWriter pdf(device);
    pdf.setCreator(QStringLiteral("PoolScope " POOLSCOPE_VERSION));
    pdf.setTitle(chartTitle(plot));
    // One page exactly the chart's size, a pixel a point (as QCustomPlot::savePdf does), no margins.
    pdf.setPageLayout(QPageLayout(QPageSize(QSizeF(w, h), QPageSize::Point, QString(), QPageSize::ExactMatch),
                                  QPageLayout::Portrait, QMarginsF(0, 0, 0, 0)));
    QCPPainter painter;
    if (!painter.begin(&pdf))
        return false;
    painter.setMode(QCPPainter::pmVectorized);
    painter.setMode(QCPPainter::pmNoCaching);
    painter.setWindow(0, 0, w, h);
    plot->toPainter(&painter, w, h);
    return painter.end();
}

} // namespace

void installChartExport(QCustomPlot *plot)
{
    auto add = [plot](const QString &text, const char *name, const QString &tip) {
        auto *action = new QAction(text, plot);
        action->setObjectName(QString::fromLatin1(name));
        action->setToolTip(tip);
        plot->addAction(action);
        return action;
    };
    QAction *png =
        add(QObject::tr("Save chart as &PNG…"), kSavePng, QObject::tr("The chart as an image file"));
    QAction *pdf = add(QObject::tr("Save chart as P&DF…"), kSavePdf,
                       QObject::tr("The chart as a PDF page (vector graphics: sharp at any zoom)"));
    QAction *copy =
        add(QObject::tr("&Copy chart image"), kCopy, QObject::tr("The chart as an image, to paste"));
    QObject::connect(png, &QAction::triggered, plot,
                     [plot] { saveChartInteractive(plot, ChartFormat::Png, plot->window()); });
    QObject::connect(pdf, &QAction::triggered, plot,
                     [plot] { saveChartInteractive(plot, ChartFormat::Pdf, plot->window()); });
    QObject::connect(copy, &QAction::triggered, plot,
                     [plot] { QGuiApplication::clipboard()->setImage(chartImage(plot)); });
    plot->setContextMenuPolicy(Qt::ActionsContextMenu);
}

QAction *chartExportAction(const QCustomPlot *plot, const char *objectName)
{
    return plot ? plot->findChild<QAction *>(QString::fromLatin1(objectName), Qt::FindDirectChildrenOnly)
                : nullptr;
}

QString chartTitle(const QCustomPlot *plot)
{
    if (const auto *chart = qobject_cast<const TimeChart *>(plot); chart && !chart->title().isEmpty())
        return chart->title();
    if (plot && plot->plotLayout()) {
        for (QCPLayoutElement *e : plot->plotLayout()->elements(true)) {
            if (const auto *text = qobject_cast<QCPTextElement *>(e); text && !text->text().isEmpty())
                return text->text();
        }
    }
    return QObject::tr("chart");
}

QImage chartImage(QCustomPlot *plot)
{
    const double scale = std::max(1.0, plot->devicePixelRatioF());
    QImage image = plot->toPixmap(0, 0, scale).toImage();
    image.setDevicePixelRatio(scale);
    return image;
}

bool saveChart(QCustomPlot *plot, const QString &path, ChartFormat format, QString *error)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        *error =
            QObject::tr("%1 cannot be written: %2").arg(QDir::toNativeSeparators(path), file.errorString());
        return false;
    }
    bool drawn = false;
    if (format == ChartFormat::Png) {
        QImageWriter writer(&file, "png");
        drawn = writer.write(chartImage(plot));
        if (!drawn)
            *error = QObject::tr("%1: the image could not be written: %2")
                         .arg(QDir::toNativeSeparators(path), writer.errorString());
    } else {
        drawn = writePdf(plot, &file);
        if (!drawn)
            *error = QObject::tr("%1: the PDF could not be drawn").arg(QDir::toNativeSeparators(path));
    }
    if (!drawn) {
        file.cancelWriting();
        return false;
    }
    if (!file.commit()) {
        *error =
            QObject::tr("%1 cannot be written: %2").arg(QDir::toNativeSeparators(path), file.errorString());
        return false;
    }
    return true;
}

void saveChartInteractive(QCustomPlot *plot, ChartFormat format, QWidget *dialogParent)
{
    QSettings settings;
    const QString dir = settings.value(QString::fromLatin1(kDirKey), QDir::homePath()).toString();
    const bool png = format == ChartFormat::Png;
    const QString suggested = dir + QLatin1Char('/') + fileStem(chartTitle(plot)) + QLatin1Char('-') +
                              QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss")) +
                              (png ? QStringLiteral(".png") : QStringLiteral(".pdf"));
    const QString caption = png ? QObject::tr("Save chart as PNG") : QObject::tr("Save chart as PDF");
    const QString path =
        QFileDialog::getSaveFileName(dialogParent, caption, suggested,
                                     png ? QObject::tr("PNG images (*.png)") : QObject::tr("PDF (*.pdf)"));
    if (path.isEmpty())
        return;
    settings.setValue(QString::fromLatin1(kDirKey), QFileInfo(path).absolutePath());
    QString error;
    if (!saveChart(plot, path, format, &error))
        QMessageBox::warning(dialogParent, caption, QObject::tr("The chart was not saved.\n\n%1").arg(error));
}

} // namespace poolscope::widgets
