// Integration: `poolscope pooler` and the pooler chain of `poolscope snapshot`, as a script runs them against
// the sandbox. KILL with --yes drops the held client and leaves the database usable; without --yes and with
// no terminal nothing is dropped (exit 3); a bad command is a usage error (exit 2); a snapshot given the
// PostgreSQL server and the PgBouncer console in front of it tells, for each backend PgBouncer holds, the
// pool and the client at the other end.
#include "actions/actionsupport.h"
#include "support/sandboxtestcase.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

using namespace poolscope;
using poolscope::test::auditLines;
using poolscope::test::jsonOf;

namespace {

/// What a client is told when it runs `sql`; empty on success.
QString queryError(PGconn *conn, const char *sql = "SELECT 1")
{
    db::PgResult r(PQexec(conn, sql));
    const auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)
        return {};
    return db::cleanMessage(PQerrorMessage(conn));
}

qint64 backendPidOf(PGconn *conn)
{
    db::PgResult r(PQexec(conn, "SELECT pg_backend_pid()"));
    if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK)
        return 0;
    return QByteArray(PQgetvalue(r.get(), 0, 0)).toLongLong();
}

/// The local TCP port of a client connection (what PgBouncer reports as the client's port).
int localPort(PGconn *conn)
{
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    if (getsockname(PQsocket(conn), reinterpret_cast<sockaddr *>(&addr), &len) != 0)
        return -1;
    return ntohs(addr.sin_port);
}

QString freshClientError(const QString &conninfo)
{
    DbError e;
    db::PgConn conn = db::connect(db::parseConnInfo(conninfo), db::ConnectOptions{"tst-fresh"}, &e);
    if (!conn)
        return e.message;
    return queryError(conn.get());
}

} // namespace

class TestPoolerCli : public test::SandboxTestCase
{
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_audit;

    QString console() const { return m_sandbox->uris().pgbouncerConsole; }

private Q_SLOTS:
    void init()
    {
        // The child writes its audit log under XDG_DATA_HOME and reads its settings under XDG_CONFIG_HOME.
        static int n = 0;
        const QString base = m_dir.filePath(QString::number(++n));
        qputenv("XDG_DATA_HOME", (base + "/data").toUtf8());
        qputenv("XDG_CONFIG_HOME", (base + "/config").toUtf8());
        m_audit = base + "/data/poolscope/audit.jsonl";
    }

    void helpAndUsage()
    {
        const auto help = test::runPoolscope({"pooler", "--help"});
        QCOMPARE(help.exitCode, 0);
        for (const char *needle : {"Exit codes", "reconnect", "kill-client", "RESUME", "PAUSE", "--yes"})
            QVERIFY2(help.out.contains(needle), needle);
        const auto top = test::runPoolscope({"--help"});
        QVERIFY(top.out.contains("poolscope pooler TARGET"));
    }

