#include "sessionsmodel.h"

#include <QFont>
#include <QHash>
#include <QStringList>
#include <cmath>
#include <limits>
#include <utility>

namespace poolscope::models {

namespace {

using Key = std::pair<qint64, qint64>;

// (pid, backend_start in µs): a pid the server reuses for a new backend is a new row. Rows hidden by
// privileges have no backend_start; they are keyed by pid alone.
Key keyOf(const Session &s)
{
    return {s.pid, s.backendStart ? qint64(std::llround(*s.backendStart * 1e6))
                                  : std::numeric_limits<qint64>::min()};
}

bool isNumeric(int column)
{
    switch (column) {
    case SessionsModel::Pid:
    case SessionsModel::StateAge:
    case SessionsModel::XactAge:
    case SessionsModel::QueryAge:
    case SessionsModel::HorizonAge:
        return true;
    default:
        return false;
    }
}

// An int, not Qt::Alignment: Qt 6.4's views and QAbstractItemModelTester read the role with toInt().
int alignment(int column)
{
    return int(isNumeric(column) ? Qt::AlignRight | Qt::AlignVCenter : Qt::AlignLeft | Qt::AlignVCenter);
}

std::optional<double> columnAge(const Session &s, double now, int column)
{
    switch (column) {
    case SessionsModel::StateAge:
        return SessionsModel::age(s.stateChange, now);
    case SessionsModel::XactAge:
        return SessionsModel::age(s.xactStart, now);
    case SessionsModel::QueryAge:
        return SessionsModel::age(s.queryStart, now);
    default:
        return std::nullopt;
    }
}

// Whether a cell's text, sort value, tooltip or decoration differs between two samples of one session, from
// the fields it is made of (formatting every cell of thousands of rows twice per sample would cost more than
// the rest of the page; see tests/bench/bench_sessions.cpp).
bool cellChanged(const Session &a, double aNow, const Session &b, double bNow, int column)
{
    const auto ageChanged = [&](const std::optional<double> &x, const std::optional<double> &y) {
        return x != y || (x && aNow != bNow);
    };
    switch (column) {
    case SessionsModel::Pid:
        return a.pid != b.pid || a.hidden != b.hidden || a.query != b.query; // tooltip: the query
    case SessionsModel::State:
        return a.state != b.state || a.hidden != b.hidden || a.query != b.query;
    case SessionsModel::Application:
        return a.applicationName != b.applicationName || a.query != b.query;
    case SessionsModel::User:
        return a.usename != b.usename || a.query != b.query;
    case SessionsModel::Database:
        return a.datname != b.datname || a.query != b.query;
    case SessionsModel::Client:
        return a.clientAddr != b.clientAddr || a.clientPort != b.clientPort || a.hidden != b.hidden ||
               a.query != b.query;
    case SessionsModel::BackendType:
        return a.backendType != b.backendType || a.query != b.query;
    case SessionsModel::StateAge:
        return ageChanged(a.stateChange, b.stateChange) || a.query != b.query;
    case SessionsModel::XactAge:
        return ageChanged(a.xactStart, b.xactStart) || a.query != b.query;
    case SessionsModel::QueryAge:
        return ageChanged(a.queryStart, b.queryStart) || a.query != b.query;
    case SessionsModel::WaitEvent:
        return a.waitEventType != b.waitEventType || a.waitEvent != b.waitEvent || a.query != b.query;
    case SessionsModel::BlockedBy:
        return a.blockedBy != b.blockedBy || a.query != b.query;
    case SessionsModel::HorizonAge:
        return a.horizonAge() != b.horizonAge() || a.query != b.query;
    case SessionsModel::Pool:
    case SessionsModel::PoolerClient:
        // The chain is keyed by (pid, backend_start), the row's key: only setPoolerChain() changes them.
        return a.query != b.query;
    case SessionsModel::Query:
        return a.query != b.query;
    default:
        return false;
    }
}

QString pidList(const QList<qint64> &pids)
{
    QStringList parts;
    for (qint64 pid : pids)
        parts.append(QString::number(pid));
    return parts.join(QStringLiteral(", "));
}

} // namespace

QString SessionsModel::unknownText()
{
    return QStringLiteral("—");
}

QString SessionsModel::ageText(double seconds)
{
    seconds = std::max(0.0, seconds);
    if (seconds < 10)
        return QString::number(seconds, 'f', 1) + QStringLiteral(" s");
    const qint64 s = qint64(seconds);
    auto two = [](qint64 v) {
        return QStringLiteral("%1").arg(v, 2, 10, QLatin1Char('0'));
    };
    if (s < 60)
        return QString::number(s) + QStringLiteral(" s");
    if (s < 3600)
        return QString::number(s / 60) + QStringLiteral(" min ") + two(s % 60) + QStringLiteral(" s");
    if (s < 86400)
        return QString::number(s / 3600) + QStringLiteral(" h ") + two(s % 3600 / 60) +
               QStringLiteral(" min");
    return QString::number(s / 86400) + QStringLiteral(" d ") + two(s % 86400 / 3600) + QStringLiteral(" h");
}

std::optional<double> SessionsModel::age(const std::optional<double> &since, double now)
{
    if (!since)
        return std::nullopt;
    return std::max(0.0, now - *since);
}

QString SessionsModel::clientText(const Session &session)
{
    if (session.clientAddr.isEmpty()) {
        // Hidden rows have no client_addr, and neither do Unix-socket clients.
        if (session.hidden)
            return tr("hidden");
        return tr("local socket");
    }
    const QString addr = session.clientAddr.contains(QLatin1Char(':'))
                             ? QString(QLatin1Char('[') + session.clientAddr + QLatin1Char(']'))
                             : session.clientAddr;
    if (!session.clientPort)
        return addr;
    return addr + QLatin1Char(':') + QString::number(*session.clientPort);
}

QString SessionsModel::oneLine(const QString &query)
{
    return query.simplified();
}

QString SessionsModel::poolText(const ChainLink &link)
{
    return link.poolDatabase + QLatin1Char('/') + link.poolUser;
}

QString SessionsModel::poolerClientText(const ChainLink &link, std::optional<SessionState> backend)
{
    QStringList parts;
    if (!link.clientAddr.isEmpty()) {
        QString addr = link.clientAddr.contains(QLatin1Char(':'))
                           ? QString(QLatin1Char('[') + link.clientAddr + QLatin1Char(']'))
                           : link.clientAddr;
        if (link.clientPort && *link.clientPort > 0)
            addr += QLatin1Char(':') + QString::number(*link.clientPort);
        parts.append(addr);
    }
    if (!link.clientApplicationName.isEmpty())
        parts.append(link.clientApplicationName);
    if (link.clientId)
        parts.append(tr("id %1").arg(*link.clientId));
    if (link.pgpoolChildPid)
        parts.append(tr("child %1").arg(*link.pgpoolChildPid));
    // A busy server or backend without a client is not parked in the pool (ChainLink::idleInPool).
    if (!link.hasClient && parts.isEmpty() && !link.idleInPool(backend)) {
        const bool serverBusy = !link.idleInPool();
        return serverBusy
                   ? tr("client not listed (server %1)").arg(link.serverState)
                   : tr("no client in the pooler's last list (backend %1)").arg(sessionStateName(*backend));
    }
    if (!link.hasClient && parts.isEmpty())
        return tr("no client (idle in pool)");
    if (parts.isEmpty())
        return tr("client");
    return parts.join(QLatin1Char(' '));
}

SessionsModel::SessionsModel(QObject *parent) : QAbstractTableModel(parent) {}

void SessionsModel::setPoolerChain(const std::optional<PoolerChain> &chain)
{
    if (!chain && !m_chain)
        return;
    m_chain = chain;
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0, Pool), index(rowCount() - 1, PoolerClient));
}

