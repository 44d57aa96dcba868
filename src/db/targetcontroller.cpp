#include "targetcontroller.h"

#include "core/logging.h"
#include "db/pg.h"
#include "db/sampler.h"

#include <QDateTime>
#include <QRandomGenerator>
#include <algorithm>
#include <cmath>
#include <sys/resource.h>
#include <unistd.h>
#include <utility>

namespace poolscope::db {

namespace {

constexpr int kMinIntervalMs = 100;
constexpr int kMaxIntervalMs = 60000;
constexpr int kMinDeadlineMs = 3000;
constexpr int kDeadlineIntervals = 3;
// The worker enforces the same deadline itself and answers just after it when the cancel works; the GUI
// declares the poll stalled only when that answer is late too.
constexpr int kWatchdogMarginMs = 250;
constexpr int kMaxStatementTimeoutMs = 2000;
// Workers parse results (a busy server's pg_stat_activity is thousands of rows): under CPU overload they must
// yield to the GUI thread, so sampling slows down rather than the window. Linux applies nice per thread;
// QThread priorities do not map to anything under SCHED_OTHER.
constexpr int kWorkerNice = 5;

double jitter(double low, double high)
{
    return low + (high - low) * QRandomGenerator::global()->generateDouble();
}

} // namespace

TargetWorker::TargetWorker(const QString &conninfo, int queryTextLength, TargetKind kindOverride)
    : m_next(new QTimer(this))
{
    m_next->setSingleShot(true);
    connect(m_next, &QTimer::timeout, this, [this] { poll(m_nextTicket); });
    Sampler::Options o;
    o.queryTextLength = queryTextLength;
    o.kindOverride = kindOverride;
    m_sampler = std::make_unique<Sampler>(conninfo, o);
}

TargetWorker::~TargetWorker() = default;

void TargetWorker::cancel()
{
    if (m_sampler)
        m_sampler->requestCancel();
}

void TargetWorker::interrupt()
{
    if (m_sampler)
        m_sampler->interrupt();
}

int TargetWorker::connectAttempts() const
{
    return m_sampler ? m_sampler->connectAttempts() : 0;
}

void TargetWorker::requestConnections()
{
    if (m_sampler)
        m_sampler->requestConnections();
}

void TargetWorker::setPlan(const Plan &plan)
{
    const QMutexLocker lock(&m_planMutex);
    m_plan = plan;
}

TargetWorker::Plan TargetWorker::plan() const
{
    const QMutexLocker lock(&m_planMutex);
    return m_plan;
}

void TargetWorker::pollAt(quint64 ticket, int delayMs)
{
    if (ticket <= m_polledTicket)
        return;
    m_nextTicket = ticket;
    if (delayMs > 0)
        m_next->start(delayMs);
    else
        poll(ticket);
}

void TargetWorker::poll(quint64 ticket)
{
    if (!m_sampler || ticket <= m_polledTicket || m_sampler->isInterrupted())
        return;
    m_polledTicket = ticket;
    m_next->stop();
    if (!m_niced) {
        m_niced = true;
        ::setpriority(PRIO_PROCESS, id_t(::gettid()),
                      std::min(19, ::getpriority(PRIO_PROCESS, 0) + kWorkerNice));
    }
    const Plan p = plan();
    m_sampler->setDeadlineMs(p.deadlineMs);
    m_sampler->setCancelGraceMs(std::clamp(p.deadlineMs / 2, 1000, 10000));
    m_sampler->setStatementTimeoutMs(p.statementTimeoutMs);
    TargetSnapshot snapshot = m_sampler->sample();
    PollReport report;
    report.outcome = m_sampler->lastOutcome();
    report.connected = m_sampler->isConnected();
    report.durationMs = m_sampler->lastDurationMs();
    report.connectAttempts = m_sampler->connectAttempts();
    if (report.outcome == PollOutcome::Ok && !m_sampler->isInterrupted()) {
        // The steady state: the next poll an interval after this one's start, unless the controller says
        // otherwise (pollAt) meanwhile.
        report.nextPollInMs = std::max<qint64>(0, p.intervalMs - report.durationMs);
        m_nextTicket = ticket + 1;
        m_next->start(int(report.nextPollInMs));
    }
    Q_EMIT sampled(ticket, snapshot, report);
}

void TargetWorker::shutdown()
{
    m_next->stop();
    if (m_sampler)
        m_sampler->disconnect();
}

TargetController::TargetController(const QString &conninfo, QObject *parent, TargetKind kindOverride)
    : QObject(parent), m_thread(QStringLiteral("target ") + describe(parseConnInfo(conninfo))),
      m_target(describe(parseConnInfo(conninfo)))
{
    qRegisterMetaType<poolscope::TargetSnapshot>();
    qRegisterMetaType<poolscope::db::PollReport>();
    const int connectTimeoutS = parseConnInfo(conninfo).value("connect_timeout").toInt();
    m_connectTimeoutMs = (connectTimeoutS > 0 ? connectTimeoutS : Sampler::Options{}.connectTimeoutS) * 1000;
    m_worker = new TargetWorker(conninfo, 1024, kindOverride);
    m_worker->setPlan(plan());
    m_worker->moveToThread(m_thread.thread());
    // The worker goes with its thread, also when stop() hands a thread it gave up waiting for off.
    connect(m_thread.thread(), &QThread::finished, m_worker, &QObject::deleteLater);
    connect(m_worker, &TargetWorker::sampled, this, &TargetController::onSampled, Qt::QueuedConnection);
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &TargetController::pollNow);
    m_stallTimer.setSingleShot(true);
    m_stallTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_stallTimer, &QTimer::timeout, this, &TargetController::onStallTimeout);
}

