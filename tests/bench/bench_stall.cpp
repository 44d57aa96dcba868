// Benchmarks of the sampling engine (label `bench`, not part of the default test run):
//  - GUI event-loop stall while the sandbox's PostgreSQL is SIGSTOPped for 10 s, with a MainWindow
//  (offscreen)
//    sampling it and its PgBouncer: a 10 ms heartbeat timer measures its own lateness. Goal: max <= 50 ms.
//  - 20 targets at 10 Hz for 10 s against one sandbox holding 1,000 idle sessions: samples/s per target and
//    whether any fell behind (fewer than 90 % of the expected samples).
// Run: ctest --preset bench -R bench_stall   (or build/dev/tests/bench/bench_stall directly)
#include "benchsupport.h"
#include "core/timeseries.h"
#include "db/targetcontroller.h"
#include "support/enginetest.h"
#include "support/testsupport.h"
#include "widgets/mainwindow.h"

#include <QApplication>
#include <QTest>
#include <cmath>
#include <ctime>
#include <numeric>

using namespace poolscope;

namespace {

constexpr int kHeartbeatMs = 10;

double lastActiveSessions(const SeriesSet *series)
{
    const TimeSeries *ts = series ? series->find(QStringLiteral("sessions/active")) : nullptr;
    return ts && ts->size() > 0 ? ts->valueAt(ts->size() - 1) : std::nan("");
}

} // namespace

