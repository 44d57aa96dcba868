// Thin entry point: headless commands run on QCoreApplication (no display needed; `report` draws its charts
// on a QApplication of the offscreen platform); everything else opens the GUI. All behaviour lives in the
// libraries under src/.
#include "cli/diagnosecommand.h"
#include "cli/exitcodes.h"
#include "cli/exportcommand.h"
#include "cli/loadcommand.h"
#include "cli/plancommand.h"
#include "cli/poolercommand.h"
#include "cli/recordcommand.h"
#include "cli/sandboxcommand.h"
#include "cli/snapshotcommand.h"
#include "cli/terminatecommand.h"
#include "cli/watchcommand.h"
#include "core/logging.h"
#include "core/readonly.h"
#include "core/signalcatcher.h"
#include "core/taskpool.h"
#include "record/recordingreader.h"
#include "report/reportcommand.h"
#include "report/reportdialog.h"
#include "sandbox/demosession.h"
#include "widgets/mainwindow.h"
#include "widgets/replaywindow.h"

#include "widgets/qcp.h"
#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <algorithm>
#include <cstdio>
#include <libpq-fe.h>
#include <memory>
#include <vector>

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
    "  poolscope record TARGET... --out FILE [--interval 1s] [--duration 1h] [--max-size SIZE]\n"
    "                                     record every sample into a file (SQLite) for replay and export\n"
    "  poolscope export FILE --format csv|json --out DIR   one file per table of a recording\n"
    "  poolscope report FILE --out report.html [--pdf report.pdf] [--from TIME] [--to TIME] [--last 30m]\n"
    "                                     an incident report: charts, findings, actions (self-contained "
    "HTML)\n"
    "  poolscope replay FILE              a recording in the window, with a timeline scrubber\n"
    "  poolscope --version | --help\n"
    "\n"
    "TARGET is a libpq connection string: postgresql://user@host:port/db, \"host=... dbname=...\" or\n"
    "service=NAME. Passwords come from ~/.pgpass, service files or PGPASSWORD; they are never printed.\n"
    "Use `poolscope COMMAND --help` for a command's options and exit codes.\n";

const QStringList &commands()
{
    static const QStringList names{
        QStringLiteral("snapshot"), QStringLiteral("watch"),     QStringLiteral("diagnose"),
        QStringLiteral("plan"),     QStringLiteral("terminate"), QStringLiteral("pooler"),
        QStringLiteral("load"),     QStringLiteral("sandbox"),   QStringLiteral("record"),
        QStringLiteral("export"),   QStringLiteral("report")};
    return names;
}

