// Benchmark (label bench): how long ending an incident's worth of idle-in-transaction sessions takes. Every
// pid is signalled first and the exits are awaited once for the batch, so the time should grow with the
// number of round trips (~1 ms each on loopback), not with PostgreSQL's ~100 ms exit poll per pid. Prints
// figures; the goal (< 2 s for 80 sessions) is reported, not asserted.
#include "core/auditlog.h"
#include "db/terminator.h"
#include "support/sandboxtestcase.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTest>

using namespace poolscope;

class BenchTerminate : public test::SandboxTestCase
{
    Q_OBJECT
private Q_SLOTS:
    void terminateEighty()
    {
        QTemporaryDir dir;
        audit::setFilePath(dir.filePath("audit.jsonl"));
        constexpr int kSessions = 80; // the sandbox allows 100 connections
        test::HeldSessions held;
        QString error;
        QVERIFY2(
            held.open(m_sandbox->uris().app, kSessions, "bench-terminate", {"BEGIN", "SELECT 1"}, &error),
            qPrintable(error));
        QTest::qWait(1200);
        terminate::Predicate p;
        p.application = "bench-terminate";
        p.olderThanS = 1;
        db::Terminator terminator(m_sandbox->uris().monitor);
        DbError e;
        QVERIFY(terminator.preview(p, &e)); // connect first: the figures are for the work itself

        QElapsedTimer t;
        t.start();
        const auto plan = terminator.preview(p, &e);
        const double previewMs = double(t.nsecsElapsed()) / 1e6;
        QVERIFY2(plan, qPrintable(e.message));
        QCOMPARE(plan->hits.size(), kSessions);
        t.restart();
        const terminate::Report r = terminator.execute(*plan, {});
        const double runMs = double(t.nsecsElapsed()) / 1e6;
        QCOMPARE(r.count(terminate::Outcome::Terminated), kSessions);
        qInfo("preview (fresh read + plan): %.1f ms", previewMs);
        qInfo("terminate %d sessions (signal each, confirm all exited): %.1f ms, %.2f ms per session",
              kSessions, runMs, runMs / kSessions);
        qInfo("goal < 2000 ms for %d sessions: %s", kSessions, runMs < 2000 ? "met" : "NOT met");
    }
};

QTEST_GUILESS_MAIN(BenchTerminate)
#include "bench_terminate.moc"
