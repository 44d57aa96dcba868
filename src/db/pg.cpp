#include "pg.h"

#include <QStringList>

namespace poolscope::db {

ResultTable toTable(const PGresult *result)
{
    ResultTable table;
    if (!result)
        return table;
    const int nf = PQnfields(result);
    const int nt = PQntuples(result);
    table.columns.reserve(nf);
    for (int f = 0; f < nf; ++f)
        table.columns.append(QString::fromUtf8(PQfname(result, f)));
    table.reserve(nt, qsizetype(nt) * nf * 16); // a guess: most cells are short names and numbers
    for (int t = 0; t < nt; ++t) {
        for (int f = 0; f < nf; ++f) {
            if (PQgetisnull(result, t, f))
                table.appendNull();
            else
                table.appendCell(QByteArrayView(PQgetvalue(result, t, f), PQgetlength(result, t, f)));
        }
    }
    return table;
}

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

QString cleanMessage(const char *message)
{
    if (!message)
        return {};
    QStringList lines;
    for (const QString &line : QString::fromUtf8(message).split(QLatin1Char('\n'))) {
        const QString t = line.trimmed();
        if (!t.isEmpty())
            lines.append(t);
    }
    return lines.join(QLatin1Char(' '));
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

QString formatTarget(QString user, QString host, QString port, QString db)
{
    if (host.isEmpty() || host.startsWith(QLatin1Char('/')))
        host = host.isEmpty() ? QStringLiteral("local") : host;
    if (port.isEmpty())
        port = QStringLiteral("5432");
    if (db.isEmpty())
        db = user;
    return user + QLatin1Char('@') + host + QLatin1Char(':') + port + QLatin1Char('/') + db;
}

} // namespace

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
    return formatTarget(get("user"), host, get("port"), QString::fromUtf8(spec.value("dbname")));
}

QString describe(const PGconn *conn)
{
    auto c = const_cast<PGconn *>(conn);
    return formatTarget(QString::fromUtf8(PQuser(c)), QString::fromUtf8(PQhost(c)),
                        QString::fromUtf8(PQport(c)), QString::fromUtf8(PQdb(c)));
}

ConnectFailure classifyConnectMessage(const QString &msg)
{
    auto has = [&msg](const char *needle) {
        return msg.contains(QLatin1String(needle), Qt::CaseInsensitive);
    };
    if (has("no password supplied") || has("password is required"))
        return ConnectFailure::PasswordRequired;
    if (has("password authentication failed") || has("authentication failed") ||
        has("no pg_hba.conf entry") || has("not permitted to log in") ||
        (has("role \"") && has("does not exist")) || has("SASL authentication"))
        return ConnectFailure::AuthFailed;
    if (has("could not translate host name") || has("Name or service not known") ||
        has("Temporary failure in name resolution"))
        return ConnectFailure::UnknownHost;
    if (has("Connection refused"))
        return ConnectFailure::Refused;
    if (has("timeout expired") || has("timed out"))
        return ConnectFailure::Timeout;
    // Before the SSL checks: a non-PostgreSQL peer answers the SSL request with garbage.
    if (has("received invalid response to SSL negotiation") || has("expected authentication request") ||
        has("invalid length of startup packet") || has("unsupported frontend protocol"))
        return ConnectFailure::NotPostgres;
    if (has("SSL") || has("certificate"))
        return ConnectFailure::Ssl;
    return ConnectFailure::Other;
}

QString connectFailureHint(ConnectFailure failure)
{
    switch (failure) {
    case ConnectFailure::UnknownHost:
        return QStringLiteral("Check the host name: it does not resolve (DNS, /etc/hosts, VPN).");
    case ConnectFailure::Refused:
        return QStringLiteral("Nothing listens there: check the port, that the server runs, and "
                              "listen_addresses.");
    case ConnectFailure::Timeout:
        return QStringLiteral("No answer in time: a firewall, a wrong address, or a server too busy to "
                              "accept connections.");
    case ConnectFailure::PasswordRequired:
        return QStringLiteral("The server asks for a password: enter one, or add it to ~/.pgpass.");
    case ConnectFailure::AuthFailed:
        return QStringLiteral("The server rejected the role or password: check the user name, the password "
                              "(~/.pgpass) and pg_hba.conf.");
    case ConnectFailure::Ssl:
        return QStringLiteral(
            "TLS failed: check sslmode and the certificates (sslrootcert, sslcert, sslkey), "
            "and whether the server has ssl=on.");
    case ConnectFailure::NotPostgres:
        return QStringLiteral("Something answered that is not PostgreSQL or PgBouncer: check the port.");
    case ConnectFailure::Other:
        break;
    }
    return {};
}

DbError errorFromConnection(const PGconn *conn)
{
    DbError e;
    e.kind = ErrorKind::Connect;
    e.message = cleanMessage(PQerrorMessage(conn));
    if (e.message.isEmpty())
        e.message = QStringLiteral("connection failed");
    const ConnectFailure failure = classifyConnectMessage(e.message);
    const bool needsPassword = PQconnectionNeedsPassword(const_cast<PGconn *>(conn)) != 0;
    if (failure == ConnectFailure::AuthFailed || failure == ConnectFailure::PasswordRequired || needsPassword)
        e.kind = ErrorKind::Auth;
    e.needsPassword = needsPassword || failure == ConnectFailure::PasswordRequired;
    e.hint = connectFailureHint(failure);
    return e;
}

DbError errorFromResult(const PGresult *result, const PGconn *conn)
{
    DbError e;
    e.kind = ErrorKind::Query;
    if (result) {
        e.sqlState = QString::fromUtf8(PQresultErrorField(result, PG_DIAG_SQLSTATE));
        e.message = cleanMessage(PQresultErrorMessage(result));
    }
    if (e.message.isEmpty() && conn)
        e.message = cleanMessage(PQerrorMessage(conn));
    if (e.message.isEmpty())
        e.message = QStringLiteral("query failed");
    if (conn && PQstatus(conn) == CONNECTION_BAD)
        e.kind = ErrorKind::Connect;
    return e;
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

PgConn connect(const ConnSpec &specIn, const ConnectOptions &options, DbError *error)
{
    if (!specIn.isValid()) {
        if (error)
            *error = DbError{ErrorKind::BadConnInfo, {}, specIn.parseError};
        return nullptr;
    }
    const ConnSpec spec = withMonitoringDefaults(specIn, options);
    const ConnSpec::Arrays arrays = spec.arrays();
    PgConn conn(PQconnectdbParams(arrays.keys.data(), arrays.values.data(), 0));
    if (!conn) {
        if (error)
            *error = DbError{ErrorKind::Connect, {}, QStringLiteral("out of memory")};
        return nullptr;
    }
    if (PQstatus(conn.get()) != CONNECTION_OK) {
        if (error)
            *error = errorFromConnection(conn.get());
        return nullptr;
    }
    return conn;
}

PgResult exec(PGconn *conn, const QByteArray &sql, DbError *error)
{
    PgResult r(PQexec(conn, sql.constData()));
    const auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
        if (error)
            *error = errorFromResult(r.get(), conn);
        return nullptr;
    }
    return r;
}

namespace {

QByteArray quoted(const QByteArray &value)
{
    if (!value.isEmpty() && !value.contains(' ') && !value.contains('\'') && !value.contains('\\'))
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

} // namespace poolscope::db
