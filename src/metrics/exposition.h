#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>

// Prometheus exposition: metric families and their rendering as the text format 0.0.4 or OpenMetrics 1.0.
// Pure: no sockets, no clocks.
namespace poolscope::metrics {

enum class MetricType
{
    Gauge,
    Counter,
};

using Labels = QList<QPair<QString, QString>>;

struct MetricSample
{
    Labels labels;
    double value = 0;
};

/// One family: every sample of one metric name, rendered together (neither format allows interleaving).
/// `name` is the family name: for a counter without `_total` (the renderer adds it to every sample, and to
/// the 0.0.4 TYPE line); with a unit it ends with `_<unit>` (`..._seconds`).
struct MetricFamily
{
    QString name;
    MetricType type = MetricType::Gauge;
    QString unit; // "seconds", "bytes"; empty for none
    QString help;
    QList<MetricSample> samples;
};

enum class Format
{
    Text004,       // text/plain; version=0.0.4
    OpenMetrics10, // application/openmetrics-text; version=1.0.0
};

/// Families in the order they were first named; samples are appended to the family of their name.
class Exposition
{
public:
    /// The family `name`, created with this type, unit and help on first use.
    MetricFamily &family(const QString &name, MetricType type, const QString &help, const QString &unit = {});
    void gauge(const QString &name, const QString &help, const Labels &labels, double value,
               const QString &unit = {});
    void counter(const QString &name, const QString &help, const Labels &labels, double value,
                 const QString &unit = {});
    const QList<MetricFamily> &families() const { return m_families; }
    /// Families without samples are left out: both formats would accept them, but they say nothing.
    QByteArray render(Format format) const;

private:
    QList<MetricFamily> m_families;
};

QByteArray render(const QList<MetricFamily> &families, Format format);

/// The format an Accept header asks for: OpenMetrics 1.0 when it prefers application/openmetrics-text (no
/// version or version 1.0.0) at least as much as text/plain; the 0.0.4 text format otherwise (and without
/// a header).
Format negotiate(const QByteArray &accept);
QByteArray contentType(Format format);

/// A sample value as both formats want it: integers without a decimal point, the shortest text that reads
/// back to the same double otherwise, NaN, +Inf, -Inf.
QByteArray formatValue(double value);
/// A label value with `\`, `"` and newlines escaped.
QByteArray escapeLabelValue(const QString &value);

} // namespace poolscope::metrics
