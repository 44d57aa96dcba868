#pragma once

#include "core/ownedthread.h"
#include "core/targetsnapshot.h"
#include "core/targetstate.h"
#include "db/pollreport.h"

#include <QElapsedTimer>
#include <QMutex>
#include <QObject>
#include <QPointer>
#include <QTimer>
#include <memory>

namespace poolscope::db {

class Sampler;

/// Lives on its target's own thread and owns the Sampler (and so the PGconn). Never touched by the GUI thread
/// except through queued calls and the thread-safe methods below.
/// Its thread lowers its own priority (nice +5) on the first poll: under CPU overload sampling slows down,
/// the window does not.
class TargetWorker : public QObject
{
    Q_OBJECT
public:
    TargetWorker(const QString &conninfo, int queryTextLength, TargetKind kindOverride = TargetKind::Unknown);
    ~TargetWorker() override;
    /// Thread-safe, non-blocking: cancels the query in flight (PQcancel on a helper thread).
    void cancel();
    /// Thread-safe, non-blocking: the worker stops waiting on the network at once (shutdown). Sticky.
    void interrupt();
    /// Thread-safe: connection attempts made so far.
    int connectAttempts() const;
    /// Thread-safe, non-blocking: the next poll of a PgBouncer-shaped console takes SHOW CLIENTS/SERVERS.
    void requestConnections();

    /// How the worker polls; thread-safe (the controller sets it, the worker's own polls read it).
    struct Plan
    {
        int intervalMs = 1000;
        int deadlineMs = 3000;
        int statementTimeoutMs = 2000;
    };
    void setPlan(const Plan &plan);

public Q_SLOTS:
    /// Polls as `ticket` in `delayMs` (0: now), instead of the poll the worker scheduled itself after its
    /// last Ok one (see PollReport::nextPollInMs). A ticket already polled is ignored: a call that arrives
    /// after the worker's own poll of the same ticket has started changes nothing.
    void pollAt(quint64 ticket, int delayMs);
    void shutdown();

Q_SIGNALS:
    void sampled(quint64 ticket, const poolscope::TargetSnapshot &snapshot,
                 const poolscope::db::PollReport &report);

private:
    void poll(quint64 ticket);
    Plan plan() const;

    std::unique_ptr<Sampler> m_sampler;
    bool m_niced = false; // this thread's priority was lowered below the GUI's
    QTimer *m_next;       // the next poll (a child: moves to the worker's thread with it)
    quint64 m_nextTicket = 0;
    quint64 m_polledTicket = 0;
    mutable QMutex m_planMutex;
    Plan m_plan;
};

/// GUI-thread handle of one monitored target: one worker thread, one poll in flight, the next one scheduled
/// when the reply arrives so a slow server never piles polls up. In the steady state (Ok replies) the worker
/// schedules its next poll itself, an interval after the start of the last one: at 10 Hz the GUI thread is
/// woken by the samples only, not also by a timer of its own. Everything else (the first poll, retries and
/// their backoff, a poll at once after a late reply or for fresh connection lists) is decided here.
///
/// Never freezing: the worker bounds every poll by itself (see Sampler: connect_timeout, then the deadline,
/// a cancel, and a grace period after which the connection is dropped). On top of that this controller
/// watches the poll from the GUI thread: with no reply `deadlineMs() + 250 ms` after it was sent (plus the
/// connect timeout when the poll has to connect first), it marks the target Stalled, asks the worker to
/// cancel (non-blocking), and emits a synthetic failed snapshot ("no reply for N s; query cancelled") so the
/// charts show a gap, repeated every max(interval, 1 s) while the reply is missing. The GUI thread never
/// waits for the worker, except in stop() (and the destructor), after interrupting it, and then with a bound:
/// the worker's thread is an OwnedThread (README, "Threads").
///
/// Late replies: the reply to a poll already declared stalled is not emitted as a sample (its data describe
/// the server as of the poll's start, before the gap already recorded); it only moves the state on: live
/// again (and the next poll is sent at once), or reconnecting when the worker had to drop the connection.
///
/// Retries: after a lost connection the state is Reconnecting and attempts follow an exponential backoff
/// (initialBackoffMs, doubling, capped at backoffCapMs, default 30 s) with ±20 % jitter, so many targets of
/// one server do not reconnect in lockstep. A target that never connected shows Failed but retries on the
/// same schedule (a server that is down at start-up comes back by itself). An authentication failure or a
/// PgBouncer that is not a console retries only once per cap interval (the password may be fixed in
/// ~/.pgpass meanwhile; no retry storm that could lock the role); a connection string libpq rejects is not
/// retried at all. retryNow() is the user's "try again": it polls at once.
class TargetController : public QObject
{
    Q_OBJECT
public:
    /// `kindOverride`: Unknown detects the kind from the server; anything else samples as that kind.
    explicit TargetController(const QString &conninfo, QObject *parent = nullptr,
                              TargetKind kindOverride = TargetKind::Unknown);
    ~TargetController() override; // stop()

