#include "asyncconnection.h"

#include "core/taskpool.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace poolscope::db {

namespace {

// Option values libpq rejects before touching the network: the user has to fix the string, so retrying
// would only repeat the message.
bool isBadValueMessage(const QString &message)
{
    return message.startsWith(QLatin1String("invalid ")) ||
           message.contains(QLatin1String("could not match"));
}

bool isErrorStatus(ExecStatusType status)
{
    switch (status) {
    case PGRES_TUPLES_OK:
    case PGRES_COMMAND_OK:
    case PGRES_EMPTY_QUERY:
    case PGRES_SINGLE_TUPLE:
        return false;
    default:
        return true;
    }
}

bool isCopy(ExecStatusType status)
{
    return status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH;
}

} // namespace

bool CancelRequest::send() const
{
    if (!m_handle)
        return false;
    char err[256];
    return PQcancel(m_handle.get(), err, int(sizeof err)) == 1;
}

Interrupt::Interrupt() : m_fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

Interrupt::~Interrupt()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

void Interrupt::trigger()
{
    m_triggered = true;
    if (m_fd >= 0) {
        const quint64 one = 1;
        [[maybe_unused]] auto r = ::write(m_fd, &one, sizeof one);
    }
}

AsyncConnection::~AsyncConnection()
{
    drop();
}

void AsyncConnection::noticeProcessor(void *self, const char *message)
{
    // Never to stderr (libpq's default): a load run would print one "there is no transaction in progress"
    // per request.
    static_cast<AsyncConnection *>(self)->m_lastNotice = cleanMessage(message);
}

bool AsyncConnection::isConnected() const
{
    return m_conn && PQstatus(m_conn.get()) == CONNECTION_OK;
}

int AsyncConnection::socket() const
{
    return m_conn ? PQsocket(m_conn.get()) : -1;
}

QString AsyncConnection::errorMessage() const
{
    return m_conn ? cleanMessage(PQerrorMessage(m_conn.get())) : QString();
}

void AsyncConnection::drop()
{
    {
        std::lock_guard lock(m_cancelMutex);
        m_cancel.reset();
    }
    m_queryActive = false;
    m_last.reset();
    m_earlier.clear();
    m_firstError.reset();
    m_flushing = false;
    m_copyRefused = false;
    m_conn.reset();
}

// ---- the state machine

bool AsyncConnection::startConnect(const ConnSpec::Arrays &params, DbError *error)
{
    drop();
    m_lastNotice.clear();
    PgConn conn(PQconnectStartParams(params.keys.data(), params.values.data(), 0));
    if (!conn) {
        *error = DbError{ErrorKind::Connect, {}, QStringLiteral("out of memory")};
        return false;
    }
    if (PQstatus(conn.get()) == CONNECTION_BAD) {
        *error = errorFromConnection(conn.get());
        if (error->kind == ErrorKind::Connect && isBadValueMessage(error->message))
            error->kind = ErrorKind::BadConnInfo;
        return false;
    }
    PQsetNoticeProcessor(conn.get(), noticeProcessor, this);
    m_conn = std::move(conn);
    return true;
}

AsyncConnection::Io AsyncConnection::continueConnect()
{
    if (!m_conn)
        return Io::Failed;
    switch (PQconnectPoll(m_conn.get())) {
    case PGRES_POLLING_READING:
        return Io::Read;
    case PGRES_POLLING_WRITING:
        return Io::Write;
    case PGRES_POLLING_OK: {
        PQsetnonblocking(m_conn.get(), 1);
        std::lock_guard lock(m_cancelMutex);
        m_cancel.reset(PQgetCancel(m_conn.get()), PQfreeCancel);
        return Io::Done;
    }
    case PGRES_POLLING_FAILED:
    case PGRES_POLLING_ACTIVE:
        break;
    }
    return Io::Failed;
}

AsyncConnection::Io AsyncConnection::sendQuery(const QByteArray &sql, const char *param, Results results)
{
    m_last.reset();
    m_earlier.clear();
    m_firstError.reset();
    m_results = results;
    m_flushing = false;
    PGconn *c = m_conn.get();
    if (!c)
        return Io::Failed;
    // In this order: a cancel() between the two finds no query, rather than an old "already sent".
    m_cancelSent = false;
    m_queryActive = true;
    const int sent = param ? PQsendQueryParams(c, sql.constData(), 1, nullptr, &param, nullptr, nullptr, 0)
                           : PQsendQuery(c, sql.constData());
    if (!sent) {
        m_queryActive = false;
        return Io::Failed;
    }
    const int f = PQflush(c);
    if (f < 0) {
        m_queryActive = false;
        return Io::Failed;
    }
    m_flushing = f == 1;
    return m_flushing ? Io::ReadWrite : Io::Read;
}

