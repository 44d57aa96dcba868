#include "core/parsers.h"

#include <QFile>
#include <QTest>

using namespace poolscope;

namespace {

ResultTable fixture(const QString &name)
{
    QFile f(QStringLiteral(POOLSCOPE_TEST_DATA "/") + name);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("missing fixture %s", qPrintable(name));
    QString error;
    ResultTable t = ResultTable::fromText(QString::fromUtf8(f.readAll()), &error);
    if (!error.isEmpty())
        qFatal("bad fixture %s: %s", qPrintable(name), qPrintable(error));
    return t;
}

template <typename T> QString n(const std::optional<T> &v)
{
    if (!v)
        return QStringLiteral("?");
    if constexpr (std::is_same_v<T, QString>)
        return *v;
    else if constexpr (std::is_same_v<T, double>)
        return QString::number(*v, 'f', 6);
    else
        return QString::number(*v);
}

// One line per pool so a failure shows exactly which field differs.
QString flatten(const PoolStats &p)
{
    return QStringLiteral("%1 mode=%2 size=%3 reserve=%4 cl_active=%5 cl_waiting=%6 sv_active=%7 sv_idle=%8 "
                          "sv_used=%9 sv_tested=%10 sv_login=%11 maxwait=%12 sv_active_cancel=%13")
        .arg(p.key(), n(p.poolMode), n(p.poolSize), n(p.reservePool), n(p.clActive), n(p.clWaiting),
             n(p.svActive), n(p.svIdle), n(p.svUsed))
        .arg(n(p.svTested), n(p.svLogin), n(p.maxwaitSeconds), n(p.svActiveCancel));
}

QString flatten(const Session &s, double now)
{
    auto age = [now](const std::optional<double> &t) {
        return t ? QString::number(now - *t, 'f', 1) : QStringLiteral("?");
    };
    return QStringLiteral(
               "%1 %2 state=%3 class=%4 app=%5 addr=%6 xact_age=%7 state_age=%8 wait=%9/%10 hidden=%11")
        .arg(QString::number(s.pid), s.usename, n(s.state), sessionStateName(s.stateClass()),
             s.applicationName, s.clientAddr, age(s.xactStart), age(s.stateChange), s.waitEventType)
        .arg(s.waitEvent, s.hidden ? QStringLiteral("yes") : QStringLiteral("no"));
}

} // namespace

