#include "loadcommand.h"

#include "cli/snapshotcommand.h"
#include "cli/watchcommand.h"
#include "commandline.h"
#include "core/signalcatcher.h"
#include "load/loadrun.h"
#include "load/presets.h"

#include <QCommandLineParser>
#include <QEventLoop>
#include <QJsonDocument>
#include <QTextStream>
#include <cmath>
#include <cstdio>

namespace poolscope::cli {

namespace {

using namespace poolscope::load;

QString ms(double v)
{
    return QString::number(v, 'f', v < 10 ? 2 : (v < 1000 ? 1 : 0));
}

QString errorsText(const std::array<std::uint64_t, ErrorClassCount> &errors)
{
    QStringList parts;
    for (int i = 0; i < ErrorClassCount; ++i) {
        if (errors[size_t(i)] > 0)
            parts.append(errorClassName(ErrorClass(i)) + QLatin1Char(' ') +
                         QString::number(errors[size_t(i)]));
    }
    return parts.isEmpty() ? QStringLiteral("0") : parts.join(QStringLiteral(", "));
}

void printProgress(const LoadSample &s)
{
    QString line = QStringLiteral("load %1/%2 s  tps %3  latency p50 %4 p99 %5 ms  pool wait p99 %6 ms  "
                                  "connections %7  workers %8  errors %9")
                       .arg(s.elapsedS, 0, 'f', 1)
                       .arg(s.durationS, 0, 'f', 0)
                       .arg(s.tps, 0, 'f', 1)
                       .arg(s.hasLatency ? ms(s.latency.p50) : QStringLiteral("-"),
                            s.hasLatency ? ms(s.latency.p99) : QStringLiteral("-"),
                            s.hasPoolWait ? ms(s.poolWait.p99) : QStringLiteral("-"))
                       .arg(s.connectionsOpen)
                       .arg(s.workersActive)
                       .arg(errorsText(s.errorsTotal));
    std::fprintf(stderr, "%s\n", qPrintable(line));
    std::fflush(stderr);
}

void printHuman(const LoadSummary &s)
{
    QTextStream out(stdout);
    const Percentiles lat = percentiles(s.totals.latency);
    const Percentiles wait = percentiles(s.totals.poolWait);
    out << "scenario " << s.scenario << " against " << s.target << ": " << s.clients << " clients, "
        << QString::number(s.durationS, 'f', 1) << " s" << (s.stoppedEarly ? " (stopped early)" : "") << "\n";
    out << "  transactions " << s.totals.transactions << " (" << QString::number(s.tps(), 'f', 1)
        << "/s), failed " << s.totals.failed << ", retries " << s.totals.retries << "\n";
    out << "  latency ms    p50 " << ms(lat.p50) << "  p95 " << ms(lat.p95) << "  p99 " << ms(lat.p99)
        << "  max " << ms(lat.max) << "\n";
    out << "  pool wait ms  p50 " << ms(wait.p50) << "  p99 " << ms(wait.p99) << "\n";
    out << "  connections   max " << s.connectionsMax << ", opened " << s.totals.connects << "\n";
    if (s.totals.errorTotal() == 0) {
        out << "  errors        none\n";
        return;
    }
    out << "  errors\n";
    for (int i = 0; i < ErrorClassCount; ++i) {
        if (s.totals.errors[size_t(i)] == 0)
            continue;
        out << "    " << qSetFieldWidth(20) << Qt::left << errorClassName(ErrorClass(i)) << qSetFieldWidth(0)
            << s.totals.errors[size_t(i)] << "  e.g. " << s.totals.examples[size_t(i)] << "\n";
    }
}

} // namespace

int loadCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Run simulated clients against TARGET to reproduce pool exhaustion on purpose, and measure it.\n\n"
        "TARGET is a libpq connection string for the application's role (not a monitoring role): PostgreSQL\n"
        "directly or a pooler in front of it. A target that is not on this machine is refused unless\n"
        "--allow-remote is given: only load systems you own.\n\n"
        "SCENARIO is a preset name (see --list), a saved scenario, or a JSON file (see --show NAME for the\n"
        "format). --clients sets the first workload's workers over all its app processes, --rate its\n"
        "requests per second, --duration the length of the run (at most 1h). Connections are capped at\n"
        "--max-connections (default 10000).\n\n"
        "Progress goes to stderr once a second; the summary to stdout (--json: {\"tps\",\"transactions\",\n"
        "\"latency_ms\":{p50,p95,p99,max},\"pool_wait_ms\":{p50,p99},\"errors\":{class:N},\"connections_"
        "max\",...}).\n"
        "Error classes: pool_exhausted, pool_timeout, intrans, too_many_clients, query_wait_timeout,\n"
        "server_closed, auth, connect, query, other. Ctrl+C stops the run early and closes every "
        "connection.\n\n"
        "Start and end of each run are written to the audit log.\n\n"
        "A scenario that needs something of its target (session-pooler-full: a PgBouncer pool in session\n"
        "mode; max-connections-flood, startup-storm: PostgreSQL itself, with max_connections within reach)\n"
        "checks it first and refuses to run where it cannot reproduce, saying what will not happen; --force\n"
        "runs it anyway (the warning still printed). PgBouncer's pool_mode is read from --console URI (an\n"
        "admin or stats console on the same host and port), else as TARGET's user on dbname=pgbouncer.\n\n"
        "Exit codes: 0 the run took place (errors in it are results), 1 bad command line or scenario, or a\n"
        "remote target without --allow-remote, 2 the target could not be reached or the setup failed,\n"
        "3 refused: the target cannot reproduce the scenario (without --force)."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("TARGET"), QStringLiteral("Connection string."),
                                 QStringLiteral("TARGET"));
    const QCommandLineOption scenario(QStringLiteral("scenario"), QStringLiteral("Preset name or JSON file."),
                                      QStringLiteral("name|file"));
    const QCommandLineOption clients(QStringLiteral("clients"),
                                     QStringLiteral("Workers of the first workload."), QStringLiteral("n"));
    const QCommandLineOption duration(
        QStringLiteral("duration"),
        QStringLiteral("Length of the run: 10s, 2m... (default: the scenario's)."),
        QStringLiteral("duration"));
    const QCommandLineOption rate(
        QStringLiteral("rate"), QStringLiteral("Requests per second of the first workload (0: closed loop)."),
        QStringLiteral("r"));
    const QCommandLineOption json(QStringLiteral("json"), QStringLiteral("Print the summary as JSON."));
    const QCommandLineOption allowRemote(QStringLiteral("allow-remote"),
                                         QStringLiteral("Allow a target that is not on this machine."));
    const QCommandLineOption maxConnections(
        QStringLiteral("max-connections"), QStringLiteral("Cap on connections open at once (default 10000)."),
        QStringLiteral("n"));
    const QCommandLineOption threads(QStringLiteral("threads"),
                                     QStringLiteral("Engine threads (default: cores, at most 4)."),
                                     QStringLiteral("n"));
    const QCommandLineOption force(
        QStringLiteral("force"), QStringLiteral("Run even where the scenario cannot reproduce (see above)."));
    const QCommandLineOption console(QStringLiteral("console"),
                                     QStringLiteral("PgBouncer console to read pool_mode from."),
                                     QStringLiteral("uri"));
    const QCommandLineOption quiet(QStringLiteral("quiet"), QStringLiteral("No progress lines on stderr."));
    const QCommandLineOption list(QStringLiteral("list"),
                                  QStringLiteral("List the presets and saved scenarios."));
    const QCommandLineOption show(QStringLiteral("show"),
                                  QStringLiteral("Print a scenario's JSON (to copy and edit)."),
                                  QStringLiteral("name"));
    for (const auto *o : {&scenario, &clients, &duration, &rate, &json, &allowRemote, &maxConnections,
                          &threads, &quiet, &list, &show, &force, &console})
        parser.addOption(*o);

    auto usage = [](const QString &message) {
        return usageError(QStringLiteral("load"), message, ExitUsage);
    };
    if (const auto exit = parseCommandLine(parser, QStringLiteral("load"), args, ExitUsage))
        return *exit;
    if (parser.isSet(list)) {
        QTextStream out(stdout);
        for (const QString &name : presetNames()) {
            QString error;
            const auto sc = loadScenario(name, &error);
            out << qSetFieldWidth(24) << Qt::left << name << qSetFieldWidth(0) << (sc ? sc->title : error)
                << "\n";
        }
        const QStringList saved = userScenarioNames();
        if (!saved.isEmpty())
            out << "\nsaved in " << userScenarioDir() << ": " << saved.join(QStringLiteral(", ")) << "\n";
        return ExitOk;
    }
    if (parser.isSet(show)) {
        QString error;
        const QByteArray text = scenarioText(parser.value(show), &error);
        if (text.isEmpty())
            return usage(error);
        std::fwrite(text.constData(), 1, size_t(text.size()), stdout);
        return ExitOk;
    }

    const QStringList targets = parser.positionalArguments();
    if (targets.size() != 1)
        return usage(QStringLiteral("exactly one TARGET is required (see --help)"));
    if (!parser.isSet(scenario))
        return usage(QStringLiteral("--scenario is required (see --list)"));
    QString error;
    auto sc = loadScenario(parser.value(scenario), &error);
    if (!sc)
        return usage(error);

    LoadRun::Options options;
    Overrides overrides;
    if (parser.isSet(clients)) {
        bool ok = false;
        const int n = parser.value(clients).toInt(&ok);
        if (!ok || n < 1 || n > 100000)
            return usage(QStringLiteral("--clients needs a number from 1 to 100000"));
        overrides.clients = n;
    }
    if (parser.isSet(duration)) {
        const auto d = parseDurationMs(parser.value(duration));
        if (!d || double(*d) / 1000.0 > options.limits.maxDurationS)
            return usage(QStringLiteral("--duration needs a duration up to 1h, e.g. 10s or 5m"));
        overrides.durationS = double(*d) / 1000.0;
    }
    if (parser.isSet(rate)) {
        bool ok = false;
        const double r = parser.value(rate).toDouble(&ok);
        if (!ok || r < 0 || !std::isfinite(r))
            return usage(QStringLiteral("--rate needs a number of requests per second (0: closed loop)"));
        overrides.rate = r;
    }
    if (parser.isSet(maxConnections)) {
        bool ok = false;
        const int n = parser.value(maxConnections).toInt(&ok);
        if (!ok || n < 1 || n > 100000)
            return usage(QStringLiteral("--max-connections needs a number from 1 to 100000"));
        options.limits.maxConnections = n;
    }
    if (parser.isSet(threads)) {
        bool ok = false;
        const int n = parser.value(threads).toInt(&ok);
        if (!ok || n < 1 || n > 64)
            return usage(QStringLiteral("--threads needs a number from 1 to 64"));
        options.threads = n;
    }
    options.scenario = applyOverrides(*sc, overrides);
    if (!validate(options.scenario, &error))
        return usage(error);
    if (options.scenario.durationS > options.limits.maxDurationS)
        return usage(QStringLiteral("the scenario runs for %1 s; the limit is %2 s (use --duration)")
                         .arg(options.scenario.durationS)
                         .arg(options.limits.maxDurationS));
    options.conninfo = targets.first();
    options.allowRemote = parser.isSet(allowRemote);
    options.force = parser.isSet(force);
    if (parser.isSet(console))
        options.poolerConsoles = parser.values(console);

    QEventLoop loop;
    LoadRun run(options);
    SignalCatcher catcher;
    QObject::connect(&catcher, &SignalCatcher::caught, &run, &LoadRun::stop);
    int rc = ExitOk;
    const bool progress = !parser.isSet(quiet);
    const bool asJson = parser.isSet(json);
    QObject::connect(
        &run, &LoadRun::started, &loop, [progress, &run](const QString &target, const QString &kind) {
            if (progress)
                std::fprintf(stderr, "load: running against %s (%s)\n", qPrintable(target), qPrintable(kind));
            for (const QString &warning : run.warnings()) // --force: said even with --quiet
                std::fprintf(stderr, "poolscope load: warning: %s\n", qPrintable(warning));
        });
    QObject::connect(&run, &LoadRun::sampleReady, &loop, [progress](const LoadSample &s) {
        if (progress)
            printProgress(s);
    });
    QObject::connect(&run, &LoadRun::failed, &loop, [&](LoadRun::Failure failure, const QString &message) {
        if (failure == LoadRun::Failure::Requirements) {
            for (const QString &line : message.split(QLatin1Char('\n')))
                std::fprintf(stderr, "poolscope load: will not reproduce: %s\n", qPrintable(line));
            std::fprintf(stderr, "poolscope load: nothing was run; --force runs it anyway\n");
            rc = ExitNo;
            loop.quit();
            return;
        }
        std::fprintf(stderr, "poolscope load: %s\n", qPrintable(message));
        rc = (failure == LoadRun::Failure::Connect || failure == LoadRun::Failure::Setup) ? ExitTargetFailed
                                                                                          : ExitUsage;
        loop.quit();
    });
    QObject::connect(&run, &LoadRun::finished, &loop, [&](const LoadSummary &summary) {
        if (asJson) {
            const QByteArray text = QJsonDocument(toJson(summary)).toJson(QJsonDocument::Indented);
            std::fwrite(text.constData(), 1, size_t(text.size()), stdout);
        } else {
            printHuman(summary);
        }
        std::fflush(stdout);
        loop.quit();
    });
    run.start();
    loop.exec();
    return rc;
}

} // namespace poolscope::cli
