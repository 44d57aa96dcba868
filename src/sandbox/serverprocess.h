#pragma once

#include "core/dberror.h"
#include "sandbox/serveruser.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>
#include <functional>
#include <memory>
#include <optional>
#include <sys/resource.h>

class QProcess;

namespace poolscope::sandbox {

/// How to run one server of the sandbox and how to tell it is up.
struct ServerLaunch
{
    QString name; // "PostgreSQL", for messages
    QString program;
    QStringList arguments;
    QString workingDir;     // the data or run dir: the watchdog recognises our processes by it
    QString logPath;        // stdout and stderr are appended here
    int stopSignal = 15;    // its fast shutdown; also the signal it gets when the forking thread dies
    rlim_t wantedFiles = 0; // raise the soft RLIMIT_NOFILE to this where the hard limit allows (0: leave it)
    QString readyUri;       // ready once a connection here works...
    QByteArray readyProbe;  // ...and this statement runs on it (empty: connecting is enough)
    // A server that does not speak the PostgreSQL protocol (Prometheus, an exporter): ready once this
    // returns true (with readyUri unused); false with the reason.
    std::function<bool(QString *error)> readyCheck;
    QStringList environment; // "NAME=value" added to the inherited environment
};

/// One server process of the sandbox: started from its ServerLaunch (again and again: a restart is stop()
/// then start() with the same program, arguments and port), waited for until it answers, stopped with its
/// fast-shutdown signal.
///
/// Thread contract: start() and stop() run on the thread that owns the sandbox, which must outlive the
/// process (it gets PR_SET_PDEATHSIG, which fires when the forking *thread* exits).
class ServerProcess
{
public:
    ServerProcess(ServerLaunch launch, ServerUser user);
    ~ServerProcess(); // stop()
    ServerProcess(const ServerProcess &) = delete;
    ServerProcess &operator=(const ServerProcess &) = delete;

    /// Starts the process and waits (at most 30 s) until it answers. False with `error` (the log's tail when
    /// it exited); `portTaken` (may be null) when the log says its port was taken meanwhile.
    bool start(QString *error, bool *portTaken = nullptr);
    /// Fast shutdown, SIGKILL after 10 s. Idempotent.
    void stop();
    bool isRunning() const;
    /// 0 when not running.
    qint64 pid() const;
    const ServerLaunch &launch() const { return m_launch; }

private:
    bool waitReady(qint64 logOffset, bool *portTaken, QString *error);

    ServerLaunch m_launch;
    ServerUser m_user;
    std::unique_ptr<QProcess> m_process;
};

/// A loopback TCP port nobody listens on right now (0 when none); someone may take it before we bind it.
int freeLoopbackPort();

/// Starts a server on a free loopback port: `launchOn(port)` writes whatever names the port (configuration
/// files, pgpass, URIs) and says how to start; when the port was taken between probing and binding, again on
/// another one (three attempts). Null with `error` on failure.
std::unique_ptr<ServerProcess>
startOnFreePort(const std::function<std::optional<ServerLaunch>(int port, QString *error)> &launchOn,
                const ServerUser &user, QString *error);

/// Connects to `uri` as the sandbox's own client (application_name poolscope-sandbox, no keepalives:
/// loopback) and runs `statements` one by one (simple protocol). False with `error`; `connected` (may be
/// null) says whether the connection itself worked.
bool runStatements(const QString &uri, const QList<QByteArray> &statements, DbError *error,
                   bool *connected = nullptr, int connectTimeoutS = 5);

/// The fork-to-exec setup of a server: own session, inherited descriptors closed on exec, the file limit, the
/// server user, and PR_SET_PDEATHSIG `deathSignal`. Only async-signal-safe calls.
std::function<void()> childSetup(const ServerUser &user, int deathSignal, rlim_t wantedFiles);

} // namespace poolscope::sandbox
