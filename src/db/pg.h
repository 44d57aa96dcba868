#pragma once

#include "core/dberror.h"
#include "core/resulttable.h"
#include "db/conninfo.h"

#include <QByteArray>
#include <QString>
#include <libpq-fe.h>
#include <memory>

// libpq for the db and load layers: RAII handles, blocking helpers, errors classified. Widgets and models use
// db/conninfo.h instead and never see this header.
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

/// user@host:port/db of an open connection, for logs and output. Never contains a password.
QString describe(const PGconn *conn);

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
