// Fleet scale through Prometheus: 500 targets (250 PostgreSQL, 250 PgBouncer with 4 pools each) exported by
// one /metrics page, scraped by the sandbox's Prometheus every second, read back as targets. Prints what a
// scrape of the export costs, what a read-back costs (network + parsing, and parsing alone), and what a
// refresh of the fleet overview's model (500 samples into TargetListModel, sorted worst first, and into the
// findings engine) costs on the GUI thread. The figures are synthetic only in their values: the names,
// labels and series counts are the export's own.
#include "benchsupport.h"
#include "cli/fleetwatch.h"
#include "core/findingsengine.h"
#include "metrics/fleetexport.h"
#include "metrics/metricsserver.h"
#include "metrics/promdiscovery.h"
#include "metrics/prometheusclient.h"
#include "models/targetlistmodel.h"
#include "promfleetsupport.h"
#include "sandbox/serverprocess.h"
#include "support/prometheussupport.h"
#include "support/testsupport.h"

#include <QElapsedTimer>
#include <QScopeGuard>
#include <QSortFilterProxyModel>
#include <QTest>
#include <QThread>
#include <QTimer>
#include <cstdio>

using namespace poolscope;

using bench::kPromTargets;
constexpr int kTargets = kPromTargets;

class BenchPromFleet : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void fiveHundredTargets()
    {
        test::quietLogging();
        const int port = sandbox::freeLoopbackPort();
        sandbox::SandboxOptions o;
        o.withPgBouncer = false;
        o.withPrometheus = true;
        o.prometheusScrapeTargets = {QStringLiteral("127.0.0.1:%1").arg(port)};
        // A 2 s interval (and timeout): the scrape is answered on this thread, which also parses and
        // refreshes.
        o.prometheusScrapeIntervalMs = 2000;
        QString error;
        auto box = test::startSandbox(&error, o);
        QVERIFY2(box, qPrintable(error));

        const QList<metrics::TargetExport> fleet = bench::syntheticFleet();
        // The export: what one scrape costs PoolScope.
        std::vector<double> renderMs;
        QByteArray page;
        for (int i = 0; i < 10; ++i) {
            const qint64 t0 = bench::threadCpuNs();
            page = metrics::buildExposition(fleet).render(metrics::Format::OpenMetrics10);
            renderMs.push_back(double(bench::threadCpuNs() - t0) / 1e6);
        }
        const int samplesPerPage = int(page.count('\n') - page.count("\n#") - 1);
        std::printf("bench_promfleet: export render %.1f ms CPU (first of 10), page %.0f kB\n",
                    renderMs.front(), double(page.size()) / 1024.0);
        std::fflush(stdout);
        // The export answers on a thread of its own, as it would in another process (the `watch` next to the
        // poolers): the event-loop figures below are the reader's alone.
        QThread exporterThread;
        exporterThread.start();
        QObject anchor;
        anchor.moveToThread(&exporterThread);
        metrics::MetricsServer *server = nullptr;
        bool listening = false;
        QMetaObject::invokeMethod(
            &anchor,
            [&] {
                server = new metrics::MetricsServer([&fleet] { return metrics::buildExposition(fleet); });
                metrics::ListenAddress at;
                at.port = quint16(port);
                listening = server->listen(at, &error);
            },
            Qt::BlockingQueuedConnection);
        auto stopExporter = qScopeGuard([&] {
            QMetaObject::invokeMethod(
                &anchor, [&] { delete server; }, Qt::BlockingQueuedConnection);
            exporterThread.quit();
            exporterThread.wait();
        });
        QVERIFY2(listening, qPrintable(error));

        const QString prometheus = box->uris().prometheus;
        std::optional<QList<test::PromSeries>> count;
        QTRY_VERIFY_WITH_TIMEOUT(
            (count = test::promQuery(prometheus, QStringLiteral("count(poolscope_target_up)"), &error),
             count && !count->isEmpty() && int(count->first().value) == kTargets),
            60000);

        // Read back over HTTP: two instant queries, parsing, discovery.
        const auto endpoint =
            metrics::parsePrometheusTarget(QStringLiteral("prometheus+") + prometheus, &error);
        QVERIFY(endpoint);
        std::vector<double> readMs;
        metrics::FleetRead read;
        for (int i = 0; i < 5; ++i) {
            read = metrics::readFleet(*endpoint);
            QVERIFY2(read.ok, qPrintable(read.error));
            readMs.push_back(double(read.elapsedMs));
        }
        QCOMPARE(read.targets.size(), kTargets);
        for (const metrics::DiscoveredTarget &t : read.targets)
            QVERIFY2(t.snapshot.ok, qPrintable(t.snapshot.target + t.snapshot.error.message));

        // Parsing and discovery alone (what runs on the GUI thread when an answer arrives).
        const test::HttpResult raw =
            test::fetch(prometheus + QStringLiteral("/api/v1/query?query=") +
                        QString::fromLatin1(QUrl::toPercentEncoding(metrics::currentSeriesQuery())));
        QCOMPARE(raw.status, 200);
        std::vector<double> parseMs;
        for (int i = 0; i < 5; ++i) {
            const qint64 t0 = bench::threadCpuNs();
            const auto series = metrics::parseInstantVector(raw.body, &error);
            QVERIFY(series);
            const auto found = metrics::discoverTargets(*series, {}, 0);
            parseMs.push_back(double(bench::threadCpuNs() - t0) / 1e6);
            QCOMPARE(found.size(), kTargets);
        }

        // The fleet overview's refresh: every target's sample into the model (sorted worst first, as the
        // overview shows it) and into the findings engine.
        models::TargetListModel model;
        QSortFilterProxyModel sorted;
        sorted.setSourceModel(&model);
        sorted.setSortRole(models::TargetListModel::TroubleRole);
        sorted.setDynamicSortFilter(true);
        sorted.sort(0, Qt::DescendingOrder);
        findings::FindingsEngine engine;
        for (int i = 0; i < read.targets.size(); ++i)
            model.addTarget(i, read.targets.at(i).snapshot.target);
        std::vector<double> refreshMs;
        for (int round = 0; round < 10; ++round) {
            const qint64 t0 = bench::threadCpuNs();
            for (int i = 0; i < read.targets.size(); ++i) {
                TargetSnapshot s = read.targets.at(i).snapshot;
                s.sampledAtMs = 1765000000000 + round * 1000;
                model.setKind(i, s.kind);
                model.setState(i, TargetState::Live);
                model.setSample(i, s);
                engine.addSample(i, s.target, s);
                model.setFindings(i, engine.openFindingsOf(i));
            }
            refreshMs.push_back(double(bench::threadCpuNs() - t0) / 1e6);
        }

        // Interactive? `watch`/the overview reading this Prometheus every second, each sample into the model:
        // the longest the event loop was held (a 10 ms heartbeat's largest gap) over 8 s.
        cli::FleetWatch remote({QStringLiteral("prometheus+") + prometheus}, 1000, std::nullopt, {});
        models::TargetListModel live;
        QSortFilterProxyModel liveSorted;
        liveSorted.setSourceModel(&live);
        liveSorted.setSortRole(models::TargetListModel::TroubleRole);
        liveSorted.setDynamicSortFilter(true);
        liveSorted.sort(0, Qt::DescendingOrder);
        int liveSamples = 0;
        connect(&remote, &cli::FleetWatch::sampled, this, [&](int i, const TargetSnapshot &s) {
            live.addTarget(i, s.target);
            live.setKind(i, s.kind);
            live.setState(i, remote.state(i), remote.lastError(i));
            live.setSample(i, s);
            live.setFindings(i, remote.engine().openFindingsOf(i));
            ++liveSamples;
        });
        QElapsedTimer beat;
        qint64 worstGapMs = 0;
        QTimer heartbeat;
        heartbeat.setInterval(10);
        connect(&heartbeat, &QTimer::timeout, this,
                [&] { worstGapMs = std::max(worstGapMs, beat.restart()); });
        remote.start();
        beat.start();
        heartbeat.start();
        QTest::qWait(8000);
        heartbeat.stop();
        QVERIFY(liveSamples >= kTargets * 3);
        QCOMPARE(live.rowCount(), kTargets);

        const auto render = bench::stats(renderMs), readS = bench::stats(readMs),
                   parse = bench::stats(parseMs), refresh = bench::stats(refreshMs);
        std::printf("bench_promfleet: %d targets (250 PostgreSQL, 250 PgBouncer x 4 pools)\n", kTargets);
        std::printf(
            "  export: page %.0f kB, %d samples; render (OpenMetrics) mean %.1f ms, max %.1f ms CPU\n",
            double(page.size()) / 1024.0, samplesPerPage, render.mean, render.max);
        std::printf("  read back (2 instant queries + parse + discovery): mean %.0f ms, max %.0f ms wall; "
                    "answer %.0f kB\n",
                    readS.mean, readS.max, double(raw.body.size()) / 1024.0);
        std::printf("  parse + discovery alone: mean %.1f ms, max %.1f ms CPU\n", parse.mean, parse.max);
        std::printf("  fleet overview refresh (model + sort + findings, 500 samples): mean %.1f ms, max %.1f "
                    "ms CPU\n",
                    refresh.mean, refresh.max);
        std::printf(
            "  watch/overview reading it every 1 s for 8 s: %d samples, longest event-loop stall %lld ms\n",
            liveSamples, static_cast<long long>(worstGapMs));
        std::printf("  peak RSS %.0f MB\n", bench::peakRssMb());
    }
};

QTEST_MAIN(BenchPromFleet)
#include "bench_promfleet.moc"
