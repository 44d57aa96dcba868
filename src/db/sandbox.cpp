#include "sandbox.h"

#include "core/logging.h"
#include "db/pg.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QProcess>
#include <QRandomGenerator>
#include <QStandardPaths>
#include <QTcpServer>
#include <QThread>
#include <QUrl>
#include <QVersionNumber>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <linux/close_range.h>
#include <pwd.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace poolscope::db {

namespace {

constexpr int kStartAttempts = 3; // a free port can be taken between probing and binding
constexpr int kReadyTimeoutMs = 30000;
constexpr int kStopTimeoutMs = 10000;
constexpr int kLogTailLines = 20;
constexpr int kMaxSocketDirLength = 90; // sun_path is 108 bytes; the socket name adds "/.s.PGSQL.NNNNN"
const char kWatchdogName[] = "poolscope-sandbox-watchdog";
const char kAdminUser[] = "pgbadmin";

// Entries the sandbox creates inside its directory. When the user hands us a non-empty directory, only
// these are removed again, never the directory itself.
const char *const kEntries[] = {"data",         "run",           "pgpass",       "pwfile",
                                "userlist.txt", "pgbouncer.ini", "postgres.log", "pgbouncer.log",
                                "pgpool.conf",  "pool_hba.conf", "pool_passwd",  "pcp.conf",
                                "pgpool.log"};

// Waits for the parent to die, then for the servers to finish (they got PDEATHSIG), then removes the files.
// Sandbox processes are recognised by their working directory, which is always the data or the run dir:
// that also catches initdb's bootstrap backend and PostgreSQL's own children, and never a process that
// merely shares a user-supplied directory. Paths arrive as arguments (the patterns escaped for find's
// -lname), never interpolated into the script. A zombie parent counts as dead: whoever should reap it may
// be busy waiting for something else.
const char kWatchdogScript[] = R"sh(parent=$1; data=$2; run=$3; shift 3
alive() { [ -e "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
ours() {
  find /proc -mindepth 2 -maxdepth 2 -name cwd \( -lname "$data" -o -lname "$data/*" -o -lname "$data (deleted)" \
    -o -lname "$run" -o -lname "$run/*" -o -lname "$run (deleted)" \) 2>/dev/null | cut -d/ -f3
}
while alive "$parent"; do sleep 1; done
n=0
while [ -n "$(ours)" ] && [ $n -lt 20 ]; do sleep 0.5; n=$((n + 1)); done
pids=$(ours)
if [ -n "$pids" ]; then kill -9 $pids 2>/dev/null; sleep 0.2; fi
rm -rf -- "$@"
)sh";

struct ServerUser
{
    bool switchUser = false; // only when we run as root: PostgreSQL refuses to run as root
    uid_t uid = 0;
    gid_t gid = 0;
    QString name;
};

QString qs(const char *s)
{
    return QString::fromUtf8(s);
}

QByteArray randomPassword()
{
    quint32 words[3];
    QRandomGenerator::system()->fillRange(words);
    return QByteArray(reinterpret_cast<const char *>(words), sizeof(words)).toHex(); // 24 hex chars
}

int freeLoopbackPort()
{
    QTcpServer server;
    if (!server.listen(QHostAddress::LocalHost, 0))
        return 0;
    const int port = server.serverPort();
    server.close();
    return port;
}

QString lastLines(const QString &text, int n)
{
    QStringList lines = text.split(QLatin1Char('\n'));
    while (!lines.isEmpty() && lines.constLast().trimmed().isEmpty())
        lines.removeLast();
    if (lines.size() > n)
        lines = lines.mid(lines.size() - n);
    return lines.join(QLatin1Char('\n'));
}

QString fileTail(const QString &path, int n = kLogTailLines)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    const qint64 chunk = 32 * 1024;
    if (f.size() > chunk)
        f.seek(f.size() - chunk);
    return lastLines(QString::fromUtf8(f.readAll()), n);
}

QString withLog(const QString &message, const QString &logPath)
{
    const QString tail = fileTail(logPath);
    if (tail.isEmpty())
        return message;
    // The file name only: the sandbox directory is removed after a failed start.
    return message + QStringLiteral("\n--- ") + QFileInfo(logPath).fileName() +
           QStringLiteral(" (last lines) ---\n") + tail;
}

// Creates (or replaces) a file only its owner can read: passwords and pgpass. libpq ignores a pgpass file
// that is group- or world-accessible, and O_EXCL|O_NOFOLLOW keeps us from writing through a planted link.
bool writePrivateFile(const QString &path, const QByteArray &content, const ServerUser *chownTo,
                      QString *error)
{
    const QByteArray native = QFile::encodeName(path);
    ::unlink(native.constData());
    const int fd = ::open(native.constData(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        *error = QStringLiteral("cannot create %1: %2").arg(path, qs(std::strerror(errno)));
        return false;
    }
    qsizetype written = 0;
    while (written < content.size()) {
        const ssize_t r = ::write(fd, content.constData() + written, size_t(content.size() - written));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            *error = QStringLiteral("cannot write %1: %2").arg(path, qs(std::strerror(errno)));
            ::close(fd);
            return false;
        }
        written += r;
    }
    if (chownTo && chownTo->switchUser && ::fchown(fd, chownTo->uid, chownTo->gid) != 0) {
        *error = QStringLiteral("cannot chown %1: %2").arg(path, qs(std::strerror(errno)));
        ::close(fd);
        return false;
    }
    ::close(fd);
    return true;
}

bool makePrivateDir(const QString &path, const ServerUser &user, QString *error)
{
    const QByteArray native = QFile::encodeName(path);
    if (::mkdir(native.constData(), 0700) != 0) {
        *error = QStringLiteral("cannot create %1: %2").arg(path, qs(std::strerror(errno)));
        return false;
    }
    if (user.switchUser && ::chown(native.constData(), user.uid, user.gid) != 0) {
        *error = QStringLiteral("cannot chown %1: %2").arg(path, qs(std::strerror(errno)));
        return false;
    }
    return true;
}

QString makeTempDir(const QString &prefix, QString *error)
{
    QByteArray templ =
        QFile::encodeName(QDir::tempPath() + QLatin1Char('/') + prefix + QStringLiteral("XXXXXX"));
    if (!::mkdtemp(templ.data())) {
        *error = QStringLiteral("cannot create a temporary directory in %1: %2")
                     .arg(QDir::tempPath(), qs(std::strerror(errno)));
        return {};
    }
    return QFile::decodeName(templ);
}

ServerUser resolveServerUser()
{
    ServerUser user;
    if (::geteuid() != 0)
        return user;
    for (const char *name : {"postgres", "nobody"}) {
        if (const passwd *pw = ::getpwnam(name)) {
            user.switchUser = true;
            user.uid = pw->pw_uid;
            user.gid = pw->pw_gid;
            user.name = qs(name);
            return user;
        }
    }
    return user;
}

// Whether `user` may enter `path` (search permission), judged from the mode bits: the child drops all
// supplementary groups, so only the owner and primary group count.
bool canEnter(const QString &path, const ServerUser &user)
{
    struct stat st;
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        return false;
    if (st.st_uid == user.uid)
        return st.st_mode & S_IXUSR;
    if (st.st_gid == user.gid)
        return st.st_mode & S_IXGRP;
    return st.st_mode & S_IXOTH;
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

// For find -lname: the path matches only itself.
QString globEscaped(const QString &path)
{
    QString out;
    for (const QChar c : path) {
        if (c == QLatin1Char('\\') || c == QLatin1Char('*') || c == QLatin1Char('?') ||
            c == QLatin1Char('[') || c == QLatin1Char(']'))
            out += QLatin1Char('\\');
        out += c;
    }
    return out;
}

bool isExecutableFile(const QString &path)
{
    const QFileInfo fi(path);
    return fi.isFile() && fi.isExecutable();
}

} // namespace

struct Sandbox::Private
{
    SandboxOptions options;
    std::shared_ptr<spdlog::logger> log = logging::get("sandbox");

