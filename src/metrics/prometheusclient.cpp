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

PrometheusReader::PrometheusReader(PrometheusEndpoint endpoint, int timeoutMs, QObject *parent)
    : QObject(parent), m_endpoint(std::move(endpoint)), m_timeoutMs(timeoutMs),
      m_nam(std::make_unique<QNetworkAccessManager>())
{}

PrometheusReader::~PrometheusReader()
{
    if (m_reply)
        m_reply->abort();
}

void PrometheusReader::read()
{
    if (busy())
        return;
    m_clock.start();
    m_nowMs = QDateTime::currentMSecsSinceEpoch();
    m_current.reset();
    ask(currentSeriesQuery());
}

void PrometheusReader::ask(const QString &query)
{
    QUrl url = m_endpoint.base;
    url.setPath(url.path().endsWith(QLatin1Char('/')) ? url.path() + QStringLiteral("api/v1/query")
                                                      : url.path() + QStringLiteral("/api/v1/query"));
    // Percent-encoded by hand: a '+' of the PromQL left as is would read as a space.
    url.setQuery(QStringLiteral("query=") + QString::fromLatin1(QUrl::toPercentEncoding(query)),
                 QUrl::StrictMode);
    QNetworkRequest request(url);
    if (!m_endpoint.authorization.isEmpty())
        request.setRawHeader("Authorization", m_endpoint.authorization);
    request.setTransferTimeout(m_timeoutMs);
    m_reply = m_nam->get(request);
    connect(m_reply.data(), &QNetworkReply::finished, this, &PrometheusReader::onReply);
}

void PrometheusReader::onReply()
{
    QNetworkReply *reply = m_reply.data();
    m_reply.clear();
    if (!reply)
        return;
    reply->deleteLater();
    FleetRead r;
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QByteArray body = reply->readAll();
    QString parseError;
    std::optional<QList<PromSeries>> series;
    if (status == 0) {
        r.error =
            QStringLiteral("cannot reach Prometheus at %1: %2").arg(m_endpoint.display, reply->errorString());
    } else {
        series = parseInstantVector(body, &parseError);
        if (!series)
            r.error =
                QStringLiteral("Prometheus at %1 (HTTP %2): %3")
                    .arg(m_endpoint.display)
                    .arg(status)
                    .arg(status == 401 || status == 403
                             ? QStringLiteral("not authorised (basic auth in the URL, or a bearer token "
                                              "in POOLSCOPE_PROMETHEUS_TOKEN)")
                             : parseError);
    }
    if (!series) {
        m_current.reset();
        r.elapsedMs = m_clock.elapsed();
        Q_EMIT finished(r);
        return;
    }
    if (!m_current) {
        m_current = std::move(series);
        ask(knownTargetsQuery());
        return;
    }
    r.targets = discoverTargets(*m_current, *series, m_nowMs);
    r.ok = true;
    m_current.reset();
    r.elapsedMs = m_clock.elapsed();
    Q_EMIT finished(r);
}

FleetRead readFleet(const PrometheusEndpoint &endpoint, int timeoutMs)
{
    PrometheusReader reader(endpoint, timeoutMs);
    FleetRead result;
    QEventLoop loop;
    QObject::connect(&reader, &PrometheusReader::finished, &loop, [&](const FleetRead &r) {
        result = r;
        loop.quit();
    });
    reader.read();
    if (reader.busy())
        loop.exec();
    return result;
}

} // namespace poolscope::metrics
