#include "snapshot.h"

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
    if (*state == QLatin1String("active"))
        return SessionState::Active;
    if (*state == QLatin1String("idle"))
        return SessionState::Idle;
    if (*state == QLatin1String("idle in transaction"))
        return SessionState::IdleInTransaction;
    if (*state == QLatin1String("idle in transaction (aborted)"))
        return SessionState::IdleInTransactionAborted;
    return SessionState::Other;
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

QString targetKindName(TargetKind kind)
{
    switch (kind) {
    case TargetKind::Postgres:
        return QStringLiteral("postgres");
    case TargetKind::PgBouncer:
        return QStringLiteral("pgbouncer");
    case TargetKind::Unknown:
        break;
    }
    return QStringLiteral("unknown");
}

} // namespace poolscope
