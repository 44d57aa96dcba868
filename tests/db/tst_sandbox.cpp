#include "core/logging.h"
#include "db/pg.h"
#include "sandbox/sandbox.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace poolscope;
using namespace poolscope::db;
using namespace poolscope::sandbox;

namespace {

struct Connected
{
    PgConn conn;
    QString error;
};

Connected connectTo(const QString &uri)
{
    DbError error;
    ConnectOptions options;
    options.applicationName = "tst_sandbox";
    Connected c{connect(parseConnInfo(uri), options, &error), {}};
    if (!c.conn)
        c.error = error.message;
    return c;
}

// First cell of the first row, or the error prefixed with "ERROR: ".
QString scalar(PGconn *conn, const char *sql)
{
    DbError error;
    PgResult r = exec(conn, sql, &error);
    if (!r)
        return QStringLiteral("ERROR: ") + error.message;
    if (PQntuples(r.get()) < 1 || PQnfields(r.get()) < 1)
        return QStringLiteral("(no rows)");
    return QString::fromUtf8(PQgetvalue(r.get(), 0, 0));
}

bool portAccepts(int port)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, quint16(port));
    return socket.waitForConnected(1000);
}

// Processes whose command line mentions `needle` (the sandbox dir is in every server's arguments).
QList<qint64> processesMentioning(const QString &needle)
{
    QList<qint64> pids;
    const QByteArray n = needle.toLocal8Bit();
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString &entry : entries) {
        bool ok = false;
        const qint64 pid = entry.toLongLong(&ok);
        if (!ok || pid == QCoreApplication::applicationPid())
            continue;
        QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(pid));
        if (cmdline.open(QIODevice::ReadOnly) && cmdline.readAll().contains(n))
            pids.append(pid);
    }
    return pids;
}

QByteArray describeProcesses(const QList<qint64> &pids)
{
    QByteArray out;
    for (qint64 pid : pids) {
        QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(pid));
        if (cmdline.open(QIODevice::ReadOnly))
            out += QByteArray::number(pid) + ": " + cmdline.readAll().replace('\0', ' ').left(200) + '\n';
    }
    return out;
}

qint64 uidOf(qint64 pid)
{
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("Uid:"))
            return line.mid(4).simplified().split(' ').value(0).toLongLong();
    }
    return -1;
}

qint64 postmasterPid(const QString &dir)
{
    QFile f(dir + QStringLiteral("/data/postmaster.pid"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    return f.readLine().trimmed().toLongLong();
}

QString poolscopeBin()
{
    return qEnvironmentVariable("POOLSCOPE_BIN");
}

// Reads stdout of `proc` until `marker` shows up, the process ends or the timeout passes.
QByteArray readUntil(QProcess &proc, const QByteArray &marker, int timeoutMs)
{
    QByteArray out;
    QDeadlineTimer deadline(timeoutMs);
    while (!out.contains(marker) && !deadline.hasExpired()) {
        if (proc.state() == QProcess::NotRunning && proc.bytesAvailable() == 0)
            break;
        proc.waitForReadyRead(200);
        out += proc.readAllStandardOutput();
    }
    return out;
}

} // namespace

class TestSandbox : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void startConnectStop();
    void keepsForeignFilesInGivenDir();
    void parentKillCleansUp();
    void cliStartStop();
    void cliUsage();
};

void TestSandbox::initTestCase()
{
    logging::Options options;
    options.toFile = false;
    logging::init(options);
    if (Sandbox::findPostgresBinary(QStringLiteral("postgres")).isEmpty() ||
        Sandbox::findPgBouncer().isEmpty())
        QFAIL("PostgreSQL server or PgBouncer not installed: run installer/quickstart.sh test");
}

