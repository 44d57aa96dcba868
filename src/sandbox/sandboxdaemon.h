#pragma once

#include "sandbox/sandboxoptions.h"
#include "sandbox/serverprocess.h"

#include <QString>
#include <memory>

namespace poolscope::sandbox {

struct SandboxContext;

/// One server of the sandbox. start() writes its configuration into the sandbox directory, starts it on a
/// free loopback port (recorded in the context, with the URIs that follow) and waits until it answers; the
/// Sandbox starts its daemons in order and stops them in reverse. A new server (Prometheus, an exporter) is a
/// new daemon: a file of its own with a subclass, a SandboxServer value, and a line in Sandbox::start().
class SandboxDaemon
{
public:
    explicit SandboxDaemon(SandboxContext &context) : m_context(context) {}
    virtual ~SandboxDaemon() = default; // stop()
    SandboxDaemon(const SandboxDaemon &) = delete;
    SandboxDaemon &operator=(const SandboxDaemon &) = delete;

    virtual SandboxServer kind() const = 0;
    /// Blocking. False with `error`; what started stays for stop().
    virtual bool start(QString *error) = 0;
    void stop()
    {
        if (m_process)
            m_process->stop();
        m_process.reset();
    }
    /// Null before start() or after stop().
    ServerProcess *process() const { return m_process.get(); }

protected:
    SandboxContext &m_context;
    std::unique_ptr<ServerProcess> m_process;
};

} // namespace poolscope::sandbox
