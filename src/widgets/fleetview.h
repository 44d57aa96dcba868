#pragma once

#include <QStyledItemDelegate>
#include <QTimer>
#include <QWidget>
#include <functional>

class QLabel;
class QSortFilterProxyModel;
class QTableView;

namespace poolscope::models {
class TargetListModel;
}

namespace poolscope::widgets {

/// Paints TargetListModel::HistoryRole as a sparkline (occupancy %, 0–100 with a 100 % limit line; gaps for
/// failed samples) with the current value as text.
class SparklineDelegate : public QStyledItemDelegate
{
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
};

/// The fleet overview: one row per target (state, occupancy sparkline, headroom, waiting, idle in
/// transaction, what needs attention), worst first. Enter or a double-click opens the target's page; the
/// context menu retries a failed or reconnecting target at once (the window's Ctrl+R does too).
class FleetView : public QWidget
{
    Q_OBJECT
public:
    explicit FleetView(models::TargetListModel *model, QWidget *parent = nullptr);

    QTableView *table() const { return m_table; }
    /// Target ids in display order (worst first unless the user sorted by another column).
    QList<int> displayedIds() const;
    /// The id of the current row, -1 when none.
    int currentId() const;
    /// Keyboard focus to the table, on the worst target when no row is current.
    void focusTable();
    /// Why target `id` cannot be edited (empty: it can), for the context menu's Edit….
    void setEditCheck(std::function<QString(int id)> whyNot) { m_whyNotEditable = std::move(whyNot); }

Q_SIGNALS:
    void targetActivated(int id);
    void retryRequested(int id);
    void editRequested(int id);

protected:
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    /// The columns and rows sized to their contents, or left as they are: a hidden overview (one target's
    /// page shown) would otherwise measure every cell's text on every sample (most of the window's CPU at
    /// 10 Hz).
    void setSizedToContents(bool sized);
    void updateSummary();
    void showContextMenu(const QPoint &pos);

    models::TargetListModel *m_model;
    QSortFilterProxyModel *m_proxy;
    QTableView *m_table;
    QLabel *m_summary;
    std::function<QString(int)> m_whyNotEditable;
    QTimer m_summaryTimer;
    bool m_summaryStale = false; // rows changed while hidden in a shown window
};

} // namespace poolscope::widgets
