#include "demosession.h"

#include "core/logging.h"
#include "sandbox/demoload.h"

namespace poolscope::sandbox {

class DemoSession::Host : public QObject
{
    Q_OBJECT
public:
    std::unique_ptr<Sandbox> sandbox;

    void start()
    {
        sandbox = std::make_unique<Sandbox>();
        QString error;
        if (!sandbox->start(&error)) {
            sandbox.reset();
            Q_EMIT failed(error);
            return;
        }
        Q_EMIT started(sandbox->uris());
    }
    void stop() { sandbox.reset(); }

Q_SIGNALS:
    void started(const poolscope::sandbox::SandboxUris &uris);
    void failed(const QString &error);
};

DemoSession::DemoSession(QObject *parent) : QObject(parent), m_thread(QStringLiteral("demo sandbox"))
{
    qRegisterMetaType<poolscope::sandbox::SandboxUris>();
    m_host = new Host;
    m_host->moveToThread(m_thread.thread());
    // Also the fallback that stops the sandbox on its own thread, should stop() not get to it.
    connect(m_thread.thread(), &QThread::finished, m_host, &QObject::deleteLater);
    connect(
        m_host, &Host::failed, this,
        [this](const QString &error) {
            logging::get("demo")->error("demo sandbox failed: {}", error.toStdString());
            Q_EMIT failed(error);
        },
        Qt::QueuedConnection);
    connect(
        m_host, &Host::started, this,
        [this](const SandboxUris &uris) {
            m_uris = uris;
            m_ready = true;
            DemoLoad::Options o;
            o.conninfos = {uris.pgbouncerApp, uris.app};
            o.workers = 6;
            m_load = std::make_unique<DemoLoad>(o);
            m_load->start();
            logging::get("demo")->info("demo sandbox ready; gentle load started");
            Q_EMIT ready(uris);
        },
        Qt::QueuedConnection);
}

DemoSession::~DemoSession()
{
    stop();
}

void DemoSession::start()
{
    if (!m_host || m_thread.isRunning())
        return; // running, or stopped for good
    m_thread.start();
    Q_EMIT progress(tr("Starting the demo sandbox (PostgreSQL + PgBouncer on loopback)…"));
    QMetaObject::invokeMethod(m_host, &Host::start, Qt::QueuedConnection);
}

void DemoSession::setLoadPaused(bool paused)
{
    if (!m_load || paused == !m_load->isRunning())
        return;
    if (paused)
        m_load->stop();
    else
        m_load->start();
    logging::get("demo")->info(paused ? "gentle load paused" : "gentle load resumed");
}

bool DemoSession::isLoadRunning() const
{
    return m_load && m_load->isRunning();
}

void DemoSession::stop()
{
    if (m_load) {
        m_load->stop();
        m_load.reset();
    }
    if (m_thread.isRunning()) {
        // The servers should be down before the process goes on to exit; bounded all the same.
        QMetaObject::invokeMethod(m_host, &Host::stop, Qt::QueuedConnection);
        m_thread.retire(kStopBoundMs);
        m_host = nullptr; // deleted with its thread
    } else if (m_host && !m_thread.thread()->isFinished()) {
        delete m_host; // never started
        m_host = nullptr;
    }
    m_ready = false;
}

} // namespace poolscope::sandbox

#include "demosession.moc"
