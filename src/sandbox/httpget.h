#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>

namespace poolscope::sandbox {

struct HttpReply
{
    int status = 0;         // 0: no HTTP answer (see error)
    QByteArray contentType; // the Content-Type header
    QByteArray body;        // de-chunked
    QString error;
};

/// A blocking HTTP/1.0 GET of http://HOST:PORT/PATH?QUERY on the calling thread (own socket, no event loop
/// needed): how the sandbox tells Prometheus and the exporters are up, and how tests read what they serve.
/// `headers` are sent as given (e.g. {"Accept", "application/openmetrics-text"}).
HttpReply httpGet(const QString &url, const QList<QPair<QByteArray, QByteArray>> &headers = {},
                  int timeoutMs = 5000);

} // namespace poolscope::sandbox
