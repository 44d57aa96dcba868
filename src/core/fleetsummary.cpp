#include "fleetsummary.h"

#include <QStringList>
#include <cmath>

namespace poolscope {

namespace {

// An idle-in-transaction session older than this is named in the attention text: by then it is holding a
// pooled connection (and locks, and the xmin horizon) for no work.
constexpr double kIdleInTransactionNoticeS = 30;

void postgresFigures(const PostgresSample &pg, FleetFigures &f)
{
    if (const auto usable = pg.usableConnections(); usable && *usable > 0)
        f.occupancy = 100.0 * double(pg.clientBackends()) / double(*usable);
    if (const auto headroom = pg.headroom())
        f.headroom = *headroom;
    // Read back from Prometheus: lock waiters as exported (unknown from postgres_exporter), never a 0 the
    // missing session list would make up.
    const std::optional<int> lockWaiting = pg.exported ? pg.exported->lockWaiting : pg.lockWaiting;
    if (lockWaiting)
        f.waiting = *lockWaiting;
    f.idleInTransaction =
        pg.counts[SessionState::IdleInTransaction] + pg.counts[SessionState::IdleInTransactionAborted];

    QStringList notes;
    if (f.headroom && *f.headroom <= 0)
        notes.append(QStringLiteral("no connection slots left (%1 of %2 used)")
                         .arg(pg.clientBackends())
                         .arg(pg.usableConnections().value_or(0)));
    if (lockWaiting.value_or(0) > 0) {
        QString text = QStringLiteral("%1 waiting on locks").arg(*lockWaiting);
        if (!pg.rootBlockers.isEmpty())
            text += QStringLiteral(" behind pid %1").arg(pg.rootBlockers.first());
        notes.append(text);
    }
    if (*f.idleInTransaction > 0) {
        // The oldest idle-in-transaction session, by how long it has been idle.
        double oldest = pg.exported ? pg.exported->oldestIdleInTransactionS.value_or(0) : 0;
        for (const Session &s : pg.sessions) {
            const SessionState st = s.stateClass();
            if ((st == SessionState::IdleInTransaction || st == SessionState::IdleInTransactionAborted) &&
                s.stateChange)
                oldest = std::max(oldest, pg.serverNow - *s.stateChange);
        }
        if (oldest >= kIdleInTransactionNoticeS)
            notes.append(QStringLiteral("%1 idle in transaction, oldest idle %2")
                             .arg(*f.idleInTransaction)
                             .arg(ageText(oldest)));
    }
    f.attention = notes.join(QStringLiteral("; "));
}

void bouncerFigures(const BouncerSample &b, FleetFigures &f)
{
    const PoolStats *fullest = nullptr;
    qint64 waiting = 0;
    bool anyWaiting = false;
    QStringList saturated;
    double oldestWait = 0;
    for (const PoolStats &p : b.pools) {
        if (p.clWaiting) {
            anyWaiting = true;
            waiting += *p.clWaiting;
        }
        oldestWait = std::max(oldestWait, p.maxwaitSeconds.value_or(0));
        if (p.saturated())
            saturated.append(QStringLiteral("%1 (%2 waiting)").arg(p.key()).arg(p.clWaiting.value_or(0)));
        const auto open = p.openFraction();
        if (open && (!fullest || *open > *fullest->openFraction()))
            fullest = &p;
    }
    if (fullest) {
        f.occupancy = 100.0 * *fullest->openFraction();
        f.headroom = *fullest->poolSize - *fullest->serverCount();
    }
    if (anyWaiting)
        f.waiting = waiting;

    QStringList notes;
    if (!saturated.isEmpty())
        notes.append(QStringLiteral("pool full: ") + saturated.join(QStringLiteral(", ")));
    else if (waiting > 0)
        notes.append(QStringLiteral("%1 clients waiting").arg(waiting));
    if (oldestWait >= 1)
        notes.append(QStringLiteral("oldest wait %1").arg(ageText(oldestWait)));
    for (const BouncerDatabase &d : b.databases) {
        if (d.paused.value_or(false))
            notes.append(QStringLiteral("database %1 paused").arg(d.name));
    }
    f.attention = notes.join(QStringLiteral("; "));
}

} // namespace

FleetFigures fleetFigures(const TargetSnapshot &snapshot)
{
    FleetFigures f;
    if (!snapshot.ok)
        return f;
    if (snapshot.postgres)
        postgresFigures(*snapshot.postgres, f);
    else if (snapshot.bouncer)
        bouncerFigures(*snapshot.bouncer, f);
    return f;
}

QString ageText(double seconds)
{
    seconds = std::max(0.0, seconds);
    if (seconds < 60)
        return QString::number(seconds, 'f', 1) + QStringLiteral(" s");
    if (seconds < 3600)
        return QString::number(int(seconds / 60)) + QStringLiteral(" min ") +
               QString::number(int(seconds) % 60) + QStringLiteral(" s");
    return QString::number(seconds / 3600, 'f', 1) + QStringLiteral(" h");
}

} // namespace poolscope
