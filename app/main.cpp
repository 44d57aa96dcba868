// Thin entry point: headless commands run on QCoreApplication (no display needed); everything else opens
// the GUI. All behaviour lives in the libraries under src/.
#include "cli/diagnosecommand.h"
#include "cli/loadcommand.h"
#include "cli/plancommand.h"
#include "cli/poolercommand.h"
#include "cli/sandboxcommand.h"
#include "cli/snapshotcommand.h"
#include "cli/terminatecommand.h"
#include "cli/watchcommand.h"
#include "core/logging.h"
#include "core/readonly.h"
#include "core/signalcatcher.h"
#include "core/taskpool.h"
#include "sandbox/demosession.h"
#include "widgets/mainwindow.h"

#include "widgets/qcp.h"
#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <cstdio>
#include <libpq-fe.h>

namespace {

// Background tasks still running at exit (a terminate finishing its audit line) get this long; whatever is
// left then (a cancel to a server that never answers) ends with the process. README, "Threads".
constexpr int kDrainMs = 2000;

QString versionText()
{
    const int pq = PQlibVersion();
    return QStringLiteral("poolscope %1 (Qt %2, libpq %3.%4, QCustomPlot %5)")
        .arg(QStringLiteral(POOLSCOPE_VERSION), QString::fromLatin1(qVersion()))
        .arg(pq / 10000)
        .arg(pq % 10000)
        .arg(QStringLiteral(QCUSTOMPLOT_VERSION_STR));
}

const char *const kUsage =
    "Usage:\n"
    "  poolscope [--demo]                 open the GUI (--demo: throwaway PostgreSQL + PgBouncer with load)\n"
    "  poolscope [--interval 1s] TARGET...  open the GUI sampling these targets (interval 100ms..60s)\n"
    "  poolscope snapshot TARGET... [--json]   one sample of each target\n"
    "  poolscope watch TARGET... [--interval 1s] [--duration 60s] [--json-lines]\n"
    "                                     sample repeatedly, one line per target per sample\n"
    "  poolscope diagnose TARGET... [--duration 10s] [--json] [--set KEY=VALUE]\n"
    "                                     name the failure modes found, with evidence and advice\n"
    "  poolscope plan FILE [--json]       check a capacity plan: pools, poolers, max_connections, queueing\n"
    "  poolscope sandbox start [--dir DIR] [--json] | stop --dir DIR\n"
    "  poolscope terminate TARGET --older-than 30s [--state idle-in-transaction] [--application A]\n"
    "            [--user U] [--database D] [--allow-superuser] [--dry-run | --yes] [--json] [--read-only]\n"
    "                                     end idle-in-transaction sessions safely (audited)\n"
    "  poolscope --read-only ...          GUI in read-only mode: every action disabled\n"
    "  poolscope pooler TARGET reconnect|kill-client|kill|resume ARG [--yes] [--json] [--read-only]\n"
    "                                     a PgBouncer console action (KILL is followed by RESUME; audited)\n"
    "  poolscope load TARGET --scenario NAME|FILE [--clients N] [--duration 10s] [--rate R] [--json]\n"
    "                                     simulated clients reproducing pool exhaustion (--list: presets)\n"
    "  poolscope --version | --help\n"
    "\n"
    "TARGET is a libpq connection string: postgresql://user@host:port/db, \"host=... dbname=...\" or\n"
    "service=NAME. Passwords come from ~/.pgpass, service files or PGPASSWORD; they are never printed.\n"
    "Use `poolscope COMMAND --help` for a command's options and exit codes.\n";

int headless(int argc, char **argv, const QString &command)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("poolscope"));
    QCoreApplication::setApplicationVersion(QStringLiteral(POOLSCOPE_VERSION));
    poolscope::logging::Options lo;
    lo.stderrLevel = spdlog::level::warn; // stdout carries the result; stderr only what needs attention
    poolscope::logging::init(lo);
    QStringList args = app.arguments().mid(2);
    const int rc = [&] {
        if (command == QLatin1String("snapshot"))
            return poolscope::cli::snapshotCommand(args);
        if (command == QLatin1String("watch"))
            return poolscope::cli::watchCommand(args);
        if (command == QLatin1String("diagnose"))
            return poolscope::cli::diagnoseCommand(args);
        if (command == QLatin1String("plan"))
            return poolscope::cli::planCommand(args);
        if (command == QLatin1String("terminate"))
            return poolscope::cli::terminateCommand(args);
        if (command == QLatin1String("load"))
            return poolscope::cli::loadCommand(args);
        if (command == QLatin1String("pooler"))
            return poolscope::cli::poolerCommand(args);
        return poolscope::cli::sandboxCommand(args);
    }();
    poolscope::TaskPool::drain(kDrainMs);
    return rc;
}

} // namespace

