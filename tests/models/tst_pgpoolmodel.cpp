// The Pgpool-II tables (nodes, processes, pools) as the Pgpool-II tab shows them: cell texts, a down node
// flagged, busy children flagged (PoolScope's own child apart), and merges that keep rows instead of
// resetting, under QAbstractItemModelTester.
#include "models/pgpoolmodel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

using namespace poolscope;
using models::PgpoolModel;

namespace {

PgpoolSample sample()
{
    PgpoolSample s;
    s.version = QStringLiteral("4.3.5 (tamahomeboshi)");
    s.numInitChildren = 4;
    s.maxPool = 2;
    PgpoolNode n0;
    n0.nodeId = 0;
    n0.hostname = QStringLiteral("127.0.0.1");
    n0.port = 5432;
    n0.status = QStringLiteral("up");
    n0.pgStatus = QStringLiteral("unknown");
    n0.role = QStringLiteral("main");
    n0.selectCount = 12;
    n0.lastStatusChange = QStringLiteral("2026-11-23 03:15:24");
    PgpoolNode n1 = n0;
    n1.nodeId = 1;
    n1.port = 5433;
    n1.status = QStringLiteral("down");
    n1.role = QStringLiteral("replica");
    n1.selectCount = 0;
    s.nodes = {n0, n1};

    const auto process = [](qint64 pid, const QString &db, const QString &status, qint64 clients) {
        PgpoolProcess p;
        p.pid = pid;
        p.database = db;
        p.username = db.isEmpty() ? QString() : QStringLiteral("app");
        p.status = status;
        p.clientConnectionCount = clients;
        return p;
    };
    s.processes = {process(4001, QStringLiteral("app"), QStringLiteral("Idle in transaction"), 3),
                   process(4002, QString(), QStringLiteral("Wait for connection"), 0),
                   process(4003, QStringLiteral("app"), QStringLiteral("Idle"), 1)};
    s.ownChildPid = 4003;

    PgpoolPoolSlot slot;
    slot.pid = 4001;
    slot.poolId = 0;
    slot.backendId = 0;
    slot.database = QStringLiteral("app");
    slot.username = QStringLiteral("app");
    slot.backendPid = 777;
    slot.connected = true;
    PgpoolPoolSlot empty;
    empty.pid = 4002;
    s.pools = {slot, empty};
    return s;
}

QStringList row(const QAbstractItemModel &m, int r)
{
    QStringList out;
    for (int c = 0; c < m.columnCount(); ++c)
        out.append(m.index(r, c).data().toString());
    return out;
}

} // namespace

class TestPgpoolModel : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void nodes()
    {
        PgpoolModel m(PgpoolModel::Table::Nodes);
        QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
        m.setAlertColor(Qt::red);
        m.setSample(sample());
        QCOMPARE(m.rowCount(), 2);
        QCOMPARE(row(m, 0),
                 (QStringList{"0", "127.0.0.1:5432", "up", "unknown", "main", "12", "2026-11-23 03:15:24"}));
        QVERIFY(!m.index(0, 0).data(PgpoolModel::AlertRole).toBool());
        QVERIFY(!m.index(0, 2).data(Qt::BackgroundRole).isValid());
        // The down node stands out.
        QCOMPARE(m.index(1, 2).data().toString(), QStringLiteral("down"));
        QVERIFY(m.index(1, 0).data(PgpoolModel::AlertRole).toBool());
        QCOMPARE(m.index(1, 2).data(Qt::BackgroundRole).value<QColor>(), QColor(Qt::red));
    }

    void processesFlagBusyChildrenButNotPoolScopes()
    {
        PgpoolModel m(PgpoolModel::Table::Processes);
        QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
        m.setSample(sample());
        QCOMPARE(m.rowCount(), 3);
        QCOMPARE(row(m, 0), (QStringList{"4001", "app", "app", "Idle in transaction", "3"}));
        QVERIFY(m.index(0, 0).data(PgpoolModel::AlertRole).toBool());
        QVERIFY(!m.index(1, 0).data(PgpoolModel::AlertRole).toBool()); // waiting for a connection
        QCOMPARE(m.index(2, 3).data().toString(), QStringLiteral("Idle (PoolScope)"));
        QVERIFY(!m.index(2, 0).data(PgpoolModel::AlertRole).toBool());
    }

    void pools()
    {
        PgpoolModel m(PgpoolModel::Table::Pools);
        QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
        m.setSample(sample());
        QCOMPARE(m.rowCount(), 2);
        // Two nodes: the slot names its node.
        QCOMPARE(row(m, 0), (QStringList{"4001", "0 (node 0)", "777", "yes", "app", "app"}));
        QCOMPARE(row(m, 1), (QStringList{"4002", "0 (node 0)", "", "no", "", ""}));
    }

    // A second sample changes one child and drops another: one dataChanged, one removal, no reset.
    void mergeKeepsRows()
    {
        PgpoolModel m(PgpoolModel::Table::Processes);
        QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
        PgpoolSample s = sample();
        m.setSample(s);
        QSignalSpy resets(&m, &QAbstractItemModel::modelReset);
        QSignalSpy changed(&m, &QAbstractItemModel::dataChanged);
        QSignalSpy removed(&m, &QAbstractItemModel::rowsRemoved);
        QSignalSpy inserted(&m, &QAbstractItemModel::rowsInserted);
        s.processes[0].status = QStringLiteral("Idle");
        s.processes.removeAt(1);
        m.setSample(s);
        QCOMPARE(resets.size(), 0);
        QCOMPARE(removed.size(), 1);
        QCOMPARE(inserted.size(), 0);
        QCOMPARE(changed.size(), 1);
        QCOMPARE(m.rowCount(), 2);
        QCOMPARE(m.index(0, 3).data().toString(), QStringLiteral("Idle"));
        // Unchanged: no signal at all.
        m.setSample(s);
        QCOMPARE(changed.size(), 1);
        m.clear();
        QCOMPARE(m.rowCount(), 0);
    }
};

QTEST_MAIN(TestPgpoolModel)
#include "tst_pgpoolmodel.moc"
