// The Pgpool-II tab on a real Pgpool-II 4.3 in front of the sandbox PostgreSQL, sampled through the main
// window: node 0 up, busy children equal to the clients held through Pgpool-II (and charted against the
// dashed num_init_children), the processes and pools tables, and the Sessions tab chained through Pgpool-II's
// own SHOW POOL_POOLS.
#include "models/pgpoolmodel.h"
#include "models/sessionsmodel.h"
#include "support/testsupport.h"
#include "widgets/mainwindow.h"
#include "widgets/pgpoolpage.h"
#include "widgets/sessionspage.h"
#include "widgets/targetpage.h"
#include "widgets/timechart.h"

#include <QLabel>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace poolscope;
using models::PgpoolModel;
using models::SessionsModel;
using widgets::MainWindow;
using widgets::PgpoolPage;

namespace {

QString cell(const QAbstractItemModel *m, int row, int column)
{
    return m->index(row, column).data().toString();
}

int lastValue(const SeriesSet &set, const QString &name)
{
    const TimeSeries *ts = set.find(name);
    if (!ts || ts->isEmpty())
        return -1;
    const std::optional<double> v = ts->lastValue();
    return v ? int(*v) : -1;
}

} // namespace

class TestPgpoolPage : public QObject
{
    Q_OBJECT
    QTemporaryDir m_config;
    std::unique_ptr<sandbox::Sandbox> m_sandbox;

public:
    TestPgpoolPage() { qputenv("XDG_CONFIG_HOME", m_config.path().toUtf8()); }

private Q_SLOTS:
    void initTestCase()
    {
        sandbox::SandboxOptions options;
        options.withPgBouncer = false;
        options.withPgpool = true; // num_init_children 4, max_pool 2
        QString error;
        m_sandbox = test::startSandbox(&error, options);
        QVERIFY2(m_sandbox, qPrintable(error));
    }
    void cleanupTestCase() { m_sandbox.reset(); }

    void showsNodesChildrenAndPools()
    {
        test::HeldSessions held;
        QString error;
        QVERIFY2(held.open(m_sandbox->uris().pgpoolApp, 2, "through-pgpool", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        const QSet<qint64> heldPids{PQbackendPID(held.at(0)), PQbackendPID(held.at(1))};

        MainWindow window;
        window.resize(1400, 900);
        window.show();
        QCOMPARE(window.addTarget(m_sandbox->uris().pgpoolMonitor, 250), 0);
        QTRY_VERIFY_WITH_TIMEOUT(window.pageFor(0)->pgpool() != nullptr, 15000);
        PgpoolPage *page = window.pageFor(0)->pgpool();
        // The PostgreSQL page as for any server (sampled through Pgpool-II), plus its own tab.
        QVERIFY(window.pageFor(0)->sessions());
        auto *tabs = window.pageFor(0)->findChild<QTabWidget *>(QStringLiteral("targetTabs"));
        QVERIFY(tabs);
        QCOMPARE(tabs->count(), 3);
        QCOMPARE(tabs->tabText(2), QStringLiteral("&Pgpool-II"));

        // Node 0, up, on the sandbox's PostgreSQL port; not highlighted.
        const QAbstractItemModel *nodes = page->nodesView()->model();
        QTRY_COMPARE_WITH_TIMEOUT(nodes->rowCount(), 1, 10000);
        QCOMPARE(cell(nodes, 0, 0), QStringLiteral("0"));
        QCOMPARE(cell(nodes, 0, 1), QStringLiteral("127.0.0.1:%1").arg(m_sandbox->postgresPort()));
        QCOMPARE(cell(nodes, 0, 2), QStringLiteral("up"));
        QVERIFY(!nodes->index(0, 0).data(PgpoolModel::AlertRole).toBool());

        // Busy children == the held clients, charted under num_init_children; the summary says the same.
        QTRY_COMPARE_WITH_TIMEOUT(lastValue(page->series(), PgpoolPage::busySeries()), 2, 10000);
        QCOMPARE(lastValue(page->series(), PgpoolPage::limitSeries()), 4);
        QVERIFY2(page->summaryLabel()->text().contains(QStringLiteral("2 of 4 children busy")),
                 qPrintable(page->summaryLabel()->text()));
        page->childrenChart()->refreshNow();
        QCOMPARE(page->childrenChart()->visibleTop(), 2.0);

        // Processes: 4 children (num_init_children), 2 of them flagged busy (PoolScope's own is not).
        const QAbstractItemModel *processes = page->processesView()->model();
        QCOMPARE(processes->rowCount(), 4);
        int busy = 0;
        for (int r = 0; r < processes->rowCount(); ++r)
            busy += processes->index(r, 0).data(PgpoolModel::AlertRole).toBool() ? 1 : 0;
        QCOMPARE(busy, 2);

        // Pools: the held clients' backend pids are there, connected.
        const QAbstractItemModel *pools = page->poolsView()->model();
        QSet<qint64> connectedPids;
        for (int r = 0; r < pools->rowCount(); ++r) {
            if (cell(pools, r, 3) == QStringLiteral("yes"))
                connectedPids.insert(cell(pools, r, 2).toLongLong());
        }
        QVERIFY(connectedPids.contains(heldPids));

        // The Sessions tab is chained through Pgpool-II itself: each held backend shows its pool and child.
        widgets::SessionsPage *sessions = window.pageFor(0)->sessions();
        QVERIFY(window.pageFor(0)->showSessionsTab(true)); // a hidden tab takes samples only when shown
        const auto poolOf = [sessions](qint64 pid) -> QString {
            const QAbstractItemModel *m = sessions->tableView()->model();
            for (int r = 0; r < m->rowCount(); ++r) {
                if (m->index(r, 0).data(SessionsModel::PidRole).toLongLong() == pid)
                    return m->index(r, SessionsModel::Pool).data().toString() + QLatin1Char('|') +
                           m->index(r, SessionsModel::PoolerClient).data().toString();
            }
            return QString();
        };
        for (qint64 pid : heldPids) {
            QTRY_VERIFY_WITH_TIMEOUT(poolOf(pid).startsWith(QStringLiteral("app/app|")), 10000);
            QVERIFY2(poolOf(pid).contains(QStringLiteral("child ")), qPrintable(poolOf(pid)));
        }
        QVERIFY(window.pageFor(0)->linkText().contains(QStringLiteral("Pgpool-II")));

        // The clients leave: no child busy any more.
        held.closeAll();
        QTRY_COMPARE_WITH_TIMEOUT(lastValue(page->series(), PgpoolPage::busySeries()), 0, 10000);
    }
};

QTEST_MAIN(TestPgpoolPage)
#include "tst_pgpoolpage.moc"
