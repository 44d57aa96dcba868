#pragma once

#include "core/targetsnapshot.h"

#include <QByteArray>
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <optional>

// Reading a fleet back from Prometheus: which PostgreSQL and PgBouncer instances its series describe, and
// each as the sample types the rest of PoolScope uses. Three sources are recognised: PoolScope's own export
// (a `target` label on every series), postgres_exporter (pg_*), pgbouncer_exporter (pgbouncer_*, both the
// pgbouncer_stats_* and the pgbouncer_stats_totals_* spellings). Pure: JSON in, snapshots out.
namespace poolscope::metrics {

/// One series of an instant vector: its labels (with __name__) and value.
struct PromSeries
{
    QHash<QString, QString> labels;
    double value = 0;

    QString name() const { return labels.value(QStringLiteral("__name__")); }
};

/// The `data.result` array of a Prometheus HTTP API answer whose resultType is `resultType` ("vector",
/// "matrix"); nullopt with `error` for an error answer (Prometheus's errorType and error), anything that is
/// not JSON, or another result type.
std::optional<QJsonArray> apiResult(const QByteArray &json, const QString &resultType, QString *error);
/// A sample value as Prometheus writes it ("1", "0.25", "NaN", "+Inf", "-Inf"); nullopt for anything else.
std::optional<double> sampleValue(const QJsonValue &v);

/// The series of a Prometheus /api/v1/query answer (resultType vector); nullopt with `error` for an error
/// answer ("status":"error", with Prometheus's errorType and error) or anything that is not one.
std::optional<QList<PromSeries>> parseInstantVector(const QByteArray &json, QString *error);

/// Which discovered target a query is about: its job and instance, and for PoolScope's export its `target`
/// label (empty for an exporter's series, which have none: PromQL's target="" matches a missing label).
struct TargetSelector
{
    QString job;
    QString instance;
    QString target;
};

/// The PromQL of the current values: `up` and every series the discovery reads, plus the transaction rates
/// Prometheus computes from the counters (over kRateWindowS) as pg_read_tps, pg_read_rollbacks_per_second and
/// pgbouncer_read_tps (with a `poolscope_read` label). `only` restricts it to one target (query_range of its
/// history).
QString seriesQuery(const std::optional<TargetSelector> &only);
QString currentSeriesQuery();
/// The window of the rates above: four scrapes at the 15 s scrape interval most Prometheus servers use.
inline constexpr int kRateWindowS = 60;
/// The PromQL of what was there recently (`window`, e.g. "1h"): which instances to expect, so that one whose
/// exporter went down is listed as failed instead of vanishing.
QString knownTargetsQuery(const QString &window = QStringLiteral("1h"));

/// One instance found in Prometheus, as a sample.
struct DiscoveredTarget
{
    TargetSnapshot snapshot; // kind, ok / error, and the postgres or bouncer sample
    QString origin;          // "poolscope", "postgres_exporter" or "pgbouncer_exporter"
    QString job;
    QString instance;
    // PostgreSQL figures an exporter reports without a session list (PostgresSample computes them from
    // sessions): the oldest transaction's age, and for PoolScope's export the oldest idle in transaction.
    std::optional<double> oldestXactAgeS;
    std::optional<double> oldestIdleInTransactionS;
};

/// The selector of a target discovered in Prometheus (its origin's job, instance and target label).
TargetSelector selectorOf(const DiscoveredTarget &target);

/// Groups `current` (the answer of currentSeriesQuery) into targets; `known` (knownTargetsQuery) adds the
/// ones that have no current series. A target whose exporter is down (up 0), whose exporter cannot reach
/// its server (pg_up / pgbouncer_up 0), that PoolScope cannot sample (poolscope_target_up 0) or that has no
/// current series is failed with a message saying which; a series that is missing stays unknown, never 0.
/// Sorted by name.
QList<DiscoveredTarget> discoverTargets(const QList<PromSeries> &current, const QList<PromSeries> &known,
                                        qint64 nowMs);

/// What a read found, in words for the targets dialog's connection test: how many instances of each kind,
/// how many failed, then one line per instance (the first `maxLines`, failed ones first, with the reason).
QString fleetSummary(const QList<DiscoveredTarget> &targets, int maxLines = 20);

/// The `snapshot --json` entry of a discovered target: the usual shape plus "source":"prometheus" and
/// "prometheus":{"origin","job","instance"}.
QJsonObject toJson(const DiscoveredTarget &target);

} // namespace poolscope::metrics
