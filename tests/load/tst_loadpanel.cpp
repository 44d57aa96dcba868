// Integration (offscreen GUI): the Load tab against a real sandbox: a run fills its charts and summary, Stop
// ends it, a remote target needs a yes, a broken scenario is refused, Save as keeps it, and the main window
// marks the run on the target's own charts.
#include "core/timeseries.h"
#include "load/presets.h"
#include "support/sandboxtestcase.h"
#include "widgets/loadpanel.h"
#include "widgets/mainwindow.h"
#include "widgets/timechart.h"

#include <QApplication>
#include <QComboBox>
#include <QElapsedTimer>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>
#include <cmath>

using namespace poolscope;
using widgets::LoadPanel;
using widgets::TimeChart;

namespace {

int points(const SeriesSet *set, const QString &name)
{
    const TimeSeries *ts = set ? set->find(name) : nullptr;
    return ts ? ts->size() : 0;
}

} // namespace

class TestLoadPanel : public test::SandboxTestCase
{
    Q_OBJECT
    QTemporaryDir m_home; // saved scenarios go here, not into the user's data directory

private Q_SLOTS:
    void init() { qputenv("XDG_DATA_HOME", m_home.path().toUtf8()); }

    void runFillsChartsAndSummary()
    {
        LoadPanel panel;
        panel.resize(1200, 600);
        panel.show();
        panel.setTarget(m_sandbox->uris().app);
        QVERIFY(panel.selectScenario("psycopg2-leak"));
        panel.setDurationS(3);
        QSignalSpy started(&panel, &LoadPanel::runStarted);
        QSignalSpy finished(&panel, &LoadPanel::runFinished);
        panel.start();
        QVERIFY(panel.isRunning());
        QTRY_COMPARE_WITH_TIMEOUT(started.size(), 1, 20000);
        QCOMPARE(started.first().at(0).toString(), QString("load: psycopg2-leak"));
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 20000);
        QVERIFY(!panel.isRunning());
        QVERIFY(panel.lastSummary().has_value());
        const load::LoadSummary &s = *panel.lastSummary();
        QVERIFY(s.totals.errors[size_t(load::ErrorClass::PoolExhausted)] > 0);
        QVERIFY2(panel.statusText().contains("finished"), qPrintable(panel.statusText()));
        // Every chart got its points, one a second; the error class joined the errors chart.
        QVERIFY(points(panel.series(), "load/tps") >= 3);
        QVERIFY(points(panel.series(), "load/latency/p99") >= 3);
        QVERIFY(points(panel.series(), "load/connections") >= 3);
        QVERIFY(points(panel.series(), "load/errors/pool_exhausted") >= 3);
        TimeChart *errors = panel.charts().last();
        QCOMPARE(errors->seriesCount(), 1);
        for (TimeChart *c : panel.charts())
            c->refreshNow();
        QVERIFY(panel.charts().first()->visibleTop() > 0);
    }

    // A preset checks its target before it starts: session-pooler-full is refused through the
    // transaction-mode pool and straight at PostgreSQL, saying what will not happen, and runs through the
    // session-mode pool app_session. The box shows the preset's title.
    void presetChecksItsTarget()
    {
        LoadPanel panel;
        panel.setPoolerConsoles([this] { return QStringList{m_sandbox->uris().pgbouncerMonitor}; });
        QStringList asked;
        panel.setRequirementsConfirmation([&asked](const QString &message) {
            asked.append(message);
            return false;
        });
        QSignalSpy started(&panel, &LoadPanel::runStarted);
        QVERIFY(panel.selectScenario("session-pooler-full"));
        QString error;
        const auto preset = load::loadScenario("session-pooler-full", &error);
        QVERIFY2(preset, qPrintable(error));
        auto *combo = panel.findChild<QComboBox *>("scenarioCombo");
        QCOMPARE(combo->currentText(), preset->title);
        QVERIFY2(panel.statusText().contains("session mode"), qPrintable(panel.statusText()));
        panel.setDurationS(2);

        panel.setTarget(m_sandbox->uris().pgbouncerApp);
        panel.start();
        QTRY_VERIFY_WITH_TIMEOUT(!panel.isRunning(), 15000);
        QCOMPARE(asked.size(), 1);
        QVERIFY2(asked.last().contains("pool_mode = session") && asked.last().contains("transaction mode"),
                 qPrintable(asked.last()));
        QVERIFY2(panel.statusText().contains("would not reproduce"), qPrintable(panel.statusText()));

        panel.setTarget(m_sandbox->uris().app);
        panel.start();
        QTRY_VERIFY_WITH_TIMEOUT(!panel.isRunning(), 15000);
        QCOMPARE(asked.size(), 2);
        QVERIFY2(asked.last().contains("PostgreSQL itself"), qPrintable(asked.last()));
        QCOMPARE(started.size(), 0);

        panel.setTarget(m_sandbox->uris().pgbouncerSessionApp);
        panel.start();
        QTRY_COMPARE_WITH_TIMEOUT(started.size(), 1, 15000);
        QCOMPARE(asked.size(), 2);
        QVERIFY2(!panel.statusText().contains("Warning"), qPrintable(panel.statusText()));
        panel.stop();
        QTRY_VERIFY_WITH_TIMEOUT(!panel.isRunning(), 5000);
    }

    void stopEndsTheRun()
    {
        LoadPanel panel;
        panel.setTarget(m_sandbox->uris().pgbouncerApp);
        QVERIFY(panel.selectScenario("select1"));
        panel.setClients(4);
        panel.setDurationS(120);
        QSignalSpy samples(&panel, &LoadPanel::sampleShown);
        QSignalSpy finished(&panel, &LoadPanel::runFinished);
        panel.start();
        QTRY_VERIFY_WITH_TIMEOUT(samples.size() >= 1, 20000);
        QElapsedTimer t;
        t.start();
        panel.stop();
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 3000);
        QVERIFY2(t.elapsed() < 1500, qPrintable(QString::number(t.elapsed())));
        QVERIFY(panel.lastSummary()->stoppedEarly);
        QVERIFY(panel.lastSummary()->totals.transactions > 0);
        QVERIFY2(panel.statusText().contains("stopped"), qPrintable(panel.statusText()));
    }

    void remoteTargetNeedsAYes()
    {
        LoadPanel panel;
        QStringList asked;
        panel.setRemoteConfirmation([&](const QString &message) {
            asked.append(message);
            return false;
        });
        panel.setTarget("postgresql://app@192.0.2.1:5432/app");
        QVERIFY(panel.selectScenario("select1"));
        panel.start();
        QTRY_VERIFY_WITH_TIMEOUT(!panel.isRunning(), 5000);
        QCOMPARE(asked.size(), 1);
        QVERIFY2(asked.first().contains("192.0.2.1"), qPrintable(asked.first()));
        QVERIFY2(panel.statusText().contains("not on this machine"), qPrintable(panel.statusText()));
        QVERIFY(!panel.lastSummary());
    }

    void brokenScenarioIsRefused()
    {
        LoadPanel panel;
        panel.setTarget(m_sandbox->uris().app);
        panel.setScenarioText("{\"workloads\":[{\"steps\":[{\"step\":\"qurey\"}]}]}");
        panel.start();
        QVERIFY(!panel.isRunning());
        QVERIFY2(panel.statusText().contains("unknown step"), qPrintable(panel.statusText()));
    }

    void saveAsKeepsTheEditedScenario()
    {
        LoadPanel panel;
        QVERIFY(panel.selectScenario("tenant-spike"));
        QString text = panel.scenarioText();
        text.replace("\"timeout\": 2", "\"timeout\": 4");
        panel.setScenarioText(text);
        QVERIFY2(panel.saveScenarioAs("tenant-spike-4s"), qPrintable(panel.statusText()));
        QVERIFY(load::userScenarioNames().contains("tenant-spike-4s"));
        QString error;
        const auto saved = load::loadScenario("tenant-spike-4s", &error);
        QVERIFY2(saved, qPrintable(error));
        QCOMPARE(saved->apps.first().pool.timeoutMs, 4000);
        QVERIFY(!panel.saveScenarioAs("no/slashes"));
        // Selectable afterwards like a preset.
        QVERIFY(panel.selectScenario("tenant-spike-4s"));
    }

    // The Clients box sets the first workload; with others beside it, it says so and how many they add, so it
    // agrees with the summary (tenant-spike: 80 tenant requests + 10 background jobs = 90 clients).
    void clientsAgreeWithTheSummary()
    {
        LoadPanel panel;
        QVERIFY(panel.selectScenario("tenant-spike"));
        auto *spin = panel.findChild<QSpinBox *>("clientsSpin");
        auto *label = panel.findChild<QLabel *>("clientsLabel");
        QVERIFY(spin && label);
        QCOMPARE(spin->value(), 80);
        QCOMPARE(spin->suffix(), QString(" + 10 other"));
        QVERIFY2(label->text().contains("tenant requests"), qPrintable(label->text()));
        QVERIFY(panel.selectScenario("steady-oltp"));
        QCOMPARE(spin->suffix(), QString());
        QCOMPARE(label->text(), QString("&Clients:"));
    }

    // Whatever the scenario, the controls fit the dock of a 1280-pixel window: Start and Stop stay on screen
    // (on the progress row, beside what they start and stop).
    void controlsFitA1280PixelWindow()
    {
        // The dock's width in a 1280-pixel window beside the Findings dock, which opens with a finding (its
        // frame, margins and a vertical scroll bar taken off).
        LoadPanel panel;
        panel.resize(620, 400);
        panel.show();
        auto *combo = panel.findChild<QComboBox *>("scenarioCombo");
        auto *target = panel.findChild<QComboBox *>("targetCombo");
        QVERIFY(combo && target);
        for (int i = 0; i < combo->count(); ++i) {
            if (combo->itemData(i).toString().isEmpty())
                continue; // a separator
            combo->setCurrentIndex(i);
            QTest::qWait(20); // the layout follows the new labels
            for (const char *name : {"targetCombo", "scenarioCombo", "clientsSpin", "durationSpin",
                                     "rateSpin", "startButton", "stopButton"}) {
                const auto *w = panel.findChild<QWidget *>(name);
                QVERIFY(w);
                const int right = w->mapTo(&panel, QPoint(w->width(), 0)).x();
                QVERIFY2(right <= panel.width(), qPrintable(QStringLiteral("%1: %2 ends at %3 px of %4")
                                                                .arg(combo->itemText(i), name)
                                                                .arg(right)
                                                                .arg(panel.width())));
            }
            // The target keeps room for host:port/db.
            QVERIFY2(
                target->width() >= target->fontMetrics().horizontalAdvance("127.0.0.1:5432/app"),
                qPrintable(QStringLiteral("%1: target %2 px").arg(combo->itemText(i)).arg(target->width())));
        }
    }

    void runsAreMarkedOnTheTargetsCharts()
    {
        widgets::MainWindow window;
        window.addTarget(m_sandbox->uris().monitor, 250);
        window.resize(1280, 800);
        window.show();
        QTRY_VERIFY_WITH_TIMEOUT(!window.chartsFor(0).isEmpty(), 15000);
        window.showLoadPanel();
        LoadPanel *panel = window.loadPanel();
        QVERIFY(panel && panel->isVisible());
        panel->setTarget(m_sandbox->uris().app);
        QVERIFY(panel->selectScenario("select1"));
        panel->setClients(2);
        panel->setDurationS(2);
        QSignalSpy started(panel, &LoadPanel::runStarted);
        QSignalSpy finished(panel, &LoadPanel::runFinished);
        panel->start();
        QTRY_COMPARE_WITH_TIMEOUT(started.size(), 1, 20000);
        auto markersOf = [&] {
            auto *chart = qobject_cast<TimeChart *>(window.chartsFor(0).first());
            return chart ? chart->markers() : QList<TimeChart::Marker>{};
        };
        QCOMPARE(markersOf().size(), 1);
        QVERIFY(std::isnan(markersOf().first().end)); // still running
        QCOMPARE(markersOf().first().label, QString("load: select1"));
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 20000);
        const TimeChart::Marker m = markersOf().first();
        QVERIFY(m.end > m.start);
        QVERIFY(m.end - m.start < 5);
        for (QCustomPlot *c : window.chartsFor(0))
            QCOMPARE(qobject_cast<TimeChart *>(c)->markers().size(), 1);
    }
};

QTEST_MAIN(TestLoadPanel)
#include "tst_loadpanel.moc"
