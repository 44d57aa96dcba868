#include "prometheusclient.h"

#include "core/taskpool.h"

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

void PrometheusReader::fail(const QString &error)
{
    m_current.reset();
    FleetRead r;
    r.error = error;
    r.elapsedMs = m_clock.elapsed();
    Q_EMIT finished(r);
}

void PrometheusReader::onReply()
{
    QNetworkReply *reply = m_reply.data();
    m_reply.clear();
    if (!reply)
        return;
    reply->deleteLater();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    QByteArray body = reply->readAll();
    if (status == 0) {
        fail(QStringLiteral("cannot reach Prometheus at %1: %2")
                 .arg(m_endpoint.display, reply->errorString()));
        return;
    }
    if (status != 200) {
        QString error;
        if (status == 401 || status == 403)
            error = QStringLiteral("not authorised (basic auth in the URL, or a bearer token in "
                                   "POOLSCOPE_PROMETHEUS_TOKEN)");
        else if (parseInstantVector(body, &error))
            error = QStringLiteral("unexpected answer");
        fail(QStringLiteral("Prometheus at %1 (HTTP %2): %3").arg(m_endpoint.display).arg(status).arg(error));
        return;
    }
    if (!m_current) {
        m_current = std::move(body);
        ask(knownTargetsQuery());
        return;
    }
    // Both answers are in: parse and discover off this thread.
    m_parsing = true;
    TaskPool::run(
        this,
        [current = std::move(*m_current), known = std::move(body), display = m_endpoint.display,
         nowMs = m_nowMs]() {
            FleetRead r;
            QString error;
            const auto currentSeries = parseInstantVector(current, &error);
            const auto knownSeries = currentSeries ? parseInstantVector(known, &error) : std::nullopt;
            if (!currentSeries || !knownSeries) {
                r.error = QStringLiteral("Prometheus at %1: %2").arg(display, error);
                return r;
            }
            r.targets = discoverTargets(*currentSeries, *knownSeries, nowMs);
            r.ok = true;
            return r;
        },
        [this](FleetRead r) {
            m_parsing = false;
            r.elapsedMs = m_clock.elapsed();
            Q_EMIT finished(r);
        });
    m_current.reset();
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
