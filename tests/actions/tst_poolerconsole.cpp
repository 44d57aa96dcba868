// Integration: pooler actions against the sandbox PgBouncer 1.18. KILL + RESUME drops a client held in a
// transaction and leaves the database usable (not paused, new clients served); RECONNECT closes the server
// when it is released; what the console cannot do is refused with the reason before anything is sent (RESUME
// of a database that is not paused, a stats user, KILL_CLIENT before 1.24, read-only mode); one audit line
// per attempt, without secrets.
#include "actionsupport.h"
#include "core/auditlog.h"
#include "core/readonly.h"
#include "db/pooleraction.h"
#include "support/sandboxtestcase.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QTemporaryDir>
#include <QTest>
#include <csignal>

using namespace poolscope;

namespace {

/// SHOW DATABASES "paused" of one database, read on an admin console connection of the test's own.
std::optional<QString> pausedOf(const QString &console, const QString &database)
{
    DbError e;
    db::PgConn conn = db::connect(db::parseConnInfo(console), db::ConnectOptions{"tst-observer"}, &e);
    if (!conn)
        return std::nullopt;
    db::PgResult r = db::exec(conn.get(), "SHOW DATABASES", &e);
    if (!r)
        return std::nullopt;
    const int name = PQfnumber(r.get(), "name");
    const int paused = PQfnumber(r.get(), "paused");
    for (int i = 0; i < PQntuples(r.get()); ++i) {
        if (QString::fromUtf8(PQgetvalue(r.get(), i, name)) == database)
            return QString::fromUtf8(PQgetvalue(r.get(), i, paused));
    }
    return std::nullopt;
}

/// A new client through PgBouncer runs SELECT 1: the empty string on success, else what it was told.
QString freshClientError(const QString &pgbouncerApp)
{
    DbError e;
    db::ConnectOptions co{"tst-fresh"};
    co.connectTimeoutS = 5;
    db::PgConn conn = db::connect(db::parseConnInfo(pgbouncerApp), co, &e);
    if (!conn)
        return e.message;
    return test::queryError(conn.get(), "SELECT 1");
}

qint64 backendPidOf(PGconn *conn)
{
    db::PgResult r(PQexec(conn, "SELECT pg_backend_pid()"));
    if (!r || PQresultStatus(r.get()) != PGRES_TUPLES_OK)
        return 0;
    return QByteArray(PQgetvalue(r.get(), 0, 0)).toLongLong();
}

QString dump(const db::PoolerActionResult &r)
{
    return QStringLiteral("ok=%1 refused=%2 executed=[%3] message=%4 error=%5")
        .arg(r.ok)
        .arg(r.refused)
        .arg(r.executed.join(", "), r.message, r.error.message);
}

} // namespace

class TestPoolerConsole : public test::SandboxTestCase
{
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_audit;

    QString console() const { return m_sandbox->uris().pgbouncerConsole; }
    QString statsConsole() const { return m_sandbox->uris().pgbouncerMonitor; }
    QString throughBouncer() const { return m_sandbox->uris().pgbouncerApp; }

    /// The single audit line of this test function.
    QJsonObject onlyAuditLine()
    {
        const auto lines = test::auditLines(m_audit);
        if (lines.size() != 1) {
            qWarning("expected one audit line, got %d:\n%s", int(lines.size()),
                     test::auditText(m_audit).constData());
            return {};
        }
        return lines.first();
    }

private Q_SLOTS:
    void init()
    {
        static int n = 0;
        m_audit = m_dir.filePath(QStringLiteral("audit-%1.jsonl").arg(++n));
        audit::setFilePath(m_audit);
        readonly::setReadOnly(false);
    }
    void cleanup()
    {
        readonly::setReadOnly(false);
        audit::setFilePath({});
    }

    void inspectReadsTheConsole()
    {
        const TargetSnapshot s = db::inspectConsole(console(), true);
        QVERIFY2(s.ok, qPrintable(s.error.message));
        QCOMPARE(s.kind, TargetKind::PgBouncer);
        QVERIFY(s.bouncer);
        QCOMPARE(s.bouncer->versionNum / 100, 118);
        QCOMPARE(s.bouncer->access, ConsoleAccess::Admin);
        QCOMPARE(s.bouncer->consoleUser, QString("pgbadmin"));
        QVERIFY(s.bouncer->database("app"));
        QCOMPARE(s.bouncer->database("app")->paused, std::optional<bool>(false));
        QVERIFY(s.bouncer->clients && s.bouncer->servers);
        const TargetSnapshot stats = db::inspectConsole(statsConsole(), false);
        QVERIFY2(stats.ok, qPrintable(stats.error.message));
        QCOMPARE(stats.bouncer->access, ConsoleAccess::StatsOnly);
        // PostgreSQL itself is no console.
        const TargetSnapshot pg = db::inspectConsole(m_sandbox->uris().monitor, false);
        QVERIFY(!pg.ok);
        QVERIFY2(pg.error.message.contains("not a PgBouncer console"), qPrintable(pg.error.message));
    }

