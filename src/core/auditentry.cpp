#include "auditentry.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QStringList>

namespace poolscope::audit {

namespace {

constexpr int kPidsShown = 12; // a bulk terminate of 80 names the first ones and says how many more

QString str(const QJsonObject &o, const char *key)
{
    return o.value(QLatin1String(key)).toString();
}

QString sessionsOf(const Entry &e, const QJsonObject &o)
{
    if (!e.pids.isEmpty()) {
        QStringList shown;
        for (int i = 0; i < e.pids.size() && i < kPidsShown; ++i)
            shown.append(QString::number(e.pids.at(i)));
        QString text = shown.join(QStringLiteral(", "));
        if (e.pids.size() > kPidsShown)
            text += QStringLiteral(" … (%1 in all)").arg(e.pids.size());
        return text;
    }
    if (e.action.startsWith(QLatin1String("pooler."))) {
        const QString argument = str(o, "argument");
        if (argument.isEmpty())
            return {};
        return e.action == QLatin1String("pooler.kill-client") ? QStringLiteral("client %1").arg(argument)
                                                               : QStringLiteral("database %1").arg(argument);
    }
    if (e.action.startsWith(QLatin1String("load_"))) {
        const QString scenario = str(o, "scenario");
        if (o.contains(QLatin1String("clients")))
            return QStringLiteral("%1: %2 clients")
                .arg(scenario)
                .arg(o.value(QLatin1String("clients")).toInt());
        if (o.contains(QLatin1String("connections_max")))
            return QStringLiteral("%1: up to %2 connections")
                .arg(scenario)
                .arg(o.value(QLatin1String("connections_max")).toInt());
        return scenario;
    }
    if (o.value(QLatin1String("pids")).isArray())
        return QStringLiteral("none");
    return {};
}

QString resultOf(const Entry &e, const QJsonObject &o)
{
    QString result = str(o, "result");
    if (result.isEmpty() && e.action == QLatin1String("load_start"))
        result = QStringLiteral("started");
    if (result.isEmpty() && e.action == QLatin1String("load_stop")) {
        qint64 errors = 0;
        const QJsonObject byClass = o.value(QLatin1String("errors")).toObject();
        for (auto it = byClass.begin(); it != byClass.end(); ++it)
            errors += qint64(it.value().toDouble());
        result = QStringLiteral("%1 transactions, %2 errors%3")
                     .arg(qint64(o.value(QLatin1String("transactions")).toDouble()))
                     .arg(errors)
                     .arg(o.value(QLatin1String("stopped_early")).toBool() ? QStringLiteral(", stopped early")
                                                                           : QString());
    }
    const QString outcome = str(o, "outcome"); // pooler actions: done, failed, refused
    if (!outcome.isEmpty() && !result.startsWith(outcome))
        result = result.isEmpty() ? outcome : outcome + QStringLiteral(": ") + result;
    if (o.value(QLatin1String("dry_run")).toBool() && !result.contains(QLatin1String("dry run")))
        result += QStringLiteral(" (dry run)");
    const QString error = str(o, "error");
    if (!error.isEmpty() && !result.contains(error))
        result += (result.isEmpty() ? QString() : QStringLiteral(" — ")) + error;
    return result;
}

} // namespace

std::optional<Entry> parseLine(const QByteArray &line)
{
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(line.trimmed(), &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        return std::nullopt;
    const QJsonObject o = doc.object();
    Entry e;
    e.action = str(o, "action");
    if (e.action.isEmpty())
        return std::nullopt;
    e.raw = o;
    e.time = QDateTime::fromString(str(o, "time"), Qt::ISODateWithMs);
    e.target = str(o, "target");
    e.source = str(o, "source");
    for (const QJsonValue &p : o.value(QLatin1String("pids")).toArray()) {
        const qint64 pid =
            p.isObject() ? qint64(p.toObject().value(QLatin1String("pid")).toDouble()) : qint64(p.toDouble());
        if (pid > 0)
            e.pids.append(pid);
    }
    e.sessions = sessionsOf(e, o);
    e.result = resultOf(e, o);
    return e;
}

} // namespace poolscope::audit