class BenchStall : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void guiStallWhileServerStopped()
    {
        QString error;
        auto sandbox = test::startSandbox(&error);
        QVERIFY2(sandbox, qPrintable(error));
        widgets::MainWindow window;
        window.addTarget(sandbox->uris().monitor, 200);
        window.addTarget(sandbox->uris().pgbouncerMonitor, 200);
        window.resize(1280, 800);
        window.show();
        QVERIFY(test::waitUntil([&] { return !std::isnan(lastActiveSessions(window.seriesFor(0))); }, 15000));

        test::Heartbeat baseline(kHeartbeatMs);
        baseline.start();
        test::spin(3000);
        baseline.stop();

        test::Heartbeat heartbeat(kHeartbeatMs);
        QElapsedTimer clock;
        clock.start();
        {
            test::ServerFreezer freezer(pid_t(sandbox->postgresPid()));
            heartbeat.start(); // after the freezer's scan of /proc, which runs on this thread
            QVERIFY(freezer.size() >= 2);
            test::spin(10000);
        } // SIGCONT
        const bool gap = std::isnan(lastActiveSessions(window.seriesFor(0)));
        const bool recovered =
            test::waitUntil([&] { return !std::isnan(lastActiveSessions(window.seriesFor(0))); }, 15000);
        const qint64 recoveredAfterMs = clock.elapsed() - 10000;
        heartbeat.stop();

        qInfo("BENCH gui-stall baseline (3 s, no stop): %d ticks, max lateness %.1f ms, p99 %.1f ms",
              baseline.ticks(), baseline.maxLatenessMs(), baseline.percentileMs(99));
        qInfo("BENCH gui-stall PostgreSQL SIGSTOPped 10 s (MainWindow, 2 targets at 200 ms): %d ticks, max "
              "lateness "
              "%.1f ms, p99 %.1f ms; gap recorded: %s; data again %lld ms after SIGCONT",
              heartbeat.ticks(), heartbeat.maxLatenessMs(), heartbeat.percentileMs(99), gap ? "yes" : "no",
              recoveredAfterMs);
        QVERIFY(gap);
        QVERIFY(recovered);
        QVERIFY2(heartbeat.maxLatenessMs() <= 50.0, qPrintable(QString::number(heartbeat.maxLatenessMs())));
    }

    void sustain20TargetsAt10Hz_data()
    {
        QTest::addColumn<int>("postgresTargets");
        QTest::addColumn<int>("bouncerTargets");
        QTest::addRow("1 PostgreSQL (cost of one poll)") << 1 << 0;
        QTest::addRow("20 PostgreSQL") << 20 << 0;
        QTest::addRow("10 PostgreSQL + 10 PgBouncer") << 10 << 10;
    }
    void sustain20TargetsAt10Hz()
    {
        QFETCH(int, postgresTargets);
        QFETCH(int, bouncerTargets);
        constexpr int kIdleSessions = 1000;
        constexpr int kIntervalMs = 100;
        constexpr int kRunMs = 10000;
        if (!m_bigSandbox) {
            sandbox::SandboxOptions options;
            options.maxConnections = 1100;
            QString error;
            m_bigSandbox = test::startSandbox(&error, options);
            QVERIFY2(m_bigSandbox, qPrintable(error));
            QElapsedTimer opening;
            opening.start();
            QVERIFY2(m_idle.open(m_bigSandbox->uris().app, kIdleSessions, "bench-idle", {}, &error),
                     qPrintable(error));
            qInfo("BENCH sustain: opened %d idle sessions in %lld ms", m_idle.size(), opening.elapsed());
        }
        std::vector<std::unique_ptr<db::TargetController>> controllers;
        std::vector<int> samples(size_t(postgresTargets + bouncerTargets), 0);
        std::vector<int> failures(samples.size(), 0);
        std::vector<qint64> durationSum(samples.size(), 0);
        std::vector<qint64> durationMax(samples.size(), 0);
        bool counting = false;
        for (int i = 0; i < postgresTargets + bouncerTargets; ++i) {
            const QString uri =
                i < postgresTargets ? m_bigSandbox->uris().monitor : m_bigSandbox->uris().pgbouncerMonitor;
            auto c = std::make_unique<db::TargetController>(uri);
            c->setIntervalMs(kIntervalMs);
            db::TargetController *raw = c.get();
            connect(raw, &db::TargetController::snapshotReady, this, [&, raw, i](const TargetSnapshot &s) {
                if (!counting)
                    return;
                (s.ok ? samples : failures)[size_t(i)]++;
                durationSum[size_t(i)] += raw->lastSampleDurationMs();
                durationMax[size_t(i)] = std::max(durationMax[size_t(i)], raw->lastSampleDurationMs());
            });
            controllers.push_back(std::move(c));
        }
        for (auto &c : controllers)
            c->start();
        // Connected and past the first sample before the clock starts.
        QVERIFY(test::waitUntil(
            [&] {
                return std::all_of(controllers.cbegin(), controllers.cend(),
                                   [](const auto &c) { return c->state() == TargetState::Live; });
            },
            30000));
        test::Heartbeat heartbeat(kHeartbeatMs);
        heartbeat.start();
        const double cpuBefore = bench::threadCpuNs() / 1e6;
        counting = true;
        test::spin(kRunMs);
        counting = false;
        const double guiCpuMs = bench::threadCpuNs() / 1e6 - cpuBefore;
        heartbeat.stop();

        const double expected = double(kRunMs) / kIntervalMs;
        int behind = 0;
        double minRate = 1e9, maxRate = 0, sumRate = 0;
        QStringList perTarget;
        for (size_t i = 0; i < samples.size(); ++i) {
            const double rate = samples[i] * 1000.0 / kRunMs;
            minRate = std::min(minRate, rate);
            maxRate = std::max(maxRate, rate);
            sumRate += rate;
            if (samples[i] < 0.9 * expected)
                ++behind;
            const double meanMs =
                samples[i] + failures[i] > 0 ? double(durationSum[i]) / (samples[i] + failures[i]) : 0;
            perTarget.append(
                QStringLiteral("%1/%2ms/%3ms").arg(samples[i]).arg(meanMs, 0, 'f', 0).arg(durationMax[i]));
        }
        qInfo("BENCH sustain %s, %d idle sessions, %d ms interval, %d s: samples/s per target min %.1f mean "
              "%.1f "
              "max %.1f (expected %.1f); fell behind (< 90 %%): %d of %d; failed samples: %d; GUI heartbeat "
              "max "
              "%.1f ms p99 %.1f ms; GUI thread CPU %.0f ms",
              QTest::currentDataTag(), m_idle.size(), kIntervalMs, kRunMs / 1000, minRate,
              sumRate / samples.size(), maxRate, expected * 1000.0 / kRunMs, behind, int(samples.size()),
              int(std::accumulate(failures.cbegin(), failures.cend(), 0)), heartbeat.maxLatenessMs(),
              heartbeat.percentileMs(99), guiCpuMs);
        qInfo("BENCH sustain per target (samples/mean poll ms/max poll ms): %s",
              qPrintable(perTarget.join(QLatin1Char(' '))));
        for (const auto &c : controllers)
            QVERIFY2(c->state() == TargetState::Live, qPrintable(c->lastError()));
    }

    void cleanupTestCase()
    {
        m_idle.closeAll();
        m_bigSandbox.reset();
    }

private:
    std::unique_ptr<sandbox::Sandbox> m_bigSandbox;
    test::HeldSessions m_idle;
};

QTEST_MAIN(BenchStall)
#include "bench_stall.moc"
