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
    std::optional<double> postmasterStart; // pg_postmaster_start_time(), epoch seconds: changes on a restart
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
    std::optional<double> maxwaitSeconds;     // maxwait + maxwait_us / 1e6
    std::optional<qint64> clCancelReq;        // <= 1.17, PgCat
    std::optional<qint64> clActiveCancelReq;  // 1.18+
    std::optional<qint64> clWaitingCancelReq; // 1.18+
    // Effective pool size (parsers::joinPoolSizes): SHOW USERS pool_size when set (1.23+), else SHOW
    // DATABASES pool_size. 0 means unlimited (1.24+): every fraction below is then unknown.
    std::optional<qint64> poolSize;
    std::optional<qint64> reservePool; // SHOW USERS reserve_pool_size (1.24+) when set, else SHOW DATABASES
    // Rates of the pool's database from SHOW STATS_TOTALS deltas (parsers::deriveBouncerRates); unknown on
    // the first sample and when a counter went backwards (restart). PgBouncer keeps totals per database,
    // so pools of one database share them.
    std::optional<double> tps;
    std::optional<double> qps;
    // Mean idle-in-transaction time per transaction, in ms: delta(xact_time - query_time) /
    // delta(xact_count).
    std::optional<double> idleInXactMs;

    QString key() const { return database + QLatin1Char('/') + user; }
    /// Server connections counted against pool_size (PgBouncer's pool_server_count: active, being
    /// canceled, idle, tested, used, logging in, sending a cancel); unknown when the shape has no sv_active.
    std::optional<qint64> serverCount() const;
    /// serverCount() / poolSize: slots open, idle ones included. Unknown without a pool size, or when it
    /// is 0 (unlimited on PgBouncer 1.24+).
    std::optional<double> openFraction() const;
    /// sv_active / poolSize: slots handed to clients. Unknown without a pool size or when it is 0.
    std::optional<double> busyFraction() const;
    /// Clients queue while every slot of pool_size is open: the pool is the bottleneck.
    bool saturated() const;
    /// pool_size 0 on PgBouncer 1.24+: no limit.
    bool unlimited() const { return poolSize && *poolSize == 0; }
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

/// One row of SHOW STATS_TOTALS, or the total_* columns of SHOW STATS (counters since the pooler started;
/// times in microseconds). Counters a version lacks stay unknown.
struct BouncerStatsTotals
{
    QString database;
    QString user; // PgCat keys its stats by (database, user); empty for PgBouncer and Odyssey
    std::optional<quint64> serverAssignmentCount; // 1.23+
    std::optional<quint64> clientParseCount;      // 1.24+
    std::optional<quint64> serverParseCount;      // 1.24+
    std::optional<quint64> bindCount;             // 1.24+
    std::optional<quint64> errors;                // PgCat total_errors
    std::optional<quint64> xactCount;
    std::optional<quint64> queryCount;
    std::optional<quint64> bytesReceived;
    std::optional<quint64> bytesSent;
    std::optional<quint64> xactTime;
    std::optional<quint64> queryTime;
    std::optional<quint64> waitTime;
};

/// One row of SHOW USERS (1.18: name, pool_mode; 1.23 adds pool_size and connection counts; 1.24 adds
/// reserve_pool_size and client connection counts).
struct BouncerUser
{
    QString name;
    std::optional<qint64> poolSize; // NULL/absent: the database's pool_size applies
    std::optional<qint64> reservePoolSize;
    std::optional<QString> poolMode;
    std::optional<qint64> maxUserConnections;
    std::optional<qint64> currentConnections;
    std::optional<qint64> maxUserClientConnections;
    std::optional<qint64> currentClientConnections;
};

/// One row of SHOW CLIENTS or SHOW SERVERS (same columns; 1.21 adds prepared_statements, 1.23 replication,
/// 1.24 id). On a server row `link` is the ptr of its client and `remotePid` the PostgreSQL backend pid;
/// on a client row `link` is the ptr of its server.
struct BouncerConnection
{
    QString type; // "C" or "S"
    QString user;
    QString database;
    QString state; // clients: active, waiting, active_cancel_req, waiting_cancel_req, idle (1.25)
                   // servers: active, idle, used, tested, new, active_cancel, being_canceled
    QString addr;
    std::optional<qint64> port;
    QString localAddr;
    std::optional<qint64> localPort;
    std::optional<double> connectTime; // epoch seconds, parsed from "2026-11-23 03:15:24 UTC"
    std::optional<double> requestTime;
    std::optional<double> waitSeconds; // wait + wait_us / 1e6
    std::optional<bool> closeNeeded;
    QString ptr;
    QString link;                    // empty when unlinked
    std::optional<qint64> remotePid; // servers: the PostgreSQL backend pid
    QString tls;
    QString applicationName;
    std::optional<qint64> preparedStatements; // 1.21+
    std::optional<QString> replication;       // 1.23+
    std::optional<qint64> id;                 // 1.24+: the argument of KILL_CLIENT

    QString addrPort() const; // "10.0.0.5:51234", "unix" for Unix sockets, addr alone without a port
};

/// "10.0.0.5:51234", "[::1]:5432", the address alone without a port, "unix" as is; empty for no address.
QString hostPortText(const QString &addr, std::optional<qint64> port);

