// Integration (offscreen GUI): closing the window returns within 2 s whatever a target or a load run is
// doing. The window is closed while a target's server is SIGSTOPped mid-poll and a load run's setup SQL waits
// on a lock the test holds (the blocked CREATE TABLE must be cancelled, not left behind), and again while a
// load runs against a server that stopped answering.
#include "models/targetlistmodel.h"
#include "support/enginetest.h"
#include "support/sandboxtestcase.h"
#include "widgets/loadpanel.h"
#include "widgets/mainwindow.h"

#include <QElapsedTimer>
#include <QListView>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace poolscope;
using widgets::MainWindow;

namespace {

constexpr qint64 CloseLimitMs = 2000;
constexpr int IntervalMs = 200;

// A CREATE TABLE that needs a lock on close_parent, which the test holds.
const char BlockedSetup[] = R"json({"name": "blocked-setup", "duration_s": 30,
 "setup": ["CREATE TABLE IF NOT EXISTS close_child (id int REFERENCES close_parent (id))"],
 "apps": [{"name": "a", "processes": 1, "pool": {"kind": "none"}}],
 "workloads": [{"name": "w", "app": "a", "workers": 2, "steps": [{"step": "query", "sql": "SELECT 1"}]}]})json";

TargetState stateOf(const MainWindow &window, int row)
{
    const auto *list = window.findChild<QListView *>(QStringLiteral("targetList"));
    if (!list || row >= list->model()->rowCount())
        return TargetState::Connecting;
    return TargetState(list->model()->index(row, 0).data(models::TargetListModel::StateRole).toInt());
}

// Backends of `application` on the sandbox, counted from a connection of the test's own.
int backends(const QString &monitorUri, const QByteArray &where)
{
    DbError error;
    db::PgConn conn = db::connect(db::parseConnInfo(monitorUri), {}, &error);
    if (!conn)
        return -1;
    db::PgResult r = db::exec(conn.get(), "SELECT count(*) FROM pg_stat_activity WHERE " + where, &error);
    return r ? QByteArray(PQgetvalue(r.get(), 0, 0)).toInt() : -1;
}

// Closes and destroys the window as the application does when its last window closes; returns how long it
// took.
qint64 closeAndMeasure(std::unique_ptr<MainWindow> &window)
{
    QElapsedTimer clock;
    clock.start();
    window->close();
    window.reset();
    return clock.elapsed();
}

} // namespace

class TestCloseWindow : public test::SandboxTestCase
{
    Q_OBJECT
    QTemporaryDir m_home; // the window's saved state goes here, not into the user's

private Q_SLOTS:
    void init() { qputenv("XDG_DATA_HOME", m_home.path().toUtf8()); }

    void closesWhileSetupWaitsOnALockAndAPoolerIsStopped()
    {
        const sandbox::SandboxUris &uris = m_sandbox->uris();
        // The lock the load's setup will wait for: held by the test until the end.
        test::HeldSessions locker;
        QString error;
        QVERIFY2(locker.open(uris.app, 1, "tst_closewindow",
                             {"CREATE TABLE IF NOT EXISTS close_parent (id int PRIMARY KEY)", "BEGIN",
                              "LOCK TABLE close_parent IN ACCESS EXCLUSIVE MODE"},
                             &error),
                 qPrintable(error));

        auto window = std::make_unique<MainWindow>();
        window->resize(1200, 800);
        window->show();
        QCOMPARE(window->addTarget(uris.monitor, IntervalMs), 0);
        QCOMPARE(window->addTarget(uris.pgbouncerMonitor, IntervalMs), 1);
        QTRY_VERIFY_WITH_TIMEOUT(
            stateOf(*window, 0) == TargetState::Live && stateOf(*window, 1) == TargetState::Live, 15000);

        // PgBouncer stops answering: its target's poll hangs until the window declares it stalled.
        test::ServerFreezer freezer(pid_t(m_sandbox->bouncerPid()));
        QVERIFY(freezer.size() > 0);
        QTRY_VERIFY_WITH_TIMEOUT(stateOf(*window, 1) == TargetState::Stalled, 10000);

        // A load run whose setup is a CREATE TABLE that needs the lock the test holds.
        widgets::LoadPanel *panel = window->loadPanel();
        panel->setTarget(uris.app);
        panel->setScenarioText(QString::fromUtf8(BlockedSetup));
        panel->start();
        QVERIFY2(panel->isRunning(), qPrintable(panel->statusText()));
        const QByteArray waitingSetup =
            "application_name = 'poolscope-load-setup' AND wait_event_type = 'Lock'";
        QTRY_COMPARE_WITH_TIMEOUT(backends(uris.monitor, waitingSetup), 1, 15000);

        const qint64 ms = closeAndMeasure(window);
        qInfo("window closed in %lld ms (a pooler SIGSTOPped mid-poll, a setup statement waiting on a lock)",
              ms);
        QVERIFY2(ms < CloseLimitMs, qPrintable(QString::number(ms)));

        // The blocked statement was cancelled and its connection closed: nothing of the run stays behind.
        QTRY_COMPARE_WITH_TIMEOUT(backends(uris.monitor, "application_name = 'poolscope-load-setup'"), 0,
                                  5000);
        freezer.thaw();
        locker.closeAll();
    }

    void closesWhileALoadRunsAgainstAStoppedServer()
    {
        const sandbox::SandboxUris &uris = m_sandbox->uris();
        auto window = std::make_unique<MainWindow>();
        window->resize(1200, 800);
        window->show();
        QCOMPARE(window->addTarget(uris.monitor, IntervalMs), 0);
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(*window, 0), TargetState::Live, 15000);

        widgets::LoadPanel *panel = window->loadPanel();
        panel->setTarget(uris.pgbouncerApp);
        QVERIFY(panel->selectScenario(QStringLiteral("select1")));
        panel->setClients(8);
        panel->setDurationS(120);
        QSignalSpy samples(panel, &widgets::LoadPanel::sampleShown);
        panel->start();
        QTRY_VERIFY_WITH_TIMEOUT(samples.size() >= 1, 20000);

        // PostgreSQL stops answering: the load's queries hang behind PgBouncer, the target's poll hangs.
        test::ServerFreezer freezer(pid_t(m_sandbox->postgresPid()));
        QVERIFY(freezer.size() > 0);
        QTRY_COMPARE_WITH_TIMEOUT(stateOf(*window, 0), TargetState::Stalled, 10000);

        const qint64 ms = closeAndMeasure(window);
        qInfo("window closed in %lld ms (PostgreSQL SIGSTOPped under a running load and a target)", ms);
        QVERIFY2(ms < CloseLimitMs, qPrintable(QString::number(ms)));
        freezer.thaw();
    }
};

QTEST_MAIN(TestCloseWindow)
#include "tst_closewindow.moc"
