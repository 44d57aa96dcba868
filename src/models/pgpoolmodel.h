#pragma once

#include "core/pgpoolsample.h"

#include "models/keyedrowsmodel.h"

#include <QAbstractTableModel>
#include <QColor>
#include <QList>
#include <QStringList>
#include <QVariant>

namespace poolscope::models {

/// One of Pgpool-II's SHOW tables (POOL_NODES, POOL_PROCESSES, POOL_POOLS) as a live table. setSample()
/// merges the new rows by key (node id; child pid; child, slot and backend) into inserts, removals and
/// dataChanged for changed rows, never a reset, so selection and scroll survive each sample. Rows that need
/// attention (a node that is not up; a child serving a client) carry AlertRole. GUI thread only.
class PgpoolModel : public KeyedRowsModel
{
    Q_OBJECT
public:
    enum class Table
    {
        Nodes,     // node, host:port, status, pg_status, role, select count, last change
        Processes, // pid, database, user, status, client connections
        Pools,     // child, slot, backend pid, connected, database, user
    };
    Q_ENUM(Table)

    enum Role
    {
        SortRole = Qt::UserRole, // numbers for ids, pids and counts
        AlertRole,               // bool: a node not up (Nodes); busy child (Processes); connected (Pools)
    };
    Q_ENUM(Role)

    explicit PgpoolModel(Table table, QObject *parent = nullptr);

    Table table() const { return m_table; }
    void setSample(const PgpoolSample &sample);
    void clear();
    /// Background of alert rows on the Nodes table (the page passes its palette's "failed" colour); none by
    /// default.
    void setAlertColor(const QColor &color);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    struct Row
    {
        QString key;
        QStringList text;
        QList<QVariant> sort;
        bool alert = false;
        bool operator==(const Row &) const = default;
    };
    QList<Row> rowsOf(const PgpoolSample &sample) const;
    void merge(const QList<Row> &rows);

    Table m_table;
    QStringList m_headers;
    QList<int> m_numericColumns;
    QList<Row> m_rows;
    QColor m_alertColor;
};

} // namespace poolscope::models
