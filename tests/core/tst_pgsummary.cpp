// What the sampler derives from pg_stat_activity beyond the session list: the JSON keys added for it (only
// ever added, never renamed) and the per-group series the recorder keeps for the "sessions by" chart.
#include "core/postgresparsers.h"
#include "core/recorder.h"
#include "core/sessionanalysis.h"
#include "core/sessionsglance.h"
#include "core/snapshotjson.h"
#include "support/fixture.h"

#include <QFile>
#include <QJsonArray>
#include <QTest>
#include <algorithm>

using namespace poolscope;
using poolscope::test::fixture;

namespace {

TargetSnapshot snapshotOf(const QString &activity, const QString &server)
{
    PostgresSample pg;
    parsers::parsePgServer(fixture(server), pg);
    pg.sessions = parsers::parsePgActivity(fixture(activity), &pg.poolscopeSessions);
    analysis::summarizeSessions(pg);
    TargetSnapshot s;
    s.kind = TargetKind::Postgres;
    s.ok = true;
    s.postgres = pg;
    return s;
}

Session session(qint64 pid, const QString &app, const char *state = "idle")
{
    Session s;
    s.pid = pid;
    s.applicationName = app;
    s.usename = QStringLiteral("app");
    s.datname = QStringLiteral("app");
    s.state = QString::fromLatin1(state);
    return s;
}

// One sample with `counts[i]` sessions of application "app<i>" ("" for a negative count: none).
TargetSnapshot appSample(qint64 ms, const QList<int> &counts)
{
    PostgresSample pg;
    qint64 pid = 1;
    for (qsizetype i = 0; i < counts.size(); ++i) {
        for (int k = 0; k < counts[i]; ++k)
            pg.sessions.append(session(pid++, QStringLiteral("app%1").arg(i)));
    }
    analysis::summarizeSessions(pg);
    TargetSnapshot s;
    s.kind = TargetKind::Postgres;
    s.ok = true;
    s.sampledAtMs = ms;
    s.postgres = pg;
    return s;
}

double last(const SeriesSet &set, const QString &name)
{
    const TimeSeries *ts = set.find(name);
    return ts && ts->lastValue() ? *ts->lastValue() : -1;
}

} // namespace

