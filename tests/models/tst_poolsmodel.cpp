#include "models/poolsmodel.h"

#include <QAbstractItemModelTester>
#include <QColor>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QtTest>

using poolscope::PoolStats;
using poolscope::models::PoolsModel;

namespace {

// A pool written as "db/user key=value ...", the keys named after SHOW POOLS columns and the derived
// figures: mode, size, reserve, cl_active, cl_waiting, sv_active, sv_idle, sv_used, sv_tested, sv_login,
// maxwait, tps, qps, idle_ms. A key left out is a value this PgBouncer version (or sample) does not report.
PoolStats pool(const QString &line)
{
    const QStringList f = line.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    PoolStats p;
    const QStringList key = f[0].split(QLatin1Char('/'));
    p.database = key[0];
    p.user = key[1];
    for (qsizetype i = 1; i < f.size(); ++i) {
        const QString k = f[i].section(QLatin1Char('='), 0, 0);
        const QString v = f[i].section(QLatin1Char('='), 1);
        const qint64 n = v.toLongLong();
        if (k == QLatin1String("mode"))
            p.poolMode = v;
        else if (k == QLatin1String("size"))
            p.poolSize = n;
        else if (k == QLatin1String("reserve"))
            p.reservePool = n;
        else if (k == QLatin1String("cl_active"))
            p.clActive = n;
        else if (k == QLatin1String("cl_waiting"))
            p.clWaiting = n;
        else if (k == QLatin1String("sv_active"))
            p.svActive = n;
        else if (k == QLatin1String("sv_idle"))
            p.svIdle = n;
        else if (k == QLatin1String("sv_used"))
            p.svUsed = n;
        else if (k == QLatin1String("sv_tested"))
            p.svTested = n;
        else if (k == QLatin1String("sv_login"))
            p.svLogin = n;
        else if (k == QLatin1String("maxwait"))
            p.maxwaitSeconds = v.toDouble();
        else if (k == QLatin1String("tps"))
            p.tps = v.toDouble();
        else if (k == QLatin1String("qps"))
            p.qps = v.toDouble();
        else if (k == QLatin1String("idle_ms"))
            p.idleInXactMs = v.toDouble();
        else
            qFatal("unknown key %s", qPrintable(k));
    }
    return p;
}

QList<PoolStats> pools(const QStringList &lines)
{
    QList<PoolStats> out;
    for (const QString &l : lines)
        out.append(pool(l));
    return out;
}

// What the user sees: each row's cells joined with " | ", in model order.
QStringList flatten(const QAbstractItemModel &model)
{
    QStringList rows;
    for (int r = 0; r < model.rowCount(); ++r) {
        QStringList cells;
        for (int c = 0; c < model.columnCount(); ++c)
            cells.append(model.index(r, c).data().toString());
        rows.append(cells.join(QStringLiteral(" | ")));
    }
    return rows;
}

const QString App = QStringLiteral("app/app mode=transaction size=10 cl_active=4 cl_waiting=0 sv_active=2 "
                                   "sv_idle=3 sv_used=0 sv_tested=0 sv_login=0 maxwait=0 tps=12.5 qps=40 "
                                   "idle_ms=3.25");
const QString AppRow =
    QStringLiteral("app | app | transaction | 10 | 4 | 0 | 2 | 3 | 20 % | 50 % | no | 0.0 | "
                   "12.5 | 40.0 | 3.3");
// pool_size 2 fully open, 3 clients queued for 1.5 s.
const QString AppSaturated =
    QStringLiteral("app/app mode=transaction size=2 cl_active=2 cl_waiting=3 sv_active=2 sv_idle=0 sv_used=0 "
                   "sv_tested=0 sv_login=0 maxwait=1.5 tps=0 qps=0 idle_ms=950");
const QString AppSaturatedRow =
    QStringLiteral("app | app | transaction | 2 | 2 | 3 | 2 | 0 | 100 % | 100 % | "
                   "yes | 1.5 | 0.0 | 0.0 | 950.0");
const QString Report = QStringLiteral("app/report mode=session size=5 reserve=2 cl_active=1 cl_waiting=0 "
                                      "sv_active=1 sv_idle=0 sv_used=0 sv_tested=0 sv_login=0 maxwait=0");
const QString ReportRow =
    QStringLiteral("app | report | session | 5 (+2) | 1 | 0 | 1 | 0 | 20 % | 20 % | no | "
                   "0.0 | — | — | —");

} // namespace

class TestPoolsModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void merge_data();
    void merge();
    void mergeKeepsSelectionRows();
    void unknownIsNotZero();
    void unlimitedPool();
    void saturatedIsHighlighted();
    void waitingWithRoomIsNotSaturated();
    void unchangedMergeEmitsNothing();
    void sortRoles_data();
    void sortRoles();
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

    QTest::addRow("first sample adds every pool")
        << QStringList{} << QStringList{App, Report} << QStringList{AppRow, ReportRow} << 1 << 0 << 0;
    QTest::addRow("a new pool is appended")
        << QStringList{App} << QStringList{App, Report} << QStringList{AppRow, ReportRow} << 1 << 0 << 0;
    QTest::addRow("a pool that went away is removed")
        << QStringList{App, Report} << QStringList{Report} << QStringList{ReportRow} << 0 << 1 << 0;
    QTest::addRow("counters change in place") << QStringList{App, Report} << QStringList{AppSaturated, Report}
                                              << QStringList{AppSaturatedRow, ReportRow} << 0 << 0 << 1;
    QTest::addRow("reordered input keeps rows where they are")
        << QStringList{App, Report} << QStringList{Report, AppSaturated}
        << QStringList{AppSaturatedRow, ReportRow} << 0 << 0 << 1;
    QTest::addRow("everything goes away")
        << QStringList{App, Report} << QStringList{} << QStringList{} << 0 << 1 << 0;
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
    QCOMPARE(resets.size(), 0);
    QCOMPARE(layouts.size(), 0);
    QCOMPARE(inserts.size(), inserted);
    QCOMPARE(removals.size(), removed);
    QCOMPARE(changes.size(), changed);
}

void TestPoolsModel::mergeKeepsSelectionRows()
{
    // A persistent index (what a view's selection holds) follows its pool across merges.
    PoolsModel model;
    model.merge(pools({App, Report}));
    const QPersistentModelIndex report(model.index(1, PoolsModel::Database));
    model.merge(pools({AppSaturated, Report}));
    QVERIFY(report.isValid());
    QCOMPARE(report.data(PoolsModel::KeyRole).toString(), QStringLiteral("app/report"));
    model.merge(pools({Report}));
    QVERIFY(report.isValid());
    QCOMPARE(report.row(), 0);
}

void TestPoolsModel::unknownIsNotZero()
{
    PoolsModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    // An old PgBouncer without sv_login, a pool whose pool_size was not joined yet, the first sample (no
    // rates yet).
    model.merge(pools({QStringLiteral("app/app cl_active=3 cl_waiting=0 sv_active=1 sv_idle=2")}));
    QCOMPARE(flatten(model),
             QStringList{QStringLiteral("app | app | — | — | 3 | 0 | 1 | 2 | — | — | — | — | — | — | —")});
    QCOMPARE(model.index(0, PoolsModel::ClWaiting).data().toString(), QStringLiteral("0"));
    QCOMPARE(model.index(0, PoolsModel::Tps).data().toString(), PoolsModel::unknownText());
    QVERIFY(model.index(0, PoolsModel::Tps).data(PoolsModel::SortRole).toDouble() < 0);
}