void TestSandbox::startConnectStop()
{
    Sandbox sandbox;
    QString error;
    QVERIFY2(sandbox.start(&error), qPrintable(error));
    QVERIFY(sandbox.isRunning());
    const QString dir = sandbox.dir();
    const int pgPort = sandbox.postgresPort();
    const int bouncerPort = sandbox.bouncerPort();
    QVERIFY(QFileInfo(dir).isDir());
    QVERIFY(pgPort > 0 && bouncerPort > 0 && pgPort != bouncerPort);

    const SandboxUris &u = sandbox.uris();
    for (const QString &uri :
         {u.postgres, u.app, u.monitor, u.pgbouncerApp, u.pgbouncerConsole, u.pgbouncerMonitor}) {
        QVERIFY2(uri.contains(QLatin1String("passfile=")), qPrintable(uri));
        QVERIFY2(!uri.contains(QLatin1String("password")), qPrintable(uri));
    }

    // The pgpass file belongs to us, not to the server user, and is private (libpq ignores it otherwise).
    struct stat st;
    QCOMPARE(::stat(QFile::encodeName(dir + QStringLiteral("/pgpass")).constData(), &st), 0);
    QCOMPARE(int(st.st_mode & 0777), 0600);
    QCOMPARE(st.st_uid, ::geteuid());

    const QJsonObject json = sandbox.toJson();
    QCOMPARE(json.value(QStringLiteral("dir")).toString(), dir);
    QCOMPARE(json.value(QStringLiteral("postgres_port")).toInt(), pgPort);
    QCOMPARE(json.value(QStringLiteral("pgbouncer_port")).toInt(), bouncerPort);
    QCOMPARE(json.value(QStringLiteral("pid")).toInteger(), QCoreApplication::applicationPid());
    QCOMPARE(
        json.value(QStringLiteral("uris")).toObject().value(QStringLiteral("pgbouncer_console")).toString(),
        u.pgbouncerConsole);

    {
        Connected pg = connectTo(u.postgres);
        QVERIFY2(pg.conn, qPrintable(pg.error));
        QCOMPARE(scalar(pg.conn.get(), "SELECT current_user"), QStringLiteral("postgres"));
        QCOMPARE(scalar(pg.conn.get(), "SELECT rolsuper FROM pg_roles WHERE rolname = 'monitor'"),
                 QStringLiteral("f"));
        QCOMPARE(scalar(pg.conn.get(), "SELECT pg_has_role('monitor', 'pg_monitor', 'member')"),
                 QStringLiteral("t"));
        QCOMPARE(scalar(pg.conn.get(), "SELECT pg_has_role('monitor', 'pg_signal_backend', 'member')"),
                 QStringLiteral("t"));
        QCOMPARE(
            scalar(pg.conn.get(), "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'app'"),
            QStringLiteral("app"));
        QCOMPARE(scalar(pg.conn.get(), "SELECT rolsuper FROM pg_roles WHERE rolname = 'app'"),
                 QStringLiteral("f"));
        QCOMPARE(scalar(pg.conn.get(), "SHOW max_connections"), QStringLiteral("100"));
        QCOMPARE(scalar(pg.conn.get(), "SHOW fsync"), QStringLiteral("off"));
    }
    {
        Connected app = connectTo(u.app);
        QVERIFY2(app.conn, qPrintable(app.error));
        QCOMPARE(scalar(app.conn.get(), "SELECT current_user || '/' || current_database()"),
                 QStringLiteral("app/app"));
    }
    {
        Connected monitor = connectTo(u.monitor);
        QVERIFY2(monitor.conn, qPrintable(monitor.error));
        QCOMPARE(scalar(monitor.conn.get(), "SELECT current_user || '/' || current_database()"),
                 QStringLiteral("monitor/app"));
    }
    {
        Connected viaBouncer = connectTo(u.pgbouncerApp);
        QVERIFY2(viaBouncer.conn, qPrintable(viaBouncer.error));
        QCOMPARE(scalar(viaBouncer.conn.get(), "SELECT current_user || '/' || current_database()"),
                 QStringLiteral("app/app"));
        QCOMPARE(QString::fromUtf8(PQparameterStatus(viaBouncer.conn.get(), "application_name")),
                 QStringLiteral("tst_sandbox"));
    }
    {
        Connected admin = connectTo(u.pgbouncerConsole);
        QVERIFY2(admin.conn, qPrintable(admin.error));
        DbError dbError;
        PgResult pools = exec(admin.conn.get(), "SHOW POOLS", &dbError);
        QVERIFY2(pools, qPrintable(dbError.message));
        const ResultTable table = toTable(pools.get());
        bool sawApp = false;
        for (int row = 0; row < table.rowCount(); ++row) {
            const RowReader r(table, row);
            if (r.string(u"database") == QLatin1String("app") && r.string(u"user") == QLatin1String("app")) {
                sawApp = true;
                QCOMPARE(r.string(u"pool_mode"), QStringLiteral("transaction"));
            }
        }
        QVERIFY(sawApp);
        PgResult config = exec(admin.conn.get(), "SHOW CONFIG", &dbError);
        QVERIFY2(config, qPrintable(dbError.message));
        const ResultTable settings = toTable(config.get());
        QMap<QString, QString> values;
        for (int row = 0; row < settings.rowCount(); ++row) {
            const RowReader r(settings, row);
            values.insert(r.string(u"key"), r.string(u"value"));
        }
        QCOMPARE(values.value(QStringLiteral("pool_mode")), QStringLiteral("transaction"));
        QCOMPARE(values.value(QStringLiteral("default_pool_size")), QStringLiteral("10"));
        QCOMPARE(values.value(QStringLiteral("max_client_conn")), QStringLiteral("1000"));
        QCOMPARE(values.value(QStringLiteral("admin_users")), QStringLiteral("pgbadmin"));
        QCOMPARE(values.value(QStringLiteral("stats_users")), QStringLiteral("monitor"));
    }
    {
        Connected monitor = connectTo(u.pgbouncerMonitor);
        QVERIFY2(monitor.conn, qPrintable(monitor.error));
        DbError dbError;
        QVERIFY2(exec(monitor.conn.get(), "SHOW POOLS", &dbError), qPrintable(dbError.message));
        QVERIFY2(exec(monitor.conn.get(), "SHOW STATS", &dbError), qPrintable(dbError.message));
        // stats_users may look, not act.
        dbError = {};
        QVERIFY(!exec(monitor.conn.get(), "RELOAD", &dbError));
        QVERIFY2(dbError.message.contains(QLatin1String("admin access needed")), qPrintable(dbError.message));
    }

    const qint64 postmaster = postmasterPid(dir);
    QVERIFY(postmaster > 0);
    const QList<qint64> bouncers = processesMentioning(dir + QStringLiteral("/pgbouncer.ini"));
    QCOMPARE(bouncers.size(), 1);
    if (::geteuid() == 0) {
        const passwd *pw = ::getpwnam("postgres");
        const qint64 expected = pw ? qint64(pw->pw_uid) : qint64(65534);
        QCOMPARE(uidOf(postmaster), expected);
        QCOMPARE(uidOf(bouncers.first()), expected);
    } else {
        QCOMPARE(uidOf(postmaster), qint64(::geteuid()));
    }

    sandbox.stop();
    QVERIFY(!sandbox.isRunning());
    QVERIFY(!QFileInfo::exists(dir));
    QVERIFY(!portAccepts(pgPort));
    QVERIFY(!portAccepts(bouncerPort));
    QVERIFY2(processesMentioning(dir).isEmpty(), describeProcesses(processesMentioning(dir)).constData());
    sandbox.stop(); // idempotent
    QVERIFY(sandbox.dir().isEmpty());
}

