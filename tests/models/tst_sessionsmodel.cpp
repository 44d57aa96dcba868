// The live sessions table: merges keyed by (pid, backend_start) that add, remove and change rows (and only
// the changed cells), pid reuse, selection surviving merges through the filter proxy, filters and sorting.
#include "core/postgresparsers.h"
#include "core/sessionanalysis.h"
#include "models/sessionsfiltermodel.h"
#include "models/sessionsmodel.h"
#include "support/fixture.h"

#include <QAbstractItemModelTester>
#include <QFont>
#include <QItemSelectionModel>
#include <QMetaEnum>
#include <QSignalSpy>
#include <QtTest>

using namespace poolscope;
using poolscope::models::SessionsFilterModel;
using poolscope::models::SessionsModel;
using poolscope::test::fixture;

namespace {

// A session written as "pid@backend_start state application state_change xact_start [query]": state is
// idle, active, iit (idle in transaction), aborted or hidden (a row hidden by privileges); "-" is NULL;
// underscores in the query are spaces. User and database are "app", the client 10.0.0.7:<pid>.
Session session(const QString &line)
{
    const QStringList f = line.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    Q_ASSERT(f.size() >= 5);
    Session s;
    const QStringList key = f[0].split(QLatin1Char('@'));
    s.pid = key[0].toLongLong();
    auto time = [](const QString &v) {
        return v == QLatin1String("-") ? std::nullopt : std::optional<double>(v.toDouble());
    };
    s.backendStart = time(key[1]);
    s.applicationName = f[2];
    s.usename = QStringLiteral("app");
    s.datname = QStringLiteral("app");
    if (f[1] == QLatin1String("hidden")) {
        s.hidden = true;
        s.query = QStringLiteral("<insufficient privilege>");
        return s;
    }
    s.backendType = QStringLiteral("client backend");
    s.clientAddr = QStringLiteral("10.0.0.7");
    s.clientPort = s.pid;
    const QHash<QString, QString> states = {{"idle", "idle"},
                                            {"active", "active"},
                                            {"iit", "idle in transaction"},
                                            {"aborted", "idle in transaction (aborted)"}};
    s.state = states.value(f[1]);
    s.stateChange = time(f[3]);
    s.queryStart = s.stateChange;
    s.xactStart = time(f[4]);
    s.query =
        f.size() > 5 ? QString(f[5]).replace(QLatin1Char('_'), QLatin1Char(' ')) : QStringLiteral("SELECT 1");
    return s;
}

QList<Session> sessions(const QStringList &lines)
{
    QList<Session> out;
    for (const QString &l : lines)
        out.append(session(l));
    return out;
}

// What the user sees in the pid, state, application, state age and transaction age columns, row by row.
QStringList flatten(const QAbstractItemModel &model)
{
    QStringList rows;
    for (int r = 0; r < model.rowCount(); ++r) {
        QStringList cells;
        for (int c : {SessionsModel::Pid, SessionsModel::State, SessionsModel::Application,
                      SessionsModel::StateAge, SessionsModel::XactAge})
            cells.append(model.index(r, c).data().toString());
        rows.append(cells.join(QLatin1Char('|')));
    }
    return rows;
}

// dataChanged rectangles as "pid:FirstColumn-LastColumn" per row, sorted (the order of the signals does not
// matter to a view).
QStringList changedCells(const QSignalSpy &spy, const SessionsModel &model)
{
    const QMetaEnum columns = QMetaEnum::fromType<SessionsModel::Column>();
    QStringList out;
    for (const QList<QVariant> &args : spy) {
        const QModelIndex from = args.at(0).toModelIndex();
        const QModelIndex to = args.at(1).toModelIndex();
        for (int row = from.row(); row <= to.row(); ++row) {
            out.append(QStringLiteral("%1:%2-%3")
                           .arg(model.sessionAt(row).pid)
                           .arg(QLatin1String(columns.valueToKey(from.column())),
                                QLatin1String(columns.valueToKey(to.column()))));
        }
    }
    std::sort(out.begin(), out.end()); // a cell reported twice shows up twice
    return out;
}

QList<qint64> pidsOf(const QAbstractItemModel &model)
{
    QList<qint64> out;
    for (int r = 0; r < model.rowCount(); ++r)
        out.append(model.index(r, 0).data(SessionsModel::PidRole).toLongLong());
    return out;
}

QList<qint64> selectedPids(const QItemSelectionModel &selection)
{
    QList<qint64> out;
    for (const QModelIndex &i : selection.selectedRows())
        out.append(i.data(SessionsModel::PidRole).toLongLong());
    std::sort(out.begin(), out.end());
    return out;
}

// The captured PostgreSQL 16 sample: 8 client sessions at server time 1700000100 (503 idle in transaction
// holds a row lock that 504 and 505 wait for).
PostgresSample capturedSample()
{
    PostgresSample pg;
    parsers::parsePgServer(fixture("postgres/pg_server_17.txt"), pg);
    pg.sessions = parsers::parsePgActivity(fixture("postgres/pg_activity_16.txt"), &pg.poolscopeSessions);
    analysis::summarizeSessions(pg);
    return pg;
}

} // namespace

class TestSessionsModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void merge_data()
    {
        QTest::addColumn<QStringList>("before");
        QTest::addColumn<QStringList>("after");
        QTest::addColumn<QStringList>("expected");
        QTest::addColumn<int>("inserted");
        QTest::addColumn<int>("removed");
        QTest::addColumn<QStringList>("changed");

        const QString a = QStringLiteral("101@100 idle web 960 -");
        const QString b = QStringLiteral("102@100 active web 999 999");
        const QString bIdleInTx = QStringLiteral("102@100 iit web 990 980");
        const QString c = QStringLiteral("103@200 iit worker 940 900 UPDATE_jobs");
        const QString cReused = QStringLiteral("103@950 active report 995 995");
        const QString hidden = QStringLiteral("104@- hidden billing - -");

        QTest::addRow("first sample adds every session")
            << QStringList{} << QStringList{a, b}
            << QStringList{"101|idle|web|40 s|—", "102|active|web|1.0 s|1.0 s"} << 1 << 0 << QStringList{};
        QTest::addRow("a new session is appended")
            << QStringList{a, b} << QStringList{a, b, c}
            << QStringList{"101|idle|web|40 s|—", "102|active|web|1.0 s|1.0 s",
                           "103|idle in transaction|worker|1 min 00 s|1 min 40 s"}
            << 1 << 0 << QStringList{};
        QTest::addRow("an ended session is removed")
            << QStringList{a, b, c} << QStringList{a, c}
            << QStringList{"101|idle|web|40 s|—", "103|idle in transaction|worker|1 min 00 s|1 min 40 s"} << 0
            << 1 << QStringList{};
        QTest::addRow("a state change updates only its cells")
            << QStringList{a, b} << QStringList{a, bIdleInTx}
            << QStringList{"101|idle|web|40 s|—", "102|idle in transaction|web|10 s|20 s"} << 0 << 0
            << QStringList{"102:State-State", "102:StateAge-QueryAge"};
        QTest::addRow("a reused pid is a new row")
            << QStringList{a, c} << QStringList{a, cReused}
            << QStringList{"101|idle|web|40 s|—", "103|active|report|5.0 s|5.0 s"} << 1 << 1 << QStringList{};
        QTest::addRow("reordered input keeps rows where they are")
            << QStringList{a, b} << QStringList{b, a}
            << QStringList{"101|idle|web|40 s|—", "102|active|web|1.0 s|1.0 s"} << 0 << 0 << QStringList{};
        QTest::addRow("add, remove and change at once")
            << QStringList{a, b, hidden} << QStringList{c, bIdleInTx, hidden}
            << QStringList{"102|idle in transaction|web|10 s|20 s", "104|hidden|billing|—|—",
                           "103|idle in transaction|worker|1 min 00 s|1 min 40 s"}
            << 1 << 1 << QStringList{"102:State-State", "102:StateAge-QueryAge"};
        QTest::addRow("a hidden row stays put")
            << QStringList{hidden} << QStringList{hidden} << QStringList{"104|hidden|billing|—|—"} << 0 << 0
            << QStringList{};
        QTest::addRow("everything goes away")
            << QStringList{a, b, c} << QStringList{} << QStringList{} << 0 << 1 << QStringList{};
    }

    void merge()
    {
        QFETCH(QStringList, before);
        QFETCH(QStringList, after);
        QFETCH(QStringList, expected);
        QFETCH(int, inserted);
        QFETCH(int, removed);
        QFETCH(QStringList, changed);

        SessionsModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        SessionsFilterModel proxy;
        proxy.setSessionsModel(&model);
        proxy.sort(SessionsModel::StateAge, Qt::DescendingOrder);
        QAbstractItemModelTester proxyTester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.merge(sessions(before), 1000);

        QSignalSpy resets(&model, &QAbstractItemModel::modelReset);
        QSignalSpy layouts(&model, &QAbstractItemModel::layoutChanged);
        QSignalSpy inserts(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy removals(&model, &QAbstractItemModel::rowsRemoved);
        QSignalSpy changes(&model, &QAbstractItemModel::dataChanged);
        QSignalSpy proxyResets(&proxy, &QAbstractItemModel::modelReset);
        model.merge(sessions(after), 1000);

        QCOMPARE(flatten(model), expected);
        QCOMPARE(model.rowCount(), expected.size());
        QCOMPARE(proxy.rowCount(), expected.size());
        QCOMPARE(resets.size(), 0);
        QCOMPARE(proxyResets.size(), 0);
        QCOMPARE(layouts.size(), 0);
        QCOMPARE(inserts.size(), inserted);
        QCOMPARE(removals.size(), removed);
        QCOMPARE(changedCells(changes, model), changed);
    }

    // The server clock moves on: only the age cells of sessions with known times change, in runs per row.
    void agesFollowTheServerClock()
    {
        SessionsModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const QStringList lines{"101@100 idle web 960 -", "102@100 active web 999 999",
                                "104@- hidden billing - -"};
        model.merge(sessions(lines), 1000);
        QSignalSpy changes(&model, &QAbstractItemModel::dataChanged);
        model.merge(sessions(lines), 1005);
        QCOMPARE(changedCells(changes, model),
                 (QStringList{"101:QueryAge-QueryAge", "101:StateAge-StateAge", "102:StateAge-QueryAge"}));
        QCOMPARE(flatten(model), (QStringList{"101|idle|web|45 s|—", "102|active|web|6.0 s|6.0 s",
                                              "104|hidden|billing|—|—"}));
        QCOMPARE(model.serverNow(), 1005.0);

        // The same sample again: nothing to say.
        changes.clear();
        model.merge(sessions(lines), 1005);
        QCOMPARE(changes.size(), 0);

        // Adjacent rows whose same cells changed go out as one rectangle.
        SessionsModel busy;
        QAbstractItemModelTester busyTester(&busy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const QStringList active{"201@100 active web 990 990", "202@100 active web 991 991",
                                 "203@100 active web 992 992", "204@100 idle web 900 -"};
        busy.merge(sessions(active), 1000);
        QSignalSpy busyChanges(&busy, &QAbstractItemModel::dataChanged);
        busy.merge(sessions(active), 1001);
        QCOMPARE(busyChanges.size(), 3); // rows 0-2 ages; row 3 state age and query age
        QCOMPARE(changedCells(busyChanges, busy),
                 (QStringList{"201:StateAge-QueryAge", "202:StateAge-QueryAge", "203:StateAge-QueryAge",
                              "204:QueryAge-QueryAge", "204:StateAge-StateAge"}));
    }

    void ageText_data()
    {
        QTest::addColumn<double>("seconds");
        QTest::addColumn<QString>("text");
        QTest::addRow("sub-second") << 0.42 << "0.4 s";
        QTest::addRow("under ten seconds") << 9.96 << "10.0 s";
        QTest::addRow("seconds") << 45.7 << "45 s";
        QTest::addRow("minutes") << 245.0 << "4 min 05 s";
        QTest::addRow("hours") << 7800.0 << "2 h 10 min";
        QTest::addRow("days") << 3 * 86400.0 + 4 * 3600 << "3 d 04 h";
        QTest::addRow("clock skew is not negative") << -3.0 << "0.0 s";
    }
    void ageText()
    {
        QFETCH(double, seconds);
        QFETCH(QString, text);
        QCOMPARE(SessionsModel::ageText(seconds), text);
    }

    void selectionSurvivesMerges_data()
    {
        QTest::addColumn<int>("sortColumn");
        QTest::addRow("sorted by pid") << int(SessionsModel::Pid);
        QTest::addRow("sorted by state age, which changes every sample") << int(SessionsModel::StateAge);
        QTest::addRow("sorted by state") << int(SessionsModel::State);
    }
    void selectionSurvivesMerges()
    {
        QFETCH(int, sortColumn);
        SessionsModel model;
        SessionsFilterModel proxy;
        proxy.setSessionsModel(&model);
        QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        proxy.sort(sortColumn, Qt::AscendingOrder);
        QItemSelectionModel selection(&proxy);

        model.merge(sessions({"101@100 idle web 960 -", "102@100 active web 999 999",
                              "103@100 iit worker 940 900", "104@100 idle web 900 -"}),
                    1000);
        const auto select = [&](qint64 pid, QItemSelectionModel::SelectionFlags flags) {
            const int row = int(pidsOf(proxy).indexOf(pid));
            QVERIFY(row >= 0);
            selection.setCurrentIndex(proxy.index(row, 0), flags | QItemSelectionModel::Rows);
        };
        select(102, QItemSelectionModel::Select);
        select(104, QItemSelectionModel::Select);
        QCOMPARE(selectedPids(selection), (QList<qint64>{102, 104}));

        // 101 ends, 103 turns active, 100 arrives (sorting above everyone by pid), the clock moves.
        model.merge(sessions({"100@990 active batch 995 995", "102@100 iit web 1001 998",
                              "103@100 active worker 1002 900", "104@100 idle web 900 -"}),
                    1003);
        QCOMPARE(proxy.rowCount(), 4);
        QCOMPARE(selectedPids(selection), (QList<qint64>{102, 104}));
        QCOMPARE(selection.currentIndex().data(SessionsModel::PidRole).toLongLong(), qint64(104));
        QCOMPARE(selection.selectedRows().size(), 2);

        // A selected session ends: the rest of the selection stays.
        model.merge(sessions({"100@990 active batch 995 995", "103@100 active worker 1002 900",
                              "104@100 idle web 900 -"}),
                    1004);
        QCOMPARE(selectedPids(selection), (QList<qint64>{104}));
    }

    void filters_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("hiddenStates"); // comma-separated SessionState values to hide
        QTest::addColumn<QString>("application");  // "*" = any
        QTest::addColumn<QString>("user");
        QTest::addColumn<QString>("database");
        QTest::addColumn<QString>("client");
        QTest::addColumn<double>("minAge");
        QTest::addColumn<QList<qint64>>("pids");

        const QList<qint64> all{501, 502, 503, 504, 505, 506, 507, 508};
        QTest::addRow("no filter") << ""
                                   << ""
                                   << "*"
                                   << "*"
                                   << "*"
                                   << "*" << 0.0 << all;
        QTest::addRow("text in the query") << "orders"
                                           << ""
                                           << "*"
                                           << "*"
                                           << "*"
                                           << "*" << 0.0 << QList<qint64>{502};
        QTest::addRow("text, any case, in the application") << "WORKER"
                                                            << ""
                                                            << "*"
                                                            << "*"
                                                            << "*"
                                                            << "*" << 0.0 << QList<qint64>{503, 504, 505};
        QTest::addRow("text in the client address") << "10.0.0.8"
                                                    << ""
                                                    << "*"
                                                    << "*"
                                                    << "*"
                                                    << "*" << 0.0 << QList<qint64>{503, 504, 505, 507};
        QTest::addRow("text in the client port") << ":50002"
                                                 << ""
                                                 << "*"
                                                 << "*"
                                                 << "*"
                                                 << "*" << 0.0 << QList<qint64>{502};
        QTest::addRow("text is a pid") << "506"
                                       << ""
                                       << "*"
                                       << "*"
                                       << "*"
                                       << "*" << 0.0 << QList<qint64>{506};
        QTest::addRow("text in the user") << "postgres"
                                          << ""
                                          << "*"
                                          << "*"
                                          << "*"
                                          << "*" << 0.0 << QList<qint64>{506};
        QTest::addRow("idle hidden") << ""
                                     << "1"
                                     << "*"
                                     << "*"
                                     << "*"
                                     << "*" << 0.0 << QList<qint64>{502, 503, 504, 505};
        QTest::addRow("only idle in transaction") << ""
                                                  << "0,1,3,4"
                                                  << "*"
                                                  << "*"
                                                  << "*"
                                                  << "*" << 0.0 << QList<qint64>{503};
        QTest::addRow("application") << ""
                                     << ""
                                     << "worker"
                                     << "*"
                                     << "*"
                                     << "*" << 0.0 << QList<qint64>{503, 504, 505};
        QTest::addRow("no application_name") << ""
                                             << ""
                                             << ""
                                             << "*"
                                             << "*"
                                             << "*" << 0.0 << QList<qint64>{507};
        QTest::addRow("user") << ""
                              << ""
                              << "*"
                              << "postgres"
                              << "*"
                              << "*" << 0.0 << QList<qint64>{506};
        QTest::addRow("database") << ""
                                  << ""
                                  << "*"
                                  << "*"
                                  << "app"
                                  << "*" << 0.0 << QList<qint64>{501, 502, 503, 504, 505, 507, 508};
        QTest::addRow("client address, any port") << ""
                                                  << ""
                                                  << "*"
                                                  << "*"
                                                  << "*"
                                                  << "10.0.0.7" << 0.0 << QList<qint64>{501, 502, 508};
        QTest::addRow("local socket client") << ""
                                             << ""
                                             << "*"
                                             << "*"
                                             << "*"
                                             << "" << 0.0 << QList<qint64>{506};
        QTest::addRow("minimum state age") << ""
                                           << ""
                                           << "*"
                                           << "*"
                                           << "*"
                                           << "*" << 30.0 << QList<qint64>{501, 503, 506, 507};
        QTest::addRow("application and minimum age") << ""
                                                     << ""
                                                     << "web"
                                                     << "*"
                                                     << "*"
                                                     << "*" << 30.0 << QList<qint64>{501};
        QTest::addRow("text and state") << "commit"
                                        << "0,2,3,4"
                                        << "*"
                                        << "*"
                                        << "*"
                                        << "*" << 0.0 << QList<qint64>{501, 508};
        QTest::addRow("nothing matches") << "no such thing"
                                         << ""
                                         << "*"
                                         << "*"
                                         << "*"
                                         << "*" << 0.0 << QList<qint64>{};
    }

    void filters()
    {
        QFETCH(QString, text);
        QFETCH(QString, hiddenStates);
        QFETCH(QString, application);
        QFETCH(QString, user);
        QFETCH(QString, database);
        QFETCH(QString, client);
        QFETCH(double, minAge);
        QFETCH(QList<qint64>, pids);

        const PostgresSample pg = capturedSample();
        SessionsModel model;
        SessionsFilterModel proxy;
        proxy.setSessionsModel(&model);
        QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        proxy.sort(SessionsModel::Pid, Qt::AscendingOrder);
        model.merge(pg.sessions, pg.serverNow);

        proxy.setText(text);
        for (const QString &s : hiddenStates.split(QLatin1Char(','), Qt::SkipEmptyParts))
            proxy.setStateShown(SessionState(s.toInt()), false);
        const auto group = [](const QString &v) {
            return v == QLatin1String("*") ? std::nullopt : std::optional<QString>(v);
        };
        proxy.setGroupFilter(GroupDimension::Application, group(application));
        proxy.setGroupFilter(GroupDimension::User, group(user));
        proxy.setGroupFilter(GroupDimension::Database, group(database));
        proxy.setGroupFilter(GroupDimension::Client, group(client));
        proxy.setMinimumStateAge(minAge);
        QCOMPARE(pidsOf(proxy), pids);
        QCOMPARE(proxy.isFiltering(), pids.size() != 8);

        proxy.clearFilters();
        QCOMPARE(proxy.rowCount(), 8);
    }

    // A session passes the minimum age as the clock moves on, without touching the filter.
    void minimumAgeFollowsMerges()
    {
        SessionsModel model;
        SessionsFilterModel proxy;
        proxy.setSessionsModel(&model);
        QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        proxy.setMinimumStateAge(30);
        const QStringList lines{"101@100 iit web 980 980", "102@100 iit web 900 900"};
        model.merge(sessions(lines), 1000);
        QCOMPARE(pidsOf(proxy), QList<qint64>{102});
        model.merge(sessions(lines), 1011);
        QCOMPARE(pidsOf(proxy).size(), 2);
    }

    void sortsNumerically_data()
    {
        QTest::addColumn<int>("column");
        QTest::addColumn<QList<qint64>>("descending");
        // 503: 79 s, 507: 70 s, 506: 90 s, 501: 40 s, 508: 20 s, 504: 10 s, 505: 8 s, 502: 1 s.
        QTest::addRow("state age") << int(SessionsModel::StateAge)
                                   << QList<qint64>{506, 503, 507, 501, 508, 504, 505, 502};
        // Idle sessions have no transaction: below every known age.
        QTest::addRow("transaction age") << int(SessionsModel::XactAge) << QList<qint64>{503, 504, 505, 502};
        QTest::addRow("horizon age") << int(SessionsModel::HorizonAge) << QList<qint64>{503, 504, 505, 502};
        QTest::addRow("pid") << int(SessionsModel::Pid)
                             << QList<qint64>{508, 507, 506, 505, 504, 503, 502, 501};
    }
    void sortsNumerically()
    {
        QFETCH(int, column);
        QFETCH(QList<qint64>, descending);
        const PostgresSample pg = capturedSample();
        SessionsModel model;
        SessionsFilterModel proxy;
        proxy.setSessionsModel(&model);
        model.merge(pg.sessions, pg.serverNow);
        proxy.sort(column, Qt::DescendingOrder);
        QCOMPARE(pidsOf(proxy).mid(0, descending.size()), descending);
    }

    void cellsAndRoles()
    {
        const PostgresSample pg = capturedSample();
        SessionsModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.merge(pg.sessions, pg.serverNow);
        const int waiter = model.rowOfPid(504);
        QVERIFY(waiter >= 0);
        const auto cell = [&](int row, int column) {
            return model.index(row, column).data().toString();
        };
        QCOMPARE(cell(waiter, SessionsModel::Client), QString("10.0.0.8:50004"));
        QCOMPARE(cell(waiter, SessionsModel::WaitEvent), QString("Lock: transactionid"));
        QCOMPARE(cell(waiter, SessionsModel::BlockedBy), QString("503"));
        QCOMPARE(cell(waiter, SessionsModel::HorizonAge), QString("4"));
        QCOMPARE(cell(waiter, SessionsModel::StateAge), QString("10 s"));
        QVERIFY(
            model.index(waiter, SessionsModel::BlockedBy).data(Qt::ToolTipRole).toString().contains("503"));
        QCOMPARE(model.index(waiter, SessionsModel::Query).data(Qt::ToolTipRole).toString(),
                 QString("UPDATE jobs SET state = 'done' WHERE id = 7"));
        QCOMPARE(cell(model.rowOfPid(506), SessionsModel::Client), QString("local socket"));
        QCOMPARE(model.index(waiter, SessionsModel::StateAge).data(SessionsModel::SortRole).toDouble(), 10.0);
        QCOMPARE(
            model.index(model.rowOfPid(501), SessionsModel::XactAge).data(SessionsModel::SortRole).toDouble(),
            -1.0);
        QCOMPARE(model.index(waiter, 0).data(SessionsModel::HiddenRole).toBool(), false);

        // No colours unless the page gives them; then the State column carries a swatch.
        QVERIFY(!model.index(waiter, SessionsModel::State).data(Qt::DecorationRole).isValid());
        QSignalSpy changes(&model, &QAbstractItemModel::dataChanged);
        model.setStateColors([](SessionState) { return QColor(Qt::green); });
        QCOMPARE(changes.size(), 1);
        QCOMPARE(model.index(waiter, SessionsModel::State).data(Qt::DecorationRole).value<QColor>(),
                 QColor(Qt::green));
    }

    void multiLineQueryIsOneLine()
    {
        SessionsModel model;
        Session s = session("101@100 active web 999 999");
        s.query = "SELECT *\n  FROM orders\n\tWHERE id = 1";
        model.merge({s}, 1000);
        QCOMPARE(model.index(0, SessionsModel::Query).data().toString(),
                 QString("SELECT * FROM orders WHERE id = 1"));
        QCOMPARE(model.index(0, SessionsModel::Query).data(SessionsModel::FullQueryRole).toString(), s.query);
        QCOMPARE(model.index(0, SessionsModel::Pid).data(Qt::ToolTipRole).toString(), s.query);
    }

    void hiddenByPrivileges()
    {
        PostgresSample pg;
        parsers::parsePgServer(fixture("postgres/pg_server_15.txt"), pg);
        pg.sessions = parsers::parsePgActivity(fixture("postgres/pg_activity_15_hidden.txt"));
        SessionsModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.merge(pg.sessions, pg.serverNow);
        const int row = model.rowOfPid(602);
        QVERIFY(row >= 0);
        QVERIFY(model.index(row, 0).data(SessionsModel::HiddenRole).toBool());
        QCOMPARE(model.index(row, SessionsModel::State).data().toString(), QString("hidden"));
        QCOMPARE(model.index(row, SessionsModel::Client).data().toString(), QString("hidden"));
        QCOMPARE(model.index(row, SessionsModel::Application).data().toString(), QString("billing-job"));
        QCOMPARE(model.index(row, SessionsModel::HorizonAge).data().toString(), QString("1800"));
        QCOMPARE(model.index(row, SessionsModel::StateAge).data().toString(), SessionsModel::unknownText());
        QVERIFY(model.index(row, 0).data(Qt::FontRole).value<QFont>().italic());
        QVERIFY(model.index(row, 0).data(Qt::ToolTipRole).toString().contains("pg_monitor"));
        QCOMPARE(SessionState(model.index(row, 0).data(SessionsModel::StateRole).toInt()),
                 SessionState::Other);

        // "other" in the state filter covers them; the hidden client address filters as in the groups chart.
        SessionsFilterModel proxy;
        proxy.setSessionsModel(&model);
        proxy.setGroupFilter(GroupDimension::Client, QString("<insufficient privilege>"));
        QCOMPARE(pidsOf(proxy).size(), 2);
        proxy.setStateShown(SessionState::Other, false);
        QCOMPARE(proxy.rowCount(), 0);
    }

    void headers()
    {
        SessionsModel model;
        QCOMPARE(model.columnCount(), int(SessionsModel::ColumnCount));
        QCOMPARE(model.headerData(SessionsModel::XactAge, Qt::Horizontal).toString(), QString("Xact age"));
        QVERIFY(!model.headerData(SessionsModel::HorizonAge, Qt::Horizontal, Qt::ToolTipRole)
                     .toString()
                     .isEmpty());
        for (int c = 0; c < SessionsModel::ColumnCount; ++c)
            QVERIFY(!model.headerData(c, Qt::Horizontal).toString().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestSessionsModel)
#include "tst_sessionsmodel.moc"
