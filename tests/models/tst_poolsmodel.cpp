#include "models/poolsmodel.h"

#include <QAbstractItemModelTester>
#include <QColor>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QtTest>

using poolscope::PoolStats;
using poolscope::models::PoolsModel;

namespace {

// A pool written the way SHOW POOLS reads:
// "db/user mode pool_size cl_active cl_waiting sv_active sv_idle sv_used sv_tested sv_login maxwait_s",
// with "?" for a column this PgBouncer version does not report.
PoolStats pool(const QString &line)
{
    const QStringList f = line.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    Q_ASSERT(f.size() == 11);
    PoolStats p;
    const QStringList key = f[0].split(QLatin1Char('/'));
    p.database = key[0];
    p.user = key[1];
    if (f[1] != QLatin1String("?"))
        p.poolMode = f[1];
    auto n = [&](int i) -> std::optional<qint64> {
        return f[i] == QLatin1String("?") ? std::nullopt : std::optional<qint64>(f[i].toLongLong());
    };
    p.poolSize = n(2);
    p.clActive = n(3);
    p.clWaiting = n(4);
    p.svActive = n(5);
    p.svIdle = n(6);
    p.svUsed = n(7);
    p.svTested = n(8);
    p.svLogin = n(9);
    if (f[10] != QLatin1String("?"))
        p.maxwaitSeconds = f[10].toDouble();
    return p;
}

QList<PoolStats> pools(const QStringList &lines)
{
    QList<PoolStats> out;
    for (const QString &l : lines)
        out.append(pool(l));
    return out;
}

// What the user sees: each row's cells joined, in model order.
QStringList flatten(const QAbstractItemModel &model)
{
    QStringList rows;
    for (int r = 0; r < model.rowCount(); ++r) {
        QStringList cells;
        for (int c = 0; c < model.columnCount(); ++c)
            cells.append(model.index(r, c).data().toString());
        rows.append(cells.join(QLatin1Char(' ')));
    }
    return rows;
}

} // namespace

class TestPoolsModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void merge_data();
    void merge();
    void unknownIsNotZero();
    void waitingIsHighlighted();
    void unchangedMergeEmitsNothing();
    void sortsThroughProxy();
    void headers();
};

void TestPoolsModel::merge_data()
{
    QTest::addColumn<QStringList>("before");
    QTest::addColumn<QStringList>("after");
    QTest::addColumn<QStringList>("expected");
    QTest::addColumn<int>("inserted");
    QTest::addColumn<int>("removed");
    QTest::addColumn<int>("changed");

    const QString console = QStringLiteral("pgbouncer/pgbouncer statement 2 1 0 0 0 0 0 0 0");
    const QString app = QStringLiteral("app/app transaction 10 4 0 2 3 0 0 0 0");
    const QString appBusy = QStringLiteral("app/app transaction 10 12 3 10 0 0 0 0 1.25");
    const QString report = QStringLiteral("app/report session 5 1 0 1 0 0 0 0 0");

    QTest::addRow("first sample adds every pool")
        << QStringList{} << QStringList{console, app}
        << QStringList{QStringLiteral("pgbouncer pgbouncer statement 2 1 0 0 0 0 0 0 0.00"),
                       QStringLiteral("app app transaction 10 4 0 2 3 0 0 0 0.00")}
        << 1 << 0 << 0;
    QTest::addRow("a new pool is appended")
        << QStringList{console, app} << QStringList{console, app, report}
        << QStringList{QStringLiteral("pgbouncer pgbouncer statement 2 1 0 0 0 0 0 0 0.00"),
                       QStringLiteral("app app transaction 10 4 0 2 3 0 0 0 0.00"),
                       QStringLiteral("app report session 5 1 0 1 0 0 0 0 0.00")}
        << 1 << 0 << 0;
    QTest::addRow("a pool that went away is removed")
        << QStringList{console, app, report} << QStringList{console, report}
        << QStringList{QStringLiteral("pgbouncer pgbouncer statement 2 1 0 0 0 0 0 0 0.00"),
                       QStringLiteral("app report session 5 1 0 1 0 0 0 0 0.00")}
        << 0 << 1 << 0;
    QTest::addRow("counters change in place")
        << QStringList{console, app} << QStringList{console, appBusy}
        << QStringList{QStringLiteral("pgbouncer pgbouncer statement 2 1 0 0 0 0 0 0 0.00"),
                       QStringLiteral("app app transaction 10 12 3 10 0 0 0 0 1.25")}
        << 0 << 0 << 1;
    QTest::addRow("reordered input keeps rows where they are")
        << QStringList{console, app} << QStringList{appBusy, console}
        << QStringList{QStringLiteral("pgbouncer pgbouncer statement 2 1 0 0 0 0 0 0 0.00"),
                       QStringLiteral("app app transaction 10 12 3 10 0 0 0 0 1.25")}
        << 0 << 0 << 1;
    QTest::addRow("add, remove and change at once")
        << QStringList{console, app} << QStringList{report, appBusy}
        << QStringList{QStringLiteral("app app transaction 10 12 3 10 0 0 0 0 1.25"),
                       QStringLiteral("app report session 5 1 0 1 0 0 0 0 0.00")}
        << 1 << 1 << 1;
    QTest::addRow("everything goes away")
        << QStringList{console, app, report} << QStringList{} << QStringList{} << 0 << 1 << 0;
}

