#include "recordcommand.h"

#include "commandline.h"
#include "core/auditlog.h"
#include "core/signalcatcher.h"
#include "db/conninfo.h"
#include "db/targetcontroller.h"
#include "fleetwatch.h"
#include "record/recordingwriter.h"
#include "watchcommand.h"

#include <QCommandLineParser>
#include <QDateTime>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QRegularExpression>
#include <QTimer>
#include <cstdio>
#include <limits>
#include <memory>
#include <unistd.h>
#include <vector>

namespace poolscope::cli {

namespace {

QString mib(qint64 bytes)
{
    return QStringLiteral("%1 MiB").arg(double(bytes) / 1048576.0, 0, 'f', 2);
}

QString clock(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("HH:mm:ss"));
}

} // namespace

std::optional<qint64> parseSizeBytes(const QString &text)
{
    static const QRegularExpression re(
        QStringLiteral("^\\s*(\\d+(?:\\.\\d*)?)\\s*(k|kib|m|mib|g|gib|b)?\\s*$"),
        QRegularExpression::CaseInsensitiveOption);
    const QRegularExpressionMatch m = re.match(text);
    if (!m.hasMatch())
        return std::nullopt;
    const double value = m.captured(1).toDouble();
    const QString unit = m.captured(2).toLower();
    double factor = 1;
    if (unit.startsWith(QLatin1Char('k')))
        factor = 1024.0;
    else if (unit.startsWith(QLatin1Char('m')))
        factor = 1024.0 * 1024.0;
    else if (unit.startsWith(QLatin1Char('g')))
        factor = 1024.0 * 1024.0 * 1024.0;
    const double bytes = value * factor;
    if (bytes < 1 || bytes > 1e15)
        return std::nullopt;
    return qint64(bytes);
}