    void badCommandIsAUsageError_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QTest::addRow("unknown command")
            << QStringList{"CONSOLE", "explode", "app"} << "unknown command \"explode\"";
        QTest::addRow("pause is never offered")
            << QStringList{"CONSOLE", "pause", "app"} << "unknown command \"pause\"";
        QTest::addRow("missing argument") << QStringList{"CONSOLE", "kill"} << "expected TARGET COMMAND ARG";
        QTest::addRow("bad database name") << QStringList{"CONSOLE", "kill", "app; SHUTDOWN"} << "";
        QTest::addRow("bad client id") << QStringList{"CONSOLE", "kill-client", "x1"} << "";
        QTest::addRow("unknown option")
            << QStringList{"CONSOLE", "kill", "app", "--force"} << "Unknown option 'force'";
    }
    void badCommandIsAUsageError()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        if (args.first() == QLatin1String("CONSOLE"))
            args[0] = console();
        const auto r = test::runPoolscope(QStringList{"pooler"} + args);
        QCOMPARE(r.exitCode, 1); // the shared table: a bad command line is 1 in every command
        QVERIFY2(r.err.contains("usage: poolscope pooler TARGET"), r.err.constData());
        QVERIFY2(r.err.contains(message.toUtf8()), r.err.constData());
        QVERIFY(!QFile::exists(m_audit)); // nothing was attempted
    }

    void killWithYesDropsTheClientAndLeavesTheDatabaseUsable()
    {
        test::HeldSessions held;
        QString error;
        QVERIFY2(
            held.open(m_sandbox->uris().pgbouncerApp, 1, "tst-pooler-cli", {"BEGIN", "SELECT 1"}, &error),
            qPrintable(error));
        const auto r = test::runPoolscope({"pooler", console(), "kill", "app", "--yes", "--json"});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QJsonObject o = jsonOf(r);
        for (const char *key : {"target", "command", "argument", "statements", "ok", "error"})
            QVERIFY2(o.contains(key), key);
        QCOMPARE(o["target"].toString(),
                 QString("pgbadmin@127.0.0.1:%1/pgbouncer").arg(m_sandbox->bouncerPort()));
        QCOMPARE(o["command"].toString(), QString("kill"));
        QCOMPARE(o["argument"].toString(), QString("app"));
        QCOMPARE(o["statements"].toArray(), (QJsonArray{"KILL app", "RESUME app"}));
        QCOMPARE(o["ok"].toBool(), true);
        QVERIFY(o["error"].isNull());
        QVERIFY(!r.out.contains("passfile"));

        QVERIFY(!queryError(held.at(0)).isEmpty()); // dropped
        const QString fresh = freshClientError(m_sandbox->uris().pgbouncerApp);
        QVERIFY2(fresh.isEmpty(), qPrintable(fresh)); // usable, not paused

        const auto lines = auditLines(m_audit);
        QCOMPARE(lines.size(), 1);
        QCOMPARE(lines[0]["action"].toString(), QString("pooler.kill"));
        QCOMPARE(lines[0]["outcome"].toString(), QString("done"));
    }

    void noTerminalNoConfirmationNothingDropped()
    {
        test::HeldSessions held;
        QString error;
        QVERIFY2(
            held.open(m_sandbox->uris().pgbouncerApp, 1, "tst-pooler-notty", {"BEGIN", "SELECT 1"}, &error),
            qPrintable(error));
        const auto r = test::runPoolscope({"pooler", console(), "kill", "app"});
        QCOMPARE(r.exitCode, 3);
        // The preview was printed: what would be dropped, and the statements.
        QVERIFY2(r.err.contains("KILL app"), r.err.constData());
        QVERIFY2(r.err.contains("RESUME app"), r.err.constData());
        QVERIFY2(r.err.contains("no confirmation"), r.err.constData());
        QCOMPARE(queryError(held.at(0)), QString()); // still in its transaction
        const auto lines = auditLines(m_audit);
        QCOMPARE(lines.size(), 1);
        QCOMPARE(lines[0]["outcome"].toString(), QString("refused"));
        QVERIFY(lines[0]["result"].toString().contains("no confirmation"));
    }

    void statsUserAndReadOnlyAreRefused()
    {
        const auto stats =
            test::runPoolscope({"pooler", m_sandbox->uris().pgbouncerMonitor, "kill", "app", "--yes"});
        QCOMPARE(stats.exitCode, 3);
        QVERIFY2(stats.err.contains("admin_users"), stats.err.constData());
        const auto ro = test::runPoolscope({"pooler", console(), "reconnect", "app", "--yes", "--read-only"});
        QCOMPARE(ro.exitCode, 3);
        QVERIFY2(ro.err.contains("read-only"), ro.err.constData());
        QCOMPARE(auditLines(m_audit).size(), 2);
    }

    void unreachableConsoleIsExit2()
    {
        const auto r = test::runPoolscope(
            {"pooler", "host=127.0.0.1 port=1 dbname=pgbouncer user=pgbadmin", "reconnect", "app", "--yes"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("Connection refused"), r.err.constData());
    }

    void snapshotLinksSessionsToTheirPoolAndClient()
    {
        test::HeldSessions holders[2];
        QHash<qint64, QPair<QString, int>> expected; // backend pid -> (application_name, client port)
        for (int i = 0; i < 2; ++i) {
            const QByteArray app = "holder-" + QByteArray::number(i + 1);
            QString error;
            QVERIFY2(holders[i].open(m_sandbox->uris().pgbouncerApp, 1, app, {"BEGIN", "SELECT 1"}, &error),
                     qPrintable(error));
            const qint64 pid = backendPidOf(holders[i].at(0));
            QVERIFY(pid > 0);
            expected.insert(pid, {QString::fromUtf8(app), localPort(holders[i].at(0))});
        }
        const auto r = test::runPoolscope({"snapshot", "--json", m_sandbox->uris().monitor, console()});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QJsonArray targets = jsonOf(r)["targets"].toArray();
        QCOMPARE(targets.size(), 2);
        const QJsonObject pg = targets.at(0).toObject();
        QCOMPARE(pg["kind"].toString(), QString("postgres"));
        int linked = 0;
        for (const QJsonValue &v : pg["sessions"].toObject()["list"].toArray()) {
            const QJsonObject s = v.toObject();
            const qint64 pid = s["pid"].toInteger();
            if (!expected.contains(pid)) {
                // A session that did not come through PgBouncer carries no chain.
                if (s["application_name"].toString().startsWith("tst-"))
                    QVERIFY(!s.contains("client"));
                continue;
            }
            ++linked;
            const QString dumpText = QString::fromUtf8(QJsonDocument(s).toJson());
            QVERIFY2(s.contains("pool") && s.contains("client"), qPrintable(dumpText));
            QCOMPARE(s["pool"].toObject()["database"].toString(), QString("app"));
            QCOMPARE(s["pool"].toObject()["user"].toString(), QString("app"));
            const QJsonObject client = s["client"].toObject();
            QCOMPARE(client["application_name"].toString(), expected[pid].first);
            QCOMPARE(client["port"].toInt(), expected[pid].second);
            QCOMPARE(client["addr"].toString(), QString("127.0.0.1"));
        }
        QCOMPARE(linked, 2);
        // The console's own entry is unchanged (its pools still listed).
        QCOMPARE(targets.at(1).toObject()["kind"].toString(), QString("pgbouncer"));
    }

    void snapshotWithoutAPoolerInFrontHasNoChain()
    {
        test::HeldSessions held;
        QString error;
        QVERIFY2(held.open(m_sandbox->uris().app, 1, "tst-direct", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        const auto r = test::runPoolscope({"snapshot", "--json", m_sandbox->uris().monitor});
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QJsonObject pg = jsonOf(r)["targets"].toArray().at(0).toObject();
        for (const QJsonValue &v : pg["sessions"].toObject()["list"].toArray()) {
            QVERIFY(!v.toObject().contains("pool"));
            QVERIFY(!v.toObject().contains("client"));
        }
    }
};

QTEST_GUILESS_MAIN(TestPoolerCli)
#include "tst_poolercli.moc"
