// Benchmark (label bench, not in the normal run: about 7 minutes): every incident drill on the demo sandbox
// as a user would run it: start, wait for the finding (named within 10 s), press its action where it has one
// (yes to the question), read the outcome, then run the fixed application for 30 s and check that the finding
// does not come back. Prints one block per drill; the README's drills table quotes these runs.
#include "actions/modalsupport.h"
#include "core/logging.h"
#include "sandbox/demosession.h"
#include "support/testsupport.h"
#include "widgets/drillpanel.h"
#include "widgets/drills.h"
#include "widgets/findingscontroller.h"
#include "widgets/findingspanel.h"
#include "widgets/mainwindow.h"
#include "widgets/sessionactions.h"
#include <QLabel>
#include <QPushButton>
#include <QTest>
#include <cstdio>
using namespace poolscope;
using widgets::DrillPanel;
using Phase = DrillPanel::Phase;
class BenchDrills : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { test::quietLogging(spdlog::level::err); }
    void all_data()
    {
        QTest::addColumn<QString>("preset");
        for (const char *p :
             {"psycopg2-leak", "intrans-leak", "tenant-spike", "session-pooler-full", "startup-storm"})
            QTest::addRow("%s", p) << QString(p);
    }
    void all()
    {
        QFETCH(QString, preset);
        sandbox::DemoSession demo;
        widgets::MainWindow window;
        window.resize(1280, 800);
        window.show();
        window.attachDemo(&demo);
        demo.start();
        QTRY_VERIFY_WITH_TIMEOUT(!window.chartsFor(0).isEmpty() && !window.chartsFor(1).isEmpty(), 40000);
        QVERIFY(window.openDrill(preset));
        DrillPanel *drill = window.drillPanel();
        window.sessionActionsFor(0)->setConfirm([](const QString &) { return true; });
        window.sessionActionsFor(0)->setShowReport([](const terminate::Report &) {});
        drill->start();
        QTRY_VERIFY_WITH_TIMEOUT(drill->phase() == Phase::Named || drill->phase() == Phase::RunEnded, 40000);
        std::printf("[%s] named %s after %.1f s: %s\n", qPrintable(preset),
                    drill->phase() == Phase::Named ? "yes" : "NO", drill->namedAfterS().value_or(-1),
                    qPrintable(drill->statusText()));
        QCOMPARE(drill->phase(), Phase::Named);
        QVERIFY(*drill->namedAfterS() <= 10);
        const auto f = window.findings()->engine().finding(drill->findingId());
        QVERIFY(f);
        std::printf("[%s] finding: %s %s; action: %s\n  next: %s\n", qPrintable(preset),
                    qPrintable(findings::severityName(f->severity)), qPrintable(f->summary),
                    qPrintable(f->action.label), qPrintable(drill->nextStepText()));
        if (!f->action.isNone()) {
            QTest::qWait(2000); // a user reads before pressing
            QString asked;
            if (f->action.kind == findings::Action::Kind::PoolerReconnect)
                test::answerMessageBox(&asked, 0);
            window.findings()->act(f->id);
            QTRY_VERIFY_WITH_TIMEOUT(drill->phase() == Phase::Outcome, 45000);
            std::printf("[%s] after action: %s\n", qPrintable(preset), qPrintable(drill->nextStepText()));
        }
        QTest::qWait(3000);
        std::printf("[%s] app: %s\n", qPrintable(preset),
                    qPrintable(drill->findChild<QLabel *>("drillApplication")->text()));
        QStringList open;
        for (const auto &o : window.findings()->engine().openFindings())
            open << o.rule + "/" + o.subject + "/" + findings::severityName(o.severity);
        std::printf("[%s] open before fixed: %s\n", qPrintable(preset), qPrintable(open.join(", ")));
        drill->startFixed();
        QTRY_VERIFY_WITH_TIMEOUT(drill->phase() == Phase::FixedRunning, 30000);
        const qint64 from = QDateTime::currentMSecsSinceEpoch();
        QTest::qWait(30000);
        std::printf("[%s] fixed: %s | %s\n", qPrintable(preset), qPrintable(drill->statusText()),
                    qPrintable(drill->findChild<QLabel *>("drillApplication")->text()));
        QStringList fresh;
        for (const auto &o : window.findings()->engine().findings())
            if (o.raisedAtMs >= from)
                fresh << o.rule + "/" + o.subject + "/" + findings::severityName(o.severity);
        std::printf("[%s] raised during fixed run: %s\n", qPrintable(preset), qPrintable(fresh.join(", ")));
        QVERIFY(!drill->fixedRunNamedIt());
        drill->stop();
        QTRY_VERIFY_WITH_TIMEOUT(drill->phase() == Phase::FixedDone, 20000);
    }
};
QTEST_MAIN(BenchDrills)
#include "bench_drills.moc"
