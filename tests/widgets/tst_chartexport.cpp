// Unit (offscreen): every chart can be taken away — the context menu of a TimeChart (and of the Sessions
// tab's transaction charts) holds "Save chart as PNG…", "Save chart as PDF…" and "Copy chart image"; saving
// writes a PNG that QImage reads back at the chart's size with the series drawn in it, and a PDF; a file
// that cannot be written fails with its name and reason and leaves nothing; File → Export finds the charts
// on screen; a still picture for a report carries no browsing hint.
#include "core/timeseries.h"
#include "widgets/chartexport.h"
#include "widgets/exportmenu.h"
#include "widgets/qcp.h"
#include "widgets/timechart.h"
#include "widgets/transactioncharts.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QFile>
#include <QMainWindow>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QVBoxLayout>

using namespace poolscope;
using widgets::ChartFormat;
using widgets::TimeChart;

namespace {

constexpr double T0 = 1'700'000'000;
const QColor kSeriesColour(0x11, 0x88, 0x22);

QColor green(const QPalette &)
{
    return kSeriesColour;
}

/// "a" climbs 1..120 over two minutes.
void fill(SeriesSet &set)
{
    for (int i = 0; i < 120; ++i) {
        set[QStringLiteral("a")].append(T0 + i, i + 1);
        set.noteTime(T0 + i);
    }
}

/// Pixels of exactly the series colour: the line was drawn.
int seriesPixels(const QImage &image)
{
    int n = 0;
    const QImage rgb = image.convertToFormat(QImage::Format_RGB32);
    for (int y = 0; y < rgb.height(); ++y) {
        for (int x = 0; x < rgb.width(); ++x)
            n += QColor(rgb.pixel(x, y)) == kSeriesColour;
    }
    return n;
}

QStringList actionNames(const QList<QAction *> &actions)
{
    QStringList names;
    for (const QAction *a : actions) {
        if (!a->isSeparator())
            names.append(a->objectName());
    }
    return names;
}

} // namespace

