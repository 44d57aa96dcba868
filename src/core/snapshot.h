#pragma once

#include <QList>
#include <QMetaType>
#include <QString>
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

    SessionState stateClass() const { return sessionStateFromText(state); }
};

struct StateCounts
{
    std::array<int, SessionStateCount> byState{};
    int hidden = 0;

    int total() const;
    int operator[](SessionState s) const { return byState[size_t(s)]; }
    int &operator[](SessionState s) { return byState[size_t(s)]; }
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
    QList<Session> sessions;
    StateCounts counts;

    /// Connections usable by non-superusers: max_connections minus the reserved slots.
    std::optional<int> usableConnections() const;
    /// Age of the oldest open transaction among visible client sessions.
    std::optional<double> oldestXactAge() const;
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
