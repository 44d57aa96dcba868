#include "httpget.h"

#include <QDeadlineTimer>
#include <QTcpSocket>
#include <QUrl>

namespace poolscope::sandbox {

namespace {

QByteArray dechunk(const QByteArray &body, bool *ok)
{
    QByteArray out;
    qsizetype pos = 0;
    *ok = false;
    while (pos < body.size()) {
        const qsizetype eol = body.indexOf("\r\n", pos);
        if (eol < 0)
            return out;
        bool parsed = false;
        const qsizetype size = body.mid(pos, eol - pos).split(';').first().trimmed().toLongLong(&parsed, 16);
        if (!parsed)
            return out;
        if (size == 0) {
            *ok = true;
            return out;
        }
        out += body.mid(eol + 2, size);
        pos = eol + 2 + size + 2;
    }
    return out;
}

} // namespace

HttpReply httpGet(const QString &url, const QList<QPair<QByteArray, QByteArray>> &headers, int timeoutMs)
{
    HttpReply reply;
    const QUrl u(url);
    if (!u.isValid() || u.scheme() != QLatin1String("http") || u.port() <= 0) {
        reply.error = QStringLiteral("not an http://HOST:PORT URL: %1").arg(url);
        return reply;
    }
    QDeadlineTimer deadline(timeoutMs);
    QTcpSocket socket;
    socket.connectToHost(u.host(), quint16(u.port()));
    if (!socket.waitForConnected(int(deadline.remainingTime()))) {
        reply.error = socket.errorString();
        return reply;
    }
    QByteArray request = "GET " + u.path(QUrl::FullyEncoded).toLatin1();
    if (request.size() == 4)
        request += '/';
    if (u.hasQuery())
        request += '?' + u.query(QUrl::FullyEncoded).toLatin1();
    request += " HTTP/1.0\r\nHost: " + u.host().toLatin1() + ':' + QByteArray::number(u.port()) + "\r\n";
    for (const auto &[name, value] : headers)
        request += name + ": " + value + "\r\n";
    request += "Connection: close\r\n\r\n";
    socket.write(request);
    QByteArray data;
    while (socket.state() == QAbstractSocket::ConnectedState || socket.bytesAvailable() > 0) {
        if (socket.bytesAvailable() > 0) {
            data += socket.readAll();
            continue;
        }
        if (deadline.hasExpired()) {
            reply.error = QStringLiteral("no complete answer within %1 ms").arg(timeoutMs);
            return reply;
        }
        socket.waitForReadyRead(int(std::min<qint64>(deadline.remainingTime(), 200)));
    }
    data += socket.readAll();
    const qsizetype headerEnd = data.indexOf("\r\n\r\n");
    if (headerEnd < 0) {
        reply.error = data.isEmpty() ? socket.errorString() : QStringLiteral("not an HTTP answer");
        return reply;
    }
    const QList<QByteArray> headerLines = data.left(headerEnd).split('\n');
    const QList<QByteArray> statusLine = headerLines.first().trimmed().split(' ');
    reply.status = statusLine.size() > 1 ? statusLine.at(1).toInt() : 0;
    bool chunked = false;
    for (const QByteArray &line : headerLines.mid(1)) {
        const qsizetype colon = line.indexOf(':');
        if (colon < 0)
            continue;
        const QByteArray name = line.left(colon).trimmed().toLower();
        const QByteArray value = line.mid(colon + 1).trimmed();
        if (name == "content-type")
            reply.contentType = value;
        else if (name == "transfer-encoding" && value.toLower().contains("chunked"))
            chunked = true;
    }
    reply.body = data.mid(headerEnd + 4);
    if (chunked) {
        bool ok = false;
        reply.body = dechunk(reply.body, &ok);
        if (!ok)
            reply.error = QStringLiteral("truncated chunked answer");
    }
    return reply;
}

} // namespace poolscope::sandbox