class TestChartExport : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    SeriesSet m_set;
    std::unique_ptr<QMainWindow> m_window;
    TimeChart *m_chart = nullptr;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        fill(m_set);
        m_window = std::make_unique<QMainWindow>();
        auto *central = new QWidget(m_window.get());
        auto *layout = new QVBoxLayout(central);
        m_chart = new TimeChart(central);
        m_chart->setTitle("Sessions of the test");
        m_chart->setSeriesSet(&m_set);
        m_chart->addSeries("a", "a", &green, 3);
        layout->addWidget(m_chart);
        m_window->setCentralWidget(central);
        widgets::addExportMenu(m_window.get(), m_window->menuBar()->addMenu("&File"), nullptr);
        m_window->resize(800, 400);
        m_window->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
        m_chart->setPaused(true);
        m_chart->setVisibleRange(T0, T0 + 120);
        m_chart->refreshNow();
    }

    void contextMenuHoldsTheActions()
    {
        QCOMPARE(m_chart->contextMenuPolicy(), Qt::ActionsContextMenu);
        // What a right-click (or the Menu key) opens: the popup's own actions.
        QStringList shown;
        QTimer::singleShot(0, this, [&shown] {
            if (auto *menu = qobject_cast<QMenu *>(QApplication::activePopupWidget())) {
                shown = actionNames(menu->actions());
                menu->close();
            }
        });
        QContextMenuEvent event(QContextMenuEvent::Mouse, QPoint(50, 50),
                                m_chart->mapToGlobal(QPoint(50, 50)));
        QApplication::sendEvent(m_chart, &event);
        QCOMPARE(shown, (QStringList{"actionSaveChartPng", "actionSaveChartPdf", "actionCopyChart"}));
        QCOMPARE(widgets::chartExportAction(m_chart, "actionSaveChartPng")->text(),
                 QString("Save chart as &PNG…"));

        // The Sessions tab's transaction charts (plain QCustomPlots) get the same menu.
        widgets::TransactionCharts transactions;
        for (QCustomPlot *plot :
             {transactions.histogramPlot(), transactions.applicationsPlot(), transactions.agesPlot()}) {
            QCOMPARE(plot->contextMenuPolicy(), Qt::ActionsContextMenu);
            QCOMPARE(actionNames(plot->actions()),
                     (QStringList{"actionSaveChartPng", "actionSaveChartPdf", "actionCopyChart"}));
        }
        QCOMPARE(widgets::chartTitle(transactions.histogramPlot()),
                 QString("Idle in transaction: time in state"));
    }

    void savesAPngQImageReads()
    {
        const QString path = m_dir.filePath("chart.png");
        QString error;
        QVERIFY2(widgets::saveChart(m_chart, path, ChartFormat::Png, &error), qPrintable(error));
        const QImage image(path);
        QVERIFY(!image.isNull());
        const double dpr = std::max(1.0, m_chart->devicePixelRatioF());
        QCOMPARE(image.size(), m_chart->size() * dpr);
        QVERIFY2(seriesPixels(image) > 100, qPrintable(QString::number(seriesPixels(image))));
    }

    void savesAPdf()
    {
        const QString path = m_dir.filePath("chart.pdf");
        QString error;
        QVERIFY2(widgets::saveChart(m_chart, path, ChartFormat::Pdf, &error), qPrintable(error));
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QByteArray pdf = f.readAll();
        QVERIFY(pdf.startsWith("%PDF-"));
        QVERIFY(pdf.trimmed().endsWith("%%EOF"));
        QVERIFY2(pdf.size() > 2000, qPrintable(QString::number(pdf.size())));
        QCOMPARE(QString::fromLatin1(pdf).count(QRegularExpression("/Type\\s*/Page(?!s)")), 1); // one page
    }

    void aFileThatCannotBeWrittenSaysWhy()
    {
        for (const ChartFormat format : {ChartFormat::Png, ChartFormat::Pdf}) {
            const QString path = m_dir.filePath("no-such-dir/chart.out");
            QString error;
            QVERIFY(!widgets::saveChart(m_chart, path, format, &error));
            QVERIFY2(error.contains(path) && error.contains("cannot be written"), qPrintable(error));
            QVERIFY(!QFile::exists(path));
        }
    }

    void copiesTheImage()
    {
        QApplication::clipboard()->clear();
        widgets::chartExportAction(m_chart, "actionCopyChart")->trigger();
        const QImage copied = QApplication::clipboard()->image();
        QVERIFY(!copied.isNull());
        QVERIFY(seriesPixels(copied) > 100);
    }

    void fileExportFindsTheChartsOnScreen()
    {
        QCOMPARE(widgets::shownCharts(m_window.get()), (QList<QCustomPlot *>{m_chart}));
        for (const char *name : {"actionExportChartPng", "actionExportChartPdf", "actionExportTableCsv"})
            QVERIFY2(m_window->findChild<QAction *>(name), name);
        m_chart->hide();
        QVERIFY(widgets::shownCharts(m_window.get()).isEmpty()); // only what is on screen
        m_chart->show();

        // Ctrl+Shift+E reaches Table as CSV… from the keyboard; with no table on screen it says so.
        QAction *csv = m_window->findChild<QAction *>("actionExportTableCsv");
        QSignalSpy triggered(csv, &QAction::triggered);
        QString said;
        QTimer::singleShot(0, this, [&said] {
            if (auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget())) {
                said = box->text();
                box->accept();
            }
        });
        QApplication::setActiveWindow(m_window.get());
        QTest::keyClick(m_window.get(), Qt::Key_E, Qt::ControlModifier | Qt::ShiftModifier);
        QCOMPARE(triggered.count(), 1);
        QVERIFY2(said.startsWith("No table is shown"), qPrintable(said));
    }

    void stillPictureForReports()
    {
        // A chart that is never shown, drawn at a report's size over a window of its own.
        TimeChart still;
        still.setTitle("Still");
        still.setSeriesSet(&m_set);
        still.addSeries("a", "a", &green, 3);
        const QImage image = still.renderStill(T0 + 60, T0 + 119, QSize(600, 200), 2);
        QCOMPARE(image.size(), QSize(1200, 400));
        QVERIFY(seriesPixels(image) > 100);
        QVERIFY(still.hasVisibleData());
        QVERIFY2(!still.title().contains("browsing"), qPrintable(still.title()));
        QCOMPARE(still.xAxis->range().lower, T0 + 60);
        // Before the data: nothing to show.
        still.renderStill(T0 - 600, T0 - 300, QSize(600, 200));
        QVERIFY(!still.hasVisibleData());
    }
};

QTEST_MAIN(TestChartExport)
#include "tst_chartexport.moc"
