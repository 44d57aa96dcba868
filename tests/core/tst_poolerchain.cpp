#include "core/bouncerparsers.h"
#include "core/pgpoolparsers.h"
#include "core/poolerchain.h"
#include "support/fixture.h"

#include <QTest>

using namespace poolscope;
using poolscope::test::fixture;

namespace {

QString flatten(const ChainLink &l)
{
    return QStringLiteral("%1 %2/%3 %4 -> %5 [%6]")
        .arg(l.backendPid)
        .arg(l.poolDatabase, l.poolUser, l.serverState, l.clientText(), l.clientState);
}

QStringList flatten(const PoolerChain &chain)
{
    QList<qint64> pids = chain.byBackendPid.keys();
    std::sort(pids.begin(), pids.end());
    QStringList out;
    for (qint64 pid : pids)
        out.append(flatten(chain.byBackendPid.value(pid)));
    return out;
}

BouncerConnection conn(const QString &type, const QString &ptr, const QString &link,
                       std::optional<qint64> remotePid = std::nullopt)
{
    BouncerConnection c;
    c.type = type;
    c.user = "app";
    c.database = "app";
    c.state = "active";
    c.addr = "10.0.0.9";
    c.port = 5000;
    c.ptr = ptr;
    c.link = link;
    c.remotePid = remotePid;
    return c;
}

} // namespace

