// Benchmarks of the load engine (label `bench`, not part of the default test run):
//  - `poolscope load --scenario select1 --clients 16 --duration 10s` against `pgbench -n -f select1.sql -c 16
//  -j 2
//    -T 10` on the same sandbox, alternated (3 rounds each by default). Goal: TPS ratio (median) >= 1.0.
//  - 5,000 simulated clients held through PgBouncer (max_client_conn raised) for 30 s, each running SELECT 1
//    every 1-3 s: time to connect them all, the engine's memory and CPU (this process), PgBouncer's CPU.
// Run: ctest --preset bench -R bench_load -V   (or build/<preset>/tests/load/bench_load directly)
// POOLSCOPE_BENCH_ROUNDS, POOLSCOPE_BENCH_SECONDS and POOLSCOPE_BENCH_CLIENTS shorten or change the runs.
#include "bench/benchsupport.h"
#include "loadtest.h"
#include "support/testsupport.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <algorithm>
#include <ctime>
#include <unistd.h>

using namespace poolscope;

namespace {

int envInt(const char *name, int fallback)
{
    bool ok = false;
    const int v = qEnvironmentVariableIntValue(name, &ok);
    return ok && v > 0 ? v : fallback;
}

double median(std::vector<double> v)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double processCpuS()
{
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

/// utime + stime of another process, in seconds (0 when unreadable).
double otherCpuS(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    const QByteArray stat = f.readAll();
    const QList<QByteArray> fields = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
    if (fields.size() < 13)
        return 0;
    return (fields.at(11).toDouble() + fields.at(12).toDouble()) / double(sysconf(_SC_CLK_TCK));
}

} // namespace

class BenchLoad : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void select1AgainstPgbench()
    {
        const int rounds = envInt("POOLSCOPE_BENCH_ROUNDS", 3);
        const int seconds = envInt("POOLSCOPE_BENCH_SECONDS", 10);
        QString error;
        auto sandbox = test::startSandbox(&error);
        QVERIFY2(sandbox, qPrintable(error));
        const QString pgbench = sandbox::Sandbox::findPostgresBinary(QStringLiteral("pgbench"));
        QVERIFY2(!pgbench.isEmpty(), "pgbench not found");
        QTemporaryDir dir;
        QFile script(dir.filePath("select1.sql"));
        QVERIFY(script.open(QIODevice::WriteOnly));
        script.write("SELECT 1;\n");
        script.close();

        std::vector<double> ours, theirs;
        for (int round = 1; round <= rounds; ++round) {
            const auto r =
                test::runPoolscope({"load", sandbox->uris().app, "--scenario", "select1", "--clients", "16",
                                    "--duration", QString::number(seconds) + "s", "--json", "--quiet"},
                                   (seconds + 30) * 1000);
            QVERIFY2(r.exitCode == 0, r.err.constData());
            const QJsonObject o = QJsonDocument::fromJson(r.out).object();
            ours.push_back(o["tps"].toDouble());

            QProcess p;
            p.start(pgbench, {"-n", "-f", script.fileName(), "-c", "16", "-j", "2", "-T",
                              QString::number(seconds), sandbox->uris().app});
            QVERIFY(p.waitForFinished((seconds + 30) * 1000));
            const QString out = QString::fromUtf8(p.readAllStandardOutput());
            const QRegularExpressionMatch m =
                QRegularExpression(QStringLiteral("tps = ([0-9.]+) \\(without initial connection time\\)"))
                    .match(out);
            QVERIFY2(m.hasMatch(), qPrintable(out + QString::fromUtf8(p.readAllStandardError())));
            theirs.push_back(m.captured(1).toDouble());
            qInfo("round %d: poolscope load %.0f tps (errors %d), pgbench %.0f tps", round, ours.back(),
                  o["failed"].toInt(), theirs.back());
        }
        const double ratio = median(ours) / median(theirs);
        qInfo("select1, 16 clients, %d s x %d rounds (%s): poolscope load median %.0f tps, pgbench -j 2 "
              "median %.0f "
              "tps, ratio %.3f. Goal >= 1.0: %s",
              seconds, rounds, bench::buildType(), median(ours), median(theirs), ratio,
              ratio >= 1.0 ? "met" : "NOT met");
        QVERIFY(median(ours) > 0 && median(theirs) > 0);
    }

