// The fleet overview with 500 targets read from Prometheus, in the real MainWindow (issue 17): a small HTTP
// server on a thread of its own answers /api/v1/query as a Prometheus that scraped PoolScope's export of 500
// targets would (250 PostgreSQL, 250 PgBouncer with 4 pools each; promfleetsupport.h), and the window reads
// it every second as a Prometheus target. Measures the time until the 500 targets are listed, the GUI
// thread's CPU per refresh (one read's 500 samples into the series, the pages, the fleet overview, the
// findings and the rolling recording), and the event loop's latency (the largest gaps of a 10 ms heartbeat)
// with the fleet overview shown, then with one target's page open, then while the table is scrolled.
#include "benchsupport.h"
#include "models/targetlistmodel.h"
#include "promfleetsupport.h"
#include "support/testsupport.h"
#include "widgets/fleetview.h"
#include "widgets/mainwindow.h"

#include <QAbstractItemModel>
#include <QApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QHttpServer>
#include <QHttpServerRequest>
#include <QHttpServerResponse>
#include <QScopeGuard>
#include <QScrollBar>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QTimer>
#include <QUrlQuery>
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>

using namespace poolscope;

namespace {

/// What a 10 ms heartbeat saw over a stretch of the event loop: the largest gaps between its ticks.
struct Latency
{
    qint64 worstMs = 0;
    qint64 p99Ms = 0;
    int ticks = 0;
};

/// Runs the event loop for `ms`, with `during` called every 100 ms (may be empty), and measures the
/// heartbeat's gaps and the GUI thread's CPU time.
Latency watchLoop(int ms, double *cpuMs, const std::function<void()> &during = {})
{
    std::vector<qint64> gaps;
    QElapsedTimer beat;
    QTimer heartbeat;
    heartbeat.setInterval(10);
    QObject::connect(&heartbeat, &QTimer::timeout, [&] { gaps.push_back(beat.restart()); });
    QTimer poke;
    poke.setInterval(100);
    if (during)
        QObject::connect(&poke, &QTimer::timeout, during);
    const qint64 cpu0 = bench::threadCpuNs();
    beat.start();
    heartbeat.start();
    if (during)
        poke.start();
    QTest::qWait(ms);
    heartbeat.stop();
    poke.stop();
    *cpuMs = double(bench::threadCpuNs() - cpu0) / 1e6;
    Latency l;
    l.ticks = int(gaps.size());
    if (gaps.empty())
        return l;
    std::sort(gaps.begin(), gaps.end());
    l.worstMs = gaps.back();
    l.p99Ms = gaps[size_t(double(gaps.size() - 1) * 0.99)];
    return l;
}

} // namespace

