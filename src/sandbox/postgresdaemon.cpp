#include "postgresdaemon.h"

#include "sandbox/files.h"
#include "sandbox/sandboxcontext.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QVersionNumber>

#include <algorithm>
#include <csignal>

namespace poolscope::sandbox {

namespace {

constexpr int kInitdbTimeoutMs = 60000;
constexpr int kLogTailLines = 20;

QStringList postgresBinDirs()
{
    static const QStringList dirs = [] {
        QStringList out;
        const QString pgConfig = QStandardPaths::findExecutable(QStringLiteral("pg_config"));
        if (!pgConfig.isEmpty()) {
            QProcess p;
            p.setStandardInputFile(QProcess::nullDevice());
            p.start(pgConfig, {QStringLiteral("--bindir")});
            if (p.waitForFinished(5000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0) {
                const QString dir = QString::fromLocal8Bit(p.readAllStandardOutput()).trimmed();
                if (!dir.isEmpty())
                    out.append(dir);
            }
        }
        QDir root(QStringLiteral("/usr/lib/postgresql"));
        QStringList versions = root.entryList(QDir::Dirs | QDir::NoDotAndDotDot);
        std::sort(versions.begin(), versions.end(), [](const QString &a, const QString &b) {
            return QVersionNumber::fromString(a) > QVersionNumber::fromString(b);
        });
        for (const QString &v : std::as_const(versions))
            out.append(root.filePath(v) + QStringLiteral("/bin"));
        out.removeDuplicates();
        return out;
    }();
    return dirs;
}

} // namespace

QString PostgresDaemon::findBinary(const QString &name)
{
    for (const QString &dir : postgresBinDirs()) {
        const QString candidate = dir + QLatin1Char('/') + name;
        if (files::isExecutableFile(candidate))
            return candidate;
    }
    return {};
}

bool PostgresDaemon::start(QString *error)
{
    if (!runInitdb(error))
        return false;
    SandboxContext &c = m_context;
    const QString dataDir = c.files.dataDir();
    auto launchOn = [&](int port, QString *err) -> std::optional<ServerLaunch> {
        c.pgPort = port;
        if (!c.writePgpass(err))
            return std::nullopt;
        c.buildUris();
        ServerLaunch launch;
        launch.name = QStringLiteral("PostgreSQL");
        launch.program = m_postgres;
        launch.arguments = {QStringLiteral("-D"), dataDir, QStringLiteral("-p"), QString::number(port)};
        const QStringList settings{
            QStringLiteral("listen_addresses=127.0.0.1"),
            QStringLiteral("unix_socket_directories=") + c.files.runDir(),
            QStringLiteral("max_connections=%1").arg(c.options.maxConnections),
            QStringLiteral("shared_buffers=32MB"),
            // A throwaway cluster: durability buys nothing and costs seconds.
            QStringLiteral("fsync=off"),
            QStringLiteral("synchronous_commit=off"),
            QStringLiteral("full_page_writes=off"),
            QStringLiteral("log_destination=stderr"),
            QStringLiteral("logging_collector=off"),
        };
        for (const QString &s : settings + c.options.extraPostgresSettings)
            launch.arguments << QStringLiteral("-c") << s;
        launch.workingDir = dataDir;
        launch.logPath = c.path("postgres.log");
        // SIGINT is a fast shutdown: clients are disconnected and shared memory is released, unlike SIGKILL.
        launch.stopSignal = SIGINT;
        launch.readyUri = c.uris.postgres;
        return launch;
    };
    m_process = startOnFreePort(launchOn, c.user, error);
    return m_process && createRoles(error);
}

bool PostgresDaemon::runInitdb(QString *error)
{
    SandboxContext &c = m_context;
    const QString pwfile = c.path("pwfile");
    if (!files::writePrivateFile(pwfile, c.pwPostgres + '\n', &c.user, error))
        return false;
    QProcess proc;
    proc.setProgram(m_initdb);
    proc.setArguments({QStringLiteral("-D"), c.files.dataDir(), QStringLiteral("-U"),
                       QStringLiteral("postgres"), QStringLiteral("--pwfile=") + pwfile,
                       QStringLiteral("--auth-host=scram-sha-256"), QStringLiteral("--auth-local=trust"),
                       QStringLiteral("-E"), QStringLiteral("UTF8"), QStringLiteral("--locale=C"),
                       QStringLiteral("--no-sync"), QStringLiteral("--no-instructions")});
    proc.setWorkingDirectory(c.files.runDir()); // the watchdog recognises our processes by their working dir
    proc.setStandardInputFile(QProcess::nullDevice());
    proc.setProcessChannelMode(QProcess::MergedChannels);
    proc.setChildProcessModifier(childSetup(c.user, SIGKILL, 0));
    c.log->debug("initdb {}", c.files.dataDir().toStdString());
    proc.start();
    const bool finished = proc.waitForFinished(kInitdbTimeoutMs);
    const QString output = QString::fromLocal8Bit(proc.readAll());
    QFile::remove(pwfile);
    if (finished && proc.exitStatus() == QProcess::NormalExit && proc.exitCode() == 0)
        return true;
    if (proc.state() != QProcess::NotRunning) {
        proc.kill();
        proc.waitForFinished(3000);
    }
    const QString why =
        proc.error() == QProcess::FailedToStart
            ? proc.errorString()
            : (finished ? QStringLiteral("exit code %1").arg(proc.exitCode()) : QStringLiteral("timed out"));
    *error = QStringLiteral("initdb failed (%1)").arg(why);
    const QString tail = files::lastLines(output, kLogTailLines);
    if (!tail.isEmpty())
        *error += QStringLiteral(":\n") + tail;
    return false;
}

bool PostgresDaemon::createRoles(QString *error)
{
    const SandboxContext &c = m_context;
    // The passwords are random hex, so inlining them as literals is safe. Statements run one by one:
    // CREATE DATABASE refuses to run inside the implicit transaction of a multi-statement string.
    const QList<QByteArray> statements{
        "CREATE ROLE app LOGIN PASSWORD '" + c.pwApp + "'",
        "CREATE DATABASE app OWNER app",
        "CREATE ROLE monitor LOGIN PASSWORD '" + c.pwMonitor + "' IN ROLE pg_monitor",
        "GRANT pg_signal_backend TO monitor",
    };
    DbError dbError;
    bool connected = false;
    if (runStatements(c.uris.postgres, statements, &dbError, &connected))
        return true;
    // Not the statement itself: it may hold a password.
    *error = (connected ? QStringLiteral("setting up roles failed: ")
                        : QStringLiteral("cannot connect as postgres: ")) +
             dbError.message;
    return false;
}

} // namespace poolscope::sandbox
