#include "prometheusclient.h"

#include "core/taskpool.h"

#include <QDateTime>
#include <QElapsedTimer>
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

std::optional<PrometheusEndpoint> parsePrometheusTarget(const QString &target, QString *error,
                                                        const QByteArray &secret)
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
        const QByteArray password = url.password().isEmpty() ? secret : url.password().toUtf8();
        const QByteArray credentials = url.userName().toUtf8() + ':' + password;
        e.authorization = "Basic " + credentials.toBase64();
    } else if (!secret.trimmed().isEmpty()) {
        e.authorization = "Bearer " + secret.trimmed();
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

PrometheusApi::PrometheusApi(PrometheusEndpoint endpoint, int timeoutMs)
    : m_endpoint(std::move(endpoint)), m_timeoutMs(timeoutMs),
      m_nam(std::make_unique<QNetworkAccessManager>())
{}

PrometheusApi::~PrometheusApi()
{
    // Aborting emits finished(): not into `done`, whose owner is going too.
    if (m_reply) {
        m_reply->disconnect();
        m_reply->abort();
    }
}

PrometheusReader::PrometheusReader(PrometheusEndpoint endpoint, int timeoutMs, QObject *parent)
    : QObject(parent), m_api(std::move(endpoint), timeoutMs)
{}

PrometheusReader::~PrometheusReader() = default;

void PrometheusReader::read()
{
    if (busy())
        return;
    m_clock.start();
    m_nowMs = QDateTime::currentMSecsSinceEpoch();
    m_current.reset();
    ask(currentSeriesQuery());
}

namespace {

QNetworkRequest apiRequest(const PrometheusEndpoint &endpoint, const QString &path, const QString &query,
                           int timeoutMs)
{
    QUrl url = endpoint.base;
    const QString base = url.path();
    url.setPath(base.endsWith(QLatin1Char('/')) ? base + path : QString(base + QLatin1Char('/') + path));
    url.setQuery(query, QUrl::StrictMode);
    QNetworkRequest request(url);
    if (!endpoint.authorization.isEmpty())
        request.setRawHeader("Authorization", endpoint.authorization);
    request.setTransferTimeout(timeoutMs);
    return request;
}

QString answerError(const PrometheusEndpoint &endpoint, QNetworkReply *reply, const QByteArray &body)
{
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status == 200)
        return {};
    if (status == 0)
        return QStringLiteral("cannot reach Prometheus at %1: %2")
            .arg(endpoint.display, reply->errorString());
    QString error;
    if (status == 401 || status == 403)
        error = QStringLiteral("not authorised (basic auth in the URL, or a bearer token: the keychain's or "
                               "POOLSCOPE_PROMETHEUS_TOKEN)");
    else if (parseInstantVector(body, &error))
        error = QStringLiteral("unexpected answer");
    return QStringLiteral("Prometheus at %1 (HTTP %2): %3")
        .arg(endpoint.display, QString::number(status), error);
}

} // namespace

void PrometheusApi::get(const QString &path, const QString &query, QObject *context, Done done)
{
    QNetworkReply *reply = m_nam->get(apiRequest(m_endpoint, path, query, m_timeoutMs));
    m_reply = reply;
    QObject::connect(reply, &QNetworkReply::finished, context, [this, reply, done = std::move(done)] {
        if (m_reply == reply)
            m_reply.clear();
        reply->deleteLater();
        QByteArray body = reply->readAll();
        const QString error = answerError(m_endpoint, reply, body);
        done(std::move(body), error);
    });
}

void PrometheusReader::ask(const QString &query)
{
    // Percent-encoded by hand: a '+' of the PromQL left as is would read as a space.
    m_api.get(QStringLiteral("api/v1/query"),
              QStringLiteral("query=") + QString::fromLatin1(QUrl::toPercentEncoding(query)), this,
              [this](QByteArray body, const QString &error) { onAnswer(std::move(body), error); });
}

void PrometheusReader::fail(const QString &error)
{
    m_current.reset();
    FleetRead r;
    r.error = error;
    r.elapsedMs = m_clock.elapsed();
    Q_EMIT finished(r);
}

void PrometheusReader::onAnswer(QByteArray body, const QString &error)
{
    if (!error.isEmpty()) {
        fail(error);
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
        [current = std::move(*m_current), known = std::move(body), display = m_api.endpoint().display,
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
    return waitForRead(reader, &PrometheusReader::finished, [&] { reader.read(); });
}

} // namespace poolscope::metrics
