#pragma once

#include "widgets/qcp.h"

#include <QColor>
#include <QList>
#include <QPalette>
#include <QString>
#include <cmath>
#include <limits>

namespace poolscope::widgets {

/// Something that happened over a span of time, marked on a chart's time axis. Seconds since the epoch; an
/// end of NaN is still going on and reaches the newest sample.
struct ChartMarker
{
    enum class Kind
    {
        Span,  // shaded from start to end, labelled at its bottom left: a simulated load run
        Event, // a solid line where it started and a dashed one where it ended, in `color`: a finding
    };
    double start = 0;
    double end = std::numeric_limits<double>::quiet_NaN();
    QString label;
    Kind kind = Kind::Span;
    QColor color; // invalid: the palette's highlight colour
    QString toolTip;

    bool isOngoing() const { return std::isnan(end); }
    bool operator==(const ChartMarker &o) const
    {
        return start == o.start && label == o.label && kind == o.kind && color == o.color &&
               toolTip == o.toolTip && (end == o.end || (std::isnan(end) && std::isnan(o.end)));
    }
};

/// The QCustomPlot items that draw a chart's markers, and their layout: labels are stacked in rows, events'
/// from the top of the axis rect down and spans' from the bottom up, so that none covers another (a label
/// that finds no free row within a third of the height is left out; its lines stay, and its tooltip). A label
/// that would run out on the right moves left. GUI thread only; the plot owns the items.
class ChartMarkers
{
public:
    explicit ChartMarkers(QCustomPlot *plot) : m_plot(plot) {}

    /// False when nothing changed (no items are touched then).
    bool set(const QList<ChartMarker> &markers);
    const QList<ChartMarker> &markers() const { return m_markers; }
    /// Places the items for the visible x range; call before each replot.
    void update(const QCPRange &range, const QPalette &palette);
    /// Labels drawn at the last update(), in marker order (tests: none may overlap another).
    QList<QRectF> labelRects() const;
    /// The tooltip of the marker whose line or label is near pixel `pos`; empty when none.
    QString toolTipAt(const QPointF &pos) const;

    static constexpr int MaxLabelRows = 4;

private:
    struct Items
    {
        QCPItemRect *span = nullptr;
        QCPItemLine *startLine = nullptr;
        QCPItemLine *endLine = nullptr;
        QCPItemText *label = nullptr;
    };
    void clearItems();
    QCPItemLine *addLine();
    QRectF labelRect(qsizetype i) const; // null when the label is hidden

    QCustomPlot *m_plot;
    QList<ChartMarker> m_markers;
    QList<Items> m_items;
};

} // namespace poolscope::widgets
