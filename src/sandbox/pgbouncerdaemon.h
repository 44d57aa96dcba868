#pragma once

#include "sandbox/sandboxdaemon.h"

namespace poolscope::sandbox {

/// PgBouncer 1.18 in front of the sandbox's PostgreSQL: database app (the options' pool mode and size),
/// app_session (session mode, sessionPoolSize) and a catch-all; scram-sha-256 against userlist.txt; the admin
/// user on the console and monitor as a stats user.
class PgBouncerDaemon : public SandboxDaemon
{
public:
    PgBouncerDaemon(SandboxContext &context, QString binary)
        : SandboxDaemon(context), m_binary(std::move(binary))
    {}
    SandboxServer kind() const override { return SandboxServer::PgBouncer; }
    bool start(QString *error) override;

    /// Next to PostgreSQL's binaries, in PATH, or in /usr/sbin and /usr/local/sbin. Empty when not found.
    static QString findBinary();

private:
    QByteArray ini(int port) const;

    QString m_binary;
};

} // namespace poolscope::sandbox
