#include "drills.h"

#include "core/finding.h"
#include "sandbox/sandboxoptions.h"

#include <QCoreApplication>

namespace poolscope::widgets {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("poolscope::widgets::Drill", text);
}

QList<Drill> makeDrills()
{
    namespace rule = findings::rule;
    QList<Drill> out;

    Drill leak;
    leak.preset = QStringLiteral("psycopg2-leak");
    leak.title = tr("psycopg2 pool leak (getconn without putconn)");
    leak.rule = rule::IdleInTransactionLeak;
    leak.reproduces =
        tr("A billing service with a psycopg2 ThreadedConnectionPool of 8. One request in ten takes an error "
           "path that skips putconn(): the connection stays checked out, inside its transaction. Within "
           "seconds all 8 are leaked and every request fails with \"connection pool exhausted\" while the "
           "database does nothing.");
    leak.lookFor = tr("The PostgreSQL charts: 8 sessions of poolscope-load-billing turn amber (idle in "
                      "transaction) and stay. The Findings dock names idle-in-transaction-leak.");
    leak.act =
        tr("The transactions roll back and the slots free up on the server; sessions leaked after you "
           "pressed it keep the finding open (press it again). PoolScope then names dead-connections too, "
           "as information, its own kills: the application's ends of those connections are dead now.");
    leak.appFix =
        tr("Ending the server sessions does not give them back to the application's pool: psycopg2 still "
           "counts them as checked out, so requests keep failing with \"connection pool exhausted\" (see the "
           "application line). The fix is in the code: putconn() in a finally block.");
    leak.fixedScenario = QStringLiteral("psycopg2-leak-fixed");
    leak.fixedDoes = tr("The same service with putconn() in a finally block (and minconn = maxconn = 8, so "
                        "the pool keeps what it opens): the error path gives its connection back.");
    out.append(leak);

    Drill storm;
    storm.preset = QStringLiteral("startup-storm");
    storm.title = tr("Startup storm (pool min_size × processes)");
    storm.rule = rule::ServerConnectionCeiling;
    storm.reproduces =
        tr("A deploy restarts 40 app processes at once. Each opens a psycopg_pool with min_size 4: 160 "
           "connections wanted against max_connections 100 (97 usable). The pools retry with backoff while "
           "requests already wait.");
    storm.lookFor = tr("PostgreSQL's sessions pinned at the usable limit, clients refused with \"too many "
                       "clients\": the finding server-connection-ceiling.");
    storm.act =
        tr("There is no one-click action: ending sessions only lets the retrying pools take the slots "
           "again.");
    storm.appFix = tr("The fix is the pools' size against the server: processes × min_size must fit "
                      "max_connections with room to spare (40 × 4 = 160 > 97). Smaller pools, or a pooler in "
                      "front.");
    storm.fixedScenario = QStringLiteral("startup-storm-fixed");
    storm.fixedDoes = tr("The same 40 processes restarting at once with min_size 1 (max_size 1): 40 "
                         "connections.");
    out.append(storm);

    Drill session;
    session.preset = QStringLiteral("session-pooler-full");
    session.title = tr("Session-mode pooler full (app pools 5 + 10)");
    session.through = Drill::Through::PgBouncerSession;
    session.rule = rule::PoolerSaturation;
    session.reproduces =
        tr("Three app processes, each with an SQLAlchemy QueuePool(pool_size=5, max_overflow=10), connect "
           "through PgBouncer's pool app_session in session mode with pool_size 5. In session mode a client "
           "holds its server until it disconnects, so the sixth client on waits, up to query_wait_timeout.");
    session.lookFor = tr("The PgBouncer page, pool app_session: clients waiting while the servers sit at "
                         "pool_size. The finding pooler-saturation on the PgBouncer target.");
    session.act = tr("No one-click action fixes it: RECONNECT or KILL only drop the clients that hold the "
                     "servers, and the next ones take them again.");
    session.appFix = tr("The fix is pool sizes against session mode: 3 processes × (5 + 10) = 45 clients "
                        "against pool_size 5. Use transaction mode (a server is held only for a "
                        "transaction) or cap the applications' pools to fit.");
    session.fixedScenario = QStringLiteral("session-pooler-full-fixed");
    session.fixedThrough = Drill::Through::PgBouncer;
    session.fixedDoes = tr("The same application through PgBouncer's transaction-mode pool (app): 45 client "
                           "connections share the servers between transactions.");
    out.append(session);

    Drill intrans;
    intrans.preset = QStringLiteral("intrans-leak");
    intrans.title = tr("INTRANS leak through a shared pool");
    intrans.rule = rule::IdleInTransactionLeak;
    intrans.reproduces =
        tr("Job workers share a hand-rolled pool of 10 connections that hands connections back as they are "
           "(no rollback). One job in 25 skips its COMMIT; its connection goes back inside the transaction, "
           "and whoever borrows it next fails: \"can't change 'autocommit' now: connection in transaction "
           "status INTRANS\".");
    intrans.lookFor = tr("Idle-in-transaction sessions of poolscope-load-worker growing towards 10, holding "
                         "row locks: the finding idle-in-transaction-leak.");
    intrans.act = tr("Then watch whether it stays away.");
    intrans.appFix =
        tr("Terminating only resets the connections until the next skipped COMMIT: the pool keeps handing "
           "out dirty connections, so the finding comes back (\"still present\"). The fix is in the "
           "application: roll back on return (psycopg_pool does by default) and commit in a finally path.");
    intrans.fixedScenario = QStringLiteral("intrans-leak-fixed");
    intrans.fixedDoes = tr("The same jobs with a pool that rolls back what it is given back, and a COMMIT "
                           "that is never skipped.");
    out.append(intrans);

    Drill tenant;
    tenant.preset = QStringLiteral("tenant-spike");
    tenant.title = tr("Tenant spike (jobs share the web pool)");
    tenant.rule = rule::AppPoolCeiling;
    tenant.reproduces =
        tr("One SQLAlchemy pool (5 + 10, timeout 2 s) serves both web requests and ten background workers "
           "whose jobs hold a connection in a 5 s transaction. At 5 s a big tenant's traffic arrives: 80 "
           "request workers fight over the five connections the jobs leave.");
    tenant.lookFor = tr("The application's sessions flat at exactly 15, ten in long transactions, and no "
                        "queue at any pooler: the finding app-pool-ceiling. The queue is inside the app.");
    tenant.act = tr("There is no one-click action: neither PostgreSQL nor a pooler sees the queue.");
    tenant.appFix =
        tr("The fix is in the application: background jobs get a pool of their own, so "
           "requests keep theirs, and a tenant's burst is admitted at a rate the pool can serve.");
    tenant.fixedScenario = QStringLiteral("tenant-spike-fixed");
    tenant.fixedDoes =
        tr("Requests keep the web pool (5 + 10) with the tenant admitted at 40 requests/s; the "
           "ten job workers get a pool of their own (poolscope-load-jobs, 12 connections opened at "
           "start).");
    out.append(tenant);
    return out;
}

} // namespace

const QList<Drill> &drills()
{
    static const QList<Drill> all = makeDrills();
    return all;
}

const Drill *findDrill(const QString &preset)
{
    for (const Drill &d : drills()) {
        if (d.preset == preset)
            return &d;
    }
    return nullptr;
}

QString drillUri(const sandbox::SandboxUris &uris, Drill::Through through)
{
    switch (through) {
    case Drill::Through::PgBouncer:
        return uris.pgbouncerApp;
    case Drill::Through::PgBouncerSession:
        return uris.pgbouncerSessionApp;
    case Drill::Through::Postgres:
        break;
    }
    return uris.app;
}

} // namespace poolscope::widgets
