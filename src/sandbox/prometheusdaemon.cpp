#include "prometheusdaemon.h"

#include "sandbox/files.h"
#include "sandbox/httpget.h"
#include "sandbox/sandboxcontext.h"

#include <QDir>
#include <QStandardPaths>

#include <csignal>

namespace poolscope::sandbox {

QString PrometheusDaemon::findBinary()
{
    const QString name = QStringLiteral("prometheus");
    QString found = QStandardPaths::findExecutable(name);
    if (found.isEmpty())
        found =
            QStandardPaths::findExecutable(name, {QStringLiteral("/usr/bin"), QStringLiteral("/usr/sbin")});
    return found;
}

QByteArray PrometheusDaemon::config() const
{
    const SandboxContext &c = m_context;
    const QString interval = QStringLiteral("%1ms").arg(std::max(100, c.options.prometheusScrapeIntervalMs));
    QStringList lines{
        QStringLiteral("global:"),
        QStringLiteral("  scrape_interval: ") + interval,
        QStringLiteral("  scrape_timeout: ") + interval,
        QStringLiteral("  evaluation_interval: ") + interval,
        QStringLiteral("scrape_configs:"),
    };
    auto job = [&](const QString &name, const QStringList &targets) {
        if (targets.isEmpty())
            return;
        lines << QStringLiteral("  - job_name: ") + name << QStringLiteral("    static_configs:")
              << QStringLiteral("      - targets: ['") + targets.join(QStringLiteral("', '")) +
                     QStringLiteral("']");
    };
    if (c.postgresExporterPort > 0)
        job(QStringLiteral("postgres_exporter"),
            {QStringLiteral("127.0.0.1:%1").arg(c.postgresExporterPort)});
    job(QStringLiteral("poolscope"), c.options.prometheusScrapeTargets);
    if (c.postgresExporterPort == 0 && c.options.prometheusScrapeTargets.isEmpty())
        lines << QStringLiteral("  []");
    return (lines.join(QLatin1Char('\n')) + QLatin1Char('\n')).toUtf8();
}

bool PrometheusDaemon::start(QString *error)
{
    SandboxContext &c = m_context;
    const QString workDir = c.path("prometheus");
    if (!QDir(workDir).exists() && !files::makePrivateDir(workDir, c.user, error))
        return false;
    if (!files::writePrivateFile(c.path("prometheus/prometheus.yml"), config(), &c.user, error))
        return false;
    auto launchOn = [&](int port, QString *) -> std::optional<ServerLaunch> {
        c.prometheusPort = port;
        c.buildUris();
        ServerLaunch launch;
        launch.name = QStringLiteral("Prometheus");
        launch.program = m_binary;
        launch.arguments = {QStringLiteral("--config.file=") + workDir + QStringLiteral("/prometheus.yml"),
                            QStringLiteral("--storage.tsdb.path=") + workDir + QStringLiteral("/data"),
                            QStringLiteral("--storage.tsdb.retention.time=1d"),
                            QStringLiteral("--web.listen-address=127.0.0.1:%1").arg(port),
                            QStringLiteral("--log.level=warn")};
        launch.workingDir = workDir;
        launch.logPath = c.path("prometheus.log");
        launch.stopSignal = SIGTERM;
        const QString url = c.uris.prometheus + QStringLiteral("/-/ready");
        launch.readyCheck = [url](QString *err) {
            const HttpReply r = httpGet(url, {}, 2000);
            if (r.status == 200)
                return true;
            *err = r.status ? QStringLiteral("/-/ready answered %1").arg(r.status) : r.error;
            return false;
        };
        return launch;
    };
    m_process = startOnFreePort(launchOn, c.user, error);
    return m_process != nullptr;
}

} // namespace poolscope::sandbox
