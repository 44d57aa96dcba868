#include "models/targetlistmodel.h"

#include <QAbstractItemModelTester>
#include <QColor>
#include <QDateTime>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QtTest>
#include <cmath>

using poolscope::TargetKind;
using poolscope::models::TargetListModel;
using State = poolscope::TargetState;

namespace {

// One scripted change to the list, written as the owner (MainWindow) would make it.
struct Step
{
    enum Op
    {
        Add,
        Remove,
        Kind,
        SetState
    } op;
    int id;
    QString text; // label for Add, error for SetState
    TargetKind kind = TargetKind::Unknown;
    State state = State::Connecting;
};

Step add(int id, const char *label)
{
    return {Step::Add, id, QString::fromUtf8(label)};
}
Step remove(int id)
{
    return {Step::Remove, id, {}};
}
Step kind(int id, TargetKind k)
{
    return {Step::Kind, id, {}, k};
}
Step state(int id, State s, const char *error = "")
{
    return {Step::SetState, id, QString::fromUtf8(error), TargetKind::Unknown, s};
}

void apply(TargetListModel &model, const QList<Step> &steps)
{
    for (const Step &s : steps) {
        switch (s.op) {
        case Step::Add:
            model.addTarget(s.id, s.text);
            break;
        case Step::Remove:
            model.removeTarget(s.id);
            break;
        case Step::Kind:
            model.setKind(s.id, s.kind);
            break;
        case Step::SetState:
            model.setState(s.id, s.state, s.text);
            break;
        }
    }
}

// The dock's two-line entries, with the line break shown as " | ".
QStringList flatten(const QAbstractItemModel &model)
{
    QStringList rows;
    for (int r = 0; r < model.rowCount(); ++r)
        rows.append(model.index(r, 0).data().toString().replace(QLatin1Char('\n'), QStringLiteral(" | ")));
    return rows;
}

} // namespace

Q_DECLARE_METATYPE(QList<Step>)

class TestTargetListModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void updates_data();
    void updates();
    void stateDecorationAndTooltip();
    void rowsAreKeyedById();
    void stalledAndReconnecting();
    void fleetColumnsFromSamples();
    void sameRankLeavesTheTargetColumn();
    void fleetSortsWorstFirst();
};

void TestTargetListModel::updates_data()
{
    QTest::addColumn<QList<Step>>("setup");
    QTest::addColumn<QList<Step>>("steps");
    QTest::addColumn<QStringList>("expected");
    QTest::addColumn<int>("inserted");
    QTest::addColumn<int>("removed");
    QTest::addColumn<int>("changed");

    const QList<Step> two{add(1, "monitor@127.0.0.1:5432/app"), add(2, "monitor@127.0.0.1:6432/pgbouncer")};

    QTest::addRow("new targets are connecting, kind unknown")
        << QList<Step>{} << two
        << QStringList{QStringLiteral("monitor@127.0.0.1:5432/app | unknown kind · connecting"),
                       QStringLiteral("monitor@127.0.0.1:6432/pgbouncer | unknown kind · connecting")}
        << 2 << 0 << 0;
    QTest::addRow("first samples tell kind and state")
        << two
        << QList<Step>{kind(1, TargetKind::Postgres), state(1, State::Live), kind(2, TargetKind::PgBouncer),
                       state(2, State::Live)}
        << QStringList{QStringLiteral("monitor@127.0.0.1:5432/app | PostgreSQL · live"),
                       QStringLiteral("monitor@127.0.0.1:6432/pgbouncer | PgBouncer · live")}
        << 0 << 0 << 4;
    QTest::addRow("a target fails, the other stays live")
        << two << QList<Step>{state(1, State::Live), state(2, State::Failed, "connection refused")}
        << QStringList{QStringLiteral("monitor@127.0.0.1:5432/app | unknown kind · live"),
                       QStringLiteral("monitor@127.0.0.1:6432/pgbouncer | unknown kind · failed")}
        << 0 << 0 << 2;
    QTest::addRow("repeating the same state changes nothing")
        << (two + QList<Step>{state(1, State::Live)})
        << QList<Step>{state(1, State::Live), kind(2, TargetKind::Unknown)}
        << QStringList{QStringLiteral("monitor@127.0.0.1:5432/app | unknown kind · live"),
                       QStringLiteral("monitor@127.0.0.1:6432/pgbouncer | unknown kind · connecting")}
        << 0 << 0 << 0;
    QTest::addRow("removing the first keeps the second")
        << two << QList<Step>{remove(1)}
        << QStringList{QStringLiteral("monitor@127.0.0.1:6432/pgbouncer | unknown kind · connecting")} << 0
        << 1 << 0;
    QTest::addRow("an id added twice is one row")
        << two << QList<Step>{add(2, "someone@else:1/x")}
        << QStringList{QStringLiteral("monitor@127.0.0.1:5432/app | unknown kind · connecting"),
                       QStringLiteral("monitor@127.0.0.1:6432/pgbouncer | unknown kind · connecting")}
        << 0 << 0 << 0;
    QTest::addRow("unknown ids are ignored")
        << two << QList<Step>{state(7, State::Failed, "x"), remove(9)}
        << QStringList{QStringLiteral("monitor@127.0.0.1:5432/app | unknown kind · connecting"),
                       QStringLiteral("monitor@127.0.0.1:6432/pgbouncer | unknown kind · connecting")}
        << 0 << 0 << 0;
}

