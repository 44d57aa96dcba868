#pragma once

#include "metrics/promdiscovery.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QUrl>
#include <functional>
#include <memory>
#include <optional>

class QNetworkAccessManager;
class QNetworkReply;

namespace poolscope::metrics {

/// A Prometheus target: prometheus+http://HOST:PORT[/PATH] or prometheus+https://...; basic auth from the
/// URL's user:password, or a bearer token from $POOLSCOPE_PROMETHEUS_TOKEN.
struct PrometheusEndpoint
{
    QUrl base;                // http(s)://HOST:PORT[/PATH], without credentials
    QString display;          // prometheus+http://HOST:PORT[/PATH]: never a password
    QByteArray authorization; // the Authorization header, empty for none
};

/// Whether `target` names a Prometheus (prometheus+http:// or prometheus+https://).
bool isPrometheusTarget(const QString &target);
/// nullopt with `error` for a malformed one. `secret` (the keychain's, for a saved target): with a user in
/// the URL its basic-auth password (when the URL has none), without one a bearer token; without a secret the
/// token comes from $POOLSCOPE_PROMETHEUS_TOKEN.
std::optional<PrometheusEndpoint> parsePrometheusTarget(const QString &target, QString *error,
                                                        const QByteArray &secret = {});

/// One GET at a time of a Prometheus's HTTP API, with the endpoint's Authorization header and a transfer
/// timeout. The answer goes to `done` on `context`'s thread: the body, or what went wrong in words ("cannot
/// reach Prometheus at …", "not authorised …", Prometheus's own error). A request still out when this goes
/// is aborted and its answer dropped.
class PrometheusApi
{
public:
    using Done = std::function<void(QByteArray body, QString error)>;
    PrometheusApi(PrometheusEndpoint endpoint, int timeoutMs);
    ~PrometheusApi();
    PrometheusApi(const PrometheusApi &) = delete;
    PrometheusApi &operator=(const PrometheusApi &) = delete;

    /// GET of `path` (e.g. "api/v1/query") with `query` (already percent-encoded).
    void get(const QString &path, const QString &query, QObject *context, Done done);
    bool waiting() const { return !m_reply.isNull(); }
    const PrometheusEndpoint &endpoint() const { return m_endpoint; }

private:
    PrometheusEndpoint m_endpoint;
    int m_timeoutMs;
    std::unique_ptr<QNetworkAccessManager> m_nam;
    QPointer<QNetworkReply> m_reply;
};

/// What one read of a Prometheus found: the discovered targets, or why Prometheus itself could not be read.
struct FleetRead
{
    bool ok = false;
    QString error;
    QList<DiscoveredTarget> targets;
    qint64 elapsedMs = 0;
};

/// Reads a fleet from one Prometheus without blocking: read() asks for the current series and the targets of
/// the last hour (two instant queries, at most `timeoutMs` each), parses the answers and discovers the
/// targets on a TaskPool thread (megabytes of JSON with hundreds of targets), and emits finished() with what
/// it found. A read() while one is in flight is ignored. Lives on the thread that created it.
class PrometheusReader : public QObject
{
    Q_OBJECT
public:
    PrometheusReader(PrometheusEndpoint endpoint, int timeoutMs, QObject *parent = nullptr);
    ~PrometheusReader() override;

    void read();
    bool busy() const { return m_api.waiting() || m_parsing; }
    const PrometheusEndpoint &endpoint() const { return m_api.endpoint(); }

Q_SIGNALS:
    void finished(const poolscope::metrics::FleetRead &read);

private:
    void ask(const QString &query);
    void onAnswer(QByteArray body, const QString &error);
    void fail(const QString &error);

    PrometheusApi m_api;
    std::optional<QByteArray> m_current; // the first answer, while the second is asked
    bool m_parsing = false;
    QElapsedTimer m_clock;
    qint64 m_nowMs = 0;
};

/// The blocking form of a reader (the command line's, the tests'): `start()` it, then spin a local event loop
/// until its `finished` signal brings the result (at once when it did not start).
template <typename Reader, typename Result, typename Start>
Result waitForRead(Reader &reader, void (Reader::*finished)(const Result &), Start start)
{
    Result result;
    QEventLoop loop;
    QObject::connect(&reader, finished, &loop, [&](const Result &r) {
        result = r;
        loop.quit();
    });
    start();
    if (reader.busy())
        loop.exec();
    return result;
}

/// PrometheusReader::read() waited for (spins a local event loop).
FleetRead readFleet(const PrometheusEndpoint &endpoint, int timeoutMs = 10000);

} // namespace poolscope::metrics