void TestPoolsModel::unlimitedPool()
{
    // PgBouncer 1.24+: pool_size 0 means no limit; no fraction of it is meaningful.
    PoolsModel model;
    model.merge(pools({QStringLiteral("app/app size=0 cl_active=30 cl_waiting=0 sv_active=30 sv_idle=0 "
                                      "sv_used=0 sv_tested=0 sv_login=0 maxwait=0")}));
    QCOMPARE(model.index(0, PoolsModel::PoolSize).data().toString(), QStringLiteral("unlimited"));
    QCOMPARE(model.index(0, PoolsModel::Busy).data().toString(), PoolsModel::unknownText());
    QCOMPARE(model.index(0, PoolsModel::Open).data().toString(), PoolsModel::unknownText());
    QCOMPARE(model.index(0, PoolsModel::Saturated).data().toString(), QStringLiteral("no"));
}

void TestPoolsModel::saturatedIsHighlighted()
{
    PoolsModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    const QColor saturated(0x11, 0x22, 0x33);
    const QColor queue(0xaa, 0, 0);
    model.setHighlightColors(saturated, Qt::white, queue, Qt::yellow);
    model.merge(pools({AppSaturated, Report}));

    QVERIFY(model.index(0, 0).data(PoolsModel::SaturatedRole).toBool());
    QCOMPARE(model.index(0, PoolsModel::Saturated).data().toString(), QStringLiteral("yes"));
    // The whole row in the saturated colour, the queue cells in the queue colour.
    QCOMPARE(model.index(0, PoolsModel::Database).data(Qt::BackgroundRole).value<QColor>(), saturated);
    QCOMPARE(model.index(0, PoolsModel::Busy).data(Qt::BackgroundRole).value<QColor>(), saturated);
    QCOMPARE(model.index(0, PoolsModel::ClWaiting).data(Qt::BackgroundRole).value<QColor>(), queue);
    QCOMPARE(model.index(0, PoolsModel::ClWaiting).data(Qt::ForegroundRole).value<QColor>(),
             QColor(Qt::yellow));
    QVERIFY(model.index(0, PoolsModel::Database).data(Qt::FontRole).value<QFont>().bold());
    // The tooltip says why.
    const QString tip = model.index(0, PoolsModel::User).data(Qt::ToolTipRole).toString();
    QVERIFY2(tip.contains(QStringLiteral("3 clients waiting while 2 of 2 servers are open")),
             qPrintable(tip));

    QVERIFY(!model.index(1, 0).data(PoolsModel::SaturatedRole).toBool());
    QVERIFY(!model.index(1, PoolsModel::Database).data(Qt::BackgroundRole).isValid());
    QVERIFY(!model.index(1, PoolsModel::Database).data(Qt::ToolTipRole).isValid());

    // The queue drains: the highlight goes with it, in one dataChanged.
    QSignalSpy changes(&model, &QAbstractItemModel::dataChanged);
    model.merge(pools({App, Report}));
    QCOMPARE(changes.size(), 1);
    QVERIFY(!model.index(0, PoolsModel::Database).data(Qt::BackgroundRole).isValid());
    QVERIFY(!model.index(0, PoolsModel::ClWaiting).data(Qt::BackgroundRole).isValid());
}

void TestPoolsModel::waitingWithRoomIsNotSaturated()
{
    // One client queued while the pool is still opening its second server: a queue, not saturation.
    PoolsModel model;
    model.merge(
        pools({QStringLiteral("app/app size=4 cl_active=1 cl_waiting=1 sv_active=1 sv_idle=0 sv_used=0 "
                              "sv_tested=0 sv_login=1 maxwait=0.2")}));
    QCOMPARE(model.index(0, PoolsModel::Saturated).data().toString(), QStringLiteral("no"));
    QVERIFY(!model.index(0, PoolsModel::Database).data(Qt::BackgroundRole).isValid());
    QVERIFY(model.index(0, PoolsModel::ClWaiting).data(Qt::BackgroundRole).isValid());
    const QString tip = model.index(0, PoolsModel::ClWaiting).data(Qt::ToolTipRole).toString();
    QVERIFY2(tip.startsWith(QStringLiteral("1 client waiting while 2 of 4 servers are open")),
             qPrintable(tip));
}

