#include "sandboxcommand.h"

#include "exitcodes.h"

#include "core/logging.h"
#include "core/signalcatcher.h"
#include "sandbox/sandbox.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QThread>
#include <QTimer>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

namespace poolscope::cli {

namespace {

constexpr int kStopWaitMs = 15000;
const char kStateFile[] = "sandbox.json";

void printOut(const QString &text)
{
    std::fputs(text.toLocal8Bit().constData(), stdout);
}

void printErr(const QString &text)
{
    std::fputs((QStringLiteral("poolscope sandbox: ") + text + QLatin1Char('\n')).toLocal8Bit().constData(),
               stderr);
}

QString usage()
{
    return QStringLiteral(
        "Usage: poolscope sandbox start [--dir DIR] [--pgpool] [--prometheus [--scrape HOST:PORT]...] "
        "[--json]\n"
        "       poolscope sandbox stop --dir DIR\n"
        "\n"
        "Runs a throwaway PostgreSQL with PgBouncer in front of it on free loopback ports.\n"
        "\n"
        "  start        Start the sandbox, print its connection URIs and keep it running until\n"
        "               Ctrl+C, SIGTERM or `sandbox stop`. The files are removed on exit.\n"
        "  stop         Stop the sandbox whose state file is DIR/sandbox.json.\n"
        "\n"
        "Options:\n"
        "  --dir DIR    Directory for the sandbox (default: a new temporary directory).\n"
        "  --json       start: print the connection details as one JSON object.\n"
        "  --pgpool     start: also run Pgpool-II (pgpool2 package) in front of PostgreSQL.\n"
        "  --prometheus start: also run postgres_exporter and Prometheus (Debian packages\n"
        "               prometheus-postgres-exporter, prometheus), scraping every second.\n"
        "  --scrape HOST:PORT  with --prometheus: Prometheus also scrapes this /metrics (job\n"
        "               poolscope), e.g. a `poolscope watch --metrics-listen HOST:PORT`.\n"
        "  -h, --help   Show this help.\n"
        "\n"
        "Exit codes: 0 stopped cleanly, 1 bad command line, 2 the servers could not be started or "
        "stopped.\n");
}

struct Args
{
    QString action;
    QString dir;
    bool json = false;
    bool pgpool = false;
    bool prometheus = false;
    QStringList scrape;
    bool help = false;
    QString error;
};

Args parseArgs(const QStringList &args)
{
    Args a;
    for (int i = 0; i < args.size() && a.error.isEmpty(); ++i) {
        const QString &arg = args.at(i);
        if (arg == QLatin1String("-h") || arg == QLatin1String("--help")) {
            a.help = true;
        } else if (arg == QLatin1String("--json")) {
            a.json = true;
        } else if (arg == QLatin1String("--pgpool")) {
            a.pgpool = true;
        } else if (arg == QLatin1String("--prometheus")) {
            a.prometheus = true;
        } else if (arg == QLatin1String("--scrape")) {
            if (i + 1 >= args.size() || !args.at(i + 1).contains(QLatin1Char(':')))
                a.error = QStringLiteral("--scrape needs HOST:PORT");
            else
                a.scrape.append(args.at(++i));
        } else if (arg == QLatin1String("--dir")) {
            if (i + 1 >= args.size() || args.at(i + 1).isEmpty())
                a.error = QStringLiteral("--dir needs a directory");
            else
                a.dir = args.at(++i);
        } else if (arg.startsWith(QLatin1String("--dir="))) {
            a.dir = arg.mid(6);
            if (a.dir.isEmpty())
                a.error = QStringLiteral("--dir needs a directory");
        } else if (arg.startsWith(QLatin1Char('-'))) {
            a.error = QStringLiteral("unknown option %1").arg(arg);
        } else if (a.action.isEmpty()) {
            a.action = arg;
        } else {
            a.error = QStringLiteral("unexpected argument %1").arg(arg);
        }
    }
    return a;
}

// Linux only, like the sandbox itself. A zombie counts as gone: it has stopped, it just was not reaped yet.
bool processAlive(qint64 pid)
{
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return false;
    const QList<QByteArray> lines = status.readAll().split('\n');
    for (const QByteArray &line : lines) {
        if (line.startsWith("State:"))
            return !line.mid(6).trimmed().startsWith('Z');
    }
    return true;
}

// Guards against a recycled pid: the state file may outlive its process.
bool looksLikeSandboxProcess(qint64 pid)
{
    QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(pid));
    if (!cmdline.open(QIODevice::ReadOnly))
        return false;
    const QList<QByteArray> argv = cmdline.readAll().split('\0');
    return argv.contains("sandbox") && argv.contains("start");
}

struct State
{
    QJsonObject json;
    qint64 pid = 0;
};

bool readState(const QString &dir, State *state, QString *error)
{
    const QString path = dir + QLatin1Char('/') + QLatin1String(kStateFile);
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = QFileInfo::exists(path) ? QStringLiteral("cannot read %1: %2").arg(path, f.errorString())
                                         : QStringLiteral("no sandbox in %1 (%2 not found)").arg(dir, path);
        return false;
    }
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &parseError);
    state->json = doc.object();
    state->pid = state->json.value(QStringLiteral("pid")).toInteger();
    if (doc.isNull() || state->pid <= 0) {
        *error = QStringLiteral("%1 is not a sandbox state file").arg(path);
        return false;
    }
    return true;
}

