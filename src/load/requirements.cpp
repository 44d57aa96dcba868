#include "requirements.h"

#include "db/asyncconnection.h"

#include <QDeadlineTimer>
#include <climits>

namespace poolscope::load {

namespace {

constexpr int kCancelGraceMs = 1000;

QString connectionsText(int n)
{
    return n == INT_MAX ? QStringLiteral("an unbounded number of") : QString::number(n);
}

std::optional<QString> valueAt(const db::PgResult &r, int row, const char *column)
{
    if (!r || row >= PQntuples(r.get()))
        return std::nullopt;
    const int c = PQfnumber(r.get(), column);
    if (c < 0 || PQgetisnull(r.get(), row, c))
        return std::nullopt;
    return QString::fromUtf8(PQgetvalue(r.get(), row, c));
}

/// pool_mode of `database` on a PgBouncer console: its [databases] entry's, else the `*` entry's, else the
/// global setting.
std::optional<QString> consolePoolMode(db::AsyncConnection &console, const QString &database, int timeoutMs,
                                       QString *why)
{
    DbError error;
    const db::PgResult dbs =
        console.run("SHOW DATABASES", nullptr, QDeadlineTimer(timeoutMs), kCancelGraceMs, &error);
    if (!dbs) {
        *why = QStringLiteral("SHOW DATABASES failed: %1").arg(error.message);
        return std::nullopt;
    }
    std::optional<QString> wildcard;
    for (int row = 0; row < PQntuples(dbs.get()); ++row) {
        const QString name = valueAt(dbs, row, "name").value_or(QString());
        const QString mode = valueAt(dbs, row, "pool_mode").value_or(QString());
        if (name == database && !mode.isEmpty())
            return mode;
        if (name == database)
            break;
        if (name == QLatin1String("*") && !mode.isEmpty())
            wildcard = mode;
    }
    if (wildcard)
        return wildcard;
    const db::PgResult config =
        console.run("SHOW CONFIG", nullptr, QDeadlineTimer(timeoutMs), kCancelGraceMs, &error);
    if (!config) {
        *why = QStringLiteral("SHOW CONFIG failed: %1").arg(error.message);
        return std::nullopt;
    }
    for (int row = 0; row < PQntuples(config.get()); ++row)
        if (valueAt(config, row, "key") == QStringLiteral("pool_mode"))
            return valueAt(config, row, "value");
    *why = QStringLiteral("the console does not list pool_mode");
    return std::nullopt;
}

} // namespace

RequirementCheck checkRequirements(const Scenario &s, const TargetFacts &facts)
{
    RequirementCheck check;
    QStringList &out = check.wontHappen;
    const Requirements &need = s.needs;
    const bool bouncer = facts.serverKind == QLatin1String("pgbouncer");
    if (need.server == QLatin1String("pgbouncer") && !bouncer)
        out.append(
            QStringLiteral("%1 needs PgBouncer in front of PostgreSQL; this target is PostgreSQL itself, "
                           "so no pooler will queue clients (no cl_waiting, no query_wait_timeout).")
                .arg(s.name));
    if (need.server == QLatin1String("postgres") && bouncer)
        out.append(
            QStringLiteral("%1 needs PostgreSQL itself; this target is PgBouncer, which holds the "
                           "server connections back, so PostgreSQL will not see what the scenario models.")
                .arg(s.name));
    if (!need.poolMode.isEmpty() && bouncer) {
        if (!facts.poolMode)
            check.unchecked.append(
                QStringLiteral("%1 needs PgBouncer's pool_mode = %2, which could not be "
                               "checked (%3); give the pooler's console (--console URI) to "
                               "check it.")
                    .arg(s.name, need.poolMode, facts.poolModeUnknown));
        else if (*facts.poolMode != need.poolMode)
            out.append(QStringLiteral("%1 needs PgBouncer's pool_mode = %2; this database is in %3 mode, so "
                                      "server connections are shared between clients and none will queue "
                                      "for long (no query_wait_timeout). Use a %2-mode pool.")
                           .arg(s.name, need.poolMode, *facts.poolMode));
    }
    if (need.reachMaxConnections) {
        if (bouncer) {
            out.append(
                QStringLiteral("%1 fills PostgreSQL's max_connections; through PgBouncer the server sees "
                               "at most the pool's size, so there will be no 53300 (too many clients) "
                               "from PostgreSQL.")
                    .arg(s.name));
        } else if (facts.maxConnections) {
            const int usable = *facts.maxConnections - facts.reserved.value_or(0);
            const int free = usable - facts.inUse.value_or(0);
            const int opens = s.maxConnections();
            if (opens < free)
                out.append(
                    QStringLiteral("%1 opens at most %2 connections; max_connections is %3 (%4 usable, "
                                   "%5 free), so the server will not fill and there will be no 53300 "
                                   "(too many clients). Raise the clients to more than %5.")
                        .arg(s.name)
                        .arg(connectionsText(opens))
                        .arg(*facts.maxConnections)
                        .arg(usable)
                        .arg(free));
        } else {
            check.unchecked.append(
                QStringLiteral("%1 fills max_connections, which could not be read on this target.")
                    .arg(s.name));
        }
    }
    return check;
}

TargetFacts readTargetFacts(const Scenario &s, db::AsyncConnection &conn, const QString &serverKind,
                            const db::ConnSpec &target, const QStringList &consoles,
                            const db::Interrupt *interrupt, int timeoutMs)
{
    TargetFacts facts;
    facts.serverKind = serverKind;
    DbError error;
    if (s.needs.reachMaxConnections && serverKind == QLatin1String("postgres")) {
        const db::PgResult r = conn.run(
            "SELECT current_setting('max_connections')::int AS max, "
            "current_setting('superuser_reserved_connections')::int + "
            "coalesce(current_setting('reserved_connections', true)::int, 0) AS reserved, "
            "(SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend') AS in_use",
            nullptr, QDeadlineTimer(timeoutMs), kCancelGraceMs, &error);
        if (r && PQntuples(r.get()) == 1) {
            facts.maxConnections = valueAt(r, 0, "max").value_or(QString()).toInt();
            facts.reserved = valueAt(r, 0, "reserved").value_or(QString()).toInt();
            facts.inUse = valueAt(r, 0, "in_use").value_or(QString()).toInt();
        }
    }
    // PgBouncer hands its clients PostgreSQL's server_version: whether it is in front shows on its console
    // (dbname=pgbouncer on the same host and port), which PostgreSQL does not have.
    if (!s.needs.isEmpty()) {
        const db::HostPort where = db::hostPort(target);
        db::ConnSpec console = target;
        console.set("dbname", "pgbouncer");
        bool known = false;
        for (const QString &candidate : consoles) {
            const db::HostPort at = db::hostPort(candidate);
            if (at.host == where.host && at.port == where.port) {
                console = db::parseConnInfo(candidate);
                known = true;
                break;
            }
        }
        db::AsyncConnection c(interrupt);
        db::ConnectOptions options;
        options.applicationName = "poolscope-load-check";
        options.connectTimeoutS = std::max(1, timeoutMs / 1000);
        const QString user = QString::fromUtf8(console.value("user"));
        if (c.connect(console, options, &error)) {
            const QString version = QString::fromUtf8(PQparameterStatus(c.handle(), "server_version"));
            if (version.endsWith(QLatin1String("/bouncer"))) {
                facts.serverKind = QStringLiteral("pgbouncer");
                if (!s.needs.poolMode.isEmpty())
                    facts.poolMode = consolePoolMode(c, QString::fromUtf8(target.value("dbname")), timeoutMs,
                                                     &facts.poolModeUnknown);
            }
        } else if (error.message.contains(QLatin1String("not allowed")) ||
                   error.message.contains(QLatin1String("no such user")) || known) {
            // PgBouncer's console refuses a login that is in neither admin_users nor stats_users.
            facts.serverKind = QStringLiteral("pgbouncer");
            facts.poolModeUnknown = QStringLiteral("no console access as %1: %2").arg(user, error.message);
        }
        // Otherwise PostgreSQL itself ("database \"pgbouncer\" does not exist"): as the setup connection
        // says.
    }
    return facts;
}

} // namespace poolscope::load
