#pragma once

#include "sandbox/sandboxdaemon.h"

namespace poolscope::sandbox {

/// PostgreSQL 15 in the sandbox: initdb into the data dir (scram for TCP, trust on the socket), the server on
/// 127.0.0.1 with durability off (a throwaway cluster), then the roles app (owner of database app) and
/// monitor (pg_monitor, pg_signal_backend).
class PostgresDaemon : public SandboxDaemon
{
public:
    PostgresDaemon(SandboxContext &context, QString initdb, QString postgres)
        : SandboxDaemon(context), m_initdb(std::move(initdb)), m_postgres(std::move(postgres))
    {}
    SandboxServer kind() const override { return SandboxServer::Postgres; }
    bool start(QString *error) override;

    /// A server binary: `pg_config --bindir`, then /usr/lib/postgresql/<newest>/bin. Empty when not found.
    static QString findBinary(const QString &name);

private:
    bool runInitdb(QString *error);
    bool createRoles(QString *error);

    QString m_initdb;
    QString m_postgres;
};

} // namespace poolscope::sandbox