void TestTargetListModel::updates()
{
    QFETCH(QList<Step>, setup);
    QFETCH(QList<Step>, steps);
    QFETCH(QStringList, expected);
    QFETCH(int, inserted);
    QFETCH(int, removed);
    QFETCH(int, changed);

    TargetListModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    apply(model, setup);

    QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
    QSignalSpy inserts(&model, &QAbstractItemModel::rowsInserted);
    QSignalSpy removals(&model, &QAbstractItemModel::rowsRemoved);
    QSignalSpy changes(&model, &QAbstractItemModel::dataChanged);
    apply(model, steps);

    QCOMPARE(flatten(model), expected);
    QCOMPARE(resets.size(), 0);
    QCOMPARE(inserts.size(), inserted);
    QCOMPARE(removals.size(), removed);
    QCOMPARE(changes.size(), changed);
}

void TestTargetListModel::stateDecorationAndTooltip()
{
    TargetListModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.addTarget(1, QStringLiteral("monitor@127.0.0.1:5432/app"));
    const QModelIndex i = model.index(0, 0);

    const QColor connecting = i.data(Qt::DecorationRole).value<QColor>();
    model.setState(1, State::Live);
    const QColor live = i.data(Qt::DecorationRole).value<QColor>();
    model.setState(1, State::Failed, QStringLiteral("FATAL: password authentication failed"));
    const QColor failed = i.data(Qt::DecorationRole).value<QColor>();
    QVERIFY(connecting.isValid() && live.isValid() && failed.isValid());
    QVERIFY(connecting != live && live != failed && failed != connecting);

    QVERIFY(i.data(Qt::ToolTipRole).toString().contains(QStringLiteral("password authentication failed")));
    QCOMPARE(i.data(TargetListModel::ErrorRole).toString(),
             QStringLiteral("FATAL: password authentication failed"));

    // Recovery clears the error from the tooltip.
    model.setState(1, State::Live);
    QVERIFY(!i.data(Qt::ToolTipRole).toString().contains(QStringLiteral("password")));
    QCOMPARE(i.data(TargetListModel::StateRole).toInt(), int(State::Live));
}

void TestTargetListModel::rowsAreKeyedById()
{
    TargetListModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.addTarget(10, QStringLiteral("a"));
    model.addTarget(20, QStringLiteral("b"));
    model.addTarget(30, QStringLiteral("c"));
    model.removeTarget(20);
    QCOMPARE(model.rowOf(30), 1);
    QCOMPARE(model.idAt(1), 30);
    QCOMPARE(model.idAt(5), -1);

    QSignalSpy changes(&model, &QAbstractItemModel::dataChanged);
    model.setLabel(30, QStringLiteral("monitor@db:5432/app"));
    QCOMPARE(changes.size(), 1);
    QCOMPARE(changes.first().at(0).toModelIndex().row(), 1);
    QCOMPARE(model.index(1, 0).data(TargetListModel::LabelRole).toString(),
             QStringLiteral("monitor@db:5432/app"));
}

