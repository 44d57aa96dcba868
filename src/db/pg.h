#pragma once

#include "core/dberror.h"
#include "core/resulttable.h"

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>
#include <libpq-fe.h>
#include <memory>
#include <vector>

namespace poolscope::db {

struct PgResultDeleter
{
    void operator()(PGresult *r) const { PQclear(r); }
};
struct PgConnDeleter
{
    void operator()(PGconn *c) const { PQfinish(c); }
};
struct PgCancelDeleter
{
    void operator()(PGcancel *c) const { PQfreeCancel(c); }
};
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;
using PgConn = std::unique_ptr<PGconn, PgConnDeleter>;
using PgCancel = std::unique_ptr<PGcancel, PgCancelDeleter>;

/// A result reduced to text cells by column name.
ResultTable toTable(const PGresult *result);

/// A parsed connection string (URI, key=value or service=NAME). Holds libpq keywords and values, so
/// connections are made with PQconnectdbParams and never by concatenating strings.
struct ConnSpec
{
    QList<QPair<QByteArray, QByteArray>> params;
    QString parseError; // libpq's message when the string did not parse

    bool isValid() const { return parseError.isEmpty(); }
    QByteArray value(const char *key) const;
    void set(const char *key, const QByteArray &value);        // replaces or adds
    void setDefault(const char *key, const QByteArray &value); // only when absent

    /// NULL-terminated keyword and value arrays for PQconnectdbParams / PQconnectStartParams. They point
    /// into this spec, which must outlive them.
    struct Arrays
    {
        std::vector<const char *> keys;
        std::vector<const char *> values;
    };
    Arrays arrays() const;
};

ConnSpec parseConnInfo(const QString &conninfo);

/// user@host:port/db for logs and output; from the spec plus libpq's defaults (PG* environment).
/// Never contains a password.
QString describe(const ConnSpec &spec);
QString describe(const PGconn *conn);

struct ConnectOptions
{
    QByteArray applicationName = "poolscope";
    int connectTimeoutS = 5;
    bool keepalives = true; // also sets tcp_user_timeout: a dead peer is noticed in ~25 s, not 2 h
    int tcpUserTimeoutMs = 15000;
};

/// The spec with monitoring-friendly defaults added where the user did not set them: application_name,
/// connect_timeout, keepalives_idle=10 / interval=5 / count=3 and tcp_user_timeout.
ConnSpec withMonitoringDefaults(const ConnSpec &spec, const ConnectOptions &options);

/// Blocking connect with monitoring-friendly defaults (application_name, connect_timeout, keepalives)
/// unless the spec sets them. On failure returns nullptr and fills `error` with a classified message.
PgConn connect(const ConnSpec &spec, const ConnectOptions &options, DbError *error);

/// The error of a failed connection or result, classified (auth, connect, query).
DbError errorFromConnection(const PGconn *conn);
DbError errorFromResult(const PGresult *result, const PGconn *conn);

/// Simple-protocol query (safe on pooler consoles): returns the last result; on failure nullptr + error.
PgResult exec(PGconn *conn, const QByteArray &sql, DbError *error);

/// libpq messages end in newlines and may span lines; one trimmed line-joined string.
QString cleanMessage(const char *message);

/// A libpq key=value string of the spec, values quoted where needed. Keeps every parameter it is given.
QString toConnInfoString(const ConnSpec &spec);

/// Saved targets never hold a password: splits it off (URI or key=value in, key=value out without it).
struct SplitConnInfo
{
    QString conninfo; // no password; empty with `error` set when the input did not parse
    QByteArray password;
    QString error;
};
SplitConnInfo splitPassword(const QString &conninfo);
/// Adds a password for this process's connection only (it never goes back into settings or logs).
QString withPassword(const QString &conninfo, const QByteArray &password);

/// What went wrong in a failed connection, for a message an on-call engineer can act on.
enum class ConnectFailure
{
    Other,
    UnknownHost,
    Refused,
    Timeout,
    PasswordRequired,
    AuthFailed,
    Ssl,
    NotPostgres,
};
ConnectFailure classifyConnectMessage(const QString &message);
/// One sentence on what to check, e.g. "Check the host name (DNS) ...". Empty for Other.
QString connectFailureHint(ConnectFailure failure);

} // namespace poolscope::db
