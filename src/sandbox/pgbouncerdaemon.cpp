#include "pgbouncerdaemon.h"

#include "sandbox/files.h"
#include "sandbox/postgresdaemon.h"
#include "sandbox/sandboxcontext.h"

#include <QStandardPaths>

#include <csignal>

namespace poolscope::sandbox {

QString PgBouncerDaemon::findBinary()
{
    const QString name = QStringLiteral("pgbouncer");
    QString found = PostgresDaemon::findBinary(name);
    if (found.isEmpty())
        found = QStandardPaths::findExecutable(name);
    if (found.isEmpty())
        found = QStandardPaths::findExecutable(
            name, {QStringLiteral("/usr/sbin"), QStringLiteral("/usr/local/sbin")});
    return found;
}

QByteArray PgBouncerDaemon::ini(int port) const
{
    const SandboxContext &c = m_context;
    const SandboxOptions &o = c.options;
    const QString runDir = c.files.runDir();
    // PgBouncer runs in the foreground and logs to stderr, which goes to pgbouncer.log; a `logfile` setting
    // on top would write every line twice into the same file.
    QStringList lines{
        QStringLiteral("[databases]"),
        QStringLiteral("app = host=127.0.0.1 port=%1 dbname=app").arg(c.pgPort),
        // A session-mode pool in front of the same database: the session-pooler-full incident needs it.
        o.sessionPoolSize > 0
            ? QStringLiteral("app_session = host=127.0.0.1 port=%1 dbname=app pool_mode=session pool_size=%2")
                  .arg(c.pgPort)
                  .arg(o.sessionPoolSize)
            : QString(),
        QStringLiteral("* = host=127.0.0.1 port=%1").arg(c.pgPort),
        QString(),
        QStringLiteral("[pgbouncer]"),
        QStringLiteral("listen_addr = 127.0.0.1"),
        QStringLiteral("listen_port = %1").arg(port),
        QStringLiteral("unix_socket_dir = ") + runDir,
        QStringLiteral("pidfile = ") + runDir + QStringLiteral("/pgbouncer.pid"),
        QStringLiteral("auth_type = scram-sha-256"),
        QStringLiteral("auth_file = ") + c.path("userlist.txt"),
        QStringLiteral("admin_users = ") + QString::fromLatin1(SandboxContext::kAdminUser),
        QStringLiteral("stats_users = monitor"),
        QStringLiteral("pool_mode = ") + o.poolMode,
        QStringLiteral("default_pool_size = %1").arg(o.defaultPoolSize),
        QStringLiteral("reserve_pool_size = %1").arg(o.reservePoolSize),
        QStringLiteral("max_client_conn = %1").arg(o.maxClientConn),
        QStringLiteral("ignore_startup_parameters = extra_float_digits,options"),
        QStringLiteral("server_reset_query = DISCARD ALL"),
    };
    lines += o.extraBouncerSettings;
    return (lines.join(QLatin1Char('\n')) + QLatin1Char('\n')).toUtf8();
}

bool PgBouncerDaemon::start(QString *error)
{
    SandboxContext &c = m_context;
    const QByteArray userlist = "\"app\" \"" + c.pwApp + "\"\n\"monitor\" \"" + c.pwMonitor + "\"\n\"" +
                                SandboxContext::kAdminUser + "\" \"" + c.pwAdmin + "\"\n\"postgres\" \"" +
                                c.pwPostgres + "\"\n";
    if (!files::writePrivateFile(c.path("userlist.txt"), userlist, &c.user, error))
        return false;
    auto launchOn = [&](int port, QString *err) -> std::optional<ServerLaunch> {
        c.bouncerPort = port;
        if (!c.writePgpass(err))
            return std::nullopt;
        c.buildUris();
        if (!files::writePrivateFile(c.path("pgbouncer.ini"), ini(port), &c.user, err))
            return std::nullopt;
        ServerLaunch launch;
        launch.name = QStringLiteral("PgBouncer");
        launch.program = m_binary;
        launch.arguments = {c.path("pgbouncer.ini")};
        launch.workingDir = c.files.runDir();
        launch.logPath = c.path("pgbouncer.log");
        // SIGTERM is PgBouncer 1.18's immediate shutdown.
        launch.stopSignal = SIGTERM;
        // One descriptor per client and server connection plus slack; PgBouncer only warns when the limit
        // is lower, then fails at runtime, so raise the soft limit where the hard limit allows.
        launch.wantedFiles = rlim_t(c.options.maxClientConn) +
                             rlim_t(c.options.defaultPoolSize + c.options.reservePoolSize) * 8 + 100;
        launch.readyUri = c.uris.pgbouncerConsole;
        launch.readyProbe = "SHOW VERSION";
        return launch;
    };
    m_process = startOnFreePort(launchOn, c.user, error);
    if (!m_process)
        return false;
    // End to end: client auth at PgBouncer and PgBouncer's own login to PostgreSQL.
    DbError dbError;
    if (runStatements(c.uris.pgbouncerApp, {"SELECT 1"}, &dbError))
        return true;
    *error = files::withLog(QStringLiteral("PgBouncer is up but cannot reach PostgreSQL: ") + dbError.message,
                            c.path("pgbouncer.log"));
    return false;
}

} // namespace poolscope::sandbox
