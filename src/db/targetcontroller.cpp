#include "targetcontroller.h"

#include "db/pg.h"
#include "db/sampler.h"

#include <algorithm>

namespace poolscope::db {

QString targetStateName(TargetState state)
{
    switch (state) {
    case TargetState::Connecting:
        return QStringLiteral("connecting");
    case TargetState::Live:
        return QStringLiteral("live");
    case TargetState::Failed:
        break;
    }
    return QStringLiteral("failed");
}

TargetWorker::TargetWorker(const QString &conninfo, int queryTextLength)
{
    Sampler::Options o;
    o.queryTextLength = queryTextLength;
    m_sampler = std::make_unique<Sampler>(conninfo, o);
}

TargetWorker::~TargetWorker() = default;

void TargetWorker::cancel()
{
    if (m_sampler)
        m_sampler->requestCancel();
}

void TargetWorker::poll(quint64 ticket)
{
    if (!m_sampler)
        return;
    Q_EMIT sampled(ticket, m_sampler->sample());
}

void TargetWorker::shutdown()
{
    if (m_sampler)
        m_sampler->disconnect();
}

TargetController::TargetController(const QString &conninfo, QObject *parent)
    : QObject(parent), m_target(describe(parseConnInfo(conninfo)))
{
    qRegisterMetaType<poolscope::TargetSnapshot>();
    m_worker = new TargetWorker(conninfo, 1024);
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(m_worker, &TargetWorker::sampled, this, &TargetController::onSampled, Qt::QueuedConnection);
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &TargetController::pollNow);
    m_thread.setObjectName(QStringLiteral("target ") + m_target);
}

TargetController::~TargetController()
{
    m_timer.stop();
    if (m_worker)
        m_worker->cancel();
    if (m_thread.isRunning()) {
        QMetaObject::invokeMethod(m_worker, &TargetWorker::shutdown, Qt::QueuedConnection);
        m_thread.quit();
        m_thread.wait();
    } else {
        delete m_worker;
    }
}

void TargetController::start()
{
    if (!m_thread.isRunning())
        m_thread.start();
    pollNow();
}

void TargetController::setIntervalMs(int ms)
{
    m_intervalMs = std::clamp(ms, 100, 60000);
}

void TargetController::pollNow()
{
    if (m_inFlight)
        return;
    m_inFlight = true;
    m_pollStarted.start();
    const quint64 ticket = ++m_ticket;
    QMetaObject::invokeMethod(
        m_worker, [w = m_worker, ticket] { w->poll(ticket); }, Qt::QueuedConnection);
}

void TargetController::onSampled(quint64 ticket, const TargetSnapshot &snapshot)
{
    if (ticket != m_ticket)
        return; // stale reply
    m_inFlight = false;
    if (!snapshot.target.isEmpty())
        m_target = snapshot.target;
    if (snapshot.kind != TargetKind::Unknown)
        m_kind = snapshot.kind;
    m_lastError = snapshot.ok ? QString() : snapshot.error.message;
    setState(snapshot.ok ? TargetState::Live : TargetState::Failed);
    Q_EMIT snapshotReady(snapshot);
    const qint64 spent = m_pollStarted.elapsed();
    m_timer.start(int(std::max<qint64>(0, m_intervalMs - spent)));
}

void TargetController::setState(TargetState state)
{
    if (state == m_state)
        return;
    m_state = state;
    Q_EMIT stateChanged(state);
}

} // namespace poolscope::db
