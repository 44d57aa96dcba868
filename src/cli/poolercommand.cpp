#include "poolercommand.h"

#include "cli/watchcommand.h"
#include "commandline.h"
#include "core/auditlog.h"
#include "core/pooleractions.h"
#include "core/readonly.h"
#include "db/conninfo.h"
#include "db/pooleraction.h"
#include "metrics/prometheusclient.h"

#include <QCommandLineParser>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>
#include <cstdio>
#include <unistd.h>

namespace poolscope::cli {

namespace {

const char *const kSynopsis =
    "usage: poolscope pooler TARGET reconnect|kill-client|kill|resume ARG [--yes] [--json] [--read-only]";

const char *const kDescription =
    "Run one action on a PgBouncer admin console (TARGET: dbname=pgbouncer, an admin_users login).\n"
    "\n"
    "  reconnect DB     RECONNECT DB: each server connection of DB closes when it is next released\n"
    "                   (graceful; clients keep their connections, servers are re-opened on demand).\n"
    "  kill-client ID   KILL_CLIENT ID (PgBouncer 1.24+): drops one client (SHOW CLIENTS id) and its\n"
    "                   server connection.\n"
    "  kill DB          KILL DB, then RESUME DB: drops every client and server connection of DB at once\n"
    "                   (their transactions roll back); RESUME always follows, so DB accepts clients again.\n"
    "  resume DB        RESUME DB: when DB is paused (after a PAUSE or a KILL that was not resumed).\n"
    "\n"
    "Never offered: PAUSE, SUSPEND and WAIT_CLOSE (they block the console and wait for idle-in-transaction\n"
    "clients), SHUTDOWN, DISABLE.\n"
    "\n"
    "The console is read first (SHOW VERSION, POOLS, DATABASES, USERS, CONFIG, STATE, CLIENTS, SERVERS) on\n"
    "a short-lived connection of its own (application_name poolscope-action). The action is refused with\n"
    "the reason when the login is only in stats_users, the version lacks it, the database or client does\n"
    "not exist, or (resume) the database is not paused. Each statement is bounded by --timeout (then\n"
    "cancelled). Without --yes it prints what will be dropped and asks y/N; with no terminal on stdin it\n"
    "refuses. Every attempt (refusals too) leaves a line in the audit log (audit.jsonl in the data\n"
    "directory). Read-only mode (--read-only, or readOnly=true in poolscope.conf) refuses every action.\n"
    "\n"
    "JSON (--json): {\"target\":..,\"command\":..,\"argument\":..,\"statements\":[..],\"ok\":bool,\n"
    "\"error\":null|..,\"refused\":bool,\"executed\":[..],\"message\":..}\n"
    "\n"
    "Exit codes:\n"
    "  0  done\n"
    "  1  bad command line\n"
    "  2  the console could not be reached or read\n"
    "  3  refused as a whole: read-only mode, unavailable (stats user, version, unknown database, not\n"
    "     paused), or no confirmation (no terminal and no --yes, or not 'y')\n"
    "  4  the console failed a statement (a KILL whose RESUME failed too: the database stays paused)";

int usage(const QString &message)
{
    std::fprintf(stderr, "poolscope pooler: %s\n%s\n", qPrintable(message), kSynopsis);
    return PoolerUsage;
}

QJsonArray toArray(const QStringList &list)
{
    QJsonArray a;
    for (const QString &s : list)
        a.append(s);
    return a;
}

int exitCodeFor(const db::PoolerActionResult &r)
{
    if (r.refused)
        return PoolerRefused;
    if (r.ok)
        return PoolerOk;
    if (r.executed.isEmpty() && r.error.sqlState != QLatin1String("57014") &&
        (r.error.kind == ErrorKind::BadConnInfo || r.error.kind == ErrorKind::Connect ||
         r.error.kind == ErrorKind::Auth || r.error.kind == ErrorKind::Unsupported))
        return PoolerError;
    return PoolerFailed;
}

} // namespace

int poolerCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QString::fromLatin1(kDescription));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("TARGET"),
                                 QStringLiteral("libpq connection string of the PgBouncer console."));
    parser.addPositionalArgument(QStringLiteral("COMMAND"),
                                 QStringLiteral("reconnect, kill-client, kill or resume."));
    parser.addPositionalArgument(QStringLiteral("ARG"),
                                 QStringLiteral("The database (a client id for kill-client)."));
    const QCommandLineOption yes(QStringLiteral("yes"), QStringLiteral("Do it without asking."));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print JSON on stdout."));
    const QCommandLineOption readOnly(QStringLiteral("read-only"),
                                      QStringLiteral("Read-only mode: refuse every action."));
    const QCommandLineOption timeout(QStringLiteral("timeout"),
                                     QStringLiteral("Bound of the connection and of each statement "
                                                    "(default 5s)."),
                                     QStringLiteral("duration"), QStringLiteral("5s"));
    for (const auto &o : {yes, json, readOnly, timeout})
        parser.addOption(o);
    if (const auto exit = parseCommandLine(parser, QStringLiteral("pooler"), args, PoolerUsage)) {
        if (*exit != 0)
            std::fprintf(stderr, "%s\n", kSynopsis);
        return *exit;
    }
    const QStringList words = parser.positionalArguments();
    if (words.size() != 3)
        return usage(QStringLiteral("expected TARGET COMMAND ARG"));
    const QString conninfo = words.at(0);
    if (metrics::isPrometheusTarget(conninfo))
        return usage(
            QStringLiteral("a Prometheus target is read-only: pooler actions need the PgBouncer admin "
                           "console itself (a libpq connection string)"));
    const auto command = poolerCommandFromName(words.at(1));
    if (!command)
        return usage(QStringLiteral("unknown command \"%1\"").arg(words.at(1)));
    const QString argument = words.at(2);
    QString invalid;
    const QStringList statements = poolerStatements(*command, argument, &invalid);
    if (statements.isEmpty())
        return usage(invalid.isEmpty() ? QStringLiteral("invalid argument \"%1\"").arg(argument) : invalid);
    const auto timeoutMs = parseDurationMs(parser.value(timeout));
    if (!timeoutMs || *timeoutMs < 100 || *timeoutMs > 600000)
        return usage(QStringLiteral("--timeout needs a duration from 100ms to 10m, e.g. 5s"));

    readonly::applyStartup(parser.isSet(readOnly));

    const QString name = poolerCommandName(*command);
    const QString action = QStringLiteral("pooler.") + name;
    const QString target = db::describe(db::parseConnInfo(conninfo));
    QTextStream out(stdout);
    QTextStream err(stderr);

    auto finish = [&](const db::PoolerActionResult &r) {
        if (parser.isSet(json)) {
            QJsonObject o;
            o.insert(QStringLiteral("target"), target);
            o.insert(QStringLiteral("command"), name);
            o.insert(QStringLiteral("argument"), argument);
            o.insert(QStringLiteral("statements"), toArray(statements));
            o.insert(QStringLiteral("ok"), r.ok);
            o.insert(QStringLiteral("error"), r.ok ? QJsonValue() : QJsonValue(r.message));
            o.insert(QStringLiteral("refused"), r.refused);
            o.insert(QStringLiteral("executed"), toArray(r.executed));
            o.insert(QStringLiteral("message"), r.message);
            out << QJsonDocument(o).toJson(QJsonDocument::Indented);
        } else if (r.ok) {
            out << target << ": " << r.message << '\n';
        }
        out.flush();
        if (r.refused)
            err << "poolscope pooler: " << target << ": " << r.message << "; nothing was done\n";
        else if (!r.ok)
            err << "poolscope pooler: " << target << ": " << r.message << '\n';
        err.flush();
        return exitCodeFor(r);
    };
    // A refusal or failure decided here, before runPoolerAction: the same audit line it would write.
    auto notRun = [&](const QString &message, const DbError &error, bool refused) {
        db::PoolerActionResult r;
        r.refused = refused;
        r.error = error;
        r.message = message;
        QJsonObject fields;
        fields.insert(QStringLiteral("argument"), argument);
        fields.insert(QStringLiteral("statements"), toArray(statements));
        fields.insert(QStringLiteral("executed"), QJsonArray());
        fields.insert(QStringLiteral("outcome"),
                      refused ? QStringLiteral("refused") : QStringLiteral("failed"));
        fields.insert(QStringLiteral("result"), message);
        fields.insert(QStringLiteral("source"), QStringLiteral("cli"));
        if (error.isError())
            fields.insert(QStringLiteral("error"), error.message);
        audit::record(action, target, fields);
        return finish(r);
    };

    // Read-only mode and --yes need no question: runPoolerAction refuses (and audits) or acts.
    if (parser.isSet(yes) || readonly::isReadOnly())
        return finish(db::runPoolerAction(conninfo, *command, argument, int(*timeoutMs)));

    const TargetSnapshot inspected = db::inspectConsole(conninfo, true, int(*timeoutMs));
    if (!inspected.ok || !inspected.bouncer)
        return notRun(inspected.error.message, inspected.error, false);
    const BouncerSample &sample = *inspected.bouncer;
    const ActionAvailability available = poolerActionAvailability(sample, *command, argument);
    if (!available.enabled)
        return notRun(QStringLiteral("refused: ") + available.reason, {}, true);

    // The preview and the question go to stderr, so stdout stays the result (JSON with --json).
    err << target << ": " << poolerActionPreview(sample, *command, argument) << '\n';
    err << "Statements: " << statements.join(QStringLiteral("; ")) << '\n';
    if (!isatty(STDIN_FILENO)) {
        err.flush();
        return notRun(QStringLiteral("refused: no confirmation (stdin is not a terminal: pass --yes)"), {},
                      true);
    }
    err << "Proceed? [y/N] ";
    err.flush();
    QTextStream in(stdin);
    const QString answer = in.readLine().trimmed().toLower();
    if (answer != QLatin1String("y") && answer != QLatin1String("yes"))
        return notRun(QStringLiteral("refused: not confirmed"), {}, true);
    return finish(db::runPoolerAction(conninfo, *command, argument, int(*timeoutMs)));
}

} // namespace poolscope::cli