/// Levenshtein distance, for "did you mean".
int editDistance(const QString &a, const QString &b)
{
    QList<int> row(b.size() + 1);
    for (int j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (int i = 1; i <= a.size(); ++i) {
        int diagonal = row[0];
        row[0] = i;
        for (int j = 1; j <= b.size(); ++j) {
            const int up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = up;
        }
    }
    return row[b.size()];
}

/// A bare word where the GUI expects a connection string (postgresql://..., "host=... dbname=...",
/// service=NAME): a mistyped command, never a target.
bool isBareWord(const QString &arg)
{
    return !arg.isEmpty() && !arg.startsWith(QLatin1Char('-')) && !arg.contains(QLatin1Char('=')) &&
           !arg.contains(QLatin1Char(':')) && !arg.contains(QLatin1Char('/')) &&
           !arg.contains(QLatin1Char(' '));
}

int unknownCommand(const QString &word)
{
    QString closest;
    int best = 3; // at most two edits away
    for (const QString &c : commands()) {
        if (const int d = editDistance(word, c); d < best) {
            best = d;
            closest = c;
        }
    }
    std::fprintf(
        stderr,
        "poolscope: unknown command \"%s\"%s\nRun `poolscope --help` for the commands; a TARGET is a "
        "connection string such as postgresql://user@host:5432/db.\n",
        qPrintable(word),
        closest.isEmpty() ? "" : qPrintable(QStringLiteral(" (did you mean \"%1\"?)").arg(closest)));
    return poolscope::cli::ExitUsage;
}

/// The window needs a display; without one (an ssh session, a container) say so instead of Qt's abort.
bool hasDisplay()
{
    const QByteArray platform = qgetenv("QT_QPA_PLATFORM");
    if (!platform.isEmpty() && !platform.startsWith("xcb") && !platform.startsWith("wayland"))
        return true; // offscreen, vnc, eglfs...: the platform decides
    return !qEnvironmentVariableIsEmpty("DISPLAY") || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY");
}

QtMessageHandler g_qtHandler = nullptr;

/// Outside a login session (cron, a container, sudo) the offscreen platform's start warns that
/// XDG_RUNTIME_DIR is not set and uses /tmp/runtime-$USER, which is fine for drawing: `report` keeps stderr
/// to its own words.
void withoutRuntimeDirWarning(QtMsgType type, const QMessageLogContext &context, const QString &text)
{
    if (!text.startsWith(QLatin1String("QStandardPaths: XDG_RUNTIME_DIR not set")) && g_qtHandler)
        g_qtHandler(type, context, text);
}

int headless(int argc, char **argv, const QString &command)
{
    // argv[0] becomes "poolscope COMMAND": the command's --help then names it, never the binary's path.
    QByteArray program = "poolscope " + command.toLocal8Bit();
    std::vector<char *> args{program.data()};
    for (int i = 2; i < argc; ++i)
        args.push_back(argv[i]);
    args.push_back(nullptr);
    int count = int(args.size()) - 1;
    // `report` draws charts (widgets): a QApplication, always on the offscreen platform, so that it needs no
    // display and draws the same on any machine.
    const bool drawing = command == QLatin1String("report");
    if (drawing) {
        qputenv("QT_QPA_PLATFORM", "offscreen");
        g_qtHandler = qInstallMessageHandler(&withoutRuntimeDirWarning);
    }
    std::unique_ptr<QCoreApplication> application =
        drawing ? std::make_unique<QApplication>(count, args.data())
                : std::make_unique<QCoreApplication>(count, args.data());
    if (drawing)
        qInstallMessageHandler(g_qtHandler);
    QCoreApplication &app = *application;
    QCoreApplication::setApplicationName(QStringLiteral("poolscope"));
    QCoreApplication::setApplicationVersion(QStringLiteral(POOLSCOPE_VERSION));
    poolscope::logging::Options lo;
    lo.stderrLevel = spdlog::level::warn; // stdout carries the result; stderr only what needs attention
    poolscope::logging::init(lo);
    const QStringList rest = app.arguments().mid(1);
    const int rc = [&] {
        if (command == QLatin1String("snapshot"))
            return poolscope::cli::snapshotCommand(rest);
        if (command == QLatin1String("watch"))
            return poolscope::cli::watchCommand(rest);
        if (command == QLatin1String("diagnose"))
            return poolscope::cli::diagnoseCommand(rest);
        if (command == QLatin1String("plan"))
            return poolscope::cli::planCommand(rest);
        if (command == QLatin1String("terminate"))
            return poolscope::cli::terminateCommand(rest);
        if (command == QLatin1String("load"))
            return poolscope::cli::loadCommand(rest);
        if (command == QLatin1String("pooler"))
            return poolscope::cli::poolerCommand(rest);
        if (command == QLatin1String("record"))
            return poolscope::cli::recordCommand(rest);
        if (command == QLatin1String("export"))
            return poolscope::cli::exportCommand(rest);
        if (command == QLatin1String("report"))
            return poolscope::report::reportCommand(rest);
        return poolscope::cli::sandboxCommand(rest);
    }();
    poolscope::TaskPool::drain(kDrainMs);
    return rc;
}

/// `poolscope replay FILE`: the recording in a ReplayWindow. Exit 1 for a bad command line or a file that is
/// not a readable recording (said on stderr, no window), 0 when the window is closed.
int replay(int argc, char **argv)
{
    QByteArray usage;
    for (int i = 2; i < argc; ++i) {
        const QByteArray arg(argv[i]);
        if (arg == "--help" || arg == "-h") {
            std::printf(
                "Usage: poolscope replay FILE\nShows a recording (`poolscope record`) in the window, with a "
                "timeline scrubber; actions are disabled.\nExit codes: 0 closed, 1 bad command line or "
                "FILE is not a readable recording.\n");
            return 0;
        }
        if (arg.startsWith('-') && usage.isEmpty())
            usage = "unknown option \"" + arg + "\"";
    }
    if (usage.isEmpty() && argc != 3)
        usage = "one recording FILE is required";
    if (!usage.isEmpty()) {
        std::fprintf(stderr, "poolscope replay: %s (see --help)\n", usage.constData());
        return poolscope::cli::ExitUsage;
    }
    {
        // The file first: a damaged recording is named on any machine, before the display is needed.
        poolscope::record::RecordingReader check;
        QString error;
        if (!check.open(QString::fromLocal8Bit(argv[2]), &error)) {
            std::fprintf(stderr, "poolscope replay: %s\n", qPrintable(error));
            return poolscope::cli::ExitUsage;
        }
    }
    if (!hasDisplay()) {
        std::fprintf(stderr, "poolscope replay: no display to open the window on; use `poolscope export FILE "
                             "--format csv --out DIR` on a headless machine\n");
        return poolscope::cli::ExitUsage;
    }
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("poolscope"));
    QApplication::setApplicationDisplayName(QStringLiteral("PoolScope"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/poolscope.svg")));
    poolscope::logging::init();
    poolscope::SignalCatcher signalCatcher;
    QObject::connect(&signalCatcher, &poolscope::SignalCatcher::caught, &app, &QCoreApplication::quit);
    poolscope::report::installReportOpener(); // File → Incident report…
    poolscope::widgets::ReplayWindow window;
    QString error;
    if (!window.openRecording(QString::fromLocal8Bit(argv[2]), &error)) {
        std::fprintf(stderr, "poolscope replay: %s\n", qPrintable(error));
        return poolscope::cli::ExitUsage;
    }
    window.show();
    return app.exec();
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
        std::printf("%s\n%s\n%s", qPrintable(versionText()), kUsage, poolscope::cli::exitCodeHelp());
        return 0;
    }
    if (commands().contains(first))
        return headless(argc, argv, first);
    if (first == QLatin1String("replay"))
        return replay(argc, argv);
    if (isBareWord(first))
        return unknownCommand(first);
    if (!hasDisplay()) {
        std::fprintf(stderr,
                     "poolscope: no display to open the window on (DISPLAY and WAYLAND_DISPLAY are not "
                     "set).\nOn a headless machine use a command instead, e.g. `poolscope snapshot TARGET`, "
                     "`poolscope watch TARGET` or `poolscope diagnose TARGET`; see `poolscope --help`.\n");
        return poolscope::cli::ExitUsage;
    }

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
    parser.addPositionalArgument(QStringLiteral("TARGET"),
                                 QStringLiteral("Connection strings to sample, or a Prometheus to read every "
                                                "instance from (prometheus+http://HOST:PORT)."),
                                 QStringLiteral("[TARGET...]"));
    parser.process(app);
    const auto intervalMs = poolscope::cli::parseDurationMs(parser.value(interval));
    if (!intervalMs || *intervalMs < 100 || *intervalMs > 60000) {
        std::fprintf(stderr, "poolscope: --interval needs a duration from 100ms to 60s, e.g. 500ms or 2s\n");
        return 1;
    }

    for (const QString &target : parser.positionalArguments()) {
        if (isBareWord(target))
            return unknownCommand(target);
    }

    poolscope::readonly::applyStartup(parser.isSet(readOnly));
    poolscope::report::installReportOpener(); // File → Incident report…, also in replay windows
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
    window.restoreWindowLayout();
    window.show();
    const int rc = app.exec();
    window.saveWindowLayout();
    if (demoSession)
        demoSession->stop(); // load first, then servers; files removed (bounded)
    poolscope::TaskPool::drain(kDrainMs);
    return rc;
}
