#include "serverprocess.h"

#include "core/logging.h"
#include "db/pg.h"
#include "sandbox/files.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QProcess>
#include <QTcpServer>

#include <algorithm>
#include <csignal>
#include <linux/close_range.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace poolscope::sandbox {

namespace {

constexpr int kStartAttempts = 3; // a free port can be taken between probing and binding
constexpr int kReadyTimeoutMs = 30000;
constexpr int kStopTimeoutMs = 10000;

} // namespace

int freeLoopbackPort()
{
    QTcpServer server;
    if (!server.listen(QHostAddress::LocalHost, 0))
        return 0;
    const int port = server.serverPort();
    server.close();
    return port;
}

ServerUser ServerUser::resolve()
{
    ServerUser user;
    if (::geteuid() != 0)
        return user;
    for (const char *name : {"postgres", "nobody"}) {
        if (const passwd *pw = ::getpwnam(name)) {
            user.switchUser = true;
            user.uid = pw->pw_uid;
            user.gid = pw->pw_gid;
            user.name = QString::fromUtf8(name);
            return user;
        }
    }
    return user;
}

// Runs in the child between fork and exec, so only async-signal-safe calls. Credentials are changed with
// raw syscalls: glibc's setuid() family runs a broadcast to all threads (SIGSETXID) based on bookkeeping
// copied from the multi-threaded parent, which is not safe there. PR_SET_PDEATHSIG comes last because a
// credential change clears it.
std::function<void()> childSetup(const ServerUser &user, int deathSignal, rlim_t wantedFiles)
{
    const pid_t parent = ::getpid();
    return [user, deathSignal, wantedFiles, parent] {
        ::setsid(); // out of the terminal's process group: Ctrl+C reaches poolscope, which stops us in order
#ifdef SYS_close_range
        // Descriptors the parent inherited without FD_CLOEXEC (a CI runner's pipe, say) stay out of the
        // servers. CLOEXEC rather than close: Qt's own start-up pipe must survive until exec.
        ::syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
#endif
        if (wantedFiles > 0) {
            struct rlimit rl;
            if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < wantedFiles) {
                rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? wantedFiles : std::min(wantedFiles, rl.rlim_max);
                ::setrlimit(RLIMIT_NOFILE, &rl);
            }
        }
        if (user.switchUser) {
            const gid_t groups[1] = {user.gid};
            if (::syscall(SYS_setgroups, 1, groups) != 0 ||
                ::syscall(SYS_setresgid, user.gid, user.gid, user.gid) != 0 ||
                ::syscall(SYS_setresuid, user.uid, user.uid, user.uid) != 0) {
                static const char msg[] = "poolscope sandbox: cannot switch to the server user\n";
                [[maybe_unused]] auto r = ::write(STDERR_FILENO, msg, sizeof(msg) - 1);
                ::_exit(127);
            }
        }
        ::prctl(PR_SET_PDEATHSIG, deathSignal);
        if (::getppid() != parent) // the parent died before PDEATHSIG was armed
            ::_exit(127);
    };
}

bool runStatements(const QString &uri, const QList<QByteArray> &statements, DbError *error, bool *connected,
                   int connectTimeoutS)
{
    if (connected)
        *connected = false;
    db::ConnectOptions opts;
    opts.applicationName = "poolscope-sandbox";
    opts.connectTimeoutS = connectTimeoutS;
    opts.keepalives = false;
    db::PgConn conn = db::connect(db::parseConnInfo(uri), opts, error);
    if (!conn)
        return false;
    if (connected)
        *connected = true;
    for (const QByteArray &sql : statements) {
        if (!db::exec(conn.get(), sql, error))
            return false;
    }
    return true;
}

ServerProcess::ServerProcess(ServerLaunch launch, ServerUser user)
    : m_launch(std::move(launch)), m_user(std::move(user))
{}

ServerProcess::~ServerProcess()
{
    stop();
}

