// The PgBouncer page fed with samples of a real sandbox whose PgBouncer has default_pool_size 2, while four
// clients hold transactions through it: two hold the pool's two server connections, two wait in the queue.
#include "actions/modalsupport.h"
#include "core/recorder.h"
#include "db/sampler.h"
#include "models/bouncerconnectionsmodel.h"
#include "models/poolsmodel.h"
#include "support/testsupport.h"
#include "widgets/bouncerpage.h"
#include "widgets/timechart.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>

using namespace poolscope;
using models::BouncerConnectionsModel;
using models::PoolsModel;
using widgets::BouncerPage;
using widgets::TimeChart;

namespace {

const QString AppPool = QStringLiteral("app/app");

const PoolStats *appPool(const TargetSnapshot &s)
{
    if (!s.bouncer)
        return nullptr;
    for (const PoolStats &p : s.bouncer->pools) {
        if (p.key() == AppPool)
            return &p;
    }
    return nullptr;
}

// Samples into `set` and `page` every 200 ms until `done` holds for a sample (8 s at most); the last
// sample either way.
template <typename Predicate>
TargetSnapshot feedUntil(db::Sampler &sampler, SeriesSet &set, BouncerPage &page, Predicate done)
{
    QElapsedTimer timer;
    timer.start();
    TargetSnapshot s;
    do {
        s = sampler.sample();
        recordSnapshot(set, s);
        page.showSnapshot(s);
        if (s.ok && s.bouncer && done(s))
            return s;
        QTest::qWait(200);
    } while (timer.elapsed() < 8000);
    return s;
}

bool queueFull(const TargetSnapshot &s)
{
    const PoolStats *p = appPool(s);
    return p && p->clWaiting.value_or(0) >= 2 && p->saturated() && s.bouncer->clients &&
           s.bouncer->clients->size() >= 4;
}

// Clients of the app database in the page's clients table.
QStringList appClients(const BouncerConnectionsModel &model)
{
    QStringList out;
    for (int r = 0; r < model.rowCount(); ++r) {
        if (model.index(r, BouncerConnectionsModel::Database).data().toString() == QLatin1String("app"))
            out.append(model.index(r, BouncerConnectionsModel::Application).data().toString() +
                       QLatin1Char(':') + model.index(r, BouncerConnectionsModel::State).data().toString());
    }
    out.sort();
    return out;
}

// A synthetic sample of two pools: "app/app" (pool_size `size`, reserve `reserve`) and a calm "app/report".
TargetSnapshot synthetic(qint64 ms, qint64 size, qint64 reserve, qint64 appWaiting, qint64 reportWaiting)
{
    auto pool = [&](const QString &user, qint64 waiting) {
        PoolStats p;
        p.database = QStringLiteral("app");
        p.user = user;
        p.poolMode = QStringLiteral("transaction");
        p.clActive = size > 0 ? size : 5;
        p.clWaiting = waiting;
        p.svActive = size > 0 ? size : 5;
        p.svIdle = 0;
        p.svUsed = 0;
        p.svTested = 0;
        p.svLogin = 0;
        p.svActiveCancel = 0;
        p.svBeingCanceled = 0;
        p.maxwaitSeconds = waiting > 0 ? 2.0 : 0.0;
        p.poolSize = size;
        p.reservePool = reserve;
        return p;
    };
    TargetSnapshot s;
    s.ok = true;
    s.kind = TargetKind::PgBouncer;
    s.serverVersion = QStringLiteral("1.24.1/bouncer");
    s.sampledAtMs = ms;
    BouncerSample b;
    b.versionNum = 12401;
    b.pools = {pool(QStringLiteral("report"), reportWaiting), pool(QStringLiteral("app"), appWaiting)};
    s.bouncer = b;
    return s;
}

} // namespace

class TestBouncerPage : public QObject
{
    Q_OBJECT
    std::unique_ptr<sandbox::Sandbox> m_sandbox;
    test::HeldSessions m_holders;
    test::HeldSessions m_waiters;

    // Two clients in transactions holding both server connections, two more whose BEGIN waits for one.
    void fillThePool()
    {
        QString error;
        m_holders.closeAll();
        m_waiters.closeAll();
        QVERIFY2(
            m_holders.open(m_sandbox->uris().pgbouncerApp, 2, "tst-holder", {"BEGIN", "SELECT 1"}, &error),
            qPrintable(error));
        QVERIFY2(m_waiters.open(m_sandbox->uris().pgbouncerApp, 2, "tst-waiter", {}, &error),
                 qPrintable(error));
        for (int i = 0; i < m_waiters.size(); ++i)
            QVERIFY(PQsendQuery(m_waiters.at(i), "BEGIN") == 1);
    }

private Q_SLOTS:
    void initTestCase()
    {
        sandbox::SandboxOptions options;
        options.defaultPoolSize = 2;
        QString error;
        m_sandbox = test::startSandbox(&error, options);
        QVERIFY2(m_sandbox, qPrintable(error));
    }

