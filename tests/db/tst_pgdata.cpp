// Integration: what the sampler derives from pg_stat_activity and pg_stat_database on a real PostgreSQL 15
// sandbox: lock waits and root blockers, the xmin horizon holder, sessions by group, headroom, commits and
// rollbacks, and the sessions_killed delta after a pg_terminate_backend.
#include "core/snapshotjson.h"
#include "db/sampler.h"
#include "support/testsupport.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace poolscope;

namespace {

const Session *findPid(const PostgresSample &pg, qint64 pid)
{
    for (const Session &s : pg.sessions) {
        if (s.pid == pid)
            return &s;
    }
    return nullptr;
}

int groupSessions(const PostgresSample &pg, GroupDimension d, const QString &name)
{
    for (const SessionGroup &g : pg.groupsBy(d)) {
        if (g.name == name)
            return g.sessions();
    }
    return 0;
}

} // namespace

class TestPgData : public QObject
{
    Q_OBJECT
    std::unique_ptr<sandbox::Sandbox> m_sandbox;

    // A fresh sample, failing the test on error.
    static PostgresSample sampled(db::Sampler &sampler)
    {
        const TargetSnapshot s = sampler.sample();
        if (!s.ok || !s.postgres)
            qFatal("sample failed: %s", qPrintable(s.error.message));
        return *s.postgres;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QString error;
        m_sandbox = test::startSandbox(&error);
        QVERIFY2(m_sandbox, qPrintable(error));
        test::HeldSessions setup;
        QVERIFY2(setup.open(m_sandbox->uris().app, 1, "tst-pgdata-setup",
                            {"CREATE TABLE pgdata_lock (id int PRIMARY KEY, v int NOT NULL)",
                             "INSERT INTO pgdata_lock VALUES (1, 0)"},
                            &error),
                 qPrintable(error));
    }
    void cleanupTestCase() { m_sandbox.reset(); }

    void lockWaitRootBlockerAndXmin()
    {
        QString error;
        // A takes the row lock and sits idle in transaction; B blocks on the same row (sent asynchronously).
        test::HeldSessions a;
        QVERIFY2(a.open(m_sandbox->uris().app, 1, "tst-pgdata-holder",
                        {"BEGIN", "UPDATE pgdata_lock SET v = v + 1 WHERE id = 1"}, &error),
                 qPrintable(error));
        test::HeldSessions b;
        QVERIFY2(b.open(m_sandbox->uris().app, 1, "tst-pgdata-waiter", {}, &error), qPrintable(error));
        QVERIFY(PQsendQuery(b.at(0), "UPDATE pgdata_lock SET v = v + 1 WHERE id = 1"));
        const qint64 pidA = PQbackendPID(a.at(0));
        const qint64 pidB = PQbackendPID(b.at(0));

        db::Sampler sampler(m_sandbox->uris().monitor);
        PostgresSample pg;
        QTRY_VERIFY_WITH_TIMEOUT((pg = sampled(sampler)).lockWaiting >= 1, 5000);
        QCOMPARE(pg.lockWaiting, 1);
        const Session *waiter = findPid(pg, pidB);
        QVERIFY(waiter);
        QVERIFY(waiter->waitingOnLock());
        QCOMPARE(waiter->blockedBy, QList<qint64>{pidA});
        QCOMPARE(pg.rootBlockers, QList<qint64>{pidA});
        QCOMPARE(pg.blockedBehind(pidA), 1);
        const Session *holder = findPid(pg, pidA);
        QVERIFY(holder);
        QVERIFY(holder->blockedBy.isEmpty());
        QVERIFY(!holder->waitingOnLock());

        // A wrote and is idle in transaction (read committed): no snapshot, but its xid holds the horizon.
        QVERIFY(holder->backendXidAge.has_value());
        const Session *oldest = pg.oldestXminSession();
        QVERIFY(oldest);
        QCOMPARE(oldest->pid, pidA);
        QVERIFY(*oldest->horizonAge() >= 1);

        // The same through `snapshot --json`.
        const test::CliResult cli = test::runPoolscope({"snapshot", m_sandbox->uris().monitor, "--json"});
        QVERIFY2(cli.exitCode == 0, cli.err.constData());
        const QJsonObject o = QJsonDocument::fromJson(cli.out)["targets"].toArray().at(0).toObject();
        QCOMPARE(o["lock_waiting"].toInt(), 1);
        QCOMPARE(o["root_blockers"].toArray(), QJsonArray{double(pidA)});
        QCOMPARE(o["oldest_xmin_pid"].toInt(), int(pidA));
        QVERIFY(o["commits_per_s"].isNull()); // a single sample has no rate
        bool sawWaiter = false;
        for (const QJsonValue &v : o["sessions"].toObject()["list"].toArray()) {
            if (v.toObject()["pid"].toInteger() == pidB) {
                sawWaiter = true;
                QCOMPARE(v.toObject()["blocked_by"].toArray(), QJsonArray{double(pidA)});
            }
        }
        QVERIFY(sawWaiter);

        // Release: B's update goes through, nobody waits any more.
        DbError e;
        QVERIFY(db::exec(a.at(0), "ROLLBACK", &e));
        while (PGresult *r = PQgetResult(b.at(0)))
            PQclear(r);
        QTRY_COMPARE_WITH_TIMEOUT(sampled(sampler).lockWaiting, 0, 5000);
        QVERIFY(sampled(sampler).rootBlockers.isEmpty());
    }

