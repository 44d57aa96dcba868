#include "prometheussupport.h"

#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QStandardPaths>
#include <QTimer>
#include <QUrl>

namespace poolscope::test {

HttpResult fetch(const QString &url, const QByteArray &accept, int timeoutMs)
{
    HttpResult result;
    QNetworkAccessManager nam;
    QNetworkRequest request{QUrl(url)};
    if (!accept.isEmpty())
        request.setRawHeader("Accept", accept);
    request.setTransferTimeout(timeoutMs);
    QNetworkReply *reply = nam.get(request);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(timeoutMs + 500, &loop, &QEventLoop::quit);
    loop.exec();
    if (!reply->isFinished()) {
        reply->abort();
        result.error = QStringLiteral("no answer within %1 ms").arg(timeoutMs);
    } else {
        result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        result.contentType = reply->header(QNetworkRequest::ContentTypeHeader).toByteArray();
        result.body = reply->readAll();
        if (reply->error() != QNetworkReply::NoError)
            result.error = reply->errorString();
    }
    reply->deleteLater();
    return result;
}

std::optional<QList<PromSeries>> promQuery(const QString &baseUrl, const QString &expr, QString *error)
{
    const HttpResult r = fetch(baseUrl + QStringLiteral("/api/v1/query?query=") +
                               QString::fromLatin1(QUrl::toPercentEncoding(expr)));
    const QJsonObject o = QJsonDocument::fromJson(r.body).object();
    if (o.value(QStringLiteral("status")).toString() != QLatin1String("success")) {
        *error = QStringLiteral("HTTP %1 %2: %3").arg(r.status).arg(r.error, QString::fromUtf8(r.body));
        return std::nullopt;
    }
    QList<PromSeries> out;
    for (const QJsonValue &v :
         o.value(QStringLiteral("data")).toObject().value(QStringLiteral("result")).toArray()) {
        PromSeries s;
        const QJsonObject metric = v.toObject().value(QStringLiteral("metric")).toObject();
        for (auto it = metric.begin(); it != metric.end(); ++it)
            s.labels.insert(it.key(), it.value().toString());
        s.value = v.toObject().value(QStringLiteral("value")).toArray().at(1).toString().toDouble();
        out.append(s);
    }
    return out;
}

int promtoolCheckMetrics(const QByteArray &page, QString *output)
{
    const QString promtool = QStandardPaths::findExecutable(QStringLiteral("promtool"));
    if (promtool.isEmpty()) {
        *output = QStringLiteral("promtool not found (Debian package prometheus)");
        return -1;
    }
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(promtool, {QStringLiteral("check"), QStringLiteral("metrics")});
    if (!p.waitForStarted(5000)) {
        *output = p.errorString();
        return -1;
    }
    p.write(page);
    p.closeWriteChannel();
    p.waitForFinished(15000);
    *output = QString::fromUtf8(p.readAll());
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
}

std::optional<double> sampleValue(const QByteArray &page, const QString &series)
{
    const QByteArray prefix = series.toUtf8() + ' ';
    for (const QByteArray &line : page.split('\n')) {
        if (line.startsWith(prefix)) {
            bool ok = false;
            const double v = line.mid(prefix.size()).trimmed().toDouble(&ok);
            if (ok)
                return v;
        }
    }
    return std::nullopt;
}

} // namespace poolscope::test