    void fiveThousandClientsThroughPgBouncer()
    {
        const int clients = envInt("POOLSCOPE_BENCH_CLIENTS", 5000);
        const int seconds = envInt("POOLSCOPE_BENCH_SECONDS", 30);
        sandbox::SandboxOptions so;
        so.maxClientConn = clients + 100;
        QString error;
        auto sandbox = test::startSandbox(&error, so);
        QVERIFY2(sandbox, qPrintable(error));
        auto scenario = load::scenarioFromJson(QByteArray(R"json({"name":"held","apps":[{"name":"held"}],
              "workloads":[{"workers":1,"phases":[{"at_s":0,"workers":0},{"at_s":0,"workers":1,"ramp_s":1}],
                            "steps":[{"step":"query","sql":"SELECT 1"},
                                                {"step":"think","ms":2000,"jitter_ms":1000}]}]})json"),
                                               &error);
        QVERIFY2(scenario, qPrintable(error));
        load::Overrides o;
        o.clients = clients;
        o.durationS = 600; // connecting takes what it takes (SCRAM on both sides); then `seconds` held
        load::Scenario held = load::applyOverrides(*scenario, o);
        // Clients join over a minute (for 5,000): all at once, PgBouncer's single thread would take longer
        // than a connect timeout to authenticate the last of them.
        const double rampS = std::max(5.0, clients / 80.0);
        held.workloads.first().phases.last().rampS = rampS;
        const double rssBefore = bench::rssMb();
        const double cpuBefore = processCpuS();
        const double bouncerBefore = otherCpuS(sandbox->bouncerPid());
        test::RunDriver driver(sandbox->uris().pgbouncerApp, held);
        QElapsedTimer t;
        t.start();
        QVERIFY2(driver.start(), qPrintable(driver.failure));
        qint64 allConnectedMs = -1;
        double cpuAtAll = 0;
        double bouncerAtAll = 0;
        quint64 transactionsAtAll = 0;
        double rssMax = 0;
        driver.watch(540000, 100, [&] {
            rssMax = std::max(rssMax, bench::rssMb());
            if (allConnectedMs < 0 && !driver.samples.isEmpty() &&
                driver.samples.last().connectionsOpen >= clients) {
                allConnectedMs = t.elapsed();
                cpuAtAll = processCpuS();
                bouncerAtAll = otherCpuS(sandbox->bouncerPid());
                transactionsAtAll = driver.samples.last().transactions;
            }
            return allConnectedMs < 0 || t.elapsed() < allConnectedMs + seconds * 1000;
        });
        QVERIFY2(allConnectedMs > 0, "never got every client connected");
        const double cpuHeld = processCpuS();
        const double bouncerHeld = otherCpuS(sandbox->bouncerPid());
        const int openAtStop = driver.samples.last().connectionsOpen;
        QElapsedTimer stopTimer;
        stopTimer.start();
        driver.run->stop();
        QVERIFY2(driver.waitFinished(60000), qPrintable(driver.failure));
        const qint64 stopMs = stopTimer.elapsed();
        const double heldS = (t.elapsed() - stopMs - allConnectedMs) / 1000.0;
        const load::LoadSummary &s = driver.summary;
        qInfo("%d clients through PgBouncer (%s)", clients, bench::buildType());
        qInfo("  all connected after %.1f s, ramped over %.0f s (engine CPU %.1f s, PgBouncer CPU %.1f s: "
              "SCRAM on "
              "both sides)",
              allConnectedMs / 1000.0, rampS, cpuAtAll - cpuBefore, bouncerAtAll - bouncerBefore);
        qInfo("  held %.1f s: %llu transactions (%.0f/s); engine CPU %.2f s = %.1f %% of one core; PgBouncer "
              "CPU "
              "%.2f s",
              heldS, (unsigned long long)(s.totals.transactions - transactionsAtAll),
              double(s.totals.transactions - transactionsAtAll) / heldS, cpuHeld - cpuAtAll,
              100.0 * (cpuHeld - cpuAtAll) / heldS, bouncerHeld - bouncerAtAll);
        qInfo(
            "  memory: RSS %.0f MB before, %.0f MB at most (+%.0f MB, %.1f kB per client); peak RSS %.0f MB",
            rssBefore, rssMax, rssMax - rssBefore, (rssMax - rssBefore) * 1024.0 / clients,
            bench::peakRssMb());
        qInfo("  stop with %d open: finished after %lld ms", openAtStop, stopMs);
        qInfo("  errors %llu: %s", (unsigned long long)s.totals.errorTotal(),
              qPrintable(test::errorsText(s)));
        QCOMPARE(s.connectionsMax, clients);
        QCOMPARE(driver.samples.last().connectionsOpen, 0);
    }
};

QTEST_GUILESS_MAIN(BenchLoad)
#include "bench_load.moc"