    void cleanupTestCase()
    {
        m_holders.closeAll();
        m_waiters.closeAll();
        m_sandbox.reset();
    }

    // Limit lines and the default pool, from synthetic samples (no server needed).
    void limitLinesAndTheWorstPool()
    {
        SeriesSet set;
        BouncerPage page(&set);
        page.resize(1400, 900);
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        for (int i = 0; i < 4; ++i) {
            const TargetSnapshot s = synthetic(now - (6 - i) * 1000, 10, 3, 0, 0);
            recordSnapshot(set, s);
            page.showSnapshot(s);
        }
        TimeChart *servers = page.charts().at(0);
        QCOMPARE(page.currentPool(), QStringLiteral("app/report")); // nothing queues: the first pool
        QCOMPARE(servers->limitCount(), 2); // dashed pool_size, dotted pool_size + reserve
        servers->refreshNow();
        QStringList names;
        for (int g = 0; g < servers->graphCount(); ++g)
            names.append(servers->graph(g)->name());
        QVERIFY2(names.contains(QStringLiteral("pool_size: 10")), qPrintable(names.join(", ")));
        QVERIFY2(names.contains(QStringLiteral("pool_size + reserve: 13")), qPrintable(names.join(", ")));
        QCOMPARE(servers->graph(servers->graphCount() - 1)->pen().style(), Qt::DotLine);
        QCOMPARE(servers->yAxis->range().upper,
                 15.0); // 13 * 1.1 rounded up: the dotted line is not on the edge

        // app/app starts queueing: the page moves to it, since it is strictly worse.
        TargetSnapshot s = synthetic(now - 2000, 10, 3, 4, 0);
        recordSnapshot(set, s);
        page.showSnapshot(s);
        QCOMPARE(page.currentPool(), AppPool);
        // The user picks report: it stays, even though app/app is worse.
        page.setCurrentPool(QStringLiteral("app/report"));
        s = synthetic(now - 1000, 10, 3, 6, 0);
        recordSnapshot(set, s);
        page.showSnapshot(s);
        QCOMPARE(page.currentPool(), QStringLiteral("app/report"));

        // pool_size 0 (unlimited on 1.24+): no line, and the title says so.
        page.setCurrentPool(AppPool);
        s = synthetic(now, 0, 0, 0, 0);
        recordSnapshot(set, s);
        page.showSnapshot(s);
        QCOMPARE(servers->limitCount(), 0);
        QVERIFY2(servers->title().contains(QStringLiteral("unlimited")), qPrintable(servers->title()));
        QCOMPARE(page.poolsModel()
                     ->index(page.poolsModel()->rowOf(AppPool), PoolsModel::PoolSize)
                     .data()
                     .toString(),
                 QStringLiteral("unlimited"));
    }

    // What the on-call engineer sees through the stats console user.
    void saturatedPoolThroughTheStatsUser()
    {
        fillThePool();
        SeriesSet set;
        BouncerPage page(&set);
        page.resize(1400, 900);
        page.setActionConnInfo(m_sandbox->uris().pgbouncerMonitor, QStringLiteral("monitor console"));
        db::Sampler sampler(m_sandbox->uris().pgbouncerMonitor);
        const TargetSnapshot last = feedUntil(sampler, set, page, queueFull);
        QVERIFY2(queueFull(last), qPrintable(last.error.message));
        // A few more samples so the charts have a line, not a point.
        for (int i = 0; i < 3; ++i) {
            QTest::qWait(200);
            TargetSnapshot s = sampler.sample();
            recordSnapshot(set, s);
            page.showSnapshot(s);
        }

        // The saturated pool is the one charted by default, and its row is highlighted with the reason.
        QCOMPARE(page.currentPool(), AppPool);
        const PoolsModel *pools = page.poolsModel();
        const int row = pools->rowOf(AppPool);
        QVERIFY(row >= 0);
        QVERIFY(pools->index(row, 0).data(PoolsModel::SaturatedRole).toBool());
        QCOMPARE(pools->index(row, PoolsModel::Saturated).data().toString(), QStringLiteral("yes"));
        QVERIFY(pools->index(row, PoolsModel::Database).data(Qt::BackgroundRole).isValid());
        const QString tip = pools->index(row, PoolsModel::Database).data(Qt::ToolTipRole).toString();
        QVERIFY2(tip.contains(QStringLiteral("2 clients waiting while 2 of 2 servers are open")),
                 qPrintable(tip));
        QCOMPARE(pools->index(row, PoolsModel::Busy).data().toString(), QStringLiteral("100 %"));

        // Every chart has data, at the heights the pool is at.
        const QList<TimeChart *> charts = page.charts();
        QCOMPARE(charts.size(), 3);
        for (TimeChart *chart : charts) {
            chart->refreshNow();
            for (int g = 0; g < chart->graphCount(); ++g)
                QVERIFY2(!chart->graph(g)->data()->isEmpty(),
                         qPrintable(chart->title() + QStringLiteral(": ") + chart->graph(g)->name()));
        }
        TimeChart *servers = charts[0];
        QVERIFY2(servers->title().contains(AppPool), qPrintable(servers->title()));
        QCOMPARE(servers->visibleTop(), 2.0);         // both server connections, active
        QVERIFY(servers->yAxis->range().upper > 2.0); // the pool_size line is not on the top edge
        QVERIFY(charts[1]->visibleTop() >= 2.0);      // cl_active 2, cl_waiting 2
        QVERIFY(charts[2]->visibleTop() > 0);         // the queue ages

        // The clients table lists the four clients: two linked to a backend, two waiting.
        QCOMPARE(appClients(*page.clientsModel()), (QStringList{"tst-holder:active", "tst-holder:active",
                                                                "tst-waiter:waiting", "tst-waiter:waiting"}));
        int linked = 0;
        for (int r = 0; r < page.clientsModel()->rowCount(); ++r)
            linked += page.clientsModel()
                          ->index(r, BouncerConnectionsModel::Link)
                          .data()
                          .toString()
                          .startsWith(QStringLiteral("backend "));
        QCOMPARE(linked, 2);

        // The stats user may not act: Kill is greyed and says why.
        auto *kill = page.findChild<QPushButton *>(QStringLiteral("killButton"));
        QVERIFY(kill);
        QVERIFY(!kill->isEnabled());
        QVERIFY2(kill->toolTip().contains(QStringLiteral("admin_users")), qPrintable(kill->toolTip()));
        // 1.18 has no client ids: Kill client is greyed with the version.
        auto *killClient = page.findChild<QPushButton *>(QStringLiteral("killClientButton"));
        QVERIFY(!killClient->isEnabled());
        QVERIFY2(!killClient->toolTip().isEmpty(), "no reason given");

        // Read-only mode greys everything with its reason.
        page.setActionsEnabled(false, QStringLiteral("started with --read-only"));
        for (const char *name : {"reconnectButton", "killButton", "resumeButton", "killClientButton"}) {
            auto *b = page.findChild<QPushButton *>(QLatin1String(name));
            QVERIFY(!b->isEnabled());
            QVERIFY2(b->toolTip().contains(QStringLiteral("read-only")), qPrintable(b->toolTip()));
        }
    }

