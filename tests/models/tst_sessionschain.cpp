// The Pool and Pooler client columns of the sessions table, from a chain built by hand (the way
// joinBouncerChain keys it): what each backend shows, the text filter finding a backend by the pooler
// client's application name, and a reused pid not inheriting the previous backend's client.
#include "core/poolerchain.h"
#include "models/sessionsfiltermodel.h"
#include "models/sessionsmodel.h"

#include <QAbstractItemModelTester>
#include <QTest>

using namespace poolscope;
using models::SessionsFilterModel;
using models::SessionsModel;

namespace {

constexpr double Now = 1'800'000'000.0;

// A backend PgBouncer opened: its client_addr and application_name are PgBouncer's side of things.
Session backend(qint64 pid, double startedAgo, const QString &state = QStringLiteral("idle in transaction"))
{
    Session s;
    s.pid = pid;
    s.datname = QStringLiteral("app");
    s.usename = QStringLiteral("app");
    s.applicationName = QString(); // PgBouncer without application_name tracking
    s.clientAddr = QStringLiteral("10.0.0.2");
    s.clientPort = 40000 + pid % 1000;
    s.backendType = QStringLiteral("client backend");
    s.state = state;
    s.backendStart = Now - startedAgo;
    s.xactStart = Now - 30;
    s.stateChange = Now - 29;
    s.query = QStringLiteral("SELECT 1");
    return s;
}

ChainLink link(qint64 pid, double serverConnectedAt, const QString &clientAddr, qint64 clientPort,
               const QString &app, std::optional<qint64> id)
{
    ChainLink l;
    l.backendPid = pid;
    l.poolDatabase = QStringLiteral("app");
    l.poolUser = QStringLiteral("app");
    l.serverState = QStringLiteral("active");
    l.hasClient = true;
    l.clientAddr = clientAddr;
    l.clientPort = clientPort;
    l.clientApplicationName = app;
    l.clientId = id;
    l.clientState = QStringLiteral("active");
    l.serverConnectTime = serverConnectedAt;
    return l;
}

QStringList column(const QAbstractItemModel &m, int c)
{
    QStringList out;
    for (int r = 0; r < m.rowCount(); ++r)
        out.append(m.index(r, c).data().toString());
    return out;
}

} // namespace

