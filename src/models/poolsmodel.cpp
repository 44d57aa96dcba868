#include "poolsmodel.h"

#include <QFont>
#include <QHash>
#include <limits>

namespace poolscope::models {

namespace {

// Unknown sorts below every known value in either direction of the proxy's sort.
constexpr double UnknownSort = -1.0;
// An unlimited pool (pool_size 0 on 1.24+) sorts above every sized one.
constexpr double UnlimitedSort = std::numeric_limits<double>::max();

std::optional<double> number(const std::optional<qint64> &v)
{
    return v ? std::optional<double>(double(*v)) : std::nullopt;
}

// Saturated is only known when the queue, the server count and a pool size are.
std::optional<bool> saturation(const PoolStats &p)
{
    if (p.unlimited())
        return false;
    if (!p.clWaiting || !p.serverCount() || !p.poolSize)
        return std::nullopt;
    return p.saturated();
}

// The numeric value of a column (also its sort key); nullopt when unknown or not numeric.
std::optional<double> value(const PoolStats &p, int column)
{
    switch (column) {
    case PoolsModel::PoolSize:
        return p.unlimited() ? std::optional<double>(UnlimitedSort) : number(p.poolSize);
    case PoolsModel::ClActive:
        return number(p.clActive);
    case PoolsModel::ClWaiting:
        return number(p.clWaiting);
    case PoolsModel::SvActive:
        return number(p.svActive);
    case PoolsModel::SvIdle:
        return number(p.svIdle);
    case PoolsModel::Busy:
        return p.busyFraction() ? std::optional<double>(*p.busyFraction() * 100) : std::nullopt;
    case PoolsModel::Open:
        return p.openFraction() ? std::optional<double>(*p.openFraction() * 100) : std::nullopt;
    case PoolsModel::Saturated:
        return saturation(p) ? std::optional<double>(*saturation(p) ? 1 : 0) : std::nullopt;
    case PoolsModel::QueueAge:
        return p.maxwaitSeconds;
    case PoolsModel::Tps:
        return p.tps;
    case PoolsModel::Qps:
        return p.qps;
    case PoolsModel::IdleInXact:
        return p.idleInXactMs;
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
    return column >= PoolsModel::PoolSize && column < PoolsModel::ColumnCount &&
           column != PoolsModel::Saturated;
}

// An int, not Qt::Alignment: Qt 6.4's views and QAbstractItemModelTester read the role with toInt().
int alignment(int column)
{
    if (column == PoolsModel::Saturated)
        return int(Qt::AlignCenter);
    return int(isNumeric(column) ? Qt::AlignRight | Qt::AlignVCenter : Qt::AlignLeft | Qt::AlignVCenter);
}

QString plural(qint64 n, const QString &one, const QString &many)
{
    // No plural forms without a translator loaded, so spell both out.
    return n == 1 ? one : many.arg(n);
}

} // namespace

QString PoolsModel::unknownText()
{
    return QStringLiteral("—");
}

QString PoolsModel::queueText(const PoolStats &p)
{
    if (!isWaiting(p))
        return {};
    QString text = plural(*p.clWaiting, tr("1 client waiting"), tr("%1 clients waiting"));
    const std::optional<qint64> open = p.serverCount();
    if (p.unlimited()) {
        text += tr(" although pool_size is unlimited (max_db_connections, max_user_connections or the "
                   "server's logins are the limit)");
    } else if (open && p.poolSize) {
        text += tr(" while %1 of %2 servers are open").arg(*open).arg(*p.poolSize);
        if (p.reservePool.value_or(0) > 0)
            text += tr(" (reserve pool %1 more)").arg(*p.reservePool);
        if (!p.saturated())
            text += tr(": a server connection is still being opened");
    } else {
        text += tr(" (pool size unknown)");
    }
    if (p.maxwaitSeconds)
        text += tr("; the oldest for %1 s").arg(*p.maxwaitSeconds, 0, 'f', 1);
    return text;
}

PoolsModel::PoolsModel(QObject *parent) : KeyedRowsModel(parent) {}

void PoolsModel::setHighlightColors(const QColor &saturated, const QColor &onSaturated, const QColor &queue,
                                    const QColor &onQueue)
{
    m_saturated = saturated;
    m_onSaturated = onSaturated;
    m_queue = queue;
    m_onQueue = onQueue;
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1),
                           {Qt::BackgroundRole, Qt::ForegroundRole});
}

void PoolsModel::merge(const QList<PoolStats> &pools)
{
    // New pools go to the end, in the order the pooler listed them; the view's proxy does the sorting.
    mergeRows(m_rows, pools, [](const PoolStats &p) { return p.key(); });
}

