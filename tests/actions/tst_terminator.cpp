// Integration: the terminator against a real PostgreSQL 15 sandbox. Who a predicate hits (exactly the old
// sessions, never PoolScope's own or non-client backends), what the victims see, superuser sessions and
// missing privileges refused with a reason, cancel only where it does something, escalation, the pid-reuse
// and moved-on guards, read-only mode, auto-remediation, and one audit line per action.
#include "actionsupport.h"
#include "core/auditlog.h"
#include "core/readonly.h"
#include "db/autoremediator.h"
#include "db/sampler.h"
#include "db/terminator.h"
#include "support/sandboxtestcase.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <algorithm>

using namespace poolscope;
using terminate::Outcome;

namespace {

QList<qint64> pidsOf(const test::HeldSessions &held, int from, int count)
{
    QList<qint64> out;
    for (int i = from; i < from + count; ++i)
        out.append(PQbackendPID(held.at(i)));
    std::sort(out.begin(), out.end());
    return out;
}

QList<qint64> resultPids(const terminate::Report &r, Outcome outcome)
{
    QList<qint64> out;
    for (const auto &p : r.results) {
        if (p.outcome == outcome)
            out.append(p.row.pid);
    }
    std::sort(out.begin(), out.end());
    return out;
}

QString dump(const terminate::Report &r)
{
    QStringList lines{r.summary()};
    for (const auto &p : r.results)
        lines.append(QStringLiteral("%1 %2 %3 %4: %5")
                         .arg(p.row.pid)
                         .arg(p.row.applicationName, p.row.state.value_or("?"),
                              terminate::outcomeName(p.outcome), p.reason));
    return lines.join('\n');
}

terminate::Predicate idleInTx(const QString &app, double olderThanS)
{
    terminate::Predicate p;
    p.application = app;
    p.olderThanS = olderThanS;
    return p;
}

} // namespace

class TestTerminator : public test::SandboxTestCase
{
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_audit;

    QString superuser() const { return m_sandbox->uris().postgres; }

private Q_SLOTS:
    void init()
    {
        static int n = 0;
        m_audit = m_dir.filePath(QStringLiteral("audit-%1.jsonl").arg(++n));
        audit::setFilePath(m_audit);
        readonly::setReadOnly(false);
    }

