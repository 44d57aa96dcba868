// RSS of 20 targets × 24 h of 1 s samples, recorded through recordSnapshot() the way the main window does:
// every target records a PostgreSQL sample (states, total, limit, TPS, rollbacks, session groups) and a
// two-pool PgBouncer sample, more series than a real target has, then gets a page showing 24 h.
// Reports VmRSS from /proc/self/status before and after; goal: at most 200 MB.
#include "benchsupport.h"
#include "core/recorder.h"
#include "core/sessionanalysis.h"
#include "core/timeseries.h"
#include "widgets/postgrespage.h"
#include "widgets/timechart.h"

#include <QElapsedTimer>
#include <QtTest>
#include <memory>
#include <vector>

using namespace poolscope;

namespace {

constexpr int Targets = 20;
constexpr int Day = 86400;
constexpr double T0 = 1'700'000'040;
constexpr double GoalMb = 200;

PostgresSample postgresSample()
{
    // 60 sessions: 6 applications, 3 users, 2 databases, 8 client addresses, every state.
    PostgresSample pg;
    pg.maxConnections = 200;
    pg.superuserReserved = 3;
    pg.rollbacksPerSecond = 0.5;
    const QStringList states = {QStringLiteral("active"), QStringLiteral("idle"),
                                QStringLiteral("idle in transaction"),
                                QStringLiteral("idle in transaction (aborted)")};
    for (int i = 0; i < 60; ++i) {
        Session s;
        s.pid = 1000 + i;
        s.applicationName = QStringLiteral("app%1").arg(i % 6);
        s.usename = QStringLiteral("user%1").arg(i % 3);
        s.datname = QStringLiteral("db%1").arg(i % 2);
        s.clientAddr = QStringLiteral("10.0.0.%1").arg(i % 8);
        s.backendType = QStringLiteral("client backend");
        s.state = states[i % states.size()];
        pg.sessions.append(s);
    }
    analysis::summarizeSessions(pg);
    return pg;
}

BouncerSample bouncerSample()
{
    BouncerSample b;
    for (const QString &db : {QStringLiteral("app"), QStringLiteral("reports")}) {
        PoolStats p;
        p.database = db;
        p.user = QStringLiteral("app");
        p.clActive = 10;
        p.clWaiting = 0;
        p.svActive = 5;
        p.svIdle = 3;
        p.svUsed = 1;
        p.svTested = 0;
        p.svLogin = 0;
        p.poolSize = 20;
        p.maxwaitSeconds = 0;
        b.pools.append(p);
    }
    return b;
}

} // namespace

class BenchHistoryMemory : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void twentyTargetsForADay()
    {
        qInfo("%s", bench::buildType());
        const double before = bench::rssMb();
        qInfo("RSS before: %.1f MB (Qt loaded, no history)", before);

        std::vector<std::unique_ptr<SeriesSet>> sets;
        for (int k = 0; k < Targets; ++k)
            sets.push_back(std::make_unique<SeriesSet>());
        TargetSnapshot snap;
        snap.ok = true;
        snap.postgres = postgresSample();
        snap.bouncer = bouncerSample();
        QElapsedTimer timer;
        timer.start();
        // The first ten minutes through recordSnapshot (every series it creates, with its real name), the
        // rest of the day appended directly to those series: the same history, without spending minutes in
        // the recorder's per-sample bookkeeping (bench_sample_cpu times that).
        constexpr int Recorded = 600;
        for (int i = 0; i < Recorded; ++i) {
            snap.sampledAtMs = qint64((T0 + i) * 1000);
            snap.tps = 100 + i % 50;
            snap.postgres->counts[SessionState::Active] = 10 + i % 7;
            for (auto &set : sets)
                recordSnapshot(*set, snap);
        }
        const QStringList names = sets.front()->names();
        for (auto &set : sets) {
            std::vector<TimeSeries *> series;
            for (const QString &name : names)
                series.push_back(&(*set)[name]);
            for (int i = Recorded; i < Day; ++i) {
                const double t = T0 + i;
                set->noteTime(t);
                for (size_t k = 0; k < series.size(); ++k) {
                    // Counts for most series, a rate for every fifth, a failed sample now and then.
                    if (i % 3600 == 7)
                        series[k]->appendGap(t);
                    else
                        series[k]->append(t, k % 5 == 0 ? 100.25 + (i % 50) * 0.37 : double((i + k) % 23));
                }
            }
        }
        const double fillS = double(timer.elapsed()) / 1000;
        std::size_t bytes = 0;
        for (const auto &set : sets)
            bytes += set->memoryBytes();
        const double afterFill = bench::rssMb();
        qInfo("filled %d targets × %d samples in %.1f s", Targets, Day, fillS);
        qInfo("series per target: %d (total %d); history bound %.0f kB per series", sets[0]->size(),
              sets[0]->size() * Targets, double(history::capacityBytes()) / 1000);
        qInfo("history rings hold %.1f MB", double(bytes) / 1e6);
        qInfo("RSS after 24 h of 20 targets: %.1f MB (+%.1f MB)", afterFill, afterFill - before);

        // Each target's page showing 24 h, as the main window would create them.
        std::vector<std::unique_ptr<widgets::PostgresPage>> pages;
        for (auto &set : sets) {
            auto page = std::make_unique<widgets::PostgresPage>(set.get());
            page->resize(1280, 760);
            page->setTimeRange(Day);
            for (widgets::TimeChart *c : page->charts())
                c->refreshNow();
            pages.push_back(std::move(page));
        }
        pages.front()->show();
        QVERIFY(QTest::qWaitForWindowExposed(pages.front().get()));
        const double afterPages = bench::rssMb();
        qInfo("RSS with 20 pages at 24 h: %.1f MB (+%.1f MB for the pages)", afterPages,
              afterPages - afterFill);
        QVERIFY2(afterPages <= GoalMb, "goal: 20 targets × 24 h within 200 MB RSS");
    }
};

QTEST_MAIN(BenchHistoryMemory)
#include "bench_history_memory.moc"
