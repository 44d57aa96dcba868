#include "conninfo.h"

#include "db/pg.h" // libpq parses connection strings and knows its defaults; callers of conninfo.h never see it

#include <QStringList>
#include <algorithm>

namespace poolscope::db {

QByteArray ConnSpec::value(const char *key) const
{
    for (const auto &[k, v] : params) {
        if (k == key)
            return v;
    }
    return {};
}

void ConnSpec::set(const char *key, const QByteArray &value)
{
    for (auto &p : params) {
        if (p.first == key) {
            p.second = value;
            return;
        }
    }
    params.append({QByteArray(key), value});
}

ConnSpec::Arrays ConnSpec::arrays() const
{
    Arrays a;
    a.keys.reserve(size_t(params.size()) + 1);
    a.values.reserve(size_t(params.size()) + 1);
    for (const auto &[k, v] : params) {
        a.keys.push_back(k.constData());
        a.values.push_back(v.constData());
    }
    a.keys.push_back(nullptr);
    a.values.push_back(nullptr);
    return a;
}

void ConnSpec::setDefault(const char *key, const QByteArray &value)
{
    if (value.isEmpty())
        return;
    for (const auto &p : params) {
        if (p.first == key)
            return;
    }
    params.append({QByteArray(key), value});
}

ConnSpec parseConnInfo(const QString &conninfo)
{
    ConnSpec spec;
    char *err = nullptr;
    const QByteArray utf8 = conninfo.toUtf8();
    PQconninfoOption *opts = PQconninfoParse(utf8.constData(), &err);
    if (!opts) {
        spec.parseError =
            err ? cleanMessage(err) : QStringLiteral("out of memory parsing the connection string");
        if (err)
            PQfreemem(err);
        if (spec.parseError.isEmpty())
            spec.parseError = QStringLiteral("invalid connection string");
        return spec;
    }
    for (PQconninfoOption *o = opts; o->keyword; ++o) {
        if (o->val && *o->val)
            spec.params.append({QByteArray(o->keyword), QByteArray(o->val)});
    }
    PQconninfoFree(opts);
    return spec;
}

namespace {

QString defaultOf(const char *keyword)
{
    PQconninfoOption *defs = PQconndefaults();
    QString out;
    for (PQconninfoOption *o = defs; o && o->keyword; ++o) {
        if (qstrcmp(o->keyword, keyword) == 0 && o->val) {
            out = QString::fromUtf8(o->val);
            break;
        }
    }
    PQconninfoFree(defs);
    return out;
}

} // namespace

QString describeTarget(QString user, QString host, QString port, QString db)
{
    if (host.isEmpty() || host.startsWith(QLatin1Char('/')))
        host = host.isEmpty() ? QStringLiteral("local") : host;
    if (port.isEmpty())
        port = QStringLiteral("5432");
    if (db.isEmpty())
        db = user;
    return user + QLatin1Char('@') + host + QLatin1Char(':') + port + QLatin1Char('/') + db;
}

QString describe(const ConnSpec &spec)
{
    if (!spec.isValid())
        return QStringLiteral("(invalid connection string)");
    auto get = [&](const char *k) {
        const QByteArray v = spec.value(k);
        return v.isEmpty() ? defaultOf(k) : QString::fromUtf8(v);
    };
    const QByteArray service = spec.value("service");
    if (!service.isEmpty() && spec.value("host").isEmpty())
        return QStringLiteral("service=") + QString::fromUtf8(service);
    QString host = get("host");
    if (host.isEmpty())
        host = QString::fromUtf8(spec.value("hostaddr"));
    return describeTarget(get("user"), host, get("port"), QString::fromUtf8(spec.value("dbname")));
}

ConnSpec withMonitoringDefaults(const ConnSpec &specIn, const ConnectOptions &options)
{
    ConnSpec spec = specIn;
    spec.setDefault("application_name", options.applicationName);
    spec.setDefault("connect_timeout", QByteArray::number(options.connectTimeoutS));
    if (options.keepalives) {
        spec.setDefault("keepalives", "1");
        spec.setDefault("keepalives_idle", "10");
        spec.setDefault("keepalives_interval", "5");
        spec.setDefault("keepalives_count", "3");
        // Keepalives only probe an idle socket; unacknowledged data (a query sent to a host that vanished)
        // is bounded by tcp_user_timeout instead.
        if (options.tcpUserTimeoutMs > 0)
            spec.setDefault("tcp_user_timeout", QByteArray::number(options.tcpUserTimeoutMs));
    }
    return spec;
}

namespace {

// libpq ends an unquoted value at any isspace() byte, not only at ' ': a tab or a newline (a percent-encoded
// one in a URI, a typed password) must be quoted too, or the string reads back as something else.
bool needsQuotes(const QByteArray &value)
{
    if (value.isEmpty())
        return true;
    return std::any_of(value.cbegin(), value.cend(), [](char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == '\'' ||
               c == '\\';
    });
}

QByteArray quoted(const QByteArray &value)
{
    if (!needsQuotes(value))
        return value;
    QByteArray out = "'";
    for (char c : value) {
        if (c == '\'' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + '\'';
}

} // namespace

QString toConnInfoString(const ConnSpec &spec)
{
    QByteArrayList parts;
    for (const auto &[key, value] : spec.params)
        parts.append(key + '=' + quoted(value));
    return QString::fromUtf8(parts.join(' '));
}

SplitConnInfo splitPassword(const QString &conninfo)
{
    SplitConnInfo out;
    ConnSpec spec = parseConnInfo(conninfo);
    if (!spec.isValid()) {
        out.error = spec.parseError;
        return out;
    }
    for (qsizetype i = spec.params.size() - 1; i >= 0; --i) {
        if (spec.params.at(i).first == "password") {
            out.password = spec.params.at(i).second;
            spec.params.removeAt(i);
        }
    }
    out.conninfo = toConnInfoString(spec);
    return out;
}

QString withPassword(const QString &conninfo, const QByteArray &password)
{
    ConnSpec spec = parseConnInfo(conninfo);
    if (!spec.isValid() || password.isEmpty())
        return conninfo;
    spec.set("password", password);
    return toConnInfoString(spec);
}

HostPort hostPort(const ConnSpec &spec)
{
    QString host = QString::fromUtf8(spec.value("host"));
    if (host.isEmpty())
        host = QString::fromUtf8(spec.value("hostaddr"));
    if (host.isEmpty())
        host = qEnvironmentVariable("PGHOST");
    QString port = QString::fromUtf8(spec.value("port"));
    if (port.isEmpty())
        port = qEnvironmentVariable("PGPORT");
    // Multi-host strings: the first host, and the first port (a single port applies to every host).
    HostPort out;
    out.host = host.section(QLatin1Char(','), 0, 0).trimmed();
    bool ok = false;
    const int first = port.section(QLatin1Char(','), 0, 0).trimmed().toInt(&ok);
    if (ok && first > 0)
        out.port = first;
    return out;
}

HostPort hostPort(const QString &conninfo)
{
    return hostPort(parseConnInfo(conninfo));
}

} // namespace poolscope::db
