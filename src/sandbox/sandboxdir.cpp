#include "sandboxdir.h"

#include "sandbox/files.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QThread>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

namespace poolscope::sandbox {

namespace {

constexpr int kMaxSocketDirLength = 90; // sun_path is 108 bytes; the socket name adds "/.s.PGSQL.NNNNN"
const char kWatchdogName[] = "poolscope-sandbox-watchdog";

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

QString errnoText()
{
    return QString::fromUtf8(std::strerror(errno));
}

} // namespace

QString SandboxDir::path(const char *name) const
{
    return m_dir + QLatin1Char('/') + QString::fromUtf8(name);
}

bool SandboxDir::chooseDir(const QString &requested, QString *error)
{
    if (requested.isEmpty()) {
        m_dir = files::makeTempDir(QStringLiteral("poolscope-sandbox-"), error);
        if (m_dir.isEmpty())
            return false;
        m_ownsDir = true;
        return true;
    }
    m_dir = QDir::cleanPath(QFileInfo(requested).absoluteFilePath());
    const QFileInfo fi(m_dir);
    if (!fi.exists()) {
        if (!QDir().mkpath(m_dir)) {
            *error = QStringLiteral("cannot create %1").arg(m_dir);
            m_dir.clear();
            return false;
        }
        m_ownsDir = true;
    } else if (!fi.isDir()) {
        *error = QStringLiteral("%1 exists and is not a directory").arg(m_dir);
        m_dir.clear();
        return false;
    } else if (QDir(m_dir).isEmpty(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot)) {
        m_ownsDir = true;
    } else {
        for (const char *entry : kEntries) {
            if (QFileInfo::exists(path(entry))) {
                *error = QStringLiteral("%1 already exists; use an empty or new directory for the sandbox")
                             .arg(path(entry));
                m_dir.clear();
                return false;
            }
        }
    }
    return true;
}

bool SandboxDir::prepare(const QString &requested, const ServerUser &user, QString *error)
{
    if (!chooseDir(requested, error))
        return false;
    m_active = true;
    // The watchdog recognises our processes by their working directory, which the kernel reports with
    // symlinks resolved.
    if (const QString canonical = QFileInfo(m_dir).canonicalFilePath(); !canonical.isEmpty())
        m_dir = canonical;
    const QByteArray native = QFile::encodeName(m_dir);
    if (m_ownsDir) {
        ::chmod(native.constData(), 0700);
        if (user.switchUser && ::chown(native.constData(), user.uid, user.gid) != 0) {
            *error = QStringLiteral("cannot chown %1 to %2: %3").arg(m_dir, user.name, errnoText());
            return false;
        }
    }
    if (user.switchUser) {
        // The servers run as another user: every directory above ours must let them through.
        QString p = m_ownsDir ? QFileInfo(m_dir).path() : m_dir;
        while (true) {
            if (!files::canEnter(p, user)) {
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

    m_runDir = path("run");
    if (QFile::encodeName(m_runDir).size() > kMaxSocketDirLength) {
        m_runDir = files::makeTempDir(QStringLiteral("poolscope-run-"), error);
        if (m_runDir.isEmpty())
            return false;
        m_ownsRunDir = true;
        if (const QString canonical = QFileInfo(m_runDir).canonicalFilePath(); !canonical.isEmpty())
            m_runDir = canonical;
        if (user.switchUser && ::chown(QFile::encodeName(m_runDir).constData(), user.uid, user.gid) != 0) {
            *error = QStringLiteral("cannot chown %1: %2").arg(m_runDir, errnoText());
            return false;
        }
    } else if (!files::makePrivateDir(m_runDir, user, error)) {
        return false;
    }
    // From here on a crash of this process no longer leaves files behind.
    startWatchdog();
    m_dataDir = path("data");
    return files::makePrivateDir(m_dataDir, user, error);
}

void SandboxDir::remove()
{
    if (!m_dir.isEmpty()) {
        if (m_ownsDir) {
            if (!QDir(m_dir).removeRecursively())
                m_log->warn("could not remove {} completely", m_dir.toStdString());
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
    if (m_ownsRunDir && !m_runDir.isEmpty())
        QDir(m_runDir).removeRecursively();
    stopWatchdog();
    m_dir.clear();
    m_runDir.clear();
    m_dataDir.clear();
    m_ownsDir = m_ownsRunDir = false;
    m_active = false;
}

void SandboxDir::startWatchdog()
{
    QStringList args{QStringLiteral("-c"),
                     QString::fromUtf8(kWatchdogScript),
                     QString::fromUtf8(kWatchdogName),
                     QString::number(QCoreApplication::applicationPid()),
                     files::globEscaped(path("data")),
                     files::globEscaped(m_runDir)};
    if (m_ownsDir) {
        args.append(m_dir);
    } else {
        for (const char *entry : kEntries)
            args.append(path(entry));
    }
    if (m_ownsRunDir)
        args.append(m_runDir);
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
        m_watchdogPid = pid;
        m_log->debug("watchdog pid {}", pid);
    } else {
        m_log->warn("cannot start the cleanup watchdog: {}", proc.errorString().toStdString());
    }
}

void SandboxDir::stopWatchdog()
{
    if (m_watchdogPid <= 0)
        return;
    // Make sure the pid is still our watchdog and not a recycled one.
    auto isWatchdog = [pid = m_watchdogPid] {
        QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(pid));
        return cmdline.open(QIODevice::ReadOnly) && cmdline.readAll().contains(kWatchdogName);
    };
    if (isWatchdog()) {
        // QProcess::startDetached gives it a session and process group of its own (led by the exited
        // intermediate child); signalling the group also ends the `sleep` it is waiting on.
        const pid_t group = ::getpgid(pid_t(m_watchdogPid));
        ::kill(pid_t(m_watchdogPid), SIGTERM);
        if (group > 1 && group != ::getpgrp())
            ::kill(-group, SIGTERM);
        // Signals are delivered asynchronously; wait briefly so that stop() leaves no process behind.
        QDeadlineTimer deadline(1000);
        while (isWatchdog() && !deadline.hasExpired())
            QThread::msleep(10);
    }
    m_watchdogPid = 0;
}

} // namespace poolscope::sandbox
