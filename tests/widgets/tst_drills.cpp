// The incident drills of the demo. Unit: every drill's incident preset and fixed application parse, the
// fixed ones stay out of the Load tab's presets, each runs through the right sandbox URI. Integration
// (offscreen GUI on the demo sandbox, as `poolscope --demo` starts it): the psycopg2-leak drill end to end:
// the finding is named within 10 s, its action (confirmed) ends the leaked sessions and the finding turns
// "recovered" while the application keeps failing (the leak is in its pool), and the fixed application runs
// without the finding coming back.
#include "load/presets.h"
#include "models/findingsmodel.h"
#include "sandbox/demosession.h"
#include "support/testsupport.h"
#include "widgets/drillpanel.h"
#include "widgets/drills.h"
#include "widgets/findingscontroller.h"
#include "widgets/findingspanel.h"
#include "widgets/mainwindow.h"
#include "widgets/sessionactions.h"

#include <QApplication>
#include <QDockWidget>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <cstdio>

using namespace poolscope;
using widgets::DrillPanel;
using widgets::MainWindow;
using Phase = DrillPanel::Phase;

class TestDrills : public QObject
{
    Q_OBJECT
    QTemporaryDir m_home;

private Q_SLOTS:
    void initTestCase()
    {
        test::quietLogging();
        qputenv("XDG_DATA_HOME", m_home.path().toUtf8()); // no saved scenarios of the user's
    }

    void everyDrillHasItsScenarios()
    {
        const QStringList expected{"psycopg2-leak", "startup-storm", "session-pooler-full", "intrans-leak",
                                   "tenant-spike"};
        QStringList presets;
        for (const widgets::Drill &d : widgets::drills())
            presets.append(d.preset);
        QCOMPARE(presets, expected);
        const QStringList listed = load::presetNames();
        for (const widgets::Drill &d : widgets::drills()) {
            QString error;
            QVERIFY2(load::loadScenario(d.preset, &error), qPrintable(error));
            QVERIFY(findings::rule::all().contains(d.rule));
            QVERIFY(!d.reproduces.isEmpty() && !d.lookFor.isEmpty() && !d.act.isEmpty());
            QVERIFY2(d.hasFix() && !d.appFix.isEmpty() && !d.fixedDoes.isEmpty(), qPrintable(d.preset));
            const auto fixed = load::scenarioFromJson(load::presetJson(d.fixedScenario), &error);
            QVERIFY2(fixed, qPrintable(d.fixedScenario + ": " + error));
            QCOMPARE(fixed->name, d.fixedScenario);
            QVERIFY2(!listed.contains(d.fixedScenario), qPrintable(d.fixedScenario)); // not a preset
        }
        sandbox::SandboxUris uris;
        uris.app = "app";
        uris.pgbouncerApp = "transaction";
        uris.pgbouncerSessionApp = "session";
        const widgets::Drill *session = widgets::findDrill("session-pooler-full");
        QVERIFY(session);
        QCOMPARE(widgets::drillUri(uris, session->through), QString("session"));
        QCOMPARE(widgets::drillUri(uris, session->fixedThrough), QString("transaction"));
        QCOMPARE(widgets::drillUri(uris, widgets::findDrill("tenant-spike")->through), QString("app"));
        QVERIFY(!widgets::findDrill("select1"));
    }