const ChainLink *SessionsModel::linkFor(const Session &session) const
{
    if (!m_chain)
        return nullptr;
    return m_chain->find(session.pid, session.backendStart);
}

void SessionsModel::merge(const QList<Session> &sessions, double serverNow)
{
    QHash<Key, qsizetype> incoming;
    for (qsizetype i = 0; i < sessions.size(); ++i)
        incoming.insert(keyOf(sessions[i]), i); // a duplicated key keeps its last row

    // Removals, bottom-up in contiguous runs so each begin/end pair stays small and valid.
    for (qsizetype end = m_rows.size() - 1; end >= 0;) {
        if (incoming.contains(keyOf(m_rows[end]))) {
            --end;
            continue;
        }
        qsizetype begin = end;
        while (begin > 0 && !incoming.contains(keyOf(m_rows[begin - 1])))
            --begin;
        beginRemoveRows({}, int(begin), int(end));
        m_rows.remove(begin, end - begin + 1);
        endRemoveRows();
        end = begin - 1;
    }

    // Changes in place: find the changed cells first (old values against the old clock), then update every
    // row and the clock, then signal, so a view reading data() on dataChanged sees one consistent sample.
    struct Change
    {
        int row;
        int first;
        int last;
    };
    QList<Change> changes;
    QHash<Key, bool> present;
    const double oldNow = m_serverNow;
    for (qsizetype row = 0; row < m_rows.size(); ++row) {
        const Key key = keyOf(m_rows[row]);
        present.insert(key, true);
        const Session &before = m_rows[row];
        const Session &after = sessions[incoming.value(key)];
        int first = -1;
        for (int column = 0; column <= ColumnCount; ++column) {
            const bool changed =
                column < ColumnCount && cellChanged(before, oldNow, after, serverNow, column);
            if (changed && first < 0)
                first = column;
            if (!changed && first >= 0) {
                changes.append({int(row), first, column - 1});
                first = -1;
            }
        }
    }
    for (qsizetype row = 0; row < m_rows.size(); ++row)
        m_rows[row] = sessions[incoming.value(keyOf(m_rows[row]))];
    m_serverNow = serverNow;
    // Adjacent rows with the same changed columns (every age cell, when only the clock moved) go out as one
    // rectangle: one dataChanged for thousands of rows instead of one each, which the sorting proxy handles
    // far faster.
    QHash<std::pair<int, int>, std::pair<int, int>> open; // (first, last) column -> (first, last) row
    const auto emitRange = [this](const std::pair<int, int> &columns, const std::pair<int, int> &rows) {
        Q_EMIT dataChanged(index(rows.first, columns.first), index(rows.second, columns.second));
    };
    for (const Change &c : changes) {
        const std::pair<int, int> columns{c.first, c.last};
        auto it = open.find(columns);
        if (it != open.end() && it->second == c.row - 1) {
            it->second = c.row;
            continue;
        }
        if (it != open.end())
            emitRange(columns, *it);
        open.insert(columns, {c.row, c.row});
    }
    for (auto it = open.cbegin(); it != open.cend(); ++it)
        emitRange(it.key(), it.value());

    // New sessions go to the end, in the order the server listed them; the proxy does the sorting.
    QList<Session> added;
    for (qsizetype i = 0; i < sessions.size(); ++i) {
        const Key key = keyOf(sessions[i]);
        if (present.contains(key) || incoming.value(key) != i)
            continue;
        added.append(sessions[i]);
    }
    if (!added.isEmpty()) {
        const int first = int(m_rows.size());
        beginInsertRows({}, first, first + int(added.size()) - 1);
        m_rows.append(added);
        endInsertRows();
    }
}

