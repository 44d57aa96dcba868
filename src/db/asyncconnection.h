#pragma once

#include "core/dberror.h"
#include "db/conninfo.h"
#include "db/pg.h"

#include <QByteArray>
#include <QDeadlineTimer>
#include <QString>
#include <atomic>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace poolscope::db {

/// A copy of one connection's cancel key. PQcancel on it asks the server to cancel whatever that connection
/// runs now. Copyable, usable from any thread and after the connection is gone (it shares ownership of its
/// PGcancel). send() blocks: it opens a new connection and waits for the server to close it, which a stopped
/// server never does, so it runs as a task nobody waits for (TaskPool::post).
class CancelRequest
{
public:
    CancelRequest() = default;
    explicit operator bool() const { return bool(m_handle); }
    /// Blocking: true when the server took the request (PostgreSQL ignores one that arrives between queries).
    bool send() const;

private:
    friend class AsyncConnection;
    explicit CancelRequest(std::shared_ptr<PGcancel> handle) : m_handle(std::move(handle)) {}
    std::shared_ptr<PGcancel> m_handle;
};

/// Makes the blocking calls of AsyncConnection return at once: a sticky flag plus an eventfd their poll()
/// watches. trigger() may be called from any thread and never blocks (shutdown of a worker).
class Interrupt
{
public:
    Interrupt();
    ~Interrupt();
    Interrupt(const Interrupt &) = delete;
    Interrupt &operator=(const Interrupt &) = delete;

    void trigger();
    bool isTriggered() const { return m_triggered.load(); }
    int fd() const { return m_fd; }

private:
    std::atomic<bool> m_triggered{false};
    int m_fd = -1;
};

/// One libpq connection that never blocks its caller without a bound: connect non-blocking, run a query
/// with a deadline, cancel without waiting, drop. The sampler, pooler actions and the load engine all talk
/// to servers through it.
///
/// Two ways to drive it, over one state machine:
///  - an event loop (the load engine's epoll) calls startConnect()/continueConnect() and
///    sendQuery()/continueQuery() whenever socket() is ready for what the previous step asked;
///  - a worker thread calls connect() and run(), which wait with poll() on the socket (and on an Interrupt)
///    under a deadline. connect() enforces connect_timeout for the whole attempt (PQconnectPoll ignores
///    it). run() cancels the query at its deadline and, when the server does not answer the cancel either
///    within the grace period (a SIGSTOPped server answers nothing), drops the connection.
///
/// Cancelling: PQcancel is blocking, so cancel() sends it as a fire-and-forget task (TaskPool::post) that
/// owns its copy of the cancel key; at most one is outstanding per connection. cancelRequest() hands the key
/// out for callers that send many at once in one task.
///
/// Notices (and the FATAL a server sends an idle connection before closing it) are kept as lastNotice(),
/// never printed to stderr as libpq does by default.
///
/// Thread contract: everything but cancel() runs on one thread at a time (the owner's); cancel() may be
/// called from any thread and never blocks.
class AsyncConnection
{
public:
    /// What the connection waits for before its next step, or how the step ended.
    enum class Io
    {
        Read,      // wait until socket() is readable
        Write,     // wait until socket() is writable
        ReadWrite, // the query does not fit the socket yet: either
        Done,      // connected; or every result of the query arrived
        Failed,    // the connection failed: errorMessage() says why
    };
    /// Whether continueQuery() keeps the last successful result for takeResult().
    enum class Results
    {
        Keep,
        Discard, // the caller only wants to know whether the query worked (the load engine)
    };
    /// How the last run() ended, besides its result or error.
    struct RunEnd
    {
        bool deadlinePassed = false; // no reply by the deadline: run() cancelled the query
        bool cancelSent = false;     // a cancel went out while it ran (at the deadline, or cancel())
        bool abandoned = false;      // no answer to the cancel within the grace period: connection dropped
        bool interrupted = false;    // the Interrupt fired
        bool closing = false;        // FATAL/PANIC or an 08/57P error: the server is closing the connection
        bool fatal = false; // no usable answer: FATAL/PANIC, no result at all, or the connection broke
    };

    /// `interrupt` (may be null, must outlive the connection) makes connect(), run() and settleCancel()
    /// return at once when it fires.
    explicit AsyncConnection(const Interrupt *interrupt = nullptr) : m_interrupt(interrupt) {}
    ~AsyncConnection();
    AsyncConnection(const AsyncConnection &) = delete;
    AsyncConnection &operator=(const AsyncConnection &) = delete;

    // ---- the state machine