    void psycopg2LeakDrillEndToEnd()
    {
        sandbox::DemoSession demo; // declared first: the window (and its workers) goes before the servers
        MainWindow window;
        window.resize(1280, 800);
        window.show();
        QVERIFY(!window.openDrill("psycopg2-leak")); // no sandbox yet
        QVERIFY(!window.menuBar()->findChild<QMenu *>("menuDrills")->isEnabled());
        window.attachDemo(&demo);
        demo.start();
        QTRY_COMPARE_WITH_TIMEOUT(window.targetCount(), 2, 30000);
        QTRY_VERIFY_WITH_TIMEOUT(!window.chartsFor(0).isEmpty() && !window.chartsFor(1).isEmpty(), 15000);
        QVERIFY(window.menuBar()->findChild<QMenu *>("menuDrills")->isEnabled());
        QVERIFY(demo.isLoadRunning());
        QVERIFY(window.openDrill("psycopg2-leak"));
        DrillPanel *drill = window.drillPanel();
        QVERIFY(drill->isVisible());
        QCOMPARE(drill->phase(), Phase::Idle);
        auto *about = drill->findChild<QLabel *>("drillAbout");
        QVERIFY(about && about->text().contains("putconn()"));

        // Start: the incident runs; the window names it.
        QTest::mouseClick(drill->startButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(drill->phase(), Phase::Waiting, 20000);
        QVERIFY(!demo.isLoadRunning()); // the demo's own load pauses: the charts show the incident alone
        QVERIFY2(drill->statusText().startsWith("Waiting for the finding…"), qPrintable(drill->statusText()));
        QTRY_COMPARE_WITH_TIMEOUT(drill->phase(), Phase::Named, 20000);
        QVERIFY(drill->namedAfterS());
        std::printf("psycopg2-leak named after %.1f s\n", *drill->namedAfterS());
        QVERIFY2(*drill->namedAfterS() <= 10, qPrintable(QString::number(*drill->namedAfterS())));
        const auto named = window.findings()->engine().finding(drill->findingId());
        QVERIFY(named);
        QCOMPARE(named->rule, findings::rule::IdleInTransactionLeak);
        QCOMPARE(named->subject, QString("poolscope-load-billing"));
        QVERIFY2(drill->statusText().startsWith("Named: idle-in-transaction-leak after"),
                 qPrintable(drill->statusText()));
        QVERIFY2(drill->nextStepText().contains(named->action.label), qPrintable(drill->nextStepText()));
        // The finding is in front of the user, selected, its action ready.
        QVERIFY(window.findings()->dock()->isVisible());
        QCOMPARE(window.findings()->panel()->currentFindingId(), named->id);
        QPushButton *act = window.findings()->panel()->actionButton();
        QVERIFY(act->isEnabled());
        // Within a second or two every connection of the pool (8) is leaked; the action names them all.
        QTRY_COMPARE_WITH_TIMEOUT(act->text(), QString("Terminate the 8 holders"), 10000);

        // The user acts (yes to the question): the holders end, the finding recovers on the server...
        QString asked;
        widgets::SessionActions *actions = window.sessionActionsFor(0);
        actions->setConfirm([&asked](const QString &text) {
            asked = text;
            return true;
        });
        actions->setShowReport([](const terminate::Report &) {});
        QTest::mouseClick(act, Qt::LeftButton);
        QVERIFY2(asked.contains("poolscope-load-billing"), qPrintable(asked));
        QTRY_COMPARE_WITH_TIMEOUT(drill->phase(), Phase::Outcome, 20000);
        QCOMPARE(window.findings()->engine().finding(named->id)->status, findings::Status::Recovered);
        QVERIFY2(drill->nextStepText().startsWith("Outcome: recovered at"),
                 qPrintable(drill->nextStepText()));
        // ... while the application still fails: its pool counts the ended connections as checked out.
        auto *application = drill->findChild<QLabel *>("drillApplication");
        QTRY_VERIFY_WITH_TIMEOUT(application->text().contains("app pool exhausted"), 5000);
        auto *fix = drill->findChild<QLabel *>("drillFix");
        QVERIFY(fix->text().contains("does not give them back"));

        // The fixed application: the incident's run stops, the fixed one runs, and the leak stays away.
        QVERIFY(drill->fixedButton()->isEnabled());
        QTest::mouseClick(drill->fixedButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(drill->phase(), Phase::FixedRunning, 20000);
        const qint64 fixedFrom = QDateTime::currentMSecsSinceEpoch();
        QTest::qWait(15000); // three times what naming the leak took above
        QVERIFY2(application->text().contains("(fixed)"), qPrintable(application->text()));
        QVERIFY(!drill->fixedRunNamedIt());
        for (const findings::Finding &f : window.findings()->engine().findings())
            QVERIFY2(!(f.rule == findings::rule::IdleInTransactionLeak && f.raisedAtMs >= fixedFrom),
                     qPrintable(f.summary));
        QVERIFY2(drill->statusText().startsWith("The fixed application runs: no idle-in-transaction-leak"),
                 qPrintable(drill->statusText()));
        QTest::mouseClick(drill->stopButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(drill->phase(), Phase::FixedDone, 10000);
        QVERIFY2(drill->statusText().contains("did not come back"), qPrintable(drill->statusText()));
        QTRY_VERIFY_WITH_TIMEOUT(demo.isLoadRunning(), 5000); // and comes back after the drill
    }
};

QTEST_MAIN(TestDrills)
#include "tst_drills.moc"