int recordCommand(const QStringList &args)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Record every sample of the targets into a file, for replay (`poolscope replay FILE`) and export\n"
        "(`poolscope export FILE`). Sessions, pools, findings, audited actions and load runs; README\n"
        "\"Recording\" documents the format (SQLite, WAL). A crash loses at most the last sample.\n\n"
        "When the disk is full or the file reaches --max-size, the recording pauses with a warning while\n"
        "sampling goes on; a write is retried every 5 s and the gap is marked in the file.\n\n"
        "Exit codes: 0 recorded until the duration or Ctrl+C, 1 bad command line or FILE cannot be\n"
        "created (it must not exist), 2 a target never answered (its failures are in the file), 4 part of\n"
        "the recording was not written (disk full or --max-size)."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("TARGET"), QStringLiteral("Connection string(s)."),
                                 QStringLiteral("TARGET..."));
    const QCommandLineOption out(QStringLiteral("out"), QStringLiteral("The recording file to create."),
                                 QStringLiteral("file"));
    const QCommandLineOption interval(QStringLiteral("interval"),
                                      QStringLiteral("Time between samples, 100ms to 60s (default 1s)."),
                                      QStringLiteral("duration"), QStringLiteral("1s"));
    const QCommandLineOption duration(QStringLiteral("duration"),
                                      QStringLiteral("Stop after this long (default: until Ctrl+C)."),
                                      QStringLiteral("duration"));
    const QCommandLineOption maxSize(
        QStringLiteral("max-size"),
        QStringLiteral("Let the file grow to this size at most (e.g. 500MiB); then recording pauses."),
        QStringLiteral("size"));
    parser.addOption(out);
    parser.addOption(interval);
    parser.addOption(duration);
    parser.addOption(maxSize);
    auto usage = [](const QString &message) {
        return usageError(QStringLiteral("record"), message, ExitUsage);
    };
    if (const auto exit = parseCommandLine(parser, QStringLiteral("record"), args, ExitUsage))
        return *exit;
    const QStringList targets = parser.positionalArguments();
    if (targets.isEmpty())
        return usage(QStringLiteral("at least one TARGET is required (see --help)"));
    if (!parser.isSet(out) || parser.value(out).isEmpty())
        return usage(QStringLiteral("--out FILE is required"));
    QString intervalError;
    const auto intervalMs = parseIntervalMs(parser.value(interval), &intervalError);
    if (!intervalMs)
        return usage(intervalError);
    std::optional<qint64> durationMs;
    if (parser.isSet(duration)) {
        durationMs = parseDurationMs(parser.value(duration));
        if (!durationMs || *durationMs > std::numeric_limits<int>::max())
            return usage(QStringLiteral("--duration needs a positive duration, e.g. 60s or 1h"));
    }
    record::WriterOptions options;
    options.intervalMs = int(*intervalMs);
    options.auditPath = audit::filePath();
    if (parser.isSet(maxSize)) {
        const auto bytes = parseSizeBytes(parser.value(maxSize));
        if (!bytes || *bytes < 64 * 1024)
            return usage(QStringLiteral("--max-size needs a size of at least 64KiB, e.g. 500MiB or 2GiB"));
        options.maxBytes = *bytes;
    }

    QStringList labels; // user@host:port/db: a password in a connection string never reaches the file
    for (const QString &t : targets)
        labels.append(db::describe(db::parseConnInfo(t)));
    record::RecordingWriter writer;
    QString error;
    if (!writer.create(parser.value(out), labels, options, &error))
        return usageError(QStringLiteral("record"), error, ExitUsage);

    const bool tty = isatty(fileno(stderr)) != 0;
    bool progressShown = false;
    auto endProgressLine = [&] {
        if (progressShown)
            std::fputs("\n", stderr);
        progressShown = false;
    };
    std::fprintf(stderr, "poolscope record: recording %lld target(s) every %s to %s; Ctrl+C stops\n",
                 qint64(targets.size()), qPrintable(parser.value(interval)), qPrintable(parser.value(out)));

    QEventLoop loop;
    SignalCatcher catcher;
    QObject::connect(&catcher, &SignalCatcher::caught, &loop, &QEventLoop::quit);
    auto fleet =
        std::make_unique<FleetWatch>(targets, int(*intervalMs), std::nullopt, findings::Thresholds{});
    const FleetWatch *raw = fleet.get();
    std::vector<bool> answered(size_t(targets.size()), false);
    qint64 sampled = 0;
    bool wasPaused = false;
    QObject::connect(fleet.get(), &FleetWatch::sampled, &loop, [&](int i, const TargetSnapshot &s) {
        ++sampled;
        if (s.ok)
            answered[size_t(i)] = true;
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        writer.addSample(i + 1, s, raw->engine().findingsOf(i), now);
        if (writer.paused() != wasPaused) {
            endProgressLine();
            if (writer.paused())
                std::fprintf(stderr,
                             "poolscope record: WARNING recording paused at %s: %s; sampling goes on, "
                             "retrying every 5 s\n",
                             qPrintable(clock(now)), qPrintable(writer.pauseReason()));
            else
                std::fprintf(stderr, "poolscope record: recording resumed at %s\n", qPrintable(clock(now)));
            std::fflush(stderr);
            wasPaused = writer.paused();
        }
    });
    QElapsedTimer elapsed;
    elapsed.start();
    QTimer progress;
    QObject::connect(&progress, &QTimer::timeout, &loop, [&] {
        if (!tty)
            return;
        int live = 0;
        for (int i = 0; i < raw->count(); ++i)
            live += raw->state(i) == TargetState::Live ? 1 : 0;
        const QString line =
            QStringLiteral("\r\033[Krecording %1 s  %2 samples (%3 not recorded)  %4/%5 targets live  %6%7")
                .arg(elapsed.elapsed() / 1000)
                .arg(writer.samplesWritten())
                .arg(writer.samplesNotWritten())
                .arg(live)
                .arg(raw->count())
                .arg(mib(writer.fileBytes()))
                .arg(writer.paused() ? QStringLiteral("  PAUSED: ") + writer.pauseReason() : QString());
        std::fputs(qPrintable(line), stderr);
        std::fflush(stderr);
        progressShown = true;
    });
    progress.start(1000);
    if (durationMs)
        QTimer::singleShot(int(*durationMs), Qt::PreciseTimer, &loop, &QEventLoop::quit);
    fleet->start();
    loop.exec();
    progress.stop();
    fleet.reset(); // interrupts the workers: prompt even when a server hangs
    endProgressLine();
    const QString reason = writer.pauseReason();
    writer.close(QDateTime::currentMSecsSinceEpoch());

    std::printf("recorded %lld sample(s) of %lld target(s) in %.1f s to %s (%s)", writer.samplesWritten(),
                qint64(targets.size()), double(elapsed.elapsed()) / 1000.0, qPrintable(parser.value(out)),
                qPrintable(mib(writer.fileBytes())));
    if (writer.samplesNotWritten() > 0)
        std::printf("; %lld of %lld sample(s) not recorded (%s)", writer.samplesNotWritten(), sampled,
                    qPrintable(reason.isEmpty() ? QStringLiteral("paused, then resumed") : reason));
    std::printf("\n");
    QStringList silent;
    for (int i = 0; i < targets.size(); ++i)
        if (!answered[size_t(i)])
            silent.append(labels.at(i));
    if (!silent.isEmpty()) {
        std::fprintf(stderr,
                     "poolscope record: %lld target(s) never answered (%s); their failures are "
                     "recorded\n",
                     qint64(silent.size()), qPrintable(silent.join(QStringLiteral(", "))));
        return ExitTargetFailed;
    }
    return writer.samplesNotWritten() > 0 ? ExitPartial : ExitOk;
}

} // namespace poolscope::cli