bool ServerProcess::start(QString *error, bool *portTaken)
{
    bool taken = false;
    if (!portTaken)
        portTaken = &taken;
    *portTaken = false;
    stop();
    m_process = std::make_unique<QProcess>();
    m_process->setProgram(m_launch.program);
    m_process->setArguments(m_launch.arguments);
    m_process->setWorkingDirectory(m_launch.workingDir);
    m_process->setStandardInputFile(QProcess::nullDevice());
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    m_process->setStandardOutputFile(m_launch.logPath, QIODevice::Append);
    if (!m_launch.environment.isEmpty()) {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const QString &entry : m_launch.environment) {
            const qsizetype eq = entry.indexOf(QLatin1Char('='));
            env.insert(entry.left(eq), entry.mid(eq + 1));
        }
        m_process->setProcessEnvironment(env);
    }
    m_process->setChildProcessModifier(childSetup(m_user, m_launch.stopSignal, m_launch.wantedFiles));
    const qint64 logOffset = QFileInfo(m_launch.logPath).size();
    m_process->start();
    if (!m_process->waitForStarted(10000)) {
        *error = QStringLiteral("cannot start %1: %2").arg(m_launch.program, m_process->errorString());
        m_process.reset();
        return false;
    }
    if (waitReady(logOffset, portTaken, error))
        return true;
    stop();
    return false;
}

bool ServerProcess::waitReady(qint64 logOffset, bool *portTaken, QString *error)
{
    QDeadlineTimer deadline(kReadyTimeoutMs);
    const QList<QByteArray> probe =
        m_launch.readyProbe.isEmpty() ? QList<QByteArray>{} : QList<QByteArray>{m_launch.readyProbe};
    while (true) {
        if (m_process->state() == QProcess::NotRunning) {
            // Only this attempt's lines: the log is appended to across retries.
            QString log;
            QFile f(m_launch.logPath);
            if (f.open(QIODevice::ReadOnly) && f.seek(logOffset))
                log = QString::fromUtf8(f.readAll());
            *portTaken = log.contains(QLatin1String("address already in use"), Qt::CaseInsensitive) ||
                         log.contains(QLatin1String("could not bind"));
            *error = files::withLog(
                QStringLiteral("%1 exited during startup (%2)")
                    .arg(m_launch.name, m_process->exitStatus() == QProcess::CrashExit
                                            ? QStringLiteral("crashed")
                                            : QStringLiteral("exit code %1").arg(m_process->exitCode())),
                m_launch.logPath);
            return false;
        }
        DbError dbError;
        if (m_launch.readyCheck ? m_launch.readyCheck(&dbError.message)
                                : runStatements(m_launch.readyUri, probe, &dbError, nullptr, 2))
            return true;
        if (deadline.hasExpired()) {
            *error = files::withLog(
                QStringLiteral("%1 did not become ready within %2 s (last error: %3)")
                    .arg(m_launch.name, QString::number(kReadyTimeoutMs / 1000), dbError.message),
                m_launch.logPath);
            return false;
        }
        m_process->waitForFinished(100); // doubles as the poll interval
    }
}

void ServerProcess::stop()
{
    if (!m_process)
        return;
    if (m_process->state() != QProcess::NotRunning) {
        const qint64 pid = m_process->processId();
        if (pid > 0)
            ::kill(pid_t(pid), m_launch.stopSignal);
        if (!m_process->waitForFinished(kStopTimeoutMs)) {
            logging::get("sandbox")->warn("{} (pid {}) did not stop within {} s, killing it",
                                          m_launch.name.toStdString(), pid, kStopTimeoutMs / 1000);
            m_process->kill();
            m_process->waitForFinished(3000);
        }
    }
    m_process.reset();
}

bool ServerProcess::isRunning() const
{
    return m_process && m_process->state() == QProcess::Running;
}

qint64 ServerProcess::pid() const
{
    return isRunning() ? m_process->processId() : 0;
}

std::unique_ptr<ServerProcess>
startOnFreePort(const std::function<std::optional<ServerLaunch>(int port, QString *error)> &launchOn,
                const ServerUser &user, QString *error)
{
    for (int attempt = 1; attempt <= kStartAttempts; ++attempt) {
        const int port = freeLoopbackPort();
        if (port <= 0) {
            *error = QStringLiteral("cannot find a free port on 127.0.0.1");
            return nullptr;
        }
        std::optional<ServerLaunch> launch = launchOn(port, error);
        if (!launch)
            return nullptr;
        logging::get("sandbox")->debug("starting {} on 127.0.0.1:{} (attempt {})", launch->name.toStdString(),
                                       port, attempt);
        auto process = std::make_unique<ServerProcess>(std::move(*launch), user);
        bool portTaken = false;
        if (process->start(error, &portTaken))
            return process;
        if (!portTaken || attempt == kStartAttempts)
            return nullptr;
        logging::get("sandbox")->info("port {} was taken, retrying", port);
    }
    return nullptr;
}

} // namespace poolscope::sandbox
