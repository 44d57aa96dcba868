#include "target.h"

#include <QHostAddress>
#include <QList>
#include <QProcessEnvironment>
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

namespace poolscope::load {

namespace {

bool isSocketPath(const QString &host)
{
    return host.startsWith(QLatin1Char('/')) || host.startsWith(QLatin1Char('@'));
}

/// Every address of `host`; empty with `error` set when it does not resolve.
QList<QHostAddress> resolve(const QString &host, QString *error)
{
    QHostAddress literal;
    if (literal.setAddress(host))
        return {literal};
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo *result = nullptr;
    const int rc = getaddrinfo(host.toUtf8().constData(), nullptr, &hints, &result);
    if (rc != 0) {
        *error = QStringLiteral("could not translate host name \"%1\" to an address: %2")
                     .arg(host, QString::fromLocal8Bit(gai_strerror(rc)));
        return {};
    }
    QList<QHostAddress> out;
    for (addrinfo *a = result; a; a = a->ai_next) {
        QHostAddress addr(a->ai_addr);
        if (!addr.isNull() && !out.contains(addr))
            out.append(addr);
    }
    freeaddrinfo(result);
    return out;
}

} // namespace

TargetCheck checkTarget(const db::ConnSpec &spec)
{
    TargetCheck check;
    QString hosts = QString::fromUtf8(spec.value("host"));
    const QString hostaddrs = QString::fromUtf8(spec.value("hostaddr"));
    if (hosts.isEmpty() && hostaddrs.isEmpty())
        hosts = QProcessEnvironment::systemEnvironment().value(QStringLiteral("PGHOST"));
    // hostaddr, where given, is what libpq connects to; host is then only a name (TLS, pgpass).
    const QStringList list = (hostaddrs.isEmpty() ? hosts : hostaddrs).split(QLatin1Char(','));
    for (const QString &raw : list) {
        const QString host = raw.trimmed();
        if (host.isEmpty() || isSocketPath(host))
            continue; // the default Unix socket, or a socket directory: this machine
        QString error;
        const QList<QHostAddress> addrs = resolve(host, &error);
        if (addrs.isEmpty()) {
            check.error = error;
            return check;
        }
        for (const QHostAddress &a : addrs) {
            if (!a.isLoopback()) {
                check.remoteHost = host;
                return check;
            }
        }
    }
    check.loopback = true;
    return check;
}

} // namespace poolscope::load