void AsyncConnection::finishQuery()
{
    m_queryActive = false;
    m_flushing = false;
}

AsyncConnection::Io AsyncConnection::continueQuery(bool readable, bool writable)
{
    PGconn *c = m_conn.get();
    if (!c) {
        finishQuery();
        return Io::Failed;
    }
    if (m_flushing && writable) {
        const int f = PQflush(c);
        if (f < 0) {
            finishQuery();
            return Io::Failed;
        }
        m_flushing = f == 1;
    }
    // While flushing, what arrives is read too: the server may answer (an error) before taking it all.
    if (readable && !PQconsumeInput(c)) {
        finishQuery();
        return Io::Failed;
    }
    if (m_flushing)
        return Io::ReadWrite;
    while (!PQisBusy(c)) {
        PgResult r(PQgetResult(c));
        if (!r) {
            finishQuery();
            return Io::Done;
        }
        const ExecStatusType status = PQresultStatus(r.get());
        if (isCopy(status)) {
            // PQgetResult would return the COPY state forever: the connection cannot go on.
            m_copyRefused = true;
            finishQuery();
            return Io::Done;
        }
        if (isErrorStatus(status)) {
            if (!m_firstError)
                m_firstError = std::move(r);
        } else if (m_results == Results::Keep) {
            // A multi-statement string answers with its last statement; the earlier ones are kept too.
            if (m_last)
                m_earlier.push_back(std::move(m_last));
            m_last = std::move(r);
        }
    }
    return Io::Read;
}

bool AsyncConnection::consumeIdle()
{
    PGconn *c = m_conn.get();
    if (!c || !PQconsumeInput(c) || PQstatus(c) == CONNECTION_BAD)
        return false;
    while (!PQisBusy(c)) {
        PgResult r(PQgetResult(c));
        if (!r)
            break;
    }
    return true;
}

DbError AsyncConnection::queryError() const
{
    if (m_copyRefused && !m_firstError)
        return DbError{ErrorKind::Query, {}, QStringLiteral("COPY is not supported")};
    return errorFromResult(m_firstError.get(), m_conn.get());
}

// ---- blocking, bounded

AsyncConnection::Wait AsyncConnection::waitFor(int fd, short events, const QDeadlineTimer &deadline,
                                               short *revents) const
{
    const int wakeFd = m_interrupt ? m_interrupt->fd() : -1;
    while (true) {
        if (interrupted())
            return Wait::Interrupted;
        const qint64 left = deadline.remainingTime();
        const int timeout = left < 0 ? -1 : int(std::min<qint64>(left, INT_MAX));
        pollfd fds[2] = {{fd, events, 0}, {wakeFd, POLLIN, 0}};
        const int r = ::poll(fds, 2, timeout);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return Wait::Error;
        }
        if (interrupted() || fds[1].revents)
            return Wait::Interrupted;
        if (r == 0)
            return Wait::Timeout;
        if (revents)
            *revents = fds[0].revents;
        // POLLERR/POLLHUP count as ready: libpq reads the error and reports it.
        return Wait::Ready;
    }
}

bool AsyncConnection::connect(const ConnSpec &specIn, const ConnectOptions &options, DbError *error)
{
    drop();
    if (!specIn.isValid()) {
        *error = DbError{ErrorKind::BadConnInfo, {}, specIn.parseError};
        return false;
    }
    const ConnSpec spec = withMonitoringDefaults(specIn, options);
    int timeoutS = spec.value("connect_timeout").toInt();
    if (timeoutS <= 0)
        timeoutS = std::max(1, options.connectTimeoutS);
    if (!startConnect(spec.arrays(), error))
        return false;
    const QDeadlineTimer deadline(qint64(timeoutS) * 1000);
    Io io = Io::Write; // as if PQconnectPoll had said PGRES_POLLING_WRITING
    while (io != Io::Done) {
        // Re-read every time: libpq may switch sockets (next host, SSL/GSS fallback).
        const int fd = io == Io::Failed ? -1 : socket();
        if (fd < 0) {
            *error = errorFromConnection(m_conn.get());
            drop();
            return false;
        }
        const Wait w = waitFor(fd, io == Io::Read ? POLLIN : POLLOUT, deadline);
        if (w != Wait::Ready) {
            *error = DbError{
                ErrorKind::Connect,
                {},
                w == Wait::Timeout
                    ? QStringLiteral("timeout expired: no answer within %1 s (connect_timeout)").arg(timeoutS)
                : w == Wait::Interrupted ? QStringLiteral("interrupted")
                                         : QStringLiteral("poll() failed while connecting")};
            drop();
            return false;
        }
        io = continueConnect();
    }
    return true;
}

