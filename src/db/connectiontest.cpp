#include "connectiontest.h"

#include "core/bouncerparsers.h"
#include "db/pg.h"

namespace poolscope::db {

namespace {

std::optional<bool> boolOf(const PGresult *r, const char *column)
{
    const int c = PQfnumber(r, column);
    if (c < 0 || PQntuples(r) < 1 || PQgetisnull(r, 0, c))
        return std::nullopt;
    return PQgetvalue(r, 0, c)[0] == 't';
}

void probePostgres(PGconn *conn, ConnectionReport &report)
{
    DbError error;
    // Simple query, no parameters: cheap and valid on every supported version.
    PgResult r = exec(conn,
                      "SELECT rolsuper AS superuser,"
                      " pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS read_all_stats,"
                      " pg_has_role(current_user, 'pg_signal_backend', 'USAGE') AS signal_backend"
                      " FROM pg_roles WHERE rolname = current_user",
                      &error);
    if (!r) {
        report.missing.append(QStringLiteral("could not read the role's privileges: ") + error.message);
        return;
    }
    report.superuser = boolOf(r.get(), "superuser");
    report.readAllStats = boolOf(r.get(), "read_all_stats");
    report.signalBackend = boolOf(r.get(), "signal_backend");
    const QString role = QString::fromUtf8(PQuser(conn));
    if (report.superuser.value_or(false))
        return;
    if (!report.readAllStats.value_or(false))
        report.missing.append(QStringLiteral("sessions of other roles are hidden (state and query unknown): "
                                             "grant pg_monitor to %1")
                                  .arg(role));
    if (!report.signalBackend.value_or(false))
        report.missing.append(QStringLiteral("cannot cancel or terminate other roles' sessions: grant "
                                             "pg_signal_backend to %1")
                                  .arg(role));
    report.missing.append(QStringLiteral("superusers' sessions can only be terminated by a superuser"));
}

void probeBouncer(PGconn *conn, ConnectionReport &report)
{
    DbError error;
    // SHOW CONFIG is open to stats users; admin_users tells whether we may act. Never SHOW FDS.
    PgResult r = exec(conn, "SHOW CONFIG", &error);
    if (!r) {
        report.missing.append(QStringLiteral("could not read PgBouncer's configuration: ") + error.message);
        return;
    }
    const ResultTable table = toTable(r.get());
    const QString user = QString::fromUtf8(PQuser(conn));
    for (int i = 0; i < table.rowCount(); ++i) {
        const RowReader row(table, i);
        if (row.string(u"key") != QLatin1String("admin_users"))
            continue;
        const QStringList admins = row.string(u"value").split(QLatin1Char(','), Qt::SkipEmptyParts);
        bool admin = false;
        for (const QString &a : admins)
            admin = admin || a.trimmed() == user;
        report.bouncerAdmin = admin;
    }
    if (!report.bouncerAdmin.value_or(false))
        report.missing.append(
            QStringLiteral("%1 is a stats user on this PgBouncer: pooler actions (RECONNECT, "
                           "KILL, RESUME) will be disabled; add it to admin_users to allow them")
                .arg(user));
}

QString yesNo(const std::optional<bool> &v)
{
    return v ? (*v ? QStringLiteral("yes") : QStringLiteral("no")) : QStringLiteral("unknown");
}

} // namespace

QString ConnectionReport::summary() const
{
    QStringList lines;
    if (!ok) {
        lines.append(QStringLiteral("Cannot connect to %1").arg(target));
        lines.append(error.message);
        if (!error.hint.isEmpty())
            lines.append(error.hint);
        return lines.join(QLatin1Char('\n'));
    }
    lines.append(QStringLiteral("Connected to %1: %2 %3")
                     .arg(target,
                          kind == TargetKind::PgBouncer ? QStringLiteral("PgBouncer console")
                          : kind == TargetKind::Pgpool
                              ? QStringLiteral("Pgpool-II %1 in front of PostgreSQL").arg(pgpoolVersion)
                              : QStringLiteral("PostgreSQL"),
                          serverVersion));
    if (kind == TargetKind::Postgres || kind == TargetKind::Pgpool)
        lines.append(QStringLiteral("superuser: %1 · sees all sessions (pg_read_all_stats): %2 · may signal "
                                    "others' backends (pg_signal_backend): %3")
                         .arg(yesNo(superuser), yesNo(readAllStats), yesNo(signalBackend)));
    else
        lines.append(QStringLiteral("PgBouncer admin: %1").arg(yesNo(bouncerAdmin)));
    for (const QString &m : missing)
        lines.append(QStringLiteral("• ") + m);
    return lines.join(QLatin1Char('\n'));
}

ConnectionReport testConnection(const QString &conninfo, int connectTimeoutS)
{
    ConnectionReport report;
    const ConnSpec spec = parseConnInfo(conninfo);
    report.target = describe(spec);
    ConnectOptions options;
    options.connectTimeoutS = connectTimeoutS;
    options.applicationName = "poolscope";
    PgConn conn = connect(spec, options, &report.error);
    if (!conn)
        return report;
    report.ok = true;
    report.target = describe(conn.get());
    report.serverVersion = QString::fromUtf8(PQparameterStatus(conn.get(), "server_version"));
    if (parsers::isBouncerVersion(report.serverVersion)) {
        report.kind = TargetKind::PgBouncer;
        if (QByteArray(PQdb(conn.get())) != "pgbouncer") {
            report.missing.append(QStringLiteral("this is a pooled database, not PgBouncer's console: use "
                                                 "dbname=pgbouncer to see the pools"));
            return report;
        }
        probeBouncer(conn.get(), report);
    } else {
        report.kind = TargetKind::Postgres;
        // Pgpool-II passes PostgreSQL's server_version through; only its own command tells (PostgreSQL
        // answers 42704, which is the "no").
        if (PgResult r = exec(conn.get(), "SHOW POOL_VERSION", nullptr);
            r && PQnfields(r.get()) > 0 && PQfnumber(r.get(), "pool_version") >= 0 &&
            PQntuples(r.get()) > 0) {
            report.kind = TargetKind::Pgpool;
            report.pgpoolVersion =
                QString::fromUtf8(PQgetvalue(r.get(), 0, PQfnumber(r.get(), "pool_version")));
        }
        probePostgres(conn.get(), report);
    }
    return report;
}

} // namespace poolscope::db
