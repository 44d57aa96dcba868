#pragma once

#include "metrics/promdiscovery.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QPair>
#include <QString>
#include <QVector>
#include <optional>

// A target's recent history read back from Prometheus: the answer of /api/v1/query_range (a matrix) parsed,
// the step that keeps every series within Prometheus's 11,000 points, and the matrix turned back into the
// target's samples by the same discovery as the current values (promdiscovery.h). Pure: JSON in, samples out.
namespace poolscope::metrics {

/// One series of a range query: its labels (with __name__) and its points, oldest first.
struct PromRangeSeries
{
    QHash<QString, QString> labels;
    QVector<double> times; // seconds since the epoch
    QVector<double> values;
};

/// The series of a query_range answer (resultType matrix); nullopt with `error` for an error answer
/// (Prometheus's errorType and error, e.g. "exceeded maximum resolution of 11,000 points") or anything that
/// is not a matrix.
std::optional<QList<PromRangeSeries>> parseRangeMatrix(const QByteArray &json, QString *error);

/// The most points Prometheus returns for one series of a range query (it refuses more).
inline constexpr int kMaxPointsPerSeries = 11000;

/// The step, in whole seconds, of a query_range over `rangeS` seconds: the read interval (at least 1 s), or
/// coarser when that would give a series more than kMaxPointsPerSeries points (range / step + 1 of them).
int rangeStepSeconds(double rangeS, double intervalS);

/// The matrix as instant vectors, one per timestamp that any series has (oldest first), each with the series
/// that have a point there.
QList<QPair<double, QList<PromSeries>>> instantSlices(const QList<PromRangeSeries> &matrix);

/// `target`'s samples over the range of `matrix` (the answer of seriesQuery(selectorOf(target))):
/// discoverTargets() at every timestamp, the target's snapshot taken from what it finds. A timestamp where
/// the target has no series, or where its exporter is down, is a failed sample (a gap in the charts), never
/// zeros. Oldest first.
QList<TargetSnapshot> historyOf(const QList<PromRangeSeries> &matrix, const DiscoveredTarget &target);

} // namespace poolscope::metrics
