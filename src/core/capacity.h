#pragma once

#include "erlang.h"
#include "plan.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <optional>

/// The planner's arithmetic over a Plan: the worst case of every layer against its limit, the limit that
/// breaks first, how far each application and pooler can scale out, and the queueing of each application's
/// requests for connections (Erlang C). Pure; `poolscope plan` and the Planner page print it.
namespace poolscope::capacity {

/// One limit and what may come against it at worst.
struct Layer
{
    QString id;   // "postgres.max_connections", "pgbouncer.max_client_conn", "pgbouncer.pool app/app",
                  // "app web"
    QString what; // in words: "server connections PostgreSQL must accept"
    qint64 worstCase = 0;
    std::optional<qint64> limit; // nullopt: no limit (an application's own clients, an unlimited pool)
    bool hard = true;            // refuses or fails past its limit; false: queues (a transaction-mode pool)
    QString detail;              // how the worst case adds up, in words and numbers
    QList<std::pair<QString, qint64>> parts; // who contributes to the worst case (applications, poolers)

    bool fits() const { return !limit || worstCase <= *limit; }
    /// worst / limit; nullopt without a limit.
    std::optional<double> utilisation() const;
};

struct ScaleOut
{
    QString kind; // "app", "pooler"
    QString name;
    int instances = 0;               // as planned
    std::optional<int> maxInstances; // the largest count that fits, others unchanged; nullopt: none fits
    std::optional<int>
        minInstances;       // poolers: the smallest count that fits (more instances hold more clients)
    bool unbounded = false; // fits at any count tried (up to 100,000)
};

enum class Level
{
    Ok,
    Warning, // utilisation >= 0.85
    Critical // >= 0.95, or unstable
};

struct QueueResult
{
    QString app;
    int servers = 0; // connections its requests can actually hold
    QString serversDetail;
    erlang::Queue queue;
    Level level = Level::Ok;
};

struct Result
{
    qint64 worstCaseBackends = 0;
    int usableBackends = 0;
    bool fits = true;
    QString firstLimit; // the hard limit that breaks first, or the tightest one when everything fits
    QList<Layer> layers;
    QList<ScaleOut> scaleOut;
    QList<QueueResult> queues;
};

/// Worst cases and limits only (no scale-out search, no queues): cheap enough for a what-if slider.
Result layers(const plan::Plan &plan);
/// Everything.
Result evaluate(const plan::Plan &plan);

QString levelName(Level level); // "ok", "warning", "critical"
/// {"worst_case_backends","usable_backends","fits","first_limit","layers":[…],"scale_out":[…],"queues":[…]}
QJsonObject toJson(const Result &result);

} // namespace poolscope::capacity