class TestParsers : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void showPools_data()
    {
        QTest::addColumn<QString>("pools");
        QTest::addColumn<QString>("databases");
        QTest::addColumn<QStringList>("expected");
        QTest::addRow("PgBouncer 1.17")
            << "pgbouncer/show_pools_1.17.txt"
            << "pgbouncer/show_databases_1.17.txt"
            << QStringList{"app/app mode=transaction size=10 reserve=2 cl_active=12 cl_waiting=3 "
                           "sv_active=10 sv_idle=0 "
                           "sv_used=0 sv_tested=0 sv_login=0 maxwait=2.250000 sv_active_cancel=?",
                           "reports/analyst mode=session size=20 reserve=0 cl_active=1 cl_waiting=0 "
                           "sv_active=0 sv_idle=1 "
                           "sv_used=2 sv_tested=0 sv_login=0 maxwait=0.000000 sv_active_cancel=?"};
        QTest::addRow("PgBouncer 1.18")
            << "pgbouncer/show_pools_1.18.txt"
            << "pgbouncer/show_databases_1.18.txt"
            << QStringList{"app/app mode=transaction size=10 reserve=2 cl_active=12 cl_waiting=3 "
                           "sv_active=10 sv_idle=0 "
                           "sv_used=0 sv_tested=0 sv_login=0 maxwait=1.907826 sv_active_cancel=0",
                           "reports/analyst mode=session size=20 reserve=0 cl_active=1 cl_waiting=0 "
                           "sv_active=0 sv_idle=1 "
                           "sv_used=2 sv_tested=0 sv_login=1 maxwait=0.000000 sv_active_cancel=0"};
        QTest::addRow("PgBouncer 1.18, captured with 2 clients queued")
            << "pgbouncer/captured_1.18_saturated_show_pools.txt"
            << "pgbouncer/captured_1.18_saturated_show_databases.txt"
            << QStringList{"app/app mode=transaction size=10 reserve=0 cl_active=10 cl_waiting=2 "
                           "sv_active=10 sv_idle=0 "
                           "sv_used=0 sv_tested=0 sv_login=0 maxwait=1.255047 sv_active_cancel=0"};
        QTest::addRow("PgBouncer 1.24 (reserve_pool_size)")
            << "pgbouncer/show_pools_1.24.txt"
            << "pgbouncer/show_databases_1.24.txt"
            << QStringList{"app/app mode=transaction size=10 reserve=2 cl_active=12 cl_waiting=3 "
                           "sv_active=10 sv_idle=0 "
                           "sv_used=0 sv_tested=0 sv_login=0 maxwait=0.000005 sv_active_cancel=0",
                           "reports/analyst mode=session size=20 reserve=0 cl_active=1 cl_waiting=0 "
                           "sv_active=0 sv_idle=1 "
                           "sv_used=2 sv_tested=0 sv_login=1 maxwait=0.000000 sv_active_cancel=0"};
    }
    void showPools()
    {
        QFETCH(QString, pools);
        QFETCH(QString, databases);
        QFETCH(QStringList, expected);
        QList<PoolStats> parsed = parsers::parseShowPools(fixture(pools));
        parsers::joinPoolSizes(parsed, parsers::parseShowDatabases(fixture(databases)));
        QStringList got;
        for (const PoolStats &p : parsed)
            got.append(flatten(p));
        QCOMPARE(got, expected); // the console's own pool is gone
    }

    void missingColumnIsUnknownNotZero()
    {
        ResultTable t =
            ResultTable::fromText(QStringLiteral("database|user|cl_active|pool_mode\napp|app|4|session\n"));
        const auto pools = parsers::parseShowPools(t);
        QCOMPARE(pools.size(), 1);
        QCOMPARE(pools[0].clActive, std::optional<qint64>(4));
        QVERIFY(!pools[0].clWaiting.has_value());
        QVERIFY(!pools[0].maxwaitSeconds.has_value());
    }

    void showDatabases_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("expected");
        QTest::addRow("1.17")
            << "pgbouncer/show_databases_1.17.txt"
            << "app 127.0.0.1:5432 size=10 reserve=2 mode=? paused=0|reports 10.0.0.5:5433 size=20 "
               "reserve=0 mode=session paused=1";
        QTest::addRow("1.18")
            << "pgbouncer/show_databases_1.18.txt"
            << "app 127.0.0.1:5432 size=10 reserve=2 mode=? paused=0|reports 10.0.0.5:5433 size=20 "
               "reserve=0 mode=session paused=1";
        QTest::addRow("1.24")
            << "pgbouncer/show_databases_1.24.txt"
            << "app 127.0.0.1:5432 size=10 reserve=2 mode=? paused=0|reports 10.0.0.5:5433 size=20 "
               "reserve=0 mode=session paused=1";
    }
    void showDatabases()
    {
        QFETCH(QString, file);
        QFETCH(QString, expected);
        QStringList got;
        for (const BouncerDatabase &d : parsers::parseShowDatabases(fixture(file)))
            got.append(QStringLiteral("%1 %2:%3 size=%4 reserve=%5 mode=%6 paused=%7")
                           .arg(d.name, d.host, n(d.port), n(d.poolSize), n(d.reservePool), n(d.poolMode),
                                d.paused ? QString::number(int(*d.paused)) : QStringLiteral("?")));
        QCOMPARE(got.join(QLatin1Char('|')), expected);
    }

    void statsTotals_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addRow("1.17") << "pgbouncer/show_stats_totals_1.17.txt";
        QTest::addRow("1.18") << "pgbouncer/show_stats_totals_1.18.txt";
        QTest::addRow("1.24 (server_assignment_count first)") << "pgbouncer/show_stats_totals_1.24.txt";
    }
    void capturedStatsTotals()
    {
        const auto totals =
            parsers::parseShowStatsTotals(fixture("pgbouncer/captured_1.18_saturated_show_stats_totals.txt"));
        QCOMPARE(totals.size(), 1);
        QCOMPARE(totals[0].xactCount, std::optional<quint64>(2856));
        QCOMPARE(totals[0].waitTime, std::optional<quint64>(247645));
    }
    void statsTotals()
    {
        QFETCH(QString, file);
        const auto totals = parsers::parseShowStatsTotals(fixture(file));
        QCOMPARE(totals.size(), 1);
        QCOMPARE(totals[0].database, QStringLiteral("app"));
        // Counters beyond 32 bits must survive.
        QCOMPARE(totals[0].xactCount, std::optional<quint64>(5000000000ULL));
        QCOMPARE(totals[0].queryCount, std::optional<quint64>(7000000000ULL));
        QCOMPARE(totals[0].xactTime, std::optional<quint64>(90000000ULL));
        QCOMPARE(totals[0].queryTime, std::optional<quint64>(60000000ULL));
        QCOMPARE(totals[0].waitTime, std::optional<quint64>(1500000ULL));
    }

    void pgActivity_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QStringList>("expected");
        QTest::addColumn<QList<int>>("counts"); // active, idle, idle in tx, aborted, other, hidden
        QTest::addRow("PG 15, all states")
            << "postgres/pg_activity_15.txt"
            << QStringList{"101 app state=active class=active app=web addr=10.0.0.7 xact_age=10.0 "
                           "state_age=5.0 wait=/ hidden=no",
                           "102 app state=idle class=idle app=web addr=10.0.0.7 xact_age=? state_age=50.0 "
                           "wait=Client/ClientRead hidden=no",
                           "103 app state=idle in transaction class=idle in transaction app=worker "
                           "addr=10.0.0.8 xact_age=60.0 "
                           "state_age=58.5 wait=Client/ClientRead hidden=no",
                           "104 app state=idle in transaction (aborted) class=idle in transaction (aborted) "
                           "app=worker "
                           "addr=10.0.0.8 xact_age=? state_age=20.0 wait=Client/ClientRead hidden=no",
                           "105 app state=active class=active app=web addr=10.0.0.7 xact_age=2.0 "
                           "state_age=2.0 "
                           "wait=Lock/transactionid hidden=no",
                           "106 postgres state=idle class=idle app=psql addr= xact_age=? state_age=90.0 "
                           "wait=Client/ClientRead hidden=no",
                           "107 app state=fastpath function call class=other app= addr=127.0.0.1 "
                           "xact_age=1.0 state_age=1.0 wait=/ "
                           "hidden=no"}
            << QList<int>{2, 2, 1, 1, 1, 0};
        QTest::addRow("rows hidden by privileges")
            << "postgres/pg_activity_hidden.txt"
            << QStringList{"201 app state=idle in transaction class=idle in transaction app=web "
                           "addr=10.0.0.7 xact_age=60.0 "
                           "state_age=59.0 wait=Client/ClientRead hidden=no",
                           "202 other state=? class=other app= addr= xact_age=? state_age=? wait=/ "
                           "hidden=yes",
                           "203 analyst state=? class=other app= addr= xact_age=? state_age=? wait=/ "
                           "hidden=yes"}
            << QList<int>{0, 0, 1, 0, 2, 2};
    }
    void pgActivity()
    {
        QFETCH(QString, file);
        QFETCH(QStringList, expected);
        QFETCH(QList<int>, counts);
        const double now = 1700000100.0;
        const auto sessions = parsers::parsePgActivity(fixture(file));
        QStringList got;
        for (const Session &s : sessions)
            got.append(flatten(s, now));
        QCOMPARE(got, expected);
        const StateCounts c = parsers::countStates(sessions);
        QList<int> gotCounts(c.byState.begin(), c.byState.end());
        gotCounts.append(c.hidden);
        QCOMPARE(gotCounts, counts);
    }

    void pgServer_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("usable");
        QTest::addColumn<quint64>("commits");
        QTest::addRow("PG 15: max 100 - 3 superuser")
            << "postgres/pg_server_15.txt" << 97 << quint64(4294967396ULL);
        QTest::addRow("PG 16: max 200 - 3 - 5 reserved")
            << "postgres/pg_server_16.txt" << 192 << quint64(1000);
    }
    void pgServer()
    {
        QFETCH(QString, file);
        QFETCH(int, usable);
        QFETCH(quint64, commits);
        PostgresSample s;
        parsers::parsePgServer(fixture(file), s);
        QCOMPARE(s.usableConnections(), std::optional<int>(usable));
        QCOMPARE(s.xactCommit, std::optional<quint64>(commits));
        QCOMPARE(s.serverNow, 1700000100.0);
    }

    void oldestTransaction()
    {
        PostgresSample s;
        s.serverNow = 1700000100.0;
        s.sessions = parsers::parsePgActivity(fixture(QStringLiteral("postgres/pg_activity_15.txt")));
        QCOMPARE(s.oldestXactAge(), std::optional<double>(60.0));
    }

    void bouncerVersion_data()
    {
        QTest::addColumn<QString>("version");
        QTest::addColumn<bool>("bouncer");
        QTest::addRow("pgbouncer 1.18") << "1.18.0/bouncer" << true;
        QTest::addRow("postgres 15") << "15.18 (Debian 15.18-0+deb12u1)" << false;
        QTest::addRow("empty") << "" << false;
    }
    void bouncerVersion()
    {
        QFETCH(QString, version);
        QFETCH(bool, bouncer);
        QCOMPARE(parsers::isBouncerVersion(version), bouncer);
    }

    void fixtureFormatErrors()
    {
        QString error;
        const auto t = ResultTable::fromText(QStringLiteral("a|b\n1|2|3\n"), &error);
        QVERIFY(error.contains(QStringLiteral("3 fields")));
        QCOMPARE(t.rowCount(), 0);
    }
};

QTEST_GUILESS_MAIN(TestParsers)
#include "tst_parsers.moc"
