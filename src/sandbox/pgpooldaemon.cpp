#include "pgpooldaemon.h"

#include "sandbox/files.h"
#include "sandbox/sandboxcontext.h"

#include <QStandardPaths>

#include <csignal>

namespace poolscope::sandbox {

namespace {

QString quoted(const QString &v)
{
    return QLatin1Char('\'') + v + QLatin1Char('\'');
}

} // namespace

QString PgpoolDaemon::findBinary()
{
    const QString name = QStringLiteral("pgpool");
    QString found = QStandardPaths::findExecutable(name);
    if (found.isEmpty())
        found = QStandardPaths::findExecutable(
            name, {QStringLiteral("/usr/sbin"), QStringLiteral("/usr/local/sbin")});
    return found;
}

QByteArray PgpoolDaemon::conf(int port, int pcpPort) const
{
    const SandboxContext &c = m_context;
    const QString runDir = c.files.runDir();
    const QStringList lines{
        QStringLiteral("backend_clustering_mode = 'raw'"),
        QStringLiteral("listen_addresses = '127.0.0.1'"),
        QStringLiteral("port = %1").arg(port),
        QStringLiteral("unix_socket_directories = ") + quoted(runDir),
        QStringLiteral("pcp_listen_addresses = ''"),
        QStringLiteral("pcp_port = %1").arg(pcpPort),
        QStringLiteral("pcp_socket_dir = ") + quoted(runDir),
        QStringLiteral("backend_hostname0 = '127.0.0.1'"),
        QStringLiteral("backend_port0 = %1").arg(c.pgPort),
        QStringLiteral("backend_weight0 = 1"),
        QStringLiteral("backend_flag0 = 'DISALLOW_TO_FAILOVER'"),
        QStringLiteral("enable_pool_hba = on"),
        QStringLiteral("pool_passwd = ") + quoted(c.path("pool_passwd")),
        QStringLiteral("num_init_children = %1").arg(c.options.pgpoolNumInitChildren),
        QStringLiteral("max_pool = %1").arg(c.options.pgpoolMaxPool),
        QStringLiteral("pid_file_name = ") + quoted(runDir + QStringLiteral("/pgpool.pid")),
        // pgpool_status lives here; started with -D it is ignored anyway.
        QStringLiteral("logdir = ") + quoted(runDir),
        QStringLiteral("memqcache_oiddir = ") + quoted(runDir + QStringLiteral("/oiddir")),
        QStringLiteral("wd_ipc_socket_dir = ") + quoted(runDir),
        QStringLiteral("log_destination = 'stderr'"),
        QStringLiteral("logging_collector = off"),
        QStringLiteral("use_watchdog = off"),
        QStringLiteral("health_check_period = 0"),
        QStringLiteral("sr_check_period = 0"),
        QStringLiteral("failover_on_backend_error = off"),
        QStringLiteral("load_balance_mode = off"),
    };
    return (lines.join(QLatin1Char('\n')) + QLatin1Char('\n')).toUtf8();
}

bool PgpoolDaemon::start(QString *error)
{
    SandboxContext &c = m_context;
    // Clients authenticate at pgpool with scram-sha-256 against pool_passwd, and pgpool uses the same
    // passwords to log in to PostgreSQL, which keeps requiring scram for direct connections too.
    const QByteArray poolPasswd =
        "app:TEXT" + c.pwApp + "\nmonitor:TEXT" + c.pwMonitor + "\npostgres:TEXT" + c.pwPostgres + "\n";
    if (!files::writePrivateFile(c.path("pool_passwd"), poolPasswd, &c.user, error) ||
        !files::writePrivateFile(c.path("pool_hba.conf"), "host all all 127.0.0.1/32 scram-sha-256\n",
                                 &c.user, error) ||
        !files::writePrivateFile(c.path("pcp.conf"), {}, &c.user, error)) // no pcp users: pcp stays unusable
        return false;
    auto launchOn = [&](int port, QString *err) -> std::optional<ServerLaunch> {
        // Names pcp's Unix socket only: TCP pcp is off.
        const int pcpPort = freeLoopbackPort();
        if (pcpPort <= 0) {
            *err = QStringLiteral("cannot find a free port on 127.0.0.1");
            return std::nullopt;
        }
        c.pgpoolPort = port;
        if (!c.writePgpass(err))
            return std::nullopt;
        c.buildUris();
        if (!files::writePrivateFile(c.path("pgpool.conf"), conf(port, pcpPort), &c.user, err))
            return std::nullopt;
        ServerLaunch launch;
        launch.name = QStringLiteral("Pgpool-II");
        launch.program = m_binary;
        // -n: stay in the foreground, logging to stderr (pgpool.log); -D: ignore a stale pgpool_status.
        launch.arguments = {QStringLiteral("-n"),  QStringLiteral("-D"), QStringLiteral("-f"),
                            c.path("pgpool.conf"), QStringLiteral("-a"), c.path("pool_hba.conf"),
                            QStringLiteral("-F"),  c.path("pcp.conf")};
        launch.workingDir = c.files.runDir();
        launch.logPath = c.path("pgpool.log");
        // SIGINT is pgpool's fast shutdown: it ends its children and their backend connections.
        launch.stopSignal = SIGINT;
        // End to end: scram at pgpool, then pgpool's own login to PostgreSQL.
        launch.readyUri = c.uris.pgpoolApp;
        launch.readyProbe = "SHOW POOL_VERSION";
        return launch;
    };
    m_process = startOnFreePort(launchOn, c.user, error);
    return m_process != nullptr;
}

} // namespace poolscope::sandbox
