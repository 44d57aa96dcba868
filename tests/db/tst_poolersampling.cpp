// Integration: sampling a real PgBouncer 1.18 console in full (pools, users, lists, config, clients/servers,
// rates) with a pool of 2 held by 4 clients, and the client -> server -> backend chain against PostgreSQL.
#include "core/poolerchain.h"
#include "db/sampler.h"
#include "db/targetcontroller.h"
#include "support/testsupport.h"

#include <QSignalSpy>
#include <QTest>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

using namespace poolscope;

namespace {

// Clients that send their queries without waiting: behind a saturated pool the later ones queue in
// PgBouncer, which a synchronous PQexec would wait for forever.
class AsyncClients
{
public:
    bool open(const QString &conninfo, int count, QString *error)
    {
        const db::ConnSpec spec = db::parseConnInfo(conninfo);
        for (int i = 1; i <= count; ++i) {
            db::ConnectOptions options;
            options.applicationName = "holder-" + QByteArray::number(i);
            DbError e;
            db::PgConn conn = db::connect(spec, options, &e);
            if (!conn) {
                *error = e.message;
                return false;
            }
            m_conns.push_back(std::move(conn));
        }
        return true;
    }
    PGconn *at(int i) const { return m_conns.at(size_t(i)).get(); }
    bool send(int i, const char *sql) { return PQsendQuery(at(i), sql) == 1; }
    /// Waits for every result of the query sent on client i; false on an error or a timeout.
    bool finish(int i, int timeoutMs, QString *error)
    {
        PGconn *c = at(i);
        QDeadlineTimer deadline(timeoutMs);
        while (PQisBusy(c)) {
            pollfd fd{PQsocket(c), POLLIN, 0};
            const int left = int(std::max<qint64>(0, deadline.remainingTime()));
            if (left == 0 || ::poll(&fd, 1, left) <= 0) {
                *error = QStringLiteral("client %1: no answer within %2 ms").arg(i + 1).arg(timeoutMs);
                return false;
            }
            if (!PQconsumeInput(c)) {
                *error = QString::fromUtf8(PQerrorMessage(c));
                return false;
            }
        }
        bool ok = true;
        while (PGresult *r = PQgetResult(c)) {
            if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK) {
                *error = QString::fromUtf8(PQresultErrorMessage(r));
                ok = false;
            }
            PQclear(r);
        }
        return ok;
    }
    /// The local TCP port of client i: what PgBouncer reports as the client's port.
    int localPort(int i) const
    {
        sockaddr_storage addr{};
        socklen_t len = sizeof addr;
        if (::getsockname(PQsocket(at(i)), reinterpret_cast<sockaddr *>(&addr), &len) != 0)
            return -1;
        if (addr.ss_family == AF_INET)
            return ntohs(reinterpret_cast<sockaddr_in *>(&addr)->sin_port);
        if (addr.ss_family == AF_INET6)
            return ntohs(reinterpret_cast<sockaddr_in6 *>(&addr)->sin6_port);
        return -1;
    }
    void closeAll() { m_conns.clear(); }

private:
    std::vector<db::PgConn> m_conns;
};

const PoolStats *appPool(const BouncerSample &b)
{
    for (const PoolStats &p : b.pools) {
        if (p.database == QLatin1String("app") && p.user == QLatin1String("app"))
            return &p;
    }
    return nullptr;
}

db::Sampler::Options slowConnections()
{
    db::Sampler::Options o;
    o.connectionsIntervalMs = 60000; // only the first sample and requested rounds take CLIENTS/SERVERS
    return o;
}

} // namespace

class TestPoolerSampling : public QObject
{
    Q_OBJECT

    std::unique_ptr<sandbox::Sandbox> m_sandbox;

private Q_SLOTS:
    void initTestCase()
    {
        sandbox::SandboxOptions options;
        options.defaultPoolSize = 2;
        QString error;
        m_sandbox = test::startSandbox(&error, options);
        QVERIFY2(m_sandbox, qPrintable(error));
    }
    void cleanupTestCase() { m_sandbox.reset(); }