void PoolsModel::clear()
{
    clearRows(m_rows);
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
    const bool queueCell = isWaiting(p) && (column == ClWaiting || column == QueueAge);

    switch (role) {
    case Qt::DisplayRole: {
        switch (column) {
        case Database:
            return p.database;
        case User:
            return p.user;
        case PoolMode:
            return p.poolMode.value_or(unknownText());
        case PoolSize:
            if (!p.poolSize)
                return unknownText();
            if (p.unlimited())
                return tr("unlimited");
            if (p.reservePool.value_or(0) > 0)
                return QStringLiteral("%1 (+%2)").arg(*p.poolSize).arg(*p.reservePool);
            return QString::number(*p.poolSize);
        case Saturated: {
            const std::optional<bool> s = saturation(p);
            return s ? (*s ? tr("yes") : tr("no")) : unknownText();
        }
        default:
            break;
        }
        const std::optional<double> v = value(p, column);
        if (!v)
            return unknownText();
        switch (column) {
        case Busy:
        case Open:
            return QStringLiteral("%1 %").arg(*v, 0, 'f', 0);
        case QueueAge:
        case Tps:
        case Qps:
        case IdleInXact:
            return QString::number(*v, 'f', 1);
        default:
            return QString::number(qint64(*v));
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
        default:
            return value(p, column).value_or(UnknownSort);
        }
    case KeyRole:
        return p.key();
    case SaturatedRole:
        return p.saturated();
    case WaitingRole:
        return isWaiting(p);
    case Qt::TextAlignmentRole:
        return alignment(column);
    case Qt::BackgroundRole:
        // The queue cells: solid colours (not tints) keep them readable on light and dark themes alike.
        if (queueCell)
            return m_queue;
        if (p.saturated())
            return m_saturated;
        return {};
    case Qt::ForegroundRole:
        if (queueCell)
            return m_onQueue;
        if (p.saturated())
            return m_onSaturated;
        return {};
    case Qt::FontRole:
        if (isWaiting(p)) {
            QFont f;
            f.setBold(true);
            return f;
        }
        return {};
    case Qt::ToolTipRole: {
        QString tip = queueText(p);
        if (p.saturated())
            tip = tr("Saturated: ") + tip;
        if (column == PoolSize && p.unlimited())
            return tr("pool_size 0: no limit on server connections for this pool (PgBouncer 1.24+)");
        return tip.isEmpty() ? QVariant() : QVariant(tip);
    }
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
            return tr("Pool size");
        case ClActive:
            return QStringLiteral("cl_active");
        case ClWaiting:
            return QStringLiteral("cl_waiting");
        case SvActive:
            return QStringLiteral("sv_active");
        case SvIdle:
            return QStringLiteral("sv_idle");
        case Busy:
            return tr("Busy");
        case Open:
            return tr("Open");
        case Saturated:
            return tr("Saturated");
        case QueueAge:
            return tr("Queue age (s)");
        case Tps:
            return tr("TPS");
        case Qps:
            return tr("QPS");
        case IdleInXact:
            return tr("Idle in finished xacts (ms)");
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case PoolSize:
            return tr("Server connections this pool may open: the user's pool_size (1.23+), else the "
                      "database's (default_pool_size); (+N) is the reserve pool opened after "
                      "reserve_pool_timeout");
        case ClActive:
            return tr("Clients linked to a server connection, or idle with nothing to run");
        case ClWaiting:
            return tr("Clients that sent a query and wait for a server connection: the queue");
        case SvActive:
            return tr("Server connections linked to a client");
        case SvIdle:
            return tr("Server connections unused and ready for a client");
        case Busy:
            return tr("sv_active / pool_size: slots handed to clients");
        case Open:
            return tr("Server connections counted against the pool (active, idle, used, tested, logging in, "
                      "cancelling) / pool_size");
        case Saturated:
            return tr("Clients wait while every slot of pool_size is open: the pool is the bottleneck");
        case QueueAge:
            return tr("How long the oldest waiting client has waited (maxwait), in seconds; PgBouncer drops "
                      "it at query_wait_timeout");
        case Tps:
            return tr("Transactions per second of the pool's database (SHOW STATS_TOTALS)");
        case Qps:
            return tr("Queries per second of the pool's database (SHOW STATS_TOTALS)");
        case IdleInXact:
            return tr(
                "Mean time a transaction that finished since the previous sample spent idle between its "
                "queries, in ms: Δ(xact_time − query_time) / Δxact_count. PgBouncer credits a "
                "transaction when it ends: one still held open (a leak) is not in it until it ends. A "
                "rise means the application holds transactions open");
        default:
            return {};
        }
    }
    if (role == Qt::TextAlignmentRole)
        return alignment(section);
    return QAbstractTableModel::headerData(section, orientation, role);
}

} // namespace poolscope::models