TargetController::~TargetController()
{
    stop();
}

void TargetController::interrupt()
{
    m_timer.stop();
    m_stallTimer.stop();
    if (m_worker) {
        m_worker->cancel();    // let the server stop working for us
        m_worker->interrupt(); // and the worker stop waiting for it
    }
}

void TargetController::stop(int boundMs)
{
    interrupt();
    if (!m_worker)
        return;
    if (m_thread.isRunning()) {
        QMetaObject::invokeMethod(m_worker, &TargetWorker::shutdown, Qt::QueuedConnection);
        m_thread.retire(boundMs);
    } else {
        delete m_worker;
    }
    m_worker = nullptr;
}

void TargetController::start()
{
    if (!m_worker)
        return; // stopped
    if (!m_thread.isRunning())
        m_thread.start();
    pollNow();
}

void TargetController::setIntervalMs(int ms)
{
    m_intervalMs = std::clamp(ms, kMinIntervalMs, kMaxIntervalMs);
    if (!m_worker)
        return;
    m_worker->setPlan(plan());
    // A shorter interval: the poll the worker scheduled with the old one comes no later than the new one.
    if (m_inFlight && !m_stalledPoll && -pastDueMs() > m_intervalMs)
        sendPoll(m_intervalMs);
}

void TargetController::setDeadlineMs(int ms)
{
    m_deadlineMs = ms <= 0 ? 0 : std::max(ms, kMinIntervalMs);
    if (m_worker)
        m_worker->setPlan(plan());
}

TargetWorker::Plan TargetController::plan() const
{
    const int deadline = deadlineMs();
    // Below the deadline, so a merely slow server cancels the query itself and the connection stays.
    return {m_intervalMs, deadline, std::min(kMaxStatementTimeoutMs, std::max(100, deadline * 2 / 3))};
}

int TargetController::deadlineMs() const
{
    if (m_deadlineMs > 0)
        return m_deadlineMs;
    return std::max(kMinDeadlineMs, kDeadlineIntervals * m_intervalMs);
}

void TargetController::setBackoffCapMs(int ms)
{
    m_backoffCapMs = std::max(ms, 100);
}

void TargetController::setInitialBackoffMs(int ms)
{
    m_initialBackoffMs = std::max(ms, 10);
}

