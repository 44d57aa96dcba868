// GUI smoke test against a real PostgreSQL + PgBouncer sandbox with the demo load running: the window samples
// both, records series, draws them, and pause freezes the time axis.

#include "core/recorder.h"
#include "db/targetcontroller.h"
#include "models/poolsmodel.h"
#include "models/targetlistmodel.h"
#include "sandbox/demoload.h"
#include "sandbox/demosession.h"
#include "sandbox/sandbox.h"
#include "support/testsupport.h"
#include "widgets/bouncerpage.h"
#include "widgets/fleetview.h"
#include "widgets/mainwindow.h"
#include "widgets/qcp.h"
#include "widgets/timechart.h"

#include <QApplication>
#include <QLabel>
#include <QListView>
#include <QPlainTextEdit>
#include <QStatusBar>
#include <QStyleFactory>
#include <QTableView>
#include <QTest>

using namespace poolscope;
using widgets::MainWindow;
using widgets::TimeChart;

namespace {

// Fast samples keep the test short.
int intervalMs()
{
    return 200;
}

int seriesSize(const SeriesSet *set, const QString &name)
{
    const TimeSeries *ts = set ? set->find(name) : nullptr;
    return ts ? ts->size() : 0;
}

// The first application pool (not the admin console) the bouncer target has recorded.
QString appPool(const SeriesSet *set)
{
    if (!set)
        return {};
    for (const QString &key : recordedPools(*set)) {
        if (!key.startsWith(QLatin1String("pgbouncer/")))
            return key;
    }
    return {};
}

QString emptyGraphs(const QList<QCustomPlot *> &plots)
{
    if (plots.isEmpty())
        return QStringLiteral("no charts yet");
    QStringList empty;
    for (QCustomPlot *plot : plots) {
        for (int i = 0; i < plot->graphCount(); ++i) {
            if (plot->graph(i)->data()->isEmpty())
                empty.append(plot->graph(i)->name());
        }
    }
    return empty.join(QStringLiteral(", "));
}

} // namespace

class TestMainWindow : public QObject
{
    Q_OBJECT
    std::unique_ptr<sandbox::Sandbox> m_sandbox;
    std::unique_ptr<sandbox::DemoLoad> m_load;
    std::unique_ptr<MainWindow> m_window;

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void samplesAndDrawsBothTargets();
    void pauseFreezesTheTimeAxis();
    void keyboard();
    void failedTargetShowsItsError();
    void demoAddsBothTargets();
    void fleetOverviewPutsTroubleFirst();
};

void TestMainWindow::initTestCase()
{
    test::quietLogging();

    QString error;
    m_sandbox = std::make_unique<sandbox::Sandbox>();
    QVERIFY2(m_sandbox->start(&error), qPrintable(error));
    const sandbox::SandboxUris &uris = m_sandbox->uris();

    sandbox::DemoLoad::Options o;
    o.conninfos = {uris.pgbouncerApp, uris.app};
    o.workers = 6;
    o.maxDurationS = 120;
    m_load = std::make_unique<sandbox::DemoLoad>(o);
    m_load->start();

    m_window = std::make_unique<MainWindow>();
    m_window->resize(1280, 800);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    QCOMPARE(m_window->addTarget(uris.monitor, intervalMs()), 0);
    QCOMPARE(m_window->addTarget(uris.pgbouncerMonitor, intervalMs()), 1);
    QCOMPARE(m_window->targetCount(), 2);
    // The title names what is shown (the first target), Qt adds the application's name.
    QVERIFY2(m_window->windowTitle().startsWith(QStringLiteral("monitor@")),
             qPrintable(m_window->windowTitle()));
}

void TestMainWindow::cleanupTestCase()
{
    m_window.reset(); // workers stop before the servers do
    if (m_load)
        m_load->stop();
    m_load.reset();
    m_sandbox.reset();
}

