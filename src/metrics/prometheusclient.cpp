#include "prometheusclient.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTimer>

namespace poolscope::metrics {

namespace {

const QString kPrefix = QStringLiteral("prometheus+");

struct Answer
{
    int status = 0;
    QByteArray body;
    QString error;
};

Answer get(QNetworkAccessManager &nam, const PrometheusEndpoint &e, const QString &query, int timeoutMs)
{
    QUrl url = e.base;
    url.setPath(url.path().endsWith(QLatin1Char('/')) ? url.path() + QStringLiteral("api/v1/query")
                                                      : url.path() + QStringLiteral("/api/v1/query"));
    // Percent-encoded by hand: a '+' of the PromQL left as is would read as a space.
    url.setQuery(QStringLiteral("query=") + QString::fromLatin1(QUrl::toPercentEncoding(query)),
                 QUrl::StrictMode);
    QNetworkRequest request(url);
    if (!e.authorization.isEmpty())
        request.setRawHeader("Authorization", e.authorization);
    request.setTransferTimeout(timeoutMs);
    QNetworkReply *reply = nam.get(request);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(timeoutMs + 1000, &loop, &QEventLoop::quit);
    loop.exec();
    Answer a;
    if (!reply->isFinished()) {
        reply->abort();
        a.error = QStringLiteral("no answer within %1 ms").arg(timeoutMs);
    } else {
        a.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        a.body = reply->readAll();
        if (reply->error() != QNetworkReply::NoError)
            a.error = reply->errorString();
    }
    reply->deleteLater();
    return a;
}

} // namespace

bool isPrometheusTarget(const QString &target)
{
    return target.startsWith(QLatin1String("prometheus+http://"), Qt::CaseInsensitive) ||
           target.startsWith(QLatin1String("prometheus+https://"), Qt::CaseInsensitive);
}

std::optional<PrometheusEndpoint> parsePrometheusTarget(const QString &target, QString *error)
{
    if (!isPrometheusTarget(target)) {
        *error = QStringLiteral("not a Prometheus target (prometheus+http://HOST:PORT): %1").arg(target);
        return std::nullopt;
    }
    QUrl url(target.mid(kPrefix.size()), QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty()) {
        *error = QStringLiteral("bad Prometheus URL (prometheus+http://HOST:PORT): %1")
                     .arg(QUrl(target).toString(QUrl::RemovePassword));
        return std::nullopt;
    }
    PrometheusEndpoint e;
    if (!url.userName().isEmpty()) {
        const QByteArray credentials = url.userName().toUtf8() + ':' + url.password().toUtf8();
        e.authorization = "Basic " + credentials.toBase64();
    } else if (const QByteArray token = qgetenv("POOLSCOPE_PROMETHEUS_TOKEN"); !token.isEmpty()) {
        e.authorization = "Bearer " + token.trimmed();
    }
    url.setUserInfo(QString());
    url.setQuery(QString());
    url.setFragment(QString());
    e.base = url;
    e.display = kPrefix + url.toString();
    return e;
}

FleetRead readFleet(const PrometheusEndpoint &endpoint, int timeoutMs)
{
    FleetRead r;
    QElapsedTimer clock;
    clock.start();
    QNetworkAccessManager nam;
    const qint64 nowMs = QDateTime::currentMSecsSinceEpoch();
    auto ask = [&](const QString &query) -> std::optional<QList<PromSeries>> {
        const Answer a = get(nam, endpoint, query, timeoutMs);
        QString parseError;
        if (a.status == 0) {
            r.error = QStringLiteral("cannot reach Prometheus at %1: %2").arg(endpoint.display, a.error);
            return std::nullopt;
        }
        auto series = parseInstantVector(a.body, &parseError);
        if (!series)
            r.error =
                QStringLiteral("Prometheus at %1 (HTTP %2): %3")
                    .arg(endpoint.display)
                    .arg(a.status)
                    .arg(a.status == 401 || a.status == 403
                             ? QStringLiteral("not authorised (basic auth in the URL, or a bearer token "
                                              "in POOLSCOPE_PROMETHEUS_TOKEN)")
                             : parseError);
        return series;
    };
    const auto current = ask(currentSeriesQuery());
    if (!current)
        return r;
    const auto known = ask(knownTargetsQuery());
    if (!known)
        return r;
    r.targets = discoverTargets(*current, *known, nowMs);
    r.ok = true;
    r.elapsedMs = clock.elapsed();
    return r;
}

} // namespace poolscope::metrics