void TestTargetListModel::stalledAndReconnecting()
{
    TargetListModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.addTarget(1, QStringLiteral("monitor@127.0.0.1:5432/app"));
    const QModelIndex i = model.index(0, 0);
    QList<QColor> colors{i.data(Qt::DecorationRole).value<QColor>()};
    for (State s : {State::Live, State::Failed}) {
        model.setState(1, s, QStringLiteral("x"));
        colors.append(i.data(Qt::DecorationRole).value<QColor>());
    }

    model.setState(1, State::Stalled, QStringLiteral("no reply for 3 s; query cancelled"));
    QCOMPARE(flatten(model),
             QStringList{QStringLiteral("monitor@127.0.0.1:5432/app | unknown kind · stalled")});
    QVERIFY(i.data(Qt::ToolTipRole).toString().contains(QStringLiteral("no reply for 3 s")));
    colors.append(i.data(Qt::DecorationRole).value<QColor>());

    QSignalSpy changes(&model, &QAbstractItemModel::dataChanged);
    const qint64 retryAt = QDateTime::currentMSecsSinceEpoch() + 8000;
    model.setState(1, State::Reconnecting, QStringLiteral("server closed the connection unexpectedly"), 2,
                   retryAt);
    QCOMPARE(changes.size(), 1);
    QCOMPARE(flatten(model),
             QStringList{QStringLiteral("monitor@127.0.0.1:5432/app | unknown kind · reconnecting")});
    const QString tip = i.data(Qt::ToolTipRole).toString();
    QVERIFY2(tip.contains(QStringLiteral("server closed the connection")), qPrintable(tip));
    QVERIFY2(tip.contains(QStringLiteral("Next retry in 8 s")) ||
                 tip.contains(QStringLiteral("Next retry in 7 s")),
             qPrintable(tip));
    QVERIFY2(tip.contains(QStringLiteral("2 failed attempts")), qPrintable(tip));
    QCOMPARE(i.data(TargetListModel::AttemptRole).toInt(), 2);
    QCOMPARE(i.data(TargetListModel::NextRetryAtRole).toLongLong(), retryAt);
    colors.append(i.data(Qt::DecorationRole).value<QColor>());

    // The next attempt is scheduled: a change of its own.
    model.setState(1, State::Reconnecting, QStringLiteral("server closed the connection unexpectedly"), 3,
                   retryAt + 16000);
    QCOMPARE(changes.size(), 2);

    // Five states, five colours.
    for (int a = 0; a < colors.size(); ++a) {
        QVERIFY(colors[a].isValid());
        for (int b = a + 1; b < colors.size(); ++b)
            QVERIFY2(colors[a] != colors[b], qPrintable(QStringLiteral("%1 vs %2").arg(a).arg(b)));
    }

    // Live again: error and retry are gone.
    model.setState(1, State::Live, QStringLiteral("ignored"), 5, retryAt);
    QCOMPARE(i.data(TargetListModel::ErrorRole).toString(), QString());
    QCOMPARE(i.data(TargetListModel::AttemptRole).toInt(), 0);
    QCOMPARE(i.data(TargetListModel::NextRetryAtRole).toLongLong(), qint64(0));
    QVERIFY(!i.data(Qt::ToolTipRole).toString().contains(QStringLiteral("retry")));
}

namespace {

// A PostgreSQL sample: `used` client backends of 100 usable, `idleInTx` of them idle in transaction.
poolscope::TargetSnapshot pgSample(int used, int idleInTx = 0, int lockWaiting = 0)
{
    poolscope::PostgresSample pg;
    pg.serverNow = 1000;
    pg.maxConnections = 103;
    pg.superuserReserved = 3;
    for (int i = 0; i < used; ++i) {
        poolscope::Session s;
        s.pid = 100 + i;
        s.state = i < idleInTx ? QStringLiteral("idle in transaction") : QStringLiteral("idle");
        s.stateChange = 999;
        pg.sessions.append(s);
        ++pg.counts[s.stateClass()];
    }
    pg.lockWaiting = lockWaiting;
    poolscope::TargetSnapshot snap;
    snap.ok = true;
    snap.kind = TargetKind::Postgres;
    snap.postgres = pg;
    return snap;
}

QStringList fleetRow(const QAbstractItemModel &model, int row)
{
    QStringList cells;
    for (int c = TargetListModel::OccupancyColumn; c < TargetListModel::ColumnCount; ++c)
        cells.append(model.index(row, c).data().toString());
    return cells;
}

} // namespace

