#pragma once

#include "sandbox/sandboxdir.h"
#include "sandbox/sandboxoptions.h"
#include "sandbox/serveruser.h"

#include <QByteArray>
#include <memory>
#include <spdlog/logger.h>

namespace poolscope::sandbox {

/// What the daemons of one sandbox share: the options, the server user, the files, the passwords, the ports
/// taken so far and the URIs that follow from them. The Sandbox owns it; each daemon reads it and records its
/// own port in it.
struct SandboxContext
{
    explicit SandboxContext(SandboxOptions o);

    static constexpr char kAdminUser[] = "pgbadmin"; // PgBouncer's admin_users

    SandboxOptions options;
    std::shared_ptr<spdlog::logger> log;
    ServerUser user;
    SandboxDir files;
    // Random hex: safe to inline as SQL literals and in configuration files.
    QByteArray pwPostgres, pwApp, pwMonitor, pwAdmin;
    int pgPort = 0;
    int bouncerPort = 0;
    int pgpoolPort = 0;
    int postgresExporterPort = 0;
    int prometheusPort = 0;
    SandboxUris uris;

    QString path(const char *name) const { return files.path(name); }
    /// New random passwords for every role.
    void choosePasswords();
    /// Writes pgpass for every role on every port taken so far (owned by us: we are the ones connecting).
    bool writePgpass(QString *error) const;
    /// The URIs for the ports taken so far.
    void buildUris();
    /// Forgets ports, passwords and URIs (after stop).
    void clear();
};

} // namespace poolscope::sandbox