qint64 TargetController::nextRetryMs() const
{
    if (m_nextRetryAtMs <= 0)
        return -1;
    return std::max<qint64>(0, m_nextRetryAtMs - QDateTime::currentMSecsSinceEpoch());
}

int TargetController::connectAttempts() const
{
    return m_worker ? m_worker->connectAttempts() : 0;
}

void TargetController::retryNow()
{
    if (!m_worker)
        return; // stopped
    if (m_inFlight) {
        if (m_stalledPoll)
            m_worker->cancel();
        else if (pastDueMs() < 0)
            sendPoll(0); // the worker's own next poll, now
        return;          // its reply schedules the next poll
    }
    m_timer.stop();
    if (!m_thread.isRunning())
        m_thread.start();
    pollNow();
}

void TargetController::refreshConnections()
{
    if (!m_worker)
        return;
    m_worker->requestConnections();
    if (m_inFlight) {
        if (!m_stalledPoll && pastDueMs() < 0) {
            sendPoll(0); // the worker's own next poll has not started: now, and it takes them
            return;
        }
        // The poll in flight may already be past its SHOW CLIENTS decision; the flag stays set for the
        // next one, which we send as soon as this one answers.
        m_pollAgain = true;
        return;
    }
    if (m_state == TargetState::Live || m_state == TargetState::Stalled) {
        m_timer.stop();
        pollNow();
    }
}

int TargetController::watchdogMs() const
{
    return deadlineMs() + kWatchdogMarginMs + (m_connected ? 0 : m_connectTimeoutMs);
}

void TargetController::pollNow()
{
    if (m_inFlight || !m_worker)
        return;
    m_inFlight = true;
    m_stalledPoll = false;
    m_nextRetryAtMs = 0;
    ++m_ticket;
    sendPoll(0);
}

void TargetController::sendPoll(int delayMs)
{
    m_pollStarted.start();
    m_pollDueInMs = delayMs;
    QMetaObject::invokeMethod(
        m_worker, [w = m_worker, ticket = m_ticket, delayMs] { w->pollAt(ticket, delayMs); },
        Qt::QueuedConnection);
    m_stallTimer.start(delayMs + watchdogMs());
}

void TargetController::onStallTimeout()
{
    if (!m_inFlight || !m_worker)
        return;
    const qint64 waited = std::max<qint64>(0, pastDueMs());
    if (!m_stalledPoll)
        logging::get("sampler")->warn("{}: no reply for {} ms, marked stalled", m_target.toStdString(),
                                      waited);
    m_stalledPoll = true;
    m_worker->cancel();
    TargetSnapshot s;
    s.target = m_target;
    s.kind = m_kind;
    s.ok = false;
    s.sampledAtMs = QDateTime::currentMSecsSinceEpoch();
    s.error =
        DbError{ErrorKind::Query, QStringLiteral("57014"),
                QStringLiteral("no reply for %1 s; query cancelled").arg(qRound(double(waited) / 1000.0))};
    setError(s.error);
    setState(TargetState::Stalled);
    Q_EMIT stalled(waited);
    Q_EMIT snapshotReady(s);
    m_stallTimer.start(std::max(m_intervalMs, 1000));
}

int TargetController::backoffMs(int failedAttempts) const
{
    const double base = double(m_initialBackoffMs) * std::pow(2.0, std::min(failedAttempts, 30));
    return int(std::min(double(m_backoffCapMs), std::min(double(m_backoffCapMs), base) * jitter(0.8, 1.2)));
}

