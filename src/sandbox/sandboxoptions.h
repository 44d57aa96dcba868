#pragma once

#include <QString>
#include <QStringList>

namespace poolscope::sandbox {

struct SandboxOptions
{
    QString dir; // empty: a fresh temp dir, removed on stop
    QString poolMode = QStringLiteral("transaction");
    int defaultPoolSize = 10;
    // PgBouncer database "app_session": the app database again, in session mode with this pool_size (0:
    // none).
    int sessionPoolSize = 5;
    int reservePoolSize = 0;
    int maxClientConn = 1000;
    int maxConnections = 100; // PostgreSQL max_connections
    bool withPgBouncer = true;
    QStringList extraPostgresSettings; // "name=value", passed as -c
    QStringList extraBouncerSettings;  // "name = value" lines appended to [pgbouncer]
    // Pgpool-II 4.3 (Debian pgpool2) in raw mode in front of PostgreSQL, on its own loopback port: clients
    // authenticate with scram-sha-256 against pool_passwd, pgpool logs in to PostgreSQL the same way.
    bool withPgpool = false;
    int pgpoolNumInitChildren = 4;
    int pgpoolMaxPool = 2;
    // Debian's prometheus-postgres-exporter (0.11) against PostgreSQL as the monitor role, and Debian's
    // prometheus (2.42) scraping it and `prometheusScrapeTargets` ("127.0.0.1:PORT", job "poolscope": a
    // `watch --metrics-listen` the caller starts) every `prometheusScrapeIntervalMs`; both on loopback.
    bool withPostgresExporter = false;
    bool withPrometheus = false;
    QStringList prometheusScrapeTargets;
    int prometheusScrapeIntervalMs = 1000;
    // When set, Prometheus asks for HTTP basic auth (its --web.config.file, the password stored as a bcrypt
    // hash): how a protected Prometheus is read in tests. Its URI stays without credentials.
    QString prometheusBasicAuthUser;
    QString prometheusBasicAuthPassword;
};

/// libpq URIs of the sandbox. Passwords are never in them: each URI names the sandbox's pgpass file
/// (`?passfile=...`), so they are safe to print and log.
struct SandboxUris
{
    QString postgres;            // superuser "postgres", database postgres
    QString app;                 // role app, database app (direct)
    QString monitor;             // role monitor (pg_monitor, not superuser), database app
    QString pgbouncerApp;        // role app through PgBouncer, database app
    QString pgbouncerSessionApp; // role app through PgBouncer's session-mode pool app_session (database app)
    QString pgbouncerConsole;    // admin user on the PgBouncer console (database pgbouncer)
    QString pgbouncerMonitor;    // monitor (stats_users) on the PgBouncer console
    QString pgpoolApp;           // role app through Pgpool-II, database app
    QString pgpoolMonitor;       // role monitor through Pgpool-II, database app
    QString postgresExporter;    // http://127.0.0.1:PORT (its /metrics)
    QString prometheus;          // http://127.0.0.1:PORT (its HTTP API)
};

/// The servers a sandbox may run, in start order (stopped in reverse). Prometheus and the exporters join
/// here as daemons of their own (see SandboxDaemon).
enum class SandboxServer
{
    Postgres,
    PgBouncer,
    Pgpool,
    PostgresExporter,
    Prometheus,
};

} // namespace poolscope::sandbox
