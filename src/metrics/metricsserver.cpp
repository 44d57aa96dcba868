#include "metricsserver.h"

#include <QHttpServer>
#include <QHttpServerRequest>
#include <QHttpServerResponse>
#include <QRegularExpression>

namespace poolscope::metrics {

std::optional<ListenAddress> parseListenAddress(const QString &text, QString *error)
{
    static const QRegularExpression re(QStringLiteral("^(?:(\\[[^\\]]+\\]|[^:\\[\\]]*):)?(\\d{1,5})$"));
    const QRegularExpressionMatch m = re.match(text.trimmed());
    bool ok = false;
    const int port = m.hasMatch() ? m.captured(2).toInt(&ok) : -1;
    if (!m.hasMatch() || !ok || port < 0 || port > 65535) {
        *error =
            QStringLiteral("--metrics-listen needs HOST:PORT (e.g. 127.0.0.1:9187), got \"%1\"").arg(text);
        return std::nullopt;
    }
    ListenAddress a;
    a.port = quint16(port);
    QString host = m.captured(1);
    if (host.startsWith(QLatin1Char('[')))
        host = host.mid(1, host.size() - 2);
    if (host.isEmpty() || host.compare(QLatin1String("localhost"), Qt::CaseInsensitive) == 0)
        return a;
    if (!a.host.setAddress(host)) {
        *error =
            QStringLiteral("--metrics-listen: \"%1\" is not an IP address (use 127.0.0.1, ::1, 0.0.0.0 or "
                           "an interface's address)")
                .arg(host);
        return std::nullopt;
    }
    return a;
}

MetricsServer::MetricsServer(Provider provider, QObject *parent)
    : QObject(parent), m_provider(std::move(provider)), m_server(std::make_unique<QHttpServer>())
{
    m_server->route(QStringLiteral("/metrics"), [this](const QHttpServerRequest &request) {
        if (request.method() != QHttpServerRequest::Method::Get &&
            request.method() != QHttpServerRequest::Method::Head)
            return QHttpServerResponse(QHttpServerResponder::StatusCode::MethodNotAllowed);
        const Format format = negotiate(request.value(QByteArrayLiteral("Accept")));
        ++m_scrapes;
        if (format == Format::OpenMetrics10)
            ++m_openMetricsScrapes;
        return QHttpServerResponse(contentType(format), m_provider().render(format));
    });
}

MetricsServer::~MetricsServer() = default;

bool MetricsServer::listen(const ListenAddress &address, QString *error)
{
    m_port = m_server->listen(address.host, address.port);
    if (m_port == 0) {
        *error = QStringLiteral("cannot listen on %1:%2 for metrics (address in use, or not this machine's)")
                     .arg(address.host.toString())
                     .arg(address.port);
        return false;
    }
    return true;
}

} // namespace poolscope::metrics