void TestSandbox::keepsForeignFilesInGivenDir()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    // The servers may run as another user, who must be able to enter a directory we do not own.
    QVERIFY(QFile::setPermissions(tmp.path(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner |
                                                  QFile::ExeGroup | QFile::ExeOther));
    const QString keep = tmp.filePath(QStringLiteral("keep.txt"));
    {
        QFile f(keep);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("mine\n");
    }
    SandboxOptions options;
    options.dir = tmp.path();
    options.withPgBouncer = false;
    Sandbox sandbox(options);
    QString error;
    QVERIFY2(sandbox.start(&error), qPrintable(error));
    QCOMPARE(sandbox.dir(), QDir(tmp.path()).absolutePath());
    QCOMPARE(sandbox.bouncerPort(), 0);
    QVERIFY(sandbox.uris().pgbouncerApp.isEmpty());
    Connected app = connectTo(sandbox.uris().app);
    QVERIFY2(app.conn, qPrintable(app.error));
    app.conn.reset();

    // A second sandbox may not reuse a directory that already holds one.
    Sandbox second(options);
    QVERIFY(!second.start(&error));
    QVERIFY2(error.contains(QLatin1String("already exists")), qPrintable(error));

    sandbox.stop();
    QVERIFY(QFileInfo::exists(keep));
    QVERIFY(!QFileInfo::exists(tmp.filePath(QStringLiteral("data"))));
    QCOMPARE(QDir(tmp.path()).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot),
             QStringList{QStringLiteral("keep.txt")});
}

void TestSandbox::parentKillCleansUp()
{
    const QString bin = poolscopeBin();
    if (bin.isEmpty())
        QFAIL("POOLSCOPE_BIN is not set (run through ctest)");
    QProcess proc;
    proc.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    proc.start(bin, {QStringLiteral("sandbox"), QStringLiteral("start"), QStringLiteral("--json")});
    QVERIFY2(proc.waitForStarted(), qPrintable(proc.errorString()));
    const QByteArray line = readUntil(proc, "\n", 30000);
    const QJsonObject json = QJsonDocument::fromJson(line).object();
    const QString dir = json.value(QStringLiteral("dir")).toString();
    const int pgPort = json.value(QStringLiteral("postgres_port")).toInt();
    const int bouncerPort = json.value(QStringLiteral("pgbouncer_port")).toInt();
    QVERIFY2(!dir.isEmpty() && pgPort > 0 && bouncerPort > 0, line.constData());
    QCOMPARE(json.value(QStringLiteral("pid")).toInteger(), proc.processId());
    QVERIFY(QFileInfo::exists(dir + QStringLiteral("/sandbox.json")));
    QVERIFY(portAccepts(pgPort));

    ::kill(pid_t(proc.processId()), SIGKILL);
    QVERIFY(proc.waitForFinished(5000));

    // PDEATHSIG stops the servers; the watchdog removes the files.
    QTRY_VERIFY_WITH_TIMEOUT(!portAccepts(pgPort), 15000);
    QTRY_VERIFY_WITH_TIMEOUT(!portAccepts(bouncerPort), 15000);
    QTRY_VERIFY_WITH_TIMEOUT(!QFileInfo::exists(dir), 15000);
    QTRY_VERIFY_WITH_TIMEOUT(processesMentioning(dir).isEmpty(), 5000);
}

