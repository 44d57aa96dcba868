#pragma once

#include "cli/fleetmetrics.h"
#include "cli/fleetwatch.h"
#include "db/pg.h"
#include "metrics/metricsserver.h"
#include "sandbox/sandbox.h"
#include "support/testsupport.h"

#include <QString>
#include <libpq-fe.h>
#include <memory>

// PoolScope's own /metrics (what `watch --metrics-listen` serves) for the sandbox's Prometheus to scrape, in
// the test's process. Header-only: the tests that use it link poolscope_cli and poolscope_metrics, the test
// support library does not.
namespace poolscope::test {

/// Bound on an ephemeral loopback port before the sandbox starts, so the port Prometheus is told to scrape
/// stays ours (choosing a free port first and binding it later lost it to a concurrent test once). Serves
/// the fleet given to serve(); an empty page before.
class FleetExport
{
public:
    FleetExport()
        : m_server([this] { return m_fleet ? cli::fleetExposition(*m_fleet) : metrics::Exposition(); })
    {}
    bool listen(QString *error) { return m_server.listen(metrics::ListenAddress{}, error); }
    /// "127.0.0.1:PORT", as Prometheus scrapes it.
    QString address() const { return QStringLiteral("127.0.0.1:%1").arg(m_server.port()); }
    int port() const { return m_server.port(); }
    void serve(const cli::FleetWatch *fleet) { m_fleet = fleet; }
    const metrics::MetricsServer &server() const { return m_server; }

private:
    const cli::FleetWatch *m_fleet = nullptr;
    metrics::MetricsServer m_server;
};

/// The sandbox of the Prometheus tests: a PgBouncer pool of two (two held transactions fill it, a third
/// client queues), Debian's postgres_exporter, and a Prometheus scraping it and `exported`.
inline std::unique_ptr<sandbox::Sandbox> startPrometheusSandbox(const FleetExport &exported, QString *error)
{
    sandbox::SandboxOptions o;
    o.defaultPoolSize = 2;
    o.withPostgresExporter = true;
    o.withPrometheus = true;
    o.prometheusScrapeTargets = {exported.address()};
    return startSandbox(error, o);
}

/// That sandbox's pool of two, full: two clients hold its server connections in open transactions and a third
/// client's query queues behind them (until this goes).
class FullPool
{
public:
    bool open(const QString &pgbouncerApp, QString *error)
    {
        if (!m_busy.open(pgbouncerApp, 2, "busy", {"BEGIN", "SELECT 1"}, error))
            return false;
        m_waiter.reset(PQconnectdb(pgbouncerApp.toUtf8().constData()));
        if (PQstatus(m_waiter.get()) == CONNECTION_OK && PQsendQuery(m_waiter.get(), "SELECT 1"))
            return true;
        *error =
            QStringLiteral("the queued client: %1").arg(QString::fromUtf8(PQerrorMessage(m_waiter.get())));
        return false;
    }
    void close()
    {
        m_busy.closeAll();
        m_waiter.reset();
    }

private:
    HeldSessions m_busy;
    db::PgConn m_waiter;
};

} // namespace poolscope::test