void SessionsModel::clear()
{
    if (m_rows.isEmpty())
        return;
    beginRemoveRows({}, 0, int(m_rows.size()) - 1);
    m_rows.clear();
    endRemoveRows();
}

int SessionsModel::rowOfPid(qint64 pid) const
{
    for (qsizetype i = 0; i < m_rows.size(); ++i) {
        if (m_rows[i].pid == pid)
            return int(i);
    }
    return -1;
}

void SessionsModel::setStateColors(std::function<QColor(SessionState)> colors)
{
    m_stateColors = std::move(colors);
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0, State), index(rowCount() - 1, State), {Qt::DecorationRole});
}

int SessionsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int SessionsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant SessionsModel::display(const Session &s, double now, int column) const
{
    switch (column) {
    case Pid:
        return QString::number(s.pid);
    case State:
        if (s.state)
            return *s.state;
        return s.hidden ? tr("hidden") : unknownText();
    case Application:
        return s.applicationName;
    case User:
        return s.usename;
    case Database:
        return s.datname;
    case Client:
        return clientText(s);
    case BackendType:
        return s.backendType.isEmpty() ? unknownText() : s.backendType;
    case StateAge:
    case XactAge:
    case QueryAge: {
        const std::optional<double> a = columnAge(s, now, column);
        return a ? ageText(*a) : unknownText();
    }
    case WaitEvent:
        if (s.waitEventType.isEmpty())
            return s.waitEvent;
        if (s.waitEvent.isEmpty())
            return s.waitEventType;
        return QString(s.waitEventType + QStringLiteral(": ") + s.waitEvent);
    case BlockedBy:
        return pidList(s.blockedBy);
    case HorizonAge: {
        const std::optional<qint64> h = s.horizonAge();
        return h ? QString::number(*h) : unknownText();
    }
    case Pool: {
        const ChainLink *link = linkFor(s);
        return link ? poolText(*link) : QString();
    }
    case PoolerClient: {
        const ChainLink *link = linkFor(s);
        return link ? poolerClientText(*link, s.stateClass()) : QString();
    }
    case Query:
        return oneLine(s.query);
    default:
        return {};
    }
}