    void killAndResumeLeavesTheDatabaseUsable()
    {
        test::HeldSessions held;
        QString error;
        QVERIFY2(held.open(throughBouncer(), 1, "tst-pooler-kill", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        const qint64 backend = backendPidOf(held.at(0));
        QVERIFY(backend > 0);
        QVERIFY(test::stateOf(m_sandbox->uris().postgres, backend));

        QElapsedTimer took;
        took.start();
        const auto r = db::runPoolerAction(console(), PoolerCommand::Kill, "app");
        const qint64 ms = took.elapsed();
        QVERIFY2(r.ok, qPrintable(dump(r)));
        QVERIFY(!r.refused);
        QCOMPARE(r.executed, (QStringList{"KILL app", "RESUME app"}));
        QVERIFY2(r.message.contains("done"), qPrintable(r.message));
        qInfo("KILL app + RESUME app (inspect included): %lld ms", ms);

        // The held client was dropped; its backend goes away.
        QVERIFY(!test::queryError(held.at(0)).isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(!test::stateOf(m_sandbox->uris().postgres, backend), 5000);
        // Not left paused, and a new client is served.
        QCOMPARE(pausedOf(console(), "app").value_or("?"), QString("0"));
        const QString fresh = freshClientError(throughBouncer());
        QVERIFY2(fresh.isEmpty(), qPrintable(fresh));

        const QJsonObject line = onlyAuditLine();
        QCOMPARE(line["action"].toString(), QString("pooler.kill"));
        QCOMPARE(line["target"].toString(),
                 QString("pgbadmin@127.0.0.1:%1/pgbouncer").arg(m_sandbox->bouncerPort()));
        QCOMPARE(line["argument"].toString(), QString("app"));
        QCOMPARE(line["statements"].toArray(), (QJsonArray{"KILL app", "RESUME app"}));
        QCOMPARE(line["executed"].toArray(), (QJsonArray{"KILL app", "RESUME app"}));
        QCOMPARE(line["outcome"].toString(), QString("done"));
        QVERIFY(!line.contains("error"));
        QVERIFY(!test::auditText(m_audit).contains("passfile"));
    }

    void reconnectClosesTheServerWhenReleased()
    {
        test::HeldSessions held;
        QString error;
        QVERIFY2(held.open(throughBouncer(), 1, "tst-pooler-reconnect", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        const qint64 backend = backendPidOf(held.at(0));
        QVERIFY(backend > 0);

        const auto r = db::runPoolerAction(console(), PoolerCommand::Reconnect, "app");
        QVERIFY2(r.ok, qPrintable(dump(r)));
        QCOMPARE(r.executed, QStringList{"RECONNECT app"});
        // Graceful: the transaction goes on on the same server...
        QCOMPARE(backendPidOf(held.at(0)), backend);
        QCOMPARE(test::queryError(held.at(0), "COMMIT"), QString());
        // ...which closes once released; the client is served by a new one.
        QTRY_VERIFY_WITH_TIMEOUT(!test::stateOf(m_sandbox->uris().postgres, backend), 5000);
        const qint64 next = backendPidOf(held.at(0));
        QVERIFY(next > 0);
        QVERIFY(next != backend);
        QCOMPARE(pausedOf(console(), "app").value_or("?"), QString("0"));

        const QJsonObject line = onlyAuditLine();
        QCOMPARE(line["action"].toString(), QString("pooler.reconnect"));
        QCOMPARE(line["outcome"].toString(), QString("done"));
    }

    void resumeOfADatabaseNotPausedIsRefused()
    {
        QCOMPARE(pausedOf(console(), "app").value_or("?"), QString("0"));
        const auto r = db::runPoolerAction(console(), PoolerCommand::Resume, "app");
        QVERIFY2(r.refused, qPrintable(dump(r)));
        QVERIFY(!r.ok);
        QVERIFY(r.executed.isEmpty());
        QVERIFY2(r.message.contains("paused"), qPrintable(r.message));
        // The console's own "database app is not paused" would mean it was sent.
        QVERIFY2(!r.message.contains("is not paused") || r.message.startsWith("refused: "),
                 qPrintable(r.message));
        const QJsonObject line = onlyAuditLine();
        QCOMPARE(line["action"].toString(), QString("pooler.resume"));
        QCOMPARE(line["outcome"].toString(), QString("refused"));
        QCOMPARE(line["executed"].toArray(), QJsonArray());
    }

    void statsUserIsRefusedBeforeAnythingIsSent()
    {
        test::HeldSessions held;
        QString error;
        QVERIFY2(held.open(throughBouncer(), 1, "tst-pooler-stats", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        const auto r = db::runPoolerAction(statsConsole(), PoolerCommand::Kill, "app");
        QVERIFY2(r.refused, qPrintable(dump(r)));
        QVERIFY(r.executed.isEmpty());
        QVERIFY2(r.message.contains("admin_users"), qPrintable(r.message));
        QVERIFY2(!r.message.contains("admin access needed"), qPrintable(r.message)); // the console's error
        QCOMPARE(test::queryError(held.at(0)), QString()); // still in its transaction
        QCOMPARE(pausedOf(console(), "app").value_or("?"), QString("0"));
        const QJsonObject line = onlyAuditLine();
        QCOMPARE(line["action"].toString(), QString("pooler.kill"));
        QCOMPARE(line["target"].toString(),
                 QString("monitor@127.0.0.1:%1/pgbouncer").arg(m_sandbox->bouncerPort()));
        QCOMPARE(line["outcome"].toString(), QString("refused"));
        QVERIFY(line["result"].toString().contains("admin_users"));
    }

    void killClientNeedsPgBouncer124()
    {
        const auto r = db::runPoolerAction(console(), PoolerCommand::KillClient, "1");
        QVERIFY2(r.refused, qPrintable(dump(r)));
        QVERIFY(r.executed.isEmpty());
        QVERIFY2(r.message.contains("1.24"), qPrintable(r.message));
        const QJsonObject line = onlyAuditLine();
        QCOMPARE(line["action"].toString(), QString("pooler.kill-client"));
        QCOMPARE(line["outcome"].toString(), QString("refused"));
    }

    void unknownDatabaseIsRefused()
    {
        // The sandbox has a "*" entry: KILL of any name would register that database and pause it.
        const auto r = db::runPoolerAction(console(), PoolerCommand::Kill, "nosuchdb");
        QVERIFY2(r.refused, qPrintable(dump(r)));
        QVERIFY(r.executed.isEmpty());
        QCOMPARE(test::auditLines(m_audit).size(), 1);
    }

    void readOnlyRefusesEveryAction()
    {
        test::HeldSessions held;
        QString error;
        QVERIFY2(held.open(throughBouncer(), 1, "tst-pooler-ro", {"BEGIN", "SELECT 1"}, &error),
                 qPrintable(error));
        readonly::setReadOnly(true);
        for (PoolerCommand c : {PoolerCommand::Kill, PoolerCommand::Reconnect, PoolerCommand::Resume,
                                PoolerCommand::KillClient}) {
            const auto r = db::runPoolerAction(console(), c, c == PoolerCommand::KillClient ? "1" : "app");
            QVERIFY2(r.refused, qPrintable(dump(r)));
            QCOMPARE(r.message, readonly::refusalText());
            QVERIFY(r.executed.isEmpty());
        }
        QCOMPARE(test::queryError(held.at(0)), QString());
        const auto lines = test::auditLines(m_audit);
        QCOMPARE(lines.size(), 4); // one per attempt
        for (const QJsonObject &line : lines) {
            QVERIFY(line["action"].toString().startsWith("pooler."));
            QCOMPARE(line["result"].toString(), readonly::refusalText());
            QCOMPARE(line["outcome"].toString(), QString("refused"));
        }
    }

    void stoppedPoolerGivesUpWithinTheBound()
    {
        // A pooler that accepts the TCP connection and then answers nothing (SIGSTOP): the action gives up
        // by itself with a clear error instead of hanging, and nothing was sent.
        const qint64 pid = m_sandbox->bouncerPid();
        QVERIFY(pid > 0);
        QVERIFY(::kill(pid_t(pid), SIGSTOP) == 0);
        QElapsedTimer took;
        took.start();
        const auto r = db::runPoolerAction(console(), PoolerCommand::Kill, "app", 1000);
        const qint64 ms = took.elapsed();
        ::kill(pid_t(pid), SIGCONT);
        QVERIFY2(!r.ok && !r.refused, qPrintable(dump(r)));
        QVERIFY(r.executed.isEmpty());
        QVERIFY2(r.message.contains("timeout"), qPrintable(r.message));
        QVERIFY2(ms < 15000, qPrintable(QString::number(ms))); // bounded, not hung (2 s connect_timeout)
        QTRY_COMPARE_WITH_TIMEOUT(pausedOf(console(), "app").value_or("?"), QString("0"), 5000);
        QCOMPARE(onlyAuditLine()["outcome"].toString(), QString("failed"));
    }

    void unreachableConsoleFails()
    {
        const auto r = db::runPoolerAction("host=127.0.0.1 port=1 dbname=pgbouncer user=pgbadmin",
                                           PoolerCommand::Kill, "app", 2000);
        QVERIFY(!r.ok);
        QVERIFY(!r.refused);
        QCOMPARE(r.error.kind, ErrorKind::Connect);
        QVERIFY2(r.message.contains("Connection refused"), qPrintable(r.message));
        const QJsonObject line = onlyAuditLine();
        QCOMPARE(line["outcome"].toString(), QString("failed"));
        QVERIFY(line["error"].toString().contains("Connection refused"));
    }
};

QTEST_GUILESS_MAIN(TestPoolerConsole)
#include "tst_poolerconsole.moc"