    ServerUser user;
    QString dir;
    bool ownsDir = false;    // created by us or empty when handed to us: removed as a whole
    QString runDir;          // sockets and the PgBouncer pid file
    bool ownsRunDir = false; // a separate short dir under /tmp when `dir` is too long for socket paths
    QString dataDir;
    int pgPort = 0;
    int bouncerPort = 0;
    int pgpoolPort = 0;
    QByteArray pwPostgres, pwApp, pwMonitor, pwAdmin;
    std::unique_ptr<QProcess> postgres;
    std::unique_ptr<QProcess> bouncer;
    std::unique_ptr<QProcess> pgpool;
    qint64 watchdogPid = 0;
    SandboxUris uris;
    bool started = false;
    bool active = false; // something may need cleaning up
    QThread *thread = nullptr;

    QString path(const char *name) const { return dir + QLatin1Char('/') + qs(name); }

    bool prepareDir(QString *error);
    void startWatchdog();
    void stopWatchdog();
    bool writePgpass(QString *error);
    void buildUris();
    bool runInitdb(const QString &initdb, QString *error);
    bool startPostgres(const QString &binary, QString *error);
    bool createRoles(QString *error);
    bool startBouncer(const QString &binary, QString *error);
    bool startPgpool(const QString &binary, QString *error);
    bool waitReady(QProcess *proc, const QString &what, const QString &uri, const QByteArray &probe,
                   const QString &logPath, qint64 logOffset, bool *portTaken, QString *error);
    void stopProcess(std::unique_ptr<QProcess> &proc, int signal, const char *what);
    void removeFiles();
    void teardown();
};

bool Sandbox::Private::prepareDir(QString *error)
{
    if (options.dir.isEmpty()) {
        dir = makeTempDir(QStringLiteral("poolscope-sandbox-"), error);
        if (dir.isEmpty())
            return false;
        ownsDir = true;
    } else {
        dir = QDir::cleanPath(QFileInfo(options.dir).absoluteFilePath());
        const QFileInfo fi(dir);
        if (!fi.exists()) {
            if (!QDir().mkpath(dir)) {
                *error = QStringLiteral("cannot create %1").arg(dir);
                dir.clear();
                return false;
            }
            ownsDir = true;
        } else if (!fi.isDir()) {
            *error = QStringLiteral("%1 exists and is not a directory").arg(dir);
            dir.clear();
            return false;
        } else if (QDir(dir).isEmpty(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot)) {
            ownsDir = true;
        } else {
            for (const char *entry : kEntries) {
                if (QFileInfo::exists(path(entry))) {
                    *error =
                        QStringLiteral("%1 already exists; use an empty or new directory for the sandbox")
                            .arg(path(entry));
                    dir.clear();
                    return false;
                }
            }
        }
    }
    active = true;
    // The watchdog recognises our processes by their working directory, which the kernel reports with
    // symlinks resolved.
    if (const QString canonical = QFileInfo(dir).canonicalFilePath(); !canonical.isEmpty())
        dir = canonical;
    const QByteArray native = QFile::encodeName(dir);
    if (ownsDir) {
        ::chmod(native.constData(), 0700);
        if (user.switchUser && ::chown(native.constData(), user.uid, user.gid) != 0) {
            *error =
                QStringLiteral("cannot chown %1 to %2: %3").arg(dir, user.name, qs(std::strerror(errno)));
            return false;
        }
    }
    if (user.switchUser) {
        // The servers run as another user: every directory above ours must let them through.
        QString p = ownsDir ? QFileInfo(dir).path() : dir;
        while (true) {
            if (!canEnter(p, user)) {
                *error = QStringLiteral("the server user \"%1\" cannot enter %2; choose a sandbox directory "
                                        "it can reach (e.g. under /tmp)")
                             .arg(user.name, p);
                return false;
            }
            if (p == QLatin1String("/"))
                break;
            p = QFileInfo(p).path();
        }
    }

    runDir = path("run");
    if (QFile::encodeName(runDir).size() > kMaxSocketDirLength) {
        runDir = makeTempDir(QStringLiteral("poolscope-run-"), error);
        if (runDir.isEmpty())
            return false;
        ownsRunDir = true;
        if (const QString canonical = QFileInfo(runDir).canonicalFilePath(); !canonical.isEmpty())
            runDir = canonical;
        if (user.switchUser && ::chown(QFile::encodeName(runDir).constData(), user.uid, user.gid) != 0) {
            *error = QStringLiteral("cannot chown %1: %2").arg(runDir, qs(std::strerror(errno)));
            return false;
        }
    } else if (!makePrivateDir(runDir, user, error)) {
        return false;
    }
    // From here on a crash of this process no longer leaves files behind.
    startWatchdog();
    dataDir = path("data");
    return makePrivateDir(dataDir, user, error);
}

void Sandbox::Private::startWatchdog()
{
    QStringList args{QStringLiteral("-c"),      qs(kWatchdogScript),
                     qs(kWatchdogName),         QString::number(QCoreApplication::applicationPid()),
                     globEscaped(path("data")), globEscaped(runDir)};
    if (ownsDir) {
        args.append(dir);
    } else {
        for (const char *entry : kEntries)
            args.append(path(entry));
    }
    if (ownsRunDir)
        args.append(runDir);
    QProcess proc;
    proc.setProgram(QStringLiteral("/bin/sh"));
    proc.setArguments(args);
    // Detached and with its own stdio: it must not hold a pipe of whoever started us (ctest, a test's
    // QProcess) open after we are gone.
    proc.setStandardInputFile(QProcess::nullDevice());
    proc.setStandardOutputFile(QProcess::nullDevice());
    proc.setStandardErrorFile(QProcess::nullDevice());
    proc.setWorkingDirectory(QStringLiteral("/"));
    qint64 pid = 0;
    if (proc.startDetached(&pid)) {
        watchdogPid = pid;
        log->debug("watchdog pid {}", pid);
    } else {
        log->warn("cannot start the cleanup watchdog: {}", proc.errorString().toStdString());
    }
}

void Sandbox::Private::stopWatchdog()
{
    if (watchdogPid <= 0)
        return;
    // Make sure the pid is still our watchdog and not a recycled one.
    auto isWatchdog = [pid = watchdogPid] {
        QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(pid));
        return cmdline.open(QIODevice::ReadOnly) && cmdline.readAll().contains(kWatchdogName);
    };
    if (isWatchdog()) {
        // QProcess::startDetached gives it a session and process group of its own (led by the exited
        // intermediate child); signalling the group also ends the `sleep` it is waiting on.
        const pid_t group = ::getpgid(pid_t(watchdogPid));
        ::kill(pid_t(watchdogPid), SIGTERM);
        if (group > 1 && group != ::getpgrp())
            ::kill(-group, SIGTERM);
        // Signals are delivered asynchronously; wait briefly so that stop() leaves no process behind.
        QDeadlineTimer deadline(1000);
        while (isWatchdog() && !deadline.hasExpired())
            QThread::msleep(10);
    }
    watchdogPid = 0;
}

