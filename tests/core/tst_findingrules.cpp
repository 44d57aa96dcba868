// Every rule of the findings engine on synthetic series: the incident's fingerprint names it, and the near
// misses (one short idle-in-transaction session, a full pool nobody waits for, a plateau that is real
// demand) name nothing. Each row is N samples one second apart; the expectation is the set of open findings
// after the last one ("rule:subject:severity").
#include "core/findingrules.h"
#include "findingsupport.h"

#include <QtTest>

using namespace poolscope;
using namespace poolscope::test;
using findings::DigestCandidates;
using findings::FindingsEngine;
using findings::SessionDigest;
using findings::Thresholds;

using Series = std::function<TargetSnapshot(int i, double now)>;
Q_DECLARE_METATYPE(Series)

namespace {

/// Steady background: 10 idle sessions of "web" that never change.
QList<Sess> quietWeb()
{
    return many(10, QStringLiteral("web"), QStringLiteral("idle"), 2, 100);
}

} // namespace

class TestFindingRules : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void postgresRules_data()
    {
        QTest::addColumn<int>("samples");
        QTest::addColumn<Series>("series");
        QTest::addColumn<QStringList>("expected");

        // idle-in-transaction-leak
        QTest::addRow("psycopg2 leak: all 8 of billing idle in transaction, 6-13 s")
            << 8 << Series([](int i, double now) {
                   return pgSnapshot(now, quietWeb() + many(8, "billing", "idle in transaction", 6 + i, 200));
               })
            << QStringList{"app-pool-ceiling:billing:warning", "idle-in-transaction-leak:billing:critical"};
        QTest::addRow("3 of 10 idle in transaction for 6 s") << 2 << Series([](int, double now) {
            return pgSnapshot(now, many(7, "jobs", "idle", 1, 200) +
                                       many(3, "jobs", "idle in transaction", 6, 300));
        }) << QStringList{"idle-in-transaction-leak:jobs:warning"};
        QTest::addRow("near miss: one session idle in transaction for 2 s")
            << 5 << Series([](int, double now) {
                   return pgSnapshot(now, quietWeb() + many(1, "web", "idle in transaction", 2, 300));
               })
            << QStringList{};
        QTest::addRow("near miss: one session idle in transaction for 30 s")
            << 5 << Series([](int i, double now) {
                   return pgSnapshot(now, quietWeb() + many(1, "web", "idle in transaction", 26 + i, 300));
               })
            << QStringList{};
        QTest::addRow("near miss: two idle in transaction for 3 s") << 5 << Series([](int, double now) {
            return pgSnapshot(now, quietWeb() + many(2, "web", "idle in transaction", 3, 300));
        }) << QStringList{};
        QTest::addRow("near miss: one each in two applications, 10 s") << 5 << Series([](int, double now) {
            return pgSnapshot(now, quietWeb() + many(1, "a", "idle in transaction", 10, 300) +
                                       many(1, "b", "idle in transaction", 10, 400));
        }) << QStringList{};
        QTest::addRow("one session idle in transaction for 70 s") << 2 << Series([](int, double now) {
            return pgSnapshot(now, quietWeb() + many(1, "report", "idle in transaction", 70, 300));
        }) << QStringList{"idle-in-transaction-leak:report:warning"};
        QTest::addRow("one session idle in transaction for 400 s") << 2 << Series([](int, double now) {
            return pgSnapshot(now, quietWeb() + many(1, "report", "idle in transaction", 400, 300));
        }) << QStringList{"idle-in-transaction-leak:report:critical"};

        // app-pool-ceiling
        QTest::addRow("tenant spike: web flat at 15, all active, 10 in 5 s jobs")
            << 6 << Series([](int i, double now) {
                   return pgSnapshot(now, many(5, "web", "active", 0.1, 100) +
                                              many(10, "web", "active", 1 + i % 5, 200, 2 + i % 5));
               })
            << QStringList{"app-pool-ceiling:web:warning"};
        QTest::addRow("plateau for 4 samples only") << 4 << Series([](int, double now) {
            return pgSnapshot(now, many(15, "web", "active", 0.1, 100));
        }) << QStringList{};
        QTest::addRow("near miss: full plateau of idle connections (real demand fits)")
            << 10 << Series([](int, double now) {
                   return pgSnapshot(now,
                                     many(5, "web", "active", 0.1, 100) + many(10, "web", "idle", 0.5, 200));
               })
            << QStringList{};
        QTest::addRow("near miss: busy but the count moves") << 10 << Series([](int i, double now) {
            return pgSnapshot(now, many(12 + i % 3, "web", "active", 0.1, 100));
        }) << QStringList{};
        QTest::addRow("near miss: two busy sessions") << 10 << Series([](int, double now) {
            return pgSnapshot(now, many(2, "batch", "active", 30, 100, 30));
        }) << QStringList{};
        QTest::addRow("plateau for 35 s is critical") << 36 << Series([](int, double now) {
            return pgSnapshot(now, many(8, "web", "active", 0.1, 100));
        }) << QStringList{"app-pool-ceiling:web:critical"};

        // server-connection-ceiling
        QTest::addRow("80 of 97 usable for 2 samples")
            << 2 << Series([](int, double now) { return pgSnapshot(now, many(79, "api", "idle", 3, 100)); })
            << QStringList{"server-connection-ceiling:connections:warning"};
        QTest::addRow("near miss: 80 of 97 for one sample")
            << 1 << Series([](int, double now) { return pgSnapshot(now, many(79, "api", "idle", 3, 100)); })
            << QStringList{};
        QTest::addRow("near miss: 70 of 97")
            << 10 << Series([](int, double now) { return pgSnapshot(now, many(69, "api", "idle", 3, 100)); })
            << QStringList{};
        QTest::addRow("93 of 97 is critical")
            << 2 << Series([](int, double now) { return pgSnapshot(now, many(92, "api", "idle", 3, 100)); })
            << QStringList{"server-connection-ceiling:connections:critical"};
        QTest::addRow("startup storm: flat at 97 of 97, all busy") << 6 << Series([](int, double now) {
            return pgSnapshot(now, many(96, "api", "active", 0.2, 100));
        }) << QStringList{"server-connection-ceiling:connections:critical"};

        // lock-pileup
        QTest::addRow("5 wait behind an idle-in-transaction holder, 3 samples")
            << 3 << Series([](int i, double now) {
                   QList<Sess> s = many(1, "admin", "idle in transaction", 3 + i, 50);
                   for (int k = 0; k < 5; ++k)
                       s.append(Sess{200 + k, "web", "active", 1.0 + i, 1.0 + i, 600, {50}});
                   return pgSnapshot(now, quietWeb() + s);
               })
            << QStringList{"lock-pileup:locks:warning"};
        QTest::addRow("near miss: one short lock wait") << 5 << Series([](int, double now) {
            QList<Sess> s = many(1, "web", "active", 0.5, 50, 0.5);
            s.append(Sess{200, "web", "active", 0.3, 0.3, 600, {50}});
            return pgSnapshot(now, quietWeb() + s);
        }) << QStringList{};
        QTest::addRow("one lock wait of 40 s") << 1 << Series([](int, double now) {
            QList<Sess> s = many(1, "migration", "active", 50, 50, 50);
            s.append(Sess{200, "web", "active", 40, 40, 600, {50}});
            return pgSnapshot(now, quietWeb() + s);
        }) << QStringList{"lock-pileup:locks:warning"};
        QTest::addRow("12 wait on a hot row, the holder changes") << 4 << Series([](int i, double now) {
            QList<Sess> s = many(1, "lockers", "active", 0.1, 50 + i, 0.2);
            for (int k = 0; k < 12; ++k)
                s.append(Sess{200 + k, "lockers", "active", 1.5, 1.5, 600, {50 + i}});
            return pgSnapshot(now, s);
        }) << QStringList{"lock-pileup:locks:critical"};

        // long-transaction
        QTest::addRow("a running transaction of 70 s") << 1 << Series([](int, double now) {
            return pgSnapshot(now, quietWeb() + many(1, "etl", "active", 5, 77, 70));
        }) << QStringList{"long-transaction:77:warning"};
        QTest::addRow("a running transaction of 400 s") << 1 << Series([](int, double now) {
            return pgSnapshot(now, quietWeb() + many(1, "etl", "active", 5, 77, 400));
        }) << QStringList{"long-transaction:77:critical"};
        QTest::addRow("near miss: a running transaction of 30 s") << 3 << Series([](int, double now) {
            return pgSnapshot(now, quietWeb() + many(1, "etl", "active", 5, 77, 30));
        }) << QStringList{};

        // connection-churn (PostgreSQL 14+: the session counter)
        QTest::addRow("50 connections a second opened and closed") << 4 << Series([](int i, double now) {
            PgExtras x;
            x.established = 1000 + 50 * quint64(i);
            QList<Sess> s = quietWeb();
            for (int k = 0; k < 4; ++k)
                s.append(Sess{300 + 10 * i + k, "php", "active", 0.01, 0.01, 0.02});
            return pgSnapshot(now, s, x);
        }) << QStringList{"connection-churn:connections:warning"};
        QTest::addRow("near miss: a start-up opens 50 a second and keeps them")
            << 4 << Series([](int i, double now) {
                   PgExtras x;
                   x.established = 1000 + 50 * quint64(i);
                   x.maxConnections = 500;
                   return pgSnapshot(now, many(10 + 50 * i, "api", "idle", 0.5, 100), x);
               })
            << QStringList{};
        QTest::addRow("near miss: 5 connections a second") << 6 << Series([](int i, double now) {
            PgExtras x;
            x.established = 1000 + 5 * quint64(i);
            return pgSnapshot(now, quietWeb(), x);
        }) << QStringList{};
        QTest::addRow("PostgreSQL 13: young sessions sample after sample")
            << 4 << Series([](int i, double now) {
                   PgExtras x;
                   x.established = std::nullopt;
                   QList<Sess> s = many(5, "web", "idle", 2, 100);
                   for (int k = 0; k < 8; ++k)
                       s.append(Sess{300 + 10 * i + k, "php", "active", 0.01, 0.01, 0.05});
                   return pgSnapshot(now, s, x);
               })
            << QStringList{"connection-churn:connections:warning"};

        // dead-connections
        QTest::addRow("3 sessions terminated") << 3 << Series([](int i, double now) {
            PgExtras x;
            x.killed = i >= 1 ? 3 : 0;
            return pgSnapshot(now, i >= 1 ? quietWeb() : quietWeb() + many(3, "billing", "idle", 1, 200), x);
        }) << QStringList{"dead-connections:sessions:warning"};
        QTest::addRow("PostgreSQL restarted") << 2 << Series([](int i, double now) {
            PgExtras x;
            if (i >= 1)
                x.postmasterStart = now - 0.5;
            return pgSnapshot(now, quietWeb(), x);
        }) << QStringList{"dead-connections:sessions:critical"};
        QTest::addRow("near miss: counters reset backwards") << 3 << Series([](int i, double now) {
            PgExtras x;
            x.killed = i == 0 ? 100 : 0;
            return pgSnapshot(now, quietWeb(), x);
        }) << QStringList{};
        QTest::addRow("near miss: PostgreSQL 13 has no counters") << 3 << Series([](int, double now) {
            PgExtras x;
            x.killed = x.fatal = x.abandoned = std::nullopt;
            return pgSnapshot(now, quietWeb(), x);
        }) << QStringList{};
    }

    void postgresRules()
    {
        QFETCH(int, samples);
        QFETCH(Series, series);
        QFETCH(QStringList, expected);
        FindingsEngine engine;
        feedPg(engine, samples, series);
        QCOMPARE(named(engine), expected);
    }

    void digestOfTheSameListAsTimeMovesOn()
    {
        // The live sampler hands over the same shared sessions list while nothing changed: the digest then
        // looks only at the sessions that can contribute, and must say what a pass over every session says,
        // as a young session grows old and an idle-in-transaction one crosses the leak age.
        Sess young{1, QStringLiteral("web")};
        young.backendAgeS = 0.4;
        Sess held{2, QStringLiteral("billing"), QStringLiteral("idle in transaction"), 3, 4};
        Sess running{3, QStringLiteral("report"), QStringLiteral("active"), 1, 7};
        Sess waiter{4, QStringLiteral("web"), QStringLiteral("active"), 2, 2};
        waiter.blockedBy = {2};
        TargetSnapshot snap =
            pgSnapshot(kStart, many(200, "web", "idle", 30, 100) + QList{young, held, running, waiter});
        PostgresSample pg = *snap.postgres;
        const Thresholds t;
        DigestCandidates candidates;
        auto key = [](const SessionDigest &d) {
            QStringList out;
            for (const SessionDigest::Held &h : d.idleInTransaction)
                out << QStringLiteral("held %1 %2").arg(h.pid).arg(h.idleS);
            if (d.oldestRunning)
                out << QStringLiteral("running %1 %2").arg(d.oldestRunning->pid).arg(d.oldestRunning->xactS);
            for (auto it = d.longTransactions.cbegin(); it != d.longTransactions.cend(); ++it)
                out << QStringLiteral("long %1 %2").arg(it.key()).arg(it.value().size());
            for (auto it = d.lockWaitingByApp.cbegin(); it != d.lockWaitingByApp.cend(); ++it)
                out << QStringLiteral("lock %1 %2").arg(it.key()).arg(it.value());
            out << QStringLiteral("oldest lock wait %1, young %2").arg(d.oldestLockWaitS).arg(d.young);
            out.sort();
            return out;
        };
        for (const double later : {0.0, 0.5, 1.0, 2.5, 30.0}) {
            pg.serverNow = kStart + later;
            const SessionDigest every = digestSessions(pg, t);
            QCOMPARE(key(digestSessions(pg, t, &candidates)), key(every));
            QCOMPARE(candidates.of.constData(), pg.sessions.constData()); // the same list: picked once
            QVERIFY(candidates.indexes.size() < 10);
            if (later == 0.0)
                QCOMPARE(every.young, 1);
            if (later == 30.0) {
                QCOMPARE(every.young, 0);
                QCOMPARE(every.idleInTransaction.size(), 1); // 33 s idle in transaction now
            }
        }
        // Another list (a session ended): picked again.
        pg.sessions.removeFirst();
        QCOMPARE(key(digestSessions(pg, t, &candidates)), key(digestSessions(pg, t)));
        QCOMPARE(candidates.of.constData(), pg.sessions.constData());
    }

    void leakCarriesHoldersEvidenceAndAdvice()
    {
        FindingsEngine engine;
        feedPg(engine, 3, [](int i, double now) {
            return pgSnapshot(now, quietWeb() + many(8, "billing", "idle in transaction", 6 + i, 200));
        });
        const auto open = engine.openFindings();
        const auto leak = std::find_if(open.cbegin(), open.cend(), [](const findings::Finding &f) {
            return f.rule == findings::rule::IdleInTransactionLeak;
        });
        QVERIFY(leak != open.cend());
        QCOMPARE(leak->pids.size(), 8);
        QCOMPARE(leak->action.kind, findings::Action::Kind::Terminate);
        QCOMPARE(leak->action.pids, leak->pids);
        QCOMPARE(leak->action.targetId, 1);
        QCOMPARE(leak->layer, findings::Layer::App);
        QCOMPARE(leak->evidence.value("idle_in_transaction").toInt(), 8);
        QCOMPARE(leak->evidence.value("app_sessions").toInt(), 8);
        QCOMPARE(leak->evidence.value("oldest_idle_s").toDouble(), 8.0);
        // Since: when the oldest went idle in transaction, from its state_change, not when PoolScope looked.
        QCOMPARE(leak->sinceMs, qint64((kStart + 2 - 8) * 1000));
        QVERIFY2(leak->summary.contains("all 8 of its sessions are idle in transaction"),
                 qPrintable(leak->summary));
        QVERIFY(leak->advice.first().contains("Terminate the 8 holders (pids 200, 201, 202 and 5 more)"));
        QVERIFY(leak->advice.join(" ").contains("idle_in_transaction_session_timeout"));
    }

    void appPoolCeilingNamesTheLongJobs()
    {
        FindingsEngine engine;
        feedPg(engine, 6, [](int i, double now) {
            return pgSnapshot(now, many(5, "web", "active", 0.1, 100) +
                                       many(10, "web", "active", 1 + i % 5, 200, 6 + i % 5));
        });
        const auto open = engine.openFindings();
        QCOMPARE(open.size(), 1);
        const findings::Finding &f = open.first();
        QCOMPARE(f.evidence.value("sessions").toInt(), 15);
        QCOMPARE(f.evidence.value("long_transactions").toInt(), 10);
        QCOMPARE(f.evidence.value("server_headroom").toInt(), 97 - 16);
        QVERIFY2(f.summary.startsWith("web's sessions have sat at exactly 15"), qPrintable(f.summary));
        QVERIFY2(
            f.advice.join(" ").contains("10 of the 15 connections are held by transactions older than 5 s"),
            qPrintable(f.advice.join("\n")));
        QCOMPARE(f.sinceMs, qint64(kStart * 1000));
    }

    void appPoolCeilingLeavesItToThePoolerWhenItQueues()
    {
        FindingsEngine engine;
        engine.setLinks(2, {1});
        for (int i = 0; i < 8; ++i) {
            const double now = kStart + i;
            engine.addSample(2, "bouncer", bouncerSnapshot(now, {pool("app/app", 10, 10, 0, 5, 1.3)}));
            engine.addSample(1, "pg", pgSnapshot(now, many(10, "web", "active", 0.1, 100)));
        }
        QCOMPARE(named(engine), QStringList{"pooler-saturation:app/app:warning"});
    }

    void lockPileupOffersTheStuckBlocker()
    {
        FindingsEngine engine;
        feedPg(engine, 3, [](int i, double now) {
            QList<Sess> s = many(1, "admin", "idle in transaction", 3 + i, 50);
            for (int k = 0; k < 5; ++k)
                s.append(Sess{200 + k, "web", "active", 1.0 + i, 1.0 + i, 600, {50}});
            return pgSnapshot(now, s);
        });
        const auto open = engine.openFindings();
        QCOMPARE(open.size(), 1);
        QCOMPARE(open.first().action.pids, QList<qint64>{50});
        QCOMPARE(open.first().evidence.value("root_blocked_behind").toInt(), 5);
        QVERIFY(open.first().summary.startsWith("5 sessions wait on locks"));
    }

    void hotRowHasNoOneToTerminate()
    {
        FindingsEngine engine;
        feedPg(engine, 4, [](int i, double now) {
            QList<Sess> s = many(1, "lockers", "active", 0.1, 50 + i, 0.2);
            for (int k = 0; k < 4; ++k)
                s.append(Sess{200 + k, "lockers", "active", 1.5, 1.5, 600, {50 + i}});
            return pgSnapshot(now, s);
        });
        const auto open = engine.openFindings();
        QCOMPARE(open.size(), 1);
        QVERIFY(open.first().action.isNone());
        QVERIFY(open.first().summary.contains("The blocker keeps changing"));
    }

    void serverCeilingSaysClamp()
    {
        FindingsEngine engine;
        feedPg(engine, 4, [](int, double now) { return pgSnapshot(now, many(96, "api", "idle", 3, 100)); });
        const auto open = engine.openFindings();
        QCOMPARE(open.size(), 1);
        QVERIFY(open.first().evidence.value("clamped").toBool());
        QVERIFY2(open.first().summary.contains("clamp, not demand"), qPrintable(open.first().summary));
        QVERIFY(open.first().advice.join(" ").contains("api 96 (96 idle)"));
    }

    void deadConnectionsHoldThenResolve()
    {
        findings::Thresholds t;
        t.deadHoldS = 5;
        FindingsEngine engine(t);
        feedPg(engine, 20, [](int i, double now) {
            PgExtras x;
            x.fatal = i >= 1 ? 2 : 0;
            return pgSnapshot(now, quietWeb(), x);
        });
        QCOMPARE(engine.openFindings().size(), 0);
        const auto all = engine.findings();
        QCOMPARE(all.size(), 1);
        QCOMPARE(all.first().rule, findings::rule::DeadConnections);
        QCOMPARE(all.first().status, findings::Status::Resolved);
        QVERIFY(all.first().summary.contains("2 ended by a FATAL error"));
    }

    // PoolScope's own terminations, noted before the counter shows them (the usual order) or after the
    // sample that did (the terminator's report came in late): named as PoolScope's, as information; kills
    // by someone else next to them keep the warning.
    void deadConnectionsOwnKills_data()
    {
        QTest::addColumn<bool>("notedFirst");
        QTest::addColumn<int>("ownKills");
        QTest::addColumn<QString>("severity");
        QTest::addRow("noted first, all PoolScope's") << true << 3 << "info";
        QTest::addRow("noted late, all PoolScope's") << false << 3 << "info";
        QTest::addRow("2 of 3 PoolScope's") << true << 2 << "warning";
    }

    void deadConnectionsOwnKills()
    {
        QFETCH(bool, notedFirst);
        QFETCH(int, ownKills);
        QFETCH(QString, severity);
        FindingsEngine engine;
        const auto at = [](int i, double now) {
            PgExtras x;
            x.killed = i >= 2 ? 3 : 0;
            return pgSnapshot(now, i >= 2 ? quietWeb() : quietWeb() + many(3, "billing", "idle", 1, 200), x);
        };
        feedPg(engine, 2, at);
        const qint64 terminatedAtMs = qint64((kStart + 1.5) * 1000);
        if (notedFirst)
            engine.noteTerminated(1, terminatedAtMs, ownKills);
        feedPg(engine, 1, at, 1, 2);
        if (!notedFirst)
            engine.noteTerminated(1, terminatedAtMs, ownKills);
        // Noted late, the finding opened as a warning: it steps down like any other, after clearSamples.
        feedPg(engine, int(engine.thresholds().clearSamples) + 1, at, 1, 3);
        QCOMPARE(named(engine), QStringList{"dead-connections:sessions:" + severity});
        const findings::Finding f = engine.openFindings().first();
        QCOMPARE(f.evidence.value("sessions_killed").toInt(), 3);
        QCOMPARE(f.evidence.value("sessions_killed_by_poolscope").toInt(), ownKills);
        QVERIFY2(f.summary.contains(QStringLiteral("%1 terminated by PoolScope at").arg(ownKills)),
                 qPrintable(f.summary));
        QCOMPARE(f.summary.contains("terminated by someone else"), ownKills < 3);
    }
};

QTEST_GUILESS_MAIN(TestFindingRules)
#include "tst_findingrules.moc"
