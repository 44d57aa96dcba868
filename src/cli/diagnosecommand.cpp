#include "diagnosecommand.h"

#include "commandline.h"
#include "core/finding.h"
#include "core/fleetsummary.h"
#include "core/signalcatcher.h"
#include "db/targetcontroller.h"
#include "fleetwatch.h"
#include "snapshotcommand.h"
#include "watchcommand.h"

#include <QCommandLineParser>
#include <QDateTime>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTextStream>
#include <QTimer>
#include <algorithm>
#include <cstdio>
#include <unistd.h>
#include <utility>

namespace poolscope::cli {

namespace {

QString helpText()
{
    QString rules;
    for (const QString &r : findings::rule::all())
        rules += QStringLiteral("  ") + r + QLatin1Char('\n');
    QString keys;
    const findings::Thresholds defaults;
    for (const findings::ThresholdSpec &spec : findings::thresholdTable())
        keys += QStringLiteral("  %1 (default %2): %3\n")
                    .arg(spec.key)
                    .arg(defaults.*spec.member)
                    .arg(spec.description);
    return QStringLiteral("Watch every target for the duration and name the failure modes found, with their "
                          "evidence and what to do.\n\n"
                          "TARGET is a libpq connection string (see `poolscope snapshot --help`). Give a "
                          "PgBouncer console next to the PostgreSQL server behind it and the two are judged "
                          "together (the pooler is linked by its SHOW DATABASES host and port).\n\n"
                          "Rules:\n") +
           rules +
           QStringLiteral(
               "\n--json prints {\"findings\":[{\"rule\",\"target\",\"targets\",\"layer\",\"severity\","
               "\"status\",\"since\",\"ended_at\",\"summary\",\"advice\",\"evidence\",\"pids\","
               "\"pools\",\"action\"}],\"targets\":[{\"target\",\"state\",\"ok\",\"error\"}]}: every "
               "finding seen during the watch, open ones first.\n\n"
               "--until RULE[,RULE] stops the watch as soon as one of those rules is named (a drill or a "
               "runbook waiting for the incident to show); --duration still bounds it.\n\n"
               "Thresholds (--set KEY=VALUE, repeatable; the GUI reads the same keys under "
               "[findings] in poolscope.conf):\n") +
           keys +
           QStringLiteral(
               "\nExit codes: 0 nothing at warning or above, 1 bad command line, 2 a target failed "
               "(and nothing at warning or above), 3 a finding at warning or above (open or ended "
               "during the watch).");
}

QString localTime(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("HH:mm:ss"));
}

void printHuman(QTextStream &out, const QList<findings::Finding> &all, int targets, qint64 durationMs)
{
    if (all.isEmpty()) {
        out << "No findings on " << targets << (targets == 1 ? " target" : " targets") << " in "
            << ageText(double(durationMs) / 1000.0) << ".\n";
        return;
    }
    for (const findings::Finding &f : all) {
        out << findings::severityName(f.severity).toUpper() << "  " << f.rule << "  " << f.target
            << "  since " << localTime(f.sinceMs);
        if (!f.isOpen())
            out << ", " << findings::statusText(f.status) << " at " << localTime(*f.endedAtMs);
        out << "\n  " << f.summary << "\n";
        for (const QString &a : f.advice)
            out << "  - " << a << "\n";
        if (!f.action.isNone())
            out << "  action: " << f.action.label << "\n";
        out << "\n";
    }
}

} // namespace

int diagnoseCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(helpText());
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("TARGET"), QStringLiteral("Connection string(s)."),
                                 QStringLiteral("TARGET..."));
    const QCommandLineOption duration(QStringLiteral("duration"),
                                      QStringLiteral("How long to watch (default 10s)."),
                                      QStringLiteral("duration"), QStringLiteral("10s"));
    const QCommandLineOption interval(QStringLiteral("interval"),
                                      QStringLiteral("Time between samples, 100ms to 60s (default 1s)."),
                                      QStringLiteral("duration"), QStringLiteral("1s"));
    const QCommandLineOption set(
        QStringLiteral("set"), QStringLiteral("Override a threshold, e.g. idle_in_transaction.min_age_s=3."),
        QStringLiteral("key=value"));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print JSON on stdout."));
    const QCommandLineOption until(
        QStringLiteral("until"),
        QStringLiteral("Stop as soon as one of these rules is named at warning or above (comma-separated; "
                       "'any' for any rule), instead of at the end of --duration."),
        QStringLiteral("rules"));
    parser.addOption(duration);
    parser.addOption(interval);
    parser.addOption(set);
    parser.addOption(json);
    parser.addOption(until);
    auto usage = [](const QString &message) {
        return usageError(QStringLiteral("diagnose"), message, ExitUsage);
    };
    if (const auto exit = parseCommandLine(parser, QStringLiteral("diagnose"), args, ExitUsage))
        return *exit;
    const QStringList targets = parser.positionalArguments();
    if (targets.isEmpty())
        return usage(QStringLiteral("at least one TARGET is required (see --help)"));
    const auto durationMs = parseDurationMs(parser.value(duration));
    if (!durationMs || *durationMs > 24 * 3600 * 1000LL)
        return usage(QStringLiteral("--duration needs a positive duration up to 24h, e.g. 10s or 5m"));
    QString intervalError;
    const auto intervalMs = parseIntervalMs(parser.value(interval), &intervalError);
    if (!intervalMs)
        return usage(intervalError);
    findings::Thresholds thresholds;
    for (const QString &assignment : parser.values(set)) {
        QString error;
        if (!findings::setThreshold(thresholds, assignment, &error))
            return usage(error);
    }
    QStringList untilRules;
    for (const QString &value : parser.values(until))
        untilRules += value.split(QLatin1Char(','), Qt::SkipEmptyParts);
    for (const QString &r : std::as_const(untilRules)) {
        if (r != QLatin1String("any") && !findings::rule::all().contains(r))
            return usage(QStringLiteral("--until: unknown rule '%1' (see --help for the rules)").arg(r));
    }

    if (isatty(STDERR_FILENO))
        std::fprintf(stderr, "Watching %lld target(s) for %s (Ctrl+C stops early)...\n",
                     static_cast<long long>(targets.size()),
                     qPrintable(ageText(double(*durationMs) / 1000.0)));
    QEventLoop loop;
    SignalCatcher catcher;
    QObject::connect(&catcher, &SignalCatcher::caught, &loop, &QEventLoop::quit);
    FleetWatch fleet(targets, int(*intervalMs), std::nullopt, thresholds);
    QTimer::singleShot(int(*durationMs), Qt::PreciseTimer, &loop, &QEventLoop::quit);
    if (!untilRules.isEmpty()) {
        const bool anyRule = untilRules.contains(QLatin1String("any"));
        QObject::connect(&fleet, &FleetWatch::sampled, &loop, [&, anyRule] {
            const QList<findings::Finding> open = fleet.engine().findings();
            if (std::any_of(open.cbegin(), open.cend(), [&](const findings::Finding &f) {
                    return f.severity >= findings::Severity::Warning &&
                           (anyRule || untilRules.contains(f.rule));
                }))
                loop.quit();
        });
    }
    const qint64 startedMs = QDateTime::currentMSecsSinceEpoch();
    fleet.start();
    loop.exec();
    const qint64 watchedMs = QDateTime::currentMSecsSinceEpoch() - startedMs;

    const QList<findings::Finding> all = fleet.engine().findings();
    bool failed = false;
    QJsonArray states;
    for (int i = 0; i < fleet.count(); ++i) {
        const TargetState state = fleet.state(i);
        const QString error = fleet.lastError(i);
        const bool ok = state == TargetState::Live;
        failed = failed || !ok;
        QJsonObject t;
        t.insert(QStringLiteral("target"), fleet.name(i));
        t.insert(QStringLiteral("state"), targetStateName(state));
        t.insert(QStringLiteral("ok"), ok);
        t.insert(QStringLiteral("error"), ok || error.isEmpty() ? QJsonValue() : QJsonValue(error));
        if (!fleet.source(i).isEmpty())
            t.insert(QStringLiteral("source"), fleet.source(i));
        states.append(t);
        if (!ok)
            std::fprintf(stderr, "poolscope diagnose: %s: %s\n", qPrintable(fleet.name(i)),
                         qPrintable(error.isEmpty() ? targetStateName(state) : error));
    }
    QTextStream out(stdout);
    if (parser.isSet(json)) {
        QJsonArray list;
        for (const findings::Finding &f : all)
            list.append(findings::toJson(f));
        QJsonObject o;
        o.insert(QStringLiteral("findings"), list);
        o.insert(QStringLiteral("targets"), states);
        o.insert(QStringLiteral("duration_s"), double(watchedMs) / 1000.0);
        out << QJsonDocument(o).toJson(QJsonDocument::Indented);
    } else {
        printHuman(out, all, fleet.count(), watchedMs);
    }
    out.flush();
    const bool serious = std::any_of(all.cbegin(), all.cend(), [](const findings::Finding &f) {
        return f.severity >= findings::Severity::Warning;
    });
    if (serious)
        return ExitNo;
    return failed ? ExitTargetFailed : ExitOk;
}

} // namespace poolscope::cli
