#pragma once

#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <memory>

namespace poolscope::db {

struct SandboxOptions
{
    QString dir; // empty: a fresh temp dir, removed on stop
    QString poolMode = QStringLiteral("transaction");
    int defaultPoolSize = 10;
    // PgBouncer database "app_session": the app database again, in session mode with this pool_size (0: none).
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
};

/// libpq URIs of the sandbox. Passwords are never in them: each URI names the sandbox's pgpass file
/// (`?passfile=...`), so they are safe to print and log.
struct SandboxUris
{
    QString postgres;         // superuser "postgres", database postgres
    QString app;              // role app, database app (direct)
    QString monitor;          // role monitor (pg_monitor, not superuser), database app
    QString pgbouncerApp;     // role app through PgBouncer, database app
    QString pgbouncerSessionApp; // role app through PgBouncer's session-mode pool app_session (database app)
    QString pgbouncerConsole; // admin user on the PgBouncer console (database pgbouncer)
    QString pgbouncerMonitor; // monitor (stats_users) on the PgBouncer console
    QString pgpoolApp;        // role app through Pgpool-II, database app
    QString pgpoolMonitor;    // role monitor through Pgpool-II, database app
};

/// Starts a throwaway PostgreSQL 15 (+ PgBouncer 1.18) on free loopback ports: initdb into a temp dir,
/// roles app / monitor, PgBouncer in front. Used by `--demo`, `poolscope sandbox` and every integration test.
///
/// Thread contract: start() and stop() must run on the same thread, and that thread must outlive the
/// sandbox (server processes get PR_SET_PDEATHSIG, which fires when the *thread* that forked them exits).
/// When the process runs as root, the servers run as an unprivileged user ("postgres", else "nobody").
/// Processes die with the parent (PDEATHSIG); a detached watchdog removes the files when the parent dies
/// without calling stop().
class Sandbox
{
public:
    explicit Sandbox(SandboxOptions options = {});
    ~Sandbox(); // calls stop()
    Sandbox(const Sandbox &) = delete;
    Sandbox &operator=(const Sandbox &) = delete;

    /// Blocking; typically 2-5 s. On failure returns false, stops whatever started and sets `error`
    /// (with the tail of the server log when a server failed to come up).
    bool start(QString *error);
    /// Fast shutdown of Pgpool-II, PgBouncer and PostgreSQL, then removal of the files. Idempotent.
    void stop();

    bool isRunning() const;
    QString dir() const;
    int postgresPort() const;
    int bouncerPort() const;
    int pgpoolPort() const; // 0 without Pgpool-II
    const SandboxUris &uris() const;
    /// {"dir":..,"postgres_port":N,"pgbouncer_port":N,"pid":N,"uris":{"postgres":..,"app":..,...}}; with
    /// Pgpool-II also "pgpool_port" and the uris "pgpool_app", "pgpool_monitor".
    QJsonObject toJson() const;

    /// Finds a server binary: `pg_config --bindir`, then /usr/lib/postgresql/<newest>/bin; for pgbouncer
    /// also PATH and /usr/sbin. Empty when not found.
    static QString findPostgresBinary(const QString &name);
    static QString findPgBouncer();

    /// Pid of the PostgreSQL postmaster (0 when not running). Its backends are its children.
    qint64 postgresPid() const;
    /// Pid of PgBouncer (0 when not running).
    qint64 bouncerPid() const;
    /// Pid of the Pgpool-II main process (0 when not running). Its children serve the clients.
    qint64 pgpoolPid() const;
    /// Finds pgpool in PATH, /usr/sbin; empty when not found.
    static QString findPgpool();
    /// Blocking: fast shutdown of PostgreSQL, then a start on the same port with the same settings, as an
    /// operator's restart would (clients see their connections close). PgBouncer keeps running.
    bool restartPostgres(QString *error);
    /// Blocking: stops PgBouncer and starts it again on the same port with the same configuration.
    bool restartPgBouncer(QString *error);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace poolscope::db
