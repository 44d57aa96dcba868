#pragma once

#include <QHash>
#include <QList>
#include <QPair>
#include <QString>
#include <optional>

// What a PgBouncer-shaped console (PgBouncer, PgCat, Odyssey) reports: its SHOW commands, parsed.
namespace poolscope {

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
    // Seconds between the totals the pools' rates (PoolStats::tps, qps, idleInXactMs) compare; unknown on the
    // first sample of a connection.
    std::optional<double> ratesWindowS;
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

} // namespace poolscope
