// Integration (offscreen GUI, real PostgreSQL 15 + PgBouncer 1.18 sandbox): the capacity planner in the main
// window. View → Capacity planner fills the plan from what is connected, and every figure it takes agrees
// with what psql reads from PostgreSQL and from PgBouncer's console (max_connections, default_pool_size, each
// pool's size, an application's sessions and its clients through the pooler); a finding about a capacity
// limit (app-pool-ceiling) opens the planner with its application at the size it was stuck at, and a finding
// that is not about a limit has no such button.
#include "core/capacity.h"
#include "core/finding.h"
#include "db/pg.h"
#include "support/testsupport.h"
#include "support/windowsupport.h"
#include "widgets/findingscontroller.h"
#include "widgets/findingspanel.h"
#include "widgets/mainwindow.h"
#include "widgets/plannercontroller.h"
#include "widgets/plannerpage.h"
#include "widgets/targetpage.h"

#include <QAction>
#include <QApplication>
#include <QLabel>
#include <QPushButton>
#include <QRegularExpression>
#include <QSlider>
#include <QStackedWidget>
#include <QTableView>
#include <QTest>

using namespace poolscope;
using widgets::MainWindow;

namespace {

/// Every row of `sql` as psql would read it, on a connection of the test's own (`conninfo` may be the
/// PgBouncer console: simple protocol).
QList<QStringList> rowsOf(const QString &conninfo, const QByteArray &sql)
{
    DbError e;
    db::PgConn conn = db::connect(db::parseConnInfo(conninfo), db::ConnectOptions{"tst-observer"}, &e);
    if (!conn)
        qFatal("observer connection failed: %s", qPrintable(e.message));
    db::PgResult r = db::exec(conn.get(), sql, &e);
    if (!r)
        qFatal("observer query failed: %s", qPrintable(e.message));
    QList<QStringList> rows;
    for (int i = 0; i < PQntuples(r.get()); ++i) {
        QStringList row;
        for (int c = 0; c < PQnfields(r.get()); ++c)
            row.append(QString::fromUtf8(PQgetvalue(r.get(), i, c)));
        rows.append(row);
    }
    return rows;
}

int columnOf(const QString &conninfo, const QByteArray &sql, const char *column)
{
    DbError e;
    db::PgConn conn = db::connect(db::parseConnInfo(conninfo), db::ConnectOptions{"tst-observer"}, &e);
    db::PgResult r = conn ? db::exec(conn.get(), sql, &e) : db::PgResult();
    if (!r)
        qFatal("observer query failed: %s", qPrintable(e.message));
    return PQfnumber(r.get(), column);
}

const plan::AppSpec *appNamed(const plan::Plan &p, const QString &name)
{
    for (const plan::AppSpec &a : p.apps) {
        if (a.name == name)
            return &a;
    }
    return nullptr;
}

} // namespace

class TestPlannerWindow : public QObject
{
    Q_OBJECT
    std::unique_ptr<sandbox::Sandbox> m_sandbox;
    std::unique_ptr<MainWindow> m_window;

    widgets::PlannerController *planner() const { return m_window->planner(); }
    QLabel *origin() const { return planner()->page()->findChild<QLabel *>("plannerOrigin"); }
    QStackedWidget *pages() const { return m_window->findChild<QStackedWidget *>("pages"); }

private Q_SLOTS:
    void initTestCase()
    {
        test::quietLogging();
        QString error;
        m_sandbox = test::startSandbox(&error);
        QVERIFY2(m_sandbox, qPrintable(error));
        m_window = test::openWindowOnSandbox(*m_sandbox, 200);
        QVERIFY(m_window);
        QVERIFY(pages());
    }

    void cleanupTestCase()
    {
        m_window.reset();
        m_sandbox.reset();
    }