    void saturatedPoolQueuesAndChainsToBackends()
    {
        AsyncClients clients;
        QString error;
        QVERIFY2(clients.open(m_sandbox->uris().pgbouncerApp, 4, &error), qPrintable(error));
        // Two clients take the pool's two servers and stay idle in transaction ...
        for (int i = 0; i < 2; ++i) {
            QVERIFY(clients.send(i, "BEGIN; SELECT 1"));
            QVERIFY2(clients.finish(i, 10000, &error), qPrintable(error));
        }
        // ... the other two queue: their first query waits for a server.
        for (int i = 2; i < 4; ++i)
            QVERIFY(clients.send(i, "BEGIN; SELECT 1"));

        // The stats user sees the queue (and may read everything the sampler asks for).
        db::Sampler stats(m_sandbox->uris().pgbouncerMonitor, slowConnections());
        TargetSnapshot s;
        QTRY_VERIFY_WITH_TIMEOUT((s = stats.sample(), s.ok && s.bouncer && appPool(*s.bouncer) &&
                                                          appPool(*s.bouncer)->clWaiting.value_or(0) >= 2),
                                 5000);
        QCOMPARE(s.bouncer->access, ConsoleAccess::StatsOnly);
        QCOMPARE(s.bouncer->consoleUser, QStringLiteral("monitor"));
        QVERIFY(s.bouncer->clients && s.bouncer->servers);

        db::Sampler admin(m_sandbox->uris().pgbouncerConsole, slowConnections());
        s = admin.sample();
        QVERIFY2(s.ok, qPrintable(s.error.message));
        QCOMPARE(s.kind, TargetKind::PgBouncer);
        const BouncerSample &b = *s.bouncer;
        QCOMPARE(b.flavor, PoolerFlavor::PgBouncer);
        QCOMPARE(b.versionNum, 11800);
        QVERIFY2(b.versionText.startsWith(QLatin1String("PgBouncer 1.18")), qPrintable(b.versionText));
        QCOMPARE(b.access, ConsoleAccess::Admin);
        QCOMPARE(b.consoleUser, QStringLiteral("pgbadmin"));
        QCOMPARE(b.config.value(QStringLiteral("default_pool_size")), QStringLiteral("2"));
        // SHOW STATE does not exist on 1.18: skipped, unknown, and the sample is fine.
        QVERIFY(!b.paused.has_value());
        QVERIFY(!b.suspended.has_value());
        QVERIFY(!b.lists.isEmpty());
        bool appUser = false;
        for (const BouncerUser &u : b.users)
            appUser = appUser || u.name == QLatin1String("app");
        QVERIFY(appUser);

        const PoolStats *pool = appPool(b);
        QVERIFY(pool);
        QCOMPARE(pool->poolSize, std::optional<qint64>(2));
        QVERIFY2(pool->clWaiting.value_or(0) >= 1, qPrintable(QString::number(pool->clWaiting.value_or(-1))));
        QCOMPARE(pool->svActive, std::optional<qint64>(2));
        QVERIFY(pool->saturated());
        QCOMPARE(pool->busyFraction(), std::optional<double>(1.0));
        QVERIFY(pool->maxwaitSeconds.has_value());

        // The first sample of a connection takes CLIENTS and SERVERS.
        QVERIFY(b.connectionsFresh);
        QVERIFY(b.clients && b.servers);
        QVERIFY(b.connectionsAtMs > 0);
        int holders = 0;
        for (const BouncerConnection &c : *b.clients)
            holders += c.applicationName.startsWith(QLatin1String("holder-")) ? 1 : 0;
        QCOMPARE(holders, 4);

        // Chain: each idle-in-transaction backend maps to the client holding it.
        db::Sampler pg(m_sandbox->uris().monitor);
        const TargetSnapshot ps = pg.sample();
        QVERIFY2(ps.ok, qPrintable(ps.error.message));
        const PoolerChain chain = joinBouncerChain(*b.clients, *b.servers);
        int mapped = 0;
        for (const Session &session : ps.postgres->sessions) {
            if (session.usename != QLatin1String("app") ||
                session.stateClass() != SessionState::IdleInTransaction)
                continue;
            const ChainLink *link = chain.find(session.pid, session.backendStart);
            QVERIFY2(link, qPrintable(QStringLiteral("backend %1 is not in the chain").arg(session.pid)));
            QVERIFY(link->hasClient);
            QCOMPARE(link->poolDatabase, QStringLiteral("app"));
            QCOMPARE(link->poolUser, QStringLiteral("app"));
            bool matched = false;
            for (int i = 0; i < 2; ++i) {
                if (link->clientPort == std::optional<qint64>(clients.localPort(i))) {
                    QCOMPARE(link->clientApplicationName, QStringLiteral("holder-%1").arg(i + 1));
                    matched = true;
                }
            }
            QVERIFY2(matched, qPrintable(QStringLiteral("backend %1 maps to %2, not a holder with a server")
                                             .arg(session.pid)
                                             .arg(link->clientText())));
            ++mapped;
        }
        QCOMPARE(mapped, 2);

        // Between rounds the lists are carried over, not taken again ...
        const TargetSnapshot again = admin.sample();
        QVERIFY(again.ok);
        QVERIFY(!again.bouncer->connectionsFresh);
        QVERIFY(again.bouncer->clients);
        QCOMPARE(again.bouncer->connectionsAtMs, b.connectionsAtMs);
        QCOMPARE(again.bouncer->clients->size(), b.clients->size());
        // ... until asked for.
        admin.requestConnections();
        const TargetSnapshot fresh = admin.sample();
        QVERIFY(fresh.ok);
        QVERIFY(fresh.bouncer->connectionsFresh);
        QVERIFY(fresh.bouncer->clients);
        QVERIFY(!admin.sample().bouncer->connectionsFresh);

        clients.closeAll();
        QTRY_VERIFY_WITH_TIMEOUT((s = admin.sample(), s.ok && appPool(*s.bouncer) &&
                                                          appPool(*s.bouncer)->clWaiting == 0 &&
                                                          !appPool(*s.bouncer)->saturated()),
                                 5000);
    }