QString humanReadable(const sandbox::Sandbox &sandbox)
{
    const sandbox::SandboxUris &u = sandbox.uris();
    QString text = QStringLiteral("PoolScope sandbox in %1\n").arg(sandbox.dir());
    text += QStringLiteral("  PostgreSQL  127.0.0.1:%1\n").arg(sandbox.postgresPort());
    if (sandbox.bouncerPort() > 0)
        text += QStringLiteral("  PgBouncer   127.0.0.1:%1\n").arg(sandbox.bouncerPort());
    if (sandbox.pgpoolPort() > 0)
        text += QStringLiteral("  Pgpool-II   127.0.0.1:%1\n").arg(sandbox.pgpoolPort());
    if (sandbox.postgresExporterPort() > 0)
        text += QStringLiteral("  postgres_exporter %1/metrics\n").arg(sandbox.uris().postgresExporter);
    if (sandbox.prometheusPort() > 0)
        text += QStringLiteral("  Prometheus  %1 (read back: poolscope snapshot prometheus+%1)\n")
                    .arg(sandbox.uris().prometheus);
    text += QStringLiteral("Connection URIs (passwords are in %1/pgpass):\n").arg(sandbox.dir());
    auto line = [&](const char *name, const QString &uri) {
        if (!uri.isEmpty())
            text += QStringLiteral("  %1 %2\n").arg(QLatin1String(name), -18).arg(uri);
    };
    line("postgres", u.postgres);
    line("app", u.app);
    line("monitor", u.monitor);
    line("pgbouncer_app", u.pgbouncerApp);
    line("pgbouncer_console", u.pgbouncerConsole);
    line("pgbouncer_monitor", u.pgbouncerMonitor);
    line("pgpool_app", u.pgpoolApp);
    line("pgpool_monitor", u.pgpoolMonitor);
    text += QStringLiteral("Stop with Ctrl+C or: poolscope sandbox stop --dir %1\n").arg(sandbox.dir());
    return text;
}

