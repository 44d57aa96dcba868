#pragma once

#include "core/bouncersample.h"

#include "models/keyedrowsmodel.h"

#include <QAbstractTableModel>
#include <QList>

namespace poolscope::models {

/// SHOW CLIENTS or SHOW SERVERS of a PgBouncer console as a live table. merge() diffs rows by their id
/// (1.24+) or by (ptr, connect_time) into inserts, removals and dataChanged, never a reset. The Link column
/// resolves the other side: a client's server as "backend <pid>" (its PostgreSQL backend), a server's
/// client as "addr:port (application)". Unknown values are "—". GUI thread only.
class BouncerConnectionsModel : public KeyedRowsModel
{
    Q_OBJECT
public:
    enum class Side
    {
        Clients,
        Servers,
    };
    Q_ENUM(Side)

    enum Column
    {
        State,
        User,
        Database,
        Address, // addr:port
        Application,
        ConnectTime,
        Wait, // seconds since the current request started
        Link,
        RemotePid,
        Id, // 1.24+: the argument of KILL_CLIENT
        ColumnCount
    };
    Q_ENUM(Column)

    enum Role
    {
        SortRole = Qt::UserRole, // numbers for numeric columns (unknown below every value), text otherwise
        IdRole,                  // qint64 id, invalid before 1.24
    };

    explicit BouncerConnectionsModel(Side side, QObject *parent = nullptr);

    Side side() const { return m_side; }
    /// `rows`: this side's connections; `otherSide`: the other SHOW of the same round, to resolve links.
    void merge(const QList<BouncerConnection> &rows, const QList<BouncerConnection> &otherSide);
    void clear();
    const BouncerConnection &connectionAt(int row) const { return m_rows.at(row).c; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    struct Row
    {
        BouncerConnection c;
        QString link; // resolved text
        bool operator==(const Row &o) const;
    };
    static QString keyOf(const BouncerConnection &c);

    Side m_side;
    QList<Row> m_rows;
};

} // namespace poolscope::models
