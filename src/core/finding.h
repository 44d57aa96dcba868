#pragma once

#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <optional>

namespace poolscope::findings {

/// Stable rule ids: JSON, the CLI, settings keys and the README use exactly these words.
namespace rule {
inline const QString IdleInTransactionLeak = QStringLiteral("idle-in-transaction-leak");
inline const QString AppPoolCeiling = QStringLiteral("app-pool-ceiling");
inline const QString PoolerSaturation = QStringLiteral("pooler-saturation");
inline const QString ServerConnectionCeiling = QStringLiteral("server-connection-ceiling");
inline const QString DeadConnections = QStringLiteral("dead-connections");
inline const QString ConnectionChurn = QStringLiteral("connection-churn");
inline const QString LockPileup = QStringLiteral("lock-pileup");
inline const QString LongTransaction = QStringLiteral("long-transaction");
inline const QString PoolerDbMismatch = QStringLiteral("pooler-db-mismatch");
/// Every rule, in the order the README's table lists them.
const QStringList &all();
} // namespace rule

/// The rules about a capacity limit (an application's pool, a pooler's pool, PostgreSQL's slots), whose
/// findings open the capacity planner with the numbers of the moment.
bool opensPlanner(const QString &rule);

enum class Severity
{
    Info,
    Warning,
    Critical,
};
QString severityName(Severity severity); // "info", "warning", "critical"
std::optional<Severity> severityFromName(const QString &name);

/// Where the problem sits: in the application (its pool, its code), in the pooler, or in PostgreSQL.
enum class Layer
{
    App,
    Pooler,
    Postgres,
};
QString layerName(Layer layer); // "app", "pooler", "postgres"

/// The one-click action a finding offers, run by the caller with its usual confirmation and audit.
struct Action
{
    enum class Kind
    {
        None,
        Terminate,       // pg_terminate_backend on `pids` of target `targetId` (a PostgreSQL target)
        PoolerReconnect, // PgBouncer RECONNECT `argument` (a database) on target `targetId` (the console)
    };
    Kind kind = Kind::None;
    int targetId = 0;
    QList<qint64> pids;
    QString argument;
    QString label; // "Terminate the 8 holders", "RECONNECT app"

    bool isNone() const { return kind == Kind::None; }
    bool operator==(const Action &) const = default;
};

/// A finding's figures: stable literal keys (the JSON keys), JSON values, in the order the rule gave them.
/// A flat list rather than a QJsonObject because rules rebuild it on every sample of a target, and
/// QJsonObject::insert costs thousands of instructions; toJson() builds the object when it is printed.
class Evidence
{
public:
    /// `key` must be a string literal (it is kept as a pointer). Replaces the value of an existing key.
    void insert(const char *key, const QJsonValue &value);
    /// Undefined when absent.
    QJsonValue value(const char *key) const;
    bool contains(const char *key) const { return !value(key).isUndefined(); }
    bool isEmpty() const { return m_items.isEmpty(); }
    int size() const { return int(m_items.size()); }
    const QList<std::pair<const char *, QJsonValue>> &items() const { return m_items; }
    QJsonObject toJson() const;
    bool operator==(const Evidence &other) const;

private:
    QList<std::pair<const char *, QJsonValue>> m_items;
};

/// What became of a finding: still there, resolved by itself, or watched after an action.
enum class Status
{
    Active,
    ActionTaken,  // an action ran; watching whether the finding goes away
    Recovered,    // it went away after an action (within the watch window)
    StillPresent, // still there when the watch window after an action ended
    Resolved,     // it went away by itself
};
/// "active", "action taken, watching", "recovered", "still present", "resolved".
QString statusText(Status status);
/// JSON words: "active", "action-taken", "recovered", "still-present", "resolved".
QString statusName(Status status);

/// One diagnosed failure mode on one target (and the targets linked to it), as the user sees it.
struct Finding
{
    quint64 id = 0;  // unique for the engine's lifetime: a finding that resolves and comes back is a new one
    QString rule;    // rule::…
    QString subject; // what it is about within the target: an application, a pool "db/user", a pid
    Severity severity = Severity::Warning;
    Layer layer = Layer::Postgres;
    int targetId = 0;      // where it shows (the target whose samples raised it)
    QString target;        // that target's name (user@host:port/db or the saved name)
    QList<int> targetIds;  // every target involved, targetId first (a pooler and its PostgreSQL)
    QStringList targets;   // their names
    qint64 sinceMs = 0;    // when the condition began (from the data where it tells, e.g. a session's age)
    qint64 raisedAtMs = 0; // the sample that raised it
    qint64 lastSeenMs = 0; // the last sample where the condition held
    std::optional<qint64> endedAtMs; // resolved or recovered
    Status status = Status::Active;
    std::optional<qint64> actionAtMs; // when an action was taken on it
    QString actionTaken;              // what was done, in words
    QString summary;                  // one plain sentence: what is happening
    QStringList advice;               // what to do, numbers filled in, most useful first
    Evidence evidence;                // the figures, with stable keys
    QList<qint64> pids;               // the sessions involved (PostgreSQL pids), for selection
    QStringList pools;                // the pools involved ("db/user"), for selection
    Action action;

    bool isOpen() const { return !endedAtMs.has_value(); }
    /// rule|targetId|subject: the same condition on the same thing.
    QString key() const;
};

/// {"rule","target","targets","layer","severity","status","since","raised_at","last_seen","ended_at",
///  "summary","advice","evidence","pids","pools","action"}; times ISO 8601 UTC.
QJsonObject toJson(const Finding &finding);
/// "12:04:05" local time (the dock, markers), or ISO 8601 UTC for JSON.
QString isoTime(qint64 ms);

/// Open before ended; open ones worst first (critical, warning, info), then the oldest first; ended ones
/// by severity, then the most recently ended first.
bool worseFirst(const Finding &a, const Finding &b);

} // namespace poolscope::findings

Q_DECLARE_METATYPE(poolscope::findings::Finding)
