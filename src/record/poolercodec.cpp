#include "poolercodec.h"

#include "textfields.h"

namespace poolscope::record {

using namespace fields;

namespace {

QByteArray encodeConnection(const BouncerConnection &c)
{
    Writer w;
    w.out.reserve(160);
    w.text(c.type);
    w.text(c.database);
    w.text(c.user);
    w.text(c.state);
    w.text(c.applicationName);
    w.text(c.addr);
    w.optInt(c.port);
    w.text(c.localAddr);
    w.optInt(c.localPort);
    w.optReal(c.connectTime);
    w.optReal(c.requestTime);
    w.optReal(c.waitSeconds);
    w.optInt(c.closeNeeded ? std::optional<qint64>(*c.closeNeeded ? 1 : 0) : std::nullopt);
    w.text(c.ptr);
    w.text(c.link);
    w.optInt(c.remotePid);
    w.text(c.tls);
    w.optInt(c.preparedStatements);
    w.optText(c.replication);
    w.optInt(c.id);
    return w.out;
}

std::optional<BouncerConnection> decodeConnection(const QList<std::optional<QString>> &f)
{
    if (f.size() != poolerConnectionColumns().size())
        return std::nullopt;
    bool ok = true;
    auto str = [&](int i) {
        return f[i].value_or(QString());
    };
    BouncerConnection c;
    c.type = str(0);
    c.database = str(1);
    c.user = str(2);
    c.state = str(3);
    c.applicationName = str(4);
    c.addr = str(5);
    c.port = toInt(f[6], &ok);
    c.localAddr = str(7);
    c.localPort = toInt(f[8], &ok);
    c.connectTime = toReal(f[9], &ok);
    c.requestTime = toReal(f[10], &ok);
    c.waitSeconds = toReal(f[11], &ok);
    if (const auto close = toInt(f[12], &ok))
        c.closeNeeded = *close != 0;
    c.ptr = str(13);
    c.link = str(14);
    c.remotePid = toInt(f[15], &ok);
    c.tls = str(16);
    c.preparedStatements = toInt(f[17], &ok);
    c.replication = f[18];
    c.id = toInt(f[19], &ok);
    if (!ok || (c.type != QLatin1String("C") && c.type != QLatin1String("S")))
        return std::nullopt;
    return c;
}

} // namespace

const QStringList &poolerConnectionColumns()
{
    static const QStringList columns{QStringLiteral("type"),
                                     QStringLiteral("database"),
                                     QStringLiteral("user"),
                                     QStringLiteral("state"),
                                     QStringLiteral("application_name"),
                                     QStringLiteral("addr"),
                                     QStringLiteral("port"),
                                     QStringLiteral("local_addr"),
                                     QStringLiteral("local_port"),
                                     QStringLiteral("connect_time"),
                                     QStringLiteral("request_time"),
                                     QStringLiteral("wait_s"),
                                     QStringLiteral("close_needed"),
                                     QStringLiteral("ptr"),
                                     QStringLiteral("link"),
                                     QStringLiteral("remote_pid"),
                                     QStringLiteral("tls"),
                                     QStringLiteral("prepared_statements"),
                                     QStringLiteral("replication"),
                                     QStringLiteral("id")};
    return columns;
}

QByteArray encodePoolerRound(const QList<BouncerConnection> &clients, const QList<BouncerConnection> &servers)
{
    QByteArray text;
    for (const QList<BouncerConnection> *list : {&clients, &servers})
        for (const BouncerConnection &c : *list)
            text += encodeConnection(c) + '\n';
    return deflateWith(text);
}

std::optional<QList<QList<std::optional<QString>>>> poolerRoundFields(const QByteArray &data, QString *error)
{
    QByteArray text;
    if (!inflateWith(data, {}, &text)) {
        *error = QStringLiteral("a pooler connection round cannot be decompressed");
        return std::nullopt;
    }
    QList<QList<std::optional<QString>>> rows;
    for (const QByteArray &line : text.split('\n')) {
        if (line.isEmpty())
            continue;
        const QList<QByteArray> parts = line.split('\t');
        if (parts.size() != poolerConnectionColumns().size()) {
            *error = QStringLiteral("a pooler connection round has a line of %1 fields, not %2")
                         .arg(parts.size())
                         .arg(poolerConnectionColumns().size());
            return std::nullopt;
        }
        QList<std::optional<QString>> fields;
        fields.reserve(parts.size());
        for (const QByteArray &p : parts)
            fields.append(unescape(p));
        rows.append(fields);
    }
    return rows;
}

std::optional<PoolerRound> decodePoolerRound(const QByteArray &data, QString *error)
{
    const auto rows = poolerRoundFields(data, error);
    if (!rows)
        return std::nullopt;
    PoolerRound round;
    for (const QList<std::optional<QString>> &f : *rows) {
        const auto c = decodeConnection(f);
        if (!c) {
            *error = QStringLiteral("a pooler connection round holds a malformed connection");
            return std::nullopt;
        }
        (c->type == QLatin1String("C") ? round.clients : round.servers).append(*c);
    }
    return round;
}

} // namespace poolscope::record
