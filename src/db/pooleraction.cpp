#include "pooleraction.h"

#include "core/auditlog.h"
#include "core/bouncerparsers.h"
#include "core/logging.h"
#include "core/readonly.h"
#include "db/asyncconnection.h"

#include <QDateTime>
#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonObject>
#include <algorithm>

namespace poolscope::db {

namespace {

constexpr int kCancelGraceMs = 1000; // after a cancel, how long to wait for the console's answer

/// Console commands PoolScope never sends, whatever asks for them: they block the console, wait for
/// idle-in-transaction clients, or take the pooler down.
bool forbidden(const QString &statement)
{
    const QString word = statement.trimmed().section(QLatin1Char(' '), 0, 0).toUpper();
    static const QStringList never = {QStringLiteral("PAUSE"),      QStringLiteral("SUSPEND"),
                                      QStringLiteral("WAIT_CLOSE"), QStringLiteral("SHUTDOWN"),
                                      QStringLiteral("DISABLE"),    QStringLiteral("SET"),
                                      QStringLiteral("RELOAD")};
    return never.contains(word);
}

QString verbOf(const QString &statement)
{
    return statement.trimmed().section(QLatin1Char(' '), 0, 0).toUpper();
}

int connectTimeoutS(int timeoutMs)
{
    return std::max(2, (std::max(timeoutMs, 1) + 999) / 1000); // libpq treats 1 as 2
}

/// The spec with the action's identity and a bounded connect_timeout (the user's, if smaller).
ConnSpec actionSpec(const QString &conninfo, int timeoutMs)
{
    ConnSpec spec = parseConnInfo(conninfo);
    if (!spec.isValid())
        return spec;
    spec.set("application_name", "poolscope-action");
    const int bound = connectTimeoutS(timeoutMs);
    const int own = spec.value("connect_timeout").toInt();
    if (own <= 0 || own > bound)
        spec.set("connect_timeout", QByteArray::number(bound));
    return spec;
}

/// A console connection of the action's own, bounded by the action's timeout.
bool connectConsole(const QString &conninfo, int timeoutMs, AsyncConnection &conn, DbError *error)
{
    const ConnSpec spec = actionSpec(conninfo, timeoutMs);
    ConnectOptions co;
    co.applicationName = "poolscope-action";
    co.connectTimeoutS = connectTimeoutS(timeoutMs);
    if (!conn.connect(spec, co, error))
        return false;
    const QString version = QString::fromUtf8(PQparameterStatus(conn.handle(), "server_version"));
    if (!parsers::isBouncerVersion(version)) {
        *error = DbError{ErrorKind::Unsupported,
                         {},
                         QStringLiteral("not a PgBouncer console (server_version %1): pooler actions run on "
                                        "the console, dbname=pgbouncer")
                             .arg(version.isEmpty() ? QStringLiteral("unknown") : version)};
        conn.drop();
        return false;
    }
    return true;
}

/// One statement on the console, simple protocol, bounded by `timeoutMs`: past it the statement is
/// cancelled, and if no answer comes within a grace period the connection is dropped.
PgResult runBounded(AsyncConnection &conn, const QByteArray &sql, int timeoutMs, DbError *error)
{
    if (!conn.isConnected()) {
        *error = DbError{ErrorKind::Connect, {}, QStringLiteral("not connected to the console")};
        return nullptr;
    }
    PgResult r = conn.run(sql, nullptr, QDeadlineTimer(std::max(1, timeoutMs)), kCancelGraceMs, error);
    if (r)
        return r;
    const AsyncConnection::RunEnd &end = conn.lastRun();
    if (end.abandoned)
        *error = DbError{ErrorKind::Query, QStringLiteral("57014"),
                         QStringLiteral("no reply to %1 within %2 ms; cancelled and gave up (the console "
                                        "connection was dropped)")
                             .arg(QString::fromUtf8(sql))
                             .arg(timeoutMs)};
    else if (end.deadlinePassed)
        error->message = QStringLiteral("no reply to %1 within %2 ms; cancelled (%3)")
                             .arg(QString::fromUtf8(sql))
                             .arg(timeoutMs)
                             .arg(error->message);
    return nullptr;
}

/// The SHOW set of inspectConsole on an open console connection.
void inspectOn(AsyncConnection &conn, bool withClients, int timeoutMs, TargetSnapshot &out)
{
    PGconn *c = conn.handle();
    out.kind = TargetKind::PgBouncer;
    out.target = describe(c);
    out.serverVersion = QString::fromUtf8(PQparameterStatus(c, "server_version"));
    BouncerSample b;
    b.consoleUser = QString::fromUtf8(PQuser(c));
    DbError error;
    auto fail = [&out](const DbError &e) {
        out.ok = false;
        out.error = e;
    };

    PgResult version = runBounded(conn, "SHOW VERSION", timeoutMs, &error);
    if (version && PQntuples(version.get()) > 0)
        b.versionText = QString::fromUtf8(PQgetvalue(version.get(), 0, 0)).trimmed();
    else if (!conn.isConnected())
        return fail(error);
    b.versionNum = parsers::parseBouncerVersion(b.versionText);
    if (b.versionNum == 0)
        b.versionNum = parsers::parseBouncerVersion(out.serverVersion);

    PgResult pools = runBounded(conn, "SHOW POOLS", timeoutMs, &error);
    if (!pools)
        return fail(error);
    const ResultTable poolTable = toTable(pools.get());
    b.flavor = parsers::detectFlavor(b.versionText, poolTable);
    b.pools = parsers::parseShowPools(poolTable, b.flavor);

    PgResult databases = runBounded(conn, "SHOW DATABASES", timeoutMs, &error);
    if (!databases)
        return fail(error);
    b.databases = parsers::parseShowDatabases(toTable(databases.get()));

    // The rest is optional: a console that lacks a command (SHOW STATE before 1.19, PgCat and Odyssey
    // without SHOW CONFIG) leaves its part unknown. The connection survives a console error.
    if (PgResult users = runBounded(conn, "SHOW USERS", timeoutMs, &error))
        b.users = parsers::parseShowUsers(toTable(users.get()));
    else if (!conn.isConnected())
        return fail(error);
    parsers::joinPoolSizes(b.pools, b.databases, b.users);
    if (PgResult config = runBounded(conn, "SHOW CONFIG", timeoutMs, &error)) {
        b.config = parsers::parseShowConfig(toTable(config.get()));
        b.access = parsers::consoleAccess(b.config, b.consoleUser);
    } else if (!conn.isConnected()) {
        return fail(error);
    }
    if (b.flavor == PoolerFlavor::PgBouncer && (b.versionNum == 0 || b.versionNum >= 11900)) {
        if (PgResult state = runBounded(conn, "SHOW STATE", timeoutMs, &error))
            parsers::parseShowState(toTable(state.get()), b);
        else if (!conn.isConnected())
            return fail(error);
    }
    if (withClients) {
        // Back to back, so the pointers of one round belong together.
        PgResult clients = runBounded(conn, "SHOW CLIENTS", timeoutMs, &error);
        PgResult servers = clients ? runBounded(conn, "SHOW SERVERS", timeoutMs, &error) : nullptr;
        if (clients && servers) {
            b.clients = parsers::parseShowConnections(toTable(clients.get()));
            b.servers = parsers::parseShowConnections(toTable(servers.get()));
            b.connectionsAtMs = QDateTime::currentMSecsSinceEpoch();
            b.connectionsFresh = true;
        } else if (!conn.isConnected()) {
            return fail(error);
        }
    }
    out.bouncer = std::move(b);
    out.ok = true;
}

QJsonArray toArray(const QStringList &list)
{
    QJsonArray a;
    for (const QString &s : list)
        a.append(s);
    return a;
}

} // namespace

TargetSnapshot inspectConsole(const QString &conninfo, bool withClients, int timeoutMs)
{
    TargetSnapshot out;
    out.target = describe(parseConnInfo(conninfo));
    out.sampledAtMs = QDateTime::currentMSecsSinceEpoch();
    DbError error;
    AsyncConnection conn;
    if (!connectConsole(conninfo, timeoutMs, conn, &error)) {
        out.error = error;
        return out;
    }
    inspectOn(conn, withClients, timeoutMs, out);
    return out;
}

PoolerActionResult runPoolerAction(const QString &conninfo, PoolerCommand command, const QString &argument,
                                   int timeoutMs)
{
    const QString name = poolerCommandName(command);
    const QString action = QStringLiteral("pooler.") + name;
    QString target = describe(parseConnInfo(conninfo));
    auto log = logging::get("audit");

    PoolerActionResult result;
    QString invalid;
    const QStringList statements = poolerStatements(command, argument, &invalid);
    QJsonObject fields;
    fields.insert(QStringLiteral("argument"), argument);
    fields.insert(QStringLiteral("statements"), toArray(statements));

    auto finish = [&](const QString &outcome) {
        fields.insert(QStringLiteral("executed"), toArray(result.executed));
        fields.insert(QStringLiteral("outcome"), outcome);
        fields.insert(QStringLiteral("result"), result.message);
        if (result.error.isError())
            fields.insert(QStringLiteral("error"), result.error.message);
        audit::record(action, target, fields);
        return result;
    };
    auto refuse = [&](const QString &why) {
        result.refused = true;
        result.message = why;
        return finish(QStringLiteral("refused"));
    };

    if (readonly::isReadOnly())
        return refuse(readonly::refusalText());
    if (statements.isEmpty())
        return refuse(QStringLiteral("refused: ") +
                      (invalid.isEmpty() ? QStringLiteral("no statement for this action") : invalid));
    for (const QString &s : statements) {
        if (forbidden(s))
            return refuse(QStringLiteral("refused: PoolScope never sends %1 (it blocks the console or "
                                         "takes the pooler down)")
                              .arg(verbOf(s)));
    }

    // One short-lived connection of our own: inspect, check, act.
    DbError error;
    AsyncConnection conn;
    if (!connectConsole(conninfo, timeoutMs, conn, &error)) {
        result.error = error;
        result.message = error.message;
        return finish(QStringLiteral("failed"));
    }
    target = describe(conn.handle());
    TargetSnapshot inspected;
    inspected.sampledAtMs = QDateTime::currentMSecsSinceEpoch();
    inspectOn(conn, command == PoolerCommand::KillClient, timeoutMs, inspected);
    if (!inspected.ok || !inspected.bouncer) {
        result.error = inspected.error;
        result.message =
            QStringLiteral("could not read the console before acting: ") + inspected.error.message;
        return finish(QStringLiteral("failed"));
    }
    fields.insert(QStringLiteral("console_user"), inspected.bouncer->consoleUser);
    fields.insert(QStringLiteral("version"), inspected.bouncer->versionText);
    const ActionAvailability available = poolerActionAvailability(*inspected.bouncer, command, argument);
    if (!available.enabled)
        return refuse(QStringLiteral("refused: ") + available.reason);

    QElapsedTimer took;
    took.start();
    const bool kill = command == PoolerCommand::Kill;
    for (qsizetype i = 0; i < statements.size(); ++i) {
        const QString &statement = statements.at(i);
        const bool isResume = kill && verbOf(statement) == QLatin1String("RESUME");
        if (!conn.isConnected()) {
            // The KILL timed out and the connection was dropped: RESUME must still go out.
            DbError reconnectError;
            if (!connectConsole(conninfo, timeoutMs, conn, &reconnectError)) {
                if (!result.error.isError())
                    result.error = reconnectError;
                log->error("{}: {} not sent, the console is unreachable: {}; the database may stay paused "
                           "(run RESUME {})",
                           target.toStdString(), statement.toStdString(),
                           reconnectError.message.toStdString(), argument.toStdString());
                break;
            }
        }
        DbError e;
        PgResult r = runBounded(conn, statement.toUtf8(), timeoutMs, &e);
        if (r) {
            result.executed.append(statement);
            continue;
        }
        if (!result.error.isError())
            result.error = e;
        if (isResume && !result.executed.isEmpty())
            break; // KILL went through and RESUME failed: the database stays paused (reported below)
        if (!kill || isResume)
            break;
        // KILL failed after it was sent: still RESUME (the next statement), in case it paused the database.
    }
    // The statements alone (connect and inspection excluded): how long the database was paused for a KILL.
    fields.insert(QStringLiteral("took_ms"), double(took.nsecsElapsed() / 1000) / 1000.0);

    result.ok = !result.error.isError() && result.executed.size() == statements.size();
    if (result.ok) {
        result.message = result.executed.join(QStringLiteral(" and ")) + QStringLiteral(" done");
        return finish(QStringLiteral("done"));
    }
    const QString failed = statements.value(result.executed.size());
    const bool notPaused = result.error.message.contains(QLatin1String("is not paused"));
    if (kill && result.executed.isEmpty() && notPaused) {
        result.message = QStringLiteral("%1 failed: %2; the database %3 is not paused")
                             .arg(statements.first(), result.error.message, argument);
    } else if (kill && !result.executed.contains(statements.last())) {
        result.message = QStringLiteral("%1 failed: %2; the database %3 may stay paused until RESUME %3")
                             .arg(failed, result.error.message, argument);
    } else if (kill) {
        result.message = QStringLiteral("%1 failed: %2; RESUME %3 done, the database is not paused")
                             .arg(statements.first(), result.error.message, argument);
    } else {
        result.message = QStringLiteral("%1 failed: %2").arg(failed, result.error.message);
    }
    return finish(QStringLiteral("failed"));
}

} // namespace poolscope::db