void TestMainWindow::samplesAndDrawsBothTargets()
{
    const SeriesSet *pg = m_window->seriesFor(0);
    const SeriesSet *bouncer = m_window->seriesFor(1);
    QVERIFY(pg && bouncer);
    QVERIFY(!m_window->seriesFor(2));

    const QString active = series::sessionState(SessionState::Active);
    QTRY_VERIFY2_WITH_TIMEOUT(seriesSize(pg, active) >= 3, qPrintable(pg->names().join(QLatin1Char(' '))),
                              15000);
    QTRY_VERIFY_WITH_TIMEOUT(!appPool(bouncer).isEmpty(), 15000);
    const QString pool = appPool(bouncer);
    QCOMPARE(pool, QStringLiteral("app/app"));
    QTRY_VERIFY_WITH_TIMEOUT(seriesSize(bouncer, series::pool(pool, QStringLiteral("cl_active"))) >= 3,
                             15000);

    // Every graph on both pages has data once its page is shown (the coalescing timer has to fire first; a
    // page behind another draws nothing).
    const int shown = m_window->currentTarget();
    m_window->selectTarget(0);
    QTRY_COMPARE_WITH_TIMEOUT(emptyGraphs(m_window->chartsFor(0)), QString(), 10000);
    m_window->selectTarget(1);
    QTRY_COMPARE_WITH_TIMEOUT(emptyGraphs(m_window->chartsFor(1)), QString(), 10000);
    m_window->selectTarget(shown < 0 ? 0 : shown);

    const QList<QCustomPlot *> pgCharts = m_window->chartsFor(0);
    QCOMPARE(pgCharts.size(), 3); // sessions by state, transactions per second, sessions by group
    auto *groups = qobject_cast<TimeChart *>(pgCharts[2]);
    QVERIFY(groups);
    QVERIFY(groups->title().startsWith(QStringLiteral("Sessions by application")));
    auto *sessions = qobject_cast<TimeChart *>(pgCharts[0]);
    QVERIFY(sessions);
    QCOMPARE(sessions->title(), QStringLiteral("Sessions by state"));
    QCOMPARE(sessions->mode(), TimeChart::Mode::StackedArea);
    // The load's direct connections and PgBouncer's server connections are sessions.
    QTRY_VERIFY_WITH_TIMEOUT(sessions->visibleTop() > 0, 10000);
    QCOMPARE(sessions->yAxis->label(), QStringLiteral("sessions"));
    QVERIFY(sessions->yAxis->range().lower >= 0);
    QVERIFY(sessions->yAxis->range().upper > sessions->visibleTop());
    // The x axis ends at the latest sample; a target this young gets the one-minute minimum window.
    QVERIFY(qAbs(sessions->xAxis->range().upper - pg->lastTime()) < 5);
    QVERIFY(qAbs(sessions->xAxis->range().size() - 60) < 1);

    const QList<QCustomPlot *> bouncerCharts = m_window->chartsFor(1);
    QCOMPARE(bouncerCharts.size(), 3); // server connections, clients, queue age
    auto *occupancy = qobject_cast<TimeChart *>(bouncerCharts[0]);
    QVERIFY(occupancy);
    QCOMPARE(occupancy->yAxis->label(), QStringLiteral("connections"));
    QCOMPARE(occupancy->graphCount(), 7); // six server states + pool_size (no reserve pool)
    auto *page = m_window->findChild<widgets::BouncerPage *>();
    QVERIFY(page);
    QCOMPARE(page->currentPool(), QStringLiteral("app/app"));
    QVERIFY(page->poolsModel()->rowOf(QStringLiteral("app/app")) >= 0);

    // The targets dock says what a user needs: both live, with their kinds.
    auto *list = m_window->findChild<QListView *>(QStringLiteral("targetList"));
    QVERIFY(list);
    QTRY_VERIFY(list->model()->index(0, 0).data().toString().contains(QStringLiteral("PostgreSQL · live")));
    QTRY_VERIFY(list->model()->index(1, 0).data().toString().contains(QStringLiteral("PgBouncer · live")));

    // The log dock (hidden by default) is fed from the logging callback, queued to the GUI thread.
    auto *log = m_window->findChild<QPlainTextEdit *>(QStringLiteral("logView"));
    QVERIFY(log);
    QVERIFY(!log->isVisible());
    QTRY_VERIFY(log->toPlainText().contains(QStringLiteral("monitoring monitor@127.0.0.1")));
}