bool Sandbox::Private::writePgpass(QString *error)
{
    QByteArray text;
    auto line = [&](int port, const char *user, const QByteArray &pw) {
        if (port > 0)
            text += "127.0.0.1:" + QByteArray::number(port) + ":*:" + user + ':' + pw + '\n';
    };
    line(pgPort, "postgres", pwPostgres);
    line(pgPort, "app", pwApp);
    line(pgPort, "monitor", pwMonitor);
    line(bouncerPort, "app", pwApp);
    line(bouncerPort, "monitor", pwMonitor);
    line(bouncerPort, kAdminUser, pwAdmin);
    line(bouncerPort, "postgres", pwPostgres);
    line(pgpoolPort, "app", pwApp);
    line(pgpoolPort, "monitor", pwMonitor);
    line(pgpoolPort, "postgres", pwPostgres);
    // Owned by the user running poolscope, who is the one connecting with libpq.
    return writePrivateFile(path("pgpass"), text, nullptr, error);
}

void Sandbox::Private::buildUris()
{
    const QString passfile = QString::fromLatin1(QUrl::toPercentEncoding(path("pgpass"), "/"));
    auto uri = [&](const QString &user, int port, const QString &db) {
        return QStringLiteral("postgresql://%1@127.0.0.1:%2/%3?passfile=%4")
            .arg(user, QString::number(port), db, passfile);
    };
    const QString app = QStringLiteral("app");
    const QString monitor = QStringLiteral("monitor");
    uris = {};
    uris.postgres = uri(QStringLiteral("postgres"), pgPort, QStringLiteral("postgres"));
    uris.app = uri(app, pgPort, app);
    uris.monitor = uri(monitor, pgPort, app);
    if (bouncerPort > 0) {
        const QString console = QStringLiteral("pgbouncer");
        uris.pgbouncerApp = uri(app, bouncerPort, app);
        if (options.sessionPoolSize > 0)
            uris.pgbouncerSessionApp = uri(app, bouncerPort, QStringLiteral("app_session"));
        uris.pgbouncerConsole = uri(qs(kAdminUser), bouncerPort, console);
        uris.pgbouncerMonitor = uri(monitor, bouncerPort, console);
    }
    if (pgpoolPort > 0) {
        uris.pgpoolApp = uri(app, pgpoolPort, app);
        uris.pgpoolMonitor = uri(monitor, pgpoolPort, app);
    }
}

