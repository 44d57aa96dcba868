#pragma once

#include "core/snapshot.h"

#include <QAbstractTableModel>
#include <QList>

namespace poolscope::models {

/// PgBouncer's SHOW POOLS as a live table. merge() diffs by PoolStats::key() into row inserts, removals and
/// dataChanged, never a reset, so selection and scroll position survive each sample. Unknown counters (a
/// column this PgBouncer version does not have) are shown as "—", never as 0. GUI thread only.
class PoolsModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column
    {
        Database,
        User,
        PoolMode,
        PoolSize,
        ClActive,
        ClWaiting,
        SvActive,
        SvIdle,
        SvUsed,
        SvTested,
        SvLogin,
        MaxWait,
        ColumnCount
    };
    Q_ENUM(Column)

    enum Role
    {
        SortRole = Qt::UserRole, // numbers for numeric columns (unknown sorts below 0), text otherwise
        KeyRole,                 // "db/user"
    };

    /// Shown for unknown values.
    static QString unknownText();

    explicit PoolsModel(QObject *parent = nullptr);

    void merge(const QList<PoolStats> &pools);
    void clear();
    const PoolStats &poolAt(int row) const { return m_rows.at(row); }
    int rowOf(const QString &key) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QList<PoolStats> m_rows;
};

} // namespace poolscope::models
