// The figures the fleet overview compares across targets, from one sample each.
#include "core/fleetsummary.h"

#include <QtTest>

using namespace poolscope;

namespace {

constexpr double Now = 1'700'000'100;

Session session(qint64 pid, const char *state, double idleForS = 0, QList<qint64> blockedBy = {})
{
    Session s;
    s.pid = pid;
    s.state = QString::fromLatin1(state);
    s.stateChange = Now - idleForS;
    s.blockedBy = blockedBy;
    if (!blockedBy.isEmpty())
        s.waitEventType = QStringLiteral("Lock");
    return s;
}

TargetSnapshot postgres(int maxConnections, QList<Session> sessions, int poolscope = 1)
{
    PostgresSample pg;
    pg.serverNow = Now;
    pg.maxConnections = maxConnections;
    pg.superuserReserved = 3;
    pg.sessions = sessions;
    pg.poolscopeSessions = poolscope;
    pg.counts = {};
    for (const Session &s : sessions)
        ++pg.counts[s.stateClass()];
    pg.lockWaiting = int(std::count_if(sessions.cbegin(), sessions.cend(),
                                       [](const Session &s) { return s.waitingOnLock(); }));
    for (const Session &s : sessions)
        for (qint64 b : s.blockedBy)
            if (!pg.rootBlockers.contains(b))
                pg.rootBlockers.append(b);
    TargetSnapshot snap;
    snap.ok = true;
    snap.kind = TargetKind::Postgres;
    snap.postgres = pg;
    return snap;
}

PoolStats pool(const char *db, qint64 poolSize, qint64 active, qint64 idle, qint64 waiting,
               double maxwait = 0)
{
    PoolStats p;
    p.database = QString::fromLatin1(db);
    p.user = QStringLiteral("app");
    p.poolSize = poolSize;
    p.svActive = active;
    p.svIdle = idle;
    p.svUsed = 0;
    p.svTested = 0;
    p.svLogin = 0;
    p.clActive = active;
    p.clWaiting = waiting;
    p.maxwaitSeconds = maxwait;
    return p;
}

TargetSnapshot bouncer(QList<PoolStats> pools, QList<BouncerDatabase> databases = {})
{
    TargetSnapshot snap;
    snap.ok = true;
    snap.kind = TargetKind::PgBouncer;
    snap.bouncer = BouncerSample{pools, databases, {}};
    return snap;
}

QString show(const std::optional<double> &v)
{
    return v ? QString::number(*v, 'f', 1) : QStringLiteral("?");
}
QString show(const std::optional<qint64> &v)
{
    return v ? QString::number(*v) : QStringLiteral("?");
}

} // namespace

class TestFleetSummary : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void figures_data()
    {
        QTest::addColumn<TargetSnapshot>("snapshot");
        QTest::addColumn<QString>("expected"); // occupancy|headroom|waiting|idle in txn|attention

        QTest::addRow("quiet postgres")
            << postgres(13, {session(1, "idle"), session(2, "active")}) << QStringLiteral("30.0|7|0|0|");
        QTest::addRow("young idle in transaction is counted, not named")
            << postgres(13, {session(1, "idle in transaction", 5)}) << QStringLiteral("20.0|8|0|1|");
        QTest::addRow("old idle in transaction is named with its age")
            << postgres(13, {session(1, "idle in transaction", 5),
                             session(2, "idle in transaction (aborted)", 125)})
            << QStringLiteral("30.0|7|0|2|2 idle in transaction, oldest idle 2 min 5 s");
        QTest::addRow("lock waits name the root blocker")
            << postgres(13, {session(1, "idle in transaction", 1), session(2, "active", 0, {1}),
                             session(3, "active", 0, {1})})
            << QStringLiteral("40.0|6|2|1|2 waiting on locks behind pid 1");
        QTest::addRow("full server first")
            << postgres(5, {session(1, "idle"), session(2, "idle")}, 0)
            << QStringLiteral("100.0|0|0|0|no connection slots left (2 of 2 used)");
        {
            TargetSnapshot unknownLimit = postgres(13, {session(1, "idle")});
            unknownLimit.postgres->maxConnections.reset();
            QTest::addRow("unknown limit: occupancy and headroom unknown")
                << unknownLimit << QStringLiteral("?|?|0|0|");
        }
        QTest::addRow("bouncer: the fullest pool counts")
            << bouncer({pool("app", 10, 2, 1, 0), pool("reports", 4, 3, 0, 0)})
            << QStringLiteral("75.0|1|0|?|");
        QTest::addRow("bouncer: saturated pool named with its queue")
            << bouncer({pool("app", 2, 2, 0, 3, 4.5), pool("reports", 4, 1, 0, 0)})
            << QStringLiteral("100.0|0|3|?|pool full: app/app (3 waiting); oldest wait 4.5 s");
        QTest::addRow("bouncer: waiting while slots remain is not saturation")
            << bouncer({pool("app", 10, 1, 0, 2)}) << QStringLiteral("10.0|9|2|?|2 clients waiting");
        {
            BouncerDatabase paused;
            paused.name = QStringLiteral("app");
            paused.paused = true;
            QTest::addRow("bouncer: a paused database") << bouncer({pool("app", 10, 0, 0, 0)}, {paused})
                                                        << QStringLiteral("0.0|10|0|?|database app paused");
        }
        {
            PoolStats unlimited = pool("app", 0, 5, 0, 0);
            QTest::addRow("bouncer: pool_size 0 (unlimited) has no occupancy")
                << bouncer({unlimited}) << QStringLiteral("?|?|0|?|");
        }
        QTest::addRow("failed sample: nothing known") << TargetSnapshot{} << QStringLiteral("?|?|?|?|");
    }
    void figures()
    {
        QFETCH(TargetSnapshot, snapshot);
        QFETCH(QString, expected);
        const FleetFigures f = fleetFigures(snapshot);
        const QString got = QStringList{show(f.occupancy), show(f.headroom), show(f.waiting),
                                        show(f.idleInTransaction), f.attention}
                                .join(QLatin1Char('|'));
        QCOMPARE(got, expected);
    }

    void ages_data()
    {
        QTest::addColumn<double>("seconds");
        QTest::addColumn<QString>("text");
        QTest::addRow("seconds") << 4.24 << QStringLiteral("4.2 s");
        QTest::addRow("minutes") << 125.0 << QStringLiteral("2 min 5 s");
        QTest::addRow("hours") << 5400.0 << QStringLiteral("1.5 h");
        QTest::addRow("clock skew is not negative") << -3.0 << QStringLiteral("0.0 s");
    }
    void ages()
    {
        QFETCH(double, seconds);
        QFETCH(QString, text);
        QCOMPARE(ageText(seconds), text);
    }
};

QTEST_GUILESS_MAIN(TestFleetSummary)
#include "tst_fleetsummary.moc"
