// Benchmark (issue 15): recording file size per day per target at 1 Hz, and the recording's CPU per sample,
// for 100 and 1,000 sessions at three rates of change. Synthetic samples (no server: the figures are the
// recorder's own), written through the RecordingWriter exactly as `poolscope record` writes them; the size
// per day is extrapolated from the measured file after N samples. Not a pass/fail test: it prints figures.
#include "benchsupport.h"
#include "record/recordingreader.h"
#include "record/recordingwriter.h"
#include "recordingdata.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

using namespace poolscope;
using namespace poolscope::bench;

class BenchRecording : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sizeAndCpu_data()
    {
        QTest::addColumn<int>("sessions");
        QTest::addColumn<double>("churn");
        QTest::addColumn<int>("samples");
        for (const int n : {100, 1000}) {
            for (const double churn : {0.05, 0.5, 1.0})
                QTest::addRow("%d sessions, %.0f%% change each second", n, churn * 100)
                    << n << churn << (n == 100 ? 1800 : 600);
        }
    }
    void sizeAndCpu()
    {
        QFETCH(int, sessions);
        QFETCH(double, churn);
        QFETCH(int, samples);
        QTemporaryDir dir;
        dir.setAutoRemove(
            qEnvironmentVariableIsEmpty("POOLSCOPE_BENCH_KEEP")); // keep the files to inspect them
        const QString path = dir.filePath(QStringLiteral("bench.psrec"));
        record::RecordingWriter writer;
        QString error;
        QVERIFY2(writer.create(path, {QStringLiteral("monitor@db1:5432/app")}, {}, &error),
                 qPrintable(error));
        QRandomGenerator rng(42);
        const qint64 start = QDateTime::currentMSecsSinceEpoch();
        QList<Session> list = pool(sessions, start);
        std::vector<double> cpuUs;
        for (int k = 0; k < samples; ++k) {
            const qint64 ms = start + qint64(k) * 1000;
            advance(list, churn, double(ms) / 1000.0, rng);
            const TargetSnapshot snap = snapshotOf(list, ms);
            const qint64 t0 = bench::threadCpuNs();
            QVERIFY(writer.addSample(1, snap, {}, ms));
            cpuUs.push_back(double(bench::threadCpuNs() - t0) / 1000.0);
        }
        writer.close(start + qint64(samples) * 1000);
        const qint64 bytes = QFileInfo(path).size();
        const double perDayMiB = double(bytes) / samples * 86400.0 / 1048576.0;
        std::sort(cpuUs.begin(), cpuUs.end());
        const bench::Stats cpu = bench::stats(cpuUs);
        qInfo("file: %s", qPrintable(path));
        qInfo("RESULT (%s) %d sessions, %.0f%% change/s: %d samples -> %.2f MiB file; %.1f MiB/day per "
              "target at 1 Hz; "
              "CPU per sample mean %.0f us, p95 %.0f us, max %.0f us",
              bench::buildType(), sessions, churn * 100, samples, double(bytes) / 1048576.0, perDayMiB,
              cpu.mean, cpuUs[size_t(double(cpuUs.size()) * 0.95)], cpu.max);
    }

    void scrubLatencyOn24Hours()
    {
        // A day at 1 Hz of 100 sessions, 5 % changing each second (86,400 samples), then any moment rebuilt
        // as the replay's scrubber does (RecordingReader::snapshotAt: the keyframe at or before it, the
        // deltas after it, the sessions' counts and groups): wall time per moment, 300 random moments.
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("day.psrec"));
        constexpr int kSamples = 86400;
        QString error;
        QVERIFY2(writeSyntheticRecording(path, kSamples, &error), qPrintable(error));
        QRandomGenerator rng(7);
        record::RecordingReader reader;
        QVERIFY2(reader.open(path, &error), qPrintable(error));
        const QList<record::RecordedSample> samples = reader.samples(1);
        QCOMPARE(samples.size(), kSamples);
        std::vector<double> ms;
        for (int i = 0; i < 300; ++i) {
            const qint64 id = samples.at(int(rng.bounded(kSamples))).id;
            QElapsedTimer t;
            t.start();
            const auto snap = reader.snapshotAt(id, &error);
            ms.push_back(double(t.nsecsElapsed()) / 1e6);
            QVERIFY2(snap && snap->postgres && snap->postgres->sessions.size() == 100, qPrintable(error));
        }
        std::sort(ms.begin(), ms.end());
        const bench::Stats st = bench::stats(ms);
        qInfo("RESULT (%s) 24 h at 1 Hz, 100 sessions, 5%% change/s: file %.1f MiB; a moment rebuilt in mean "
              "%.1f "
              "ms, p95 %.1f ms, max %.1f ms (300 random moments)",
              bench::buildType(), double(QFileInfo(path).size()) / 1048576.0, st.mean,
              ms[size_t(double(ms.size()) * 0.95)], st.max);
    }
};

QTEST_GUILESS_MAIN(BenchRecording)
#include "bench_recording.moc"
