#pragma once

#include "sandbox/sandboxdaemon.h"

namespace poolscope::sandbox {

/// Debian's prometheus-postgres-exporter (postgres_exporter 0.11) on a free loopback port, connected to the
/// sandbox's PostgreSQL as the monitor role (pg_monitor; the password from a private file, never on the
/// command line or in the environment). Ready once its /metrics says pg_up 1.
class PostgresExporterDaemon : public SandboxDaemon
{
public:
    PostgresExporterDaemon(SandboxContext &context, QString binary)
        : SandboxDaemon(context), m_binary(std::move(binary))
    {}
    SandboxServer kind() const override { return SandboxServer::PostgresExporter; }
    bool start(QString *error) override;

    /// prometheus-postgres-exporter (Debian) or postgres_exporter in PATH or /usr/bin; empty when not found.
    static QString findBinary();

private:
    QString m_binary;
};

} // namespace poolscope::sandbox
