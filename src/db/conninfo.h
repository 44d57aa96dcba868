#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>
#include <vector>

// Connection strings as text: parsed, described, rewritten, split from their password. No libpq in this
// header (libpq parses inside conninfo.cpp), so the models and widgets can handle connection strings without
// ever seeing a PGconn.
namespace poolscope::db {

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
/// user@host:port/db from its parts: "local" for no host, 5432 for no port, the user's name for no database.
QString describeTarget(QString user, QString host, QString port, QString db);

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

/// The first host and port a connection string reaches, with libpq's defaults where it leaves them out
/// (PGHOST, PGPORT, 5432): the first entry of a host (or hostaddr) list and the first of a port list. An
/// empty host is the default Unix socket. Pooler links (GUI) and `snapshot`'s chains compare targets by it.
struct HostPort
{
    QString host;
    int port = 5432;
};
HostPort hostPort(const ConnSpec &spec);
HostPort hostPort(const QString &conninfo);

} // namespace poolscope::db
