#include "pgpoolmodel.h"

#include <QFont>
#include <QHash>
#include <QSet>

namespace poolscope::models {

namespace {

QString optText(const std::optional<qint64> &v)
{
    return v ? QString::number(*v) : QStringLiteral("—");
}

QVariant optSort(const std::optional<qint64> &v)
{
    return qlonglong(v.value_or(-1));
}

QString hostPort(const QString &host, const std::optional<qint64> &port)
{
    const QString h =
        host.contains(QLatin1Char(':')) ? QString(QLatin1Char('[') + host + QLatin1Char(']')) : host;
    return port ? h + QLatin1Char(':') + QString::number(*port) : h;
}

} // namespace

PgpoolModel::PgpoolModel(Table table, QObject *parent) : KeyedRowsModel(parent), m_table(table)
{
    switch (table) {
    case Table::Nodes:
        m_headers = {tr("Node"), tr("Host:port"),    tr("Status"),     tr("pg_status"),
                     tr("Role"), tr("Select count"), tr("Last change")};
        m_numericColumns = {0, 5};
        break;
    case Table::Processes:
        m_headers = {tr("PID"), tr("Database"), tr("User"), tr("Status"), tr("Client connections")};
        m_numericColumns = {0, 4};
        break;
    case Table::Pools:
        m_headers = {tr("Child"), tr("Slot"), tr("Backend PID"), tr("Connected"), tr("Database"), tr("User")};
        m_numericColumns = {0, 1, 2};
        break;
    }
}

QList<PgpoolModel::Row> PgpoolModel::rowsOf(const PgpoolSample &sample) const
{
    QList<Row> rows;
    switch (m_table) {
    case Table::Nodes:
        for (const PgpoolNode &n : sample.nodes) {
            Row r;
            r.key = QString::number(n.nodeId);
            r.text = {QString::number(n.nodeId),
                      hostPort(n.hostname, n.port),
                      n.status,
                      n.pgStatus.isEmpty() ? QStringLiteral("—") : n.pgStatus,
                      n.role,
                      optText(n.selectCount),
                      n.lastStatusChange};
            r.sort = {qlonglong(n.nodeId),    r.text[1],         n.status, n.pgStatus, n.role,
                      optSort(n.selectCount), n.lastStatusChange};
            // "down" (or quarantined, or the server itself down per pg_status): queries to it fail over or
            // fail. "waiting" is a node not yet used since start, "unused" one not configured: both fine.
            r.alert = n.status == QLatin1String("down") || n.status == QLatin1String("quarantine") ||
                      n.pgStatus == QLatin1String("down");
            rows.append(r);
        }
        break;
    case Table::Processes:
        for (const PgpoolProcess &p : sample.processes) {
            Row r;
            r.key = QString::number(p.pid);
            const bool own = sample.ownChildPid && *sample.ownChildPid == p.pid;
            r.text = {QString::number(p.pid), p.database, p.username,
                      own ? tr("%1 (PoolScope)").arg(p.status) : p.status, optText(p.clientConnectionCount)};
            r.sort = {qlonglong(p.pid), p.database, p.username, p.status, optSort(p.clientConnectionCount)};
            r.alert = p.busy() && !own;
            rows.append(r);
        }
        break;
    case Table::Pools:
        for (const PgpoolPoolSlot &s : sample.pools) {
            Row r;
            r.key = QStringLiteral("%1/%2/%3").arg(s.pid).arg(s.poolId).arg(s.backendId);
            r.text = {QString::number(s.pid),
                      sample.nodes.size() > 1 ? tr("%1 (node %2)").arg(s.poolId).arg(s.backendId)
                                              : QString::number(s.poolId),
                      s.backendPid ? QString::number(*s.backendPid) : QString(),
                      s.connected ? tr("yes") : tr("no"),
                      s.database,
                      s.username};
            r.sort = {qlonglong(s.pid),
                      qlonglong(s.poolId * 1000 + s.backendId),
                      optSort(s.backendPid),
                      int(s.connected),
                      s.database,
                      s.username};
            r.alert = s.connected;
            rows.append(r);
        }
        break;
    }
    return rows;
}

void PgpoolModel::setSample(const PgpoolSample &sample)
{
    merge(rowsOf(sample));
}

void PgpoolModel::clear()
{
    merge({});
}

void PgpoolModel::merge(const QList<Row> &incoming)
{
    mergeRows(m_rows, incoming, [](const Row &r) { return r.key; });
}

void PgpoolModel::setAlertColor(const QColor &color)
{
    m_alertColor = color;
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, columnCount() - 1), {Qt::BackgroundRole});
}

int PgpoolModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int PgpoolModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_headers.size());
}

QVariant PgpoolModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &r = m_rows[index.row()];
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole:
        return r.text.value(column);
    case SortRole:
        return r.sort.value(column);
    case AlertRole:
        return r.alert;
    case Qt::TextAlignmentRole:
        // An int, not Qt::Alignment: Qt 6.4's QAbstractItemModelTester reads the role with toInt().
        return int(m_numericColumns.contains(column) ? Qt::AlignRight | Qt::AlignVCenter
                                                     : Qt::AlignLeft | Qt::AlignVCenter);
    case Qt::BackgroundRole:
        // Only the nodes table colours its rows: a down node is the one thing on this tab that needs action.
        if (m_table == Table::Nodes && r.alert && m_alertColor.isValid())
            return m_alertColor;
        return {};
    case Qt::FontRole:
        if (r.alert && m_table != Table::Pools) {
            QFont f;
            f.setBold(true);
            return f;
        }
        return {};
    case Qt::ToolTipRole:
        if (m_table == Table::Nodes && r.alert)
            return tr("This node is not up: Pgpool-II does not send queries to it");
        return {};
    default:
        return {};
    }
}

QVariant PgpoolModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= m_headers.size())
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::DisplayRole)
        return m_headers[section];
    if (role == Qt::TextAlignmentRole)
        return int(m_numericColumns.contains(section) ? Qt::AlignRight | Qt::AlignVCenter
                                                      : Qt::AlignLeft | Qt::AlignVCenter);
    return QAbstractTableModel::headerData(section, orientation, role);
}

} // namespace poolscope::models
