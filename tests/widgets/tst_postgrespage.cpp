// The PostgreSQL page's header details and its sessions-by-group chart, fed from captured rows (no server).
#include "core/postgresparsers.h"
#include "core/recorder.h"
#include "core/sessionanalysis.h"
#include "support/fixture.h"
#include "widgets/postgrespage.h"
#include "widgets/timechart.h"

#include <QComboBox>
#include <QDateTime>
#include <QFile>
#include <QLabel>
#include <QRegularExpression>
#include <QTest>

using namespace poolscope;
using poolscope::test::fixture;
using namespace poolscope::widgets;

namespace {

TargetSnapshot snapshotAt(qint64 ms)
{
    PostgresSample pg;
    parsers::parsePgServer(fixture("postgres/pg_server_17.txt"), pg);
    pg.sessions = parsers::parsePgActivity(fixture("postgres/pg_activity_16.txt"), &pg.poolscopeSessions);
    analysis::summarizeSessions(pg);
    TargetSnapshot s;
    s.kind = TargetKind::Postgres;
    s.ok = true;
    s.serverVersion = "16.4";
    s.sampledAtMs = ms;
    s.postgres = pg;
    return s;
}

QString plain(const QLabel *label)
{
    QString text = label->text();
    text.remove(QRegularExpression("<[^>]*>"));
    return text;
}

} // namespace

class TestPostgresPage : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void headerAndGroups()
    {
        SeriesSet set;
        PostgresPage page(&set);
        page.resize(1000, 700);
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        TargetSnapshot last;
        for (int i = 0; i < 5; ++i) {
            last = snapshotAt(now - (4 - i) * 1000);
            recordSnapshot(set, last);
            page.showSnapshot(last);
        }
        QCOMPARE(plain(page.findChild<QLabel *>("headroomLabel")), QString("Headroom: 185"));
        // The sessions, PoolScope's own connections and the headroom add up to the usable connections: 8 + 2
        // + 185.
        QCOMPARE(plain(page.findChild<QLabel *>("sessionsLabel")),
                 QString("Sessions: 8 + 2 PoolScope of 195 usable"));
        QCOMPARE(plain(page.findChild<QLabel *>("locksLabel")),
                 QString("Lock waits: 2, root blocker 503 (blocks 2)"));
        QVERIFY2(plain(page.findChild<QLabel *>("xminLabel")).startsWith("Oldest xmin: 75 xids by pid 503"),
                 qPrintable(plain(page.findChild<QLabel *>("xminLabel"))));

        TimeChart *groups = page.groupsChart();
        QCOMPARE(page.charts().size(), 3);
        QCOMPARE(groups->title(), QString("Sessions by application, top 5"));
        QCOMPARE(groups->seriesCount(), 5); // web, worker, "", psql + others
        page.setGroupDimension(GroupDimension::Client);
        QCOMPARE(groups->title(), QString("Sessions by client address, top 5"));
        QCOMPARE(groups->seriesCount(), 4); // 10.0.0.8, 10.0.0.7, local socket + others
        QStringList names;
        for (int i = 0; i < groups->graphCount(); ++i)
            names.append(groups->graph(i)->name());
        QVERIFY2(names.contains("local socket"), qPrintable(names.join(", ")));
        groups->refreshNow();
        QCOMPARE(groups->visibleTop(), 4.0); // 10.0.0.8's four sessions
    }

    // The TPS chart's legend says over which window PostgreSQL's figure averages, or why there is none; a
    // linked pooler's traffic joins it, labelled as exact.
    void tpsChartSaysItsWindow()
    {
        SeriesSet set;
        PostgresPage page(&set);
        TimeChart *tps = page.tpsChart();
        QCOMPARE(tps->seriesLabel(series::tps()), QString("commits + rollbacks"));
        TargetSnapshot s = snapshotAt(QDateTime::currentMSecsSinceEpoch());
        s.postgres->transactionRate.status = RateStatus::Filling;
        s.postgres->transactionRate.targetWindowS = 10;
        page.showSnapshot(s);
        QCOMPARE(tps->seriesLabel(series::tps()), QString("commits + rollbacks: filling its 10 s window"));
        s.postgres->transactionRate.status = RateStatus::Ok;
        s.postgres->transactionRate.perSecond = 48;
        s.postgres->transactionRate.windowS = 12.4;
        page.showSnapshot(s);
        QCOMPARE(tps->seriesLabel(series::tps()), QString("commits + rollbacks, 12 s average"));
        s.postgres->transactionRate = RateEstimate{RateStatus::Unpublished};
        page.showSnapshot(s);
        QCOMPARE(tps->seriesLabel(series::tps()),
                 QString("commits + rollbacks: not yet published by the server"));
        QCOMPARE(tps->seriesCount(), 2);
        page.setPoolerTraffic("pgbouncer");
        QCOMPARE(tps->seriesCount(), 3);
        QCOMPARE(tps->seriesLabel(series::poolerTps()), QString("through pgbouncer (SHOW STATS, exact)"));
        // The window's label survives the chart being set up again.
        QCOMPARE(tps->seriesLabel(series::tps()),
                 QString("commits + rollbacks: not yet published by the server"));
        page.setPoolerTraffic({});
        QCOMPARE(tps->seriesCount(), 2);
    }

    // A dozen small applications, then one holding most of the server: the chart names it, as one of the top
    // five now, however many names came before it.
    void groupsChartShowsTheTopFiveNow()
    {
        SeriesSet set;
        PostgresPage page(&set);
        page.resize(1000, 700);
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        auto sample = [](qint64 ms, const QList<QPair<QString, int>> &apps) {
            PostgresSample pg;
            qint64 pid = 1;
            for (const auto &[app, n] : apps) {
                for (int k = 0; k < n; ++k) {
                    Session s;
                    s.pid = pid++;
                    s.applicationName = app;
                    s.state = QStringLiteral("idle");
                    pg.sessions.append(s);
                }
            }
            analysis::summarizeSessions(pg);
            TargetSnapshot t;
            t.kind = TargetKind::Postgres;
            t.ok = true;
            t.sampledAtMs = ms;
            t.postgres = pg;
            return t;
        };
        for (int i = 0; i < 12; ++i) {
            const TargetSnapshot t = sample(now - (20 - i) * 1000, {{QStringLiteral("small%1").arg(i), 6}});
            recordSnapshot(set, t);
            page.showSnapshot(t);
        }
        const TargetSnapshot storm = sample(now, {{"api", 83}, {"small11", 2}, {"small0", 1}});
        recordSnapshot(set, storm);
        page.showSnapshot(storm);
        TimeChart *groups = page.groupsChart();
        QStringList names;
        for (int i = 0; i < groups->graphCount(); ++i)
            names.append(groups->graph(i)->name());
        QVERIFY2(names.contains("api"), qPrintable(names.join(", ")));
        QVERIFY2(names.contains("small11") && names.contains("small0"), qPrintable(names.join(", ")));
        QCOMPARE(groups->seriesCount(), 6); // five groups + others
    }
};

QTEST_MAIN(TestPostgresPage)
#include "tst_postgrespage.moc"
