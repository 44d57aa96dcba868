// Benchmark (label bench): what a KILL + RESUME costs on the sandbox PgBouncer while clients hold
// transactions through it: the whole action (its own console connection, the inspection SHOW set, KILL,
// RESUME), the statements alone (how long the database is paused), and how long until a new client is
// served again. Prints figures; nothing is asserted about time.
#include "actionsupport.h"
#include "core/auditlog.h"
#include "db/pooleraction.h"
#include "support/sandboxtestcase.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTest>
#include <algorithm>

using namespace poolscope;

namespace {

double median(QList<double> v)
{
    std::sort(v.begin(), v.end());
    return v.isEmpty() ? 0 : v.at(v.size() / 2);
}

} // namespace

class BenchPoolerAction : public test::SandboxTestCase
{
    Q_OBJECT
private Q_SLOTS:
    void killAndResume()
    {
        QTemporaryDir dir;
        const QString auditPath = dir.filePath("audit.jsonl");
        audit::setFilePath(auditPath);
        constexpr int kRounds = 15;
        constexpr int kHeld = 8; // below the sandbox pool_size (10): none of them waits
        QList<double> total, statements, served;
        for (int round = 0; round < kRounds; ++round) {
            test::HeldSessions held;
            QString error;
            QVERIFY2(held.open(m_sandbox->uris().pgbouncerApp, kHeld, "bench-pooler", {"BEGIN", "SELECT 1"},
                               &error),
                     qPrintable(error));
            QElapsedTimer t;
            t.start();
            const auto r =
                db::runPoolerAction(m_sandbox->uris().pgbouncerConsole, PoolerCommand::Kill, "app");
            total.append(double(t.nsecsElapsed()) / 1e6);
            QVERIFY2(r.ok, qPrintable(r.message));
            // A new client through PgBouncer: connect + SELECT 1.
            DbError e;
            db::PgConn fresh = db::connect(db::parseConnInfo(m_sandbox->uris().pgbouncerApp),
                                           db::ConnectOptions{"bench"}, &e);
            QVERIFY2(fresh, qPrintable(e.message));
            QCOMPARE(test::queryError(fresh.get()), QString());
            served.append(double(t.nsecsElapsed()) / 1e6);
            statements.append(test::auditLines(auditPath).last()["took_ms"].toDouble());
            for (int i = 0; i < kHeld; ++i)
                QVERIFY(!test::queryError(held.at(i)).isEmpty());
        }
        qInfo("KILL app + RESUME app with %d clients in transactions, %d rounds:", kHeld, kRounds);
        qInfo("  whole action (connect, SHOW set, KILL, RESUME): median %.1f ms, max %.1f ms", median(total),
              *std::max_element(total.cbegin(), total.cend()));
        qInfo("  KILL + RESUME statements (database paused): median %.2f ms, max %.2f ms", median(statements),
              *std::max_element(statements.cbegin(), statements.cend()));
        qInfo("  until a new client ran SELECT 1 (action + connect + query): median %.1f ms, max %.1f ms",
              median(served), *std::max_element(served.cbegin(), served.cend()));
    }
};

QTEST_GUILESS_MAIN(BenchPoolerAction)
#include "bench_pooleraction.moc"
