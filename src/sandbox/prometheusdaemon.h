#pragma once

#include "sandbox/sandboxdaemon.h"

namespace poolscope::sandbox {

/// Debian's prometheus (2.42) on a free loopback port with its TSDB in the sandbox directory, scraping the
/// sandbox's postgres_exporter (job "postgres_exporter", when it runs) and the options'
/// prometheusScrapeTargets (job "poolscope") every prometheusScrapeIntervalMs. Ready once /-/ready answers.
class PrometheusDaemon : public SandboxDaemon
{
public:
    PrometheusDaemon(SandboxContext &context, QString binary)
        : SandboxDaemon(context), m_binary(std::move(binary))
    {}
    SandboxServer kind() const override { return SandboxServer::Prometheus; }
    bool start(QString *error) override;

    /// prometheus in PATH or /usr/bin; empty when not found.
    static QString findBinary();

private:
    QByteArray config() const;

    QString m_binary;
};

} // namespace poolscope::sandbox
