#pragma once

#include "sandbox/serveruser.h"

#include <QString>
#include <memory>
#include <spdlog/logger.h>

namespace poolscope::sandbox {

/// The sandbox's files: its directory (one the user named, of which only the entries the sandbox creates are
/// ever removed, or a fresh temporary one, removed as a whole), a run dir for the sockets (a separate short
/// one under /tmp when the directory's path is too long for a socket name), and the data dir.
///
/// From prepare() on, a detached watchdog process removes the files should this process die without calling
/// remove(): it waits for us to die, then for the servers (they get PDEATHSIG), and removes what we made.
class SandboxDir
{
public:
    explicit SandboxDir(std::shared_ptr<spdlog::logger> log) : m_log(std::move(log)) {}
    SandboxDir(const SandboxDir &) = delete;
    SandboxDir &operator=(const SandboxDir &) = delete;

    /// `requested` empty: a fresh temp dir. Makes the run and data dirs, owned by `user`, and checks `user`
    /// can reach them. On failure what was made stays for remove().
    bool prepare(const QString &requested, const ServerUser &user, QString *error);
    /// Removes what prepare() made, then ends the watchdog. Idempotent.
    void remove();

    /// Something may need removing.
    bool isActive() const { return m_active; }
    const QString &dir() const { return m_dir; }
    const QString &runDir() const { return m_runDir; }
    const QString &dataDir() const { return m_dataDir; }
    /// An entry of the directory ("pgpass", "postgres.log", ...).
    QString path(const char *name) const;

private:
    bool chooseDir(const QString &requested, QString *error);
    void startWatchdog();
    void stopWatchdog();

    std::shared_ptr<spdlog::logger> m_log;
    QString m_dir;
    bool m_ownsDir = false; // created by us or empty when handed to us: removed as a whole
    QString m_runDir;       // sockets and pid files
    bool m_ownsRunDir = false;
    QString m_dataDir;
    qint64 m_watchdogPid = 0;
    bool m_active = false;
};

} // namespace poolscope::sandbox