void TestPoolsModel::unchangedMergeEmitsNothing()
{
    PoolsModel model;
    model.merge(pools({App}));
    QSignalSpy changes(&model, &QAbstractItemModel::dataChanged);
    QSignalSpy inserts(&model, &QAbstractItemModel::rowsInserted);
    model.merge(pools({App}));
    QCOMPARE(changes.size(), 0);
    QCOMPARE(inserts.size(), 0);
}

void TestPoolsModel::sortRoles_data()
{
    QTest::addColumn<int>("column");
    QTest::addColumn<QStringList>("descending"); // database names, highest first

    // Numeric, not textual ("10" above "2"); unknown below every known value; unlimited above every size.
    QTest::addRow("cl_waiting") << int(PoolsModel::ClWaiting) << QStringList{"c", "a", "b"};
    QTest::addRow("queue age") << int(PoolsModel::QueueAge) << QStringList{"b", "a", "c"};
    QTest::addRow("tps") << int(PoolsModel::Tps) << QStringList{"a", "b", "c"};
    QTest::addRow("busy") << int(PoolsModel::Busy) << QStringList{"a", "b", "c"};
    QTest::addRow("pool size") << int(PoolsModel::PoolSize) << QStringList{"c", "a", "b"};
}

void TestPoolsModel::sortRoles()
{
    QFETCH(int, column);
    QFETCH(QStringList, descending);

    PoolsModel model;
    QSortFilterProxyModel proxy;
    proxy.setSourceModel(&model);
    proxy.setSortRole(PoolsModel::SortRole);
    QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    proxy.sort(column, Qt::DescendingOrder);
    model.merge(pools(
        {QStringLiteral("a/u size=10 cl_active=1 cl_waiting=2 sv_active=9 sv_idle=0 maxwait=2.5 tps=100"),
         QStringLiteral("b/u size=2 cl_active=1 sv_active=1 sv_idle=0 maxwait=10 tps=9.5"),
         QStringLiteral("c/u size=0 cl_active=1 cl_waiting=10 sv_active=3 sv_idle=0 maxwait=0.5")}));
    auto order = [&] {
        QStringList out;
        for (int r = 0; r < proxy.rowCount(); ++r)
            out.append(proxy.index(r, PoolsModel::Database).data().toString());
        return out;
    };
    QCOMPARE(order(), descending);

    // A live update re-sorts without a reset.
    if (column == PoolsModel::ClWaiting) {
        QSignalSpy resets(&proxy, &QAbstractItemModel::modelReset);
        model.merge(pools(
            {QStringLiteral(
                 "a/u size=10 cl_active=1 cl_waiting=20 sv_active=9 sv_idle=0 maxwait=2.5 tps=100"),
             QStringLiteral("b/u size=2 cl_active=1 sv_active=1 sv_idle=0 maxwait=10 tps=9.5"),
             QStringLiteral("c/u size=0 cl_active=1 cl_waiting=10 sv_active=3 sv_idle=0 maxwait=0.5")}));
        QCOMPARE(order(), (QStringList{"a", "c", "b"}));
        QCOMPARE(resets.size(), 0);
    }
}

void TestPoolsModel::headers()
{
    PoolsModel model;
    QCOMPARE(model.columnCount(), int(PoolsModel::ColumnCount));
    QCOMPARE(model.headerData(PoolsModel::ClWaiting, Qt::Horizontal).toString(),
             QStringLiteral("cl_waiting"));
    QCOMPARE(model.headerData(PoolsModel::QueueAge, Qt::Horizontal).toString(),
             QStringLiteral("Queue age (s)"));
    for (int c = PoolsModel::PoolSize; c < PoolsModel::ColumnCount; ++c)
        QVERIFY2(!model.headerData(c, Qt::Horizontal, Qt::ToolTipRole).toString().isEmpty(),
                 qPrintable(QString::number(c)));
}

QTEST_GUILESS_MAIN(TestPoolsModel)
#include "tst_poolsmodel.moc"