    /// Non-blocking, the first half of stopping: the poll in flight is cancelled and the worker stops waiting
    /// on the network. For many targets at once: interrupt() them all, then stop() each.
    void interrupt();
    /// interrupt(), then ends the worker's thread, waiting at most `boundMs` (a worker stuck where an
    /// interrupt does not reach, like a DNS lookup, is left to end on its own). No polls after it.
    void stop(int boundMs = OwnedThread::kRetireMs);

    void start();
    /// 100 ms .. 60 s.
    void setIntervalMs(int ms);
    int intervalMs() const { return m_intervalMs; }
    /// No reply within this long: cancel, then stalled. 0 (default): max(3 s, 3 x interval).
    void setDeadlineMs(int ms);
    int deadlineMs() const;
    void setBackoffCapMs(int ms);
    int backoffCapMs() const { return m_backoffCapMs; }
    void setInitialBackoffMs(int ms);
    int initialBackoffMs() const { return m_initialBackoffMs; }

    QString target() const { return m_target; }
    TargetKind kind() const { return m_kind; }
    TargetState state() const { return m_state; }
    QString lastError() const { return m_lastError; }
    QString lastHint() const { return m_lastHint; } // what to check about it (DbError::hint)
    ErrorKind lastErrorKind() const { return m_lastErrorKind; }
    /// Connection attempts that failed in a row since the target was last live (0 when live).
    int attemptCount() const { return m_failedAttempts; }
    /// Milliseconds until the next scheduled attempt while reconnecting, failed or stalled; -1 when none is
    /// scheduled (a poll is in flight, or a bad connection string waits for the user).
    qint64 nextRetryMs() const;
    /// The same as a wall-clock time, ms since the epoch; 0 when none is scheduled.
    qint64 nextRetryAtMs() const { return m_nextRetryAtMs; }
    /// Wall time of the last completed poll on the worker, connecting included.
    qint64 lastSampleDurationMs() const { return m_lastDurationMs; }
    bool isPollInFlight() const { return m_inFlight; }
    /// Connection attempts the worker has made so far (any thread).
    int connectAttempts() const;

public Q_SLOTS:
    /// The user acted (e.g. fixed a password): poll now instead of waiting for the backoff.
    void retryNow();
    /// PgBouncer-shaped consoles: fresh SHOW CLIENTS / SHOW SERVERS now rather than at the next round
    /// (every 5 s). Polls at once, or right after the poll in flight when that one started too early to
    /// take them.
    void refreshConnections();

Q_SIGNALS:
    void snapshotReady(const poolscope::TargetSnapshot &snapshot);
    void stateChanged(poolscope::TargetState state);
    /// The poll in flight has had no reply for `waitedMs`; emitted when it is declared stalled and again
    /// every max(interval, 1 s) until the reply arrives.
    void stalled(qint64 waitedMs);
    /// After a failed attempt: the next one is due in `inMs` (attemptCount() failed so far).
    void retryScheduled(int attempt, qint64 inMs);

private:
    void pollNow();
    void onSampled(quint64 ticket, const poolscope::TargetSnapshot &snapshot,
                   const poolscope::db::PollReport &report);
    void onStallTimeout();
    void sendPoll(int delayMs);
    /// Since the poll in flight was due: negative while the worker's own has not started yet.
    qint64 pastDueMs() const { return m_pollStarted.elapsed() - m_pollDueInMs; }
    TargetWorker::Plan plan() const;
    void setState(TargetState state);
    void setError(const DbError &error);
    int backoffMs(int failedAttempts) const;
    int watchdogMs() const;

    OwnedThread m_thread;
    TargetWorker *m_worker = nullptr; // lives on m_thread, deleted there; null after stop()
    QTimer m_timer;                   // next poll
    QTimer m_stallTimer;              // the poll in flight is overdue
    QElapsedTimer m_pollStarted; // when the poll in flight was sent (or, the worker's own, when it was due)
    qint64 m_pollDueInMs = 0;    // the poll in flight starts this long after m_pollStarted
    quint64 m_ticket = 0;
    bool m_inFlight = false;    // sent, or scheduled by the worker itself, and not answered yet
    bool m_stalledPoll = false; // the poll in flight was declared stalled
    bool m_pollAgain = false;   // refreshConnections() during a poll: poll again as soon as it answers
    bool m_connected = false;   // the worker reported an open connection after its last poll
    bool m_everConnected = false;
    int m_intervalMs = 1000;
    int m_deadlineMs = 0; // 0: automatic
    int m_connectTimeoutMs = 5000;
    int m_backoffCapMs = 30000;
    int m_initialBackoffMs = 500;
    int m_failedAttempts = 0;
    qint64 m_nextRetryAtMs = 0;
    qint64 m_lastDurationMs = 0;
    QString m_target;
    TargetKind m_kind = TargetKind::Unknown;
    TargetState m_state = TargetState::Connecting;
    QString m_lastError;
    QString m_lastHint;
    ErrorKind m_lastErrorKind = ErrorKind::None;
};

} // namespace poolscope::db
