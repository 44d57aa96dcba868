#include "chartmarkers.h"

#include <QFontMetrics>
#include <algorithm>

namespace poolscope::widgets {

namespace {

constexpr int SpanFillAlpha = 35;
constexpr int SpanEdgeAlpha = 140;
constexpr int EventFillAlpha = 16;
constexpr int LabelBackgroundAlpha = 215;
constexpr int LabelGap = 4;      // between two labels on the same row
constexpr double NearPixels = 4; // a line this close to the mouse shows its tooltip

QColor markerColor(const ChartMarker &m, const QPalette &palette)
{
    return m.color.isValid() ? m.color : palette.color(QPalette::Highlight);
}

QColor withAlpha(QColor c, int alpha)
{
    c.setAlpha(alpha);
    return c;
}

} // namespace

void ChartMarkers::clearItems()
{
    for (const Items &items : std::as_const(m_items)) {
        for (QCPAbstractItem *item :
             {static_cast<QCPAbstractItem *>(items.span), static_cast<QCPAbstractItem *>(items.startLine),
              static_cast<QCPAbstractItem *>(items.endLine), static_cast<QCPAbstractItem *>(items.label)}) {
            if (item)
                m_plot->removeItem(item);
        }
    }
    m_items.clear();
}

QCPItemLine *ChartMarkers::addLine()
{
    auto *line = new QCPItemLine(m_plot);
    line->setLayer(QStringLiteral("grid"));
    line->setClipToAxisRect(true);
    line->start->setTypeY(QCPItemPosition::ptAxisRectRatio);
    line->end->setTypeY(QCPItemPosition::ptAxisRectRatio);
    line->setSelectable(false);
    return line;
}

bool ChartMarkers::set(const QList<ChartMarker> &markers)
{
    if (markers == m_markers)
        return false;
    clearItems();
    m_markers = markers;
    for (const ChartMarker &m : std::as_const(m_markers)) {
        Items items;
        // Behind the data (the grid layer), full height whatever the y range.
        items.span = new QCPItemRect(m_plot);
        items.span->setLayer(QStringLiteral("grid"));
        items.span->setClipToAxisRect(true);
        items.span->topLeft->setTypeY(QCPItemPosition::ptAxisRectRatio);
        items.span->bottomRight->setTypeY(QCPItemPosition::ptAxisRectRatio);
        items.span->setSelectable(false);
        if (m.kind == ChartMarker::Kind::Event) {
            items.startLine = addLine();
            items.endLine = addLine();
        }
        // Labels above the data, on a background of their own, so a busy chart does not hide them.
        items.label = new QCPItemText(m_plot);
        items.label->setLayer(QStringLiteral("axes"));
        items.label->setClipToAxisRect(true);
        items.label->position->setTypeY(QCPItemPosition::ptAbsolute);
        items.label->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
        items.label->setPadding(QMargins(3, 1, 3, 1));
        items.label->setSelectable(false);
        m_items.append(items);
    }
    return true;
}

void ChartMarkers::update(const QCPRange &range, const QPalette &palette)
{
    const QRect area = m_plot->axisRect()->rect();
    const QFontMetrics fm(m_plot->font());
    const int rowHeight = fm.height() + 4;
    const int rows = std::clamp(area.height() / 3 / std::max(1, rowHeight), 1, MaxLabelRows);
    // Labels left to right; each takes the first row where it clears the previous label. Findings (events)
    // stack down from the top, load runs (spans) up from the bottom, so the two kinds never compete.
    QList<qsizetype> order;
    for (qsizetype i = 0; i < m_markers.size(); ++i)
        order.append(i);
    const auto labelX = [&](qsizetype i) {
        return std::max(m_markers.at(i).start, range.lower);
    };
    std::stable_sort(order.begin(), order.end(),
                     [&](qsizetype a, qsizetype b) { return labelX(a) < labelX(b); });
    QList<double> topRight(rows, -std::numeric_limits<double>::infinity());
    QList<double> bottomRight = topRight;

    for (qsizetype i : std::as_const(order)) {
        const ChartMarker &m = m_markers.at(i);
        const Items &items = m_items.at(i);
        const QColor color = markerColor(m, palette);
        const bool event = m.kind == ChartMarker::Kind::Event;
        const double end = m.isOngoing() ? std::max(range.upper, m.start) : m.end;
        items.span->topLeft->setCoords(m.start, 0);
        items.span->bottomRight->setCoords(end, 1);
        if (!event) {
            items.span->setBrush(withAlpha(color, SpanFillAlpha));
            items.span->setPen(QPen(withAlpha(color, SpanEdgeAlpha), 1, Qt::DashLine));
        } else {
            items.span->setBrush(withAlpha(color, EventFillAlpha));
            items.span->setPen(Qt::NoPen);
            items.startLine->start->setCoords(m.start, 0);
            items.startLine->end->setCoords(m.start, 1);
            items.startLine->setPen(QPen(color, 1.5));
            items.endLine->setVisible(!m.isOngoing());
            items.endLine->start->setCoords(end, 0);
            items.endLine->end->setCoords(end, 1);
            items.endLine->setPen(QPen(color, 1.5, Qt::DashLine));
        }

        QCPItemText *label = items.label;
        label->setText(m.label);
        label->setColor(palette.color(QPalette::Text));
        label->setFont(m_plot->font());
        const bool inRange = m.start <= range.upper && end >= range.lower;
        const double width = fm.horizontalAdvance(m.label) + 6;
        // A label that would run out of the plot on the right moves left, so it stays readable.
        const double left = std::max(double(area.left()), std::min(m_plot->xAxis->coordToPixel(labelX(i)),
                                                                   double(area.right()) - width));
        QList<double> &rowRight = event ? topRight : bottomRight;
        int row = 0;
        while (row < rows && rowRight[row] > left)
            ++row;
        const bool shown = inRange && !m.label.isEmpty() && row < rows;
        label->setVisible(shown);
        if (!shown)
            continue;
        rowRight[row] = left + width + LabelGap;
        const double y = event ? area.top() + 1 + row * rowHeight : area.bottom() - (row + 1) * rowHeight;
        label->position->setCoords(m_plot->xAxis->pixelToCoord(left), y);
        label->setPen(event ? QPen(color, 1) : QPen(Qt::NoPen));
        label->setBrush(event ? QBrush(withAlpha(palette.color(QPalette::Base), LabelBackgroundAlpha))
                              : QBrush(Qt::NoBrush));
    }
}

QRectF ChartMarkers::labelRect(qsizetype i) const
{
    const QCPItemText *label = m_items.at(i).label;
    if (!label->visible())
        return {};
    const QFontMetrics fm(m_plot->font());
    const QPointF p = label->position->pixelPosition();
    return QRectF(p.x(), p.y(), fm.horizontalAdvance(label->text()) + 6, fm.height() + 2);
}

QList<QRectF> ChartMarkers::labelRects() const
{
    QList<QRectF> out;
    for (qsizetype i = 0; i < m_items.size(); ++i) {
        if (const QRectF r = labelRect(i); !r.isNull())
            out.append(r);
    }
    return out;
}

QString ChartMarkers::toolTipAt(const QPointF &pos) const
{
    for (qsizetype i = 0; i < m_items.size(); ++i) {
        const ChartMarker &m = m_markers.at(i);
        if (m.toolTip.isEmpty())
            continue;
        const bool onLine =
            m_items.at(i).startLine && std::abs(pos.x() - m_plot->xAxis->coordToPixel(m.start)) <= NearPixels;
        if (onLine || labelRect(i).contains(pos))
            return m.toolTip;
    }
    return {};
}

} // namespace poolscope::widgets
