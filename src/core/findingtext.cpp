#include "findingrules.h"

#include <QJsonArray>

namespace poolscope::findings::text {

QString pidList(const QList<qint64> &pids, int shown)
{
    QStringList parts;
    for (int i = 0; i < pids.size() && i < shown; ++i)
        parts.append(QString::number(pids.at(i)));
    QString out = parts.join(QStringLiteral(", "));
    if (pids.size() > shown)
        out += QStringLiteral(" and %1 more").arg(pids.size() - shown);
    return out;
}

QString count(qint64 n, const QString &singular, const QString &plural)
{
    return QString::number(n) + QLatin1Char(' ') + (n == 1 ? singular : plural);
}

QString appName(const QString &name)
{
    return name.isEmpty() ? QStringLiteral("(no application_name)") : name;
}

QJsonArray pidArray(const QList<qint64> &pids)
{
    QJsonArray a;
    for (qint64 pid : pids)
        a.append(double(pid));
    return a;
}

} // namespace poolscope::findings::text