void TargetController::onSampled(quint64 ticket, const TargetSnapshot &snapshot, const PollReport &report)
{
    if (ticket != m_ticket || !m_inFlight)
        return; // stale reply
    m_inFlight = false;
    // The stall timer is left running (onStallTimeout ignores a poll no longer in flight): the next pollNow()
    // restarts it, one timer call per sample instead of two.
    const bool again = std::exchange(m_pollAgain, false);
    const bool late = m_stalledPoll;
    m_stalledPoll = false;
    m_lastDurationMs = report.durationMs;
    m_connected = report.connected;
    if (!snapshot.target.isEmpty())
        m_target = snapshot.target;
    if (snapshot.kind != TargetKind::Unknown)
        m_kind = snapshot.kind;

    const qint64 spent = std::max<qint64>(0, pastDueMs());
    qint64 delay = std::max<qint64>(0, m_intervalMs - spent);
    TargetState next = m_state;
    switch (report.outcome) {
    case PollOutcome::Ok:
        m_everConnected = true;
        m_failedAttempts = 0;
        setError({});
        next = TargetState::Live;
        if (late || again)
            delay = 0; // this sample is stale, or connection lists were asked for meanwhile
        else if (report.nextPollInMs >= 0)
            delay = report.nextPollInMs;
        break;
    case PollOutcome::QueryFailed:
        // The server answered: the connection is fine, our queries are not (privileges, a broken pooler).
        m_everConnected = true;
        m_failedAttempts = 0;
        setError(snapshot.error);
        next = TargetState::Failed;
        break;
    case PollOutcome::Cancelled:
        m_everConnected = true;
        m_failedAttempts = 0;
        setError(snapshot.error);
        next = TargetState::Stalled;
        break;
    case PollOutcome::ConnectionLost:
    case PollOutcome::Abandoned:
        m_everConnected = true;
        m_failedAttempts = 0;
        setError(snapshot.error);
        next = TargetState::Reconnecting;
        delay = backoffMs(0);
        break;
    case PollOutcome::ConnectFailed:
        ++m_failedAttempts;
        setError(snapshot.error);
        switch (snapshot.error.kind) {
        case ErrorKind::BadConnInfo:
            delay = -1; // nothing will change until the user edits the target
            next = TargetState::Failed;
            break;
        case ErrorKind::Auth:
        case ErrorKind::Unsupported:
            delay = qint64(m_backoffCapMs * jitter(0.85, 1.0));
            next = TargetState::Failed;
            break;
        default:
            delay = backoffMs(m_failedAttempts);
            next = m_everConnected ? TargetState::Reconnecting : TargetState::Failed;
            break;
        }
        break;
    case PollOutcome::Interrupted:
        return;
    }

    m_nextRetryAtMs = delay >= 0 ? QDateTime::currentMSecsSinceEpoch() + delay : 0;
    if (next != m_state && next != TargetState::Live)
        logging::get("sampler")->info("{}: {} ({}){}", m_target.toStdString(),
                                      targetStateName(next).toStdString(), m_lastError.toStdString(),
                                      delay >= 0 ? fmt::format(", next attempt in {} ms", delay)
                                                 : std::string());
    // Before anything is emitted: a receiver may ask for a poll (refreshConnections) or stop.
    const bool workerPolls = report.outcome == PollOutcome::Ok && !late && !again && report.nextPollInMs >= 0;
    if (workerPolls) {
        // The worker has scheduled the next ticket itself: wait for it as for a poll sent now.
        m_inFlight = true;
        ++m_ticket;
        m_pollStarted.start();
        m_pollDueInMs = delay;
        m_stallTimer.start(int(delay) + watchdogMs());
    }
    setState(next);
    if (!late)
        Q_EMIT snapshotReady(snapshot);
    if (delay >= 0 && !workerPolls) {
        if (report.outcome == PollOutcome::ConnectFailed || report.outcome == PollOutcome::ConnectionLost ||
            report.outcome == PollOutcome::Abandoned)
            Q_EMIT retryScheduled(m_failedAttempts, delay);
        m_timer.start(int(delay));
    }
}

void TargetController::setError(const DbError &error)
{
    m_lastError = error.message;
    m_lastHint = error.hint;
    m_lastErrorKind = error.kind;
}

void TargetController::setState(TargetState state)
{
    if (state == m_state)
        return;
    m_state = state;
    Q_EMIT stateChanged(state);
}

} // namespace poolscope::db
