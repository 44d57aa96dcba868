#include "serverrestart.h"

#include "core/logging.h"
#include "sandbox/serverprocess.h"

#include <QDeadlineTimer>
#include <QThread>

namespace poolscope::test {

namespace {

constexpr int kRestartTimeoutMs = 30000;

// The port is free again once the old process has exited (servers listen with SO_REUSEADDR), but another
// process may grab it meanwhile: try again until the deadline.
bool restart(sandbox::Sandbox &sandbox, sandbox::SandboxServer which, QString *error)
{
    sandbox::ServerProcess *server = sandbox.server(which);
    if (!server) {
        *error = QStringLiteral("the sandbox does not run that server");
        return false;
    }
    logging::get("sandbox")->info("restarting {}", server->launch().name.toStdString());
    server->stop();
    const QDeadlineTimer deadline(kRestartTimeoutMs);
    while (true) {
        bool portTaken = false;
        if (server->start(error, &portTaken))
            return true;
        if (!portTaken || deadline.hasExpired())
            return false;
        QThread::msleep(200);
    }
}

} // namespace

bool restartPostgres(sandbox::Sandbox &sandbox, QString *error)
{
    return restart(sandbox, sandbox::SandboxServer::Postgres, error);
}

bool restartPgBouncer(sandbox::Sandbox &sandbox, QString *error)
{
    return restart(sandbox, sandbox::SandboxServer::PgBouncer, error);
}

} // namespace poolscope::test
