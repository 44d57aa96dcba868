// Integration: act on a finding and confirm recovery, on a real PostgreSQL 15 sandbox. An application leaks
// three sessions idle in transaction; the findings engine names the leak with exactly those three as the
// holders; the finding's action, run through the Terminator (the path the GUI takes: guarded per pid by
// backend_start, audited) ends exactly them and nobody else; the finding then turns "recovered".
#include "actionsupport.h"
#include "core/auditlog.h"
#include "core/findingsengine.h"
#include "db/sampler.h"
#include "db/terminator.h"
#include "support/sandboxtestcase.h"

#include <QDateTime>
#include <QJsonArray>
#include <QTemporaryDir>
#include <algorithm>

using namespace poolscope;

class TestFindingAction : public test::SandboxTestCase
{
    Q_OBJECT

    QList<qint64> pidsOf(const test::HeldSessions &held)
    {
        QList<qint64> out;
        for (int i = 0; i < held.size(); ++i)
            out.append(PQbackendPID(held.at(i)));
        std::sort(out.begin(), out.end());
        return out;
    }

private Q_SLOTS:
    void leakFindingActedOnRecovers()
    {
        QTemporaryDir dir;
        audit::setFilePath(dir.filePath("audit.jsonl"));
        const QString app = m_sandbox->uris().app;
        QString error;
        test::HeldSessions leaked, idleSameApp, bystander;
        QVERIFY2(leaked.open(app, 3, "leaky", {"BEGIN", "SELECT 1"}, &error), qPrintable(error));
        QVERIFY2(idleSameApp.open(app, 2, "leaky", {"SELECT 1"}, &error), qPrintable(error));
        // One short-lived idle-in-transaction session of another application: not a leak, never touched.
        QVERIFY2(bystander.open(app, 1, "bystander", {"BEGIN", "SELECT 1"}, &error), qPrintable(error));

        findings::Thresholds t;
        t.leakMinAgeS = 1; // named after a second instead of five: the same rule, a faster test
        findings::FindingsEngine engine(t);
        db::Sampler sampler(m_sandbox->uris().monitor);
        TargetSnapshot last;
        auto sampleOnce = [&] {
            last = sampler.sample();
            QVERIFY2(last.ok, qPrintable(last.error.message));
            engine.addSample(1, last.target, last);
        };
        std::optional<findings::Finding> leak;
        for (int i = 0; i < 20 && !leak; ++i) {
            QTest::qWait(500);
            sampleOnce();
            for (const findings::Finding &f : engine.openFindings()) {
                if (f.rule == findings::rule::IdleInTransactionLeak)
                    leak = f;
            }
        }
        QVERIFY2(leak, "no idle-in-transaction-leak finding within 10 s");
        QCOMPARE(leak->subject, QString("leaky"));
        QList<qint64> holders = leak->action.pids;
        std::sort(holders.begin(), holders.end());
        QCOMPARE(holders, pidsOf(leaked)); // exactly the three, not the idle ones, not the bystander
        QCOMPARE(leak->action.kind, findings::Action::Kind::Terminate);

        // The action, as the window runs it.
        QList<db::PidRef> refs;
        for (qint64 pid : leak->action.pids)
            refs.append({pid, last.postgres->session(pid)->backendStart});
        db::Terminator terminator(m_sandbox->uris().monitor);
        const terminate::Report report = terminator.terminatePids(refs);
        QCOMPARE(report.count(terminate::Outcome::Terminated), 3);
        QVERIFY(engine.noteAction(leak->id, QDateTime::currentMSecsSinceEpoch(), report.summary()));
        engine.noteTerminated(1, QDateTime::currentMSecsSinceEpoch(), 3); // as the window does
        QCOMPARE(engine.finding(leak->id)->status, findings::Status::ActionTaken);

        for (int i = 0; i < 20 && engine.finding(leak->id)->isOpen(); ++i) {
            QTest::qWait(500);
            sampleOnce();
        }
        const findings::Finding after = *engine.finding(leak->id);
        QCOMPARE(after.status, findings::Status::Recovered);
        QCOMPARE(after.actionTaken, report.summary());

        // Exactly the holders are gone.
        for (qint64 pid : pidsOf(leaked))
            QVERIFY(!test::stateOf(m_sandbox->uris().postgres, pid));
        for (qint64 pid : pidsOf(idleSameApp))
            QCOMPARE(test::stateOf(m_sandbox->uris().postgres, pid).value_or("gone"), QString("idle"));
        QCOMPARE(test::stateOf(m_sandbox->uris().postgres, PQbackendPID(bystander.at(0))).value_or("gone"),
                 QString("idle in transaction"));
        // The application learns it on its next use of a leaked connection, in libpq's words.
        QVERIFY(
            test::queryError(leaked.at(0)).contains("terminating connection due to administrator command"));
        // Audited, with the pids.
        const QList<QJsonObject> lines = test::auditLines(audit::filePath());
        QCOMPARE(lines.size(), 1);
        QCOMPARE(lines.first().value("action").toString(), QString("terminate"));
        QCOMPARE(lines.first().value("pids").toArray().size(), 3);
        // PostgreSQL 15 counts the terminations: the engine names the dead pooled connections next, as
        // PoolScope's own doing (information: the operator knows), not an unknown operator's.
        std::optional<findings::Finding> dead;
        for (const findings::Finding &f : engine.findings()) {
            if (f.rule == findings::rule::DeadConnections)
                dead = f;
        }
        QVERIFY(dead);
        QCOMPARE(dead->evidence.value("sessions_killed_by_poolscope").toInt(), 3);
        QVERIFY2(dead->summary.contains("3 terminated by PoolScope at"), qPrintable(dead->summary));
        QVERIFY2(!dead->summary.contains("someone else"), qPrintable(dead->summary));
    }
};

QTEST_GUILESS_MAIN(TestFindingAction)
#include "tst_findingaction.moc"