PgResult AsyncConnection::run(const QByteArray &sql, const char *param, QDeadlineTimer deadline,
                              int cancelGraceMs, DbError *error)
{
    m_run = RunEnd{};
    if (!isConnected()) {
        *error = DbError{ErrorKind::Connect, {}, QStringLiteral("not connected")};
        m_run.fatal = true;
        return nullptr;
    }
    auto failed = [&](DbError e) {
        *error = std::move(e);
        m_run.fatal = true;
        m_run.cancelSent = m_cancelSent;
        return nullptr;
    };
    Io io = sendQuery(sql, param);
    bool graceStarted = false;
    while (io == Io::Read || io == Io::ReadWrite) {
        short revents = 0;
        const Wait w = waitFor(socket(), io == Io::Read ? POLLIN : POLLIN | POLLOUT, deadline, &revents);
        if (w == Wait::Timeout && !graceStarted) {
            // No reply by the deadline: cancel, then give the server the grace period to answer.
            graceStarted = true;
            m_run.deadlinePassed = true;
            cancel();
            deadline.setRemainingTime(cancelGraceMs);
            continue;
        }
        if (w != Wait::Ready) {
            finishQuery();
            m_run.abandoned = w == Wait::Timeout;
            m_run.interrupted = w == Wait::Interrupted;
            if (w == Wait::Interrupted)
                return failed(DbError{ErrorKind::Query, {}, QStringLiteral("interrupted")});
            // Not answering the cancel either (or poll() failed): the query may still run; drop it all.
            drop();
            return failed(m_run.abandoned
                              ? DbError{ErrorKind::Connect, QStringLiteral("57014"),
                                        QStringLiteral("no reply, and none to the cancel within %1 ms: "
                                                       "connection dropped")
                                            .arg(cancelGraceMs)}
                              : DbError{ErrorKind::Connect, {}, QStringLiteral("poll() failed")});
        }
        io = continueQuery(revents & (POLLIN | POLLERR | POLLHUP), revents & POLLOUT);
    }
    m_run.cancelSent = m_cancelSent;
    if (io == Io::Failed)
        return failed(errorFromResult(m_firstError.get(), m_conn.get()));
    if (m_copyRefused) {
        const DbError e = queryError();
        drop();
        return failed(e);
    }
    PgResult last = takeResult();
    if (m_firstError || !last) {
        *error = queryError();
        // FATAL (e.g. 57P01 "terminating connection due to administrator command" on a restart): the server
        // closes the connection right after, even if libpq has not read the end of it yet.
        const QByteArray severity =
            m_firstError ? QByteArray(PQresultErrorField(m_firstError.get(), PG_DIAG_SEVERITY_NONLOCALIZED))
                         : QByteArray();
        const bool fatalSeverity = severity == "FATAL" || severity == "PANIC";
        m_run.closing = fatalSeverity || error->sqlState.startsWith(QLatin1String("08")) ||
                        error->sqlState.startsWith(QLatin1String("57P"));
        m_run.fatal = !m_firstError || fatalSeverity || !isConnected();
        m_firstError.reset();
        return nullptr;
    }
    return last;
}

bool AsyncConnection::settleCancel(int graceMs)
{
    const QDeadlineTimer settle(graceMs);
    while (m_cancelRunning->load() && !settle.hasExpired() && !interrupted())
        waitFor(-1, 0, QDeadlineTimer(10));
    return !m_cancelRunning->load();
}

// ---- cancel

bool AsyncConnection::cancel()
{
    if (!m_queryActive.load() || m_cancelSent.exchange(true))
        return false; // nothing running, or this query's cancel already went out
    std::shared_ptr<PGcancel> handle;
    {
        std::lock_guard lock(m_cancelMutex);
        handle = m_cancel;
    }
    if (!handle || m_cancelRunning->exchange(true))
        return false; // the previous cancel is still waiting for a server that does not answer
    // Fire and forget (TaskPool::post): PQcancel waits for the server to close the cancel connection, which a
    // stopped server never does. The task owns everything it touches.
    TaskPool::post([request = CancelRequest(handle), running = m_cancelRunning] {
        request.send();
        running->store(false);
    });
    return true;
}

CancelRequest AsyncConnection::cancelRequest() const
{
    std::lock_guard lock(m_cancelMutex);
    return CancelRequest(m_cancel);
}

} // namespace poolscope::db
