#pragma once

#include "core/bouncersample.h"

#include "models/keyedrowsmodel.h"

#include <QAbstractTableModel>
#include <QColor>
#include <QList>

namespace poolscope::models {

/// PgBouncer's SHOW POOLS, with the derived figures an on-call engineer reads (busy, open, saturated, queue
/// age, TPS, QPS, idle-in-transaction time), as a live table. merge() diffs by PoolStats::key() into row
/// inserts, removals and dataChanged, never a reset, so selection and scroll position survive each sample.
/// Unknown values (a column this PgBouncer version does not have, a rate before the second sample, a
/// fraction of an unlimited pool) are shown as "—", never as 0. GUI thread only.
class PoolsModel : public KeyedRowsModel
{
    Q_OBJECT
public:
    enum Column
    {
        Database,
        User,
        PoolMode,
        PoolSize, // "2", "2 (+1)" with a reserve, "unlimited" for 0 on 1.24+
        ClActive,
        ClWaiting,
        SvActive,
        SvIdle,
        Busy, // sv_active / pool_size, %
        Open, // server connections counted against the pool / pool_size, %
        Saturated,
        QueueAge, // maxwait, seconds
        Tps,
        Qps,
        IdleInXact, // mean idle-in-transaction ms per transaction
        ColumnCount
    };
    Q_ENUM(Column)

    enum Role
    {
        SortRole =
            Qt::UserRole, // numbers for numeric columns (unknown sorts below every value), text otherwise
        KeyRole,          // "db/user"
        SaturatedRole,    // bool: clients queue while every slot is open
        WaitingRole,      // bool: cl_waiting > 0
    };

    /// Shown for unknown values.
    static QString unknownText();
    /// Why a row is highlighted, for people: "3 clients waiting while 2 of 2 servers are open"; empty when
    /// nobody waits.
    static QString queueText(const PoolStats &pool);

    explicit PoolsModel(QObject *parent = nullptr);

    void merge(const QList<PoolStats> &pools);
    void clear();
    const PoolStats &poolAt(int row) const { return m_rows.at(row); }
    int rowOf(const QString &key) const;
    /// Background / text of saturated rows; the page sets them from its palette (widgets/palette.h),
    /// since models never see widgets. The queue cells (cl_waiting, queue age) of any pool with waiting
    /// clients use `queue` / `onQueue`.
    void setHighlightColors(const QColor &saturated, const QColor &onSaturated, const QColor &queue,
                            const QColor &onQueue);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QList<PoolStats> m_rows;
    QColor m_saturated{0xfa, 0xd4, 0xd8};
    QColor m_onSaturated{Qt::black};
    QColor m_queue{0xd6, 0x28, 0x39};
    QColor m_onQueue{Qt::white};
};

} // namespace poolscope::models
