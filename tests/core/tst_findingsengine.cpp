// The findings engine's lifecycle: raised once, updated while it lasts, resolved with hysteresis, "action
// taken, watching" then "recovered" or "still present"; thresholds as settings; the JSON shape `diagnose`
// prints.
#include "findingsupport.h"

#include "core/findingthresholds.h"

#include <QJsonArray>
#include <QSettings>
#include <QTemporaryDir>
#include <QtTest>

using namespace poolscope;
using namespace poolscope::test;
using findings::FindingsEngine;
using findings::Status;

namespace {

/// billing leaks `held` sessions (idle in transaction 6 s and more) beside 10 quiet web sessions.
TargetSnapshot leaking(double now, int held)
{
    return pgSnapshot(now,
                      many(10, "web", "idle", 2, 100) + many(held, "billing", "idle in transaction", 8, 200));
}

} // namespace

class TestFindingsEngine : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void raisedOnceAndUpdated()
    {
        FindingsEngine engine;
        engine.addSample(1, "pg", leaking(kStart, 3));
        engine.addSample(1, "pg", leaking(kStart + 1, 5));
        const auto open = engine.openFindings();
        QCOMPARE(open.size(), 1);
        QCOMPARE(open.first().raisedAtMs, qint64(kStart * 1000));
        QCOMPARE(open.first().lastSeenMs, qint64((kStart + 1) * 1000));
        QCOMPARE(open.first().pids.size(), 5); // the newest figures
        QCOMPARE(open.first().target, QString("pg"));
    }

    void resolvesAfterClearSamplesNotBefore()
    {
        FindingsEngine engine;
        engine.addSample(1, "pg", leaking(kStart, 3));
        // One sample without it is not a recovery (hysteresis)...
        engine.addSample(1, "pg", leaking(kStart + 1, 0));
        engine.addSample(1, "pg", leaking(kStart + 2, 3));
        QCOMPARE(engine.openFindings().size(), 1);
        // ...three in a row, spanning 3 s, are.
        for (int i = 3; i <= 5; ++i)
            engine.addSample(1, "pg", leaking(kStart + i, 0));
        QCOMPARE(engine.openFindings().size(), 0);
        const auto all = engine.findings();
        QCOMPARE(all.size(), 1);
        QCOMPARE(all.first().status, Status::Resolved);
        QCOMPARE(*all.first().endedAtMs, qint64((kStart + 3) * 1000)); // the first sample without it
    }

    void failedSamplesChangeNothing()
    {
        FindingsEngine engine;
        engine.addSample(1, "pg", leaking(kStart, 3));
        TargetSnapshot failed;
        failed.ok = false;
        for (int i = 1; i <= 10; ++i) {
            failed.sampledAtMs = qint64((kStart + i) * 1000);
            engine.addSample(1, "pg", failed);
        }
        QCOMPARE(engine.openFindings().size(), 1);
    }

    void escalatesAtOnceStepsDownSlowly()
    {
        FindingsEngine engine;
        engine.addSample(1, "pg", leaking(kStart, 3)); // 3 of billing's 3 are held: the whole pool, critical
        QCOMPARE(engine.openFindings().first().severity, findings::Severity::Critical);
        auto partly = [](double now) {
            return pgSnapshot(now, many(3, "billing", "idle in transaction", 8, 200) +
                                       many(3, "billing", "idle", 1, 300));
        };
        engine.addSample(1, "pg", partly(kStart + 1));
        engine.addSample(1, "pg", partly(kStart + 2));
        QCOMPARE(engine.openFindings().first().severity, findings::Severity::Critical);
        engine.addSample(1, "pg", partly(kStart + 3));
        QCOMPARE(engine.openFindings().first().severity, findings::Severity::Warning);
    }

    void actionThenRecovered()
    {
        FindingsEngine engine;
        engine.addSample(1, "pg", leaking(kStart, 4));
        const quint64 id = engine.openFindings().first().id;
        QVERIFY(engine.noteAction(id, qint64((kStart + 1) * 1000), "terminated 4 sessions"));
        engine.addSample(1, "pg", leaking(kStart + 1, 4));
        QCOMPARE(engine.finding(id)->status, Status::ActionTaken);
        for (int i = 2; i <= 5; ++i)
            engine.addSample(1, "pg", leaking(kStart + i, 0));
        const auto f = engine.finding(id);
        QVERIFY(f);
        QCOMPARE(f->status, Status::Recovered);
        QCOMPARE(*f->endedAtMs, qint64((kStart + 2) * 1000));
        QCOMPARE(f->actionTaken, QString("terminated 4 sessions"));
        QVERIFY(!engine.noteAction(id, qint64((kStart + 6) * 1000), "again")); // ended: nothing to note
    }

    void actionThenStillPresent()
    {
        findings::Thresholds t;
        t.actionWatchS = 5;
        FindingsEngine engine(t);
        engine.addSample(1, "pg", leaking(kStart, 4));
        const quint64 id = engine.openFindings().first().id;
        engine.noteAction(id, qint64(kStart * 1000), "terminated");
        for (int i = 1; i <= 4; ++i)
            engine.addSample(1, "pg", leaking(kStart + i, 4));
        QCOMPARE(engine.finding(id)->status, Status::ActionTaken);
        engine.addSample(1, "pg", leaking(kStart + 5, 4));
        QCOMPARE(engine.finding(id)->status, Status::StillPresent);
    }

    void comesBackAsANewFinding()
    {
        FindingsEngine engine;
        engine.addSample(1, "pg", leaking(kStart, 3));
        for (int i = 1; i <= 3; ++i)
            engine.addSample(1, "pg", leaking(kStart + i, 0));
        engine.addSample(1, "pg", leaking(kStart + 10, 3));
        const auto all = engine.findings();
        QCOMPARE(all.size(), 2);
        QVERIFY(all.at(0).isOpen());
        QVERIFY(!all.at(1).isOpen());
        QVERIFY(all.at(0).id != all.at(1).id);
    }

    void targetsAreSeparateAndRemovable()
    {
        FindingsEngine engine;
        engine.addSample(1, "a", leaking(kStart, 3));
        engine.addSample(2, "b", leaking(kStart, 3));
        // Target 2's samples never resolve target 1's findings.
        for (int i = 1; i <= 5; ++i)
            engine.addSample(2, "b", leaking(kStart + i, 0));
        QCOMPARE(engine.openFindingsOf(1).size(), 1);
        QCOMPARE(engine.openFindingsOf(2).size(), 0);
        QCOMPARE(engine.findingsOf(2).size(), 1);
        const quint64 before = engine.revision();
        engine.removeTarget(1);
        QVERIFY(engine.revision() != before);
        QCOMPARE(engine.openFindings().size(), 0);
    }

    void historyIsBounded()
    {
        findings::Thresholds t;
        t.historyS = 20;
        FindingsEngine engine(t);
        engine.addSample(1, "pg", leaking(kStart, 3));
        for (int i = 1; i <= 3; ++i)
            engine.addSample(1, "pg", leaking(kStart + i, 0));
        QCOMPARE(engine.findings().size(), 1);
        engine.addSample(1, "pg", leaking(kStart + 30, 0));
        QCOMPARE(engine.findings().size(), 0);
    }

    void thresholdsAreSettings()
    {
        findings::Thresholds t;
        QString error;
        QVERIFY(findings::setThreshold(t, "idle_in_transaction.min_age_s=2.5", &error));
        QCOMPARE(t.leakMinAgeS, 2.5);
        QVERIFY(!findings::setThreshold(t, "idle_in_transaction.min_age_s=-1", &error));
        QVERIFY2(error.contains("needs a number >= 0"), qPrintable(error));
        QVERIFY(!findings::setThreshold(t, "no.such=1", &error));
        QVERIFY(error.contains("unknown threshold \"no.such\""));
        // Every member is reachable by exactly one key.
        QSet<QString> keys;
        for (const auto &spec : findings::thresholdTable())
            keys.insert(spec.key);
        QCOMPARE(keys.size(), findings::thresholdTable().size());
        QCOMPARE(int(sizeof(findings::Thresholds) / sizeof(double)), findings::thresholdTable().size());

        QTemporaryDir dir;
        QSettings settings(dir.filePath("s.ini"), QSettings::IniFormat);
        settings.setValue("findings/lock.min_waiting", 7);
        settings.setValue("findings/churn.rate_per_s", "not a number");
        const findings::Thresholds loaded = findings::loadThresholds(settings);
        QCOMPARE(loaded.lockMinWaiting, 7.0);
        QCOMPARE(loaded.churnRatePerS, findings::Thresholds{}.churnRatePerS);
    }

    void thresholdShortensTheWait()
    {
        findings::Thresholds t;
        t.leakMinAgeS = 1;
        FindingsEngine engine(t);
        engine.addSample(1, "pg", pgSnapshot(kStart, many(2, "web", "idle in transaction", 1.5, 200)));
        QCOMPARE(named(engine), QStringList{"idle-in-transaction-leak:web:critical"});
    }

    void jsonShape()
    {
        FindingsEngine engine;
        engine.addSample(1, "monitor@127.0.0.1:5432/app", leaking(kStart, 3));
        const QJsonObject o = findings::toJson(engine.openFindings().first());
        QCOMPARE(o.value("rule").toString(), QString("idle-in-transaction-leak"));
        QCOMPARE(o.value("target").toString(), QString("monitor@127.0.0.1:5432/app"));
        QCOMPARE(o.value("severity").toString(), QString("critical"));
        QCOMPARE(o.value("status").toString(), QString("active"));
        QCOMPARE(o.value("layer").toString(), QString("app"));
        QCOMPARE(o.value("since").toString(), QString("2023-11-14T22:13:12.000Z"));
        QVERIFY(o.value("ended_at").isNull());
        QVERIFY(!o.value("summary").toString().isEmpty());
        QVERIFY(o.value("advice").toArray().size() >= 3);
        QCOMPARE(o.value("evidence").toObject().value("idle_in_transaction").toInt(), 3);
        QCOMPARE(o.value("action").toObject().value("kind").toString(), QString("terminate"));
        QCOMPARE(o.value("action").toObject().value("pids").toArray().size(), 3);
    }
};

QTEST_GUILESS_MAIN(TestFindingsEngine)
#include "tst_findingsengine.moc"