    void planFromWhatIsConnectedMatchesPsql()
    {
        test::HeldSessions direct;
        test::HeldSessions pooled;
        QString error;
        QVERIFY2(direct.open(m_sandbox->uris().app, 3, "tst-direct", {"SELECT 1"}, &error),
                 qPrintable(error));
        QVERIFY2(pooled.open(m_sandbox->uris().pgbouncerApp, 4, "tst-pooled", {"SELECT 1"}, &error),
                 qPrintable(error));
        // The pooler's clients come with its connections round (every 5 s).
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const auto p = planner()->livePlan(0);
                return p && appNamed(*p, "tst-direct") && appNamed(*p, "tst-pooled");
            }(),
            15000);

        QAction *show = m_window->findChild<QAction *>("actionPlanner");
        QVERIFY(show);
        QVERIFY(show->isEnabled());
        show->trigger();
        QCOMPARE(pages()->currentWidget(), planner()->page());
        // The page was empty: showing it started from what is connected.
        const plan::Plan p = planner()->page()->plan();

        // PostgreSQL's limits, as psql reads them.
        const QString su = m_sandbox->uris().postgres;
        QCOMPARE(p.postgres.maxConnections, rowsOf(su, "SHOW max_connections").at(0).at(0).toInt());
        QCOMPARE(p.postgres.superuserReserved,
                 rowsOf(su, "SHOW superuser_reserved_connections").at(0).at(0).toInt());
        // The applications: their sessions in pg_stat_activity, their clients in SHOW CLIENTS.
        const plan::AppSpec *d = appNamed(p, "tst-direct");
        QVERIFY(d);
        QCOMPARE(d->via, QString("postgres"));
        QCOMPARE(d->poolSize, rowsOf(su, "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                                         "'tst-direct'")
                                  .at(0)
                                  .at(0)
                                  .toInt());
        QCOMPARE(d->poolSize, 3);
        const QString console = m_sandbox->uris().pgbouncerConsole;
        const QList<QStringList> clients = rowsOf(console, "SHOW CLIENTS");
        const int appCol = columnOf(console, "SHOW CLIENTS", "application_name");
        const int dbCol = columnOf(console, "SHOW CLIENTS", "database");
        int pooledClients = 0;
        for (const QStringList &c : clients)
            pooledClients += c.at(appCol) == "tst-pooled" && c.at(dbCol) == "app";
        const plan::AppSpec *q = appNamed(p, "tst-pooled");
        QVERIFY(q);
        QCOMPARE(q->poolSize, pooledClients);
        QCOMPARE(q->poolSize, 4);
        QCOMPARE(q->database, QString("app"));
        QCOMPARE(q->user, QString("app"));
        // The pooler: its name, settings and pools as SHOW CONFIG and SHOW POOLS say.
        QCOMPARE(p.poolers.size(), 1);
        QCOMPARE(q->via, p.poolers.first().name);
        QCOMPARE(q->via, QString("pgbouncer")); // short in the plan; the target it stands for said above it
        QVERIFY2(
            origin()->text().contains(QRegularExpression(R"(pgbouncer = \S+@127\.0\.0\.1:\d+/pgbouncer)")),
            qPrintable(origin()->text()));
        QHash<QString, QString> config;
        for (const QStringList &row : rowsOf(console, "SHOW CONFIG"))
            config.insert(row.at(0), row.at(1));
        QCOMPARE(p.poolers.first().defaultPoolSize, config.value("default_pool_size").toInt());
        QCOMPARE(p.poolers.first().maxClientConn, config.value("max_client_conn").toInt());
        QCOMPARE(p.poolers.first().poolMode, config.value("pool_mode"));
        const int poolDb = columnOf(console, "SHOW DATABASES", "name");
        const int poolSizeCol = columnOf(console, "SHOW DATABASES", "pool_size");
        for (const plan::PoolSpec &pool : p.poolers.first().pools) {
            for (const QStringList &row : rowsOf(console, "SHOW DATABASES")) {
                if (row.at(poolDb) == pool.database && pool.poolSize)
                    QCOMPARE(*pool.poolSize, row.at(poolSizeCol).toInt());
            }
        }
        // What the page shows is the evaluation of that plan.
        QCOMPARE(planner()->page()->result().worstCaseBackends, capacity::evaluate(p).worstCaseBackends);
        const QLabel *origin = planner()->page()->findChild<QLabel *>("plannerOrigin");
        QVERIFY(origin);
        QVERIFY2(origin->text().contains("what is connected at"), qPrintable(origin->text()));
    }

    void capacityFindingOpensThePlanner()
    {
        // Four sessions of one application stuck at exactly 4, all idle in transaction: its pool is full.
        test::HeldSessions held;
        QString error;
        QVERIFY2(held.open(m_sandbox->uris().app, 4, "tst-ceiling", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        auto open = [this](const QString &rule) -> std::optional<findings::Finding> {
            for (const findings::Finding &f : m_window->findings()->engine().openFindings()) {
                if (f.rule == rule && f.subject == "tst-ceiling")
                    return f;
            }
            return std::nullopt;
        };
        QTRY_VERIFY_WITH_TIMEOUT(open(findings::rule::AppPoolCeiling), 20000);
        QTRY_VERIFY_WITH_TIMEOUT(open(findings::rule::IdleInTransactionLeak), 20000);
        widgets::FindingsPanel *panel = m_window->findings()->panel();
        m_window->findings()->showDock();

        // Not a limit: no planner button.
        QTRY_VERIFY_WITH_TIMEOUT(panel->selectFinding(open(findings::rule::IdleInTransactionLeak)->id), 2000);
        QVERIFY(!panel->planButton()->isVisible());

        m_window->showFleet();
        QTRY_VERIFY_WITH_TIMEOUT(panel->selectFinding(open(findings::rule::AppPoolCeiling)->id), 2000);
        QVERIFY(panel->planButton()->isVisible());
        QTest::mouseClick(panel->planButton(), Qt::LeftButton);
        QCOMPARE(pages()->currentWidget(), planner()->page());
        const plan::AppSpec *a = appNamed(planner()->page()->plan(), "tst-ceiling");
        QVERIFY(a);
        QCOMPARE(a->poolSize, 4);
        QCOMPARE(a->via, QString("postgres"));
        // The what-if sliders are on it.
        QCOMPARE(planner()->page()->poolSizeSlider()->value(), 4);
        QCOMPARE(planner()->page()->appTable()->currentIndex().row(),
                 int(a - planner()->page()->plan().apps.data()));
        const QLabel *origin = planner()->page()->findChild<QLabel *>("plannerOrigin");
        QVERIFY(origin);
        QVERIFY2(origin->text().contains("app-pool-ceiling"), qPrintable(origin->text()));
        // For a look at it (not a check): POOLSCOPE_SCREENSHOT_DIR=/tmp/shots.
        if (const QString dir = qEnvironmentVariable("POOLSCOPE_SCREENSHOT_DIR"); !dir.isEmpty()) {
            QTest::qWait(300);
            m_window->grab().save(dir + "/planner-from-finding.png");
        }
    }
};

QTEST_MAIN(TestPlannerWindow)
#include "tst_plannerwindow.moc"
