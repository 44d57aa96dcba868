#include "terminatecommand.h"

#include "cli/watchcommand.h"
#include "commandline.h"
#include "core/auditlog.h"
#include "core/readonly.h"
#include "core/terminateplan.h"
#include "db/terminator.h"
#include "metrics/prometheusclient.h"

#include <QCommandLineParser>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTextStream>
#include <cstdio>
#include <unistd.h>

namespace poolscope::cli {

namespace {

using terminate::Outcome;
using terminate::PidResult;
using terminate::Report;

const char *const kDescription =
    "End the sessions that hold the pool: backends in a state (by default idle in transaction or idle in\n"
    "transaction (aborted)) for longer than --older-than, optionally of one application / user / database /\n"
    "client. The list is read afresh from pg_stat_activity, with the server's clock.\n"
    "\n"
    "Never touched: PoolScope's own connections, non-client backends (autovacuum, walsenders, background\n"
    "workers), and superuser-owned sessions unless --allow-superuser (and then only a superuser may).\n"
    "Each pid is signalled only if it still is the session that was listed (same backend_start, state and\n"
    "state_change), so a reused pid or a session that moved on is left alone. PostgreSQL 14+:\n"
    "pg_terminate_backend(pid, 3000) waits for each backend to exit.\n"
    "\n"
    "Without --yes or --dry-run it shows the list and asks y/N; with no terminal on stdin it refuses.\n"
    "Every run (dry runs and refusals too) leaves a line in the audit log (audit.jsonl in the data "
    "directory).\n"
    "Read-only mode (--read-only, or readOnly=true in poolscope.conf) refuses everything but --dry-run.\n"
    "\n"
    "--state takes idle-in-transaction, idle-in-transaction-aborted, active, idle (or PostgreSQL's own\n"
    "texts), repeated or comma-separated. --application, --user and --database match exactly or as a glob\n"
    "(* and ?); --client takes an address, a CIDR range (10.0.0.0/8) or \"local\" (Unix socket).\n"
    "\n"
    "JSON (--json): {\"target\":..,\"dry_run\":bool,\"candidates\":[{\"pid\":N,\"usename\":..,\n"
    "\"application_name\":..,\"state\":..,\"state_age_s\":X,\"result\":..,\"reason\":..}]}, result one of\n"
    "would terminate, terminated, already gone, permission denied, failed (also cancelled / skipped).\n"
    "\n"
    "Exit codes:\n"
    "  0  done, or nothing to do (a dry run too)\n"
    "  1  bad command line\n"
    "  2  the target could not be reached or read\n"
    "  3  refused as a whole: read-only mode, or no confirmation (no terminal and no --yes, or not 'y')\n"
    "  4  some sessions failed or were refused (permission denied, superuser-owned)";

QString age(double s)
{
    return QString::number(s, 'f', s < 100 ? 1 : 0) + QStringLiteral(" s");
}

void printTable(QTextStream &out, const QList<PidResult> &results)
{
    out << qSetFieldWidth(0) << Qt::left;
    auto cell = [&out](const QString &text, int width) {
        out << qSetFieldWidth(width) << text << qSetFieldWidth(0) << ' ';
    };
    cell(QStringLiteral("pid"), 8);
    cell(QStringLiteral("user"), 12);
    cell(QStringLiteral("application"), 18);
    cell(QStringLiteral("database"), 12);
    cell(QStringLiteral("client"), 16);
    cell(QStringLiteral("state"), 30);
    cell(QStringLiteral("age"), 9);
    out << "result\n";
    for (const PidResult &r : results) {
        cell(QString::number(r.row.pid), 8);
        cell(r.row.usename, 12);
        cell(r.row.applicationName, 18);
        cell(r.row.datname, 12);
        cell(r.row.clientAddr.isEmpty() ? QStringLiteral("local") : r.row.clientAddr, 16);
        cell(r.row.state.value_or(QStringLiteral("?")), 30);
        cell(age(r.stateAgeS), 9);
        out << terminate::outcomeName(r.outcome);
        if (!r.reason.isEmpty())
            out << ": " << r.reason;
        out << '\n';
    }
}

void printHuman(QTextStream &out, const Report &report, const terminate::Predicate &predicate)
{
    out << report.target << "  " << predicate.describe();
    if (report.dryRun)
        out << "  (dry run)";
    out << '\n';
    if (!report.results.isEmpty())
        printTable(out, report.results);
    out << report.summary();
    if (!report.excludedSummary.isEmpty())
        out << "; " << report.excludedSummary;
    out << '\n';
}

int exitCodeFor(const Report &report)
{
    if (!report.refused.isEmpty())
        return TerminateRefused;
    if (!report.connected)
        return TerminateError;
    return report.hasProblems() ? TerminateProblems : TerminateOk;
}

int usage(const QString &message)
{
    return usageError(QStringLiteral("terminate"), message + QStringLiteral(" (see --help)"), TerminateUsage);
}

} // namespace

int terminateCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QString::fromLatin1(kDescription));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("TARGET"),
                                 QStringLiteral("libpq connection string of the PostgreSQL server."));
    const QCommandLineOption state(QStringLiteral("state"),
                                   QStringLiteral("Session state(s) to end (default: idle-in-transaction and "
                                                  "idle-in-transaction-aborted)."),
                                   QStringLiteral("state"));
    const QCommandLineOption olderThan(
        QStringLiteral("older-than"),
        QStringLiteral("Required: in that state for longer than this (30s, 5m)."),
        QStringLiteral("duration"));
    const QCommandLineOption application(QStringLiteral("application"),
                                         QStringLiteral("Only sessions of this application_name."),
                                         QStringLiteral("name"));
    const QCommandLineOption user(QStringLiteral("user"), QStringLiteral("Only sessions of this role."),
                                  QStringLiteral("role"));
    const QCommandLineOption database(QStringLiteral("database"),
                                      QStringLiteral("Only sessions connected to this database."),
                                      QStringLiteral("name"));
    const QCommandLineOption client(
        QStringLiteral("client"), QStringLiteral("Only sessions from this address, CIDR range or \"local\"."),
        QStringLiteral("address"));
    const QCommandLineOption allowSuperuser(
        QStringLiteral("allow-superuser"),
        QStringLiteral("Include superuser-owned sessions (only a superuser "
                       "may end them)."));
    const QCommandLineOption cancelFirst(QStringLiteral("cancel-first"),
                                         QStringLiteral("Active sessions: cancel the query first, terminate "
                                                        "only if it does not end."));
    const QCommandLineOption dryRun(QStringLiteral("dry-run"),
                                    QStringLiteral("List who would be hit; change nothing."));
    const QCommandLineOption yes(QStringLiteral("yes"), QStringLiteral("Do it without asking."));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print JSON on stdout."));
    const QCommandLineOption readOnly(QStringLiteral("read-only"),
                                      QStringLiteral("Read-only mode: refuse everything but --dry-run."));
    const QCommandLineOption timeout(QStringLiteral("connect-timeout"),
                                     QStringLiteral("Seconds to wait for the connection (default 5)."),
                                     QStringLiteral("seconds"), QStringLiteral("5"));
    for (const auto &o : {state, olderThan, application, user, database, client, allowSuperuser, cancelFirst,
                          dryRun, yes, json, readOnly, timeout})
        parser.addOption(o);

    if (const auto exit = parseCommandLine(parser, QStringLiteral("terminate"), args, TerminateUsage))
        return *exit;
    const QStringList targets = parser.positionalArguments();
    if (targets.size() != 1)
        return usage(QStringLiteral("exactly one TARGET is required"));
    if (metrics::isPrometheusTarget(targets.first()))
        return usage(QStringLiteral("a Prometheus target is read-only: terminate needs the PostgreSQL server "
                                    "itself (a libpq connection string)"));
    if (parser.isSet(dryRun) && parser.isSet(yes))
        return usage(QStringLiteral("--dry-run and --yes exclude each other"));

    terminate::Predicate predicate;
    if (parser.isSet(state)) {
        predicate.states.clear();
        for (const QString &value : parser.values(state)) {
            for (const QString &name : value.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
                const auto s = terminate::stateFromName(name);
                if (!s)
                    return usage(QStringLiteral("unknown --state \"%1\"").arg(name.trimmed()));
                if (!predicate.states.contains(*s))
                    predicate.states.append(*s);
            }
        }
        if (predicate.states.isEmpty())
            return usage(QStringLiteral("--state needs a state"));
    }
    if (!parser.isSet(olderThan))
        return usage(QStringLiteral("--older-than is required, e.g. --older-than 30s"));
    const auto olderMs = parseDurationMs(parser.value(olderThan));
    if (!olderMs)
        return usage(QStringLiteral("--older-than needs a duration such as 30s, 5m or 1h"));
    predicate.olderThanS = double(*olderMs) / 1000.0;
    predicate.application = parser.value(application);
    predicate.user = parser.value(user);
    predicate.database = parser.value(database);
    predicate.client = parser.value(client);
    predicate.allowSuperuser = parser.isSet(allowSuperuser);
    QString invalid;
    if (!predicate.isValid(&invalid))
        return usage(invalid);
    bool ok = false;
    const int connectTimeout = parser.value(timeout).toInt(&ok);
    if (!ok || connectTimeout < 1)
        return usage(QStringLiteral("--connect-timeout needs a whole number of seconds >= 1"));

    readonly::applyStartup(parser.isSet(readOnly));

    db::Terminator::Options to;
    to.connectTimeoutS = connectTimeout;
    to.source = QStringLiteral("cli");
    db::Terminator terminator(targets.first(), to);
    db::Terminator::RunOptions ro;
    ro.dryRun = parser.isSet(dryRun);
    ro.cancelActiveFirst = parser.isSet(cancelFirst);

    QTextStream out(stdout);
    QTextStream err(stderr);
    auto finish = [&](const Report &report) {
        if (parser.isSet(json))
            out << QJsonDocument(terminate::toJson(report)).toJson(QJsonDocument::Indented);
        else if (report.connected || !report.results.isEmpty())
            printHuman(out, report, predicate);
        out.flush();
        if (!report.refused.isEmpty())
            err << "poolscope terminate: " << report.refused << "; nothing was done\n";
        else if (!report.connected)
            err << "poolscope terminate: " << report.target << ": " << report.error.message << '\n';
        err.flush();
        return exitCodeFor(report);
    };

    // Read-only mode and --yes / --dry-run need no question: run() refuses (and audits) or acts.
    if (ro.dryRun || parser.isSet(yes) || readonly::isReadOnly())
        return finish(terminator.run(predicate, ro));

    QJsonObject auditFields;
    auditFields.insert(QStringLiteral("source"), QStringLiteral("cli"));
    auditFields.insert(QStringLiteral("predicate"), predicate.toJson());
    if (!isatty(STDIN_FILENO)) {
        Report report;
        report.target = terminator.target();
        report.action = QStringLiteral("terminate");
        report.refused = QStringLiteral("refused: no confirmation (stdin is not a terminal: pass --yes, or "
                                        "--dry-run to list)");
        auditFields.insert(QStringLiteral("result"), report.refused);
        audit::record(report.action, report.target, auditFields);
        return finish(report);
    }

    DbError error;
    const auto plan = terminator.preview(predicate, &error);
    if (!plan) {
        Report report;
        report.target = terminator.target();
        report.action = QStringLiteral("terminate");
        report.error = error;
        auditFields.insert(QStringLiteral("result"), report.summary());
        auditFields.insert(QStringLiteral("error"), error.message);
        audit::record(report.action, report.target, auditFields);
        return finish(report);
    }
    if (!plan->hits.isEmpty()) {
        // The list and the question go to stderr, so stdout stays the result (JSON with --json).
        const Report preview = terminate::dryRunReport(*plan, ro.cancelActiveFirst);
        printHuman(err, preview, predicate);
        err << "Terminate " << plan->hits.size() << (plan->hits.size() == 1 ? " session" : " sessions")
            << " on " << plan->target << "? [y/N] ";
        err.flush();
        QTextStream in(stdin);
        const QString answer = in.readLine().trimmed().toLower();
        if (answer != QLatin1String("y") && answer != QLatin1String("yes")) {
            Report report;
            report.target = plan->target;
            report.action = QStringLiteral("terminate");
            report.refused = QStringLiteral("refused: not confirmed");
            auditFields.insert(QStringLiteral("result"), report.refused);
            audit::record(report.action, report.target, auditFields);
            return finish(report);
        }
    }
    return finish(terminator.execute(*plan, ro));
}

} // namespace poolscope::cli
