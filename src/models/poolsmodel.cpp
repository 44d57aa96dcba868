#include "poolsmodel.h"

#include <QColor>
#include <QFont>
#include <QHash>

namespace poolscope::models {

namespace {

std::optional<qint64> counter(const PoolStats &p, int column)
{
    switch (column) {
    case PoolsModel::PoolSize:
        return p.poolSize;
    case PoolsModel::ClActive:
        return p.clActive;
    case PoolsModel::ClWaiting:
        return p.clWaiting;
    case PoolsModel::SvActive:
        return p.svActive;
    case PoolsModel::SvIdle:
        return p.svIdle;
    case PoolsModel::SvUsed:
        return p.svUsed;
    case PoolsModel::SvTested:
        return p.svTested;
    case PoolsModel::SvLogin:
        return p.svLogin;
    default:
        return std::nullopt;
    }
}

bool isWaiting(const PoolStats &p)
{
    return p.clWaiting.value_or(0) > 0;
}

bool isNumeric(int column)
{
    return column >= PoolsModel::PoolSize && column <= PoolsModel::MaxWait;
}

// An int, not Qt::Alignment: Qt 6.4's views and QAbstractItemModelTester read the role with toInt().
int alignment(int column)
{
    return int(isNumeric(column) ? Qt::AlignRight | Qt::AlignVCenter : Qt::AlignLeft | Qt::AlignVCenter);
}

} // namespace

QString PoolsModel::unknownText()
{
    return QStringLiteral("—");
}

PoolsModel::PoolsModel(QObject *parent) : QAbstractTableModel(parent) {}

void PoolsModel::merge(const QList<PoolStats> &pools)
{
    QHash<QString, qsizetype> incoming;
    for (qsizetype i = 0; i < pools.size(); ++i)
        incoming.insert(pools[i].key(), i); // a duplicated key keeps its last row

    // Removals, bottom-up in contiguous runs so each begin/end pair stays small and valid.
    for (qsizetype end = m_rows.size() - 1; end >= 0;) {
        if (incoming.contains(m_rows[end].key())) {
            --end;
            continue;
        }
        qsizetype begin = end;
        while (begin > 0 && !incoming.contains(m_rows[begin - 1].key()))
            --begin;
        beginRemoveRows({}, int(begin), int(end));
        m_rows.remove(begin, end - begin + 1);
        endRemoveRows();
        end = begin - 1;
    }

    // Changes in place.
    QHash<QString, bool> present;
    for (qsizetype row = 0; row < m_rows.size(); ++row) {
        const QString key = m_rows[row].key();
        present.insert(key, true);
        const PoolStats &next = pools[incoming.value(key)];
        if (m_rows[row] != next) {
            m_rows[row] = next;
            Q_EMIT dataChanged(index(int(row), 0), index(int(row), ColumnCount - 1));
        }
    }

    // New pools go to the end, in the order the pooler listed them; the view's proxy does the sorting.
    QList<PoolStats> added;
    for (qsizetype i = 0; i < pools.size(); ++i) {
        const QString key = pools[i].key();
        if (present.contains(key) || incoming.value(key) != i)
            continue;
        added.append(pools[i]);
    }
    if (!added.isEmpty()) {
        const int first = int(m_rows.size());
        beginInsertRows({}, first, first + int(added.size()) - 1);
        m_rows.append(added);
        endInsertRows();
    }
}

void PoolsModel::clear()
{
    if (m_rows.isEmpty())
        return;
    beginRemoveRows({}, 0, int(m_rows.size()) - 1);
    m_rows.clear();
    endRemoveRows();
}

int PoolsModel::rowOf(const QString &key) const
{
    for (qsizetype i = 0; i < m_rows.size(); ++i) {
        if (m_rows[i].key() == key)
            return int(i);
    }
    return -1;
}

int PoolsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int PoolsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant PoolsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const PoolStats &p = m_rows[index.row()];
    const int column = index.column();

    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case Database:
            return p.database;
        case User:
            return p.user;
        case PoolMode:
            return p.poolMode.value_or(unknownText());
        case MaxWait:
            return p.maxwaitSeconds ? QString::number(*p.maxwaitSeconds, 'f', 2) : unknownText();
        default: {
            const std::optional<qint64> v = counter(p, column);
            return v ? QString::number(*v) : unknownText();
        }
        }
    case SortRole:
        switch (column) {
        case Database:
            return p.database;
        case User:
            return p.user;
        case PoolMode:
            return p.poolMode.value_or(QString());
        case MaxWait:
            return p.maxwaitSeconds.value_or(-1.0);
        default:
            return double(counter(p, column).value_or(-1));
        }
    case KeyRole:
        return p.key();
    case Qt::TextAlignmentRole:
        return alignment(column);
    case Qt::BackgroundRole:
        // The queue: clients that got no server connection yet. Solid colours (not tints) keep it readable on
        // light and dark themes alike.
        if (isWaiting(p) && (column == ClWaiting || column == MaxWait))
            return QColor(0xd6, 0x28, 0x39);
        return {};
    case Qt::ForegroundRole:
        if (isWaiting(p) && (column == ClWaiting || column == MaxWait))
            return QColor(Qt::white);
        return {};
    case Qt::FontRole:
        if (isWaiting(p)) {
            QFont f;
            f.setBold(true);
            return f;
        }
        return {};
    case Qt::ToolTipRole:
        if (isWaiting(p)) {
            // No plural forms without a translator loaded, so spell both out.
            QString tip = *p.clWaiting == 1
                              ? tr("1 client waiting for a server connection")
                              : tr("%1 clients waiting for a server connection").arg(*p.clWaiting);
            if (p.maxwaitSeconds)
                tip += tr("; the oldest for %1 s").arg(*p.maxwaitSeconds, 0, 'f', 2);
            return tip;
        }
        return {};
    default:
        return {};
    }
}

QVariant PoolsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::DisplayRole) {
        switch (section) {
        case Database:
            return tr("Database");
        case User:
            return tr("User");
        case PoolMode:
            return tr("Mode");
        case PoolSize:
            return tr("pool_size");
        case ClActive:
            return QStringLiteral("cl_active");
        case ClWaiting:
            return QStringLiteral("cl_waiting");
        case SvActive:
            return QStringLiteral("sv_active");
        case SvIdle:
            return QStringLiteral("sv_idle");
        case SvUsed:
            return QStringLiteral("sv_used");
        case SvTested:
            return QStringLiteral("sv_tested");
        case SvLogin:
            return QStringLiteral("sv_login");
        case MaxWait:
            return tr("maxwait (s)");
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case PoolSize:
            return tr(
                "Server connections this pool may open (default_pool_size or the database's pool_size)");
        case ClActive:
            return tr("Clients linked to a server connection, or idle with nothing to run");
        case ClWaiting:
            return tr("Clients that sent a query and wait for a server connection: the queue");
        case SvActive:
            return tr("Server connections linked to a client");
        case SvIdle:
            return tr("Server connections unused and ready for a client");
        case SvUsed:
            return tr("Server connections idle longer than server_check_delay, to be checked before reuse");
        case SvTested:
            return tr("Server connections running server_reset_query or server_check_query");
        case SvLogin:
            return tr("Server connections being opened (logging in)");
        case MaxWait:
            return tr("How long the oldest waiting client has waited, in seconds");
        default:
            return {};
        }
    }
    if (role == Qt::TextAlignmentRole)
        return alignment(section);
    return QAbstractTableModel::headerData(section, orientation, role);
}

} // namespace poolscope::models
