#include "bouncerconnectionsmodel.h"

#include <QDateTime>
#include <QHash>

namespace poolscope::models {

namespace {

constexpr double UnknownSort = -1.0;

QString unknownText()
{
    return QStringLiteral("—");
}

bool isNumeric(int column)
{
    return column == BouncerConnectionsModel::ConnectTime || column == BouncerConnectionsModel::Wait ||
           column == BouncerConnectionsModel::RemotePid || column == BouncerConnectionsModel::Id;
}

int alignment(int column)
{
    return int((isNumeric(column) && column != BouncerConnectionsModel::ConnectTime ? Qt::AlignRight
                                                                                    : Qt::AlignLeft) |
               Qt::AlignVCenter);
}

// remote_pid 0 means PgBouncer does not know it (a TCP client).
std::optional<qint64> knownPid(const std::optional<qint64> &pid)
{
    return pid && *pid > 0 ? pid : std::nullopt;
}

bool equal(const BouncerConnection &a, const BouncerConnection &b)
{
    return a.state == b.state && a.user == b.user && a.database == b.database && a.addr == b.addr &&
           a.port == b.port && a.applicationName == b.applicationName && a.connectTime == b.connectTime &&
           a.waitSeconds == b.waitSeconds && a.link == b.link && a.remotePid == b.remotePid && a.id == b.id &&
           a.ptr == b.ptr;
}

} // namespace

bool BouncerConnectionsModel::Row::operator==(const Row &o) const
{
    return link == o.link && equal(c, o.c);
}

BouncerConnectionsModel::BouncerConnectionsModel(Side side, QObject *parent)
    : KeyedRowsModel(parent), m_side(side)
{}

QString BouncerConnectionsModel::keyOf(const BouncerConnection &c)
{
    // ptr values are reused after a disconnect; the id (1.24+) is not, and the connect time tells a reused
    // ptr apart on older versions.
    if (c.id)
        return QStringLiteral("id:") + QString::number(*c.id);
    return c.ptr + QLatin1Char('@') + QString::number(c.connectTime.value_or(0), 'f', 3) + QLatin1Char('/') +
           c.addrPort();
}

void BouncerConnectionsModel::merge(const QList<BouncerConnection> &rows,
                                    const QList<BouncerConnection> &otherSide)
{
    QHash<QString, const BouncerConnection *> byPtr;
    for (const BouncerConnection &o : otherSide) {
        if (!o.ptr.isEmpty())
            byPtr.insert(o.ptr, &o);
    }
    QList<Row> next;
    next.reserve(rows.size());
    for (const BouncerConnection &c : rows) {
        Row r{c, QString()};
        if (!c.link.isEmpty()) {
            const BouncerConnection *o = byPtr.value(c.link);
            if (m_side == Side::Clients) {
                if (o && knownPid(o->remotePid))
                    r.link = tr("backend %1").arg(*o->remotePid);
                else
                    r.link = o ? tr("server %1").arg(o->addrPort()) : tr("server");
            } else if (o) {
                r.link = o->applicationName.isEmpty()
                             ? o->addrPort()
                             : QStringLiteral("%1 (%2)").arg(o->addrPort(), o->applicationName);
            } else {
                r.link = tr("client");
            }
        }
        next.append(r);
    }

    mergeRows(m_rows, next, [](const Row &r) { return keyOf(r.c); });
}

void BouncerConnectionsModel::clear()
{
    clearRows(m_rows);
}

int BouncerConnectionsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int BouncerConnectionsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant BouncerConnectionsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row &r = m_rows[index.row()];
    const BouncerConnection &c = r.c;
    const int column = index.column();

    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case State:
            return c.state.isEmpty() ? unknownText() : c.state;
        case User:
            return c.user;
        case Database:
            return c.database;
        case Address:
            return c.addrPort();
        case Application:
            return c.applicationName;
        case ConnectTime:
            if (!c.connectTime)
                return unknownText();
            return QDateTime::fromMSecsSinceEpoch(qint64(*c.connectTime * 1000))
                .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
        case Wait:
            return c.waitSeconds ? QString::number(*c.waitSeconds, 'f', 1) : unknownText();
        case Link:
            return r.link;
        case RemotePid:
            return knownPid(c.remotePid) ? QString::number(*c.remotePid) : unknownText();
        case Id:
            return c.id ? QString::number(*c.id) : unknownText();
        }
        return {};
    case SortRole:
        switch (column) {
        case ConnectTime:
            return c.connectTime.value_or(UnknownSort);
        case Wait:
            return c.waitSeconds.value_or(UnknownSort);
        case RemotePid:
            return knownPid(c.remotePid) ? double(*c.remotePid) : UnknownSort;
        case Id:
            return c.id ? double(*c.id) : UnknownSort;
        default:
            return data(index, Qt::DisplayRole);
        }
    case IdRole:
        return c.id ? QVariant(*c.id) : QVariant();
    case Qt::TextAlignmentRole:
        return alignment(column);
    case Qt::ToolTipRole:
        if (column == Link && m_side == Side::Servers && !r.link.isEmpty())
            return tr("The client this server connection is linked to");
        if (column == Link && m_side == Side::Clients && !r.link.isEmpty())
            return tr("The server connection this client holds (its PostgreSQL backend pid)");
        if (column == State && c.state == QLatin1String("waiting"))
            return tr("Waiting for a server connection for %1 s").arg(c.waitSeconds.value_or(0), 0, 'f', 1);
        return {};
    default:
        return {};
    }
}

QVariant BouncerConnectionsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::DisplayRole) {
        switch (section) {
        case State:
            return tr("State");
        case User:
            return tr("User");
        case Database:
            return tr("Database");
        case Address:
            return tr("Address");
        case Application:
            return tr("Application");
        case ConnectTime:
            return tr("Connected at");
        case Wait:
            return tr("Wait (s)");
        case Link:
            return m_side == Side::Clients ? tr("Server (backend)") : tr("Client");
        case RemotePid:
            return QStringLiteral("remote_pid");
        case Id:
            return QStringLiteral("id");
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case Wait:
            return tr("Time since the current request started: the queue wait for waiting clients");
        case RemotePid:
            return m_side == Side::Servers ? tr("The PostgreSQL backend pid (pg_stat_activity.pid)")
                                           : tr("The client's process id (Unix sockets only)");
        case Id:
            return tr("PgBouncer 1.24+: the id KILL_CLIENT takes");
        default:
            return {};
        }
    }
    if (role == Qt::TextAlignmentRole)
        return alignment(section);
    return QAbstractTableModel::headerData(section, orientation, role);
}

} // namespace poolscope::models