bool Sandbox::Private::runInitdb(const QString &initdb, QString *error)
{
    const QString pwfile = path("pwfile");
    if (!writePrivateFile(pwfile, pwPostgres + '\n', &user, error))
        return false;
    QProcess proc;
    proc.setProgram(initdb);
    proc.setArguments({QStringLiteral("-D"), dataDir, QStringLiteral("-U"), QStringLiteral("postgres"),
                       QStringLiteral("--pwfile=") + pwfile, QStringLiteral("--auth-host=scram-sha-256"),
                       QStringLiteral("--auth-local=trust"), QStringLiteral("-E"), QStringLiteral("UTF8"),
                       QStringLiteral("--locale=C"), QStringLiteral("--no-sync"),
                       QStringLiteral("--no-instructions")});
    proc.setWorkingDirectory(runDir); // the watchdog recognises our processes by their working directory
    proc.setStandardInputFile(QProcess::nullDevice());
    proc.setProcessChannelMode(QProcess::MergedChannels);
    proc.setChildProcessModifier(childSetup(user, SIGKILL, 0));
    log->debug("initdb {}", dataDir.toStdString());
    proc.start();
    const bool finished = proc.waitForFinished(60000);
    const QString output = QString::fromLocal8Bit(proc.readAll());
    QFile::remove(pwfile);
    if (!finished || proc.exitStatus() != QProcess::NormalExit || proc.exitCode() != 0) {
        if (proc.state() != QProcess::NotRunning) {
            proc.kill();
            proc.waitForFinished(3000);
        }
        QString why = proc.error() == QProcess::FailedToStart
                          ? proc.errorString()
                          : (finished ? QStringLiteral("exit code %1").arg(proc.exitCode())
                                      : QStringLiteral("timed out"));
        *error = QStringLiteral("initdb failed (%1)").arg(why);
        const QString tail = lastLines(output, kLogTailLines);
        if (!tail.isEmpty())
            *error += QStringLiteral(":\n") + tail;
        return false;
    }
    return true;
}

bool Sandbox::Private::waitReady(QProcess *proc, const QString &what, const QString &uri,
                                 const QByteArray &probe, const QString &logPath, qint64 logOffset,
                                 bool *portTaken, QString *error)
{
    *portTaken = false;
    const ConnSpec spec = parseConnInfo(uri);
    ConnectOptions opts;
    opts.applicationName = "poolscope-sandbox";
    opts.connectTimeoutS = 2;
    opts.keepalives = false;
    QDeadlineTimer deadline(kReadyTimeoutMs);
    QString lastError;
    while (true) {
        if (proc->state() == QProcess::NotRunning) {
            // Only this attempt's lines: the log is appended to across retries.
            QString log;
            QFile f(logPath);
            if (f.open(QIODevice::ReadOnly) && f.seek(logOffset))
                log = QString::fromUtf8(f.readAll());
            *portTaken = log.contains(QLatin1String("Address already in use")) ||
                         log.contains(QLatin1String("could not bind"));
            *error = withLog(QStringLiteral("%1 exited during startup (%2)")
                                 .arg(what, proc->exitStatus() == QProcess::CrashExit
                                                ? QStringLiteral("crashed")
                                                : QStringLiteral("exit code %1").arg(proc->exitCode())),
                             logPath);
            return false;
        }
        DbError dbError;
        if (PgConn conn = connect(spec, opts, &dbError)) {
            if (probe.isEmpty() || exec(conn.get(), probe, &dbError))
                return true;
        }
        lastError = dbError.message;
        if (deadline.hasExpired()) {
            *error = withLog(QStringLiteral("%1 did not become ready within %2 s (last error: %3)")
                                 .arg(what, QString::number(kReadyTimeoutMs / 1000), lastError),
                             logPath);
            return false;
        }
        proc->waitForFinished(100); // doubles as the poll interval
    }
}

bool Sandbox::Private::startPostgres(const QString &binary, QString *error)
{
    const QString logPath = path("postgres.log");
    for (int attempt = 1; attempt <= kStartAttempts; ++attempt) {
        pgPort = freeLoopbackPort();
        if (pgPort <= 0) {
            *error = QStringLiteral("cannot find a free port on 127.0.0.1");
            return false;
        }
        if (!writePgpass(error))
            return false;
        buildUris();
        QStringList args{QStringLiteral("-D"), dataDir, QStringLiteral("-p"), QString::number(pgPort)};
        const QStringList settings{
            QStringLiteral("listen_addresses=127.0.0.1"),
            QStringLiteral("unix_socket_directories=") + runDir,
            QStringLiteral("max_connections=%1").arg(options.maxConnections),
            QStringLiteral("shared_buffers=32MB"),
            // A throwaway cluster: durability buys nothing and costs seconds.
            QStringLiteral("fsync=off"),
            QStringLiteral("synchronous_commit=off"),
            QStringLiteral("full_page_writes=off"),
            QStringLiteral("log_destination=stderr"),
            QStringLiteral("logging_collector=off"),
        };
        for (const QString &s : settings + options.extraPostgresSettings)
            args << QStringLiteral("-c") << s;

        postgres = std::make_unique<QProcess>();
        postgres->setProgram(binary);
        postgres->setArguments(args);
        postgres->setWorkingDirectory(dataDir);
        postgres->setStandardInputFile(QProcess::nullDevice());
        postgres->setProcessChannelMode(QProcess::MergedChannels);
        postgres->setStandardOutputFile(logPath, QIODevice::Append);
        // SIGINT is a fast shutdown: clients are disconnected and shared memory is released, unlike SIGKILL.
        postgres->setChildProcessModifier(childSetup(user, SIGINT, 0));
        log->debug("starting postgres on 127.0.0.1:{} (attempt {})", pgPort, attempt);
        const qint64 logOffset = QFileInfo(logPath).size();
        postgres->start();
        if (!postgres->waitForStarted(10000)) {
            *error = QStringLiteral("cannot start %1: %2").arg(binary, postgres->errorString());
            postgres.reset();
            return false;
        }
        bool portTaken = false;
        if (waitReady(postgres.get(), QStringLiteral("PostgreSQL"), uris.postgres, {}, logPath, logOffset,
                      &portTaken, error))
            return true;
        stopProcess(postgres, SIGINT, "postgres");
        if (!portTaken || attempt == kStartAttempts)
            return false;
        log->info("port {} was taken, retrying", pgPort);
    }
    return false;
}