    /// PQconnectStartParams: no waiting on the network (host names are resolved here, synchronously: use
    /// hostaddr= to avoid a slow resolver). Then wait for Write and call continueConnect(). False, with
    /// `error`, when libpq refused at once (a bad option value is BadConnInfo).
    bool startConnect(const ConnSpec::Arrays &params, DbError *error);
    /// One step of PQconnectPoll: Read or Write to wait again, Done when connected (non-blocking from then
    /// on, the cancel key taken), Failed.
    Io continueConnect();
    /// Sends one query: the simple protocol (the only one a pooler console accepts), or the extended one with
    /// `param` bound as $1. Read, or ReadWrite while the query does not fit the socket; Failed when it could
    /// not be sent.
    Io sendQuery(const QByteArray &sql, const char *param = nullptr, Results results = Results::Keep);
    /// After socket() became ready: flushes the rest of the query, reads, and drains every result (so the
    /// connection is ready for the next query even after an error). Read/ReadWrite to wait again; Done when
    /// the last result arrived (queryFailed(), queryError(), takeResult()); Failed when the connection broke.
    Io continueQuery(bool readable, bool writable);
    /// An idle connection became readable: reads what arrived (a notice, a server closing it). False when the
    /// connection is gone.
    bool consumeIdle();

    /// The query that ended got an error result, or started a COPY (refused: see isUsable()).
    bool queryFailed() const { return m_firstError || m_copyRefused; }
    /// The first error of the query that ended, classified (errorFromResult).
    DbError queryError() const;
    /// The last successful result of the query that ended (Results::Keep); null after an error.
    PgResult takeResult() { return std::move(m_last); }
    /// A multi-statement string's results before the last (Results::Keep), in order.
    std::vector<PgResult> takeEarlierResults() { return std::exchange(m_earlier, {}); }

    // ---- blocking, bounded (a worker thread)

    /// Connects with withMonitoringDefaults(spec, options) within the spec's connect_timeout (else
    /// options.connectTimeoutS), for the whole attempt. False with `error` (BadConnInfo, Connect, Auth).
    bool connect(const ConnSpec &spec, const ConnectOptions &options, DbError *error);
    /// Runs one query (see sendQuery for `param`). Past `deadline` it is cancelled; with no answer within
    /// `cancelGraceMs` after that, the connection is dropped. The last successful result, or null with
    /// `error`; lastRun() says how it ended. A cancel may still be on its way when it returns: see
    /// settleCancel().
    PgResult run(const QByteArray &sql, const char *param, QDeadlineTimer deadline, int cancelGraceMs,
                 DbError *error);
    const RunEnd &lastRun() const { return m_run; }
    /// After a query during which a cancel went out: waits (at most `graceMs`, interruptible) until the
    /// cancel has been delivered, so it cannot hit the next query (a cancel that arrives between queries is
    /// ignored). False when it is still on its way: do not reuse the connection.
    bool settleCancel(int graceMs);

    // ---- cancel, drop

    /// Any thread, never blocks: asks the server to cancel the query in flight. Nothing is sent when no
    /// query runs, when this query's cancel already went out, or while an earlier cancel still waits for a
    /// server that does not answer. True when a cancel went out now.
    bool cancel();
    /// The connection's cancel key (empty before it connected), for sending from a thread of one's own.
    CancelRequest cancelRequest() const;
    /// Closes the connection. PQfinish does not block on a non-blocking connection: it queues the Terminate
    /// message and closes the socket.
    void drop();

    bool isOpen() const { return m_conn != nullptr; }
    /// Open and CONNECTION_OK (see also isUsable()).
    bool isConnected() const;
    /// False after a refused COPY: no other query can run on it.
    bool isUsable() const { return !m_copyRefused; }
    int socket() const;
    /// For what this class does not wrap (PQserverVersion, PQbackendPID, PQparameterStatus, ...).
    PGconn *handle() const { return m_conn.get(); }
    /// libpq's last error message, one line.
    QString errorMessage() const;
    const QString &lastNotice() const { return m_lastNotice; }

private:
    enum class Wait
    {
        Ready,
        Timeout,
        Interrupted,
        Error,
    };
    /// poll() on `fd` (none when negative) and the Interrupt until `deadline`.
    Wait waitFor(int fd, short events, const QDeadlineTimer &deadline, short *revents = nullptr) const;
    bool interrupted() const { return m_interrupt && m_interrupt->isTriggered(); }
    void finishQuery();
    static void noticeProcessor(void *self, const char *message);

    const Interrupt *m_interrupt = nullptr;
    PgConn m_conn;
    QString m_lastNotice;
    RunEnd m_run;
    Results m_results = Results::Keep;
    bool m_flushing = false;    // the query is not all in the socket yet
    bool m_copyRefused = false; // the server started a COPY: the connection cannot be used again
    PgResult m_last;
    std::vector<PgResult> m_earlier;
    PgResult m_firstError;

    std::atomic<bool> m_queryActive{false}; // a query is in flight: cancel() has something to do
    std::atomic<bool> m_cancelSent{false};  // for the query in flight
    mutable std::mutex m_cancelMutex;
    std::shared_ptr<PGcancel> m_cancel; // shared with cancel tasks, which may outlive us
    std::shared_ptr<std::atomic<bool>> m_cancelRunning = std::make_shared<std::atomic<bool>>(false);
};

} // namespace poolscope::db