void TestSandbox::cliStartStop()
{
    const QString bin = poolscopeBin();
    if (bin.isEmpty())
        QFAIL("POOLSCOPE_BIN is not set (run through ctest)");
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString dir = tmp.path(); // empty: the sandbox takes it over and removes it

    QProcess starter;
    starter.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    starter.start(bin, {QStringLiteral("sandbox"), QStringLiteral("start"), QStringLiteral("--dir"), dir});
    QVERIFY2(starter.waitForStarted(), qPrintable(starter.errorString()));
    const QByteArray out = readUntil(starter, "sandbox stop --dir", 30000);
    QVERIFY2(out.contains("pgbouncer_console") && out.contains("postgresql://"), out.constData());
    QVERIFY(out.contains(dir.toLocal8Bit()));

    QFile stateFile(dir + QStringLiteral("/sandbox.json"));
    QVERIFY(stateFile.open(QIODevice::ReadOnly));
    const QJsonObject state = QJsonDocument::fromJson(stateFile.readAll()).object();
    stateFile.close();
    QCOMPARE(state.value(QStringLiteral("pid")).toInteger(), starter.processId());
    const int pgPort = state.value(QStringLiteral("postgres_port")).toInt();
    const int bouncerPort = state.value(QStringLiteral("pgbouncer_port")).toInt();
    QVERIFY(portAccepts(pgPort));
    QVERIFY(portAccepts(bouncerPort));

    QProcess stopper;
    stopper.start(bin, {QStringLiteral("sandbox"), QStringLiteral("stop"), QStringLiteral("--dir"), dir});
    QVERIFY(stopper.waitForFinished(20000));
    QVERIFY2(stopper.exitCode() == 0, stopper.readAllStandardError().constData());
    QVERIFY(starter.waitForFinished(5000));
    QCOMPARE(starter.exitStatus(), QProcess::NormalExit);
    QCOMPARE(starter.exitCode(), 0);
    QVERIFY(!QFileInfo::exists(dir));
    QVERIFY(!portAccepts(pgPort));
    QVERIFY(!portAccepts(bouncerPort));
    QVERIFY(processesMentioning(dir).isEmpty());

    // Nothing left to stop.
    stopper.start(bin, {QStringLiteral("sandbox"), QStringLiteral("stop"), QStringLiteral("--dir"), dir});
    QVERIFY(stopper.waitForFinished(10000));
    QCOMPARE(stopper.exitCode(), 2); // the shared table: a sandbox that could not be stopped (none is running)
    QVERIFY(stopper.readAllStandardError().contains("no sandbox"));
}

void TestSandbox::cliUsage()
{
    const QString bin = poolscopeBin();
    if (bin.isEmpty())
        QFAIL("POOLSCOPE_BIN is not set (run through ctest)");
    auto run = [&](const QStringList &args, QByteArray *out, QByteArray *err) {
        QProcess p;
        p.start(bin, QStringList{QStringLiteral("sandbox")} + args);
        if (!p.waitForFinished(10000))
            return -1;
        *out = p.readAllStandardOutput();
        *err = p.readAllStandardError();
        return p.exitCode();
    };
    QByteArray out, err;
    QCOMPARE(run({QStringLiteral("--help")}, &out, &err), 0);
    QVERIFY(out.contains("Usage: poolscope sandbox start"));
    QCOMPARE(run({QStringLiteral("start"), QStringLiteral("--help")}, &out, &err), 0);
    QVERIFY(out.contains("--json"));
    // A bad command line is 1, as in every command (README "Exit codes").
    QCOMPARE(run({QStringLiteral("frobnicate")}, &out, &err), 1);
    QVERIFY(err.contains("unknown command"));
    QCOMPARE(run({QStringLiteral("stop")}, &out, &err), 1);
    QVERIFY(err.contains("--dir"));
    QCOMPARE(run({QStringLiteral("start"), QStringLiteral("--dir")}, &out, &err), 1);
    QCOMPARE(run({QStringLiteral("start"), QStringLiteral("--bogus")}, &out, &err), 1);
}

QTEST_GUILESS_MAIN(TestSandbox)
#include "tst_sandbox.moc"
