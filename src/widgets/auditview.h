#pragma once

#include <QString>
#include <QWidget>

class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QStandardItemModel;
class QTableView;
class QTimer;

namespace poolscope::widgets {

/// The audit trail as a table (View → Audit trail, Ctrl+Shift+A; a dock tabbed with the log): one row per
/// line of the audit log this application and the CLI write (core/auditlog.h), newest first, with its time,
/// action, target, sessions (pids, pool or load run), result and source; a text filter over every column;
/// the full JSON line as the row's tooltip. Lines are read from the file itself, so actions of `poolscope
/// terminate` in a shell show up too: re-read every second while the view is visible (appended lines only,
/// the whole file again when it was replaced or truncated). GUI thread only.
class AuditView : public QWidget
{
    Q_OBJECT
public:
    enum Column
    {
        Time,
        Action,
        Target,
        Sessions,
        Result,
        Source,
        ColumnCount
    };
    static constexpr int kMaxRows = 5000; // the newest; older lines stay in the file

    explicit AuditView(QWidget *parent = nullptr);

    /// Reads what was appended since the last read (everything after a path change or truncation).
    void reload();
    /// Rows shown after the filter.
    int rowCount() const;
    QString text(int row, Column column) const;
    QLineEdit *filterEdit() const { return m_filter; }
    QTableView *tableView() const { return m_table; }

protected:
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;

private:
    void updateCount();

    QLineEdit *m_filter = nullptr;
    QLabel *m_count = nullptr;
    QTableView *m_table = nullptr;
    QStandardItemModel *m_model = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    QTimer *m_poll = nullptr;
    QString m_path;
    qint64 m_offset = 0;
};

} // namespace poolscope::widgets
