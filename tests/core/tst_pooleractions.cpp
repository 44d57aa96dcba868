#include "core/bouncerparsers.h"
#include "core/pooleractions.h"
#include "support/fixture.h"

#include <QTest>

using namespace poolscope;
using poolscope::test::fixture;

namespace {

// A PgBouncer console as the sampler would fill it: pools, databases, users, and a connections round.
BouncerSample sample(const QString &version, int versionNum, ConsoleAccess access,
                     bool withConnections = true)
{
    BouncerSample s;
    s.versionText = version;
    s.versionNum = versionNum;
    s.access = access;
    s.pools = parsers::parseShowPools(fixture("pgbouncer/show_pools_1.23.txt"));
    s.databases = parsers::parseShowDatabases(fixture("pgbouncer/show_databases_1.24.txt"));
    s.users = parsers::parseShowUsers(fixture("pgbouncer/show_users_1.24.txt"));
    parsers::joinPoolSizes(s.pools, s.databases, s.users);
    if (withConnections) {
        s.clients = parsers::parseShowConnections(fixture("pgbouncer/show_clients_1.24.txt"));
        s.servers = parsers::parseShowConnections(fixture("pgbouncer/show_servers_1.24.txt"));
    }
    return s;
}

} // namespace

class TestPoolerActions : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void names()
    {
        for (PoolerCommand c : {PoolerCommand::Reconnect, PoolerCommand::KillClient, PoolerCommand::Kill,
                                PoolerCommand::Resume})
            QCOMPARE(poolerCommandFromName(poolerCommandName(c)), std::optional<PoolerCommand>(c));
        QCOMPARE(poolerCommandName(PoolerCommand::KillClient), QString("kill-client"));
        QCOMPARE(poolerCommandFromName("KILL"), std::optional<PoolerCommand>(PoolerCommand::Kill));
        QVERIFY(!poolerCommandFromName("pause")); // never offered
        QVERIFY(!poolerCommandFromName("shutdown"));
        QVERIFY(!poolerCommandFromName(""));
    }

    void availability_data()
    {
        QTest::addColumn<BouncerSample>("console");
        QTest::addColumn<int>("command");
        QTest::addColumn<QString>("argument");
        QTest::addColumn<QString>("reason"); // empty: enabled
        const BouncerSample admin124 = sample("PgBouncer 1.24.1", 12401, ConsoleAccess::Admin);
        const BouncerSample admin118 = sample("PgBouncer 1.18.0", 11800, ConsoleAccess::Admin);
        const BouncerSample stats124 = sample("PgBouncer 1.24.1", 12401, ConsoleAccess::StatsOnly);
        const BouncerSample unknown124 = sample("PgBouncer 1.24.1", 12401, ConsoleAccess::Unknown);
        BouncerSample pgcat = admin124;
        pgcat.flavor = PoolerFlavor::PgCat;
        BouncerSample odyssey = admin124;
        odyssey.flavor = PoolerFlavor::Odyssey;
        BouncerSample paused = admin124;
        paused.databases[1].paused = true; // reports
        BouncerSample pauseUnknown = admin124;
        pauseUnknown.databases[0].paused.reset();
        const BouncerSample noRound = sample("PgBouncer 1.24.1", 12401, ConsoleAccess::Admin, false);
        BouncerSample versionUnknown = admin124;
        versionUnknown.versionNum = 0;
        const int reconnect = int(PoolerCommand::Reconnect);
        const int kill = int(PoolerCommand::Kill);
        const int killClient = int(PoolerCommand::KillClient);
        const int resume = int(PoolerCommand::Resume);
        const QString statsReason = "needs a console user listed in admin_users (this login is a stats user)";

        QTest::addRow("admin: RECONNECT app") << admin124 << reconnect << "app"
                                              << "";
        QTest::addRow("admin: KILL app") << admin124 << kill << "app"
                                         << "";
        QTest::addRow("admin 1.18: KILL app") << admin118 << kill << "app"
                                              << "";
        QTest::addRow("access unknown: offered") << unknown124 << kill << "app"
                                                 << "";
        QTest::addRow("stats user: RECONNECT") << stats124 << reconnect << "app" << statsReason;
        QTest::addRow("stats user: KILL") << stats124 << kill << "app" << statsReason;
        QTest::addRow("stats user: KILL_CLIENT") << stats124 << killClient << "17" << statsReason;
        QTest::addRow("stats user: RESUME") << stats124 << resume << "reports" << statsReason;
        QTest::addRow("1.24: KILL_CLIENT 17") << admin124 << killClient << "17"
                                              << "";
        QTest::addRow("1.18: KILL_CLIENT") << admin118 << killClient << "17"
                                           << "KILL_CLIENT needs PgBouncer 1.24 or later (this is 1.18.0)";
        QTest::addRow("version unknown: KILL_CLIENT")
            << versionUnknown << killClient << "17"
            << "KILL_CLIENT needs PgBouncer 1.24 or later (the version is unknown)";
        QTest::addRow("KILL_CLIENT of a client not in SHOW CLIENTS")
            << admin124 << killClient << "99"
            << "no client with id 99 in SHOW CLIENTS";
        QTest::addRow("KILL_CLIENT without a connections round") << noRound << killClient << "99"
                                                                 << "";
        QTest::addRow("KILL_CLIENT of a name") << admin124 << killClient << "app"
                                               << "client id \"app\" is not a number";
        QTest::addRow("PgCat") << pgcat << reconnect << "app"
                               << "not offered on PgCat/Odyssey consoles";
        QTest::addRow("Odyssey") << odyssey << kill << "app"
                                 << "not offered on PgCat/Odyssey consoles";
        QTest::addRow("PgCat KILL_CLIENT") << pgcat << killClient << "17"
                                           << "not offered on PgCat/Odyssey consoles";
        QTest::addRow("unknown database") << admin124 << kill << "x"
                                          << "no database \"x\" in SHOW DATABASES";
        QTest::addRow("the console itself") << admin124 << kill << "pgbouncer"
                                            << "no database \"pgbouncer\" in SHOW DATABASES";
        QTest::addRow("invalid name") << admin124 << reconnect << "app; SHUTDOWN"
                                      << "database name \"app; SHUTDOWN\" has characters the console does "
                                         "not accept (letters, digits, _ - . "
                                         "only)";
        QTest::addRow("no name") << admin124 << kill << ""
                                 << "a database name is needed";
        QTest::addRow("RESUME of a running database") << admin124 << resume << "app"
                                                      << "database \"app\" is not paused";
        QTest::addRow("RESUME of a paused database") << paused << resume << "reports"
                                                     << "";
        QTest::addRow("RESUME, pause state unknown") << pauseUnknown << resume << "app"
                                                     << "";
    }

    void availability()
    {
        QFETCH(BouncerSample, console);
        QFETCH(int, command);
        QFETCH(QString, argument);
        QFETCH(QString, reason);
        const ActionAvailability a = poolerActionAvailability(console, PoolerCommand(command), argument);
        QCOMPARE(a.reason, reason);
        QCOMPARE(a.enabled, reason.isEmpty());
    }

    void preview_data()
    {
        QTest::addColumn<BouncerSample>("console");
        QTest::addColumn<int>("command");
        QTest::addColumn<QString>("argument");
        QTest::addColumn<QString>("text");
        const BouncerSample s = sample("PgBouncer 1.24.1", 12401, ConsoleAccess::Admin);
        // show_pools_1.23.txt: app/app 12 active + 3 waiting, 10 active + 1 sending a cancel;
        // app/report 4 + 2 waiting, 4 active.
        QTest::addRow("KILL app")
            << s << int(PoolerCommand::Kill) << "app"
            << "KILL app: drops 21 clients and 15 server connections of database app (pools "
               "app/app, app/report), then RESUME app.";
        QTest::addRow("RECONNECT app") << s << int(PoolerCommand::Reconnect) << "app"
                                       << "RECONNECT app: closes 15 server connections of database app "
                                          "(pools app/app, app/report) as each "
                                          "is next released; clients stay connected.";
        QTest::addRow("RESUME app") << s << int(PoolerCommand::Resume) << "app"
                                    << "RESUME app: lets 5 waiting clients of database app (pools app/app, "
                                       "app/report) run again.";
        BouncerSample one = s;
        one.pools.removeLast();
        one.pools[0].clActive = 0;
        one.pools[0].clWaiting = 1;
        one.pools[0].svActive = 1;
        one.pools[0].svActiveCancel = 0;
        QTest::addRow("singular") << one << int(PoolerCommand::Kill) << "app"
                                  << "KILL app: drops 1 client and 1 server connection of database app (pool "
                                     "app/app), then RESUME app.";
        BouncerSample odd = s;
        odd.pools[1].clWaiting.reset();
        odd.pools[1].svActive.reset();
        QTest::addRow("a pool without counters: unknown, not 0")
            << odd << int(PoolerCommand::Kill) << "app"
            << "KILL app: drops an unknown number of clients and an unknown number of server connections of "
               "database app (pools app/app, app/report), then RESUME app.";
        QTest::addRow("database without pools")
            << s << int(PoolerCommand::Kill) << "reports"
            << "KILL reports: drops 0 clients and 0 server connections of "
               "database reports (no pools in SHOW POOLS), then RESUME reports.";
        QTest::addRow("KILL_CLIENT names the client and its backend")
            << s << int(PoolerCommand::KillClient) << "17"
            << "KILL_CLIENT 17: drops client 17 (10.0.0.5:51234, application_name billing, user app, "
               "database app, "
               "active) and its server connection (backend pid 4242).";
        QTest::addRow("KILL_CLIENT of a client holding no server")
            << s << int(PoolerCommand::KillClient) << "19"
            << "KILL_CLIENT 19: drops client 19 (10.0.0.7:40200, application_name report, user app, database "
               "app, "
               "waiting) and it holds no server connection.";
        QTest::addRow("KILL_CLIENT without SHOW CLIENTS")
            << sample("PgBouncer 1.24.1", 12401, ConsoleAccess::Admin, false)
            << int(PoolerCommand::KillClient) << "17"
            << "KILL_CLIENT 17: drops client 17 and the server connection it holds, if any.";
    }

    void preview()
    {
        QFETCH(BouncerSample, console);
        QFETCH(int, command);
        QFETCH(QString, argument);
        QFETCH(QString, text);
        QCOMPARE(poolerActionPreview(console, PoolerCommand(command), argument), text);
    }

    void statements_data()
    {
        QTest::addColumn<int>("command");
        QTest::addColumn<QString>("argument");
        QTest::addColumn<QStringList>("statements");
        QTest::addColumn<bool>("error");
        const int reconnect = int(PoolerCommand::Reconnect);
        const int kill = int(PoolerCommand::Kill);
        const int killClient = int(PoolerCommand::KillClient);
        const int resume = int(PoolerCommand::Resume);
        QTest::addRow("RECONNECT") << reconnect << "app" << QStringList{"RECONNECT app"} << false;
        QTest::addRow("KILL is followed by RESUME")
            << kill << "app" << QStringList{"KILL app", "RESUME app"} << false;
        QTest::addRow("RESUME") << resume << "app" << QStringList{"RESUME app"} << false;
        QTest::addRow("KILL_CLIENT") << killClient << "17" << QStringList{"KILL_CLIENT 17"} << false;
        QTest::addRow("name with _ - . and digits")
            << kill << "app_2-east.v1" << QStringList{"KILL app_2-east.v1", "RESUME app_2-east.v1"} << false;
        QTest::addRow("a second command") << kill << "app; SHUTDOWN" << QStringList{} << true;
        QTest::addRow("a space") << reconnect << "app db" << QStringList{} << true;
        QTest::addRow("a quote") << resume << "app\"" << QStringList{} << true;
        QTest::addRow("a newline") << kill << "app\nSHUTDOWN" << QStringList{} << true;
        QTest::addRow("non-ASCII letters") << kill << QString::fromUtf8("bäck") << QStringList{} << true;
        QTest::addRow("empty name") << kill << "" << QStringList{} << true;
        QTest::addRow("too long") << kill << QString(64, QLatin1Char('a')) << QStringList{} << true;
        QTest::addRow("63 characters") << reconnect << QString(63, QLatin1Char('a'))
                                       << QStringList{"RECONNECT " + QString(63, QLatin1Char('a'))} << false;
        QTest::addRow("client id with letters") << killClient << "17a" << QStringList{} << true;
        QTest::addRow("negative client id") << killClient << "-1" << QStringList{} << true;
        QTest::addRow("empty client id") << killClient << "" << QStringList{} << true;
    }

    void statements()
    {
        QFETCH(int, command);
        QFETCH(QString, argument);
        QFETCH(QStringList, statements);
        QFETCH(bool, error);
        QString message = "stale";
        QCOMPARE(poolerStatements(PoolerCommand(command), argument, &message), statements);
        QCOMPARE(!message.isEmpty(), error);
        QCOMPARE(poolerStatements(PoolerCommand(command), argument, nullptr),
                 statements); // error is optional
    }
};

QTEST_GUILESS_MAIN(TestPoolerActions)
#include "tst_pooleractions.moc"
