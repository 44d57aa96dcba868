#include "ownedthread.h"

#include "core/logging.h"

#include <QDeadlineTimer>
#include <utility>

namespace poolscope {

OwnedThread::OwnedThread(const QString &name) : m_thread(new QThread)
{
    m_thread->setObjectName(name);
}

OwnedThread::OwnedThread(const QString &name, std::function<void()> body)
    : m_thread(QThread::create([body = std::move(body)]() mutable {
          body();
          body = nullptr; // a handed-off thread lets go of what it held as soon as it is done
      }))
{
    m_thread->setObjectName(name);
}

OwnedThread::~OwnedThread()
{
    retire();
}

OwnedThread::OwnedThread(OwnedThread &&other) noexcept : m_thread(std::exchange(other.m_thread, nullptr)) {}

OwnedThread &OwnedThread::operator=(OwnedThread &&other) noexcept
{
    if (this != &other) {
        retire();
        m_thread = std::exchange(other.m_thread, nullptr);
    }
    return *this;
}

void OwnedThread::start()
{
    if (m_thread && !m_thread->isRunning())
        m_thread->start();
}

bool OwnedThread::retire(int boundMs)
{
    if (!m_thread)
        return true;
    QThread *thread = std::exchange(m_thread, nullptr);
    thread->quit();
    if (thread->wait(QDeadlineTimer(boundMs))) {
        delete thread;
        return true;
    }
    logging::get("threads")->warn("thread \"{}\" did not end within {} ms; it is left to end on its own",
                                  thread->objectName().toStdString(), boundMs);
    // deleteLater may be called twice (here and from finished): Qt allows it.
    QObject::connect(thread, &QThread::finished, thread, &QObject::deleteLater);
    if (thread->isFinished())
        thread->deleteLater();
    return false;
}

} // namespace poolscope