void TestPoolsModel::merge()
{
    QFETCH(QStringList, before);
    QFETCH(QStringList, after);
    QFETCH(QStringList, expected);
    QFETCH(int, inserted);
    QFETCH(int, removed);
    QFETCH(int, changed);

    PoolsModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.merge(pools(before));

    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
    QSignalSpy layouts(&model, &QAbstractItemModel::layoutChanged);
    QSignalSpy inserts(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy removals(&model, &QAbstractItemModel::rowsRemoved);
    QSignalSpy changes(&model, &QAbstractItemModel::dataChanged);
    model.merge(pools(after));

    QCOMPARE(flatten(model), expected);
    QCOMPARE(model.rowCount(), expected.size());
    QCOMPARE(resets.size(), 0);
    QCOMPARE(layouts.size(), 0);
    QCOMPARE(inserts.size(), inserted);
    QCOMPARE(removals.size(), removed);
    QCOMPARE(changes.size(), changed);
}

void TestPoolsModel::unknownIsNotZero()
{
    PoolsModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    // An old PgBouncer without sv_login, and a pool whose pool_size was not joined yet.
    model.merge(pools({QStringLiteral("app/app ? ? 3 0 1 2 0 0 ? ?")}));
    QCOMPARE(flatten(model), QStringList{QStringLiteral("app app — — 3 0 1 2 0 0 — —")});
    QCOMPARE(model.index(0, PoolsModel::SvLogin).data().toString(), PoolsModel::unknownText());
    QCOMPARE(model.index(0, PoolsModel::ClWaiting).data().toString(), QStringLiteral("0"));
}

void TestPoolsModel::waitingIsHighlighted()
{
    PoolsModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.merge(pools({QStringLiteral("app/app transaction 10 12 3 10 0 0 0 0 1.25"),
                       QStringLiteral("app/report session 5 1 0 1 0 0 0 0 0")}));

    const QModelIndex waiting = model.index(0, PoolsModel::ClWaiting);
    QVERIFY(waiting.data(Qt::BackgroundRole).value<QColor>().isValid());
    QVERIFY(waiting.data(Qt::ForegroundRole).value<QColor>().isValid());
    QVERIFY(model.index(0, PoolsModel::Database).data(Qt::FontRole).value<QFont>().bold());
    QVERIFY(waiting.data(Qt::ToolTipRole).toString().contains(QStringLiteral("3 clients waiting")));

    const QModelIndex calm = model.index(1, PoolsModel::ClWaiting);
    QVERIFY(!calm.data(Qt::BackgroundRole).isValid());
    QVERIFY(!model.index(1, PoolsModel::Database).data(Qt::FontRole).isValid());

    // The queue drains: the highlight goes with it.
    QSignalSpy changes(&model, &QAbstractItemModel::dataChanged);
    model.merge(pools({QStringLiteral("app/app transaction 10 12 0 10 0 0 0 0 0"),
                       QStringLiteral("app/report session 5 1 0 1 0 0 0 0 0")}));
    QCOMPARE(changes.size(), 1);
    QVERIFY(!model.index(0, PoolsModel::ClWaiting).data(Qt::BackgroundRole).isValid());
}

void TestPoolsModel::unchangedMergeEmitsNothing()
{
    PoolsModel model;
    const QStringList lines{QStringLiteral("app/app transaction 10 4 0 2 3 0 0 0 0")};
    model.merge(pools(lines));
    QSignalSpy changes(&model, &QAbstractItemModel::dataChanged);
    QSignalSpy inserts(&model, &QAbstractItemModel::rowsInserted);
    model.merge(pools(lines));
    QCOMPARE(changes.size(), 0);
    QCOMPARE(inserts.size(), 0);
}

void TestPoolsModel::sortsThroughProxy()
{
    PoolsModel model;
    QSortFilterProxyModel proxy;
    proxy.setSourceModel(&model);
    proxy.setSortRole(PoolsModel::SortRole);
    QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    proxy.sort(PoolsModel::ClWaiting, Qt::DescendingOrder);

    model.merge(pools({QStringLiteral("a/u transaction 10 1 2 0 0 0 0 0 0"),
                       QStringLiteral("b/u transaction 10 1 ? 0 0 0 0 0 0"),
                       QStringLiteral("c/u transaction 10 1 10 0 0 0 0 0 0")}));
    auto column0 = [&] {
        QStringList out;
        for (int r = 0; r < proxy.rowCount(); ++r)
            out.append(proxy.index(r, PoolsModel::Database).data().toString());
        return out;
    };
    // Numeric, not textual ("10" above "2"); unknown below every known value.
    QCOMPARE(column0(), (QStringList{QStringLiteral("c"), QStringLiteral("a"), QStringLiteral("b")}));

    // A live update re-sorts without a reset.
    model.merge(pools({QStringLiteral("a/u transaction 10 1 20 0 0 0 0 0 0"),
                       QStringLiteral("b/u transaction 10 1 ? 0 0 0 0 0 0"),
                       QStringLiteral("c/u transaction 10 1 10 0 0 0 0 0 0")}));
    QCOMPARE(column0(), (QStringList{QStringLiteral("a"), QStringLiteral("c"), QStringLiteral("b")}));
}

void TestPoolsModel::headers()
{
    PoolsModel model;
    QCOMPARE(model.columnCount(), int(PoolsModel::ColumnCount));
    QCOMPARE(model.headerData(PoolsModel::ClWaiting, Qt::Horizontal).toString(),
             QStringLiteral("cl_waiting"));
    QCOMPARE(model.headerData(PoolsModel::MaxWait, Qt::Horizontal).toString(), QStringLiteral("maxwait (s)"));
    QVERIFY(!model.headerData(PoolsModel::ClWaiting, Qt::Horizontal, Qt::ToolTipRole).toString().isEmpty());
}

QTEST_GUILESS_MAIN(TestPoolsModel)
#include "tst_poolsmodel.moc"
