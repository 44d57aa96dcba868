#pragma once

#include "metrics/exposition.h"

#include <QHostAddress>
#include <QObject>
#include <QString>
#include <functional>
#include <memory>
#include <optional>

class QHttpServer;

namespace poolscope::metrics {

/// Where `--metrics-listen` binds: "HOST:PORT", "[v6]:PORT", ":PORT" or "PORT" (loopback). HOST is an IP
/// address or "localhost". nullopt with `error` otherwise.
struct ListenAddress
{
    QHostAddress host = QHostAddress(QHostAddress::LocalHost);
    quint16 port = 0;
};
std::optional<ListenAddress> parseListenAddress(const QString &text, QString *error);

/// Serves GET /metrics over HTTP/1.1 (Qt HttpServer) on the thread that created it: every scrape asks the
/// provider for the families of the moment and renders them in the format the Accept header prefers
/// (OpenMetrics 1.0 or the text format 0.0.4). Anything else is 404.
class MetricsServer : public QObject
{
    Q_OBJECT
public:
    using Provider = std::function<Exposition()>;
    explicit MetricsServer(Provider provider, QObject *parent = nullptr);
    ~MetricsServer() override;

    /// False with `error` when the address cannot be bound.
    bool listen(const ListenAddress &address, QString *error);
    /// The bound port (the chosen one when asked for port 0); 0 before listen().
    quint16 port() const { return m_port; }
    quint64 scrapes() const { return m_scrapes; }
    /// Scrapes answered in OpenMetrics (the rest got the 0.0.4 text format).
    quint64 openMetricsScrapes() const { return m_openMetricsScrapes; }

private:
    Provider m_provider;
    std::unique_ptr<QHttpServer> m_server;
    quint16 m_port = 0;
    quint64 m_scrapes = 0;
    quint64 m_openMetricsScrapes = 0;
};

} // namespace poolscope::metrics