int main(int argc, char **argv)
{
    const QString first = argc > 1 ? QString::fromLocal8Bit(argv[1]) : QString();
    if (first == QLatin1String("--version") || first == QLatin1String("-v")) {
        std::printf("%s\n", qPrintable(versionText()));
        return 0;
    }
    if (first == QLatin1String("--help") || first == QLatin1String("-h") || first == QLatin1String("help")) {
        std::printf("%s\n%s", qPrintable(versionText()), kUsage);
        return 0;
    }
    if (first == QLatin1String("snapshot") || first == QLatin1String("sandbox") ||
        first == QLatin1String("watch") || first == QLatin1String("diagnose") ||
        first == QLatin1String("plan") || first == QLatin1String("terminate") ||
        first == QLatin1String("load") || first == QLatin1String("pooler"))
        return headless(argc, argv, first);

    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("poolscope"));
    QApplication::setApplicationDisplayName(QStringLiteral("PoolScope"));
    QApplication::setApplicationVersion(QStringLiteral(POOLSCOPE_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("poolscope"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/poolscope.svg")));
    poolscope::logging::init();
    // Ctrl+C / SIGTERM end in a normal quit, so the demo sandbox is stopped and its files removed.
    poolscope::SignalCatcher signalCatcher;
    QObject::connect(&signalCatcher, &poolscope::SignalCatcher::caught, &app, &QCoreApplication::quit);

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Live PostgreSQL sessions and connection-pool occupancy."));
    parser.addHelpOption();
    const QCommandLineOption demo(
        QStringLiteral("demo"), QStringLiteral("Start a throwaway PostgreSQL + PgBouncer with gentle load."));
    parser.addOption(demo);
    const QCommandLineOption interval(QStringLiteral("interval"),
                                      QStringLiteral("Time between samples of each TARGET: 500ms, 1s, 2m... "
                                                     "(100ms to 60s, default 1s)."),
                                      QStringLiteral("duration"), QStringLiteral("1s"));
    parser.addOption(interval);
    const QCommandLineOption readOnly(
        QStringLiteral("read-only"),
        QStringLiteral("Read-only mode: cancel, terminate and every other action "
                       "are disabled (also the readOnly setting)."));
    parser.addOption(readOnly);
    parser.addPositionalArgument(QStringLiteral("TARGET"), QStringLiteral("Connection strings to sample."),
                                 QStringLiteral("[TARGET...]"));
    parser.process(app);
    const auto intervalMs = poolscope::cli::parseDurationMs(parser.value(interval));
    if (!intervalMs || *intervalMs < 100 || *intervalMs > 60000) {
        std::fprintf(stderr, "poolscope: --interval needs a duration from 100ms to 60s, e.g. 500ms or 2s\n");
        return 1;
    }

    poolscope::readonly::applyStartup(parser.isSet(readOnly));
    poolscope::widgets::MainWindow window;
    if (parser.isSet(readOnly))
        window.lockReadOnly();
    window.loadSavedTargets();
    for (const QString &target : parser.positionalArguments())
        window.addTarget(target, int(*intervalMs));
    if (window.targetCount() > 1)
        window.showFleet(); // many targets: start from the one that needs attention
    std::unique_ptr<poolscope::sandbox::DemoSession> demoSession;
    if (parser.isSet(demo)) {
        demoSession = std::make_unique<poolscope::sandbox::DemoSession>();
        window.attachDemo(demoSession.get());
        demoSession->start();
    }
    window.resize(1280, 800);
    window.show();
    const int rc = app.exec();
    if (demoSession)
        demoSession->stop(); // load first, then servers; files removed (bounded)
    poolscope::TaskPool::drain(kDrainMs);
    return rc;
}
