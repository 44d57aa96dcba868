// Integration (offscreen GUI, real PostgreSQL 15 + PgBouncer 1.18 sandbox): the window fits a 1280×800 screen
// with any of its docks open, on every page, and every chart keeps room for its title and a plot. Checked
// from the layouts' minimum sizes (what the window manager must honour), not from screenshots. The title says
// what is shown; the window comes back where and as large as it was left, the first time 1280×800 centred.
#include "support/testsupport.h"
#include "support/windowsupport.h"
#include "widgets/findingscontroller.h"
#include "widgets/mainwindow.h"
#include "widgets/plannercontroller.h"
#include "widgets/plannerpage.h"
#include "widgets/targetpage.h"
#include "widgets/timechart.h"

#include <QAction>
#include <QApplication>
#include <QDockWidget>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>

using namespace poolscope;
using widgets::MainWindow;

namespace {

constexpr int kScreenW = 1280;
constexpr int kScreenH = 800;
constexpr int kMinChartH = 110; // a title line, an axis and a plot a human can read

} // namespace

class TestWindowFit : public QObject
{
    Q_OBJECT
    std::unique_ptr<sandbox::Sandbox> m_sandbox;
    std::unique_ptr<MainWindow> m_window;
    QTemporaryDir m_config;

    QList<QDockWidget *> docks() const { return m_window->findChildren<QDockWidget *>(); }

    /// The window at 1280×800 with `open` docks shown and `page` in view: nothing grows past the screen, and
    /// each chart on the page in view keeps its room.
    void checkFits(const QString &what)
    {
        QApplication::processEvents();
        m_window->resize(kScreenW, kScreenH);
        QTest::qWait(50);
        const QSize min = m_window->minimumSizeHint().expandedTo(m_window->minimumSize());
        QVERIFY2(min.width() <= kScreenW && min.height() <= kScreenH,
                 qPrintable(QString("%1: minimum %2×%3").arg(what).arg(min.width()).arg(min.height())));
        QVERIFY2(
            m_window->width() <= kScreenW && m_window->height() <= kScreenH,
            qPrintable(QString("%1: window %2×%3").arg(what).arg(m_window->width()).arg(m_window->height())));
        // The status bar (LIVE / PAUSED / READ-ONLY) is on the screen.
        QVERIFY2(m_window->statusBar()->isVisible() && m_window->statusBar()->geometry().bottom() < kScreenH,
                 qPrintable(what));
        auto *pages = m_window->findChild<QStackedWidget *>("pages");
        for (QCustomPlot *chart : pages->currentWidget()->findChildren<QCustomPlot *>()) {
            if (!chart->isVisibleTo(pages->currentWidget()))
                continue;
            QVERIFY2(chart->height() >= kMinChartH, qPrintable(QString("%1: chart \"%2\" is %3 px high")
                                                                   .arg(what, chartName(chart))
                                                                   .arg(chart->height())));
        }
    }

    static QString chartName(QCustomPlot *chart)
    {
        if (auto *t = qobject_cast<widgets::TimeChart *>(chart))
            return t->title();
        return chart->objectName();
    }

private Q_SLOTS:
    void initTestCase()
    {
        qputenv("XDG_CONFIG_HOME", m_config.path().toUtf8()); // settings go to a scratch dir
        test::quietLogging();
        QString error;
        m_sandbox = test::startSandbox(&error);
        QVERIFY2(m_sandbox, qPrintable(error));
        m_window = test::openWindowOnSandbox(*m_sandbox, 500);
        QVERIFY(m_window);
    }

    void cleanupTestCase()
    {
        m_window.reset();
        m_sandbox.reset();
    }

    void theTitleSaysWhatIsShown()
    {
        m_window->selectTarget(0);
        QVERIFY2(m_window->windowTitle().startsWith("monitor@127.0.0.1:"),
                 qPrintable(m_window->windowTitle()));
        m_window->showFleet();
        QCOMPARE(m_window->windowTitle(), QString("Fleet: 2 targets"));
        m_window->planner()->showAction()->trigger();
        QCOMPARE(m_window->windowTitle(), QString("Capacity planner"));
    }

