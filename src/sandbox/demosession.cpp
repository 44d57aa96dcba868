#include "demosession.h"

#include "core/logging.h"
#include "db/demoload.h"

namespace poolscope::db {

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
    void started(const poolscope::db::SandboxUris &uris);
    void failed(const QString &error);
};

DemoSession::DemoSession(QObject *parent) : QObject(parent)
{
    qRegisterMetaType<poolscope::db::SandboxUris>();
    m_host = new Host;
    m_host->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_host, &QObject::deleteLater);
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
    m_thread.setObjectName(QStringLiteral("demo sandbox"));
}

DemoSession::~DemoSession()
{
    stop();
}

void DemoSession::start()
{
    if (m_thread.isRunning())
        return;
    m_thread.start();
    Q_EMIT progress(tr("Starting the demo sandbox (PostgreSQL + PgBouncer on loopback)…"));
    QMetaObject::invokeMethod(m_host, &Host::start, Qt::QueuedConnection);
}

void DemoSession::stop()
{
    if (m_load) {
        m_load->stop();
        m_load.reset();
    }
    if (m_thread.isRunning()) {
        // Blocking: the servers must be down before the process goes on to exit.
        QMetaObject::invokeMethod(m_host, &Host::stop, Qt::BlockingQueuedConnection);
        m_thread.quit();
        m_thread.wait();
    }
    m_ready = false;
}

} // namespace poolscope::db

#include "demosession.moc"
