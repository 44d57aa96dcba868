// SHOW CLIENTS / SHOW SERVERS tables of the PgBouncer page, fed from captured rows.
#include "core/bouncerparsers.h"
#include "models/bouncerconnectionsmodel.h"
#include "support/fixture.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QtTest>

using namespace poolscope;
using models::BouncerConnectionsModel;
using poolscope::test::fixture;

namespace {

QList<BouncerConnection> rows(const QString &name)
{
    return parsers::parseShowConnections(fixture(QStringLiteral("pgbouncer/") + name));
}

// One column of the model, in model order.
QStringList column(const QAbstractItemModel &model, int c)
{
    QStringList out;
    for (int r = 0; r < model.rowCount(); ++r)
        out.append(model.index(r, c).data().toString());
    return out;
}

} // namespace

class TestBouncerConnectionsModel : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void linksResolveTheOtherSide()
    {
        const QList<BouncerConnection> clients = rows(QStringLiteral("show_clients_1.24.txt"));
        const QList<BouncerConnection> servers = rows(QStringLiteral("show_servers_1.24.txt"));
        BouncerConnectionsModel c(BouncerConnectionsModel::Side::Clients);
        BouncerConnectionsModel s(BouncerConnectionsModel::Side::Servers);
        QAbstractItemModelTester ct(&c, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester st(&s, QAbstractItemModelTester::FailureReportingMode::QtTest);
        c.merge(clients, servers);
        s.merge(servers, clients);

        QCOMPARE(column(c, BouncerConnectionsModel::Application),
                 (QStringList{"billing", "web", "report", "psql"}));
        QCOMPARE(column(c, BouncerConnectionsModel::Link), (QStringList{"backend 4242", "", "", ""}));
        QCOMPARE(column(c, BouncerConnectionsModel::Address),
                 (QStringList{"10.0.0.5:51234", "10.0.0.6:40112", "10.0.0.7:40200", "unix"}));
        QCOMPARE(column(c, BouncerConnectionsModel::Id), (QStringList{"17", "18", "19", "1"}));
        QCOMPARE(column(c, BouncerConnectionsModel::Wait), (QStringList{"0.0", "0.0", "3.3", "0.0"}));
        QCOMPARE(c.index(2, 0).data(BouncerConnectionsModel::IdRole).toLongLong(), 19);

        QCOMPARE(column(s, BouncerConnectionsModel::Link), (QStringList{"10.0.0.5:51234 (billing)", "", ""}));
        QCOMPARE(column(s, BouncerConnectionsModel::RemotePid), (QStringList{"4242", "4243", "4244"}));
    }

    void unknownBeforeIds()
    {
        // 1.18: no id column, remote_pid 0 for TCP clients: "—", never 0.
        BouncerConnectionsModel c(BouncerConnectionsModel::Side::Clients);
        c.merge(rows(QStringLiteral("show_clients_1.18.txt")), rows(QStringLiteral("show_servers_1.18.txt")));
        QVERIFY(c.rowCount() > 0);
        for (int r = 0; r < c.rowCount(); ++r) {
            QCOMPARE(c.index(r, BouncerConnectionsModel::Id).data().toString(), QStringLiteral("—"));
            QVERIFY(!c.index(r, BouncerConnectionsModel::Id).data(BouncerConnectionsModel::IdRole).isValid());
        }
        QCOMPARE(c.index(0, BouncerConnectionsModel::RemotePid).data().toString(), QStringLiteral("—"));
    }

    void mergeNeverResets()
    {
        QList<BouncerConnection> clients = rows(QStringLiteral("show_clients_1.24.txt"));
        const QList<BouncerConnection> servers = rows(QStringLiteral("show_servers_1.24.txt"));
        BouncerConnectionsModel c(BouncerConnectionsModel::Side::Clients);
        QAbstractItemModelTester ct(&c, QAbstractItemModelTester::FailureReportingMode::QtTest);
        c.merge(clients, servers);
        const QPersistentModelIndex report(c.index(2, 0));

        QSignalSpy resets(&c, &QAbstractItemModel::modelReset);
        QSignalSpy removals(&c, &QAbstractItemModel::rowsRemoved);
        QSignalSpy changes(&c, &QAbstractItemModel::dataChanged);
        // web disconnects, report's wait grows.
        clients.removeAt(1);
        clients[1].waitSeconds = 8.5;
        c.merge(clients, servers);
        QCOMPARE(resets.size(), 0);
        QCOMPARE(removals.size(), 1);
        QCOMPARE(changes.size(), 1);
        QVERIFY(report.isValid());
        QCOMPARE(report.sibling(report.row(), BouncerConnectionsModel::Wait).data().toString(),
                 QStringLiteral("8.5"));
    }

    void filtersAndSortsThroughAProxy()
    {
        BouncerConnectionsModel c(BouncerConnectionsModel::Side::Clients);
        c.merge(rows(QStringLiteral("show_clients_1.24.txt")), rows(QStringLiteral("show_servers_1.24.txt")));
        QSortFilterProxyModel proxy;
        proxy.setSourceModel(&c);
        proxy.setSortRole(BouncerConnectionsModel::SortRole);
        proxy.setFilterKeyColumn(-1);
        proxy.setFilterCaseSensitivity(Qt::CaseInsensitive);
        proxy.sort(BouncerConnectionsModel::Wait, Qt::DescendingOrder);
        QCOMPARE(proxy.index(0, BouncerConnectionsModel::Application).data().toString(),
                 QStringLiteral("report"));
        proxy.setFilterFixedString(QStringLiteral("WAITING"));
        QCOMPARE(proxy.rowCount(), 1);
        proxy.setFilterFixedString(QStringLiteral("10.0.0.5"));
        QCOMPARE(column(proxy, BouncerConnectionsModel::Application), QStringList{"billing"});
    }
};

QTEST_GUILESS_MAIN(TestBouncerConnectionsModel)
#include "tst_bouncerconnectionsmodel.moc"
