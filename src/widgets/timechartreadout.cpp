// TimeChart's hover readout: the values of every series at the sample under the cursor, and what a finding's
// marker there means.
#include "timechart.h"

#include "core/timeseries.h"
#include "widgets/chartmarkers.h"

#include <QDateTime>
#include <QMouseEvent>
#include <QToolTip>
#include <cmath>

namespace poolscope::widgets {

namespace {

QString timeText(double t)
{
    return QDateTime::fromMSecsSinceEpoch(qint64(std::llround(t * 1000)))
        .toString(QStringLiteral("HH:mm:ss"));
}

} // namespace

void TimeChart::leaveEvent(QEvent *event)
{
    QToolTip::hideText();
    QCustomPlot::leaveEvent(event);
}

void TimeChart::onMouseMove(QMouseEvent *event)
{
    const QPoint pos = event->position().toPoint();
    if (!axisRect()->rect().contains(pos)) {
        QToolTip::hideText();
        return;
    }
    const double key = xAxis->pixelToCoord(pos.x());
    const double tolerance = std::abs(xAxis->pixelToCoord(pos.x() + 12) - key);
    QString text = valuesText(key, tolerance);
    // A finding's line or label under the cursor: what it is, above the values.
    if (const QString marker = m_markers->toolTipAt(event->position()); !marker.isEmpty())
        text = text.isEmpty() ? marker : marker + QStringLiteral("\n\n") + text;
    if (text.isEmpty())
        QToolTip::hideText();
    else
        QToolTip::showText(event->globalPosition().toPoint() + QPoint(14, 14), text, this);
}

QString TimeChart::valuesText(double key, double maxDistance) const
{
    if (!m_set)
        return {};
    // The sample time nearest to the cursor, taken from the first series that has data.
    const TimeSeries *reference = nullptr;
    for (const Series &s : m_series) {
        reference = m_set->find(s.name);
        if (reference && !reference->isEmpty())
            break;
    }
    if (!reference || reference->isEmpty())
        return {};
    const bool raw = m_level == 0;
    double t = 0;
    if (raw) {
        const int i = reference->lowerBound(key);
        int best = -1;
        for (int j : {i - 1, i}) {
            if (j >= 0 && j < reference->size() &&
                (best < 0 || std::abs(reference->timeAt(j) - key) < std::abs(reference->timeAt(best) - key)))
                best = j;
        }
        t = reference->timeAt(best);
        // Sparse samples: accept anything within half the spacing to the neighbouring sample.
        double spacing = 0;
        if (best > 0)
            spacing = t - reference->timeAt(best - 1);
        else if (best + 1 < reference->size())
            spacing = reference->timeAt(best + 1) - t;
        if (std::abs(t - key) > std::max(maxDistance, spacing * 0.5))
            return {};
    } else {
        // Rollups: the bucket under the cursor.
        const HistoryPoints bucket = reference->pointNear(m_level, key, maxDistance);
        if (bucket.size() == 0)
            return {};
        t = bucket.keys[0];
    }
    const double tolerance = raw ? 1e-3 : m_resolution / 2 - 1e-6;
    struct Value
    {
        std::optional<double> mean;
        std::optional<double> max;
    };
    auto valueOf = [&](const QString &name) {
        const TimeSeries *ts = m_set->find(name);
        if (!ts)
            return Value{};
        if (raw)
            return Value{ts->valueNear(t, tolerance), std::nullopt};
        const HistoryPoints p = ts->pointNear(m_level, t, tolerance);
        if (p.size() == 0 || std::isnan(p.mean[0]))
            return Value{};
        return Value{p.mean[0], p.max[0]};
    };

    auto number = [this](std::optional<double> v, bool mean) {
        if (!v)
            return QStringLiteral("—");
        if (m_integer && !mean)
            return QString::number(std::llround(*v));
        const double a = std::abs(*v);
        return QString::number(*v, 'f', a >= 100 ? 0 : (a >= 10 || m_integer ? 1 : 2));
    };
    auto format = [&](const Value &v) -> QString {
        if (raw)
            return QStringLiteral("<b>") + number(v.mean, false) + QStringLiteral("</b>");
        return QStringLiteral("<b>") + number(v.mean, true) + QStringLiteral("</b>&nbsp;&nbsp;") + tr("max") +
               QStringLiteral(" <b>") + number(v.max, false) + QStringLiteral("</b>");
    };
    auto row = [](const QColor &color, const QString &label, const QString &value) {
        const QString swatch =
            color.alpha() == 0 ? QStringLiteral("&nbsp;&nbsp;")
                               : QStringLiteral("<span style=\"color:%1\">&#9632;</span>").arg(color.name());
        return QStringLiteral("<tr><td>%1 %2</td><td align=\"right\">&nbsp;&nbsp;%3</td></tr>")
            .arg(swatch, label.toHtmlEscaped(), value);
    };

    QString html;
    if (raw) {
        html = QStringLiteral("<b>") + timeText(t) + QStringLiteral("</b>");
    } else {
        const double start = std::floor(t / m_resolution) * m_resolution;
        html = QStringLiteral("<b>") + timeText(start) + QStringLiteral("–") +
               timeText(start + m_resolution) + QStringLiteral("</b> ") +
               tr("(mean, max of %1)").arg(TimeChart::resolutionText(m_resolution));
    }
    html += QStringLiteral("<table cellspacing=\"0\">");
    double total = 0;
    bool totalKnown = true;
    // Stacked charts list the top layer first, as drawn.
    std::vector<const Series *> order;
    for (const Series &s : m_series)
        order.push_back(&s);
    if (m_mode == Mode::StackedArea)
        std::reverse(order.begin(), order.end());
    for (const Series *s : order) {
        const Value v = valueOf(s->name);
        if (v.mean)
            total += *v.mean;
        else
            totalKnown = false;
        html += row(s->color(palette()), s->label, format(v));
    }
    if (m_mode == Mode::StackedArea && m_series.size() > 1) {
        Value sum{totalKnown ? std::optional(total) : std::nullopt, std::nullopt};
        if (!raw && m_peak)
            sum.max = valueOf(m_peak->name).max;
        html += row(QColor(Qt::transparent), tr("total"), format(sum));
    }
    for (const Series &l : m_limits)
        html += row(l.color(palette()), l.label, format(valueOf(l.name)));
    html += QStringLiteral("</table>");
    return html;
}

} // namespace poolscope::widgets