class TestPgSummary : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void jsonLocksXminGroupsHeadroom()
    {
        TargetSnapshot s = snapshotOf("postgres/pg_activity_16.txt", "postgres/pg_server_17.txt");
        const QJsonObject o = toJson(s);
        QCOMPARE(o["lock_waiting"].toInt(), 2);
        QCOMPARE(o["root_blockers"].toArray(), QJsonArray{503});
        QCOMPARE(o["oldest_xmin_age_xids"].toInt(), 75);
        QCOMPARE(o["oldest_xmin_pid"].toInt(), 503);
        QCOMPARE(o["oldest_xmin_xact_age_s"].toDouble(), 80.0);
        QCOMPARE(o["client_backends"].toInt(), 10);
        QCOMPARE(o["headroom"].toInt(), 185);
        QCOMPARE(o["sessions_killed"].toInt(), 0);
        QCOMPARE(o["sessions_fatal"].toInt(), 17);
        // A single sample has no rates or deltas: null, never 0.
        for (const char *k : {"commits_per_s", "rollbacks_per_s", "sessions_killed_delta",
                              "sessions_fatal_delta", "sessions_abandoned_delta"})
            QVERIFY2(o.contains(QLatin1String(k)) && o[QLatin1String(k)].isNull(), k);

        const QJsonObject groups = o["groups"].toObject();
        for (const char *k : {"application", "user", "database", "client"})
            QVERIFY2(groups.contains(QLatin1String(k)), k);
        const QJsonObject web = groups["application"].toArray().at(0).toObject();
        QCOMPARE(web["name"].toString(), QString("web"));
        QCOMPARE(web["sessions"].toInt(), 3);
        QCOMPARE(web["by_state"].toObject()["idle"].toInt(), 2);
        QCOMPARE(web["by_state"].toObject()["active"].toInt(), 1);
        QCOMPARE(o["groups_distinct"].toObject()["application"].toInt(), 4);

        const QJsonArray list = o["sessions"].toObject()["list"].toArray();
        QJsonObject waiter;
        for (const QJsonValue &v : list) {
            if (v.toObject()["pid"].toInt() == 504)
                waiter = v.toObject();
        }
        QCOMPARE(waiter["blocked_by"].toArray(), QJsonArray{503});
        QCOMPARE(waiter["backend_xmin_age"].toInt(), 4);
        QCOMPARE(waiter["query_id"].toInteger(),
                 Q_INT64_C(2251367012867232012)); // exact, not a rounded double
        // The existing keys are still there.
        for (const char *k : {"max_connections", "usable_connections", "sessions", "oldest_xact_age_s"})
            QVERIFY2(o.contains(QLatin1String(k)), k);
    }

    void jsonUnknownsBeforePg14AndHiddenRows()
    {
        TargetSnapshot s = snapshotOf("postgres/pg_activity_15_hidden.txt", "postgres/pg_server_12.txt");
        const QJsonObject o = toJson(s);
        for (const char *k :
             {"sessions_killed", "sessions_fatal", "sessions_abandoned", "sessions_killed_delta"})
            QVERIFY2(o[QLatin1String(k)].isNull(), k);
        QCOMPARE(o["root_blockers"].toArray(), QJsonArray{602});
        QCOMPARE(o["oldest_xmin_age_xids"].toInt(), 1800);
        QCOMPARE(o["oldest_xmin_pid"].toInt(), 602);
        QVERIFY(o["oldest_xmin_xact_age_s"].isNull()); // hidden: its transaction start is not visible
        for (const QJsonValue &v : o["sessions"].toObject()["list"].toArray()) {
            const QJsonObject row = v.toObject();
            if (row["pid"].toInt() == 602) {
                QVERIFY(row["blocked_by"].isNull());       // hidden: unknown, not "blocked by nobody"
                QVERIFY(row["backend_xmin_age"].isNull()); // it wrote: no snapshot left, only its xid
                QCOMPARE(row["backend_xid_age"].toInt(), 1800);
            } else if (row["pid"].toInt() == 601) {
                QCOMPARE(row["blocked_by"].toArray(), QJsonArray{});
            }
        }
        const QJsonArray clients = o["groups"].toObject()["client"].toArray();
        QCOMPARE(clients.size(), 2);
        const QJsonObject hidden = clients.at(1).toObject();
        QVERIFY(hidden["name"].isNull());
        QVERIFY(hidden["hidden"].toBool());
        QCOMPARE(hidden["sessions"].toInt(), 2);
    }

    void jsonNoXminHolder()
    {
        TargetSnapshot s = snapshotOf("postgres/pg_activity_15.txt", "postgres/pg_server_15.txt");
        const QJsonObject o = toJson(s);
        QVERIFY(o["oldest_xmin_age_xids"].isNull());
        QVERIFY(o["oldest_xmin_pid"].isNull());
        QCOMPARE(o["lock_waiting"].toInt(), 1);
        QCOMPARE(o["root_blockers"].toArray(), QJsonArray{});
    }

    // Sessions holding the horizon equally far back tie (a fresh query's snapshot has the open transaction's
    // xid as its xmin): the one named is the one to look at first, never the first one found.
    void jsonXminHolderOfTies_data()
    {
        QTest::addColumn<QList<Session>>("sessions");
        QTest::addColumn<int>("holder");
        const double now = 1700000000;
        auto s = [now](qint64 pid, const char *state, std::optional<double> xactAgeS,
                       std::optional<qint64> xmin, std::optional<qint64> xid) {
            Session x = session(pid, QStringLiteral("app"), state ? state : "");
            if (!state) { // hidden by privileges: no state, no times, but the xids
                x.state.reset();
                x.hidden = true;
            }
            if (xactAgeS)
                x.xactStart = now - *xactAgeS;
            x.backendXminAge = xmin;
            x.backendXidAge = xid;
            return x;
        };
        // The incident: a 0.1 s query found first, beside a session idle in transaction for 15 s whose xid
        // it copied.
        QTest::addRow("idle in transaction's own xid over a fresh query's snapshot")
            << QList<Session>{s(10, "active", 0.1, 5, std::nullopt), s(5, "active", 2.0, 5, std::nullopt),
                              s(20, "idle in transaction", 15.0, std::nullopt, 5), s(30, "idle", {}, {}, {})}
            << 20;
        QTest::addRow("two snapshots: the older transaction")
            << QList<Session>{s(31, "active", 1.0, 7, std::nullopt),
                              s(30, "idle in transaction", 40.0, 7, std::nullopt)}
            << 30;
        QTest::addRow("hidden row owning the xid over a visible fresh query")
            << QList<Session>{s(40, "active", 0.2, 9, std::nullopt), s(41, nullptr, {}, std::nullopt, 9)}
            << 41;
        QTest::addRow("same start: idle in transaction over active")
            << QList<Session>{s(50, "active", 3.0, 4, std::nullopt),
                              s(51, "idle in transaction", 3.0, 4, std::nullopt)}
            << 51;
        QTest::addRow("no tie: the furthest back wins")
            << QList<Session>{s(60, "idle in transaction", 100.0, 3, std::nullopt),
                              s(61, "active", 0.1, 8, {})}
            << 61;
    }
    void jsonXminHolderOfTies()
    {
        QFETCH(QList<Session>, sessions);
        QFETCH(int, holder);
        PostgresSample pg;
        pg.serverNow = 1700000000;
        pg.sessions = sessions;
        analysis::summarizeSessions(pg);
        TargetSnapshot snap;
        snap.kind = TargetKind::Postgres;
        snap.ok = true;
        snap.postgres = pg;
        QCOMPARE(toJson(snap)["oldest_xmin_pid"].toInt(), holder);
        // Whatever the order the server lists them in.
        std::reverse(pg.sessions.begin(), pg.sessions.end());
        QCOMPARE(int(pg.oldestXminSession()->pid), holder);
        // The window's glance (once per sessions list) names the same session, and the same oldest age.
        SessionsGlance glance;
        QCOMPARE(int(glance.of(pg).oldestXmin()->pid), holder);
        QCOMPARE(glance.oldestXactAge(pg.serverNow), pg.oldestXactAge());
        // The holder ended: asked about the new list, the same glance names whoever holds it now.
        const PostgresSample before = pg; // the old list stays alive (and shared) meanwhile
        pg.sessions.removeIf([holder](const Session &s) { return s.pid == holder; });
        const Session *now = glance.of(pg).oldestXmin();
        const Session *expected = pg.oldestXminSession();
        QCOMPARE(now ? now->pid : 0, expected ? expected->pid : 0);
        pg.serverNow += 5; // later, the same list: ages move on, nothing else
        QCOMPARE(glance.of(pg).oldestXactAge(pg.serverNow), pg.oldestXactAge());
        QCOMPARE(before.sessions.size(), sessions.size());
    }

    void jsonGroupsAreBounded()
    {
        QList<int> counts;
        for (int i = 0; i < 25; ++i)
            counts.append(1);
        const QJsonObject o = toJson(appSample(1000, counts));
        QCOMPARE(o["groups"].toObject()["application"].toArray().size(), 10);
        QCOMPARE(o["groups_distinct"].toObject()["application"].toInt(), 25);
    }

    void recorderGroupsComeAndGo()
    {
        SeriesSet set;
        const QString app0 = series::group(GroupDimension::Application, "app0");
        const QString app1 = series::group(GroupDimension::Application, "app1");
        const QString others = series::groupOthers(GroupDimension::Application);
        QCOMPARE(app0, QString("group/application/app0"));
        recordSnapshot(set, appSample(1000, {3, 2}));
        QCOMPARE(last(set, app0), 3.0);
        QCOMPARE(last(set, app1), 2.0);
        QCOMPARE(last(set, others), 0.0);
        // app1 disappears: it is still charted, at 0, not dropped and not left at its last value.
        recordSnapshot(set, appSample(2000, {4}));
        QCOMPARE(last(set, app1), 0.0);
        QCOMPARE(set.find(app1)->size(), 2);
        QCOMPARE(recordedGroups(set, GroupDimension::Application), (QStringList{"app0", "app1"}));
        QCOMPARE(recordedGroups(set, GroupDimension::User), QStringList{"app"});
        QCOMPARE(last(set, series::groupOthers(GroupDimension::User)), 0.0);
        // A failed sample is a gap in every group series.
        TargetSnapshot failed;
        failed.sampledAtMs = 3000;
        recordSnapshot(set, failed);
        QVERIFY(std::isnan(set.find(app0)->valueAt(2)));
    }

    void recorderTopNAndCap()
    {
        SeriesSet set;
        // 7 applications, app0 the largest: only the top 5 get series, the other two count as others.
        recordSnapshot(set, appSample(1000, {7, 6, 5, 4, 3, 2, 1}));
        QCOMPARE(recordedGroups(set, GroupDimension::Application),
                 (QStringList{"app0", "app1", "app2", "app3", "app4"}));
        QCOMPARE(last(set, series::groupOthers(GroupDimension::Application)), 3.0);
        // app6 grows into the top 5: it gets a series from now on; the sum stays the total.
        recordSnapshot(set, appSample(2000, {7, 6, 5, 4, 0, 0, 9}));
        QCOMPARE(recordedGroups(set, GroupDimension::Application).size(), 6);
        QCOMPARE(last(set, series::group(GroupDimension::Application, "app6")), 9.0);
        QCOMPARE(last(set, series::group(GroupDimension::Application, "app4")), 0.0);
        QCOMPARE(last(set, series::groupOthers(GroupDimension::Application)), 0.0);
        // Churn is bounded: at most MaxRecordedGroups per dimension.
        for (int round = 0; round < 10; ++round) {
            QList<int> counts(40, 0);
            for (int k = 0; k < 5; ++k)
                counts[7 + round * 3 + k] = 10 + k;
            counts[0] = 1; // a sixth, small group: outside the top 5
            recordSnapshot(set, appSample(3000 + round * 1000, counts));
        }
        QCOMPARE(recordedGroups(set, GroupDimension::Application).size(), series::MaxRecordedGroups);
        // ...and this sample's top 5 all have theirs.
        for (int k = 0; k < 5; ++k)
            QCOMPARE(
                last(set, series::group(GroupDimension::Application, QStringLiteral("app%1").arg(34 + k))),
                double(10 + k));
        // Others are the sessions outside this sample's top 5, whatever has series.
        QCOMPARE(last(set, series::groupOthers(GroupDimension::Application)), 1.0);
        QCOMPARE(last(set, series::sessionsTotal()), 61.0);
    }

    // The startup storm: a dozen small applications first, then one holding most of the server. The top 5 is
    // the top 5 now: the big one is recorded and charted, not left out because ten names came before it.
    void recorderTopNAfterManyApplications()
    {
        SeriesSet set;
        for (int i = 0; i < 12; ++i) {
            QList<int> counts(13, 0);
            counts[i] = 2;
            counts[(i + 1) % 12] = 1;
            recordSnapshot(set, appSample(1000 + i * 1000, counts));
        }
        QCOMPARE(recordedGroups(set, GroupDimension::Application).size(), series::MaxRecordedGroups);
        QList<int> storm(13, 0);
        storm[12] = 83; // app12
        storm[0] = 3;
        storm[1] = 2;
        storm[2] = 2;
        storm[3] = 1;
        storm[4] = 1;
        storm[5] = 1;
        recordSnapshot(set, appSample(20000, storm));
        const QString big = series::group(GroupDimension::Application, "app12");
        QVERIFY(recordedGroups(set, GroupDimension::Application).contains("app12"));
        QCOMPARE(last(set, big), 83.0);
        QCOMPARE(recordedGroups(set, GroupDimension::Application).size(), series::MaxRecordedGroups);
        // Others: the two sessions outside the top 5 (two of app3, app4, app5: one each); the top 5's series
        // hold the rest.
        QCOMPARE(last(set, series::groupOthers(GroupDimension::Application)), 2.0);
        for (int k = 0; k < 4; ++k)
            QVERIFY(set.find(series::group(GroupDimension::Application, QStringLiteral("app%1").arg(k))));
    }

    void recorderRates()
    {
        SeriesSet set;
        TargetSnapshot s = appSample(1000, {1});
        s.postgres->rollbacksPerSecond = 2.5;
        recordSnapshot(set, s);
        QCOMPARE(last(set, series::rollbacksPerSecond()), 2.5);
    }
};

QTEST_GUILESS_MAIN(TestPgSummary)
#include "tst_pgsummary.moc"
