#pragma once

#include "sandbox/sandboxoptions.h"

#include <QJsonObject>
#include <QString>
#include <memory>

namespace poolscope::sandbox {

class ServerProcess;

/// Starts a throwaway PostgreSQL 15 (+ PgBouncer 1.18, + Pgpool-II 4.3 when asked) on free loopback ports:
/// initdb into a temp dir, roles app / monitor, the poolers in front. Used by `--demo`, `poolscope sandbox`
/// and every integration test. Each server is a SandboxDaemon of its own (postgresdaemon.h,
/// pgbouncerdaemon.h, pgpooldaemon.h); the files are SandboxDir's.
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
    int pgpoolPort() const;           // 0 without Pgpool-II
    int postgresExporterPort() const; // 0 without postgres_exporter
    int prometheusPort() const;       // 0 without Prometheus
    const SandboxUris &uris() const;
    /// {"dir":..,"postgres_port":N,"pgbouncer_port":N,"pid":N,"uris":{"postgres":..,"app":..,...}}; with
    /// Pgpool-II also "pgpool_port" and the uris "pgpool_app", "pgpool_monitor".
    QJsonObject toJson() const;

    /// Finds a server binary: `pg_config --bindir`, then /usr/lib/postgresql/<newest>/bin; for pgbouncer
    /// also PATH and /usr/sbin. Empty when not found.
    static QString findPostgresBinary(const QString &name);
    static QString findPgBouncer();
    /// Finds pgpool in PATH, /usr/sbin; empty when not found.
    static QString findPgpool();

    /// Pid of the PostgreSQL postmaster (0 when not running). Its backends are its children.
    qint64 postgresPid() const;
    /// Pid of PgBouncer (0 when not running).
    qint64 bouncerPid() const;
    /// Pid of the Pgpool-II main process (0 when not running). Its children serve the clients.
    qint64 pgpoolPid() const;
    /// One server's process, null when it does not run in this sandbox. For what an operator would do to it
    /// (tests/support restarts servers through it); same thread contract as start().
    ServerProcess *server(SandboxServer which) const;

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace poolscope::sandbox
