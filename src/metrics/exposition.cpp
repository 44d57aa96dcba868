#include "exposition.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace poolscope::metrics {

namespace {

QByteArray escapeHelp(const QString &help, Format format)
{
    QByteArray out;
    const QByteArray utf8 = help.toUtf8();
    out.reserve(utf8.size());
    for (char c : utf8) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else if (c == '"' && format == Format::OpenMetrics10)
            out += "\\\""; // OpenMetrics escapes quotes in HELP too; 0.0.4 does not
        else
            out += c;
    }
    return out;
}

QByteArray labelsText(const Labels &labels)
{
    if (labels.isEmpty())
        return {};
    QByteArray out = "{";
    for (qsizetype i = 0; i < labels.size(); ++i) {
        if (i > 0)
            out += ',';
        out += labels.at(i).first.toUtf8();
        out += "=\"";
        out += escapeLabelValue(labels.at(i).second);
        out += '"';
    }
    out += '}';
    return out;
}

} // namespace

QByteArray formatValue(double value)
{
    if (std::isnan(value))
        return QByteArrayLiteral("NaN");
    if (std::isinf(value))
        return value > 0 ? QByteArrayLiteral("+Inf") : QByteArrayLiteral("-Inf");
    if (value == std::trunc(value) && std::fabs(value) < 9007199254740992.0) // 2^53: exact integers
        return QByteArray::number(qint64(value));
    char buf[64];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value); // shortest round-trip text
    if (ec != std::errc())
        return QByteArray::number(value, 'g', 17);
    return QByteArray(buf, int(end - buf));
}

QByteArray escapeLabelValue(const QString &value)
{
    QByteArray out;
    const QByteArray utf8 = value.toUtf8();
    out.reserve(utf8.size());
    for (char c : utf8) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

MetricFamily &Exposition::family(const QString &name, MetricType type, const QString &help,
                                 const QString &unit)
{
    for (MetricFamily &f : m_families) {
        if (f.name == name)
            return f;
    }
    m_families.append(MetricFamily{name, type, unit, help, {}});
    return m_families.last();
}

void Exposition::gauge(const QString &name, const QString &help, const Labels &labels, double value,
                       const QString &unit)
{
    family(name, MetricType::Gauge, help, unit).samples.append(MetricSample{labels, value});
}

void Exposition::counter(const QString &name, const QString &help, const Labels &labels, double value,
                         const QString &unit)
{
    family(name, MetricType::Counter, help, unit).samples.append(MetricSample{labels, value});
}

QByteArray Exposition::render(Format format) const
{
    return metrics::render(m_families, format);
}

QByteArray render(const QList<MetricFamily> &families, Format format)
{
    const bool om = format == Format::OpenMetrics10;
    QByteArray out;
    for (const MetricFamily &f : families) {
        if (f.samples.isEmpty())
            continue;
        const QByteArray name = f.name.toUtf8();
        const bool counter = f.type == MetricType::Counter;
        const QByteArray sampleName = counter ? name + "_total" : name;
        // 0.0.4 names the family by its sample name; OpenMetrics by the name without the _total suffix.
        const QByteArray familyName = om ? name : sampleName;
        const QByteArray typeWord = counter ? "counter" : "gauge";
        if (om) {
            // OpenMetrics metadata order: TYPE, UNIT, HELP.
            out += "# TYPE " + familyName + ' ' + typeWord + '\n';
            if (!f.unit.isEmpty())
                out += "# UNIT " + familyName + ' ' + f.unit.toUtf8() + '\n';
            out += "# HELP " + familyName + ' ' + escapeHelp(f.help, format) + '\n';
        } else {
            out += "# HELP " + familyName + ' ' + escapeHelp(f.help, format) + '\n';
            out += "# TYPE " + familyName + ' ' + typeWord + '\n';
        }
        for (const MetricSample &s : f.samples)
            out += sampleName + labelsText(s.labels) + ' ' + formatValue(s.value) + '\n';
    }
    if (om)
        out += "# EOF\n";
    return out;
}

Format negotiate(const QByteArray &accept)
{
    double omQ = -1, textQ = -1;
    for (const QByteArray &range : accept.split(',')) {
        const QList<QByteArray> parts = range.split(';');
        const QByteArray type = parts.first().trimmed().toLower();
        double q = 1.0;
        QByteArray version;
        for (qsizetype i = 1; i < parts.size(); ++i) {
            const QByteArray p = parts.at(i).trimmed();
            const qsizetype eq = p.indexOf('=');
            if (eq < 0)
                continue;
            const QByteArray key = p.left(eq).trimmed().toLower();
            const QByteArray value = p.mid(eq + 1).trimmed();
            if (key == "q") {
                bool ok = false;
                const double v = value.toDouble(&ok);
                q = ok ? v : 0;
            } else if (key == "version") {
                version = value;
            }
        }
        if (type == "application/openmetrics-text" && (version.isEmpty() || version == "1.0.0"))
            omQ = std::max(omQ, q);
        else if (type == "text/plain" || type == "text/*" || type == "*/*")
            textQ = std::max(textQ, q);
    }
    return omQ > 0 && omQ >= textQ ? Format::OpenMetrics10 : Format::Text004;
}

QByteArray contentType(Format format)
{
    return format == Format::OpenMetrics10
               ? QByteArrayLiteral("application/openmetrics-text; version=1.0.0; charset=utf-8")
               : QByteArrayLiteral("text/plain; version=0.0.4; charset=utf-8");
}

} // namespace poolscope::metrics