bool Sandbox::Private::createRoles(QString *error)
{
    DbError dbError;
    ConnectOptions opts;
    opts.applicationName = "poolscope-sandbox";
    opts.keepalives = false;
    PgConn conn = connect(parseConnInfo(uris.postgres), opts, &dbError);
    if (!conn) {
        *error = QStringLiteral("cannot connect as postgres: ") + dbError.message;
        return false;
    }
    // The passwords are random hex, so inlining them as literals is safe. Statements run one by one:
    // CREATE DATABASE refuses to run inside the implicit transaction of a multi-statement string.
    const QByteArray statements[] = {
        "CREATE ROLE app LOGIN PASSWORD '" + pwApp + "'",
        "CREATE DATABASE app OWNER app",
        "CREATE ROLE monitor LOGIN PASSWORD '" + pwMonitor + "' IN ROLE pg_monitor",
        "GRANT pg_signal_backend TO monitor",
    };
    for (const QByteArray &sql : statements) {
        if (!exec(conn.get(), sql, &dbError)) {
            // Not the statement itself: it may hold a password.
            *error = QStringLiteral("setting up roles failed: ") + dbError.message;
            return false;
        }
    }
    return true;
}

bool Sandbox::Private::startBouncer(const QString &binary, QString *error)
{
    const QByteArray userlist = "\"app\" \"" + pwApp + "\"\n\"monitor\" \"" + pwMonitor + "\"\n\"" +
                                kAdminUser + "\" \"" + pwAdmin + "\"\n\"postgres\" \"" + pwPostgres + "\"\n";
    if (!writePrivateFile(path("userlist.txt"), userlist, &user, error))
        return false;
    const QString logPath = path("pgbouncer.log");
    for (int attempt = 1; attempt <= kStartAttempts; ++attempt) {
        bouncerPort = freeLoopbackPort();
        if (bouncerPort <= 0) {
            *error = QStringLiteral("cannot find a free port on 127.0.0.1");
            return false;
        }
        if (!writePgpass(error))
            return false;
        buildUris();
        // PgBouncer runs in the foreground and logs to stderr, which goes to pgbouncer.log; a `logfile`
        // setting on top would write every line twice into the same file.
        QStringList ini{
            QStringLiteral("[databases]"),
            QStringLiteral("app = host=127.0.0.1 port=%1 dbname=app").arg(pgPort),
            // A session-mode pool in front of the same database: the session-pooler-full incident needs it.
            options.sessionPoolSize > 0
                ? QStringLiteral("app_session = host=127.0.0.1 port=%1 dbname=app pool_mode=session pool_size=%2")
                      .arg(pgPort)
                      .arg(options.sessionPoolSize)
                : QString(),
            QStringLiteral("* = host=127.0.0.1 port=%1").arg(pgPort),
            QString(),
            QStringLiteral("[pgbouncer]"),
            QStringLiteral("listen_addr = 127.0.0.1"),
            QStringLiteral("listen_port = %1").arg(bouncerPort),
            QStringLiteral("unix_socket_dir = ") + runDir,
            QStringLiteral("pidfile = ") + runDir + QStringLiteral("/pgbouncer.pid"),
            QStringLiteral("auth_type = scram-sha-256"),
            QStringLiteral("auth_file = ") + path("userlist.txt"),
            QStringLiteral("admin_users = ") + qs(kAdminUser),
            QStringLiteral("stats_users = monitor"),
            QStringLiteral("pool_mode = ") + options.poolMode,
            QStringLiteral("default_pool_size = %1").arg(options.defaultPoolSize),
            QStringLiteral("reserve_pool_size = %1").arg(options.reservePoolSize),
            QStringLiteral("max_client_conn = %1").arg(options.maxClientConn),
            QStringLiteral("ignore_startup_parameters = extra_float_digits,options"),
            QStringLiteral("server_reset_query = DISCARD ALL"),
        };
        ini += options.extraBouncerSettings;
        if (!writePrivateFile(path("pgbouncer.ini"),
                              (ini.join(QLatin1Char('\n')) + QLatin1Char('\n')).toUtf8(), &user, error))
            return false;

        bouncer = std::make_unique<QProcess>();
        bouncer->setProgram(binary);
        bouncer->setArguments({path("pgbouncer.ini")});
        bouncer->setWorkingDirectory(runDir);
        bouncer->setStandardInputFile(QProcess::nullDevice());
        bouncer->setProcessChannelMode(QProcess::MergedChannels);
        bouncer->setStandardOutputFile(logPath, QIODevice::Append);
        // One descriptor per client and server connection plus slack; PgBouncer only warns when the limit
        // is lower, then fails at runtime, so raise the soft limit where the hard limit allows.
        const rlim_t wantedFiles = rlim_t(options.maxClientConn) +
                                   rlim_t(options.defaultPoolSize + options.reservePoolSize) * 8 + 100;
        // SIGTERM is PgBouncer 1.18's immediate shutdown.
        bouncer->setChildProcessModifier(childSetup(user, SIGTERM, wantedFiles));
        log->debug("starting pgbouncer on 127.0.0.1:{} (attempt {})", bouncerPort, attempt);
        const qint64 logOffset = QFileInfo(logPath).size();
        bouncer->start();
        if (!bouncer->waitForStarted(10000)) {
            *error = QStringLiteral("cannot start %1: %2").arg(binary, bouncer->errorString());
            bouncer.reset();
            return false;
        }
        bool portTaken = false;
        if (waitReady(bouncer.get(), QStringLiteral("PgBouncer"), uris.pgbouncerConsole, "SHOW VERSION",
                      logPath, logOffset, &portTaken, error)) {
            // End to end: client auth at PgBouncer and PgBouncer's own login to PostgreSQL.
            DbError dbError;
            ConnectOptions opts;
            opts.applicationName = "poolscope-sandbox";
            opts.keepalives = false;
            PgConn conn = connect(parseConnInfo(uris.pgbouncerApp), opts, &dbError);
            if (!conn || !exec(conn.get(), "SELECT 1", &dbError)) {
                *error =
                    withLog(QStringLiteral("PgBouncer is up but cannot reach PostgreSQL: ") + dbError.message,
                            logPath);
                return false;
            }
            return true;
        }
        stopProcess(bouncer, SIGTERM, "pgbouncer");
        if (!portTaken || attempt == kStartAttempts)
            return false;
        log->info("port {} was taken, retrying", bouncerPort);
    }
    return false;
}

