#include "promhistory.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <algorithm>
#include <cmath>

namespace poolscope::metrics {

std::optional<QList<PromRangeSeries>> parseRangeMatrix(const QByteArray &json, QString *error)
{
    const std::optional<QJsonArray> result = apiResult(json, QStringLiteral("matrix"), error);
    if (!result)
        return std::nullopt;
    QList<PromRangeSeries> out;
    for (const QJsonValue &v : *result) {
        const QJsonObject r = v.toObject();
        PromRangeSeries s;
        const QJsonObject metric = r.value(QStringLiteral("metric")).toObject();
        for (auto it = metric.begin(); it != metric.end(); ++it)
            s.labels.insert(it.key(), it.value().toString());
        // [[ <unix time>, "<value>" ], ...]
        const QJsonArray values = r.value(QStringLiteral("values")).toArray();
        s.times.reserve(values.size());
        s.values.reserve(values.size());
        for (const QJsonValue &point : values) {
            const QJsonArray pair = point.toArray();
            const std::optional<double> value = sampleValue(pair.at(1));
            if (pair.size() != 2 || !pair.at(0).isDouble() || !value)
                continue;
            s.times.append(pair.at(0).toDouble());
            s.values.append(*value);
        }
        out.append(s);
    }
    return out;
}

int rangeStepSeconds(double rangeS, double intervalS)
{
    const int byInterval = std::max(1, int(std::ceil(intervalS - 1e-9)));
    // range / step + 1 points: at most kMaxPointsPerSeries of them.
    const int byLimit = int(std::ceil(std::max(0.0, rangeS) / double(kMaxPointsPerSeries - 1) - 1e-9));
    return std::max(byInterval, byLimit);
}

QList<QPair<double, QList<PromSeries>>> instantSlices(const QList<PromRangeSeries> &matrix)
{
    // Range queries evaluate every series at the same timestamps (start + k × step): a map by time collects
    // each timestamp's series.
    QMap<double, QList<PromSeries>> byTime;
    for (const PromRangeSeries &s : matrix) {
        for (qsizetype i = 0; i < s.times.size(); ++i)
            byTime[s.times[i]].append(PromSeries{s.labels, s.values[i]});
    }
    QList<QPair<double, QList<PromSeries>>> out;
    out.reserve(byTime.size());
    for (auto it = byTime.cbegin(); it != byTime.cend(); ++it)
        out.append({it.key(), it.value()});
    return out;
}

QList<TargetSnapshot> historyOf(const QList<PromRangeSeries> &matrix, const DiscoveredTarget &target)
{
    QList<TargetSnapshot> out;
    for (const auto &[t, series] : instantSlices(matrix)) {
        const qint64 ms = qint64(std::llround(t * 1000.0));
        const QList<DiscoveredTarget> found = discoverTargets(series, {}, ms);
        const auto it = std::find_if(found.cbegin(), found.cend(), [&](const DiscoveredTarget &d) {
            return d.origin == target.origin && d.job == target.job && d.instance == target.instance &&
                   d.snapshot.target == target.snapshot.target;
        });
        if (it != found.cend()) {
            out.append(it->snapshot);
            continue;
        }
        // Only `up` (or nothing of this target) at that time: not scraped yet, or gone; a gap.
        TargetSnapshot gap;
        gap.target = target.snapshot.target;
        gap.kind = target.snapshot.kind;
        gap.sampledAtMs = ms;
        gap.error.kind = ErrorKind::Connect;
        gap.error.message = QStringLiteral("no series of %1 in Prometheus at that time").arg(target.instance);
        out.append(gap);
    }
    return out;
}

} // namespace poolscope::metrics
