#include "postgressample.h"

#include "blocking.h"

#include <algorithm>

namespace poolscope {

QString sessionStateName(SessionState state)
{
    switch (state) {
    case SessionState::Active:
        return QStringLiteral("active");
    case SessionState::Idle:
        return QStringLiteral("idle");
    case SessionState::IdleInTransaction:
        return QStringLiteral("idle in transaction");
    case SessionState::IdleInTransactionAborted:
        return QStringLiteral("idle in transaction (aborted)");
    case SessionState::Other:
        break;
    }
    return QStringLiteral("other");
}

SessionState sessionStateFromText(const std::optional<QString> &state)
{
    if (!state)
        return SessionState::Other;
    // Called for every session of every sample: the length picks the one candidate to compare with (UTF-16
    // to UTF-16, a memory compare; comparing with a QLatin1String converts character by character).
    static constexpr QStringView idle = u"idle", active = u"active", idleInTx = u"idle in transaction",
                                 aborted = u"idle in transaction (aborted)";
    const QStringView v(*state);
    switch (v.size()) {
    case idle.size():
        return v == idle ? SessionState::Idle : SessionState::Other;
    case active.size():
        return v == active ? SessionState::Active : SessionState::Other;
    case idleInTx.size():
        return v == idleInTx ? SessionState::IdleInTransaction : SessionState::Other;
    case aborted.size():
        return v == aborted ? SessionState::IdleInTransactionAborted : SessionState::Other;
    default:
        return SessionState::Other;
    }
}

int StateCounts::total() const
{
    int sum = 0;
    for (int n : byState)
        sum += n;
    return sum;
}

std::optional<int> PostgresSample::usableConnections() const
{
    if (!maxConnections)
        return std::nullopt;
    return *maxConnections - superuserReserved.value_or(0) - reservedConnections.value_or(0);
}

std::optional<double> PostgresSample::oldestXactAge() const
{
    std::optional<double> oldest;
    for (const Session &s : sessions) {
        if (!s.xactStart)
            continue;
        const double age = std::max(0.0, serverNow - *s.xactStart);
        if (!oldest || age > *oldest)
            oldest = age;
    }
    return oldest;
}

std::optional<int> PostgresSample::headroom() const
{
    const std::optional<int> usable = usableConnections();
    if (!usable)
        return std::nullopt;
    return *usable - clientBackends();
}

namespace {

bool idleInTransaction(const Session &s)
{
    const SessionState st = s.stateClass();
    return st == SessionState::IdleInTransaction || st == SessionState::IdleInTransactionAborted;
}

/// Among sessions holding the horizon equally far back (a snapshot taken while a transaction was open has
/// that transaction's xid as its xmin: they tie), true when `a` is the one to look at before `b`: the one
/// whose own transaction id is the horizon (the others only copied it into their snapshots), then the
/// oldest transaction, then one idle in transaction (holding it for no work) over one running a query.
bool holdsBefore(const Session &a, const Session &b)
{
    const qint64 age = *a.horizonAge();
    const bool aOwns = a.backendXidAge && *a.backendXidAge == age;
    const bool bOwns = b.backendXidAge && *b.backendXidAge == age;
    if (aOwns != bOwns)
        return aOwns;
    if (a.xactStart.has_value() != b.xactStart.has_value())
        return a.xactStart.has_value();
    if (a.xactStart && *a.xactStart != *b.xactStart)
        return *a.xactStart < *b.xactStart;
    if (idleInTransaction(a) != idleInTransaction(b))
        return idleInTransaction(a);
    return a.pid < b.pid;
}

} // namespace

const Session *PostgresSample::oldestXminSession() const
{
    return poolscope::oldestXminSession(sessions);
}

const Session *oldestXminSession(const QList<Session> &sessions)
{
    const Session *oldest = nullptr;
    for (const Session &s : sessions) {
        const std::optional<qint64> age = s.horizonAge();
        if (!age)
            continue;
        if (!oldest || *age > *oldest->horizonAge() ||
            (*age == *oldest->horizonAge() && holdsBefore(s, *oldest)))
            oldest = &s;
    }
    return oldest;
}

const Session *PostgresSample::session(qint64 pid) const
{
    for (const Session &s : sessions) {
        if (s.pid == pid)
            return &s;
    }
    return nullptr;
}

int PostgresSample::blockedBehind(qint64 pid) const
{
    return int(blocking::waiterTree(*this, pid).size());
}

QHash<qint64, int> PostgresSample::blockedBehind(const QList<qint64> &pids) const
{
    QHash<qint64, int> out;
    if (pids.isEmpty())
        return out;
    const blocking::WaiterMap waiters = blocking::waitersByBlocker(*this);
    for (qint64 pid : pids)
        out.insert(pid, int(blocking::waiterTree(waiters, pid).size()));
    return out;
}

QString groupDimensionName(GroupDimension dimension)
{
    switch (dimension) {
    case GroupDimension::Application:
        return QStringLiteral("application");
    case GroupDimension::User:
        return QStringLiteral("user");
    case GroupDimension::Database:
        return QStringLiteral("database");
    case GroupDimension::Client:
        break;
    }
    return QStringLiteral("client");
}

} // namespace poolscope