bool Sandbox::Private::startPgpool(const QString &binary, QString *error)
{
    // Clients authenticate at pgpool with scram-sha-256 against pool_passwd, and pgpool uses the same
    // passwords to log in to PostgreSQL, which keeps requiring scram for direct connections too.
    const QByteArray poolPasswd =
        "app:TEXT" + pwApp + "\nmonitor:TEXT" + pwMonitor + "\npostgres:TEXT" + pwPostgres + "\n";
    if (!writePrivateFile(path("pool_passwd"), poolPasswd, &user, error) ||
        !writePrivateFile(path("pool_hba.conf"), "host all all 127.0.0.1/32 scram-sha-256\n", &user, error) ||
        !writePrivateFile(path("pcp.conf"), {}, &user, error)) // no pcp users: pcp stays unusable
        return false;
    const QString logPath = path("pgpool.log");
    auto quoted = [](const QString &v) -> QString {
        return QLatin1Char('\'') + v + QLatin1Char('\'');
    };
    for (int attempt = 1; attempt <= kStartAttempts; ++attempt) {
        pgpoolPort = freeLoopbackPort();
        const int pcpPort = freeLoopbackPort(); // names pcp's Unix socket only: TCP pcp is off
        if (pgpoolPort <= 0 || pcpPort <= 0) {
            *error = QStringLiteral("cannot find a free port on 127.0.0.1");
            return false;
        }
        if (!writePgpass(error))
            return false;
        buildUris();
        const QStringList conf{
            QStringLiteral("backend_clustering_mode = 'raw'"),
            QStringLiteral("listen_addresses = '127.0.0.1'"),
            QStringLiteral("port = %1").arg(pgpoolPort),
            QStringLiteral("unix_socket_directories = ") + quoted(runDir),
            QStringLiteral("pcp_listen_addresses = ''"),
            QStringLiteral("pcp_port = %1").arg(pcpPort),
            QStringLiteral("pcp_socket_dir = ") + quoted(runDir),
            QStringLiteral("backend_hostname0 = '127.0.0.1'"),
            QStringLiteral("backend_port0 = %1").arg(pgPort),
            QStringLiteral("backend_weight0 = 1"),
            QStringLiteral("backend_flag0 = 'DISALLOW_TO_FAILOVER'"),
            QStringLiteral("enable_pool_hba = on"),
            QStringLiteral("pool_passwd = ") + quoted(path("pool_passwd")),
            QStringLiteral("num_init_children = %1").arg(options.pgpoolNumInitChildren),
            QStringLiteral("max_pool = %1").arg(options.pgpoolMaxPool),
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
        if (!writePrivateFile(path("pgpool.conf"),
                              (conf.join(QLatin1Char('\n')) + QLatin1Char('\n')).toUtf8(), &user, error))
            return false;

        pgpool = std::make_unique<QProcess>();
        pgpool->setProgram(binary);
        // -n: stay in the foreground, logging to stderr (pgpool.log); -D: ignore a stale pgpool_status.
        pgpool->setArguments({QStringLiteral("-n"), QStringLiteral("-D"), QStringLiteral("-f"),
                              path("pgpool.conf"), QStringLiteral("-a"), path("pool_hba.conf"),
                              QStringLiteral("-F"), path("pcp.conf")});
        pgpool->setWorkingDirectory(runDir);
        pgpool->setStandardInputFile(QProcess::nullDevice());
        pgpool->setProcessChannelMode(QProcess::MergedChannels);
        pgpool->setStandardOutputFile(logPath, QIODevice::Append);
        // SIGINT is pgpool's fast shutdown: it ends its children and their backend connections.
        pgpool->setChildProcessModifier(childSetup(user, SIGINT, 0));
        log->debug("starting pgpool on 127.0.0.1:{} (attempt {})", pgpoolPort, attempt);
        const qint64 logOffset = QFileInfo(logPath).size();
        pgpool->start();
        if (!pgpool->waitForStarted(10000)) {
            *error = QStringLiteral("cannot start %1: %2").arg(binary, pgpool->errorString());
            pgpool.reset();
            return false;
        }
        bool portTaken = false;
        // End to end: scram at pgpool, then pgpool's own login to PostgreSQL.
        if (waitReady(pgpool.get(), QStringLiteral("Pgpool-II"), uris.pgpoolApp, "SHOW POOL_VERSION", logPath,
                      logOffset, &portTaken, error))
            return true;
        stopProcess(pgpool, SIGINT, "pgpool");
        if (!portTaken || attempt == kStartAttempts)
            return false;
        log->info("port {} was taken, retrying", pgpoolPort);
    }
    return false;
}

void Sandbox::Private::stopProcess(std::unique_ptr<QProcess> &proc, int signal, const char *what)
{
    if (!proc)
        return;
    if (proc->state() != QProcess::NotRunning) {
        const qint64 pid = proc->processId();
        if (pid > 0)
            ::kill(pid_t(pid), signal);
        if (!proc->waitForFinished(kStopTimeoutMs)) {
            log->warn("{} (pid {}) did not stop within {} s, killing it", what, pid, kStopTimeoutMs / 1000);
            proc->kill();
            proc->waitForFinished(3000);
        }
    }
    proc.reset();
}

void Sandbox::Private::removeFiles()
{
    if (!dir.isEmpty()) {
        if (ownsDir) {
            if (!QDir(dir).removeRecursively())
                log->warn("could not remove {} completely", dir.toStdString());
        } else {
            for (const char *entry : kEntries) {
                const QFileInfo fi(path(entry));
                if (fi.isDir() && !fi.isSymLink())
                    QDir(fi.filePath()).removeRecursively();
                else if (fi.exists() || fi.isSymLink())
                    QFile::remove(fi.filePath());
            }
        }
    }
    if (ownsRunDir && !runDir.isEmpty())
        QDir(runDir).removeRecursively();
}

void Sandbox::Private::teardown()
{
    if (!active)
        return;
    if (thread && thread != QThread::currentThread())
        log->warn("Sandbox stopped on another thread than it was started on");
    stopProcess(pgpool, SIGINT, "pgpool");
    stopProcess(bouncer, SIGTERM, "pgbouncer");
    stopProcess(postgres, SIGINT, "postgres");
    removeFiles();
    stopWatchdog();
    if (started)
        log->info("sandbox in {} stopped", dir.toStdString());
    dir.clear();
    runDir.clear();
    dataDir.clear();
    ownsDir = ownsRunDir = false;
    pgPort = bouncerPort = pgpoolPort = 0;
    pwPostgres.clear();
    pwApp.clear();
    pwMonitor.clear();
    pwAdmin.clear();
    uris = {};
    started = false;
    active = false;
    thread = nullptr;
}

Sandbox::Sandbox(SandboxOptions options) : d(std::make_unique<Private>())
{
    d->options = std::move(options);
}

Sandbox::~Sandbox()
{
    stop();
}

bool Sandbox::start(QString *error)
{
    QString err;
    auto fail = [&](const QString &message) {
        // Info, not error: every caller shows the returned message itself; this keeps it in the log file
        // without printing it twice on a terminal.
        d->log->info("sandbox failed to start: {}", message.toStdString());
        d->teardown();
        if (error)
            *error = message;
        return false;
    };
    if (d->active) {
        if (error)
            *error = QStringLiteral("the sandbox is already started");
        return false;
    }

    const QString initdb = findPostgresBinary(QStringLiteral("initdb"));
    const QString postgres = findPostgresBinary(QStringLiteral("postgres"));
    if (initdb.isEmpty() || postgres.isEmpty())
        return fail(QStringLiteral("PostgreSQL server binaries (initdb, postgres) not found; install the "
                                   "postgresql package"));
    QString pgbouncer;
    if (d->options.withPgBouncer) {
        pgbouncer = findPgBouncer();
        if (pgbouncer.isEmpty())
            return fail(
                QStringLiteral("pgbouncer not found in PATH or /usr/sbin; install the pgbouncer package"));
    }

    QString pgpool;
    if (d->options.withPgpool) {
        pgpool = findPgpool();
        if (pgpool.isEmpty())
            return fail(QStringLiteral("pgpool not found in PATH or /usr/sbin; install the pgpool2 package"));
    }

    d->thread = QThread::currentThread();
    d->user = resolveServerUser();
    if (::geteuid() == 0 && !d->user.switchUser)
        return fail(QStringLiteral("running as root, but neither a \"postgres\" nor a \"nobody\" user exists "
                                   "to run the servers"));
    d->pwPostgres = randomPassword();
    d->pwApp = randomPassword();
    d->pwMonitor = randomPassword();
    d->pwAdmin = randomPassword();

    if (!d->prepareDir(&err) || !d->runInitdb(initdb, &err) || !d->startPostgres(postgres, &err) ||
        !d->createRoles(&err))
        return fail(err);
    if (d->options.withPgBouncer && !d->startBouncer(pgbouncer, &err))
        return fail(err);
    if (d->options.withPgpool && !d->startPgpool(pgpool, &err))
        return fail(err);

    d->started = true;
    d->log->info("sandbox ready in {}: postgres 127.0.0.1:{}{}{}{}", d->dir.toStdString(), d->pgPort,
                 d->bouncerPort > 0 ? ", pgbouncer 127.0.0.1:" + std::to_string(d->bouncerPort)
                                    : std::string(),
                 d->pgpoolPort > 0 ? ", pgpool 127.0.0.1:" + std::to_string(d->pgpoolPort) : std::string(),
                 d->user.switchUser ? " (servers run as " + d->user.name.toStdString() + ")" : std::string());
    return true;
}

void Sandbox::stop()
{
    d->teardown();
}

bool Sandbox::isRunning() const
{
    if (!d->started || !d->postgres || d->postgres->state() != QProcess::Running)
        return false;
    if (d->options.withPgpool && !(d->pgpool && d->pgpool->state() == QProcess::Running))
        return false;
    return !d->options.withPgBouncer || (d->bouncer && d->bouncer->state() == QProcess::Running);
}

QString Sandbox::dir() const
{
    return d->dir;
}

int Sandbox::postgresPort() const
{
    return d->pgPort;
}

int Sandbox::bouncerPort() const
{
    return d->bouncerPort;
}

int Sandbox::pgpoolPort() const
{
    return d->pgpoolPort;
}

const SandboxUris &Sandbox::uris() const
{
    return d->uris;
}

QJsonObject Sandbox::toJson() const
{
    QJsonObject uris{
        {QStringLiteral("postgres"), d->uris.postgres},
        {QStringLiteral("app"), d->uris.app},
        {QStringLiteral("monitor"), d->uris.monitor},
    };
    if (d->bouncerPort > 0) {
        uris.insert(QStringLiteral("pgbouncer_app"), d->uris.pgbouncerApp);
        if (!d->uris.pgbouncerSessionApp.isEmpty())
            uris.insert(QStringLiteral("pgbouncer_session_app"), d->uris.pgbouncerSessionApp);
        uris.insert(QStringLiteral("pgbouncer_console"), d->uris.pgbouncerConsole);
        uris.insert(QStringLiteral("pgbouncer_monitor"), d->uris.pgbouncerMonitor);
    }
    if (d->pgpoolPort > 0) {
        uris.insert(QStringLiteral("pgpool_app"), d->uris.pgpoolApp);
        uris.insert(QStringLiteral("pgpool_monitor"), d->uris.pgpoolMonitor);
    }
    QJsonObject json{
        {QStringLiteral("dir"), d->dir},
        {QStringLiteral("postgres_port"), d->pgPort},
        {QStringLiteral("pgbouncer_port"), d->bouncerPort},
        {QStringLiteral("pid"), QCoreApplication::applicationPid()},
        {QStringLiteral("uris"), uris},
    };
    if (d->pgpoolPort > 0)
        json.insert(QStringLiteral("pgpool_port"), d->pgpoolPort);
    return json;
}

QString Sandbox::findPostgresBinary(const QString &name)
{
    for (const QString &dir : postgresBinDirs()) {
        const QString candidate = dir + QLatin1Char('/') + name;
        if (isExecutableFile(candidate))
            return candidate;
    }
    return {};
}

QString Sandbox::findPgBouncer()
{
    const QString name = QStringLiteral("pgbouncer");
    QString found = findPostgresBinary(name);
    if (found.isEmpty())
        found = QStandardPaths::findExecutable(name);
    if (found.isEmpty())
        found = QStandardPaths::findExecutable(
            name, {QStringLiteral("/usr/sbin"), QStringLiteral("/usr/local/sbin")});
    return found;
}

qint64 Sandbox::postgresPid() const
{
    return d->postgres && d->postgres->state() == QProcess::Running ? d->postgres->processId() : 0;
}

qint64 Sandbox::bouncerPid() const
{
    return d->bouncer && d->bouncer->state() == QProcess::Running ? d->bouncer->processId() : 0;
}

qint64 Sandbox::pgpoolPid() const
{
    return d->pgpool && d->pgpool->state() == QProcess::Running ? d->pgpool->processId() : 0;
}

QString Sandbox::findPgpool()
{
    const QString name = QStringLiteral("pgpool");
    QString found = QStandardPaths::findExecutable(name);
    if (found.isEmpty())
        found = QStandardPaths::findExecutable(
            name, {QStringLiteral("/usr/sbin"), QStringLiteral("/usr/local/sbin")});
    return found;
}

namespace {

// Same program, arguments, directory and log as the process it replaces.
std::unique_ptr<QProcess> respawn(const QProcess &old, const QString &logPath, std::function<void()> setup)
{
    auto proc = std::make_unique<QProcess>();
    proc->setProgram(old.program());
    proc->setArguments(old.arguments());
    proc->setWorkingDirectory(old.workingDirectory());
    proc->setStandardInputFile(QProcess::nullDevice());
    proc->setProcessChannelMode(QProcess::MergedChannels);
    proc->setStandardOutputFile(logPath, QIODevice::Append);
    proc->setChildProcessModifier(std::move(setup));
    return proc;
}

} // namespace

bool Sandbox::restartPostgres(QString *error)
{
    QString err;
    if (!d->started || !d->postgres) {
        if (error)
            *error = QStringLiteral("the sandbox is not running");
        return false;
    }
    const QString logPath = d->path("postgres.log");
    auto next = respawn(*d->postgres, logPath, childSetup(d->user, SIGINT, 0));
    d->stopProcess(d->postgres, SIGINT, "postgres");
    d->log->info("restarting postgres on 127.0.0.1:{}", d->pgPort);
    // The port is free again once the postmaster has exited (it listens with SO_REUSEADDR).
    QDeadlineTimer deadline(kReadyTimeoutMs);
    while (true) {
        const qint64 logOffset = QFileInfo(logPath).size();
        d->postgres = std::move(next);
        d->postgres->start();
        if (!d->postgres->waitForStarted(10000)) {
            err = QStringLiteral("cannot restart postgres: ") + d->postgres->errorString();
            break;
        }
        bool portTaken = false;
        if (d->waitReady(d->postgres.get(), QStringLiteral("PostgreSQL"), d->uris.postgres, {}, logPath,
                         logOffset, &portTaken, &err))
            return true;
        if (!portTaken || deadline.hasExpired())
            break;
        next = respawn(*d->postgres, logPath, childSetup(d->user, SIGINT, 0));
        d->stopProcess(d->postgres, SIGINT, "postgres");
        QThread::msleep(200);
    }
    if (error)
        *error = err;
    return false;
}

bool Sandbox::restartPgBouncer(QString *error)
{
    QString err;
    if (!d->started || !d->bouncer) {
        if (error)
            *error = QStringLiteral("the sandbox has no running PgBouncer");
        return false;
    }
    const QString logPath = d->path("pgbouncer.log");
    const rlim_t wantedFiles = rlim_t(d->options.maxClientConn) +
                               rlim_t(d->options.defaultPoolSize + d->options.reservePoolSize) * 8 + 100;
    auto next = respawn(*d->bouncer, logPath, childSetup(d->user, SIGTERM, wantedFiles));
    d->stopProcess(d->bouncer, SIGTERM, "pgbouncer");
    d->log->info("restarting pgbouncer on 127.0.0.1:{}", d->bouncerPort);
    QDeadlineTimer deadline(kReadyTimeoutMs);
    while (true) {
        const qint64 logOffset = QFileInfo(logPath).size();
        d->bouncer = std::move(next);
        d->bouncer->start();
        if (!d->bouncer->waitForStarted(10000)) {
            err = QStringLiteral("cannot restart pgbouncer: ") + d->bouncer->errorString();
            break;
        }
        bool portTaken = false;
        if (d->waitReady(d->bouncer.get(), QStringLiteral("PgBouncer"), d->uris.pgbouncerConsole,
                         "SHOW VERSION", logPath, logOffset, &portTaken, &err))
            return true;
        if (!portTaken || deadline.hasExpired())
            break;
        next = respawn(*d->bouncer, logPath, childSetup(d->user, SIGTERM, wantedFiles));
        d->stopProcess(d->bouncer, SIGTERM, "pgbouncer");
        QThread::msleep(200);
    }
    if (error)
        *error = err;
    return false;
}

} // namespace poolscope::db
