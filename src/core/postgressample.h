#pragma once

#include "rateestimator.h"

#include <QHash>
#include <QList>
#include <QString>
#include <algorithm>
#include <array>
#include <optional>

// What PostgreSQL reports about itself and its sessions (pg_stat_activity, pg_stat_database, settings).
namespace poolscope {

/// The session states charted everywhere, in stacking order. Colours live in widgets/palette.h.
enum class SessionState
{
    Active,
    Idle,
    IdleInTransaction,
    IdleInTransactionAborted,
    Other, // fastpath function call, disabled, and rows whose state is hidden by privileges
};
inline constexpr int SessionStateCount = 5;
inline constexpr std::array<SessionState, SessionStateCount> AllSessionStates = {
    SessionState::Active, SessionState::Idle, SessionState::IdleInTransaction,
    SessionState::IdleInTransactionAborted, SessionState::Other};

/// The text PostgreSQL uses ("idle in transaction"); "other" for Other.
QString sessionStateName(SessionState state);
SessionState sessionStateFromText(const std::optional<QString> &state);

struct Session
{
    qint64 pid = 0;
    QString datname;
    QString usename;
    QString applicationName;
    QString clientAddr; // empty for Unix-socket clients
    std::optional<qint64> clientPort;
    QString backendType;
    std::optional<QString> state; // raw text; nullopt when hidden by privileges
    QString waitEventType;
    QString waitEvent;
    // Seconds since the Unix epoch, as the server reports them.
    std::optional<double> backendStart;
    std::optional<double> xactStart;
    std::optional<double> queryStart;
    std::optional<double> stateChange;
    QString query;       // truncated by the sampler
    bool hidden = false; // "<insufficient privilege>": the role cannot see this session's details

    // PG 13+: the parallel group leader of a worker (NULL for client backends).
    std::optional<qint64> leaderPid;
    // PG 14+, when compute_query_id is on.
    std::optional<qint64> queryId;
    // age(backend_xmin) and age(backend_xid), in transactions. Either holds back the xmin horizon (vacuum
    // cannot remove rows deleted after it): a snapshot, or the session's own transaction id (an idle-in-
    // transaction session that wrote has only the xid). Visible even for rows hidden by privileges.
    std::optional<qint64> backendXminAge;
    std::optional<qint64> backendXidAge;
    // pg_blocking_pids(): asked only for sessions waiting on a heavyweight lock (wait_event_type 'Lock'),
    // since it takes every lock-manager partition lock. Empty for everyone else (and for a waiter whose
    // blocker went away between the two reads).
    QList<qint64> blockedBy;

    SessionState stateClass() const { return sessionStateFromText(state); }
    bool waitingOnLock() const
    {
        return waitEventType.size() == 4 && waitEventType == QLatin1String("Lock"); // most are empty
    }
    /// How far this session holds the xmin horizon back: the older of its snapshot and its transaction id.
    std::optional<qint64> horizonAge() const
    {
        if (backendXminAge && backendXidAge)
            return std::max(*backendXminAge, *backendXidAge);
        return backendXminAge ? backendXminAge : backendXidAge;
    }
};

/// The session holding the xmin horizon back the furthest among `sessions` (PostgresSample::
/// oldestXminSession() says how ties are broken); nullptr when none holds it. Points into `sessions`.
const Session *oldestXminSession(const QList<Session> &sessions);

/// `held` is `list` itself (the same shared data), not merely equal to it: what was derived from `held` holds
/// for `list`. Holding the list keeps its address from being reused by another one; read it through const
/// access only (a non-const [] detaches it).
inline bool isHeldList(const QList<Session> &held, const QList<Session> &list)
{
    return held.constData() == list.constData() && held.size() == list.size();
}

/// How sessions are grouped for the "sessions by ..." chart and JSON.
enum class GroupDimension
{
    Application, // application_name
    User,        // usename
    Database,    // datname
    Client,      // client_addr; empty for Unix-socket clients
};
inline constexpr int GroupDimensionCount = 4;
inline constexpr std::array<GroupDimension, GroupDimensionCount> AllGroupDimensions = {
    GroupDimension::Application, GroupDimension::User, GroupDimension::Database, GroupDimension::Client};
/// "application", "user", "database", "client": JSON keys and series names.
QString groupDimensionName(GroupDimension dimension);

struct StateCounts
{
    std::array<int, SessionStateCount> byState{};
    int hidden = 0;

