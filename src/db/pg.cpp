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

QString describe(const PGconn *conn)
{
    auto c = const_cast<PGconn *>(conn);
    return describeTarget(QString::fromUtf8(PQuser(c)), QString::fromUtf8(PQhost(c)),
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

} // namespace poolscope::db
