#include "auditlog.h"

#include "logging.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QStandardPaths>
#include <mutex>
#include <pwd.h>
#include <unistd.h>

namespace poolscope::audit {

namespace {
std::mutex g_mutex;
QString g_override;
} // namespace

QString filePath()
{
    {
        std::lock_guard lock(g_mutex);
        if (!g_override.isEmpty())
            return g_override;
    }
    const QString base = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation);
    return base + QStringLiteral("/poolscope/audit.jsonl");
}

void setFilePath(const QString &path)
{
    std::lock_guard lock(g_mutex);
    g_override = path;
}

QString osUser()
{
    const QString env = qEnvironmentVariable("USER");
    if (!env.isEmpty())
        return env;
    if (const passwd *pw = getpwuid(getuid()))
        return QString::fromLocal8Bit(pw->pw_name);
    return QString::number(getuid());
}

bool record(const QString &action, const QString &target, const QJsonObject &fields)
{
    QJsonObject line;
    line.insert(QStringLiteral("time"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
    line.insert(QStringLiteral("os_user"), osUser());
    line.insert(QStringLiteral("target"), target);
    line.insert(QStringLiteral("action"), action);
    for (auto it = fields.begin(); it != fields.end(); ++it)
        if (!line.contains(it.key()))
            line.insert(it.key(), it.value());
    const QByteArray text = QJsonDocument(line).toJson(QJsonDocument::Compact);

    auto log = logging::get("audit");
    log->info("{}", text.toStdString());

    const QString path = filePath();
    std::lock_guard lock(g_mutex);
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Append | QIODevice::Text)) {
        log->error("cannot write the audit log {}: {}", path.toStdString(), file.errorString().toStdString());
        return false;
    }
    file.setPermissions(QFile::ReadOwner | QFile::WriteOwner);
    const bool ok = file.write(text + '\n') == text.size() + 1 && file.flush();
    if (!ok)
        log->error("cannot write the audit log {}: {}", path.toStdString(), file.errorString().toStdString());
    return ok;
}

} // namespace poolscope::audit