    int total() const;
    int operator[](SessionState s) const { return byState[size_t(s)]; }
    int &operator[](SessionState s) { return byState[size_t(s)]; }
    bool operator==(const StateCounts &) const = default;
};

/// The sessions sharing one value of a GroupDimension.
struct SessionGroup
{
    QString name;        // the value; empty when the server reports none (no application_name, Unix socket)
    bool hidden = false; // the value is hidden by privileges (client_addr of other roles' sessions)
    StateCounts counts;

    int sessions() const { return counts.total(); }
};

struct PostgresSample
{
    double serverNow = 0; // clock_timestamp() of the sample, epoch seconds
    int serverVersionNum = 0;
    std::optional<int> maxConnections;
    std::optional<int> superuserReserved;
    std::optional<int> reservedConnections; // PG 16+
    std::optional<double> postmasterStart;  // pg_postmaster_start_time(), epoch seconds: changes on a restart
    std::optional<double> statsReset;       // max(pg_stat_database.stats_reset): changes on pg_stat_reset()
    std::optional<quint64> xactCommit;
    std::optional<quint64> xactRollback;
    // pg_stat_database sums, PG 14+ (unknown before): sessions ended by pg_terminate_backend, by a FATAL
    // error (idle_in_transaction_session_timeout and friends), and by the client vanishing.
    // Sessions established since the statistics were reset (PG 14+): its rate is the connect rate.
    std::optional<quint64> sessionsTotal;
    std::optional<quint64> sessionsKilled;
    std::optional<quint64> sessionsFatal;
    std::optional<quint64> sessionsAbandoned;
    QList<Session> sessions;
    StateCounts counts;
    // PoolScope's own connections (this sampler and other PoolScope instances): left out of `sessions`, but
    // they take connection slots too.
    int poolscopeSessions = 0;

    // Derived from `sessions` by analysis::summarizeSessions():
    // Visible sessions waiting on a heavyweight lock.
    int lockWaiting = 0;
    // Pids blocking others while not waiting on a lock themselves, the most blocked first.
    QList<qint64> rootBlockers;
    // Per GroupDimension, every group, most sessions first.
    std::array<QList<SessionGroup>, GroupDimensionCount> groups;

    // Averages over transactionRate.windowS like TargetSnapshot::tps (commits without PoolScope's own polls;
    // TransactionRates): unknown until the window filled and while the server holds counts back.
    std::optional<double> commitsPerSecond;
    std::optional<double> rollbacksPerSecond;
    RateEstimate transactionRate; // how they were estimated: status, window
    // Since the previous sample of the same connection (the Sampler's; unknown on the first sample).
    std::optional<qint64> sessionsKilledDelta;
    std::optional<qint64> sessionsFatalDelta;
    std::optional<qint64> sessionsAbandonedDelta;

    /// Connections usable by non-superusers: max_connections minus the reserved slots.
    std::optional<int> usableConnections() const;
    /// Age of the oldest open transaction among visible client sessions.
    std::optional<double> oldestXactAge() const;
    /// Client backends (every session, hidden ones and PoolScope's own included).
    int clientBackends() const { return counts.total() + poolscopeSessions; }
    /// Connections non-superusers can still open: usable minus client backends (negative when superusers
    /// hold more than the reserved slots).
    std::optional<int> headroom() const;
    /// The session holding the xmin horizon back the furthest (largest Session::horizonAge()); nullptr when
    /// none holds it. Of sessions that tie (a fresh query's snapshot has the open transaction's xid as its
    /// xmin), the one to look at first: whose own xid it is, then the oldest transaction, then idle in
    /// transaction over active, then the lowest pid. Points into `sessions`.
    const Session *oldestXminSession() const;
    /// The session with this pid; nullptr when it is not in the sample. Points into `sessions`.
    const Session *session(qint64 pid) const;
    /// Sessions waiting, directly or through other waiters, on `pid`'s locks.
    int blockedBehind(qint64 pid) const;
    /// blockedBehind() for many pids at once: one pass over the sessions instead of one per pid.
    QHash<qint64, int> blockedBehind(const QList<qint64> &pids) const;
    const QList<SessionGroup> &groupsBy(GroupDimension dimension) const { return groups[size_t(dimension)]; }

    /// A sample read back from Prometheus has no session list: what its exporter reports in place of the
    /// figures derived from `sessions` (each unknown when it does not report it). nullopt for a sample taken
    /// directly, where those figures come from `sessions`.
    struct Exported
    {
        std::optional<double> oldestXactAgeS;
        std::optional<double> oldestIdleInTransactionS;
        std::optional<int> lockWaiting;
    };
    std::optional<Exported> exported;
};

} // namespace poolscope
