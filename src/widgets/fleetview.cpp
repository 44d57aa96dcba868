#include "fleetview.h"

#include "models/targetlistmodel.h"
#include "widgets/palette.h"
#include "widgets/tableexport.h"

#include <QAction>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QPainter>
#include <QPainterPath>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>
#include <cmath>
#include <utility>

namespace poolscope::widgets {

using models::TargetListModel;

void SparklineDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option,
                              const QModelIndex &index) const
{
    QStyleOptionViewItem opt = option;
    initStyleOption(&opt, index);
    const QString text = opt.text;
    opt.text.clear();
    QStyle *style = opt.widget ? opt.widget->style() : nullptr;
    if (style)
        style->drawControl(QStyle::CE_ItemViewItem, &opt, painter, opt.widget);

    const QList<double> history = index.data(TargetListModel::HistoryRole).value<QList<double>>();
    const QRect cell = option.rect.adjusted(4, 4, -4, -4);
    const int textWidth = option.fontMetrics.horizontalAdvance(QStringLiteral("100%")) + 6;
    const QRect plot = cell.adjusted(0, 0, -textWidth, 0);
    const QRect textRect = QRect(plot.right() + 4, cell.top(), textWidth, cell.height());

    painter->save();
    painter->setRenderHint(QPainter::Antialiasing, true);
    const bool selected = opt.state & QStyle::State_Selected;
    const QPalette &pal = option.palette;
    // The 100 % limit and a faint frame, so an empty or flat history still reads as a chart.
    QColor limit = palette::limitLine(pal);
    limit.setAlphaF(0.35);
    painter->setPen(QPen(limit, 1, Qt::DashLine));
    painter->drawLine(plot.topLeft(), plot.topRight());
    const int n = int(history.size());
    if (n > 0 && plot.width() > 4) {
        const double scaleMax = 100.0;
        const auto yOf = [&](double v) {
            return plot.bottom() - std::clamp(v, 0.0, scaleMax) / scaleMax * plot.height();
        };
        const double step = double(plot.width()) / double(std::max(1, TargetListModel::HistoryLength - 1));
        const double x0 = plot.right() - step * (n - 1); // newest at the right edge
        // One filled run per stretch of successful samples: a failed sample is a gap, never bridged.
        QPainterPath line;
        QPainterPath area;
        QPolygonF run;
        double last = std::nan("");
        const auto closeRun = [&] {
            if (run.isEmpty())
                return;
            line.addPolygon(run);
            QPolygonF filled = run;
            filled.append(QPointF(run.last().x(), plot.bottom()));
            filled.append(QPointF(run.first().x(), plot.bottom()));
            area.addPolygon(filled);
            run.clear();
        };
        for (int i = 0; i < n; ++i) {
            const double v = history[i];
            if (std::isnan(v)) {
                closeRun();
                continue;
            }
            run.append(QPointF(x0 + step * i, yOf(v)));
            last = v;
        }
        closeRun();
        const QColor colour = !std::isnan(last) && last >= 90   ? palette::targetFailed(pal)
                              : !std::isnan(last) && last >= 75 ? palette::targetConnecting(pal)
                                                                : palette::targetLive(pal);
        QColor fill = selected ? pal.highlightedText().color() : colour;
        fill.setAlphaF(0.25);
        painter->fillPath(area, fill);
        painter->setPen(QPen(selected ? pal.highlightedText().color() : colour, 1.5));
        painter->drawPath(line);
    }
    painter->setPen(selected ? pal.highlightedText().color() : pal.text().color());
    painter->drawText(textRect, Qt::AlignRight | Qt::AlignVCenter, text);
    painter->restore();
}

QSize SparklineDelegate::sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const
{
    QSize s = QStyledItemDelegate::sizeHint(option, index);
    return QSize(std::max(s.width(), 180), std::max(s.height(), option.fontMetrics.height() * 2 + 8));
}