    void everyShortcutIsListedAndNoneIsAmbiguous()
    {
        const QList<QPair<QString, QString>> rows = m_window->shortcutList();
        QHash<QString, QString> byKey;
        for (const auto &[keys, does] : rows) {
            // Two actions on one key: Qt fires neither ("ambiguous shortcut").
            QVERIFY2(!byKey.contains(keys) || byKey.value(keys) == does,
                     qPrintable(QString("%1: \"%2\" and \"%3\"").arg(keys, byKey.value(keys), does)));
            byKey.insert(keys, does);
        }
        for (const char *keys : {"Ctrl+F", "F1", "Ctrl+Shift+P", "Ctrl+Shift+F", "Ctrl+Shift+L",
                                 "Ctrl+Shift+R", "Ctrl+Shift+A", "Ctrl+0", "Ctrl+R", "Del", "Ctrl+Shift+Del"})
            QVERIFY2(byKey.contains(keys), keys);
        // Ctrl+F from the target list (the page has no focus): the sessions, the keyboard in their filter.
        m_window->selectTarget(0);
        m_window->findChild<QWidget *>("targetList")->setFocus();
        QTest::keyClick(m_window.get(), Qt::Key_F, Qt::ControlModifier);
        QTRY_VERIFY(QApplication::focusWidget() &&
                    QApplication::focusWidget()->objectName() == "sessionFilter");
    }

    void theLayoutComesBack()
    {
        // First start: 1280×800 at most, centred on the screen.
        {
            MainWindow fresh;
            fresh.restoreWindowLayout();
            const QRect screen = fresh.screen()->availableGeometry();
            QVERIFY(fresh.width() <= 1280 && fresh.height() <= 800);
            QVERIFY2(qAbs(fresh.geometry().center().x() - screen.center().x()) <= 1, "not centred");
            fresh.move(40, 30);
            fresh.resize(1100, 700);
            fresh.show();
            QVERIFY(QTest::qWaitForWindowExposed(&fresh));
            fresh.saveWindowLayout();
        }
        MainWindow again;
        again.restoreWindowLayout();
        QCOMPARE(again.size(), QSize(1100, 700));
    }

    void everyDockOnEveryPageFits_data()
    {
        QTest::addColumn<QString>("page");
        QTest::addColumn<QString>("dock");
        for (const char *page : {"postgres", "pgbouncer", "fleet", "planner"}) {
            QTest::addRow("%s, no dock", page) << QString(page) << QString();
            for (const char *dock : {"logDock", "loadDock", "auditDock", "findingsDock", "drillDock", "all"})
                QTest::addRow("%s, %s", page, dock) << QString(page) << QString(dock);
        }
    }
    void everyDockOnEveryPageFits()
    {
        QFETCH(QString, page);
        QFETCH(QString, dock);
        if (page == "postgres")
            m_window->selectTarget(0);
        else if (page == "pgbouncer")
            m_window->selectTarget(1);
        else if (page == "fleet")
            m_window->showFleet();
        else
            m_window->planner()->showAction()->trigger();
        for (QDockWidget *d : docks()) {
            if (d->objectName() == "targetsDock")
                continue;
            d->setVisible(dock == "all" || d->objectName() == dock);
        }
        if (!dock.isEmpty() && dock != "all")
            QVERIFY2(m_window->findChild<QDockWidget *>(dock), qPrintable(dock));
        checkFits(page + ", " + (dock.isEmpty() ? "no dock" : dock));
        // For a look at it (not a check): POOLSCOPE_SCREENSHOT_DIR=/tmp/shots.
        if (const QString dir = qEnvironmentVariable("POOLSCOPE_SCREENSHOT_DIR"); !dir.isEmpty())
            m_window->grab().save(QString("%1/fit-%2-%3.png").arg(dir, page, dock.isEmpty() ? "none" : dock));
    }
};

QTEST_MAIN(TestWindowFit)
#include "tst_windowfit.moc"