    // Kill through the admin console: No sends nothing; Yes drops the clients and the db stays usable.
    void killWithTheAdminConsole()
    {
        fillThePool();
        SeriesSet set;
        BouncerPage page(&set);
        page.resize(1400, 900);
        page.setActionConnInfo(m_sandbox->uris().pgbouncerConsole, QStringLiteral("admin console"));
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        db::Sampler sampler(m_sandbox->uris().pgbouncerConsole);
        const TargetSnapshot full = feedUntil(sampler, set, page, queueFull);
        QVERIFY2(queueFull(full), qPrintable(full.error.message));
        QCOMPARE(page.actionDatabase(), QStringLiteral("app"));

        auto *kill = page.findChild<QPushButton *>(QStringLiteral("killButton"));
        QVERIFY(kill);
        QVERIFY2(kill->isEnabled(), qPrintable(kill->toolTip()));
        QSignalSpy finished(&page, &BouncerPage::actionFinished);

        // No (Escape): nothing is sent, the holders keep their transactions.
        QString question;
        test::answerMessageBox(&question, Qt::Key_Escape);
        kill->click();
        QVERIFY2(question.contains(QStringLiteral("KILL app")), qPrintable(question));
        QVERIFY2(question.contains(QStringLiteral("RESUME app")), qPrintable(question));
        QTest::qWait(300);
        QCOMPARE(finished.size(), 0);
        DbError error;
        QVERIFY2(db::exec(m_holders.at(0), "SELECT 1", &error), qPrintable(error.message));
        QVERIFY(queueFull(feedUntil(sampler, set, page, queueFull)));

        // Yes: KILL app + RESUME app.
        test::answerMessageBox(&question, 0);
        kill->click();
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 15000);
        QVERIFY2(finished.at(0).at(0).toBool(), qPrintable(finished.at(0).at(1).toString()));
        // The held clients were dropped.
        QVERIFY(!db::exec(m_holders.at(0), "SELECT 1", &error));
        // The database is usable again: not paused, and a new client runs a query.
        const TargetSnapshot after = feedUntil(sampler, set, page, [](const TargetSnapshot &s) {
            const BouncerDatabase *db = s.bouncer->database(QStringLiteral("app"));
            const PoolStats *p = appPool(s);
            return db && db->paused && !*db->paused && (!p || p->clWaiting.value_or(0) == 0);
        });
        const BouncerDatabase *db = after.bouncer ? after.bouncer->database(QStringLiteral("app")) : nullptr;
        QVERIFY(db && db->paused && !*db->paused);
        test::HeldSessions fresh;
        QString openError;
        QVERIFY2(fresh.open(m_sandbox->uris().pgbouncerApp, 1, "tst-after", {"SELECT 1"}, &openError),
                 qPrintable(openError));
        m_holders.closeAll();
        m_waiters.closeAll();
    }
};

QTEST_MAIN(TestBouncerPage)
#include "tst_bouncerpage.moc"