    void fiveIdleInTransactionTwoOld()
    {
        test::HeldSessions held;
        QString error;
        QVERIFY2(held.open(m_sandbox->uris().app, 2, "tst-term-five", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        QTest::qWait(3000); // the first two are now > 2 s idle in transaction
        QVERIFY2(held.open(m_sandbox->uris().app, 3, "tst-term-five", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        const QList<qint64> old = pidsOf(held, 0, 2);
        const QList<qint64> young = pidsOf(held, 2, 3);

        db::Terminator terminator(m_sandbox->uris().monitor);
        db::Terminator::RunOptions dry;
        dry.dryRun = true;
        const terminate::Report preview = terminator.run(idleInTx("tst-term-five", 2), dry);
        QVERIFY2(preview.connected, qPrintable(preview.error.message));
        QVERIFY(preview.dryRun);
        QCOMPARE(preview.results.size(), 2);
        QCOMPARE(resultPids(preview, Outcome::WouldTerminate), old);
        for (const auto &r : preview.results) {
            QCOMPARE(r.row.usename, QString("app"));
            QCOMPARE(*r.row.state, QString("idle in transaction"));
            QVERIFY2(r.stateAgeS > 2.0, qPrintable(QString::number(r.stateAgeS)));
        }
        for (qint64 pid : old)
            QCOMPARE(test::stateOf(superuser(), pid).value_or("gone"), QString("idle in transaction"));

        const terminate::Report done = terminator.run(idleInTx("tst-term-five", 2), {});
        QVERIFY2(!done.hasProblems(), qPrintable(dump(done)));
        QCOMPARE(resultPids(done, Outcome::Terminated), old);
        QCOMPARE(done.results.size(), 2);
        for (qint64 pid : old)
            QVERIFY(!test::stateOf(superuser(), pid));
        for (qint64 pid : young)
            QCOMPARE(test::stateOf(superuser(), pid).value_or("gone"), QString("idle in transaction"));
        // The clients of the old two see the FATAL on their next query; the other three live on.
        for (int i = 0; i < 2; ++i) {
            const QString e = test::queryError(held.at(i));
            QVERIFY2(e.contains("terminating connection due to administrator command"), qPrintable(e));
        }
        for (int i = 2; i < 5; ++i)
            QCOMPARE(test::queryError(held.at(i), "SELECT 1"), QString());

        // One audit line per action: the dry run, then the real run, with the pids' details.
        const auto lines = test::auditLines(m_audit);
        QCOMPARE(lines.size(), 2);
        QCOMPARE(lines[0]["action"].toString(), QString("terminate"));
        QCOMPARE(lines[0]["dry_run"].toBool(), true);
        QCOMPARE(lines[0]["result"].toString(), QString("2 would terminate"));
        QCOMPARE(lines[1]["dry_run"].toBool(), false);
        QCOMPARE(lines[1]["result"].toString(), QString("2 terminated"));
        QCOMPARE(lines[1]["target"].toString(),
                 QString("monitor@127.0.0.1:%1/app").arg(m_sandbox->postgresPort()));
        const QJsonArray pids = lines[1]["pids"].toArray();
        QCOMPARE(pids.size(), 2);
        for (const QJsonValue &v : pids) {
            const QJsonObject p = v.toObject();
            QVERIFY(old.contains(p["pid"].toInteger()));
            QCOMPARE(p["application_name"].toString(), QString("tst-term-five"));
            QCOMPARE(p["usename"].toString(), QString("app"));
            QCOMPARE(p["state"].toString(), QString("idle in transaction"));
            QVERIFY(p["state_age_s"].toDouble() > 2.0);
            QCOMPARE(p["result"].toString(), QString("terminated"));
        }
        QVERIFY(!test::auditText(m_audit).isEmpty());
        QVERIFY(!test::auditText(m_audit).contains("passfile")); // the target is described, not the conninfo
    }

    void ownSessionsAndNonClientBackendsNeverCandidates()
    {
        test::HeldSessions held;
        QString error;
        // Another PoolScope's session, idle in transaction: protected like our own.
        QVERIFY2(held.open(m_sandbox->uris().app, 1, "poolscope", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        QVERIFY2(held.open(m_sandbox->uris().app, 1, "tst-term-own", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        // A parallel query: its workers are active non-client backends ("parallel worker").
        test::HeldSessions parallel;
        QVERIFY2(parallel.open(superuser(), 1, "tst-term-parallel",
                               {"SET force_parallel_mode = on", "SET max_parallel_workers_per_gather = 2"},
                               &error),
                 qPrintable(error));
        QVERIFY(PQsendQuery(parallel.at(0), "SELECT pg_sleep(4) FROM generate_series(1, 1)"));
        QTest::qWait(600);

        db::Terminator terminator(superuser());
        terminate::Predicate everything;
        everything.states = {"active", "idle", "idle in transaction", "idle in transaction (aborted)",
                             "fastpath function call"};
        everything.olderThanS = 0;
        everything.allowSuperuser = true;
        DbError e;
        const auto set = terminator.fetchCandidates(&e);
        QVERIFY2(set, qPrintable(e.message));
        const bool sawParallelWorker = std::any_of(set->rows.cbegin(), set->rows.cend(), [](const auto &c) {
            return c.backendType == "parallel worker" && c.state == QString("active");
        });
        QVERIFY2(sawParallelWorker, "force_parallel_mode did not start a parallel worker");
        QVERIFY(std::any_of(set->rows.cbegin(), set->rows.cend(),
                            [](const auto &c) { return c.backendType == "checkpointer"; }));

        const terminate::Plan plan = terminate::makePlan(*set, everything);
        // Another PoolScope's idle-in-transaction session is protected like this terminator's own connection.
        const qint64 otherPoolscope = PQbackendPID(held.at(0));
        QVERIFY(std::any_of(plan.excluded.cbegin(), plan.excluded.cend(), [&](const terminate::PlanEntry &x) {
            return x.row.pid == otherPoolscope && x.excluded == terminate::Exclusion::OwnConnection;
        }));
        QVERIFY(std::any_of(set->rows.cbegin(), set->rows.cend(), [](const auto &c) {
            return c.poolscope && c.state == QString("active"); // the terminator's own read
        }));
        QVERIFY(plan.excludedCount(terminate::Exclusion::NotClientBackend) >= 1);
        bool sawHeld = false;
        for (const auto &h : plan.hits) {
            QCOMPARE(h.row.backendType, QString("client backend"));
            QVERIFY(!h.row.poolscope);
            QVERIFY(h.row.applicationName != "poolscope");
            sawHeld |= h.row.pid == PQbackendPID(held.at(1));
        }
        QVERIFY(sawHeld);

        db::Terminator::RunOptions dry;
        dry.dryRun = true;
        const terminate::Report r = terminator.run(everything, dry);
        QVERIFY(r.connected);
        for (const auto &p : r.results) {
            QVERIFY(p.row.backendType == "client backend");
            QVERIFY(!p.row.poolscope);
        }
        QVERIFY(r.excludedSummary.contains("PoolScope connection"));
        QVERIFY(r.excludedSummary.contains("non-client backend"));
        // Per-row actions on them are refused too.
        const terminate::Report one = terminator.terminatePids({{otherPoolscope, {}}}, true);
        QCOMPARE(one.results.size(), 1);
        QCOMPARE(one.results[0].outcome, Outcome::Skipped);
        QCOMPARE(one.results[0].reason, QString("PoolScope's own connection"));
        QCOMPARE(test::stateOf(superuser(), otherPoolscope).value_or("gone"), QString("idle in transaction"));
        PQrequestCancel(parallel.at(0));
    }

    void superuserSessionRefusedForMonitor()
    {
        test::HeldSessions su;
        QString error;
        QVERIFY2(su.open(superuser(), 1, "tst-term-super", {"BEGIN", "SELECT 1"}, &error), qPrintable(error));
        QTest::qWait(1300);
        const qint64 pid = PQbackendPID(su.at(0));
        db::Terminator terminator(m_sandbox->uris().monitor);

        // Not allowed: the guard refuses, with the reason.
        const terminate::Report guarded = terminator.run(idleInTx("tst-term-super", 1), {});
        QCOMPARE(guarded.results.size(), 1);
        QCOMPARE(guarded.results[0].row.pid, pid);
        QCOMPARE(guarded.results[0].outcome, Outcome::PermissionDenied);
        QVERIFY2(guarded.results[0].reason.startsWith("superuser-owned session (postgres)"),
                 qPrintable(guarded.results[0].reason));
        QVERIFY(guarded.hasProblems());

        // Allowed: monitor has pg_signal_backend but is no superuser, so the server refuses (42501).
        auto allowed = idleInTx("tst-term-super", 1);
        allowed.allowSuperuser = true;
        const terminate::Report server = terminator.run(allowed, {});
        QCOMPARE(server.results.size(), 1);
        QCOMPARE(server.results[0].outcome, Outcome::PermissionDenied);
        QCOMPARE(
            server.results[0].reason,
            QString("superuser-owned session (postgres): only a superuser may terminate it, and monitor is "
                    "not one"));
        const terminate::Report row = terminator.terminatePids({{pid, {}}}, true);
        QCOMPARE(row.results[0].outcome, Outcome::PermissionDenied);
        const terminate::Report cancel =
            terminator.cancelPids({{pid, {}}}); // guarded before "nothing to cancel"
        QCOMPARE(cancel.results[0].outcome, Outcome::PermissionDenied);
        QVERIFY(cancel.results[0].reason.startsWith("superuser-owned session (postgres): not allowed"));
        QCOMPARE(test::queryError(su.at(0)), QString()); // still alive

        const auto lines = test::auditLines(m_audit);
        QCOMPARE(lines.size(), 4);
        QVERIFY(lines[1]["result"].toString().contains("1 permission denied"));
        QCOMPARE(lines[1]["pids"].toArray()[0].toObject()["reason"].toString(), server.results[0].reason);
    }

    void missingSignalBackendExplained()
    {
        // A role that sees every session (pg_read_all_stats) but may not signal other roles' sessions.
        test::HeldSessions setup;
        QString error;
        QVERIFY2(
            setup.open(superuser(), 1, "tst-term-setup",
                       {"CREATE ROLE tst_reader LOGIN PASSWORD 'tst-reader-pw' IN ROLE pg_read_all_stats",
                        "GRANT CONNECT ON DATABASE app TO tst_reader"},
                       &error),
            qPrintable(error));
        test::HeldSessions victim;
        QVERIFY2(victim.open(m_sandbox->uris().app, 1, "tst-term-victim", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        const QString reader = QStringLiteral("host=127.0.0.1 port=%1 dbname=app user=tst_reader "
                                              "password=tst-reader-pw")
                                   .arg(m_sandbox->postgresPort());
        db::Terminator terminator(reader);
        const terminate::Report r = terminator.terminatePids({{PQbackendPID(victim.at(0)), {}}});
        QCOMPARE(r.results.size(), 1);
        QCOMPARE(r.results[0].outcome, Outcome::PermissionDenied);
        QVERIFY2(r.results[0].reason.startsWith("pg_signal_backend missing: tst_reader may only terminate "
                                                "sessions of roles it is a member of"),
                 qPrintable(r.results[0].reason));
        QCOMPARE(test::queryError(victim.at(0)), QString());
        QVERIFY(test::auditText(m_audit).contains("pg_signal_backend missing"));
        QVERIFY(!test::auditText(m_audit).contains("tst-reader-pw"));
    }

    void cancelOnlyWhereItDoesSomething()
    {
        test::HeldSessions held;
        QString error;
        QVERIFY2(held.open(m_sandbox->uris().app, 2, "tst-term-cancel", {}, &error), qPrintable(error));
        QVERIFY2(test::queryError(held.at(1), "BEGIN").isEmpty(), "BEGIN failed");
        QVERIFY(PQsendQuery(held.at(0), "SELECT pg_sleep(30)"));
        QTest::qWait(300);
        db::Terminator terminator(m_sandbox->uris().monitor);
        const terminate::Report r = terminator.cancelPids(
            {{PQbackendPID(held.at(0)), {}}, {PQbackendPID(held.at(1)), {}}, {999999, {}}});
        QCOMPARE(r.action, QString("cancel"));
        QCOMPARE(r.results.size(), 3);
        QCOMPARE(r.results[0].outcome, Outcome::Cancelled);
        QCOMPARE(r.results[1].outcome, Outcome::Skipped);
        QVERIFY2(r.results[1].reason.startsWith("nothing to cancel: the session is idle in transaction"),
                 qPrintable(r.results[1].reason));
        QCOMPARE(r.results[2].outcome, Outcome::AlreadyGone);
        // The cancelled client gets 57014; its session lives on.
        QElapsedTimer t;
        t.start();
        PGresult *res = PQgetResult(held.at(0));
        QVERIFY(t.elapsed() < 10000);
        QVERIFY(res);
        QCOMPARE(QByteArray(PQresultErrorField(res, PG_DIAG_SQLSTATE)), QByteArray("57014"));
        PQclear(res);
        while ((res = PQgetResult(held.at(0))))
            PQclear(res);
        QCOMPARE(test::queryError(held.at(0)), QString());
        const auto lines = test::auditLines(m_audit);
        QCOMPARE(lines.size(), 1);
        QCOMPARE(lines[0]["action"].toString(), QString("cancel"));
        QCOMPARE(lines[0]["result"].toString(), QString("1 cancelled, 1 already gone, 1 skipped"));
    }

    void escalationCancelsFirst()
    {
        test::HeldSessions held;
        QString error;
        QVERIFY2(held.open(m_sandbox->uris().app, 2, "tst-term-escalate", {}, &error), qPrintable(error));
        // 0: a query inside a transaction block (after the cancel: aborted, so it gets terminated);
        // 1: an autocommit query (after the cancel: idle, so it is left alone).
        QVERIFY(test::queryError(held.at(0), "BEGIN").isEmpty());
        QVERIFY(PQsendQuery(held.at(0), "SELECT pg_sleep(60)"));
        QVERIFY(PQsendQuery(held.at(1), "SELECT pg_sleep(60)"));
        QTest::qWait(1300);
        terminate::Predicate p = idleInTx("tst-term-escalate", 1);
        p.states = {"active"};
        db::Terminator terminator(m_sandbox->uris().monitor);
        db::Terminator::RunOptions ro;
        ro.cancelActiveFirst = true;
        const terminate::Report r = terminator.run(p, ro);
        QVERIFY2(!r.hasProblems(), qPrintable(dump(r)));
        QCOMPARE(r.results.size(), 2);
        const qint64 inTx = PQbackendPID(held.at(0));
        for (const auto &res : r.results) {
            if (res.row.pid == inTx) {
                QCOMPARE(res.outcome, Outcome::Terminated);
                QCOMPARE(
                    res.reason,
                    QString("its query was cancelled first, but it stayed idle in transaction (aborted)"));
            } else {
                QCOMPARE(res.outcome, Outcome::Cancelled);
                QVERIFY2(res.reason.contains("idle now, so it was not terminated"), qPrintable(res.reason));
            }
        }
        QVERIFY(!test::stateOf(superuser(), inTx));
        QCOMPARE(test::stateOf(superuser(), PQbackendPID(held.at(1))).value_or("gone"), QString("idle"));
    }

    void guardsAgainstPidReuseAndMovedOnSessions()
    {
        test::HeldSessions held;
        QString error;
        QVERIFY2(held.open(m_sandbox->uris().app, 2, "tst-term-moved", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        QTest::qWait(1300);
        db::Terminator terminator(m_sandbox->uris().monitor);
        DbError e;
        const auto plan = terminator.preview(idleInTx("tst-term-moved", 1), &e);
        QVERIFY2(plan, qPrintable(e.message));
        QCOMPARE(plan->hits.size(), 2);
        // After the preview: one commits and starts another transaction (same pid, new state_change).
        const qint64 moved = PQbackendPID(held.at(0));
        QVERIFY(test::queryError(held.at(0), "COMMIT").isEmpty());
        QVERIFY(test::queryError(held.at(0), "BEGIN").isEmpty());
        QVERIFY(test::queryError(held.at(0), "SELECT 1").isEmpty());
        const terminate::Report r = terminator.execute(*plan, {});
        for (const auto &res : r.results) {
            if (res.row.pid == moved) {
                QCOMPARE(res.outcome, Outcome::Skipped);
                QVERIFY2(res.reason.startsWith("no longer matches what was previewed"),
                         qPrintable(res.reason));
            } else {
                QCOMPARE(res.outcome, Outcome::Terminated);
            }
        }
        QCOMPARE(test::queryError(held.at(0)), QString());

        // A per-row action naming the pid with another backend_start (a reused pid) touches nothing.
        const auto set = terminator.fetchCandidates(&e);
        QVERIFY(set);
        double start = 0;
        for (const auto &c : set->rows)
            if (c.pid == moved)
                start = *c.backendStart;
        QVERIFY(start > 0);
        const terminate::Report reused = terminator.terminatePids({{moved, start - 1.5}});
        QCOMPARE(reused.results[0].outcome, Outcome::AlreadyGone);
        QVERIFY(reused.results[0].reason.contains("newer session"));
        QCOMPARE(test::queryError(held.at(0)), QString());
        // The right backend_start (exact to the microsecond through a double) does hit it.
        const terminate::Report exact = terminator.terminatePids({{moved, start}});
        QCOMPARE(exact.results[0].outcome, Outcome::Terminated);

        // A plan read on another target is refused as a whole.
        terminate::Plan foreign = *plan;
        foreign.target = QStringLiteral("monitor@10.9.9.9:5432/app");
        const terminate::Report refused = terminator.execute(foreign, {});
        QVERIFY(refused.refused.startsWith("refused: the plan was read from another target"));
        QVERIFY(refused.results.isEmpty());
    }

    void readOnlyRefusesEveryAction()
    {
        test::HeldSessions held;
        QString error;
        QVERIFY2(held.open(m_sandbox->uris().app, 1, "tst-term-ro", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        QTest::qWait(1300);
        readonly::setReadOnly(true);
        db::Terminator terminator(m_sandbox->uris().monitor);
        const qint64 pid = PQbackendPID(held.at(0));
        const terminate::Report bulk = terminator.run(idleInTx("tst-term-ro", 1), {});
        QCOMPARE(bulk.refused, QString("refused: read-only"));
        QVERIFY(bulk.hasProblems());
        const terminate::Report one = terminator.terminatePids({{pid, {}}});
        QCOMPARE(one.refused, QString("refused: read-only"));
        const terminate::Report cancel = terminator.cancelPids({{pid, {}}});
        QCOMPARE(cancel.refused, QString("refused: read-only"));
        DbError e;
        const auto plan = terminator.preview(idleInTx("tst-term-ro", 1), &e); // previews stay allowed
        QVERIFY2(plan, qPrintable(e.message));
        QCOMPARE(plan->hits.size(), 1);
        const terminate::Report planned = terminator.execute(*plan, {});
        QCOMPARE(planned.refused, QString("refused: read-only"));
        QCOMPARE(planned.results.size(), 1);
        QCOMPARE(planned.results[0].outcome, Outcome::Refused);
        db::Terminator::RunOptions dry;
        dry.dryRun = true;
        const terminate::Report dryRun = terminator.run(idleInTx("tst-term-ro", 1), dry);
        QCOMPARE(dryRun.results.size(), 1);
        QCOMPARE(dryRun.results[0].outcome, Outcome::WouldTerminate);
        readonly::setReadOnly(false);

        QCOMPARE(test::stateOf(superuser(), pid).value_or("gone"), QString("idle in transaction"));
        const auto lines = test::auditLines(m_audit);
        QCOMPARE(lines.size(), 5); // four refusals and the dry run
        for (int i = 0; i < 4; ++i)
            QCOMPARE(lines[i]["result"].toString(), QString("refused: read-only"));
        QCOMPARE(lines[1]["requested_pids"].toArray()[0].toInteger(), pid);
        QCOMPARE(lines[2]["action"].toString(), QString("cancel"));
        QCOMPARE(lines[4]["result"].toString(), QString("1 would terminate"));
    }

    void autoRemediation()
    {
        test::HeldSessions held;
        QString error;
        QVERIFY2(held.open(m_sandbox->uris().app, 2, "tst-term-auto", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        QTest::qWait(1300);
        const QList<qint64> old = pidsOf(held, 0, 2);
        db::Sampler sampler(m_sandbox->uris().monitor);
        db::AutoRemediator remediator(m_sandbox->uris().monitor);
        autoremediation::Limits limits;
        limits.minIntervalMs = 0;
        limits.maxPerRun = 1;
        remediator.setLimits(limits);
        QSignalSpy ran(&remediator, &db::AutoRemediator::ran);

        // Off by default: a tick does nothing.
        remediator.onSnapshot(sampler.sample());
        QTest::qWait(200);
        QCOMPARE(ran.count(), 0);
        QVERIFY(remediator.bannerText().isEmpty());

        AutoRemediationConfig config;
        config.enabled = true;
        config.olderThanS = 1;
        config.application = "tst-term-auto";
        remediator.setConfig(config); // dry run by default
        QCOMPARE(remediator.bannerText(),
                 QString("Auto-remediation on: dry run: terminating idle in transaction > 1 s (application "
                         "tst-term-auto)"));
        remediator.onSnapshot(sampler.sample());
        QTRY_COMPARE_WITH_TIMEOUT(ran.count(), 1, 10000);
        auto report = ran.at(0).at(0).value<terminate::Report>();
        QVERIFY(report.dryRun);
        QCOMPARE(report.count(Outcome::WouldTerminate), 1); // one per run
        QCOMPARE(report.count(Outcome::Skipped), 1);        // the other: rate limit
        for (qint64 pid : old)
            QCOMPARE(test::stateOf(superuser(), pid).value_or("gone"), QString("idle in transaction"));

        config.dryRun = false;
        remediator.setConfig(config);
        remediator.onSnapshot(sampler.sample());
        QTRY_COMPARE_WITH_TIMEOUT(ran.count(), 2, 10000);
        report = ran.at(1).at(0).value<terminate::Report>();
        QCOMPARE(report.count(Outcome::Terminated), 1);
        QCOMPARE(report.results[1].reason, QString("rate limit: at most 1 terminations per run"));
        remediator.onSnapshot(sampler.sample());
        QTRY_COMPARE_WITH_TIMEOUT(ran.count(), 3, 10000);
        report = ran.at(2).at(0).value<terminate::Report>();
        QCOMPARE(report.count(Outcome::Terminated), 1);
        for (qint64 pid : old)
            QVERIFY(!test::stateOf(superuser(), pid));

        // The minimum interval holds further runs back.
        limits.minIntervalMs = 60000;
        remediator.setLimits(limits);
        QVERIFY2(held.open(m_sandbox->uris().app, 1, "tst-term-auto", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        QTest::qWait(1300);
        remediator.onSnapshot(sampler.sample());
        QTest::qWait(500);
        QCOMPARE(ran.count(), 3);
        QCOMPARE(test::stateOf(superuser(), PQbackendPID(held.at(2))).value_or("gone"),
                 QString("idle in transaction"));

        const auto lines = test::auditLines(m_audit);
        QCOMPARE(lines.size(), 3);
        for (const QJsonObject &l : lines) {
            QCOMPARE(l["mode"].toString(), QString("auto-remediation"));
            QCOMPARE(l["source"].toString(), QString("auto"));
        }
        QCOMPARE(lines[0]["dry_run"].toBool(), true);
        QCOMPARE(lines[2]["result"].toString(), QString("1 terminated"));
    }
};

QTEST_GUILESS_MAIN(TestTerminator)
#include "tst_terminator.moc"