    void groupsCountTheTestsApplication()
    {
        QString error;
        test::HeldSessions held;
        QVERIFY2(held.open(m_sandbox->uris().app, 3, "tst-pgdata-group", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        db::Sampler sampler(m_sandbox->uris().monitor);
        const PostgresSample pg = sampled(sampler);
        QCOMPARE(groupSessions(pg, GroupDimension::Application, "tst-pgdata-group"), 3);
        for (const SessionGroup &g : pg.groupsBy(GroupDimension::Application)) {
            if (g.name == QLatin1String("tst-pgdata-group"))
                QCOMPARE(g.counts[SessionState::IdleInTransaction], 3);
            QVERIFY2(g.name != QLatin1String("poolscope"), "the sampler must not count itself");
        }
        QVERIFY(groupSessions(pg, GroupDimension::User, "app") >= 3);
        QVERIFY(groupSessions(pg, GroupDimension::Database, "app") >= 3);
        QVERIFY(groupSessions(pg, GroupDimension::Client, "127.0.0.1") >= 3);
        // Groups are ranked: counts never increase down the list, and they add up to all sessions.
        int sum = 0;
        int previous = INT_MAX;
        for (const SessionGroup &g : pg.groupsBy(GroupDimension::Application)) {
            QVERIFY(g.sessions() <= previous);
            previous = g.sessions();
            sum += g.sessions();
        }
        QCOMPARE(sum, pg.counts.total());
    }

    void headroomIsUsableMinusClientBackends()
    {
        QString error;
        test::HeldSessions su;
        QVERIFY2(su.open(m_sandbox->uris().postgres, 1, "tst-pgdata-count", {}, &error), qPrintable(error));
        test::HeldSessions extra;
        QVERIFY2(extra.open(m_sandbox->uris().app, 2, "tst-pgdata-extra", {}, &error), qPrintable(error));
        db::Sampler sampler(m_sandbox->uris().monitor);
        const PostgresSample pg = sampled(sampler);
        DbError e;
        db::PgResult r = db::exec(
            su.at(0), "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'", &e);
        QVERIFY2(r, qPrintable(e.message));
        const int clientBackends = QByteArray(PQgetvalue(r.get(), 0, 0)).toInt();
        QVERIFY(pg.poolscopeSessions >= 1); // the sampler's own connection takes a slot too
        QCOMPARE(pg.clientBackends(), clientBackends);
        QVERIFY(pg.usableConnections().has_value());
        QCOMPARE(pg.headroom(), std::optional<int>(*pg.usableConnections() - clientBackends));
        QCOMPARE(*pg.usableConnections(), 97); // the sandbox: 100 - 3 superuser-reserved
    }

    void commitsAndRollbacksPerSecond()
    {
        db::Sampler sampler(m_sandbox->uris().monitor);
        const PostgresSample first = sampled(sampler);
        QVERIFY(!first.commitsPerSecond && !first.rollbacksPerSecond); // no rate from one sample
        test::HeldSessions worker;
        QString error;
        QVERIFY2(worker.open(m_sandbox->uris().app, 1, "tst-pgdata-rollbacks", {}, &error),
                 qPrintable(error));
        // Rates average over a window long enough for PostgreSQL 15's late counters (10 s): keep the worker
        // busy past it, sampling every second. Each transaction reads a table, so it is published within a
        // second.
        QElapsedTimer busy;
        busy.start();
        int done = 0;
        qint64 next = 1000;
        PostgresSample pg;
        while (busy.elapsed() < 11500) {
            DbError e;
            QVERIFY(db::exec(worker.at(0), "BEGIN", &e));
            QVERIFY(db::exec(worker.at(0), "SELECT count(*) FROM pg_database", &e));
            QVERIFY(db::exec(worker.at(0), "ROLLBACK", &e));
            ++done;
            if (busy.elapsed() >= next) {
                next += 1000;
                pg = sampled(sampler);
            }
        }
        QVERIFY(done > 100);
        QVERIFY(pg.rollbacksPerSecond.has_value());
        QVERIFY2(*pg.rollbacksPerSecond > 20, qPrintable(QString::number(*pg.rollbacksPerSecond)));
        QVERIFY(pg.commitsPerSecond.has_value());
        // The worker only rolled back, and our own polls are subtracted: commits stay near zero.
        QVERIFY2(*pg.commitsPerSecond < 5, qPrintable(QString::number(*pg.commitsPerSecond)));
        // PG 15: the session counters are known, their first delta too (second sample).
        QVERIFY(pg.sessionsKilled.has_value() && pg.sessionsKilledDelta.has_value());
    }

    void sessionsKilledDeltaAfterTerminate()
    {
        QString error;
        test::HeldSessions victim;
        QVERIFY2(victim.open(m_sandbox->uris().app, 1, "tst-pgdata-victim", {"SELECT 1"}, &error),
                 qPrintable(error));
        test::HeldSessions su;
        QVERIFY2(su.open(m_sandbox->uris().postgres, 1, "tst-pgdata-killer", {}, &error), qPrintable(error));
        db::Sampler sampler(m_sandbox->uris().monitor);
        const PostgresSample before = sampled(sampler);
        QVERIFY(before.sessionsKilled.has_value());
        QVERIFY(!before.sessionsKilledDelta.has_value()); // the first sample has no delta: unknown, not 0

        const QByteArray pid = QByteArray::number(PQbackendPID(victim.at(0)));
        const char *params[] = {pid.constData()};
        db::PgResult r(PQexecParams(su.at(0), "SELECT pg_terminate_backend($1::int)", 1, nullptr, params,
                                    nullptr, nullptr, 0));
        QCOMPARE(PQresultStatus(r.get()), PGRES_TUPLES_OK);
        QCOMPARE(QByteArray(PQgetvalue(r.get(), 0, 0)), QByteArray("t"));

        // The victim's backend reports its end as it exits; allow for the statistics to arrive late.
        qint64 killed = 0;
        QElapsedTimer waited;
        waited.start();
        while (killed < 1 && waited.elapsed() < 12000) {
            const PostgresSample pg = sampled(sampler);
            QVERIFY(pg.sessionsKilledDelta.has_value());
            killed += *pg.sessionsKilledDelta;
            if (killed < 1)
                QTest::qWait(300);
        }
        QVERIFY2(killed >= 1, qPrintable(QStringLiteral("no kill seen in %1 ms").arg(waited.elapsed())));
    }
};

QTEST_GUILESS_MAIN(TestPgData)
#include "tst_pgdata.moc"