/// What the console user may do, read from SHOW CONFIG admin_users / stats_users and the connected user.
enum class ConsoleAccess
{
    Unknown, // not decided (no SHOW CONFIG, auth_type any, ...): actions are offered and may fail
    Admin,
    StatsOnly,
};

/// Which pooler answers on the console: PgCat and Odyssey mimic PgBouncer's SHOW POOLS / SHOW STATS.
enum class PoolerFlavor
{
    PgBouncer,
    PgCat,
    Odyssey,
};
QString poolerFlavorName(PoolerFlavor flavor); // "pgbouncer", "pgcat", "odyssey"

struct BouncerSample
{
    QList<PoolStats> pools;
    QList<BouncerDatabase> databases;
    QList<BouncerStatsTotals> totals;
    PoolerFlavor flavor = PoolerFlavor::PgBouncer;
    QString versionText; // SHOW VERSION, e.g. "PgBouncer 1.18.0"
    int versionNum = 0;  // 1.18.0 -> 11800; 0 when unknown
    QList<BouncerUser> users;
    QList<QPair<QString, qint64>> lists; // SHOW LISTS (list, items), in the console's order
    QHash<QString, QString> config;      // SHOW CONFIG key -> value
    std::optional<bool> paused;          // SHOW STATE (1.19+); unknown on 1.18
    std::optional<bool> suspended;       // SHOW STATE (1.19+)
    ConsoleAccess access = ConsoleAccess::Unknown;
    QString consoleUser; // the user this console connection logged in as
    // SHOW CLIENTS / SHOW SERVERS, taken back to back every few seconds (they cost O(connections)) and on
    // demand. Between two rounds a sample carries the last round (connectionsAtMs tells when it was taken);
    // nullopt until the first round or when the console refused them.
    std::optional<QList<BouncerConnection>> clients;
    std::optional<QList<BouncerConnection>> servers;
    qint64 connectionsAtMs = 0;    // client wall clock of the round
    bool connectionsFresh = false; // the round was taken in this sample

    bool supportsKillClient() const { return flavor == PoolerFlavor::PgBouncer && versionNum >= 12400; }
    const BouncerDatabase *database(const QString &name) const; // nullptr when not in SHOW DATABASES
};

/// Pgpool-II: SHOW POOL_NODES, one row per backend node.
struct PgpoolNode
{
    qint64 nodeId = 0;
    QString hostname;
    std::optional<qint64> port;
    QString status;   // up, waiting, down, unused, quarantine
    QString pgStatus; // 4.3+: up, down, unknown
    QString role;     // primary/standby (streaming) or main/replica
    std::optional<qint64> selectCount;
    std::optional<bool> loadBalanceNode;
    QString replicationDelay;
    QString lastStatusChange;
};

/// Pgpool-II: SHOW POOL_PROCESSES, one row per child process.
struct PgpoolProcess
{
    qint64 pid = 0;
    QString startTime;
    QString database; // empty when the child serves nobody
    QString username;
    QString status; // "Execute command", "Idle", "Idle in transaction", "Wait for connection"
    std::optional<qint64> clientConnectionCount;
    std::optional<qint64> poolCounter;

    /// Serving a client: a database is set, or the status is other than "Wait for connection".
    bool busy() const;
};

/// Pgpool-II: SHOW POOL_POOLS, one row per (child, pool slot, backend node).
struct PgpoolPoolSlot
{
    qint64 pid = 0; // the child
    qint64 poolId = 0;
    qint64 backendId = 0;
    QString database;
    QString username;
    std::optional<qint64> backendPid;        // pool_backendpid: the PostgreSQL backend; nullopt when 0/empty
    bool connected = false;                  // pool_connected = 1: a frontend is attached
    std::optional<double> clientIdleSeconds; // client_idle_duration
    QString clientHost;                      // 4.7+
    std::optional<qint64> clientPort;        // 4.7+
};

struct PgpoolSample
{
    QString version; // SHOW POOL_VERSION
    QList<PgpoolNode> nodes;
    QList<PgpoolProcess> processes;
    QList<PgpoolPoolSlot> pools;
    std::optional<qint64> numInitChildren; // PGPOOL SHOW num_init_children
    std::optional<qint64> maxPool;         // PGPOOL SHOW max_pool
    // The child serving PoolScope's own sampling connection (its backend pid is the sampler's backend pid);
    // counted apart from busy children.
    std::optional<qint64> ownChildPid;

    /// Children serving a client, PoolScope's own excluded.
    int busyChildren() const;
    /// busyChildren() / numInitChildren; unknown without num_init_children.
    std::optional<double> childUtilisation() const;
};

enum class TargetKind
{
    Unknown,
    Postgres,
    PgBouncer, // a PgBouncer-shaped console: PgBouncer, PgCat, Odyssey (BouncerSample::flavor)
    Pgpool,    // a Pgpool-II listener: PostgreSQL sampled through it, plus its SHOW POOL_* commands
};
QString targetKindName(TargetKind kind); // "postgres", "pgbouncer", "pgpool", "unknown"

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
    std::optional<PgpoolSample> pgpool; // with `postgres` (sampled through Pgpool-II) for TargetKind::Pgpool
    std::optional<double> tps;          // transactions/s since the previous sample of the same target
};

} // namespace poolscope

Q_DECLARE_METATYPE(poolscope::TargetSnapshot)