FleetView::FleetView(TargetListModel *model, QWidget *parent)
    : QWidget(parent), m_model(model), m_proxy(new QSortFilterProxyModel(this)),
      m_table(new QTableView(this)), m_summary(new QLabel(this))
{
    setObjectName(QStringLiteral("fleetView"));
    m_proxy->setSourceModel(model);
    m_proxy->setSortRole(TargetListModel::SortRole);
    m_proxy->setDynamicSortFilter(true); // re-sorts as targets get worse or better

    m_table->setObjectName(QStringLiteral("fleetTable"));
    m_table->setModel(m_proxy);
    m_table->setItemDelegateForColumn(TargetListModel::OccupancyColumn, new SparklineDelegate(m_table));
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(TargetListModel::TargetColumn, Qt::DescendingOrder); // worst first
    m_table->setWordWrap(false);
    m_table->setTextElideMode(
        Qt::ElideMiddle); // libpq puts the cause at the end: "... failed: Connection refused"
    m_table->setIconSize(QSize(12, 12));
    m_table->verticalHeader()->hide();
    // Hundreds of rows (a fleet read from Prometheus): every row the same height, the sparkline's two lines,
    // instead of measuring each row at every sample; the columns sized from the rows in view only.
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->verticalHeader()->setDefaultSectionSize(fontMetrics().height() * 2 + 10);
    m_table->horizontalHeader()->setResizeContentsPrecision(0);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setColumnWidth(TargetListModel::OccupancyColumn, 220);
    setSizedToContents(false); // until shown
    m_table->setContextMenuPolicy(Qt::CustomContextMenu);
    installTableExport(m_table, tr("fleet"));
    m_table->setToolTip(tr("Worst first. Enter opens the target; Ctrl+R retries a failed one now."));

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    m_summary->setObjectName(QStringLiteral("fleetSummary"));
    layout->addWidget(m_summary);
    layout->addWidget(m_table, 1);

    connect(m_table, &QTableView::activated, this, [this](const QModelIndex &index) {
        Q_EMIT targetActivated(m_proxy->data(index, TargetListModel::IdRole).toInt());
    });
    connect(m_table, &QWidget::customContextMenuRequested, this, &FleetView::showContextMenu);

    // Counted at most every 250 ms (a Prometheus read changes hundreds of rows, in slices), not per row.
    m_summaryTimer.setSingleShot(true);
    m_summaryTimer.setInterval(250);
    connect(&m_summaryTimer, &QTimer::timeout, this, &FleetView::updateSummary);
    const auto soon = [this] {
        // Behind the target's page (a shown window), nobody reads it: counted when shown.
        if (!isVisible() && window()->isVisible()) {
            m_summaryStale = true;
            return;
        }
        if (!m_summaryTimer.isActive())
            m_summaryTimer.start();
    };
    for (auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved})
        connect(model, signal, this, soon);
    connect(model, &QAbstractItemModel::dataChanged, this, soon);
    updateSummary();
}

void FleetView::setSizedToContents(bool sized)
{
    const auto mode = sized ? QHeaderView::ResizeToContents : QHeaderView::Interactive;
    for (int c : {TargetListModel::TargetColumn, TargetListModel::HeadroomColumn,
                  TargetListModel::WaitingColumn, TargetListModel::IdleInTransactionColumn})
        m_table->horizontalHeader()->setSectionResizeMode(c, mode);
}

void FleetView::showEvent(QShowEvent *event)
{
    setSizedToContents(true); // sizes them once for what changed while hidden
    if (std::exchange(m_summaryStale, false))
        updateSummary();
    QWidget::showEvent(event);
}

void FleetView::hideEvent(QHideEvent *event)
{
    QWidget::hideEvent(event);
    setSizedToContents(false);
}

QList<int> FleetView::displayedIds() const
{
    QList<int> ids;
    for (int row = 0; row < m_proxy->rowCount(); ++row)
        ids.append(m_proxy->index(row, 0).data(TargetListModel::IdRole).toInt());
    return ids;
}

int FleetView::currentId() const
{
    const QModelIndex current = m_table->currentIndex();
    return current.isValid() ? current.siblingAtColumn(0).data(TargetListModel::IdRole).toInt() : -1;
}

void FleetView::focusTable()
{
    m_table->setFocus();
    if (!m_table->currentIndex().isValid() && m_proxy->rowCount() > 0)
        m_table->setCurrentIndex(m_proxy->index(0, 0));
}

void FleetView::updateSummary()
{
    int trouble = 0;
    int attention = 0;
    for (int row = 0; row < m_model->rowCount(); ++row) {
        const auto state = TargetState(m_model->index(row, 0).data(TargetListModel::StateRole).toInt());
        if (TargetListModel::isTrouble(state))
            ++trouble;
        else if (!m_model->index(row, TargetListModel::AttentionColumn).data().toString().isEmpty())
            ++attention;
    }
    const int n = m_model->rowCount();
    QString text = tr("<b>Fleet</b>: %n target(s)", nullptr, n);
    if (trouble > 0)
        text += tr(" · <span style=\"color:#d62839\"><b>%n not sampling</b></span>", nullptr, trouble);
    if (attention > 0)
        text += tr(" · <b>%n need(s) attention</b>", nullptr, attention);
    if (n > 0 && trouble == 0 && attention == 0)
        text += tr(" · all live, nothing waiting");
    m_summary->setText(text);
}

void FleetView::showContextMenu(const QPoint &pos)
{
    const QModelIndex index = m_table->indexAt(pos);
    if (!index.isValid())
        return;
    const int id = index.siblingAtColumn(0).data(TargetListModel::IdRole).toInt();
    const auto state = TargetState(index.siblingAtColumn(0).data(TargetListModel::StateRole).toInt());
    QMenu menu(this);
    menu.addAction(tr("Open"), this, [this, id] { Q_EMIT targetActivated(id); });
    QAction *retry = menu.addAction(tr("Retry now"), this, [this, id] { Q_EMIT retryRequested(id); });
    retry->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    retry->setEnabled(TargetListModel::isTrouble(state));
    QAction *edit = menu.addAction(tr("Edit…"), this, [this, id] { Q_EMIT editRequested(id); });
    const QString whyNot = m_whyNotEditable ? m_whyNotEditable(id) : QString();
    edit->setEnabled(whyNot.isEmpty());
    edit->setToolTip(whyNot);
    menu.setToolTipsVisible(true);
    addTableExport(menu, m_table);
    menu.exec(m_table->viewport()->mapToGlobal(pos));
}

} // namespace poolscope::widgets