int startCommand(const Args &args)
{
    auto log = logging::get("cli");
    if (!QCoreApplication::instance()) {
        printErr(QStringLiteral("internal error: no QCoreApplication"));
        return 1;
    }
    if (!args.dir.isEmpty()) {
        State existing;
        QString ignored;
        if (readState(args.dir, &existing, &ignored) && processAlive(existing.pid) &&
            looksLikeSandboxProcess(existing.pid)) {
            printErr(QStringLiteral("a sandbox is already running in %1 (pid %2); stop it first")
                         .arg(args.dir, QString::number(existing.pid)));
            return 1;
        }
    }

    // Installed before the (blocking) start so that Ctrl+C during startup still ends in a clean stop.
    SignalCatcher catcher;
    QObject::connect(&catcher, &SignalCatcher::caught, &catcher, [&](int signal) {
        log->info("received signal {}, stopping the sandbox", signal);
        QCoreApplication::exit(0);
    });
    if (!catcher.isOk()) {
        printErr(QStringLiteral("cannot set up signal handling: %1")
                     .arg(QString::fromLocal8Bit(std::strerror(errno))));
        return 1;
    }

    sandbox::SandboxOptions options;
    options.dir = args.dir;
    options.withPgpool = args.pgpool;
    options.withPostgresExporter = args.prometheus;
    options.withPrometheus = args.prometheus;
    options.prometheusScrapeTargets = args.scrape;
    sandbox::Sandbox sandbox(options);
    QString error;
    if (!sandbox.start(&error)) {
        printErr(error);
        return ExitTargetFailed;
    }

    const QJsonObject json = sandbox.toJson();
    const QString statePath = sandbox.dir() + QLatin1Char('/') + QLatin1String(kStateFile);
    QSaveFile state(statePath);
    if (!state.open(QIODevice::WriteOnly) || state.write(QJsonDocument(json).toJson()) < 0 ||
        !state.commit()) {
        printErr(QStringLiteral("cannot write %1: %2").arg(statePath, state.errorString()));
        return 1; // the sandbox's destructor stops it
    }

    if (args.json)
        printOut(QString::fromUtf8(QJsonDocument(json).toJson(QJsonDocument::Compact)) + QLatin1Char('\n'));
    else
        printOut(humanReadable(sandbox));
    std::fflush(stdout);

    // A server that dies on its own (OOM killer, someone's kill) ends the command instead of leaving a
    // half-working sandbox behind.
    QTimer watch;
    watch.setInterval(500);
    QObject::connect(&watch, &QTimer::timeout, &watch, [&] {
        if (!sandbox.isRunning()) {
            printErr(QStringLiteral("a sandbox server exited unexpectedly; stopping"));
            QCoreApplication::exit(1);
        }
    });
    watch.start();

    const int rc = QCoreApplication::exec();
    watch.stop();
    QFile::remove(statePath);
    sandbox.stop();
    return rc;
}

int stopCommand(const Args &args)
{
    if (args.dir.isEmpty()) {
        printErr(QStringLiteral("stop needs --dir DIR (the directory the sandbox was started with)"));
        return ExitUsage;
    }
    State state;
    QString error;
    if (!readState(args.dir, &state, &error)) {
        printErr(error);
        return ExitTargetFailed;
    }
    if (!processAlive(state.pid) || !looksLikeSandboxProcess(state.pid)) {
        printErr(QStringLiteral("the sandbox in %1 is not running (process %2 is gone)")
                     .arg(args.dir, QString::number(state.pid)));
        return ExitTargetFailed;
    }
    if (::kill(pid_t(state.pid), SIGTERM) != 0) {
        printErr(QStringLiteral("cannot signal process %1: %2")
                     .arg(QString::number(state.pid), QString::fromLocal8Bit(std::strerror(errno))));
        return ExitTargetFailed;
    }
    QDeadlineTimer deadline(kStopWaitMs);
    while (processAlive(state.pid)) {
        if (deadline.hasExpired()) {
            printErr(
                QStringLiteral("process %1 did not stop within %2 s").arg(state.pid).arg(kStopWaitMs / 1000));
            return ExitTargetFailed;
        }
        QThread::msleep(100);
    }
    printOut(QStringLiteral("sandbox in %1 stopped\n").arg(args.dir));
    std::fflush(stdout);
    return 0;
}

} // namespace

int sandboxCommand(const QStringList &argv)
{
    const Args args = parseArgs(argv);
    if (args.help) {
        printOut(usage());
        std::fflush(stdout);
        return 0;
    }
    if (!args.error.isEmpty()) {
        printErr(args.error);
        std::fputs(usage().toLocal8Bit().constData(), stderr);
        return ExitUsage;
    }
    if (args.action == QLatin1String("start"))
        return startCommand(args);
    if (args.action == QLatin1String("stop")) {
        if (args.json) {
            printErr(QStringLiteral("--json only applies to start"));
            return ExitUsage;
        }
        if (args.pgpool || args.prometheus || !args.scrape.isEmpty()) {
            printErr(QStringLiteral("--pgpool, --prometheus and --scrape only apply to start"));
            return ExitUsage;
        }
        return stopCommand(args);
    }
    printErr(args.action.isEmpty() ? QStringLiteral("missing command (start or stop)")
                                   : QStringLiteral("unknown command %1").arg(args.action));
    std::fputs(usage().toLocal8Bit().constData(), stderr);
    return ExitUsage;
}

} // namespace poolscope::cli