void TestTargetListModel::fleetColumnsFromSamples()
{
    TargetListModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.addTarget(1, QStringLiteral("monitor@127.0.0.1:5432/app"));
    QCOMPARE(model.columnCount(), int(TargetListModel::ColumnCount));
    QCOMPARE(fleetRow(model, 0), (QStringList{"–", "–", "–", "–", ""})); // nothing known yet

    QSignalSpy changes(&model, &QAbstractItemModel::dataChanged);
    model.setState(1, State::Live);
    changes.clear();
    model.setSample(1, pgSample(40, 3));
    QCOMPARE(fleetRow(model, 0), (QStringList{"40%", "60", "0", "3", ""}));
    // The figures' columns change at once, in one signal; the target's own column (the dock's list, the
    // worst-first order) only when its rank moved, so the list is not laid out again at every sample.
    using Span = std::pair<int, int>;
    const auto spans = [&changes] {
        QList<Span> out;
        for (const QList<QVariant> &c : std::as_const(changes))
            out.append({c.at(0).toModelIndex().column(), c.at(1).toModelIndex().column()});
        return out;
    };
    const Span figures{TargetListModel::OccupancyColumn, TargetListModel::ColumnCount - 1};
    QCOMPARE(spans(), (QList<Span>{figures, {0, 0}})); // 40 % occupied: its rank moved

    // A failed sample: figures unknown (they would be stale), a gap in the history, the error as attention.
    poolscope::TargetSnapshot failed;
    model.setState(1, State::Reconnecting, QStringLiteral("server closed the connection unexpectedly\nmore"));
    model.setSample(1, failed);
    QCOMPARE(fleetRow(model, 0),
             (QStringList{"–", "–", "–", "–", "server closed the connection unexpectedly"}));
    model.setState(1, State::Live);
    model.setSample(1, pgSample(90));
    auto history = model.index(0, TargetListModel::OccupancyColumn)
                       .data(TargetListModel::HistoryRole)
                       .value<QList<double>>();
    QCOMPARE(history.size(), 3);
    QCOMPARE(history[0], 40.0);
    QVERIFY(std::isnan(history[1]));
    QCOMPARE(history[2], 90.0);

    // The history is bounded: the oldest samples go.
    for (int i = 0; i < TargetListModel::HistoryLength + 10; ++i)
        model.setSample(1, pgSample(i % 100));
    history = model.index(0, 1).data(TargetListModel::HistoryRole).value<QList<double>>();
    QCOMPARE(history.size(), TargetListModel::HistoryLength);
    QCOMPARE(history.last(), double((TargetListModel::HistoryLength + 9) % 100));
}

void TestTargetListModel::sameRankLeavesTheTargetColumn()
{
    TargetListModel model;
    model.addTarget(1, QStringLiteral("monitor@127.0.0.1:5432/app"));
    model.setState(1, State::Live);
    model.setSample(1, pgSample(40, 3));
    QSignalSpy changes(&model, &QAbstractItemModel::dataChanged);
    model.setSample(1, pgSample(40, 3)); // the same figures: the same rank
    QCOMPARE(changes.size(), 1);
    QCOMPARE(changes.first().at(0).toModelIndex().column(), int(TargetListModel::OccupancyColumn));
    QCOMPARE(changes.first().at(1).toModelIndex().column(), TargetListModel::ColumnCount - 1);
}

void TestTargetListModel::fleetSortsWorstFirst()
{
    TargetListModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSortFilterProxyModel proxy;
    proxy.setSourceModel(&model);
    proxy.setSortRole(TargetListModel::SortRole);
    proxy.setDynamicSortFilter(true);
    proxy.sort(TargetListModel::TargetColumn, Qt::DescendingOrder);
    const auto order = [&proxy] {
        QStringList labels;
        for (int r = 0; r < proxy.rowCount(); ++r)
            labels.append(proxy.index(r, 0).data(TargetListModel::LabelRole).toString());
        return labels.join(QLatin1Char(' '));
    };
    for (const char *label : {"quiet", "full", "locks", "down", "leaky"}) {
        const int id = model.rowCount() + 1;
        model.addTarget(id, QString::fromLatin1(label));
        model.setState(id, State::Live);
    }
    model.setSample(1, pgSample(10));
    model.setSample(2, pgSample(95));
    model.setSample(3, pgSample(20, 0, 2));
    model.setSample(5, pgSample(30, 12));
    model.setState(4, State::Failed, QStringLiteral("connection refused"));
    QCOMPARE(order(), QStringLiteral("down locks full leaky quiet"));

    // Things change: the full one runs out of slots, the failed one comes back quiet.
    model.setSample(2, pgSample(100));
    model.setState(4, State::Live);
    model.setSample(4, pgSample(5));
    QCOMPARE(order(), QStringLiteral("full locks leaky quiet down"));

    // Sorting by another column uses its numbers, not its text ("9" > "10" as text).
    proxy.sort(TargetListModel::IdleInTransactionColumn, Qt::DescendingOrder);
    model.setSample(1, pgSample(10, 9));
    QCOMPARE(order().section(QLatin1Char(' '), 0, 1), QStringLiteral("leaky quiet"));
}

QTEST_GUILESS_MAIN(TestTargetListModel)
#include "tst_targetlistmodel.moc"
