#pragma once
// Helpers of the action tests: the audit log's lines, and what pg_stat_activity says about a pid (read as
// the sandbox superuser on a connection of the test's own).

#include "db/pg.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <optional>

namespace poolscope::test {

inline QList<QJsonObject> auditLines(const QString &path)
{
    QList<QJsonObject> out;
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return out;
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (!line.trimmed().isEmpty())
            out.append(QJsonDocument::fromJson(line).object());
    }
    return out;
}

/// The state of `pid` in pg_stat_activity, nullopt when there is no such backend.
inline std::optional<QString> stateOf(const QString &superuserConninfo, qint64 pid)
{
    DbError e;
    db::PgConn conn =
        db::connect(db::parseConnInfo(superuserConninfo), db::ConnectOptions{"tst-observer"}, &e);
    if (!conn)
        qFatal("observer connection failed: %s", qPrintable(e.message));
    const QByteArray sql =
        "SELECT coalesce(state, '(null)') FROM pg_stat_activity WHERE pid = " + QByteArray::number(pid);
    db::PgResult r = db::exec(conn.get(), sql, &e);
    if (!r)
        qFatal("observer query failed: %s", qPrintable(e.message));
    if (PQntuples(r.get()) == 0)
        return std::nullopt;
    return QString::fromUtf8(PQgetvalue(r.get(), 0, 0));
}

/// Runs `sql` on a held connection as a client application would; what the client is told on failure (the
/// connection's whole error text, as psql prints it: a FATAL sent while idle comes before "server closed the
/// connection"), empty on success.
inline QString queryError(PGconn *conn, const QByteArray &sql = "SELECT 1")
{
    db::PgResult r(PQexec(conn, sql.constData()));
    const auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)
        return {};
    const QString message = db::cleanMessage(PQerrorMessage(conn));
    return message.isEmpty() ? QStringLiteral("(error without a message)") : message;
}

/// The audit log's whole text (to check what it must never contain).
inline QByteArray auditText(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace poolscope::test