void TestMainWindow::pauseFreezesTheTimeAxis()
{
    const SeriesSet *pg = m_window->seriesFor(0);
    const QString active = series::sessionState(SessionState::Active);
    QList<QCustomPlot *> charts = m_window->chartsFor(0) + m_window->chartsFor(1);
    QCOMPARE(charts.size(), 6);

    m_window->setPaused(true);
    QVERIFY(m_window->isPaused());
    QTest::qWait(100); // let any pending rebuild run
    QList<QCPRange> frozen;
    for (QCustomPlot *c : charts)
        frozen.append(c->xAxis->range());

    const int before = seriesSize(pg, active);
    QTRY_VERIFY_WITH_TIMEOUT(seriesSize(pg, active) >= before + 3, 10000); // still recording
    QTest::qWait(100);
    for (int i = 0; i < charts.size(); ++i) {
        QCOMPARE(charts[i]->xAxis->range().lower, frozen[i].lower);
        QCOMPARE(charts[i]->xAxis->range().upper, frozen[i].upper);
    }

    // Resume: back to following the newest sample.
    m_window->setPaused(false);
    QVERIFY(!m_window->isPaused());
    QTRY_VERIFY_WITH_TIMEOUT(charts[0]->xAxis->range().upper > frozen[0].upper, 5000);
}

void TestMainWindow::keyboard()
{
    m_window->activateWindow();
    if (!QTest::qWaitForWindowActive(m_window.get(), 2000))
        QSKIP("the platform does not activate windows; shortcuts need an active window");
    QTest::keyClick(m_window.get(), Qt::Key_2, Qt::ControlModifier);
    QCOMPARE(m_window->currentTarget(), 1);
    QTest::keyClick(m_window.get(), Qt::Key_1, Qt::ControlModifier);
    QCOMPARE(m_window->currentTarget(), 0);

    QTest::keyClick(m_window.get(), Qt::Key_Space);
    QVERIFY(m_window->isPaused());
    QTest::keyClick(m_window.get(), Qt::Key_Space);
    QVERIFY(!m_window->isPaused());
}

void TestMainWindow::failedTargetShowsItsError()
{
    // Port 1 on loopback refuses at once: the page must say so instead of "Connecting…" forever.
    MainWindow window;
    window.resize(900, 600);
    window.show();
    window.addTarget(QStringLiteral("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"), intervalMs());
    auto *list = window.findChild<QListView *>(QStringLiteral("targetList"));
    QVERIFY(list);
    QTRY_VERIFY_WITH_TIMEOUT(list->model()->index(0, 0).data().toString().contains(QStringLiteral("failed")),
                             10000);
    QVERIFY(!list->model()->index(0, 0).data(Qt::ToolTipRole).toString().isEmpty());
    QLabel *placeholder = nullptr;
    for (QLabel *label : window.findChildren<QLabel *>(QStringLiteral("placeholder"))) {
        if (label->isVisible())
            placeholder = label;
    }
    QVERIFY(placeholder);
    QVERIFY2(placeholder->text().contains(QStringLiteral("Cannot sample")), qPrintable(placeholder->text()));
    QVERIFY(window.chartsFor(0).isEmpty());
}