class TestPoolerChain : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void bouncerJoin_data()
    {
        QTest::addColumn<QString>("clients");
        QTest::addColumn<QString>("servers");
        QTest::addColumn<QStringList>("expected");
        QTest::addRow("1.18: no client ids")
            << "pgbouncer/show_clients_1.18.txt"
            << "pgbouncer/show_servers_1.18.txt"
            << QStringList{"4242 app/app active -> 10.0.0.5:51234 app=billing [active]",
                           "4243 app/app idle -> no client (idle in pool) []",
                           "4244 app/app used -> no client (idle in pool) []"};
        QTest::addRow("1.24: the client id for KILL_CLIENT")
            << "pgbouncer/show_clients_1.24.txt"
            << "pgbouncer/show_servers_1.24.txt"
            << QStringList{"4242 app/app active -> 10.0.0.5:51234 app=billing id=17 [active]",
                           "4243 app/app idle -> no client (idle in pool) []",
                           "4244 app/app used -> no client (idle in pool) []"};
        QTest::addRow("Odyssey: ids as pointers")
            << "odyssey/show_clients.txt"
            << "odyssey/show_servers.txt"
            << QStringList{"5151 app/app active -> 10.0.0.5:51234 [active]",
                           "5152 app/app idle -> no client (idle in pool) []"};
    }

    void bouncerJoin()
    {
        QFETCH(QString, clients);
        QFETCH(QString, servers);
        QFETCH(QStringList, expected);
        const PoolerChain chain = joinBouncerChain(parsers::parseShowConnections(fixture(clients)),
                                                   parsers::parseShowConnections(fixture(servers)));
        QCOMPARE(flatten(chain), expected);
        // The admin client's peer pid (a Unix-socket client) is no backend.
        QVERIFY(!chain.find(31337));
    }

    void captured118()
    {
        // PgBouncer 1.18.0 with pg_stat_activity read at the same moment (see the fixture's comment).
        const PoolerChain chain = joinBouncerChain(
            parsers::parseShowConnections(fixture("pgbouncer/captured_1.18_chain_show_clients.txt")),
            parsers::parseShowConnections(fixture("pgbouncer/captured_1.18_chain_show_servers.txt")));
        QCOMPARE(flatten(chain), (QStringList{"15870 app/app active -> 127.0.0.1:50188 app=billing [active]",
                                              "15932 app/app active -> 127.0.0.1:50206 app=report [active]",
                                              "15933 app/app idle -> no client (idle in pool) []"}));
        // backend_start 0.26 s after PgBouncer's whole-second connect_time: the same connection.
        QVERIFY(chain.find(15870, 1795425226.263291));
        QVERIFY(chain.find(15932, 1795425230.801385));
    }

    void linkDetails()
    {
        const PoolerChain chain =
            joinBouncerChain(parsers::parseShowConnections(fixture("pgbouncer/show_clients_1.24.txt")),
                             parsers::parseShowConnections(fixture("pgbouncer/show_servers_1.24.txt")));
        const ChainLink *l = chain.find(4242);
        QVERIFY(l);
        QVERIFY(l->hasClient);
        QCOMPARE(l->clientAddr, QString("10.0.0.5"));
        QCOMPARE(l->clientPort, std::optional<qint64>(51234));
        QCOMPARE(l->clientId, std::optional<qint64>(17));
        QCOMPARE(l->clientApplicationName, QString("billing"));
        QCOMPARE(l->clientConnectTime, std::optional<double>(1795403724.0));
        QCOMPARE(l->serverConnectTime, std::optional<double>(1795403400.0));
        QVERIFY(!chain.find(999));
    }

    void pidReuseGuard_data()
    {
        QTest::addColumn<std::optional<double>>("backendStart");
        QTest::addColumn<bool>("found");
        using O = std::optional<double>;
        // The server connected at 1795403400 (2026-11-23 03:10:00 UTC).
        QTest::addRow("backend start unknown") << O() << true;
        QTest::addRow("same second") << O(1795403400.2) << true;
        QTest::addRow("4.9 s apart (connect round trip, clock skew)") << O(1795403395.1) << true;
        QTest::addRow("a later backend reused the pid") << O(1795403460.0) << false;
        QTest::addRow("5.1 s earlier") << O(1795403394.9) << false;
    }

    void pidReuseGuard()
    {
        QFETCH(std::optional<double>, backendStart);
        QFETCH(bool, found);
        const PoolerChain chain =
            joinBouncerChain(parsers::parseShowConnections(fixture("pgbouncer/show_clients_1.24.txt")),
                             parsers::parseShowConnections(fixture("pgbouncer/show_servers_1.24.txt")));
        QCOMPARE(chain.find(4242, backendStart) != nullptr, found);
    }

    void noConnectTimeNoGuard()
    {
        // A pooler that reports no connect time cannot be checked: the link stands.
        PoolerChain chain = joinBouncerChain({}, {conn("S", "0x1", "", 77)});
        QVERIFY(chain.find(77, 1.0));
    }

    void reusedClientPointer()
    {
        // Between SHOW SERVERS and SHOW CLIENTS the client freed its slot and a new client (now linked to
        // another server) took the same pointer: the server's link names a stranger and is dropped.
        const QList<BouncerConnection> servers{conn("S", "0xs1", "0xc1", 101), conn("S", "0xs2", "0xc2", 102),
                                               conn("S", "0xs3", "", std::nullopt)};
        const QList<BouncerConnection> clients{conn("C", "0xc1", "0xs9"), conn("C", "0xc2", "0xs2")};
        const PoolerChain chain = joinBouncerChain(clients, servers);
        QCOMPARE(chain.byBackendPid.size(), 2); // the server without a remote_pid is skipped
        QVERIFY(!chain.find(101)->hasClient);
        QCOMPARE(chain.find(101)->clientText(), QString("client not listed (server active)"));
        QVERIFY(chain.find(102)->hasClient);
        QCOMPARE(chain.find(102)->clientText(), QString("10.0.0.9:5000"));
    }

    void clientText_data()
    {
        QTest::addColumn<ChainLink>("link");
        QTest::addColumn<QString>("text");
        ChainLink none;
        QTest::addRow("no client") << none << "no client (idle in pool)";
        ChainLink full;
        full.hasClient = true;
        full.clientAddr = "10.0.0.5";
        full.clientPort = 51234;
        full.clientApplicationName = "billing";
        full.clientId = 17;
        QTest::addRow("address, app, id") << full << "10.0.0.5:51234 app=billing id=17";
        ChainLink v6 = full;
        v6.clientAddr = "fd00::5";
        v6.clientApplicationName.clear();
        v6.clientId.reset();
        QTest::addRow("IPv6") << v6 << "[fd00::5]:51234";
        ChainLink unixClient = full;
        unixClient.clientAddr = "unix";
        QTest::addRow("Unix socket") << unixClient << "unix app=billing id=17";
        ChainLink child;
        child.hasClient = true;
        child.pgpoolChildPid = 5001;
        QTest::addRow("Pgpool-II 4.3: the child only") << child << "child=5001";
        ChainLink bare;
        bare.hasClient = true;
        QTest::addRow("nothing known") << bare << "client (address unknown)";
        // A server at work whose client is not in SHOW CLIENTS (it left between the two SHOWs): not idle.
        ChainLink busy;
        busy.serverState = "active";
        QTest::addRow("active server, client missing") << busy << "client not listed (server active)";
        ChainLink cancelling = busy;
        cancelling.serverState = "being_canceled";
        QTest::addRow("server being canceled") << cancelling << "client not listed (server being_canceled)";
        ChainLink used;
        used.serverState = "used";
        QTest::addRow("used server: parked") << used << "no client (idle in pool)";
    }

    void clientText()
    {
        QFETCH(ChainLink, link);
        QFETCH(QString, text);
        QCOMPARE(link.clientText(), text);
    }

    // The chain is a round every 5 s; PostgreSQL's state is fresher. A backend running a query or in a
    // transaction is not idle in the pool, whatever the last round said.
    void clientTextWithTheBackendsState()
    {
        ChainLink idle;
        idle.serverState = "idle";
        QVERIFY(idle.idleInPool());
        QVERIFY(idle.idleInPool(SessionState::Idle));
        QCOMPARE(idle.clientText(SessionState::Idle), QString("no client (idle in pool)"));
        QVERIFY(!idle.idleInPool(SessionState::Active));
        QCOMPARE(idle.clientText(SessionState::Active),
                 QString("no client in the pooler's last list (backend active)"));
        QCOMPARE(idle.clientText(SessionState::IdleInTransaction),
                 QString("no client in the pooler's last list (backend idle in transaction)"));
        ChainLink linked = idle;
        linked.hasClient = true;
        linked.clientAddr = "10.0.0.5";
        QVERIFY(!linked.idleInPool(SessionState::Idle));
        QCOMPARE(linked.clientText(SessionState::Active), QString("10.0.0.5"));
    }

    // The traffic a pooler passed to one PostgreSQL server: its databases that point there, once per
    // database.
    void trafficTo()
    {
        BouncerSample b;
        BouncerDatabase app, other;
        app.name = "app";
        app.host = "127.0.0.1";
        app.port = 5432;
        other.name = "reports";
        other.host = "10.0.0.7";
        other.port = 5432;
        b.databases = {app, other};
        auto pool = [](const QString &db, const QString &user, std::optional<double> tps) {
            PoolStats p;
            p.database = db;
            p.user = user;
            p.tps = tps;
            return p;
        };
        b.pools = {pool("app", "app", 40), pool("app", "admin", 40), pool("reports", "app", 7)};
        b.totals = {BouncerStatsTotals{}};
        QCOMPARE(poolerTrafficTo(b, "localhost", 5432, false), std::optional<double>(40)); // shared per db
        QCOMPARE(poolerTrafficTo(b, "127.0.0.1", 5432, true), std::optional<double>(47));  // manual: all
        QCOMPARE(poolerTrafficTo(b, "127.0.0.1", 6000, false), std::nullopt);
        // PgCat keeps its totals per database and user: every pool counts.
        b.totals.first().user = "app";
        QCOMPARE(poolerTrafficTo(b, "127.0.0.1", 5432, false), std::optional<double>(80));
        b.pools = {pool("app", "app", std::nullopt)};
        QCOMPARE(poolerTrafficTo(b, "127.0.0.1", 5432, false), std::nullopt); // no rate yet: unknown
    }

    void pgpoolJoin_data()
    {
        QTest::addColumn<QString>("pools");
        QTest::addColumn<QStringList>("expected");
        QTest::addRow("4.3") << "pgpool/pool_pools_4.3.txt"
                             << QStringList{"7001 app/app connected -> child=5001 [Idle in transaction]",
                                            "7002 app/report connected -> child=5002 [Execute command]",
                                            "7003 app/monitor connected -> child=5003 [Idle]",
                                            "7012 app/app idle -> no client (idle in pool) []"};
        QTest::addRow("4.7: client host and port")
            << "pgpool/pool_pools_4.7.txt"
            << QStringList{"7001 app/app connected -> 10.0.0.5:51234 child=5001 [Idle in transaction]",
                           "7002 app/report connected -> 10.0.0.6:40112 child=5002 [Execute command]",
                           "7003 app/monitor connected -> 127.0.0.1:45000 child=5003 [Idle]",
                           "7012 app/app idle -> no client (idle in pool) []"};
    }

    void pgpoolJoin()
    {
        QFETCH(QString, pools);
        QFETCH(QStringList, expected);
        PgpoolSample s;
        s.processes = parsers::parsePoolProcesses(fixture("pgpool/pool_processes_4.3.txt"));
        s.pools = parsers::parsePoolPools(fixture(pools));
        const PoolerChain chain = joinPgpoolChain(s);
        QCOMPARE(flatten(chain), expected);
        QCOMPARE(chain.find(7001)->pgpoolChildPid, std::optional<qint64>(5001));
    }

    void chainOfSnapshot()
    {
        TargetSnapshot bouncer;
        bouncer.target = "pgbadmin@127.0.0.1:6432/pgbouncer";
        bouncer.kind = TargetKind::PgBouncer;
        bouncer.bouncer = BouncerSample{};
        QVERIFY(chainOf(bouncer).isEmpty()); // no connections round yet
        bouncer.bouncer->clients = parsers::parseShowConnections(fixture("pgbouncer/show_clients_1.24.txt"));
        QVERIFY(chainOf(bouncer).isEmpty()); // half a round is no round
        bouncer.bouncer->servers = parsers::parseShowConnections(fixture("pgbouncer/show_servers_1.24.txt"));
        bouncer.bouncer->connectionsAtMs = 1795404006000;
        const PoolerChain chain = chainOf(bouncer);
        QCOMPARE(chain.byBackendPid.size(), 3);
        QCOMPARE(chain.pooler, bouncer.target);
        QCOMPARE(chain.takenAtMs, qint64(1795404006000));

        TargetSnapshot pgpool;
        pgpool.target = "app@127.0.0.1:9999/app";
        pgpool.kind = TargetKind::Pgpool;
        pgpool.sampledAtMs = 42;
        pgpool.pgpool = PgpoolSample{};
        pgpool.pgpool->pools = parsers::parsePoolPools(fixture("pgpool/pool_pools_4.7.txt"));
        QCOMPARE(chainOf(pgpool).byBackendPid.size(), 4);
        QCOMPARE(chainOf(pgpool).takenAtMs, qint64(42));

        TargetSnapshot postgres;
        postgres.kind = TargetKind::Postgres;
        postgres.postgres = PostgresSample{};
        QVERIFY(chainOf(postgres).isEmpty());
    }

    void pointsAt_data()
    {
        QTest::addColumn<QString>("host");
        QTest::addColumn<int>("port");
        QTest::addColumn<bool>("points");
        QTest::addRow("localhost entry, asked as 127.0.0.1") << "127.0.0.1" << 5432 << true;
        QTest::addRow("localhost entry, asked as ::1") << "::1" << 5432 << true;
        QTest::addRow("localhost entry, asked as LOCALHOST") << "LOCALHOST" << 5432 << true;
        QTest::addRow("::1 entry, asked as localhost") << "localhost" << 5433 << true;
        QTest::addRow("loopback on another port") << "127.0.0.1" << 6000 << false;
        QTest::addRow("host NULL and port NULL: local socket, 5432") << "" << 5432 << true;
        QTest::addRow("socket directory") << "/tmp" << 5434 << true;
        QTest::addRow("socket is not loopback TCP") << "127.0.0.1" << 5434 << false;
        QTest::addRow("remote host") << "DB1.example.com" << 6543 << true;
        QTest::addRow("remote host, wrong port") << "db1.example.com" << 5432 << false;
        QTest::addRow("one of a host list") << "10.0.0.9" << 5440 << true;
        QTest::addRow("unknown host") << "10.0.0.10" << 5440 << false;
    }

    void pointsAt()
    {
        QFETCH(QString, host);
        QFETCH(int, port);
        QFETCH(bool, points);
        BouncerSample b;
        b.databases = parsers::parseShowDatabases(fixture("pgbouncer/show_databases_chain.txt"));
        QCOMPARE(poolerPointsAt(b, host, port), points);
    }

    void pointsAtNothingWithoutDatabases() { QVERIFY(!poolerPointsAt(BouncerSample{}, "127.0.0.1", 5432)); }
};

QTEST_GUILESS_MAIN(TestPoolerChain)
#include "tst_poolerchain.moc"