QVariant SessionsModel::sortValue(const Session &s, double now, int column) const
{
    switch (column) {
    case Pid:
        return qlonglong(s.pid);
    case StateAge:
    case XactAge:
    case QueryAge:
        return columnAge(s, now, column).value_or(-1.0);
    case HorizonAge:
        return qlonglong(s.horizonAge().value_or(-1));
    case BlockedBy:
        return qlonglong(s.blockedBy.isEmpty() ? -1 : s.blockedBy.first());
    case Client:
        // Addresses group together; the port orders connections of one address.
        return QString(s.clientAddr + QLatin1Char(' ') +
                       QStringLiteral("%1").arg(s.clientPort.value_or(0), 6, 10, QLatin1Char('0')));
    default:
        return display(s, now, column).toString().toLower();
    }
}

QVariant SessionsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Session &s = m_rows[index.row()];
    const int column = index.column();

    switch (role) {
    case Qt::DisplayRole:
        return display(s, m_serverNow, column);
    case SortRole:
        return sortValue(s, m_serverNow, column);
    case PidRole:
        return qlonglong(s.pid);
    case HiddenRole:
        return s.hidden;
    case StateRole:
        return int(s.stateClass());
    case FullQueryRole:
        return s.query;
    case Qt::TextAlignmentRole:
        return alignment(column);
    case Qt::DecorationRole:
        if (column == State && m_stateColors)
            return m_stateColors(s.stateClass());
        return {};
    case Qt::FontRole:
        // Italic, not a colour: readable on light and dark themes alike.
        if (s.hidden) {
            QFont f;
            f.setItalic(true);
            return f;
        }
        return {};
    case Qt::ToolTipRole:
        if (s.hidden)
            return tr("Hidden by privileges: this role sees only the pid, user, database and application of "
                      "other roles' sessions. Grant pg_monitor (or pg_read_all_stats) to see the rest.");
        if (column == BlockedBy && !s.blockedBy.isEmpty())
            return tr("Waits for a lock held by %1").arg(pidList(s.blockedBy));
        // Text columns elide in the middle: the whole value on hover.
        if ((column == Application || column == User || column == Database || column == Client) &&
            !display(s, m_serverNow, column).toString().isEmpty())
            return display(s, m_serverNow, column);
        if (column == Pool || column == PoolerClient) {
            if (const ChainLink *link = linkFor(s)) {
                QString text =
                    tr("Held through %1, pool %2, by %3")
                        .arg(m_chain->pooler, poolText(*link), poolerClientText(*link, s.stateClass()));
                if (!link->clientState.isEmpty())
                    text += tr("; client %1").arg(link->clientState);
                if (!link->serverState.isEmpty())
                    text += tr("; server %1").arg(link->serverState);
                return text;
            }
        }
        return s.query.isEmpty() ? QVariant() : QVariant(s.query);
    default:
        return {};
    }
}

QVariant SessionsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::DisplayRole) {
        switch (section) {
        case Pid:
            return tr("PID");
        case State:
            return tr("State");
        case Application:
            return tr("Application");
        case User:
            return tr("User");
        case Database:
            return tr("Database");
        case Client:
            return tr("Client");
        case BackendType:
            return tr("Backend type");
        case StateAge:
            return tr("State age");
        case XactAge:
            return tr("Xact age");
        case QueryAge:
            return tr("Query age");
        case WaitEvent:
            return tr("Wait event");
        case BlockedBy:
            return tr("Blocked by");
        case HorizonAge:
            return tr("Horizon");
        case Pool:
            return tr("Pool");
        case PoolerClient:
            return tr("Pooler client");
        case Query:
            return tr("Query");
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case StateAge:
            return tr("Time since the session entered its current state (state_change)");
        case XactAge:
            return tr("Transaction age: time since the session's transaction began (xact_start); — outside a "
                      "transaction");
        case QueryAge:
            return tr("Time since the current or last query began (query_start)");
        case BlockedBy:
            return tr("Sessions holding the lock this one waits for (pg_blocking_pids)");
        case HorizonAge:
            return tr("Horizon age: transactions (xids) by which this session holds the xmin horizon back; "
                      "vacuum cannot remove rows deleted after it");
        case Client:
            return tr("Client address and port; local socket for Unix-socket connections");
        case Pool:
            return tr("The pool of the linked pooler (PgBouncer, Pgpool-II) holding this backend: "
                      "database/user");
        case PoolerClient:
            return tr("The client connected to the linked pooler that holds this backend: address:port, "
                      "application_name, client id (PgBouncer 1.24+). Refreshed every 5 s.");
        default:
            return {};
        }
    }
    if (role == Qt::TextAlignmentRole)
        return alignment(section);
    return QAbstractTableModel::headerData(section, orientation, role);
}

} // namespace poolscope::models
