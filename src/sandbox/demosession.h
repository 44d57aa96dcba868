#pragma once

#include "core/ownedthread.h"
#include "sandbox/sandbox.h"

#include <QObject>
#include <memory>

namespace poolscope::sandbox {

class DemoLoad;

/// `poolscope --demo`: starts the sandbox on a thread of its own (an OwnedThread, README "Threads"; the
/// servers' PDEATHSIG is tied to the forking thread, so that thread lives as long as the sandbox), then a
/// gentle background load. Destroying it stops the load, then the servers, and removes the files, waiting at
/// most kStopBoundMs: past that the servers still end (PDEATHSIG when the process exits) and the sandbox's
/// watchdog removes the files.
class DemoSession : public QObject
{
    Q_OBJECT
public:
    explicit DemoSession(QObject *parent = nullptr);
    ~DemoSession() override;

    static constexpr int kStopBoundMs = 15000;

    void start();
    void stop();
    bool isReady() const { return m_ready; }
    /// The gentle background load off (true) or on again (false): the incident drills run on a quiet sandbox,
    /// so the charts and the pools show the incident alone. Pausing interrupts the load's workers and waits
    /// for them at most OwnedThread::kRetireMs (DemoLoad::stop()).
    void setLoadPaused(bool paused);
    bool isLoadRunning() const;
    SandboxUris uris() const { return m_uris; }

Q_SIGNALS:
    void progress(const QString &message);
    void ready(const poolscope::sandbox::SandboxUris &uris);
    void failed(const QString &error);

private:
    class Host;
    OwnedThread m_thread;
    Host *m_host = nullptr; // lives on m_thread
    std::unique_ptr<DemoLoad> m_load;
    SandboxUris m_uris;
    bool m_ready = false;
};

} // namespace poolscope::sandbox

Q_DECLARE_METATYPE(poolscope::sandbox::SandboxUris)