    void ratesFromTotals()
    {
        db::Sampler admin(m_sandbox->uris().pgbouncerConsole);
        const TargetSnapshot first = admin.sample();
        QVERIFY2(first.ok, qPrintable(first.error.message));
        // No previous sample on this connection: rates unknown.
        QVERIFY(appPool(*first.bouncer));
        QVERIFY(!appPool(*first.bouncer)->tps.has_value());

        test::HeldSessions worker;
        QString error;
        QVERIFY2(worker.open(m_sandbox->uris().pgbouncerApp, 1, "tst-rates", {}, &error), qPrintable(error));
        for (int i = 0; i < 50; ++i) {
            DbError e;
            QVERIFY2(db::exec(worker.at(0), "SELECT 1", &e), qPrintable(e.message));
        }
        QTest::qWait(100);
        const TargetSnapshot second = admin.sample();
        QVERIFY2(second.ok, qPrintable(second.error.message));
        const PoolStats *pool = appPool(*second.bouncer);
        QVERIFY(pool);
        QVERIFY(pool->tps.has_value());
        QVERIFY2(*pool->tps > 0, qPrintable(QString::number(*pool->tps)));
        QVERIFY(pool->qps.has_value() && *pool->qps > 0);
        QVERIFY(second.tps.has_value() && *second.tps > 0);
    }

    void controllerRefreshesConnectionsOnDemand()
    {
        db::TargetController controller(m_sandbox->uris().pgbouncerConsole);
        controller.setIntervalMs(60000);
        QSignalSpy spy(&controller, &db::TargetController::snapshotReady);
        controller.start();
        QVERIFY(spy.wait(10000));
        auto fresh = [&](int i) {
            const auto s = spy.at(i).first().value<TargetSnapshot>();
            return s.ok && s.bouncer && s.bouncer->connectionsFresh && s.bouncer->clients.has_value();
        };
        QVERIFY(fresh(0));
        // The next poll is a minute away; asking for the lists polls now.
        controller.refreshConnections();
        QTRY_COMPARE_WITH_TIMEOUT(spy.size(), 2, 5000);
        QVERIFY(fresh(1));
    }

    void kindIsPostgresWithoutPgpool()
    {
        // The Pgpool-II probe on a plain PostgreSQL (42704) is swallowed.
        db::Sampler pg(m_sandbox->uris().monitor);
        const TargetSnapshot s = pg.sample();
        QVERIFY2(s.ok, qPrintable(s.error.message));
        QCOMPARE(s.kind, TargetKind::Postgres);
        QVERIFY(!s.pgpool.has_value());
        QVERIFY(pg.sample().ok);
    }
};

QTEST_GUILESS_MAIN(TestPoolerSampling)
#include "tst_poolersampling.moc"
