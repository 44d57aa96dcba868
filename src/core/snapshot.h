#pragma once

#include <QHash>
#include <QList>
#include <QMetaType>
#include <QString>
#include <algorithm>
#include <array>
#include <optional>

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
    bool waitingOnLock() const { return waitEventType == QLatin1String("Lock"); }
    /// How far this session holds the xmin horizon back: the older of its snapshot and its transaction id.
    std::optional<qint64> horizonAge() const
    {
        if (backendXminAge && backendXidAge)
            return std::max(*backendXminAge, *backendXidAge);
        return backendXminAge ? backendXminAge : backendXidAge;
    }
};

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
    std::optional<quint64> xactCommit;
    std::optional<quint64> xactRollback;
    // pg_stat_database sums, PG 14+ (unknown before): sessions ended by pg_terminate_backend, by a FATAL
    // error (idle_in_transaction_session_timeout and friends), and by the client vanishing.
    std::optional<quint64> sessionsKilled;
    std::optional<quint64> sessionsFatal;
    std::optional<quint64> sessionsAbandoned;
    QList<Session> sessions;
    StateCounts counts;
    // PoolScope's own connections (this sampler and other PoolScope instances): left out of `sessions`, but
    // they take connection slots too.
    int poolscopeSessions = 0;

    // Derived from `sessions` by parsers::summarizeSessions():
    // Visible sessions waiting on a heavyweight lock.
    int lockWaiting = 0;
    // Pids blocking others while not waiting on a lock themselves, the most blocked first.
    QList<qint64> rootBlockers;
    // Per GroupDimension, every group, most sessions first.
    std::array<QList<SessionGroup>, GroupDimensionCount> groups;

    // Since the previous sample of the same connection (the Sampler's; unknown on the first sample): 10 s
    // averages like TargetSnapshot::tps (commits without PoolScope's own polls), and per-sample deltas.
    std::optional<double> commitsPerSecond;
    std::optional<double> rollbacksPerSecond;
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
    /// none holds it. Points into `sessions`.
    const Session *oldestXminSession() const;
    /// The session with this pid; nullptr when it is not in the sample. Points into `sessions`.
    const Session *session(qint64 pid) const;
    /// Sessions waiting, directly or through other waiters, on `pid`'s locks.
    int blockedBehind(qint64 pid) const;
    /// blockedBehind() for many pids at once: one pass over the sessions instead of one per pid.
    QHash<qint64, int> blockedBehind(const QList<qint64> &pids) const;
    const QList<SessionGroup> &groupsBy(GroupDimension dimension) const { return groups[size_t(dimension)]; }
};

/// One row of SHOW POOLS. Every counter is optional: a column the version does not have is unknown, not 0.
struct PoolStats
{
    QString database;
    QString user;
    std::optional<QString> poolMode;
    std::optional<qint64> clActive;
    std::optional<qint64> clWaiting;
    std::optional<qint64> clIdle; // PgCat only
    std::optional<qint64> svActive;
    std::optional<qint64> svIdle;
    std::optional<qint64> svUsed;
    std::optional<qint64> svTested;
    std::optional<qint64> svLogin;
    std::optional<qint64> svActiveCancel;
    std::optional<qint64> svBeingCanceled;
    std::optional<double> maxwaitSeconds; // maxwait + maxwait_us / 1e6
    std::optional<qint64> poolSize;       // joined from SHOW DATABASES
    std::optional<qint64> reservePool;    // joined from SHOW DATABASES

    QString key() const { return database + QLatin1Char('/') + user; }
    /// Server connections counted against pool_size (PgBouncer's pool_server_count: active, being
    /// canceled, idle, tested, used, logging in, sending a cancel); unknown when the shape has no sv_active.
    std::optional<qint64> serverCount() const;
    /// serverCount() / poolSize: slots open, idle ones included. Unknown without a pool size, or when it
    /// is 0 (unlimited on PgBouncer 1.24+).
    std::optional<double> openFraction() const;
    /// Clients queue while every slot of pool_size is open: the pool is the bottleneck.
    bool saturated() const;
    bool operator==(const PoolStats &) const = default; // models skip dataChanged for unchanged rows
};

/// One row of SHOW DATABASES.
struct BouncerDatabase
{
    QString name;
    QString host;
    std::optional<qint64> port;
    QString database;
    std::optional<qint64> poolSize;
    std::optional<qint64> reservePool; // reserve_pool (<= 1.23) or reserve_pool_size (1.24+)
    std::optional<QString> poolMode;
    std::optional<qint64> maxConnections;
    std::optional<qint64> currentConnections;
    std::optional<bool> paused;
    std::optional<bool> disabled;
};

/// One row of SHOW STATS_TOTALS (counters since PgBouncer started; times in microseconds).
struct BouncerStatsTotals
{
    QString database;
    std::optional<quint64> xactCount;
    std::optional<quint64> queryCount;
    std::optional<quint64> bytesReceived;
    std::optional<quint64> bytesSent;
    std::optional<quint64> xactTime;
    std::optional<quint64> queryTime;
    std::optional<quint64> waitTime;
};

struct BouncerSample
{
    QList<PoolStats> pools;
    QList<BouncerDatabase> databases;
    QList<BouncerStatsTotals> totals;
};

enum class TargetKind
{
    Unknown,
    Postgres,
    PgBouncer,
};
QString targetKindName(TargetKind kind); // "postgres", "pgbouncer", "unknown"

enum class ErrorKind
{
    None,
    BadConnInfo, // libpq could not parse the connection string
    Connect,     // refused, unknown host, not PostgreSQL, timeout
    Auth,        // password or role rejected
    Query,       // a sampling query failed
    Unsupported, // connected, but to something we cannot sample
};

struct DbError
{
    ErrorKind kind = ErrorKind::None;
    QString sqlState;
    QString message;
    QString hint;               // what to check, for people (may be empty)
    bool needsPassword = false; // libpq wants a password it was not given: the GUI may prompt

    bool isError() const { return kind != ErrorKind::None; }
};

/// One sample of one target: what crosses from a worker thread to the GUI, and what `snapshot` prints.
struct TargetSnapshot
{
    QString target; // user@host:port/db, never a conninfo string
    TargetKind kind = TargetKind::Unknown;
    bool ok = false;
    DbError error;
    QString serverVersion;
    qint64 sampledAtMs = 0; // client wall clock, ms since epoch
    std::optional<PostgresSample> postgres;
    std::optional<BouncerSample> bouncer;
    std::optional<double> tps; // transactions/s since the previous sample of the same target
};

} // namespace poolscope

Q_DECLARE_METATYPE(poolscope::TargetSnapshot)