class TestSessionsChain : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void clientTexts_data()
    {
        QTest::addColumn<QString>("addr");
        QTest::addColumn<qint64>("port");
        QTest::addColumn<QString>("app");
        QTest::addColumn<qint64>("id"); // -1: unknown (before PgBouncer 1.24)
        QTest::addColumn<bool>("hasClient");
        QTest::addColumn<QString>("expected");
        QTest::addRow("1.24: address, application, id")
            << "10.0.0.5" << qint64(51234) << "billing-worker" << qint64(17) << true
            << "10.0.0.5:51234 billing-worker id 17";
        QTest::addRow("1.18: no id") << "10.0.0.5" << qint64(51234) << "linked-1" << qint64(-1) << true
                                     << "10.0.0.5:51234 linked-1";
        QTest::addRow("IPv6 in brackets")
            << "::1" << qint64(5000) << "" << qint64(-1) << true << "[::1]:5000";
        QTest::addRow("server held by nobody")
            << "" << qint64(0) << "" << qint64(-1) << false << "no client (idle in pool)";
    }
    void clientTexts()
    {
        QFETCH(QString, addr);
        QFETCH(qint64, port);
        QFETCH(QString, app);
        QFETCH(qint64, id);
        QFETCH(bool, hasClient);
        QFETCH(QString, expected);
        ChainLink l;
        l.poolDatabase = QStringLiteral("app");
        l.poolUser = QStringLiteral("app");
        l.hasClient = hasClient;
        l.clientAddr = addr;
        if (port > 0)
            l.clientPort = port;
        l.clientApplicationName = app;
        if (id >= 0)
            l.clientId = id;
        QCOMPARE(SessionsModel::poolerClientText(l), expected);
        QCOMPARE(SessionsModel::poolText(l), QStringLiteral("app/app"));
    }

    // A server without a client is idle in the pool only when it is parked: not one PgBouncer lists as active
    // (its client left between SHOW CLIENTS and SHOW SERVERS), nor one whose backend PostgreSQL shows busy
    // now (the chain is a round every 5 s).
    void busyWithoutAClientIsNotIdleInPool()
    {
        ChainLink l;
        l.poolDatabase = QStringLiteral("app");
        l.poolUser = QStringLiteral("app");
        l.serverState = QStringLiteral("idle");
        QCOMPARE(SessionsModel::poolerClientText(l, SessionState::Idle), QString("no client (idle in pool)"));
        QCOMPARE(SessionsModel::poolerClientText(l, SessionState::Active),
                 QString("no client in the pooler's last list (backend active)"));
        l.serverState = QStringLiteral("active");
        QCOMPARE(SessionsModel::poolerClientText(l, SessionState::Active),
                 QString("client not listed (server active)"));
        QCOMPARE(SessionsModel::poolerClientText(l), QString("client not listed (server active)"));
    }

    void columnsAndFilterFollowTheChain()
    {
        SessionsModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        SessionsFilterModel filter;
        filter.setSessionsModel(&model);
        QAbstractItemModelTester filterTester(&filter,
                                              QAbstractItemModelTester::FailureReportingMode::QtTest);
        filter.sort(SessionsModel::Pid);

        model.merge({backend(101, 600), backend(102, 600), backend(103, 600, QStringLiteral("idle"))}, Now);
        // No pooler linked: empty columns, and the client's name finds nothing.
        QCOMPARE(column(filter, SessionsModel::Pool), (QStringList{"", "", ""}));
        filter.setText(QStringLiteral("billing"));
        QCOMPARE(filter.rowCount(), 0);

        PoolerChain chain;
        chain.pooler = QStringLiteral("pgbouncer");
        chain.takenAtMs = qint64(Now * 1000);
        chain.byBackendPid.insert(101, link(101, Now - 600, QStringLiteral("10.0.0.5"), 51234,
                                            QStringLiteral("billing-worker"), 17));
        chain.byBackendPid.insert(
            102, link(102, Now - 600, QStringLiteral("10.0.0.6"), 40001, QStringLiteral("checkout"), 18));
        model.setPoolerChain(chain);
        // The filter re-evaluates on the chain's dataChanged: "billing" now finds the backend billing holds.
        QCOMPARE(filter.rowCount(), 1);
        QCOMPARE(filter.pidAt(0), 101);
        filter.setText(QString());
        QCOMPARE(column(filter, SessionsModel::Pool), (QStringList{"app/app", "app/app", ""}));
        QCOMPARE(column(filter, SessionsModel::PoolerClient),
                 (QStringList{"10.0.0.5:51234 billing-worker id 17", "10.0.0.6:40001 checkout id 18", ""}));
        QVERIFY(filter.index(0, SessionsModel::PoolerClient)
                    .data(Qt::ToolTipRole)
                    .toString()
                    .contains(QStringLiteral("pgbouncer")));

        // Backend 101 ends and the server reuses its pid for a new backend (started now): the chain still
        // says 101 is billing's (the round is older), but not for this backend.
        model.merge({backend(101, 1), backend(102, 600), backend(103, 600, QStringLiteral("idle"))}, Now + 1);
        QCOMPARE(column(filter, SessionsModel::PoolerClient),
                 (QStringList{"", "10.0.0.6:40001 checkout id 18", ""}));

        // Unlinked again: the columns empty out.
        model.setPoolerChain(std::nullopt);
        QCOMPARE(column(filter, SessionsModel::PoolerClient), (QStringList{"", "", ""}));
    }
};

QTEST_GUILESS_MAIN(TestSessionsChain)
#include "tst_sessionschain.moc"
