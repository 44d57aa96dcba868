// The planner's queueing model against the load engine: an SQLAlchemy-style pool of 5 connections, requests
// arriving at random (Poisson) and holding a connection an exponentially distributed time (mean 20 ms), on a
// real PostgreSQL sandbox, at utilisations 0.5, 0.8 and 0.9. Prints the checkout wait the engine measured
// beside the M/M/c (Erlang C) prediction `poolscope plan` makes for the same numbers, and the same with a
// fixed hold (M/D/c), where Erlang C overestimates. A benchmark: it reports, it does not judge.
#include "core/erlang.h"
#include "load/loadtest.h"
#include "support/sandboxtestcase.h"

#include <cstdio>

using namespace poolscope;

namespace {

load::Scenario poolScenario(int servers, double rate, int holdMs, bool exponential, double durationS)
{
    const QByteArray json =
        QStringLiteral(R"({"name": "planner-validation", "duration_s": %1,
 "apps": [{"name": "web", "pool": {"kind": "queuepool", "pool_size": %2, "max_overflow": 0, "timeout": 30}}],
 "workloads": [{"name": "requests", "app": "web", "workers": 120, "rate": %3, "steps": [
   {"step": "checkout"}, {"step": "hold", "ms": %4%5}, {"step": "return"}]}]})")
            .arg(durationS)
            .arg(servers)
            .arg(rate)
            .arg(holdMs)
            .arg(exponential ? QStringLiteral(R"(, "distribution": "exponential")") : QString())
            .toUtf8();
    QString error;
    const auto s = load::scenarioFromJson(json, &error);
    if (!s)
        qFatal("validation scenario: %s", qPrintable(error));
    return *s;
}

} // namespace

class BenchPlanner : public test::SandboxTestCase
{
    Q_OBJECT

private Q_SLOTS:
    void predictedAgainstMeasured_data()
    {
        QTest::addColumn<double>("utilisation");
        QTest::addColumn<bool>("exponential");
        for (bool exp : {true, false}) {
            for (double rho : {0.5, 0.8, 0.9})
                QTest::addRow("%s hold, rho %.2f", exp ? "exponential" : "fixed", rho) << rho << exp;
        }
    }

    void predictedAgainstMeasured()
    {
        QFETCH(double, utilisation);
        QFETCH(bool, exponential);
        constexpr int kServers = 5;
        constexpr int kHoldMs = 20;
        const double rate = utilisation * kServers * 1000.0 / kHoldMs;
        const double durationS = qEnvironmentVariableIntValue("POOLSCOPE_BENCH_SECONDS") > 0
                                     ? qEnvironmentVariableIntValue("POOLSCOPE_BENCH_SECONDS")
                                     : 60;
        test::RunDriver driver(m_sandbox->uris().app,
                               poolScenario(kServers, rate, kHoldMs, exponential, durationS));
        QVERIFY2(driver.start(), qPrintable(driver.failure));
        QVERIFY(driver.waitFinished(int(durationS * 1000) + 30000));
        const load::Histogram &wait = driver.summary.totals.poolWait;
        const erlang::Queue predicted = erlang::mmc(kServers, rate, kHoldMs);
        const double measuredRate = double(wait.count()) / durationS;
        std::printf(
            "pool of %d, %.0f req/s (measured %.0f), %s hold %d ms, rho %.2f: predicted mean %.2f ms, "
            "p99 %.1f ms, P(wait) %.2f; measured mean %.2f ms, p99 %.1f ms over %llu checkouts\n",
            kServers, rate, measuredRate, exponential ? "exponential" : "fixed", kHoldMs, utilisation,
            *predicted.meanWaitMs, *predicted.p99WaitMs, predicted.pWait, wait.meanMs(),
            wait.percentileMs(99), static_cast<unsigned long long>(wait.count()));
        QVERIFY(wait.count() > 0);
    }
};

QTEST_GUILESS_MAIN(BenchPlanner)
#include "bench_planner.moc"
