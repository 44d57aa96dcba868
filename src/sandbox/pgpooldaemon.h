#pragma once

#include "sandbox/sandboxdaemon.h"

namespace poolscope::sandbox {

/// Pgpool-II 4.3 in raw mode in front of the sandbox's PostgreSQL: clients authenticate with scram-sha-256
/// against pool_passwd, and pgpool logs in to PostgreSQL with the same passwords. PCP is configured on a Unix
/// socket only, with no users: unusable, as nothing needs it.
class PgpoolDaemon : public SandboxDaemon
{
public:
    PgpoolDaemon(SandboxContext &context, QString binary)
        : SandboxDaemon(context), m_binary(std::move(binary))
    {}
    SandboxServer kind() const override { return SandboxServer::Pgpool; }
    bool start(QString *error) override;

    /// In PATH, /usr/sbin or /usr/local/sbin. Empty when not found.
    static QString findBinary();

private:
    QByteArray conf(int port, int pcpPort) const;

    QString m_binary;
};

} // namespace poolscope::sandbox