class BenchPromWindow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void fiveHundredTargetsInTheWindow()
    {
        QTemporaryDir home;
        qputenv("XDG_CONFIG_HOME", home.filePath(QStringLiteral("config")).toUtf8());
        qputenv("XDG_DATA_HOME", home.filePath(QStringLiteral("data")).toUtf8()); // the rolling recording
        test::quietLogging();

        // Two answers that differ in their figures, alternated: each read changes what the overview shows.
        const QString instance = QStringLiteral("10.0.0.9:9187");
        const double now = double(QDateTime::currentMSecsSinceEpoch()) / 1000.0;
        const QByteArray answers[2] = {
            bench::instantVectorJson(
                metrics::buildExposition(bench::syntheticFleet(0)).render(metrics::Format::Text004),
                QStringLiteral("poolscope"), instance, now),
            bench::instantVectorJson(
                metrics::buildExposition(bench::syntheticFleet(1)).render(metrics::Format::Text004),
                QStringLiteral("poolscope"), instance, now)};
        const QByteArray empty =
            "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}";

        // The "Prometheus" answers on a thread of its own: the event-loop figures below are the window's.
        std::atomic<int> reads{0};
        QThread serverThread;
        serverThread.start();
        QObject anchor;
        anchor.moveToThread(&serverThread);
        QHttpServer *server = nullptr;
        quint16 port = 0;
        QMetaObject::invokeMethod(
            &anchor,
            [&] {
                server = new QHttpServer;
                server->route(QStringLiteral("/api/v1/query"), [&](const QHttpServerRequest &request) {
                    const QString query =
                        QUrlQuery(request.url()).queryItemValue(QStringLiteral("query"), QUrl::FullyDecoded);
                    if (!query.startsWith(QLatin1String("{__name__")))
                        return QHttpServerResponse("application/json", empty); // the last hour's targets
                    const int n = reads.fetch_add(1);
                    return QHttpServerResponse("application/json", answers[n % 2]);
                });
                // A history read (a target's page opened) finds no past: an empty matrix.
                server->route(QStringLiteral("/api/v1/query_range"), [] {
                    return QHttpServerResponse(
                        "application/json",
                        QByteArray(
                            "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}}"));
                });
                port = server->listen(QHostAddress::LocalHost, 0);
            },
            Qt::BlockingQueuedConnection);
        auto stopServer = qScopeGuard([&] {
            QMetaObject::invokeMethod(
                &anchor, [&] { delete server; }, Qt::BlockingQueuedConnection);
            serverThread.quit();
            serverThread.wait();
        });
        QVERIFY(port > 0);
        std::printf("bench_promwindow: answer %.0f kB, %lld series\n", double(answers[0].size()) / 1024.0,
                    static_cast<long long>(answers[0].count("\"metric\"")));
        std::fflush(stdout);

        auto owned = std::make_unique<widgets::MainWindow>();
        widgets::MainWindow &window = *owned;
        window.resize(1280, 800);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));

        std::printf("bench_promwindow: %d targets read from Prometheus into the MainWindow (%s)\n",
                    bench::kPromTargets, bench::buildType());
        // Per refresh: the GUI thread's CPU over the stretch divided by the reads that arrived in it (each
        // read 500 samples), so it includes what the window does meanwhile anyway (painting, its timers).
        auto line = [](const char *what, const Latency &l, double cpuMs, int n, int ms) {
            std::printf(
                "  %s: %d reads in %d s, GUI thread %.0f ms CPU per refresh (%.0f%% busy); event loop: "
                "longest gap %lld ms, 99th percentile %lld ms (10 ms heartbeat)\n",
                what, n, ms / 1000, n > 0 ? cpuMs / n : 0.0, 100.0 * cpuMs / ms,
                static_cast<long long>(l.worstMs), static_cast<long long>(l.p99Ms));
            std::fflush(stdout);
        };

        // The first read: 500 targets listed (their rows, pages and series created).
        QElapsedTimer firstRead;
        firstRead.start();
        const qint64 cpu0 = bench::threadCpuNs();
        QCOMPARE(window.addPrometheus(QStringLiteral("prometheus+http://127.0.0.1:%1").arg(port), 1000), 0);
        QTRY_VERIFY_WITH_TIMEOUT(window.targetCount() == bench::kPromTargets, 180000);
        const qint64 listedMs = firstRead.elapsed();
        const double listedCpuMs = double(bench::threadCpuNs() - cpu0) / 1e6;
        std::printf("  listed: all %d targets %lld ms after adding the Prometheus (GUI thread %.0f ms CPU)\n",
                    bench::kPromTargets, static_cast<long long>(listedMs), listedCpuMs);
        std::fflush(stdout);
        window.showFleet();
        const QAbstractItemModel *fleet = window.fleetView()->table()->model();
        QCOMPARE(fleet->rowCount(), bench::kPromTargets);

        // Steady state, fleet overview shown: a read a second, each one 500 samples.
        QTest::qWait(2000);
        double cpuMs = 0;
        int readsBefore = reads.load();
        const Latency onFleet = watchLoop(10000, &cpuMs);
        line("fleet overview shown", onFleet, cpuMs, reads.load() - readsBefore, 10000);
        QVERIFY(reads.load() > readsBefore);
        // Worst first.
        QVERIFY(fleet->index(0, 0).data(models::TargetListModel::TroubleRole).toDouble() >=
                fleet->index(fleet->rowCount() - 1, 0).data(models::TargetListModel::TroubleRole).toDouble());

        // Scrolling the overview while reads arrive: a page down every 100 ms.
        QTableView *table = window.fleetView()->table();
        table->setFocus();
        readsBefore = reads.load();
        bool down = true;
        const Latency scrolling = watchLoop(5000, &cpuMs, [&] {
            QScrollBar *bar = table->verticalScrollBar();
            if (bar->value() >= bar->maximum())
                down = false;
            else if (bar->value() <= bar->minimum())
                down = true;
            QTest::keyClick(table, down ? Qt::Key_PageDown : Qt::Key_PageUp);
        });
        line("fleet overview scrolled (PageDown/PageUp every 100 ms)", scrolling, cpuMs,
             reads.load() - readsBefore, 5000);

        // One target's page open (its charts drawn every read) while the 499 others keep coming.
        window.selectTarget(1);
        QTest::qWait(2000);
        readsBefore = reads.load();
        const Latency onPage = watchLoop(8000, &cpuMs);
        line("one target's page shown", onPage, cpuMs, reads.load() - readsBefore, 8000);
        std::printf("  RSS %.0f MB (peak %.0f MB)\n", bench::rssMb(), bench::peakRssMb());
        // Closing: README promises 2 s whatever the servers do.
        QElapsedTimer closing;
        closing.start();
        owned.reset();
        std::printf("  closing the window: %lld ms\n", static_cast<long long>(closing.elapsed()));
        std::fflush(stdout);
    }
};

QTEST_MAIN(BenchPromWindow)
#include "bench_promwindow.moc"
