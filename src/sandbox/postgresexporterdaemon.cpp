#include "postgresexporterdaemon.h"

#include "sandbox/files.h"
#include "sandbox/httpget.h"
#include "sandbox/sandboxcontext.h"

#include <QDir>
#include <QStandardPaths>

#include <csignal>

namespace poolscope::sandbox {

QString PostgresExporterDaemon::findBinary()
{
    for (const char *binary : {"prometheus-postgres-exporter", "postgres_exporter"}) {
        const QString name = QString::fromLatin1(binary);
        QString found = QStandardPaths::findExecutable(name);
        if (found.isEmpty())
            found = QStandardPaths::findExecutable(name,
                                                   {QStringLiteral("/usr/bin"), QStringLiteral("/usr/sbin")});
        if (!found.isEmpty())
            return found;
    }
    return {};
}

bool PostgresExporterDaemon::start(QString *error)
{
    SandboxContext &c = m_context;
    if (!files::writePrivateFile(c.path("postgres_exporter.pass"), c.pwMonitor + '\n', &c.user, error))
        return false;
    const QString workDir = c.path("postgres_exporter");
    if (!QDir(workDir).exists() && !files::makePrivateDir(workDir, c.user, error))
        return false;
    auto launchOn = [&](int port, QString *) -> std::optional<ServerLaunch> {
        c.postgresExporterPort = port;
        c.buildUris();
        ServerLaunch launch;
        launch.name = QStringLiteral("postgres_exporter");
        launch.program = m_binary;
        launch.arguments = {QStringLiteral("--web.listen-address=127.0.0.1:%1").arg(port),
                            QStringLiteral("--log.level=warn")};
        launch.environment = {
            QStringLiteral("DATA_SOURCE_URI=127.0.0.1:%1/app?sslmode=disable").arg(c.pgPort),
            QStringLiteral("DATA_SOURCE_USER=monitor"),
            QStringLiteral("DATA_SOURCE_PASS_FILE=") + c.path("postgres_exporter.pass"),
        };
        launch.workingDir = workDir;
        launch.logPath = c.path("postgres_exporter.log");
        launch.stopSignal = SIGTERM;
        const QString url = c.uris.postgresExporter + QStringLiteral("/metrics");
        launch.readyCheck = [url](QString *err) {
            const HttpReply r = httpGet(url, {}, 2000);
            if (r.status == 200 && r.body.contains("\npg_up 1"))
                return true;
            *err = r.status == 200 ? QStringLiteral("pg_up is not 1 yet") : r.error;
            return false;
        };
        return launch;
    };
    m_process = startOnFreePort(launchOn, c.user, error);
    return m_process != nullptr;
}

} // namespace poolscope::sandbox