void TestMainWindow::demoAddsBothTargets()
{
    // What `poolscope --demo` does: the window is told about the session before it starts.
    sandbox::DemoSession demo; // declared first: the window (and its workers) goes before the servers
    MainWindow window;
    window.show();
    window.attachDemo(&demo);
    demo.start();
    QTRY_COMPARE_WITH_TIMEOUT(window.targetCount(), 2, 30000);
    QVERIFY(!window.statusBar()->currentMessage().isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(!window.chartsFor(0).isEmpty() && !window.chartsFor(1).isEmpty(), 15000);
}

void TestMainWindow::fleetOverviewPutsTroubleFirst()
{
    // Three targets: PostgreSQL under the demo load, its PgBouncer console, and a port that
    // refuses. The overview lists the refusing one first, every row with its figures, and opens a target.
    const sandbox::SandboxUris &uris = m_sandbox->uris();
    MainWindow window;
    window.resize(1280, 600);
    window.show();
    window.addTarget(uris.monitor, intervalMs());
    window.addTarget(uris.pgbouncerMonitor, intervalMs());
    window.addTarget(QStringLiteral("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"), intervalMs());
    window.showFleet();
    QVERIFY(window.isFleetShown());
    QCOMPARE(window.currentTarget(), -1);
    widgets::FleetView *fleet = window.fleetView();
    QAbstractItemModel *rows = fleet->table()->model();
    QCOMPARE(rows->rowCount(), 3);

    using Model = models::TargetListModel;
    const auto cell = [rows](int row, int column) {
        return rows->index(row, column).data().toString();
    };
    // The refused target first, with its error in words.
    QTRY_VERIFY_WITH_TIMEOUT(cell(0, Model::TargetColumn).contains(QStringLiteral(":1/none")) &&
                                 !cell(0, Model::AttentionColumn).isEmpty(),
                             15000);
    QVERIFY2(cell(0, Model::AttentionColumn).contains(QStringLiteral("refused"), Qt::CaseInsensitive),
             qPrintable(cell(0, Model::AttentionColumn)));
    // The live ones have numbers: occupancy in percent, headroom, waiting.
    QTRY_VERIFY_WITH_TIMEOUT(cell(1, Model::OccupancyColumn).endsWith(QLatin1Char('%')) &&
                                 cell(2, Model::OccupancyColumn).endsWith(QLatin1Char('%')),
                             15000);
    for (int row : {1, 2}) {
        bool ok = false;
        cell(row, Model::HeadroomColumn).toInt(&ok);
        QVERIFY2(ok, qPrintable(cell(row, Model::HeadroomColumn)));
    }
    // The sparkline has history to draw.
    QTRY_VERIFY_WITH_TIMEOUT(
        rows->index(1, Model::OccupancyColumn).data(Model::HistoryRole).value<QList<double>>().size() >= 2,
        10000);

    // Retry now polls the failed target at once, whatever its backoff says.
    const int failedId = fleet->displayedIds().first();
    fleet->table()->setCurrentIndex(rows->index(0, 0));
    QCOMPARE(fleet->currentId(), failedId);
    auto *retry = window.findChild<QAction *>(QStringLiteral("actionRetry"));
    QVERIFY(retry);
    const auto attempts = [rows] {
        return rows->index(0, 0).data(Model::AttemptRole).toInt();
    };
    QTRY_VERIFY_WITH_TIMEOUT(attempts() >= 1, 10000);
    const int before = attempts();
    retry->trigger();
    QTRY_VERIFY_WITH_TIMEOUT(attempts() > before, 3000);

    // Activating a row opens that target's page; Ctrl+0's action comes back to the overview.
    const int pgRow = cell(1, Model::TargetColumn).contains(QStringLiteral("/app")) ? 1 : 2;
    Q_EMIT fleet->table()->activated(rows->index(pgRow, Model::AttentionColumn));
    QCOMPARE(window.currentTarget(), 0);
    QVERIFY(!window.isFleetShown());
    auto *fleetAction = window.findChild<QAction *>(QStringLiteral("actionFleet"));
    QVERIFY(fleetAction);
    QCOMPARE(fleetAction->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_0));
    fleetAction->trigger();
    QVERIFY(window.isFleetShown());

    // Removing a target keeps the overview on screen.
    window.removeTarget(2);
    QVERIFY(window.isFleetShown());
    QCOMPARE(rows->rowCount(), 2);
}

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
