#pragma once

#include "db/sandbox.h"

#include <QObject>
#include <QThread>
#include <memory>

namespace poolscope::db {

class DemoLoad;

/// `poolscope --demo`: starts the sandbox on a thread of its own (the servers' PDEATHSIG is tied to the
/// forking thread, so that thread lives as long as the sandbox), then a gentle background load.
/// Destroying it stops the load, then the servers, and removes the files.
class DemoSession : public QObject
{
    Q_OBJECT
public:
    explicit DemoSession(QObject *parent = nullptr);
    ~DemoSession() override;

    void start();
    void stop();
    bool isReady() const { return m_ready; }
    SandboxUris uris() const { return m_uris; }

Q_SIGNALS:
    void progress(const QString &message);
    void ready(const poolscope::db::SandboxUris &uris);
    void failed(const QString &error);

private:
    class Host;
    QThread m_thread;
    Host *m_host = nullptr; // lives on m_thread
    std::unique_ptr<DemoLoad> m_load;
    SandboxUris m_uris;
    bool m_ready = false;
};

} // namespace poolscope::db

Q_DECLARE_METATYPE(poolscope::db::SandboxUris)
