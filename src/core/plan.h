#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <optional>

/// The capacity plan: applications with their connection pools, the poolers in front, and PostgreSQL, as the
/// plan file describes them (README "Capacity planner"). Absent keys take PostgreSQL's and PgBouncer's own
/// defaults. Parsing is strict: an unknown key, a wrong type or an impossible value is an error naming the
/// key and its line, never a silent default.
namespace poolscope::plan {

struct PostgresSpec
{
    int maxConnections = 100;  // PostgreSQL's default
    int superuserReserved = 3; // superuser_reserved_connections
    int reserved = 0;          // reserved_connections (PG 16+)
    int otherSessions = 0;     // connections outside the plan (a provider's admin sessions, replication)

    /// max_connections − superuser_reserved − reserved − other_sessions.
    int usable() const { return maxConnections - superuserReserved - reserved - otherSessions; }
    bool operator==(const PostgresSpec &) const = default;
};

struct PoolSpec
{
    QString database;
    QString user;
    std::optional<int> poolSize;     // absent: the pooler's default_pool_size; 0: unlimited (PgBouncer 1.24+)
    std::optional<QString> poolMode; // absent: the pooler's pool_mode
    bool operator==(const PoolSpec &) const = default;
};

struct PoolerSpec
{
    QString name;
    int instances = 1;
    QString poolMode = QStringLiteral("session"); // PgBouncer's default
    int defaultPoolSize = 20;
    int reservePoolSize = 0;
    int maxClientConn = 100;
    int maxDbConnections = 0;   // 0: unlimited
    int maxUserConnections = 0; // 0: unlimited
    QList<PoolSpec> pools;
    bool operator==(const PoolerSpec &) const = default;
};

struct Traffic
{
    double arrivalRatePerS = 0; // requests per second, all instances of the application together
    double meanHoldMs = 0;      // how long a request holds its connection
    bool operator==(const Traffic &) const = default;
};

struct AppSpec
{
    QString name;
    int instances = 1;
    int processes = 1; // per instance, each with its own pool
    int poolSize = 0;
    int maxOverflow = 0;
    QString via = QStringLiteral("postgres"); // a pooler's name, or "postgres" (direct)
    QString database;                         // the pool it uses behind a pooler
    QString user;
    std::optional<Traffic> traffic;

    /// instances × processes × (pool_size + max_overflow): the connections the application can open.
    qint64 clients() const { return qint64(instances) * processes * (qint64(poolSize) + maxOverflow); }
    bool direct() const { return via == QLatin1String("postgres"); }
    bool operator==(const AppSpec &) const = default;
};

struct Plan
{
    PostgresSpec postgres;
    QList<PoolerSpec> poolers;
    QList<AppSpec> apps;

    const PoolerSpec *pooler(const QString &name) const;
    bool operator==(const Plan &) const = default;
};

struct ParseError
{
    QString key; // "apps[1].pool_size", empty for a JSON syntax error
    int line = 0;
    QString message;

    /// "apps[1].pool_size (line 12): needs a whole number >= 0".
    QString text() const;
};

/// The plan in `json`; nullopt and `error` for anything wrong with it.
std::optional<Plan> parsePlan(const QByteArray &json, ParseError *error);
/// The plan file, every key written out (defaults too), so it round-trips through parsePlan.
QJsonObject toJson(const Plan &plan);

} // namespace poolscope::plan
