// Benchmark (issue 15): a day-long recording in the replay window, as the user meets it. 24 h at 1 Hz of 100
// sessions, 5 % changing each second (86,400 samples, the synthetic pool of bench_recording), then:
//  - opening it (ReplayWindow::openRecording: every sample decoded once to fill the charts' history), wall
//    time and the process's resident memory after;
//  - scrubbing: 200 random moments set as a drag does, each timed until the window has shown it (the pages'
//    models and charts updated and the events it posted processed), mean, p95 and max.
// Not a pass/fail test: it prints figures. Run: ctest --preset bench -R bench_replay.
#include "benchsupport.h"
#include "procstat.h"
#include "recordingdata.h"
#include "widgets/replaywindow.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QSlider>
#include <QTemporaryDir>
#include <QTest>

using namespace poolscope;
using namespace poolscope::bench;

class BenchReplay : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void dayLongRecording()
    {
        // BENCH_HOURS shortens the recording (to profile the opening): 24 unless set.
        const int hours = qEnvironmentVariableIntValue("BENCH_HOURS") > 0
                              ? qEnvironmentVariableIntValue("BENCH_HOURS")
                              : 24;
        const int kSamples = hours * 3600;
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("day.psrec"));
        QString error;
        QVERIFY2(writeSyntheticRecording(path, kSamples, &error), qPrintable(error));
        const double rssBefore = rssMb();

        widgets::ReplayWindow window;
        window.resize(1280, 800);
        QElapsedTimer open;
        open.start();
        QVERIFY2(window.openRecording(path, &error), qPrintable(error));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QCoreApplication::processEvents();
        const double openMs = double(open.nsecsElapsed()) / 1e6;
        QCOMPARE(window.positionCount(), kSamples);

        QRandomGenerator rng(11);
        std::vector<double> ms;
        for (int i = 0; i < 200; ++i) {
            const int position = int(rng.bounded(window.positionCount()));
            QElapsedTimer t;
            t.start();
            window.scrubber()->setValue(position); // as a drag does
            QCoreApplication::processEvents();     // what it posted: the models' views, the charts' replots
            ms.push_back(double(t.nsecsElapsed()) / 1e6);
            QCOMPARE(window.position(), position);
        }
        std::sort(ms.begin(), ms.end());
        const Stats st = stats(ms);
        qInfo(
            "RESULT (%s) replay of %d h at 1 Hz, 100 sessions, 5%% change/s (%.1f MiB): opened and shown in "
            "%.0f ms, resident memory +%.0f MiB (%.0f MiB in all); a moment shown in mean %.1f ms, p95 %.1f "
            "ms, max %.1f ms (200 random moments); load average %s",
            buildType(), hours, double(QFileInfo(path).size()) / 1048576.0, openMs, rssMb() - rssBefore,
            rssMb(), st.mean, ms[size_t(double(ms.size()) * 0.95)], st.max, qPrintable(loadAverage()));
    }
};

QTEST_MAIN(BenchReplay)
#include "bench_replay.moc"
