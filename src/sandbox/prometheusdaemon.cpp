#include "prometheusdaemon.h"

#include "sandbox/files.h"
#include "sandbox/httpget.h"
#include "sandbox/sandboxcontext.h"

#include <QDir>
#include <QStandardPaths>

#include <crypt.h>
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

namespace {

/// bcrypt of `password` (libcrypt's $2b$, cost 10), as Prometheus's web config wants it; empty on failure.
QByteArray bcrypt(const QString &password)
{
    const char *salt = crypt_gensalt("$2b$", 10, nullptr, 0);
    if (!salt)
        return {};
    struct crypt_data data = {};
    const char *hash = crypt_r(password.toUtf8().constData(), salt, &data);
    return hash && hash[0] == '$' ? QByteArray(hash) : QByteArray();
}

} // namespace

bool PrometheusDaemon::start(QString *error)
{
    SandboxContext &c = m_context;
    const QString workDir = c.path("prometheus");
    if (!QDir(workDir).exists() && !files::makePrivateDir(workDir, c.user, error))
        return false;
    if (!files::writePrivateFile(c.path("prometheus/prometheus.yml"), config(), &c.user, error))
        return false;
    const QString &authUser = c.options.prometheusBasicAuthUser;
    QList<QPair<QByteArray, QByteArray>> readyHeaders;
    if (!authUser.isEmpty()) {
        const QByteArray hash = bcrypt(c.options.prometheusBasicAuthPassword);
        if (hash.isEmpty()) {
            *error = QStringLiteral("cannot hash Prometheus's basic-auth password (libcrypt bcrypt)");
            return false;
        }
        const QByteArray web = "basic_auth_users:\n  " + authUser.toUtf8() + ": '" + hash + "'\n";
        if (!files::writePrivateFile(c.path("prometheus/web.yml"), web, &c.user, error))
            return false;
        readyHeaders.append(
            {"Authorization",
             "Basic " +
                 (authUser + QLatin1Char(':') + c.options.prometheusBasicAuthPassword).toUtf8().toBase64()});
    }
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
        if (!authUser.isEmpty())
            launch.arguments << QStringLiteral("--web.config.file=") + workDir + QStringLiteral("/web.yml");
        launch.workingDir = workDir;
        launch.logPath = c.path("prometheus.log");
        launch.stopSignal = SIGTERM;
        const QString url = c.uris.prometheus + QStringLiteral("/-/ready");
        launch.readyCheck = [url, readyHeaders](QString *err) {
            const HttpReply r = httpGet(url, readyHeaders, 2000);
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
